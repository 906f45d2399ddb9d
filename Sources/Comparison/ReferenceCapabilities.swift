import Energies
import Exact
import GFNCore
import MCMC

/// What an energy offers the exact reference besides its E(x): symmetries, closed forms and a
/// reference chain beyond enumeration (a cluster algorithm, or parallel tempering). `ExactReference.compute` asks the model through this protocol
/// (one cast, to the capability) instead of testing for concrete model types; every default
/// offers nothing, so a new model adopts only what it has, and a library user's `EnergyModel`
/// that does not adopt it gets enumeration alone.
public protocol ReferenceCapabilities {
    /// Whether flipping every spin leaves E(x) unchanged (recorded as `spin_flip_symmetric`).
    var isSpinFlipSymmetric: Bool { get }
    /// Whether the two magnetised modes (m > 0, m < 0) are an observable of this energy: Ising
    /// spins, not q colours.
    var hasMagnetisedModes: Bool { get }
    /// Infinite-lattice values quoted for context (Onsager's energy per site, Yang's magnetisation).
    func infiniteLattice(beta: Double) -> (energyPerSite: Double?, magnetization: Double?)?
    /// A closed form of log Z, ⟨E⟩ and Var(E) at β, or nil.
    func closedForm(beta: Double) -> ClosedForm?
    /// The record's note where no closed form applies to this instance (nil where one does).
    var closedFormNote: String? { get }
    /// A reference chain beyond enumeration — a cluster algorithm, or parallel tempering — of
    /// `samples` recorded steps after `burnIn`, or nil where none applies to this instance.
    func referenceChain(beta: Double, burnIn: Int, samples: Int, rng: RandomStream, keepStatesEvery: Int) throws -> ReferenceChain?
    /// Why no reference chain is run for this instance at β although one exists (too much work),
    /// for the record's notes; nil otherwise.
    func referenceChainNote(beta: Double, samples: Int) -> String?
    /// The couplings as `[i, j, J_ij]` rows for the record (a disordered instance), or nil.
    var recordedCouplings: [[Double]]? { get }
}

/// log Z, ⟨E⟩ and Var(E) from a closed form (nil where the form gives no value, e.g. β = 0).
public struct ClosedForm: Sendable {
    public var logZ: Double
    public var meanEnergy: Double?
    public var energyVariance: Double?
    public init(logZ: Double, meanEnergy: Double?, energyVariance: Double?) {
        self.logZ = logZ; self.meanEnergy = meanEnergy; self.energyVariance = energyVariance
    }
}

extension ReferenceCapabilities {
    public var isSpinFlipSymmetric: Bool { false }
    public var hasMagnetisedModes: Bool { false }
    public func infiniteLattice(beta: Double) -> (energyPerSite: Double?, magnetization: Double?)? { nil }
    public func closedForm(beta: Double) -> ClosedForm? { nil }
    public var closedFormNote: String? { "no closed form is known for this energy" }
    public func referenceChain(beta: Double, burnIn: Int, samples: Int, rng: RandomStream, keepStatesEvery: Int) throws -> ReferenceChain? { nil }
    public func referenceChainNote(beta: Double, samples: Int) -> String? { nil }
    public var recordedCouplings: [[Double]]? { nil }
}

/// Kaufman's closed form on periodic zero-field lattices, Onsager and Yang for context, and the
/// Wolff cluster reference for ferromagnetic zero-field instances.
extension IsingModel: ReferenceCapabilities {
    public var isSpinFlipSymmetric: Bool { field == 0 }
    public var hasMagnetisedModes: Bool { true }
    public func infiniteLattice(beta: Double) -> (energyPerSite: Double?, magnetization: Double?)? {
        guard field == 0, coupling > 0 else { return nil }
        return (Onsager.energyPerSite(beta: beta, coupling: coupling), Onsager.spontaneousMagnetization(beta: beta, coupling: coupling))
    }
    public func closedForm(beta: Double) -> ClosedForm? {
        Kaufman.logZ(self, beta: beta).map {
            ClosedForm(logZ: $0, meanEnergy: Kaufman.meanEnergy(self, beta: beta), energyVariance: Kaufman.energyVariance(self, beta: beta))
        }
    }
    public var closedFormNote: String? { Kaufman.inapplicability(self).map { "no closed form: \($0)" } }
    public func referenceChain(beta: Double, burnIn: Int, samples: Int, rng: RandomStream, keepStatesEvery: Int) throws -> ReferenceChain? {
        guard Wolff.inapplicability(self) == nil else { return nil }
        return try Wolff.run(self, beta: beta, burnIn: burnIn, samples: samples, rng: rng, keepStatesEvery: keepStatesEvery)
    }
}

/// The Wolff cluster reference for ferromagnetic zero-field instances.
extension PottsModel: ReferenceCapabilities {
    public func referenceChain(beta: Double, burnIn: Int, samples: Int, rng: RandomStream, keepStatesEvery: Int) throws -> ReferenceChain? {
        guard Wolff.inapplicability(self) == nil else { return nil }
        return try Wolff.run(self, beta: beta, burnIn: burnIn, samples: samples, rng: rng, keepStatesEvery: keepStatesEvery)
    }
}

/// Spin glasses and model files: the instance's couplings in the record; two-valued spins
/// without fields have the spin-flip symmetry and its two modes; beyond enumeration, parallel
/// tempering is the reference chain (no cluster algorithm is efficient on frustrated couplings).
extension PairwiseModel: ReferenceCapabilities {
    public var isSpinFlipSymmetric: Bool { domainSize == 2 && fields.allSatisfy { $0 == 0 } }
    public var hasMagnetisedModes: Bool { isSpinFlipSymmetric }
    public var recordedCouplings: [[Double]]? { edges.map { [Double($0.bond.a), Double($0.bond.b), $0.coupling] } }

    /// Rounds of parallel tempering (a sweep of every replica and an exchange) per recorded step,
    /// and burn-in steps: 10⁴ rounds before the 4·10⁴ recorded ones.
    public static let temperingRoundsPerStep = 2
    public static let temperingBurnInSteps = 5_000

    /// Most single-site updates the reference may take: 2·10⁹, about 40 s on one core.
    public static let temperingMaxUpdates = 2e9

    func temperingUpdates(beta: Double, samples: Int) -> Double {
        Double(Self.temperingBurnInSteps + samples) * Double(Self.temperingRoundsPerStep)
            * Double(ParallelTempering.ladder(beta: beta, variables: variableCount).count) * Double(variableCount)
    }

    public func referenceChainNote(beta: Double, samples: Int) -> String? {
        let work = temperingUpdates(beta: beta, samples: samples)
        return work > Self.temperingMaxUpdates
            ? String(format: "no reference chain: parallel tempering would need %.2g single-site updates (limit %.0g), so the samples are not judged against a reference", work, Self.temperingMaxUpdates)
            : nil
    }

    public func referenceChain(beta: Double, burnIn: Int, samples: Int, rng: RandomStream, keepStatesEvery: Int) throws -> ReferenceChain? {
        guard temperingUpdates(beta: beta, samples: samples) <= Self.temperingMaxUpdates else { return nil }
        return try ParallelTempering.run(self, betas: ParallelTempering.ladder(beta: beta, variables: variableCount), burnIn: Self.temperingBurnInSteps,
                                  samples: samples, roundsPerStep: Self.temperingRoundsPerStep, rng: rng, keepStatesEvery: keepStatesEvery).chain
    }
}
