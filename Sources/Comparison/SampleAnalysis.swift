import Energies
import Exact
import Foundation
import GFNCore
import MCMC
import Metrics
import Reporting

/// A sampler's draws in the form the metrics need, whatever produced them.
public struct DrawSet: Sendable {
    /// Keys of the drawn states, per chain (one "chain" for independent draws); empty when states do not fit a key.
    public var keys: [[UInt64]]
    /// E(x) of each draw, per chain.
    public var energies: [[Double]]
    /// M = Σ spin(xᵢ) of each draw, per chain.
    public var magnetizations: [[Double]]
    /// Σ over draws of [xᵢ = v], at i·q + v.
    public var valueCounts: [Int]
    /// Σ over draws of spin(x_a)·spin(x_b), per bond.
    public var bondSums: [Double]
    /// Independent draws (a GFlowNet's): τ_int = 1 by construction and no thinning is needed.
    public var independent: Bool

    public var count: Int { energies.reduce(0) { $0 + $1.count } }

    /// The draws of MCMC chains.
    public init(traces: [ChainTrace]) {
        keys = traces.map(\.keys); energies = traces.map(\.energies); magnetizations = traces.map(\.magnetizations)
        valueCounts = traces.first.map { [Int](repeating: 0, count: $0.valueCounts.count) } ?? []
        bondSums = traces.first.map { [Double](repeating: 0, count: $0.bondSums.count) } ?? []
        for t in traces {
            for i in valueCounts.indices { valueCounts[i] += t.valueCounts[i] }
            for k in bondSums.indices { bondSums[k] += t.bondSums[k] }
        }
        independent = false
    }

    /// Independent draws given by their keys (decoded here to evaluate the observables).
    public init<E: EnergyModel>(independentKeys: [UInt64], model: E) {
        let n = model.variableCount, q = model.domainSize
        let bonds = model.bonds
        let spin = (0..<q).map { model.spin(UInt8($0)) }
        var e = [Double](), m = [Double]()
        e.reserveCapacity(independentKeys.count); m.reserveCapacity(independentKeys.count)
        var counts = [Int](repeating: 0, count: n * q)
        var bsum = [Double](repeating: 0, count: bonds.count)
        let x = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        defer { x.deallocate() }
        for key in independentKeys {
            model.decode(key, into: x)
            e.append(model.energy(UnsafePointer(x)))
            var mag = 0.0
            for i in 0..<n { counts[i * q + Int(x[i])] += 1; mag += spin[Int(x[i])] }
            m.append(mag)
            for (k, b) in bonds.enumerated() { bsum[k] += spin[Int(x[b.a])] * spin[Int(x[b.b])] }
        }
        keys = [independentKeys]; energies = [e]; magnetizations = [m]
        valueCounts = counts; bondSums = bsum; independent = true
    }
}

/// Turns sampler output into metrics against the exact reference.
public enum SampleAnalysis {
    /// Metrics of a set of draws. Cost and time fields are left 0 for the caller to fill.
    public static func metrics<E: EnergyModel>(model: E, draws: DrawSet, reference: ExactReference) -> SamplerMetrics {
        let n = model.variableCount
        let energies = draws.energies.flatMap { $0 }
        let mags = draws.magnetizations.flatMap { $0 }
        let samples = energies.count
        let meanE = energies.reduce(0, +) / Double(samples)
        let absM = mags.reduce(0) { $0 + abs($1) } / Double(samples) / Double(n)
        var pos = 0, neg = 0
        for m in mags { if m > 0.5 { pos += 1 } else if m < -0.5 { neg += 1 } }
        let modes = ModeMassRecord(positive: Double(pos) / Double(samples), zero: Double(samples - pos - neg) / Double(samples),
                                   negative: Double(neg) / Double(samples))
        var m = SamplerMetrics(samples: samples, meanEnergy: meanE, meanAbsMagnetizationPerSite: absM, modeMass: modes,
                               energyEvaluations: 0, deltaEnergyEvaluations: 0, fullEnergyEvaluations: 0, wallSeconds: 0)

        // Autocorrelation: energy, and signed magnetisation (which sees slow mode switching).
        let tauE = Autocorrelation.integratedTime(draws.energies)
        let tauM = Autocorrelation.integratedTime(draws.magnetizations)
        if tauE.isFinite {
            m.tauIntEnergy = tauE
            // Independent draws have τ = 1 exactly; the measured value is reported as a check.
            let tau = draws.independent ? 1 : max(tauE, 1e-12)
            m.essEnergy = Double(samples) / tau
            let varE = energies.reduce(0) { $0 + ($1 - meanE) * ($1 - meanE) } / Double(max(samples - 1, 1))
            m.meanEnergyMcse = (varE * tau / Double(samples)).squareRoot()
        }
        m.meanEnergyExact = reference.exact.meanEnergy
        m.meanAbsMagnetizationPerSiteExact = reference.exact.meanAbsMagnetizationPerSite

        guard let exact = reference.distribution else { return m }
        m.maxMarginalError = zip(draws.valueCounts, exact.marginals).map { abs(Double($0) / Double(samples) - $1) }.max()
        m.maxCorrelationError = zip(draws.bondSums, exact.bondCorrelations).map { abs($0 / Double(samples) - $1) }.max()

        // State-level distances.
        let keys = draws.keys.flatMap { $0 }
        guard keys.count == samples else { return m }
        let empirical = EmpiricalDistribution(keys: keys)
        m.distinctStates = empirical.keys.count
        let x = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        defer { x.deallocate() }
        m.tv = Distances.totalVariation(empirical) { key in
            model.decode(key, into: x)
            return exp(exact.logProbability(energy: model.energy(UnsafePointer(x))))
        }
        if let energiesTable = exact.energies {
            // Test nearly independent draws: every k-th sample, k = ⌈2·τ_int⌉ of the slower trace.
            let thin = draws.independent ? 1 : SampleThinning.interval(tau: max(tauE.isFinite ? tauE : 1, tauM.isFinite ? tauM : 1, 1))
            var observed = [Int](repeating: 0, count: exact.stateCount)
            var tested = 0
            for chain in draws.keys {
                for j in stride(from: thin - 1, to: chain.count, by: thin) { observed[Int(chain[j])] += 1; tested += 1 }
            }
            let expected = energiesTable.map { exp(exact.logProbability(energy: $0)) }
            if tested > 0, let chi = try? ChiSquare.test(observed: observed, expected: expected) {
                m.chiSquare = ChiSquareRecord(statistic: chi.statistic, degreesOfFreedom: chi.degreesOfFreedom,
                                              pValue: chi.pValue, draws: tested, thin: thin)
            }
        }
        return m
    }
}
