import Foundation
import GFNCore
import Metrics
import Settings

/// Everything needed to rerun: the energy, the seed, the generator and each sampler's settings.
public struct RunConfig: Codable, Equatable, Sendable {
    public var energy: EnergyConfig
    public var seed: UInt64
    /// The MH chains' generator (every other stream is taus2).
    public var rng: RandomAlgorithm
    public var mh: MHConfig
    /// The GFlowNet's settings; null when the run has no GFlowNet.
    public var gfn: GFNConfig?
    /// The GFlowNet-in-MH chains' settings; absent when the run has none.
    public var gfnMh: GFNMHConfig?
    /// The equal energy-work budget the schedules above were derived from; absent without `--budget-work`.
    public var budget: WorkBudget?
    public init(energy: EnergyConfig, seed: UInt64, rng: RandomAlgorithm, mh: MHConfig, gfn: GFNConfig?, gfnMh: GFNMHConfig? = nil) {
        self.energy = energy; self.seed = seed; self.rng = rng; self.mh = mh; self.gfn = gfn; self.gfnMh = gfnMh
    }
}

/// The GFlowNet-in-MH sampler (`gfn-mh`): the trained GFlowNet as a Metropolis-Hastings proposal.
public struct GFNMHConfig: Codable, Equatable, Sendable {
    /// "independence" (a GFlowNet proposal at every step) or "mixed" (local sweeps between them).
    public var mode: String
    /// Mixed mode: local sweeps of the MH kernel between GFlowNet proposals; null for independence.
    @Nullable public var every: Int?
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
}

/// The GFlowNet's settings as recorded: every `GFlowNetSettings` field under its own key (the
/// settings are encoded in place, not copied field by field), with the draws taken after
/// training and the model file the parameters were loaded from. `config.gfn.hidden` reads the
/// settings' field directly.
@dynamicMemberLookup
public struct GFNConfig: Codable, Equatable, Sendable {
    public var settings: GFlowNetSettings
    /// Samples drawn after training.
    public var samples: Int
    /// The model file the parameters were loaded from (no training); absent when trained.
    public var loadedModel: String?

    public init(settings: GFlowNetSettings, samples: Int, loadedModel: String?) {
        self.settings = settings; self.samples = samples; self.loadedModel = loadedModel
    }

    public subscript<T>(dynamicMember field: WritableKeyPath<GFlowNetSettings, T>) -> T {
        get { settings[keyPath: field] }
        set { settings[keyPath: field] = newValue }
    }

    enum CodingKeys: String, CodingKey { case samples, loadedModel }
    public init(from decoder: Decoder) throws {
        settings = try GFlowNetSettings(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        samples = try c.decode(Int.self, forKey: .samples)
        loadedModel = try c.decodeIfPresent(String.self, forKey: .loadedModel)
    }
    public func encode(to encoder: Encoder) throws {
        try settings.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(samples, forKey: .samples)
        try c.encodeIfPresent(loadedModel, forKey: .loadedModel)
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

/// The MH sampler as recorded: its kernel beside the `ChainSchedule` fields, each under its own key.
@dynamicMemberLookup
public struct MHConfig: Codable, Equatable, Sendable {
    public var kernel: KernelKind
    public var schedule: ChainSchedule

    public init(kernel: KernelKind, schedule: ChainSchedule) { self.kernel = kernel; self.schedule = schedule }

    public subscript<T>(dynamicMember field: WritableKeyPath<ChainSchedule, T>) -> T {
        get { schedule[keyPath: field] }
        set { schedule[keyPath: field] = newValue }
    }

    enum CodingKeys: String, CodingKey { case kernel }
    public init(from decoder: Decoder) throws {
        schedule = try ChainSchedule(from: decoder)
        kernel = try decoder.container(keyedBy: CodingKeys.self).decode(KernelKind.self, forKey: .kernel)
    }
    public func encode(to encoder: Encoder) throws {
        try schedule.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kernel, forKey: .kernel)
    }
}
