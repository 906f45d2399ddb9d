import Energies
import Foundation
import GFNCore

/// The Wolff single-cluster algorithm for the ferromagnetic zero-field Ising model: grows a
/// cluster of aligned spins, adding each aligned neighbour with probability 1 − e^{−2βJ}, and
/// flips it. Rejection-free and nearly free of critical slowing down, so a long run gives a
/// reference estimate (with its MCSE) where no exact value exists.
public enum Wolff {
    /// A Wolff run is a reference chain (each recorded step flips clusters totalling about n spins).
    public typealias Estimate = ReferenceChain

    /// Why Wolff does not apply, or nil.
    public static func inapplicability(_ model: IsingModel) -> String? {
        if model.coupling <= 0 { return "the Wolff algorithm needs a ferromagnetic coupling (J > 0)" }
        if model.field != 0 { return "the Wolff algorithm needs zero field" }
        return nil
    }

    /// Why Wolff does not apply to a Potts model, or nil (ferromagnetic, zero field).
    public static func inapplicability(_ model: PottsModel) -> String? {
        if model.coupling <= 0 { return "the Wolff algorithm needs a ferromagnetic coupling (J > 0)" }
        if model.field != 0 { return "the Wolff algorithm needs zero field" }
        return nil
    }

    /// Wolff for the q-state Potts model: grow a cluster of equal colours, adding each equal
    /// neighbour with probability 1 − e^{−βJ}, and recolour it with a uniformly chosen other colour.
    /// Records E and the order parameter |Σᵢ spin(xᵢ)|/n along colour 0 after each fixed-size step.
    public static func run(_ model: PottsModel, beta: Double, burnIn: Int, samples: Int, rng: RandomStream, keepStatesEvery: Int = 0) throws -> Estimate {
        if let why = inapplicability(model) { throw GFNError.invalidInput(why) }
        let pAdd = 1 - exp(-beta * model.coupling)
        return try clusterRun(model, pAdd: pAdd, newValue: { v in
            let r = rng.integer(below: model.q - 1)
            return UInt8(r >= Int(v) ? r + 1 : r)
        }, burnIn: burnIn, samples: samples, rng: rng, keepStatesEvery: keepStatesEvery)
    }

    /// Runs `burnIn` + `samples` steps of a fixed number of cluster flips each (chosen after the
    /// burn-in so a step flips about n spins on average), recording E and |M|/n after each step.
    /// The number of flips per step is fixed, not "until n spins flipped": stopping at a time that
    /// depends on the cluster sizes would bias the measurements towards ordered states.
    /// With `keepStatesEvery` k > 0 the state after every k-th measured step is kept too.
    public static func run(_ model: IsingModel, beta: Double, burnIn: Int, samples: Int, rng: RandomStream, keepStatesEvery: Int = 0) throws -> Estimate {
        if let why = inapplicability(model) { throw GFNError.invalidInput(why) }
        return try clusterRun(model, pAdd: 1 - exp(-2 * beta * model.coupling), newValue: { 1 &- $0 }, burnIn: burnIn, samples: samples, rng: rng,
                              keepStatesEvery: keepStatesEvery)
    }

    /// The shared cluster loop: clusters of equal values grow with probability `pAdd` per bond and
    /// take the value `newValue(old)`.
    static func clusterRun<E: EnergyModel>(_ model: E, pAdd: Double, newValue: (UInt8) -> UInt8, burnIn: Int, samples: Int, rng: RandomStream,
                                           keepStatesEvery: Int) throws -> Estimate {
        let n = model.variableCount
        var x = (0..<n).map { _ in UInt8(rng.integer(below: model.domainSize)) }
        var stack = [Int](), inCluster = [Bool](repeating: false, count: n)
        stack.reserveCapacity(n)
        let table = NeighborTable(siteCount: n, bonds: model.bonds)
        var result = Estimate(method: "Wolff cluster algorithm (an estimate, not exact)")
        result.energies.reserveCapacity(samples)
        result.keptStateInterval = keepStatesEvery
        var clustersPerStep = 1
        var burnInFlipped = 0, burnInClusters = 0
        for step in 0..<(burnIn + samples) {
            if step == burnIn {
                clustersPerStep = max(1, Int((Double(n) * Double(max(burnInClusters, 1)) / Double(max(burnInFlipped, 1))).rounded()))
            }
            for _ in 0..<(step < burnIn ? 1 : clustersPerStep) {
                let seed = rng.integer(below: n)
                let value = x[seed]
                stack.append(seed); inCluster[seed] = true
                var members: [Int] = []
                while let s = stack.popLast() {
                    members.append(s)
                    for k in Int(table.offsets[s])..<Int(table.offsets[s + 1]) {
                        let t = Int(table.neighbors[k])
                        if !inCluster[t] && x[t] == value && rng.uniform() < pAdd {
                            inCluster[t] = true
                            stack.append(t)
                        }
                    }
                }
                let recolour = newValue(value)
                for s in members { x[s] = recolour; inCluster[s] = false }
                if step < burnIn { burnInFlipped += members.count; burnInClusters += 1 }
            }
            if step >= burnIn {
                let e = x.withUnsafeBufferPointer { model.energy($0.baseAddress!) }
                let m = x.reduce(0.0) { $0 + model.spin($1) }
                result.energies.append(e)
                result.absMagnetizationPerSite.append(abs(m) / Double(n))
                result.magnetizationPerSite.append(m / Double(n))
                if keepStatesEvery > 0, (step - burnIn + 1) % keepStatesEvery == 0 { result.states.append(contentsOf: x) }
            }
            if step % 256 == 0 { try Interruption.check() }
        }
        return result
    }
}
