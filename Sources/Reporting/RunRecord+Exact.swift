import Foundation
import Metrics

/// The exact reference. Unknown values are null, never 0.
public struct ExactRecord: Codable, Equatable, Sendable {
    @Nullable public var logZ: Double?
    /// "enumeration", "kaufman" or null.
    @Nullable public var logZMethod: String?
    @Nullable public var nStates: Double?
    @Nullable public var meanEnergy: Double?
    @Nullable public var meanEnergyMethod: String?
    @Nullable public var meanAbsMagnetizationPerSite: Double?
    /// P(M > 0), P(M = 0), P(M < 0).
    @Nullable public var modeMass: ModeMassRecord?
    /// Kaufman's log Z where it applies (a cross-check of enumeration on periodic zero-field lattices).
    @Nullable public var logZKaufman: Double?
    /// Why a value is unknown (e.g. the state space is too large to enumerate).
    public var notes: [String] = []
    /// H(p) = log Z + β⟨E⟩, in nats.
    @Nullable public var entropy: Double?
    /// The target is symmetric under flipping every spin (Ising at h = 0): P(M > 0) = P(M < 0) exactly.
    @Nullable public var spinFlipSymmetric: Bool?
    /// Context, not a reference for this lattice: Onsager's infinite-lattice energy per site and
    /// Yang's spontaneous magnetisation (Ising, J > 0, h = 0).
    @Nullable public var onsagerEnergyPerSite: Double?
    @Nullable public var yangMagnetization: Double?
    /// Spin glasses: every coupling as [i, j, J_ij].
    @Nullable public var couplings: [[Double]]?
    /// Beyond enumeration: a labelled *estimate* from a long cluster-algorithm run (Wolff), the
    /// reference for histograms, specific heat and susceptibility (and for ⟨E⟩ where no closed form gives it).
    @Nullable public var referenceEstimate: ReferenceEstimate?
    /// Exact energy levels and their probabilities (enumeration).
    @Nullable public var energyLevels: [Double]?
    @Nullable public var energyLevelProbabilities: [Double]?
    /// Exact P(M = m) for m = −n…n (enumeration; index k is M = k − n).
    @Nullable public var magnetizationProbabilities: [Double]?
    /// Exact P(xᵢ = 1) per site (enumeration; binary models).
    @Nullable public var marginalsUp: [Double]?
    /// Exact P(xᵢ = v) per site i and value v (enumeration; models with more than two values,
    /// up to 1,024 sites).
    @Nullable public var marginals: [[Double]]?
    /// The exact specific heat per site β²·Var(E)/n (enumeration, or Kaufman's log Z differentiated twice).
    public var specificHeatPerSite: Double?

    public init() {}
}

/// A reference *estimate* (not exact) with its Monte Carlo standard errors.
public struct ReferenceEstimate: Codable, Equatable, Sendable {
    public var method: String
    public var samples: Int
    public var meanEnergy: Double
    public var meanEnergyMcse: Double
    public var meanAbsMagnetizationPerSite: Double
    public var meanAbsMagnetizationPerSiteMcse: Double
    /// Every how many recorded steps the histograms below take a draw (⌈2·τ_int⌉ of the slower of
    /// E, M and |M|), so their draws are nearly independent; null in records made before.
    @Nullable public var thinning: Int?
    /// The thinned draws' histograms of E and of M/n (signed, so a sampler missing a mode shows):
    /// what samplers are compared with where the target cannot be enumerated.
    @Nullable public var energyHistogram: ObservableHistogram?
    @Nullable public var magnetizationHistogram: ObservableHistogram?
    /// β²·Var(E)/n and χ = β·n·(⟨m²⟩ − ⟨|m|⟩²) (m = M/n) with batch-means standard errors.
    public var specificHeatPerSite: Double?
    @Nullable public var specificHeatPerSiteSe: Double?
    @Nullable public var susceptibility: Double?
    @Nullable public var susceptibilitySe: Double?

    public init(method: String, samples: Int, meanEnergy: Double, meanEnergyMcse: Double, meanAbsMagnetizationPerSite: Double, meanAbsMagnetizationPerSiteMcse: Double) {
        self.method = method; self.samples = samples; self.meanEnergy = meanEnergy; self.meanEnergyMcse = meanEnergyMcse
        self.meanAbsMagnetizationPerSite = meanAbsMagnetizationPerSite; self.meanAbsMagnetizationPerSiteMcse = meanAbsMagnetizationPerSiteMcse
    }
}

/// Counts of an observable's values (distinct values, increasing).
public struct ObservableHistogram: Codable, Equatable, Sendable {
    public var values: [Double]
    public var counts: [Int]
    public init(values: [Double], counts: [Int]) { self.values = values; self.counts = counts }

    /// The histogram of `observations` over their distinct values.
    public init(_ observations: [Double]) {
        var tally: [Double: Int] = [:]
        for v in observations { tally[v, default: 0] += 1 }
        values = tally.keys.sorted()
        counts = values.map { tally[$0]! }
    }

    /// Counts of `observations` over this histogram's values, and how many fell on none of them.
    public func counts(of observations: [Double]) -> (counts: [Int], outside: Int) {
        let index = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) })
        var c = [Int](repeating: 0, count: values.count)
        var outside = 0
        for v in observations { if let k = index[v] { c[k] += 1 } else { outside += 1 } }
        return (c, outside)
    }
}

/// A sampler's draws judged against the reference estimate (where the target cannot be enumerated).
public struct ReferenceComparison: Codable, Equatable, Sendable {
    /// Every how many draws of each chain were used (1 for independent draws).
    public var thinning: Int
    /// The sampler's histograms against the reference's (an extra bin holds values the reference
    /// never drew): TV and its floor for two exact samples of these sizes.
    @Nullable public var energy: HistogramComparison?
    @Nullable public var magnetization: HistogramComparison?
    /// β²·Var(E)/n and χ = β·n·(⟨m²⟩ − ⟨|m|⟩²) of all draws, with batch-means standard errors.
    public var specificHeatPerSite: Double?
    @Nullable public var specificHeatPerSiteSe: Double?
    @Nullable public var susceptibility: Double?
    @Nullable public var susceptibilitySe: Double?
    public init(thinning: Int) { self.thinning = thinning }
}

/// Self-normalised importance-sampling estimates from a GFlowNet's independent draws, each draw
/// weighted by w = R(x)·P_B(τ|x)/P_F(τ): they remove the policy's bias where the weights allow.
public struct ImportanceWeightedEstimates: Codable, Equatable, Sendable {
    /// Kish's effective sample size of the weights.
    public var ess: Double
    public var meanEnergy: Double
    public var meanEnergySe: Double
    public var meanAbsMagnetizationPerSite: Double
    public var meanAbsMagnetizationPerSiteSe: Double
    /// Weighted P(M > 0).
    public var positiveMass: Double
    public var positiveMassSe: Double
    public init(ess: Double, meanEnergy: Double, meanEnergySe: Double, meanAbsMagnetizationPerSite: Double,
                meanAbsMagnetizationPerSiteSe: Double, positiveMass: Double, positiveMassSe: Double) {
        self.ess = ess; self.meanEnergy = meanEnergy; self.meanEnergySe = meanEnergySe
        self.meanAbsMagnetizationPerSite = meanAbsMagnetizationPerSite; self.meanAbsMagnetizationPerSiteSe = meanAbsMagnetizationPerSiteSe
        self.positiveMass = positiveMass; self.positiveMassSe = positiveMassSe
    }
}

public struct ModeMassRecord: Codable, Equatable, Sendable {
    public var positive: Double
    public var zero: Double
    public var negative: Double
    public init(positive: Double, zero: Double, negative: Double) { self.positive = positive; self.zero = zero; self.negative = negative }
}
