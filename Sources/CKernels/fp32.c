/* fp32 products with a weight matrix packed once per training step (--precision fp32). OpenBLAS
   packs both operands again at every call: the rollout's ~100 products per step of a 64-row
   batch against the same 256 x 256 weights spent 6-8% of the step copying them (13% of
   sampling). Here op(B), the weights, is packed into column panels once; op(A), the
   activations, is read where it lies (row-major, not transposed). Each output is one sequence:
   acc = 0, acc = fma(a[i][p], b[p][j], acc) for p = 0, 1, ..., k - 1, then C = C + acc (beta 1)
   or 0 + acc (beta 0) - the order OpenBLAS's own kernels use at most of the network's shapes;
   callers use this product only where it gives OpenBLAS's bits (checked per shape, FP32Products). */
#include "CKernels.h"
#include <math.h>
#include <string.h>

enum { MR = 8, NR = 32 };

static inline long round_up(long x, long m) { return (x + m - 1) / m * m; }

long gfn_f32_packed_b_floats(long k, long n) { return k * round_up(n, NR); }
long gfn_f32_panels(long n) { return (n + NR - 1) / NR; }

/* op(B) (k x n) in column panels of NR: panel q holds k rows of NR floats, zero-padded. trans:
   op(B)[p][j] = b[j * ldb + p] (a forward product's W^T); otherwise b[p * ldb + j]. */
void gfn_f32_pack_b(int trans, long k, long n, const float *restrict b, long ldb, float *restrict out) {
    const long np = round_up(n, NR);
    if (n % NR) memset(out, 0, sizeof(float) * k * np);
    if (trans) {
        for (long j = 0; j < n; j++) {
            const float *restrict row = b + j * ldb;
            float *restrict o = out + (j / NR) * k * NR + (j % NR);
            for (long p = 0; p < k; p++) o[p * NR] = row[p];
        }
    } else {
        for (long p = 0; p < k; p++)
            for (long j0 = 0; j0 < n; j0 += NR) {
                const long w = n - j0 < NR ? n - j0 : NR;
                memcpy(out + (j0 / NR) * k * NR + p * NR, b + p * ldb + j0, sizeof(float) * w);
            }
    }
}

/* The defining loop, in portable C (the tests hold the vector kernel to it). */
void gfn_f32_gemm_reference(long m, long n, long k, const float *a, long lda, const float *pb, int beta_one, float *c, long ldc,
                            const gfn_product_epilogue *epilogue, long first_panel, long last_panel) {
    const long last = last_panel * NR < n ? last_panel * NR : n;
    const float *bias = epilogue ? epilogue->bias : NULL;
    for (long i = 0; i < m; i++)
        for (long j = first_panel * NR; j < last; j++) {
            const float *panel = pb + (j / NR) * k * NR + (j % NR);
            float acc = 0;
            for (long p = 0; p < k; p++) acc = fmaf(a[i * lda + p], panel[p * NR], acc);
            float o = (bias ? bias[j] : beta_one ? c[i * ldc + j] : 0.0f) + acc;
            if (epilogue && epilogue->rectify && !(o > 0)) o = epilogue->slope * o;
            c[i * ldc + j] = o;
        }
}

#if defined(__x86_64__)
#include <immintrin.h>
#include "rectify16.h"
#define GFN_F32_TARGET __attribute__((target("avx512f")))

int gfn_f32_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

/* An MR x NR tile (rows <= MR valid, cols <= NR valid) in 16 registers; `wide` 0: a last panel of
   at most 16 columns, whose right half would be padding. The sum over k is the same either way. */
GFN_F32_TARGET __attribute__((always_inline)) static inline void tile(const float *restrict a, long lda, long k, const float *restrict b,
                                                                    float *restrict c, long ldc, long rows, long cols, int beta_one,
                                                                    const float *bias, int rectify, float slope, const int wide) {
    __m512 acc[2 * MR];
    for (int i = 0; i < 2 * MR; i++) acc[i] = _mm512_setzero_ps();
    const float *row[MR];
    for (int r = 0; r < MR; r++) row[r] = a + (r < rows ? r : 0) * lda;   /* rows past the end repeat row 0, never stored */
    for (long p = 0; p < k; p++) {
        const __m512 b0 = _mm512_loadu_ps(b + p * NR);
        const __m512 b1 = wide ? _mm512_loadu_ps(b + p * NR + 16) : b0;
        for (int r = 0; r < MR; r++) {
            const __m512 x = _mm512_set1_ps(row[r][p]);
            acc[2 * r] = _mm512_fmadd_ps(x, b0, acc[2 * r]);
            if (wide) acc[2 * r + 1] = _mm512_fmadd_ps(x, b1, acc[2 * r + 1]);
        }
    }
    const __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    const __m512 zero = _mm512_setzero_ps(), vs = _mm512_set1_ps(slope);
    const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : zero, bias1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : zero;
    for (int r = 0; r < MR && r < rows; r++) {
        float *cr = c + r * ldc;
        const __m512 c0 = bias ? bias0 : beta_one ? _mm512_maskz_loadu_ps(m0, cr) : zero;
        const __m512 c1 = bias ? bias1 : beta_one ? _mm512_maskz_loadu_ps(m1, cr + 16) : zero;
        __m512 o0 = _mm512_add_ps(c0, acc[2 * r]), o1 = _mm512_add_ps(c1, acc[2 * r + 1]);
        if (rectify) {          /* gfn_rectify_f's o > 0 ? o : slope * o */
            o0 = gfn_rectified16(o0, vs);
            o1 = gfn_rectified16(o1, vs);
        }
        _mm512_mask_storeu_ps(cr, m0, o0);
        if (wide) _mm512_mask_storeu_ps(cr + 16, m1, o1);
    }
}

GFN_F32_TARGET void gfn_f32_gemm_packed(long m, long n, long k, const float *restrict a, long lda, const float *restrict pb, int beta_one,
                                        float *restrict c, long ldc, const gfn_product_epilogue *epilogue, long first_panel, long last_panel) {
    const float *bias = epilogue ? epilogue->bias : NULL;
    const int rectify = epilogue && epilogue->rectify;
    const float slope = epilogue ? epilogue->slope : 0;
    for (long q = first_panel; q < last_panel; q++) {
        const long j = q * NR, cols = n - j < NR ? n - j : NR;
        const float *panel = pb + q * k * NR, *tb = bias ? bias + j : NULL;
        for (long i = 0; i < m; i += MR) {
            const long rows = m - i < MR ? m - i : MR;
            if (cols > 16) tile(a + i * lda, lda, k, panel, c + i * ldc + j, ldc, rows, cols, beta_one, tb, rectify, slope, 1);
            else tile(a + i * lda, lda, k, panel, c + i * ldc + j, ldc, rows, cols, beta_one, tb, rectify, slope, 0);
        }
    }
}
#else
int gfn_f32_supported(void) { return 0; }
void gfn_f32_gemm_packed(long m, long n, long k, const float *a, long lda, const float *pb, int beta_one, float *c, long ldc,
                         const gfn_product_epilogue *epilogue, long first_panel, long last_panel) {
    gfn_f32_gemm_reference(m, n, k, a, lda, pb, beta_one, c, ldc, epilogue, first_panel, last_panel);
}
#endif
