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
    public mutating func update(parameters: UnsafeMutablePointer<T>, gradient: UnsafePointer<T>, groups: [(range: Range<Int>, rate: Double)]) {
        step += 1
        let b1 = T(beta1), b2 = T(beta2), eps = T(epsilon)
        let c1 = 1 - Foundation.pow(beta1, Double(step)), c2 = 1 - Foundation.pow(beta2, Double(step))
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                for (range, rate) in groups {
                    // Fold the bias corrections into the step size.
                    let alpha = T(rate * c2.squareRoot() / c1)
                    let epsHat = eps * T(c2.squareRoot())
                    for i in range {
                        let g = gradient[i]
                        m[i] = b1 * m[i] + (1 - b1) * g
                        v[i] = b2 * v[i] + (1 - b2) * g * g
                        parameters[i] -= alpha * m[i] / (v[i].squareRoot() + epsHat)
                    }
                }
            }
        }
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
