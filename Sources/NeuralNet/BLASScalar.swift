import CGSL
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
}

/// OpenBLAS threading.
public enum BLASThreads {
    /// Sets the number of threads OpenBLAS uses for one product.
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var current: Int { Int(openblas_get_num_threads()) }
}
