import CGSL
import Foundation
import GFNCore

/// Multi-chain MCMC diagnostics as ArviZ defines them (Vehtari, Gelman, Simpson, Carpenter &
/// Bürkner 2021): rank-normalised split R-hat, bulk and tail ESS, and the MCSE of the mean.
/// Where Stan and ArviZ differ, this follows ArviZ.
public enum MCMCDiagnostics {
    /// Each chain split into its first and last halves (the middle draw dropped when odd).
    public static func splitChains(_ chains: [[Double]]) -> [[Double]] {
        let n = chains.map(\.count).min() ?? 0
        let half = n / 2
        return chains.flatMap { c in [Array(c[0..<half]), Array(c[(c.count - half)..<c.count])] }
    }

    /// Ranks over all draws (ties get their average rank), back-transformed with Blom's offset
    /// c = 3/8 and mapped through the standard normal quantile function.
    public static func zScale(_ chains: [[Double]]) -> [[Double]] {
        let flat = chains.flatMap { $0 }
        let size = flat.count
        let order = flat.indices.sorted { flat[$0] < flat[$1] }
        var rank = [Double](repeating: 0, count: size)
        var i = 0
        while i < size {
            var j = i
            while j + 1 < size && flat[order[j + 1]] == flat[order[i]] { j += 1 }
            let average = Double(i + j) / 2 + 1  // 1-based average rank of the tie group
            for k in i...j { rank[order[k]] = average }
            i = j + 1
        }
        let c = 3.0 / 8.0
        var out: [[Double]] = []
        var offset = 0
        for chain in chains {
            out.append((0..<chain.count).map { gsl_cdf_ugaussian_Pinv((rank[offset + $0] - c) / (Double(size) - 2 * c + 1)) })
            offset += chain.count
        }
        return out
    }

    /// The classic R-hat of equal-length chains: sqrt((B/W + n − 1)/n).
    public static func rhat(_ chains: [[Double]]) -> Double {
        let m = chains.count
        guard m >= 2, let n = chains.first?.count, n >= 2 else { return .nan }
        let means = chains.map { $0.reduce(0, +) / Double(n) }
        let variances = zip(chains, means).map { c, mu in c.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(n - 1) }
        let grand = means.reduce(0, +) / Double(m)
        let between = Double(n) * means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / Double(m - 1)
        let within = variances.reduce(0, +) / Double(m)
        return ((between / within + Double(n) - 1) / Double(n)).squareRoot()
    }

    /// Rank-normalised split R-hat: the larger of the bulk R-hat (z-scaled ranks) and the tail
    /// R-hat (z-scaled ranks of |x − median|). Needs at least 2 chains of at least 4 draws.
    public static func rankNormalizedSplitRhat(_ chains: [[Double]]) -> Double {
        guard chains.count >= 2, (chains.map(\.count).min() ?? 0) >= 4 else { return .nan }
        let split = splitChains(chains)
        let bulk = rhat(zScale(split))
        let flat = split.flatMap { $0 }
        let med = median(flat)
        let tail = rhat(zScale(split.map { $0.map { abs($0 - med) } }))
        return max(bulk, tail)
    }

    /// The effective sample size of equal-length chains with Geyer's initial positive and
    /// monotone sequences over the multi-chain autocorrelation (ArviZ's `_ess`).
    public static func ess(_ chains: [[Double]]) -> Double {
        let m = chains.count
        guard m >= 1, let n = chains.first?.count, n >= 4 else { return .nan }
        let flat = chains.flatMap { $0 }
        if (flat.max()! - flat.min()!) < 1e-15 { return Double(flat.count) }
        // Autocovariances (normalised by n) of each chain.
        var acov: [[Double]] = []
        for c in chains {
            // One FFT per chain: a stop request is seen between them (the caller then throws).
            if Interruption.requested { return .nan }
            let mu = c.reduce(0, +) / Double(n)
            let variance = c.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(n)
            acov.append(Autocorrelation.function(c).map { $0 * variance })
        }
        let means = chains.map { $0.reduce(0, +) / Double(n) }
        func meanAcov(_ t: Int) -> Double { acov.reduce(0) { $0 + $1[t] } / Double(m) }
        let meanVar = meanAcov(0) * Double(n) / Double(n - 1)
        var varPlus = meanVar * Double(n - 1) / Double(n)
        if m > 1 {
            let grand = means.reduce(0, +) / Double(m)
            varPlus += means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / Double(m - 1)
        }
        var rho = [Double](repeating: 0, count: n)
        var rhoEven = 1.0
        rho[0] = rhoEven
        var rhoOdd = 1 - (meanVar - meanAcov(1)) / varPlus
        rho[1] = rhoOdd
        // Geyer's initial positive sequence.
        var t = 1
        while t < n - 3 && rhoEven + rhoOdd > 0 {
            rhoEven = 1 - (meanVar - meanAcov(t + 1)) / varPlus
            rhoOdd = 1 - (meanVar - meanAcov(t + 2)) / varPlus
            if rhoEven + rhoOdd >= 0 {
                rho[t + 1] = rhoEven
                rho[t + 2] = rhoOdd
            }
            t += 2
        }
        let maxT = t - 2
        if rhoEven > 0 { rho[maxT + 1] = rhoEven }
        // Geyer's initial monotone sequence.
        t = 1
        while t <= maxT - 2 {
            if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t] {
                rho[t + 1] = (rho[t - 1] + rho[t]) / 2
                rho[t + 2] = rho[t + 1]
            }
            t += 2
        }
        let total = Double(m * n)
        var tau = -1 + 2 * rho[0...max(maxT, 0)].reduce(0, +) + (maxT + 1 < n ? rho[maxT + 1] : 0)
        tau = max(tau, 1 / log10(total))
        let result = total / tau
        return rho.contains(where: \.isNaN) ? .nan : result
    }

    /// Bulk ESS: ESS of the z-scaled ranks of the split chains.
    public static func essBulk(_ chains: [[Double]]) -> Double {
        guard (chains.map(\.count).min() ?? 0) >= 4 else { return .nan }
        return ess(zScale(splitChains(chains)))
    }

    /// Tail ESS: the smaller ESS of the indicators x ≤ q₀.₀₅ and x ≤ q₀.₉₅ over the split chains.
    public static func essTail(_ chains: [[Double]]) -> Double {
        guard (chains.map(\.count).min() ?? 0) >= 4 else { return .nan }
        let flat = chains.flatMap { $0 }
        let split = splitChains(chains)
        let essAt = { (q: Double) -> Double in ess(split.map { $0.map { $0 <= q ? 1 : 0 } }) }
        return min(essAt(quantile(flat, 0.05)), essAt(quantile(flat, 0.95)))
    }

    /// ESS of the mean: ESS of the split chains themselves.
    public static func essMean(_ chains: [[Double]]) -> Double {
        guard (chains.map(\.count).min() ?? 0) >= 4 else { return .nan }
        return ess(splitChains(chains))
    }

    /// MCSE of the mean: sd (ddof 1) / √ESS_mean.
    public static func mcseMean(_ chains: [[Double]]) -> Double {
        let flat = chains.flatMap { $0 }
        guard flat.count >= 2 else { return .nan }
        let mu = flat.reduce(0, +) / Double(flat.count)
        let sd = (flat.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(flat.count - 1)).squareRoot()
        return sd / essMean(chains).squareRoot()
    }

    /// The median (average of the middle two for an even count).
    public static func median(_ x: [Double]) -> Double {
        let s = x.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The p-quantile with linear interpolation between order statistics (NumPy's default).
    public static func quantile(_ x: [Double], _ p: Double) -> Double {
        let s = x.sorted()
        guard !s.isEmpty else { return .nan }
        let h = Double(s.count - 1) * p
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }
}
