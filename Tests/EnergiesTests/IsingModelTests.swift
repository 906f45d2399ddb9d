import Energies
import GFNCore
import Testing

@Suite struct IsingModelTests {
    static let lattices: [(Int, Int, Boundary)] = [(2, 2, .periodic), (3, 4, .periodic), (5, 5, .open), (1, 6, .open), (4, 2, .periodic)]

    @Test(arguments: 0..<lattices.count) func deltaEnergyMatchesFullEnergyDifference(_ index: Int) throws {
        let (r, c, b) = Self.lattices[index]
        let model = try IsingModel(lattice: SquareLattice(rows: r, cols: c, boundary: b), coupling: 0.7, field: -0.3)
        let rng = RandomStream(seed: 3, stream: UInt64(index))
        var x = [UInt8](repeating: 0, count: model.variableCount)
        for _ in 0..<200 {
            for i in x.indices { x[i] = UInt8(rng.integer(below: 2)) }
            let site = rng.integer(below: model.variableCount)
            var y = x
            y[site] ^= 1
            let full = model.energy(of: y) - model.energy(of: x)
            let local = x.withUnsafeBufferPointer { model.deltaEnergy($0.baseAddress!, site: site, to: y[site]) }
            #expect(abs(full - local) < 1e-12)
            // The tabulated ΔE agrees too.
            let key = x.withUnsafeBufferPointer { model.deltaKey($0.baseAddress!, site: site, to: y[site]) }
            #expect(key != nil && abs(model.deltaEnergy(forKey: key!) - full) < 1e-12)
            #expect(x.withUnsafeBufferPointer { model.deltaEnergy($0.baseAddress!, site: site, to: x[site]) } == 0)
        }
    }

    @Test func energyFollowsTheDocumentedConvention() throws {
        // All up on a periodic 3×3: 18 bonds, each +1: E = −J·18 − h·9.
        let model = try IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic), coupling: 1.5, field: 0.25)
        #expect(model.energy(of: [UInt8](repeating: 1, count: 9)) == -1.5 * 18 - 0.25 * 9)
        #expect(model.energy(of: [UInt8](repeating: 0, count: 9)) == -1.5 * 18 + 0.25 * 9)
        #expect(model.bonds.count == 18)
        // Open 3×4: 3·3 horizontal + 2·4 vertical bonds.
        #expect(try SquareLattice(rows: 3, cols: 4, boundary: .open).bonds.count == 17)
        // Periodic 2×2: each site's right and lower bond, so pairs are joined twice (8 bonds).
        #expect(try SquareLattice(rows: 2, cols: 2, boundary: .periodic).bonds.count == 8)
    }

    @Test func keysRoundTrip() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .open))
        var x = [UInt8](repeating: 0, count: 9)
        for key in [UInt64(0), 1, 256, 511, 300] {
            x.withUnsafeMutableBufferPointer { model.decode(key, into: $0.baseAddress!) }
            #expect(x.withUnsafeBufferPointer { model.key(of: $0.baseAddress!) } == key)
        }
        #expect(model.stateCount == 512)
    }

    @Test func badSizesAndParametersAreRefusedWithAMessage() {
        #expect(throws: GFNError.invalidInput("lattice 0x3 is empty: rows and columns must be at least 1")) {
            try SquareLattice(rows: 0, cols: 3, boundary: .periodic)
        }
        #expect(throws: GFNError.self) { try SquareLattice(rows: 1, cols: 5, boundary: .periodic) }
        #expect(throws: GFNError.self) { try SquareLattice(rows: 5000, cols: 5, boundary: .open) }
        let lattice = try! SquareLattice(rows: 2, cols: 2, boundary: .open)
        #expect(throws: GFNError.self) { try IsingModel(lattice: lattice, coupling: .nan) }
        #expect(throws: GFNError.self) { try IsingModel(lattice: lattice, field: .infinity) }
    }

    @Test func energyLevelsCoverEveryState() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 2, cols: 3, boundary: .open), coupling: 0.5)
        let levels = try #require(model.energyLevels)
        for key in 0..<UInt64(64) {
            let e = model.energy(ofKey: key)
            let k = levels.index(of: e)
            #expect((0..<levels.count).contains(k))
            #expect(abs(levels.energy(at: k) - e) < 1e-12)
            #expect(model.energyBounds.contains(e))
        }
    }
}
