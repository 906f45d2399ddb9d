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
