import CKernels
import Foundation
import GFNCore
import Settings

/// The network's matrix products in bf16 with fp32 accumulation (`--precision bf16`): operands
/// rounded to bf16 (nearest, ties to even; subnormals to zero, as the instructions treat them) and multiplied by the CPU's AVX512_BF16 dot-product
/// instruction, accumulated and stored in fp32; parameters, activations and the optimiser stay fp32.
public enum BF16Products {
    /// Whether this CPU can run bf16 products (AVX512_BF16). Setting the environment variable
    /// `GFN_COMPARE_NO_BF16` makes it answer no, so a machine with the instructions can check
    /// the refusal a machine without them gives.
    public static let isSupported: Bool = ProcessInfo.processInfo.environment["GFN_COMPARE_NO_BF16"] == nil && gfn_bf16_supported() != 0

    /// Refuses bf16 products on a CPU without them, naming the flag.
    public static func requireSupport(for precision: ProductPrecision?) throws {
        guard precision == .bf16, !isSupported else { return }
        throw GFNError.invalidInput("--precision bf16 needs a CPU with AVX512_BF16 instructions (Intel Cooper Lake or Sapphire Rapids, AMD Zen 4 or later); this one has none: use --precision fp32")
    }

    /// `x` rounded to the nearest bf16 (ties to even; a subnormal to a zero of its sign), as a Float.
    @inlinable public static func round(_ x: Float) -> Float { gfn_bf16_round(x) }
}

/// A workspace's packed bf16 operands: scratch for the operands packed at each product, and each
/// weight matrix packed once (per layer, output block and orientation) and reused by every
/// product of a step, since repacking a 256 × 256 matrix costs about as much as a 32-row product.
///
/// Packed weights are valid until ``forget()`` (``PackedWeights``).
final class BF16Operands: @unchecked Sendable {
    private var scratchA = Scratch(), scratchB = Scratch()
    private let weights = PackedWeights<UInt32>(owner: "bf16 products")

    private struct Scratch {
        var words: UnsafeMutablePointer<UInt32>?
        var capacity = 0
        mutating func reserve(_ n: Int) -> UnsafeMutablePointer<UInt32> {
            if n > capacity || words == nil {
                words?.deallocate()
                capacity = max(n, 1)
                words = .allocate(capacity: capacity)
            }
            return words!
        }
    }

    deinit { scratchA.words?.deallocate(); scratchB.words?.deallocate() }

    /// Marks every packed weight matrix stale.
    func forget() { weights.forget() }

    /// C ← α·op(A)·op(B) + β·C in bf16 products (row-major). With `weightSlot`, op(B) is a weight
    /// matrix kept packed in that slot (packed again when stale or from another pointer). With
    /// `bias` (β = 0): C ← α·op(A)·op(B) + bias (broadcast over the rows), and with a `rectifier`
    /// slope C ← C > 0 ? C : slope·C, as each tile is stored (a layer's bias and ReLU without
    /// their passes through memory; the bits of the separate steps).
    func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
              b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, weightSlot: Int?,
              bias: UnsafePointer<Float>? = nil, rectifier slope: Float? = nil, pendingA: PendingActivation? = nil) {
        precondition(bias == nil || beta == 0, "bf16 products: a bias replaces β·C")
        guard m > 0, n > 0 else { return }
        precondition(pendingA == nil || !transA, "bf16 products: a pending activation is of A's rows")
        let operandA = OperandA(trans: transA, a: a, lda: lda, packed: scratchA.reserve(gfn_bf16_packed_a_words(m, k)), pending: pendingA)
        let pb: UnsafeMutablePointer<UInt32>
        if let slot = weightSlot {
            pb = packedWeights(slot: slot, trans: transB, k: k, n: n, b: b, ldb: ldb)
        } else {
            pb = scratchB.reserve(gfn_bf16_packed_b_words(k, n))
            gfn_bf16_pack_b(transB ? 1 : 0, k, n, b, ldb, pb)
        }
        guard bias != nil || slope != nil else {
            multiply(m: m, n: n, k: k, alpha: alpha, a: operandA, pb: pb, beta: beta, c: c, ldc: ldc, epilogue: nil)
            return
        }
        withUnsafePointer(to: gfn_product_epilogue(bias: bias, rectify: slope == nil ? 0 : 1, slope: slope ?? 0)) {
            multiply(m: m, n: n, k: k, alpha: alpha, a: operandA, pb: pb, beta: beta, c: c, ldc: ldc, epilogue: $0)
        }
    }

    /// op(A) as the caller gave it, and the scratch it is packed into.
    private struct OperandA {
        var trans: Bool
        var a: UnsafePointer<Float>
        var lda: Int
        var packed: UnsafeMutablePointer<UInt32>
        /// A's rows still to be activated (the thread packing them does it first).
        var pending: PendingActivation?

        /// Packs rows first..<last of op(A) (first a multiple of the kernel's 8-row tile, so the
        /// zero rows that pad a block to the tile fall after the last block only): the words of
        /// those rows in the whole operand's packing.
        func pack(rows first: Int, _ last: Int, k: Int) {
            let rows = packed + first * ((k + 1) / 2)
            if let pending, !trans, pending.a == UnsafeMutablePointer(mutating: a), pending.width == lda, let slope = pending.rectifierSlope {
                // Activated and packed in one pass.
                gfn_bf16_pack_a_rectified(last - first, k, pending.preActivations + first * lda, pending.a + first * lda, lda, slope, rows)
                return
            }
            pending?.apply(rows: first, last)
            // Row `first` of op(A) is column `first` of a transposed A.
            gfn_bf16_pack_a(trans ? 1 : 0, last - first, k, a + (trans ? first : first * lda), lda, rows)
        }
    }

    /// The product on as many threads as OpenBLAS is set to use (1 inside training workers,
    /// which run one product each). A large product is split by blocks of rows, each thread
    /// packing its rows of A and multiplying them by every column panel (with fewer rows than
    /// that, A is packed first and the column panels are split). Every output is computed by the
    /// same code whichever thread runs it, so the bits do not depend on the split.
    private func multiply(m: Int, n: Int, k: Int, alpha: Float, a: OperandA, pb: UnsafePointer<UInt32>,
                          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: UnsafePointer<gfn_product_epilogue>?) {
        let panels = gfn_bf16_panels(n)
        let parts = min(BLASThreads.current, panels)
        let pa = UnsafePointer(a.packed), kp = (k + 1) / 2
        // Below ~4 million multiply-adds (a 64-row 256 × 256 product) the hand-off costs more than it saves.
        guard parts > 1, m * n * k >= 1 << 22 else {
            a.pack(rows: 0, m, k: k)
            gfn_bf16_gemm_packed(m, n, k, alpha, pa, pb, beta, c, ldc, epilogue, 0, panels)
            return
        }
        let rowBlocks = (m + 7) / 8
        if rowBlocks >= 2 * parts {
            // Packing A on the calling thread alone was 7% of bf16 sampling's time.
            WorkTeam.perform(parts: parts) { t in
                let first = rowBlocks * t / parts * 8, last = min(m, rowBlocks * (t + 1) / parts * 8)
                a.pack(rows: first, last, k: k)
                gfn_bf16_gemm_packed(last - first, n, k, alpha, UnsafePointer(a.packed) + first * kp, pb, beta, c + first * ldc, ldc, epilogue, 0, panels)
            }
        } else {
            a.pack(rows: 0, m, k: k)
            WorkTeam.perform(parts: parts) { t in
                gfn_bf16_gemm_packed(m, n, k, alpha, pa, pb, beta, c, ldc, epilogue, panels * t / parts, panels * (t + 1) / parts)
            }
        }
    }

    private func packedWeights(slot: Int, trans: Bool, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int) -> UnsafeMutablePointer<UInt32> {
        weights.packed(slot: slot, count: gfn_bf16_packed_b_words(k, n), source: UnsafeRawPointer(b)) { gfn_bf16_pack_b(trans ? 1 : 0, k, n, b, ldb, $0) }
    }
}
