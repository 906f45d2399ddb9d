#include "CKernels.h"

#define KERNELS(T, S)                                                                              \
    void gfn_rectify_##S(const T *restrict z, T *restrict out, long count, T slope) {             \
        for (long i = 0; i < count; i++) out[i] = z[i] > 0 ? z[i] : slope * z[i];                  \
    }                                                                                              \
    void gfn_mask_positive_sum_rows_##S(T *restrict g, const T *restrict z, long rows, long width, \
                                        T slope, T *restrict column_sums) {                        \
        for (long r = 0; r < rows; r++) {                                                          \
            T *restrict gr = g + r * width;                                                        \
            const T *restrict zr = z + r * width;                                                  \
            for (long j = 0; j < width; j++) {                                                     \
                T v = zr[j] > 0 ? gr[j] : slope * gr[j];                                           \
                gr[j] = v;                                                                         \
                column_sums[j] += v;                                                               \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    void gfn_tanh_derivative_sum_rows_##S(T *restrict g, const T *restrict a, long rows, long width, \
                                          T *restrict column_sums) {                               \
        for (long r = 0; r < rows; r++) {                                                          \
            T *restrict gr = g + r * width;                                                        \
            const T *restrict ar = a + r * width;                                                  \
            for (long j = 0; j < width; j++) {                                                     \
                T v = gr[j] * (1 - ar[j] * ar[j]);                                                 \
                gr[j] = v;                                                                         \
                column_sums[j] += v;                                                               \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    void gfn_add_##S(const T *restrict x, T *restrict y, long count) {                             \
        for (long i = 0; i < count; i++) y[i] += x[i];                                             \
    }                                                                                              \
    void gfn_sum_##S(const T *restrict x, const T *restrict y, T *restrict out, long count) {      \
        for (long i = 0; i < count; i++) out[i] = x[i] + y[i];                                     \
    }

KERNELS(float, f)
KERNELS(double, d)
