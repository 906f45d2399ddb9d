import Comparison
import Foundation
import GFNCore
import Reporting

/// Runs sweep runs as child processes, `jobs` at a time. Results go to files, so the order in
/// which children finish cannot change them. Each run is claimed with a lock file first (two
/// sweeps on one folder never run the same run), and each child dies with this process.
public enum SweepRunner {
    /// - Returns: the failed runs with their messages, and the runs another process held.
    public static func run(_ runs: [SweepSpec.Run], jobs: Int, executable: URL, lockPath: (SweepSpec.Run) -> String,
                    isDone: (SweepSpec.Run) -> Bool, arguments: (SweepSpec.Run) -> [String],
                    progress: (Int) -> Void) -> (failures: [(SweepSpec.Run, String)], busy: [SweepSpec.Run]) {
        var next = 0, done = 0
        var failures: [(SweepSpec.Run, String)] = []
        var busy: [SweepSpec.Run] = []
        var running: [(Process, Pipe, SweepSpec.Run, Int32)] = []
        var environment = ProcessInfo.processInfo.environment
        environment[ProcessTies.parentVariable] = String(getpid())
        while next < runs.count || !running.isEmpty {
            while running.count < jobs && next < runs.count && !Interruption.requested {
                let r = runs[next]; next += 1
                guard let lock = ProcessTies.tryLock(lockPath(r)) else { busy.append(r); done += 1; progress(done); continue }
                if isDone(r) { close(lock); done += 1; progress(done); continue }  // finished by another sweep meanwhile
                let p = Process()
                p.executableURL = executable
                p.arguments = ["run"] + arguments(r)
                p.environment = environment
                let err = Pipe()
                p.standardError = err
                p.standardOutput = FileHandle.nullDevice
                do { try p.run(); running.append((p, err, r, lock)) } catch { close(lock); failures.append((r, "cannot start: \(error)")) }
            }
            if Interruption.requested {
                for (p, _, _, _) in running { p.interrupt() }
                for (p, _, _, lock) in running { p.waitUntilExit(); close(lock) }
                return (failures, busy)
            }
            Thread.sleep(forTimeInterval: 0.02)
            running.removeAll { p, err, r, lock in
                guard !p.isRunning else { return false }
                close(lock)
                if p.terminationStatus != 0 {
                    failures.append((r, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
                }
                done += 1
                progress(done)
                return true
            }
        }
        return (failures, busy)
    }
}
