import Energies
import Exact
import Foundation
import GFNCore
import MCMC
import Metrics
import Reporting
import Settings

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
    /// Per chain, a trace whose τ_int also bounds the thinning (`ChainTrace.memory`); empty when none.
    public var memory: [[Double]] = []

    public var count: Int { energies.reduce(0) { $0 + $1.count } }

    /// The draws of MCMC chains.
    public init(traces: [ChainTrace]) {
        keys = traces.map(\.keys); energies = traces.map(\.energies); magnetizations = traces.map(\.magnetizations)
        if traces.allSatisfy({ !$0.memory.isEmpty }) { memory = traces.map(\.memory) }
        valueCounts = traces.first.map { [Int](repeating: 0, count: $0.valueCounts.count) } ?? []
        bondSums = traces.first.map { [Double](repeating: 0, count: $0.bondSums.count) } ?? []
        for t in traces {
            for i in valueCounts.indices { valueCounts[i] += t.valueCounts[i] }
            for k in bondSums.indices { bondSums[k] += t.bondSums[k] }
        }
        independent = false
    }

    /// Independent draws given by their keys (decoded here to evaluate the observables). Only
    /// for states that fit a key; others go through ``init(independent:)``.
    public init<E: EnergyModel>(independentKeys: [UInt64], model: E) {
        var recorder = TraceRecorder(model: model, capacity: independentKeys.count)
        let x = UnsafeMutablePointer<UInt8>.allocate(capacity: model.variableCount)
        defer { x.deallocate() }
        for key in independentKeys {
            model.decode(key, into: x)
            recorder.record(UnsafePointer(x))
        }
        self.init(independent: recorder.finish(counters: MoveCounters(), burnInSeconds: 0, samplingSeconds: 0))
    }

    /// Independent draws recorded as one trace.
    public init(independent trace: ChainTrace) {
        self.init(traces: [trace])
        independent = true
    }
}

/// A sampler's metrics together with the draws its verdict is judged on.
public struct SamplerAnalysis: Sendable {
    public var metrics: SamplerMetrics
    /// The nearly independent draws (every `SamplerMetrics.thinnedTv` draw, chain by chain);
    /// empty when the states have no keys or the target no probability table.
    public var thinnedKeys: [UInt64]
    /// Beyond enumeration: the thinned draws' E and M/n that were compared with the reference
    /// estimate (empty without one), so two samplers can be compared at an equal number of them.
    public var thinnedEnergies: [Double] = []
    public var thinnedMagnetizations: [Double] = []
}

/// Turns sampler output into metrics against the exact reference.
public enum SampleAnalysis {
    /// Metrics of a set of draws. Cost and time fields are left 0 for the caller to fill.
    ///
    /// - Parameter model: the energy the draws are states of.
    /// - Parameter beta: the target's inverse temperature.
    /// - Parameter draws: the draws, per chain.
    /// - Parameter reference: the exact values the draws are judged against.
    /// - Parameter seed: the run's seed (the noise-floor simulation draws from it).
    /// - Parameter floorStream: the random stream index of this sampler's noise-floor simulation.
    public static func metrics<E: EnergyModel>(model: E, beta: Double, draws: DrawSet, reference: ExactReference,
                                               seed: UInt64, floorStream: UInt64) -> SamplerMetrics {
        analyse(model: model, beta: beta, draws: draws, reference: reference, seed: seed, floorStream: floorStream).metrics
    }

    /// Metrics of a set of draws and the thinned draws they were judged on.
    public static func analyse<E: EnergyModel>(model: E, beta: Double, draws: DrawSet, reference: ExactReference,
                                               seed: UInt64, floorStream: UInt64) -> SamplerAnalysis {
        let n = model.variableCount, q = model.domainSize
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
        if Interruption.requested { return SamplerAnalysis(metrics: m, thinnedKeys: []) }  // the caller throws
        let tauM = Autocorrelation.integratedTime(draws.magnetizations)
        let varE = energies.reduce(0) { $0 + ($1 - meanE) * ($1 - meanE) } / Double(max(samples - 1, 1))
        if Interruption.requested { return SamplerAnalysis(metrics: m, thinnedKeys: []) }  // the caller throws
        if tauE.isFinite { m.tauIntEnergy = tauE }
        if tauM.isFinite { m.tauIntMagnetization = tauM }
        m.slowestObservable = (tauM.isFinite ? tauM : 0) > (tauE.isFinite ? tauE : 0) ? "magnetisation" : "energy"
        if draws.independent {
            // Independent draws: τ = 1 and ESS = N exactly; the measured τ is reported as a check.
            m.essEnergy = Double(samples)
            m.effectiveDraws = Double(samples)
            m.slowestObservable = nil  // every observable has N effective draws
            m.meanEnergyMcse = (varE / Double(samples)).squareRoot()
            m.verdictRefusal = DecisionRule.refusal(rhat: [], bulkEss: [("draws", Double(samples))], chains: 1)
        } else if !chainDiagnostics(into: &m, draws: draws) {
            return SamplerAnalysis(metrics: m, thinnedKeys: [])  // interrupted: the caller throws
        }
        if Interruption.requested { return SamplerAnalysis(metrics: m, thinnedKeys: []) }  // the caller throws
        m.meanEnergyExact = reference.exact.meanEnergy
        m.meanAbsMagnetizationPerSiteExact = reference.exact.meanAbsMagnetizationPerSite
        if let exactModes = reference.exact.modeMass {
            m.warnings += modeWarnings(sampler: modes, exact: exactModes, what: "its samples")
        } else if reference.exact.spinFlipSymmetric == true {
            // Not enumerable, but the symmetry fixes P(M > 0) = P(M < 0); P(M = 0) ≤ ½ for n ≥ 2.
            let half = max(0, 1 - modes.zero) / 2
            m.warnings += modeWarnings(sampler: modes, exact: ModeMassRecord(positive: half, zero: modes.zero, negative: half),
                                       what: "its samples (the target is symmetric under s → −s, so both signs hold equal mass)")
        }

        if Interruption.requested { return SamplerAnalysis(metrics: m, thinnedKeys: []) }  // the caller throws
        // Histograms against the exact ones.
        if let levels = reference.exact.energyLevels {
            let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, $0) })
            var h = [Double](repeating: 0, count: levels.count)
            let grid = model.energyLevels
            for e in energies {
                if let g = grid, let k = index[g.energy(at: g.index(of: e))] { h[k] += 1 }
            }
            m.energyHistogram = h.map { $0 / Double(samples) }
        }
        if let mp = reference.exact.magnetizationProbabilities {
            let offset = mp.count / 2
            var h = [Double](repeating: 0, count: mp.count)
            for x in mags { let k = Int(x.rounded()) + offset; if h.indices.contains(k) { h[k] += 1 } }
            m.magnetizationHistogram = h.map { $0 / Double(samples) }
        }
        if q == 2 && n <= 1024 { m.marginalsUp = (0..<n).map { Double(draws.valueCounts[2 * $0 + 1]) / Double(samples) } }
        if q > 2 && n <= 1024 { m.marginals = (0..<n).map { i in (0..<q).map { Double(draws.valueCounts[i * q + $0]) / Double(samples) } } }

        if reference.distribution == nil, let estimate = reference.exact.referenceEstimate {
            // Beyond enumeration: the reference estimate's histograms stand in for the target's,
            // compared on draws thinned like the reference's (every ⌈2·τ_int⌉-th of each chain).
            let tauMemory = draws.memory.isEmpty ? 1 : Autocorrelation.integratedTime(draws.memory)
            let tauMax = max(tauE.isFinite ? tauE : 1, tauM.isFinite ? tauM : 1, tauMemory.isFinite ? tauMemory : 1, 1)
            let judged = referenceComparison(energies: draws.energies, magnetizations: draws.magnetizations,
                                             thinning: draws.independent ? 1 : SampleThinning.interval(tau: tauMax), beta: beta,
                                             variables: n, reference: estimate, rng: RandomStream(seed: seed, stream: floorStream))
            m.referenceComparison = judged?.comparison
            return SamplerAnalysis(metrics: m, thinnedKeys: [], thinnedEnergies: judged?.energies ?? [], thinnedMagnetizations: judged?.magnetizations ?? [])
        }
        guard let exact = reference.distribution else { return SamplerAnalysis(metrics: m, thinnedKeys: []) }
        m.maxMarginalError = zip(draws.valueCounts, exact.marginals).map { abs(Double($0) / Double(samples) - $1) }.max()
        m.maxCorrelationError = zip(draws.bondSums, exact.bondCorrelations).map { abs($0 / Double(samples) - $1) }.max()
        // Every value of every site (for two values, P(xᵢ = 1) carries all of it).
        let ess = m.effectiveDraws ?? Double(samples)
        m.maxMarginalErrorInMcse = (0..<n).flatMap { i in (q == 2 ? 1..<2 : 0..<q).map { i * q + $0 } }.map { k -> Double in
            let estimate = Double(draws.valueCounts[k]) / Double(samples)
            let mcse = max((estimate * (1 - estimate) / max(ess, 1)).squareRoot(), 1e-12)
            return abs(estimate - exact.marginals[k]) / mcse
        }.max()

        if Interruption.requested { return SamplerAnalysis(metrics: m, thinnedKeys: []) }  // the caller throws
        let thinnedKeys = stateLevel(into: &m, model: model, beta: beta, draws: draws, exact: exact, reference: reference, tau: (tauE, tauM),
                                     seed: seed, floorStream: floorStream)
        return SamplerAnalysis(metrics: m, thinnedKeys: thinnedKeys)
    }

    /// R-hat, ESS and the MCSE of a Markov chain's draws, the verdict's refusal and the warnings
    /// they call for. Returns false when a stop was requested part-way.
    static func chainDiagnostics(into m: inout SamplerMetrics, draws: DrawSet) -> Bool {
        // Each a pass over all draws (seconds on long runs): a stop request is honoured between them.
        let steps: [(inout SamplerMetrics) -> Void] = [
            { $0.rhatEnergy = finite(MCMCDiagnostics.rankNormalizedSplitRhat(draws.energies))
              $0.rhatMagnetization = finite(MCMCDiagnostics.rankNormalizedSplitRhat(draws.magnetizations)) },
            { $0.essBulkEnergy = finite(MCMCDiagnostics.essBulk(draws.energies)) },
            { $0.essTailEnergy = finite(MCMCDiagnostics.essTail(draws.energies)) },
            { $0.essBulkMagnetization = finite(MCMCDiagnostics.essBulk(draws.magnetizations)) },
            { $0.essTailMagnetization = finite(MCMCDiagnostics.essTail(draws.magnetizations)) },
            { $0.essEnergy = finite(MCMCDiagnostics.essMean(draws.energies)) },
            { $0.meanEnergyMcse = finite(MCMCDiagnostics.mcseMean(draws.energies)) },
        ]
        for step in steps {
            step(&m)
            if Interruption.requested { return false }  // the caller throws
        }
        let chains = draws.energies.count
        var bulk = [("energy", m.essBulkEnergy), ("magnetisation", m.essBulkMagnetization)]
        var rhats = [("energy", m.rhatEnergy), ("magnetisation", m.rhatMagnetization)]
        if !draws.memory.isEmpty {
            // A GFlowNet-MH independence chain's log importance weight is tracked like the
            // physical observables: it shows the chain sticking where energy need not.
            bulk.append(("log importance weight", finite(MCMCDiagnostics.essBulk(draws.memory))))
            rhats.append(("log importance weight", finite(MCMCDiagnostics.rankNormalizedSplitRhat(draws.memory))))
        }
        m.effectiveDraws = bulk.compactMap(\.1).min()
        if let (name, _) = bulk.filter({ $0.1 != nil }).min(by: { $0.1! < $1.1! }) { m.slowestObservable = name }
        m.verdictRefusal = DecisionRule.refusal(rhat: rhats, bulkEss: bulk, chains: chains)
        for (name, value) in [("energy", m.rhatEnergy), ("magnetisation", m.rhatMagnetization)] {
            if let r = value, r > 1.01 {
                m.warnings.append(String(format: "R-hat of the %@ trace is %.3f > 1.01: the chains disagree, so they have not mixed; estimates are not trustworthy.", name, r))
            }
        }
        for (name, value) in [("bulk ESS of the energy", m.essBulkEnergy), ("tail ESS of the energy", m.essTailEnergy),
                              ("bulk ESS of the magnetisation", m.essBulkMagnetization), ("tail ESS of the magnetisation", m.essTailMagnetization)] {
            if let e = value, e < 100 * Double(chains) {
                m.warnings.append(String(format: "The %@ is %.0f, under 100 per chain (%d chains): too few effective draws for reliable error bars.", name, e, chains))
            }
        }
        return true
    }

    /// State-level distances to the enumerated target, and on the thinned draws the TV against
    /// its noise floor and the chi-square test. Returns the thinned draws' keys.
    static func stateLevel<E: EnergyModel>(into m: inout SamplerMetrics, model: E, beta: Double, draws: DrawSet, exact: ExactDistribution,
                                           reference: ExactReference, tau: (energy: Double, magnetization: Double),
                                           seed: UInt64, floorStream: UInt64) -> [UInt64] {
        let n = model.variableCount, samples = m.samples
        let (tauE, tauM) = tau
        // State-level distances.
        let keys = draws.keys.flatMap { $0 }
        guard keys.count == samples else { return [] }
        let empirical = EmpiricalDistribution(keys: keys)
        m.distinctStates = empirical.keys.count
        let x = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        defer { x.deallocate() }
        let probability: (UInt64) -> Double = { key in
            if let table = reference.probabilities { return table[Int(key)] }
            model.decode(key, into: x)
            return exp(exact.logProbability(energy: model.energy(UnsafePointer(x))))
        }
        let entropy = exact.logZ + beta * exact.meanEnergy
        let visited = zip(empirical.counts, empirical.keys).map { ($0, probability($1)) }
        let d = DistanceSet.empirical(visited: visited, draws: samples, targetEntropy: entropy, stateCount: Double(exact.stateCount))
        m.distances = d
        m.tv = d.tv
        let tauMemory = draws.memory.isEmpty ? 1 : Autocorrelation.integratedTime(draws.memory)
        if !draws.memory.isEmpty, tauMemory.isFinite { m.tauIntLogWeight = tauMemory }
        let tauMax = max(tauE.isFinite ? tauE : 1, tauM.isFinite ? tauM : 1, tauMemory.isFinite ? tauMemory : 1, 1)
        var thinnedKeys: [UInt64] = []
        if let p = reference.probabilities {
            // Nearly independent draws: every k-th sample of each chain, k = ⌈2·τ_int⌉ of the slower
            // trace (all draws for an independent sampler). The noise floor is simulated for that
            // many exact draws and compared with the TV of those same draws, and the chi-square
            // test uses them too: like is compared with like.
            let thin = draws.independent ? 1 : SampleThinning.interval(tau: tauMax)
            var observed = [Int](repeating: 0, count: exact.stateCount)
            var tested = 0
            for chain in draws.keys {
                for j in stride(from: thin - 1, to: chain.count, by: thin) { observed[Int(chain[j])] += 1; tested += 1; thinnedKeys.append(chain[j]) }
            }
            if tested > 0 {
                let thinnedVisited = observed.indices.lazy.filter { observed[$0] > 0 }.map { (observed[$0], p[$0]) }
                let thinned = DistanceSet.empirical(visited: thinnedVisited, draws: tested, targetEntropy: entropy, stateCount: Double(exact.stateCount))
                let floor = NoiseFloor.simulate(p: p, draws: tested, replicates: NoiseFloor.defaultReplicates, targetEntropy: entropy,
                                                rng: RandomStream(seed: seed, stream: floorStream))
                m.thinnedTv = thinned.tv
                m.noiseFloor = floor
                // No verdict from draws that cannot support one (the TV and floor are still shown).
                m.withinNoiseFloor = m.verdictRefusal == nil ? floor.contains(tv: thinned.tv) : nil
                if let chi = try? ChiSquare.test(observed: observed, expected: p) {
                    m.chiSquare = ChiSquareRecord(statistic: chi.statistic, degreesOfFreedom: chi.degreesOfFreedom,
                                                  pValue: chi.pValue, draws: tested, thin: thin)
                }
            }
        }
        return thinnedKeys
    }

    /// Plain-words warnings when a distribution has (nearly) lost a mode the target gives real mass to.
    public static func modeWarnings(sampler: ModeMassRecord, exact: ModeMassRecord, what: String) -> [String] {
        var out: [String] = []
        for (name, s, e) in [("m > 0", sampler.positive, exact.positive), ("m < 0", sampler.negative, exact.negative)] where e >= 0.1 && s < 0.1 * e {
            out.append(String(format: "Mode collapse: %@ put%@ %.1f%% of the mass on the %@ mode, which holds %.1f%% of the target: the sampler has (nearly) lost a whole mode, and every estimate that depends on it (log Z, |m|, the distribution) is wrong by that much.",
                              what, what.hasPrefix("its") ? "" : "s", 100 * s, name, 100 * e))
        }
        return out
    }

    static func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }

    /// The empirical TV of MCMC draws after each checkpoint (the first k samples of every chain),
    /// with the energy evaluations and wall time spent by then. Needs the probability table.
    public static func mcmcCurve(traces: [ChainTrace], variables n: Int, schedule: ChainSchedule, deltaPerUpdate: Int,
                                 probabilities p: [Double], burnInSeconds: Double, samplingSeconds: Double) -> QualityCurve? {
        let perChain = schedule.samplesPerChain
        guard perChain >= 10, traces.allSatisfy({ $0.keys.count == perChain }) else { return nil }
        var checkpoints: [Int] = []
        var k = 10.0
        while Int(k) < perChain { checkpoints.append(Int(k)); k *= 1.6 }
        checkpoints.append(perChain)
        var counts = [UInt32](repeating: 0, count: p.count)
        var visited: [Int] = []
        var done = 0
        var evaluations: [Int] = [], seconds: [Double] = [], tv: [Double] = []
        for c in checkpoints {
            for t in traces {
                for j in done..<c {
                    let key = Int(t.keys[j])
                    if counts[key] == 0 { visited.append(key) }
                    counts[key] += 1
                }
            }
            done = c
            let total = Double(c * traces.count)
            var absSum = 0.0, mass = 0.0
            for key in visited { absSum += abs(Double(counts[key]) / total - p[key]); mass += p[key] }
            tv.append(0.5 * (absSum + max(0, 1 - mass)))
            let updates = traces.count * n * (schedule.burnInSweeps + c * schedule.thinSweeps)
            evaluations.append(updates * deltaPerUpdate + traces.count)
            seconds.append(burnInSeconds + samplingSeconds * Double(c) / Double(perChain))
        }
        return QualityCurve(measure: "empirical TV", energyEvaluations: evaluations, wallSeconds: seconds, tv: tv)
    }
}

extension SamplerDraws {
    /// The draws of `traces` (kept with their states), chain by chain: states, energy,
    /// magnetisation, the sampler's memory trace as `log_weight` when it has one, then `extra`.
    init(name: String, traces: [ChainTrace], variables: Int, independent: Bool = false,
         extra: [(String, [Double])] = [], notes: [String: String] = [:]) {
        var series: [(name: String, values: [Double])] = [("energy", traces.flatMap(\.energies)), ("magnetization", traces.flatMap(\.magnetizations))]
        if traces.allSatisfy({ !$0.memory.isEmpty }) { series.append(("log_weight", traces.flatMap(\.memory))) }
        series += extra.map { (name: $0.0, values: $0.1) }
        self.init(name: name, chains: traces.count, drawsPerChain: traces.first?.energies.count ?? 0, variables: variables,
                  independent: independent, states: traces.flatMap(\.states), series: series, notes: notes)
    }
}
