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
    public static func run(_ arguments: [String], in directory: URL? = nil) throws -> CommandResult {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
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
