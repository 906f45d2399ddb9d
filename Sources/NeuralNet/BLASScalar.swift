import CGSL
import CKernels
import Foundation

/// A floating-point type with a CBLAS matrix product: `Float` (sgemm) for the network's
/// speed, `Double` (dgemm) for finite-difference gradient checks.
public protocol BLASScalar: BinaryFloatingPoint & Sendable & Codable where Self.RawSignificand: FixedWidthInteger {
    /// C ← α·op(A)·op(B) + β·C, all row-major.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    static func exp(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self

    // Elementwise kernels (vectorized C, see CKernels.h).
    /// out[i] = z[i] if z[i] > 0, else slope·z[i] (slope 0: ReLU).
    static func rectify(_ z: UnsafePointer<Self>, into out: UnsafeMutablePointer<Self>, count: Int, slope: Self)
    /// x[i] ← x[i] if x[i] > 0, else slope·x[i].
    static func rectifyInPlace(_ x: UnsafeMutablePointer<Self>, count: Int, slope: Self)
    /// Per row of `width`: g ← g where z > 0, else slope·g; then the row is added to `columnSums`.
    static func maskByPositiveAndSumRows(_ g: UnsafeMutablePointer<Self>, z: UnsafePointer<Self>, rows: Int, width: Int, slope: Self,
                                         columnSums: UnsafeMutablePointer<Self>)
    /// Per row: g ← g·(1 − a²); then the row is added to `columnSums`.
    static func multiplyByTanhDerivativeAndSumRows(_ g: UnsafeMutablePointer<Self>, a: UnsafePointer<Self>, rows: Int, width: Int,
                                                   columnSums: UnsafeMutablePointer<Self>)
    /// y[i] += x[i] (x and y do not overlap).
    static func add(_ x: UnsafePointer<Self>, to y: UnsafeMutablePointer<Self>, count: Int)
    /// out[i] = x[i] + y[i] (out overlaps neither).
    static func sum(_ x: UnsafePointer<Self>, _ y: UnsafePointer<Self>, into out: UnsafeMutablePointer<Self>, count: Int)
    /// A masked softmax row's exponentials: weights[j] = exp(scale·x_j − m) for the valid j (0
    /// elsewhere), m the largest valid scale·x_j; returns m and Σ weights. The same bits as
    /// `Foundation.exp` in a loop (eight at a time with AVX-512 where that reproduces libm; exp.c).
    static func shiftedExponentials(_ x: UnsafePointer<Self>, mask: UnsafePointer<Bool>, count: Int, scale: Double,
                                    into weights: UnsafeMutablePointer<Double>) -> (max: Double, total: Double)
    /// The same row's m and Σ weights alone (a log-sum-exp's), with `count` Doubles of scratch.
    static func softmaxTotal(_ x: UnsafePointer<Self>, mask: UnsafePointer<Bool>, count: Int, scale: Double,
                             scratch: UnsafeMutablePointer<Double>) -> (max: Double, total: Double)
    /// The same row's m and Σ weights, and the index `RandomStream.categorical(weights:total:uniform:)`
    /// draws from its weights with `uniform` (bit for bit), with 2·`count` Doubles of scratch:
    /// without a second pass over the row, and without spreading the weights over it unless
    /// `spreadWeights` (then the scratch's first `count` hold them, as `shiftedExponentials` writes them).
    static func softmaxDraw(_ x: UnsafePointer<Self>, mask: UnsafePointer<Bool>, count: Int, scale: Double, uniform: Double,
                            scratch: UnsafeMutablePointer<Double>, spreadWeights: Bool) -> (index: Int, max: Double, total: Double)
    /// weights[j] = exp(x_j − shift) for the valid j (0 elsewhere); returns Σ weights in index
    /// order. The bits of that loop with `Foundation.exp` (exp.c).
    static func exponentials(_ x: UnsafePointer<Self>, mask: UnsafePointer<Bool>, count: Int, shift: Double,
                             into weights: UnsafeMutablePointer<Double>) -> Double
    /// One Adam step over `count` parameters (see ``Adam``): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g·g,
    /// θ ← θ − α·m/(√v + ε), each operation rounded in this type. Returns whether every updated θ is finite.
    static func adamStep(parameters: UnsafeMutablePointer<Self>, gradient: UnsafePointer<Self>, m: UnsafeMutablePointer<Self>,
                         v: UnsafeMutablePointer<Self>, count: Int, beta1: Self, beta2: Self, alpha: Self, epsilon: Self) -> Bool
}

extension BLASScalar {
    /// Swift's Bool is one byte holding 0 or 1, the C kernels' `unsigned char` mask.
    @inlinable static func maskBytes(_ mask: UnsafePointer<Bool>) -> UnsafePointer<UInt8> {
        UnsafeRawPointer(mask).assumingMemoryBound(to: UInt8.self)
    }

    /// Reads `count` elements at `x` into cache ahead of a pass over them (`gfn_stream_in`): data
    /// written long before streams from memory about twice as fast this way as under a pass whose
    /// loads are interleaved with stores. Changes nothing.
    @inlinable public static func streamIn(_ x: UnsafePointer<Self>, count: Int) { gfn_stream_in(x, count * MemoryLayout<Self>.stride) }
}

@usableFromInline @inline(__always) func cblasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: BLASScalar {
    @inlinable public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                       a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB), Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func exp(_ x: Float) -> Float { Foundation.expf(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inlinable public static func rectify(_ z: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int, slope: Float) {
        gfn_rectify_f(z, out, count, slope)
    }
    @inlinable public static func rectifyInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, slope: Float) { gfn_rectify_in_place_f(x, count, slope) }
    @inlinable public static func maskByPositiveAndSumRows(_ g: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>, rows: Int, width: Int, slope: Float,
                                                           columnSums: UnsafeMutablePointer<Float>) {
        gfn_mask_positive_sum_rows_f(g, z, rows, width, slope, columnSums)
    }
    @inlinable public static func multiplyByTanhDerivativeAndSumRows(_ g: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, rows: Int, width: Int,
                                                                     columnSums: UnsafeMutablePointer<Float>) {
        gfn_tanh_derivative_sum_rows_f(g, a, rows, width, columnSums)
    }
    @inlinable public static func add(_ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) { gfn_add_f(x, y, count) }
    @inlinable public static func sum(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        gfn_sum_f(x, y, out, count)
    }
    @inlinable public static func shiftedExponentials(_ x: UnsafePointer<Float>, mask: UnsafePointer<Bool>, count: Int, scale: Double,
                                                      into weights: UnsafeMutablePointer<Double>) -> (max: Double, total: Double) {
        var m = 0.0
        let total = gfn_shifted_exponentials_f(x, maskBytes(mask), count, scale, weights, &m)
        return (m, total)
    }
    @inlinable public static func softmaxTotal(_ x: UnsafePointer<Float>, mask: UnsafePointer<Bool>, count: Int, scale: Double,
                                               scratch: UnsafeMutablePointer<Double>) -> (max: Double, total: Double) {
        var m = 0.0
        let total = gfn_softmax_total_f(x, maskBytes(mask), count, scale, scratch, &m)
        return (m, total)
    }
    @inlinable public static func softmaxDraw(_ x: UnsafePointer<Float>, mask: UnsafePointer<Bool>, count: Int, scale: Double, uniform: Double,
                                              scratch: UnsafeMutablePointer<Double>, spreadWeights: Bool) -> (index: Int, max: Double, total: Double) {
        var m = 0.0, total = 0.0
        let index = gfn_softmax_draw_f(x, maskBytes(mask), count, scale, uniform, scratch, &m, &total, spreadWeights ? 1 : 0)
        return (index, m, total)
    }
    @inlinable public static func exponentials(_ x: UnsafePointer<Float>, mask: UnsafePointer<Bool>, count: Int, shift: Double,
                                               into weights: UnsafeMutablePointer<Double>) -> Double {
        gfn_exponentials_f(x, maskBytes(mask), count, shift, weights)
    }
    @inlinable public static func adamStep(parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                                           v: UnsafeMutablePointer<Float>, count: Int, beta1: Float, beta2: Float, alpha: Float, epsilon: Float) -> Bool {
        gfn_adam_f(parameters, gradient, m, v, count, beta1, beta2, alpha, epsilon) != 0
    }
}

extension Double: BLASScalar {
    @inlinable public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                                       a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                                       beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB), Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inlinable public static func rectify(_ z: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, count: Int, slope: Double) {
        gfn_rectify_d(z, out, count, slope)
    }
    @inlinable public static func rectifyInPlace(_ x: UnsafeMutablePointer<Double>, count: Int, slope: Double) { gfn_rectify_in_place_d(x, count, slope) }
    @inlinable public static func maskByPositiveAndSumRows(_ g: UnsafeMutablePointer<Double>, z: UnsafePointer<Double>, rows: Int, width: Int, slope: Double,
                                                           columnSums: UnsafeMutablePointer<Double>) {
        gfn_mask_positive_sum_rows_d(g, z, rows, width, slope, columnSums)
    }
    @inlinable public static func multiplyByTanhDerivativeAndSumRows(_ g: UnsafeMutablePointer<Double>, a: UnsafePointer<Double>, rows: Int, width: Int,
                                                                     columnSums: UnsafeMutablePointer<Double>) {
        gfn_tanh_derivative_sum_rows_d(g, a, rows, width, columnSums)
    }
    @inlinable public static func add(_ x: UnsafePointer<Double>, to y: UnsafeMutablePointer<Double>, count: Int) { gfn_add_d(x, y, count) }
    @inlinable public static func sum(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, count: Int) {
        gfn_sum_d(x, y, out, count)
    }
    @inlinable public static func shiftedExponentials(_ x: UnsafePointer<Double>, mask: UnsafePointer<Bool>, count: Int, scale: Double,
                                                      into weights: UnsafeMutablePointer<Double>) -> (max: Double, total: Double) {
        var m = 0.0
        let total = gfn_shifted_exponentials_d(x, maskBytes(mask), count, scale, weights, &m)
        return (m, total)
    }
    @inlinable public static func softmaxTotal(_ x: UnsafePointer<Double>, mask: UnsafePointer<Bool>, count: Int, scale: Double,
                                               scratch: UnsafeMutablePointer<Double>) -> (max: Double, total: Double) {
        var m = 0.0
        let total = gfn_softmax_total_d(x, maskBytes(mask), count, scale, scratch, &m)
        return (m, total)
    }
    @inlinable public static func softmaxDraw(_ x: UnsafePointer<Double>, mask: UnsafePointer<Bool>, count: Int, scale: Double, uniform: Double,
                                              scratch: UnsafeMutablePointer<Double>, spreadWeights: Bool) -> (index: Int, max: Double, total: Double) {
        var m = 0.0, total = 0.0
        let index = gfn_softmax_draw_d(x, maskBytes(mask), count, scale, uniform, scratch, &m, &total, spreadWeights ? 1 : 0)
        return (index, m, total)
    }
    @inlinable public static func exponentials(_ x: UnsafePointer<Double>, mask: UnsafePointer<Bool>, count: Int, shift: Double,
                                               into weights: UnsafeMutablePointer<Double>) -> Double {
        gfn_exponentials_d(x, maskBytes(mask), count, shift, weights)
    }
    @inlinable public static func adamStep(parameters: UnsafeMutablePointer<Double>, gradient: UnsafePointer<Double>, m: UnsafeMutablePointer<Double>,
                                           v: UnsafeMutablePointer<Double>, count: Int, beta1: Double, beta2: Double, alpha: Double, epsilon: Double) -> Bool {
        gfn_adam_d(parameters, gradient, m, v, count, beta1, beta2, alpha, epsilon) != 0
    }
}

/// OpenBLAS threading.
public enum BLASThreads {
    /// Sets the number of threads OpenBLAS uses for one product.
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var current: Int { Int(openblas_get_num_threads()) }
}
