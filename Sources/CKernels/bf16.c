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

/* fp32 -> bf16, round to nearest even; NaN stays a (quiet) NaN. */
static inline uint32_t bf16_bits(float f) {
    uint32_t u; memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}
float gfn_bf16_round(float f) { uint32_t u = bf16_bits(f) << 16; float r; memcpy(&r, &u, 4); return r; }

static inline long pairs_of(long k) { return (k + 1) / 2; }
static inline long round_up(long x, long m) { return (x + m - 1) / m * m; }

long gfn_bf16_packed_a_words(long m, long k) { return round_up(m, MR) * pairs_of(k); }
long gfn_bf16_packed_b_words(long k, long n) { return pairs_of(k) * round_up(n, NR); }

/* op(A) (m x k) as bf16 pairs along k, rows padded to a multiple of MR with zeros. */
void gfn_bf16_pack_a(int trans, long m, long k, const float *restrict a, long lda, unsigned int *restrict out) {
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
void gfn_bf16_pack_b(int trans, long k, long n, const float *restrict b, long ldb, unsigned int *restrict out) {
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
#define GFN_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

int gfn_bf16_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512bf16");
}

GFN_BF16_TARGET static inline void tile(const uint32_t *restrict a, long kp, const uint32_t *restrict b, float *restrict c, long ldc,
                                        long rows, long cols, float alpha, float beta) {
    __m512 acc[2 * MR];
    for (int i = 0; i < 2 * MR; i++) acc[i] = _mm512_setzero_ps();
    for (long p = 0; p < kp; p++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + p * NR), b1 = (__m512bh)_mm512_loadu_si512(b + p * NR + 16);
        for (int r = 0; r < MR; r++) {
            const __m512bh x = (__m512bh)_mm512_set1_epi32((int)a[r * kp + p]);
            acc[2 * r] = _mm512_dpbf16_ps(acc[2 * r], x, b0);
            acc[2 * r + 1] = _mm512_dpbf16_ps(acc[2 * r + 1], x, b1);
        }
    }
    const __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        float *cr = c + r * ldc;
        __m512 o0 = _mm512_mul_ps(va, acc[2 * r]), o1 = _mm512_mul_ps(va, acc[2 * r + 1]);
        if (beta != 0) {
            o0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), o0);
            o1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), o1);
        }
        _mm512_mask_storeu_ps(cr, m0, o0);
        _mm512_mask_storeu_ps(cr + 16, m1, o1);
    }
}

/* Columns of column panels first_panel ..< last_panel of C (m x n, row-major, ldc) =
   alpha * A'B' + beta * C from packed operands. */
GFN_BF16_TARGET void gfn_bf16_gemm_packed(long m, long n, long k, float alpha, const uint32_t *restrict pa, const uint32_t *restrict pb,
                                          float beta, float *restrict c, long ldc, long first_panel, long last_panel) {
    const long kp = pairs_of(k);
    for (long q = first_panel; q < last_panel; q++) {
        const long j = q * NR;
        const uint32_t *panel = pb + q * kp * NR;
        for (long i = 0; i < m; i += MR)
            tile(pa + i * kp, kp, panel, c + i * ldc + j, ldc, m - i < MR ? m - i : MR, n - j < NR ? n - j : NR, alpha, beta);
    }
}
#else
/* Not x86-64: no bf16 instructions; gfn_bf16_supported() is 0 and callers refuse the setting
   before any product. */
int gfn_bf16_supported(void) { return 0; }
void gfn_bf16_gemm_packed(long m, long n, long k, float alpha, const uint32_t *pa, const uint32_t *pb, float beta, float *c, long ldc,
                          long first_panel, long last_panel) {
    (void)m; (void)n; (void)k; (void)alpha; (void)pa; (void)pb; (void)beta; (void)c; (void)ldc; (void)first_panel; (void)last_panel;
}
#endif
