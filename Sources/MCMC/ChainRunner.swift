import Dispatch
import Energies
import Foundation
import GFNCore
import Settings

/// What one chain recorded.
public struct ChainTrace: Sendable {
    /// Mixed-radix keys of the recorded states (empty when states do not fit in 64 bits).
    public var keys: [UInt64]
    /// E(x) of each recorded state, computed from the state (equal states, equal numbers).
    public var energies: [Double]
    /// M = Σ spin(xᵢ) of each recorded state.
    public var magnetizations: [Double]
    /// Σ over recorded samples of [xᵢ = v], at index i·q + v.
    public var valueCounts: [Int]
    /// Σ over recorded samples of spin(x_a)·spin(x_b) for each bond.
    public var bondSums: [Double]
    public var counters: MoveCounters
    public var burnInSeconds: Double
    public var samplingSeconds: Double
    /// A trace of the sampler's own state whose τ_int also bounds the thinning (a GFlowNet-MH
    /// independence chain's log importance weight: it sticks at states its proposal rarely makes,
    /// which energy and magnetisation need not show); empty for other samplers.
    public var memory: [Double] = []
    /// The recorded states themselves, n values per draw in order (`--save-draws`); empty unless
    /// the recorder was asked to keep them.
    public var states: [UInt8] = []
}

/// Runs several independent chains in parallel, one seeded stream each.
public enum ChainRunner {
    /// Runs `schedule.chains` chains of `kernel`, chain c drawing from stream (seed, c), so the
    /// result is the same whatever the thread scheduling. Chains start from uniformly random states.
    ///
    /// - Parameter kernel: the single-site update, which also names the energy and β.
    /// - Parameter schedule: chains, burn-in, samples per chain, thinning and scan order.
    /// - Parameter seed: the run's seed; chain c uses stream (seed, `StreamPlan.mhChain(c)`).
    /// - Parameter algorithm: the GSL generator of the chains' streams.
    /// - Parameter keepStates: also keep every recorded state (``ChainTrace/states``).
    /// - Parameter progress: called from chain 0 with its completed fraction.
    /// - Throws: `GFNError.invalidInput` for an invalid schedule or a kernel and scan order
    ///   that together are not ergodic.
    public static func run<K: SiteKernel>(
        kernel: K, schedule: ChainSchedule, seed: UInt64, algorithm: RandomAlgorithm = .taus2, keepStates: Bool = false,
        progress: (@Sendable (Double) -> Void)? = nil
    ) throws -> [ChainTrace] {
        try check(kernel: kernel, schedule: schedule)
        let sites = try SiteSweeper<K>.sites(for: schedule.scan, model: kernel.energy)
        let box = TraceBox(count: schedule.chains)
        DispatchQueue.concurrentPerform(iterations: schedule.chains) { c in
            let rng = RandomStream(seed: seed, stream: StreamPlan.mhChain(c), algorithm: algorithm)
            let sweeper = SiteSweeper(kernel: kernel, scan: schedule.scan, sites: sites)
            let trace = runChain(sweeper: sweeper, schedule: schedule, rng: rng, keepStates: keepStates, progress: c == 0 ? progress : nil)
            box.store(trace, at: c)
        }
        try Interruption.check()
        return box.values.map { $0! }
    }

    /// Checks that the schedule is valid and that the kernel is ergodic under its scan order.
    public static func check<K: SiteKernel>(kernel: K, schedule: ChainSchedule) throws {
        try schedule.validate()
        try check(kernel: kernel, scan: schedule.scan)
    }

    /// Checks that the kernel is ergodic under the scan order and that the energy has that order.
    public static func check<K: SiteKernel>(kernel: K, scan: ScanOrder) throws {
        if scan != .random, let problem = kernel.systematicScanProblem {
            throw GFNError.invalidInput(scan == .checkerboard ? problem.replacingOccurrences(of: "a systematic scan", with: "a checkerboard scan") : problem)
        }
        if scan == .checkerboard { _ = try Checkerboard.order(kernel.energy) }
    }

    /// One chain on the calling thread (the caller checks the schedule, see ``check(kernel:schedule:)``).
    ///
    /// - Throws: `GFNError.invalidInput` for a checkerboard scan on an energy without one.
    public static func runChain<K: SiteKernel>(
        kernel: K, schedule: ChainSchedule, rng: RandomStream, keepStates: Bool = false, progress: (@Sendable (Double) -> Void)? = nil
    ) throws -> ChainTrace {
        runChain(sweeper: try SiteSweeper(kernel: kernel, scan: schedule.scan), schedule: schedule, rng: rng, keepStates: keepStates, progress: progress)
    }

    /// One chain of `sweeper`'s kernel on the calling thread.
    public static func runChain<K: SiteKernel>(
        sweeper: SiteSweeper<K>, schedule: ChainSchedule, rng: RandomStream, keepStates: Bool = false, progress: (@Sendable (Double) -> Void)? = nil
    ) -> ChainTrace {
        let model = sweeper.kernel.energy
        let n = model.variableCount, q = model.domainSize
        let x = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        defer { x.deallocate() }
        for i in 0..<n { x[i] = UInt8(rng.integer(below: q)) }
        var counters = MoveCounters()
        // A chain start is charged one full E(x), like every sampler's start; the recorded energies
        // are recomputed from the states (TraceRecorder), so no running sum of ΔE is kept.
        _ = model.energy(UnsafePointer(x))
        counters.fullEvaluations += 1

        var recorder = TraceRecorder(model: model, capacity: schedule.samplesPerChain, keepStates: keepStates)
        let totalSweeps = schedule.burnInSweeps + schedule.samplesPerChain * schedule.thinSweeps
        let progressEvery = max(1, totalSweeps / 100)
        var sweepsDone = 0
        var stopped = false

        @inline(__always) func sweeps(_ count: Int) {
            for _ in 0..<count {
                sweeper.sweepIgnoringEnergy(x, rng: rng, counters: &counters)
                sweepsDone += 1
                if sweepsDone % progressEvery == 0 { progress?(Double(sweepsDone) / Double(totalSweeps)) }
                // Every sweep (one relaxed atomic load per n updates): a stop request is seen
                // within one sweep, however long the run (--thin 10^9 made the old check, every
                // 1% of the run, never come).
                if Interruption.requested { stopped = true; return }
            }
        }

        let t0 = DispatchTime.now().uptimeNanoseconds
        sweeps(schedule.burnInSweeps)
        if stopped { return recorder.finish(counters: counters, burnInSeconds: 0, samplingSeconds: 0) }
        let t1 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<schedule.samplesPerChain where !stopped {
            sweeps(schedule.thinSweeps)
            if stopped { break }
            recorder.record(UnsafePointer(x))
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        return recorder.finish(counters: counters, burnInSeconds: Double(t1 - t0) / 1e9, samplingSeconds: Double(t2 - t1) / 1e9)
    }
}

/// Records the observables of a sampler's states into a ``ChainTrace``: key (when states fit
/// 64 bits), E(x), M, value counts and bond sums. Like M and the bond sums, E(x) here is the
/// observer's cost, not the sampler's, and is not counted as an evaluation.
public struct TraceRecorder<E: EnergyModel> {
    let model: E
    let n: Int, q: Int
    let keyed: Bool
    let spin: [Double]
    let bonds: [Bond]
    let keepStates: Bool
    var trace: ChainTrace

    /// - Parameter model: the energy whose states are recorded.
    /// - Parameter capacity: the number of draws to reserve room for.
    /// - Parameter keepStates: also keep each recorded state (n bytes per draw) in ``ChainTrace/states``.
    public init(model: E, capacity: Int, keepStates: Bool = false) {
        self.keepStates = keepStates
        self.model = model
        n = model.variableCount; q = model.domainSize
        keyed = model.statesFitInKey
        spin = (0..<q).map { model.spin(UInt8($0)) }
        bonds = model.bonds
        trace = ChainTrace(keys: [], energies: [], magnetizations: [], valueCounts: [Int](repeating: 0, count: n * q),
                           bondSums: [Double](repeating: 0, count: bonds.count), counters: MoveCounters(), burnInSeconds: 0, samplingSeconds: 0)
        trace.energies.reserveCapacity(capacity)
        trace.magnetizations.reserveCapacity(capacity)
        if keyed { trace.keys.reserveCapacity(capacity) }
        if keepStates { trace.states.reserveCapacity(capacity * n) }
    }

    /// Records state x.
    public mutating func record(_ x: UnsafePointer<UInt8>) {
        let n = self.n, q = self.q
        var m = 0.0
        spin.withUnsafeBufferPointer { spin in
            trace.valueCounts.withUnsafeMutableBufferPointer { counts in
                for i in 0..<n {
                    counts[i * q + Int(x[i])] += 1
                    m += spin[Int(x[i])]
                }
            }
            bonds.withUnsafeBufferPointer { bonds in
                trace.bondSums.withUnsafeMutableBufferPointer { bsum in
                    for k in 0..<bonds.count { bsum[k] += spin[Int(x[bonds[k].a])] * spin[Int(x[bonds[k].b])] }
                }
            }
        }
        if keyed { trace.keys.append(model.key(of: x)) }
        if keepStates { trace.states.append(contentsOf: UnsafeBufferPointer(start: x, count: n)) }
        // E(x) computed from the state, not a running sum of ΔE: equal states then give bit-equal
        // energies (rank diagnostics break ties by the last bits otherwise), and nothing drifts.
        trace.energies.append(model.energy(x))
        trace.magnetizations.append(m)
    }

    /// Records state x and the sampler's memory trace value (see ``ChainTrace/memory``).
    public mutating func record(_ x: UnsafePointer<UInt8>, memory: Double) {
        record(x)
        trace.memory.append(memory)
    }

    /// The trace with the sampler's own counters and times.
    public func finish(counters: MoveCounters, burnInSeconds: Double, samplingSeconds: Double) -> ChainTrace {
        var t = trace
        t.counters = counters; t.burnInSeconds = burnInSeconds; t.samplingSeconds = samplingSeconds
        return t
    }
}

/// Per-chain results written by index from concurrent workers.
final class TraceBox: @unchecked Sendable {
    private(set) var values: [ChainTrace?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func store(_ t: ChainTrace, at i: Int) { lock.lock(); values[i] = t; lock.unlock() }
}
