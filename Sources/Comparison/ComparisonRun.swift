import Dispatch
import Energies
import Exact
import Foundation
import GFlowNets
import GFNCore
import MCMC
import Metrics
import Reporting
import Settings

/// The tool's name and version, recorded in every run.
public let toolInfo = ToolInfo(name: "gfn-compare", version: "0.1.0")

/// Runs a whole comparison — exact reference, samplers, metrics — and returns its record.
public enum ComparisonRun {
    /// Runs `settings` and builds the run record. `command` is stored verbatim for reproduction.
    ///
    /// - Parameter settings: the whole configuration (validated here, with its budget applied).
    /// - Parameter command: the command line stored in the record (`reproduce` shows it).
    /// - Parameter progress: where the stages and their progress are reported (stderr in the CLI).
    /// - Parameter draws: when given, receives every sampler's draws with their states (`--save-draws`).
    public static func run(_ settings: RunSettings, command: String, progress: ProgressReporter = ProgressReporter(enabled: false),
                           draws: DrawArchive? = nil) throws -> RunRecord {
        // Each model is built once, validated, then run (a model file is parsed here once).
        switch settings.energy {
        case .ising:
            let model = try settings.energy.makeIsingModel()
            try settings.validate(model: model)
            return try run(model: model, settings: settings, command: command, progress: progress, draws: draws)
        case .potts:
            let model = try settings.energy.makePottsModel()
            try settings.validate(model: model)
            return try run(model: model, settings: settings, command: command, progress: progress, draws: draws)
        case .ea, .sk, .file:
            let model = try settings.energy.makePairwiseModel()
            try settings.validate(model: model)
            return try run(model: model, settings: settings, command: command, progress: progress, draws: draws)
        case .hypergrid:
            if settings.gfn?.head == .perStep {
                throw GFNError.invalidInput("--head per-step needs a set-variable energy (the hypergrid's trajectories have no fixed step per variable); drop --head")
            }
            let grid = try settings.energy.makeHypergridModel()
            try settings.validate(model: grid)
            return try run(model: grid, environment: { _ in HypergridEnvironment(grid: grid, beta: settings.beta) },
                           settings: settings, command: command, progress: progress, draws: draws)
        case .custom: throw GFNError.invalidInput("a custom energy runs through ComparisonRun.run(custom:name:settings:command:progress:)")
        }
    }

    /// Runs the whole comparison on a library user's own `EnergyModel`: both samplers, the exact
    /// reference (enumeration, when the model has at most 2^24 states) and the record, from which
    /// `ReportFiles.render(_:)` makes the report. `settings.energy` is replaced by `.custom(name:…)`.
    public static func run<E: EnergyModel>(custom model: E, name: String, settings: RunSettings, command: String,
                                           progress: ProgressReporter = ProgressReporter(enabled: false), draws: DrawArchive? = nil) throws -> RunRecord {
        var s = settings
        s.energy = .custom(name: name, variables: model.variableCount)
        try s.validate(model: model)
        return try run(model: model, settings: s, command: command, progress: progress, draws: draws)
    }

    /// The pipeline, specialised for the concrete energy (no existential dispatch in the samplers).
    static func run<E: EnergyModel>(model: E, settings: RunSettings, command: String, progress: ProgressReporter,
                                    draws: DrawArchive?) throws -> RunRecord {
        try run(model: model, environment: { SetVariableEnvironment(energy: model, beta: settings.beta, order: $0.order, patchRadius: $0.patchRadius) },
                settings: settings, command: command, progress: progress, draws: draws)
    }

    /// The pipeline for an energy and the GFlowNet environment that builds its states.
    static func run<E: EnergyModel, Env: ExactTerminalDistribution>(
        model: E, environment: (GFlowNetSettings) -> Env, settings requested: RunSettings, command: String, progress: ProgressReporter,
        draws: DrawArchive?
    ) throws -> RunRecord {
        let start = DispatchTime.now().uptimeNanoseconds
        var settings = try requested.applyingBudget(model: model)  // validated with the budget applied (RunSettings.validate)
        if let draws {
            if !settings.keepStates {  // a library caller: the states' memory not yet checked
                settings.keepStates = true
                try settings.validateWork(model: model)
            }
            draws.spinValues = (0..<model.domainSize).map { model.spin(UInt8($0)) }
        }
        let saved = try GFNRun.preload(settings: settings, variables: model.variableCount)

        progress.begin("exact reference")
        let reference = try ExactReference.compute(model, beta: settings.beta, seed: settings.seed)
        progress.end(reference.exact.logZ.map { "log Z = \(MarkdownReport.fmt($0)) (\(reference.exact.logZMethod ?? ""))" } ?? "no exact log Z")

        try Interruption.check()
        progress.begin("Metropolis-Hastings (\(settings.kernel.rawValue), \(settings.schedule.chains) chains)")
        let (mh, mhAnalysis) = try runMH(model: model, settings: settings, reference: reference, progress: progress, draws: draws)
        progress.end("TV \(mh.metrics.tv.map(MarkdownReport.fmt) ?? "n/a")")

        try Interruption.check()
        var samplers = [mh]
        var gfnSettings: GFlowNetSettings?
        var comparison: ComparisonRecord?
        var gfnMhComparison: ComparisonRecord?
        if settings.gfn != nil {
            let outcome = settings.fault == .gfnWrongBackward
                ? try gflowNetSamplers(model: model, environment: { MisstatedBackwardEnvironment(base: environment($0)) }, settings: settings,
                                       saved: saved, reference: reference, mh: mhAnalysis, progress: progress, draws: draws)
                : try gflowNetSamplers(model: model, environment: environment, settings: settings, saved: saved, reference: reference,
                                       mh: mhAnalysis, progress: progress, draws: draws)
            samplers += outcome.records
            gfnSettings = outcome.settings
            comparison = outcome.comparison
            gfnMhComparison = outcome.gfnMhComparison
        }

        try Interruption.check()
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let env = EnvironmentRecord(
            date: MachineInfo.now, gitCommit: MachineInfo.gitCommit, swiftVersion: MachineInfo.swiftVersion,
            gslVersion: GSL.version, openblas: GSL.openBLASConfig, cpuModel: MachineInfo.cpuModel,
            cores: MachineInfo.cores, totalWallSeconds: total)
        var record = RunRecord(tool: toolInfo, command: command, config: config(settings, gfn: gfnSettings, variables: model.variableCount),
                               exact: reference.exact, samplers: samplers, comparison: comparison, environment: env)
        record.gfnMhComparison = gfnMhComparison
        return record
    }

    /// The GFlowNet (trained or loaded, then sampled) and, when asked for, the GFlowNet-in-MH
    /// chains that reuse it; each judged against MH.
    static func gflowNetSamplers<E: EnergyModel, Env: ExactTerminalDistribution>(
        model: E, environment: (GFlowNetSettings) -> Env, settings: RunSettings, saved: SavedModel?,
        reference: ExactReference, mh: SamplerAnalysis, progress: ProgressReporter, draws: DrawArchive?
    ) throws -> (records: [SamplerRecord], settings: GFlowNetSettings, comparison: ComparisonRecord, gfnMhComparison: ComparisonRecord?) {
        let g = try GFNRun.run(model: model, environment: environment, settings: settings, saved: saved, reference: reference, progress: progress, draws: draws)
        var gfnAnalysis = g.analysis
        gfnAnalysis.metrics = g.record.metrics
        let comparison = Judgement.compare(mh: mh, gfn: gfnAnalysis, reference: reference, seed: settings.seed)
        guard settings.gfnMH != nil else { return ([g.record], g.settings, comparison, nil) }
        try Interruption.check()
        let trainingWork = g.record.metrics.energyWork ?? 0, trainingSeconds = g.record.metrics.trainingSeconds ?? 0
        let (record, analysis) = try GFNMHRun.run(model: model, gfn: g.model, settings: settings, trainingEnergyWork: trainingWork,
                                                  trainingSeconds: trainingSeconds, reference: reference, progress: progress, draws: draws)
        let gfnMhComparison = Judgement.compare(mh: mh, gfnMH: analysis, trainingEnergyWork: trainingWork, trainingSeconds: trainingSeconds, reference: reference, seed: settings.seed)
        return ([g.record, record], g.settings, comparison, gfnMhComparison)
    }

    static func config(_ s: RunSettings, gfn g: GFlowNetSettings?, variables: Int) -> RunConfig {
        let energy = s.energy.config(beta: s.beta, variables: variables)
        let gfn = g.map { GFNConfig(settings: $0, samples: s.gfnSamples, loadedModel: s.loadModel?.path) }
        var config = RunConfig(energy: energy, seed: s.seed, rng: s.rng, mh: MHConfig(kernel: s.kernel, schedule: s.schedule), gfn: gfn,
                         gfnMh: s.gfnMH.map { m in
                             let schedule = s.gfnMHSchedule(m)
                             return GFNMHConfig(mode: m.every == nil ? "independence" : "mixed", every: m.every, chains: schedule.chains,
                                                burnInSteps: schedule.burnInSteps, samplesPerChain: schedule.samplesPerChain, thinSteps: schedule.thinSteps)
                         })
        config.budget = s.budget
        return config
    }

    static func runMH<E: EnergyModel>(model: E, settings: RunSettings, reference: ExactReference,
                                      progress: ProgressReporter, draws: DrawArchive?) throws -> (SamplerRecord, SamplerAnalysis) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let report: @Sendable (Double) -> Void = { progress.update($0) }
        let traces: [ChainTrace]
        let kernelBeta = settings.fault == .mhBeta ? 0.9 * settings.beta : settings.beta
        switch settings.kernel {
        case .metropolis where settings.fault == .mhFrozenSite:
            traces = try ChainRunner.run(kernel: FrozenSiteKernel(base: MetropolisKernel(energy: model, beta: kernelBeta)), schedule: settings.schedule,
                                         seed: settings.seed, algorithm: settings.rng, keepStates: settings.keepStates, progress: report)
        case .metropolis:
            traces = try ChainRunner.run(kernel: MetropolisKernel(energy: model, beta: kernelBeta), schedule: settings.schedule,
                                     seed: settings.seed, algorithm: settings.rng, keepStates: settings.keepStates, progress: report)
        case .gridStep:
            traces = try ChainRunner.run(kernel: GridStepKernel(energy: model, beta: kernelBeta), schedule: settings.schedule,
                                         seed: settings.seed, algorithm: settings.rng, keepStates: settings.keepStates, progress: report)
        case .heatBath:
            traces = try ChainRunner.run(kernel: HeatBathKernel(energy: model, beta: kernelBeta), schedule: settings.schedule,
                                     seed: settings.seed, algorithm: settings.rng, keepStates: settings.keepStates, progress: report)
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        draws?.add(SamplerDraws(name: "mh", traces: traces, variables: model.variableCount))
        // The analysis of many samples takes longer than the chains (4·10⁶: ~30 s): its own stage.
        progress.end(MarkdownReport.fmt(wall) + " s")
        progress.begin("MH analysis (\(traces.reduce(0) { $0 + $1.energies.count }) samples: diagnostics, distances, noise floor)")
        let analysis = SampleAnalysis.analyse(model: model, beta: settings.beta, draws: DrawSet(traces: traces), reference: reference,
                                              seed: settings.seed, floorStream: StreamPlan.noiseFloor(sampler: 0))
        try Interruption.check()
        var metrics = analysis.metrics
        var counters = MoveCounters()
        for t in traces { counters.add(t.counters) }
        metrics.energyEvaluations = counters.deltaEvaluations + counters.fullEvaluations
        metrics.deltaEnergyEvaluations = counters.deltaEvaluations
        metrics.fullEnergyEvaluations = counters.fullEvaluations
        metrics.energyWork = counters.deltaEvaluations + model.variableCount * counters.fullEvaluations
        metrics.acceptanceRate = counters.proposals > 0 ? Double(counters.acceptances) / Double(counters.proposals) : nil
        metrics.burnInSeconds = traces.map(\.burnInSeconds).max()
        metrics.samplingSeconds = traces.map(\.samplingSeconds).max()
        metrics.wallSeconds = wall
        if let p = reference.probabilities {
            metrics.curve = SampleAnalysis.mcmcCurve(traces: traces, variables: model.variableCount, schedule: settings.schedule,
                                                     deltaPerUpdate: settings.kernel == .heatBath ? model.domainSize - 1 : 1, probabilities: p,
                                                     burnInSeconds: metrics.burnInSeconds ?? 0, samplingSeconds: metrics.samplingSeconds ?? 0)
        }
        var judged = analysis
        judged.metrics = metrics
        return (SamplerRecord(name: "mh", metrics: metrics), judged)
    }
}

/// A planted fault for `check --inject-fault mh-frozen-site`: site 0 is never proposed anything but
/// its first value (it is pushed to 0 and stays there), so the chain misses half the state space.
struct FrozenSiteKernel<Base: SiteKernel>: SiteKernel {
    let base: Base
    var energy: Base.Energy { base.energy }
    var beta: Double { base.beta }
    var systematicScanProblem: String? { base.systematicScanProblem }
    func update(_ x: UnsafeMutablePointer<UInt8>, site: Int, rng: RandomStream, counters: inout MoveCounters) -> Double {
        guard site == 0 else { return base.update(x, site: site, rng: rng, counters: &counters) }
        if x[0] == 0 { return 0 }
        let dE = base.energy.deltaEnergy(UnsafePointer(x), site: 0, to: 0)
        x[0] = 0
        return dE
    }
    func transitionProbabilities(_ x: UnsafePointer<UInt8>, site: Int) -> [Double] { base.transitionProbabilities(x, site: site) }
}
