import CKernels
import Foundation
import GFNCore
@testable import NeuralNet
import Testing
import TestSupport

/// fp32 products against packed weights (fp32.c, ``FP32Products``): the vector kernel is held
/// to its defining loop bit for bit, and a shape uses it only where it gives OpenBLAS's bits.
@Suite struct FP32ProductsTests {
    /// Operands over many magnitudes with zeros of both signs, as ``FP32Products`` checks with.
    static func operands(_ count: Int, _ rng: RandomStream) -> [Float] { (0..<count).map { _ in FP32Products.checkOperand(rng) } }

    /// acc = 0; acc = fma(a, b, acc) over k in order; then C + acc (β = 1) or 0 + acc — in Swift.
    static func defined(m: Int, n: Int, k: Int, a: [Float], b: [Float], transB: Bool, betaOne: Bool, c: [Float]) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = 0
                for p in 0..<k { acc = acc.addingProduct(a[i * k + p], transB ? b[j * k + p] : b[p * n + j]) }
                out[i * n + j] = (betaOne ? c[i * n + j] : 0) + acc
            }
        }
        return out
    }

    /// The vector kernel and the portable reference give the defining loop's bits: shapes off the
    /// 8 × 32 tile (last panels of 1, 13, 16, 17 and 31 columns; 1–9 leftover rows), both
    /// orientations of the weights, β 0 and 1, and any split of the column panels.
    @Test func kernelGivesTheDefiningLoopsBits() {
        let rng = RandomStream(seed: 5)
        for (m, n, k) in [(1, 1, 1), (8, 32, 7), (9, 13, 100), (17, 17, 256), (64, 101, 256), (3, 31, 33), (70, 48, 5), (16, 16, 64)] {
            for transB in [false, true] {
                for betaOne in [false, true] {
                    let a = Self.operands(m * k, rng), b = Self.operands(k * n, rng), c = Self.operands(m * n, rng)
                    let expected = Self.defined(m: m, n: n, k: k, a: a, b: b, transB: transB, betaOne: betaOne, c: c)
                    var packed = [Float](repeating: .nan, count: gfn_f32_packed_b_floats(k, n))
                    gfn_f32_pack_b(transB ? 1 : 0, k, n, b, transB ? k : n, &packed)
                    let panels = gfn_f32_panels(n)
                    var vector = c, reference = c, split = c
                    gfn_f32_gemm_packed(m, n, k, a, k, packed, betaOne ? 1 : 0, &vector, n, nil, 0, panels)
                    gfn_f32_gemm_reference(m, n, k, a, k, packed, betaOne ? 1 : 0, &reference, n, nil, 0, panels)
                    for q in 0..<panels { gfn_f32_gemm_packed(m, n, k, a, k, packed, betaOne ? 1 : 0, &split, n, nil, q, q + 1) }
                    #expect(vector.map(\.bitPattern) == expected.map(\.bitPattern), "kernel \(m)x\(n)x\(k) transB \(transB) beta \(betaOne)")
                    #expect(reference.map(\.bitPattern) == expected.map(\.bitPattern), "reference \(m)x\(n)x\(k)")
                    #expect(split.map(\.bitPattern) == expected.map(\.bitPattern), "panel by panel \(m)x\(n)x\(k)")
                }
            }
        }
    }

    /// The fused epilogue — a layer's bias, and a ReLU-family activation, applied as each tile is
    /// stored — gives the bits of the separate steps: the bias copied into every row, the β = 1
    /// product, then gfn_rectify_in_place (slopes 0 and 0.01; no activation: the bias alone).
    @Test func epilogueGivesTheSeparateStepsBits() {
        let rng = RandomStream(seed: 6)
        for (m, n, k) in [(64, 256, 256), (9, 101, 100), (17, 13, 40)] {
            let a = Self.operands(m * k, rng), w = Self.operands(n * k, rng), bias = Self.operands(n, rng)
            var packed = [Float](repeating: .nan, count: gfn_f32_packed_b_floats(k, n))
            gfn_f32_pack_b(1, k, n, w, k, &packed)
            for slope in [nil, 0, 0.01] as [Float?] {
                var separate = (0..<m).flatMap { _ in bias }
                gfn_f32_gemm_packed(m, n, k, a, k, packed, 1, &separate, n, nil, 0, gfn_f32_panels(n))
                if let slope { gfn_rectify_in_place_f(&separate, m * n, slope) }
                var fused = [Float](repeating: .nan, count: m * n), reference = fused
                bias.withUnsafeBufferPointer { bp in
                    withUnsafePointer(to: gfn_product_epilogue(bias: bp.baseAddress, rectify: slope == nil ? 0 : 1, slope: slope ?? 0)) { e in
                        gfn_f32_gemm_packed(m, n, k, a, k, packed, 1, &fused, n, e, 0, gfn_f32_panels(n))
                        gfn_f32_gemm_reference(m, n, k, a, k, packed, 1, &reference, n, e, 0, gfn_f32_panels(n))
                    }
                }
                #expect(fused.map(\.bitPattern) == separate.map(\.bitPattern), "\(m)x\(n)x\(k) slope \(String(describing: slope))")
                #expect(reference.map(\.bitPattern) == separate.map(\.bitPattern), "reference \(m)x\(n)x\(k)")
            }
        }
    }

    /// The check says yes exactly when OpenBLAS's product has the defining loop's bits on the
    /// check's operands: each shape's verdict against that comparison made here, including
    /// shapes where this machine's OpenBLAS sums in another order (a narrow output, k ≥ 384).
    @Test func checkAgreesWithABitComparisonAgainstOpenBLAS() {
        var verdicts: [Bool] = []
        for (m, n, k, transB, betaOne) in [(64, 256, 256, true, true), (64, 101, 256, true, true), (64, 8, 256, true, true),
                                           (64, 256, 512, true, true), (256, 256, 101, false, false), (128, 17, 256, true, true)] {
            let shape = FP32Products.Shape(transB: transB, m: m, n: n, k: k, betaOne: betaOne, threads: BLASThreads.current)
            // The check's operands, in its order.
            let pool = FP32Products.checkOperands
            var next = 0
            func take(_ count: Int) -> [Float] { (0..<count).map { _ in defer { next = (next + 1) % pool.count }; return pool[next] } }
            let a = take(m * k), b = take(k * n), c0 = take(m * n)
            var c = c0
            Float.gemm(transA: false, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: transB ? k : n,
                       beta: betaOne ? 1 : 0, c: &c, ldc: n)
            let same = c.map(\.bitPattern) == Self.defined(m: m, n: n, k: k, a: a, b: b, transB: transB, betaOne: betaOne, c: c0).map(\.bitPattern)
            let verdict = FP32Products.matchesBLAS(shape)
            #expect(verdict == (same && FP32Products.isAvailable) || !FP32Products.isAvailable, "\(m)x\(n)x\(k) transB \(transB)")
            verdicts.append(verdict)
        }
        // On these machines (OpenBLAS 0.3.21, Cooper Lake kernels) the 64-row 256-wide products
        // of a training step sum in the defining order and an 8-column output does not.
        if FP32Products.isAvailable, GSL.openBLASCore == "Cooperlake" {
            #expect(verdicts[0] && !verdicts[2] && !verdicts[3])
        }
    }

    /// Through a workspace: the first two products of a shape go to OpenBLAS, later ones to the
    /// packed weights where the check passed — with the same bits, on one thread or split over
    /// two; a stale slot is packed again after `forget()`.
    @Test func workspaceProductsKeepOpenBLASsBits() {
        let rng = RandomStream(seed: 9)
        let (m, n, k) = (64, 256, 256)
        var w = Self.operands(n * k, rng)
        let a = Self.operands(m * k, rng), c0 = Self.operands(m * n, rng)
        let operands = FP32Operands()
        let saved = BLASThreads.current
        defer { BLASThreads.set(saved) }
        for threads in [1, 2] {
            BLASThreads.set(threads)
            for round in 0..<5 {
                if round == 3 { w[7] = -w[7]; operands.forget() }
                var blas = c0, ours = c0
                Float.gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: w, ldb: k, beta: 1, c: &blas, ldc: n)
                let used = w.withUnsafeBufferPointer { wp in
                    ours.withUnsafeMutableBufferPointer { cp in
                        operands.gemm(transB: true, m: m, n: n, k: k, a: a, lda: k, b: wp.baseAddress!, ldb: k, betaOne: true,
                                      c: cp.baseAddress!, ldc: n, weightSlot: 1)
                    }
                }
                if !used { Float.gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: w, ldb: k, beta: 1, c: &ours, ldc: n) }
                #expect(ours.map(\.bitPattern) == blas.map(\.bitPattern), "threads \(threads) round \(round)")
                if round < 2 { #expect(!used) }
            }
        }
    }
}
