import Foundation
import GFNCore
import Metrics
import Testing

@Suite struct DistanceTests {
    @Test func totalVariationOnHandMadeDistributions() {
        // p = (0.5, 0.25, 0.25, 0), draws: key0 ×2, key3 ×2 → p̂ = (0.5, 0, 0, 0.5).
        // TV = ½(0 + 0.25 + 0.25 + 0.5) = 0.5.
        let p: [UInt64: Double] = [0: 0.5, 1: 0.25, 2: 0.25, 3: 0]
        let e = EmpiricalDistribution(keys: [3, 0, 3, 0])
        #expect(e.keys == [0, 3] && e.counts == [2, 2] && e.total == 4)
        #expect(abs(Distances.totalVariation(e) { p[$0]! } - 0.5) < 1e-15)
        #expect(Distances.totalVariation([0.5, 0.25, 0.25, 0], [0.5, 0, 0, 0.5]) == 0.5)
    }

    @Test func totalVariationOfADistributionWithItselfIsZero() {
        let e = EmpiricalDistribution(keys: [0, 1, 1, 2])
        let p: [UInt64: Double] = [0: 0.25, 1: 0.5, 2: 0.25]
        #expect(Distances.totalVariation(e) { p[$0]! } == 0)
        #expect(Distances.totalVariation([0.2, 0.8], [0.2, 0.8]) == 0)
    }
}

@Suite struct ChiSquareTests {
    @Test func statisticMatchesAHandComputation() throws {
        // Observed (30, 50, 20) against p = (0.25, 0.5, 0.25), N = 100: expected (25, 50, 25),
        // χ² = 25/25 + 0 + 25/25 = 2 on 2 df; P(χ²₂ ≥ 2) = e^{−1}.
        let r = try ChiSquare.test(observed: [30, 50, 20], expected: [0.25, 0.5, 0.25])
        #expect(abs(r.statistic - 2) < 1e-12)
        #expect(r.degreesOfFreedom == 2)
        #expect(abs(r.pValue - exp(-1)) < 1e-12)
    }

    @Test func smallCellsArePooled() throws {
        // N = 100 over p = (0.01, 0.02, 0.02, 0.95): the three small cells (1, 2, 2 expected)
        // pool into one cell expecting 5.
        let r = try ChiSquare.test(observed: [1, 2, 2, 95], expected: [0.01, 0.02, 0.02, 0.95])
        #expect(r.cells == 2)
        #expect(abs(r.statistic) < 1e-12)
        #expect(throws: GFNError.self) { try ChiSquare.test(observed: [1, 1], expected: [0.5, 0.5]) }
    }
}

@Suite struct AutocorrelationTests {
    @Test func ar1IntegratedTimeMatchesTheory() {
        // AR(1) x_t = a·x_{t−1} + ε: τ = (1 + a)/(1 − a) = 19 for a = 0.9. Sokal's variance of the
        // windowed estimator, var(τ̂) ≈ 2(2M+1)/N·τ² with M ≈ 5τ, N = 4·250,000: sd ≈ 0.37.
        // Tolerance 4 sd = 1.5.
        let a = 0.9
        let chains: [[Double]] = (0..<4).map { c in
            let r = RandomStream(seed: 77, stream: UInt64(c))
            var x = r.gaussian() / (1 - a * a).squareRoot()
            return (0..<250_000).map { _ in x = a * x + r.gaussian(); return x }
        }
        let tau = Autocorrelation.integratedTime(chains)
        #expect(abs(tau - 19) < 1.5, "τ = \(tau)")
    }

    @Test func whiteNoiseHasTauOne() {
        // τ̂ for i.i.d. draws: sd ≈ sqrt(2·11/N) = 0.0066 with M ≈ 5; tolerance 4 sd.
        let r = RandomStream(seed: 3)
        let x = (0..<500_000).map { _ in r.gaussian() }
        #expect(abs(Autocorrelation.integratedTime([x]) - 1) < 0.03)
    }

    @Test func acfStartsAtOneAndConstantSeriesAreHandled() {
        let f = Autocorrelation.function([1, 2, 3, 2, 1, 2, 3])
        #expect(abs(f[0] - 1) < 1e-12)
        // Direct computation of lag 1: Σ (x_t − x̄)(x_{t+1} − x̄) / Σ (x_t − x̄)².
        let x = [1.0, 2, 3, 2, 1, 2, 3], m = x.reduce(0, +) / 7
        let c0 = x.map { ($0 - m) * ($0 - m) }.reduce(0, +)
        let c1 = (0..<6).map { (x[$0] - m) * (x[$0 + 1] - m) }.reduce(0, +)
        #expect(abs(f[1] - c1 / c0) < 1e-12)
        #expect(Autocorrelation.integratedTime([[2, 2, 2, 2]]) == 1)
    }
}
