import CGSL
import GFNCore

/// The result of a chi-square goodness-of-fit test.
public struct ChiSquareResult: Sendable, Equatable, Codable {
    /// Pearson's statistic Σ (O − E)²/E over the pooled cells.
    public let statistic: Double
    /// Degrees of freedom: pooled cells − 1.
    public let degreesOfFreedom: Int
    /// P(χ²_df ≥ statistic), from `gsl_cdf_chisq_Q`.
    public let pValue: Double
    /// Number of pooled cells.
    public let cells: Int
    /// The number of draws tested.
    public let sampleSize: Int
}

/// Pearson's chi-square test of observed counts against exact probabilities.
public enum ChiSquare {
    /// Tests counts `observed[i]` against probabilities `expected[i]` (summing to 1).
    ///
    /// Cells are sorted by expected probability and the smallest pooled together until every
    /// pooled cell expects at least `minimumExpected` draws (the usual validity condition).
    /// The draws must be independent: thin autocorrelated draws first (by about 2·τ_int).
    /// (Scaling the statistic by ESS/N instead is wrong here: rare states' counts are barely
    /// inflated by slow mode switching while the common ones are, so one factor over-corrects.)
    ///
    /// - Throws: `GFNError.invalidInput` when fewer than two pooled cells remain.
    public static func test(observed: [Int], expected: [Double], minimumExpected: Double = 5) throws -> ChiSquareResult {
        precondition(observed.count == expected.count)
        let n = Double(observed.reduce(0, +))
        guard n > 0 else { throw GFNError.invalidInput("chi-square test on an empty sample") }
        let order = expected.indices.sorted { (expected[$0], $0) < (expected[$1], $1) }
        var pooledObserved: [Double] = [], pooledExpected: [Double] = []
        var o = 0.0, e = 0.0
        for i in order {
            o += Double(observed[i]); e += expected[i] * n
            if e >= minimumExpected { pooledObserved.append(o); pooledExpected.append(e); o = 0; e = 0 }
        }
        // Leftover mass joins the last (largest) pooled cell.
        if e > 0 || o > 0 {
            if pooledExpected.isEmpty { pooledObserved.append(o); pooledExpected.append(e) }
            else { pooledObserved[pooledObserved.count - 1] += o; pooledExpected[pooledExpected.count - 1] += e }
        }
        guard pooledExpected.count >= 2 else {
            throw GFNError.invalidInput("chi-square test needs at least two cells with ≥ \(minimumExpected) expected draws; the sample of \(Int(n)) is too small")
        }
        var stat = 0.0
        for k in pooledExpected.indices {
            let d = pooledObserved[k] - pooledExpected[k]
            stat += d * d / pooledExpected[k]
        }
        let df = pooledExpected.count - 1
        return ChiSquareResult(statistic: stat, degreesOfFreedom: df, pValue: gsl_cdf_chisq_Q(stat, Double(df)),
                               cells: pooledExpected.count, sampleSize: Int(n))
    }
}
