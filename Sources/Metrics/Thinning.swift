/// Thinning of autocorrelated draws for tests that need (nearly) independent ones.
public enum SampleThinning {
    /// The interval ⌈2·τ_int⌉ (at least 1): draws that far apart are nearly uncorrelated.
    public static func interval(tau: Double) -> Int {
        guard tau.isFinite else { return 1 }
        return max(1, Int((2 * tau).rounded(.up)))
    }
}
