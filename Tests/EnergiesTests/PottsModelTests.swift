import Energies
import GFNCore
import Testing

@Suite struct PottsModelTests {
    @Test(arguments: [(3, 3, Boundary.periodic, 3), (2, 4, .periodic, 4), (3, 2, .open, 5)])
    func deltaEnergyMatchesFullEnergyDifference(_ c: (Int, Int, Boundary, Int)) throws {
        let model = try PottsModel(lattice: SquareLattice(rows: c.0, cols: c.1, boundary: c.2), q: c.3, coupling: 0.8, field: -0.4)
        let rng = RandomStream(seed: 5, stream: UInt64(c.3))
        var x = [UInt8](repeating: 0, count: model.variableCount)
        for _ in 0..<300 {
            for i in x.indices { x[i] = UInt8(rng.integer(below: c.3)) }
            let site = rng.integer(below: x.count)
            var y = x
            y[site] = UInt8(rng.integer(below: c.3))
            let full = model.energy(of: y) - model.energy(of: x)
            let local = x.withUnsafeBufferPointer { model.deltaEnergy($0.baseAddress!, site: site, to: y[site]) }
            #expect(abs(full - local) < 1e-12)
            if let key = x.withUnsafeBufferPointer({ model.deltaKey($0.baseAddress!, site: site, to: y[site]) }) {
                #expect(abs(model.deltaEnergy(forKey: key) - full) < 1e-12)
            } else {
                #expect(y[site] == x[site])
            }
        }
    }

    @Test func energyLevelsCoverEveryStateForBothSignsOfJ() throws {
        for j in [1.5, -0.5] {
            let model = try PottsModel(lattice: SquareLattice(rows: 2, cols: 3, boundary: .open), q: 3, coupling: j)
            let levels = try #require(model.energyLevels)
            for key in 0..<UInt64(729) {
                let e = model.energy(ofKey: key)
                let k = levels.index(of: e)
                #expect((0..<levels.count).contains(k) && abs(levels.energy(at: k) - e) < 1e-12)
            }
        }
    }

    @Test func badParametersAreRefused() throws {
        let lattice = try SquareLattice(rows: 2, cols: 2, boundary: .open)
        #expect(throws: GFNError.self) { try PottsModel(lattice: lattice, q: 1) }
        #expect(throws: GFNError.self) { try PottsModel(lattice: lattice, q: 256) }
        #expect(throws: GFNError.self) { try PottsModel(lattice: lattice, q: 3, coupling: .nan) }
    }
}
