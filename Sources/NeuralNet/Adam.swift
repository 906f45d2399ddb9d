import Foundation

/// Adam (Kingma & Ba 2015) with bias correction, over a flat parameter vector, with a
/// learning rate per parameter group (e.g. the network and log Z).
public struct Adam<T: BLASScalar>: Sendable {
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8
    public private(set) var step = 0
    var m: [T]
    var v: [T]

    public init(parameterCount: Int) {
        m = [T](repeating: 0, count: parameterCount)
        v = [T](repeating: 0, count: parameterCount)
    }

    /// θ ← θ − lr·m̂/(√v̂ + ε) for parameters in `ranges[k]` with learning rate `rates[k]`.
    /// Returns whether every updated parameter is finite (the trainer's divergence check, made
    /// in the same pass).
    @discardableResult
    public mutating func update(parameters: UnsafeMutablePointer<T>, gradient: UnsafePointer<T>, groups: [(range: Range<Int>, rate: Double)]) -> Bool {
        step += 1
        let b1 = T(beta1), b2 = T(beta2), eps = T(epsilon)
        let c1 = 1 - Foundation.pow(beta1, Double(step)), c2 = 1 - Foundation.pow(beta2, Double(step))
        var finite = true
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                for (range, rate) in groups where !range.isEmpty {
                    // Fold the bias corrections into the step size.
                    let alpha = T(rate * c2.squareRoot() / c1)
                    let epsHat = eps * T(c2.squareRoot())
                    let i = range.lowerBound
                    finite = T.adamStep(parameters: parameters + i, gradient: gradient + i, m: m.baseAddress! + i, v: v.baseAddress! + i,
                                        count: range.count, beta1: b1, beta2: b2, alpha: alpha, epsilon: epsHat) && finite
                }
            }
        }
        return finite
    }
}

/// Scales `gradient[0..<count]` so its Euclidean norm is at most `maxNorm`; returns the norm before.
@discardableResult
public func clipGradientNorm<T: BLASScalar>(_ gradient: UnsafeMutablePointer<T>, count: Int, maxNorm: Double) -> Double {
    var s = 0.0
    for i in 0..<count { let g = Double(gradient[i]); s += g * g }
    let norm = s.squareRoot()
    if norm > maxNorm && norm.isFinite {
        let f = T(maxNorm / norm)
        for i in 0..<count { gradient[i] *= f }
    }
    return norm
}
