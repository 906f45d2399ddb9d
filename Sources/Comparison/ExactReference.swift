import Energies
import Exact
import Foundation
import GFNCore
import MCMC
import Metrics
import Reporting

/// The exact reference for a model: enumeration where the state space allows it, and
/// Kaufman's closed form on periodic zero-field Ising lattices of any size.
public struct ExactReference: Sendable {
    public let exact: ExactRecord
    /// The full enumeration, when the model has at most 2^24 states.
    public let distribution: ExactDistribution?

    /// Recorded steps of the Wolff reference run beyond enumeration (each flips about n spins).
    public static let referenceSamples = 20_000
    /// Every how many of them a state is kept for the EUBO (2,000 states: 2 MB at 32×32).
    public static let keptStateInterval = 10

    /// The states the Wolff reference kept (n values each, every ``referenceStateInterval``-th
    /// recorded step), for bounds computed from reference draws (the GFlowNet's EUBO); empty
    /// where the target was enumerated. Not part of the record.
    public let referenceStates: [UInt8]
    public let referenceStateInterval: Int

    /// States up to which the exact probability table is kept (chi-square, noise floor, curves): 32 MB.
    public static let probabilityTableLimit = 1 << 22

    /// p(x) of every state by key, when the table was kept (at most ``probabilityTableLimit`` states).
    public let probabilities: [Double]?

    /// The exact reference of `model` at inverse temperature `beta`: enumeration up to 2^24
    /// states, Kaufman's closed form for the zero-field periodic Ising model at any size.
    ///
    /// - Parameter model: the energy.
    /// - Parameter beta: the inverse temperature β of the target p ∝ exp(−β·E).
    /// - Parameter seed: the run's seed; the cluster-algorithm reference estimate beyond
    ///   enumeration draws from stream (seed, 2^34).
    public static func compute<E: EnergyModel>(_ model: E, beta: Double, seed: UInt64 = 1) throws -> ExactReference {
        let ising = model as? IsingModel
        var record = ExactRecord()
        let glass = model as? PairwiseModel
        let glassSymmetric = glass.map { $0.domainSize == 2 && $0.fields.allSatisfy { $0 == 0 } } ?? false
        record.spinFlipSymmetric = (ising.map { $0.field == 0 } ?? false) || glassSymmetric
        if let ising, ising.field == 0, ising.coupling > 0 {
            record.onsagerEnergyPerSite = Onsager.energyPerSite(beta: beta, coupling: ising.coupling)
            record.yangMagnetization = Onsager.spontaneousMagnetization(beta: beta, coupling: ising.coupling)
        }
        var dist: ExactDistribution?
        if Enumerator.canEnumerate(model) {
            let d = try Enumerator.enumerate(model, beta: beta, storeEnergies: (model.stateCount ?? .max) <= probabilityTableLimit)
            dist = d
            record.logZ = d.logZ
            record.logZMethod = "enumeration"
            record.nStates = Double(d.stateCount)
            record.meanEnergy = d.meanEnergy
            record.meanEnergyMethod = "enumeration"
            record.meanAbsMagnetizationPerSite = d.meanAbsMagnetizationPerSite
            if ising != nil || glassSymmetric {
                // The two magnetised modes are an Ising notion; Potts has q colours.
                record.modeMass = ModeMassRecord(positive: d.modeMass.positive, zero: d.modeMass.zero, negative: d.modeMass.negative)
            }
            record.entropy = d.logZ + beta * d.meanEnergy
            if !d.energyHistogram.isEmpty {
                record.energyLevels = d.energyHistogram.map(\.energy)
                record.energyLevelProbabilities = d.energyHistogram.map(\.probability)
            }
            record.magnetizationProbabilities = d.magnetizationHistogram
            if model.domainSize == 2 { record.marginalsUp = stride(from: 1, to: d.marginals.count, by: 2).map { d.marginals[$0] } }
            let q = model.domainSize, n = model.variableCount
            if q > 2 && n <= 1024 { record.marginals = (0..<n).map { i in Array(d.marginals[(i * q)..<((i + 1) * q)]) } }
        }
        if dist == nil {
            record.notes.append(String(format: "not enumerated: %d^%d states exceed the 2^24 limit of exact enumeration, so state-level distances (TV, chi-square) and exact marginals are unknown", model.domainSize, model.variableCount))
        }
        if dist == nil {
            if let ising, let why = Kaufman.inapplicability(ising) { record.notes.append("no closed form: \(why)") }
            if ising == nil { record.notes.append("no closed form is known for this energy") }
        }
        if let glass {
            // The couplings, so a reader of run.json has the instance without rerunning.
            record.couplings = glass.edges.map { [Double($0.bond.a), Double($0.bond.b), $0.coupling] }
        }
        if let ising, let k = Kaufman.logZ(ising, beta: beta) {
            record.logZKaufman = k
            if record.logZ == nil {
                record.logZ = k
                record.logZMethod = "kaufman"
                let states = pow(Double(model.domainSize), Double(model.variableCount))
                record.nStates = states.isFinite ? states : nil  // beyond Double (e.g. 2^1024): the notes give q^n
                record.meanEnergy = Kaufman.meanEnergy(ising, beta: beta)
                record.meanEnergyMethod = "kaufman (−∂ log Z/∂β)"
            }
        }
        if let d = dist {
            record.specificHeatPerSite = beta * beta * d.energyVariance / Double(model.variableCount)
        } else if let ising, let v = Kaufman.energyVariance(ising, beta: beta) {
            record.specificHeatPerSite = beta * beta * v / Double(model.variableCount)
        }
        // Beyond enumeration a cluster run is the reference the samplers' histograms, specific heat
        // and susceptibility are judged against (and the ⟨E⟩ estimate where no closed form gives it).
        let potts = model as? PottsModel
        let wolff: Wolff.Estimate?
        let stream = RandomStream(seed: seed, stream: StreamPlan.referenceEstimate)
        // States for the EUBO, unless they would take more than 256 MB.
        let keep = model.variableCount * (referenceSamples / keptStateInterval) <= 1 << 28 ? keptStateInterval : 0
        if dist == nil, let ising, Wolff.inapplicability(ising) == nil {
            wolff = try Wolff.run(ising, beta: beta, burnIn: 500, samples: referenceSamples, rng: stream, keepStatesEvery: keep)
        } else if dist == nil, let potts, Wolff.inapplicability(potts) == nil {
            wolff = try Wolff.run(potts, beta: beta, burnIn: 500, samples: referenceSamples, rng: stream, keepStatesEvery: keep)
        } else {
            wolff = nil
        }
        if let w = wolff {
            let mean = { (v: [Double]) in v.reduce(0, +) / Double(v.count) }
            var estimate = ReferenceEstimate(
                method: "Wolff cluster algorithm (an estimate, not exact)", samples: w.energies.count,
                meanEnergy: mean(w.energies), meanEnergyMcse: MCMCDiagnostics.mcseMean([w.energies]),
                meanAbsMagnetizationPerSite: mean(w.absMagnetizationPerSite),
                meanAbsMagnetizationPerSiteMcse: MCMCDiagnostics.mcseMean([w.absMagnetizationPerSite]))
            SampleAnalysis.describeReference(&estimate, energies: w.energies, magnetizationPerSite: w.magnetizationPerSite,
                                             beta: beta, variables: model.variableCount)
            record.referenceEstimate = estimate
        }
        let probabilities = dist.flatMap { d in d.energies.map { $0.map { exp(d.logProbability(energy: $0)) } } }
        return ExactReference(exact: record, distribution: dist, referenceStates: wolff?.states ?? [],
                              referenceStateInterval: wolff?.keptStateInterval ?? 0, probabilities: probabilities)
    }
}
