import ArgumentParser
import Checks
import Comparison
import Foundation
import GFNCore
import Reporting

/// Checks that every run of a spec parses and validates as `gfn-compare run` arguments.
func validateRuns(of spec: SweepSpec, path: String) throws {
    for (i, r) in spec.runs.enumerated() {
        do { _ = try RunCommand.parse(r.arguments + ["--out", "/tmp/unused"]).settings() } catch {
            throw GFNError.invalidInput("sweep spec \(path): run \(i) (\(r.label)) is invalid: \(RunCommand.message(for: error))")
        }
    }
}

/// `--shard K/N`: this copy runs the runs whose index ≡ K (mod N).
struct Shard: Equatable {
    var k: Int
    var n: Int
    static func parse(_ s: String) throws -> Shard {
        let p = s.split(separator: "/").map { Int($0) }
        guard p.count == 2, let k = p[0], let n = p[1], n >= 1, (0..<n).contains(k) else {
            throw ValidationError("expected K/N with 0 ≤ K < N, e.g. 0/4")
        }
        return Shard(k: k, n: n)
    }
}

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run every configuration of a sweep spec (resumable, shardable) and merge them into one report.")

    @Argument(help: "The sweep spec: JSON, or YAML for a .yaml/.yml file (see docs/sweeps.md).")
    var spec: String

    @Flag(help: "Print the numbered runs and exit.")
    var list = false

    @Option(parsing: .unconditional, help: "Runs at once on this machine (default: the core count).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Run only the runs with index ≡ K (mod N), e.g. --shard 0/4 (a scheduler's array index).", transform: Shard.parse)
    var shard: Shard?

    @Option(help: "Sweep folder (default: sweep-<name>).")
    var out: String?

    @Flag(help: "No progress on standard error.")
    var quiet = false

    func run() throws {
        let s = try SweepSpec.read(spec)
        try validateRuns(of: s, path: spec)
        if list {
            for r in s.runs { print("\(s.folder(r.index))  \(r.label)") }
            return
        }
        guard (1...64).contains(jobs) else { throw GFNError.invalidInput("--jobs must be between 1 and 64 (got \(jobs))") }
        let dir = URL(fileURLWithPath: out ?? "sweep-\(s.name)")
        let runsDir = dir.appendingPathComponent("runs")
        try FileManager.default.createDirectory(at: runsDir, withIntermediateDirectories: true)
        // The spec beside the runs: merge refuses folders of different specs.
        let specURL = dir.appendingPathComponent("sweep-spec.json")
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let specData = try enc.encode(s)
        if let existing = try? Data(contentsOf: specURL), existing != specData {
            throw GFNError.invalidInput("\(dir.path) holds a different sweep spec; use another --out")
        }
        try AtomicOutput.write(specData, to: specURL)

        let mine = s.runs.filter { r in shard.map { r.index % $0.n == $0.k } ?? true }
        let todo = mine.filter { !FileManager.default.fileExists(atPath: runsDir.appendingPathComponent(s.folder($0.index)).appendingPathComponent("run.json").path) }
        let progress = ProgressReporter(enabled: !quiet)
        progress.begin("sweep \(s.name): \(todo.count) of \(mine.count) runs to do (\(mine.count - todo.count) already complete), \(jobs) at a time")
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        let executable = FileManager.default.isExecutableFile(atPath: exe.path) ? exe : Bundle.main.executableURL!
        let folder = { (r: SweepSpec.Run) in runsDir.appendingPathComponent(s.folder(r.index)) }
        let (failures, busy) = SweepRunner.run(todo, jobs: jobs, executable: executable,
                                               lockPath: { runsDir.appendingPathComponent(".\(s.folder($0.index)).lock").path },
                                               isDone: { FileManager.default.fileExists(atPath: folder($0).appendingPathComponent("run.json").path) }) { r in
            r.arguments + ["--out", folder(r).path, "--force", "--quiet"]
        } progress: { done in progress.update(Double(done) / Double(max(todo.count, 1))) }
        try Interruption.check()
        progress.end(failures.isEmpty ? "done" : "\(failures.count) failed")
        if !busy.isEmpty {
            throw GFNError.runtime("\(busy.count) run(s) are being run by another sweep on the same folder (\(busy.map { s.folder($0.index) }.joined(separator: ", "))); rerun when it has finished")
        }
        if !failures.isEmpty {
            for (r, message) in failures {
                FileHandle.standardError.write(Data("run \(r.index) (\(r.label)) failed: \(message)\n".utf8))
            }
            throw GFNError.runtime("\(failures.count) run(s) of the sweep failed; rerun the same command to retry them")
        }
        if shard == nil {
            let merged = try SweepMerge.merge([dir], into: dir)
            print("sweep: \(merged) runs merged into \(dir.appendingPathComponent("report.md").path)")
        } else {
            print("shard \(shard!.k)/\(shard!.n): \(mine.count) runs complete in \(runsDir.path); merge the shards with `gfn-compare merge`")
        }
    }
}
