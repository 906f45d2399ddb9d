import Foundation
import Metrics

/// One sampler's results.
public struct SamplerRecord: Codable, Equatable, Sendable {
    /// "mh", "gfn" or "gfn-mh".
    public var name: String
    public var metrics: SamplerMetrics
    /// The training curve (GFlowNet only), at most 500 evenly spaced iterations.
    public var training: TrainingCurve?
    public init(name: String, metrics: SamplerMetrics, training: TrainingCurve? = nil) {
        self.name = name; self.metrics = metrics; self.training = training
    }
}

/// Loss and learned log Z against the training iteration.
public struct TrainingCurve: Codable, Equatable, Sendable {
    public var iteration: [Int]
    public var loss: [Double]
    /// null entries where the objective has no log Z parameter (flow matching).
    public var logZ: [Double?]
    public init(iteration: [Int], loss: [Double], logZ: [Double?]) { self.iteration = iteration; self.loss = loss; self.logZ = logZ }
}

/// A sampler's metrics. Every estimate is measured against the exact reference where known;
/// unknown values are null.
public struct SamplerMetrics: Codable, Equatable, Sendable {
    /// Number of recorded samples N.
    public var samples: Int
    /// ½·Σ|p̂ − p| of the empirical distribution to the exact target (null unless enumerable).
    @Nullable public var tv: Double?
    /// Distinct states among the samples.
    @Nullable public var distinctStates: Int?
    /// Pearson chi-square goodness of fit against the exact target on draws thinned to be
    /// nearly independent (null unless the state space has at most 2^20 states).
    @Nullable public var chiSquare: ChiSquareRecord?
    public var meanEnergy: Double
    @Nullable public var meanEnergyExact: Double?
    /// Monte Carlo standard error of mean_energy (from τ_int of the energy trace).
    @Nullable public var meanEnergyMcse: Double?
    public var meanAbsMagnetizationPerSite: Double
    @Nullable public var meanAbsMagnetizationPerSiteExact: Double?
    /// max over sites |P̂(sᵢ = +1) − P(sᵢ = +1)|.
    @Nullable public var maxMarginalError: Double?
    /// max over sites of |P̂(sᵢ = +1) − P(sᵢ = +1)| / MCSE, MCSE = sqrt(P̂(1 − P̂)/ESS) with ESS = N for
    /// independent draws and the smaller bulk ESS of energy and magnetisation for MCMC.
    @Nullable public var maxMarginalErrorInMcse: Double?
    /// max over bonds |⟨sᵢsⱼ⟩̂ − ⟨sᵢsⱼ⟩|.
    @Nullable public var maxCorrelationError: Double?
    public var modeMass: ModeMassRecord
    /// Integrated autocorrelation time of the energy trace, in recorded samples.
    @Nullable public var tauIntEnergy: Double?
    /// Integrated autocorrelation time of the signed magnetisation trace, in recorded samples.
    @Nullable public var tauIntMagnetization: Double?
    /// N / τ_int(energy).
    @Nullable public var essEnergy: Double?
    /// The tracked observable that mixes slowest ("energy" or "magnetisation"): its τ_int sets the
    /// thinning and its bulk ESS the effective draws.
    @Nullable public var slowestObservable: String?
    /// The smallest bulk ESS over the tracked observables (MCMC), N for independent draws: what
    /// verdicts and the cost per effective draw use.
    @Nullable public var effectiveDraws: Double?
    /// Why these draws support no verdict (R-hat or bulk ESS of some observable out of bounds,
    /// see the README's decision rule); null when they do.
    @Nullable public var verdictRefusal: String?
    /// Energy work: local ΔE evaluations plus n per full E(x) evaluation (one full E(x) touches
    /// every site, a local ΔE one site's neighbourhood). The common unit of cost.
    @Nullable public var energyWork: Int?
    @Nullable public var acceptanceRate: Double?
    /// The GFlowNet's learned log Z (null for MCMC).
    @Nullable public var logZLearned: Double?
    /// TV of the GFlowNet's exact model distribution P_T to the target: no sampling noise (null when P_T is not computable, and for MCMC).
    @Nullable public var tvModelExact: Double?
    /// Why tv_model_exact is null, when it is.
    @Nullable public var tvModelExactNote: String?
    /// TV, KL both ways, Jensen–Shannon and Hellinger of the empirical distribution to the target.
    @Nullable public var distances: DistanceSet?
    /// TV of the nearly independent draws the floor and the chi-square test use: every ⌈2·τ_int⌉-th
    /// sample of each chain for MCMC (see chi_square.thin), all draws for an independent sampler.
    @Nullable public var thinnedTv: Double?
    /// The distances of as many exact independent draws as thinned_tv uses (mean and sd over 50 replicates).
    @Nullable public var noiseFloor: NoiseFloor?
    /// Whether thinned_tv lies within the noise floor (≤ mean + 3 sd): indistinguishable from exact
    /// sampling at that size. Null when the draws support no verdict (see verdict_refusal).
    @Nullable public var withinNoiseFloor: Bool?
    /// The GFlowNet's exact model distribution P_T against the target: every distance, no sampling noise.
    @Nullable public var modelDistances: DistanceSet?
    /// Mode masses of the exact model distribution P_T (GFlowNet).
    @Nullable public var modeMassModelExact: ModeMassRecord?
    /// Rank-normalised split R-hat (ArviZ) of the energy and magnetisation traces (MCMC).
    @Nullable public var rhatEnergy: Double?
    @Nullable public var rhatMagnetization: Double?
    /// Bulk and tail ESS (ArviZ) of the energy and magnetisation traces.
    @Nullable public var essBulkEnergy: Double?
    @Nullable public var essTailEnergy: Double?
    @Nullable public var essBulkMagnetization: Double?
    @Nullable public var essTailMagnetization: Double?
    /// Importance-sampling log Z: log mean exp(log R(x) + log P_B(τ|x) − log P_F(τ)) over the GFlowNet's samples.
    @Nullable public var logZImportance: Double?
    /// Kish effective sample size of those importance weights.
    @Nullable public var logZImportanceEss: Double?
    /// Delta-method standard error of the importance-sampled log Z, sd(w/w̄)/√N (absent for MCMC;
    /// meaningless when the ESS is small, which the report says).
    public var logZImportanceSe: Double?
    /// The ELBO: mean over the GFlowNet's samples of log R(x) + log P_B(τ|x) − log P_F(τ), a lower
    /// bound on log Z in expectation (Jensen), and its standard error (absent for MCMC).
    public var logZElbo: Double?
    public var logZElboSe: Double?
    /// Pearson correlation over the GFlowNet's samples of log P_F(τ) − log P_B(τ|x) (log P_T(x) on
    /// the fixed order) with log R(x): 1 for a perfectly trained sampler (absent for MCMC).
    public var logProbabilityRewardCorrelation: Double?
    /// The EUBO: mean over reference states x (a Wolff run's, where the target cannot be enumerated)
    /// of log R(x) + log P_B(τ|x) − log P_F(τ), τ ~ P_B(·|x) — an upper bound on log Z in
    /// expectation when x ~ p — and its MCSE (the reference states are a correlated chain).
    public var logZEubo: Double?
    public var logZEuboSe: Double?
    /// Where the target cannot be enumerated: the draws against the reference estimate's histograms,
    /// specific heat and susceptibility (absent when there is no reference estimate).
    public var referenceComparison: ReferenceComparison?
    /// The GFlowNet's self-normalised importance-weighted ⟨E⟩, ⟨|m|⟩ and P(M > 0) (absent for MCMC).
    public var importanceWeighted: ImportanceWeightedEstimates?
    /// Plain-words warnings (mode collapse, R-hat > 1.01, ESS < 100 per chain, …).
    public var warnings: [String] = []
    /// The sampler's frequency of each exact energy level (aligned with exact.energy_levels).
    @Nullable public var energyHistogram: [Double]?
    /// The sampler's frequency of M = k − n (aligned with exact.magnetization_probabilities).
    @Nullable public var magnetizationHistogram: [Double]?
    /// Estimated P(xᵢ = 1) per site (binary models, up to 1,024 sites).
    @Nullable public var marginalsUp: [Double]?
    /// Estimated P(xᵢ = v) per site and value (models with more than two values, up to 1,024 sites).
    @Nullable public var marginals: [[Double]]?
    /// Quality against cost, recorded at checkpoints during the run.
    @Nullable public var curve: QualityCurve?
    /// True when `--time-limit` cut the run short (volatile: depends on the machine's speed).
    @Nullable public var wallLimited: Bool?
    /// Training trajectories (GFlowNet).
    @Nullable public var trainingTrajectories: Int?
    /// Wall time of training (GFlowNet; volatile).
    @Nullable public var trainingSeconds: Double?
    /// Energy evaluations: local ΔE evaluations plus full E(x) evaluations.
    public var energyEvaluations: Int
    public var deltaEnergyEvaluations: Int
    public var fullEnergyEvaluations: Int
    public var wallSeconds: Double
    @Nullable public var burnInSeconds: Double?
    @Nullable public var samplingSeconds: Double?
    /// The GFlowNet proposals of a `gfn-mh` chain (absent for other samplers).
    public var gfnMh: GFNMHMetrics?
    /// τ_int of a GFlowNet-MH independence chain's log importance weight, in recorded samples: it
    /// also bounds the thinning (absent for other samplers).
    public var tauIntLogWeight: Double?

    public init(samples: Int, meanEnergy: Double, meanAbsMagnetizationPerSite: Double, modeMass: ModeMassRecord,
                energyEvaluations: Int, deltaEnergyEvaluations: Int, fullEnergyEvaluations: Int, wallSeconds: Double) {
        self.samples = samples; self.meanEnergy = meanEnergy; self.meanAbsMagnetizationPerSite = meanAbsMagnetizationPerSite
        self.modeMass = modeMass; self.energyEvaluations = energyEvaluations
        self.deltaEnergyEvaluations = deltaEnergyEvaluations; self.fullEnergyEvaluations = fullEnergyEvaluations
        self.wallSeconds = wallSeconds
    }
}

/// What the GFlowNet proposals of a `gfn-mh` sampler did and cost.
public struct GFNMHMetrics: Codable, Equatable, Sendable {
    /// GFlowNet proposals made and accepted, over all chains, burn-in included.
    public var proposals: Int
    public var acceptances: Int
    @Nullable public var acceptanceRate: Double?
    /// The most GFlowNet proposals one chain rejected in a row.
    public var longestRejectionRun: Int
    /// Acceptance rate of the local moves (mixed mode; null for the independence chain).
    @Nullable public var localAcceptanceRate: Double?
    /// Seconds in the network: drawing proposals and scoring current states (volatile).
    public var networkSeconds: Double
    /// The training this sampler reuses (the `gfn` sampler's): its energy work and seconds (volatile),
    /// not included in energy_work, which counts this sampler's own evaluations.
    public var reusedTrainingEnergyWork: Int
    public var reusedTrainingSeconds: Double
    public init(proposals: Int, acceptances: Int, longestRejectionRun: Int, localAcceptanceRate: Double?, networkSeconds: Double,
                reusedTrainingEnergyWork: Int, reusedTrainingSeconds: Double) {
        self.proposals = proposals; self.acceptances = acceptances
        acceptanceRate = proposals > 0 ? Double(acceptances) / Double(proposals) : nil
        self.longestRejectionRun = longestRejectionRun; self.localAcceptanceRate = localAcceptanceRate
        self.networkSeconds = networkSeconds; self.reusedTrainingEnergyWork = reusedTrainingEnergyWork
        self.reusedTrainingSeconds = reusedTrainingSeconds
    }
}

/// A distance to the target against cost, at checkpoints of a run.
public struct QualityCurve: Codable, Equatable, Sendable {
    /// What is measured: "empirical TV" (MCMC draws so far) or "exact model TV" (GFlowNet P_T so far).
    public var measure: String
    public var energyEvaluations: [Int]
    /// Elapsed wall time at each checkpoint (volatile).
    public var wallSeconds: [Double]
    public var tv: [Double]
    public init(measure: String, energyEvaluations: [Int], wallSeconds: [Double], tv: [Double]) {
        self.measure = measure; self.energyEvaluations = energyEvaluations; self.wallSeconds = wallSeconds; self.tv = tv
    }
}

public struct ChiSquareRecord: Codable, Equatable, Sendable {
    public var statistic: Double
    public var degreesOfFreedom: Int
    public var pValue: Double
    /// Draws tested (after thinning).
    public var draws: Int
    /// Every `thin`-th recorded sample of each chain was tested (⌈2·τ_int⌉ of the slowest trace).
    public var thin: Int
    public init(statistic: Double, degreesOfFreedom: Int, pValue: Double, draws: Int, thin: Int) {
        self.statistic = statistic; self.degreesOfFreedom = degreesOfFreedom; self.pValue = pValue
        self.draws = draws; self.thin = thin
    }
}
