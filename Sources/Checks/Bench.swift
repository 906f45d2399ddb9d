import CGSL
import Comparison
import CReference
import Dispatch
import Energies
import Exact
import Foundation
import GFlowNets
import GFNCore
import MCMC
import NeuralNet
import Settings

/// The numbers `bench` records (bench.json); throughputs are per second, measured in one run.
public struct BenchResult: Codable {
    public var quick: Bool
    public var rng: String
    public var cReferenceFlipsPerS: Double
    public var mhFlipsPerS: Double
    public var mhHeatBathUpdatesPerS: Double
    /// Heat-bath with the checkerboard scan (the Ising fast path: a sweep's uniforms first, then a branch-free pass).
    public var mhCheckerboardUpdatesPerS: Double
    public var mhRatioToC: Double
    public var mhTwoCoreSpeedup: Double
    /// k chains on k cores against one chain on one core, for k = 2, 4, … and all cores.
    public var mhSpeedupByCores: [String: Double]
    public var cores: Int
    public var gfnTrainTrajectoriesPerS: Double
    public var gfnSampleSamplesPerS: Double
    /// Sampling's GFLOP/s over sgemm's on the same forward products (10×10: the torchgfn-like
    /// configuration, and the fixed-order shared head at batch 128): the median of three rounds
    /// alternating the two, against the better of OpenBLAS's threads and single-threaded shards
    /// side by side (since 2026-12-05; before, against OpenBLAS's threads timed after the sampling).
    public var gfnSampleShareOfSgemm: Double
    public var gfnDefaultSampleShareOfSgemm: Double
    /// GFlowNet-in-MH independence steps per second with the project default on 10×10, and that
    /// over plain sampling's samples per second in the same run.
    public var gfnMhDefaultStepsPerS: Double
    public var gfnMhDefaultRatioToSampling: Double
    public var gfnTrainShareOfSgemm: Double
    public var gfnDefaultTrainTrajectoriesPerS: Double
    public var gfnDefaultSampleSamplesPerS: Double
    public var gfnDefaultTrainShareOfSgemm: Double
    public var gfnDefaultBatch64TrainTrajectoriesPerS: Double
    public var gfn4x4TrainTrajectoriesPerS: Double
    public var gfn4x4TorchgfnLikeTrainTrajectoriesPerS: Double
    /// The same configuration with P_B on the forward network's trunk (gfnx's baseline; the
    /// command line's `--backward-network` default), 10×10 and 4×4. The torchgfn-like fields
    /// above have P_B in its own network since 2026-12-02 (before, on the trunk).
    public var gfnTrunkTrainTrajectoriesPerS: Double
    public var gfnTrunkTrainShareOfSgemm: Double
    public var gfn4x4TrunkTrainTrajectoriesPerS: Double
    /// The torchgfn-like 10×10 configuration trained by one worker (OpenBLAS's own threads), and
    /// its share of sgemm: the same-run baseline of the training workers.
    public var gfnOneWorkerTrainTrajectoriesPerS: Double
    public var gfnOneWorkerTrainShareOfSgemm: Double
    /// The training workers the measured configurations use (the command line's default).
    public var gfnTrainWorkers: Int
    public var sgemmGflops: Double
    public var enumerationStatesPerS: [String: Double]
    /// The command line's default policy for these lattices (fixed order, per-step head, one hidden layer).
    public var gfnCliDefaultTrainTrajectoriesPerS: Double
    public var gfnCliDefaultSampleSamplesPerS: Double
    public var gfn4x4CliDefaultTrainTrajectoriesPerS: Double
    public var timeToQualitySeconds: Double?
    public var timeToQualityIterations: Int?
    public var mhTimeToQualitySeconds: Double?
    public var peakRssBytes: Int
    /// Peak resident memory of each measurement (the high-water mark is reset before each).
    public var peakRssBytesByMeasurement: [String: Int]
    /// Wall seconds and peak resident memory of the default comparison (`gfn-compare --energy ising`), run in process.
    public var defaultRunSeconds: Double?
    public var defaultRunPeakRssBytes: Int?
    public var cpuModel: String
    /// torchgfn and gfnx measured in this run (`--peers`), or null with the reason in `peersSkipped`.
    public var peers: PeerBench.Report?
    public var peersSkipped: String?
    /// The torchgfn-like 10×10 configuration with bf16 products (`--precision bf16`): training
    /// and sampling rates, and the gfnx-baseline-like one's training rate; null, with the reason
    /// in `bf16Skipped`, on a CPU without AVX512_BF16.
    public var gfnBf16TrainTrajectoriesPerS: Double?
    public var gfnBf16SampleSamplesPerS: Double?
    public var gfnTrunkBf16TrainTrajectoriesPerS: Double?
    public var bf16Skipped: String?
}


/// The bench's measurements, each as a ratio against a baseline measured in the same run
/// (`gfn-compare bench`; the command only parses its flags and writes the files).
public struct Bench {
    /// Short measurements (CI smoke runs).
    public var quick: Bool
    /// GSL generator of both the Swift and the C Metropolis loop.
    public var rng: RandomAlgorithm
    /// The peer environment's Python and scripts folder, and each peer's training seconds (nil: peers skipped).
    public var peers: (python: String, scripts: URL, seconds: Double)?
    /// The default comparison, timed in process without writing files (nil: not measured; `--quick` skips it too).
    public var defaultRun: RunSettings?

    public init(quick: Bool, rng: RandomAlgorithm, peers: (python: String, scripts: URL, seconds: Double)?, defaultRun: RunSettings?) {
        self.quick = quick; self.rng = rng; self.peers = peers; self.defaultRun = defaultRun
    }

    /// The table's rows and each measurement's peak memory, filled as the measurements run.
    final class Log {
        let progress: ProgressReporter
        var rows: [String] = ["| measurement | value | ratio / share |", "|---|---:|---:|"]
        var peaks: [String: Int] = [:]
        init(progress: ProgressReporter) { self.progress = progress }

        /// Runs one measurement with the peak-memory mark reset, recording its own peak.
        func tracking<R>(_ key: String, _ stage: String, _ body: () throws -> R) throws -> R {
            try Interruption.check()
            progress.begin(stage)
            PeakMemory.reset()
            defer {
                peaks[key] = PeakMemory.peak()
                PeakMemory.largest = max(PeakMemory.largest, peaks[key] ?? 0)
                progress.end("done")
            }
            return try body()
        }
    }

    /// Runs every measurement: the Markdown table (with the peak-memory table under it) and bench.json's record.
    public func run(progress: ProgressReporter) throws -> (table: String, result: BenchResult) {
        // The peer environment is checked before any measurement: a wrong path fails in seconds.
        let peerVersions = try peers.map { try PeerBench.check(python: $0.python, scripts: $0.scripts) }
        let log = Log(progress: progress)
        let mh = try measureMH(log)
        let speedups = try measureChains(log)
        let gfn = try measureGFlowNets(log)
        let peerReport = try peerVersions.map { try measurePeers(log, versions: $0) }
        if peerReport == nil { log.rows.append("| peers (torchgfn, gfnx) | skipped: no --peers PYTHON (make it with ../shared/peers/setup.sh) | |") }
        if !BF16Products.isSupported { log.rows.append("| GFlowNet with bf16 products | skipped: this CPU has no AVX512_BF16 | |") }
        let enumeration = try measureEnumeration(log)
        let quality = quick ? nil : try measureTimeToQuality(log)

        let rss = PeakMemory.processPeak
        log.rows.append(String(format: "| peak resident memory of this benchmark | %.0f MB | |", Double(rss) / 1_048_576))
        var memoryRows = ["", "Peak resident memory of each measurement (the high-water mark is reset before each; memory the process still holds from earlier measurements counts, so each figure is an upper bound\(PeakMemory.resettable ? "" : "; **the mark is not resettable here: each figure includes every measurement before it**")):", "",
                          "| measurement | peak RSS |", "|---|---:|"]
        for (key, bytes) in log.peaks.sorted(by: { $0.key < $1.key }) { memoryRows.append(String(format: "| %@ | %.0f MB |", key, Double(bytes) / 1_048_576)) }
        let table = (log.rows + memoryRows).joined(separator: "\n") + "\n"

        func g(_ key: String) -> GFNBench.Result { gfn[key]! }
        func share(_ r: GFNBench.Result) -> Double { r.stepFLOPs / r.stepSeconds / 1e9 / r.sgemmGFLOPS }
        let fixed10 = g("gfn_10x10_default"), any10 = g("gfn_10x10_torchgfn_like")
        let result = BenchResult(
            quick: quick, rng: rng.rawValue, cReferenceFlipsPerS: mh.c, mhFlipsPerS: mh.metropolis, mhHeatBathUpdatesPerS: mh.heatBath,
            mhCheckerboardUpdatesPerS: mh.checkerboard, mhRatioToC: mh.metropolis / mh.c, mhTwoCoreSpeedup: speedups["2"] ?? 0, mhSpeedupByCores: speedups,
            cores: ProcessInfo.processInfo.activeProcessorCount,
            gfnTrainTrajectoriesPerS: any10.trajectoriesPerSecond, gfnSampleSamplesPerS: any10.samplesPerSecond,
            gfnSampleShareOfSgemm: any10.samplingShareOfSgemm, gfnDefaultSampleShareOfSgemm: fixed10.samplingShareOfSgemm,
            gfnMhDefaultStepsPerS: fixed10.gfnMHStepsPerSecond, gfnMhDefaultRatioToSampling: fixed10.gfnMHStepsPerSecond / fixed10.samplesPerSecond,
            gfnTrainShareOfSgemm: share(any10),
            gfnDefaultTrainTrajectoriesPerS: fixed10.trajectoriesPerSecond, gfnDefaultSampleSamplesPerS: fixed10.samplesPerSecond,
            gfnDefaultTrainShareOfSgemm: share(fixed10),
            gfnDefaultBatch64TrainTrajectoriesPerS: g("gfn_10x10_default_batch64").trajectoriesPerSecond,
            gfn4x4TrainTrajectoriesPerS: g("gfn_4x4_default").trajectoriesPerSecond,
            gfn4x4TorchgfnLikeTrainTrajectoriesPerS: g("gfn_4x4_torchgfn_like").trajectoriesPerSecond,
            gfnTrunkTrainTrajectoriesPerS: g("gfn_10x10_trunk_pb").trajectoriesPerSecond, gfnTrunkTrainShareOfSgemm: share(g("gfn_10x10_trunk_pb")),
            gfn4x4TrunkTrainTrajectoriesPerS: g("gfn_4x4_trunk_pb").trajectoriesPerSecond,
            gfnOneWorkerTrainTrajectoriesPerS: g("gfn_10x10_torchgfn_like_one_worker").trajectoriesPerSecond,
            gfnOneWorkerTrainShareOfSgemm: share(g("gfn_10x10_torchgfn_like_one_worker")), gfnTrainWorkers: Self.torchgfnLike.workers,
            sgemmGflops: fixed10.sgemmGFLOPS,
            enumerationStatesPerS: enumeration,
            gfnCliDefaultTrainTrajectoriesPerS: g("gfn_10x10_cli_default").trajectoriesPerSecond,
            gfnCliDefaultSampleSamplesPerS: g("gfn_10x10_cli_default").samplesPerSecond,
            gfn4x4CliDefaultTrainTrajectoriesPerS: g("gfn_4x4_cli_default").trajectoriesPerSecond,
            timeToQualitySeconds: quality?.gfn?.0, timeToQualityIterations: quality?.gfn?.1,
            mhTimeToQualitySeconds: quality?.mh, peakRssBytes: rss, peakRssBytesByMeasurement: log.peaks,
            defaultRunSeconds: quality?.defaultRun, defaultRunPeakRssBytes: log.peaks["default_run"], cpuModel: MachineInfo.cpuModel,
            peers: peerReport, peersSkipped: peerReport == nil ? "no --peers PYTHON given" : nil,
            gfnBf16TrainTrajectoriesPerS: gfn["gfn_10x10_torchgfn_like_bf16"]?.trajectoriesPerSecond,
            gfnBf16SampleSamplesPerS: gfn["gfn_10x10_torchgfn_like_bf16"]?.samplesPerSecond,
            gfnTrunkBf16TrainTrajectoriesPerS: gfn["gfn_10x10_trunk_pb_bf16"]?.trajectoriesPerSecond,
            bf16Skipped: BF16Products.isSupported ? nil : "this CPU has no AVX512_BF16")
        return (table, result)
    }

    var attempts: Int { quick ? 2_000_000 : 40_000_000 }
    static let side = 64

    /// (a) Single-site Metropolis, heat-bath and the checkerboard heat-bath on 64×64 against the
    /// C loop doing the same work with the same generator; repetitions interleaved so drift in
    /// the machine's speed hits all alike, the best of each kept.
    func measureMH(_ log: Log) throws -> (c: Double, metropolis: Double, heatBath: Double, checkerboard: Double) {
        let side = Self.side, beta = defaultBeta, attempts = attempts, rng = rng
        let model = try IsingModel(lattice: SquareLattice(rows: side, cols: side, boundary: .periodic))
        let n = model.variableCount
        func swiftRate(_ kind: KernelKind, scan: ScanOrder = .random) throws -> Double {
            let stream = RandomStream(seed: 7, stream: 0, algorithm: rng)
            let schedule = ChainSchedule(chains: 1, burnInSweeps: attempts / n, samplesPerChain: 1, thinSweeps: 1, scan: scan)
            let t0 = DispatchTime.now().uptimeNanoseconds
            let trace: ChainTrace
            switch kind {
            case .metropolis: trace = try ChainRunner.runChain(kernel: MetropolisKernel(energy: model, beta: beta), schedule: schedule, rng: stream)
            case .heatBath: trace = try ChainRunner.runChain(kernel: HeatBathKernel(energy: model, beta: beta), schedule: schedule, rng: stream)
            case .gridStep: trace = try ChainRunner.runChain(kernel: GridStepKernel(energy: model, beta: beta), schedule: schedule, rng: stream)
            }
            return Double(trace.counters.proposals) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        func cRate() -> Double {
            let stream = RandomStream(seed: 7, stream: 0, algorithm: rng)
            var spins = (0..<n).map { _ in UInt8(stream.integer(below: 2)) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = spins.withUnsafeMutableBufferPointer { gfn_c_reference_metropolis($0.baseAddress, Int32(side), beta, attempts, stream.pointer) }
            return Double(attempts) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        var c = 0.0, metropolis = 0.0, heatBath = 0.0, checkerboard = 0.0
        try log.tracking("mh_64x64", "MH and the C reference loop, 64×64") {
            for _ in 0..<3 {
                c = max(c, cRate()); metropolis = max(metropolis, try swiftRate(.metropolis)); heatBath = max(heatBath, try swiftRate(.heatBath))
                checkerboard = max(checkerboard, try swiftRate(.heatBath, scan: .checkerboard))
            }
        }
        log.rows.append(String(format: "| C reference Metropolis, 64×64, %@ | %.3g flips/s | 1.00 |", rng.rawValue, c))
        log.rows.append(String(format: "| Swift Metropolis, 64×64 | %.3g flips/s | %.2f× C |", metropolis, metropolis / c))
        log.rows.append(String(format: "| Swift heat-bath, 64×64 | %.3g updates/s | %.2f× C |", heatBath, heatBath / c))
        log.rows.append(String(format: "| Swift heat-bath, checkerboard scan (uniforms drawn per sweep, branch-free C pass), 64×64 | %.3g updates/s | %.2f× C, %.2f× Swift Metropolis |",
                               checkerboard, checkerboard / c, checkerboard / metropolis))
        return (c, metropolis, heatBath, checkerboard)
    }

    /// (b) Independent chains from 1 to all cores: the speed-up of k chains on k cores is k times
    /// one chain's time over the time of k chains run in parallel (the same work per chain).
    func measureChains(_ log: Log) throws -> [String: Double] {
        let model = try IsingModel(lattice: SquareLattice(rows: Self.side, cols: Self.side, boundary: .periodic))
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let kernel = MetropolisKernel(energy: model, beta: defaultBeta)
        let perChainSweeps = attempts / model.variableCount / 2
        func chainsSeconds(_ k: Int) throws -> Double {
            let schedule = ChainSchedule(chains: k, burnInSweeps: perChainSweeps, samplesPerChain: 1, thinSweeps: 1, scan: .random)
            var best = Double.infinity
            for _ in 0..<3 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                if k == 1 {
                    _ = try ChainRunner.runChain(kernel: kernel, schedule: schedule, rng: RandomStream(seed: 3, stream: 0))
                } else {
                    _ = try ChainRunner.run(kernel: kernel, schedule: schedule, seed: 3)
                }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0))
            }
            return best
        }
        var speedups: [String: Double] = [:]
        let coreCounts = Array(Set([2, cores] + (0..<7).map { 1 << $0 }.filter { $0 <= cores })).filter { $0 >= 2 }.sorted()
        try log.tracking("mh_chains_on_all_cores", "MH, 1 to \(cores) cores") {
            let one = try chainsSeconds(1)
            for k in coreCounts { speedups[String(k)] = Double(k) * one / (try chainsSeconds(k)) }
        }
        for k in coreCounts {
            log.rows.append(String(format: "| MH, %d independent chains on %d cores vs 1 chain on 1 | | %.2f× speed-up |", k, k, speedups[String(k)] ?? 0))
        }
        return speedups
    }

    /// (c) GFlowNet training and sampling at β_c, with the share of sgemm at the step's shapes.
    func measureGFlowNets(_ log: Log) throws -> [String: GFNBench.Result] {
        var measured: [String: GFNBench.Result] = [:]
        for c in Self.gflowNetCases {
            let s = c.side, label = c.label
            let r = try log.tracking(c.key, "GFlowNet \(s)×\(s) \(label)") {
                // Samples in inverse proportion to the trajectory's length, so each timed sampling
                // round lasts about as long on 4×4 as on 10×10 (≥ 0.5 s): at 20,000 a 4×4 round
                // took 0.2-0.5 s, and its three rounds' shares spread over 67-97%.
                try GFNBench.measure(side: s, settings: c.settings, iterations: quick ? 3 : (s == 10 ? 30 : 300),
                                     warmup: quick ? 1 : 5, samples: quick ? 500 : 2_000_000 / (s * s), sgemmSeconds: quick ? 0.02 : 0.3)
            }
            let achieved = r.stepFLOPs / r.stepSeconds / 1e9
            if let key = c.oneWorkerBaselineOf, let sharded = measured[key] {
                log.rows.append(String(format: "| GFlowNet %d×%d %@: training | %.0f trajectories/s | %.0f%% of sgemm at these shapes (%.1f of %.1f GFLOP/s); %d workers train %.2f× as fast |",
                                       s, s, label, r.trajectoriesPerSecond, 100 * achieved / r.sgemmGFLOPS, achieved, r.sgemmGFLOPS,
                                       Self.torchgfnLike.workers, sharded.trajectoriesPerSecond / r.trajectoriesPerSecond))
                measured[c.key] = r
                continue
            }
            if let key = c.bf16ComparedTo, let fp32 = measured[key] {
                // Its share of fp32 sgemm's rate would pass 100%: the same-run fp32 step is the yardstick.
                log.rows.append(String(format: "| GFlowNet %d×%d %@: training, %d workers | %.0f trajectories/s | %.2f× the fp32 step (%.1f GFLOP/s; fp32 sgemm alone at these shapes: %.1f) |",
                                       s, s, label, c.settings.workers, r.trajectoriesPerSecond, r.trajectoriesPerSecond / fp32.trajectoriesPerSecond,
                                       achieved, r.sgemmGFLOPS))
                log.rows.append(String(format: "| GFlowNet %d×%d %@: sampling | %.0f samples/s | %.2f× fp32 sampling |", s, s, label, r.samplesPerSecond,
                                       r.samplesPerSecond / fp32.samplesPerSecond))
                measured[c.key] = r
                continue
            }
            if c.settings.head == .perStep, let shared = measured["gfn_\(s)x\(s)_default"] {
                // One 256 → 2 block per step: products too small for a share of sgemm's rate to mean anything.
                log.rows.append(String(format: "| GFlowNet %d×%d %@: training | %.0f trajectories/s | %.1f× the shared head's rate on this lattice |",
                                       s, s, label, r.trajectoriesPerSecond, r.trajectoriesPerSecond / shared.trajectoriesPerSecond))
            } else {
                // The denominator is the better way of running the same products alone: OpenBLAS's
                // threads on the whole batch, or (with workers) the shards' products side by side.
                let sgemm = r.sgemmShardedGFLOPS.map { String(format: "; sgemm alone: %.1f threaded, %.1f as %d shards", r.sgemmThreadedGFLOPS, $0, c.settings.workers) } ?? ""
                log.rows.append(String(format: "| GFlowNet %d×%d %@: training, %d worker%@ | %.0f trajectories/s | %.0f%% of sgemm at these shapes (%.1f of %.1f GFLOP/s%@) |",
                                       s, s, label, c.settings.workers, c.settings.workers == 1 ? "" : "s", r.trajectoriesPerSecond,
                                       100 * achieved / r.sgemmGFLOPS, achieved, r.sgemmGFLOPS, sgemm))
            }
            log.rows.append(String(format: "| GFlowNet %d×%d %@: sampling | %.0f samples/s | %.0f%% of sgemm at its forward products (%@) |", s, s, label, r.samplesPerSecond,
                                   100 * r.samplingShareOfSgemm, GFNBench.describe(r.samplingRounds)))
            log.rows.append(String(format: "| GFlowNet-in-MH %d×%d %@: independence steps (draw + log P_F + E(x) + test) | %.0f steps/s | %.2f× its sampling; acceptance %.3f (after %d training steps) |",
                                   s, s, label, r.gfnMHStepsPerSecond, r.gfnMHStepsPerSecond / r.samplesPerSecond, r.gfnMHAcceptance, r.trainedSteps))
            measured[c.key] = r
        }
        return measured
    }

    /// (d) Enumeration of 2^20 and 2^24 states (2^16 with `quick`).
    func measureEnumeration(_ log: Log) throws -> [String: Double] {
        var enumeration: [String: Double] = [:]
        for bits in quick ? [16] : [20, 24] {
            let m = try IsingModel(lattice: SquareLattice(rows: 4, cols: bits / 4, boundary: .periodic))
            let dt = try log.tracking("enumeration_2^\(bits)", "enumeration of 2^\(bits) states") {
                let t = DispatchTime.now().uptimeNanoseconds
                _ = try Enumerator.enumerate(m, beta: defaultBeta)
                return Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
            }
            enumeration["2^\(bits)"] = Double(1 << bits) / dt
            log.rows.append(String(format: "| enumeration of 2^%d states (4×%d) | %.3f s | %.3g states/s |", bits, bits / 4, dt, Double(1 << bits) / dt))
        }
        return enumeration
    }

    /// (e) Time to quality on 4×4 at β_c with the default settings, and the whole default run.
    func measureTimeToQuality(_ log: Log) throws -> (gfn: (Double, Int)?, mh: Double?, defaultRun: Double?) {
        let ttq = try log.tracking("gfn_time_to_quality", "GFlowNet time to quality, 4×4 at β_c") { try GFNBench.timeToQuality(maxIterations: 20_000) }
        let mhTTQ = try log.tracking("mh_time_to_quality", "MH time to quality, 4×4 at β_c") { try GFNBench.mhTimeToQuality() }
        // The whole default comparison, as `gfn-compare --energy ising` runs it (without writing the report).
        let defaultRun = try defaultRun.map { settings in
            try log.tracking("default_run", "the default run (gfn-compare --energy ising)") {
                let t = DispatchTime.now().uptimeNanoseconds
                _ = try ComparisonRun.run(settings, command: "gfn-compare bench")
                return Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
            }
        }
        log.rows.append(ttq.map { String(format: "| GFlowNet time to quality, 4×4 at β_c (TV(P_T, p) ≤ 0.02 and |Δlog Z| < 0.02) | %.1f s | %d iterations |", $0.0, $0.1) }
                        ?? "| GFlowNet time to quality, 4×4 at β_c | not reached in 20,000 iterations | |")
        log.rows.append(mhTTQ.map { String(format: "| MH time to quality, 4×4 at β_c (10⁶ samples, thinned TV within its noise floor) | %.2f s | |", $0) }
                        ?? "| MH time to quality | not reached at 10⁶ samples | |")
        log.rows.append(String(format: "| the default run (`gfn-compare --energy ising`: both samplers, metrics, no files) | %.1f s | peak %.0f MB |",
                               defaultRun ?? 0, Double(log.peaks["default_run"] ?? 0) / 1_048_576))
        return (ttq, mhTTQ, defaultRun)
    }
}

extension BenchResult {
    /// bench.json: sorted keys, snake_case; measurements skipped by `--quick` are null, not
    /// absent, so every key is always there.
    public func jsonData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.keyEncodingStrategy = .convertToSnakeCase
        var object = try JSONSerialization.jsonObject(with: enc.encode(self)) as? [String: Any] ?? [:]
        for key in ["time_to_quality_seconds", "time_to_quality_iterations", "mh_time_to_quality_seconds",
                    "default_run_seconds", "default_run_peak_rss_bytes", "peers", "peers_skipped"] where object[key] == nil {
            object[key] = NSNull()
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}

/// The process's peak resident memory (VmHWM), with the high-water mark resettable between
/// measurements (Linux: writing 5 to /proc/self/clear_refs).
public enum PeakMemory {
    /// Whether the mark could be reset (some sandboxes refuse the write).
    nonisolated(unsafe) static var resettable = true

    static func reset() {
        do { try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) } catch { resettable = false }
    }

    /// Peak resident bytes since the last reset.
    static func peak() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
        }
        return 0
    }

    /// The largest peak seen by any measurement so far (the process's own peak once the mark has been reset).
    nonisolated(unsafe) static var largest = 0
    static var processPeak: Int { max(largest, peak()) }
}
