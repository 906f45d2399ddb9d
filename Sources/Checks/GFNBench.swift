import Dispatch
import Energies
import Foundation
import GFlowNets
import GFNCore
import NeuralNet
import Comparison
import Exact
import MCMC
import Metrics
import NeuralMCMC
import Settings

/// GFlowNet throughput measurements for `bench`.
enum GFNBench {
    struct Result {
        var trajectoriesPerSecond: Double
        var samplesPerSecond: Double
        /// Three rounds, each timing sampling and then its sgemm reference (``SamplingRound``).
        var samplingRounds: [SamplingRound]
        /// Sampling's GFLOP/s over what sgemm reaches doing its forward products alone: the
        /// median of the rounds' ratios.
        var samplingShareOfSgemm: Double { MCMCDiagnostics.median(samplingRounds.map(\.share)) }
        /// FLOPs of one training step (forward of every kept row, and backward).
        var stepFLOPs: Double
        var stepSeconds: Double
        /// sgemm GFLOP/s doing exactly the products of one training step, nothing else: the better
        /// of OpenBLAS's own threads on the whole batch and (with W training workers) W
        /// single-threaded sets of the shards' products run concurrently.
        var sgemmGFLOPS: Double
        /// The two: OpenBLAS's threads on the whole batch, and the shards' products concurrently (nil: one worker).
        var sgemmThreadedGFLOPS: Double
        var sgemmShardedGFLOPS: Double?
        /// GFlowNet-in-MH independence steps per second (one GFlowNet draw with its log P_F, one
        /// full E(x), one acceptance test each), one chain, and its acceptance rate.
        var gfnMHStepsPerSecond: Double
        var gfnMHAcceptance: Double
        /// Training steps the measured model had taken (warm-up and the three timed rounds).
        var trainedSteps: Int
    }

    /// Trains `iterations` steps (after `warmup`) on a side×side periodic Ising model at β_c and
    /// samples `samples` states.
    /// `sgemmSeconds`: how long each of the three timings of the sgemm references runs.
    static func measure(side: Int, settings: GFlowNetSettings, iterations: Int, warmup: Int, samples: Int, sgemmSeconds: Double = 0.3) throws -> Result {
        let ising = try IsingModel(lattice: SquareLattice(rows: side, cols: side, boundary: .periodic))
        BLASThreads.set(settings.blasThreads)
        let env = SetVariableEnvironment(energy: ising, beta: defaultBeta, order: settings.order)
        let model = try GFlowNet(environment: env, settings: settings, seed: 1)
        let trainer = Trainer(model: model, seed: 1)
        try trainer.train(iterations: warmup)
        // Best of three timings: other load on the machine only ever slows a run down.
        var dt = Double.infinity
        for _ in 0..<3 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try trainer.train(iterations: iterations)
            dt = min(dt, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        // The same trained model as an independence proposal, timed over as many steps as samples.
        let t0 = DispatchTime.now().uptimeNanoseconds
        let chain = try GFlowNetMH.run(gfn: model, kernel: MetropolisKernel(energy: ising, beta: defaultBeta),
                                       schedule: NeuralMCMCSchedule(mode: .independence, chains: 1, burnInSteps: 0, samplesPerChain: samples),
                                       seed: 1, chainStream: StreamPlan.gfnMHChain, proposalStream: StreamPlan.gfnMHProposals)
        let chainSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        // The forward network runs once per construction step on the batch (and on the terminal
        // states when P_B is its head); P_B's own network once per step on every row at once.
        var networks = [NetworkProducts(shape: model.network.shape, steps: env.maxSteps + (model.layout.backwardOnTrunk ? 1 : 0), wholeBatchForward: false)]
        if let own = model.backwardNetwork { networks.append(NetworkProducts(shape: own.shape, steps: env.maxSteps + 1, wholeBatchForward: true)) }
        let threaded = sgemmAtStepShapes(networks: networks, batch: settings.batch, skipFirstLayer: env.hasAdditiveEncoding, seconds: sgemmSeconds)
        let sharded = settings.workers > 1
            ? sgemmAtStepShapes(networks: networks, batch: settings.batch, skipFirstLayer: env.hasAdditiveEncoding, workers: settings.workers, seconds: sgemmSeconds)
            : nil
        // The products a step makes: forward, dW and dX of every layer but the first, whose
        // input gradient is never needed and whose forward and dW products an additive
        // encoding (the Ising environments) replaces by column updates (counted as no FLOPs).
        let flops = networks.reduce(0.0) { total, n in
            let rows = Double(n.steps * settings.batch), macs = Double(n.shape.multiplyAddsPerRow), firstLayer = Double(n.shape.input * n.shape.hidden[0])
            return total + (env.hasAdditiveEncoding ? 2 * rows * 3 * (macs - firstLayer) : 2 * rows * (3 * macs - firstLayer))
        }
        // Sampling: the forward products only, in blocks of up to 512 draws; P_B's own network
        // runs at every step after the first (rows 1…n of a trajectory), the forward network at
        // steps 0…n − 1 (and n, for P_B on the trunk). Every 10×10 and 4×4 trajectory has n steps.
        var sampling = [NetworkProducts(shape: model.network.shape, steps: env.maxSteps + (model.layout.backwardOnTrunk ? 1 : 0), wholeBatchForward: false, forwardOnly: true)]
        if let own = model.backwardNetwork { sampling.append(NetworkProducts(shape: own.shape, steps: env.maxSteps, wholeBatchForward: false, forwardOnly: true)) }
        let samplingFLOPs = sampling.reduce(0.0) { total, n in
            let macs = Double(n.shape.multiplyAddsPerRow) - (env.hasAdditiveEncoding ? Double(n.shape.input * n.shape.hidden[0]) : 0)
            return total + 2 * Double(n.steps * samples) * macs
        }
        // Sampling and its sgemm reference timed in alternation, three rounds (the same draws each
        // time), the share being the median of the rounds' ratios. This machine has slow periods
        // lasting minutes, in which both run slower: a share of two timings taken a minute apart
        // read 65–122% of one binary's sampling across three bench runs.
        let sampleBatch = 512, threads = BLASThreads.current
        var rounds: [SamplingRound] = []
        for _ in 0..<3 {
            // A round takes about a second; a sampling cut short by Ctrl-C is not timed.
            try Interruption.check()
            let s = GFlowNetSampler.sample(model, count: samples, seed: 1, batch: sampleBatch)
            try Interruption.check()
            let threaded = sgemmAtStepShapes(networks: sampling, batch: min(sampleBatch, samples), skipFirstLayer: env.hasAdditiveEncoding,
                                             seconds: sgemmSeconds, timings: 1)
            let sharded = threads > 1 ? sgemmAtStepShapes(networks: sampling, batch: min(sampleBatch, samples), skipFirstLayer: env.hasAdditiveEncoding,
                                                          workers: threads, seconds: sgemmSeconds, timings: 1) : nil
            rounds.append(SamplingRound(seconds: s.seconds, samplingGFLOPS: samplingFLOPs / s.seconds / 1e9,
                                        sgemmThreadedGFLOPS: threaded, sgemmShardedGFLOPS: sharded, threads: threads))
        }
        let fastest = rounds.map(\.seconds).min()!
        return Result(trajectoriesPerSecond: Double(iterations * settings.batch) / dt, samplesPerSecond: Double(samples) / fastest,
                      samplingRounds: rounds,
                      stepFLOPs: flops, stepSeconds: dt / Double(iterations),
                      sgemmGFLOPS: max(threaded, sharded ?? 0), sgemmThreadedGFLOPS: threaded, sgemmShardedGFLOPS: sharded,
                      gfnMHStepsPerSecond: Double(chain[0].proposals) / chainSeconds,
                      gfnMHAcceptance: Double(chain[0].acceptances) / Double(max(chain[0].proposals, 1)), trainedSteps: trainer.record.steps.count)
    }

    /// One round of the sampling share: sampling timed, then sgemm alone on its forward products
    /// in sampling's blocks (up to 512 rows), two ways: OpenBLAS's threads on the whole block,
    /// and the block's rows split into as many single-threaded shards as sampling has threads,
    /// side by side (as the sampler splits its products and rows). The reference is the better
    /// of the two, as for the training step's share.
    struct SamplingRound {
        var seconds: Double
        var samplingGFLOPS: Double
        var sgemmThreadedGFLOPS: Double
        var sgemmShardedGFLOPS: Double?
        /// Sampling's threads, and the shards of the sharded reference.
        var threads: Int
        var sgemmGFLOPS: Double { max(sgemmThreadedGFLOPS, sgemmShardedGFLOPS ?? 0) }
        var share: Double { samplingGFLOPS / sgemmGFLOPS }
    }

    /// The rounds of a sampling share for the bench's table: each round's share, and the
    /// references' medians.
    static func describe(_ rounds: [SamplingRound]) -> String {
        let shares = rounds.map { String(format: "%.0f", 100 * $0.share) }.joined(separator: "/")
        let threaded = MCMCDiagnostics.median(rounds.map(\.sgemmThreadedGFLOPS))
        let sharded = rounds.compactMap(\.sgemmShardedGFLOPS)
        let shards = sharded.count == rounds.count ? String(format: ", %.1f as %d shards", MCMCDiagnostics.median(sharded), rounds[0].threads) : ""
        return String(format: "median of rounds %@%%; sgemm alone: %.1f GFLOP/s threaded%@", shares, threaded, shards)
    }

    /// The products one network makes in a training step: `steps` rows per trajectory, its
    /// forward products per construction step (M = batch) or, `wholeBatchForward`, once over
    /// every row (P_B's own network); `forwardOnly`: no backward products (sampling).
    struct NetworkProducts {
        var shape: MLPShape
        var steps: Int
        var wholeBatchForward: Bool
        var forwardOnly = false
    }

    /// GFLOP/s of the sgemm calls one training step makes (each network's forward products, then
    /// its backward products over all rows), timed alone on random data. With `workers` W > 1:
    /// the products of W shards (the batch split as the trainer splits it), each set single-threaded
    /// on its own thread, all W concurrently (the rate is their total FLOPs over the wall time).
    /// The best of `timings` timings of `seconds` each is returned.
    static func sgemmAtStepShapes(networks: [NetworkProducts], batch: Int, skipFirstLayer: Bool, workers: Int = 1, seconds: Double,
                                  timings: Int = 3) -> Double {
        let blasThreads = BLASThreads.current
        if workers > 1 { BLASThreads.set(1) }
        defer { BLASThreads.set(blasThreads) }
        // Buffers are filled and every set runs once before the clock starts.
        let sets = GFlowNetSettings.shardBatches(batch: batch, workers: workers).map { size in
            networks.map { StepProducts(network: $0, batch: size, skipFirstLayer: skipFirstLayer) }
        }
        let flops = Locked(0.0)
        func runAll(seconds: Double) {
            DispatchQueue.concurrentPerform(iterations: sets.count) { k in
                let done = StepProducts.repeatFor(seconds: seconds, sets[k])
                flops.update { $0 += done }
            }
        }
        runAll(seconds: 0)
        // Best of three timings, as for the training itself.
        var best = 0.0
        for _ in 0..<timings {
            flops.set(0)
            let t0 = DispatchTime.now().uptimeNanoseconds
            runAll(seconds: seconds)
            best = max(best, flops.get() / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9) / 1e9)
        }
        return best
    }
}

/// The products of one training step on random data, for one batch (one shard).
private final class StepProducts: @unchecked Sendable {
    let widths: [Int]
    let firstProduct: Int
    let steps: Int, batch: Int, rows: Int
    let wholeBatchForward: Bool, forwardOnly: Bool
    let blockRows: Int
    let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>

    init(network: GFNBench.NetworkProducts, batch: Int, skipFirstLayer: Bool) {
        widths = network.shape.widths
        firstProduct = skipFirstLayer ? 1 : 0
        steps = network.steps; self.batch = batch; rows = steps * batch
        wholeBatchForward = network.wholeBatchForward; forwardOnly = network.forwardOnly
        blockRows = MLPWorkspace<Float>(shape: network.shape, capacity: 1).blockRows
        let maxWidth = widths.max()!
        a = .allocate(capacity: rows * maxWidth)
        b = .allocate(capacity: maxWidth * maxWidth)
        c = .allocate(capacity: rows * maxWidth)
        let rng = RandomStream(seed: 2)
        for i in 0..<(rows * maxWidth) { a[i] = Float(rng.uniform()); c[i] = 0 }
        for i in 0..<(maxWidth * maxWidth) { b[i] = Float(rng.uniform()) }
    }

    deinit { a.deallocate(); b.deallocate(); c.deallocate() }

    /// Repeats the step's products of every network in `sets` until `seconds` have passed (at
    /// least once); returns their FLOPs.
    static func repeatFor(seconds: Double, _ sets: [StepProducts]) -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        var flops = 0.0
        repeat { for s in sets { flops += s.once() } } while Double(DispatchTime.now().uptimeNanoseconds - t0) < seconds * 1e9
        return flops
    }

    /// One step's products: the forward products of every construction step, then the backward
    /// products in the row blocks MLP.backward uses.
    private func once() -> Double {
        let w = widths
        var flops = 0.0
        let m = wholeBatchForward ? rows : batch
        for _ in 0..<(wholeBatchForward ? 1 : steps) {
            for l in firstProduct..<(w.count - 1) {
                Float.gemm(transA: false, transB: true, m: m, n: w[l + 1], k: w[l], alpha: 1, a: a, lda: w[l], b: b, ldb: w[l], beta: 1, c: c, ldc: w[l + 1])
                flops += 2 * Double(m * w[l] * w[l + 1])
            }
        }
        var start = 0
        while start < rows && !forwardOnly {
            let m = min(blockRows, rows - start)
            for l in stride(from: w.count - 2, through: firstProduct, by: -1) {
                Float.gemm(transA: true, transB: false, m: w[l + 1], n: w[l], k: m, alpha: 1, a: a, lda: w[l + 1], b: c, ldb: w[l], beta: 1, c: b, ldc: w[l])
                flops += 2 * Double(m * w[l] * w[l + 1])
                if l > 0 {
                    Float.gemm(transA: false, transB: false, m: m, n: w[l], k: w[l + 1], alpha: 1, a: a, lda: w[l + 1], b: b, ldb: w[l], beta: 0, c: c, ldc: w[l])
                    flops += 2 * Double(m * w[l] * w[l + 1])
                }
            }
            start += m
        }
        return flops
    }
}

extension GFNBench {
    /// The policy `gfn-compare --energy ising` trains on enumerable lattices: fixed order,
    /// per-step head, one hidden layer (`GFlowNetSettings.defaultHead`, `defaultLayers`).
    static var commandLineDefault: GFlowNetSettings {
        var s = GFlowNetSettings.commandLineDefaults(order: .fixed, beyondEnumeration: false)
        s.head = GFlowNetSettings.defaultHead(order: s.order, objective: s.objective, setVariables: true)
        s.layers = GFlowNetSettings.defaultLayers(head: s.head ?? .shared)
        s.trainWorkers = GFlowNetSettings.defaultTrainWorkers(objective: s.objective, batch: s.batch)
        return s
    }

    /// Training seconds (the command line's default policy, 4×4 periodic at β_c) until the exact P_T is within TV 0.02
    /// of the target and |log Z error| < 0.02, checked every 100 iterations (checks not timed).
    static func timeToQuality(maxIterations: Int) throws -> (Double, Int)? {
        let ising = try IsingModel(lattice: SquareLattice(rows: 4, cols: 4, boundary: .periodic))
        let settings = commandLineDefault
        BLASThreads.set(settings.blasThreads)
        let beta = defaultBeta
        let exact = try Enumerator.enumerate(ising, beta: beta, storeEnergies: true)
        let p = exact.energies!.map { exp(exact.logProbability(energy: $0)) }
        let model = try GFlowNet(environment: SetVariableEnvironment(energy: ising, beta: beta, order: settings.order), settings: settings, seed: 1)
        let trainer = Trainer(model: model, seed: 1)
        while trainer.record.steps.count < maxIterations {
            try trainer.train(iterations: 100)
            let pt = try ModelDistribution.exact(model).map { exp($0) }
            var tv = 0.0
            for i in pt.indices { tv += abs(pt[i] - p[i]) }
            if tv / 2 <= 0.02 && abs(model.logZ - exact.logZ) < 0.02 { return (trainer.record.seconds, trainer.record.steps.count) }
        }
        return nil
    }

    /// Wall seconds of the default MH run (4 chains, 10⁶ samples) on 4×4 at β_c, if its thinned
    /// draws then lie within their noise floor.
    static func mhTimeToQuality() throws -> Double? {
        let settings = RunSettings(energy: .ising(rows: 4, cols: 4, boundary: .periodic, coupling: 1, field: 0), beta: defaultBeta, seed: 1,
                                   schedule: ChainSchedule(chains: 4, burnInSweeps: 1000, samplesPerChain: 250_000, thinSweeps: 1))
        let record = try ComparisonRun.run(settings, command: "bench")
        let m = record.samplers[0].metrics
        return m.withinNoiseFloor == true ? m.wallSeconds : nil
    }
}

/// A value shared by `concurrentPerform`'s workers, behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: Value) { lock.lock(); value = v; lock.unlock() }
    func update(_ body: (inout Value) -> Void) { lock.lock(); body(&value); lock.unlock() }
}
