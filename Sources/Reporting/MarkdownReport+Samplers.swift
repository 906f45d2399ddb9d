import Foundation
import Metrics

/// The report's section of each sampler: its settings, distances, estimates and diagnostics.
extension MarkdownReport {
    /// A sampler's heading and settings (MH kernel, GFlowNet architecture and training, gfn-mh chains).
    static func samplerSettings(_ s: SamplerRecord, _ r: RunRecord, _ line: ReportLines) {
        line("## Sampler `\(s.name)`")
        line()
        let m = s.metrics
        if s.name == "mh" {
            let c = r.config.mh
            line("\(c.kernel.rawValue) kernel, \(c.scan.rawValue) scan, \(c.chains) chains × \(c.samplesPerChain) samples, burn-in \(c.burnInSweeps) sweeps, thinning \(c.thinSweeps) sweep(s).")
            line("Each recorded sample is the chain's state at that moment, whether or not the last move was accepted.")
            line()
        }
        if s.name == "gfn", let g = r.config.gfn {
            line("GFlowNet: \(g.objective.rawValue) objective, \(g.order.rawValue) construction order, \(g.backward.rawValue) backward policy\(g.backwardNetwork == .separate ? " in a network of its own" : ""); MLP \(g.layers) × \(g.hidden) (\(g.activation.rawValue))\(g.precision == .bf16 ? " with bf16 products (operands rounded to bf16, fp32 accumulation; parameters fp32)" : "")\(g.patchRadius.map { " reading the \(2 * $0 + 1)×\(2 * $0 + 1) window around the next site, the same weights at every site (a masked convolution; --policy-input patch)" } ?? "")\(g.head == .perStep ? " with one output layer per step (autoregressive)" : "")\(g.forwardLooking == true ? ", forward-looking flows" : "")\(g.spinFlipMixture == true ? "; draws spin-flip mixed (each flipped whole with probability ½: P_T(x) = ½·q(x) + ½·q(x̄), so the two magnetised modes hold equal mass by construction)" : ""); batch \(g.batch)\(g.trainWorkers.map { $0 > 1 ? " in \($0) shards (training workers, each on its own random stream)" : "" } ?? ""), \(g.iterations) iterations, Adam lr \(fmt(g.learningRate)) (log Z: \(fmt(g.learningRateLogZ)))\(g.learningRateSchedule == .cosine ? " with cosine decay to a hundredth" : "")\(g.trainSeconds.map { ", training bounded to \(fmt($0)) s of wall time" } ?? ""), exploration ε = \(fmt(g.epsilon)), temperature \(fmt(g.temperature))\(g.loadedModel.map { "; loaded from `\($0)` (not retrained)" } ?? "").")
            line("Samples are independent draws from the trained policy (one network pass per construction step, no Markov chain).")
            line()
            line("- learned log Z: \(opt(m.logZLearned)) (exact \(opt(r.exact.logZ))\(zip2(m.logZLearned, r.exact.logZ).map { ", error \(fmt($0 - $1))" } ?? ""))")
            line("- TV of the exact model distribution P_T to the target: \(opt(m.tvModelExact))\(m.tvModelExactNote.map { " (\($0))" } ?? "")")
            line("- training: \(m.trainingTrajectories.map(String.init) ?? "n/a") trajectories in \(opt(m.trainingSeconds)) s; sampling: \(m.samples) samples in \(opt(m.samplingSeconds)) s")
            if let t = s.training, !t.loss.isEmpty {
                line()
                line("| iteration | loss | learned log Z |")
                line("|---:|---:|---:|")
                let picks = Set(stride(from: 0, to: t.loss.count, by: max(1, t.loss.count / 10)).map { $0 } + [t.loss.count - 1])
                for i in picks.sorted() {
                    line("| \(t.iteration[i]) | \(fmt(t.loss[i])) | \(t.logZ[i].map(fmt) ?? "n/a") |")
                }
                line()
            }
        }
        if s.name == "gfn-mh", let g = r.config.gfnMh {
            let mode = g.every.map { "mixed chains: \($0) sweep\($0 == 1 ? "" : "s") of the \(r.config.mh.kernel.rawValue) kernel (\(r.config.mh.scan.rawValue) scan) between GFlowNet proposals" }
                ?? "independence chains: every step proposes a fresh draw of the trained GFlowNet"
            line("Metropolis-Hastings with the trained GFlowNet as the proposal — \(mode); \(g.chains) chains × \(g.samplesPerChain) samples, burn-in \(g.burnInSteps) \(g.every == nil ? "proposals" : "sweeps"), thinning \(g.thinSteps). A proposal x′ built by the trajectory τ′ is accepted with probability min(1, w(τ′)/w(τ)), w(τ) = exp(−β·E(x))·P_B(τ|x)/P_F(τ) (on the fixed order R(x)/P_T(x)), so the chain is exact whatever the GFlowNet's bias.")
            line()
            if let q = m.gfnMh {
                line("- GFlowNet proposals: \(q.acceptances) of \(q.proposals) accepted (rate \(opt(q.acceptanceRate))); longest run of rejections \(q.longestRejectionRun)\(q.localAcceptanceRate.map { "; local moves' acceptance rate \(fmt($0))" } ?? "")")
                line("- reuses the `gfn` sampler's training: \(q.reusedTrainingEnergyWork) units of energy work, \(fmt(q.reusedTrainingSeconds)) s (not in the cost below); \(fmt(q.networkSeconds)) s in the network while sampling")
            }
        }
        if s.name == "mh" || s.name == "gfn-mh" {
            if s.name == "mh" { line("- acceptance rate: \(opt(m.acceptanceRate))") }
            line("- R-hat (rank-normalised, split; ArviZ): energy \(opt(m.rhatEnergy)), magnetisation \(opt(m.rhatMagnetization)) (flagged above 1.01)")
            line("- ESS bulk / tail: energy \(opt(m.essBulkEnergy)) / \(opt(m.essTailEnergy)); magnetisation \(opt(m.essBulkMagnetization)) / \(opt(m.essTailMagnetization)) (flagged under 100 per chain)")
        }
    }

    /// The distance table against the target, with its noise floor.
    static func samplerDistances(_ m: SamplerMetrics, _ line: ReportLines) {
        if let d = m.distances {
            line()
            line("| distance (nats for KL, JS) | to the target | noise floor (mean ± sd) |\(m.modelDistances != nil ? " exact model P_T |" : "")")
            line("|---|---:|---:|\(m.modelDistances != nil ? "---:|" : "")")
            let floor = m.noiseFloor
            func drow(_ name: String, _ k: KeyPath<DistanceSet, Double>) {
                line("| \(name) | \(fmt(d[keyPath: k])) | \(floor.map { "\(fmt($0.mean[keyPath: k])) ± \(fmt($0.sd[keyPath: k]))" } ?? "n/a") |\(m.modelDistances.map { " \(fmt($0[keyPath: k])) |" } ?? "")")
            }
            drow("TV", \.tv)
            drow("KL(sample ‖ target)", \.klSampleToTarget)
            drow("KL(target ‖ sample), Jeffreys-smoothed (α = ½)", \.klTargetToSample)
            drow("Jensen–Shannon", \.jensenShannon)
            drow("Hellinger", \.hellinger)
            line()
            if m.noiseFloor != nil {
                line(Verdict.floorSentence(m))
                line()
            }
        }
    }

    /// The GFlowNet's estimates of log Z and its mode coverage.
    static func gflowNetEstimates(_ m: SamplerMetrics, _ r: RunRecord, _ line: ReportLines) {
        let unusable = (m.logZImportanceEss ?? 0) < DecisionRule.minImportanceEss
        line("- log Z by importance sampling over its samples: \(unusable ? "unusable" : opt(m.logZImportance) + (m.logZImportanceSe.map { " ± " + fmt($0) } ?? "")) (ESS of the weights \(opt(m.logZImportanceEss))\(unusable ? ", under \(fmt(DecisionRule.minImportanceEss)): a few draws carry all the weight; the raw value \(opt(m.logZImportance)) means nothing" : ""); exact \(opt(r.exact.logZ)))")
        if let elbo = m.logZElbo {
            line("- ELBO, mean of log R + log P_B − log P_F over its samples (≤ log Z in expectation): \(fmt(elbo)) ± \(opt(m.logZElboSe)); exact log Z \(opt(r.exact.logZ))")
        }
        if let rho = m.logProbabilityRewardCorrelation {
            line("- correlation of log P_F − log P_B (log P_T(x) on the fixed order) with log R(x) over its samples: \(fmt(rho)) (1 when P_T ∝ R)")
        }
        if let mm = m.modeMassModelExact { line("- exact model mass on m > 0 / m < 0: \(fmt(mm.positive)) / \(fmt(mm.negative))") }
        if let g = r.config.gfn, let target = r.exact.modeMass, target.positive > 0, target.negative > 0 {
            line("- " + modeCoverage(model: m.modeMassModelExact ?? m.modeMass, exactModel: m.modeMassModelExact != nil, target: target,
                                      symmetric: r.exact.spinFlipSymmetric == true, settings: g))
        }
    }

    /// Autocorrelation, chi-square, distinct states and cost of a sampler.
    static func samplerDiagnostics(_ s: SamplerRecord, _ line: ReportLines) {
        let m = s.metrics
        line("- τ_int: energy \(opt(m.tauIntEnergy)), magnetisation \(opt(m.tauIntMagnetization))\(m.tauIntLogWeight.map { ", log importance weight \(fmt($0))" } ?? "") samples; effective draws \(opt(m.effectiveDraws)) (\(m.slowestObservable.map { "slowest observable: \($0)" } ?? "independent draws"))\(s.name == "gfn" ? "; τ = 1 by construction, the measured τ is a check" : "")")
        if let why = m.verdictRefusal { line("- no verdict from these draws: \(why)") }
        if let c = m.chiSquare {
            let slow = max(m.tauIntEnergy ?? 1, m.tauIntMagnetization ?? 1, m.tauIntLogWeight ?? 1)
            let which = c.thin == 1 ? "all draws" : "every \(c.thin)-th sample of each chain: ⌈2·τ_int⌉ for the largest τ_int\(m.tauIntLogWeight == nil ? "" : " (energy, magnetisation, log importance weight \(fmt(m.tauIntLogWeight!)))"), \(fmt(slow))"
                + (m.verdictRefusal == nil ? "" : "; with so few effective draws even these are not nearly independent")
            line("- chi-square: χ² = \(fmt(c.statistic)) on \(c.degreesOfFreedom) df, p = \(fmt(c.pValue)), on \(c.draws) draws (\(which))")
        }
        line("- distinct states visited: \(m.distinctStates.map(String.init) ?? "n/a")")
        line("- cost: \(m.energyEvaluations) energy evaluations (\(m.deltaEnergyEvaluations) local ΔE, \(m.fullEnergyEvaluations) full E(x)\(s.name == "gfn" ? ", all during training: sampling needs none" : s.name == "gfn-mh" ? ", one per GFlowNet proposal and chain start" : "")) = \(m.energyWork.map(String.init) ?? "n/a") units of energy work (a local ΔE is one unit, a full E(x) n units for n variables)")
        line("- wall time: \(fmt(m.wallSeconds)) s" + (m.burnInSeconds.map { " (burn-in \(fmt($0)) s, sampling \(fmt(m.samplingSeconds ?? 0)) s per chain)" } ?? ""))
        line()
    }
}
