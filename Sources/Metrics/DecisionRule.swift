import Foundation

/// The rules by which a report turns numbers into words. Every sentence that says a sampler is
/// "indistinguishable from exact sampling", "better" or "no measurable difference" comes from one
/// of these functions; their thresholds are stated here once and their false-call rates are
/// measured by `gfn-compare verdict-rates` (README, "Reading a report").
public enum DecisionRule {
    /// Any tracked observable with a rank-normalised split R-hat above this: the chains disagree,
    /// so the draws support no verdict (Vehtari et al. 2021 recommend 1.01).
    public static let maxRhat = 1.01
    /// Any tracked observable with a bulk ESS under this many per chain: too few effective draws
    /// for a verdict (Vehtari et al. 2021: 100 per chain, 400 for four chains).
    public static let minBulkEssPerChain = 100.0
    /// A thinned TV more than this many floor sds above the floor's mean: "measurably further from
    /// the target than exact sampling".
    public static let floorSds = 3.0
    /// Two TVs at the same number of draws that differ by more than this many sds of their
    /// difference under exact sampling (√2 × the floor's sd): one sampler is "better".
    public static let differenceSds = 3.0

    /// Where the target has no probability table (beyond enumeration) but an exact ⟨E⟩ (Kaufman's
    /// formula): a mean energy more than this many of its MCSEs from the exact value is
    /// "measurably off"; within, "consistent". Two-sided 3σ: a correct sampler whose MCSE is right
    /// is called off 0.27% of the time (the MCSE is only trusted when the draws pass ``refusal(rhat:bulkEss:chains:)``).
    public static let meanEnergyMcses = 3.0

    /// (estimate − exact) / MCSE and whether it is within ``meanEnergyMcses``.
    public static func meanEnergy(estimate: Double, exact: Double, mcse: Double) -> (z: Double, consistent: Bool) {
        let z = (estimate - exact) / mcse
        return (z, abs(z) <= meanEnergyMcses)
    }

    /// An importance-sampling estimate whose weights have a Kish ESS under this is unusable: a
    /// handful of draws carry all the weight, and its standard error cannot be trusted either.
    public static let minImportanceEss = 100.0

    /// Why a sampler's draws cannot support a verdict, or nil when they can.
    ///
    /// - Parameters:
    ///   - rhat: (observable, R-hat) of every tracked observable; nil values are not checked.
    ///   - bulkEss: (observable, bulk ESS) of every tracked observable.
    ///   - chains: independent chains (1 for independent draws).
    public static func refusal(rhat: [(String, Double?)], bulkEss: [(String, Double?)], chains: Int) -> String? {
        var reasons: [String] = []
        for case let (name, r?) in rhat where !(r <= maxRhat) {
            reasons.append(String(format: "R-hat of the %@ is %.3f > %.2f (the chains disagree)", name, r, maxRhat))
        }
        let needed = minBulkEssPerChain * Double(max(chains, 1))
        for case let (name, e?) in bulkEss where !(e >= needed) {
            reasons.append(String(format: "bulk ESS of the %@ is %.0f < %.0f (%.0f per chain × %d: too few effective draws)", name, e, needed, minBulkEssPerChain, max(chains, 1)))
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    /// Whether a TV of N draws is within the noise floor of N exact draws (≤ mean + ``floorSds`` sd).
    public static func withinFloor(tv: Double, floorMean: Double, floorSd: Double) -> Bool {
        tv <= floorMean + floorSds * floorSd
    }

    /// The outcome of comparing two samplers' TVs at the same number of draws.
    public enum Outcome: String, Codable, Sendable {
        case firstBetter = "first-better"
        case secondBetter = "second-better"
        case noMeasurableDifference = "no-measurable-difference"
    }

    /// The difference of two TVs at equal N in units of its sd under exact sampling, and the outcome.
    ///
    /// Under the null (both samplers exact), TV₁ − TV₂ has mean 0 and sd √2·σ, σ the sd of the TV
    /// of N exact draws (the noise floor's sd at that N).
    public static func compare(tvFirst: Double, tvSecond: Double, floorSd: Double) -> (z: Double, outcome: Outcome) {
        let scale = (2.0).squareRoot() * floorSd
        let z = scale > 0 ? (tvFirst - tvSecond) / scale : (tvFirst == tvSecond ? 0 : (tvFirst < tvSecond ? -Double.infinity : .infinity))
        if z < -differenceSds { return (z, .firstBetter) }
        if z > differenceSds { return (z, .secondBetter) }
        return (z, .noMeasurableDifference)
    }

    /// `count` draws spread evenly over `keys` (every chain represented in proportion), or all of
    /// them when there are no more than `count`.
    public static func evenSubsample<T>(_ keys: [T], count: Int) -> [T] {
        guard count < keys.count else { return keys }
        guard count > 0 else { return [] }
        return (0..<count).map { keys[$0 * keys.count / count] }
    }
}
