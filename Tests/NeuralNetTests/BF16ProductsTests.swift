import Foundation
import GFNCore
import CKernels
@testable import NeuralNet
import Settings
import Testing
import TestSupport

/// bf16 products (`--precision bf16`). On a CPU without AVX512_BF16 each test checks instead
/// that the setting is refused with the flag named.
@Suite struct BF16ProductsTests {
    /// Round to nearest, ties to even, at bf16's 8 significant bits; NaN and ±∞ kept, subnormals flushed.
    @Test func roundingIsToNearestEven() {
        #expect(BF16Products.round(1 + 0x1p-8) == 1)                      // a tie, to the even 1
        #expect(BF16Products.round(1 + 0x1p-7 + 0x1p-8) == 1 + 0x1p-6)    // a tie, to the even 1 + 2^-6
        #expect(BF16Products.round(1 + 0x1p-8 + 0x1p-12) == 1 + 0x1p-7)   // above the tie
        #expect(BF16Products.round(-3.0) == -3.0)
        #expect(BF16Products.round(.infinity) == .infinity)
        #expect(BF16Products.round(.nan).isNaN)
        // Subnormals become zeros of their sign, as the CPU's conversion makes them and as
        // VDPBF16PS reads them — also the largest, which nearest-even alone would round up to
        // the smallest normal.
        #expect(BF16Products.round(Float(bitPattern: 0x007f_ffff)).bitPattern == 0)
        #expect(BF16Products.round(-0x1p-130).bitPattern == (-Float.zero).bitPattern)
        #expect(BF16Products.round(.leastNormalMagnitude) == .leastNormalMagnitude)
    }

    /// A refusal names the flag and says what to use instead.
    static func expectRefusal() {
        #expect(throws: GFNError.self) { try BF16Products.requireSupport(for: .bf16) }
        do { try BF16Products.requireSupport(for: .bf16) } catch {
            #expect("\(error)".contains("--precision bf16") && "\(error)".contains("--precision fp32"))
        }
    }

    /// C = α·op(A)·op(B) + β·C for every transposition, odd k, and row and column counts off the
    /// kernel's 8 × 32 tile (last column panels of 13, 1 and 18 columns: the half-width tile and the full one), against the same sum in Double of the bf16-rounded operands. The
    /// products of two bf16 values are exact in fp32, so the only error is fp32 accumulation:
    /// |C − C_ref| ≤ (k + 2)·u·(Σ|a·b| + |β·C₀|), u = 2^-24 (the standard bound for a sum of k + 1
    /// terms and the final scaling). The same result is also checked to be *further* than that
    /// bound from the unrounded operands' product somewhere: the operands really were rounded.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func productMatchesTheRoundedOperandsWithinTheAccumulationBound(_ t: (Bool, Bool)) {
        guard BF16Products.isSupported else { Self.expectRefusal(); return }
        let rng = RandomStream(seed: 11)
        for (m, n, k, beta) in [(13, 45, 37, 0.0), (32, 256, 256, 1.0), (1, 1, 1, 1.0), (70, 33, 64, 0.5), (9, 50, 11, 1.0)] as [(Int, Int, Int, Float)] {
            let (lda, ldb) = (t.0 ? m : k, t.1 ? k : n)
            let a = (0..<(m * k)).map { _ in Float(rng.gaussian()) }, b = (0..<(k * n)).map { _ in Float(rng.gaussian()) }
            let c0 = (0..<(m * n)).map { _ in Float(rng.gaussian()) }
            func opA(_ i: Int, _ p: Int) -> Float { t.0 ? a[p * lda + i] : a[i * lda + p] }
            func opB(_ p: Int, _ j: Int) -> Float { t.1 ? b[j * ldb + p] : b[p * ldb + j] }
            var c = c0
            let operands = BF16Operands()
            c.withUnsafeMutableBufferPointer { cp in
                operands.gemm(transA: t.0, transB: t.1, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                              c: cp.baseAddress!, ldc: n, weightSlot: nil)
            }
            var furthestFromUnrounded = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0, magnitude = 0.0, unrounded = 0.0
                    for p in 0..<k {
                        let prod = Double(BF16Products.round(opA(i, p))) * Double(BF16Products.round(opB(p, j)))
                        sum += prod; magnitude += abs(prod); unrounded += Double(opA(i, p)) * Double(opB(p, j))
                    }
                    let reference = 0.75 * sum + Double(beta) * Double(c0[i * n + j])
                    let bound = Double(k + 2) * 0x1p-24 * (magnitude + abs(Double(beta) * Double(c0[i * n + j])))
                    #expect(abs(Double(c[i * n + j]) - reference) <= bound, "\(t) \(m)×\(n)×\(k) at (\(i), \(j)): \(c[i * n + j]) vs \(reference) ± \(bound)")
                    let gap = abs(Double(c[i * n + j]) - (0.75 * unrounded + Double(beta) * Double(c0[i * n + j])))
                    furthestFromUnrounded = max(furthestFromUnrounded, gap / max(bound, .leastNormalMagnitude))
                }
            }
            #expect(furthestFromUnrounded > 1, "\(t) \(m)×\(n)×\(k): the result is within the fp32 bound of the unrounded product everywhere")
        }
    }

    /// A bf16 network's forward pass: each layer's pre-activations equal the Double product of
    /// the bf16-rounded input of that layer (the activations the pass itself kept) and weights,
    /// plus the fp32 bias, within the accumulation bound (fan-in + 2)·u·(Σ|a·w| + |b|), u = 2^-24.
    /// Hidden layers keep only their activations, so those are checked against ReLU of the
    /// reference within the same bound (ReLU moves no value further than its argument moved);
    /// a layer with units on both sides of 0 checks both branches.
    @Test func forwardPassRoundsEveryProductsOperands() throws {
        guard BF16Products.isSupported else { Self.expectRefusal(); return }
        let shape = MLPShape(input: 19, hidden: [40, 40], output: 7, activation: .relu)
        let net = MLP<Float>(shape: shape, precision: .bf16)
        let params = net.initialParameters(rng: RandomStream(seed: 3))
        let ws = MLPWorkspace<Float>(shape: shape, capacity: 9)
        let rng = RandomStream(seed: 4)
        for i in 0..<(9 * 19) { ws.activations[0][i] = Float(rng.gaussian()) }
        params.withUnsafeBufferPointer { _ = net.forward(parameters: $0.baseAddress!, workspace: ws, start: 0, rows: 9) }
        var signs: Set<Int> = []
        for l in 0..<net.layerCount {
            let (fanIn, fanOut) = (net.widths[l], net.widths[l + 1])
            for r in 0..<9 {
                for j in 0..<fanOut {
                    let bias = Double(params[net.biasOffsets[l] + j])
                    var s = bias, magnitude = abs(bias)
                    for i in 0..<fanIn {
                        let t = Double(BF16Products.round(ws.activations[l][r * fanIn + i])) * Double(BF16Products.round(params[net.weightOffsets[l] + j * fanIn + i]))
                        s += t; magnitude += abs(t)
                    }
                    // The output layer is linear: its activations are its pre-activations.
                    let hidden = l < net.layerCount - 1
                    let z = Double(ws.activations[l + 1][r * fanOut + j]), bound = Double(fanIn + 2) * 0x1p-24 * magnitude
                    let reference = hidden ? max(0, s) : s
                    #expect(abs(z - reference) <= bound, "layer \(l), row \(r), unit \(j): \(z) vs \(reference) ± \(bound)")
                    if hidden { signs.insert(s > bound ? 1 : s < -bound ? -1 : 0) }
                }
            }
            if l < net.layerCount - 1 { #expect(signs.isSuperset(of: [1, -1]), "layer \(l): units on one side of 0 only") }
            signs = []
        }
    }

    /// The fused epilogue (a layer's bias added and its ReLU-family activation applied as the
    /// tiles are stored; a bias alone gives the pre-activations) gives the bits of the separate
    /// steps it replaced: the bias copied into every row, a β = 1 product, then `Float.rectify` —
    /// for shapes off the 8 × 32 tile, α ≠ 1, ReLU and leaky ReLU, and a product split between threads.
    @Test func fusedBiasAndActivationKeepTheBits() {
        guard BF16Products.isSupported else { Self.expectRefusal(); return }
        let rng = RandomStream(seed: 14)
        let before = BLASThreads.current
        defer { BLASThreads.set(before) }
        for (m, n, k, alpha, slope, threads) in [(9, 45, 37, 1, 0, 1), (64, 256, 256, 1, 0.01, 1), (300, 200, 130, 0.5, 0, 2)] as [(Int, Int, Int, Float, Float, Int)] {
            BLASThreads.set(threads)
            let a = (0..<(m * k)).map { _ in Float(rng.gaussian()) }, b = (0..<(n * k)).map { _ in Float(rng.gaussian()) }
            let bias = (0..<n).map { _ in Float(rng.gaussian()) }
            var separate = (0..<(m * n)).map { bias[$0 % n] }, separateOut = [Float](repeating: 0, count: m * n)
            var fused = [Float](repeating: .nan, count: m * n), fusedOut = [Float](repeating: .nan, count: m * n)
            BF16Operands().gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: alpha, a: a, lda: k, b: b, ldb: k, beta: 1,
                                c: &separate, ldc: n, weightSlot: nil)
            Float.rectify(separate, into: &separateOut, count: m * n, slope: slope)
            BF16Operands().gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: alpha, a: a, lda: k, b: b, ldb: k, beta: 0,
                                c: &fused, ldc: n, weightSlot: nil, bias: bias)
            BF16Operands().gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: alpha, a: a, lda: k, b: b, ldb: k, beta: 0,
                                c: &fusedOut, ldc: n, weightSlot: nil, bias: bias, rectifier: slope)
            #expect(fused.map(\.bitPattern) == separate.map(\.bitPattern), "\(m)×\(n)×\(k): pre-activations")
            #expect(fusedOut.map(\.bitPattern) == separateOut.map(\.bitPattern), "\(m)×\(n)×\(k): activations")
            #expect(separateOut.contains { $0 <= 0 } && separateOut.contains { $0 > 0 })
        }
    }

    /// The packing the products use (sixteen words at a time on AVX-512) gives the portable
    /// packing's words exactly — every transposition, odd and even k, sizes off the 16-word
    /// blocks, the 8-row and 32-column padding, a leading dimension wider than the operand, and
    /// the values rounding treats specially (ties both ways, NaN, ±∞, subnormals, −0) — so the
    /// packing path cannot change a result.
    @Test func vectorPackingGivesThePortableWords() {
        let rng = RandomStream(seed: 13)
        let special: [Float] = [1 + 0x1p-8, 1 + 0x1p-7 + 0x1p-8, -(1 + 0x1p-8), .nan, -.nan, Float(bitPattern: 0x7f80_0001), Float(bitPattern: 0x7fff_ffff), .infinity, -.infinity,
                                Float(bitPattern: 0x0000_8000), Float(bitPattern: 0x0001_7fff), Float(bitPattern: 0x007f_ffff), -0x1p-140, -0.0, .greatestFiniteMagnitude, 0x1p-130]
        for (rows, cols) in [(1, 1), (7, 3), (16, 32), (33, 17), (45, 64), (256, 37), (5, 300)] {
            for trans in [false, true] {
                // op(X) is rows × cols; stored transposed it is cols × rows. ld: 3 floats wider than stored.
                let (stored, width) = trans ? (cols, rows) : (rows, cols)
                let ld = width + 3
                var x = (0..<(stored * ld)).map { _ in Float(rng.gaussian()) }
                for (i, v) in special.enumerated() where i * 7 < x.count { x[i * 7] = v }
                let aWords = gfn_bf16_packed_a_words(rows, cols), bWords = gfn_bf16_packed_b_words(rows, cols)
                var fast = [UInt32](repeating: 0xdead_beef, count: aWords), portable = [UInt32](repeating: 0, count: aWords)
                gfn_bf16_pack_a(trans ? 1 : 0, rows, cols, x, ld, &fast)
                gfn_bf16_pack_a_portable(trans ? 1 : 0, rows, cols, x, ld, &portable)
                #expect(fast.indices.first { fast[$0] != portable[$0] } == nil, "pack_a trans \(trans) \(rows)×\(cols): first differing word")
                fast = [UInt32](repeating: 0xdead_beef, count: bWords); portable = [UInt32](repeating: 0, count: bWords)
                gfn_bf16_pack_b(trans ? 1 : 0, rows, cols, x, ld, &fast)
                gfn_bf16_pack_b_portable(trans ? 1 : 0, rows, cols, x, ld, &portable)
                #expect(fast.indices.first { fast[$0] != portable[$0] } == nil, "pack_b trans \(trans) \(rows)×\(cols): first differing word")
            }
        }
    }

    /// The first layer activated and packed in one pass (`gfn_bf16_pack_a_rectified`) writes
    /// exactly what `gfn_rectify_f` and then the packing write: the activations and the words, for
    /// plain and leaky ReLU, odd and even widths off the 32-float runs, a leading dimension wider
    /// than the rows, and the values the activation or the rounding treat specially (±0, NaN,
    /// ±∞, subnormals, ties).
    @Test func activatingWhilePackingGivesTheSeparatePassesBits() {
        let rng = RandomStream(seed: 14)
        let special: [Float] = [0, -0.0, .nan, -.nan, .infinity, -.infinity, Float(bitPattern: 0x0000_8000), -0x1p-140, 1 + 0x1p-8, -(1 + 0x1p-7 + 0x1p-8)]
        for (rows, width) in [(1, 1), (9, 31), (16, 256), (13, 33), (40, 100)] {
            for slope: Float in [0, 0.01] {
                let ld = width + 5
                var z = (0..<(rows * ld)).map { _ in Float(rng.gaussian()) }
                for (i, v) in special.enumerated() where i * 5 < z.count { z[i * 5] = v }
                let words = gfn_bf16_packed_a_words(rows, width)
                var separateA = [Float](repeating: 7, count: rows * ld), fusedA = separateA
                var separate = [UInt32](repeating: 0xdead_beef, count: words), fused = separate
                for r in 0..<rows {
                    z.withUnsafeBufferPointer { zp in separateA.withUnsafeMutableBufferPointer { gfn_rectify_f(zp.baseAddress! + r * ld, $0.baseAddress! + r * ld, width, slope) } }
                }
                gfn_bf16_pack_a(0, rows, width, separateA, ld, &separate)
                gfn_bf16_pack_a_rectified(rows, width, z, &fusedA, ld, slope, &fused)
                #expect(fusedA.map(\.bitPattern) == separateA.map(\.bitPattern), "activations \(rows)×\(width), slope \(slope)")
                #expect(fused == separate, "words \(rows)×\(width), slope \(slope)")
            }
        }
    }

    /// A product large enough to be split between threads gives the same bits on 1, 2 and 3 of
    /// them: split by blocks of rows, each thread packing its own rows of A (300 rows, not a
    /// multiple of the 8-row tile nor of the thread count; A as given and transposed, as in the
    /// dW products), and split by column panels when there are too few rows for that (24).
    @Test func splittingBetweenThreadsKeepsTheBits() {
        guard BF16Products.isSupported else { Self.expectRefusal(); return }
        let before = BLASThreads.current
        defer { BLASThreads.set(before) }
        for (m, n, k, transA) in [(300, 200, 130, false), (300, 200, 130, true), (24, 520, 400, false)] {
            let rng = RandomStream(seed: 12)
            let a = (0..<(m * k)).map { _ in Float(rng.gaussian()) }, b = (0..<(n * k)).map { _ in Float(rng.gaussian()) }
            let results = [1, 2, 3].map { threads -> [UInt32] in
                BLASThreads.set(threads)
                var c = [Float](repeating: 0, count: m * n)
                c.withUnsafeMutableBufferPointer {
                    BF16Operands().gemm(transA: transA, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: transA ? m : k, b: b, ldb: k, beta: 0,
                                        c: $0.baseAddress!, ldc: n, weightSlot: nil)
                }
                return c.map(\.bitPattern)
            }
            #expect(results[0] == results[1] && results[0] == results[2], "\(m)×\(n)×\(k), A transposed: \(transA)")
            #expect(results[0].contains { $0 != 0 })
        }
    }

    /// Packed weights are reused within a step and dropped by ``MLPWorkspace/forgetPackedWeights()``:
    /// after the parameters change, a forgetting workspace gives the same bits as a fresh one.
    @Test func forgettingPackedWeightsFollowsAParameterChange() throws {
        guard BF16Products.isSupported else { Self.expectRefusal(); return }
        let shape = MLPShape(input: 10, hidden: [64], output: 5, activation: .tanh)
        let net = MLP<Float>(shape: shape, precision: .bf16)
        var params = net.initialParameters(rng: RandomStream(seed: 5))
        let ws = MLPWorkspace<Float>(shape: shape, capacity: 4)
        for i in 0..<(4 * 10) { ws.activations[0][i] = Float(i % 3) - 1 }
        func outputs(_ w: MLPWorkspace<Float>) -> [Float] {
            let o = params.withUnsafeBufferPointer { net.forward(parameters: $0.baseAddress!, workspace: w, start: 0, rows: 4) }
            return Array(UnsafeBufferPointer(start: o, count: 4 * 5))
        }
        let before = outputs(ws)
        for i in params.indices { params[i] *= 1.5 }
        ws.forgetPackedWeights()
        let fresh = MLPWorkspace<Float>(shape: shape, capacity: 4)
        fresh.activations[0].update(from: ws.activations[0], count: 4 * 10)
        let after = outputs(ws)
        #expect(after.map(\.bitPattern) == outputs(fresh).map(\.bitPattern))
        #expect(after != before)
    }
}
