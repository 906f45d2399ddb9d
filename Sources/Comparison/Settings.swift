import Energies
import Foundation
import NeuralNet
import Reporting
import GFlowNets
import GFNCore
import MCMC
import NeuralMCMC

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

    public static let names = ["ising", "potts", "ea", "sk", "hypergrid", "file:PATH"]

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

    /// The record's description of this energy.
    public func config(beta: Double) -> EnergyConfig {
        switch self {
        case let .ising(rows, cols, boundary, coupling, field):
            return EnergyConfig(name: "ising", rows: rows, cols: cols, boundary: boundary.rawValue, beta: beta, coupling: coupling, field: field, q: nil,
                                convention: "E(x) = −J·Σ_<ij> s_i s_j − h·Σ_i s_i, s_i = ±1, each nearest-neighbour bond counted once (torchgfn's DiscreteEBM E = −xᵀJx counts each bond twice: its J is 2J here)")
        case let .potts(rows, cols, boundary, q, coupling, field):
            return EnergyConfig(name: "potts", rows: rows, cols: cols, boundary: boundary.rawValue, beta: beta, coupling: coupling, field: field, q: q,
                                convention: "E(x) = −J·Σ_<ij> δ(x_i, x_j) − h·Σ_i δ(x_i, 0), x_i ∈ {0, …, q−1}, each nearest-neighbour bond counted once (q = 2 is Ising with coupling J/2 plus a constant)")
        case let .ea(rows, cols, boundary, gaussian, coupling, instanceSeed):
            var c = EnergyConfig(name: "ea", rows: rows, cols: cols, boundary: boundary.rawValue, beta: beta, coupling: coupling, field: 0, q: nil,
                                 convention: "E(x) = −Σ_<ij> J_ij s_i s_j, s_i = ±1, each lattice bond once; J_ij = ±J or J·N(0, 1) drawn from stream (instance_seed, 0)")
            c.disorder = gaussian ? "gaussian" : "pm"
            c.instanceSeed = instanceSeed
            return c
        case let .sk(spins, instanceSeed):
            var c = EnergyConfig(name: "sk", rows: 1, cols: spins, boundary: "none", beta: beta, coupling: 1, field: 0, q: nil,
                                 convention: "E(x) = −Σ_{i<j} J_ij s_i s_j, s_i = ±1, all pairs, J_ij ~ N(0, 1)/√n drawn from stream (instance_seed, 0)")
            c.spins = spins
            c.instanceSeed = instanceSeed
            return c
        case let .hypergrid(dims, side, r0, r1, r2):
            var c = EnergyConfig(name: "hypergrid", rows: 1, cols: dims, boundary: "none", beta: beta, coupling: 1, field: 0, q: nil,
                                 convention: "E(x) = −log R(x), R(x) = R0 + R1·Π_d 1[0.25 < |x_d/(H−1) − 0.5| ≤ 0.5] + R2·Π_d 1[0.3 < |x_d/(H−1) − 0.5| < 0.4]; β = 1 gives p ∝ R")
            c.dims = dims; c.side = side; c.rewards = [r0, r1, r2]
            return c
        case let .custom(name, variables):
            return EnergyConfig(name: name, rows: 1, cols: variables, boundary: "none", beta: beta, coupling: 1, field: 0, q: nil,
                                convention: "a user-defined EnergyModel; p(x) ∝ exp(−β·E(x))")
        case let .file(path):
            let n = (try? PairwiseModelFile.load(path: path))?.variableCount ?? 0
            var c = EnergyConfig(name: "file", rows: 1, cols: n, boundary: "none", beta: beta, coupling: 1, field: 0, q: nil,
                                 convention: "pairwise model file: E(x) = −Σ J_ij s_i s_j − Σ h_i s_i (domain 2) or −Σ J_ij δ(x_i, x_j) − Σ h_i δ(x_i, 0) (domain q > 2), each listed edge once")
            c.file = path
            c.fileFingerprint = PairwiseModelFile.fingerprint(path: path)
            return c
        }
    }
}

/// Everything that determines a comparison run's results.
public struct RunSettings: Sendable, Equatable {
    public var energy: EnergySpec
    public var beta: Double
    public var seed: UInt64
    public var rng: RandomAlgorithm
    public var kernel: KernelKind
    public var schedule: ChainSchedule
    /// The GFlowNet's settings, or nil to run MCMC only.
    public var gfn: GFlowNetSettings?
    /// Samples the GFlowNet draws after training.
    public var gfnSamples: Int
    /// Load the GFlowNet from this file instead of training it.
    public var loadModel: URL?
    /// Save the trained GFlowNet to this file.
    public var saveModel: URL?
    /// A deliberately planted fault (only for testing that `check` catches regressions; never recorded).
    public var fault: InjectedFault?
    /// The GFlowNet-in-MH sampler (`gfn-mh`), or nil for none.
    public var gfnMH: GFlowNetMHSettings?
    /// An equal energy-work budget for every sampler (`--budget-work`), or nil: each sampler's own schedule.
    /// Keep every draw's state for `--save-draws` (n bytes per draw; changes no number of the record).
    public var keepStates = false
    public var budget: WorkBudget?
    /// Reproducing a run whose training `--time-limit` stopped: end training after this many
    /// iterations, as the deadline did (not recorded; the record says the run was wall-bounded).
    public var deadlineAtIteration: Int?

    public init(energy: EnergySpec, beta: Double, seed: UInt64, rng: RandomAlgorithm = .taus2,
                kernel: KernelKind = .metropolis, schedule: ChainSchedule = ChainSchedule(),
                gfn: GFlowNetSettings? = nil, gfnSamples: Int = 100_000, loadModel: URL? = nil, saveModel: URL? = nil) {
        self.energy = energy; self.beta = beta; self.seed = seed; self.rng = rng
        self.kernel = kernel; self.schedule = schedule
        self.gfn = gfn; self.gfnSamples = gfnSamples; self.loadModel = loadModel; self.saveModel = saveModel
    }

    /// - Throws: `GFNError.invalidInput` naming the first value out of range.
    public func validate() throws {
        guard beta.isFinite, beta >= 0 else {
            throw GFNError.invalidInput("--beta must be a finite number ≥ 0 (got \(beta))")
        }
        guard beta <= 1e6 else { throw GFNError.invalidInput("--beta \(beta) is out of range: at most 1e6") }
        switch energy {
        case .ising: try validate(model: try makeIsingModel())
        case .potts: try validate(model: try makePottsModel())
        case .ea, .sk, .file: try validate(model: try makePairwiseModel())
        case .hypergrid: try validate(model: try makeHypergridModel())
        case .custom: break  // validated with the model in ComparisonRun.run(custom:…)
        }
    }

    func validate<E: EnergyModel>(model: E) throws {
        try Self.validateScale(model: model, beta: beta)
        // A budget decides the schedules: check the ones it makes.
        try applyingBudget(model: model).validateSchedule(model: model)
    }

    /// Largest |β·E| accepted: far beyond any meaningful Boltzmann weight (exp(−β·ΔE) under- or
    /// overflows long before), and far enough below the largest double that sums of energies,
    /// differences and log-space shifts in enumeration, kernels and training stay finite.
    static let maxScaledEnergy = 1e250

    /// Refuses parameters whose energies, or their product with β, do not fit a double with room
    /// to spare (e.g. `--coupling 1e308` on a lattice with 18 bonds sums to infinity).
    static func validateScale<E: EnergyModel>(model: E, beta: Double) throws {
        let bounds = model.energyBounds
        let scale = max(abs(bounds.lowerBound), abs(bounds.upperBound))
        guard scale.isFinite, scale <= maxScaledEnergy, (beta * scale).isFinite, beta * scale <= maxScaledEnergy else {
            throw GFNError.invalidInput(String(format: "the energies are out of range: |E(x)| reaches %g and β·|E(x)| %g (at most %g each); lower --coupling, --field or --beta (or the couplings and fields of the model file)",
                                               scale, beta * scale, maxScaledEnergy))
        }
    }

    /// Most single-site updates a run may ask for: 10^12, about four hours on 2 cores at the
    /// measured ~7·10⁷ updates/s per core. More cannot finish in a session; it is refused up front.
    static let maxSiteUpdates = 1e12
    /// Most memory the recorded draws and their analysis may need: 16 GiB of the machines' 24.
    static let maxDrawBytes = 16.0 * 1_073_741_824

    /// Refuses a run whose work or memory cannot fit, naming the flag that makes it so.
    func validateWork<E: EnergyModel>(model: E) throws {
        let s = schedule, n = Double(model.variableCount)
        let burnIn = Double(s.chains) * Double(s.burnInSweeps) * n
        let sampling = Double(s.chains) * Double(s.samplesPerChain) * Double(s.thinSweeps) * n
        if burnIn + sampling > Self.maxSiteUpdates {
            let flag = burnIn > sampling ? "--burn-in" : (s.thinSweeps > 1 && Double(s.thinSweeps) >= Double(s.samplesPerChain) ? "--thin" : "--samples")
            throw GFNError.invalidInput(String(format: "the Markov chains would make %.3g single-site updates (%d chains × (%d burn-in + %d samples × %d thinning) sweeps × %d sites), more than the %.0e that can finish (about four hours on 2 cores); lower %@",
                                               burnIn + sampling, s.chains, s.burnInSweeps, s.samplesPerChain, s.thinSweeps, model.variableCount, Self.maxSiteUpdates, flag))
        }
        if let m = gfnMH {
            let g = gfnMHSchedule(m)
            let steps = Double(g.chains) * (Double(g.burnInSteps) + Double(g.samplesPerChain) * Double(g.thinSteps))
            if m.every != nil, steps * n > Self.maxSiteUpdates {
                throw GFNError.invalidInput(String(format: "the GFlowNet-in-MH chains would make %.3g single-site updates, more than the %.0e that can finish; lower --gfn-mh-samples or --thin", steps * n, Self.maxSiteUpdates))
            }
            let bytes = Double(g.chains) * Double(g.samplesPerChain) * 24 * 6
            if bytes > Self.maxDrawBytes {
                throw GFNError.invalidInput(String(format: "the GFlowNet-in-MH draws and their analysis would need %.1f GiB (limit %.0f GiB); lower --gfn-mh-samples", bytes / 1_073_741_824, Self.maxDrawBytes / 1_073_741_824))
            }
        }
        // Per recorded MH sample: key, energy, magnetisation (24 bytes), about 6 copies during the
        // analysis (flattening, ranks, split chains); per GFlowNet sample also log P_F and log P_B.
        let mhBytes = Double(s.chains) * Double(s.samplesPerChain) * 24 * 6
        if mhBytes > Self.maxDrawBytes {
            throw GFNError.invalidInput(String(format: "the MH draws and their analysis would need %.1f GiB (limit %.0f GiB); lower --samples", mhBytes / 1_073_741_824, Self.maxDrawBytes / 1_073_741_824))
        }
        let gfnBytes = gfn == nil ? 0 : Double(gfnSamples) * (40 + n) * 6
        if gfnBytes > Self.maxDrawBytes {
            throw GFNError.invalidInput(String(format: "the GFlowNet's draws and their analysis would need %.1f GiB (limit %.0f GiB); lower --gfn-samples", gfnBytes / 1_073_741_824, Self.maxDrawBytes / 1_073_741_824))
        }
        if keepStates {
            let draws = Double(s.chains) * Double(s.samplesPerChain) + (gfn == nil ? 0 : Double(gfnSamples))
                + (gfnMH.map { m in let g = gfnMHSchedule(m); return Double(g.chains) * Double(g.samplesPerChain) } ?? 0)
            let bytes = DrawArchive.stateBytes(draws: draws, variables: model.variableCount)
            if bytes > Self.maxDrawBytes {
                throw GFNError.invalidInput(String(format: "--save-draws would hold %.1f GiB of states (%.3g draws × %d variables, with the file written from them; limit %.0f GiB); lower --samples, --gfn-samples or --gfn-mh-samples, or drop --save-draws",
                                                   bytes / 1_073_741_824, draws, model.variableCount, Self.maxDrawBytes / 1_073_741_824))
            }
        }
    }

    func validateSchedule<E: EnergyModel>(model: E) throws {
        if let m = gfnMH {
            guard gfn != nil else { throw GFNError.invalidInput("--gfn-mh needs the GFlowNet sampler whose draws it proposes (drop --no-gfn)") }
            if let k = m.every, k < 1 { throw GFNError.invalidInput("--gfn-mh-every must be at least 1 sweep (got \(k))") }
            if let k = m.every, k > 1_000_000_000 { throw GFNError.invalidInput("--gfn-mh-every must be at most 10^9 sweeps (got \(k))") }
            if let n = m.samples, !(schedule.chains...100_000_000).contains(n) {
                throw GFNError.invalidInput("--gfn-mh-samples must be between the number of chains (\(schedule.chains)) and 100000000 (got \(n))")
            }
        }
        try validateWork(model: model)
        if let gfn {
            try gfn.validate()
            guard gfnSamples >= 1 && gfnSamples <= 100_000_000 else {
                throw GFNError.invalidInput("--gfn-samples must be between 1 and 100000000 (got \(gfnSamples))")
            }
            let env = SetVariableEnvironment(energy: model, beta: beta, order: gfn.order)
            let bytes = Trainer<SetVariableEnvironment<E>, Float>.memoryEstimate(environment: env, settings: gfn)
            let limit = 8.0 * 1_073_741_824
            if bytes > limit {
                throw GFNError.invalidInput(String(format: "the GFlowNet's training buffers would need %.1f GB for %d variables × batch %d × hidden %d (the limit is 8 GB); lower --batch or --hidden",
                                                   bytes / 1_073_741_824, model.variableCount, gfn.batch, gfn.hidden))
            }
            if loadModel != nil && saveModel != nil {
                throw GFNError.invalidInput("--load-model and --save-model together would only copy the file; use one of them")
            }
        } else if loadModel != nil || saveModel != nil {
            throw GFNError.invalidInput("--load-model and --save-model need the GFlowNet sampler (drop --no-gfn)")
        }
        switch kernel {
        case .metropolis: try ChainRunner.check(kernel: MetropolisKernel(energy: model, beta: beta), schedule: schedule)
        case .heatBath: try ChainRunner.check(kernel: HeatBathKernel(energy: model, beta: beta), schedule: schedule)
        case .gridStep: try ChainRunner.check(kernel: GridStepKernel(energy: model, beta: beta), schedule: schedule)
        }
    }

    func makeIsingModel() throws -> IsingModel {
        guard case let .ising(rows, cols, boundary, coupling, field) = energy else { throw GFNError.invalidInput("not an Ising configuration") }
        return try IsingModel(lattice: SquareLattice(rows: rows, cols: cols, boundary: boundary), coupling: coupling, field: field)
    }

    func makePairwiseModel() throws -> PairwiseModel {
        switch energy {
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
        guard case let .hypergrid(dims, side, r0, r1, r2) = energy else { throw GFNError.invalidInput("not a hypergrid configuration") }
        return try HypergridModel(dims: dims, side: side, r0: r0, r1: r1, r2: r2)
    }

    func makePottsModel() throws -> PottsModel {
        guard case let .potts(rows, cols, boundary, q, coupling, field) = energy else { throw GFNError.invalidInput("not a Potts configuration") }
        return try PottsModel(lattice: SquareLattice(rows: rows, cols: cols, boundary: boundary), q: q, coupling: coupling, field: field)
    }
}

/// An equal budget of energy work (a local ΔE is one unit, a full E(x) n units) for every sampler.
///
/// MH spends it on its chains (burn-in included); the GFlowNet on training (`training_share` of it;
/// its sampling needs no energy); the `gfn-mh` chains reuse that training and spend the rest on
/// their own proposals and local moves. The schedules are derived from the budget before the run
/// (they replace `--samples`, `--iterations` and `--gfn-mh-samples`), and each sampler's counted
/// work is at most the budget and short of it by less than one step of every chain (MH: one sweep
/// per chain; GFlowNet: one training batch; `gfn-mh`: one step, or one sweep and one proposal,
/// per chain) — see ``RunSettings/budgetTolerance(model:)``.
public struct WorkBudget: Sendable, Equatable {
    public var energyWork: Int
    /// The fraction of the budget the GFlowNet trains on (the rest is `gfn-mh`'s); 1 without `gfn-mh`.
    public var trainingShare: Double
    public init(energyWork: Int, trainingShare: Double) { self.energyWork = energyWork; self.trainingShare = trainingShare }
}

extension RunSettings {
    /// Energy work of one single-site update of the run's kernel (heat-bath weighs q − 1 values).
    func workPerUpdate<E: EnergyModel>(_ model: E) -> Int { kernel == .heatBath ? model.domainSize - 1 : 1 }

    /// The settings with every schedule derived from ``budget`` (unchanged without one).
    /// - Throws: `GFNError.invalidInput` naming `--budget-work` when it cannot pay for a
    ///   sampler's burn-in and one sample, or for one training batch.
    public func applyingBudget<E: EnergyModel>(model: E) throws -> RunSettings {
        guard let b = budget else { return self }
        var s = self
        let n = model.variableCount, c = schedule.chains, N = Double(b.energyWork)
        guard b.energyWork > 0 else { throw GFNError.invalidInput("--budget-work must be a positive number of energy-work units (got \(b.energyWork))") }
        guard b.trainingShare > 0, b.trainingShare <= 1, b.trainingShare.isFinite else {
            throw GFNError.invalidInput("--budget-training-share must be in (0, 1] (got \(b.trainingShare))")
        }
        // MH: one full E(x) per chain start, then n updates per sweep.
        let sweepWork = Double(n * workPerUpdate(model))
        let sweeps = Int(((N - Double(c * n)) / Double(c) / sweepWork).rounded(.down))
        let mhSamples = (sweeps - schedule.burnInSweeps) / schedule.thinSweeps
        guard mhSamples >= 1 else {
            throw GFNError.invalidInput(String(format: "--budget-work %d cannot pay for MH's %d burn-in sweeps and one sample on %d chains (%d units a sweep per chain); raise --budget-work or lower --burn-in",
                                               b.energyWork, schedule.burnInSweeps, c, Int(sweepWork)))
        }
        s.schedule.samplesPerChain = mhSamples
        guard var g = gfn else { return s }
        if gfnMH != nil, b.trainingShare >= 1 {
            throw GFNError.invalidInput("--budget-training-share must be below 1 with --gfn-mh: the gfn-mh chains spend the rest of the budget")
        }
        let share = gfnMH == nil ? 1 : b.trainingShare
        let iterations = Int((share * N / Double(g.batch * n)).rounded(.down))
        guard iterations >= 1 else {
            throw GFNError.invalidInput(String(format: "--budget-work %d is too small to train the GFlowNet at all: one batch of %d trajectories costs %d units (%d full E(x) of %d variables)%@",
                                               b.energyWork, g.batch, g.batch * n, g.batch, n, gfnMH == nil ? "" : String(format: ", and it gets %.3g of the budget", share)))
        }
        g.iterations = iterations
        s.gfn = g
        if var m = gfnMH {
            let own = (1 - share) * N / Double(c)
            // A step is one proposal (a full E(x)), or one sweep of local moves plus a proposal every k sweeps.
            let stepWork = m.every.map { sweepWork + Double(n) / Double($0) } ?? Double(n)
            let steps = Int(((own - Double(n)) / stepWork).rounded(.down))
            let chainSchedule = gfnMHSchedule(m)
            let burnIn = chainSchedule.burnInSteps
            let samples = (steps - burnIn) / chainSchedule.thinSteps
            guard samples >= 1 else {
                throw GFNError.invalidInput(String(format: "--budget-work %d leaves the gfn-mh chains %.0f units each, too few for %d burn-in steps and one sample; raise --budget-work or lower --budget-training-share",
                                                   b.energyWork, own, burnIn))
            }
            m.samples = samples * c
            s.gfnMH = m
        }
        return s
    }

    /// How far below the budget each sampler's counted energy work may fall (the granularity of
    /// its schedule): MH one sweep per chain, the GFlowNet one training batch, `gfn-mh` one step
    /// (mixed: one sweep and one proposal) per chain, plus the thinning's remainder.
    public func budgetTolerance<E: EnergyModel>(model: E) -> (mh: Int, gfn: Int, gfnMH: Int) {
        let n = model.variableCount, c = schedule.chains
        let sweep = n * workPerUpdate(model)
        let mixed = gfnMH?.every != nil
        return (c * sweep * schedule.thinSweeps, (gfn?.batch ?? 0) * n,
                c * (mixed ? (sweep + n) * schedule.thinSweeps : n))
    }
}

/// The GFlowNet-in-MH sampler's settings (see `GFlowNetMH`).
public struct GFlowNetMHSettings: Sendable, Equatable {
    /// nil: an independence chain (a GFlowNet proposal at every step); K: K local sweeps of the
    /// run's MH kernel between GFlowNet proposals (mixed chains).
    public var every: Int?
    /// Recorded samples over all chains; nil: as many as MH records.
    public var samples: Int?
    public init(every: Int? = nil, samples: Int? = nil) { self.every = every; self.samples = samples }

    /// Burn-in of the independence chain, in proposals: it starts from a GFlowNet draw, so it
    /// needs few; the mixed chains burn in like MH, in sweeps.
    public static let independenceBurnIn = 100
}

extension RunSettings {
    /// The chains' schedule: MH's chain count (and, for mixed chains, its burn-in, thinning and
    /// scan), with the requested total samples shared between the chains.
    public func gfnMHSchedule(_ m: GFlowNetMHSettings) -> NeuralMCMCSchedule {
        let total = m.samples ?? schedule.chains * schedule.samplesPerChain
        let perChain = (total + schedule.chains - 1) / schedule.chains
        if let k = m.every {
            return NeuralMCMCSchedule(mode: .mixed(sweepsBetweenProposals: k), chains: schedule.chains, burnInSteps: schedule.burnInSweeps,
                                      samplesPerChain: perChain, thinSteps: schedule.thinSweeps, scan: schedule.scan)
        }
        return NeuralMCMCSchedule(mode: .independence, chains: schedule.chains, burnInSteps: GFlowNetMHSettings.independenceBurnIn,
                                  samplesPerChain: perChain, thinSteps: 1, scan: schedule.scan)
    }
}

extension RunSettings {
    /// The settings a run record was made with (for `reproduce`).
    /// - Throws: `GFNError.invalidInput` when the record names something this version cannot run.
    public init(config c: RunConfig) throws {
        guard ["ising", "potts", "ea", "sk", "hypergrid", "file"].contains(c.energy.name) else { throw GFNError.invalidInput("the record's energy '\(c.energy.name)' is not one this gfn-compare runs") }
        guard let boundary = Boundary(rawValue: c.energy.boundary) ?? (["sk", "file", "hypergrid"].contains(c.energy.name) ? .open : nil), let rng = RandomAlgorithm(rawValue: c.rng),
              let kernel = KernelKind(rawValue: c.mh.kernel), let scan = ScanOrder(rawValue: c.mh.scan) else {
            throw GFNError.invalidInput("the record's configuration has a value this gfn-compare does not know")
        }
        var gfn: GFlowNetSettings?
        if let g = c.gfn {
            guard let objective = Objective(rawValue: g.objective), let order = ConstructionOrder(rawValue: g.order),
                  let backward = BackwardPolicy(rawValue: g.backward), let activation = Activation(rawValue: g.activation) else {
                throw GFNError.invalidInput("the record's GFlowNet configuration has a value this gfn-compare does not know")
            }
            var s = GFlowNetSettings()
            s.objective = objective; s.order = order; s.backward = backward; s.hidden = g.hidden; s.layers = g.layers
            s.activation = activation; s.batch = g.batch; s.iterations = g.iterations; s.learningRate = g.learningRate
            s.learningRateLogZ = g.learningRateLogZ; s.epsilon = g.epsilon; s.temperature = g.temperature
            s.subtbLambda = g.subtbLambda; s.clipNorm = g.clipNorm; s.blasThreads = g.blasThreads
            if let start = g.logZStart {
                guard let value = LogZStart(rawValue: start) else { throw GFNError.invalidInput("the record's log_z_start '\(start)' is not one this gfn-compare knows") }
                s.logZStart = value
            }
            s.annealFraction = g.annealFraction
            if let head = g.head {
                guard let value = PolicyHead(rawValue: head) else { throw GFNError.invalidInput("the record's head '\(head)' is not one this gfn-compare knows") }
                s.head = value == .shared ? nil : value
            }
            s.forwardLooking = g.forwardLooking == true ? true : nil
            gfn = s
        }
        let energy: EnergySpec
        switch c.energy.name {
        case "potts": energy = .potts(rows: c.energy.rows, cols: c.energy.cols, boundary: boundary, q: c.energy.q ?? 3, coupling: c.energy.coupling, field: c.energy.field)
        case "ea": energy = .ea(rows: c.energy.rows, cols: c.energy.cols, boundary: boundary, gaussian: c.energy.disorder == "gaussian", coupling: c.energy.coupling, instanceSeed: c.energy.instanceSeed ?? 1)
        case "sk": energy = .sk(spins: c.energy.spins ?? c.energy.cols, instanceSeed: c.energy.instanceSeed ?? 1)
        case "hypergrid":
            let r = c.energy.rewards ?? [0.1, 0.5, 2.0]
            guard r.count == 3 else { throw GFNError.invalidInput("the record's hypergrid rewards must be three numbers") }
            energy = .hypergrid(dims: c.energy.dims ?? c.energy.cols, side: c.energy.side ?? 8, r0: r[0], r1: r[1], r2: r[2])
        case "file":
            guard let path = c.energy.file else { throw GFNError.invalidInput("the record's file energy names no file") }
            if let recorded = c.energy.fileFingerprint, PairwiseModelFile.fingerprint(path: path) != recorded {
                throw GFNError.invalidInput("\(path) has changed since the run was recorded (its fingerprint differs); the configuration cannot be rerun as it was")
            }
            energy = .file(path: path)
        default: energy = .ising(rows: c.energy.rows, cols: c.energy.cols, boundary: boundary, coupling: c.energy.coupling, field: c.energy.field)
        }
        self.init(energy: energy,
                  beta: c.energy.beta, seed: c.seed, rng: rng, kernel: kernel,
                  schedule: ChainSchedule(chains: c.mh.chains, burnInSweeps: c.mh.burnInSweeps, samplesPerChain: c.mh.samplesPerChain,
                                          thinSweeps: c.mh.thinSweeps, scan: scan),
                  gfn: gfn, gfnSamples: c.gfn?.samples ?? 100_000, loadModel: c.gfn?.loadedModel.map { URL(fileURLWithPath: $0) })
        if let m = c.gfnMh { gfnMH = GFlowNetMHSettings(every: m.every, samples: m.chains * m.samplesPerChain) }
        // The schedules above were derived from the budget; keeping it re-derives the same ones.
        if let b = c.budget { budget = WorkBudget(energyWork: b.energyWork, trainingShare: b.trainingShare) }
    }
}
