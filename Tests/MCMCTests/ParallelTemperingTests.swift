import Energies
import Exact
import Foundation
import GFNCore
import MCMC
import Metrics
import Testing

@Suite struct ParallelTemperingTests {
    static func glass() throws -> PairwiseModel {
        try PairwiseModel.edwardsAnderson(lattice: SquareLattice(rows: 4, cols: 4, boundary: .periodic), gaussian: false, instanceSeed: 1)
    }

    /// The ladder is geometric from 0.3 up to β, K − 1 = ⌈ln(β/0.3)·√n⌉, and a hot β needs no ladder.
    @Test func theLadderIsGeometricAndEndsAtTheTarget() {
        let betas = ParallelTempering.ladder(beta: 2, variables: 16)
        #expect(betas.count == 1 + Int((log(2 / 0.3) * 4).rounded(.up)))
        #expect(betas.first == 0.3 && betas.last == 2)
        let ratios = zip(betas.dropFirst(), betas).map { $0 / $1 }
        #expect(ratios.allSatisfy { abs($0 - ratios[0]) < 1e-12 })
        #expect(ParallelTempering.ladder(beta: 0.2, variables: 100) == [0.2])
        #expect(ParallelTempering.ladder(beta: 50, variables: 1_000_000).count == 64)
    }

    /// On a 4×4 ±J glass at β = 2 (T = 0.5; 2^16 states, enumerated) the coldest replica's ⟨E⟩
    /// and ⟨|m|⟩ lie within 4 MCSE of the exact values — a correct sampler fails each about once
    /// in 16,000 seeds — and every neighbouring pair exchanges; the same run with the ladder's
    /// top at 0.8·β is caught by the same rule (the test can fail).
    @Test func theColdReplicaAgreesWithEnumeration() throws {
        let model = try Self.glass()
        let exact = try Enumerator.enumerate(model, beta: 2)
        func run(_ betas: [Double]) throws -> (e: Double, eMcse: Double, m: Double, mMcse: Double, rates: [Double]) {
            let (chain, rates) = try ParallelTempering.run(model, betas: betas, burnIn: 1000, samples: 20_000, roundsPerStep: 2, rng: RandomStream(seed: 4))
            #expect(chain.energies.count == 20_000 && chain.method.contains("parallel tempering"))
            let mean = { (v: [Double]) in v.reduce(0, +) / Double(v.count) }
            return (mean(chain.energies), MCMCDiagnostics.mcseMean([chain.energies]),
                    mean(chain.absMagnetizationPerSite), MCMCDiagnostics.mcseMean([chain.absMagnetizationPerSite]), rates)
        }
        let ladder = ParallelTempering.ladder(beta: 2, variables: model.variableCount)
        let r = try run(ladder)
        #expect(abs(r.e - exact.meanEnergy) < 4 * r.eMcse, "⟨E⟩ \(r.e) ± \(r.eMcse), exact \(exact.meanEnergy)")
        #expect(abs(r.m - exact.meanAbsMagnetizationPerSite) < 4 * r.mMcse, "⟨|m|⟩ \(r.m) ± \(r.mMcse), exact \(exact.meanAbsMagnetizationPerSite)")
        #expect(r.rates.allSatisfy { $0 > 0.1 }, "\(r.rates)")
        let wrong = try run(ladder.map { $0 * 0.8 })
        #expect(abs(wrong.e - exact.meanEnergy) > 4 * wrong.eMcse, "at 0.8·β: ⟨E⟩ \(wrong.e) ± \(wrong.eMcse), exact \(exact.meanEnergy)")
    }

    /// States are kept at the requested interval, the same seed gives the same chain, and a
    /// ladder that is not increasing is refused.
    @Test func keptStatesReproducibilityAndRefusals() throws {
        let model = try Self.glass()
        let betas = [0.3, 0.8, 1.5]
        let a = try ParallelTempering.run(model, betas: betas, burnIn: 10, samples: 100, roundsPerStep: 1, rng: RandomStream(seed: 9), keepStatesEvery: 10).chain
        let b = try ParallelTempering.run(model, betas: betas, burnIn: 10, samples: 100, roundsPerStep: 1, rng: RandomStream(seed: 9), keepStatesEvery: 10).chain
        #expect(a.states.count == 10 * 16 && a.keptStateInterval == 10)
        #expect(a.energies == b.energies && a.states == b.states)
        // The kept states are the recorded ones: the 10th recorded energy is the first kept state's.
        #expect(abs(model.energy(of: Array(a.states[0..<16])) - a.energies[9]) < 1e-12)
        #expect(throws: GFNError.self) { try ParallelTempering.run(model, betas: [1, 0.5], burnIn: 1, samples: 1, roundsPerStep: 1, rng: RandomStream(seed: 1)) }
        #expect(throws: GFNError.self) { try ParallelTempering.run(model, betas: [], burnIn: 1, samples: 1, roundsPerStep: 1, rng: RandomStream(seed: 1)) }
    }
}
