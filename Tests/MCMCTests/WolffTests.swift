import Energies
import Exact
import Foundation
import GFNCore
import MCMC
import Metrics
import Testing

@Suite struct WolffTests {
    /// The Wolff estimate of ⟨E⟩ on 16×16 at β = 0.4 lies within 4 MCSE of the exact finite-lattice
    /// value (Kaufman): a correct sampler fails this about once in 16,000 seeds.
    @Test func meanEnergyOn16x16AgreesWithKaufman() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 16, cols: 16, boundary: .periodic))
        let estimate = try Wolff.run(model, beta: 0.4, burnIn: 200, samples: 4000, rng: RandomStream(seed: 12))
        let exact = try #require(Kaufman.meanEnergy(model, beta: 0.4))
        let mean = estimate.energies.reduce(0, +) / Double(estimate.energies.count)
        let mcse = MCMCDiagnostics.mcseMean([estimate.energies])
        #expect(mcse.isFinite && mcse > 0)
        #expect(abs(mean - exact) < 4 * mcse, "Wolff \(mean) ± \(mcse), exact \(exact)")
    }

    /// The Potts version (recolouring clusters) agrees with enumeration on a 3×4 periodic
    /// 3-state lattice (531,441 states) within 4 MCSE.
    @Test func pottsMeanEnergyAgreesWithEnumeration() throws {
        let model = try PottsModel(lattice: SquareLattice(rows: 3, cols: 4, boundary: .periodic), q: 3, coupling: 1)
        let estimate = try Wolff.run(model, beta: 0.9, burnIn: 200, samples: 6000, rng: RandomStream(seed: 5))
        let exact = try Enumerator.enumerate(model, beta: 0.9).meanEnergy
        let mean = estimate.energies.reduce(0, +) / Double(estimate.energies.count)
        let mcse = MCMCDiagnostics.mcseMean([estimate.energies])
        #expect(abs(mean - exact) < 4 * mcse, "Wolff \(mean) ± \(mcse), exact \(exact)")
    }

    @Test func refusesAntiferromagnetsAndFields() throws {
        let lattice = try SquareLattice(rows: 4, cols: 4, boundary: .periodic)
        #expect(throws: GFNError.self) { try Wolff.run(try IsingModel(lattice: lattice, coupling: -1), beta: 0.4, burnIn: 1, samples: 1, rng: RandomStream(seed: 1)) }
        #expect(throws: GFNError.self) { try Wolff.run(try IsingModel(lattice: lattice, field: 0.1), beta: 0.4, burnIn: 1, samples: 1, rng: RandomStream(seed: 1)) }
    }
}
