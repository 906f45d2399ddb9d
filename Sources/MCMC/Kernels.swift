import Energies
import Foundation
import GFNCore

/// Cost counters of a Markov chain.
public struct MoveCounters: Sendable, Equatable, Codable {
    /// Single-site updates attempted (Metropolis proposals, or heat-bath draws).
    public var proposals: Int = 0
    /// Updates that changed the state.
    public var acceptances: Int = 0
    /// Local energy-difference (ΔE) evaluations, the unit of MCMC cost: one per Metropolis
    /// proposal, q − 1 per heat-bath update.
    public var deltaEvaluations: Int = 0
    /// Full E(x) evaluations (one per chain start).
    public var fullEvaluations: Int = 0
    public init() {}
    public mutating func add(_ o: MoveCounters) {
        proposals += o.proposals; acceptances += o.acceptances
        deltaEvaluations += o.deltaEvaluations; fullEvaluations += o.fullEvaluations
    }
}

/// A single-site Markov kernel that leaves p(x) ∝ exp(−β·E(x)) invariant.
///
/// `update` changes variable `site` of x in place; `transitionProbabilities` gives the exact
/// probability of every outcome of that same update, so detailed balance can be checked
/// from the kernel's own numbers.
public protocol SiteKernel: Sendable {
    associatedtype Energy: EnergyModel
    var energy: Energy { get }
    var beta: Double { get }
    /// Updates `site`; returns the energy change applied (0 when the state did not change).
    func update(_ x: UnsafeMutablePointer<UInt8>, site: Int, rng: RandomStream, counters: inout MoveCounters) -> Double
    /// P(x_site becomes v) for v in 0..<q, from the current state x.
    func transitionProbabilities(_ x: UnsafePointer<UInt8>, site: Int) -> [Double]
    /// Why sweeping the sites in a fixed order would not be ergodic, or nil if it is.
    var systematicScanProblem: String? { get }
}

/// Metropolis single-site update.
///
/// Proposes one of the q − 1 other values uniformly (a flip for Ising) and accepts it with
/// probability min(1, exp(−β·ΔE)). When the model tabulates its ΔE (`EnergyModel.deltaKey(_:site:to:)`),
/// acceptance probabilities are precomputed and no exponential is evaluated in the loop.
public struct MetropolisKernel<Energy: EnergyModel>: SiteKernel {
    public let energy: Energy
    public let beta: Double
    @usableFromInline let acceptance: [Double]

    public init(energy: Energy, beta: Double) {
        self.energy = energy
        self.beta = beta
        acceptance = (0..<energy.deltaKeyCount).map { min(1, exp(-beta * energy.deltaEnergy(forKey: $0))) }
    }

    @inlinable func proposal(_ x: UnsafePointer<UInt8>, site: Int, rng: RandomStream) -> UInt8 {
        let q = energy.domainSize
        if q == 2 { return 1 &- x[site] }
        let r = UInt8(rng.integer(below: q - 1))
        return r >= x[site] ? r + 1 : r
    }

    @inlinable func acceptanceProbability(_ x: UnsafePointer<UInt8>, site: Int, to v: UInt8) -> (Double, Double) {
        if let key = energy.deltaKey(x, site: site, to: v) {
            return (acceptance.withUnsafeBufferPointer { $0[key] }, energy.deltaEnergy(forKey: key))
        }
        let dE = energy.deltaEnergy(x, site: site, to: v)
        return (dE <= 0 ? 1 : exp(-beta * dE), dE)
    }

    @inlinable public func update(_ x: UnsafeMutablePointer<UInt8>, site: Int, rng: RandomStream, counters: inout MoveCounters) -> Double {
        let v = proposal(UnsafePointer(x), site: site, rng: rng)
        let (a, dE) = acceptanceProbability(UnsafePointer(x), site: site, to: v)
        counters.proposals += 1
        counters.deltaEvaluations += 1
        // Accepting a downhill move without a draw is exact (a = 1) and saves a uniform.
        if a >= 1 || rng.uniform() < a {
            x[site] = v
            counters.acceptances += 1
            return dE
        }
        return 0
    }

    /// With two values the proposal is deterministic and moves with ΔE ≤ 0 are always taken,
    /// so a fixed site order can lock the chain in a deterministic cycle of zero-energy flips:
    /// on the 3×3 periodic Ising model at β = 0.3 the sweep matrix has closed classes, and a
    /// chain started in one never leaves it (see `MCMCTests.systematicMetropolisIsReducible`).
    public var systematicScanProblem: String? {
        energy.domainSize == 2
            ? "Metropolis with a systematic scan is not ergodic on two-valued variables (zero-energy flips are forced, so the chain can cycle deterministically); use --kernel heat-bath or --scan random"
            : nil
    }

    public func transitionProbabilities(_ x: UnsafePointer<UInt8>, site: Int) -> [Double] {
        let q = energy.domainSize
        var p = [Double](repeating: 0, count: q)
        var stay = 1.0
        for v in 0..<q where v != Int(x[site]) {
            let a = acceptanceProbability(x, site: site, to: UInt8(v)).0
            p[v] = a / Double(q - 1)
            stay -= p[v]
        }
        p[Int(x[site])] = stay
        return p
    }
}

/// Heat-bath (Gibbs) single-site update: x_site ~ p(x_site | rest) ∝ exp(−β·ΔE(v)).
///
/// For binary models with a ΔE table the flip probability 1/(1 + e^{βΔE}) is precomputed.
public struct HeatBathKernel<Energy: EnergyModel>: SiteKernel {
    public let energy: Energy
    public let beta: Double
    @usableFromInline let flipProbability: [Double]

    public init(energy: Energy, beta: Double) {
        self.energy = energy
        self.beta = beta
        flipProbability = energy.domainSize == 2
            ? (0..<energy.deltaKeyCount).map { Self.logistic(-beta * energy.deltaEnergy(forKey: $0)) }
            : []
    }

    /// 1/(1 + e^{−t}), stable for large |t|.
    @inlinable static func logistic(_ t: Double) -> Double {
        t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t))
    }

    @inlinable public func update(_ x: UnsafeMutablePointer<UInt8>, site: Int, rng: RandomStream, counters: inout MoveCounters) -> Double {
        let q = energy.domainSize
        counters.proposals += 1
        counters.deltaEvaluations += q - 1
        let current = x[site]
        if q == 2 {
            let other = 1 &- current
            let pFlip: Double
            let dE: Double
            if let key = energy.deltaKey(UnsafePointer(x), site: site, to: other) {
                pFlip = flipProbability.withUnsafeBufferPointer { $0[key] }
                dE = energy.deltaEnergy(forKey: key)
            } else {
                dE = energy.deltaEnergy(UnsafePointer(x), site: site, to: other)
                pFlip = Self.logistic(-beta * dE)
            }
            if rng.uniform() < pFlip {
                x[site] = other
                counters.acceptances += 1
                return dE
            }
            return 0
        }
        // General q: weights relative to the current value, drawn by inverse CDF (exact).
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * q) { buf in
            var total = 0.0
            var minDE = 0.0
            for v in 0..<q {
                let d = v == Int(current) ? 0 : energy.deltaEnergy(UnsafePointer(x), site: site, to: UInt8(v))
                buf[q + v] = d
                minDE = min(minDE, d)
            }
            for v in 0..<q { buf[v] = exp(-beta * (buf[q + v] - minDE)); total += buf[v] }
            let v = rng.categorical(weights: UnsafeBufferPointer(rebasing: buf[0..<q]), total: total)
            if v == Int(current) { return 0 }
            x[site] = UInt8(v)
            counters.acceptances += 1
            return buf[q + v]
        }
    }

    public var systematicScanProblem: String? { nil }

    public func transitionProbabilities(_ x: UnsafePointer<UInt8>, site: Int) -> [Double] {
        let q = energy.domainSize
        let dE = (0..<q).map { v in v == Int(x[site]) ? 0 : energy.deltaEnergy(x, site: site, to: UInt8(v)) }
        let logW = dE.map { -beta * $0 }
        let lse = LogSpace.logSumExp(logW)
        return logW.map { exp($0 - lse) }
    }
}
