import Foundation
import Metrics

/// Everything needed to rerun: the energy, the seed, the generator and each sampler's settings.
public struct RunConfig: Codable, Equatable, Sendable {
    public var energy: EnergyConfig
    public var seed: UInt64
    public var rng: String
    public var mh: MHConfig
    /// The GFlowNet's settings; null when the run has no GFlowNet.
    public var gfn: GFNConfig?
    /// The GFlowNet-in-MH chains' settings; absent when the run has none.
    public var gfnMh: GFNMHConfig?
    /// The equal energy-work budget the schedules above were derived from; absent without `--budget-work`.
    public var budget: BudgetConfig?
    public init(energy: EnergyConfig, seed: UInt64, rng: String, mh: MHConfig, gfn: GFNConfig?, gfnMh: GFNMHConfig? = nil) {
        self.energy = energy; self.seed = seed; self.rng = rng; self.mh = mh; self.gfn = gfn; self.gfnMh = gfnMh
    }
}

/// An equal energy-work budget for every sampler (`--budget-work`).
public struct BudgetConfig: Codable, Equatable, Sendable {
    /// Units of energy work each sampler may spend (a local ΔE is one unit, a full E(x) n units).
    public var energyWork: Int
    /// The fraction the GFlowNet trains on (the rest goes to the gfn-mh chains).
    public var trainingShare: Double
    public init(energyWork: Int, trainingShare: Double) { self.energyWork = energyWork; self.trainingShare = trainingShare }
}

/// The GFlowNet-in-MH sampler (`gfn-mh`): the trained GFlowNet as a Metropolis-Hastings proposal.
public struct GFNMHConfig: Codable, Equatable, Sendable {
    /// "independence" (a GFlowNet proposal at every step) or "mixed" (local sweeps between them).
    public var mode: String
    /// Mixed mode: local sweeps of the MH kernel between GFlowNet proposals; null for independence.
    public var every: Int?
    public var chains: Int
    /// Steps (independence: proposals; mixed: sweeps) before recording, per chain.
    public var burnInSteps: Int
    public var samplesPerChain: Int
    /// Steps between recorded samples.
    public var thinSteps: Int
    public init(mode: String, every: Int?, chains: Int, burnInSteps: Int, samplesPerChain: Int, thinSteps: Int) {
        self.mode = mode; self.every = every; self.chains = chains; self.burnInSteps = burnInSteps
        self.samplesPerChain = samplesPerChain; self.thinSteps = thinSteps
    }
    enum CodingKeys: String, CodingKey { case mode, every, chains, burnInSteps, samplesPerChain, thinSteps }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mode, forKey: .mode)
        try c.encode(every, forKey: .every)
        try c.encode(chains, forKey: .chains)
        try c.encode(burnInSteps, forKey: .burnInSteps)
        try c.encode(samplesPerChain, forKey: .samplesPerChain)
        try c.encode(thinSteps, forKey: .thinSteps)
    }
}

/// The GFlowNet's architecture, training and sampling settings.
public struct GFNConfig: Codable, Equatable, Sendable {
    public var objective: String
    public var order: String
    public var backward: String
    public var hidden: Int
    public var layers: Int
    public var activation: String
    public var batch: Int
    public var iterations: Int
    public var learningRate: Double
    public var learningRateLogZ: Double
    public var epsilon: Double
    public var temperature: Double
    public var subtbLambda: Double
    public var clipNorm: Double
    /// OpenBLAS threads (results depend on it).
    public var blasThreads: Int
    /// Samples drawn after training.
    public var samples: Int
    /// The model file the parameters were loaded from (no training), or null.
    public var loadedModel: String?
    /// Where log Z started: "zero" or "batch" (absent: zero).
    public var logZStart: String?
    /// The fraction of the iterations over which β was annealed up to its target (absent: none).
    public var annealFraction: Double?
    /// The policy's output layer: "per-step" (one per variable, fixed order) or absent (shared).
    public var head: String?
    /// Whether the state flows were forward-looking (log F = log F̃ + log R̃; absent: no).
    public var forwardLooking: Bool?
    public init(objective: String, order: String, backward: String, hidden: Int, layers: Int, activation: String, batch: Int,
                iterations: Int, learningRate: Double, learningRateLogZ: Double, epsilon: Double, temperature: Double,
                subtbLambda: Double, clipNorm: Double, blasThreads: Int, samples: Int, loadedModel: String?) {
        self.objective = objective; self.order = order; self.backward = backward; self.hidden = hidden; self.layers = layers
        self.activation = activation; self.batch = batch; self.iterations = iterations; self.learningRate = learningRate
        self.learningRateLogZ = learningRateLogZ; self.epsilon = epsilon; self.temperature = temperature
        self.subtbLambda = subtbLambda; self.clipNorm = clipNorm; self.blasThreads = blasThreads; self.samples = samples; self.loadedModel = loadedModel
    }
}

public struct EnergyConfig: Codable, Equatable, Sendable {
    public var name: String
    /// "RxC".
    public var lattice: String
    public var rows: Int
    public var cols: Int
    public var boundary: String
    public var beta: Double
    public var coupling: Double
    public var field: Double
    /// Values per variable (Potts); absent for Ising.
    public var q: Int?
    /// Spin glasses: "pm" (±J) or "gaussian" couplings (EA), the number of spins (SK), and the
    /// seed the couplings were drawn from, independent of the sampling seed.
    public var disorder: String?
    public var spins: Int?
    public var instanceSeed: UInt64?
    /// A model file's path and the FNV-1a fingerprint of its bytes (a rerun checks it is unchanged).
    public var file: String?
    public var fileFingerprint: String?
    /// Hypergrid: dimensions, side and (R0, R1, R2).
    public var dims: Int?
    public var side: Int?
    public var rewards: [Double]?
    /// The energy convention, spelled out for readers of the JSON alone.
    public var convention: String
    public init(name: String, rows: Int, cols: Int, boundary: String, beta: Double, coupling: Double, field: Double, q: Int?, convention: String) {
        self.name = name; self.lattice = "\(rows)x\(cols)"; self.rows = rows; self.cols = cols
        self.boundary = boundary; self.beta = beta; self.coupling = coupling; self.field = field; self.q = q; self.convention = convention
    }
}

public struct MHConfig: Codable, Equatable, Sendable {
    public var kernel: String
    public var scan: String
    public var chains: Int
    public var burnInSweeps: Int
    public var samplesPerChain: Int
    public var thinSweeps: Int
    public init(kernel: String, scan: String, chains: Int, burnInSweeps: Int, samplesPerChain: Int, thinSweeps: Int) {
        self.kernel = kernel; self.scan = scan; self.chains = chains
        self.burnInSweeps = burnInSweeps; self.samplesPerChain = samplesPerChain; self.thinSweeps = thinSweeps
    }
}
