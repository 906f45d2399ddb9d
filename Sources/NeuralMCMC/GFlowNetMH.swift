import Dispatch
import Energies
import Foundation
import GFlowNets
import GFNCore
import MCMC
import Settings

/// How a trained GFlowNet enters a Metropolis-Hastings chain.
public enum NeuralMCMCMode: Sendable, Equatable {
    /// Neural MCMC: every step proposes a fresh GFlowNet draw (an independence sampler).
    case independence
    /// `sweepsBetweenProposals` sweeps of the run's local kernel, then one GFlowNet proposal, and again.
    case mixed(sweepsBetweenProposals: Int)
}

/// The schedule of GFlowNet-in-MH chains. A *step* is one GFlowNet proposal (independence) or
/// one sweep of local moves (mixed).
public struct NeuralMCMCSchedule: Sendable, Equatable {
    public var mode: NeuralMCMCMode
    public var chains: Int
    public var burnInSteps: Int
    public var samplesPerChain: Int
    /// Steps between recorded samples.
    public var thinSteps: Int
    /// Site order of the local sweeps (mixed mode).
    public var scan: ScanOrder

    public init(mode: NeuralMCMCMode, chains: Int, burnInSteps: Int, samplesPerChain: Int, thinSteps: Int = 1, scan: ScanOrder = .random) {
        self.mode = mode; self.chains = chains; self.burnInSteps = burnInSteps
        self.samplesPerChain = samplesPerChain; self.thinSteps = thinSteps; self.scan = scan
    }
}

/// What one GFlowNet-in-MH chain recorded: its draws, local-move counters (mixed mode) and the
/// GFlowNet proposals' own counts.
public struct NeuralChainTrace: Sendable {
    public var trace: ChainTrace
    /// GFlowNet proposals made and accepted (burn-in included).
    public var proposals: Int
    public var acceptances: Int
    /// The most GFlowNet proposals rejected in a row.
    public var longestRejectionRun: Int
    /// Seconds spent in the network (drawing proposals, scoring the current state).
    public var networkSeconds: Double
}

/// Metropolis-Hastings with a trained GFlowNet as the proposal: asymptotically exact whatever
/// the GFlowNet's bias.
///
/// The chain lives on (x, τ), a terminal state and a trajectory that builds it, with target
/// p(x)·P_B(τ|x), whose marginal on x is p. A GFlowNet draw τ' ~ P_F (ending in x') is accepted
/// with probability min(1, w(τ')/w(τ)), w(τ) = exp(−β·E(x))·P_B(τ|x)/P_F(τ): an independence
/// Metropolis-Hastings step on that space. On the fixed order τ is x's single path and P_B = 1,
/// so w = R(x)/P_T(x) exactly; on the any-order DAG the trajectory is carried along (the
/// extended-space, pseudo-marginal form), so no P_T(x) needs estimating. After local moves
/// change x (mixed mode) τ is redrawn from its conditional P_B(·|x), a Gibbs step on τ.
public enum GFlowNetMH {
    /// Runs `schedule.chains` chains one after the other (the network's BLAS threads are the
    /// run's, and results do not depend on scheduling). Chain c draws its local moves, backward
    /// trajectories and acceptances from stream `chainStream(c)` and its GFlowNet proposals from
    /// `proposalStream(c)`.
    ///
    /// - Parameter gfn: the trained GFlowNet whose draws are proposed.
    /// - Parameter kernel: the local kernel of mixed mode (ignored by the independence chain).
    /// - Parameter schedule: chains, mode, burn-in, samples per chain and thinning.
    /// - Parameter seed: the run's seed.
    /// - Parameter chainStream: chain c's stream index for local moves, backward trajectories and acceptances.
    /// - Parameter proposalStream: chain c's stream index for its GFlowNet proposals.
    /// - Parameter start: writes chain c's first state (its trajectory is then drawn from P_B);
    ///   nil: each chain starts from a GFlowNet draw.
    /// - Parameter keepStates: keep every recorded state in the traces (`--save-draws`).
    /// - Parameter progress: called with the completed fraction of all chains.
    public static func run<Env: ConstructionEnvironment, K: SiteKernel>(
        gfn: GFlowNet<Env>, kernel: K, schedule: NeuralMCMCSchedule, seed: UInt64,
        chainStream: (Int) -> UInt64, proposalStream: (Int) -> UInt64,
        start: ((Int, UnsafeMutablePointer<UInt8>) -> Void)? = nil, keepStates: Bool = false,
        progress: ((Double) -> Void)? = nil
    ) throws -> [NeuralChainTrace] {
        guard (1...4096).contains(schedule.chains) else { throw GFNError.invalidInput("--chains must be between 1 and 4096 (got \(schedule.chains))") }
        guard schedule.samplesPerChain >= 1, schedule.thinSteps >= 1, schedule.burnInSteps >= 0 else {
            throw GFNError.invalidInput("the GFlowNet-MH schedule needs at least 1 sample, thinning ≥ 1 and burn-in ≥ 0")
        }
        if case .mixed(let k) = schedule.mode, k < 1 { throw GFNError.invalidInput("--gfn-mh-every must be at least 1 sweep (got \(k))") }
        guard gfn.environment.assignmentSize == kernel.energy.variableCount else {
            throw GFNError.invalidInput("the GFlowNet's states have \(gfn.environment.assignmentSize) variables, the energy \(kernel.energy.variableCount)")
        }
        try ChainRunner.check(kernel: kernel, scan: schedule.scan)
        let sites = try SiteSweeper<K>.sites(for: schedule.scan, model: kernel.energy)
        var traces: [NeuralChainTrace] = []
        for c in 0..<schedule.chains {
            let chain = NeuralChain(gfn: gfn, kernel: kernel, sweeper: SiteSweeper(kernel: kernel, scan: schedule.scan, sites: sites), rng: RandomStream(seed: seed, stream: chainStream(c)),
                                    proposals: RandomStream(seed: seed, stream: proposalStream(c)), batch: proposalBatch(schedule))
            traces.append(chain.run(schedule, start: start.map { f in { f(c, $0) } }, keepStates: keepStates) { f in progress?((Double(c) + f) / Double(schedule.chains)) })
            try Interruption.check()
        }
        return traces
    }

    /// GFlowNet draws made per network batch: 256, or fewer when a chain needs fewer in all (many short chains).
    static func proposalBatch(_ s: NeuralMCMCSchedule) -> Int {
        let steps = s.burnInSteps + s.samplesPerChain * s.thinSteps
        switch s.mode {
        case .independence: return max(1, min(256, steps + 1))
        case .mixed(let k): return max(1, min(256, steps / max(k, 1) + 1))
        }
    }

    /// Probability that one GFlowNet step moves from state x (log weight `logWeightX`) to the
    /// proposal x' (log weight `logWeightY`): min(1, w'/w). Exposed for the kernel tests.
    @inlinable public static func acceptance(logWeightX: Double, logWeightY: Double) -> Double {
        let d = logWeightY - logWeightX
        return d >= 0 ? 1 : exp(d)
    }
}

/// One chain: its state, its GFlowNet proposal queue and its backward scorer.
final class NeuralChain<Env: ConstructionEnvironment, K: SiteKernel> {
    let gfn: GFlowNet<Env>
    let kernel: K
    /// The local sweeps of mixed mode, in the schedule's scan order.
    let sweeper: SiteSweeper<K>
    let rng: RandomStream
    let queue: ProposalQueue<Env>
    let scorer: BackwardTrajectoryScorer<Env>
    let n: Int
    let beta: Double
    let x: UnsafeMutablePointer<UInt8>
    let y: UnsafeMutablePointer<UInt8>
    let terminal: UnsafeMutablePointer<Int32>
    var networkNanoseconds: UInt64 = 0

    init(gfn: GFlowNet<Env>, kernel: K, sweeper: SiteSweeper<K>, rng: RandomStream, proposals: RandomStream, batch: Int) {
        self.gfn = gfn; self.kernel = kernel; self.sweeper = sweeper; self.rng = rng
        n = kernel.energy.variableCount
        beta = kernel.beta
        queue = ProposalQueue(gfn: gfn, rng: proposals, batch: batch)
        scorer = BackwardTrajectoryScorer(gfn, capacity: 1)
        x = .allocate(capacity: n); y = .allocate(capacity: n)
        terminal = .allocate(capacity: gfn.environment.stateSize)
    }
    deinit { x.deallocate(); y.deallocate(); terminal.deallocate() }

    func timed<T>(_ body: () -> T) -> T {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { networkNanoseconds += DispatchTime.now().uptimeNanoseconds - t0 }
        return body()
    }

    func run(_ schedule: NeuralMCMCSchedule, start: ((UnsafeMutablePointer<UInt8>) -> Void)?, keepStates: Bool,
             progress: (Double) -> Void) -> NeuralChainTrace {
        let model = kernel.energy
        var recorder = TraceRecorder(model: model, capacity: schedule.samplesPerChain, keepStates: keepStates)
        var counters = MoveCounters()
        var proposals = 0, acceptances = 0, rejectionRun = 0, longestRun = 0
        let totalSteps = schedule.burnInSteps + schedule.samplesPerChain * schedule.thinSteps
        let progressEvery = max(1, totalSteps / 100)
        var stepsDone = 0

        // Start from a GFlowNet draw (its trajectory comes with it), or from the given state
        // (its trajectory is drawn from P_B at the first GFlowNet step).
        var startRatio = 0.0
        if let start {
            start(x)
        } else {
            guard let r = timed({ queue.next(into: x) }) else {
                return NeuralChainTrace(trace: recorder.finish(counters: counters, burnInSeconds: 0, samplingSeconds: 0),
                                        proposals: 0, acceptances: 0, longestRejectionRun: 0, networkSeconds: 0)
            }
            startRatio = r
        }
        var energy = model.energy(UnsafePointer(x))
        counters.fullEvaluations += 1
        // log w(x, τ) = −β·E(x) + log P_B(τ|x) − log P_F(τ), current while x is unchanged.
        var logWeight = -beta * energy + startRatio
        var weightCurrent = start == nil
        var sweepsSinceProposal = 0
        var stopped = false

        func gfnStep() {
            if !weightCurrent {
                // Local moves changed x: redraw τ ~ P_B(·|x) and score it.
                gfn.environment.writeTerminal(assignment: UnsafePointer(x), into: terminal)
                var logW = 0.0
                timed { scorer.score(terminal, rows: 1, rng: rng, into: &logW) }
                logWeight = -beta * energy - logW
                weightCurrent = true
            }
            guard let ratio = timed({ queue.next(into: y) }) else { stopped = true; return }
            let proposedEnergy = model.energy(UnsafePointer(y))
            counters.fullEvaluations += 1
            let proposedWeight = -beta * proposedEnergy + ratio
            proposals += 1
            if proposedWeight >= logWeight || rng.uniform() < exp(proposedWeight - logWeight) {
                x.update(from: y, count: n)
                energy = proposedEnergy; logWeight = proposedWeight
                acceptances += 1
                rejectionRun = 0
            } else {
                rejectionRun += 1
                longestRun = max(longestRun, rejectionRun)
            }
        }

        func step() {
            switch schedule.mode {
            case .independence:
                gfnStep()
            case .mixed(let k):
                sweeper.sweep(x, rng: rng, counters: &counters, energy: &energy)
                weightCurrent = false
                sweepsSinceProposal += 1
                if sweepsSinceProposal == k { sweepsSinceProposal = 0; gfnStep() }
            }
            stepsDone += 1
            if stepsDone % progressEvery == 0 { progress(Double(stepsDone) / Double(totalSteps)) }
            if Interruption.requested { stopped = true }
        }

        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<schedule.burnInSteps where !stopped { step() }
        let t1 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<schedule.samplesPerChain where !stopped {
            for _ in 0..<schedule.thinSteps where !stopped { step() }
            if stopped { break }
            if case .independence = schedule.mode { recorder.record(UnsafePointer(x), memory: logWeight) } else { recorder.record(UnsafePointer(x)) }
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        return NeuralChainTrace(trace: recorder.finish(counters: counters, burnInSeconds: Double(t1 - t0) / 1e9, samplingSeconds: Double(t2 - t1) / 1e9),
                                proposals: proposals, acceptances: acceptances, longestRejectionRun: longestRun,
                                networkSeconds: Double(networkNanoseconds) / 1e9)
    }
}

/// GFlowNet draws made `batch` at a time (one network pass per construction step for the whole
/// batch) and handed out one by one with their log P_B(τ|x) − log P_F(τ).
final class ProposalQueue<Env: ConstructionEnvironment> {
    let gfn: GFlowNet<Env>
    let rng: RandomStream
    let batch: Int
    let n: Int
    var states: [UInt8]
    var logRatios: [Double]
    var filled = 0, next = 0

    init(gfn: GFlowNet<Env>, rng: RandomStream, batch: Int = 256) {
        self.gfn = gfn; self.rng = rng; self.batch = batch
        n = gfn.environment.assignmentSize
        states = [UInt8](repeating: 0, count: batch * n)
        logRatios = [Double](repeating: 0, count: batch)
    }

    /// Writes the next draw into x and returns its log P_B(τ|x) − log P_F(τ); nil when a stop was requested.
    func next(into x: UnsafeMutablePointer<UInt8>) -> Double? {
        if next == filled {
            filled = 0; next = 0
            let env = gfn.environment, n = self.n
            states.withUnsafeMutableBufferPointer { buf in
                GFlowNetSampler.forEachSample(gfn, count: batch, rng: rng, batch: batch) { s, pf, pb in
                    env.assignment(of: s, into: buf.baseAddress! + filled * n)
                    logRatios[filled] = pb - pf
                    filled += 1
                }
            }
            if filled == 0 { return nil }
        }
        states.withUnsafeBufferPointer { x.update(from: $0.baseAddress! + next * n, count: n) }
        next += 1
        return logRatios[next - 1]
    }
}
