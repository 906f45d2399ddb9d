import Dispatch
import Foundation
import GFNCore
import NeuralNet
import Settings

/// One training iteration's numbers.
public struct TrainingStep: Sendable, Codable, Equatable {
    public var iteration: Int
    public var loss: Double
    /// The learned log Z after the step (null for flow matching, which has no log Z parameter).
    public var logZ: Double?
}

/// What training did: the loss curve and the cost.
public struct TrainingRecord: Sendable, Codable, Equatable {
    public var steps: [TrainingStep] = []
    public var trajectories = 0
    /// Full E(x) evaluations (one per sampled trajectory's terminal state).
    public var energyEvaluations = 0
    public var seconds = 0.0
    public init() {}
}

/// Trains a ``GFlowNetModel`` on batches of trajectories sampled from an exploratory version of
/// its own forward policy. All buffers are allocated once.
///
/// A step is: roll out a batch (one network pass per construction step, activations kept),
/// score it (log P_F, log P_B, log F of every step from those same outputs — no second forward
/// pass), evaluate the objective's residuals and their gradients, backpropagate through every
/// kept row at once, clip, and take an Adam step (log Z has its own Adam state and rate).
///
/// Off-policy bookkeeping: actions are drawn from the behaviour policy
/// (1 − ε)·softmax(logits / T) + ε·uniform, but the loss uses the model's own log P_F
/// (temperature 1, no ε), which is what the balance conditions constrain.
///
/// With W > 1 training workers (`GFlowNetSettings.trainWorkers`) the trainer owns W shard
/// trainers, one per block of consecutive trajectories, each with its own random stream
/// (`StreamPlan.gfnTrainingShard`) and buffers. A step runs every shard's rollout and scoring
/// concurrently, then (serially, cheap) the whole batch's normalisers, then every shard's
/// objective and backward pass concurrently, and sums their losses and gradients in shard
/// order. Each shard's products run single-threaded, so the bits depend on W only. Measured:
/// the products at batch 64 are too small for OpenBLAS to split well (its second thread mostly
/// waited), and the softmax and bookkeeping between them ran on one core.
public final class Trainer<Env: ConstructionEnvironment, T: BLASScalar> {
    public let model: GFlowNetModel<Env, T>
    public internal(set) var record = TrainingRecord()
    /// Whether training stopped early at a wall-time bound (`--time-limit`, `--train-seconds`).
    public private(set) var stoppedByDeadline = false
    /// Stop after this many iterations as if the `--time-limit` deadline had passed there
    /// (`reproduce` of a wall-bounded run: the iteration count is what reproduces, not the time).
    public var deadlineAtIteration: Int?
    let env: Env
    let batch: Int
    let steps: Int
    let rng: RandomStream
    let workspace: MLPWorkspace<T>
    var adam: Adam<T>
    /// Every network parameter in one Adam group (built once: no allocation per step).
    let adamGroups: [(range: Range<Int>, rate: Double)]
    // log Z has its own Adam state, in Double.
    var logZMoment1 = 0.0, logZMoment2 = 0.0
    /// Whether log Z has been started from the first batch's estimate.
    var logZStarted = false
    /// Whether the rollout already wrote log P_F and the forward probabilities of every sampled
    /// row (it does at temperature 1, where the exponentials it samples from are exactly the
    /// policy's); `replayLoss` recomputes the outputs and clears it.
    var forwardScoredInRollout = false

    /// The factor on log R this step: with `annealFraction` f, β ramps linearly from β/K to β
    /// over the first f·iterations (K = the iterations of the ramp), as variational
    /// autoregressive networks anneal; 1 otherwise. Tempering log R targets p^s, whose modes are
    /// broader, so the policy learns both signs before the target sharpens.
    var rewardScale: Double {
        guard let f = model.settings.annealFraction, f > 0 else { return 1 }
        let ramp = max(1, f * Double(model.settings.iterations))
        return min(1, Double(iteration + 1) / ramp)
    }
    /// The factor the learning-rate schedule puts on both rates this step.
    var learningRateFactor: Double { model.settings.learningRateFactor(iteration: iteration) }
    /// dL/dθ of the last step (before clipping).
    public internal(set) var gradient: [T]
    /// dL/d log Z of the last step.
    public internal(set) var logZGradient = 0.0
    var usedRows = 0
    /// The shards of a batch split between workers (empty: this trainer rolls out the whole batch).
    let shards: [Trainer]
    /// On a shard: what it needs of the whole batch, set by the trainer that owns it.
    var wholeBatch: WholeBatch?
    /// On a shard: its share of the whole batch's loss in the last step.
    var shardLoss = 0.0

    /// What a shard's objective needs of the whole batch: its trajectories and (for DB, whose mean
    /// is over them) transitions, VarGrad's batch mean of ζ, and the iteration (for annealing).
    struct WholeBatch {
        var trajectories: Int
        var transitions = 0
        var varGradMean: Double?
        var iteration: Int
    }

    /// Trajectories the objective averages over: the whole batch's, also on a shard.
    var batchTrajectories: Int { wholeBatch?.trajectories ?? batch }
    /// The iteration this step is (0-based).
    var iteration: Int { wholeBatch?.iteration ?? record.steps.count }

    // Rollout buffers, indexed by row r = t·B + b (state s_t of trajectory b).
    let states: UnsafeMutablePointer<Int32>
    let actions: UnsafeMutablePointer<Int32>
    let lengths: UnsafeMutablePointer<Int>
    let logR: UnsafeMutablePointer<Double>
    let logPF: UnsafeMutablePointer<Double>
    /// logPB[r] = log P_B(s_{t} | s_{t+1}) for the transition leaving row r.
    let logPB: UnsafeMutablePointer<Double>
    let logF: UnsafeMutablePointer<Double>
    let forwardProbs: UnsafeMutablePointer<T>
    let forwardMasks: UnsafeMutablePointer<Bool>
    let backwardProbs: UnsafeMutablePointer<T>?
    let backwardMasks: UnsafeMutablePointer<Bool>?
    let backwardActions: UnsafeMutablePointer<Int32>
    let gPF: UnsafeMutablePointer<Double>
    let gPB: UnsafeMutablePointer<Double>
    let gF: UnsafeMutablePointer<Double>
    let behaviour: UnsafeMutablePointer<Double>
    // Additive encodings (see ``ConstructionEnvironment/hasAdditiveEncoding``): the first layer
    // is never multiplied out. Row r's pre-activation is row (r − B)'s plus the weight column of
    // the input its action switched on, and dL/dW₀'s column for an input is the sum of dL/dz₀
    // over every later row of the trajectory. Flow matching keeps the dense path (its parents'
    // inputs are encoded separately).
    /// log R̃ of each row's state (forward-looking flows): the shares of log R its actions fixed.
    let partialLogR: UnsafeMutablePointer<Double>?
    let incremental: Bool
    /// The input each row's action switched on (−1: no action from that row).
    let addedInputs: UnsafeMutablePointer<Int32>
    /// W₀ transposed (input × width₁), refreshed before each rollout.
    let firstColumns: UnsafeMutablePointer<T>?
    /// dL/dW₀ in the same layout, and per-trajectory running sums of dL/dz₀.
    let columnGradient: UnsafeMutablePointer<T>?
    let laterRowsGradient: UnsafeMutablePointer<T>?
    /// The learned P_B's own network (`--backward-network separate`): its activations over every
    /// kept row, computed after the rollout in one pass (rows B·(steps+1) tall, not B), and (additive
    /// encodings) its W₀ transposed, refreshed before each pass.
    let backwardWorkspace: MLPWorkspace<T>?
    let backwardColumns: UnsafeMutablePointer<T>?
    // Flow matching: the parents of every visited state, with their own workspace.
    var parentWorkspace: MLPWorkspace<T>?
    var parentStates: [Int32] = []
    var parentActions: [Int] = []
    var parentOwners: [(row: Int, first: Int, count: Int)] = []

    /// Bytes the training buffers take for this environment and settings (activations of every
    /// kept row, probabilities, masks), so a run that cannot fit is refused before it starts.
    public static func memoryEstimate(environment env: Env, settings: GFlowNetSettings) -> Double {
        let rows = Double((env.maxSteps + 1) * settings.batch)
        // Per row of a network: its input, every layer's activations, z₀ and dL/dz₀, the output gradient.
        let trunk = env.encodingWidth + settings.layers * settings.hidden + 2 * settings.hidden
        let ownBackward = settings.backwardInOwnNetwork ? trunk + 2 * env.backwardActionCount : 0
        let widths = Double(trunk + 2 * (env.forwardActionCount + env.backwardActionCount + 1) + ownBackward)
        let perRow = widths * Double(MemoryLayout<T>.size) + Double(env.forwardActionCount) * Double(MemoryLayout<T>.size + 1)
            + Double(env.stateSize * 4 + 64)
        return rows * perRow
    }

    public convenience init(model: GFlowNetModel<Env, T>, seed: UInt64) {
        let w = model.settings.workers, batch = model.settings.batch
        let shards = w > 1 ? GFlowNetSettings.shardBatches(batch: batch, workers: w).enumerated().map { k, size in
            Trainer(model: model, seed: seed, stream: StreamPlan.gfnTrainingShard(k), rolloutBatch: size, shards: [], optimises: false)
        } : []
        self.init(model: model, seed: seed, stream: GFlowNetStreams.training, rolloutBatch: w > 1 ? 0 : batch, shards: shards, optimises: true)
    }

    /// A trainer rolling out `rolloutBatch` trajectories a step from `stream` (a shard, or the
    /// whole batch), or — with shards — none itself (its buffers are then empty). A shard does not
    /// `optimise`: it keeps no Adam state (its owner takes the step).
    init(model: GFlowNetModel<Env, T>, seed: UInt64, stream: UInt64, rolloutBatch: Int, shards: [Trainer], optimises: Bool) {
        self.model = model
        self.shards = shards
        env = model.environment
        batch = shards.isEmpty ? rolloutBatch : model.settings.batch
        steps = env.maxSteps
        rng = RandomStream(seed: seed, stream: stream)
        let rows = (steps + 1) * rolloutBatch
        workspace = MLPWorkspace<T>(shape: model.network.shape, capacity: rows)
        adam = Adam<T>(parameterCount: optimises ? model.parameters.count : 0)
        adamGroups = [(0..<model.parameters.count, model.settings.learningRate)]
        gradient = [T](repeating: 0, count: model.parameters.count)
        let A = env.forwardActionCount, Bk = env.backwardActionCount
        states = .allocate(capacity: rows * env.stateSize)
        actions = .allocate(capacity: rows)
        lengths = .allocate(capacity: rolloutBatch)
        logR = .allocate(capacity: rolloutBatch)
        logPF = .allocate(capacity: rows)
        logPB = .allocate(capacity: rows)
        logF = .allocate(capacity: rows)
        forwardProbs = .allocate(capacity: rows * A)
        forwardMasks = .allocate(capacity: rows * A)
        let learned = model.layout.backward != nil
        backwardProbs = learned ? .allocate(capacity: rows * Bk) : nil
        backwardMasks = learned ? .allocate(capacity: rows * Bk) : nil
        backwardActions = .allocate(capacity: rows)
        gPF = .allocate(capacity: rows)
        gPB = .allocate(capacity: rows)
        gF = .allocate(capacity: rows)
        behaviour = .allocate(capacity: 2 * max(A, Bk))  // softmaxDraw's scratch
        partialLogR = model.settings.forwardLooking == true ? .allocate(capacity: rows) : nil
        incremental = env.hasAdditiveEncoding && model.settings.objective != .fm
        addedInputs = .allocate(capacity: rows)
        let inputs = env.encodingWidth, hidden = model.network.widths[1]
        firstColumns = incremental ? .allocate(capacity: inputs * hidden) : nil
        columnGradient = incremental ? .allocate(capacity: inputs * hidden) : nil
        laterRowsGradient = incremental ? .allocate(capacity: rolloutBatch * hidden) : nil
        backwardWorkspace = model.backwardNetwork.map { MLPWorkspace<T>(shape: $0.shape, capacity: rows) }
        backwardColumns = incremental && model.backwardNetwork != nil ? .allocate(capacity: inputs * hidden) : nil
    }

    deinit {
        states.deallocate(); actions.deallocate(); lengths.deallocate(); logR.deallocate()
        logPF.deallocate(); logPB.deallocate(); logF.deallocate()
        forwardProbs.deallocate(); forwardMasks.deallocate()
        backwardProbs?.deallocate(); backwardMasks?.deallocate(); backwardActions.deallocate()
        gPF.deallocate(); gPB.deallocate(); gF.deallocate(); behaviour.deallocate()
        addedInputs.deallocate(); partialLogR?.deallocate(); firstColumns?.deallocate(); columnGradient?.deallocate(); laterRowsGradient?.deallocate()
        backwardColumns?.deallocate()
    }

    /// Runs `iterations` training steps.
    ///
    /// - Parameter iterations: how many steps (one batch of trajectories each).
    /// - Parameter progress: called after each step with (iteration, loss); return false to stop early.
    /// - Throws: `GFNError.runtime` when the loss, a gradient or log Z stops being finite.
    public func train(iterations: Int, progress: ((Int, Double) -> Bool)? = nil) throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { record.seconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
        // --train-seconds counts training time only (record.seconds: earlier calls; t0: this one);
        // a rerun stopped at a given iteration (deadlineAtIteration) ignores it.
        let bound = deadlineAtIteration == nil ? model.settings.trainSeconds : nil
        for _ in 0..<iterations {
            try Interruption.check()
            if Interruption.deadlinePassed || deadlineAtIteration.map({ record.steps.count >= $0 }) == true { stoppedByDeadline = true; break }
            if let bound, record.seconds + Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 >= bound { stoppedByDeadline = true; break }
            let loss = try step()
            if let progress, !progress(record.steps.count, loss) { break }
        }
    }

    /// One step: sample a batch, compute the objective and its gradient, update. Returns the loss.
    @discardableResult
    public func step() throws -> Double {
        let loss = sampleAndDifferentiate()
        let iteration = record.steps.count + 1
        let norm = gradient.withUnsafeMutableBufferPointer { clipGradientNorm($0.baseAddress!, count: $0.count, maxNorm: model.settings.clipNorm) }
        guard loss.isFinite, norm.isFinite, logZGradient.isFinite else {
            throw GFNError.runtime(String(
                format: "training diverged at iteration %d: the %@ is not finite; the learning rate (--lr %g, --lr-logz %g) is the likely cause",
                iteration, loss.isFinite ? "gradient" : "loss", model.settings.learningRate, model.settings.learningRateLogZ))
        }
        // Adam's groups cover every parameter (see init), so its finiteness check covers them all.
        let finite = gradient.withUnsafeBufferPointer { g in
            model.parameters.withUnsafeMutableBufferPointer { p in
                adam.update(parameters: p.baseAddress!, gradient: g.baseAddress!, groups: learningRateFactor == 1 ? adamGroups : adamGroups.map { ($0.range, $0.rate * learningRateFactor) })
            }
        }
        if model.settings.objective != .fm && model.settings.objective != .vargrad { updateLogZ(logZGradient) }
        guard model.logZ.isFinite, finite else {
            throw GFNError.runtime("training diverged at iteration \(iteration): the parameters or log Z are not finite; lower --lr (now \(model.settings.learningRate)) or --lr-logz (now \(model.settings.learningRateLogZ))")
        }
        record.trajectories += batch
        record.steps.append(TrainingStep(iteration: iteration, loss: loss, logZ: model.settings.objective == .fm ? nil : model.logZ))
        return loss
    }

    /// The objective on the current batch and dL/dθ, dL/d log Z (in ``gradient``, ``logZGradient``),
    /// from the outputs the rollout kept.
    func lossAndGradient() -> Double {
        scoreRows()
        if startsLogZ { startLogZ(at: batchMeanZeta()) }
        return objectiveAndGradient()
    }

    /// Whether this step starts log Z from the batch (`--log-z-start batch`, first step).
    var startsLogZ: Bool {
        record.steps.isEmpty && !logZStarted && model.settings.logZStart == .batch && model.settings.objective != .fm && model.settings.objective != .vargrad
    }

    /// Starts log Z at the first batch's mean of log R + Σ log P_B − Σ log P_F (an ELBO-type
    /// estimate) instead of 0: moving ~lr-logz per step, log Z ≈ 900 (32×32) took thousands of
    /// steps, and while it is too low TB rewards piling onto the lowest energies.
    func startLogZ(at mean: Double) {
        if mean.isFinite { model.logZ = mean }
        logZStarted = true
    }

    /// The objective on the scored batch and its gradient (``gradient``, ``logZGradient``).
    func objectiveAndGradient() -> Double {
        let loss: Double
        if model.settings.objective == .fm {
            loss = flowMatching(computeGradient: true)
            logZGradient = 0
        } else {
            (loss, logZGradient) = balanceObjective()
            fillOutputGradient()
            gradient.withUnsafeMutableBufferPointer { g in
                g.update(repeating: 0)
                model.parameters.withUnsafeBufferPointer { p in
                    let dz0 = model.network.backward(parameters: p.baseAddress!, workspace: workspace, rows: usedRows, gradient: g.baseAddress!,
                                                     firstLayerWeights: !incremental, rowsPerGroup: batch)
                    if incremental { addFirstLayerWeightGradient(dz0, rows: usedRows, network: model.network, to: g.baseAddress!) }
                    if let net = model.backwardNetwork, let bws = backwardWorkspace {
                        let offset = model.backwardParameterOffset
                        let dz0 = net.backward(parameters: p.baseAddress! + offset, workspace: bws, rows: backwardRows, gradient: g.baseAddress! + offset,
                                               firstLayerWeights: !incremental, rowsPerGroup: batch)
                        if incremental { addFirstLayerWeightGradient(dz0, rows: backwardRows, network: net, to: g.baseAddress! + offset) }
                    }
                }
            }
        }
        return loss
    }

    /// dL/dW₀ of `network` (the forward one, or P_B's own) over its first `rows` rows, for an
    /// additive encoding: the input switched on by the action of row (t, b) is 1 in every later
    /// row of trajectory b, so its column gets Σ_{t′ > t} dL/dz₀(t′, b).
    func addFirstLayerWeightGradient(_ dz0: UnsafePointer<T>, rows: Int, network: MLP<T>, to gradient: UnsafeMutablePointer<T>) {
        guard let columns = columnGradient, let later = laterRowsGradient else { return }
        let B = batch, H = network.widths[1]
        columns.update(repeating: 0, count: env.encodingWidth * H)
        later.update(repeating: 0, count: B * H)
        var t = rows / B - 1
        while t >= 1 {
            // Step t's rows read into cache first: the passes below, whose loads are interleaved
            // with stores and run backwards through dL/dz₀, stream it from memory slower.
            T.streamIn(dz0 + t * B * H, count: B * H)
            for b in 0..<B {
                let sum = later + b * H
                T.add(dz0 + (t * B + b) * H, to: sum, count: H)
                let c = Int(addedInputs[(t - 1) * B + b])
                if c >= 0 { T.add(sum, to: columns + c * H, count: H) }
            }
            t -= 1
        }
        network.addFirstLayerColumnGradient(columns, to: gradient)
    }

    /// Samples a batch and returns the loss and its analytic gradient without updating the model
    /// (for gradient checks).
    public func sampleBatchAndGradient() -> (loss: Double, gradient: [T], logZGradient: Double) {
        let loss = sampleAndDifferentiate()
        return (loss, gradient, logZGradient)
    }

    /// Rolls out a batch (every shard its own) and computes the loss and its gradient.
    func sampleAndDifferentiate() -> Double {
        guard !shards.isEmpty else {
            rollout()
            return lossAndGradient()
        }
        return shardedLossAndGradient()
    }

    /// The objective on the last sampled batch for the model's *current* parameters and log Z,
    /// recomputing every network output (the trajectories stay fixed). For finite differences.
    public func replayLoss() -> Double {
        if !shards.isEmpty {
            for s in shards { s.replayOutputs() }
            return combineShards(training: false)
        }
        replayOutputs()
        if model.settings.objective == .fm { return flowMatching(computeGradient: false) }
        return balanceObjective().0
    }

    /// Recomputes every network output of the last batch and scores it.
    func replayOutputs() {
        forgetPackedWeights()
        forwardScoredInRollout = false
        let W = env.encodingWidth, S = env.stateSize
        model.parameters.withUnsafeBufferPointer { p in
            for r in 0..<usedRows { env.encode(UnsafePointer(states + r * S), into: workspace.inputRow(r, width: W)) }
            for t in 0..<(usedRows / batch) {
                model.network.forward(parameters: p.baseAddress!, workspace: workspace, start: t * batch, rows: batch, group: t)
            }
            evaluateBackwardNetwork(parameters: p.baseAddress!)
        }
        scoreRows()
    }

    /// Packed weights live for one step: the parameters change between steps (the optimiser,
    /// or a caller perturbing them for finite differences).
    func forgetPackedWeights() {
        workspace.forgetPackedWeights()
        backwardWorkspace?.forgetPackedWeights()
        parentWorkspace?.forgetPackedWeights()
    }

    func updateLogZ(_ g: Double) {
        let b1 = 0.9, b2 = 0.999, eps = 1e-8
        let t = Double(record.steps.count + 1)
        logZMoment1 = b1 * logZMoment1 + (1 - b1) * g
        logZMoment2 = b2 * logZMoment2 + (1 - b2) * g * g
        let mHat = logZMoment1 / (1 - pow(b1, t)), vHat = logZMoment2 / (1 - pow(b2, t))
        model.logZ -= model.settings.learningRateLogZ * learningRateFactor * mHat / (vHat.squareRoot() + eps)
    }
}
