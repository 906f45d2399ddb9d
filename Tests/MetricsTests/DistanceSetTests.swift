import CGSL
import Foundation
import GFNCore
import Metrics
import Testing

@Suite struct DistanceSetTests {
    @Test func exactDistancesOnHandMadeDistributions() {
        // q = (½, ½, 0), p = (¼, ¼, ½).
        let d = DistanceSet.exact([0.5, 0.5, 0], [0.25, 0.25, 0.5])
        #expect(abs(d.tv - 0.5) < 1e-15)
        #expect(abs(d.klSampleToTarget - log(2)) < 1e-15)              // Σ q log(q/p) = log 2
        #expect(d.klTargetToSample == .infinity)                      // q misses a state p needs
        // m = (3/8, 3/8, 1/4): JS = ½[log(4/3)] + ½[½ log(2/3) + ½ log 2]
        let js = 0.5 * log(4.0 / 3) + 0.5 * (0.5 * log(2.0 / 3) + 0.5 * log(2.0))
        #expect(abs(d.jensenShannon - js) < 1e-15)
        // BC = 2·sqrt(1/8) = 1/√2
        #expect(abs(d.hellinger - (1 - 1 / 2.0.squareRoot()).squareRoot()) < 1e-15)
        let same = DistanceSet.exact([0.2, 0.8], [0.2, 0.8])
        #expect(same.tv == 0 && same.klSampleToTarget == 0 && same.klTargetToSample == 0 && same.jensenShannon == 0)
        #expect(same.hellinger < 1e-7)
    }

    @Test func empiricalDistancesMatchADenseComputation() {
        // 5 states; draws hit states 0, 1, 3 only.
        let p = [0.1, 0.2, 0.3, 0.25, 0.15]
        let counts = [3, 5, 0, 2, 0], n = 10
        let entropy = -p.reduce(0) { $0 + $1 * log($1) }
        let visited = counts.indices.filter { counts[$0] > 0 }.map { (counts[$0], p[$0]) }
        let d = DistanceSet.empirical(visited: visited, draws: n, targetEntropy: entropy, stateCount: 5)
        let q = counts.map { Double($0) / Double(n) }
        let dense = DistanceSet.exact(q, p)
        #expect(abs(d.tv - dense.tv) < 1e-15)
        #expect(abs(d.klSampleToTarget - dense.klSampleToTarget) < 1e-15)
        #expect(abs(d.jensenShannon - dense.jensenShannon) < 1e-15)
        #expect(abs(d.hellinger - dense.hellinger) < 1e-15)
        // KL(p‖q_α) against the Jeffreys-smoothed q computed densely.
        let smoothed = counts.map { (Double($0) + 0.5) / (Double(n) + 0.5 * 5) }
        let kl = zip(p, smoothed).reduce(0) { $0 + $1.0 * log($1.0 / $1.1) }
        #expect(abs(d.klTargetToSample - kl) < 1e-14)
    }

    @Test func noiseFloorOfEquiprobableStatesMatchesItsExpectation() {
        // k = 10 equiprobable states, N = 1000 draws: E[TV] = ½·k·E|X/N − 1/k|, X ~ Binomial(N, 1/k),
        // summed exactly with gsl_ran_binomial_pdf. The simulated floor's mean has standard error
        // sd/√R; tolerance 4 standard errors.
        let k = 10, n = 1000
        var eAbs = 0.0
        for x in 0...n { eAbs += gsl_ran_binomial_pdf(UInt32(x), 1.0 / Double(k), UInt32(n)) * abs(Double(x) / Double(n) - 1.0 / Double(k)) }
        let expected = 0.5 * Double(k) * eAbs
        let floor = NoiseFloor.simulate(p: [Double](repeating: 0.1, count: k), draws: n, replicates: 400, targetEntropy: log(10), rng: RandomStream(seed: 17))
        #expect(abs(floor.mean.tv - expected) < 4 * floor.sd.tv / 20, "floor \(floor.mean.tv) ± \(floor.sd.tv / 20) vs \(expected)")
        #expect(floor.contains(tv: expected))
        #expect(!floor.contains(tv: 0.2))
    }
}
