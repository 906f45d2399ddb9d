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
        Self.rerunUnderRecordedBLASKernels(original)
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

    /// OpenBLAS picks its kernels for the CPU when it loads, and each family rounds the network's
    /// products differently (a record made with the Zen kernels differs in hundreds of fields
    /// when rerun with Cooperlake's). When the record names other kernels than this CPU's
    /// default and the CPU can run them, the command runs itself again with
    /// `OPENBLAS_CORETYPE` naming them (read only at load, hence a new process image); otherwise
    /// it says why the numbers may differ and goes on.
    static func rerunUnderRecordedBLASKernels(_ original: RunRecord) {
        guard let recorded = GSL.openBLASCore(recordedIn: original.environment.openblas) else { return }
        let current = GSL.openBLASCore
        guard recorded.caseInsensitiveCompare(current) != .orderedSame else { return }
        let environment = ProcessInfo.processInfo.environment
        let runnable = GSL.canRunOpenBLASCore(recorded)
        if runnable && environment["OPENBLAS_CORETYPE"] == nil {
            // Written unbuffered: the new process image would drop anything still in a buffer.
            FileHandle.standardOutput.write(Data("note: this run was recorded with OpenBLAS's \(recorded) kernels and this CPU's default is \(current); rerunning with OPENBLAS_CORETYPE=\(recorded) so the matrix products round as they did\n".utf8))
            var env = environment
            env["OPENBLAS_CORETYPE"] = recorded
            var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) } + [nil]
            var envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
            execve("/proc/self/exe", &argv, &envp)
            print("note: could not rerun under those kernels (\(String(cString: strerror(errno)))); reproducing with \(current)'s")
            return
        }
        let why = runnable ? "OPENBLAS_CORETYPE=\(environment["OPENBLAS_CORETYPE"] ?? "") overrides them" : "this CPU cannot run them"
        print("note: this run was recorded with OpenBLAS's \(recorded) kernels, but \(why); the matrix products round differently under \(current)'s, so the GFlowNet's numbers may differ")
    }
}
