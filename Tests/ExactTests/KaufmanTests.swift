import Energies
import Exact
import Foundation
import GFNCore
import Testing

@Suite struct KaufmanTests {
    /// log Z(β) from an exact density of states g(E): log Σ_E g(E)·e^{−βE}.
    static func logZ(from histogram: [EnergyLevelMass], beta: Double) -> Double {
        LogSpace.logSumExp(histogram.map { log($0.states) - beta * $0.energy })
    }

    @Test(arguments: [(2, 2), (3, 3), (4, 4), (3, 4), (4, 5), (2, 5)])
    func agreesWithEnumerationBelowAtAndAboveCriticality(_ size: (Int, Int)) throws {
        let model = try IsingModel(lattice: SquareLattice(rows: size.0, cols: size.1, boundary: .periodic))
        // One enumeration gives the exact density of states, hence log Z at every β.
        let dos = try Enumerator.enumerate(model, beta: 0).energyHistogram
        for beta in [0.1, 0.3, criticalBeta, 0.6, 1.5] {
            let exact = Self.logZ(from: dos, beta: beta)
            let kaufman = try #require(Kaufman.logZ(model, beta: beta))
            #expect(abs(kaufman - exact) < 1e-9 * max(1, abs(exact)), "\(size) at β = \(beta): \(kaufman) vs \(exact)")
        }
    }

    @Test func antiferromagnetOnAnEvenTorusEqualsTheFerromagnet() throws {
        let afm = try IsingModel(lattice: SquareLattice(rows: 4, cols: 4, boundary: .periodic), coupling: -1)
        let d = try Enumerator.enumerate(afm, beta: 0.5)
        #expect(abs(try #require(Kaufman.logZ(afm, beta: 0.5)) - d.logZ) < 1e-9)
        let odd = try IsingModel(lattice: SquareLattice(rows: 3, cols: 4, boundary: .periodic), coupling: -1)
        #expect(Kaufman.logZ(odd, beta: 0.5) == nil)
    }

    @Test func refusesOpenBoundariesAndFields() throws {
        let open = try IsingModel(lattice: SquareLattice(rows: 4, cols: 4, boundary: .open))
        let field = try IsingModel(lattice: SquareLattice(rows: 4, cols: 4, boundary: .periodic), field: 0.1)
        #expect(Kaufman.logZ(open, beta: 0.3) == nil)
        #expect(Kaufman.logZ(field, beta: 0.3) == nil)
        #expect(Kaufman.inapplicability(field) != nil)
    }

    @Test func meanEnergyMatchesEnumerationOn4x4() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 4, cols: 4, boundary: .periodic))
        for beta in [0.2, criticalBeta, 0.7] {
            let d = try Enumerator.enumerate(model, beta: beta)
            let u = try #require(Kaufman.meanEnergy(model, beta: beta))
            #expect(abs(u - d.meanEnergy) < 1e-7, "β = \(beta)")
        }
    }

    /// Var(E) = ∂² log Z/∂β² (the specific heat over β²) agrees with enumeration to 10⁻⁶ relative on
    /// the 4×4 and 4×5 tori at three temperatures; the difference's rounding and truncation
    /// errors are ~10⁻⁸ there, so the bound has room but would catch a wrong step or stencil.
    @Test func energyVarianceMatchesEnumeration() throws {
        for (rows, cols) in [(4, 4), (4, 5)] {
            let model = try IsingModel(lattice: SquareLattice(rows: rows, cols: cols, boundary: .periodic))
            for beta in [0.2, criticalBeta, 0.7] {
                let d = try Enumerator.enumerate(model, beta: beta)
                let v = try #require(Kaufman.energyVariance(model, beta: beta))
                #expect(abs(v - d.energyVariance) < 1e-6 * d.energyVariance, "\(rows)×\(cols) β = \(beta): \(v) vs \(d.energyVariance)")
            }
        }
    }

    @Test func largeLatticesAreFiniteAndApproachTheInfiniteLattice() throws {
        // Onsager's free energy per site at β_c: −βf = ln 2/2 + 2G/π, G = Catalan's constant.
        let catalan = 0.915965594177219015
        let limit = log(2.0) / 2 + 2 * catalan / Double.pi
        let model = try IsingModel(lattice: SquareLattice(rows: 256, cols: 256, boundary: .periodic))
        let lz = try #require(Kaufman.logZ(model, beta: criticalBeta))
        #expect(lz.isFinite)
        // Finite-size correction at β_c is O(1/N) per site.
        #expect(abs(lz / Double(256 * 256) - limit) < 1e-4)
        #expect(abs(criticalBeta - 0.44068679350977147) < 1e-16)
    }
}
