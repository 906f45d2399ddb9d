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
        let facts = model as? any ReferenceCapabilities
        var record = ExactRecord()
        record.spinFlipSymmetric = facts?.isSpinFlipSymmetric ?? false
        if let context = facts?.infiniteLattice(beta: beta) {
            record.onsagerEnergyPerSite = context.energyPerSite
            record.yangMagnetization = context.magnetization
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
            if facts?.hasMagnetisedModes == true {
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
        if dist == nil, let note = facts == nil ? "no closed form is known for this energy" : facts?.closedFormNote {
            record.notes.append(note)
        }
        // The couplings, so a reader of run.json has the instance without rerunning.
        record.couplings = facts?.recordedCouplings
        let closed = facts?.closedForm(beta: beta)
        if let closed {
            record.logZKaufman = closed.logZ
            if record.logZ == nil {
                record.logZ = closed.logZ
                record.logZMethod = "kaufman"
                let states = pow(Double(model.domainSize), Double(model.variableCount))
                record.nStates = states.isFinite ? states : nil  // beyond Double (e.g. 2^1024): the notes give q^n
                record.meanEnergy = closed.meanEnergy
                record.meanEnergyMethod = "kaufman (−∂ log Z/∂β)"
            }
        }
        if let d = dist {
            record.specificHeatPerSite = beta * beta * d.energyVariance / Double(model.variableCount)
        } else if let v = closed?.energyVariance {
            record.specificHeatPerSite = beta * beta * v / Double(model.variableCount)
        }
        // Beyond enumeration a reference chain (Wolff, parallel tempering) is what the samplers' histograms, specific heat
        // and susceptibility are judged against (and the ⟨E⟩ estimate where no closed form gives it).
        let stream = RandomStream(seed: seed, stream: StreamPlan.referenceEstimate)
        // States for the EUBO, unless they would take more than 256 MB.
        let keep = model.variableCount * (referenceSamples / keptStateInterval) <= 1 << 28 ? keptStateInterval : 0
        let chain = dist == nil ? try facts?.referenceChain(beta: beta, burnIn: 500, samples: referenceSamples, rng: stream, keepStatesEvery: keep) : nil
        if dist == nil, chain == nil, let note = facts?.referenceChainNote(beta: beta, samples: referenceSamples) { record.notes.append(note) }
        if let w = chain {
            let mean = { (v: [Double]) in v.reduce(0, +) / Double(v.count) }
            var estimate = ReferenceEstimate(
                method: w.method, samples: w.energies.count,
                meanEnergy: mean(w.energies), meanEnergyMcse: MCMCDiagnostics.mcseMean([w.energies]),
                meanAbsMagnetizationPerSite: mean(w.absMagnetizationPerSite),
                meanAbsMagnetizationPerSiteMcse: MCMCDiagnostics.mcseMean([w.absMagnetizationPerSite]))
            SampleAnalysis.describeReference(&estimate, energies: w.energies, magnetizationPerSite: w.magnetizationPerSite,
                                             beta: beta, variables: model.variableCount)
            record.referenceEstimate = estimate
        }
        let probabilities = dist.flatMap { d in d.energies.map { $0.map { exp(d.logProbability(energy: $0)) } } }
        return ExactReference(exact: record, distribution: dist, referenceStates: chain?.states ?? [],
                              referenceStateInterval: chain?.keptStateInterval ?? 0, probabilities: probabilities)
    }
}
