import Energies
import Exact
import Foundation
import GFNCore
import MCMC
import Metrics
import Settings
import Testing

@Suite struct DetailedBalanceTests {
    static let models: [IsingModel] = [
        try! IsingModel(lattice: SquareLattice(rows: 2, cols: 2, boundary: .periodic), coupling: 1, field: 0.3),
        try! IsingModel(lattice: SquareLattice(rows: 1, cols: 3, boundary: .open), coupling: -0.7, field: 0.2),
        try! IsingModel(lattice: SquareLattice(rows: 2, cols: 3, boundary: .open), coupling: 0.4, field: 0),
    ]

    /// p(x)·T_i(x→x′) = p(x′)·T_i(x′→x) for every state x, site i and outcome x′, from the
    /// kernel's own transition probabilities; and each row of T_i sums to 1.
    func checkDetailedBalance<K: SiteKernel>(_ kernel: K) {
        let model = kernel.energy
        let n = model.variableCount
        var x = [UInt8](repeating: 0, count: n), y = x
        for key in 0..<UInt64(model.stateCount!) {
            x.withUnsafeMutableBufferPointer { model.decode(key, into: $0.baseAddress!) }
            let px = -kernel.beta * model.energy(of: x)
            for site in 0..<n {
                let t = x.withUnsafeBufferPointer { kernel.transitionProbabilities($0.baseAddress!, site: site) }
                #expect(abs(t.reduce(0, +) - 1) < 1e-12)
                #expect(t.allSatisfy { $0 >= 0 })
                for v in 0..<model.domainSize where v != Int(x[site]) {
                    y = x; y[site] = UInt8(v)
                    let back = y.withUnsafeBufferPointer { kernel.transitionProbabilities($0.baseAddress!, site: site) }[Int(x[site])]
                    let py = -kernel.beta * model.energy(of: y)
                    // Compare p(x)T(x→y) with p(y)T(y→x) relative to their size (unnormalised p).
                    let lhs = exp(px) * t[v], rhs = exp(py) * back
                    #expect(abs(lhs - rhs) <= 1e-12 * max(lhs, rhs))
                }
            }
        }
    }

    @Test(arguments: 0..<models.count) func metropolis(_ i: Int) { checkDetailedBalance(MetropolisKernel(energy: Self.models[i], beta: 0.8)) }
    @Test(arguments: 0..<models.count) func heatBath(_ i: Int) { checkDetailedBalance(HeatBathKernel(energy: Self.models[i], beta: 0.8)) }

    @Test func pottsKernels() throws {
        let potts = try PottsModel(lattice: SquareLattice(rows: 2, cols: 2, boundary: .periodic), q: 3, coupling: 0.9, field: 0.4)
        checkDetailedBalance(MetropolisKernel(energy: potts, beta: 0.7))
        checkDetailedBalance(HeatBathKernel(energy: potts, beta: 0.7))
    }

    /// The sampled update follows the kernel's stated transition probabilities.
    @Test func updateFrequenciesMatchTransitionProbabilities() throws {
        let model = Self.models[0]
        check(MetropolisKernel(energy: model, beta: 0.8), stream: 0)
        check(HeatBathKernel(energy: model, beta: 0.8), stream: 1)
    }

    func check<K: SiteKernel>(_ kernel: K, stream: UInt64) {
        var x: [UInt8] = [1, 0, 1, 1]
        let rng = RandomStream(seed: 21, stream: stream)
        let n = 200_000
        let pFlip = x.withUnsafeBufferPointer { kernel.transitionProbabilities($0.baseAddress!, site: 2) }[0]
        var counters = MoveCounters()
        var flips = 0
        for _ in 0..<n {
            let before = x
            _ = x.withUnsafeMutableBufferPointer { kernel.update($0.baseAddress!, site: 2, rng: rng, counters: &counters) }
            if x != before { flips += 1; x = before }
        }
        // Binomial(n, p): sd = sqrt(p(1−p)/n); tolerance 5 sd (false alarm ~6e-7 at this fixed seed).
        let sd = (pFlip * (1 - pFlip) / Double(n)).squareRoot()
        #expect(abs(Double(flips) / Double(n) - pFlip) < 5 * sd, "\(K.self): \(Double(flips) / Double(n)) vs \(pFlip)")
    }
}

@Suite struct ChainGoodnessOfFitTests {
    static let model = try! IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic))

    /// Runs chains and tests their thinned draws against the exact distribution with a chi-square test.
    /// Thinning by ⌈2·τ_int⌉ (τ of the slower of the energy and magnetisation traces) makes the
    /// draws nearly independent, so the test's nominal level holds. At a fixed seed the outcome
    /// is deterministic; the threshold p > 1e-3 is the false-alarm rate a correct sampler would
    /// have over random seeds.
    func chiSquare<K: SiteKernel>(_ kernel: K, scan: ScanOrder, seed: UInt64) throws -> ChiSquareResult where K.Energy == IsingModel {
        let schedule = ChainSchedule(chains: 4, burnInSweeps: 200, samplesPerChain: 60_000, thinSweeps: 1, scan: scan)
        let traces = try ChainRunner.run(kernel: kernel, schedule: schedule, seed: seed)
        return try thinnedChiSquare(traces, expected: try exactProbabilities(Self.model, beta: 0.3))
    }

    @Test func metropolisPasses() throws {
        let r = try chiSquare(MetropolisKernel(energy: Self.model, beta: 0.3), scan: .random, seed: 1)
        #expect(r.pValue > 1e-3, "χ² = \(r.statistic) on \(r.degreesOfFreedom) df")
        #expect(r.sampleSize > 5_000)  // enough draws for the test to have power
    }

    @Test(arguments: [ScanOrder.random, .systematic]) func heatBathPasses(_ scan: ScanOrder) throws {
        let r = try chiSquare(HeatBathKernel(energy: Self.model, beta: 0.3), scan: scan, seed: 2)
        #expect(r.pValue > 1e-3, "χ² = \(r.statistic) on \(r.degreesOfFreedom) df")
    }

    /// The same test catches a sampler that targets 0.9·β: the test can fail.
    @Test func aBiasedSamplerIsRejected() throws {
        let r = try chiSquare(MetropolisKernel(energy: Self.model, beta: 0.27), scan: .random, seed: 1)
        #expect(r.pValue < 1e-6, "χ² = \(r.statistic) on \(r.degreesOfFreedom) df")
    }
}

/// p(x) of every state by key, by enumeration.
func exactProbabilities<E: EnergyModel>(_ model: E, beta: Double) throws -> [Double] {
    let exact = try Enumerator.enumerate(model, beta: beta, storeEnergies: true)
    return exact.energies!.map { exp(exact.logProbability(energy: $0)) }
}

/// Chi-square of MCMC draws against `expected`, on every ⌈2·τ_int⌉-th sample of each chain (τ the
/// slower of the energy and magnetisation traces), so the draws are nearly independent.
func thinnedChiSquare(_ traces: [ChainTrace], expected: [Double]) throws -> ChiSquareResult {
    let tau = max(Autocorrelation.integratedTime(traces.map(\.energies)), Autocorrelation.integratedTime(traces.map(\.magnetizations)), 1)
    let thin = SampleThinning.interval(tau: tau)
    var observed = [Int](repeating: 0, count: expected.count)
    for t in traces { for j in stride(from: thin - 1, to: t.keys.count, by: thin) { observed[Int(t.keys[j])] += 1 } }
    return try ChiSquare.test(observed: observed, expected: expected)
}

@Suite struct PottsGoodnessOfFitTests {
    /// MH on a 3×3 periodic 3-state Potts model passes the chi-square test against enumeration
    /// (thinned by ⌈2·τ_int⌉; level 1e-3 at a fixed seed), for both kernels.
    @Test func mhPassesOnPotts() throws {
        let model = try PottsModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic), q: 3, coupling: 1)
        let expected = try exactProbabilities(model, beta: 0.6)
        let schedule = ChainSchedule(chains: 4, burnInSweeps: 200, samplesPerChain: 60_000, thinSweeps: 1)
        for traces in [try ChainRunner.run(kernel: MetropolisKernel(energy: model, beta: 0.6), schedule: schedule, seed: 3),
                       try ChainRunner.run(kernel: HeatBathKernel(energy: model, beta: 0.6), schedule: schedule, seed: 4)] {
            let r = try thinnedChiSquare(traces, expected: expected)
            #expect(r.pValue > 1e-3, "χ² = \(r.statistic) on \(r.degreesOfFreedom) df")
        }
    }
}

@Suite struct SpinGlassGoodnessOfFitTests {
    /// MH on small Edwards–Anderson and Sherrington–Kirkpatrick instances passes the chi-square
    /// test against enumeration (thinned by ⌈2·τ_int⌉; level 1e-3 at fixed seeds).
    @Test func mhPassesOnSpinGlasses() throws {
        let glasses = [try PairwiseModel.edwardsAnderson(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic), gaussian: false, instanceSeed: 2),
                       try PairwiseModel.sherringtonKirkpatrick(spins: 9, instanceSeed: 3)]
        for model in glasses {
            let expected = try exactProbabilities(model, beta: 0.7)
            let traces = try ChainRunner.run(kernel: MetropolisKernel(energy: model, beta: 0.7),
                                             schedule: ChainSchedule(chains: 4, burnInSweeps: 200, samplesPerChain: 50_000, thinSweeps: 1), seed: 8)
            let r = try thinnedChiSquare(traces, expected: expected)
            #expect(r.pValue > 1e-3, "\(model.summary): χ² = \(r.statistic) on \(r.degreesOfFreedom) df")
        }
    }
}

@Suite struct SystematicMetropolisTests {
    /// Why systematic-scan Metropolis on binary spins is refused: the exact sweep matrix on the
    /// 3×3 periodic Ising model at β = 0.3 has a closed class away from the target. Started in
    /// a state of that class, the exact distribution after 400 sweeps is still at TV > 0.9 from p.
    @Test func systematicMetropolisIsReducible() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic))
        let kernel = MetropolisKernel(energy: model, beta: 0.3)
        let exact = try Enumerator.enumerate(model, beta: 0.3, storeEnergies: true)
        let p = exact.energies!.map { exp(exact.logProbability(energy: $0)) }
        var dist = [Double](repeating: 0, count: 512)
        dist[200] = 1
        var x = [UInt8](repeating: 0, count: 9)
        for _ in 0..<400 {
            for site in 0..<9 {
                var next = [Double](repeating: 0, count: 512)
                for key in 0..<512 where dist[key] != 0 {
                    x.withUnsafeMutableBufferPointer { model.decode(UInt64(key), into: $0.baseAddress!) }
                    let t = x.withUnsafeBufferPointer { kernel.transitionProbabilities($0.baseAddress!, site: site) }
                    for v in 0..<2 where t[v] > 0 {
                        var y = x
                        y[site] = UInt8(v)
                        next[Int(y.withUnsafeBufferPointer { model.key(of: $0.baseAddress!) })] += dist[key] * t[v]
                    }
                }
                dist = next
            }
        }
        #expect(Distances.totalVariation(dist, p) > 0.9)
        let schedule = ChainSchedule(chains: 1, burnInSweeps: 0, samplesPerChain: 10, thinSweeps: 1, scan: .systematic)
        #expect(throws: GFNError.self) { try ChainRunner.run(kernel: kernel, schedule: schedule, seed: 1) }
        // Heat-bath under the same schedule is accepted (and passes the chi-square test above).
        _ = try ChainRunner.run(kernel: HeatBathKernel(energy: model, beta: 0.3), schedule: schedule, seed: 1)
    }
}

@Suite struct ChainRunnerTests {
    let model = try! IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .open), coupling: 1, field: 0.1)

    @Test func sameSeedSameTracesDifferentSeedDifferentTraces() throws {
        let schedule = ChainSchedule(chains: 3, burnInSweeps: 10, samplesPerChain: 500, thinSweeps: 2)
        let k = MetropolisKernel(energy: model, beta: 0.5)
        let a = try ChainRunner.run(kernel: k, schedule: schedule, seed: 5)
        let b = try ChainRunner.run(kernel: k, schedule: schedule, seed: 5)
        let c = try ChainRunner.run(kernel: k, schedule: schedule, seed: 6)
        #expect(a.map(\.keys) == b.map(\.keys))
        #expect(a.map(\.energies) == b.map(\.energies))
        #expect(a.map(\.keys) != c.map(\.keys))
        // Chains are independent streams: no two chains repeat each other.
        #expect(a[0].keys != a[1].keys)
    }

    @Test func recordedEnergiesAndCountsAreConsistent() throws {
        let schedule = ChainSchedule(chains: 2, burnInSweeps: 5, samplesPerChain: 300, thinSweeps: 1, scan: .systematic)
        let traces = try ChainRunner.run(kernel: HeatBathKernel(energy: model, beta: 0.4), schedule: schedule, seed: 9)
        for t in traces {
            #expect(t.keys.count == 300 && t.energies.count == 300)
            for (k, e) in zip(t.keys, t.energies) { #expect(abs(model.energy(ofKey: k) - e) < 1e-9) }
            // Each recorded sample adds one count per site.
            #expect(t.valueCounts.reduce(0, +) == 300 * 9)
            #expect(t.counters.proposals == (5 + 300) * 9)
            #expect(t.counters.deltaEvaluations == t.counters.proposals)
            #expect(t.counters.fullEvaluations == 1)
        }
    }

    @Test func scheduleValidationNamesTheValue() {
        #expect(throws: GFNError.self) { try ChainSchedule(chains: 0).validate() }
        #expect(throws: GFNError.self) { try ChainSchedule(burnInSweeps: -1).validate() }
        #expect(throws: GFNError.self) { try ChainSchedule(thinSweeps: 0).validate() }
    }
}
