import Energies
import Foundation
@testable import GFlowNets
import GFNCore
import NeuralNet
import Settings
import Testing
import TestSupport

/// Sampling's rows shared out to threads (GFlowNetSampler): the uniforms are drawn first, one per
/// running row in row order, so the split changes no draw.
@Suite struct SamplerRowSplitTests {
    /// 10×10 any order with P_B in its own network (200 logits a row) and 4×4 (33: the split
    /// engages at 2^13 logits a step, 512 rows here, with two threads).
    @Test(arguments: [10, 4]) func twoThreadsDrawWhatOneDraws(side: Int) throws {
        let ising = try IsingModel(lattice: SquareLattice(rows: side, cols: side, boundary: .periodic))
        var settings = GFlowNetSettings()
        settings.order = .any; settings.backward = .learned; settings.backwardNetwork = .separate; settings.hidden = 16
        Self.expectTwoThreadsDrawWhatOneDraws(try GFlowNet(environment: SetVariableEnvironment(energy: ising, beta: 0.44, order: .any), settings: settings, seed: 5))
    }

    /// 600 draws (a block of 512 and a remainder of 88) on one thread and on two: the same
    /// states, log P_F and log P_B bit for bit, and distinct draws (the comparison is not of one
    /// repeated state; 4×4 has 65,536 states).
    static func expectTwoThreadsDrawWhatOneDraws<Env: ConstructionEnvironment>(_ model: GFlowNetModel<Env, Float>) {
        let saved = BLASThreads.current
        defer { BLASThreads.set(saved) }
        BLASThreads.set(1)
        let one = GFlowNetSampler.sample(model, count: 600, seed: 2)
        BLASThreads.set(2)
        let two = GFlowNetSampler.sample(model, count: 600, seed: 2)
        #expect(one.keys.count == 600 && one.keys == two.keys)
        #expect(one.logPF.map(\.bitPattern) == two.logPF.map(\.bitPattern))
        #expect(one.logPB.map(\.bitPattern) == two.logPB.map(\.bitPattern))
        #expect(Set(one.keys).count > 400)
    }

    /// A fixed-order patch input (radius 2: 74 inputs a row, 512 rows a step) is encoded by both
    /// threads, each its share of the rows (the split engages at 2^14 input values a step).
    @Test func twoThreadsEncodeWhatOneEncodes() throws {
        let ising = try IsingModel(lattice: SquareLattice(rows: 10, cols: 10, boundary: .periodic))
        var settings = GFlowNetSettings()
        settings.order = .fixed; settings.head = .shared; settings.patchRadius = 2; settings.hidden = 16
        let env = SetVariableEnvironment(energy: ising, beta: 0.44, order: .fixed, patchRadius: 2)
        #expect(!env.hasAdditiveEncoding && 512 * env.encodingWidth >= 1 << 14)
        Self.expectTwoThreadsDrawWhatOneDraws(try GFlowNet(environment: env, settings: settings, seed: 5))
    }
}
