import Foundation
import GFNCore

/// A pairwise model on an arbitrary graph: spin glasses (Edwards–Anderson, Sherrington–Kirkpatrick)
/// and user-supplied Ising/QUBO- or Potts-style models.
///
/// With two values per variable (sᵢ = ±1, stored 0 ↦ −1, 1 ↦ +1):
///     E(x) = −Σ_(ij) J_ij·sᵢsⱼ − Σᵢ hᵢ·sᵢ,
/// with q > 2 values (Potts-style):
///     E(x) = −Σ_(ij) J_ij·δ(xᵢ, xⱼ) − Σᵢ hᵢ·δ(xᵢ, 0),
/// each listed edge once.
public struct PairwiseModel: EnergyModel {
    public let variableCount: Int
    public let domainSize: Int
    /// The edges with their couplings, in input order.
    public let edges: [(bond: Bond, coupling: Double)]
    public let fields: [Double]
    public let name: String
    @usableFromInline let table: NeighborTable
    /// Coupling of each adjacency entry of `table` (same order as `table.neighbors`).
    @usableFromInline let adjacentCoupling: [Double]

    /// - Parameter n: the number of variables.
    /// - Parameter q: the values each variable takes, 0…q−1 (2: spins s = ±1).
    /// - Parameter edges: (i, j, J_ij) for each coupled pair.
    /// - Parameter fields: h_i for each variable (nil: none).
    /// - Parameter name: what the model is called in reports.
    /// - Parameter parallelEdges: keep an edge listed twice as two bonds (a lattice with 2 rows or
    ///   columns and periodic boundaries joins neighbours twice, as Ising and Potts do); otherwise
    ///   a repeated edge is an error (model files).
    /// - Throws: `GFNError.invalidInput` for indices out of range, self-loops, duplicate
    ///   edges or non-finite numbers.
    public init(variables n: Int, domain q: Int = 2, edges: [(Int, Int, Double)], fields: [Double]? = nil, name: String,
                parallelEdges: Bool = false) throws {
        guard n >= 1 else { throw GFNError.invalidInput("a pairwise model needs at least one variable") }
        guard (2...255).contains(q) else { throw GFNError.invalidInput("the domain size must be between 2 and 255 (got \(q))") }
        var seen = Set<Bond>()
        var list: [(bond: Bond, coupling: Double)] = []
        for (a, b, j) in edges {
            guard (0..<n).contains(a), (0..<n).contains(b) else { throw GFNError.invalidInput("edge \(a)–\(b) names a variable outside 0…\(n - 1)") }
            guard a != b else { throw GFNError.invalidInput("edge \(a)–\(b) is a self-loop") }
            guard j.isFinite else { throw GFNError.invalidInput("edge \(a)–\(b) has a non-finite coupling") }
            let key = Bond(min(a, b), max(a, b))
            guard seen.insert(key).inserted || parallelEdges else { throw GFNError.invalidInput("edge \(a)–\(b) is listed twice") }
            list.append((Bond(a, b), j))
        }
        let h = fields ?? [Double](repeating: 0, count: n)
        guard h.count == n, h.allSatisfy(\.isFinite) else { throw GFNError.invalidInput("the fields must be \(n) finite numbers") }
        variableCount = n; domainSize = q; self.edges = list; self.fields = h; self.name = name
        let neighbors = NeighborTable(siteCount: n, bonds: list.map(\.bond))
        table = neighbors
        // The table lists, for each site, its neighbours in edge order; record the matching couplings.
        var fill = (0..<n).map { Int(neighbors.offsets[$0]) }
        var couplings = [Double](repeating: 0, count: max(Int(neighbors.offsets[n]), 1))
        for (bond, j) in list {
            couplings[fill[bond.a]] = j; fill[bond.a] += 1
            couplings[fill[bond.b]] = j; fill[bond.b] += 1
        }
        adjacentCoupling = couplings
    }

    /// Edwards–Anderson spin glass on a square lattice: ±J (`gaussian: false`) or N(0, J²)
    /// couplings on the lattice bonds, drawn from stream (instanceSeed, 0) — independent of the
    /// sampling seed, so a glass is reproducible on its own.
    public static func edwardsAnderson(lattice: SquareLattice, gaussian: Bool, coupling: Double = 1, instanceSeed: UInt64) throws -> PairwiseModel {
        let rng = RandomStream(seed: instanceSeed, stream: 0)
        let edges = lattice.bonds.map { b in (b.a, b.b, gaussian ? coupling * rng.gaussian() : (rng.uniform() < 0.5 ? -coupling : coupling)) }
        return try PairwiseModel(variables: lattice.siteCount, edges: edges,
                                 name: "Edwards–Anderson \(gaussian ? "Gaussian" : "±J") \(lattice.rows)×\(lattice.cols) \(lattice.boundary.rawValue), instance \(instanceSeed)",
                                 parallelEdges: true)
    }

    /// Sherrington–Kirkpatrick: all pairs, J_ij ~ N(0, 1)/√n from stream (instanceSeed, 0).
    public static func sherringtonKirkpatrick(spins n: Int, instanceSeed: UInt64) throws -> PairwiseModel {
        guard n >= 2 else { throw GFNError.invalidInput("--spins must be at least 2 (got \(n))") }
        let rng = RandomStream(seed: instanceSeed, stream: 0)
        let scale = 1 / Double(n).squareRoot()
        var edges: [(Int, Int, Double)] = []
        for i in 0..<n { for j in (i + 1)..<n { edges.append((i, j, scale * rng.gaussian())) } }
        return try PairwiseModel(variables: n, edges: edges, name: "Sherrington–Kirkpatrick n=\(n), instance \(instanceSeed)")
    }

    @inlinable public func spin(_ value: UInt8) -> Double {
        domainSize == 2 ? (value == 0 ? -1 : 1) : (value == 0 ? 1 : -1 / Double(domainSize - 1))
    }

    @inlinable func pairTerm(_ a: UInt8, _ b: UInt8) -> Double {
        domainSize == 2 ? spin(a) * spin(b) : (a == b ? 1 : 0)
    }

    @inlinable func fieldTerm(_ v: UInt8) -> Double {
        domainSize == 2 ? spin(v) : (v == 0 ? 1 : 0)
    }

    public func energy(_ x: UnsafePointer<UInt8>) -> Double {
        var e = 0.0
        for (bond, j) in edges { e -= j * pairTerm(x[bond.a], x[bond.b]) }
        for i in 0..<variableCount { e -= fields[i] * fieldTerm(x[i]) }
        return e
    }

    @inlinable public func deltaEnergy(_ x: UnsafePointer<UInt8>, site: Int, to value: UInt8) -> Double {
        let old = x[site]
        if value == old { return 0 }
        var d = -fields[site] * (fieldTerm(value) - fieldTerm(old))
        let lo = Int(table.offsets[site]), hi = Int(table.offsets[site + 1])
        adjacentCoupling.withUnsafeBufferPointer { j in
            for k in lo..<hi {
                let y = x[Int(table.neighbors[k])]
                d -= j[k] * (pairTerm(value, y) - pairTerm(old, y))
            }
        }
        return d
    }

    /// −Σ_{j<i, j~i} J_ij·term(xᵢ, xⱼ) − hᵢ·term(xᵢ) (edges to lower-indexed neighbours).
    @inlinable public func orderedIncrement(_ x: UnsafePointer<Int32>, site: Int) -> Double {
        let v = UInt8(truncatingIfNeeded: x[site])
        var e = -fields[site] * fieldTerm(v)
        let lo = Int(table.offsets[site]), hi = Int(table.offsets[site + 1])
        adjacentCoupling.withUnsafeBufferPointer { j in
            for k in lo..<hi {
                let other = Int(table.neighbors[k])
                if other < site { e -= j[k] * pairTerm(v, UInt8(truncatingIfNeeded: x[other])) }
            }
        }
        return e
    }

    public var bonds: [Bond] { edges.map(\.bond) }

    public var energyBounds: ClosedRange<Double> {
        let b = edges.reduce(0) { $0 + abs($1.coupling) } + fields.reduce(0) { $0 + abs($1) }
        return -b...b
    }

    public var summary: String { name }
}
