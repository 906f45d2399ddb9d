import CGSL

/// The GSL generator algorithms gfn-compare offers.
///
/// The default is `taus2` (L'Ecuyer's maximally equidistributed combined Tausworthe
/// generator, period 2^88): it passes the standard statistical batteries, its state is
/// three 32-bit words (so hundreds of independent streams cost nothing), and it is the
/// fastest high-quality generator in GSL — about twice as fast as `mt19937` per draw on
/// these machines, which matters in the Metropolis inner loop. `mt19937` is offered for
/// users who want the most common reference generator.
public enum RandomAlgorithm: String, CaseIterable, Sendable, Codable {
    case taus2
    case mt19937
    case ranlxd2

    var gslType: UnsafePointer<gsl_rng_type> {
        switch self {
        case .taus2: return gfn_rng_type_taus2()
        case .mt19937: return gfn_rng_type_mt19937()
        case .ranlxd2: return gfn_rng_type_ranlxd2()
        }
    }
}

/// One seeded GSL random stream.
///
/// Streams are never global: every chain, worker and network initialiser owns one,
/// derived from the run's master seed and a stream index by ``RandomStream/init(seed:stream:algorithm:)``,
/// so results do not depend on thread scheduling. A stream is not thread-safe; give each
/// thread its own.
public final class RandomStream {
    /// The underlying `gsl_rng *`, for calling `gsl_ran_*` functions directly.
    public let pointer: UnsafeMutablePointer<gsl_rng>
    public let algorithm: RandomAlgorithm
    /// The 32-bit seed actually handed to `gsl_rng_set`.
    public let gslSeed: UInt

    /// A stream for (`seed`, `stream`): the pair is mixed by SplitMix64 into the
    /// generator's seed, so neighbouring seeds and stream indices give unrelated streams.
    public init(seed: UInt64, stream: UInt64 = 0, algorithm: RandomAlgorithm = .taus2) {
        GSL.installErrorHandler()
        guard let r = gsl_rng_alloc(algorithm.gslType) else {
            fatalError("gsl_rng_alloc failed: out of memory")
        }
        pointer = r
        self.algorithm = algorithm
        var mixed = SplitMix64.mix(seed ^ SplitMix64.mix(stream &+ 0x9E37_79B9_7F4A_7C15))
        // GSL's generators take 32 significant bits of seed; 0 selects GSL's default seed, avoid it.
        mixed = mixed & 0xFFFF_FFFF
        if mixed == 0 { mixed = 0x5EED }
        gslSeed = UInt(mixed)
        gsl_rng_set(r, gslSeed)
    }

    deinit { gsl_rng_free(pointer) }

    /// Uniform in [0, 1).
    @inlinable public func uniform() -> Double { gsl_rng_uniform(pointer) }

    /// Uniform in (0, 1): safe to take the logarithm of.
    @inlinable public func uniformPositive() -> Double { gsl_rng_uniform_pos(pointer) }

    /// Uniform integer in 0..<n, n ≥ 1 (GSL's unbiased rejection method).
    @inlinable public func integer(below n: Int) -> Int {
        Int(gsl_rng_uniform_int(pointer, UInt(n)))
    }

    /// Standard normal deviate (Ziggurat).
    @inlinable public func gaussian() -> Double { gsl_ran_gaussian_ziggurat(pointer, 1.0) }

    /// A categorical draw from unnormalised, non-negative weights (inverse CDF; exact, O(k)).
    /// For a table drawn from many times, use ``DiscreteTable``.
    @inlinable public func categorical(weights: UnsafeBufferPointer<Double>, total: Double) -> Int {
        Self.categorical(weights: weights, total: total, uniform: uniform())
    }

    /// The index ``categorical(weights:total:)`` draws when its uniform is `uniform` (for callers
    /// that draw the uniforms of many rows first, in row order, and choose the rows' indices concurrently).
    /// The GFlowNet's softmax draw (exp.c, `gfn_softmax_draw_f`) reproduces this rule from running
    /// totals without the weights, and is tested against it: a change here is a change there.
    @inlinable public static func categorical(weights: UnsafeBufferPointer<Double>, total: Double, uniform: Double) -> Int {
        let u = uniform * total
        var acc = 0.0
        for i in 0..<weights.count {
            acc += weights[i]
            if u < acc { return i }
        }
        // Rounding can leave u ≥ acc: return the last index with positive weight.
        var i = weights.count - 1
        while i > 0 && weights[i] <= 0 { i -= 1 }
        return i
    }
}

/// A reusable categorical distribution (`gsl_ran_discrete`, Walker's alias method: O(1) per draw).
public final class DiscreteTable {
    private let table: UnsafeMutablePointer<gsl_ran_discrete_t>
    public let count: Int

    /// - Throws: ``GFNError/invalidInput(_:)`` if a weight is negative or non-finite, or all are 0.
    public init(weights: [Double]) throws {
        guard !weights.isEmpty else { throw GFNError.invalidInput("a categorical distribution needs at least one weight") }
        guard weights.allSatisfy({ $0.isFinite && $0 >= 0 }), weights.contains(where: { $0 > 0 }) else {
            throw GFNError.invalidInput("categorical weights must be finite, non-negative and not all zero")
        }
        GSL.installErrorHandler()
        guard let t = weights.withUnsafeBufferPointer({ gsl_ran_discrete_preproc($0.count, $0.baseAddress) }) else {
            throw GFNError.invalidInput("gsl_ran_discrete_preproc rejected the weights")
        }
        table = t
        count = weights.count
    }

    deinit { gsl_ran_discrete_free(table) }

    @inlinable public func sample(using rng: RandomStream) -> Int {
        Int(gsl_ran_discrete(rng.pointer, tableOpaque))
    }

    @usableFromInline var tableOpaque: UnsafeMutablePointer<gsl_ran_discrete_t> { table }
}

/// SplitMix64 (Steele, Lea & Flood 2014): the standard way to turn one seed into many.
public enum SplitMix64 {
    @inlinable public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
