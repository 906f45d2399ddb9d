import CGSL
import GFNCore

/// Two histograms of one observable over the same bins — a sampler's and a reference sampler's,
/// each from nearly independent (thinned) draws — compared by their total-variation distance
/// against the distance two exact samples of those sizes would show.
///
/// Used where the target cannot be enumerated: the reference (a Wolff cluster run) stands in for
/// the exact distribution of the energy and of |M|. Under the null both samples come from one
/// distribution; the floor is simulated from the reference's own histogram (a parametric
/// bootstrap): `replicates` pairs multinomial(N_sampler, p̂) and multinomial(N_reference, p̂)
/// (`gsl_ran_multinomial`), their TV's mean and sd. The decision is `DecisionRule.withinFloor`:
/// TV ≤ floor mean + 3 sd. Its false-alarm rate with exact draws is measured in
/// `MetricsTests.HistogramComparisonTests` (under 1% at the sizes the reports use).
public struct HistogramComparison: Codable, Equatable, Sendable {
    /// Draws behind the sampler's histogram and the reference's (after thinning).
    public var draws: Int
    public var referenceDraws: Int
    /// TV between the two normalised histograms.
    public var tv: Double
    /// Mean and sd of the TV between two exact samples of the same sizes.
    public var floorMean: Double
    public var floorSd: Double
    /// Whether `tv` is within the floor (≤ mean + `DecisionRule.floorSds` sd).
    public var withinFloor: Bool

    public init(draws: Int, referenceDraws: Int, tv: Double, floorMean: Double, floorSd: Double, withinFloor: Bool) {
        self.draws = draws; self.referenceDraws = referenceDraws; self.tv = tv
        self.floorMean = floorMean; self.floorSd = floorSd; self.withinFloor = withinFloor
    }

    /// Replicates of the floor: its sd enters the 3-sd rule, as with `NoiseFloor.defaultReplicates`.
    public static let defaultReplicates = 200

    /// ½ Σ |a/Σa − b/Σb| over the bins.
    public static func totalVariation(_ a: [Int], _ b: [Int]) -> Double {
        let na = Double(a.reduce(0, +)), nb = Double(b.reduce(0, +))
        guard na > 0, nb > 0 else { return .nan }
        var s = 0.0
        for i in a.indices { s += abs(Double(a[i]) / na - Double(b[i]) / nb) }
        return s / 2
    }

    /// Compares `sample` with `reference` (counts over the same bins).
    ///
    /// - Returns: nil when either histogram is empty or they have different bins.
    public static func compare(sample: [Int], reference: [Int], replicates: Int = defaultReplicates, rng: RandomStream) -> HistogramComparison? {
        let n = sample.reduce(0, +), r = reference.reduce(0, +)
        guard n > 0, r > 0, sample.count == reference.count, replicates >= 2 else { return nil }
        let p = reference.map { Double($0) / Double(r) }
        var a = [UInt32](repeating: 0, count: p.count), b = a
        var tvs: [Double] = []
        tvs.reserveCapacity(replicates)
        for _ in 0..<replicates where !Interruption.requested {  // a stopped run discards the floor
            p.withUnsafeBufferPointer { pp in
                a.withUnsafeMutableBufferPointer { gsl_ran_multinomial(rng.pointer, pp.count, UInt32(n), pp.baseAddress, $0.baseAddress) }
                b.withUnsafeMutableBufferPointer { gsl_ran_multinomial(rng.pointer, pp.count, UInt32(r), pp.baseAddress, $0.baseAddress) }
            }
            tvs.append(totalVariation(a.map(Int.init), b.map(Int.init)))
        }
        guard tvs.count >= 2 else { return nil }
        let mean = tvs.reduce(0, +) / Double(tvs.count)
        let sd = (tvs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(tvs.count - 1)).squareRoot()
        let tv = totalVariation(sample, reference)
        return HistogramComparison(draws: n, referenceDraws: r, tv: tv, floorMean: mean, floorSd: sd,
                                   withinFloor: DecisionRule.withinFloor(tv: tv, floorMean: mean, floorSd: sd))
    }
}

/// A variance-type estimate (specific heat, susceptibility) with its standard error by batch means.
public enum BatchMeans {
    /// Batches per chain set: enough for an sd, few enough that each batch spans many τ_int.
    public static let batches = 20

    /// `statistic` of the draws and its standard error: the draws (chain by chain, in order) are
    /// cut into ``batches`` contiguous batches, the statistic computed on each, and the SE is the
    /// sd of the batch values over √batches. Valid when a batch is much longer than τ_int (the
    /// caller warns otherwise); for independent draws any batching is.
    ///
    /// - Parameter series: per chain, the observables of each draw (e.g. (E, |M|)).
    /// - Parameter statistic: the estimate computed from a set of draws (all of them, or one batch).
    /// - Returns: nil with fewer than 2 draws per batch.
    public static func estimate<T>(_ series: [[T]], statistic: ([T]) -> Double) -> (value: Double, se: Double)? {
        let flat = series.flatMap { $0 }
        let size = flat.count / batches
        guard size >= 2 else { return nil }
        let values = (0..<batches).map { statistic(Array(flat[($0 * size)..<(($0 + 1) * size)])) }
        let mean = values.reduce(0, +) / Double(batches)
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(batches - 1)).squareRoot()
        return (statistic(flat), sd / Double(batches).squareRoot())
    }

    /// The sample variance of `values` (n − 1 in the denominator).
    public static func variance(_ values: [Double]) -> Double {
        guard values.count >= 2 else { return .nan }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    }
}
