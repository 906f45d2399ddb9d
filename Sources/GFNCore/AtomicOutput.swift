import Foundation

/// Writes output folders and files so that an interrupted run never leaves a half-written or
/// half-replaced result: everything is written under a temporary sibling name and renamed
/// into place (rename(2) is atomic within a file system).
public enum AtomicOutput {
    /// Checks, before any work starts, that `directory` can be created (its parent is, or can
    /// be made, a writable folder) and that it does not exist unless `replace` is set.
    ///
    /// - Throws: ``GFNError/invalidInput(_:)`` naming the path and the problem.
    public static func checkWritable(directory: URL, replace: Bool) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory.path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw GFNError.invalidInput("--out \(directory.path) is an existing file, not a folder")
            }
            guard replace else {
                throw GFNError.invalidInput("--out \(directory.path) already exists; pass --force to replace it, or choose another --out")
            }
        }
        let parent = directory.deletingLastPathComponent()
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw GFNError.invalidInput("--out \(directory.path) cannot be created: \(parent.path) is not a writable folder")
        }
        let probe = parent.appendingPathComponent(".gfn-compare-probe-\(getpid())")
        guard fm.createFile(atPath: probe.path, contents: Data()) else {
            throw GFNError.invalidInput("--out \(directory.path) is not writable: cannot create files in \(parent.path)")
        }
        try? fm.removeItem(at: probe)
    }

    /// Publishes `files` (relative path → contents) as the folder `directory`, replacing an
    /// existing folder only when `replace` is set. Readers see either the old folder or the new
    /// one, never a mixture.
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
        if fm.fileExists(atPath: directory.path) {
            guard replace else {
                try? fm.removeItem(at: staging)
                throw GFNError.invalidInput("\(directory.path) already exists; pass --force to replace it")
            }
            let old = parent.appendingPathComponent(".\(name).old-\(getpid())")
            try? fm.removeItem(at: old)
            guard rename(directory.path, old.path) == 0 else {
                try? fm.removeItem(at: staging)
                throw GFNError.runtime("could not replace \(directory.path): \(String(cString: strerror(errno)))")
            }
            guard rename(staging.path, directory.path) == 0 else {
                _ = rename(old.path, directory.path)
                throw GFNError.runtime("could not move the new result into \(directory.path): \(String(cString: strerror(errno)))")
            }
            try? fm.removeItem(at: old)
        } else {
            guard rename(staging.path, directory.path) == 0 else {
                try? fm.removeItem(at: staging)
                throw GFNError.runtime("could not create \(directory.path): \(String(cString: strerror(errno)))")
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
