#include "CKernels.h"
#include <math.h>

/* The element-wise passes below run in 16-lane vectors where the CPU has AVX-512 (a clone picked
   at load time) and in SSE2 elsewhere. No operation is fused (the default clone has no FMA), and
   each output is its own inputs' result, so the bits do not depend on the clone. */
#pragma STDC FP_CONTRACT OFF
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "default")))

#define KERNELS(T, S)                                                                                              \
    VECTOR_CLONES void gfn_rectify_##S(const T *restrict z, T *restrict out, long count, T slope) {                \
        for (long i = 0; i < count; i++) out[i] = z[i] > 0 ? z[i] : slope * z[i];                                  \
    }                                                                                                              \
    VECTOR_CLONES void gfn_rectify_in_place_##S(T *restrict x, long count, T slope) {                              \
        for (long i = 0; i < count; i++) x[i] = x[i] > 0 ? x[i] : slope * x[i];                                    \
    }                                                                                                              \
    VECTOR_CLONES void gfn_mask_positive_sum_rows_##S(T *restrict g, const T *restrict z, long rows, long width,   \
                                                      T slope, T *restrict column_sums) {                          \
        for (long r = 0; r < rows; r++) {                                                                          \
            T *restrict gr = g + r * width;                                                                        \
            const T *restrict zr = z + r * width;                                                                  \
            for (long j = 0; j < width; j++) {                                                                     \
                T v = zr[j] > 0 ? gr[j] : slope * gr[j];                                                           \
                gr[j] = v;                                                                                         \
                column_sums[j] += v;                                                                               \
            }                                                                                                      \
        }                                                                                                          \
    }                                                                                                              \
    VECTOR_CLONES void gfn_tanh_derivative_sum_rows_##S(T *restrict g, const T *restrict a, long rows, long width, \
                                                        T *restrict column_sums) {                                 \
        for (long r = 0; r < rows; r++) {                                                                          \
            T *restrict gr = g + r * width;                                                                        \
            const T *restrict ar = a + r * width;                                                                  \
            for (long j = 0; j < width; j++) {                                                                     \
                T v = gr[j] * (1 - ar[j] * ar[j]);                                                                 \
                gr[j] = v;                                                                                         \
                column_sums[j] += v;                                                                               \
            }                                                                                                      \
        }                                                                                                          \
    }                                                                                                              \
    VECTOR_CLONES void gfn_add_##S(const T *restrict x, T *restrict y, long count) {                               \
        for (long i = 0; i < count; i++) y[i] += x[i];                                                             \
    }                                                                                                              \
    VECTOR_CLONES void gfn_sum_##S(const T *restrict x, const T *restrict y, T *restrict out, long count) {        \
        for (long i = 0; i < count; i++) out[i] = x[i] + y[i];                                                     \
    }

KERNELS(float, f)
KERNELS(double, d)

/* Reads one byte of every 64-byte line of x[0 ..< bytes], so that a pass that follows finds the
   lines in cache. Measured on a cold 256 x 256 float block: packed straight from memory for a
   bf16 product, 26 us (10 GB/s); read this way first, then packed from cache, 14 us. A plain
   sequential read keeps the hardware prefetcher ahead where the packing's loads, interleaved with
   its stores, do not; software prefetches in the packing did not help. Nothing is written. */
void gfn_stream_in(const void *x, long bytes) {
    const unsigned char *p = x;
    unsigned long s = 0;
    for (long o = 0; o < bytes; o += 64) s += p[o];
    if (bytes > 0) s += p[bytes - 1];
    __asm__ volatile("" : : "r"(s));   /* keeps the loads */
}

/* One Adam step (NeuralNet's Adam.update): each operation rounded in T as Swift's loop rounded it
   (no fused multiply-adds, a correctly rounded square root), so the bits are the loop's; the
   loop vectorizes where Swift's stayed scalar (1.2% of a bf16 training step). Returns 1 when
   every updated parameter is finite, the trainer's divergence check, in the same pass. */
#if defined(__has_builtin) && __has_builtin(__builtin_elementwise_sqrt)
#define GFN_SQRT(x) __builtin_elementwise_sqrt(x)   /* no errno path, so the loop vectorizes */
#else
#define GFN_SQRT(x) sqrt(x)
#endif
#define ADAM(T, S, INF)                                                                                            \
    __attribute__((target_clones("avx512f", "default")))                                                           \
    int gfn_adam_##S(T *restrict p, const T *restrict g, T *restrict m, T *restrict v, long count, T b1, T b2,       \
                     T alpha, T eps) {                                                                              \
        _Pragma("clang fp contract(off)")                                                                          \
        const T c1 = 1 - b1, c2 = 1 - b2;                                                                          \
        int finite = 1;                                                                                            \
        for (long i = 0; i < count; i++) {                                                                         \
            const T gi = g[i];                                                                                     \
            const T mi = b1 * m[i] + c1 * gi, vi = b2 * v[i] + c2 * gi * gi;                                       \
            m[i] = mi; v[i] = vi;                                                                                  \
            const T pi = p[i] - alpha * mi / (GFN_SQRT(vi) + eps);                                                 \
            p[i] = pi;                                                                                             \
            finite &= (pi < INF) & (pi > -INF);                                                                    \
        }                                                                                                          \
        return finite;                                                                                             \
    }
ADAM(float, f, __builtin_inff())
ADAM(double, d, __builtin_inf())

/* The pass, inlined into one loop per (four neighbours each, energy tracked) combination, so
   neither test is made per site; without tracking there is no floating-point add chain. */
static inline long ising_heat_bath_pass(unsigned char *restrict x, const int *restrict sites, long count,
                                        const int *restrict offsets, const int *restrict neighbors, int max_degree,
                                        const double *restrict flip, const double *restrict delta,
                                        const double *restrict u, double *energy_change, const int four, const int track) {
    const int width = 2 * max_degree + 1;
    long flips = 0;
    double change = track ? *energy_change : 0.0;
    for (long k = 0; k < count; k++) {
        const int i = sites[k];
        int up = 0, degree;
        if (four) {
            const int *restrict nb = neighbors + 4 * i;
            up = x[nb[0]] + x[nb[1]] + x[nb[2]] + x[nb[3]];
            degree = 4;
        } else {
            const int lo = offsets[i], hi = offsets[i + 1];
            for (int j = lo; j < hi; j++) up += x[neighbors[j]];
            degree = hi - lo;
        }
        const int key = x[i] * width + 2 * up - degree + max_degree;
        const int f = u[k] < flip[key];
        x[i] ^= (unsigned char)f;
        flips += f;
        if (track) change += f ? delta[key] : 0.0;
    }
    if (track) *energy_change = change;
    return flips;
}

long gfn_ising_heat_bath_pass(unsigned char *restrict x, const int *restrict sites, long count, const int *restrict offsets,
                              const int *restrict neighbors, int max_degree, int four_neighbours, const double *restrict flip,
                              const double *restrict delta, const double *restrict u, double *energy_change) {
    const int four = four_neighbours != 0;
    if (four && energy_change) return ising_heat_bath_pass(x, sites, count, offsets, neighbors, max_degree, flip, delta, u, energy_change, 1, 1);
    if (four) return ising_heat_bath_pass(x, sites, count, offsets, neighbors, max_degree, flip, delta, u, 0, 1, 0);
    if (energy_change) return ising_heat_bath_pass(x, sites, count, offsets, neighbors, max_degree, flip, delta, u, energy_change, 0, 1);
    return ising_heat_bath_pass(x, sites, count, offsets, neighbors, max_degree, flip, delta, u, 0, 0, 0);
}
