import Foundation

/// Numerically stable log-space arithmetic.
public enum LogSpace {
    /// log Σ exp(xᵢ), stable for any finite inputs; −∞ for an empty input.
    @inlinable public static func logSumExp<C: Collection>(_ xs: C) -> Double where C.Element == Double {
        guard let m = xs.max(), m.isFinite else { return xs.max() ?? -.infinity }
        var s = 0.0
        for x in xs { s += Foundation.exp(x - m) }
        return m + Foundation.log(s)
    }

    /// log (1/n) Σ exp(xᵢ).
    @inlinable public static func logMeanExp<C: Collection>(_ xs: C) -> Double where C.Element == Double {
        logSumExp(xs) - Foundation.log(Double(xs.count))
    }

    /// log(exp(a) + exp(b)).
    @inlinable public static func add(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        let m = max(a, b)
        return m + Foundation.log1p(Foundation.exp(-abs(a - b)))
    }

    /// log cosh(x) without overflow.
    @inlinable public static func logCosh(_ x: Double) -> Double {
        let a = abs(x)
        return a + Foundation.log1p(Foundation.exp(-2 * a)) - Foundation.M_LN2
    }

    /// log |sinh(x)| without overflow (−∞ at 0).
    @inlinable public static func logAbsSinh(_ x: Double) -> Double {
        let a = abs(x)
        if a == 0 { return -.infinity }
        return a + Foundation.log1p(-Foundation.exp(-2 * a)) - Foundation.M_LN2
    }
}

/// A running log-sum-exp accumulator that rescales lazily: add terms in log space one at a time.
public struct LogSumAccumulator: Sendable {
    /// The largest log-term so far (the scale).
    public var maxLog: Double = -.infinity
    /// Σ exp(termᵢ − maxLog).
    public var scaledSum: Double = 0

    public init() {}

    @inlinable public mutating func add(_ logTerm: Double) {
        if logTerm <= maxLog {
            scaledSum += Foundation.exp(logTerm - maxLog)
        } else {
            scaledSum = scaledSum * Foundation.exp(maxLog - logTerm) + 1
            maxLog = logTerm
        }
    }

    public var value: Double { maxLog == -.infinity ? -.infinity : maxLog + Foundation.log(scaledSum) }
}
