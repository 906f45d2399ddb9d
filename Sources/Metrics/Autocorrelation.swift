import CGSL
import Foundation
import GFNCore

/// Integrated autocorrelation time, estimated as in emcee (Foreman-Mackey et al.).
public enum Autocorrelation {
    /// The normalised autocorrelation function ρ(t) of one series, via FFT (zero-padded to a
    /// power of two ≥ 2N, so the circular correlation equals the linear one). ρ(0) = 1; a
    /// constant series returns all zeros past lag 0.
    public static func function(_ x: [Double]) -> [Double] {
        let n = x.count
        guard n > 0 else { return [] }
        let mean = x.reduce(0, +) / Double(n)
        var size = 1
        while size < 2 * n { size <<= 1 }
        // Interleaved complex array for gsl_fft_complex_radix2_*.
        var data = [Double](repeating: 0, count: 2 * size)
        for i in 0..<n { data[2 * i] = x[i] - mean }
        data.withUnsafeMutableBufferPointer { d in
            _ = gsl_fft_complex_radix2_forward(d.baseAddress, 1, size)
            for k in 0..<size {
                let re = d[2 * k], im = d[2 * k + 1]
                d[2 * k] = re * re + im * im
                d[2 * k + 1] = 0
            }
            _ = gsl_fft_complex_radix2_inverse(d.baseAddress, 1, size)
        }
        let c0 = data[0]
        guard c0 > 0 else { return [1] + [Double](repeating: 0, count: n - 1) }
        return (0..<n).map { data[2 * $0] / c0 }
    }

    /// τ_int = 1 + 2·Σ_{t≥1} ρ(t), summed up to Sokal's automatic window: the smallest M with
    /// M ≥ c·τ(M) (c = 5, as emcee). With several chains, ρ is averaged over chains first (emcee's
    /// `integrated_time` on a (chains × steps) array).
    public static func integratedTime(_ chains: [[Double]], c: Double = 5) -> Double {
        let usable = chains.filter { !$0.isEmpty }
        guard let n = usable.map(\.count).min(), n > 1 else { return .nan }
        var rho = [Double](repeating: 0, count: n)
        for chain in usable {
            if Interruption.requested { return .nan }  // the caller throws
            let f = function(Array(chain.prefix(n)))
            for t in 0..<n { rho[t] += f[t] / Double(usable.count) }
        }
        // A constant chain has ρ ≡ 0 past lag 0: τ = 1 by convention.
        var tau = 2 * rho[0] - 1
        var cumulative = rho[0]
        for m in 1..<n {
            cumulative += rho[m]
            tau = 2 * cumulative - 1
            if Double(m) >= c * tau { return tau }
        }
        return tau
    }
}
