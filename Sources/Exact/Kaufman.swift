import Energies
import Foundation
import GFNCore

/// Kaufman's (1949) exact partition function of the zero-field Ising model on a periodic
/// m × n square lattice (a torus), evaluated in log space.
///
/// With K = βJ (in the form of Beale, PRL 76, 78 (1996)):
///
///     Z = ½ (2 sinh 2K)^{mn/2} (Z₁ + Z₂ + Z₃ + Z₄)
///     Z₁ = Π_{r=0}^{n−1} 2 cosh(m γ_{2r+1}/2)    Z₂ = Π 2 sinh(m γ_{2r+1}/2)
///     Z₃ = Π_{r=0}^{n−1} 2 cosh(m γ_{2r}/2)      Z₄ = Π 2 sinh(m γ_{2r}/2)
///     cosh γ_k = cosh 2K · coth 2K − cos(πk/n)  (k ≥ 1),   γ₀ = 2K + ln tanh K.
///
/// γ₀ changes sign at the critical point (negative for K > K_c), so Z₄ takes the sign of γ₀;
/// it is kept, and Z₃ + Z₄ (always positive) is formed without cancellation error.
public enum Kaufman {
    /// Why Kaufman's formula does not apply to a model, or nil if it does.
    public static func inapplicability(_ model: IsingModel) -> String? {
        if model.lattice.boundary != .periodic { return "Kaufman's formula needs periodic boundaries" }
        if model.field != 0 { return "Kaufman's formula needs zero field (h = 0)" }
        if model.coupling < 0 && (model.lattice.rows % 2 != 0 || model.lattice.cols % 2 != 0) {
            return "an antiferromagnet on a lattice with an odd side is frustrated; Kaufman's formula does not apply"
        }
        return nil
    }

    /// log Z of `model` at inverse temperature `beta`, or nil where the formula does not apply.
    public static func logZ(_ model: IsingModel, beta: Double) -> Double? {
        guard inapplicability(model) == nil else { return nil }
        // On a bipartite torus the gauge sᵢ → −sᵢ on one sublattice maps J to −J.
        return logZ(rows: model.lattice.rows, cols: model.lattice.cols, k: beta * abs(model.coupling))
    }

    /// log Z of the periodic `rows` × `cols` zero-field Ising model with K = βJ ≥ 0.
    public static func logZ(rows m: Int, cols n: Int, k: Double) -> Double {
        let sites = Double(m * n)
        if k == 0 { return sites * M_LN2 }
        precondition(k > 0 && k.isFinite, "Kaufman.logZ needs a finite K ≥ 0")
        let c = cosh(2 * k) / tanh(2 * k)  // cosh 2K · coth 2K
        let mHalf = Double(m) / 2
        var logZ1 = 0.0, logZ2 = 0.0, logZ3 = 0.0, logAbsZ4 = 0.0
        var signZ4 = 1.0
        for r in 0..<n {
            let gOdd = gamma(2 * r + 1, n: n, c: c)
            logZ1 += M_LN2 + LogSpace.logCosh(mHalf * gOdd)
            logZ2 += M_LN2 + LogSpace.logAbsSinh(mHalf * gOdd)
            let gEven = (r == 0) ? 2 * k + log(tanh(k)) : gamma(2 * r, n: n, c: c)
            logZ3 += M_LN2 + LogSpace.logCosh(mHalf * gEven)
            logAbsZ4 += M_LN2 + LogSpace.logAbsSinh(mHalf * gEven)
            if gEven < 0 { signZ4 = -signZ4 }
        }
        // Z₃ + Z₄ = Z₃ (1 ± e^{log|Z₄| − log Z₃}) with |Z₄| < Z₃.
        let d = logAbsZ4 - logZ3
        let logZ34 = logZ3 + (signZ4 > 0 ? log1p(exp(d)) : log(-expm1(d)))
        let logSum = LogSpace.add(LogSpace.add(logZ1, logZ2), logZ34)
        let logPrefactor = sites / 2 * (M_LN2 + LogSpace.logAbsSinh(2 * k))
        return -M_LN2 + logPrefactor + logSum
    }

    /// γ_k for k ≥ 1: arccosh(cosh 2K coth 2K − cos(πk/n)).
    static func gamma(_ k: Int, n: Int, c: Double) -> Double {
        acosh(c - cos(Double.pi * Double(k) / Double(n)))
    }

    /// The exact mean energy ⟨E⟩ = −∂ log Z / ∂β of the finite periodic lattice, by a
    /// fourth-order central difference of the exact log Z (error ~ h⁴·d⁵logZ, far below 1e-8 here).
    public static func meanEnergy(_ model: IsingModel, beta: Double) -> Double? {
        guard inapplicability(model) == nil, beta > 0 else { return nil }
        let h = 1e-3 * max(beta, 0.05)
        guard let fp1 = logZ(model, beta: beta + h), let fm1 = logZ(model, beta: beta - h),
              let fp2 = logZ(model, beta: beta + 2 * h), let fm2 = logZ(model, beta: beta - 2 * h) else { return nil }
        return -(-fp2 + 8 * fp1 - 8 * fm1 + fm2) / (12 * h)
    }

    /// The exact energy variance Var(E) = ∂² log Z / ∂β² of the finite periodic lattice (the
    /// specific heat is β²·Var(E)), by a fourth-order central difference of the exact log Z. The
    /// step is wider than ``meanEnergy(_:beta:)``'s because rounding in log Z is divided by h²
    /// here: at h = 5·10⁻³·β it agrees with enumeration to 10⁻⁶ relative (`ExactTests`).
    public static func energyVariance(_ model: IsingModel, beta: Double) -> Double? {
        guard inapplicability(model) == nil, beta > 0 else { return nil }
        let h = 5e-3 * max(beta, 0.05)
        guard let f0 = logZ(model, beta: beta), let fp1 = logZ(model, beta: beta + h), let fm1 = logZ(model, beta: beta - h),
              let fp2 = logZ(model, beta: beta + 2 * h), let fm2 = logZ(model, beta: beta - 2 * h) else { return nil }
        return (-fp2 + 16 * fp1 - 30 * f0 + 16 * fm1 - fm2) / (12 * h * h)
    }
}

/// The critical inverse temperature of the square-lattice Ising model with J = 1: ln(1+√2)/2.
public let criticalBeta = log(1 + 2.0.squareRoot()) / 2

/// β_c to seven digits: the tool's default β for lattice energies. Records, baselines and the
/// example reports were made with exactly this value, so it is a constant of its own (one place)
/// rather than ``criticalBeta`` itself.
public let defaultBeta = 0.4406868
