import CGSL
import CSystem
import Foundation

/// Process-wide GSL set-up.
public enum GSL {
    private static let once: Void = {
        // GSL's default handler calls abort(); turn it off so every failure comes back
        // as a return code that the caller turns into a clear message.
        _ = gsl_set_error_handler_off()
    }()

    /// Turns off GSL's aborting error handler (idempotent, thread-safe).
    public static func installErrorHandler() { once }

    /// The GSL library version string, e.g. "2.7.1".
    public static var version: String { String(cString: gfn_gsl_version()) }

    /// OpenBLAS's build configuration and the CPU kernel it selected.
    public static var openBLASConfig: String {
        "\(String(cString: openblas_get_config())) core=\(openBLASCore)"
    }

    /// The CPU kernels OpenBLAS selected ("Haswell", "Zen", "Cooperlake", …). Its products round
    /// differently from one kernel family to another, so a GFlowNet's numbers depend on it.
    public static var openBLASCore: String { String(cString: openblas_get_corename()) }

    /// The kernel named in a record's OpenBLAS description (``openBLASConfig``: "… core=Zen").
    public static func openBLASCore(recordedIn description: String) -> String? {
        guard let range = description.range(of: "core=") else { return nil }
        let name = description[range.upperBound...].prefix { !$0.isWhitespace }
        return name.isEmpty ? nil : String(name)
    }

    /// Whether this CPU can run OpenBLAS's kernels for `core`, so `OPENBLAS_CORETYPE` may name it.
    public static func canRunOpenBLASCore(_ core: String) -> Bool { gfn_cpu_can_run_openblas_core(core) != 0 }
}

/// Errors gfn-compare reports to the user as one clear line.
public enum GFNError: Error, CustomStringConvertible, Equatable {
    /// Bad input: a flag, file or value out of range. Exit code 2.
    case invalidInput(String)
    /// A runtime failure: I/O, numerical trouble. Exit code 1.
    case runtime(String)
    /// SIGINT or SIGTERM arrived; the run stopped without writing anything. Exit code 130.
    case interrupted

    public var description: String {
        switch self {
        case .invalidInput(let m), .runtime(let m): return m
        case .interrupted: return "interrupted: stopped before writing anything; any previous result is untouched"
        }
    }
}

/// Hands a raw pointer to concurrent workers that write disjoint parts of its memory.
public struct SharedPointer<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>?
    public init(_ p: UnsafeMutablePointer<T>?) { pointer = p }
}
