import Energies
import Exact
import Foundation
import GFlowNets
import GFNCore
import MCMC
import Metrics
import NeuralMCMC
import Settings
import Testing
import TestSupport

/// The GFlowNet-in-MH kernels, checked from exact transition probabilities on a 3×3 lattice
/// (512 states) with a deliberately under-trained GFlowNet, so the proposal is far from p and
/// only the acceptance step makes the chain exact.
@Suite struct GFlowNetMHKernelTests {
    init() { TestSupport.singleThreadedBLAS() }

    static let beta = 0.6
    static func model() throws -> IsingModel { try IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic), coupling: 1, field: 0.1) }

    static func gfn(order: ConstructionOrder = .fixed, iterations: Int = 20, spinFlipMixture: Bool = false) throws -> GFlowNet<SetVariableEnvironment<IsingModel>> {
        var s = GFlowNetSettings(); s.order = order; s.hidden = 32; s.batch = 16
        if spinFlipMixture { s.spinFlipMixture = true }
        let g = try GFlowNet(environment: SetVariableEnvironment(energy: try model(), beta: beta, order: order), settings: s, seed: 5)
        try Trainer(model: g, seed: 5).train(iterations: iterations)
        return g
    }

    /// The exact independence-step matrix row by row: G(x→y) = P_T(y)·min(1, w(y)/w(x)) for
    /// y ≠ x, w(x) = exp(−β·E(x))/P_T(x), with log(1/P_T(x)) from the scorer the chain uses.
    static func independenceKernel() throws -> (p: [Double], g: [[Double]], logPT: [Double]) {
        let m = try model(), gfn = try gfn()
        let logPT = try ModelDistribution.exact(gfn)
        let count = m.stateCount!
        let scorer = BackwardTrajectoryScorer(gfn, capacity: 1)
        let rng = RandomStream(seed: 1)
        var logW = [Double](repeating: 0, count: count), logP = [Double](repeating: 0, count: count)
        var x = [UInt8](repeating: 0, count: 9), s = [Int32](repeating: 0, count: 9)
        for key in 0..<count {
            x.withUnsafeMutableBufferPointer { m.decode(UInt64(key), into: $0.baseAddress!) }
            logP[key] = -beta * m.energy(of: x)
            for i in 0..<9 { s[i] = Int32(x[i]) }
            var score = 0.0
            s.withUnsafeMutableBufferPointer { scorer.score($0.baseAddress!, rows: 1, rng: rng, into: &score) }
            // On the fixed order the scored trajectory is x's only path: log P_F(τ) = log P_T(x),
            // up to Float rounding of the logits (network passes of other shapes): 9 steps × ~1e-7.
            #expect(abs(score - logPT[key]) < 1e-6, "state \(key): scorer \(score) vs exact \(logPT[key])")
            // The kernel below proposes from P_T: its weights use the same numbers, so balance is exact to rounding.
            logW[key] = logP[key] - logPT[key]
        }
        let z = LogSpace.logSumExp(logP)
        let p = logP.map { exp($0 - z) }
        var g = [[Double]](repeating: [Double](repeating: 0, count: count), count: count)
        for a in 0..<count {
            var stay = 1.0
            for b in 0..<count where b != a {
                g[a][b] = exp(logPT[b]) * GFlowNetMH.acceptance(logWeightX: logW[a], logWeightY: logW[b])
                stay -= g[a][b]
            }
            g[a][a] = stay
        }
        return (p, g, logPT)
    }

    static func probabilities(_ m: IsingModel) -> [Double] {
        var x = [UInt8](repeating: 0, count: m.variableCount)
        let logP = (0..<m.stateCount!).map { key -> Double in
            x.withUnsafeMutableBufferPointer { m.decode(UInt64(key), into: $0.baseAddress!) }
            return -beta * m.energy(of: x)
        }
        let z = LogSpace.logSumExp(logP)
        return logP.map { exp($0 - z) }
    }

    /// Chi-square of the chains' draws, thinned by ⌈2·τ_int⌉ of the slower of energy and
    /// magnetisation to be nearly independent, against p: p-value above 0.001 (fixed seed; a
    /// correct sampler fails this one time in a thousand).
    static func expectChainsFollow(_ traces: [ChainTrace], probabilities p: [Double]) throws {
        let tau = max(Autocorrelation.integratedTime(traces.map(\.energies)), Autocorrelation.integratedTime(traces.map(\.magnetizations)))
        let thin = SampleThinning.interval(tau: tau)
        var counts = [Int](repeating: 0, count: p.count)
        for t in traces { for i in stride(from: thin - 1, to: t.keys.count, by: thin) { counts[Int(t.keys[i])] += 1 } }
        let result = try ChiSquare.test(observed: counts, expected: p)
        #expect(result.pValue > 0.001, "χ² = \(result.statistic) on \(result.degreesOfFreedom) df, p = \(result.pValue), \(result.sampleSize) draws thinned by \(thin)")
    }

    @Test func independenceStepSatisfiesDetailedBalance() throws {
        let (p, g, logPT) = try Self.independenceKernel()
        // The proposal is far from p (the acceptance step has work to do).
        let tv = 0.5 * zip(p, logPT).reduce(0) { $0 + abs($1.0 - exp($1.1)) }
        #expect(tv > 0.1, "the under-trained GFlowNet should be biased (TV(P_T, p) = \(tv))")
        for a in 0..<p.count {
            #expect(g[a][a] >= -1e-12)
            for b in 0..<a {
                let lhs = p[a] * g[a][b], rhs = p[b] * g[b][a]
                #expect(abs(lhs - rhs) <= 1e-12 * max(lhs, rhs) + 1e-300, "\(a) ↔ \(b)")
            }
        }
    }

    /// Mixed chains alternate K random-scan Metropolis sweeps (each site update reversible,
    /// checked in MCMCTests) with one independence step (reversible, above). A cycle of reversible
    /// kernels is not itself reversible, so what must hold for the cycle is that p is invariant:
    /// p·(M^{n·K}·G) = p, propagated exactly through the site kernels' transition probabilities.
    @Test func mixedCycleKeepsTheTargetInvariant() throws {
        let m = try Self.model()
        let (p, g, _) = try Self.independenceKernel()
        let kernel = MetropolisKernel(energy: m, beta: Self.beta)
        let n = m.variableCount, count = p.count
        var v = p
        var x = [UInt8](repeating: 0, count: n)
        for _ in 0..<(2 * n) {  // two sweeps of the random-scan single-site kernel M = (1/n)·Σ_i T_i
            var next = [Double](repeating: 0, count: count)
            for key in 0..<count where v[key] > 0 {
                x.withUnsafeMutableBufferPointer { m.decode(UInt64(key), into: $0.baseAddress!) }
                for site in 0..<n {
                    let t = x.withUnsafeBufferPointer { kernel.transitionProbabilities($0.baseAddress!, site: site) }
                    for value in 0..<t.count where t[value] > 0 {
                        var y = x; y[site] = UInt8(value)
                        next[Int(m.key(of: y))] += v[key] * t[value] / Double(n)
                    }
                }
            }
            v = next
        }
        var out = [Double](repeating: 0, count: count)
        for a in 0..<count { for b in 0..<count { out[b] += v[a] * g[a][b] } }
        let err = zip(out, p).reduce(0) { $0 + abs($1.0 - $1.1) }
        #expect(err < 1e-12, "‖p·K − p‖₁ = \(err)")
    }

    /// The chain's draws follow p, though its proposal does not: chi-square of 4 × 5,000 draws
    /// thinned by ⌈2·τ_int⌉ against the exact p at the 0.1% level (fixed seed).
    @Test(arguments: [NeuralMCMCMode.independence, .mixed(sweepsBetweenProposals: 2)])
    func chainDrawsFollowTheTarget(mode: NeuralMCMCMode) throws {
        let m = try Self.model(), gfn = try Self.gfn()
        let schedule = NeuralMCMCSchedule(mode: mode, chains: 4, burnInSteps: 100, samplesPerChain: 5_000)
        let traces = try GFlowNetMH.run(gfn: gfn, kernel: MetropolisKernel(energy: m, beta: Self.beta), schedule: schedule, seed: 7,
                                        chainStream: { UInt64($0) }, proposalStream: { 100 + UInt64($0) })
        try Self.expectChainsFollow(traces.map(\.trace), probabilities: Self.probabilities(m))
        let proposals = traces.reduce(0) { $0 + $1.proposals }
        #expect(proposals == (mode == .independence ? 4 * 5_100 : 4 * 5_100 / 2))
        #expect(traces.allSatisfy { $0.acceptances > 0 && $0.acceptances < $0.proposals })
    }

    /// p is invariant under the chain, tested on exactly independent draws: 3,000 chains each
    /// start from an exact draw of p (gsl_ran_discrete) and take 40 steps; if the kernel keeps p
    /// invariant their last states are again exact draws of p, however slowly the chain mixes.
    /// Chi-square at the 0.1% level, no thinning needed. (Thinning one long chain by ⌈2·τ_int⌉ of
    /// energy and magnetisation under-thins an independence chain that sticks at states its
    /// proposal rarely makes; see the README.)
    @Test(arguments: [NeuralMCMCMode.independence, .mixed(sweepsBetweenProposals: 1)])
    func exactStartsStayExact(mode: NeuralMCMCMode) throws {
        let m = try Self.model(), gfn = try Self.gfn(iterations: 60)
        let p = Self.probabilities(m)
        let pt = try ModelDistribution.exact(gfn).map { exp($0) }
        let tv = 0.5 * zip(p, pt).reduce(0) { $0 + abs($1.0 - $1.1) }
        #expect(tv > 0.1, "TV(P_T, p) = \(tv)")
        let table = try DiscreteTable(weights: p)
        let startRng = RandomStream(seed: 12, stream: 3)
        let starts = (0..<3_000).map { _ in UInt64(table.sample(using: startRng)) }
        let schedule = NeuralMCMCSchedule(mode: mode, chains: 3_000, burnInSteps: 39, samplesPerChain: 1)
        let traces = try GFlowNetMH.run(gfn: gfn, kernel: MetropolisKernel(energy: m, beta: Self.beta), schedule: schedule, seed: 9,
                                        chainStream: { UInt64($0) }, proposalStream: { 10_000 + UInt64($0) },
                                        start: { c, x in m.decode(starts[c], into: x) })
        var counts = [Int](repeating: 0, count: p.count)
        for t in traces { counts[Int(t.trace.keys[0])] += 1 }
        let result = try ChiSquare.test(observed: counts, expected: p)
        #expect(result.pValue > 0.001, "χ² = \(result.statistic) on \(result.degreesOfFreedom) df, p = \(result.pValue)")
        #expect(traces.reduce(0) { $0 + $1.acceptances } > 3_000, "the chains must move")
    }

    /// Any-order GFlowNets: the chain carries the trajectory (extended space), so no P_T is needed.
    /// The spin-flip mixture as the proposal (its draws and the scorer's log P_T both mix x with
    /// x̄): the chain is exact whatever the target's symmetry (here a field of 0.1 breaks it).
    @Test func spinFlipMixtureProposalsFollowTheTarget() throws {
        let m = try Self.model(), gfn = try Self.gfn(spinFlipMixture: true)
        let schedule = NeuralMCMCSchedule(mode: .independence, chains: 4, burnInSteps: 100, samplesPerChain: 5_000)
        let traces = try GFlowNetMH.run(gfn: gfn, kernel: MetropolisKernel(energy: m, beta: Self.beta), schedule: schedule, seed: 9,
                                        chainStream: { UInt64($0) }, proposalStream: { 100 + UInt64($0) })
        try Self.expectChainsFollow(traces.map(\.trace), probabilities: Self.probabilities(m))
    }

    @Test func anyOrderChainFollowsTheTarget() throws {
        let m = try Self.model(), gfn = try Self.gfn(order: .any, iterations: 10)
        let schedule = NeuralMCMCSchedule(mode: .mixed(sweepsBetweenProposals: 1), chains: 4, burnInSteps: 100, samplesPerChain: 4_000)
        let traces = try GFlowNetMH.run(gfn: gfn, kernel: MetropolisKernel(energy: m, beta: Self.beta), schedule: schedule, seed: 8,
                                        chainStream: { UInt64($0) }, proposalStream: { 100 + UInt64($0) })
        try Self.expectChainsFollow(traces.map(\.trace), probabilities: Self.probabilities(m))
    }

    @Test func badScheduleIsRefused() throws {
        let m = try Self.model(), gfn = try Self.gfn(iterations: 1)
        #expect(throws: GFNError.self) {
            try GFlowNetMH.run(gfn: gfn, kernel: MetropolisKernel(energy: m, beta: 1), schedule: NeuralMCMCSchedule(mode: .mixed(sweepsBetweenProposals: 0), chains: 2, burnInSteps: 0, samplesPerChain: 10),
                               seed: 1, chainStream: { UInt64($0) }, proposalStream: { 100 + UInt64($0) })
        }
    }
}
