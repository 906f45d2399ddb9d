import Energies
import Foundation
import GFNCore

/// A long reference chain at the target β beyond enumeration (a cluster algorithm or parallel
/// tempering): its energies and magnetisations after each recorded step, and some of its states.
public struct ReferenceChain: Sendable {
    /// How the chain was made, for the record (e.g. "Wolff cluster algorithm (an estimate, not exact)").
    public var method: String
    /// Energies after each recorded step.
    public var energies: [Double]
    public var absMagnetizationPerSite: [Double]
    /// M/n after each recorded step (signed: a missing mode shows in its histogram).
    public var magnetizationPerSite: [Double] = []
    /// The states after every `keptStateInterval`-th recorded step, n values each (empty unless asked for).
    public var states: [UInt8] = []
    public var keptStateInterval = 0

    public init(method: String, energies: [Double] = [], absMagnetizationPerSite: [Double] = []) {
        self.method = method; self.energies = energies; self.absMagnetizationPerSite = absMagnetizationPerSite
    }

    /// Records the state x after a step (and keeps it on every `keptStateInterval`-th step).
    mutating func record<E: EnergyModel>(_ x: UnsafePointer<UInt8>, energy e: Double, model: E, step: Int) {
        let n = model.variableCount
        var m = 0.0
        for i in 0..<n { m += model.spin(x[i]) }
        energies.append(e)
        absMagnetizationPerSite.append(abs(m) / Double(n))
        magnetizationPerSite.append(m / Double(n))
        if keptStateInterval > 0, (step + 1) % keptStateInterval == 0 { states.append(contentsOf: UnsafeBufferPointer(start: x, count: n)) }
    }
}

/// Parallel tempering (replica exchange Monte Carlo, Hukushima and Nemoto 1996): K replicas of
/// the model at inverse temperatures β₁ < … < β_K = β, each swept with single-site Metropolis;
/// after every sweep neighbouring temperatures propose to exchange their states (even pairs on
/// even rounds, odd pairs on odd ones), accepted with probability
/// min(1, exp((β_k − β_{k+1})·(E_k − E_{k+1}))). Each replica's chain satisfies detailed balance
/// in the product of the K Boltzmann distributions, so the β_K replica samples p(x) ∝ e^{−βE(x)};
/// the hot replicas carry it across the barriers single-site moves at β cannot cross (a spin
/// glass's frozen valleys, an ordered ferromagnet's two signs).
public enum ParallelTempering {
    /// The hottest replica's β: high enough above any 2D lattice's ordering temperature that its
    /// chain decorrelates within a few sweeps.
    public static let hottestBeta = 0.3

    /// A geometric ladder from min(β, `hottestBeta`) up to β, with K − 1 = ⌈ln(β/β₁)·√n⌉ steps:
    /// neighbouring replicas then differ by Δβ·σ_E ≈ 1 when the specific heat per site is about 1
    /// (σ_E ≈ √n/β), which keeps exchanges accepted at a useful rate. At most 64 replicas; one
    /// (plain Metropolis) when β is itself hot.
    public static func ladder(beta: Double, variables n: Int) -> [Double] {
        let hottest = min(beta, hottestBeta)
        guard beta > hottest, hottest > 0 else { return [beta] }
        let k = min(64, 1 + Int((log(beta / hottest) * Double(n).squareRoot()).rounded(.up)))
        return (0..<k).map { i in i == k - 1 ? beta : hottest * pow(beta / hottest, Double(i) / Double(k - 1)) }
    }

    /// The chain of the coldest replica (β = `betas.last`), recorded after every `roundsPerStep`
    /// rounds (a round: one Metropolis sweep of every replica, then one set of exchange attempts),
    /// once `burnIn` steps have passed. Every replica starts from its own uniformly random state.
    ///
    /// - Parameter model: the energy.
    /// - Parameter betas: the ladder, increasing (see ``ladder(beta:variables:)``).
    /// - Parameter burnIn: steps before recording.
    /// - Parameter samples: steps recorded.
    /// - Parameter roundsPerStep: rounds between recorded steps.
    /// - Parameter rng: the one stream every replica and exchange draws from, in a fixed order.
    /// - Parameter keepStatesEvery: k > 0 also keeps the state after every k-th recorded step.
    /// - Returns: the chain, and each neighbouring pair's exchange acceptance rate.
    /// - Throws: `GFNError.invalidInput` for an empty or non-increasing ladder; `GFNError.interrupted` on a stop request.
    public static func run<E: EnergyModel>(_ model: E, betas: [Double], burnIn: Int, samples: Int, roundsPerStep: Int, rng: RandomStream,
                                           keepStatesEvery: Int = 0) throws -> (chain: ReferenceChain, exchangeAcceptance: [Double]) {
        guard !betas.isEmpty, zip(betas, betas.dropFirst()).allSatisfy({ $0 < $1 }), betas.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw GFNError.invalidInput("parallel tempering needs an increasing ladder of finite β ≥ 0")
        }
        let n = model.variableCount, k = betas.count
        let sweepers = try betas.map { try SiteSweeper(kernel: MetropolisKernel(energy: model, beta: $0), scan: .random) }
        let states = UnsafeMutablePointer<UInt8>.allocate(capacity: k * n)
        defer { states.deallocate() }
        for i in 0..<(k * n) { states[i] = UInt8(rng.integer(below: model.domainSize)) }
        var slot = Array(0..<k)  // slot[t]: the replica (state buffer) at temperature t
        var energy = (0..<k).map { model.energy(UnsafePointer(states + $0 * n)) }
        var attempts = [Int](repeating: 0, count: max(k - 1, 0)), accepted = attempts
        var counters = MoveCounters()
        var chain = ReferenceChain(method: "")
        chain.keptStateInterval = keepStatesEvery
        chain.energies.reserveCapacity(samples)
        var round = 0
        for step in 0..<(burnIn + samples) {
            for _ in 0..<roundsPerStep {
                for t in 0..<k { sweepers[t].sweep(states + slot[t] * n, rng: rng, counters: &counters, energy: &energy[slot[t]]) }
                var t = round % 2
                while t + 1 < k {
                    attempts[t] += 1
                    let a = slot[t], b = slot[t + 1]
                    let logRatio = (betas[t] - betas[t + 1]) * (energy[a] - energy[b])
                    if logRatio >= 0 || rng.uniform() < exp(logRatio) {
                        slot.swapAt(t, t + 1)
                        accepted[t] += 1
                    }
                    t += 2
                }
                round += 1
            }
            // The running sums of ΔE are exact for integer couplings; recomputed here so that
            // rounding cannot accumulate with real-valued ones.
            for r in 0..<k { energy[r] = model.energy(UnsafePointer(states + r * n)) }
            if step >= burnIn {
                chain.record(UnsafePointer(states + slot[k - 1] * n), energy: energy[slot[k - 1]], model: model, step: step - burnIn)
            }
            if step % 64 == 0 { try Interruption.check() }
        }
        let rates = zip(accepted, attempts).map { $1 > 0 ? Double($0) / Double($1) : 0 }
        chain.method = String(format: "parallel tempering (%d replicas, β from %.3g to %.4g, geometric; Metropolis sweeps; exchange acceptance %.2f–%.2f; an estimate, not exact)",
                              k, betas[0], betas[k - 1], rates.min() ?? 1, rates.max() ?? 1)
        return (chain, rates)
    }
}
