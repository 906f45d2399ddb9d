import Dispatch
import Energies
import Foundation
import GFNCore

/// The exact Boltzmann distribution of an enumerable model, computed by visiting every state.
///
/// Everything is accumulated in a numerically stable scaled form: weights exp(−βE − shift)
/// with a running shift that is raised (and the accumulators rescaled) whenever a state's
/// log-weight exceeds it by more than 30, so nothing overflows at any β and the sums lose
/// no precision to underflow of the dominant states.
public struct ExactDistribution: Sendable {
    public let beta: Double
    /// Number of states q^n.
    public let stateCount: Int
    /// log Z = log Σ_x exp(−β·E(x)).
    public let logZ: Double
    /// ⟨E⟩.
    public let meanEnergy: Double
    /// Var(E) = ⟨E²⟩ − ⟨E⟩² (heat capacity × T², per system).
    public let energyVariance: Double
    /// ⟨|M|⟩/n where M = Σ spin(xᵢ).
    public let meanAbsMagnetizationPerSite: Double
    /// P(xᵢ = v) at index i·q + v.
    public let marginals: [Double]
    /// ⟨spin(x_a)·spin(x_b)⟩ for each bond of `EnergyModel.bonds`, in order.
    public let bondCorrelations: [Double]
    /// Probability mass of the states with M > 0, M = 0 and M < 0 (the symmetric modes at h = 0).
    public let modeMass: ModeMass
    /// The exact energy histogram: (energy, number of states, probability) per level with at least one state.
    public let energyHistogram: [EnergyLevelMass]
    /// P(round(M) = m) for m = −magnetizationOffset … +magnetizationOffset, M = Σ spin(xᵢ).
    public let magnetizationHistogram: [Double]
    /// Index offset of ``magnetizationHistogram``: entry k is M = k − offset.
    public let magnetizationOffset: Int
    /// E(x) for every state, indexed by its mixed-radix key; present when requested.
    public let energies: [Double]?

    /// log p(x) = −β·E(x) − log Z.
    @inlinable public func logProbability(energy e: Double) -> Double { -beta * e - logZ }
}

/// The probability mass on each side of zero magnetisation.
public struct ModeMass: Sendable, Codable, Equatable {
    public var positive: Double
    public var zero: Double
    public var negative: Double
    public init(positive: Double, zero: Double, negative: Double) {
        self.positive = positive; self.zero = zero; self.negative = negative
    }
}

/// One level of an energy histogram.
public struct EnergyLevelMass: Sendable, Codable, Equatable {
    public var energy: Double
    public var states: Double
    public var probability: Double
}

/// Exact enumeration of models up to ``Enumerator/maximumStates`` states.
public enum Enumerator {
    /// The largest state space enumerated: 2^24 states.
    public static let maximumStates = 1 << 24

    /// Whether `model` is small enough to enumerate.
    public static func canEnumerate<E: EnergyModel>(_ model: E) -> Bool {
        guard let c = model.stateCount else { return false }
        return c <= maximumStates
    }

    /// Enumerates every state of `model` at inverse temperature `beta`, on all cores.
    ///
    /// - Parameter model: the energy (at most ``maximumStates`` states).
    /// - Parameter beta: the inverse temperature.
    /// - Parameter storeEnergies: keep E(x) of every state (8 bytes a state) for state-level comparisons.
    /// - Parameter workers: threads, each summing its own slice of the states.
    /// - Throws: `GFNError.invalidInput` if the model has more than ``maximumStates`` states.
    public static func enumerate<E: EnergyModel>(
        _ model: E, beta: Double, storeEnergies: Bool = false, workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> ExactDistribution {
        guard beta.isFinite else { throw GFNError.invalidInput("beta must be finite for enumeration (got \(beta))") }
        guard let total = model.stateCount, total <= maximumStates else {
            let log2States = model.logStateCount / M_LN2
            throw GFNError.invalidInput(String(
                format: "cannot enumerate %@: it has %@ states (2^%.1f); exact enumeration stops at 2^24 = 16,777,216 states, which needs about %d MB here; it would need about %.3g MB",
                model.summary, model.stateCount.map(String.init) ?? "more than 2^63", log2States,
                maximumStates * 8 >> 20, pow(2, log2States) * 8 / 1_048_576))
        }
        let n = model.variableCount, q = model.domainSize
        // Split the state space into chunks: the low `inner` digits vary inside a chunk.
        var innerDigits = n
        var chunkSize = total
        while chunkSize > 4096 && innerDigits > 0 && chunkSize / q >= 1 && total / (chunkSize / q) <= 256 {
            chunkSize /= q; innerDigits -= 1
        }
        let chunkCount = total / chunkSize
        let (chunkLength, innerCount) = (chunkSize, innerDigits)
        let levels = model.energyLevels
        let bonds = model.bonds
        let maxSpin = (0..<q).map { abs(model.spin(UInt8($0))) }.max() ?? 1
        let magOffset = Int((Double(n) * maxSpin).rounded(.up))
        let energyTable: UnsafeMutablePointer<Double>? = storeEnergies ? .allocate(capacity: total) : nil
        defer { energyTable?.deallocate() }

        // One accumulator per chunk, merged in chunk order: the result does not depend on
        // which worker ran which chunk, so it is bit-for-bit reproducible.
        let sharedTable = SharedPointer(energyTable)
        let partials = PartialSums.Box(count: chunkCount)
        let workerCount = max(1, min(workers, chunkCount))
        let nextChunk = ChunkCounter()
        DispatchQueue.concurrentPerform(iterations: workerCount) { _ in
            let x = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
            defer { x.deallocate() }
            while !Interruption.requested, let chunk = nextChunk.next(below: chunkCount) {
                var acc = PartialSums(sites: n, q: q, bonds: bonds.count, levels: levels?.count ?? 0, magOffset: magOffset)
                model.decode(UInt64(chunk * chunkLength), into: x)
                acc.run(model: model, beta: beta, x: x, start: chunk * chunkLength, count: chunkLength,
                        innerDigits: innerCount, bonds: bonds, levels: levels, energyTable: sharedTable.pointer)
                partials.store(acc, at: chunk)
            }
        }
        try Interruption.check()
        var total_ = PartialSums(sites: n, q: q, bonds: bonds.count, levels: levels?.count ?? 0, magOffset: magOffset)
        for p in partials.values { total_.merge(p!) }
        return total_.finish(model: model, beta: beta, stateCount: total, levels: levels,
                             energies: energyTable.map { Array(UnsafeBufferPointer(start: $0, count: total)) })
    }
}

/// A thread-safe counter handing out chunk indices.
final class ChunkCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

/// Scaled accumulators of one worker: each sum is Σ w·f with w = exp(−βE − shift).
struct PartialSums {
    var shift = -Double.infinity
    var weight = 0.0
    var energySum = 0.0
    var energySquareSum = 0.0
    var absMagSum = 0.0
    var modePos = 0.0, modeZero = 0.0, modeNeg = 0.0
    var marginals: [Double]
    var bondSums: [Double]
    var levelWeights: [Double]
    var levelCounts: [Double]
    var magWeights: [Double]
    let magOffset: Int

    init(sites: Int, q: Int, bonds: Int, levels: Int, magOffset: Int) {
        self.magOffset = magOffset
        magWeights = [Double](repeating: 0, count: 2 * magOffset + 1)
        marginals = [Double](repeating: 0, count: sites * q)
        bondSums = [Double](repeating: 0, count: bonds)
        levelWeights = [Double](repeating: 0, count: levels)
        levelCounts = [Double](repeating: 0, count: levels)
    }

    mutating func rescale(to newShift: Double) {
        let f = shift == -.infinity ? 0 : exp(shift - newShift)
        scaleScalars(by: f)
        for i in marginals.indices { marginals[i] *= f }
        for i in bondSums.indices { bondSums[i] *= f }
        for i in levelWeights.indices { levelWeights[i] *= f }
        for i in magWeights.indices { magWeights[i] *= f }
        shift = newShift
    }

    /// Visits `count` consecutive states from key `start` (x holds its decoding), updating the
    /// energy and magnetisation incrementally digit by digit (odometer order).
    mutating func run<E: EnergyModel>(
        model: E, beta: Double, x: UnsafeMutablePointer<UInt8>, start: Int, count: Int, innerDigits: Int,
        bonds: [Bond], levels: EnergyLevels?, energyTable: UnsafeMutablePointer<Double>?
    ) {
        let n = model.variableCount, q = model.domainSize
        var e = model.energy(x)
        var m = 0.0
        for i in 0..<n { m += model.spin(x[i]) }
        let spinTable = (0..<q).map { model.spin(UInt8($0)) }
        // Work on local copies of the arrays (no exclusivity conflicts with `self`, no
        // copy-on-write checks in the loop); they are put back at the end.
        var marginalsLocal = marginals, bondLocal = bondSums, levelLocal = levelWeights, magLocal = magWeights
        marginals = []; bondSums = []; levelWeights = []; magWeights = []
        marginalsLocal.withUnsafeMutableBufferPointer { marg in
        bondLocal.withUnsafeMutableBufferPointer { bsum in
        levelLocal.withUnsafeMutableBufferPointer { lw in
        magLocal.withUnsafeMutableBufferPointer { mw in
        bonds.withUnsafeBufferPointer { bnd in
        spinTable.withUnsafeBufferPointer { spin in
            for offset in 0..<count {
                energyTable?[start + offset] = e
                let logW = -beta * e
                if logW > shift + 30 {
                    // Raise the shift: rescale every accumulator by exp(old − new).
                    let f = shift == -.infinity ? 0 : exp(shift - logW)
                    scaleScalars(by: f)
                    for i in 0..<marg.count { marg[i] *= f }
                    for i in 0..<bsum.count { bsum[i] *= f }
                    for i in 0..<lw.count { lw[i] *= f }
                    for i in 0..<mw.count { mw[i] *= f }
                    shift = logW
                }
                let w = exp(logW - shift)
                weight += w
                energySum += w * e
                energySquareSum += w * e * e
                absMagSum += w * abs(m)
                if m > 0.5 { modePos += w } else if m < -0.5 { modeNeg += w } else { modeZero += w }
                mw[Int(m.rounded()) + magOffset] += w
                for i in 0..<n { marg[i * q + Int(x[i])] += w }
                for k in 0..<bnd.count { bsum[k] += w * spin[Int(x[bnd[k].a])] * spin[Int(x[bnd[k].b])] }
                if let lv = levels {
                    let li = lv.index(of: e)
                    lw[li] += w
                    levelCounts[li] += 1
                }
                if offset == count - 1 { break }
                // Odometer increment over the inner digits.
                var i = 0
                while i < innerDigits {
                    let old = x[i]
                    let new: UInt8 = old + 1 == UInt8(q) ? 0 : old + 1
                    e += model.deltaEnergy(UnsafePointer(x), site: i, to: new)
                    m += spin[Int(new)] - spin[Int(old)]
                    x[i] = new
                    if new != 0 { break }
                    i += 1
                }
            }
        }}}}}}
        marginals = marginalsLocal; bondSums = bondLocal; levelWeights = levelLocal; magWeights = magLocal
    }

    mutating func scaleScalars(by f: Double) {
        weight *= f; energySum *= f; energySquareSum *= f; absMagSum *= f
        modePos *= f; modeZero *= f; modeNeg *= f
    }

    mutating func merge(_ o: PartialSums) {
        guard o.shift != -.infinity else { return }
        let newShift = max(shift, o.shift)
        if shift != newShift { rescale(to: newShift) }
        let f = exp(o.shift - newShift)
        weight += f * o.weight; energySum += f * o.energySum; energySquareSum += f * o.energySquareSum
        absMagSum += f * o.absMagSum
        modePos += f * o.modePos; modeZero += f * o.modeZero; modeNeg += f * o.modeNeg
        for i in marginals.indices { marginals[i] += f * o.marginals[i] }
        for i in bondSums.indices { bondSums[i] += f * o.bondSums[i] }
        for i in levelWeights.indices { levelWeights[i] += f * o.levelWeights[i]; levelCounts[i] += o.levelCounts[i] }
        for i in magWeights.indices { magWeights[i] += f * o.magWeights[i] }
    }

    func finish<E: EnergyModel>(model: E, beta: Double, stateCount: Int, levels: EnergyLevels?, energies: [Double]?) -> ExactDistribution {
        let meanE = energySum / weight
        var hist: [EnergyLevelMass] = []
        if let lv = levels {
            for k in 0..<lv.count where levelCounts[k] > 0 {
                hist.append(EnergyLevelMass(energy: lv.energy(at: k), states: levelCounts[k], probability: levelWeights[k] / weight))
            }
        }
        return ExactDistribution(
            beta: beta, stateCount: stateCount,
            logZ: shift + log(weight),
            meanEnergy: meanE,
            energyVariance: max(0, energySquareSum / weight - meanE * meanE),
            meanAbsMagnetizationPerSite: absMagSum / weight / Double(model.variableCount),
            marginals: marginals.map { $0 / weight },
            bondCorrelations: bondSums.map { $0 / weight },
            modeMass: ModeMass(positive: modePos / weight, zero: modeZero / weight, negative: modeNeg / weight),
            energyHistogram: hist,
            magnetizationHistogram: magWeights.map { $0 / weight },
            magnetizationOffset: magOffset,
            energies: energies)
    }

    /// Per-chunk results, written by index from concurrent workers.
    final class Box: @unchecked Sendable {
        private(set) var values: [PartialSums?]
        private let lock = NSLock()
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func store(_ p: PartialSums, at i: Int) { lock.lock(); values[i] = p; lock.unlock() }
    }
}
