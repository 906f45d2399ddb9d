import Foundation

/// Weight matrices kept packed for a workspace's products (per layer, output block and
/// orientation: the slot), valid until ``forget()``. The owner of a workspace that outlives a
/// change of the parameters (the trainer, between steps) calls it; debug builds check every
/// reuse against a fresh packing, so a missed call fails the tests instead of training on stale weights.
final class PackedWeights<Word>: @unchecked Sendable {
    private struct Slot {
        var words: UnsafeMutablePointer<Word>?
        var capacity = 0
        var source: UnsafeRawPointer?
        var valid = false
    }
    private var slots: [Slot] = []
    /// Names the products in the stale-weights message ("bf16 products").
    private let owner: String

    init(owner: String) { self.owner = owner }

    deinit { for s in slots { s.words?.deallocate() } }

    /// Marks every packed weight matrix stale.
    func forget() { for i in slots.indices { slots[i].valid = false } }

    /// The `count` words of the weights at `source` packed in `slot`: packed now by `pack` when
    /// stale or from another pointer, else the packing kept since.
    func packed(slot: Int, count: Int, source: UnsafeRawPointer, pack: (UnsafeMutablePointer<Word>) -> Void) -> UnsafeMutablePointer<Word> {
        if slot >= slots.count { slots += Array(repeating: Slot(), count: slot + 1 - slots.count) }
        if slots[slot].valid && slots[slot].source == source {
            let kept = slots[slot].words!
            #if DEBUG
            let fresh = UnsafeMutablePointer<Word>.allocate(capacity: count)
            defer { fresh.deallocate() }
            pack(fresh)
            precondition(memcmp(fresh, kept, count * MemoryLayout<Word>.stride) == 0,
                         "\(owner): packed weights are stale (the parameters changed without forget())")
            #endif
            return kept
        }
        if count > slots[slot].capacity || slots[slot].words == nil {
            slots[slot].words?.deallocate()
            slots[slot].words = .allocate(capacity: max(count, 1))
            slots[slot].capacity = max(count, 1)
        }
        let words = slots[slot].words!
        pack(words)
        slots[slot].source = source
        slots[slot].valid = true
        return words
    }
}
