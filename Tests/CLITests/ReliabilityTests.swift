import Foundation
import Reporting
import Testing
import TestSupport

/// Issue 20: no crash, no lost folder, Ctrl-C that always works, inputs bounded. Each test runs
/// the built executable, as a user would.
@Suite(.serialized) struct ReliabilityTests {
    static let tiny = ["--lattice", "3x3", "--beta", "0.3", "--samples", "4000", "--chains", "2", "--burn-in", "50",
                       "--iterations", "20", "--hidden", "8", "--batch", "8", "--gfn-samples", "500", "--quiet"]

    /// Every file of a folder, by name.
    static func snapshot(_ dir: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            out[name] = try Data(contentsOf: dir.appendingPathComponent(name))
        }
        return out
    }

    /// A folder holding a finished report, made once and copied for each test.
    static let previous: URL = {
        let dir = TestSupport.temporaryDirectory().appendingPathComponent("previous")
        _ = try? TestSupport.run(tiny + ["--out", dir.path])
        return dir
    }()

    static func copyOfPrevious() throws -> URL {
        let dir = TestSupport.temporaryDirectory().appendingPathComponent("out")
        try FileManager.default.copyItem(at: previous, to: dir)
        return dir
    }

    // Defects 1, 5, 8: values whose products overflow, unbounded work, messages naming the flag.
    @Test(arguments: [
        (["--coupling", "1e308", "--no-gfn"], "--coupling"),
        (["--field", "-1e308", "--no-gfn"], "--field"),
        (["--field", "-1e308"], "--field"),
        (["--coupling", "1e248", "--beta", "1e6", "--no-gfn"], "--beta"),
        (["--thin", "1000000000", "--no-gfn"], "--thin"),
        (["--burn-in", "100000000000", "--no-gfn"], "--burn-in"),
        (["--samples", "9000000000000", "--no-gfn"], "--samples"),
        (["--gfn-samples", "100000000"], "--gfn-samples"),
    ])
    func overflowingOrUnboundedInputIsRefusedUpFront(_ c: ([String], String)) throws {
        let out = TestSupport.temporaryDirectory().appendingPathComponent("out")
        let t0 = Date()
        let r = try TestSupport.run(["--lattice", "3x3"] + c.0 + ["--out", out.path, "--quiet"])
        #expect(r.status == 2, "\(c.0): status \(r.status), \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(c.1), "\(c.0): \(r.stderr)")
        #expect(!r.stderr.contains("learning rate"), "\(c.0): \(r.stderr)")
        #expect(Date().timeIntervalSince(t0) < 10, "refused up front, not after the work")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    // Defect 2: --force over a folder this tool did not write.
    @Test func forceDoesNotReplaceAForeignFolder() throws {
        let dir = TestSupport.temporaryDirectory().appendingPathComponent("thesis")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("\\documentclass{book}".utf8).write(to: dir.appendingPathComponent("thesis.tex"))
        let r = try TestSupport.run(Self.tiny + ["--out", dir.path, "--force"])
        #expect(r.status == 2 && r.stderr.contains("did not write") && r.stderr.contains("thesis.tex"), "\(r.stderr)")
        #expect(try Self.snapshot(dir).keys.sorted() == ["thesis.tex"])
    }

    // Defect 3: a kill at every step of replacing a report leaves the complete old report or the
    // complete new one at --out (the fallback's one window is repaired by the next run).
    @Test(arguments: [1, 2, 3, 4])
    func aKillAtAnyStepOfPublishingLeavesACompleteReport(step: Int) throws {
        let out = try Self.copyOfPrevious()
        let old = try Self.snapshot(out)
        let fallback = step >= 3
        var env = ProcessInfo.processInfo.environment
        env["GFN_COMPARE_TEST_KILL_AT_STEP"] = String(step)
        if fallback { env["GFN_COMPARE_TEST_NO_EXCHANGE"] = "1" }
        let r = try TestSupport.run(Self.tiny + ["--seed", "2", "--out", out.path, "--force"], environment: env)
        #expect(r.status == 9, "killed by SIGKILL at step \(step): status \(r.status) \(r.stderr)")
        let parent = out.deletingLastPathComponent()
        if step == 3 {
            // Between the fallback's two renames: the old report waits complete beside --out, and
            // the next run puts it back before doing anything else (here it is killed at step 1).
            #expect(!FileManager.default.fileExists(atPath: out.path))
            var again = ProcessInfo.processInfo.environment
            again["GFN_COMPARE_TEST_KILL_AT_STEP"] = "1"
            let second = try TestSupport.run(Self.tiny + ["--seed", "3", "--out", out.path, "--force"], environment: again)
            #expect(second.status == 9 && second.stderr.contains("restored"), "\(second.stderr)")
        }
        let now = try Self.snapshot(out)
        if step == 1 || step == 3 {
            #expect(now == old, "step \(step): the old report, byte for byte")
        } else {
            let record = try RunRecord.decode(try #require(now["run.json"]))
            #expect(record.config.seed == 2)
            #expect(Set(now.keys) == Set(try ReportFiles.render(record).keys), "step \(step): the complete new report")
        }
        // Leftovers of the killed runs are cleaned up by the next run that publishes here.
        let cleanup = try TestSupport.run(Self.tiny + ["--out", out.path, "--force"])
        #expect(cleanup.status == 0, "\(cleanup.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path).filter { $0.hasPrefix(".") } == [])
    }

    // Defect 4: Ctrl-C in every long phase stops within 2 s with exit 130, the previous report intact.
    @Test(arguments: [
        ("burn-in", ["--lattice", "4x4", "--no-gfn", "--burn-in", "100000000", "--samples", "8"], "Metropolis-Hastings"),
        ("thinning", ["--lattice", "4x4", "--no-gfn", "--burn-in", "0", "--thin", "20000000", "--samples", "8"], "Metropolis-Hastings"),
        ("analysis", ["--lattice", "3x3", "--no-gfn", "--burn-in", "0", "--samples", "1000000"], "MH analysis"),
        ("training", ["--lattice", "3x3", "--samples", "4000", "--iterations", "10000000", "--hidden", "16", "--batch", "16"], "GFlowNet training"),
        ("sampling", ["--lattice", "3x3", "--samples", "4000", "--iterations", "2", "--hidden", "16", "--batch", "16", "--gfn-samples", "20000000"], "GFlowNet sampling"),
        ("enumeration", ["--lattice", "4x6", "--no-gfn", "--samples", "8"], "exact reference"),
    ])
    func ctrlCStopsEveryPhaseWithinTwoSeconds(_ c: (String, [String], String)) throws {
        let out = try Self.copyOfPrevious()
        let before = try Self.snapshot(out)
        let stop = try TestSupport.interrupt(c.1 + ["--out", out.path, "--force"], whenStderrContains: c.2, after: 0.5)
        #expect(stop.reachedStage, "\(c.0): never reached '\(c.2)': \(stop.stderr)")
        #expect(stop.status == 130, "\(c.0): status \(stop.status): \(stop.stderr)")
        #expect(stop.secondsToStop < 2, "\(c.0): \(stop.secondsToStop) s to stop")
        #expect(try Self.snapshot(out) == before, "\(c.0): the previous report is untouched")
    }

    // Defect 4: loading a huge model file stops on Ctrl-C too (it is read in chunks).
    @Test func ctrlCStopsLoadingAModelFile() throws {
        let dir = TestSupport.temporaryDirectory()
        let file = dir.appendingPathComponent("big.txt")
        var text = "variables 1000000\n"
        text.reserveCapacity(40_000_000)
        for i in 0..<999_999 { text += "coupling \(i) \(i + 1) 0.5\n" }
        try Data(text.utf8).write(to: file)
        let stop = try TestSupport.interrupt(["--energy", "file:\(file.path)", "--no-gfn", "--out", dir.appendingPathComponent("out").path],
                                             whenStderrContains: nil, after: 0.5)
        #expect(stop.stderr.split(separator: "\n").allSatisfy { !$0.contains("[gfn-compare]") }, "still loading when interrupted: \(stop.stderr)")
        #expect(stop.status == 130, "status \(stop.status): \(stop.stderr)")
        #expect(stop.secondsToStop < 2, "\(stop.secondsToStop) s to stop")
    }

    // Defect 5: a model file over the size limit is refused before it is read.
    @Test func anOversizedModelFileIsRefusedUnread() throws {
        let dir = TestSupport.temporaryDirectory()
        let file = dir.appendingPathComponent("huge.txt")
        FileManager.default.createFile(atPath: file.path, contents: Data("variables 4\n".utf8))
        let handle = try FileHandle(forWritingTo: file)
        try handle.truncate(atOffset: 300 << 20)  // sparse: 300 MiB that take no disk
        try handle.close()
        let t0 = Date()
        let r = try TestSupport.run(["--energy", "file:\(file.path)", "--no-gfn", "--quiet", "--out", dir.appendingPathComponent("out").path])
        #expect(r.status == 2 && r.stderr.contains("limit"), "\(r.stderr)")
        #expect(Date().timeIntervalSince(t0) < 5)
    }

    // Defect 6: broken baselines are refused, not trusted.
    @Test(arguments: [
        ("\"z\" : 5", "\"z\" : -5", "z = -5"),
        ("\"z\" : 5", "\"z\" : 0", "z = 0"),
        ("\"sd\" : ", "\"sd\" : -1, \"_was\" : ", "sd = -1"),
        ("\"sd\" : ", "\"sd\" : 1e308, \"_was\" : ", "implausible"),
        ("\"mean\" : ", "\"mean\" : -0.5, \"_was\" : ", "mean = -0.5"),
        ("\"chi_square_threshold\" : 0.0001", "\"chi_square_threshold\" : 2", "chi_square_threshold"),
    ])
    func brokenBaselinesAreRefused(_ c: (String, String, String)) throws {
        let source = TestSupport.packageRoot.appendingPathComponent("reports/baselines/ising-3x3.json")
        let text = try String(contentsOf: source, encoding: .utf8)
        #expect(text.contains(c.0))
        let broken = TestSupport.temporaryDirectory().appendingPathComponent("b.json")
        // Only the first occurrence: one metric's field.
        let range = try #require(text.range(of: c.0))
        try text.replacingCharacters(in: range, with: c.1).write(to: broken, atomically: true, encoding: .utf8)
        let r = try TestSupport.run(["check", broken.path, "--quiet"])
        #expect(r.status == 2, "\(c.1): status \(r.status) \(r.stderr)")
        #expect(r.stderr.contains("unusable") && r.stderr.contains(c.2), "\(r.stderr)")
    }

    // Defect 7: the `--flag=value` form cannot smuggle a per-run output into a sweep.
    @Test func sweepSpecsCannotSetPerRunOutputsInEitherForm() throws {
        let dir = TestSupport.temporaryDirectory()
        for base in [["--save-model=m.json"], ["--out=x"], ["--save-model", "m.json"], ["--load-model=m.json"]] {
            let spec = dir.appendingPathComponent("spec.json")
            let json: [String: Any] = ["name": "s", "base": base + ["--no-gfn"], "axes": [["flag": "beta", "values": ["0.2", "0.3"]]]]
            try JSONSerialization.data(withJSONObject: json).write(to: spec)
            let r = try TestSupport.run(["sweep", spec.path, "--list"])
            #expect(r.status == 2 && r.stderr.contains("--flag=value"), "\(base): \(r.stderr)")
        }
    }

    // Defect 7: a sweep's runs die with it, and a run folder is claimed with a lock.
    @Test func aKilledSweepLeavesNoRunsBehind() throws {
        let dir = TestSupport.temporaryDirectory()
        let spec = dir.appendingPathComponent("spec.json")
        let json: [String: Any] = ["name": "long", "base": ["--lattice", "3x3", "--samples", "4000", "--iterations", "100000000", "--hidden", "8", "--batch", "8"],
                                   "axes": [["flag": "beta", "values": ["0.2", "0.3"]]]]
        try JSONSerialization.data(withJSONObject: json).write(to: spec)
        let p = Process()
        p.executableURL = TestSupport.executable
        p.arguments = ["sweep", spec.path, "--out", dir.appendingPathComponent("sw").path, "--jobs", "2", "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until both runs are running under the sweep.
        var children: [Int32] = []
        for _ in 0..<200 where children.count < 2 {
            Thread.sleep(forTimeInterval: 0.05)
            children = TestSupport.childProcesses(of: p.processIdentifier)
        }
        #expect(children.count == 2, "children \(children)")
        // While they run, a second sweep on the same folder does not start them again.
        let second = try TestSupport.run(["sweep", spec.path, "--out", dir.appendingPathComponent("sw").path, "--jobs", "2", "--quiet"])
        #expect(second.status == 1 && second.stderr.contains("another sweep"), "\(second.stderr)")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.5)
        // Gone, or a zombie waiting for a reaper (PID 1 here may never reap): not running.
        for c in children {
            let state = (try? String(contentsOfFile: "/proc/\(c)/stat", encoding: .utf8)).flatMap { s in
                s.lastIndex(of: ")").map { s[s.index($0, offsetBy: 2)] }
            }
            #expect(state == nil || state == "Z", "run \(c) outlived its sweep (state \(state.map(String.init) ?? "?"))")
        }
    }

    // Defect 9: a saved model with one changed digit is refused.
    @Test func aChangedDigitInASavedModelIsRefused() throws {
        let dir = TestSupport.temporaryDirectory()
        let model = dir.appendingPathComponent("m.json")
        let first = try TestSupport.run(Self.tiny + ["--out", dir.appendingPathComponent("a").path, "--save-model", model.path])
        #expect(first.status == 0, "\(first.stderr)")
        var text = try String(contentsOf: model, encoding: .utf8)
        let range = try #require(text.range(of: #""seed" : \d+"#, options: .regularExpression))
        text.replaceSubrange(range, with: "\"seed\" : 12345")
        try text.write(to: model, atomically: true, encoding: .utf8)
        let r = try TestSupport.run(Self.tiny + ["--out", dir.appendingPathComponent("b").path, "--load-model", model.path])
        #expect(r.status == 2 && r.stderr.contains("checksum"), "\(r.stderr)")
    }

    // Defect 10: the analysis of many samples is a stage of its own.
    @Test func theAnalysisHasItsOwnProgressStage() throws {
        let r = try TestSupport.run(["--lattice", "3x3", "--no-gfn", "--samples", "20000", "--out", TestSupport.temporaryDirectory().appendingPathComponent("o").path])
        #expect(r.status == 0)
        #expect(r.stderr.contains("MH analysis (20000 samples"), "\(r.stderr)")
    }
}
