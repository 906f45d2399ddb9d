import CGSL
import Foundation
import GFNCore

/// Infinite-lattice results for the square-lattice Ising model (zero field), for context.
public enum Onsager {
    /// Onsager's energy per site of the infinite lattice at inverse temperature β, coupling J > 0:
    /// u = −J·coth(2K)·[1 + (2/π)(2·tanh²(2K) − 1)·K(k)], K = βJ, k = 2·sinh(2K)/cosh²(2K),
    /// with K(k) the complete elliptic integral of the first kind of modulus k
    /// (`gsl_sf_ellint_Kcomp` takes the modulus, not the parameter m = k²).
    /// Nil at the critical point (k = 1, where K diverges but the product stays finite) and for J ≤ 0.
    public static func energyPerSite(beta: Double, coupling j: Double = 1) -> Double? {
        guard j > 0, beta > 0 else { return j > 0 && beta == 0 ? 0 : nil }
        let k2 = 2 * beta * j
        let modulus = 2 * sinh(k2) / (cosh(k2) * cosh(k2))
        guard modulus < 1 - 1e-12 else { return nil }
        let ellipticK = gsl_sf_ellint_Kcomp(modulus, gsl_mode_t(GSL_PREC_DOUBLE))
        let t = tanh(k2)
        return -j / tanh(k2) * (1 + 2 / Double.pi * (2 * t * t - 1) * ellipticK)
    }

    /// Yang's spontaneous magnetisation per site, (1 − sinh(2βJ)^−4)^(1/8) above β_c, 0 below.
    public static func spontaneousMagnetization(beta: Double, coupling j: Double = 1) -> Double? {
        guard j > 0, beta >= 0 else { return nil }
        let s = sinh(2 * beta * j)
        guard s > 1 else { return 0 }
        return pow(1 - pow(s, -4), 0.125)
    }
}
