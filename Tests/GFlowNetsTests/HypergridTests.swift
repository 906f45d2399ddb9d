import Energies
import Foundation
import GFlowNets
import GFNCore
import Metrics
import NeuralNet
import Settings
import Testing
import TestSupport

/// A GFlowNet on the hypergrid (increment-or-stop construction) learns the reward distribution.
/// The grid as an energy: EnergiesTests/HypergridModelTests; its step kernel: MCMCTests/GridStepKernelTests.
@Suite struct HypergridTests {
    init() { TestSupport.singleThreadedBLAS() }

    static let grid = try! HypergridModel(dims: 2, side: 8)

    /// p(x) ∝ R(x) over the 64 points, computed from the reward formula.
    static var target: [Double] {
        let r = (0..<64).map { k in grid.reward { $0 == 0 ? k % 8 : k / 8 } }
        let z = r.reduce(0, +)
        return r.map { $0 / z }
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
}
