import GFNCore
import Foundation

/// The order in which a `SetVariableEnvironment` assigns variables.
public enum ConstructionOrder: String, Sendable, Codable, CaseIterable {
    /// Variable i at step i (autoregressive): one path per x, P_B = 1, exact P_T at any size.
    case fixed
    /// Any unset variable at any step (torchgfn's DiscreteEBM DAG): P_B over the set variables.
    case any
}

/// Hidden-layer nonlinearity.
public enum Activation: String, Sendable, Codable, CaseIterable {
    case relu
    case leakyRelu = "leaky-relu"
    case tanh
}

/// Training objectives. Each is a residual per trajectory (or transition) fed to a squared loss.
public enum Objective: String, Sendable, Codable, CaseIterable {
    /// Trajectory balance: log Z + Σ log P_F − log R − Σ log P_B.
    case tb
    /// Detailed balance: log F(s) + log P_F(s′|s) − log F(s′) − log P_B(s|s′) per transition.
    case db
    /// Sub-trajectory balance over every sub-trajectory, weighted by λ^length.
    case subtb
    /// Flow matching: inflow = outflow (+ R) at every visited state; needs each state's parents.
    case fm
    /// Log-partition variance (VarGrad): trajectory balance with log Z replaced by the batch mean
    /// ẑ of ζ = log R + Σ log P_B − Σ log P_F, i.e. the batch variance of ζ. No learned scalar;
    /// ẑ (an ELBO-type lower bound on-policy) is reported as the learned log Z.
    case vargrad
}

/// The backward policy.
public enum BackwardPolicy: String, Sendable, Codable, CaseIterable {
    /// Uniform over the parents (fixed; for the fixed order, P_B = 1).
    case uniform
    /// A learned distribution over the parents, from its own logits.
    case learned
}

/// Where a learned backward policy's logits come from.
public enum BackwardNetwork: String, Sendable, Codable, CaseIterable {
    /// A second head on the forward policy's network: P_B shares its hidden layers.
    case trunk
    /// A network of its own, with the forward policy's hidden shape (torchgfn's and gfnx's
    /// "separate" P_B): twice the hidden layers' work, and P_B learns apart from P_F.
    case separate
}

/// The arithmetic of the policy network's matrix products (`--precision`).
public enum ProductPrecision: String, Sendable, Codable, CaseIterable {
    /// Single precision throughout (sgemm).
    case fp32
    /// Operands rounded to bf16, products accumulated in fp32 (CPUs with AVX512_BF16);
    /// parameters, activations, gradients and the optimiser stay fp32.
    case bf16
}

/// Where the learned log Z starts.
public enum LogZStart: String, Sendable, Codable, CaseIterable {
    /// At 0; it then moves about --lr-logz per step.
    case zero
    /// At the first batch's mean of log R + Σ log P_B − Σ log P_F (an ELBO-type estimate): on
    /// large lattices (log Z in the hundreds) this saves the thousands of steps log Z needs to
    /// climb from 0 (16×16 at β = 0.4, 300 steps: learned log Z 28.9 → 199, exact 225).
    case batch
}

/// How the learning rates (network and log Z) change over training.
public enum LearningRateSchedule: String, Sendable, Codable, CaseIterable {
    /// The same rates at every iteration.
    case constant
    /// Cosine decay from the rates to a hundredth of them at the last iteration: large steps while
    /// log Z and the policy are far off, small ones for the final fit (the gradient is a noisy
    /// batch estimate, and Adam's step stays about the rate however small the gradient).
    case cosine
}

/// The policy network's output layer.
public enum PolicyHead: String, Sendable, Codable, CaseIterable {
    /// One output layer for every state: the network must read the step from its input.
    case shared
    /// Fixed order only: one output layer per step, so variable t's conditional has weights of
    /// its own (a NADE-style autoregressive model; with one hidden layer and the additive
    /// first layer a step costs O(width), not O(width²)).
    case perStep = "per-step"
}

/// What the policy network reads.
public enum PolicyInput: String, Sendable, Codable, CaseIterable {
    /// The whole state, one-hot per variable.
    case oneHot = "one-hot"
    /// A square lattice's window around the next site, the same weights at every site
    /// (`GFlowNetSettings.patchRadius`).
    case patch
}

/// Everything that determines a GFlowNet's architecture and training.
public struct GFlowNetSettings: Sendable, Codable, Equatable {
    public var objective: Objective = .tb
    public var order: ConstructionOrder = .fixed
    public var backward: BackwardPolicy = .uniform
    public var hidden: Int = 256
    public var layers: Int = 2
    public var activation: Activation = .relu
    public var batch: Int = 128
    public var iterations: Int = 3000
    public var learningRate: Double = 2e-3
    public var learningRateLogZ: Double = 1e-1
    /// Probability of a uniformly random valid action during training (exploration).
    public var epsilon: Double = 0.05
    /// Temperature of the behaviour policy's logits during training (1 = on-policy).
    public var temperature: Double = 1
    /// λ of sub-trajectory balance.
    public var subtbLambda: Double = 0.9
    /// Maximum gradient norm (global, over the network's parameters).
    public var clipNorm: Double = 10
    /// OpenBLAS threads for the network's products. Float sums depend on how a product is split
    /// between threads, so this is part of the configuration: results reproduce bit for bit only
    /// with the same value (and the same CPU kernel).
    public var blasThreads: Int = 2
    /// Where log Z starts (nil: at 0, as before the option existed).
    public var logZStart: LogZStart?
    /// Reward-temperature annealing: the fraction of the iterations over which β ramps up to its
    /// target (nil: none).
    public var annealFraction: Double?
    /// The output layer (nil: shared, as before the option existed).
    public var head: PolicyHead?
    /// Forward-looking flows (DB and SubTB, fixed order): log F(s) = log F̃(s) + log R̃(s), where
    /// log R̃(s) is the part of log R the variables set so far fix, and the network learns only
    /// F̃. Each transition's residual then carries its own step's reward, instead of the whole
    /// trajectory's (nil: off).
    public var forwardLooking: Bool?
    /// The spin-flip mixture (fixed order, two values per variable): each draw of the policy q is
    /// flipped whole with probability ½, so the sampler's distribution is
    /// P_T(x) = ½·q(x) + ½·q(x̄), scored exactly by also scoring the mirror x̄ (twice the network
    /// rows). Its two magnetised modes then hold equal mass by construction — the zero-field
    /// target's own symmetry — whatever mass the policy itself puts on each (nil: off).
    public var spinFlipMixture: Bool?
    /// A wall-time bound on training, in seconds (`--train-seconds`): training stops after the
    /// iteration that crosses it. Such a run reproduces in its iteration count, not its time
    /// (`reproduce` reruns the iterations it made); nil: none.
    public var trainSeconds: Double?
    /// The learning-rate schedule (nil: constant, as before the option existed).
    public var learningRateSchedule: LearningRateSchedule?
    /// The policy's input (`--policy-input patch --patch-radius k`): the (2k+1)×(2k+1) window
    /// of a square lattice around the site the next action sets, with the same weights at every
    /// site (fixed order, uniform couplings: Ising, Potts); nil: the one-hot encoding of the
    /// whole state, as before the option existed.
    public var patchRadius: Int?
    /// Training workers (`--train-workers W`): each step's batch is split into W shards of
    /// consecutive trajectories, each rolled out, scored and backpropagated on its own thread,
    /// from its own random stream, with single-threaded BLAS; their losses and gradients are
    /// summed in shard order before the one optimiser step. So the result depends on W but not
    /// on the machine's cores or the threads' scheduling. nil: one worker, the whole batch on one
    /// stream with ``blasThreads`` OpenBLAS threads, as before the option existed.
    public var trainWorkers: Int?
    /// Where a learned P_B's logits come from (`--backward-network`): nil is ``BackwardNetwork/trunk``,
    /// a head on the forward policy's network, as before the option existed.
    public var backwardNetwork: BackwardNetwork?
    /// The arithmetic of the network's matrix products (`--precision`): nil is
    /// ``ProductPrecision/fp32``, as before the option existed. Training, sampling, the exact P_T
    /// and every score of the model use the same products, so P_T stays the sampler's law.
    public var precision: ProductPrecision?

    public init() {}

    /// The products' arithmetic (``precision``, fp32 when nil).
    public var productPrecision: ProductPrecision { precision ?? .fp32 }

    /// Whether the learned P_B has a network of its own (``backwardNetwork``).
    public var backwardInOwnNetwork: Bool { backward == .learned && backwardNetwork == .separate }

    /// The workers the command line trains with when `--train-workers` is not given: two, or
    /// one for flow matching (whose loss is a mean over the whole batch's states at once) and
    /// for batches of one trajectory. Two workers, not the machine's cores, so a run reproduces
    /// the same record on any machine. Measured on 10×10 at β_c (any order, learned P_B on the trunk, 2 × 256,
    /// batch 64; release, 2 cores, one bench run): 818 trajectories/s against 621 with one worker
    /// and OpenBLAS's own two threads (1.32×); the default 4×4 run trains in 4.4 s against 6.1 s,
    /// exact TV(P_T, p) 0.0095 against 0.0082; the 16×16 scale profile (β = 0.4) in 72 s against
    /// 126 s, importance-sampled log Z 225.236 ± 0.006 against 225.240 ± 0.006 (exact 225.229).
    public static func defaultTrainWorkers(objective: Objective, batch: Int) -> Int? {
        objective == .fm || batch < 2 ? nil : 2
    }

    /// The number of training workers (``trainWorkers``, 1 when nil).
    public var workers: Int { trainWorkers ?? 1 }

    /// The trajectories of each of `workers` shards of a batch: consecutive blocks, the first
    /// `batch` mod `workers` one longer.
    public static func shardBatches(batch: Int, workers: Int) -> [Int] {
        (0..<workers).map { batch / workers + ($0 < batch % workers ? 1 : 0) }
    }

    /// The radius `--policy-input patch` takes when `--patch-radius` is not given: a 7×7 window.
    public static let defaultPatchRadius = 3

    /// What the policy reads (``patchRadius``).
    public var policyInput: PolicyInput { patchRadius == nil ? .oneHot : .patch }

    /// The factor on both learning rates at 0-based `iteration`: 1 for the constant schedule; for
    /// the cosine one 0.01 + 0.99·½·(1 + cos(π·iteration/(iterations − 1))), 1 at the first
    /// iteration and 0.01 at the last.
    public func learningRateFactor(iteration: Int) -> Double {
        guard learningRateSchedule == .cosine, iterations > 1 else { return 1 }
        let progress = min(1, Double(iteration) / Double(iterations - 1))
        return 0.01 + 0.99 * 0.5 * (1 + cos(Double.pi * progress))
    }

    /// The head the command line gives a policy when `--head` is not set: per-step for the fixed
    /// order of a set-variable energy (flow matching excepted), shared otherwise. Measured on the
    /// 4×4 torus at β_c, 3,000 iterations, seeds 1–5: per-step with one hidden layer reached
    /// TV(P_T, p) 0.008–0.009 in 4.3–4.8 s of training; the shared head with two layers
    /// 0.017–0.045 in 32–37 s. A patch input (``patchRadius``) shares its weights over the
    /// sites, so it keeps the shared head.
    public static func defaultHead(order: ConstructionOrder, objective: Objective, setVariables: Bool, patch: Bool = false) -> PolicyHead {
        order == .fixed && objective != .fm && setVariables && !patch ? .perStep : .shared
    }

    /// The hidden layers the command line gives a policy when `--layers` is not set: one with the
    /// per-step head (the first layer is then updated in place, O(width) a step), two otherwise.
    public static func defaultLayers(head: PolicyHead) -> Int { head == .perStep ? 1 : 2 }

    /// The settings the command line starts from, before its flags: `GFlowNetSettings()` for targets that
    /// can be enumerated (at most 2^24 states), and for larger ones in the fixed order the *scale
    /// profile* — sub-trajectory balance with forward-looking flows, log Z started from the
    /// first batch, 1,024 hidden units, 1,000 iterations, a log Z rate of 1. Measured (16×16 periodic Ising, β = 0.4,
    /// per-step head, release, 2 cores): trajectory balance with the small-target defaults
    /// stayed near uniform (ELBO 178.5 against the exact log Z 225.2) or, with the batch start,
    /// collapsed onto one sign (ELBO 218.9, all mass on m < 0); the scale profile reached an
    /// ELBO of 222.66 and an importance-sampled log Z of 225.16 ± 0.07 (ESS 198 of 20,000) in 164 s.
    /// On 4×4 the small-target defaults are better (TV(P_T, p) 0.008–0.009 against 0.011–0.022
    /// for the scale profile, seeds 1–3).
    ///
    /// On targets symmetric under flipping every spin the profile also mixes the draws with their
    /// flips (``spinFlipMixture``). Measured on 16×16 at β = 0.4 (seed 1, same training): mass on
    /// m > 0 / m < 0 0.424 / 0.565 without it, 0.499 / 0.488 with it; the weights' ESS 198 → 379
    /// of 20,000, the ELBO 222.66 → 222.99 (exact log Z 225.23). Its log Z rate is 1: log Z
    /// starts from a near-uniform policy's ELBO far below the exact value (176 against 238.6 at
    /// β_c) and Adam moves it about the rate per step. At β_c with the mixture, lr-logz 0.1, 0.3
    /// and 1 reached ELBOs of 233.88, 234.60 and 235.72 and weight ESS 32, 56 and 154 of 20,000
    /// (exact log Z 238.64); the cosine schedule with rate 1 reached only 234.72 (ESS 51).
    ///
    /// On a square lattice with uniform couplings (Ising, Potts) the profile's policy reads the
    /// 7×7 window around the next site (``patchRadius`` 3) with two hidden layers of 128, the
    /// same weights at every site, trained by trajectory balance (no state flows: a window cannot
    /// see the flow of the whole remaining lattice). Measured at β = 0.4, seed 1, 1,000
    /// iterations, against the one-hot profile above: on 16×16 an importance-sampled log Z of
    /// 225.240 ± 0.006 (weight ESS 12,340 of 20,000; exact 225.229) in 113 s, against
    /// 225.204 ± 0.052 (ESS 362) in 247 s; on 32×32 900.494 ± 0.019 (ESS 2,423; exact 900.478)
    /// in 557 s, where the one-hot profile's ELBO stayed 83 short (ESS 1); at β_c on 32×32
    /// −0.063 ± 0.016 from Kaufman's (ESS 3,401) against ESS 1 (`reports/scale`). On 3-state
    /// Potts (12×12, β = 0.9) the ELBO–EUBO gap is 0.50 (ESS 11,926) against 4.2 (ESS 254).
    public static func commandLineDefaults(order: ConstructionOrder, beyondEnumeration: Bool, spinFlipSymmetric: Bool = false,
                                           uniformLattice: Bool = false) -> GFlowNetSettings {
        var s = GFlowNetSettings()
        guard order == .fixed && beyondEnumeration else { return s }
        s.logZStart = .batch; s.iterations = 1000; s.learningRateLogZ = 1
        if uniformLattice {
            s.patchRadius = defaultPatchRadius; s.hidden = 128
        } else {
            s.objective = .subtb; s.forwardLooking = true; s.hidden = 1024
        }
        if spinFlipSymmetric { s.spinFlipMixture = true }
        return s
    }

    /// - Throws: `GFNError.invalidInput` naming the first value out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw GFNError.invalidInput(message) } }
        try check((1...8192).contains(hidden), "--hidden must be between 1 and 8192 (got \(hidden))")
        try check((1...16).contains(layers), "--layers must be between 1 and 16 (got \(layers))")
        try check((1...65536).contains(batch), "--batch must be between 1 and 65536 (got \(batch))")
        try check(iterations >= 0, "--iterations must be 0 or more (got \(iterations))")
        try check(learningRate.isFinite && learningRate > 0, "--lr must be a finite number > 0 (got \(learningRate))")
        try check(learningRateLogZ.isFinite && learningRateLogZ >= 0, "--lr-logz must be a finite number ≥ 0 (got \(learningRateLogZ))")
        try check(epsilon.isFinite && (0...1).contains(epsilon), "--epsilon must be between 0 and 1 (got \(epsilon))")
        try check(temperature.isFinite && temperature > 0, "--temperature must be a finite number > 0 (got \(temperature))")
        try check(subtbLambda.isFinite && subtbLambda > 0, "--subtb-lambda must be a finite number > 0 (got \(subtbLambda))")
        try check(clipNorm.isFinite && clipNorm > 0, "--clip-norm must be a finite number > 0 (got \(clipNorm))")
        try check((1...64).contains(blasThreads), "--blas-threads must be between 1 and 64 (got \(blasThreads))")
        if let w = trainWorkers {
            try check((1...64).contains(w), "--train-workers must be between 1 and 64 (got \(w))")
            try check(w <= batch, "--train-workers \(w) exceeds --batch \(batch): every worker needs at least one trajectory of the batch")
            try check(w == 1 || objective != .fm, "--train-workers \(w) does not work with --objective fm (its loss is a mean over the whole batch's states at once); use --train-workers 1")
        }
        if let t = trainSeconds { try check(t.isFinite && t > 0, "--train-seconds must be a finite number of seconds > 0 (got \(t))") }
        if let f = annealFraction { try check(f.isFinite && f > 0 && f <= 1, "--anneal must be a fraction in (0, 1] (got \(f))") }
        if objective == .fm && backward == .learned {
            throw GFNError.invalidInput("--backward learned has no effect with --objective fm (flow matching sums over all parents); use --backward uniform")
        }
        if head == .perStep && order != .fixed {
            throw GFNError.invalidInput("--head per-step needs --order fixed: it gives step t, which sets variable t, an output layer of its own")
        }
        if head == .perStep && objective == .fm {
            throw GFNError.invalidInput("--head per-step does not work with --objective fm (its parents sit at other steps); use tb, vargrad, db or subtb")
        }
        if forwardLooking == true && objective != .db && objective != .subtb {
            throw GFNError.invalidInput("--forward-looking needs --objective db or subtb (the objectives with state flows)")
        }
        if forwardLooking == true && order != .fixed {
            throw GFNError.invalidInput("--forward-looking needs --order fixed: the reward is split over the variables in index order")
        }
        if spinFlipMixture == true && order != .fixed {
            throw GFNError.invalidInput("--spin-flip-mixture needs --order fixed: it scores the mirror x̄ along its single trajectory")
        }
        if let k = patchRadius {
            try check((1...16).contains(k), "--patch-radius must be between 1 and 16 (got \(k))")
            try check(order == .fixed, "--policy-input patch needs --order fixed: the window is around the next site of the index order")
            try check(head != .perStep, "--policy-input patch reads the same window weights at every site; --head per-step would give each site its own output layer (use --head shared, or --policy-input one-hot)")
        }
        if backwardNetwork == .separate && backward != .learned {
            throw GFNError.invalidInput("--backward-network separate needs --backward learned: the uniform backward policy has no network")
        }
        if order == .fixed && backward == .learned {
            throw GFNError.invalidInput("--backward learned needs --order any: in the fixed order every state has one parent, so P_B = 1")
        }
    }
}
