import Dispatch
import Energies
import Exact
import Foundation
import GFlowNets
import GFNCore
import MCMC
import Metrics
import NeuralNet
import Reporting
import Settings

/// The GFlowNet side of a comparison: train (or load), sample, and score against the truth.
enum GFNRun {
    /// What a saved model must have been trained for: the energy's parameters and β.
    static func target(_ settings: RunSettings, variables: Int) -> [String: String] {
        let c = settings.energy.config(beta: settings.beta, variables: variables)
        var t = ["energy": c.name, "lattice": c.lattice, "boundary": c.boundary, "coupling": "\(c.coupling)", "field": "\(c.field)", "beta": "\(settings.beta)"]
        if let q = c.q { t["q"] = "\(q)" }
        if let d = c.disorder { t["disorder"] = d }
        if let n = c.spins { t["spins"] = "\(n)" }
        if let i = c.instanceSeed { t["instance_seed"] = "\(i)" }
        if let f = c.fileFingerprint { t["file_fingerprint"] = f }
        if let dims = c.dims, let side = c.side, let r = c.rewards { t["grid"] = "\(dims)x\(side) R=\(r)" }
        return t
    }

    /// Reads and checks `--load-model` before any work starts.
    static func preload(settings: RunSettings, variables: Int) throws -> SavedModel? {
        guard let url = settings.loadModel else { return nil }
        let saved = try SavedModel.read(from: url, expecting: target(settings, variables: variables))
        _ = try saved.decodedParameters()
        return saved
    }

    static func run<E: EnergyModel, Env: ExactTerminalDistribution>(
        model: E, environment makeEnvironment: (GFlowNetSettings) -> Env, settings: RunSettings, saved: SavedModel?,
        reference: ExactReference, progress: ProgressReporter, draws archive: DrawArchive?
    ) throws -> (record: SamplerRecord, analysis: SamplerAnalysis, settings: GFlowNetSettings, model: GFlowNet<Env>) {
        guard var gfnSettings = settings.gfn else { throw GFNError.invalidInput("no GFlowNet settings") }
        BLASThreads.set(gfnSettings.blasThreads)
        let gfn: GFlowNet<Env>
        var training = TrainingRecord()
        var curve: QualityCurve?
        var deadlineNote: String?
        if let saved, let url = settings.loadModel {
            gfnSettings = saved.settings
            BLASThreads.set(gfnSettings.blasThreads)
            gfn = try GFlowNet(environment: makeEnvironment(gfnSettings), settings: gfnSettings, parameters: try saved.decodedParameters(), logZ: saved.logZ)
            training = saved.training
            progress.begin("GFlowNet loaded from \(url.path)")
            progress.end("\(saved.training.steps.count) iterations of training, no retraining")
        } else {
            gfn = try GFlowNet(environment: makeEnvironment(gfnSettings), settings: gfnSettings, seed: settings.seed)
            (training, curve, deadlineNote) = try train(gfn, model: model, settings: settings, reference: reference, progress: progress)
        }

        progress.begin("GFlowNet sampling (\(settings.gfnSamples) samples)")
        let samples = drawSamples(gfn, model: model, count: settings.gfnSamples, seed: settings.seed, keepStates: archive != nil)
        try Interruption.check()
        progress.end(String(format: "%.2f s", samples.seconds))
        if let archive, let trace = samples.trace { archiveDraws(samples, trace: trace, variables: model.variableCount, spinFlipMixture: gfn.mixesSpinFlips, into: archive) }

        let draws = samples.draws
        let analysis = SampleAnalysis.analyse(model: model, beta: settings.beta, draws: draws, reference: reference,
                                              seed: settings.seed, floorStream: StreamPlan.noiseFloor(sampler: 1))
        try Interruption.check()
        var metrics = analysis.metrics
        metrics.logZLearned = gfn.learnedLogZ()
        metrics.curve = curve
        if let deadlineNote { metrics.warnings.append(deadlineNote); metrics.wallLimited = true }
        try estimateLogZ(into: &metrics, samples: samples, gfn: gfn, model: model, reference: reference, seed: settings.seed, progress: progress)
        try scoreModelDistribution(into: &metrics, gfn: gfn, model: model, reference: reference, progress: progress)
        if let lz = reference.exact.logZ, let learned = metrics.logZLearned, abs(learned - lz) > 0.5 {
            metrics.warnings.append(String(format: "The learned log Z is off by %.3f (exact %.4f): training has not converged%@.", learned - lz, lz,
                                           abs(abs(learned - lz) - log(2)) < 0.05 ? "; an error of ln 2 is the signature of a sampler that found only one of two symmetric modes" : ""))
        }
        metrics.trainingTrajectories = training.trajectories
        metrics.trainingSeconds = training.seconds
        metrics.fullEnergyEvaluations = training.energyEvaluations
        metrics.deltaEnergyEvaluations = 0
        metrics.energyEvaluations = training.energyEvaluations
        metrics.energyWork = model.variableCount * training.energyEvaluations
        metrics.samplingSeconds = samples.seconds
        metrics.wallSeconds = training.seconds + samples.seconds
        return (SamplerRecord(name: "gfn", metrics: metrics, training: trainingCurve(training)), analysis, gfnSettings, gfn)
    }


    /// Trains `gfn` between checkpoints (at each, the exact TV of P_T where it is affordable, its
    /// cost not counted as training time), saving it with `--save-model`.
    static func train<E: EnergyModel, Env: ExactTerminalDistribution>(
        _ gfn: GFlowNet<Env>, model: E, settings: RunSettings, reference: ExactReference, progress: ProgressReporter
    ) throws -> (TrainingRecord, QualityCurve?, String?) {
        let gfnSettings = gfn.settings
        var curve: QualityCurve?
        var deadlineNote: String?
        let target = target(settings, variables: model.variableCount)
        let trainer = Trainer(model: gfn, seed: settings.seed)
        trainer.deadlineAtIteration = settings.deadlineAtIteration
        let iterations = settings.fault == .gfnUndertrained ? gfnSettings.iterations / 10 : gfnSettings.iterations
        progress.begin("GFlowNet training (\(gfnSettings.objective.rawValue), \(gfnSettings.order.rawValue) order, \(gfnSettings.iterations) iterations)")
        let total = Double(max(gfnSettings.iterations, 1))
        // Train between checkpoints; at each, the exact TV of P_T (its cost is not counted as training time).
        let curveTarget = reference.probabilities.flatMap { p in (p.count <= 1 << 18 && Env.inexactReason(gfn) == nil) ? p : nil }
        var checkpoints: [Int] = []
        var k = 10.0
        while Int(k) < iterations { checkpoints.append(Int(k)); k *= 1.6 }
        checkpoints.append(iterations)
        var evaluations: [Int] = [], seconds: [Double] = [], tvs: [Double] = []
        var done = 0
        // After the first iterations (2 s or 50 of them past the first), the expected duration;
        // then the iteration, loss, learned log Z and time left on the progress line. The rate
        // leaves out the first iteration, which also touches every training buffer for the
        // first time (on 32×32 with 1,024 hidden units: 3.7 s against 0.85 s for the next ones).
        let started = DispatchTime.now().uptimeNanoseconds
        var firstDone = 0.0
        var announced = false
        let report: (Int, Double) -> Bool = { i, loss in
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            if i == 1 { firstDone = elapsed }
            let rate = i > 1 ? Double(i - 1) / max(elapsed - firstDone, 1e-9) : 1 / max(elapsed, 1e-9)
            let left = Double(max(iterations - i, 0)) / rate
            if !announced && i > 1 && (elapsed - firstDone >= 2 || i >= 50) && iterations > i {
                announced = true
                progress.note(String(format: "expected to take about %.0f s in all (%d iterations at %.1f per second)",
                                     elapsed + left, iterations, rate))
            }
            progress.update(Double(i) / total, detail: String(format: "it %d/%d, loss %@, log Z %@, ~%.0f s left",
                                                              i, iterations, MarkdownReport.fmt(loss), MarkdownReport.fmt(gfn.learnedLogZ()), left))
            return true
        }
        for c in checkpoints where c > done {
            try trainer.train(iterations: c - done, progress: report)
            done = c
            if let p = curveTarget {
                let pt = try Env.terminalDistribution(gfn)
                evaluations.append(trainer.record.energyEvaluations)
                seconds.append(trainer.record.seconds)
                tvs.append(Distances.totalVariation(pt, p))
            }
        }
        if trainer.stoppedByDeadline {
            let bound = gfnSettings.trainSeconds.map { "its --train-seconds \(MarkdownReport.fmt($0)) bound" } ?? "the --time-limit deadline"
            deadlineNote = "training stopped at \(bound) after \(trainer.record.steps.count) of \(iterations) iterations: these results are partial (a wall-bounded run reproduces in its iteration count, not its time)"
        }
        if !tvs.isEmpty { curve = QualityCurve(measure: "exact model TV", energyEvaluations: evaluations, wallSeconds: seconds, tv: tvs) }
        let training = trainer.record
        progress.end(String(format: "loss %@, log Z %@, %.2f s", MarkdownReport.fmt(training.steps.last?.loss ?? .nan),
                            MarkdownReport.fmt(gfn.learnedLogZ()), training.seconds))
        if let url = settings.saveModel {
            try SavedModel(model: gfn, target: target, seed: settings.seed, training: training, toolVersion: toolInfo.version).write(to: url)
        }
        return (training, curve, deadlineNote)
    }

    /// `--save-draws`: the draws with log P_F and log P_B (and log P_T where it is exact).
    static func archiveDraws(_ samples: (draws: DrawSet, logPF: [Double], logPB: [Double], logReward: [Double], seconds: Double, trace: ChainTrace?),
                             trace: ChainTrace, variables: Int, spinFlipMixture: Bool, into archive: DrawArchive) {
        // log P_T(x) = log P_F(τ) exactly when every log P_B is 0 (the fixed order: one
        // trajectory per state), and log P_F − log P_B exactly for the spin-flip mixture (its
        // P_B is the exact posterior of the two trajectories); otherwise P_F/P_B is a
        // one-trajectory estimate of P_T, so only log P_F and log P_B are written.
        var series = [("log_pf", samples.logPF), ("log_pb", samples.logPB)]
        var notes = ["log_pf": "log P_F(τ) of the trajectory that built the draw", "log_pb": "log P_B(τ|x) of that trajectory"]
        if spinFlipMixture {
            series.append(("log_pt", zip(samples.logPF, samples.logPB).map { $0 - $1 }))
            notes["log_pt"] = "log P_T(x) = log(½·q(x) + ½·q(x̄)), exact: the spin-flip mixture of the fixed-order policy q"
        } else if samples.logPB.allSatisfy({ $0 == 0 }) {
            series.append(("log_pt", samples.logPF))
            notes["log_pt"] = "log P_T(x), exact: every state has one trajectory (P_B = 1, the fixed order)"
        }
        archive.add(SamplerDraws(name: "gfn", traces: [trace], variables: variables, independent: true, extra: series, notes: notes))
    }

    /// log Z from the GFlowNet's draws: importance sampling (with its SE and weight ESS), the
    /// ELBO, and beyond enumeration the EUBO from the reference's states and the importance-weighted
    /// observables.
    static func estimateLogZ<E: EnergyModel, Env: ExactTerminalDistribution>(
        into metrics: inout SamplerMetrics, samples: (draws: DrawSet, logPF: [Double], logPB: [Double], logReward: [Double], seconds: Double, trace: ChainTrace?),
        gfn: GFlowNet<Env>, model: E, reference: ExactReference, seed: UInt64, progress: ProgressReporter
    ) throws {
        let draws = samples.draws
        // Importance-sampling log Z: Z = E_{τ~P_F}[R(x)·P_B(τ|x)/P_F(τ)], unbiased for Z.
        // log R(x) is the environment's (−β·E(x) for the energies), the reward the GFlowNet was trained on.
        let logWeights = zip(samples.logReward, zip(samples.logPB, samples.logPF)).map { $0 + $1.0 - $1.1 }
        let logZIS = LogSpace.logMeanExp(logWeights)
        metrics.logZImportance = logZIS.isFinite ? logZIS : nil
        let w = logWeights.map { exp($0 - logZIS) }
        let sumW = w.reduce(0, +), sumW2 = w.reduce(0) { $0 + $1 * $1 }
        metrics.logZImportanceEss = sumW2 > 0 ? sumW * sumW / sumW2 : nil
        if w.count >= 2, logZIS.isFinite {
            // The weights are relative to their mean (which is 1): SE of log mean w ≈ sd(w)/√N.
            let variance = w.reduce(0) { $0 + ($1 - 1) * ($1 - 1) } / Double(w.count - 1)
            metrics.logZImportanceSe = (variance / Double(w.count)).squareRoot()
        }
        // The ELBO (mean log weight ≤ log Z in expectation) with its standard error, and how well
        // the sampler's log-probability tracks the log-reward (1 when P_T ∝ R).
        let n = Double(logWeights.count)
        if n >= 2 {
            let mean = logWeights.reduce(0, +) / n
            let variance = logWeights.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
            if mean.isFinite && variance.isFinite {
                metrics.logZElbo = mean
                metrics.logZElboSe = (variance / n).squareRoot()
            }
            let logModel = zip(samples.logPF, samples.logPB).map { $0 - $1 }
            metrics.logProbabilityRewardCorrelation = PairedStatistics.pearson(logModel, samples.logReward)
        }
        if reference.distribution == nil, !reference.referenceStates.isEmpty {
            progress.begin("GFlowNet EUBO from \(reference.referenceStates.count / model.variableCount) reference states")
            if let (eubo, se) = try eubo(gfn, model: model, states: reference.referenceStates, seed: seed) {
                metrics.logZEubo = eubo; metrics.logZEuboSe = se
            }
            progress.end(metrics.logZEubo.map { "EUBO " + MarkdownReport.fmt($0) } ?? "n/a")
        }
        if reference.distribution == nil {
            metrics.importanceWeighted = SampleAnalysis.importanceWeighted(logWeights: logWeights, energies: draws.energies[0],
                                                                           magnetizations: draws.magnetizations[0], variables: model.variableCount)
        }
        if let ess = metrics.logZImportanceEss, ess < DecisionRule.minImportanceEss {
            metrics.warnings.append(String(format: "The importance-sampled log Z is unusable: its weights have an ESS of %.1f out of %d draws (under %.0f), so a few draws carry all the weight and neither the estimate nor its error can be trusted.",
                                           ess, samples.logPF.count, DecisionRule.minImportanceEss))
        }
    }

    /// Where the target is enumerated: P_T exactly, its distances to p and its mode masses.
    static func scoreModelDistribution<E: EnergyModel, Env: ExactTerminalDistribution>(
        into metrics: inout SamplerMetrics, gfn: GFlowNet<Env>, model: E, reference: ExactReference, progress: ProgressReporter
    ) throws {
        if reference.distribution != nil, let p = reference.probabilities {
            if let why = Env.inexactReason(gfn) {
                metrics.tvModelExactNote = why
            } else {
                progress.begin("GFlowNet exact model distribution P_T")
                let pt = try Env.terminalDistribution(gfn)
                let d = DistanceSet.exact(pt, p)
                metrics.modelDistances = d
                metrics.tvModelExact = d.tv
                // Mode masses of P_T itself.
                var pos = 0.0, neg = 0.0, zero = 0.0
                let x = UnsafeMutablePointer<UInt8>.allocate(capacity: model.variableCount)
                defer { x.deallocate() }
                for key in 0..<pt.count {
                    model.decode(UInt64(key), into: x)
                    var mag = 0.0
                    for i in 0..<model.variableCount { mag += model.spin(x[i]) }
                    if mag > 0.5 { pos += pt[key] } else if mag < -0.5 { neg += pt[key] } else { zero += pt[key] }
                }
                let modes = ModeMassRecord(positive: pos, zero: zero, negative: neg)
                metrics.modeMassModelExact = modes
                if let exactModes = reference.exact.modeMass {
                    metrics.warnings += SampleAnalysis.modeWarnings(sampler: modes, exact: exactModes, what: "the GFlowNet's exact model distribution")
                }
                progress.end("TV(P_T, p) = \(MarkdownReport.fmt(d.tv))")
            }
        } else {
            metrics.tvModelExactNote = reference.distribution == nil
                ? "the target is not enumerable, so no distance to it is exact"
                : "the target has more than 2^22 states: its probability table is not kept"
        }
    }

    /// The GFlowNet's draws from stream (seed, sampling) with their trajectory log-probabilities.
    /// States are recorded as they are drawn (not through 64-bit keys, which wrap beyond 64 spins).
    static func drawSamples<E: EnergyModel, Env: ConstructionEnvironment>(_ gfn: GFlowNet<Env>, model: E, count: Int, seed: UInt64,
                                                                          keepStates: Bool = false)
        -> (draws: DrawSet, logPF: [Double], logPB: [Double], logReward: [Double], seconds: Double, trace: ChainTrace?) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        var recorder = TraceRecorder(model: model, capacity: count, keepStates: keepStates)
        var logPF: [Double] = [], logPB: [Double] = [], logReward: [Double] = []
        logPF.reserveCapacity(count); logPB.reserveCapacity(count); logReward.reserveCapacity(count)
        let x = UnsafeMutablePointer<UInt8>.allocate(capacity: model.variableCount)
        defer { x.deallocate() }
        let env = gfn.environment
        GFlowNetSampler.forEachSample(gfn, count: count, rng: RandomStream(seed: seed, stream: GFlowNetStreams.sampling)) { s, pf, pb in
            env.assignment(of: s, into: x)
            recorder.record(UnsafePointer(x))
            logPF.append(pf); logPB.append(pb); logReward.append(env.logReward(s))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let trace = recorder.finish(counters: MoveCounters(), burnInSeconds: 0, samplingSeconds: seconds)
        return (DrawSet(independent: trace), logPF, logPB, logReward, seconds, keepStates ? trace : nil)
    }

    /// At most 500 evenly spaced points of the training record (always including the last).
    static func trainingCurve(_ r: TrainingRecord) -> TrainingCurve {
        let n = r.steps.count
        let stride = max(1, (n + 499) / 500)
        var idx = Array(Swift.stride(from: stride - 1, to: n, by: stride))
        if let last = idx.last, last != n - 1, n > 0 { idx.append(n - 1) }
        return TrainingCurve(iteration: idx.map { r.steps[$0].iteration }, loss: idx.map { r.steps[$0].loss }, logZ: idx.map { r.steps[$0].logZ })
    }
}

extension GFNRun {
    /// The EUBO from reference states: each state's trajectory drawn back with P_B (stream
    /// `StreamPlan.gfnEubo`; on the fixed order the one trajectory, so its term is log R − log P_T
    /// exactly) and scored, log R(x) − (log P_F(τ) − log P_B(τ|x)), in batches of 256. Its MCSE
    /// treats the states as the correlated chain they are.
    static func eubo<Env: ConstructionEnvironment, E: EnergyModel>(_ gfn: GFlowNet<Env>, model: E, states: [UInt8], seed: UInt64) throws -> (Double, Double)? {
        let n = model.variableCount, count = states.count / n
        guard count >= 2 else { return nil }
        let env = gfn.environment
        let batch = 256
        let scorer = BackwardTrajectoryScorer(gfn, capacity: batch)
        let rng = RandomStream(seed: seed, stream: StreamPlan.gfnEubo)
        let buffer = UnsafeMutablePointer<Int32>.allocate(capacity: batch * env.stateSize)
        defer { buffer.deallocate() }
        var logW = [Double](repeating: 0, count: batch), logR = [Double](repeating: 0, count: batch)
        var bounds: [Double] = []
        bounds.reserveCapacity(count)
        try states.withUnsafeBufferPointer { all in
            var start = 0
            while start < count {
                let rows = min(batch, count - start)
                for r in 0..<rows {
                    env.writeTerminal(assignment: all.baseAddress! + (start + r) * n, into: buffer + r * env.stateSize)
                    logR[r] = env.logReward(buffer + r * env.stateSize)  // before scoring, which walks the rows back to s_0
                }
                logW.withUnsafeMutableBufferPointer { scorer.score(buffer, rows: rows, rng: rng, into: $0.baseAddress!) }
                for r in 0..<rows { bounds.append(logR[r] - logW[r]) }
                start += rows
                try Interruption.check()
            }
        }
        let mean = bounds.reduce(0, +) / Double(bounds.count)
        let se = MCMCDiagnostics.mcseMean([bounds])
        return mean.isFinite && se.isFinite ? (mean, se) : nil
    }
}
