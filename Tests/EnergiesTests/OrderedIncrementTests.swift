import Energies
import GFNCore
import Testing

/// The split of E(x) over the variables in index order that forward-looking flows use:
/// Σᵢ eᵢ(x₀ … xᵢ) = E(x) for every model, and eᵢ reads nothing past variable i.
@Suite struct OrderedIncrementTests {
    static func check<E: EnergyModel>(_ model: E, states: Int = 200, seed: UInt64 = 3) {
        let rng = RandomStream(seed: seed)
        let n = model.variableCount, q = model.domainSize
        for _ in 0..<states {
            let x = (0..<n).map { _ in UInt8(rng.integer(below: q)) }
            var s = x.map { Int32($0) }
            var total = 0.0
            for i in 0..<n {
                // Later variables unset (−1): the increment must not read them.
                var partial = s
                for j in (i + 1)..<max(i + 1, n) { partial[j] = -1 }
                let e = partial.withUnsafeBufferPointer { model.orderedIncrement($0.baseAddress!, site: i) }
                let full = s.withUnsafeBufferPointer { model.orderedIncrement($0.baseAddress!, site: i) }
                #expect(e == full, "\(model.summary): site \(i) reads a later variable")
                total += e
            }
            let exact = model.energy(of: x)
            // Sums of at most a few hundred terms of size ≤ max |J| + |h|: rounding stays below 1e-9.
            #expect(abs(total - exact) <= 1e-9 * max(1, abs(exact)), "\(model.summary): Σ eᵢ = \(total), E = \(exact)")
            s = x.map { Int32($0) }
        }
    }

    @Test func isingLatticesSplitTheirEnergy() throws {
        for (r, c, b) in [(4, 4, Boundary.periodic), (2, 3, .periodic), (3, 5, .open)] {
            Self.check(try IsingModel(lattice: SquareLattice(rows: r, cols: c, boundary: b), coupling: 0.7, field: 0.3))
        }
    }

    @Test func pottsSplitsItsEnergy() throws {
        Self.check(try PottsModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic), q: 3, coupling: 1.2, field: -0.4))
    }

    @Test func spinGlassesSplitTheirEnergy() throws {
        Self.check(try PairwiseModel.edwardsAnderson(lattice: SquareLattice(rows: 2, cols: 4, boundary: .periodic), gaussian: true, instanceSeed: 5))
        Self.check(try PairwiseModel.sherringtonKirkpatrick(spins: 9, instanceSeed: 2))
    }

    /// The default (telescoping ΔE over later variables set to 0) holds for an energy with no
    /// structure at all.
    @Test func theDefaultSplitsAnyEnergy() throws {
        Self.check(try TabulatedEnergy.random(variables: 5, domain: 3, scale: 2, rng: RandomStream(seed: 4)))
    }
}
