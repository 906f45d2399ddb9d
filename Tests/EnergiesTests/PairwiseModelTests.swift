import Energies
import Exact
import Foundation
import GFNCore
import Testing

@Suite struct PairwiseModelTests {
    static func models() throws -> [PairwiseModel] {
        [try PairwiseModel.edwardsAnderson(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic), gaussian: false, instanceSeed: 4),
         try PairwiseModel.edwardsAnderson(lattice: SquareLattice(rows: 3, cols: 4, boundary: .open), gaussian: true, instanceSeed: 5),
         try PairwiseModel.sherringtonKirkpatrick(spins: 8, instanceSeed: 6),
         try PairwiseModel(variables: 5, domain: 3, edges: [(0, 1, 0.7), (1, 2, -0.4), (2, 3, 1.1), (3, 4, 0.2), (4, 0, -0.9)],
                           fields: [0.3, 0, -0.2, 0.1, 0], name: "Potts-style ring")]
    }

    @Test func deltaEnergyMatchesFullEnergyDifference() throws {
        for (k, model) in try Self.models().enumerated() {
            let rng = RandomStream(seed: 9, stream: UInt64(k))
            var x = [UInt8](repeating: 0, count: model.variableCount)
            for _ in 0..<200 {
                for i in x.indices { x[i] = UInt8(rng.integer(below: model.domainSize)) }
                let site = rng.integer(below: x.count)
                var y = x
                y[site] = UInt8(rng.integer(below: model.domainSize))
                let local = x.withUnsafeBufferPointer { model.deltaEnergy($0.baseAddress!, site: site, to: y[site]) }
                #expect(abs(model.energy(of: y) - model.energy(of: x) - local) < 1e-12, "\(model.summary)")
            }
        }
    }

    /// Enumeration's log Z equals an independent brute-force sum, for a glass of each kind.
    @Test func enumerationMatchesBruteForce() throws {
        for model in try Self.models() {
            let beta = 0.8
            var terms: [Double] = []
            var x = [UInt8](repeating: 0, count: model.variableCount)
            for key in 0..<model.stateCount! {
                var k = key
                for i in x.indices { x[i] = UInt8(k % model.domainSize); k /= model.domainSize }
                // Written out from the definition, not through the model's energy().
                var e = 0.0
                for (bond, j) in model.edges {
                    e -= j * (model.domainSize == 2 ? (x[bond.a] == x[bond.b] ? 1 : -1) : (x[bond.a] == x[bond.b] ? 1 : 0))
                }
                for i in x.indices { e -= model.fields[i] * (model.domainSize == 2 ? (x[i] == 1 ? 1 : -1) : (x[i] == 0 ? 1 : 0)) }
                terms.append(-beta * e)
            }
            let d = try Enumerator.enumerate(model, beta: beta)
            #expect(abs(d.logZ - LogSpace.logSumExp(terms)) < 1e-10, "\(model.summary)")
        }
    }

    @Test func instancesDependOnlyOnTheirInstanceSeed() throws {
        let lattice = try SquareLattice(rows: 4, cols: 4, boundary: .periodic)
        let a = try PairwiseModel.edwardsAnderson(lattice: lattice, gaussian: true, instanceSeed: 11)
        let b = try PairwiseModel.edwardsAnderson(lattice: lattice, gaussian: true, instanceSeed: 11)
        let c = try PairwiseModel.edwardsAnderson(lattice: lattice, gaussian: true, instanceSeed: 12)
        #expect(a.edges.map(\.coupling) == b.edges.map(\.coupling))
        #expect(a.edges.map(\.coupling) != c.edges.map(\.coupling))
        let pm = try PairwiseModel.edwardsAnderson(lattice: lattice, gaussian: false, instanceSeed: 3)
        #expect(pm.edges.allSatisfy { abs($0.coupling) == 1 })
        // SK couplings have variance 1/n: with n = 64 (2016 pairs) the sample variance is within 15% of 1/64.
        let sk = try PairwiseModel.sherringtonKirkpatrick(spins: 64, instanceSeed: 1)
        let v = sk.edges.reduce(0) { $0 + $1.coupling * $1.coupling } / Double(sk.edges.count)
        #expect(abs(v * 64 - 1) < 0.15)
    }

    @Test func malformedGraphsAreRefused() {
        #expect(throws: GFNError.self) { try PairwiseModel(variables: 3, edges: [(0, 3, 1)], name: "x") }
        #expect(throws: GFNError.self) { try PairwiseModel(variables: 3, edges: [(1, 1, 1)], name: "x") }
        #expect(throws: GFNError.self) { try PairwiseModel(variables: 3, edges: [(0, 1, 1), (1, 0, 2)], name: "x") }
        #expect(throws: GFNError.self) { try PairwiseModel(variables: 3, edges: [(0, 1, .nan)], name: "x") }
        #expect(throws: GFNError.self) { try PairwiseModel(variables: 3, edges: [], fields: [1, 2], name: "x") }
    }

    /// Issue 13, defect 8: EA refused 2-row and 2-column periodic lattices ("edge 4–0 is listed
    /// twice") that Ising and Potts accept. The wrap-around bond joins the same pair twice, each
    /// with its own coupling, as on the torus; E(x) and ΔE agree with a sum over those bonds.
    @Test func edwardsAndersonAcceptsTwoRowPeriodicLattices() throws {
        for (rows, cols) in [(2, 4), (4, 2), (2, 2)] {
            let lattice = try SquareLattice(rows: rows, cols: cols, boundary: .periodic)
            let ea = try PairwiseModel.edwardsAnderson(lattice: lattice, gaussian: true, instanceSeed: 5)
            #expect(ea.edges.count == lattice.bonds.count)
            let n = lattice.siteCount
            var x = [UInt8](repeating: 0, count: n)
            for key in 0..<(1 << n) {
                for i in 0..<n { x[i] = UInt8((key >> i) & 1) }
                let s = x.map { $0 == 0 ? -1.0 : 1.0 }
                let direct = -ea.edges.reduce(0) { $0 + $1.coupling * s[$1.bond.a] * s[$1.bond.b] }
                let e = x.withUnsafeBufferPointer { ea.energy($0.baseAddress!) }
                #expect(abs(e - direct) < 1e-12)
                let flipped = x.withUnsafeBufferPointer { ea.deltaEnergy($0.baseAddress!, site: key % n, to: 1 - x[key % n]) }
                var y = x; y[key % n] = 1 - y[key % n]
                let e2 = y.withUnsafeBufferPointer { ea.energy($0.baseAddress!) }
                #expect(abs(flipped - (e2 - e)) < 1e-12)
            }
        }
        // A model file's repeated edge is still an error.
        #expect(throws: GFNError.self) { try PairwiseModel(variables: 3, edges: [(0, 1, 1), (1, 0, 2)], name: "x") }
    }
}
