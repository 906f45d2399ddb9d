/// The empirical distribution of a set of states given by integer keys.
public struct EmpiricalDistribution: Sendable {
    /// Distinct keys in increasing order.
    public let keys: [UInt64]
    /// How often each key was drawn.
    public let counts: [Int]
    /// Total number of draws N.
    public let total: Int

    /// Counts the keys (sorting a copy; O(N log N)).
    public init(keys draws: [UInt64]) {
        let sorted = draws.sorted()
        var keys: [UInt64] = [], counts: [Int] = []
        for k in sorted {
            if let last = keys.last, last == k { counts[counts.count - 1] += 1 } else { keys.append(k); counts.append(1) }
        }
        self.keys = keys; self.counts = counts; total = draws.count
    }
}

/// Distances between an empirical distribution and an exact target.
public enum Distances {
    /// Total variation ½·Σₓ|p̂(x) − p(x)| between the empirical distribution and an exact target
    /// whose probabilities sum to 1. Only visited states are touched: the unvisited ones contribute
    /// their total mass 1 − Σ_visited p(x), so the cost is O(distinct draws), whatever the state space.
    ///
    /// - Parameter empirical: the draws' counts by key.
    /// - Parameter probability: the exact p(x) of a key.
    public static func totalVariation(_ empirical: EmpiricalDistribution, probability: (UInt64) -> Double) -> Double {
        let n = Double(empirical.total)
        var visitedMass = 0.0
        var sum = 0.0
        for (k, c) in zip(empirical.keys, empirical.counts) {
            let p = probability(k)
            visitedMass += p
            sum += abs(Double(c) / n - p)
        }
        return 0.5 * (sum + max(0, 1 - visitedMass))
    }

    /// Total variation ½·Σ|pᵢ − qᵢ| between two distributions over the same finite support.
    public static func totalVariation(_ p: [Double], _ q: [Double]) -> Double {
        precondition(p.count == q.count, "distributions over different supports")
        var s = 0.0
        for i in p.indices { s += abs(p[i] - q[i]) }
        return 0.5 * s
    }
}
