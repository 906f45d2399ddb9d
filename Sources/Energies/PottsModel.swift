import GFNCore

/// The q-state Potts model on a square lattice.
///
/// E(x) = −J·Σ_<ij> δ(xᵢ, xⱼ) − h·Σᵢ δ(xᵢ, 0), xᵢ ∈ {0, …, q−1}, every nearest-neighbour bond
/// counted once; p(x) ∝ exp(−β·E(x)). With q = 2 it is the Ising model with coupling J/2 up to a
/// constant: δ(a, b) = (1 + sₐs_b)/2.
public struct PottsModel: EnergyModel, Hashable {
    public let lattice: SquareLattice
    public let q: Int
    public let coupling: Double
    public let field: Double
    @usableFromInline let table: NeighborTable
    @usableFromInline let maxDegree: Int
    private let cachedBonds: [Bond]

    /// - Throws: `GFNError.invalidInput` for q outside 2…255 or non-finite parameters.
    public init(lattice: SquareLattice, q: Int, coupling: Double = 1, field: Double = 0) throws {
        guard (2...255).contains(q) else { throw GFNError.invalidInput("--q must be between 2 and 255 (got \(q))") }
        guard coupling.isFinite else { throw GFNError.invalidInput("--coupling must be a finite number (got \(coupling))") }
        guard field.isFinite else { throw GFNError.invalidInput("--field must be a finite number (got \(field))") }
        self.lattice = lattice; self.q = q; self.coupling = coupling; self.field = field
        cachedBonds = lattice.bonds
        table = NeighborTable(siteCount: lattice.siteCount, bonds: cachedBonds)
        maxDegree = table.maxDegree
    }

    public static func == (l: PottsModel, r: PottsModel) -> Bool {
        l.lattice == r.lattice && l.q == r.q && l.coupling == r.coupling && l.field == r.field
    }
    public func hash(into h: inout Hasher) { h.combine(lattice); h.combine(q); h.combine(coupling); h.combine(field) }

    public var variableCount: Int { lattice.siteCount }
    /// Uniform coupling and field: every site's neighbourhood has the same energy function.
    public var translationInvariantLattice: SquareLattice? { lattice }
    public var domainSize: Int { q }
    public var bonds: [Bond] { cachedBonds }

    /// The Potts order parameter along colour 0: (q·δ(v, 0) − 1)/(q − 1) — +1 for colour 0, −1/(q−1) otherwise.
    @inlinable public func spin(_ value: UInt8) -> Double { value == 0 ? 1 : -1 / Double(q - 1) }

    public func energy(_ x: UnsafePointer<UInt8>) -> Double {
        var agree = 0, zeros = 0
        for b in cachedBonds where x[b.a] == x[b.b] { agree += 1 }
        for i in 0..<variableCount where x[i] == 0 { zeros += 1 }
        return -coupling * Double(agree) - field * Double(zeros)
    }

    /// Neighbours of `site` holding `v` minus those holding `w` (with bond multiplicity).
    @inlinable func neighborBalance(_ x: UnsafePointer<UInt8>, site: Int, _ v: UInt8, _ w: UInt8) -> Int {
        var d = 0
        let lo = Int(table.offsets[site]), hi = Int(table.offsets[site + 1])
        for k in lo..<hi {
            let y = x[Int(table.neighbors[k])]
            if y == v { d += 1 } else if y == w { d -= 1 }
        }
        return d
    }

    /// −J·#{j < i, j ~ i : xⱼ = xᵢ} − h·δ(xᵢ, 0) (bonds to lower-indexed neighbours, with multiplicity).
    @inlinable public func orderedIncrement(_ x: UnsafePointer<Int32>, site: Int) -> Double {
        var agree = 0
        let lo = Int(table.offsets[site]), hi = Int(table.offsets[site + 1])
        for k in lo..<hi {
            let j = Int(table.neighbors[k])
            if j < site && x[j] == x[site] { agree += 1 }
        }
        return -coupling * Double(agree) - field * (x[site] == 0 ? 1 : 0)
    }

    @inlinable public func deltaEnergy(_ x: UnsafePointer<UInt8>, site: Int, to value: UInt8) -> Double {
        let old = x[site]
        if value == old { return 0 }
        let gained = neighborBalance(x, site: site, value, old)
        let fieldChange = (value == 0 ? 1.0 : 0) - (old == 0 ? 1.0 : 0)
        return -coupling * Double(gained) - field * fieldChange
    }

    // ΔE depends on (agreeing-neighbour balance, whether the old or new value is 0): key =
    // (balance + D)·3 + fieldCase, fieldCase 0: neither, 1: new is 0, 2: old is 0.
    @inlinable public func deltaKey(_ x: UnsafePointer<UInt8>, site: Int, to value: UInt8) -> Int? {
        let old = x[site]
        if value == old { return nil }
        let fieldCase = value == 0 ? 1 : (old == 0 ? 2 : 0)
        return (neighborBalance(x, site: site, value, old) + maxDegree) * 3 + fieldCase
    }

    public var deltaKeyCount: Int { (2 * maxDegree + 1) * 3 }

    public func deltaEnergy(forKey key: Int) -> Double {
        let balance = Double(key / 3 - maxDegree)
        let fieldChange: Double = [0, 1, -1][key % 3]
        return -coupling * balance - field * fieldChange
    }

    public var energyBounds: ClosedRange<Double> {
        latticeEnergyBounds(bonds: cachedBonds.count, sites: variableCount, coupling: coupling, field: field)
    }

    /// With h = 0, E = −J·(number of agreeing bonds).
    public var energyLevels: EnergyLevels? {
        guard field == 0 else { return nil }
        let nb = cachedBonds.count
        if coupling == 0 { return EnergyLevels(lowest: 0, spacing: 1, count: 1) }
        return EnergyLevels(lowest: min(0, -coupling * Double(nb)), spacing: abs(coupling), count: nb + 1)
    }

    public var summary: String {
        "2D \(q)-state Potts \(lattice.rows)×\(lattice.cols) \(lattice.boundary.rawValue), J=\(coupling), h=\(field)"
    }
}
