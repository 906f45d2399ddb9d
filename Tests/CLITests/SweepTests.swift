import Foundation
import Reporting
import Testing
import TestSupport

@Suite(.serialized) struct SweepTests {
    static let spec = """
    {"name": "tiny", "base": ["--lattice", "2x3", "--boundary", "open", "--samples", "4000", "--chains", "2", "--burn-in", "50",
      "--iterations", "30", "--hidden", "8", "--batch", "8", "--gfn-samples", "500", "--blas-threads", "1"],
     "axes": [{"flag": "beta", "values": ["0.2", "0.5", "0.9"]}, {"flag": "seed", "values": ["1", "2"]}]}
    """

    static func writeSpec(_ text: String = spec) throws -> URL {
        let url = TestSupport.temporaryDirectory().appendingPathComponent("spec.json")
        try Data(text.utf8).write(to: url)
        return url
    }

    /// A run record minus the fields that may differ (timing, machine, the command with its --out path).
    static func stripped(_ url: URL) throws -> String {
        let object = Reproducibility.stripVolatile(try JSONSerialization.jsonObject(with: try Data(contentsOf: url)))
        var dict = object as? [String: Any] ?? [:]
        dict["command"] = nil
        return String(decoding: try JSONSerialization.data(withJSONObject: dict, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func aYAMLSpecListsTheSameRunsAsItsJSONTwin() throws {
        let yaml = TestSupport.temporaryDirectory().appendingPathComponent("spec.yaml")
        try Data("""
        name: tiny
        base: [--lattice, 2x3, --boundary, open, --samples, 4000, --chains, 2, --burn-in, 50,
               --iterations, 30, --hidden, 8, --batch, 8, --gfn-samples, 500, --blas-threads, 1]
        axes:
          - {flag: beta, values: [0.2, 0.5, 0.9]}
          - {flag: seed, values: [1, 2]}
        """.utf8).write(to: yaml)
        let fromYAML = try TestSupport.run(["sweep", yaml.path, "--list"])
        let fromJSON = try TestSupport.run(["sweep", try Self.writeSpec().path, "--list"])
        #expect(fromYAML.status == 0, "\(fromYAML.stderr)")
        #expect(fromYAML.stdout == fromJSON.stdout && fromYAML.stdout.contains("run-00005  beta=0.9 seed=2"))
    }

    @Test func shardsMergedInAnyOrderEqualTheWholeSweepByteForByte() throws {
        let spec = try Self.writeSpec()
        let root = TestSupport.temporaryDirectory()
        let whole = root.appendingPathComponent("whole")
        #expect(try TestSupport.run(["sweep", spec.path, "--out", whole.path, "--jobs", "2", "--quiet"]).status == 0)
        var shards: [URL] = []
        for k in 0..<3 {
            let dir = root.appendingPathComponent("shard\(k)")
            let r = try TestSupport.run(["sweep", spec.path, "--shard", "\(k)/3", "--out", dir.path, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            shards.append(dir)
        }
        let merged = root.appendingPathComponent("merged"), reversed = root.appendingPathComponent("reversed")
        #expect(try TestSupport.run(["merge"] + shards.map(\.path) + ["--out", merged.path]).status == 0)
        #expect(try TestSupport.run(["merge"] + shards.reversed().map(\.path) + ["--out", reversed.path]).status == 0)
        let expected = try Data(contentsOf: whole.appendingPathComponent("sweep.json"))
        #expect(try Data(contentsOf: merged.appendingPathComponent("sweep.json")) == expected)
        #expect(try Data(contentsOf: reversed.appendingPathComponent("sweep.json")) == expected)
        // One shard alone is incomplete: merge refuses and names the missing runs.
        let partial = try TestSupport.run(["merge", shards[0].path, "--out", root.appendingPathComponent("p").path])
        #expect(partial.status == 1)
        #expect(partial.stderr.contains("runs are missing"))
    }

    @Test func parallelismDoesNotChangeResults() throws {
        let spec = try Self.writeSpec()
        let root = TestSupport.temporaryDirectory()
        for jobs in ["1", "2"] {
            #expect(try TestSupport.run(["sweep", spec.path, "--out", root.appendingPathComponent("j\(jobs)").path, "--jobs", jobs, "--quiet"]).status == 0)
        }
        for i in 0..<6 {
            let name = String(format: "runs/run-%05d/run.json", i)
            #expect(try Self.stripped(root.appendingPathComponent("j1/" + name)) == Self.stripped(root.appendingPathComponent("j2/" + name)), "run \(i)")
        }
    }

    @Test func anInterruptedSweepResumesWithoutRedoingFinishedRuns() throws {
        let spec = try Self.writeSpec()
        let out = TestSupport.temporaryDirectory().appendingPathComponent("sweep")
        let p = Process()
        p.executableURL = TestSupport.executable
        p.arguments = ["sweep", spec.path, "--out", out.path, "--jobs", "1", "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let first = out.appendingPathComponent("runs/run-00000/run.json")
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: first.path) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        let kept = try Data(contentsOf: first)
        // Only complete runs exist: every run folder that is there has its run.json.
        for name in try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("runs").path) where !name.hasPrefix(".") {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("runs/\(name)/run.json").path))
        }
        let resumed = try TestSupport.run(["sweep", spec.path, "--out", out.path, "--jobs", "2"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("already complete"))
        #expect(try Data(contentsOf: first) == kept)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("sweep.json").path))
    }

    @Test func mergeRefusesADifferentSpecAndBadSpecsAreRefused() throws {
        let root = TestSupport.temporaryDirectory()
        let a = root.appendingPathComponent("a"), b = root.appendingPathComponent("b")
        #expect(try TestSupport.run(["sweep", try Self.writeSpec().path, "--shard", "0/2", "--out", a.path, "--quiet"]).status == 0)
        let other = try Self.writeSpec(Self.spec.replacingOccurrences(of: "\"tiny\"", with: "\"other\""))
        #expect(try TestSupport.run(["sweep", other.path, "--shard", "1/2", "--out", b.path, "--quiet"]).status == 0)
        let r = try TestSupport.run(["merge", a.path, b.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("different sweep spec"))
        for (text, needle) in [("{", "not a valid spec"), (Self.spec.replacingOccurrences(of: "\"0.2\"", with: "\"-1\""), "run 0"),
                               (Self.spec.replacingOccurrences(of: "\"flag\": \"seed\"", with: "\"flag\": \"out\""), "cannot be a sweep axis")] {
            let bad = try TestSupport.run(["sweep", try Self.writeSpec(text).path, "--out", root.appendingPathComponent("x").path])
            #expect(bad.status == 2, "\(needle): \(bad.stderr)")
            #expect(bad.stderr.contains(needle), "\(bad.stderr)")
        }
    }
}
