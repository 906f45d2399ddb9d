import Energies
import Exact
import Foundation
@testable import GFlowNets
import GFNCore
import Metrics
import NeuralNet
import Settings
import Testing
import TestSupport

/// The patch input (`--policy-input patch`): the window around the next site of a square
/// lattice, read with the same weights at every site.
@Suite struct LatticePatchTests {
    init() { TestSupport.singleThreadedBLAS() }

    /// Offsets in row-major order, the site itself left out: for radius 1,
    /// (−1,−1) (−1,0) (−1,1) (0,−1) (0,1) (1,−1) (1,0) (1,1).
    /// The encoding of `values` (one per site, −1 while unset) in the patch environment's state
    /// layout: the values, then the count of sites holding each value.
    static func cells(_ patch: LatticePatch, state values: [Int32]) -> (window: [[Float]], globals: [Float]) {
        let state = values + (0..<patch.q).map { v in Int32(values.filter { $0 == v }.count) }
        var row = [Float](repeating: .nan, count: patch.width)
        state.withUnsafeBufferPointer { s in row.withUnsafeMutableBufferPointer { patch.encode(s.baseAddress!, into: $0.baseAddress!) } }
        let c = patch.q + 1
        return ((0..<patch.offsets).map { Array(row[($0 * c)..<($0 * c + c)]) }, Array(row[(patch.offsets * c)...]))
    }

    /// On the 4×4 torus with sites 0…5 set to i mod 2, the next site is 6 (row 1, column 2): its
    /// window holds sites 1, 2, 3 above (values 1, 0, 1), 5 to the left (1), and unset sites
    /// (all zero) to the right and below; the globals are the shares 3/16 of each value.
    /// Near the end of the order the window wraps onto the first row, already set.
    @Test func theWindowHoldsTheSetNeighboursOfTheNextSite() throws {
        let patch = LatticePatch(radius: 1, lattice: try SquareLattice(rows: 4, cols: 4, boundary: .periodic), q: 2)
        #expect(patch.offsets == 8 && patch.width == 8 * 3 + 2)
        var state = [Int32](repeating: -1, count: 16)
        for i in 0..<6 { state[i] = Int32(i % 2) }
        let (window, globals) = Self.cells(patch, state: state)
        #expect(window == [[0, 1, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
        #expect(globals == [3 / 16, 3 / 16])
        // Sites 0…11 set (values i mod 3 == 0 ? 1 : 0): the next site 12 (row 3, column 0) sees
        // row 2 above (sites 15 wraps to 11, 8, 9), site 15 on its left unset, site 13 unset, and
        // below it row 0 again (sites 3, 0, 1), already set.
        for i in 0..<12 { state[i] = i % 3 == 0 ? 1 : 0 }
        let (w2, g2) = Self.cells(patch, state: state)
        let value: (Int) -> [Float] = { $0 % 3 == 0 ? [0, 1, 0] : [1, 0, 0] }
        #expect(w2 == [value(11), value(8), value(9), [0, 0, 0], [0, 0, 0], value(3), value(0), value(1)])
        #expect(g2 == [8 / 16, 4 / 16])
    }

    /// On an open lattice the offsets past the border say so in their last input, so the network
    /// tells "outside" from "not yet set".
    @Test func offsetsOutsideAnOpenLatticeAreMarked() throws {
        let patch = LatticePatch(radius: 1, lattice: try SquareLattice(rows: 3, cols: 3, boundary: .open), q: 2)
        let (window, globals) = Self.cells(patch, state: [Int32](repeating: -1, count: 9))
        let outside: [Float] = [0, 0, 1], unset: [Float] = [0, 0, 0]
        #expect(window == [outside, outside, outside, outside, unset, outside, unset, unset])
        #expect(globals == [0, 0])
    }

    static func patchModel(energy: IsingModel, beta: Double, radius: Int = 1, hidden: Int = 32, batch: Int = 32,
                           mixture: Bool = false, seed: UInt64 = 3) throws -> GFlowNet<SetVariableEnvironment<IsingModel>> {
        var settings = GFlowNetSettings()
        settings.hidden = hidden; settings.batch = batch; settings.patchRadius = radius
        if mixture { settings.spinFlipMixture = true }
        let env = SetVariableEnvironment(energy: energy, beta: beta, order: .fixed, patchRadius: radius)
        return try GFlowNet(environment: env, settings: settings, seed: seed)
    }

    /// 3×3 periodic Ising at β = 0.3 with a 3×3 window: trained (fixed seeds, so deterministic)
    /// to an exact P_T within TV 0.02 of the target and a learned log Z within 0.05 — the bar the
    /// one-hot policy meets on the same target — with 2,000 parameters whatever the lattice size.
    @Test func aPatchPolicyLearnsA3x3Lattice() throws {
        let ising = try IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic))
        let model = try Self.patchModel(energy: ising, beta: 0.3)
        #expect(model.environment.patchRadius == 1 && !model.environment.hasAdditiveEncoding)
        try Trainer(model: model, seed: 3).train(iterations: 1500)
        let exact = try Enumerator.enumerate(ising, beta: 0.3, storeEnergies: true)
        let target = exact.energies!.map { exp(exact.logProbability(energy: $0)) }
        let pt = try ModelDistribution.exact(model).map { exp($0) }
        let tv = 0.5 * zip(pt, target).map { abs($0 - $1) }.reduce(0, +)
        #expect(tv <= 0.02, "TV \(tv)")
        #expect(abs(model.logZ - exact.logZ) < 0.05, "log Z \(model.logZ) vs \(exact.logZ)")
    }

    /// The sampler reads the same window as the exact table: on the 3×3 torus (512 states), the
    /// frequencies of 100,000 draws of an untrained-but-perturbed patch policy match its exact
    /// P_T by a χ² test at the 0.1% level; with the spin-flip mixture P_T(x) = P_T(x̄), and the
    /// draws' log P_F − log P_B is log P_T(x) exactly.
    @Test(arguments: [false, true]) func drawsFollowTheExactTable(_ mixture: Bool) throws {
        let ising = try IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic))
        let model = try Self.patchModel(energy: ising, beta: 0.3, hidden: 16, mixture: mixture)
        let rng = RandomStream(seed: 11)
        for i in model.parameters.indices { model.parameters[i] += Float(0.3 * rng.gaussian()) }
        let logPT = try ModelDistribution.exact(model)
        #expect(abs(LogSpace.logSumExp(logPT)) < 1e-9)
        if mixture { for k in logPT.indices { #expect(abs(logPT[k] - logPT[511 - k]) < 1e-12) } }
        let draws = GFlowNetSampler.sample(model, count: 100_000, seed: 4)
        var counts = [Int](repeating: 0, count: 512)
        for (i, key) in draws.keys.enumerated() {
            counts[Int(key)] += 1
            // Float logits, Double sums: the per-draw score agrees with the table to rounding.
            #expect(abs(draws.logPF[i] - draws.logPB[i] - logPT[Int(key)]) < 1e-4)
        }
        let p = logPT.map { exp($0) }
        #expect(try ChiSquare.test(observed: counts, expected: p).pValue > 1e-3)
    }

    /// What the patch cannot serve is refused with the flag named: a target without a uniform
    /// lattice (a glass), the any order, a per-step head, a radius out of range.
    @Test func unsupportedTargetsAndSettingsAreRefused() throws {
        let lattice = try SquareLattice(rows: 3, cols: 3, boundary: .periodic)
        let glass = try PairwiseModel.edwardsAnderson(lattice: lattice, gaussian: false, instanceSeed: 1)
        var settings = GFlowNetSettings()
        settings.patchRadius = 1
        let env = SetVariableEnvironment(energy: glass, beta: 1, order: .fixed, patchRadius: 1)
        #expect(env.patch == nil)
        #expect(throws: GFNError.self) { _ = try GFlowNet(environment: env, settings: settings, seed: 1) }
        for change in [{ (s: inout GFlowNetSettings) in s.order = .any }, { $0.head = .perStep }, { $0.patchRadius = 0 }, { $0.patchRadius = 17 }] {
            var bad = settings
            change(&bad)
            #expect(throws: GFNError.self) { try bad.validate() }
        }
    }
}
