import Energies
import Exact
import Foundation
import Testing

@Suite struct OnsagerTests {
    /// Reference values from the literature (shared/DESIGN.md): u(0.4) = −1.106079203746 and
    /// m(0.5) = 0.911319377877, to the 12 digits given.
    @Test func infiniteLatticeValuesMatchTheLiterature() throws {
        #expect(abs(try #require(Onsager.energyPerSite(beta: 0.4)) - -1.106079203746) < 1e-11)
        #expect(abs(try #require(Onsager.spontaneousMagnetization(beta: 0.5)) - 0.911319377877) < 1e-11)
        #expect(Onsager.spontaneousMagnetization(beta: 0.3) == 0)
        #expect(Onsager.energyPerSite(beta: 0.4, coupling: -1) == nil)
    }

    /// Away from β_c, Kaufman's finite periodic lattice converges to Onsager exponentially fast in L
    /// (measured: per-site errors 1.2e-3, 3.8e-6, 1.4e-12 at L = 32, 64, 128 for β = 0.4).
    @Test func kaufmanConvergesToOnsager() throws {
        let infinite = try #require(Onsager.energyPerSite(beta: 0.4))
        let errors = try [32, 64, 128].map { L -> Double in
            let model = try IsingModel(lattice: SquareLattice(rows: L, cols: L, boundary: .periodic))
            return abs(try #require(Kaufman.meanEnergy(model, beta: 0.4)) / Double(L * L) - infinite)
        }
        #expect(errors[2] < 1e-9, "\(errors)")
        #expect(errors[1] < errors[0] / 100 && errors[2] < errors[1] / 100, "\(errors)")
    }
}
