import GFNCore

/// A model given by an explicit energy for every state: for tiny models in tests and examples
/// (up to 2^20 states). ΔE is the difference of two table entries.
public struct TabulatedEnergy: EnergyModel {
    public let variableCount: Int
    public let domainSize: Int
    /// E of each state, indexed by its mixed-radix key (variable 0 least significant).
    public let energies: [Double]

    /// - Throws: `GFNError.invalidInput` if the table does not have q^n finite entries.
    public init(variables n: Int, domain q: Int, energies: [Double]) throws {
        guard n >= 1, q >= 2, q <= 255 else { throw GFNError.invalidInput("a tabulated energy needs n ≥ 1 variables and 2 ≤ q ≤ 255 values") }
        var states = 1
        for _ in 0..<n { states *= q; guard states <= 1 << 20 else { throw GFNError.invalidInput("a tabulated energy is limited to 2^20 states") } }
        guard energies.count == states else { throw GFNError.invalidInput("the energy table has \(energies.count) entries; \(q)^\(n) = \(states) are needed") }
        guard energies.allSatisfy(\.isFinite) else { throw GFNError.invalidInput("the energy table has a non-finite entry") }
        variableCount = n; domainSize = q; self.energies = energies
    }

    /// Independent standard-normal energies times `scale`, from `rng`.
    public static func random(variables n: Int, domain q: Int = 2, scale: Double = 1, rng: RandomStream) throws -> TabulatedEnergy {
        var states = 1
        for _ in 0..<n { states *= q }
        return try TabulatedEnergy(variables: n, domain: q, energies: (0..<states).map { _ in scale * rng.gaussian() })
    }

    public func energy(_ x: UnsafePointer<UInt8>) -> Double { energies[Int(key(of: x))] }

    public func deltaEnergy(_ x: UnsafePointer<UInt8>, site: Int, to value: UInt8) -> Double {
        let k = Int(key(of: x))
        var weight = 1
        for _ in 0..<site { weight *= domainSize }
        return energies[k + (Int(value) - Int(x[site])) * weight] - energies[k]
    }

    public func spin(_ value: UInt8) -> Double { domainSize == 2 ? (value == 0 ? -1 : 1) : Double(value) }
    public var bonds: [Bond] { [] }
    public var energyBounds: ClosedRange<Double> { (energies.min() ?? 0)...(energies.max() ?? 0) }
    public var summary: String { "tabulated energy over \(variableCount) variables with \(domainSize) values" }
}
