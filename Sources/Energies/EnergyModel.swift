import Foundation
import GFNCore

/// A pair of interacting variables (an edge of the interaction graph).
public struct Bond: Sendable, Hashable, Codable {
    public let a: Int
    public let b: Int
    public init(_ a: Int, _ b: Int) { self.a = a; self.b = b }
}

/// Exact energy levels: every energy the model can take is `lowest + k·spacing`, k in 0..<count.
/// Lets the exact reference record the energy histogram (density of states) without binning.
public struct EnergyLevels: Sendable, Equatable, Codable {
    public let lowest: Double
    public let spacing: Double
    public let count: Int
    public init(lowest: Double, spacing: Double, count: Int) {
        self.lowest = lowest; self.spacing = spacing; self.count = count
    }
    /// The level index of energy `e` (rounded to the nearest level).
    @inlinable public func index(of e: Double) -> Int { Int(((e - lowest) / spacing).rounded()) }
    public func energy(at k: Int) -> Double { lowest + Double(k) * spacing }
}

/// A model over a finite set of discrete variables with an energy function.
///
/// The target distribution is the Boltzmann distribution p(x) ∝ exp(−β·E(x)). Variable `i`
/// takes values `0..<domainSize`, stored one byte per variable. Both samplers and the exact
/// reference run on the same conforming value; conformances should be structs whose hot
/// methods are `@inlinable` so generic samplers specialise over them (no existential dispatch).
public protocol EnergyModel: Sendable {
    /// Number of variables n.
    var variableCount: Int { get }
    /// Values per variable q (every variable has the same domain 0..<q).
    var domainSize: Int { get }
    /// E(x) for a full assignment `x[0..<n]`.
    func energy(_ x: UnsafePointer<UInt8>) -> Double
    /// E(x′) − E(x) where x′ is x with variable `site` set to `value`; O(degree of `site`).
    func deltaEnergy(_ x: UnsafePointer<UInt8>, site: Int, to value: UInt8) -> Double
    /// An integer key identifying the ΔE of this move among ``deltaKeyCount`` possibilities,
    /// so kernels can precompute acceptance probabilities; `nil` when the model has no such table.
    func deltaKey(_ x: UnsafePointer<UInt8>, site: Int, to value: UInt8) -> Int?
    /// Number of distinct ΔE keys (0 when ``deltaKey(_:site:to:)`` returns nil).
    var deltaKeyCount: Int { get }
    /// ΔE for a key from ``deltaKey(_:site:to:)``.
    func deltaEnergy(forKey key: Int) -> Double
    /// The numeric value of a variable used for magnetisation and correlations (Ising: ±1).
    func spin(_ value: UInt8) -> Double
    /// The interaction graph's edges, each once (used for nearest-neighbour correlations).
    var bonds: [Bond] { get }
    /// A bound [lowest, highest] on E(x), used to bin histograms.
    var energyBounds: ClosedRange<Double> { get }
    /// The exact energy levels, if the model's energies lie on a known grid.
    var energyLevels: EnergyLevels? { get }
    /// Short human-readable description, e.g. "2D Ising 4×4 periodic, J=1, h=0".
    var summary: String { get }
    /// The energy variable `site` adds when the variables are set in index order: its terms with
    /// lower-indexed variables (and its own field), so that E(x) = Σᵢ eᵢ(x₀ … xᵢ). Reads only
    /// `x[0...site]` (values 0..<q; later entries may hold anything, e.g. −1 for unset).
    /// A fixed-order GFlowNet uses it to credit each step with its own share of log R
    /// (forward-looking flows). The default telescopes ``deltaEnergy(_:site:to:)`` over an
    /// assignment whose later variables are 0 (O(n) a call); lattice and pairwise models give
    /// the natural split in O(degree).
    func orderedIncrement(_ x: UnsafePointer<Int32>, site: Int) -> Double
    /// The square lattice the model lives on when its energy is the same function of every
    /// site's neighbourhood (uniform couplings and field: Ising, Potts), nil otherwise (glasses,
    /// model files, the hypergrid). A policy that reads a local window around each site with
    /// the same weights everywhere (a GFlowNet's `--policy-input patch`) needs it.
    var translationInvariantLattice: SquareLattice? { get }
}

extension EnergyModel {
    public var translationInvariantLattice: SquareLattice? { nil }

    /// eᵢ = E(x₀…xᵢ, 0, …, 0) − E(x₀…xᵢ₋₁, 0, …, 0), plus E(0, …, 0) for site 0: the
    /// increments telescope to E(x) for any energy.
    public func orderedIncrement(_ x: UnsafePointer<Int32>, site: Int) -> Double {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: variableCount) { buf in
            let y = buf.baseAddress!
            for i in 0..<variableCount { y[i] = i < site ? UInt8(truncatingIfNeeded: x[i]) : 0 }
            let step = deltaEnergy(UnsafePointer(y), site: site, to: UInt8(truncatingIfNeeded: x[site]))
            return site == 0 ? energy(UnsafePointer(y)) + step : step
        }
    }

    public func deltaKey(_ x: UnsafePointer<UInt8>, site: Int, to value: UInt8) -> Int? { nil }
    public var deltaKeyCount: Int { 0 }
    public func deltaEnergy(forKey key: Int) -> Double { .nan }
    public var energyLevels: EnergyLevels? { nil }

    /// log of the number of states, n·log q.
    public var logStateCount: Double { Double(variableCount) * Foundation.log(Double(domainSize)) }

    /// The number of states q^n if it fits in an `Int`, else nil.
    public var stateCount: Int? {
        var total = 1
        for _ in 0..<variableCount {
            let (m, overflow) = total.multipliedReportingOverflow(by: domainSize)
            if overflow { return nil }
            total = m
        }
        return total
    }

    /// Whether a state can be packed into a 64-bit key (mixed radix, variable 0 least significant).
    public var statesFitInKey: Bool { stateCount != nil }

    /// The mixed-radix key Σ xᵢ·qⁱ of a state.
    @inlinable public func key(of x: UnsafePointer<UInt8>) -> UInt64 {
        var k: UInt64 = 0
        let q = UInt64(domainSize)
        var i = variableCount - 1
        while i >= 0 { k = k &* q &+ UInt64(x[i]); i -= 1 }
        return k
    }

    /// Writes the state with mixed-radix key `key` into `x`.
    @inlinable public func decode(_ key: UInt64, into x: UnsafeMutablePointer<UInt8>) {
        var k = key
        let q = UInt64(domainSize)
        for i in 0..<variableCount { x[i] = UInt8(k % q); k /= q }
    }

    /// E(x) for a state given as an array (convenience; not for hot loops).
    public func energy(of x: [UInt8]) -> Double { x.withUnsafeBufferPointer { energy($0.baseAddress!) } }

    /// E of the state with the given key (convenience; allocates).
    public func energy(ofKey key: UInt64) -> Double {
        var x = [UInt8](repeating: 0, count: variableCount)
        return x.withUnsafeMutableBufferPointer { b in
            decode(key, into: b.baseAddress!)
            return energy(UnsafePointer(b.baseAddress!))
        }
    }
}


/// |E| ≤ nb·|J| + n·|h| for a lattice model with unit bond and field terms.
func latticeEnergyBounds(bonds: Int, sites: Int, coupling: Double, field: Double) -> ClosedRange<Double> {
    let b = Double(bonds) * abs(coupling) + Double(sites) * abs(field)
    return -b...b
}
