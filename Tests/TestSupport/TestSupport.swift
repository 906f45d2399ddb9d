import Foundation
import GFNCore

/// Shared helpers for the test targets.
public enum TestSupport {
    /// The package's root folder (found from this file's path).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Whether |a − b| ≤ tol.
    public static func close(_ a: Double, _ b: Double, _ tol: Double) -> Bool { abs(a - b) <= tol }

    /// Whether |a − b| ≤ tol·max(1, |b|).
    public static func relativelyClose(_ a: Double, _ b: Double, _ tol: Double) -> Bool { abs(a - b) <= tol * max(1, abs(b)) }
}

/// The result of running a command.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

extension TestSupport {
    /// The built `gfn-compare` executable beside the test bundle (`swift test` builds it first).
    public static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("gfn-compare")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/gfn-compare")
    }

    /// Runs the executable with `arguments` in `directory`, capturing its output.
    public static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws -> CommandResult {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes to the end before waiting, so a full pipe cannot block the child.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// What an interrupted run did.
    public struct Interrupted: Sendable {
        public var reachedStage: Bool
        public var status: Int32
        /// From SIGINT to the process's exit.
        public var secondsToStop: Double
        public var stderr: String
    }

    /// Starts the executable, waits until its stderr contains `stage` (or, with nil, just
    /// starts), waits `after` seconds more, sends SIGINT and times the stop.
    public static func interrupt(_ arguments: [String], whenStderrContains stage: String?, after: Double,
                                 timeout: Double = 120) throws -> Interrupted {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        final class Buffer: @unchecked Sendable {
            let lock = NSLock(); var data = Data()
            func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
            var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
        }
        let buffer = Buffer()
        err.fileHandleForReading.readabilityHandler = { h in buffer.append(h.availableData) }
        try p.run()
        let start = Date()
        var reached = stage == nil
        while !reached && p.isRunning && Date().timeIntervalSince(start) < timeout {
            Thread.sleep(forTimeInterval: 0.02)
            reached = buffer.text.contains(stage!)
        }
        Thread.sleep(forTimeInterval: after)
        let sent = Date()
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        let seconds = Date().timeIntervalSince(sent)
        err.fileHandleForReading.readabilityHandler = nil
        buffer.append(err.fileHandleForReading.readDataToEndOfFile())
        return Interrupted(reachedStage: reached, status: p.terminationStatus, secondsToStop: seconds, stderr: buffer.text)
    }

    /// The process ids whose parent is `pid` (from /proc).
    public static func childProcesses(of pid: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { Int32($0) }.filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid
        }
    }

    /// A new empty temporary folder.
    public static func temporaryDirectory() -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("gfn-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }
}

import CGSL

extension TestSupport {
    /// One OpenBLAS thread per product: tests run in parallel, and a multi-threaded BLAS in
    /// each would oversubscribe the cores.
    public static func singleThreadedBLAS() { openblas_set_num_threads(1) }
}
