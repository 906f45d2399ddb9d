import CKernels
import Foundation
import GFNCore

/// fp32 products against weights packed once per step (fp32.c), where they give OpenBLAS's bits.
///
/// OpenBLAS packs both operands at every call; a rollout's ~100 forward products per step against
/// the same weights spent 6–8% of an fp32 training step (13% of sampling) on those copies. Our
/// product packs the weights once and sums each output in one fixed order (from 0, one fused
/// multiply-add per k in order, then C + sum), which is also the order of OpenBLAS's main kernel,
/// but not of its small-matrix and narrow-output kernels or of its products split along k. The
/// committed records were made with OpenBLAS's bits, so a shape uses our product only once a
/// check has shown that it gives OpenBLAS's bits there: both products on the same random
/// operands (a wide range of magnitudes, zeros of both signs), all outputs compared bit for bit
/// (another summation order changes many of them: hundreds at the network's shapes, measured
/// against OpenBLAS 0.3.21's Cooper Lake kernels). Any other shape, and any CPU without
/// AVX-512, stays with OpenBLAS, so a run's bits are those of OpenBLAS on that machine either way.
public enum FP32Products {
    /// A product's shape: op(B) transposed (a forward product's Wᵀ) or not (the backward pass's
    /// W), m × k times k × n, C read (β = 1) or not (β = 0), and OpenBLAS's threads.
    struct Shape: Hashable {
        var transB: Bool, m: Int, n: Int, k: Int, betaOne: Bool, threads: Int
    }

    private enum State { case seen(Int), checked(Bool) }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var states: [Shape: State] = [:]

    /// Whether `shape` uses our product. A shape is checked at its third product (the first two
    /// go through OpenBLAS), so a shape that occurs once or twice (a remainder block) costs no
    /// check. Products of fewer than 8 rows (one tile; OpenBLAS's small-matrix kernels, and too
    /// few outputs for a telling check) or more than ``largestRows`` stay with OpenBLAS: packing
    /// the weights costs nothing next to a large product, and its check would need operands as large.
    static func uses(_ shape: Shape) -> Bool {
        guard isAvailable, shape.m >= 8, shape.m <= largestRows else { return false }
        lock.lock()
        switch states[shape] ?? .seen(0) {
        case .checked(let ok):
            lock.unlock()
            return ok
        case .seen(let n) where n < 2:
            states[shape] = .seen(n + 1)
            lock.unlock()
            return false
        case .seen:
            lock.unlock()
            let ok = matchesBLAS(shape)
            lock.lock(); states[shape] = .checked(ok); lock.unlock()
            return ok
        }
    }

    /// The most rows a product of ours takes (sampling's blocks are 512, training's 64–256).
    static let largestRows = 2048

    /// False on CPUs without AVX-512F, or with `GFN_COMPARE_NO_PACKED_FP32` set in the environment
    /// (every product then goes to OpenBLAS: the switch for timing one against the other).
    public static let isAvailable = gfn_f32_supported() != 0 && ProcessInfo.processInfo.environment["GFN_COMPARE_NO_PACKED_FP32"] == nil

    /// Both products on random operands of `shape`; true when every output has the same bits.
    static func matchesBLAS(_ s: Shape) -> Bool {
        let (m, n, k) = (s.m, s.n, s.k)
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k), b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n), d = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: gfn_f32_packed_b_floats(k, n))
        defer { a.deallocate(); b.deallocate(); c.deallocate(); d.deallocate(); packed.deallocate() }
        // Magnitudes over e^±4 with either sign, and a tenth zeros of either sign (a rectified
        // layer's): every partial sum rounds, so another order shows in the low bits. The values
        // cycle through a pool of a prime length, so no two rows or columns repeat each other.
        let pool = checkOperands
        var next = 0
        func fill(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
            for i in 0..<count { p[i] = pool[next]; next = next + 1 == pool.count ? 0 : next + 1 }
        }
        fill(a, m * k); fill(b, k * n); fill(c, m * n)
        d.update(from: c, count: m * n)
        let ld = s.transB ? k : n
        Float.gemm(transA: false, transB: s.transB, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: ld, beta: s.betaOne ? 1 : 0, c: c, ldc: n)
        gfn_f32_pack_b(s.transB ? 1 : 0, k, n, b, ld, packed)
        gfn_f32_gemm_packed(m, n, k, a, k, packed, s.betaOne ? 1 : 0, d, n, nil, 0, gfn_f32_panels(n))
        return memcmp(c, d, m * n * MemoryLayout<Float>.size) == 0
    }

    /// The check's operands, in the order it takes them.
    static let checkOperands: [Float] = {
        let rng = RandomStream(seed: 0xF32)
        return (0..<4099).map { _ in checkOperand(rng) }
    }()

    /// ±e^u, u uniform in [−4, 4), or (a tenth of the time) a zero of either sign.
    static func checkOperand(_ rng: RandomStream) -> Float {
        let u = rng.uniform()
        if u < 0.05 { return 0 }
        if u < 0.1 { return -0.0 }
        return Float((u < 0.55 ? -1 : 1) * Foundation.exp(8 * rng.uniform() - 4))
    }
}

/// A workspace's fp32 weight matrices, each packed once and reused by every product of a step
/// until ``forget()`` (``PackedWeights``).
final class FP32Operands: @unchecked Sendable {
    private let weights = PackedWeights<Float>(owner: "fp32 products")

    /// Marks every packed weight matrix stale.
    func forget() { weights.forget() }

    /// C ← op(A)·op(B) + β·C (A not transposed, β 0 or 1) with op(B) the weights of `weightSlot`,
    /// when this shape uses our product (``FP32Products``); returns false, having done nothing,
    /// when the caller must ask OpenBLAS. With `bias` (β 1): C ← bias (broadcast over the rows)
    /// + op(A)·op(B) without reading C, and with a `rectifier` slope C ← C > 0 ? C : slope·C, as
    /// each tile is stored: the bits of the bias copied into C, the product, then the activation.
    func gemm(transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
              betaOne: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, weightSlot: Int,
              bias: UnsafePointer<Float>? = nil, rectifier slope: Float? = nil, pendingA: PendingActivation? = nil) -> Bool {
        precondition(bias == nil || betaOne, "fp32 products: a bias stands for C, so β is 1")
        guard m > 0, n > 0, k > 0,
              FP32Products.uses(.init(transB: transB, m: m, n: n, k: k, betaOne: betaOne, threads: BLASThreads.current)) else { return false }
        let pb = UnsafePointer(packedWeights(slot: weightSlot, trans: transB, k: k, n: n, b: b, ldb: ldb))
        guard bias != nil || slope != nil else {
            multiply(m: m, n: n, k: k, a: a, lda: lda, pb: pb, betaOne: betaOne, c: c, ldc: ldc, epilogue: nil, pendingA: pendingA)
            return true
        }
        withUnsafePointer(to: gfn_product_epilogue(bias: bias, rectify: slope == nil ? 0 : 1, slope: slope ?? 0)) {
            multiply(m: m, n: n, k: k, a: a, lda: lda, pb: pb, betaOne: betaOne, c: c, ldc: ldc, epilogue: $0, pendingA: pendingA)
        }
        return true
    }

    /// The product on as many threads as OpenBLAS is set to use (1 inside training workers).
    /// Every output is computed by the same code whichever thread runs it, so the bits do not
    /// depend on the split. With `pendingA`, A's rows are activated by the thread that multiplies them.
    private func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, pb: UnsafePointer<Float>, betaOne: Bool,
                          c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: UnsafePointer<gfn_product_epilogue>?,
                          pendingA: PendingActivation?) {
        let panels = gfn_f32_panels(n)
        let parts = min(BLASThreads.current, panels)
        // Below ~4 million multiply-adds (a 64-row 256 × 256 product) the hand-off costs more than it saves.
        guard parts > 1, m * n * k >= 1 << 22 else {
            pendingA?.apply(rows: 0, m)
            gfn_f32_gemm_packed(m, n, k, a, lda, pb, betaOne ? 1 : 0, c, ldc, epilogue, 0, panels)
            return
        }
        // Each thread takes a block of rows (multiples of 8, the kernel's tile) and every column,
        // which splits the work evenly; with fewer rows than that, a share of the column panels.
        let rowBlocks = (m + 7) / 8, byRows = rowBlocks >= 2 * parts
        if !byRows { pendingA?.apply(rows: 0, m) }
        WorkTeam.perform(parts: parts) { t in
            if byRows {
                let first = rowBlocks * t / parts * 8, last = min(m, rowBlocks * (t + 1) / parts * 8)
                pendingA?.apply(rows: first, last)
                gfn_f32_gemm_packed(last - first, n, k, a + first * lda, lda, pb, betaOne ? 1 : 0, c + first * ldc, ldc, epilogue, 0, panels)
            } else {
                gfn_f32_gemm_packed(m, n, k, a, lda, pb, betaOne ? 1 : 0, c, ldc, epilogue, panels * t / parts, panels * (t + 1) / parts)
            }
        }
    }

    private func packedWeights(slot: Int, trans: Bool, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int) -> UnsafeMutablePointer<Float> {
        weights.packed(slot: slot, count: gfn_f32_packed_b_floats(k, n), source: UnsafeRawPointer(b)) { gfn_f32_pack_b(trans ? 1 : 0, k, n, b, ldb, $0) }
    }
}
