import Energies
import Exact
import Foundation
import GFNCore
import Reporting
import Settings

/// One energy the tool offers: its name, what `energies` says about it, the convention the run
/// record spells out, and the defaults the command line derives from it.
public struct EnergyEntry: Sendable {
    /// The `--energy` value (`file:PATH` for model files).
    public let name: String
    /// The record's `energy.name` (`file` for model files).
    public var recordName: String { name.hasPrefix("file:") ? "file" : name }
    /// The `energies` listing: formula, flags with their defaults, what is exact.
    public let summary: String
    /// The record's `convention`: E(x) in words, so a reader of run.json alone knows the target.
    public let convention: String
    /// β when `--beta` is not given: β_c (`defaultBeta`) for lattices, 1 where E = −log R.
    public let defaultBeta: Double
    /// The MCMC kernel when `--kernel` is not given.
    public let defaultKernel: KernelKind
    /// Whether the GFlowNet builds a state one variable per step (every energy but the hypergrid,
    /// whose trajectories walk the grid): the fixed order then defaults to the per-step head.
    public let setsOneVariablePerStep: Bool
}

/// Every energy the tool offers, in one place: the CLI's `--energy` values and defaults, the
/// `energies` listing, and the names `reproduce` accepts from a record all come from here.
public enum EnergyCatalogue {
    public static let ising = EnergyEntry(
        name: "ising",
        summary: """
        2D Ising model on a square lattice.
        E(x) = −J·Σ_<ij> s_i s_j − h·Σ_i s_i, s_i = ±1, each nearest-neighbour bond once
        (torchgfn's DiscreteEBM counts bonds twice: its J is 2J here).
        --lattice RxC (4x4)  --boundary periodic|open (periodic)  --coupling J (1)  --field h (0)  --beta β (\(defaultBeta) = β_c)
        Exact: enumeration up to 2^24 states; Kaufman's log Z and ⟨E⟩ on periodic zero-field lattices of any size;
        Onsager/Yang infinite-lattice values for context; beyond enumeration, a Wolff reference estimate (J > 0, h = 0).
        """,
        convention: "E(x) = −J·Σ_<ij> s_i s_j − h·Σ_i s_i, s_i = ±1, each nearest-neighbour bond counted once (torchgfn's DiscreteEBM E = −xᵀJx counts each bond twice: its J is 2J here)",
        defaultBeta: defaultBeta, defaultKernel: .metropolis, setsOneVariablePerStep: true)

    public static let potts = EnergyEntry(
        name: "potts",
        summary: """
        q-state Potts model on a square lattice.
        E(x) = −J·Σ_<ij> δ(x_i, x_j) − h·Σ_i δ(x_i, 0), x_i ∈ {0, …, q−1}, each bond once.
        --q Q (3)  --lattice RxC (4x4)  --boundary periodic|open  --coupling J (1)  --field h (0)  --beta β
        Exact: enumeration up to 2^24 states (q^n); beyond, a Wolff reference estimate (ferromagnetic, zero field).
        """,
        convention: "E(x) = −J·Σ_<ij> δ(x_i, x_j) − h·Σ_i δ(x_i, 0), x_i ∈ {0, …, q−1}, each nearest-neighbour bond counted once (q = 2 is Ising with coupling J/2 plus a constant)",
        defaultBeta: defaultBeta, defaultKernel: .metropolis, setsOneVariablePerStep: true)

    public static let ea = EnergyEntry(
        name: "ea",
        summary: """
        Edwards–Anderson spin glass on a square lattice: E(x) = −Σ_<ij> J_ij s_i s_j.
        --disorder pm|gaussian (pm: J_ij = ±J; gaussian: J·N(0, 1))  --instance-seed S (1)  --coupling J (1)
        --lattice RxC (4x4)  --boundary periodic|open  --beta β. The couplings come from S alone and are written into run.json.
        Exact: enumeration up to 2^24 states; beyond, a parallel-tempering reference estimate.
        """,
        convention: "E(x) = −Σ_<ij> J_ij s_i s_j, s_i = ±1, each lattice bond once; J_ij = ±J or J·N(0, 1) drawn from stream (instance_seed, 0)",
        defaultBeta: defaultBeta, defaultKernel: .metropolis, setsOneVariablePerStep: true)

    public static let sk = EnergyEntry(
        name: "sk",
        summary: """
        Sherrington–Kirkpatrick: E(x) = −Σ_{i<j} J_ij s_i s_j, J_ij ~ N(0, 1)/√n.
        --spins N (16)  --instance-seed S (1)  --beta β. Exact: enumeration up to 24 spins; beyond, a parallel-tempering
        reference estimate.
        """,
        convention: "E(x) = −Σ_{i<j} J_ij s_i s_j, s_i = ±1, all pairs, J_ij ~ N(0, 1)/√n drawn from stream (instance_seed, 0)",
        defaultBeta: defaultBeta, defaultKernel: .metropolis, setsOneVariablePerStep: true)

    public static let hypergrid = EnergyEntry(
        name: "hypergrid",
        summary: """
        The GFlowNet benchmark: a D-dimensional grid of side H, p(x) ∝ R(x) with
        R = R0 + R1·Π 1[0.25 < |x_d/(H−1) − 0.5| ≤ 0.5] + R2·Π 1[0.3 < |x_d/(H−1) − 0.5| < 0.4] (E = −log R, β = 1).
        --dims D (2)  --side H (8)  --r0 (0.1)  --r1 (0.5)  --r2 (2.0). MH: ±1 moves with reflecting borders
        (--kernel grid-step); GFlowNet: increment a coordinate or stop. Exact: enumeration of the H^D points.
        """,
        convention: "E(x) = −log R(x), R(x) = R0 + R1·Π_d 1[0.25 < |x_d/(H−1) − 0.5| ≤ 0.5] + R2·Π_d 1[0.3 < |x_d/(H−1) − 0.5| < 0.4]; β = 1 gives p ∝ R",
        defaultBeta: 1, defaultKernel: .gridStep, setsOneVariablePerStep: false)

    public static let file = EnergyEntry(
        name: "file:PATH",
        summary: """
        A pairwise model from a text file (docs/model-files.md; examples/frustrated-ring.txt,
        examples/potts-triangles.txt): `variables N [domain Q]`, then `coupling i j J` / `field i h`
        lines (or bare `i j J` / `i h`), `#` comments. Domain 2: Ising spins; domain q > 2: Potts-style δ terms.
        Exact: enumeration up to 2^24 states; beyond, a parallel-tempering reference estimate.
        """,
        convention: "pairwise model file: E(x) = −Σ J_ij s_i s_j − Σ h_i s_i (domain 2) or −Σ J_ij δ(x_i, x_j) − Σ h_i δ(x_i, 0) (domain q > 2), each listed edge once",
        defaultBeta: defaultBeta, defaultKernel: .metropolis, setsOneVariablePerStep: true)

    /// A library user's own `EnergyModel` (only through `ComparisonRun.run(custom:…)`; not listed).
    static let custom = EnergyEntry(name: "custom", summary: "", convention: "a user-defined EnergyModel; p(x) ∝ exp(−β·E(x))",
                                    defaultBeta: defaultBeta, defaultKernel: .metropolis, setsOneVariablePerStep: true)

    /// The energies `--energy` accepts, in the order `energies` lists them.
    public static let entries = [ising, potts, ea, sk, hypergrid, file]

    /// The entry of an `--energy` value (`file:` with any path is the model-file entry), or nil.
    public static func entry(named name: String) -> EnergyEntry? {
        name.hasPrefix("file:") ? file : entries.first { $0.name == name }
    }

    /// The names for `--help` and error messages.
    public static var names: [String] { entries.map(\.name) }
}

/// The energy a run samples from.
public enum EnergySpec: Sendable, Equatable {
    case ising(rows: Int, cols: Int, boundary: Boundary, coupling: Double, field: Double)
    case potts(rows: Int, cols: Int, boundary: Boundary, q: Int, coupling: Double, field: Double)
    /// Edwards–Anderson spin glass: ±J (`gaussian == false`) or Gaussian couplings on the lattice bonds.
    case ea(rows: Int, cols: Int, boundary: Boundary, gaussian: Bool, coupling: Double, instanceSeed: UInt64)
    /// Sherrington–Kirkpatrick: n spins, all pairs, J_ij ~ N(0, 1)/√n.
    case sk(spins: Int, instanceSeed: UInt64)
    /// A pairwise model read from a file (`--energy file:PATH`).
    case file(path: String)
    /// The hypergrid benchmark: E = −log R(x) on a D-dimensional grid of side H.
    case hypergrid(dims: Int, side: Int, r0: Double, r1: Double, r2: Double)
    /// A library user's own `EnergyModel` (see ``ComparisonRun/run(custom:name:settings:command:progress:draws:)``).
    case custom(name: String, variables: Int)

    /// The catalogue's entry for this energy.
    public var entry: EnergyEntry {
        switch self {
        case .ising: return EnergyCatalogue.ising
        case .potts: return EnergyCatalogue.potts
        case .ea: return EnergyCatalogue.ea
        case .sk: return EnergyCatalogue.sk
        case .file: return EnergyCatalogue.file
        case .hypergrid: return EnergyCatalogue.hypergrid
        case .custom: return EnergyCatalogue.custom
        }
    }

    /// log₂ of the number of states of a set-variable energy (nil: the hypergrid, a custom model,
    /// or a model file that cannot be read — its error comes later, from the loader).
    public var log2StateCount: Double? {
        switch self {
        case let .ising(rows, cols, _, _, _), let .ea(rows, cols, _, _, _, _): return Double(rows * cols)
        case let .potts(rows, cols, _, q, _, _): return Double(rows * cols) * Foundation.log2(Double(q))
        case let .sk(spins, _): return Double(spins)
        case let .file(path):
            guard let m = try? PairwiseModelFile.load(path: path) else { return nil }
            return Double(m.variableCount) * Foundation.log2(Double(m.domainSize))
        case .hypergrid, .custom: return nil
        }
    }

    /// Whether the target is symmetric under flipping every spin, where the scale profile mixes
    /// the GFlowNet's draws with their flips: the built model's own answer
    /// (`ReferenceCapabilities.isSpinFlipSymmetric`); false for a model that cannot be built (its
    /// error comes later, from the loader) and for the hypergrid and custom energies.
    public var isSpinFlipSymmetric: Bool {
        let model: ReferenceCapabilities?
        switch self {
        case .ising: model = try? makeIsingModel()
        case .potts: model = try? makePottsModel()
        case .ea, .sk, .file: model = try? makePairwiseModel()
        case .hypergrid, .custom: model = nil
        }
        return model?.isSpinFlipSymmetric ?? false
    }

    /// Whether the target lives on a square lattice with the same couplings and field everywhere
    /// (`EnergyModel.translationInvariantLattice`: Ising, Potts), where the scale profile's policy
    /// reads a window around the next site (`--policy-input patch`).
    public var hasUniformLattice: Bool {
        switch self {
        case .ising: return (try? makeIsingModel())?.translationInvariantLattice != nil
        case .potts: return (try? makePottsModel())?.translationInvariantLattice != nil
        case .ea, .sk, .file, .hypergrid, .custom: return false
        }
    }

    /// The record's description of this energy; `variables` is the built model's variable count
    /// (a model file's is read from the model, not by parsing the file again).
    public func config(beta: Double, variables: Int) -> EnergyConfig {
        let convention = entry.convention, entry = self.entry
        switch self {
        case let .ising(rows, cols, boundary, coupling, field):
            return EnergyConfig(name: entry.recordName, rows: rows, cols: cols, boundary: boundary.rawValue, beta: beta, coupling: coupling, field: field, q: nil, convention: convention)
        case let .potts(rows, cols, boundary, q, coupling, field):
            return EnergyConfig(name: entry.recordName, rows: rows, cols: cols, boundary: boundary.rawValue, beta: beta, coupling: coupling, field: field, q: q, convention: convention)
        case let .ea(rows, cols, boundary, gaussian, coupling, instanceSeed):
            var c = EnergyConfig(name: entry.recordName, rows: rows, cols: cols, boundary: boundary.rawValue, beta: beta, coupling: coupling, field: 0, q: nil, convention: convention)
            c.disorder = gaussian ? "gaussian" : "pm"
            c.instanceSeed = instanceSeed
            return c
        case let .sk(spins, instanceSeed):
            var c = EnergyConfig(name: entry.recordName, rows: 1, cols: spins, boundary: "none", beta: beta, coupling: 1, field: 0, q: nil, convention: convention)
            c.spins = spins
            c.instanceSeed = instanceSeed
            return c
        case let .hypergrid(dims, side, r0, r1, r2):
            var c = EnergyConfig(name: entry.recordName, rows: 1, cols: dims, boundary: "none", beta: beta, coupling: 1, field: 0, q: nil, convention: convention)
            c.dims = dims; c.side = side; c.rewards = [r0, r1, r2]
            return c
        case let .custom(name, variables):
            return EnergyConfig(name: name, rows: 1, cols: variables, boundary: "none", beta: beta, coupling: 1, field: 0, q: nil, convention: convention)
        case let .file(path):
            var c = EnergyConfig(name: entry.recordName, rows: 1, cols: variables, boundary: "none", beta: beta, coupling: 1, field: 0, q: nil, convention: convention)
            c.file = path
            c.fileFingerprint = PairwiseModelFile.fingerprint(path: path)
            return c
        }
    }

    /// The energy a record describes (for `reproduce`).
    /// - Throws: `GFNError.invalidInput` when the record names an energy or value this version
    ///   cannot run, or a model file that changed since the run.
    public init(record e: EnergyConfig) throws {
        guard EnergyCatalogue.entries.contains(where: { $0.recordName == e.name }) else {
            throw GFNError.invalidInput("the record's energy '\(e.name)' is not one this gfn-compare runs")
        }
        guard let boundary = Boundary(rawValue: e.boundary) ?? (["sk", "file", "hypergrid"].contains(e.name) ? .open : nil) else {
            throw GFNError.invalidInput("the record's boundary '\(e.boundary)' is not one this gfn-compare knows")
        }
        switch e.name {
        case "potts": self = .potts(rows: e.rows, cols: e.cols, boundary: boundary, q: e.q ?? 3, coupling: e.coupling, field: e.field)
        case "ea": self = .ea(rows: e.rows, cols: e.cols, boundary: boundary, gaussian: e.disorder == "gaussian", coupling: e.coupling, instanceSeed: e.instanceSeed ?? 1)
        case "sk": self = .sk(spins: e.spins ?? e.cols, instanceSeed: e.instanceSeed ?? 1)
        case "hypergrid":
            let r = e.rewards ?? [0.1, 0.5, 2.0]
            guard r.count == 3 else { throw GFNError.invalidInput("the record's hypergrid rewards must be three numbers") }
            self = .hypergrid(dims: e.dims ?? e.cols, side: e.side ?? 8, r0: r[0], r1: r[1], r2: r[2])
        case "file":
            guard let path = e.file else { throw GFNError.invalidInput("the record's file energy names no file") }
            if let recorded = e.fileFingerprint, PairwiseModelFile.fingerprint(path: path) != recorded {
                throw GFNError.invalidInput("\(path) has changed since the run was recorded (its fingerprint differs); the configuration cannot be rerun as it was")
            }
            self = .file(path: path)
        default: self = .ising(rows: e.rows, cols: e.cols, boundary: boundary, coupling: e.coupling, field: e.field)
        }
    }

    func makeIsingModel() throws -> IsingModel {
        guard case let .ising(rows, cols, boundary, coupling, field) = self else { throw GFNError.invalidInput("not an Ising configuration") }
        return try IsingModel(lattice: SquareLattice(rows: rows, cols: cols, boundary: boundary), coupling: coupling, field: field)
    }

    func makePairwiseModel() throws -> PairwiseModel {
        switch self {
        case let .ea(rows, cols, boundary, gaussian, coupling, instanceSeed):
            return try PairwiseModel.edwardsAnderson(lattice: SquareLattice(rows: rows, cols: cols, boundary: boundary), gaussian: gaussian,
                                                     coupling: coupling, instanceSeed: instanceSeed)
        case let .file(path):
            return try PairwiseModelFile.load(path: path)
        case let .sk(spins, instanceSeed):
            guard spins <= 4096 else { throw GFNError.invalidInput("--spins must be at most 4096 (got \(spins))") }
            return try PairwiseModel.sherringtonKirkpatrick(spins: spins, instanceSeed: instanceSeed)
        default:
            throw GFNError.invalidInput("not a spin-glass configuration")
        }
    }

    func makeHypergridModel() throws -> HypergridModel {
        guard case let .hypergrid(dims, side, r0, r1, r2) = self else { throw GFNError.invalidInput("not a hypergrid configuration") }
        return try HypergridModel(dims: dims, side: side, r0: r0, r1: r1, r2: r2)
    }

    func makePottsModel() throws -> PottsModel {
        guard case let .potts(rows, cols, boundary, q, coupling, field) = self else { throw GFNError.invalidInput("not a Potts configuration") }
        return try PottsModel(lattice: SquareLattice(rows: rows, cols: cols, boundary: boundary), q: q, coupling: coupling, field: field)
    }
}

extension RunSettings {
    /// The settings a run record was made with (for `reproduce`).
    /// - Throws: `GFNError.invalidInput` when the record names something this version cannot run.
    public init(config c: RunConfig) throws {
        self.init(energy: try EnergySpec(record: c.energy), beta: c.energy.beta, seed: c.seed, rng: c.rng, kernel: c.mh.kernel, schedule: c.mh.schedule,
                  gfn: c.gfn?.settings, gfnSamples: c.gfn?.samples ?? 100_000, loadModel: c.gfn?.loadedModel.map { URL(fileURLWithPath: $0) })
        if let m = c.gfnMh { gfnMH = GFlowNetMHSettings(every: m.every, samples: m.chains * m.samplesPerChain) }
        // The schedules above were derived from the budget; keeping it re-derives the same ones.
        budget = c.budget
    }
}
