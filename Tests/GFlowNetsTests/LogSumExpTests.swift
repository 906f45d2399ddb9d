import Foundation
@testable import GFlowNets
import GFNCore
import NeuralNet
import Testing

/// `maskedLogSumExp` (every log P_B of the sampler, every score of the importance-sampled P_T)
/// runs through the softmax row kernel; it must keep the bits of the two scalar loops it
/// replaced, since committed records hold numbers computed with them.
@Suite struct LogSumExpTests {
    /// The loops as they were: Swift's max over the valid logits, then Σ exp(x − m) in index order.
    static func reference<T: BLASScalar>(_ x: [T], _ mask: [Bool]) -> Double {
        var m = -Double.infinity
        for j in x.indices where mask[j] { m = max(m, Double(x[j])) }
        guard m > -.infinity else { return -.infinity }
        var s = 0.0
        for j in x.indices where mask[j] { s += exp(Double(x[j]) - m) }
        return m + log(s)
    }

    /// Float and Double logits, row lengths on and off the kernel's 8-lane blocks (and under 8,
    /// its scalar path), random masks with none, one or all valid, spreads wide enough that some
    /// exps underflow, a NaN logit, largest logits of ±0, and all-NaN valid logits (−∞ either way).
    @Test func keepsTheScalarLoopsBits() {
        func check<T: BLASScalar>(_: T.Type) {
            let rng = RandomStream(seed: 31)
            var rows = 0
            for count in [1, 2, 5, 8, 9, 16, 63, 101, 201] {
                for trial in 0..<200 {
                    let spread = [0.5, 8, 900][trial % 3]
                    var x = (0..<count).map { _ in T((2 * rng.uniform() - 1) * spread) }
                    var mask = (0..<count).map { _ in rng.uniform() < [0.0, 0.5, 1.0, 0.1][trial % 4] }
                    if trial % 7 == 0 { mask[rng.integer(below: count)] = true }
                    if trial % 11 == 0 { x[rng.integer(below: count)] = .nan }
                    if trial % 13 == 0 { for j in x.indices where mask[j] { x[j] = min(x[j], 0) }; x[rng.integer(below: count)] = trial % 2 == 0 ? 0 : -0.0 }
                    if trial % 17 == 0 { for j in x.indices where mask[j] { x[j] = .nan } }
                    let fast = x.withUnsafeBufferPointer { xp in mask.withUnsafeBufferPointer { maskedLogSumExp(xp.baseAddress!, mask: $0.baseAddress!, count: count) } }
                    let slow = Self.reference(x, mask)
                    #expect(fast.bitPattern == slow.bitPattern || (fast.isNaN && slow.isNaN), "\(T.self) count \(count) trial \(trial): \(fast) vs \(slow)")
                    rows += 1
                }
            }
            #expect(rows == 1_800)
        }
        check(Float.self)
        check(Double.self)
    }
}
