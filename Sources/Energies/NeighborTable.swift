/// An immutable adjacency list in compressed-row form, allocated once.
///
/// Kept in raw memory so the samplers' inner loops read it without bounds checks,
/// reference counting or copy-on-write checks. A neighbour appears once per bond to it.
public final class NeighborTable: @unchecked Sendable {
    /// `offsets[i]..<offsets[i+1]` indexes the neighbours of site i in `neighbors`.
    public let offsets: UnsafeMutablePointer<Int32>
    public let neighbors: UnsafeMutablePointer<Int32>
    public let siteCount: Int
    public let maxDegree: Int

    public init(siteCount: Int, bonds: [Bond]) {
        self.siteCount = siteCount
        var degree = [Int](repeating: 0, count: siteCount)
        for b in bonds { degree[b.a] += 1; degree[b.b] += 1 }
        let offsets = UnsafeMutablePointer<Int32>.allocate(capacity: siteCount + 1)
        offsets[0] = 0
        for i in 0..<siteCount { offsets[i + 1] = offsets[i] + Int32(degree[i]) }
        let total = Int(offsets[siteCount])
        let neighbors = UnsafeMutablePointer<Int32>.allocate(capacity: max(total, 1))
        var fill = (0..<siteCount).map { Int(offsets[$0]) }
        for b in bonds {
            neighbors[fill[b.a]] = Int32(b.b); fill[b.a] += 1
            neighbors[fill[b.b]] = Int32(b.a); fill[b.b] += 1
        }
        self.offsets = offsets
        self.neighbors = neighbors
        maxDegree = degree.max() ?? 0
    }

    deinit {
        offsets.deallocate()
        neighbors.deallocate()
    }
}
