import Foundation
import NeuralNet
import Reporting
import Testing
import TestSupport

@Suite(.serialized) struct CLITests {
    static let small = ["--lattice", "3x3", "--beta", "0.3", "--samples", "20000", "--chains", "2", "--burn-in", "100",
                        "--iterations", "100", "--hidden", "16", "--batch", "16", "--gfn-samples", "2000", "--quiet"]

    /// Bad input: one line on stderr naming the problem, exit 2, no trap, no output folder.
    @Test(arguments: [
        (["--lattice", "0x3"], "--lattice"),
        (["--lattice", "3by3"], "--lattice"),
        (["--beta", "-1"], "--beta"),
        (["--beta", "nan"], "--beta"),
        (["--beta", "inf"], "--beta"),
        (["--coupling", "nan"], "--coupling"),
        (["--energy", "potts9"], "--energy"),
        (["--energy", "potts", "--q", "1"], "--q"),
        (["--energy", "potts", "--q", "300"], "--q"),
        (["--energy", "ea", "--disorder", "cauchy"], "--disorder"),
        (["--energy", "ea", "--field", "0.5"], "--field"),
        (["--energy", "sk", "--spins", "1"], "--spins"),
        (["--energy", "sk", "--spins", "5000"], "--spins"),
        (["--energy", "sk", "--instance-seed", "x"], "--instance-seed"),
        (["--energy", "file:/nonexistent/model.txt"], "cannot read the model file"),
        (["--energy", "file:"], "needs a path"),
        (["--energy", "hypergrid", "--side", "1"], "--side"),
        (["--energy", "hypergrid", "--dims", "0"], "--dims"),
        (["--energy", "hypergrid", "--r0", "0"], "r0 > 0"),
        (["--energy", "hypergrid", "--kernel", "diagonal"], "--kernel"),
        (["--chains", "0"], "--chains"),
        (["--samples", "-5"], "--samples"),
        (["--thin", "0"], "--thin"),
        (["--burn-in", "-1"], "--burn-in"),
        (["--boundary", "spiral"], "--boundary"),
        (["--rng", "dice"], "--rng"),
        (["--kernel", "metropolis", "--scan", "systematic"], "not ergodic"),
        (["--lattice", "1x5"], "periodic"),
        (["--spin-flip-mixture", "--field", "0.2"], "--spin-flip-mixture needs a target symmetric"),
        (["--train-seconds", "0"], "--train-seconds"),
        (["--train-seconds", "-1"], "--train-seconds"),
        (["--train-seconds", "nan"], "--train-seconds"),
        (["--train-seconds", "inf"], "--train-seconds"),
        (["--spin-flip-mixture", "--energy", "potts"], "--spin-flip-mixture"),
        (["--spin-flip-mixture", "--order", "any"], "--spin-flip-mixture needs --order fixed"),
        (["--seed", "-3"], "--seed"),
        (["--seed", "1.5"], "--seed"),
        (["--no-such-flag"], "--no-such-flag"),
        (["--head", "per-step", "--order", "any"], "--head per-step needs --order fixed"),
        (["--head", "per-step", "--objective", "fm"], "--head per-step does not work with --objective fm"),
        (["--energy", "hypergrid", "--head", "per-step"], "--head per-step needs a set-variable energy"),
        (["--head", "wide"], "--head"),
        (["--policy-input", "square"], "--policy-input"),
        (["--policy-input", "patch", "--order", "any"], "--policy-input patch needs --order fixed"),
        (["--policy-input", "patch", "--head", "per-step"], "--head per-step"),
        (["--policy-input", "patch", "--energy", "ea"], "--policy-input patch needs a square lattice"),
        (["--patch-radius", "0"], "--patch-radius"),
        (["--patch-radius", "17"], "--patch-radius"),
    ])
    func badInputGivesOneClearLine(_ c: ([String], String)) throws {
        let dir = TestSupport.temporaryDirectory()
        let out = dir.appendingPathComponent("out")
        let r = try TestSupport.run(["--energy", "ising"].filter { _ in !c.0.contains("--energy") } + c.0 + ["--out", out.path, "--quiet"])
        #expect(r.status == 2, "\(c.0): status \(r.status), stderr \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(c.0): \(r.stderr)")
        #expect(r.stderr.contains(c.1), "\(c.0): \(r.stderr)")
        #expect(r.stderr.hasPrefix("gfn-compare: error:"))
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func absurdLearningRateStopsWithTheNonFiniteMessageAndWritesNothing() throws {
        let out = TestSupport.temporaryDirectory().appendingPathComponent("out")
        let r = try TestSupport.run(Self.small + ["--lr", "1e30", "--lr-logz", "1e30", "--out", out.path])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("training diverged at iteration"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func unwritableOutputIsRefusedUpFront() throws {
        let dir = TestSupport.temporaryDirectory()
        let file = dir.appendingPathComponent("a-file")
        FileManager.default.createFile(atPath: file.path, contents: Data("keep".utf8))
        let r = try TestSupport.run(Self.small + ["--out", file.appendingPathComponent("report").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--out"))
        #expect(try String(contentsOf: file, encoding: .utf8) == "keep")
    }

    @Test func runWritesReportAndRecordAndRefusesToOverwrite() throws {
        let dir = TestSupport.temporaryDirectory()
        let out = dir.appendingPathComponent("run")
        let r = try TestSupport.run(Self.small + ["--out", out.path, "--force"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("mh:"))
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("TV distance to target"))
        #expect(report.contains("each nearest-neighbour bond counted once"))
        #expect(report.contains((Self.small + ["--out", out.path, "--force"]).joined(separator: " ")))
        let first = try Data(contentsOf: out.appendingPathComponent("run.json"))

        // Existing folder: refused without --force, untouched.
        let again = try TestSupport.run(Self.small + ["--out", out.path])
        #expect(again.status == 2)
        #expect(again.stderr.contains("--force"))
        #expect(try Data(contentsOf: out.appendingPathComponent("run.json")) == first)

        // With --force: replaced, and the same seed gives the same record bar timing.
        let forced = try TestSupport.run(Self.small + ["--out", out.path, "--force"])
        #expect(forced.status == 0)
        let second = try Data(contentsOf: out.appendingPathComponent("run.json"))
        #expect(try Reproducibility.differences(first, second) == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["run"])
    }

    /// Spin glasses run end to end; the record carries the couplings and the instance seed, and
    /// another instance seed gives another glass.
    @Test func spinGlassesRunAndRecordTheirInstance() throws {
        let dir = TestSupport.temporaryDirectory()
        let glass = ["--samples", "4000", "--chains", "2", "--burn-in", "50", "--iterations", "30", "--hidden", "8", "--batch", "8", "--gfn-samples", "300", "--quiet"]
        let ea = try TestSupport.run(["--energy", "ea", "--lattice", "3x3", "--instance-seed", "7"] + glass + ["--out", dir.appendingPathComponent("ea").path])
        #expect(ea.status == 0, "\(ea.stderr)")
        let sk = try TestSupport.run(["--energy", "sk", "--spins", "8", "--instance-seed", "7"] + glass + ["--out", dir.appendingPathComponent("sk").path])
        #expect(sk.status == 0, "\(sk.stderr)")
        let sk2 = try TestSupport.run(["--energy", "sk", "--spins", "8", "--instance-seed", "8"] + glass + ["--out", dir.appendingPathComponent("sk2").path])
        let a = try RunRecord.decode(try Data(contentsOf: dir.appendingPathComponent("sk/run.json")))
        let b = try RunRecord.decode(try Data(contentsOf: dir.appendingPathComponent("sk2/run.json")))
        #expect(sk2.status == 0)
        #expect(a.exact.couplings?.count == 28 && a.config.energy.instanceSeed == 7)
        #expect(a.exact.couplings != b.exact.couplings)
        #expect(a.exact.logZMethod == "enumeration")
    }

    @Test func hypergridRunsWithGridStepsAndItsExactDistribution() throws {
        let out = TestSupport.temporaryDirectory().appendingPathComponent("hg")
        let r = try TestSupport.run(["--energy", "hypergrid", "--dims", "2", "--side", "5", "--samples", "4000", "--chains", "2", "--burn-in", "50",
                                     "--iterations", "40", "--hidden", "16", "--batch", "16", "--gfn-samples", "500", "--quiet", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let record = try RunRecord.decode(try Data(contentsOf: out.appendingPathComponent("run.json")))
        #expect(record.config.mh.kernel == .gridStep && record.config.energy.beta == 1)
        #expect(record.exact.nStates == 25 && record.samplers[1].metrics.tvModelExact != nil)
        // The hypergrid keeps the shared head (its trajectories have no fixed step per variable).
        #expect(record.config.gfn?.head == nil && record.config.gfn?.layers == 2)
    }

    /// The GFlowNet settings a run with `args` records (the run must succeed).
    static func recordedGFlowNet(_ args: [String]) throws -> GFNConfig? {
        let out = TestSupport.temporaryDirectory().appendingPathComponent("run")
        let r = try TestSupport.run(args + ["--out", out.path])
        #expect(r.status == 0, "\(args): \(r.stderr)")
        return try RunRecord.decode(try Data(contentsOf: out.appendingPathComponent("run.json"))).config.gfn
    }

    /// The command line's GFlowNet defaults: the fixed order gets the per-step head with one
    /// hidden layer; the any order, flow matching and an explicit --head keep the shared head
    /// with two layers; --layers overrides either.
    @Test func defaultHeadFollowsTheOrder() throws {
        func gfn(_ args: [String]) throws -> GFNConfig? { try Self.recordedGFlowNet(Self.small + args) }
        let fixed = try gfn([]), any = try gfn(["--order", "any"]), shared = try gfn(["--head", "shared"]), deeper = try gfn(["--layers", "3"])
        #expect(fixed?.head == .perStep && fixed?.layers == 1)
        #expect(any?.head == nil && any?.layers == 2)
        #expect(shared?.head == nil && shared?.layers == 2)
        #expect(deeper?.head == .perStep && deeper?.layers == 3)
        // The patch shares its weights over the sites: the shared head with two layers, radius 3
        // unless given (a radius alone implies the patch); --policy-input one-hot undoes it.
        let patch = try gfn(["--policy-input", "patch"]), radius = try gfn(["--patch-radius", "1"])
        #expect(patch?.patchRadius == 3 && patch?.head == nil && patch?.layers == 2)
        #expect(radius?.patchRadius == 1 && radius?.head == nil)
        #expect(try gfn(["--patch-radius", "2", "--policy-input", "one-hot"])?.patchRadius == nil)
    }

    /// Training workers: two by default, recorded; one for flow matching and on request (then
    /// absent from the record, as before the option existed); a count beyond the batch, or two
    /// with flow matching, is refused with the flag named, exit 2.
    @Test func trainWorkersDefaultToTwoAndAreRecorded() throws {
        func gfn(_ args: [String]) throws -> GFNConfig? { try Self.recordedGFlowNet(Self.small + args) }
        #expect(try gfn([])?.trainWorkers == 2)
        #expect(try gfn(["--train-workers", "3"])?.trainWorkers == 3)
        #expect(try gfn(["--train-workers", "1"])?.trainWorkers == nil)
        #expect(try gfn(["--objective", "fm"])?.trainWorkers == nil)
        for bad in [["--train-workers", "17"], ["--objective", "fm", "--train-workers", "2"], ["--train-workers", "0"]] {
            let r = try TestSupport.run(Self.small + bad + ["--out", TestSupport.temporaryDirectory().appendingPathComponent("run").path])
            #expect(r.status == 2 && r.stderr.contains("--train-workers"), "\(bad): \(r.stderr)")
        }
    }

    /// `--backward-network separate` gives a learned P_B a network of its own and is recorded (the
    /// trunk, the default, is absent from the record, as before the option existed); the report
    /// says so; without a learned P_B it is refused with the flag named, exit 2.
    @Test func backwardNetworkIsRecordedAndRefusedWithoutALearnedPB() throws {
        let any = Self.small + ["--order", "any", "--backward", "learned"]
        #expect(try Self.recordedGFlowNet(any)?.backwardNetwork == nil)
        let out = TestSupport.temporaryDirectory().appendingPathComponent("run")
        let r = try TestSupport.run(any + ["--backward-network", "separate", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let record = try RunRecord.decode(try Data(contentsOf: out.appendingPathComponent("run.json")))
        #expect(record.config.gfn?.backwardNetwork == .separate)
        #expect(try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8).contains("learned backward policy in a network of its own"))
        let bad = try TestSupport.run(Self.small + ["--backward-network", "separate", "--out", TestSupport.temporaryDirectory().appendingPathComponent("run").path])
        #expect(bad.status == 2 && bad.stderr.contains("--backward-network separate needs --backward learned"), "\(bad.stderr)")
    }

    /// `--precision bf16` is recorded (fp32, the default, is absent, as before the option
    /// existed) and the report says so; on a CPU without AVX512_BF16 — or with
    /// GFN_COMPARE_NO_BF16 set, which makes this CPU answer as one — it is refused before any
    /// work with the flag named, exit 2, no output folder.
    @Test func precisionIsRecordedAndRefusedWithoutBF16Instructions() throws {
        #expect(try Self.recordedGFlowNet(Self.small)?.precision == nil)
        let out = TestSupport.temporaryDirectory().appendingPathComponent("run")
        let r = try TestSupport.run(Self.small + ["--precision", "bf16", "--out", out.path])
        if BF16Products.isSupported {
            #expect(r.status == 0, "\(r.stderr)")
            let record = try RunRecord.decode(try Data(contentsOf: out.appendingPathComponent("run.json")))
            #expect(record.config.gfn?.precision == .bf16)
            #expect(try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8).contains("with bf16 products"))
        } else {
            #expect(r.status == 2 && r.stderr.contains("--precision bf16 needs a CPU with AVX512_BF16"), "\(r.stderr)")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["GFN_COMPARE_NO_BF16"] = "1"
        let refusedOut = TestSupport.temporaryDirectory().appendingPathComponent("run")
        let refused = try TestSupport.run(Self.small + ["--precision", "bf16", "--out", refusedOut.path], environment: environment)
        #expect(refused.status == 2 && refused.stderr.contains("--precision bf16 needs a CPU with AVX512_BF16"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: refusedOut.path))
        let fp32 = try TestSupport.run(Self.small + ["--precision", "fp32", "--out", TestSupport.temporaryDirectory().appendingPathComponent("run").path], environment: environment)
        #expect(fp32.status == 0, "\(fp32.stderr)")
    }

    /// Beyond 2^24 states (6×6: 2^36) the fixed order starts from the scale profile — log Z from
    /// the first batch at a rate of 1, 1,000 iterations, the spin-flip mixture on symmetric
    /// targets; the patch input with trajectory balance on uniform lattices, else SubTB with
    /// forward-looking flows on a one-hot input —
    /// and every flag still overrides it; an explicit --objective tb drops the forward-looking flows.
    @Test func largeTargetsStartFromTheScaleProfile() throws {
        let base = ["--lattice", "6x6", "--samples", "4000", "--chains", "2", "--burn-in", "20", "--gfn-samples", "200", "--quiet"]
        func gfn(_ args: [String]) throws -> GFNConfig? { try Self.recordedGFlowNet(base + args) }
        // Ising is a uniform lattice: the profile's policy reads the 7×7 window around the next
        // site (shared head, 2 × 128) and trains by trajectory balance.
        let patch = try gfn(["--iterations", "3", "--batch", "8"])
        #expect(patch?.objective == .tb && patch?.forwardLooking == nil && patch?.logZStart == .batch && patch?.patchRadius == 3)
        #expect(patch?.hidden == 128 && patch?.head == nil && patch?.layers == 2 && patch?.learningRateLogZ == 1)
        #expect(try gfn(["--patch-radius", "2", "--iterations", "3", "--batch", "8"])?.patchRadius == 2)
        // With the one-hot input (or off a uniform lattice: a glass) the profile is SubTB with
        // forward-looking flows on 1,024 hidden units and the per-step head.
        let profile = try gfn(["--policy-input", "one-hot", "--iterations", "3", "--batch", "8"])
        #expect(profile?.objective == .subtb && profile?.forwardLooking == true && profile?.logZStart == .batch && profile?.patchRadius == nil)
        #expect(profile?.hidden == 1024 && profile?.head == .perStep && profile?.layers == 1 && profile?.learningRateLogZ == 1)
        let glass = try gfn(["--energy", "ea", "--iterations", "3", "--batch", "8", "--hidden", "16"])
        #expect(glass?.objective == .subtb && glass?.forwardLooking == true && glass?.patchRadius == nil && glass?.head == .perStep)
        let tb = try gfn(["--policy-input", "one-hot", "--objective", "tb", "--hidden", "16", "--batch", "8"])
        #expect(tb?.objective == .tb && tb?.forwardLooking == nil && tb?.logZStart == .batch && tb?.hidden == 16 && tb?.iterations == 1000)
        let plain = try gfn(["--policy-input", "one-hot", "--no-forward-looking", "--log-z-start", "zero", "--iterations", "3", "--hidden", "16", "--batch", "8"])
        #expect(plain?.objective == .subtb && plain?.forwardLooking == nil && plain?.logZStart == nil)
        // The zero-field Ising target is symmetric: the profile mixes the draws with their flips,
        // unless told not to; a field breaks the symmetry, and the profile leaves the mixture off.
        #expect(profile?.spinFlipMixture == true)
        #expect(try gfn(["--no-spin-flip-mixture", "--iterations", "3", "--hidden", "16", "--batch", "8"])?.spinFlipMixture == nil)
        #expect(try gfn(["--field", "0.1", "--iterations", "3", "--hidden", "16", "--batch", "8"])?.spinFlipMixture == nil)
    }

    /// `bench --quick` (the CI smoke run) writes bench.md and a bench.json with every key issue 7
    /// names, unmeasured ones as null; the ratios are positive numbers. (Speed itself is only
    /// meaningful in release builds and is not asserted here.)
    @Test func benchQuickWritesEveryRequiredKey() throws {
        let out = TestSupport.temporaryDirectory().appendingPathComponent("bench")
        let r = try TestSupport.run(["bench", "--quick", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("| C reference Metropolis"))
        #expect(r.stdout.contains("| Swift heat-bath, checkerboard scan") && r.stdout.contains("| GFlowNet 10×10 CLI default"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("bench.md").path))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("bench.json"))) as? [String: Any] ?? [:]
        for key in ["mh_flips_per_s", "c_reference_flips_per_s", "gfn_train_trajectories_per_s", "gfn_default_train_trajectories_per_s",
                    "sgemm_gflops", "peak_rss_bytes", "mh_ratio_to_c", "mh_two_core_speedup", "mh_checkerboard_updates_per_s",
                    "gfn_cli_default_train_trajectories_per_s", "gfn4x4_cli_default_train_trajectories_per_s",
                    "gfn_trunk_train_trajectories_per_s", "gfn4x4_trunk_train_trajectories_per_s", "gfn_sample_share_of_sgemm", "gfn_default_sample_share_of_sgemm"] {
            #expect(((json[key] as? Double) ?? 0) > 0, "\(key) = \(String(describing: json[key]))")
        }
        #expect(json["time_to_quality_seconds"] is NSNull, "--quick skips the time to quality, and says so with null")
        #expect(json["peers"] is NSNull && json["peers_skipped"] as? String == "no --peers PYTHON given")
        #expect(r.stdout.contains("| peers (torchgfn, gfnx) | skipped"))
        #expect(!r.stdout.contains("quoted"), "no quoted peer constants")
    }

    /// `bench --peers` on a stand-in peer environment (a script that answers like the peer scripts,
    /// so the test needs no torch or jax): every peer on both lattices, ours measured beside them,
    /// the ratios ours / peer, the versions recorded. Each peer is paired with ours in its own
    /// configuration: torchgfn and gfnx's separate P_B with ours with P_B in its own network (one
    /// measurement of ours for both), gfnx's baseline with ours with P_B on the trunk.
    @Test func benchWithPeersRecordsEachPeerBesideOurs() throws {
        let dir = TestSupport.temporaryDirectory()
        let scripts = dir.appendingPathComponent("peers")
        try FileManager.default.createDirectory(at: scripts, withIntermediateDirectories: true)
        for name in ["gfn_ising_tb.py", "gfnx_ising_tb.py", "ising_exact.py"] { try Data().write(to: scripts.appendingPathComponent(name)) }
        let python = dir.appendingPathComponent("python")
        try Data("""
        #!/bin/sh
        case "$1" in
          -c) echo '{"python": "3.11.7", "torch": "2.13.0", "torchgfn": "2.4.1", "jax": "0.7.1", "gfnx": "0.0.1"}' ;;
          *gfn_ising_tb.py) echo 'it 1 train_s 0.1'; echo '{"kind": "summary", "trajs_per_s": 250.0}' ;;
          *gfnx_ising_tb.py) case "$*" in *"--pb shared"*) echo 'RESULT trajectories/s = 400.0 (train 3.00 s)' ;; *) echo 'RESULT trajectories/s = 500.0 (train 3.00 s)' ;; esac ;;
        esac
        """.utf8).write(to: python)
        chmod(python.path, 0o755)
        let out = dir.appendingPathComponent("bench")
        let r = try TestSupport.run(["bench", "--quick", "--peers", python.path, "--peer-scripts", scripts.path, "--peer-seconds", "1", "--out", out.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("bench.json"))) as? [String: Any] ?? [:]
        let peers = try #require(json["peers"] as? [String: Any])
        #expect((peers["versions"] as? [String: String])?["torchgfn"] == "2.4.1")
        let all = try #require(peers["measurements"] as? [[String: Any]])
        // On a CPU with AVX512_BF16 every peer is also paired with ours in bf16 products, right
        // after its fp32 pairing and from the same peer measurement.
        let measurements = all.filter { $0["ours_precision"] == nil }, bf16 = all.filter { $0["ours_precision"] as? String == "bf16" }
        #expect(measurements.count + bf16.count == all.count)
        #expect(measurements.map { $0["side"] as? Int } == [10, 10, 10, 4, 4, 4])
        #expect(measurements.map { $0["peer_trajectories_per_s"] as? Double } == [250, 500, 400, 250, 500, 400])
        #expect(measurements.map { $0["ours"] as? String } == ["separate", "separate", "trunk", "separate", "separate", "trunk"])
        for k in [0, 3] {
            #expect(measurements[k]["ours_before_and_after"] as? [Double] == measurements[k + 1]["ours_before_and_after"] as? [Double])
            #expect(measurements[k]["ours_before_and_after"] as? [Double] != measurements[k + 2]["ours_before_and_after"] as? [Double])
        }
        if BF16Products.isSupported {
            #expect(bf16.map { $0["peer_trajectories_per_s"] as? Double } == measurements.map { $0["peer_trajectories_per_s"] as? Double })
            #expect(bf16.map { $0["ours"] as? String } == measurements.map { $0["ours"] as? String })
            #expect(zip(bf16, measurements).allSatisfy { $0["ours_before_and_after"] as? [Double] != $1["ours_before_and_after"] as? [Double] })
            #expect(r.stdout.contains("ours with P_B in its own network, bf16 products,"))
        } else {
            #expect(bf16.isEmpty && json["bf16_skipped"] as? String == "this CPU has no AVX512_BF16")
        }
        for m in all {
            let ours = try #require(m["ours_trajectories_per_s"] as? Double), peer = try #require(m["peer_trajectories_per_s"] as? Double)
            #expect(ours > 0 && abs((m["ours_over_peer"] as? Double ?? 0) - ours / peer) < 1e-12)
            let pair = try #require(m["ours_before_and_after"] as? [Double]), range = try #require(m["ours_over_peer_range"] as? [Double])
            #expect(pair.count == 2 && abs((pair[0] + pair[1]) / 2 - ours) < 1e-9 && range.count == 2)
            #expect(abs(range[0] - pair.min()! / peer) < 1e-9 * range[0] && abs(range[1] - pair.max()! / peer) < 1e-9 * range[1])
        }
        #expect(r.stdout.contains("torchgfn 2.4.1 (torch 2.13.0), 10×10") && r.stdout.contains("gfnx 0.0.1 (jax 0.7.1) (P_B sharing the trunk), 4×4"))
    }

    @Test(arguments: [
        (["--peers", "/nonexistent/python"], "--peers"),
        (["--peers", "/bin/true", "--peer-scripts", "/nonexistent"], "--peer-scripts"),
        (["--peer-seconds", "5"], "--peer-seconds needs --peers"),
    ])
    func badPeerInputIsRefusedBeforeMeasuring(_ c: ([String], String)) throws {
        let r = try TestSupport.run(["bench", "--quick", "--quiet"] + c.0)
        #expect(r.status == 2, "\(c.0): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(c.1), "\(c.0): \(r.stderr)")
        #expect(!r.stdout.contains("| C reference"), "refused before any measurement")
    }

    @Test func helpExitsZero() throws {
        let r = try TestSupport.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("run (default)"))
        let sub = try TestSupport.run(["run", "--help"])
        #expect(sub.status == 0)
        #expect(sub.stdout.contains("--energy"))
    }

    /// `energies` lists every energy `--energy` accepts, each name at the start of its block, with
    /// the defaults the run takes (β_c for lattices) and what reference exists beyond enumeration.
    @Test func energiesListsTheCatalogue() throws {
        let r = try TestSupport.run(["energies"])
        #expect(r.status == 0)
        let heads = r.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map { String($0.split(separator: " ").first ?? "") }
        #expect(heads == ["ising", "potts", "ea", "sk", "hypergrid", "file:PATH"], "\(heads)")
        #expect(r.stdout.contains("--beta β (0.4406868 = β_c)") && r.stdout.contains("parallel-tempering reference") && r.stdout.contains("Wolff reference"))
    }
}

@Suite(.serialized) struct CLISavedModelTests {
    static let small = CLITests.small

    @Test func savedModelIsReusedAndRefusedForAnotherTarget() throws {
        let dir = TestSupport.temporaryDirectory()
        let model = dir.appendingPathComponent("model.json").path
        let trained = try TestSupport.run(Self.small + ["--out", dir.appendingPathComponent("a").path, "--save-model", model])
        #expect(trained.status == 0, "\(trained.stderr)")
        let loaded = try TestSupport.run(Self.small + ["--out", dir.appendingPathComponent("b").path, "--load-model", model])
        #expect(loaded.status == 0, "\(loaded.stderr)")
        // Same seed, same parameters: the GFlowNet's samples and metrics are identical.
        let a = try RunRecord.decode(try Data(contentsOf: dir.appendingPathComponent("a/run.json")))
        let b = try RunRecord.decode(try Data(contentsOf: dir.appendingPathComponent("b/run.json")))
        #expect(a.samplers[1].metrics.tv == b.samplers[1].metrics.tv)
        #expect(a.samplers[1].metrics.logZLearned == b.samplers[1].metrics.logZLearned)
        #expect(a.samplers[1].metrics.tvModelExact == b.samplers[1].metrics.tvModelExact)
        #expect(b.config.gfn?.loadedModel == model)
        // Another β: refused before any work, naming what differs.
        let other = try TestSupport.run(Self.small.map { $0 == "0.3" ? "0.35" : $0 } + ["--out", dir.appendingPathComponent("c").path, "--load-model", model])
        #expect(other.status == 2)
        #expect(other.stderr.contains("beta is 0.3 in the model but 0.35 here"), "\(other.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("c").path))
    }

    @Test(arguments: [
        (["--objective", "xb"], "--objective"),
        (["--order", "random"], "--order"),
        (["--backward", "learned"], "--order any"),
        (["--hidden", "0"], "--hidden"),
        (["--lr", "nan"], "--lr"),
        (["--lr", "-1"], "--lr"),
        (["--epsilon", "1.5"], "--epsilon"),
        (["--gfn-samples", "0"], "--gfn-samples"),
        (["--load-model", "/nonexistent/model.json"], "--load-model"),
        (["--no-gfn", "--save-model", "/tmp/x.json"], "--no-gfn"),
        (["--anneal", "0"], "--anneal"),
        (["--anneal", "1.5"], "--anneal"),
        (["--anneal", "nan"], "--anneal"),
        (["--log-z-start", "guess"], "--log-z-start"),
        (["--gfn-mh-every", "0"], "--gfn-mh-every"),
        (["--gfn-mh-every", "-3"], "--gfn-mh-every"),
        (["--gfn-mh", "--no-gfn"], "--no-gfn"),
        (["--gfn-mh-every", "2", "--no-gfn"], "--no-gfn"),
        (["--gfn-mh-samples", "1"], "--gfn-mh-samples"),
        (["--budget-work", "0"], "--budget-work"),
        (["--budget-work", "50"], "--budget-work"),
        (["--budget-work", "400000", "--gfn-mh", "--budget-training-share", "0.0001"], "too small to train the GFlowNet at all"),
        (["--budget-training-share", "0.3"], "--budget-training-share"),
    ])
    func badGFlowNetInputGivesOneClearLine(_ c: ([String], String)) throws {
        let dir = TestSupport.temporaryDirectory()
        let out = dir.appendingPathComponent("out")
        let r = try TestSupport.run(Self.small + c.0 + ["--out", out.path])
        #expect(r.status == 2, "\(c.0): status \(r.status), stderr \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(c.0): \(r.stderr)")
        #expect(r.stderr.contains(c.1), "\(c.0): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}

@Suite(.serialized) struct CLIRecordTests {
    static let small = CLITests.small

    /// A run with the patch input records its radius, says so in the report, and reproduces
    /// every number from its record (the environment is rebuilt with the same window).
    @Test func aPatchRunReproducesFromItsRecord() throws {
        let out = TestSupport.temporaryDirectory().appendingPathComponent("run")
        let r = try TestSupport.run(Self.small + ["--policy-input", "patch", "--patch-radius", "1", "--hidden", "16", "--iterations", "200", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let record = try RunRecord.decode(try Data(contentsOf: out.appendingPathComponent("run.json")))
        #expect(record.config.gfn?.patchRadius == 1)
        #expect(try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8).contains("reading the 3×3 window around the next site"))
        let same = try TestSupport.run(["reproduce", out.appendingPathComponent("run.json").path, "--quiet"])
        #expect(same.status == 0 && same.stdout.contains("every number matches"), "\(same.stdout) \(same.stderr)")
    }

    @Test func reportReRendersByteForByteAndReproduceConfirmsOrNamesTheDifference() throws {
        let dir = TestSupport.temporaryDirectory()
        let out = dir.appendingPathComponent("run")
        let r = try TestSupport.run(Self.small + ["--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let original = try Data(contentsOf: out.appendingPathComponent("report.md"))
        let svgs = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".svg") }.sorted()
        #expect(svgs == ["energy-histogram.svg", "magnetization-histogram.svg", "marginals.svg", "training-loss.svg", "tv-vs-evaluations.svg", "tv-vs-time.svg"])
        let originalSVG = try Data(contentsOf: out.appendingPathComponent("tv-vs-time.svg"))
        try FileManager.default.removeItem(at: out.appendingPathComponent("report.md"))
        let rendered = try TestSupport.run(["report", out.appendingPathComponent("run.json").path])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(try Data(contentsOf: out.appendingPathComponent("report.md")) == original)
        #expect(try Data(contentsOf: out.appendingPathComponent("tv-vs-time.svg")) == originalSVG)

        let same = try TestSupport.run(["reproduce", out.appendingPathComponent("run.json").path, "--quiet"])
        #expect(same.status == 0, "\(same.stdout) \(same.stderr)")
        #expect(same.stdout.contains("every number matches"))

        // Tamper with one metric: reproduce exits 1 and names it.
        let path = out.appendingPathComponent("run.json")
        var text = try String(contentsOf: path, encoding: .utf8)
        let range = try #require(text.range(of: "\"max_marginal_error\" : "))
        text.insert(contentsOf: "1", at: range.upperBound)
        try text.write(to: path, atomically: true, encoding: .utf8)
        let tampered = try TestSupport.run(["reproduce", path.path, "--quiet"])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("samplers[0].metrics.max_marginal_error"), "\(tampered.stdout)")
    }

    @Test func badRecordsAreRefusedClearly() throws {
        let dir = TestSupport.temporaryDirectory()
        let corrupt = dir.appendingPathComponent("corrupt.json")
        try Data("{ not json".utf8).write(to: corrupt)
        let future = dir.appendingPathComponent("future.json")
        try Data("{\"schema_version\": 99}".utf8).write(to: future)
        for (args, needle) in [(["report", corrupt.path], "not a gfn-compare run.json"), (["reproduce", future.path], "schema_version 99"),
                               (["report", dir.appendingPathComponent("missing.json").path], "cannot read")] {
            let r = try TestSupport.run(args)
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
    }
}

@Suite struct CLICheckTests {
    @Test func unusableBaselinesExitTwoWithAClearMessage() throws {
        let dir = TestSupport.temporaryDirectory()
        let baseline = TestSupport.packageRoot.appendingPathComponent("reports/baselines/ising-3x3.json")
        var text = try String(contentsOf: baseline, encoding: .utf8)
        let future = dir.appendingPathComponent("future.json")
        try text.replacingOccurrences(of: "\"baseline_version\" : 1", with: "\"baseline_version\" : 7").write(to: future, atomically: true, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"name\" : \"ising\"", with: "\"name\" : \"spin-ice\"")
        let other = dir.appendingPathComponent("other.json")
        try text.write(to: other, atomically: true, encoding: .utf8)
        let corrupt = dir.appendingPathComponent("corrupt.json")
        try Data("{\"baseline_version\": 1, \"metrics\": ".utf8).write(to: corrupt)
        for (file, needle) in [(future, "baseline_version 7"), (other, "spin-ice"), (corrupt, "not a JSON baseline"),
                               (dir.appendingPathComponent("missing.json"), "cannot read")] {
            let r = try TestSupport.run(["check", file.path, "--quiet"])
            #expect(r.status == 2, "\(file.lastPathComponent): \(r.stderr)")
            #expect(r.stderr.contains(needle), "\(file.lastPathComponent): \(r.stderr)")
        }
    }
}

@Suite(.serialized) struct CLIInterruptTests {
    /// SIGINT mid-training: exit 130 within two seconds, the previous report byte-identical, and
    /// no partial folder left for `report`, `check` or `merge` to pick up.
    @Test func sigintLeavesThePreviousReportUntouched() throws {
        let dir = TestSupport.temporaryDirectory()
        let out = dir.appendingPathComponent("run")
        let first = try TestSupport.run(CLITests.small + ["--out", out.path])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted().map {
            ($0, try Data(contentsOf: out.appendingPathComponent($0)))
        }
        let p = Process()
        p.executableURL = TestSupport.executable
        p.arguments = CLITests.small + ["--iterations", "1000000", "--out", out.path, "--force"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: 2)
        #expect(p.isRunning)
        let sent = Date()
        kill(p.processIdentifier, SIGINT)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(Date().timeIntervalSince(sent) < 2, "took \(Date().timeIntervalSince(sent)) s to stop")
        #expect(p.terminationStatus == 130, "status \(p.terminationStatus): \(message)")
        #expect(message.contains("interrupted"))
        let after = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted().map {
            ($0, try Data(contentsOf: out.appendingPathComponent($0)))
        }
        #expect(after.map(\.0) == before.map(\.0))
        #expect(zip(after, before).allSatisfy { $0.1 == $1.1 })
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["run"])
    }

    /// --time-limit (seconds of the run) and --train-seconds (seconds of training) both stop
    /// training, mark the result partial and wall-bounded, and reproduce in their iteration count.
    @Test(arguments: ["--time-limit", "--train-seconds"]) func wallBoundStopsTrainingAndMarksTheResultPartial(_ flag: String) throws {
        let dir = TestSupport.temporaryDirectory()
        let out = dir.appendingPathComponent("run")
        let r = try TestSupport.run(CLITests.small + ["--iterations", "1000000", "--out", out.path, flag, "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let record = try RunRecord.decode(try Data(contentsOf: out.appendingPathComponent("run.json")))
        #expect(record.samplers[1].metrics.wallLimited == true)
        #expect(record.samplers[1].metrics.warnings.contains { $0.contains(flag) })
        #expect((record.config.gfn?.trainSeconds != nil) == (flag == "--train-seconds"))
        #expect((record.samplers[1].metrics.trainingSeconds ?? 0) >= (flag == "--train-seconds" ? 2 : 0))
        #expect(try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8).contains("partial"))
        // reproduce reruns the iterations the bound allowed, says so, and matches every number.
        let again = try TestSupport.run(["reproduce", out.appendingPathComponent("run.json").path, "--quiet"])
        #expect(again.status == 0, "\(again.stdout) \(again.stderr)")
        #expect(again.stdout.contains("stopped by \(flag)") && again.stdout.contains("reproduced"), "\(again.stdout)")
    }
}

@Suite struct CLIShellSupportTests {
    /// Shell completions come from the argument parser, so they follow the options: every shell's
    /// script names the tool, its subcommands and the newest flags.
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsFollowTheOptions(_ shell: String) throws {
        let r = try TestSupport.run(["--generate-completion-script", shell])
        #expect(r.status == 0, "\(r.stderr)")
        for word in ["gfn-compare", "reproduce", "gfn-mh-every", "budget-work", "log-z-start"] {
            #expect(r.stdout.contains(word), "\(shell) completions lack \(word)")
        }
    }
}
