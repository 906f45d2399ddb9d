import CSystem
import Dispatch
import Foundation

/// Fork-join sections on persistent helper threads, for work that is split many times a second
/// (a sampler's products and rows, a few hundred microseconds each).
///
/// `DispatchQueue.concurrentPerform` parks its workers between calls and wakes them through the
/// kernel; at ~5 sections per construction step that hand-off left both cores idle for ~20% of a
/// 10×10 sampling run. The team's helpers spin (yielding the core to any other runnable thread)
/// for a short while after each section, so the next one starts without a wake-up.
///
/// Which part runs on which thread never changes what a part computes, so the split is free to
/// vary: callers give each part work whose results do not depend on the thread that runs it.
public enum WorkTeam {
    /// How long helpers wait for the next section before they sleep.
    static let spinNanoseconds = 200_000

    /// One helper per further core, started on first use; nil on a single core or when the
    /// threads cannot be started (sections then go to `concurrentPerform`).
    nonisolated(unsafe) private static let team: OpaquePointer? = {
        let helpers = min(ProcessInfo.processInfo.activeProcessorCount - 1, 63)
        return helpers >= 1 ? gfn_team_create(Int32(helpers), spinNanoseconds) : nil
    }()

    /// Runs `body(part)` once for every part in 0..<parts and returns when all have finished
    /// (like `DispatchQueue.concurrentPerform(iterations:execute:)`). Each part runs on whichever
    /// thread claims it first, the calling thread included, so a helper that is slow to wake costs
    /// its share, never a wait. (Giving the caller part 0 outright, for the rows' caches, was not
    /// faster: 10×10 sampling 1.015× the time over 8 alternating runs.) A nested or concurrent
    /// section is handed to `concurrentPerform`.
    public static func perform(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1 else { if parts == 1 { body(0) }; return }
        withoutActuallyEscaping(body) { body in
            var work = body
            let done = withUnsafeMutablePointer(to: &work) { context in
                guard let team else { return false }
                return gfn_team_run(team, { context, part in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(part)
                }, context, parts) == 0
            }
            if !done {
                let shared = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: parts) { shared.value($0) }
            }
        }
    }
}

/// A value handed to other threads (`concurrentPerform`'s workers) by a caller that guarantees
/// they use it safely: each touches only its own part, shard or slot.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
