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
    /// engages at 2^13 logits a step, 512 rows here, with two threads): two threads draw the
    /// states one thread draws, with the same log P_F and log P_B bit for bit, over a full block
    /// and a remainder of 88 rows.
    @Test(arguments: [10, 4]) func twoThreadsDrawWhatOneDraws(side: Int) throws {
        let ising = try IsingModel(lattice: SquareLattice(rows: side, cols: side, boundary: .periodic))
        var settings = GFlowNetSettings()
        settings.order = .any; settings.backward = .learned; settings.backwardNetwork = .separate; settings.hidden = 16
        let model = try GFlowNet(environment: SetVariableEnvironment(energy: ising, beta: 0.44, order: .any), settings: settings, seed: 5)
        let saved = BLASThreads.current
        defer { BLASThreads.set(saved) }
        BLASThreads.set(1)
        let one = GFlowNetSampler.sample(model, count: 600, seed: 2)
        BLASThreads.set(2)
        let two = GFlowNetSampler.sample(model, count: 600, seed: 2)
        #expect(one.keys.count == 600 && one.keys == two.keys)
        #expect(one.logPF.map(\.bitPattern) == two.logPF.map(\.bitPattern))
        #expect(one.logPB.map(\.bitPattern) == two.logPB.map(\.bitPattern))
        // Distinct draws: the comparison is not of one repeated state (4×4 has 65,536 states).
        #expect(Set(one.keys).count > 400)
    }
}
