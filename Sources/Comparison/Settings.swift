import Energies
import Foundation
import NeuralNet
import Reporting
import GFlowNets
import GFNCore
import MCMC
import NeuralMCMC
import Settings

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
        switch energy {
        case .ising: try validate(model: try energy.makeIsingModel())
        case .potts: try validate(model: try energy.makePottsModel())
        case .ea, .sk, .file: try validate(model: try energy.makePairwiseModel())
        case .hypergrid: try validate(model: try energy.makeHypergridModel())
        case .custom: try validateBeta()  // the model is validated with it in ComparisonRun.run(custom:…)
        }
    }

    /// - Throws: `GFNError.invalidInput` when β is not a finite number in [0, 10^6].
    func validateBeta() throws {
        guard beta.isFinite, beta >= 0 else {
            throw GFNError.invalidInput("--beta must be a finite number ≥ 0 (got \(beta))")
        }
        guard beta <= 1e6 else { throw GFNError.invalidInput("--beta \(beta) is out of range: at most 1e6") }
    }

    /// Checks β, the energies' scale and every schedule (with the budget applied) on the built model.
    func validate<E: EnergyModel>(model: E) throws {
        try validateBeta()
        try Self.validateScale(model: model, beta: beta)
        if gfn?.spinFlipMixture == true, (model as? ReferenceCapabilities)?.isSpinFlipSymmetric != true {
            // Mixing x with x̄ is exact for any target, but only a symmetric one gains from it.
            throw GFNError.invalidInput("--spin-flip-mixture needs a target symmetric under flipping every spin (Ising, a glass or a pairwise model file, all at zero field); this one is not")
        }
        if let gfn, gfn.patchRadius != nil, gfn.order == .fixed, model.translationInvariantLattice == nil {
            throw GFNError.invalidInput(LatticePatch.unsupportedTarget)
        }
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
            try BF16Products.requireSupport(for: gfn.precision)
            guard gfnSamples >= 1 && gfnSamples <= 100_000_000 else {
                throw GFNError.invalidInput("--gfn-samples must be between 1 and 100000000 (got \(gfnSamples))")
            }
            let env = SetVariableEnvironment(energy: model, beta: beta, order: gfn.order, patchRadius: gfn.patchRadius)
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
