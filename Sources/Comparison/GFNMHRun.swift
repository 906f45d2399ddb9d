import Dispatch
import Energies
import Foundation
import GFlowNets
import GFNCore
import MCMC
import Metrics
import NeuralMCMC
import Reporting

/// The `gfn-mh` sampler of a comparison: the trained GFlowNet as a Metropolis-Hastings proposal
/// (an independence chain, or mixed with the run's local kernel), scored like any chain.
enum GFNMHRun {
    static func run<E: EnergyModel, Env: ConstructionEnvironment>(
        model: E, gfn: GFlowNet<Env>, settings: RunSettings, trainingEnergyWork: Int, trainingSeconds: Double,
        reference: ExactReference, progress: ProgressReporter, draws: DrawArchive?
    ) throws -> (SamplerRecord, SamplerAnalysis) {
        guard let m = settings.gfnMH else { throw GFNError.invalidInput("no GFlowNet-MH settings") }
        let schedule = settings.gfnMHSchedule(m)
        let what = m.every.map { "mixed: \($0) local sweep\($0 == 1 ? "" : "s") per GFlowNet proposal" } ?? "independence proposals"
        progress.begin("GFlowNet-in-MH chains (\(what), \(schedule.chains) chains)")
        let t0 = DispatchTime.now().uptimeNanoseconds
        let report: (Double) -> Void = { progress.update($0) }
        let traces: [NeuralChainTrace]
        switch settings.kernel {
        case .metropolis:
            traces = try GFlowNetMH.run(gfn: gfn, kernel: MetropolisKernel(energy: model, beta: settings.beta), schedule: schedule, seed: settings.seed,
                                        chainStream: StreamPlan.gfnMHChain, proposalStream: StreamPlan.gfnMHProposals,
                                        keepStates: settings.keepStates, progress: report)
        case .heatBath:
            traces = try GFlowNetMH.run(gfn: gfn, kernel: HeatBathKernel(energy: model, beta: settings.beta), schedule: schedule, seed: settings.seed,
                                        chainStream: StreamPlan.gfnMHChain, proposalStream: StreamPlan.gfnMHProposals,
                                        keepStates: settings.keepStates, progress: report)
        case .gridStep:
            traces = try GFlowNetMH.run(gfn: gfn, kernel: GridStepKernel(energy: model, beta: settings.beta), schedule: schedule, seed: settings.seed,
                                        chainStream: StreamPlan.gfnMHChain, proposalStream: StreamPlan.gfnMHProposals,
                                        keepStates: settings.keepStates, progress: report)
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        draws?.add(SamplerDraws(name: "gfn-mh", traces: traces.map(\.trace), variables: model.variableCount,
                                notes: m.every == nil ? ["log_weight": "log w(x, τ) = −β·E(x) + log P_B(τ|x) − log P_F(τ) of the chain's current state (the independence chain's acceptance uses w'/w)"] : [:]))
        let proposals = traces.reduce(0) { $0 + $1.proposals }, accepted = traces.reduce(0) { $0 + $1.acceptances }
        progress.end(String(format: "%.2f s, %d of %d GFlowNet proposals accepted", wall, accepted, proposals))

        progress.begin("GFlowNet-in-MH analysis")
        let analysis = SampleAnalysis.analyse(model: model, beta: settings.beta, draws: DrawSet(traces: traces.map(\.trace)), reference: reference,
                                              seed: settings.seed, floorStream: StreamPlan.noiseFloor(sampler: 2))
        try Interruption.check()
        var metrics = analysis.metrics
        var counters = MoveCounters()
        for t in traces { counters.add(t.trace.counters) }
        metrics.deltaEnergyEvaluations = counters.deltaEvaluations
        metrics.fullEnergyEvaluations = counters.fullEvaluations
        metrics.energyEvaluations = counters.deltaEvaluations + counters.fullEvaluations
        metrics.energyWork = counters.deltaEvaluations + model.variableCount * counters.fullEvaluations
        let local = counters.proposals > 0 ? Double(counters.acceptances) / Double(counters.proposals) : nil
        let gfnStats = GFNMHMetrics(proposals: proposals, acceptances: accepted, longestRejectionRun: traces.map(\.longestRejectionRun).max() ?? 0,
                                    localAcceptanceRate: m.every == nil ? nil : local, networkSeconds: traces.reduce(0) { $0 + $1.networkSeconds },
                                    reusedTrainingEnergyWork: trainingEnergyWork, reusedTrainingSeconds: trainingSeconds)
        metrics.gfnMh = gfnStats
        metrics.acceptanceRate = m.every == nil ? gfnStats.acceptanceRate : local
        metrics.burnInSeconds = traces.reduce(0) { $0 + $1.trace.burnInSeconds }
        metrics.samplingSeconds = traces.reduce(0) { $0 + $1.trace.samplingSeconds }
        metrics.wallSeconds = wall
        if let rate = gfnStats.acceptanceRate, rate < 0.01, proposals >= 100 {
            metrics.warnings.append(String(format: "Only %.2f%% of the GFlowNet proposals were accepted (longest run of rejections %d): the GFlowNet puts too little mass where the target has it, and the chain barely moves by its proposals.",
                                           100 * rate, gfnStats.longestRejectionRun))
        }
        progress.end(String(format: "acceptance %@, TV %@", gfnStats.acceptanceRate.map { MarkdownReport.fmt($0) } ?? "n/a",
                            metrics.tv.map(MarkdownReport.fmt) ?? "n/a"))
        var judged = analysis
        judged.metrics = metrics
        return (SamplerRecord(name: "gfn-mh", metrics: metrics), judged)
    }
}
