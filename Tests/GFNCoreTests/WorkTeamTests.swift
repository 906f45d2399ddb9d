import CSystem
import Dispatch
import Foundation
import GFNCore
import Synchronization
import Testing

/// WorkTeam's sections: every part runs exactly once and the section returns only after all of
/// them, however the parts fall between the caller and the spinning helper, back to back,
/// nested, and from two callers at once (the refused caller's fallback).
@Suite struct WorkTeamTests {
    /// Each part adds its own bit to a counter slot: a part run twice, skipped, or still running
    /// when the section returns leaves a slot other than the full mask. 20,000 sections back to
    /// back (the sampler's rhythm, with parts of a few hundred nanoseconds) and 1 to 9 parts.
    @Test func everyPartRunsOnceBeforeTheSectionReturns() {
        let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: 9), sink = UnsafeMutablePointer<UInt64>.allocate(capacity: 9)
        defer { slots.deallocate(); sink.deallocate() }
        var wrong = 0
        for round in 0..<20_000 {
            let parts = 1 + round % 9
            slots.initialize(repeating: 0, count: 9)
            WorkTeam.perform(parts: parts) { part in
                var x = UInt64(part)
                for _ in 0..<(round + part) % 7 * 50 { x = x &* 6364136223846793005 &+ 1 }  // parts of unequal length
                sink[part] = x
                slots[part] += 1 << UInt64(part)
            }
            for part in 0..<parts where slots[part] != 1 << UInt64(part) { wrong += 1 }
        }
        #expect(wrong == 0)
    }

    /// A section started from inside a section (the team busy) runs through the fallback, and
    /// so does a section from a second thread while the first holds the team: no part lost or
    /// repeated, no deadlock.
    @Test func nestedAndConcurrentSectionsFallBack() {
        let total = Atomic<Int>(0)
        WorkTeam.perform(parts: 2) { _ in
            WorkTeam.perform(parts: 3) { inner in total.add(1 << (4 * inner), ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 2 * (1 + 16 + 256))
        let counts = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            for _ in 0..<2_000 { WorkTeam.perform(parts: 2) { _ in counts.add(1, ordering: .relaxed) } }
        }
        #expect(counts.load(ordering: .relaxed) == 2 * 2_000 * 2)
    }

    /// Part counts the team cannot pack into its state word are refused, running nothing.
    @Test func outOfRangePartCountsAreRefused() throws {
        let team = try #require(gfn_team_create(1, 1_000))
        let ran = Atomic<Int>(0)
        let body: gfn_team_body = { context, _ in
            context!.assumingMemoryBound(to: Atomic<Int>.self).pointee.add(1, ordering: .relaxed)
        }
        withUnsafePointer(to: ran) { pointer in
            let context = UnsafeMutableRawPointer(mutating: pointer)
            #expect(gfn_team_run(team, body, context, 0) == -1)
            #expect(gfn_team_run(team, body, context, 65_536) == -1)
            #expect(gfn_team_run(team, body, context, 5) == 0)
        }
        #expect(ran.load(ordering: .relaxed) == 5)
        #expect(gfn_team_create(0, 1_000) == nil)
    }
}
