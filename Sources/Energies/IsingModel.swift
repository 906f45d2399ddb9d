import GFNCore

/// The 2D Ising model on a square lattice.
///
/// E(x) = −J·Σ_<ij> sᵢsⱼ − h·Σᵢ sᵢ with sᵢ = ±1 (stored as 0 ↦ −1, 1 ↦ +1) and every
/// nearest-neighbour bond counted **once**; p(x) ∝ exp(−β·E(x)).
///
/// torchgfn's `DiscreteEBM` uses E = −xᵀJx with a symmetric J, which counts each bond twice:
/// its coupling J corresponds to 2J here (our J = 1 is its J = 0.5).
public struct IsingModel: EnergyModel, Hashable {
    public let lattice: SquareLattice
    /// Coupling J (> 0 ferromagnetic).
    public let coupling: Double
    /// External field h.
    public let field: Double
    @usableFromInline let table: NeighborTable
    @usableFromInline let maxDegree: Int

    /// - Throws: `GFNError.invalidInput` for non-finite parameters.
    public init(lattice: SquareLattice, coupling: Double = 1, field: Double = 0) throws {
        guard coupling.isFinite else { throw GFNError.invalidInput("--coupling must be a finite number (got \(coupling))") }
        guard field.isFinite else { throw GFNError.invalidInput("--field must be a finite number (got \(field))") }
        self.lattice = lattice
        self.coupling = coupling
        self.field = field
        let bonds = lattice.bonds
        table = NeighborTable(siteCount: lattice.siteCount, bonds: bonds)
        maxDegree = table.maxDegree
        cachedBonds = bonds
    }

    private let cachedBonds: [Bond]

    /// The lattice's neighbour lists (for samplers with a loop of their own, e.g. the heat-bath fast path).
    public var neighborTable: NeighborTable { table }

    public static func == (l: IsingModel, r: IsingModel) -> Bool {
        l.lattice == r.lattice && l.coupling == r.coupling && l.field == r.field
    }
    public func hash(into h: inout Hasher) { h.combine(lattice); h.combine(coupling); h.combine(field) }

    public var variableCount: Int { lattice.siteCount }
    /// Uniform coupling and field: every site's neighbourhood has the same energy function.
    public var translationInvariantLattice: SquareLattice? { lattice }
    public var domainSize: Int { 2 }
    public var bonds: [Bond] { cachedBonds }

    @inlinable public func spin(_ value: UInt8) -> Double { value == 0 ? -1 : 1 }

    public func energy(_ x: UnsafePointer<UInt8>) -> Double {
        var bondSum = 0
        var magnetization = 0
        for b in cachedBonds { bondSum += (x[b.a] == x[b.b]) ? 1 : -1 }
        for i in 0..<variableCount { magnetization += x[i] == 0 ? -1 : 1 }
        return -coupling * Double(bondSum) - field * Double(magnetization)
    }

    /// Σ_j s_j over the neighbours of `site` (with bond multiplicity).
    @inlinable func neighborSum(_ x: UnsafePointer<UInt8>, site: Int) -> Int {
        var s = 0
        let lo = Int(table.offsets[site]), hi = Int(table.offsets[site + 1])
        for k in lo..<hi { s += Int(x[Int(table.neighbors[k])]) }
        // Σ s_j = 2·(number of up neighbours) − degree
        return 2 * s - (hi - lo)
    }

    @inlinable public func deltaEnergy(_ x: UnsafePointer<UInt8>, site: Int, to value: UInt8) -> Double {
        if value == x[site] { return 0 }
        let s = x[site] == 0 ? -1.0 : 1.0
        return 2 * s * (coupling * Double(neighborSum(x, site: site)) + field)
    }

    /// −J·sᵢ·Σ_{j<i, j~i} sⱼ − h·sᵢ (bonds to lower-indexed neighbours, with multiplicity).
    @inlinable public func orderedIncrement(_ x: UnsafePointer<Int32>, site: Int) -> Double {
        var s = 0
        let lo = Int(table.offsets[site]), hi = Int(table.offsets[site + 1])
        for k in lo..<hi {
            let j = Int(table.neighbors[k])
            if j < site { s += x[j] == 0 ? -1 : 1 }
        }
        let si = x[site] == 0 ? -1.0 : 1.0
        return -si * (coupling * Double(s) + field)
    }

    // ΔE of a flip depends only on (sᵢ, Σ neighbours): key = up·(2D+1) + (Σ + D).
    @inlinable public func deltaKey(_ x: UnsafePointer<UInt8>, site: Int, to value: UInt8) -> Int? {
        if value == x[site] { return nil }
        return Int(x[site]) * (2 * maxDegree + 1) + neighborSum(x, site: site) + maxDegree
    }

    public var deltaKeyCount: Int { 2 * (2 * maxDegree + 1) }

    public func deltaEnergy(forKey key: Int) -> Double {
        let width = 2 * maxDegree + 1
        let s = key / width == 0 ? -1.0 : 1.0
        let sum = Double(key % width - maxDegree)
        return 2 * s * (coupling * sum + field)
    }

    public var energyBounds: ClosedRange<Double> {
        latticeEnergyBounds(bonds: cachedBonds.count, sites: variableCount, coupling: coupling, field: field)
    }

    /// With h = 0, E = −J·B where the bond sum B ∈ {−nb, −nb+2, …, nb}.
    public var energyLevels: EnergyLevels? {
        guard field == 0 else { return nil }
        let nb = cachedBonds.count
        if coupling == 0 { return EnergyLevels(lowest: 0, spacing: 1, count: 1) }
        return EnergyLevels(lowest: -abs(coupling) * Double(nb), spacing: 2 * abs(coupling), count: nb + 1)
    }

    public var summary: String {
        "2D Ising \(lattice.rows)×\(lattice.cols) \(lattice.boundary.rawValue), J=\(coupling), h=\(field)"
    }
}
