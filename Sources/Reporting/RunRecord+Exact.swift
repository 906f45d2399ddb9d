import Foundation
import Metrics

/// The exact reference. Unknown values are null, never 0.
public struct ExactRecord: Codable, Equatable, Sendable {
    public var logZ: Double?
    /// "enumeration", "kaufman" or null.
    public var logZMethod: String?
    public var nStates: Double?
    public var meanEnergy: Double?
    public var meanEnergyMethod: String?
    public var meanAbsMagnetizationPerSite: Double?
    /// P(M > 0), P(M = 0), P(M < 0).
    public var modeMass: ModeMassRecord?
    /// Kaufman's log Z where it applies (a cross-check of enumeration on periodic zero-field lattices).
    public var logZKaufman: Double?
    /// Why a value is unknown (e.g. the state space is too large to enumerate).
    public var notes: [String] = []
    /// H(p) = log Z + β⟨E⟩, in nats.
    public var entropy: Double?
    /// The target is symmetric under flipping every spin (Ising at h = 0): P(M > 0) = P(M < 0) exactly.
    public var spinFlipSymmetric: Bool?
    /// Context, not a reference for this lattice: Onsager's infinite-lattice energy per site and
    /// Yang's spontaneous magnetisation (Ising, J > 0, h = 0).
    public var onsagerEnergyPerSite: Double?
    public var yangMagnetization: Double?
    /// Spin glasses: every coupling as [i, j, J_ij].
    public var couplings: [[Double]]?
    /// Where no exact ⟨E⟩ is known: a labelled *estimate* from a long cluster-algorithm run.
    public var referenceEstimate: ReferenceEstimate?
    /// Exact energy levels and their probabilities (enumeration).
    public var energyLevels: [Double]?
    public var energyLevelProbabilities: [Double]?
    /// Exact P(M = m) for m = −n…n (enumeration; index k is M = k − n).
    public var magnetizationProbabilities: [Double]?
    /// Exact P(xᵢ = 1) per site (enumeration; binary models).
    public var marginalsUp: [Double]?
    /// Exact P(xᵢ = v) per site i and value v (enumeration; models with more than two values,
    /// up to 1,024 sites).
    public var marginals: [[Double]]?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case logZ, logZMethod, nStates, meanEnergy, meanEnergyMethod, meanAbsMagnetizationPerSite, modeMass, logZKaufman, notes
        case entropy, spinFlipSymmetric, onsagerEnergyPerSite, yangMagnetization, couplings, referenceEstimate, energyLevels, energyLevelProbabilities, magnetizationProbabilities, marginalsUp, marginals
    }
    // Encode absent values as explicit nulls: readers can tell "unknown" from "missing field".
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(logZ, forKey: .logZ)
        try c.encode(logZMethod, forKey: .logZMethod)
        try c.encode(nStates, forKey: .nStates)
        try c.encode(meanEnergy, forKey: .meanEnergy)
        try c.encode(meanEnergyMethod, forKey: .meanEnergyMethod)
        try c.encode(meanAbsMagnetizationPerSite, forKey: .meanAbsMagnetizationPerSite)
        try c.encode(modeMass, forKey: .modeMass)
        try c.encode(logZKaufman, forKey: .logZKaufman)
        try c.encode(notes, forKey: .notes)
        try c.encode(entropy, forKey: .entropy)
        try c.encode(spinFlipSymmetric, forKey: .spinFlipSymmetric)
        try c.encode(onsagerEnergyPerSite, forKey: .onsagerEnergyPerSite)
        try c.encode(yangMagnetization, forKey: .yangMagnetization)
        try c.encode(couplings, forKey: .couplings)
        try c.encode(referenceEstimate, forKey: .referenceEstimate)
        try c.encode(energyLevels, forKey: .energyLevels)
        try c.encode(energyLevelProbabilities, forKey: .energyLevelProbabilities)
        try c.encode(magnetizationProbabilities, forKey: .magnetizationProbabilities)
        try c.encode(marginalsUp, forKey: .marginalsUp)
        try c.encode(marginals, forKey: .marginals)
    }
}

/// A reference *estimate* (not exact) with its Monte Carlo standard errors.
public struct ReferenceEstimate: Codable, Equatable, Sendable {
    public var method: String
    public var samples: Int
    public var meanEnergy: Double
    public var meanEnergyMcse: Double
    public var meanAbsMagnetizationPerSite: Double
    public var meanAbsMagnetizationPerSiteMcse: Double
    public init(method: String, samples: Int, meanEnergy: Double, meanEnergyMcse: Double, meanAbsMagnetizationPerSite: Double, meanAbsMagnetizationPerSiteMcse: Double) {
        self.method = method; self.samples = samples; self.meanEnergy = meanEnergy; self.meanEnergyMcse = meanEnergyMcse
        self.meanAbsMagnetizationPerSite = meanAbsMagnetizationPerSite; self.meanAbsMagnetizationPerSiteMcse = meanAbsMagnetizationPerSiteMcse
    }
}

public struct ModeMassRecord: Codable, Equatable, Sendable {
    public var positive: Double
    public var zero: Double
    public var negative: Double
    public init(positive: Double, zero: Double, negative: Double) { self.positive = positive; self.zero = zero; self.negative = negative }
}
