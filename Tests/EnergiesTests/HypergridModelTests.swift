import Energies
import Foundation
import GFNCore
import Testing
import TestSupport

/// The hypergrid as an energy model: the reward's standard definition and local ΔE.
@Suite struct HypergridModelTests {
    static let grid = try! HypergridModel(dims: 2, side: 8)

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
}
