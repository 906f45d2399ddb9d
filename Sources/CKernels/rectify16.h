/* The ReLU family sixteen floats at a time: v > 0 ? v : slope * v, lane by lane, the bits of
   gfn_rectify_f (kernels.c). Shared by the fp32 and bf16 products' epilogues and the bf16
   packing that activates the first layer. Include after <immintrin.h>, on x86-64 only. */
#ifndef GFN_RECTIFY16_H
#define GFN_RECTIFY16_H
__attribute__((target("avx512f"), always_inline)) static inline __m512 gfn_rectified16(__m512 v, __m512 slope) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ), _mm512_mul_ps(slope, v), v);
}
#endif
