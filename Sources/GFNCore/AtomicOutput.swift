import CSystem
import Foundation

/// Writes output folders and files so that an interrupted run never leaves a half-written or
/// half-replaced result: everything is written under a temporary sibling name and renamed
/// into place (rename(2) is atomic within a file system).
public enum AtomicOutput {
    /// Files whose presence shows that gfn-compare wrote a folder (a run, a report re-render, a
    /// sweep, a bench): only such folders, or empty ones, are replaced with `--force`.
    public static let toolFiles: Set<String> = ["run.json", "report.md", "sweep.json", "bench.json", "draws.json"]

    /// Test builds only: the environment variable naming the step (1, 2, …) of ``publish`` at
    /// which the process kills itself, to test that every kill point leaves a complete folder.
    static let killPointVariable = "GFN_COMPARE_TEST_KILL_AT_STEP"
    /// Test builds only: take the two-rename fallback, as on a file system without RENAME_EXCHANGE.
    static let noExchangeVariable = "GFN_COMPARE_TEST_NO_EXCHANGE"

    /// Checks, before any work starts, that `directory` can be created (its parent is, or can
    /// be made, a writable folder) and that it does not exist unless `replace` is set, in which
    /// case it must be a folder this tool wrote (or an empty one). `flag` names the option in messages.
    ///
    /// - Throws: ``GFNError/invalidInput(_:)`` naming the path and the problem.
    public static func checkWritable(directory: URL, replace: Bool, flag: String = "--out") throws {
        let fm = FileManager.default
        var st = stat()
        if lstat(directory.path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK {
            throw GFNError.invalidInput("\(flag) \(directory.path) is a symbolic link\(fm.fileExists(atPath: directory.path) ? "" : " to nothing (dangling)"); give a real folder path")
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory.path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw GFNError.invalidInput("\(flag) \(directory.path) is an existing file, not a folder")
            }
            guard replace else {
                throw GFNError.invalidInput("\(flag) \(directory.path) already exists; pass --force to replace it, or choose another \(flag)")
            }
            if let foreign = foreignContent(of: directory) {
                throw GFNError.invalidInput("\(flag) \(directory.path) holds files gfn-compare did not write (\(foreign)); --force replaces only folders this tool wrote, so choose another \(flag)")
            }
        }
        let parent = directory.deletingLastPathComponent()
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw GFNError.invalidInput("\(flag) \(directory.path) cannot be created: \(parent.path) is not a writable folder")
        }
        let probe = parent.appendingPathComponent(".gfn-compare-probe-\(getpid())")
        guard fm.createFile(atPath: probe.path, contents: Data()) else {
            throw GFNError.invalidInput("\(flag) \(directory.path) is not writable: cannot create files in \(parent.path)")
        }
        try? fm.removeItem(at: probe)
        reportLeftovers(of: directory)
    }

    /// nil when `directory` is empty or holds one of ``toolFiles``; otherwise a few of its names.
    public static func foreignContent(of directory: URL) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return "unreadable" }
        if names.isEmpty || names.contains(where: toolFiles.contains) { return nil }
        let shown = names.sorted().prefix(3).joined(separator: ", ")
        return names.count > 3 ? shown + ", …" : shown
    }

    /// Cleans up after earlier runs that were killed while publishing `directory` (their process
    /// is gone): a replaced folder (`.NAME.old-PID`) is moved back when `directory` itself is
    /// missing (a kill between the fallback's two renames), and otherwise removed, as are staging
    /// folders (`.NAME.partial-PID`). Each action is said on stderr.
    public static func reportLeftovers(of directory: URL) {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        let name = directory.lastPathComponent
        guard let siblings = try? fm.contentsOfDirectory(atPath: parent.path) else { return }
        func say(_ s: String) { FileHandle.standardError.write(Data("gfn-compare: \(s)\n".utf8)) }
        for kind in ["old", "partial"] {
            let prefix = ".\(name).\(kind)-"
            for sibling in siblings.sorted() {
                guard sibling.hasPrefix(prefix), let pid = Int32(sibling.dropFirst(prefix.count)) else { continue }
                // A live process may still be writing it (a concurrent run): leave that one alone.
                if pid != getpid() && kill(pid, 0) == 0 { continue }
                let url = parent.appendingPathComponent(sibling)
                if kind == "old" && !fm.fileExists(atPath: directory.path) && rename(url.path, directory.path) == 0 {
                    say("restored \(directory.path) from \(url.path), where an interrupted earlier run had left it")
                } else if (try? fm.removeItem(at: url)) != nil {
                    say("removed \(url.path), left by an interrupted earlier run")
                }
            }
        }
    }

    /// Test builds only: whether to skip the atomic exchange.
    static var exchangeDisabled: Bool {
        #if DEBUG
        return ProcessInfo.processInfo.environment[noExchangeVariable] != nil
        #else
        return false
        #endif
    }

    /// Test builds only: dies at `step` when the kill-point variable names it.
    static func killPoint(_ step: Int) {
        #if DEBUG
        if let s = ProcessInfo.processInfo.environment[killPointVariable], Int(s) == step { kill(getpid(), SIGKILL) }
        #endif
    }

    /// Publishes `files` (relative path → contents) as the folder `directory`, replacing an
    /// existing folder only when `replace` is set. Readers see either the complete old folder or
    /// the complete new one at every instant: the new folder is staged beside it and swapped in
    /// with one atomic exchange (renameat2 RENAME_EXCHANGE); where the file system lacks that,
    /// two renames, with the old folder kept until the new one is in place.
    public static func publish(files: [String: Data], to directory: URL, replace: Bool) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        let name = directory.lastPathComponent
        let staging = parent.appendingPathComponent(".\(name).partial-\(getpid())")
        try? fm.removeItem(at: staging)
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            for (path, data) in files.sorted(by: { $0.key < $1.key }) {
                let url = staging.appendingPathComponent(path)
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url)
            }
        } catch {
            try? fm.removeItem(at: staging)
            throw GFNError.runtime("could not write \(directory.path): \(error.localizedDescription)")
        }
        killPoint(1)
        if fm.fileExists(atPath: directory.path) {
            guard replace else {
                try? fm.removeItem(at: staging)
                // Not bad input: the folder appeared while this run worked (another run won the race).
                throw GFNError.runtime("\(directory.path) was created by someone else while this run worked; nothing was replaced (pass --force to replace it)")
            }
            if let foreign = foreignContent(of: directory) {
                try? fm.removeItem(at: staging)
                throw GFNError.runtime("\(directory.path) now holds files gfn-compare did not write (\(foreign)); nothing was replaced")
            }
            if !exchangeDisabled && gfn_rename_exchange(staging.path, directory.path) == 0 {
                killPoint(2)
                try? fm.removeItem(at: staging)  // now the old folder
                return
            }
            let exchangeError = exchangeDisabled ? EINVAL : errno
            guard exchangeError == EINVAL || exchangeError == ENOSYS || exchangeError == EOPNOTSUPP else {
                try? fm.removeItem(at: staging)
                throw GFNError.runtime("could not replace \(directory.path): \(String(cString: strerror(exchangeError)))")
            }
            // Fallback: the old folder moves aside, the new one in; a kill between the two
            // renames leaves the old one complete at .NAME.old-PID (reported by the next run).
            let old = parent.appendingPathComponent(".\(name).old-\(getpid())")
            try? fm.removeItem(at: old)
            guard rename(directory.path, old.path) == 0 else {
                let e = errno
                try? fm.removeItem(at: staging)
                throw GFNError.runtime("could not replace \(directory.path): \(String(cString: strerror(e)))")
            }
            killPoint(3)
            guard rename(staging.path, directory.path) == 0 else {
                let e = errno
                _ = rename(old.path, directory.path)
                throw GFNError.runtime("could not move the new result into \(directory.path): \(String(cString: strerror(e)))")
            }
            killPoint(4)
            try? fm.removeItem(at: old)
        } else {
            guard rename(staging.path, directory.path) == 0 else {
                let e = errno
                try? fm.removeItem(at: staging)
                throw GFNError.runtime("could not create \(directory.path): \(String(cString: strerror(e)))")
            }
        }
    }

    /// Checks that a file can be written at `url` (its folder exists or can be made, and is writable).
    public static func checkWritableFile(_ url: URL, flag: String) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
            throw GFNError.invalidInput("\(flag) \(url.path) is a folder, not a file")
        }
        let parent = url.deletingLastPathComponent()
        do { try fm.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw GFNError.invalidInput("\(flag) \(url.path) cannot be created: \(parent.path) is not a writable folder")
        }
        guard fm.isWritableFile(atPath: parent.path) else {
            throw GFNError.invalidInput("\(flag) \(url.path) is not writable: cannot create files in \(parent.path)")
        }
    }

    /// Writes one file atomically (temporary sibling + rename).
    public static func write(_ data: Data, to url: URL) throws {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())")
        do {
            try data.write(to: tmp)
        } catch {
            throw GFNError.runtime("could not write \(url.path): \(error.localizedDescription)")
        }
        guard rename(tmp.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: tmp)
            throw GFNError.runtime("could not write \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Ties a child process's life to its parent's and keeps two processes off the same work.
public enum ProcessTies {
    /// The environment variable a sweep sets for its runs: the parent's process id.
    public static let parentVariable = "GFN_COMPARE_PARENT_PID"

    /// When started by a sweep (the variable is set), dies as soon as the sweep does (SIGKILL on
    /// the parent's exit, PR_SET_PDEATHSIG), so a killed sweep leaves no runs behind that a
    /// resumed one would start again.
    public static func dieWithParentIfAsked() {
        guard let s = ProcessInfo.processInfo.environment[parentVariable], let parent = Int32(s) else { return }
        _ = gfn_set_parent_death_signal(SIGKILL)
        // The parent may have died before the request took effect.
        if getppid() != parent { kill(getpid(), SIGKILL) }
    }

    /// An exclusive advisory lock on `path` (created if needed), or nil when another process
    /// holds it. Released when the returned descriptor is closed or the process ends.
    public static func tryLock(_ path: String) -> Int32? {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { close(fd); return nil }
        return fd
    }
}
