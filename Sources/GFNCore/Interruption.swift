import Foundation
import Synchronization

/// Cooperative handling of SIGINT and SIGTERM: the signal only sets a flag; long loops poll it
/// (between sweeps, training steps, sampling batches, enumeration chunks) and stop by throwing
/// ``GFNError/interrupted``, so nothing half-written is ever published.
public enum Interruption {
    private static let flag = Atomic<Bool>(false)
    private static let deadlineNanos = Atomic<UInt64>(0)

    /// Installs the signal handlers (idempotent).
    public static func install() {
        // sigaction rather than signal(): it also replaces an inherited SIG_IGN (a shell starts
        // background jobs with SIGINT ignored) and does not reset the handler after one delivery.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interruption.flag.store(true, ordering: .relaxed) }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // A parent may hand down a mask that blocks them (a test runner's thread, a job launcher);
        // unblock them before any worker thread is created, so threads inherit the open mask.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Seconds a cooperative stop may take before the watchdog ends the process.
    public static let gracePeriod = 1.5

    /// The backstop behind the cooperative checks: once a stop is requested, a watchdog thread
    /// waits ``gracePeriod`` seconds for the phase to notice, then ends the process with status
    /// 130. A phase with one long uninterruptible step (sorting 4·10⁷ samples, the exact P_T of
    /// 2^20 states) therefore still stops within 2 s. Safe at any instant: results are published
    /// only by atomic renames (`AtomicOutput`), so an exit leaves the old output or the new one.
    /// Call once, from the executable (not from library users' processes).
    public static func startWatchdog() {
        Thread.detachNewThread {
            while !flag.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 0.05) }
            Thread.sleep(forTimeInterval: gracePeriod)
            FileHandle.standardError.write(Data("gfn-compare: error: \(GFNError.interrupted.description) (stopped \(gracePeriod) s after the request)\n".utf8))
            _exit(130)
        }
    }

    /// Whether a stop was requested.
    @inlinable public static var requested: Bool { isRequested() }

    public static func isRequested() -> Bool { flag.load(ordering: .relaxed) }

    /// Throws ``GFNError/interrupted`` once a stop was requested.
    public static func check() throws {
        if flag.load(ordering: .relaxed) { throw GFNError.interrupted }
    }

    /// Sets a wall-clock deadline `seconds` from now (`--time-limit`); 0 clears it.
    public static func setDeadline(seconds: Double) {
        deadlineNanos.store(seconds > 0 ? DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9) : 0, ordering: .relaxed)
    }

    /// Whether the `--time-limit` deadline has passed.
    public static var deadlinePassed: Bool {
        let d = deadlineNanos.load(ordering: .relaxed)
        return d != 0 && DispatchTime.now().uptimeNanoseconds >= d
    }

    /// For tests: clears a request.
    public static func reset() { flag.store(false, ordering: .relaxed) }
}
