import Energies
import Foundation
import GFNCore

/// Metropolis–Hastings with ±1 moves along one coordinate, reflecting at the borders: from the
/// interior a step goes up or down with probability ½ each; from a border the only step is
/// inward (probability 1). The proposal is then asymmetric, so acceptance is
/// min(1, e^{−βΔE}·q(x′→x)/q(x→x′)).
public struct GridStepKernel<Energy: EnergyModel>: SiteKernel {
    public let energy: Energy
    public let beta: Double

    public init(energy: Energy, beta: Double) { self.energy = energy; self.beta = beta }

    /// q(v → w) for one coordinate of domain size H.
    @inlinable func proposal(from v: Int, to w: Int) -> Double {
        let h = energy.domainSize
        guard abs(v - w) == 1 else { return 0 }
        return (v == 0 || v == h - 1) ? 1 : 0.5
    }

    @inlinable func acceptance(_ x: UnsafePointer<UInt8>, site: Int, to w: Int) -> (Double, Double) {
        let v = Int(x[site])
        let dE = energy.deltaEnergy(x, site: site, to: UInt8(w))
        let ratio = exp(-beta * dE) * proposal(from: w, to: v) / proposal(from: v, to: w)
        return (min(1, ratio), dE)
    }

    public func update(_ x: UnsafeMutablePointer<UInt8>, site: Int, rng: RandomStream, counters: inout MoveCounters) -> Double {
        let v = Int(x[site]), h = energy.domainSize
        let w = v == 0 ? 1 : (v == h - 1 ? h - 2 : (rng.uniform() < 0.5 ? v - 1 : v + 1))
        let (a, dE) = acceptance(UnsafePointer(x), site: site, to: w)
        counters.proposals += 1
        counters.deltaEvaluations += 1
        if a >= 1 || rng.uniform() < a {
            x[site] = UInt8(w)
            counters.acceptances += 1
            return dE
        }
        return 0
    }

    public func transitionProbabilities(_ x: UnsafePointer<UInt8>, site: Int) -> [Double] {
        let v = Int(x[site]), h = energy.domainSize
        var p = [Double](repeating: 0, count: h)
        var stay = 1.0
        for w in [v - 1, v + 1] where (0..<h).contains(w) {
            p[w] = proposal(from: v, to: w) * acceptance(x, site: site, to: w).0
            stay -= p[w]
        }
        p[v] += stay
        return p
    }

    public var systematicScanProblem: String? { nil }
}
