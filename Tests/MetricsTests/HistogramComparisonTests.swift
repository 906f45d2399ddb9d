import CGSL
import Foundation
import GFNCore
import Metrics
import Testing

@Suite struct HistogramComparisonTests {
    /// A distribution over 41 values shaped like an energy histogram (a discretised Gaussian with
    /// a heavier tail), and the same tilted as if drawn at another temperature.
    static func distribution(tilt: Double = 0) -> [Double] {
        let w = (0..<41).map { k -> Double in
            let x = (Double(k) - 20) / 5
            return exp(-x * x / 2 + tilt * x) + 0.02 * exp(-abs(x))
        }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }

    static func draw(_ p: [Double], _ n: Int, _ rng: RandomStream) -> [Int] {
        var c = [UInt32](repeating: 0, count: p.count)
        p.withUnsafeBufferPointer { pp in c.withUnsafeMutableBufferPointer { gsl_ran_multinomial(rng.pointer, pp.count, UInt32(n), pp.baseAddress, $0.baseAddress) } }
        return c.map(Int.init)
    }

    /// The rule's false-alarm rate, measured: sampler and reference both draw exactly from p (the
    /// reference's unseen tail values included, as in a report), 400 trials at the sizes of a
    /// typical report (1,000 thinned sampler draws, 2,000 reference draws). Measured: 3 false
    /// alarms in 400 (0.75%); the bound 10 of 400 (2.5%) is four binomial SEs above that rate.
    @Test func exactDrawsAreRarelyCalledDifferent() throws {
        let p = Self.distribution()
        let rng = RandomStream(seed: 11, stream: 1), floor = RandomStream(seed: 11, stream: 2)
        var alarms = 0
        for _ in 0..<400 {
            let c = try #require(HistogramComparison.compare(sample: Self.draw(p, 1000, rng), reference: Self.draw(p, 2000, rng), rng: floor))
            if !c.withinFloor { alarms += 1 }
        }
        #expect(alarms <= 10, "\(alarms) false alarms in 400")
    }

    /// The same rule sees a sampler at a slightly wrong temperature (the mean shifted by 0.15
    /// of a standard deviation): 50 of 50 trials flagged with 5,000 against 20,000 draws.
    @Test func aShiftedHistogramIsCalledDifferent() throws {
        let p = Self.distribution(), q = Self.distribution(tilt: 0.15)
        let rng = RandomStream(seed: 12, stream: 1), floor = RandomStream(seed: 12, stream: 2)
        var flagged = 0
        for _ in 0..<50 {
            let c = try #require(HistogramComparison.compare(sample: Self.draw(q, 5000, rng), reference: Self.draw(p, 20_000, rng), rng: floor))
            if !c.withinFloor { flagged += 1 }
        }
        #expect(flagged == 50, "\(flagged) of 50 flagged")
    }

    /// The two-sampler rule beyond enumeration (each sampler's TV to one shared reference, the
    /// difference judged by `DecisionRule.compare` at 3 sd): with both samplers exact, 400 trials at
    /// 1,000 draws each against 2,000 reference draws. Measured: 1 false call in 400 — the shared
    /// reference makes the two TVs move together, so the rule is conservative; bound 10 (2.5%).
    @Test func twoExactSamplersAreRarelyCalledDifferent() throws {
        let p = Self.distribution()
        let rng = RandomStream(seed: 13, stream: 1), floor = RandomStream(seed: 13, stream: 2)
        var calls = 0
        for _ in 0..<400 {
            let reference = Self.draw(p, 2000, rng)
            let a = try #require(HistogramComparison.compare(sample: Self.draw(p, 1000, rng), reference: reference, rng: floor))
            let b = try #require(HistogramComparison.compare(sample: Self.draw(p, 1000, rng), reference: reference, rng: floor))
            if DecisionRule.compare(tvFirst: a.tv, tvSecond: b.tv, floorSd: a.floorSd).outcome != .noMeasurableDifference { calls += 1 }
        }
        #expect(calls <= 10, "\(calls) false calls in 400")
    }

    @Test func totalVariationAndDegenerateInputs() {
        #expect(HistogramComparison.totalVariation([1, 1, 0], [0, 1, 1]) == 0.5)
        #expect(HistogramComparison.totalVariation([2, 2], [5, 5]) == 0)
        let rng = RandomStream(seed: 1)
        #expect(HistogramComparison.compare(sample: [0, 0], reference: [1, 1], rng: rng) == nil)
        #expect(HistogramComparison.compare(sample: [1, 1], reference: [1, 1, 0], rng: rng) == nil)
        // Same stream, same floor.
        let a = HistogramComparison.compare(sample: [3, 5, 2], reference: [30, 50, 20], rng: RandomStream(seed: 2))
        let b = HistogramComparison.compare(sample: [3, 5, 2], reference: [30, 50, 20], rng: RandomStream(seed: 2))
        #expect(a == b && a != nil)
    }

    /// Batch means on independent draws: the SE of a variance estimate of N(0, 1) draws is close
    /// to its known value √(2/(N−1)) (within 25%: the batch-means SE itself has a relative
    /// error of about 1/√(2·19) ≈ 16% with 20 batches).
    @Test func batchMeansSEOfAVariance() throws {
        let rng = RandomStream(seed: 5)
        let draws = (0..<40_000).map { _ in rng.gaussian() }
        let e = try #require(BatchMeans.estimate([draws], statistic: BatchMeans.variance))
        #expect(abs(e.value - 1) < 4 * (2.0 / 40_000).squareRoot())
        let expected = (2.0 / 39_999).squareRoot()
        #expect(abs(e.se - expected) < 0.25 * expected, "\(e.se) vs \(expected)")
        #expect(BatchMeans.estimate([[1, 2, 3]], statistic: BatchMeans.variance) == nil)
    }
}
