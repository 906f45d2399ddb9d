import Energies
import Exact
import Foundation
import GFNCore
import MCMC
import Metrics
import Settings
import Testing
import TestSupport

/// The hypergrid's ±1 step kernel: detailed balance from its own transition probabilities, and
/// chains that pass the chi-square test against p ∝ R.
@Suite struct GridStepKernelTests {
    static let grid = try! HypergridModel(dims: 2, side: 8)

    /// p(x) ∝ R(x) over the 64 points, from the reward formula.
    static var target: [Double] {
        let r = (0..<64).map { k in grid.reward { $0 == 0 ? k % 8 : k / 8 } }
        return r.map { $0 / r.reduce(0, +) }
    }

    @Test func stepKernelSatisfiesDetailedBalanceAndPassesChiSquare() throws {
        let kernel = GridStepKernel(energy: Self.grid, beta: 1)
        // Detailed balance on every pair of neighbouring points, from the kernel's own numbers.
        var x: [UInt8] = [0, 0], y = x
        for key in 0..<64 {
            x = [UInt8(key % 8), UInt8(key / 8)]
            for site in 0..<2 {
                let t = x.withUnsafeBufferPointer { kernel.transitionProbabilities($0.baseAddress!, site: site) }
                #expect(abs(t.reduce(0, +) - 1) < 1e-12 && t.allSatisfy { $0 >= 0 })
                for v in 0..<8 where v != Int(x[site]) && t[v] > 0 {
                    y = x; y[site] = UInt8(v)
                    let back = y.withUnsafeBufferPointer { kernel.transitionProbabilities($0.baseAddress!, site: site) }[Int(x[site])]
                    let lhs = exp(-Self.grid.energy(of: x)) * t[v], rhs = exp(-Self.grid.energy(of: y)) * back
                    #expect(abs(lhs - rhs) <= 1e-12 * max(lhs, rhs))
                }
            }
        }
        // MH with ±1 moves passes the chi-square test against p ∝ R (thinned by ⌈2·τ_int⌉; level 1e-3).
        let traces = try ChainRunner.run(kernel: kernel, schedule: ChainSchedule(chains: 4, burnInSweeps: 500, samplesPerChain: 60_000, thinSweeps: 1), seed: 6)
        let tau = max(Autocorrelation.integratedTime(traces.map(\.energies)), Autocorrelation.integratedTime(traces.map(\.magnetizations)), 1)
        let thin = SampleThinning.interval(tau: tau)
        var observed = [Int](repeating: 0, count: 64)
        for t in traces { for j in stride(from: thin - 1, to: t.keys.count, by: thin) { observed[Int(t.keys[j])] += 1 } }
        let r = try ChiSquare.test(observed: observed, expected: Self.target)
        #expect(r.pValue > 1e-3, "χ² = \(r.statistic) on \(r.degreesOfFreedom) df")
        // And enumeration of the grid as an energy model gives the same distribution.
        let exact = try Enumerator.enumerate(Self.grid, beta: 1, storeEnergies: true)
        let p = exact.energies!.map { exp(exact.logProbability(energy: $0)) }
        #expect(Distances.totalVariation(p, Self.target) < 1e-12)
    }
}
