import Energies
import Exact
import Foundation
import GFNCore
import Reporting

/// The exact reference for a model: enumeration where the state space allows it, and
/// Kaufman's closed form on periodic zero-field Ising lattices of any size.
public struct ExactReference: Sendable {
    public let exact: ExactRecord
    /// The full enumeration, when the model has at most 2^24 states.
    public let distribution: ExactDistribution?

    /// States up to which the exact probability table is kept for state-level tests (chi-square).
    public static let chiSquareStateLimit = 1 << 20

    public static func compute(_ model: IsingModel, beta: Double) throws -> ExactReference {
        var record = ExactRecord()
        var dist: ExactDistribution?
        if Enumerator.canEnumerate(model) {
            let d = try Enumerator.enumerate(model, beta: beta, storeEnergies: (model.stateCount ?? .max) <= chiSquareStateLimit)
            dist = d
            record.logZ = d.logZ
            record.logZMethod = "enumeration"
            record.nStates = Double(d.stateCount)
            record.meanEnergy = d.meanEnergy
            record.meanEnergyMethod = "enumeration"
            record.meanAbsMagnetizationPerSite = d.meanAbsMagnetizationPerSite
            record.modeMass = ModeMassRecord(positive: d.modeMass.positive, zero: d.modeMass.zero, negative: d.modeMass.negative)
        }
        if dist == nil {
            record.notes.append(String(format: "not enumerated: 2^%d states exceed the 2^24 limit of exact enumeration, so state-level distances (TV, chi-square) and exact marginals are unknown", model.variableCount))
        }
        if let why = Kaufman.inapplicability(model), dist == nil {
            record.notes.append("no closed form: \(why)")
        }
        if let k = Kaufman.logZ(model, beta: beta) {
            record.logZKaufman = k
            if record.logZ == nil {
                record.logZ = k
                record.logZMethod = "kaufman"
                record.nStates = exp2(Double(model.variableCount))
                record.meanEnergy = Kaufman.meanEnergy(model, beta: beta)
                record.meanEnergyMethod = "kaufman (−∂ log Z/∂β)"
            }
        }
        return ExactReference(exact: record, distribution: dist)
    }
}
