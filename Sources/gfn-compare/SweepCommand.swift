import ArgumentParser
import Comparison
import Foundation
import GFNCore
import Reporting

/// A sweep specification: shared arguments and the axes to cross (see docs/sweeps.md).
struct SweepSpec: Codable, Equatable {
    struct Axis: Codable, Equatable {
        /// A `run` flag without its dashes, e.g. "beta".
        var flag: String
        var values: [String]
    }
    var name: String
    /// Arguments every run shares, e.g. ["--lattice", "4x4", "--samples", "100000"].
    var base: [String]
    /// Crossed in order; the last axis varies fastest.
    var axes: [Axis]

    static func read(_ path: String) throws -> SweepSpec {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw GFNError.invalidInput("sweep spec \(path): cannot read the file") }
        let spec: SweepSpec
        do { spec = try JSONDecoder().decode(SweepSpec.self, from: data) } catch {
            throw GFNError.invalidInput("sweep spec \(path): not a valid spec (\(error.localizedDescription)); see docs/sweeps.md")
        }
        try spec.validate(path)
        return spec
    }

    func validate(_ path: String) throws {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw GFNError.invalidInput("sweep spec \(path): name must be letters, digits, '-', '_' or '.'")
        }
        let reserved: Set<String> = ["out", "force", "quiet", "save-model", "load-model"]
        for a in axes {
            guard !a.values.isEmpty else { throw GFNError.invalidInput("sweep spec \(path): axis '\(a.flag)' has no values") }
            guard !reserved.contains(a.flag), a.flag.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                throw GFNError.invalidInput("sweep spec \(path): '\(a.flag)' cannot be a sweep axis")
            }
        }
        guard !base.contains(where: { ["--out", "--force", "--save-model", "--load-model"].contains($0) }) else {
            throw GFNError.invalidInput("sweep spec \(path): base arguments may not set --out, --force, --save-model or --load-model (the sweep manages them)")
        }
        guard runs.count <= 100_000 else { throw GFNError.invalidInput("sweep spec \(path): \(runs.count) runs is more than 100000") }
        // Every run's arguments must parse and validate before anything starts.
        for (i, r) in runs.enumerated() {
            do { _ = try RunCommand.parse(r.arguments + ["--out", "/tmp/unused"]).settings() } catch {
                throw GFNError.invalidInput("sweep spec \(path): run \(i) (\(r.label)) is invalid: \(RunCommand.message(for: error))")
            }
        }
    }

    struct Run {
        var index: Int
        var values: [String]
        var arguments: [String]
        var label: String
    }

    /// The numbered runs: the Cartesian product of the axes, last axis fastest.
    var runs: [Run] {
        var combos: [[String]] = [[]]
        for a in axes { combos = combos.flatMap { c in a.values.map { c + [$0] } } }
        return combos.enumerated().map { i, values in
            let extra = zip(axes, values).flatMap { ["--\($0.flag)", $1] }
            return Run(index: i, values: values, arguments: base + extra,
                       label: zip(axes, values).map { "\($0.flag)=\($1)" }.joined(separator: " "))
        }
    }

    func folder(_ i: Int) -> String { String(format: "run-%05d", i) }
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

    @Argument(help: "The sweep spec (JSON; see docs/sweeps.md).")
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
        let failures = SweepRunner.run(todo, jobs: jobs, executable: executable) { r in
            r.arguments + ["--out", runsDir.appendingPathComponent(s.folder(r.index)).path, "--force", "--quiet"]
        } progress: { done in progress.update(Double(done) / Double(max(todo.count, 1))) }
        try Interruption.check()
        progress.end(failures.isEmpty ? "done" : "\(failures.count) failed")
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

/// Runs sweep runs as child processes, `jobs` at a time. Results go to files, so the order in
/// which children finish cannot change them.
enum SweepRunner {
    static func run(_ runs: [SweepSpec.Run], jobs: Int, executable: URL, arguments: (SweepSpec.Run) -> [String],
                    progress: (Int) -> Void) -> [(SweepSpec.Run, String)] {
        var next = 0, done = 0
        var failures: [(SweepSpec.Run, String)] = []
        var running: [(Process, Pipe, SweepSpec.Run)] = []
        while next < runs.count || !running.isEmpty {
            while running.count < jobs && next < runs.count && !Interruption.requested {
                let r = runs[next]; next += 1
                let p = Process()
                p.executableURL = executable
                p.arguments = ["run"] + arguments(r)
                let err = Pipe()
                p.standardError = err
                p.standardOutput = FileHandle.nullDevice
                do { try p.run(); running.append((p, err, r)) } catch { failures.append((r, "cannot start: \(error)")) }
            }
            if Interruption.requested {
                for (p, _, _) in running { p.interrupt() }
                for (p, _, _) in running { p.waitUntilExit() }
                return failures
            }
            Thread.sleep(forTimeInterval: 0.02)
            running.removeAll { p, err, r in
                guard !p.isRunning else { return false }
                if p.terminationStatus != 0 {
                    failures.append((r, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
                }
                done += 1
                progress(done)
                return true
            }
        }
        return failures
    }
}
