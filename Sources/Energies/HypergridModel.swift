import Foundation
import GFNCore

/// The hypergrid, the standard GFlowNet benchmark: a D-dimensional grid of side H with reward
///     R(x) = R0 + R1·Π_d 1[0.25 < |x_d/(H−1) − 0.5| ≤ 0.5] + R2·Π_d 1[0.3 < |x_d/(H−1) − 0.5| < 0.4],
/// here as the energy E(x) = −log R(x) with β = 1, so p(x) ∝ R(x). Variable d is coordinate x_d.
public struct HypergridModel: EnergyModel {
    public let dims: Int
    public let side: Int
    public let r0: Double, r1: Double, r2: Double

    /// - Throws: `GFNError.invalidInput` for sizes or rewards out of range.
    public init(dims: Int, side: Int, r0: Double = 0.1, r1: Double = 0.5, r2: Double = 2.0) throws {
        guard (1...32).contains(dims) else { throw GFNError.invalidInput("--dims must be between 1 and 32 (got \(dims))") }
        guard (2...255).contains(side) else { throw GFNError.invalidInput("--side must be between 2 and 255 (got \(side))") }
        guard r0.isFinite, r1.isFinite, r2.isFinite, r0 > 0, r1 >= 0, r2 >= 0 else {
            throw GFNError.invalidInput("the rewards need r0 > 0 and r1, r2 ≥ 0, all finite (got \(r0), \(r1), \(r2))")
        }
        self.dims = dims; self.side = side; self.r0 = r0; self.r1 = r1; self.r2 = r2
    }

    public var variableCount: Int { dims }
    public var domainSize: Int { side }

    /// R(x) for coordinates read through `coordinate`.
    @inlinable public func reward(_ coordinate: (Int) -> Int) -> Double {
        var outer = true, ring = true
        for d in 0..<dims {
            let u = abs(Double(coordinate(d)) / Double(side - 1) - 0.5)
            outer = outer && (0.25 < u && u <= 0.5)
            ring = ring && (0.3 < u && u < 0.4)
        }
        return r0 + (outer ? r1 : 0) + (ring ? r2 : 0)
    }

    public func energy(_ x: UnsafePointer<UInt8>) -> Double { -log(reward { Int(x[$0]) }) }

    public func deltaEnergy(_ x: UnsafePointer<UInt8>, site: Int, to value: UInt8) -> Double {
        if value == x[site] { return 0 }
        let after = -log(reward { $0 == site ? Int(value) : Int(x[$0]) })
        return after - energy(x)
    }

    /// The coordinate itself, so "magnetisation" is the sum of coordinates.
    public func spin(_ value: UInt8) -> Double { Double(value) }
    public var bonds: [Bond] { [] }
    public var energyBounds: ClosedRange<Double> { -log(r0 + r1 + r2)...(-log(r0)) }
    public var summary: String { "hypergrid D=\(dims), H=\(side), R0=\(r0), R1=\(r1), R2=\(r2)" }
}
