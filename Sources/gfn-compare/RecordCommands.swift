import ArgumentParser
import Comparison
import Foundation
import GFNCore
import Reporting

/// Reads a run record, turning every failure into a clear message.
func readRecord(_ path: String) throws -> RunRecord {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw GFNError.invalidInput("\(path): cannot read the file")
    }
    do { return try RunRecord.decode(data) } catch let e as RecordError {
        throw GFNError.invalidInput("\(path): \(e.description)")
    } catch {
        throw GFNError.invalidInput("\(path): not a gfn-compare run.json (\(error.localizedDescription))")
    }
}

/// `gfn-compare report RUN.json`: re-renders report.md and the plots from a record, without rerunning.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Re-render report.md and the plots from a run.json.")

    @Argument(help: "The run.json to render.")
    var record: String

    @Option(help: "Folder to write into (default: the record's folder).")
    var out: String?

    func run() throws {
        let r = try readRecord(record)
        let dir = out.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: record).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, data) in try ReportFiles.render(r) where name != "run.json" {
            try AtomicOutput.write(data, to: dir.appendingPathComponent(name))
        }
        print("report: \(dir.appendingPathComponent("report.md").path)")
    }
}

/// `gfn-compare reproduce RUN.json`: reruns the recorded configuration and compares every number.
struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Rerun a run.json's configuration; exit 0 if every number matches, 1 listing what differs.",
        discussion: "Timing fields (…_seconds, …_per_second, wall_…) and the environment block are not compared.")

    @Argument(help: "The run.json to reproduce.")
    var record: String

    @Flag(help: "No progress on standard error.")
    var quiet = false

    func run() throws {
        let original = try readRecord(record)
        var settings = try RunSettings(config: original.config)
        // A run whose training the --time-limit deadline stopped reproduces in its iteration
        // count only: rerun exactly those iterations, and say so.
        if let limited = original.samplers.first(where: { $0.metrics.wallLimited == true }), let g = settings.gfn,
           let trajectories = limited.metrics.trainingTrajectories {
            let done = trajectories / max(g.batch, 1)
            settings.deadlineAtIteration = done
            print("note: this run's training was stopped by \(g.trainSeconds == nil ? "--time-limit" : "--train-seconds") after \(done) of \(g.iterations) iterations; reproducing those \(done) iterations (a wall-bounded run reproduces in its iteration count, not its time)")
        }
        let again = try ComparisonRun.run(settings, command: original.command, progress: ProgressReporter(enabled: !quiet))
        let differences = try Reproducibility.differences(try original.jsonData(), try again.jsonData())
        if differences.isEmpty {
            print("reproduced: every number matches (\(record))")
            return
        }
        print("not reproduced: \(differences.count) field(s) differ:")
        for d in differences { print("  \(d)") }
        throw ExitCode(1)
    }
}
