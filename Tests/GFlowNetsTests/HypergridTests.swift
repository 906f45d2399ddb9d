import Energies
import Exact
import Foundation
import GFlowNets
import GFNCore
import MCMC
import Metrics
import NeuralNet
import Testing
import TestSupport

@Suite struct HypergridTests {
    init() { TestSupport.singleThreadedBLAS() }

    static let grid = try! HypergridModel(dims: 2, side: 8)

    /// p(x) ∝ R(x) over the 64 points, computed from the reward formula.
    static var target: [Double] {
        let r = (0..<64).map { k in grid.reward { $0 == 0 ? k % 8 : k / 8 } }
        let z = r.reduce(0, +)
        return r.map { $0 / z }
    }

    @Test func rewardFollowsTheStandardDefinition() throws {
        // H = 8: |x/7 − 0.5| > 0.25 for x ∈ {0, 1, 6, 7}; in (0.3, 0.4) for x ∈ {1, 6}.
        #expect(Self.grid.reward { _ in 0 } == 0.1 + 0.5)
        #expect(Self.grid.reward { _ in 1 } == 0.1 + 0.5 + 2.0)
        #expect(Self.grid.reward { _ in 3 } == 0.1)
        #expect(Self.grid.reward { $0 == 0 ? 1 : 3 } == 0.1)
        #expect(throws: GFNError.self) { try HypergridModel(dims: 0, side: 8) }
        #expect(throws: GFNError.self) { try HypergridModel(dims: 2, side: 8, r0: 0) }
    }

    @Test func deltaEnergyMatchesFullEnergyDifference() throws {
        let grid = try HypergridModel(dims: 3, side: 6, r0: 0.2, r1: 1, r2: 3)
        let rng = RandomStream(seed: 2)
        for _ in 0..<300 {
            let x = (0..<3).map { _ in UInt8(rng.integer(below: 6)) }
            let site = rng.integer(below: 3)
            var y = x
            y[site] = UInt8(rng.integer(below: 6))
            let local = x.withUnsafeBufferPointer { grid.deltaEnergy($0.baseAddress!, site: site, to: y[site]) }
            #expect(abs(grid.energy(of: y) - grid.energy(of: x) - local) < 1e-12)
        }
    }

    /// A GFlowNet trained briefly (trajectory balance, increment-or-stop construction) reaches
    /// TV ≤ 0.05 of the exact reward distribution, measured on its exact P_T (no sampling noise).
    @Test func gflownetLearnsTheRewardDistribution() throws {
        var settings = GFlowNetSettings()
        settings.hidden = 64; settings.batch = 32; settings.learningRate = 2e-3; settings.epsilon = 0.1
        let model = try GFlowNet(environment: HypergridEnvironment(grid: Self.grid), settings: settings, seed: 3)
        try Trainer(model: model, seed: 3).train(iterations: 2500)
        let pt = HypergridEnvironment.exactTerminalDistribution(model)
        #expect(abs(pt.reduce(0, +) - 1) < 1e-6)
        let tv = Distances.totalVariation(pt, Self.target)
        #expect(tv <= 0.05, "TV \(tv)")
        let z = (0..<64).map { k in Self.grid.reward { $0 == 0 ? k % 8 : k / 8 } }.reduce(0, +)
        #expect(abs(model.logZ - log(z)) < 0.1, "log Z \(model.logZ) vs \(log(z))")
        // Samples follow P_T too (variable-length trajectories through the sampler).
        let s = GFlowNetSampler.sample(model, count: 2000, seed: 4)
        #expect(s.keys.allSatisfy { $0 < 64 })
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
