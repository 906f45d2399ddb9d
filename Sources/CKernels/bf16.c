/* The network's matrix products in bf16 with fp32 accumulation (--precision bf16), on CPUs with
   AVX512_BF16. Operands are rounded to bf16 (nearest even) and packed into pairs along k, the
   layout VDPBF16PS reads: A as rows of pairs (rows padded to MR), B as column panels of NR pairs.
   A 8 x 32 tile of C stays in 16 registers while k runs, each step one broadcast pair of A and
   two vectors of B. Packing is portable C; only the kernel is compiled for the bf16 instructions
   (the target attribute), so the library runs on any CPU and callers ask gfn_bf16_supported() first. The bits
   depend on the operands only: each output is one fixed sequence of fp32 adds over k. */
#include "CKernels.h"
#include <stdint.h>
#include <string.h>

enum { MR = 8, NR = 32 };

/* fp32 -> bf16, round to nearest even; NaN stays a (quiet) NaN; a subnormal becomes a zero of
   its sign. That is what the CPU's conversion (VCVTNE2PS2BF16) does, and VDPBF16PS reads bf16
   subnormals as zero anyway, so the rounded columns of the first layer and the products agree. */
static inline uint32_t bf16_bits(float f) {
    uint32_t u; memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
    if ((u & 0x7f800000u) == 0) return (u >> 16) & 0x8000u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}
float gfn_bf16_round(float f) { uint32_t u = bf16_bits(f) << 16; float r; memcpy(&r, &u, 4); return r; }
void gfn_bf16_round_array(float *x, long count) { for (long i = 0; i < count; i++) x[i] = gfn_bf16_round(x[i]); }

static inline long pairs_of(long k) { return (k + 1) / 2; }
static inline long round_up(long x, long m) { return (x + m - 1) / m * m; }

long gfn_bf16_packed_a_words(long m, long k) { return round_up(m, MR) * pairs_of(k); }
long gfn_bf16_packed_b_words(long k, long n) { return pairs_of(k) * round_up(n, NR); }

/* op(A) (m x k) as bf16 pairs along k, rows padded to a multiple of MR with zeros. */
void gfn_bf16_pack_a_portable(int trans, long m, long k, const float *restrict a, long lda, unsigned int *restrict out) {
    const long kp = pairs_of(k), mp = round_up(m, MR);
    if (!trans) {
        for (long i = 0; i < m; i++) {
            const float *restrict row = a + i * lda;
            uint32_t *restrict o = out + i * kp;
            for (long p = 0; p < k / 2; p++) o[p] = bf16_bits(row[2 * p]) | (bf16_bits(row[2 * p + 1]) << 16);
            if (k & 1) o[kp - 1] = bf16_bits(row[k - 1]);
        }
    } else {
        for (long p = 0; p < k / 2; p++) {
            const float *restrict r0 = a + (2 * p) * lda, *restrict r1 = r0 + lda;
            for (long i = 0; i < m; i++) out[i * kp + p] = bf16_bits(r0[i]) | (bf16_bits(r1[i]) << 16);
        }
        if (k & 1) { const float *restrict r0 = a + (k - 1) * lda; for (long i = 0; i < m; i++) out[i * kp + kp - 1] = bf16_bits(r0[i]); }
    }
    memset(out + m * kp, 0, sizeof(uint32_t) * (mp - m) * kp);
}

/* op(B) (k x n) in column panels of NR: panel j holds pairs(k) rows of NR pairs, zero-padded. */
void gfn_bf16_pack_b_portable(int trans, long k, long n, const float *restrict b, long ldb, unsigned int *restrict out) {
    const long kp = pairs_of(k), np = round_up(n, NR);
    if (n % NR) memset(out, 0, sizeof(uint32_t) * kp * np);
    if (trans) {                /* op(B)[kk][j] = b[j*ldb + kk]: a pair is contiguous in row j of b */
        for (long j = 0; j < n; j++) {
            const float *restrict row = b + j * ldb;
            uint32_t *restrict o = out + (j / NR) * kp * NR + (j % NR);
            for (long p = 0; p < k / 2; p++) o[p * NR] = bf16_bits(row[2 * p]) | (bf16_bits(row[2 * p + 1]) << 16);
            if (k & 1) o[(kp - 1) * NR] = bf16_bits(row[k - 1]);
        }
    } else {                    /* rows 2p and 2p+1 of b interleave into row p of each panel */
        for (long p = 0; p < kp; p++) {
            const float *restrict r0 = b + 2 * p * ldb, *restrict r1 = r0 + ldb;
            const int odd = 2 * p + 1 == k;
            for (long j0 = 0; j0 < n; j0 += NR) {
                uint32_t *restrict o = out + (j0 / NR) * kp * NR + p * NR;
                const long w = n - j0 < NR ? n - j0 : NR;
                if (odd) for (long j = 0; j < w; j++) o[j] = bf16_bits(r0[j0 + j]);
                else for (long j = 0; j < w; j++) o[j] = bf16_bits(r0[j0 + j]) | (bf16_bits(r1[j0 + j]) << 16);
            }
        }
    }
}

long gfn_bf16_panels(long n) { return (n + NR - 1) / NR; }

#if defined(__x86_64__)
#include <immintrin.h>
#include "rectify16.h"
#define GFN_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

int gfn_bf16_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512bf16");
}

/* The same packing sixteen words at a time with the CPU's conversion instruction, which rounds
   as bf16_bits does (tested word for word against the portable packing); a transposed operand
   goes through a 16 x 16 register transpose. Measured: the scalar packing was 14% of a 10x10
   torchgfn-like bf16 training step. */
#define GFN_PACK_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))

static inline __mmask16 lanes(long count) { return count >= 16 ? (__mmask16)0xffff : count <= 0 ? 0 : (__mmask16)((1u << count) - 1); }

/* Words l < count: r0[l] in the low half, r1[l] (r1 NULL: zero) in the high half. */
GFN_PACK_TARGET static inline __m512i pair_rows(const float *r0, const float *r1, long count) {
    const __mmask16 m = lanes(count);
    const __m512 lo = _mm512_maskz_loadu_ps(m, r0), hi = r1 ? _mm512_maskz_loadu_ps(m, r1) : _mm512_setzero_ps();
    /* halves 0..15: lo, 16..31: hi; interleaved into pairs */
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

/* Words p < (count + 1) / 2 from the floats row[0 ..< count] taken two by two (a missing high half is zero). */
GFN_PACK_TARGET static inline __m512i pair_run(const float *row, long count) {
    return (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(lanes(count - 16), row + 16), _mm512_maskz_loadu_ps(lanes(count), row));
}

/* r[i] lane j <- r[j] lane i. */
GFN_PACK_TARGET static inline void transpose16(__m512i r[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    for (int g = 0; g < 4; g++) {   /* u[4g + c], 128-bit lane L: rows 4g..4g+3 of column 4L + c */
        u[4 * g] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
        u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
        u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
    }
    for (int c = 0; c < 4; c++) {
        const __m512i v0 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x88), w0 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x88);
        const __m512i v1 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xdd), w1 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xdd);
        r[c] = _mm512_shuffle_i32x4(v0, w0, 0x88);
        r[8 + c] = _mm512_shuffle_i32x4(v0, w0, 0xdd);
        r[4 + c] = _mm512_shuffle_i32x4(v1, w1, 0x88);
        r[12 + c] = _mm512_shuffle_i32x4(v1, w1, 0xdd);
    }
}

GFN_PACK_TARGET static void pack_a_vector(int trans, long m, long k, const float *restrict a, long lda, uint32_t *restrict out) {
    const long kp = pairs_of(k), mp = round_up(m, MR);
    if (!trans) {
        for (long i = 0; i < m; i++)
            for (long p = 0; p < kp; p += 16)
                _mm512_mask_storeu_epi32(out + i * kp + p, lanes(kp - p), pair_run(a + i * lda + 2 * p, k - 2 * p));
    } else {                        /* 16 pairs x 16 rows of op(A) at a time, transposed in registers */
        __m512i v[16];
        for (long p0 = 0; p0 < kp; p0 += 16)           /* source rows read whole: 1.3x faster than by column strips */
            for (long i0 = 0; i0 < m; i0 += 16) {
                for (long q = 0; q < 16; q++) {
                    const long p = p0 + q;
                    v[q] = p < kp ? pair_rows(a + 2 * p * lda + i0, 2 * p + 1 < k ? a + (2 * p + 1) * lda + i0 : NULL, m - i0)
                                  : _mm512_setzero_si512();
                }
                transpose16(v);
                for (long i = 0; i < 16 && i0 + i < m; i++) _mm512_mask_storeu_epi32(out + (i0 + i) * kp + p0, lanes(kp - p0), v[i]);
            }
    }
    memset(out + m * kp, 0, sizeof(uint32_t) * (mp - m) * kp);
}

GFN_PACK_TARGET static void pack_b_vector(int trans, long k, long n, const float *restrict b, long ldb, uint32_t *restrict out) {
    const long kp = pairs_of(k), np = round_up(n, NR);
    if (trans) {                    /* 16 columns x 16 pairs of op(B) at a time, transposed in registers */
        if (n % NR) memset(out, 0, sizeof(uint32_t) * kp * np);
        __m512i v[16];
        for (long j0 = 0; j0 < n; j0 += 16)
            for (long p0 = 0; p0 < kp; p0 += 16) {
                for (long j = 0; j < 16; j++) v[j] = j0 + j < n ? pair_run(b + (j0 + j) * ldb + 2 * p0, k - 2 * p0) : _mm512_setzero_si512();
                transpose16(v);
                uint32_t *panel = out + (j0 / NR) * kp * NR + (j0 % NR);
                for (long q = 0; q < 16 && p0 + q < kp; q++) _mm512_storeu_si512(panel + (p0 + q) * NR, v[q]);
            }
    } else {                        /* rows 2p and 2p+1 interleave; zero lanes fill each panel's padding */
        for (long p = 0; p < kp; p++) {
            const float *r0 = b + 2 * p * ldb, *r1 = 2 * p + 1 < k ? r0 + ldb : NULL;
            for (long j0 = 0; j0 < np; j0 += 16)
                _mm512_storeu_si512(out + (j0 / NR) * kp * NR + p * NR + (j0 % NR), pair_rows(r0 + j0, r1 ? r1 + j0 : NULL, n - j0));
        }
    }
}

/* pack_a_vector of a = σ(z) (not transposed) for a ReLU-family σ, a written too: each 32-float run of
   a row rectified as gfn_rectify_f does (z > 0 ? z : slope * z), stored, and packed from the
   registers. The first layer's activation and its packing were two passes (1.3% and 1% of a bf16
   10x10 training step). */
GFN_PACK_TARGET static void pack_a_rectified_vector(long m, long k, const float *restrict z, float *restrict a, long ld, float slope,
                                                    uint32_t *restrict out) {
    const long kp = pairs_of(k), mp = round_up(m, MR);
    const __m512 vslope = _mm512_set1_ps(slope);
    for (long i = 0; i < m; i++) {
        const float *zr = z + i * ld;
        float *ar = a + i * ld;
        for (long p = 0; p < kp; p += 16) {
            const __mmask16 m0 = lanes(k - 2 * p), m1 = lanes(k - 2 * p - 16);
            __m512 lo = _mm512_maskz_loadu_ps(m0, zr + 2 * p), hi = _mm512_maskz_loadu_ps(m1, zr + 2 * p + 16);
            lo = gfn_rectified16(lo, vslope);
            hi = gfn_rectified16(hi, vslope);
            _mm512_mask_storeu_ps(ar + 2 * p, m0, lo);
            _mm512_mask_storeu_ps(ar + 2 * p + 16, m1, hi);
            _mm512_mask_storeu_epi32(out + i * kp + p, lanes(kp - p), (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
        }
    }
    memset(out + m * kp, 0, sizeof(uint32_t) * (mp - m) * kp);
}

void gfn_bf16_pack_a(int trans, long m, long k, const float *a, long lda, unsigned int *out) {
    if (gfn_bf16_supported()) pack_a_vector(trans, m, k, a, lda, out); else gfn_bf16_pack_a_portable(trans, m, k, a, lda, out);
}
void gfn_bf16_pack_a_rectified(long m, long k, const float *z, float *a, long ld, float slope, unsigned int *out) {
    if (gfn_bf16_supported()) { pack_a_rectified_vector(m, k, z, a, ld, slope, out); return; }
    for (long i = 0; i < m; i++) gfn_rectify_f(z + i * ld, a + i * ld, k, slope);
    gfn_bf16_pack_a_portable(0, m, k, a, ld, out);
}
void gfn_bf16_pack_b(int trans, long k, long n, const float *b, long ldb, unsigned int *out) {
    if (gfn_bf16_supported()) pack_b_vector(trans, k, n, b, ldb, out); else gfn_bf16_pack_b_portable(trans, k, n, b, ldb, out);
}

/* `wide` is 1 for a full 32-column tile, 0 for a last panel of at most 16 columns, whose right
   half would be all padding (the output layer's 101 columns: 12% of its product saved). Each
   output's sum over k is the same sequence either way, so the bits do not depend on it. */
GFN_BF16_TARGET __attribute__((always_inline)) static inline void tile(const uint32_t *restrict a, long kp, const uint32_t *restrict b, float *restrict c, long ldc,
                                        long rows, long cols, float alpha, float beta, const float *bias, int rectify, float slope,
                                        const int wide) {
    __m512 acc[2 * MR];
    for (int i = 0; i < 2 * MR; i++) acc[i] = _mm512_setzero_ps();
    for (int r = 0; r < MR && r < rows; r++) {   /* C's tile, stored (and read, β ≠ 0) after the k loop, on its way meanwhile */
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        if (wide) _mm_prefetch((const char *)(c + r * ldc + 16), _MM_HINT_T0);
    }
    for (long p = 0; p < kp; p++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + p * NR);
        const __m512bh b1 = wide ? (__m512bh)_mm512_loadu_si512(b + p * NR + 16) : b0;
        for (int r = 0; r < MR; r++) {
            const __m512bh x = (__m512bh)_mm512_set1_epi32((int)a[r * kp + p]);
            acc[2 * r] = _mm512_dpbf16_ps(acc[2 * r], x, b0);
            if (wide) acc[2 * r + 1] = _mm512_dpbf16_ps(acc[2 * r + 1], x, b1);
        }
    }
    const __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta), vs = _mm512_set1_ps(slope), zero = _mm512_setzero_ps();
    const __m512 b0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : zero, b1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : zero;
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        float *cr = c + r * ldc;
        __m512 o0 = _mm512_mul_ps(va, acc[2 * r]), o1 = _mm512_mul_ps(va, acc[2 * r + 1]);
        if (beta != 0) {
            o0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), o0);
            o1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), o1);
        } else if (bias) {      /* the bits of 1 * bias + o, the β = 1 product over a copy of the bias */
            o0 = _mm512_add_ps(o0, b0);
            o1 = _mm512_add_ps(o1, b1);
        }
        if (rectify) {          /* gfn_rectify_f's o > 0 ? o : slope * o */
            o0 = gfn_rectified16(o0, vs);
            o1 = gfn_rectified16(o1, vs);
        }
        _mm512_mask_storeu_ps(cr, m0, o0);
        _mm512_mask_storeu_ps(cr + 16, m1, o1);
    }
}

/* Columns of column panels first_panel ..< last_panel of C (m x n, row-major, ldc) =
   alpha * A'B' + beta * C (or + bias, broadcast over the rows) from packed operands. */
GFN_BF16_TARGET void gfn_bf16_gemm_packed(long m, long n, long k, float alpha, const uint32_t *restrict pa, const uint32_t *restrict pb,
                                          float beta, float *restrict c, long ldc, const gfn_product_epilogue *epilogue,
                                          long first_panel, long last_panel) {
    const long kp = pairs_of(k);
    const float *bias = epilogue ? epilogue->bias : NULL;
    const float slope = epilogue ? epilogue->slope : 0;
    const int rectify = epilogue && epilogue->rectify;
    for (long q = first_panel; q < last_panel; q++) {
        const long j = q * NR;
        const uint32_t *panel = pb + q * kp * NR;
        const long cols = n - j < NR ? n - j : NR;
        for (long i = 0; i < m; i += MR) {
            const long rows = m - i < MR ? m - i : MR;
            const float *tb = bias ? bias + j : NULL;
            if (cols > 16) tile(pa + i * kp, kp, panel, c + i * ldc + j, ldc, rows, cols, alpha, beta, tb, rectify, slope, 1);
            else tile(pa + i * kp, kp, panel, c + i * ldc + j, ldc, rows, cols, alpha, beta, tb, rectify, slope, 0);
        }
    }
}
#else
/* Not x86-64: no bf16 instructions; gfn_bf16_supported() is 0 and callers refuse the setting
   before any product. */
int gfn_bf16_supported(void) { return 0; }
void gfn_bf16_pack_a(int trans, long m, long k, const float *a, long lda, unsigned int *out) { gfn_bf16_pack_a_portable(trans, m, k, a, lda, out); }
void gfn_bf16_pack_a_rectified(long m, long k, const float *z, float *a, long ld, float slope, unsigned int *out) {
    for (long i = 0; i < m; i++) gfn_rectify_f(z + i * ld, a + i * ld, k, slope);
    gfn_bf16_pack_a_portable(0, m, k, a, ld, out);
}
void gfn_bf16_pack_b(int trans, long k, long n, const float *b, long ldb, unsigned int *out) { gfn_bf16_pack_b_portable(trans, k, n, b, ldb, out); }
void gfn_bf16_gemm_packed(long m, long n, long k, float alpha, const uint32_t *pa, const uint32_t *pb, float beta, float *c, long ldc,
                          const gfn_product_epilogue *epilogue, long first_panel, long last_panel) {
    (void)m; (void)n; (void)k; (void)alpha; (void)pa; (void)pb; (void)beta; (void)c; (void)ldc; (void)epilogue; (void)first_panel; (void)last_panel;
}
#endif
