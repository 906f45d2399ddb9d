import ArgumentParser
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

/// The numbers `bench` records (bench.json); throughputs are per second, measured in one run.
struct BenchResult: Codable {
    var quick: Bool
    var rng: String
    var cReferenceFlipsPerS: Double
    var mhFlipsPerS: Double
    var mhHeatBathUpdatesPerS: Double
    /// Heat-bath with the checkerboard scan (the Ising fast path: a sweep's uniforms first, then a branch-free pass).
    var mhCheckerboardUpdatesPerS: Double
    var mhRatioToC: Double
    var mhTwoCoreSpeedup: Double
    /// k chains on k cores against one chain on one core, for k = 2, 4, … and all cores.
    var mhSpeedupByCores: [String: Double]
    var cores: Int
    var gfnTrainTrajectoriesPerS: Double
    var gfnSampleSamplesPerS: Double
    /// GFlowNet-in-MH independence steps per second with the project default on 10×10, and that
    /// over plain sampling's samples per second in the same run.
    var gfnMhDefaultStepsPerS: Double
    var gfnMhDefaultRatioToSampling: Double
    var gfnTrainShareOfSgemm: Double
    var gfnDefaultTrainTrajectoriesPerS: Double
    var gfnDefaultSampleSamplesPerS: Double
    var gfnDefaultTrainShareOfSgemm: Double
    var gfnDefaultBatch64TrainTrajectoriesPerS: Double
    var gfn4x4TrainTrajectoriesPerS: Double
    var gfn4x4TorchgfnLikeTrainTrajectoriesPerS: Double
    var sgemmGflops: Double
    var enumerationStatesPerS: [String: Double]
    /// The command line's default policy for these lattices (fixed order, per-step head, one hidden layer).
    var gfnCliDefaultTrainTrajectoriesPerS: Double
    var gfnCliDefaultSampleSamplesPerS: Double
    var gfn4x4CliDefaultTrainTrajectoriesPerS: Double
    var timeToQualitySeconds: Double?
    var timeToQualityIterations: Int?
    var mhTimeToQualitySeconds: Double?
    var peakRssBytes: Int
    /// Peak resident memory of each measurement (the high-water mark is reset before each).
    var peakRssBytesByMeasurement: [String: Int]
    /// Wall seconds and peak resident memory of the default comparison (`gfn-compare --energy ising`), run in process.
    var defaultRunSeconds: Double?
    var defaultRunPeakRssBytes: Int?
    var cpuModel: String
    /// torchgfn and gfnx measured in this run (`--peers`), or null with the reason in `peersSkipped`.
    var peers: PeerBench.Report?
    var peersSkipped: String?
}

/// Speed measurements, each as a ratio against a baseline measured in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure sampler, network and enumeration speed (release builds only give meaningful numbers).",
        discussion: "Writes a Markdown table to stdout and, with --out DIR, DIR/bench.md and DIR/bench.json.")

    @Flag(help: "Short measurements (for CI smoke runs).")
    var quick = false

    @Option(help: "GSL generator for both the Swift and the C loop.")
    var rng: RandomAlgorithm = .taus2

    @Option(help: "Folder for bench.md and bench.json.")
    var out: String?

    @Option(help: "Python of the peer environment (../shared/peers/setup.sh prints it): also measure torchgfn and gfnx on the same configurations in this run.")
    var peers: String?

    @Option(name: .customLong("peer-scripts"), help: "Folder of the peer scripts (gfn_ising_tb.py, gfnx_ising_tb.py).")
    var peerScripts: String = "../shared/peers"

    @Option(name: .customLong("peer-seconds"), parsing: .unconditional, help: "Training seconds of each peer measurement (default: 30, 3 with --quick).", transform: finiteDouble)
    var peerSeconds: Double?

    @Flag(help: "No progress lines on stderr.")
    var quiet = false

    func run() throws {
        if let out { try AtomicOutput.checkWritable(directory: URL(fileURLWithPath: out), replace: true) }
        if let s = peerSeconds, !(s > 0 && s <= 3600) { throw GFNError.invalidInput("--peer-seconds must be between 0 and 3600 (got \(s))") }
        if peerSeconds != nil && peers == nil { throw GFNError.invalidInput("--peer-seconds needs --peers PYTHON") }
        let peerFolder = URL(fileURLWithPath: peerScripts)
        // The peer environment is checked before any measurement: a wrong path fails in seconds.
        let peerVersions = try peers.map { try PeerBench.check(python: $0, scripts: peerFolder) }
        let progress = ProgressReporter(enabled: !quiet)
        var peaks: [String: Int] = [:]
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
        var rows: [String] = ["| measurement | value | ratio / share |", "|---|---:|---:|"]
        let side = 64
        let attempts = quick ? 2_000_000 : 40_000_000
        let beta = defaultBeta
        let model = try IsingModel(lattice: SquareLattice(rows: side, cols: side, boundary: .periodic))
        let n = model.variableCount

        // (a) Single-site Metropolis on 64×64 against the C loop doing the same work with the same generator.
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
        // Interleave repetitions so drift in machine speed hits both alike; keep the best of each.
        var c = 0.0, metropolis = 0.0, heatBath = 0.0, checkerboard = 0.0
        try tracking("mh_64x64", "MH and the C reference loop, 64×64") {
            for _ in 0..<3 {
                c = max(c, cRate()); metropolis = max(metropolis, try swiftRate(.metropolis)); heatBath = max(heatBath, try swiftRate(.heatBath))
                checkerboard = max(checkerboard, try swiftRate(.heatBath, scan: .checkerboard))
            }
        }
        rows.append(String(format: "| C reference Metropolis, 64×64, %@ | %.3g flips/s | 1.00 |", rng.rawValue, c))
        rows.append(String(format: "| Swift Metropolis, 64×64 | %.3g flips/s | %.2f× C |", metropolis, metropolis / c))
        rows.append(String(format: "| Swift heat-bath, 64×64 | %.3g updates/s | %.2f× C |", heatBath, heatBath / c))
        rows.append(String(format: "| Swift heat-bath, checkerboard scan (uniforms drawn per sweep, branch-free C pass), 64×64 | %.3g updates/s | %.2f× C, %.2f× Swift Metropolis |",
                           checkerboard, checkerboard / c, checkerboard / metropolis))

        // (b) Independent chains from 1 to all cores: the speed-up of k chains on k cores is k times
        // one chain's time over the time of k chains run in parallel (the same work per chain).
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let kernel = MetropolisKernel(energy: model, beta: beta)
        let perChainSweeps = attempts / n / 2
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
        try tracking("mh_chains_on_all_cores", "MH, 1 to \(cores) cores") {
            let one = try chainsSeconds(1)
            for k in coreCounts { speedups[String(k)] = Double(k) * one / (try chainsSeconds(k)) }
        }
        for k in coreCounts {
            rows.append(String(format: "| MH, %d independent chains on %d cores vs 1 chain on 1 | | %.2f× speed-up |", k, k, speedups[String(k)] ?? 0))
        }

        // (c) GFlowNet training and sampling at β_c, with the share of sgemm at the step's shapes.
        var torchgfnLike = GFlowNetSettings()
        torchgfnLike.order = .any; torchgfnLike.backward = .learned; torchgfnLike.hidden = 256; torchgfnLike.layers = 2; torchgfnLike.batch = 64
        var defaultAtBatch64 = GFlowNetSettings()
        defaultAtBatch64.batch = 64
        let cliDefault = GFNBench.commandLineDefault
        var measured: [GFNBench.Result] = []
        for (key, s, label, settings) in [("gfn_10x10_torchgfn_like", 10, "any order, learned P_B, 256×2, batch 64 (torchgfn-like)", torchgfnLike),
                                          ("gfn_10x10_default", 10, "fixed order, shared head, 256×2, batch 128", GFlowNetSettings()),
                                          ("gfn_10x10_default_batch64", 10, "fixed order, shared head, 256×2, at the torchgfn batch (64)", defaultAtBatch64),
                                          ("gfn_4x4_default", 4, "fixed order, shared head, 256×2, batch 128", GFlowNetSettings()),
                                          ("gfn_4x4_torchgfn_like", 4, "any order, learned P_B, 256×2, batch 64 (torchgfn-like)", torchgfnLike),
                                          ("gfn_10x10_cli_default", 10, "CLI default (fixed order, per-step head, 256×1, batch 128)", cliDefault),
                                          ("gfn_4x4_cli_default", 4, "CLI default (fixed order, per-step head, 256×1, batch 128)", cliDefault)] {
            let r = try tracking(key, "GFlowNet \(s)×\(s) \(label)") {
                try GFNBench.measure(side: s, settings: settings, iterations: quick ? 3 : (s == 10 ? 30 : 300),
                                     warmup: quick ? 1 : 5, samples: quick ? 500 : 20_000)
            }
            let achieved = r.stepFLOPs / r.stepSeconds / 1e9
            if settings.head == .perStep {
                // One 256 → 2 block per step: products too small for a share of sgemm's rate to mean anything.
                rows.append(String(format: "| GFlowNet %d×%d %@: training | %.0f trajectories/s | %.1f× the shared head's rate on this lattice |",
                                   s, s, label, r.trajectoriesPerSecond, r.trajectoriesPerSecond / measured[s == 10 ? 1 : 3].trajectoriesPerSecond))
            } else {
                rows.append(String(format: "| GFlowNet %d×%d %@: training | %.0f trajectories/s | %.0f%% of sgemm at these shapes (%.1f of %.1f GFLOP/s) |",
                                   s, s, label, r.trajectoriesPerSecond, 100 * achieved / r.sgemmGFLOPS, achieved, r.sgemmGFLOPS))
            }
            rows.append(String(format: "| GFlowNet %d×%d %@: sampling | %.0f samples/s | |", s, s, label, r.samplesPerSecond))
            rows.append(String(format: "| GFlowNet-in-MH %d×%d %@: independence steps (draw + log P_F + E(x) + test) | %.0f steps/s | %.2f× its sampling; acceptance %.3f (after %d training steps) |",
                               s, s, label, r.gfnMHStepsPerSecond, r.gfnMHStepsPerSecond / r.samplesPerSecond, r.gfnMHAcceptance, r.trainedSteps))
            measured.append(r)
        }

        // (c′) The peers on the torchgfn-like configuration, each lattice between two new
        // measurements of ours (before and after), so drift in the machine's speed shows as a range.
        var peerReport: PeerBench.Report?
        if let python = peers, let versions = peerVersions {
            let seconds = peerSeconds ?? (quick ? 3 : 30)
            var measurements: [PeerBench.Measurement] = []
            for s in [10, 4] {
                func ours(_ when: String) throws -> Double {
                    try tracking("gfn_\(s)x\(s)_torchgfn_like_\(when)_peers", "GFlowNet \(s)×\(s) torchgfn-like, \(when) the peers") {
                        try GFNBench.measure(side: s, settings: torchgfnLike, iterations: quick ? 3 : (s == 10 ? 60 : 600), warmup: quick ? 1 : 5, samples: 500)
                    }.trajectoriesPerSecond
                }
                let before = try ours("before")
                var rates: [(String, Double)] = []
                let runs: [(String, () throws -> Double)] = [
                    ("torchgfn", { try PeerBench.torchgfn(python: python, scripts: peerFolder, side: s, seconds: seconds) }),
                    ("gfnx (separate P_B network)", { try PeerBench.gfnx(python: python, scripts: peerFolder, side: s, seconds: seconds, backward: "separate") }),
                    ("gfnx (P_B sharing the trunk)", { try PeerBench.gfnx(python: python, scripts: peerFolder, side: s, seconds: seconds, backward: "shared") }),
                ]
                for (peer, measure) in runs {
                    rates.append((peer, try tracking("peer_\(s)x\(s)_\(peer)", "\(peer) \(s)×\(s), \(Int(seconds)) s of training") { try measure() }))
                }
                let after = try ours("after")
                let mean = (before + after) / 2
                for (peer, rate) in rates {
                    measurements.append(PeerBench.Measurement(peer: peer, side: s, trainSeconds: seconds, peerTrajectoriesPerS: rate,
                                                              oursTrajectoriesPerS: mean, oursBeforeAndAfter: [before, after], oursOverPeer: mean / rate,
                                                              oursOverPeerRange: [min(before, after) / rate, max(before, after) / rate]))
                }
            }
            peerReport = PeerBench.Report(versions: versions, scripts: peerFolder.path, measurements: measurements)
            let version = ["torchgfn": "torchgfn \(versions.torchgfn) (torch \(versions.torch))", "gfnx": "gfnx \(versions.gfnx) (jax \(versions.jax))"]
            for m in measurements {
                let name = m.peer.hasPrefix("torchgfn") ? version["torchgfn"]! : version["gfnx"]! + m.peer.dropFirst(4)
                rows.append(String(format: "| %@, %d×%d, any order, learned P_B, 256×2, batch 64, 2 threads | %.0f trajectories/s | ours %.0f/s (%.0f before, %.0f after): %.2f× (%.2f–%.2f×) |",
                                   name, m.side, m.side, m.peerTrajectoriesPerS, m.oursTrajectoriesPerS, m.oursBeforeAndAfter[0], m.oursBeforeAndAfter[1],
                                   m.oursOverPeer, m.oursOverPeerRange[0], m.oursOverPeerRange[1]))
            }
        } else {
            rows.append("| peers (torchgfn, gfnx) | skipped: no --peers PYTHON (make it with ../shared/peers/setup.sh) | |")
        }

        // (d) Enumeration.
        var enumeration: [String: Double] = [:]
        for bits in quick ? [16] : [20, 24] {
            let m = try IsingModel(lattice: SquareLattice(rows: 4, cols: bits / 4, boundary: .periodic))
            let dt = try tracking("enumeration_2^\(bits)", "enumeration of 2^\(bits) states") {
                let t = DispatchTime.now().uptimeNanoseconds
                _ = try Enumerator.enumerate(m, beta: beta)
                return Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
            }
            enumeration["2^\(bits)"] = Double(1 << bits) / dt
            rows.append(String(format: "| enumeration of 2^%d states (4×%d) | %.3f s | %.3g states/s |", bits, bits / 4, dt, Double(1 << bits) / dt))
        }

        // (e) Time to quality on 4×4 at β_c with the default settings.
        var ttq: (Double, Int)?
        var mhTTQ: Double?
        var defaultRun: Double?
        if !quick {
            ttq = try tracking("gfn_time_to_quality", "GFlowNet time to quality, 4×4 at β_c") { try GFNBench.timeToQuality(maxIterations: 20_000) }
            mhTTQ = try tracking("mh_time_to_quality", "MH time to quality, 4×4 at β_c") { try GFNBench.mhTimeToQuality() }
            // The whole default comparison, as `gfn-compare --energy ising` runs it (without writing the report).
            let defaults = try RunCommand.parse(["--energy", "ising"]).settings()
            defaultRun = try tracking("default_run", "the default run (gfn-compare --energy ising)") {
                let t = DispatchTime.now().uptimeNanoseconds
                _ = try ComparisonRun.run(defaults, command: "gfn-compare bench")
                return Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
            }
            rows.append(ttq.map { String(format: "| GFlowNet time to quality, 4×4 at β_c (TV(P_T, p) ≤ 0.02 and |Δlog Z| < 0.02) | %.1f s | %d iterations |", $0.0, $0.1) }
                        ?? "| GFlowNet time to quality, 4×4 at β_c | not reached in 20,000 iterations | |")
            rows.append(mhTTQ.map { String(format: "| MH time to quality, 4×4 at β_c (10⁶ samples, thinned TV within its noise floor) | %.2f s | |", $0) }
                        ?? "| MH time to quality | not reached at 10⁶ samples | |")
            rows.append(String(format: "| the default run (`gfn-compare --energy ising`: both samplers, metrics, no files) | %.1f s | peak %.0f MB |",
                               defaultRun ?? 0, Double(peaks["default_run"] ?? 0) / 1_048_576))
        }

        let rss = PeakMemory.processPeak
        rows.append(String(format: "| peak resident memory of this benchmark | %.0f MB | |", Double(rss) / 1_048_576))
        var memoryRows = ["", "Peak resident memory of each measurement (the high-water mark is reset before each; memory the process still holds from earlier measurements counts, so each figure is an upper bound\(PeakMemory.resettable ? "" : "; **the mark is not resettable here: each figure includes every measurement before it**")):", "",
                          "| measurement | peak RSS |", "|---|---:|"]
        for (key, bytes) in peaks.sorted(by: { $0.key < $1.key }) { memoryRows.append(String(format: "| %@ | %.0f MB |", key, Double(bytes) / 1_048_576)) }
        let table = (rows + memoryRows).joined(separator: "\n") + "\n"
        print(table, terminator: "")
        if let out {
            let dir = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            // By configuration, in the order measured above.
            let trained: [Double] = measured.map(\.trajectoriesPerSecond), sampled: [Double] = measured.map(\.samplesPerSecond)
            let share: [Double] = measured.map { $0.stepFLOPs / $0.stepSeconds / 1e9 / $0.sgemmGFLOPS }
            let gfnMHSteps: Double = measured[1].gfnMHStepsPerSecond
            let result = BenchResult(
                quick: quick, rng: rng.rawValue, cReferenceFlipsPerS: c, mhFlipsPerS: metropolis, mhHeatBathUpdatesPerS: heatBath, mhCheckerboardUpdatesPerS: checkerboard,
                mhRatioToC: metropolis / c, mhTwoCoreSpeedup: speedups["2"] ?? 0, mhSpeedupByCores: speedups, cores: cores,
                gfnTrainTrajectoriesPerS: trained[0], gfnSampleSamplesPerS: sampled[0],
                gfnMhDefaultStepsPerS: gfnMHSteps, gfnMhDefaultRatioToSampling: gfnMHSteps / sampled[1],
                gfnTrainShareOfSgemm: share[0],
                gfnDefaultTrainTrajectoriesPerS: trained[1], gfnDefaultSampleSamplesPerS: sampled[1],
                gfnDefaultTrainShareOfSgemm: share[1],
                gfnDefaultBatch64TrainTrajectoriesPerS: trained[2],
                gfn4x4TrainTrajectoriesPerS: trained[3],
                gfn4x4TorchgfnLikeTrainTrajectoriesPerS: trained[4], sgemmGflops: measured[1].sgemmGFLOPS,
                enumerationStatesPerS: enumeration,
                gfnCliDefaultTrainTrajectoriesPerS: trained[5], gfnCliDefaultSampleSamplesPerS: sampled[5], gfn4x4CliDefaultTrainTrajectoriesPerS: trained[6],
                timeToQualitySeconds: ttq?.0, timeToQualityIterations: ttq?.1,
                mhTimeToQualitySeconds: mhTTQ, peakRssBytes: rss, peakRssBytesByMeasurement: peaks,
                defaultRunSeconds: defaultRun, defaultRunPeakRssBytes: peaks["default_run"], cpuModel: MachineInfo.cpuModel,
                peers: peerReport, peersSkipped: peerReport == nil ? "no --peers PYTHON given" : nil)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            enc.keyEncodingStrategy = .convertToSnakeCase
            // Measurements skipped by --quick are null, not absent, so every key is always there.
            var object = try JSONSerialization.jsonObject(with: enc.encode(result)) as? [String: Any] ?? [:]
            for key in ["time_to_quality_seconds", "time_to_quality_iterations", "mh_time_to_quality_seconds",
                        "default_run_seconds", "default_run_peak_rss_bytes", "peers", "peers_skipped"] where object[key] == nil {
                object[key] = NSNull()
            }
            try AtomicOutput.write(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]),
                                   to: dir.appendingPathComponent("bench.json"))
            try AtomicOutput.write(Data(("# gfn-compare bench\n\n" + table).utf8), to: dir.appendingPathComponent("bench.md"))
        }
    }
}

/// The process's peak resident memory (VmHWM), with the high-water mark resettable between
/// measurements (Linux: writing 5 to /proc/self/clear_refs).
enum PeakMemory {
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
