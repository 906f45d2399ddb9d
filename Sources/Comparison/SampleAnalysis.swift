import Energies
import Exact
import Foundation
import GFNCore
import MCMC
import Metrics
import Reporting

/// Turns sampler output into metrics against the exact reference.
public enum SampleAnalysis {
    /// Metrics of MCMC traces (all chains pooled). `wallSeconds` is left 0 for the caller to fill.
    public static func metrics<E: EnergyModel>(model: E, beta: Double, traces: [ChainTrace], reference: ExactReference) -> SamplerMetrics {
        let n = model.variableCount, q = model.domainSize
        let energies = traces.flatMap(\.energies)
        let mags = traces.flatMap(\.magnetizations)
        let samples = energies.count
        var counters = MoveCounters()
        for t in traces { counters.add(t.counters) }
        let meanE = energies.reduce(0, +) / Double(samples)
        let absM = mags.reduce(0) { $0 + abs($1) } / Double(samples) / Double(n)
        var pos = 0, neg = 0
        for m in mags { if m > 0.5 { pos += 1 } else if m < -0.5 { neg += 1 } }
        let modes = ModeMassRecord(positive: Double(pos) / Double(samples), zero: Double(samples - pos - neg) / Double(samples),
                                   negative: Double(neg) / Double(samples))
        var m = SamplerMetrics(
            samples: samples, meanEnergy: meanE, meanAbsMagnetizationPerSite: absM, modeMass: modes,
            energyEvaluations: counters.deltaEvaluations + counters.fullEvaluations,
            deltaEnergyEvaluations: counters.deltaEvaluations, fullEnergyEvaluations: counters.fullEvaluations, wallSeconds: 0)
        m.acceptanceRate = counters.proposals > 0 ? Double(counters.acceptances) / Double(counters.proposals) : nil
        m.burnInSeconds = traces.map(\.burnInSeconds).max()
        m.samplingSeconds = traces.map(\.samplingSeconds).max()

        // Autocorrelation: energy, and signed magnetisation (which sees slow mode switching).
        let tauE = Autocorrelation.integratedTime(traces.map(\.energies))
        let tauM = Autocorrelation.integratedTime(traces.map(\.magnetizations))
        if tauE.isFinite {
            m.tauIntEnergy = tauE
            m.essEnergy = Double(samples) / max(tauE, 1e-12)
            let varE = energies.reduce(0) { $0 + ($1 - meanE) * ($1 - meanE) } / Double(max(samples - 1, 1))
            m.meanEnergyMcse = (varE * max(tauE, 0) / Double(samples)).squareRoot()
        }
        m.meanEnergyExact = reference.exact.meanEnergy
        m.meanAbsMagnetizationPerSiteExact = reference.exact.meanAbsMagnetizationPerSite

        guard let exact = reference.distribution else { return m }
        // Marginals and nearest-neighbour correlations.
        var valueCounts = [Int](repeating: 0, count: n * q)
        var bondSums = [Double](repeating: 0, count: exact.bondCorrelations.count)
        for t in traces {
            for i in valueCounts.indices { valueCounts[i] += t.valueCounts[i] }
            for k in bondSums.indices { bondSums[k] += t.bondSums[k] }
        }
        m.maxMarginalError = zip(valueCounts, exact.marginals).map { abs(Double($0) / Double(samples) - $1) }.max()
        m.maxCorrelationError = zip(bondSums, exact.bondCorrelations).map { abs($0 / Double(samples) - $1) }.max()

        // State-level distances.
        let keys = traces.flatMap(\.keys)
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
            let tau = max(tauE.isFinite ? tauE : 1, tauM.isFinite ? tauM : 1, 1)
            let thin = SampleThinning.interval(tau: tau)
            var observed = [Int](repeating: 0, count: exact.stateCount)
            var draws = 0
            for t in traces {
                for j in stride(from: thin - 1, to: t.keys.count, by: thin) { observed[Int(t.keys[j])] += 1; draws += 1 }
            }
            let expected = energiesTable.map { exp(exact.logProbability(energy: $0)) }
            if draws > 0, let chi = try? ChiSquare.test(observed: observed, expected: expected) {
                m.chiSquare = ChiSquareRecord(statistic: chi.statistic, degreesOfFreedom: chi.degreesOfFreedom,
                                              pValue: chi.pValue, draws: draws, thin: thin)
            }
        }
        return m
    }
}
