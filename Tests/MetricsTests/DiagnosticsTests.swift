import Foundation
import Metrics
import Testing

/// Reference values computed independently with ArviZ 0.23.4 and emcee 3.1.6 on the same
/// deterministic chains (generator below, reproduced in Python):
///
///     s ← s·6364136223846793005 + 1442695040888963407 (mod 2^64);  u = (s >> 11)/2^53 − ½
///     x ← a·x + u;  draw = x + offset;  chain c starts from s = c + 1, x = 0.
///
/// and `az.rhat(ch)`, `az.ess(ch, method=…)`, `az.mcse(ch, method="mean")`,
/// `emcee.autocorr.integrated_time(ch.T[:, :, None])`.
@Suite struct DiagnosticsTests {
    static func chains(draws: Int, a: Double, offsets: [Double]) -> [[Double]] {
        offsets.enumerated().map { c, offset in
            var s = UInt64(c + 1), x = 0.0
            return (0..<draws).map { _ in
                s = s &* 6364136223846793005 &+ 1442695040888963407
                x = a * x + Double(s >> 11) / 9007199254740992.0 - 0.5
                return x + offset
            }
        }
    }

    struct Reference: Sendable, CustomStringConvertible {
        let name: String, draws: Int, a: Double, offsets: [Double]
        let rhat: Double, essBulk: Double, essTail: Double, essMean: Double, mcseMean: Double, tauEmcee: Double
        var description: String { name }
    }

    static let references = [
        Reference(name: "ar08", draws: 500, a: 0.8, offsets: [0, 0, 0, 0], rhat: 1.00669788073651, essBulk: 232.172384616013,
                  essTail: 470.934161879368, essMean: 230.151279819807, mcseMean: 0.0321326608613201, tauEmcee: 8.36234882226258),
        Reference(name: "shifted", draws: 500, a: 0.8, offsets: [0, 0, 0, 1.5], rhat: 1.46371150973507, essBulk: 7.92345005542117,
                  essTail: 43.3215018830696, essMean: 6.49993201619535, mcseMean: 0.303986663141236, tauEmcee: 8.36234882226258),
        Reference(name: "white", draws: 1000, a: 0, offsets: [0, 0, 0, 0], rhat: 1.00089132149462, essBulk: 3912.73028683305,
                  essTail: 4054.92933422338, essMean: 3681.57940264561, mcseMean: 0.00475085585931089, tauEmcee: 1.14143888771406),
    ]

    @Test(arguments: references) func agreesWithArviZAndEmcee(_ r: Reference) {
        let ch = Self.chains(draws: r.draws, a: r.a, offsets: r.offsets)
        // Same algorithm, same inputs: equal up to floating-point rounding (FFT vs NumPy).
        func close(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= 1e-8 * max(1, abs(y)) }
        #expect(close(MCMCDiagnostics.rankNormalizedSplitRhat(ch), r.rhat), "R-hat \(MCMCDiagnostics.rankNormalizedSplitRhat(ch))")
        #expect(close(MCMCDiagnostics.essBulk(ch), r.essBulk), "bulk ESS \(MCMCDiagnostics.essBulk(ch))")
        #expect(close(MCMCDiagnostics.essTail(ch), r.essTail), "tail ESS \(MCMCDiagnostics.essTail(ch))")
        #expect(close(MCMCDiagnostics.essMean(ch), r.essMean), "mean ESS \(MCMCDiagnostics.essMean(ch))")
        #expect(close(MCMCDiagnostics.mcseMean(ch), r.mcseMean), "MCSE \(MCMCDiagnostics.mcseMean(ch))")
        #expect(close(Autocorrelation.integratedTime(ch), r.tauEmcee), "τ \(Autocorrelation.integratedTime(ch))")
    }

    @Test func constantChainsHaveFullESSAndSeparatedChainsFailRhat() {
        #expect(MCMCDiagnostics.ess([[Double]](repeating: [Double](repeating: 1, count: 100), count: 2)) == 200)
        let separated = Self.chains(draws: 500, a: 0.8, offsets: [0, 0, 0, 1.5])
        #expect(MCMCDiagnostics.rankNormalizedSplitRhat(separated) > 1.01)
        #expect(MCMCDiagnostics.rankNormalizedSplitRhat([[1, 2, 3]]).isNaN)  // one chain: undefined
    }

    @Test func ar1EffectiveSampleSizeMatchesTheory() {
        // AR(1) with a = 0.9: τ = 19, so ESS ≈ N/19 = 4·20000/19 ≈ 4211. The estimator's relative
        // sd is about sqrt(2(2M+1)/N) with M ≈ 5τ ≈ 95: 7%; tolerance 4 sd = 28%.
        let ch = Self.chains(draws: 20_000, a: 0.9, offsets: [0, 0, 0, 0])
        let expected = 4 * 20_000.0 / 19
        #expect(abs(MCMCDiagnostics.essMean(ch) / expected - 1) < 0.28)
    }

    @Test func quantileAndMedianFollowNumPy() {
        #expect(MCMCDiagnostics.quantile([1, 2, 3, 4], 0.05) == 1.15)
        #expect(MCMCDiagnostics.median([3, 1, 2, 4]) == 2.5)
    }
}
