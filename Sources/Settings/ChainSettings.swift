import GFNCore

/// The kernels gfn-compare offers.
public enum KernelKind: String, Sendable, Codable, CaseIterable {
    /// Metropolis: propose a different value uniformly, accept with min(1, e^{−βΔE}).
    case metropolis
    /// Heat-bath (Gibbs): draw the site's value from its exact conditional distribution.
    case heatBath = "heat-bath"
    /// ±1 steps along one coordinate with reflecting borders (ordered values, e.g. the hypergrid).
    case gridStep = "grid-step"
}

/// How sites are visited within a sweep.
public enum ScanOrder: String, Sendable, Codable, CaseIterable {
    /// n uniformly random sites per sweep.
    case random
    /// Sites 0, 1, …, n−1 in order.
    case systematic
    /// The sites of one colour of the lattice's checkerboard, then the other's (each in increasing
    /// order): a fixed order in which no two consecutive updates of a colour interact. Needs a
    /// two-colourable lattice (open boundaries, or even periodic sides).
    case checkerboard
}

/// The schedule of a multi-chain MCMC run. One sweep is n single-site updates.
public struct ChainSchedule: Sendable, Codable, Equatable {
    public var chains: Int
    public var burnInSweeps: Int
    public var samplesPerChain: Int
    /// Sweeps between recorded samples (1 = record after every sweep).
    public var thinSweeps: Int
    public var scan: ScanOrder

    public init(chains: Int = 4, burnInSweeps: Int = 1000, samplesPerChain: Int = 25_000, thinSweeps: Int = 1, scan: ScanOrder = .random) {
        self.chains = chains; self.burnInSweeps = burnInSweeps
        self.samplesPerChain = samplesPerChain; self.thinSweeps = thinSweeps; self.scan = scan
    }

    /// - Throws: `GFNError.invalidInput` naming the first value out of range.
    public func validate() throws {
        guard (1...4096).contains(chains) else { throw GFNError.invalidInput("--chains must be between 1 and 4096 (got \(chains))") }
        guard burnInSweeps >= 0 else { throw GFNError.invalidInput("--burn-in must be 0 or more sweeps (got \(burnInSweeps))") }
        guard samplesPerChain >= 1 else { throw GFNError.invalidInput("the number of samples per chain must be at least 1 (got \(samplesPerChain))") }
        guard thinSweeps >= 1 else { throw GFNError.invalidInput("--thin must be at least 1 sweep (got \(thinSweeps))") }
    }
}
