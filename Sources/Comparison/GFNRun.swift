import Dispatch
import Energies
import Exact
import Foundation
import GFlowNets
import GFNCore
import Metrics
import NeuralNet
import Reporting

/// The GFlowNet side of a comparison: train (or load), sample, and score against the truth.
enum GFNRun {
    /// What a saved model must have been trained for: the energy's parameters and β.
    static func target(_ model: IsingModel, beta: Double) -> [String: String] {
        ["energy": "ising", "lattice": model.lattice.label, "boundary": model.lattice.boundary.rawValue,
         "coupling": "\(model.coupling)", "field": "\(model.field)", "beta": "\(beta)"]
    }

    /// Reads and checks `--load-model` before any work starts.
    static func preload(model: IsingModel, settings: RunSettings) throws -> SavedModel? {
        guard let url = settings.loadModel else { return nil }
        let saved = try SavedModel.read(from: url, expecting: target(model, beta: settings.beta))
        _ = try saved.decodedParameters()
        return saved
    }

    static func run(model: IsingModel, settings: RunSettings, saved: SavedModel?, reference: ExactReference, progress: ProgressReporter) throws -> (SamplerRecord, GFlowNetSettings) {
        guard var gfnSettings = settings.gfn else { throw GFNError.invalidInput("no GFlowNet settings") }
        let target = target(model, beta: settings.beta)
        BLASThreads.set(gfnSettings.blasThreads)
        var gfn: GFlowNet<SetVariableEnvironment<IsingModel>>
        var training = TrainingRecord()
        if let saved, let url = settings.loadModel {
            gfnSettings = saved.settings
            BLASThreads.set(gfnSettings.blasThreads)
            let env = SetVariableEnvironment(energy: model, beta: settings.beta, order: gfnSettings.order)
            gfn = try GFlowNet(environment: env, settings: gfnSettings, parameters: try saved.decodedParameters(), logZ: saved.logZ)
            training = saved.training
            progress.begin("GFlowNet loaded from \(url.path)")
            progress.end("\(saved.training.steps.count) iterations of training, no retraining")
        } else {
            let env = SetVariableEnvironment(energy: model, beta: settings.beta, order: gfnSettings.order)
            gfn = try GFlowNet(environment: env, settings: gfnSettings, seed: settings.seed)
            let trainer = Trainer(model: gfn, seed: settings.seed)
            progress.begin("GFlowNet training (\(gfnSettings.objective.rawValue), \(gfnSettings.order.rawValue) order, \(gfnSettings.iterations) iterations)")
            let total = Double(max(gfnSettings.iterations, 1))
            try trainer.train(iterations: gfnSettings.iterations) { i, _ in progress.update(Double(i) / total); return true }
            training = trainer.record
            progress.end(String(format: "loss %@, log Z %@, %.2f s", MarkdownReport.fmt(training.steps.last?.loss ?? .nan),
                                MarkdownReport.fmt(gfn.learnedLogZ()), training.seconds))
            if let url = settings.saveModel {
                try SavedModel(model: gfn, target: target, seed: settings.seed, training: training, toolVersion: toolInfo.version).write(to: url)
            }
        }

        progress.begin("GFlowNet sampling (\(settings.gfnSamples) samples)")
        let samples = GFlowNetSampler.sample(gfn, count: settings.gfnSamples, seed: settings.seed)
        progress.end(String(format: "%.2f s", samples.seconds))

        var metrics = SampleAnalysis.metrics(model: model, draws: DrawSet(independentKeys: samples.keys, model: model), reference: reference)
        metrics.logZLearned = gfn.learnedLogZ()
        if let exact = reference.distribution {
            if let why = ModelDistribution.inexactReason(gfn) {
                metrics.tvModelExactNote = why
            } else {
                progress.begin("GFlowNet exact model distribution P_T")
                let logPT = try ModelDistribution.exact(gfn)
                let x = UnsafeMutablePointer<UInt8>.allocate(capacity: model.variableCount)
                defer { x.deallocate() }
                var tv = 0.0
                for key in 0..<logPT.count {
                    model.decode(UInt64(key), into: x)
                    tv += abs(exp(logPT[key]) - exp(exact.logProbability(energy: model.energy(UnsafePointer(x)))))
                }
                metrics.tvModelExact = tv / 2
                progress.end("TV(P_T, p) = \(MarkdownReport.fmt(tv / 2))")
            }
        } else {
            metrics.tvModelExactNote = "the target is not enumerable, so no distance to it is exact"
        }
        metrics.trainingTrajectories = training.trajectories
        metrics.trainingSeconds = training.seconds
        metrics.fullEnergyEvaluations = training.energyEvaluations
        metrics.deltaEnergyEvaluations = 0
        metrics.energyEvaluations = training.energyEvaluations
        metrics.samplingSeconds = samples.seconds
        metrics.wallSeconds = training.seconds + samples.seconds
        return (SamplerRecord(name: "gfn", metrics: metrics, training: curve(training)), gfnSettings)
    }

    /// At most 500 evenly spaced points of the training record (always including the last).
    static func curve(_ r: TrainingRecord) -> TrainingCurve {
        let n = r.steps.count
        let stride = max(1, (n + 499) / 500)
        var idx = Array(Swift.stride(from: stride - 1, to: n, by: stride))
        if let last = idx.last, last != n - 1, n > 0 { idx.append(n - 1) }
        return TrainingCurve(iteration: idx.map { r.steps[$0].iteration }, loss: idx.map { r.steps[$0].loss }, logZ: idx.map { r.steps[$0].logZ })
    }
}
