import CKernels
import Foundation
import GFNCore
@testable import NeuralNet
import Testing

/// The softmax exponentials in C (exp.c): eight exps at a time with AVX-512, which must be libm's
/// exp bit for bit, since every log P_F, every draw and the exact P_T go through them.
@Suite struct ShiftedExponentialsTests {
    /// The vector exp against `Foundation.exp` on every path: the main path over many binades of
    /// both signs (every table entry is hit many times over), the edges where libm leaves it
    /// (±2^-54, ±512), the range where exp underflows to subnormals and zero or overflows, ±0,
    /// ±∞, NaN, and random bit patterns. Equality, not a tolerance: a record is reproduced bit for
    /// bit whichever path computed it.
    @Test func vectorExpIsLibmExpBitForBit() {
        // On a CPU with AVX-512 (every CPU with bf16 products has it) the vector path must be the
        // one tested, not the scalar fallback.
        if BF16Products.isSupported { #expect(gfn_vector_exp_active() == 1) }
        let rng = RandomStream(seed: 21)
        var args: [Double] = [0, -0.0, 0x1p-54, -0x1p-54, 0x1p-55, 0x1.fffffffffffffp-55, 512, -512, 0x1.fffffffffffffp8, -0x1.fffffffffffffp8,
                              -708.39, -708.4, -745.13, -745.14, -1000, 709.78, 709.79, .infinity, -.infinity, .nan, -.nan,
                              .leastNonzeroMagnitude, -.greatestFiniteMagnitude]
        for magnitude in [1e-17, 1e-9, 1e-3, 0.5, 1, 4, 30, 100, 511, 600, 750, 1100] {
            for _ in 0..<20_000 { args.append((2 * rng.uniform() - 1) * magnitude) }
        }
        for _ in 0..<20_000 { args.append(Double(bitPattern: UInt64(rng.uniform() * 0x1p53) << 11 ^ UInt64(rng.uniform() * 0x1p11))) }
        var out = [Double](repeating: 0, count: args.count)
        gfn_exp_array(args, args.count, &out)
        let differing = args.indices.filter { exp(args[$0]).bitPattern != out[$0].bitPattern }
        #expect(differing.isEmpty, "\(differing.count) of \(args.count) differ, e.g. exp(\(differing.first.map { args[$0] } ?? 0))")
    }

    /// The row kernel against the loop it replaced (Swift, Foundation.exp), for Float and Double
    /// logits: random masks (none, one, all valid), a temperature, row lengths off the 8-lane
    /// blocks, logits spread so that some shifted arguments fall below −512 (libm's own path),
    /// a NaN logit (ignored by the max, as Swift's max ignores it), and largest logits of ±0.
    @Test func rowMatchesTheSwiftLoop() {
        func reference<T: BLASScalar>(_ x: [T], _ mask: [Bool], _ scale: Double) -> (Double, Double, [Double]) {
            var m = -Double.infinity
            for j in x.indices where mask[j] { m = max(m, Double(x[j]) * scale) }
            var total = 0.0, w = [Double](repeating: 0, count: x.count)
            for j in x.indices {
                w[j] = mask[j] ? exp(Double(x[j]) * scale - m) : 0
                total += w[j]
            }
            return (m, total, w)
        }
        func check<T: BLASScalar>(_ x: [T], _ mask: [Bool], _ scale: Double) {
            var w = [Double](repeating: -1, count: x.count)
            let (m, total) = x.withUnsafeBufferPointer { xp in
                mask.withUnsafeBufferPointer { T.shiftedExponentials(xp.baseAddress!, mask: $0.baseAddress!, count: x.count, scale: scale, into: &w) }
            }
            let (rm, rt, rw) = reference(x, mask, scale)
            #expect(m.bitPattern == rm.bitPattern && total.bitPattern == rt.bitPattern, "\(T.self) row of \(x.count), scale \(scale)")
            #expect(w.map(\.bitPattern) == rw.map(\.bitPattern), "\(T.self) row of \(x.count), scale \(scale)")
        }
        // A largest logit of ±0, where the sign Swift's max keeps depends on the order.
        for zeros in [[-0.0, 0.0, -1, -0.0, 0.0, -3, -0.0, -2, -0.0], [0.0, -0.0, -5, -0.0, 0.0, -0.0, -0.0, -0.0, -0.0, -0.0]] {
            let mask = zeros.indices.map { $0 != 1 }
            check(zeros.map { Float($0) }, mask, 1)
            check(zeros, mask, 1)
        }
        let rng = RandomStream(seed: 22)
        for count in [1, 7, 8, 9, 100, 257] {
            for validShare in [0.0, 0.02, 0.5, 1.0] {
                for spread in [1.0, 30.0, 400.0] {
                    var x = (0..<count).map { _ in rng.gaussian() * spread }
                    if count > 3 { x[2] = .nan }
                    let mask = (0..<count).map { j in j != 2 && rng.uniform() < validShare }
                    for scale in [1.0, 1 / 0.7] {
                        check(x.map { Float($0) }, mask, scale)
                        check(x, mask, scale)
                    }
                }
            }
        }
    }

    /// exp(x − shift) over a row's valid entries (the scorer's backward draws, shifted by a known
    /// log-sum-exp) against the Swift loop it replaced, Float and Double: lengths on and off the
    /// 8-lane blocks, random masks, NaN and 0 logits, shifts that underflow or overflow some exps,
    /// and NaN and infinite shifts. Weights and total bit for bit.
    @Test func exponentialsMatchTheSwiftLoop() {
        func check<T: BLASScalar>(_: T.Type) {
            let rng = RandomStream(seed: 41)
            for count in [1, 3, 8, 13, 64, 101, 300] {
                for trial in 0..<150 {
                    let spread = [1.0, 30, 2000][trial % 3]
                    var x = (0..<count).map { _ in T((2 * rng.uniform() - 1) * spread) }
                    if trial % 5 == 0 { x[rng.integer(below: count)] = .nan }
                    if trial % 6 == 0 { x[rng.integer(below: count)] = 0 }
                    let mask = (0..<count).map { _ in rng.uniform() < [0.0, 0.5, 1.0][trial % 3 == 0 ? 1 : trial % 3] }
                    let shift = trial % 19 == 0 ? Double.nan : trial % 23 == 0 ? .infinity : (2 * rng.uniform() - 1) * spread
                    var want = [Double](repeating: 0, count: count), wantTotal = 0.0
                    for j in 0..<count { want[j] = mask[j] ? exp(Double(x[j]) - shift) : 0; wantTotal += want[j] }
                    var got = [Double](repeating: -1, count: count)
                    let total = T.exponentials(x, mask: mask, count: count, shift: shift, into: &got)
                    #expect(got.map(\.bitPattern) == want.map(\.bitPattern) && total.bitPattern == wantTotal.bitPattern,
                            "\(T.self) count \(count) trial \(trial) shift \(shift)")
                }
            }
        }
        check(Float.self)
        check(Double.self)
    }
    /// The one-pass draw and total against the path they replace in sampling and training: the
    /// row's weights (`shiftedExponentials`) and `RandomStream.categorical` over them, Float and
    /// Double, bit for bit. Rows on and off the 8-lane blocks and below them (the scalar path),
    /// every mask density, a temperature, NaN logits, and valid logits whose exps underflow to 0
    /// at the row's end; uniforms of 0, random, and the largest below 1. Rows with no valid logit
    /// (total 0) or a valid NaN (total NaN) leave u = uniform·total below no running total, so
    /// the draw falls back to the last index with a weight not ≤ 0, passing over the underflowed ones.
    @Test func drawAndTotalMatchTheWeightsAndCategorical() {
        func check<T: BLASScalar>(_: T.Type) {
            let rng = RandomStream(seed: 43)
            var drawsOffTheScan = 0
            for count in [1, 2, 7, 8, 9, 16, 100, 101, 200, 300] {
                for trial in 0..<60 {
                    let spread = [1.0, 30, 900][trial % 3]
                    var x = (0..<count).map { _ in T((2 * rng.uniform() - 1) * spread) }
                    if trial % 7 == 0 { x[rng.integer(below: count)] = .nan }
                    if trial % 5 == 1, count > 3 { x[count - 1] = T(-2000); x[count - 2] = T(-2000); x[1] = .nan }
                    let density = [0.0, 0.1, 0.5, 1.0][trial % 4]
                    let mask = (0..<count).map { j in (trial % 5 == 1 && (j >= count - 2 || j == 1)) || rng.uniform() < density }
                    let scale = trial % 2 == 0 ? 1.0 : 1 / 0.7
                    var weights = [Double](repeating: -1, count: count)
                    let (m, total) = T.shiftedExponentials(x, mask: mask, count: count, scale: scale, into: &weights)
                    var scratch = [Double](repeating: -1, count: 2 * count)
                    let (tm, tt) = T.softmaxTotal(x, mask: mask, count: count, scale: scale, scratch: &scratch)
                    #expect(tm.bitPattern == m.bitPattern && tt.bitPattern == total.bitPattern, "\(T.self) total, count \(count) trial \(trial)")
                    for uniform in [0, rng.uniform(), rng.uniform(), 1.0.nextDown] {
                        let want = weights.withUnsafeBufferPointer { RandomStream.categorical(weights: $0, total: total, uniform: uniform) }
                        if !(uniform * total < total) { drawsOffTheScan += 1 }
                        for spreadWeights in [false, true] {
                            scratch.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
                            let (a, dm, dt) = T.softmaxDraw(x, mask: mask, count: count, scale: scale, uniform: uniform, scratch: &scratch,
                                                            spreadWeights: spreadWeights)
                            #expect(a == want && dm.bitPattern == m.bitPattern && dt.bitPattern == total.bitPattern,
                                    "\(T.self) draw, count \(count) trial \(trial) uniform \(uniform): \(a), want \(want)")
                            if spreadWeights {
                                #expect(scratch[0..<count].map(\.bitPattern) == weights.map(\.bitPattern), "\(T.self) weights, count \(count) trial \(trial)")
                            }
                        }
                    }
                }
            }
            // The fallback was exercised, not only the scan.
            #expect(drawsOffTheScan > 50, "\(T.self): \(drawsOffTheScan) draws reached the fallback")
        }
        check(Float.self)
        check(Double.self)
    }
}
