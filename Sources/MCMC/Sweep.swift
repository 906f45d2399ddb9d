import CKernels
import Energies
import GFNCore
import Settings

/// The sites of a checkerboard sweep: the two colours of the interaction graph's two-colouring.
public enum Checkerboard {
    /// Sites of colour 0, then of colour 1, each colour in increasing order; colour 0 holds the
    /// lowest site of every connected part. On a square lattice these are the sites with
    /// (row + column) even, then odd.
    ///
    /// - Throws: `GFNError.invalidInput` when the energy declares no bonds (its interactions are
    ///   not known as a graph) or the graph has no two-colouring (an odd cycle, e.g. a periodic
    ///   side of odd length).
    public static func order<E: EnergyModel>(_ model: E) throws -> [Int32] {
        let n = model.variableCount
        let bonds = model.bonds
        if bonds.isEmpty && n > 1 {
            throw GFNError.invalidInput("--scan checkerboard needs an energy whose interactions are lattice bonds (\(model.summary) declares none); use --scan random or systematic")
        }
        var neighbours = [[Int]](repeating: [], count: n)
        for b in bonds { neighbours[b.a].append(b.b); neighbours[b.b].append(b.a) }
        var colour = [Int8](repeating: -1, count: n)
        for start in 0..<n where colour[start] < 0 {
            colour[start] = 0
            var stack = [start]
            while let i = stack.popLast() {
                for j in neighbours[i] {
                    if colour[j] < 0 { colour[j] = 1 - colour[i]; stack.append(j) }
                    else if colour[j] == colour[i] {
                        throw GFNError.invalidInput("--scan checkerboard needs sites that split into two colours with no bond inside a colour, and \(model.summary) has none (sites \(i) and \(j) would share one: a periodic side of odd length has an odd cycle); use an even side, --boundary open, or --scan random or systematic")
                    }
                }
            }
        }
        return (0..<n).filter { colour[$0] == 0 }.map(Int32.init) + (0..<n).filter { colour[$0] == 1 }.map(Int32.init)
    }
}

/// Performs one chain's sweeps of n single-site updates in its scan order.
///
/// A fixed order (systematic, checkerboard) of the heat-bath kernel on the Ising model takes a
/// fast path: the sweep's n uniforms are drawn first, in one tight loop over the chain's GSL
/// stream, and a branch-free C pass then updates the sites. It makes the same comparisons on
/// the same uniforms in the same order as the kernel's own `update`, so the chain is
/// bit-identical to the generic loop (`MCMCTests` checks it), only faster.
public final class SiteSweeper<K: SiteKernel> {
    @usableFromInline let kernel: K
    @usableFromInline let scan: ScanOrder
    @usableFromInline let n: Int
    /// Visiting order of a fixed scan; empty for a random scan.
    @usableFromInline let order: UnsafeMutableBufferPointer<Int32>
    @usableFromInline let uniforms: UnsafeMutableBufferPointer<Double>
    /// The Ising heat-bath fast path's tables, when it applies.
    @usableFromInline let fast: IsingHeatBathTables?

    /// The visiting order of a fixed scan (empty for a random scan).
    ///
    /// - Throws: `GFNError.invalidInput` for a checkerboard scan on an energy without one.
    public static func sites(for scan: ScanOrder, model: K.Energy) throws -> [Int32] {
        switch scan {
        case .random: return []
        case .systematic: return (0..<model.variableCount).map(Int32.init)
        case .checkerboard: return try Checkerboard.order(model)
        }
    }

    /// - Throws: `GFNError.invalidInput` for a checkerboard scan on an energy without one.
    public convenience init(kernel: K, scan: ScanOrder) throws {
        self.init(kernel: kernel, scan: scan, sites: try Self.sites(for: scan, model: kernel.energy))
    }

    /// - Parameter kernel: the single-site update.
    /// - Parameter scan: the order of a sweep's updates.
    /// - Parameter sites: the order from ``sites(for:model:)``.
    /// - Parameter allowFastPath: false forces the generic loop (tests compare the two).
    public init(kernel: K, scan: ScanOrder, sites: [Int32], allowFastPath: Bool = true) {
        precondition(scan == .random ? sites.isEmpty : sites.count == kernel.energy.variableCount, "the sites must come from SiteSweeper.sites(for:model:)")
        self.kernel = kernel
        self.scan = scan
        n = kernel.energy.variableCount
        order = .allocate(capacity: max(sites.count, 1))
        _ = order.initialize(from: sites)
        if allowFastPath, scan != .random, let heatBath = kernel as? HeatBathKernel<IsingModel> {
            fast = IsingHeatBathTables(heatBath)
            uniforms = .allocate(capacity: n)
        } else {
            fast = nil
            uniforms = .allocate(capacity: 1)
        }
    }

    deinit {
        order.deallocate()
        uniforms.deallocate()
    }

    /// Whether sweeps take the Ising heat-bath fast path.
    public var usesFastPath: Bool { fast != nil }

    /// One sweep (n updates) of x, adding each update's energy change to `energy` in update order.
    @inlinable @inline(__always)
    public func sweep(_ x: UnsafeMutablePointer<UInt8>, rng: RandomStream, counters: inout MoveCounters, energy: inout Double) {
        if let fast { fastSweep(x, rng: rng, counters: &counters, fast, energy: &energy) } else { genericSweep(x, rng: rng, counters: &counters, energy: &energy) }
    }

    /// One sweep (n updates) of x, for callers that recompute E(x) themselves: the fast path then
    /// skips the running sum of ΔE (a chain of dependent additions, a third of its time).
    @inlinable @inline(__always)
    public func sweepIgnoringEnergy(_ x: UnsafeMutablePointer<UInt8>, rng: RandomStream, counters: inout MoveCounters) {
        var ignored = 0.0
        if let fast { fastSweep(x, rng: rng, counters: &counters, fast, energy: nil) } else { genericSweep(x, rng: rng, counters: &counters, energy: &ignored) }
    }

    @inlinable @inline(__always)
    func genericSweep(_ x: UnsafeMutablePointer<UInt8>, rng: RandomStream, counters: inout MoveCounters, energy: inout Double) {
        switch scan {
        case .random:
            for _ in 0..<n { energy += kernel.update(x, site: rng.integer(below: n), rng: rng, counters: &counters) }
        case .systematic, .checkerboard:
            for k in 0..<n { energy += kernel.update(x, site: Int(order[k]), rng: rng, counters: &counters) }
        }
    }

    @usableFromInline func fastSweep(_ x: UnsafeMutablePointer<UInt8>, rng: RandomStream, counters: inout MoveCounters,
                                     _ fast: IsingHeatBathTables, energy: UnsafeMutablePointer<Double>?) {
        let u = uniforms.baseAddress!
        for k in 0..<n { u[k] = rng.uniform() }
        let flips = fast.flip.withUnsafeBufferPointer { flip in
            fast.delta.withUnsafeBufferPointer { delta in
                gfn_ising_heat_bath_pass(x, order.baseAddress, n, fast.table.offsets, fast.table.neighbors, Int32(fast.table.maxDegree),
                                         fast.fourNeighbours ? 1 : 0, flip.baseAddress, delta.baseAddress, u, energy)
            }
        }
        counters.proposals += n
        counters.deltaEvaluations += n
        counters.acceptances += flips
    }
}

/// What the Ising heat-bath fast path reads: the kernel's flip probability and ΔE by key, the
/// lattice's neighbour lists, and whether every site has its four neighbours at 4i…4i+3 (a
/// periodic square lattice), decided once here rather than in every sweep.
@usableFromInline struct IsingHeatBathTables {
    @usableFromInline let flip: [Double]
    @usableFromInline let delta: [Double]
    @usableFromInline let table: NeighborTable
    @usableFromInline let fourNeighbours: Bool

    init(_ kernel: HeatBathKernel<IsingModel>) {
        let model = kernel.energy
        flip = kernel.flipProbability
        delta = (0..<model.deltaKeyCount).map { model.deltaEnergy(forKey: $0) }
        let neighbours = model.neighborTable
        table = neighbours
        fourNeighbours = (0...neighbours.siteCount).allSatisfy { neighbours.offsets[$0] == Int32(4 * $0) }
    }
}
