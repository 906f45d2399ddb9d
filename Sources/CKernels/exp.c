/* The shifted exponentials of a masked softmax row (the GFlowNet's policy, in training and
   sampling): weights[j] = exp(scale*x[j] - m) for the valid j, 0 elsewhere, m the largest valid
   scale*x[j], and their total. The exps are computed eight at a time with AVX-512, bit for bit
   libm's exp: glibc (2.28 and later) computes exp with ARM's optimized-routines algorithm, and on
   x86-64 CPUs with FMA it runs the FMA build of it; the vector code is that build's main path
   operation for operation (the same fused multiply-adds in the same order, the same table, made
   by scripts/exp-table.py), and every lane off the main path (|x| < 2^-54, |x| >= 512, NaN) is
   handed to libm's exp itself. At first use the vector path is checked against libm's exp on
   65536 arguments and not used if a single one differs, so a libm with another algorithm costs
   speed, never bits. Measured: libm's exp was 8% of a 10x10 torchgfn-like bf16 training step. */
#include "CKernels.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma clang fp contract(off)   /* every fused multiply-add below is written out, as in libm */

#if defined(__x86_64__)
#include <immintrin.h>
#define GFN_EXP_TARGET __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma")))

static const uint64_t exp_table[256] = {
    0x0000000000000000ull, 0x3ff0000000000000ull, 0x3c9b3b4f1a88bf6eull, 0x3feff63da9fb3335ull,
    0xbc7160139cd8dc5dull, 0x3fefec9a3e778061ull, 0xbc905e7a108766d1ull, 0x3fefe315e86e7f85ull,
    0x3c8cd2523567f613ull, 0x3fefd9b0d3158574ull, 0xbc8bce8023f98efaull, 0x3fefd06b29ddf6deull,
    0x3c60f74e61e6c861ull, 0x3fefc74518759bc8ull, 0x3c90a3e45b33d399ull, 0x3fefbe3ecac6f383ull,
    0x3c979aa65d837b6dull, 0x3fefb5586cf9890full, 0x3c8eb51a92fdeffcull, 0x3fefac922b7247f7ull,
    0x3c3ebe3d702f9cd1ull, 0x3fefa3ec32d3d1a2ull, 0xbc6a033489906e0bull, 0x3fef9b66affed31bull,
    0xbc9556522a2fbd0eull, 0x3fef9301d0125b51ull, 0xbc5080ef8c4eea55ull, 0x3fef8abdc06c31ccull,
    0xbc91c923b9d5f416ull, 0x3fef829aaea92de0ull, 0x3c80d3e3e95c55afull, 0x3fef7a98c8a58e51ull,
    0xbc801b15eaa59348ull, 0x3fef72b83c7d517bull, 0xbc8f1ff055de323dull, 0x3fef6af9388c8deaull,
    0x3c8b898c3f1353bfull, 0x3fef635beb6fcb75ull, 0xbc96d99c7611eb26ull, 0x3fef5be084045cd4ull,
    0x3c9aecf73e3a2f60ull, 0x3fef54873168b9aaull, 0xbc8fe782cb86389dull, 0x3fef4d5022fcd91dull,
    0x3c8a6f4144a6c38dull, 0x3fef463b88628cd6ull, 0x3c807a05b0e4047dull, 0x3fef3f49917ddc96ull,
    0x3c968efde3a8a894ull, 0x3fef387a6e756238ull, 0x3c875e18f274487dull, 0x3fef31ce4fb2a63full,
    0x3c80472b981fe7f2ull, 0x3fef2b4565e27cddull, 0xbc96b87b3f71085eull, 0x3fef24dfe1f56381ull,
    0x3c82f7e16d09ab31ull, 0x3fef1e9df51fdee1ull, 0xbc3d219b1a6fbffaull, 0x3fef187fd0dad990ull,
    0x3c8b3782720c0ab4ull, 0x3fef1285a6e4030bull, 0x3c6e149289cecb8full, 0x3fef0cafa93e2f56ull,
    0x3c834d754db0abb6ull, 0x3fef06fe0a31b715ull, 0x3c864201e2ac744cull, 0x3fef0170fc4cd831ull,
    0x3c8fdd395dd3f84aull, 0x3feefc08b26416ffull, 0xbc86a3803b8e5b04ull, 0x3feef6c55f929ff1ull,
    0xbc924aedcc4b5068ull, 0x3feef1a7373aa9cbull, 0xbc9907f81b512d8eull, 0x3feeecae6d05d866ull,
    0xbc71d1e83e9436d2ull, 0x3feee7db34e59ff7ull, 0xbc991919b3ce1b15ull, 0x3feee32dc313a8e5ull,
    0x3c859f48a72a4c6dull, 0x3feedea64c123422ull, 0xbc9312607a28698aull, 0x3feeda4504ac801cull,
    0xbc58a78f4817895bull, 0x3feed60a21f72e2aull, 0xbc7c2c9b67499a1bull, 0x3feed1f5d950a897ull,
    0x3c4363ed60c2ac11ull, 0x3feece086061892dull, 0x3c9666093b0664efull, 0x3feeca41ed1d0057ull,
    0x3c6ecce1daa10379ull, 0x3feec6a2b5c13cd0ull, 0x3c93ff8e3f0f1230ull, 0x3feec32af0d7d3deull,
    0x3c7690cebb7aafb0ull, 0x3feebfdad5362a27ull, 0x3c931dbdeb54e077ull, 0x3feebcb299fddd0dull,
    0xbc8f94340071a38eull, 0x3feeb9b2769d2ca7ull, 0xbc87deccdc93a349ull, 0x3feeb6daa2cf6642ull,
    0xbc78dec6bd0f385full, 0x3feeb42b569d4f82ull, 0xbc861246ec7b5cf6ull, 0x3feeb1a4ca5d920full,
    0x3c93350518fdd78eull, 0x3feeaf4736b527daull, 0x3c7b98b72f8a9b05ull, 0x3feead12d497c7fdull,
    0x3c9063e1e21c5409ull, 0x3feeab07dd485429ull, 0x3c34c7855019c6eaull, 0x3feea9268a5946b7ull,
    0x3c9432e62b64c035ull, 0x3feea76f15ad2148ull, 0xbc8ce44a6199769full, 0x3feea5e1b976dc09ull,
    0xbc8c33c53bef4da8ull, 0x3feea47eb03a5585ull, 0xbc845378892be9aeull, 0x3feea34634ccc320ull,
    0xbc93cedd78565858ull, 0x3feea23882552225ull, 0x3c5710aa807e1964ull, 0x3feea155d44ca973ull,
    0xbc93b3efbf5e2228ull, 0x3feea09e667f3bcdull, 0xbc6a12ad8734b982ull, 0x3feea012750bdabfull,
    0xbc6367efb86da9eeull, 0x3fee9fb23c651a2full, 0xbc80dc3d54e08851ull, 0x3fee9f7df9519484ull,
    0xbc781f647e5a3ecfull, 0x3fee9f75e8ec5f74ull, 0xbc86ee4ac08b7db0ull, 0x3fee9f9a48a58174ull,
    0xbc8619321e55e68aull, 0x3fee9feb564267c9ull, 0x3c909ccb5e09d4d3ull, 0x3feea0694fde5d3full,
    0xbc7b32dcb94da51dull, 0x3feea11473eb0187ull, 0x3c94ecfd5467c06bull, 0x3feea1ed0130c132ull,
    0x3c65ebe1abd66c55ull, 0x3feea2f336cf4e62ull, 0xbc88a1c52fb3cf42ull, 0x3feea427543e1a12ull,
    0xbc9369b6f13b3734ull, 0x3feea589994cce13ull, 0xbc805e843a19ff1eull, 0x3feea71a4623c7adull,
    0xbc94d450d872576eull, 0x3feea8d99b4492edull, 0x3c90ad675b0e8a00ull, 0x3feeaac7d98a6699ull,
    0x3c8db72fc1f0eab4ull, 0x3feeace5422aa0dbull, 0xbc65b6609cc5e7ffull, 0x3feeaf3216b5448cull,
    0x3c7bf68359f35f44ull, 0x3feeb1ae99157736ull, 0xbc93091fa71e3d83ull, 0x3feeb45b0b91ffc6ull,
    0xbc5da9b88b6c1e29ull, 0x3feeb737b0cdc5e5ull, 0xbc6c23f97c90b959ull, 0x3feeba44cbc8520full,
    0xbc92434322f4f9aaull, 0x3feebd829fde4e50ull, 0xbc85ca6cd7668e4bull, 0x3feec0f170ca07baull,
    0x3c71affc2b91ce27ull, 0x3feec49182a3f090ull, 0x3c6dd235e10a73bbull, 0x3feec86319e32323ull,
    0xbc87c50422622263ull, 0x3feecc667b5de565ull, 0x3c8b1c86e3e231d5ull, 0x3feed09bec4a2d33ull,
    0xbc91bbd1d3bcbb15ull, 0x3feed503b23e255dull, 0x3c90cc319cee31d2ull, 0x3feed99e1330b358ull,
    0x3c8469846e735ab3ull, 0x3feede6b5579fdbfull, 0xbc82dfcd978e9db4ull, 0x3feee36bbfd3f37aull,
    0x3c8c1a7792cb3387ull, 0x3feee89f995ad3adull, 0xbc907b8f4ad1d9faull, 0x3feeee07298db666ull,
    0xbc55c3d956dcaebaull, 0x3feef3a2b84f15fbull, 0xbc90a40e3da6f640ull, 0x3feef9728de5593aull,
    0xbc68d6f438ad9334ull, 0x3feeff76f2fb5e47ull, 0xbc91eee26b588a35ull, 0x3fef05b030a1064aull,
    0x3c74ffd70a5fddcdull, 0x3fef0c1e904bc1d2ull, 0xbc91bdfbfa9298acull, 0x3fef12c25bd71e09ull,
    0x3c736eae30af0cb3ull, 0x3fef199bdd85529cull, 0x3c8ee3325c9ffd94ull, 0x3fef20ab5fffd07aull,
    0x3c84e08fd10959acull, 0x3fef27f12e57d14bull, 0x3c63cdaf384e1a67ull, 0x3fef2f6d9406e7b5ull,
    0x3c676b2c6c921968ull, 0x3fef3720dcef9069ull, 0xbc808a1883ccb5d2ull, 0x3fef3f0b555dc3faull,
    0xbc8fad5d3ffffa6full, 0x3fef472d4a07897cull, 0xbc900dae3875a949ull, 0x3fef4f87080d89f2ull,
    0x3c74a385a63d07a7ull, 0x3fef5818dcfba487ull, 0xbc82919e2040220full, 0x3fef60e316c98398ull,
    0x3c8e5a50d5c192acull, 0x3fef69e603db3285ull, 0x3c843a59ac016b4bull, 0x3fef7321f301b460ull,
    0xbc82d52107b43e1full, 0x3fef7c97337b9b5full, 0xbc892ab93b470dc9ull, 0x3fef864614f5a129ull,
    0x3c74b604603a88d3ull, 0x3fef902ee78b3ff6ull, 0x3c83c5ec519d7271ull, 0x3fef9a51fbc74c83ull,
    0xbc8ff7128fd391f0ull, 0x3fefa4afa2a490daull, 0xbc8dae98e223747dull, 0x3fefaf482d8e67f1ull,
    0x3c8ec3bc41aa2008ull, 0x3fefba1bee615a27ull, 0x3c842b94c3a9eb32ull, 0x3fefc52b376bba97ull,
    0x3c8a64a931d185eeull, 0x3fefd0765b6e4540ull, 0xbc8e37bae43be3edull, 0x3fefdbfdad9cbe14ull,
    0x3c77893b4d91cd9dull, 0x3fefe7c1819e90d8ull, 0x3c5305c14160cc89ull, 0x3feff3c22b8f71f1ull,
};

static const double inv_ln2_n = 0x1.71547652b82fep+7, neg_ln2_hi_n = -0x1.62e42fefa0000p-8, neg_ln2_lo_n = -0x1.cf79abc9e3b3ap-47,
                    shift = 0x1.8p52, c2 = 0x1.ffffffffffdbdp-2, c3 = 0x1.555555555543cp-3, c4 = 0x1.55555cf172b91p-5,
                    c5 = 0x1.1111167a4d017p-7;

/* exp of eight lanes on libm's main path; *off_path: the lanes libm treats apart. */
GFN_EXP_TARGET static inline __m512d exp8(__m512d x, __mmask8 *off_path) {
    const __m512i abstop = _mm512_and_si512(_mm512_srli_epi64(_mm512_castpd_si512(x), 52), _mm512_set1_epi64(0x7ff));
    *off_path = _mm512_cmpge_epu64_mask(_mm512_sub_epi64(abstop, _mm512_set1_epi64(0x3c9)), _mm512_set1_epi64(0x3f));
    const __m512d kd0 = _mm512_fmadd_pd(x, _mm512_set1_pd(inv_ln2_n), _mm512_set1_pd(shift));
    const __m512i ki = _mm512_castpd_si512(kd0);
    const __m512d kd = _mm512_sub_pd(kd0, _mm512_set1_pd(shift));
    __m512d r = _mm512_fmadd_pd(kd, _mm512_set1_pd(neg_ln2_hi_n), x);
    r = _mm512_fmadd_pd(kd, _mm512_set1_pd(neg_ln2_lo_n), r);
    /* Each lane's two table words (tail, scale bits) are adjacent: eight 16-byte loads and two
       permutes fetch them (two 8-lane gathers took about half of the row kernel's time on Zen 4). */
    const __m512i idx = _mm512_slli_epi64(_mm512_and_si512(ki, _mm512_set1_epi64(127)), 1);
    uint64_t at[8];
    _mm512_storeu_si512(at, idx);
    const double *words = (const double *)exp_table;
    __m512d lo = _mm512_castpd128_pd512(_mm_loadu_pd(words + at[0])), hi = _mm512_castpd128_pd512(_mm_loadu_pd(words + at[4]));
    lo = _mm512_insertf64x2(lo, _mm_loadu_pd(words + at[1]), 1);
    hi = _mm512_insertf64x2(hi, _mm_loadu_pd(words + at[5]), 1);
    lo = _mm512_insertf64x2(lo, _mm_loadu_pd(words + at[2]), 2);
    hi = _mm512_insertf64x2(hi, _mm_loadu_pd(words + at[6]), 2);
    lo = _mm512_insertf64x2(lo, _mm_loadu_pd(words + at[3]), 3);
    hi = _mm512_insertf64x2(hi, _mm_loadu_pd(words + at[7]), 3);
    const __m512d tail = _mm512_permutex2var_pd(lo, _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0), hi);
    const __m512i sbits = _mm512_add_epi64(_mm512_castpd_si512(_mm512_permutex2var_pd(lo, _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1), hi)),
                                           _mm512_slli_epi64(ki, 45));
    const __m512d p23 = _mm512_fmadd_pd(r, _mm512_set1_pd(c3), _mm512_set1_pd(c2));
    const __m512d head = _mm512_add_pd(r, tail);
    const __m512d r2 = _mm512_mul_pd(r, r);
    const __m512d p45 = _mm512_fmadd_pd(r, _mm512_set1_pd(c5), _mm512_set1_pd(c4));
    const __m512d low = _mm512_fmadd_pd(p23, r2, head);
    const __m512d tmp = _mm512_fmadd_pd(_mm512_mul_pd(r2, r2), p45, low);
    const __m512d scale = _mm512_castsi512_pd(sbits);
    return _mm512_fmadd_pd(scale, tmp, scale);
}

/* args[i] <- exp(args[i] - shift) for i < count, returning their total in index order (and, with
   `prefix`, the running total after each: prefix[i]): the vector path, libm for the lanes off its
   main path except an argument of zero (the largest logit's), whose exp is exactly 1. Each block's
   adds follow its exps, so the total's chain overlaps the next block. */
GFN_EXP_TARGET static inline double exp_shifted_total(double *args, long count, double shift, double *prefix) {
    double total = 0;
    const __m512d vshift = _mm512_set1_pd(shift);
    for (long j = 0; j < count; j += 8) {
        const __mmask8 lanes = count - j >= 8 ? 0xff : (__mmask8)((1u << (count - j)) - 1);
        __mmask8 off;
        const __m512d a = _mm512_sub_pd(_mm512_maskz_loadu_pd(lanes, args + j), vshift);
        __m512d e = exp8(a, &off);
        off &= lanes;
        if (off) {
            const __mmask8 zero = _mm512_mask_cmp_pd_mask(off, a, _mm512_setzero_pd(), _CMP_EQ_OQ);
            e = _mm512_mask_mov_pd(e, zero, _mm512_set1_pd(1.0));
            off &= (__mmask8)~zero;
        }
        if (off) {
            double lane_args[8], lane_exps[8];
            _mm512_storeu_pd(lane_args, a);
            _mm512_storeu_pd(lane_exps, e);
            for (; off; off &= (__mmask8)(off - 1)) { const int l = __builtin_ctz(off); lane_exps[l] = exp(lane_args[l]); }
            e = _mm512_loadu_pd(lane_exps);
        }
        e = _mm512_maskz_mov_pd(lanes, e);      /* past the end: +0, which leaves the total unchanged */
        _mm512_mask_storeu_pd(args + j, lanes, e);
        if (prefix) {           /* the lanes past the end are +0: leaving them out leaves the total */
            double lane_exps[8];
            _mm512_storeu_pd(lane_exps, e);
            const long valid = count - j < 8 ? count - j : 8;
            for (long l = 0; l < valid; l++) { total += lane_exps[l]; prefix[j + l] = total; }
        } else {
            const __m128d q0 = _mm512_castpd512_pd128(e), q1 = _mm512_extractf64x2_pd(e, 1), q2 = _mm512_extractf64x2_pd(e, 2),
                          q3 = _mm512_extractf64x2_pd(e, 3);
            total += _mm_cvtsd_f64(q0); total += _mm_cvtsd_f64(_mm_unpackhi_pd(q0, q0));
            total += _mm_cvtsd_f64(q1); total += _mm_cvtsd_f64(_mm_unpackhi_pd(q1, q1));
            total += _mm_cvtsd_f64(q2); total += _mm_cvtsd_f64(_mm_unpackhi_pd(q2, q2));
            total += _mm_cvtsd_f64(q3); total += _mm_cvtsd_f64(_mm_unpackhi_pd(q3, q3));
        }
    }
    return total;
}

/* exp(args[i]) for i < count into out (args may be out), through the row kernel's own code, so
   the first-use check below tests the code that runs (x - 0 is x, for -0, infinities and NaN too). */
GFN_EXP_TARGET static void exp_vector(const double *args, long count, double *out) {
    if (out != args) memcpy(out, args, sizeof(double) * (size_t)count);
    (void)exp_shifted_total(out, count, 0.0, NULL);
}

static int vector_exp_state;   /* 0: not yet checked, 1: reproduces libm's exp, -1: does not (or no AVX-512) */

/* The check at first use: arguments spread over the main path (both signs, every table entry, the
   edges of the range), and the lanes off it. */
static int vector_exp_matches_libm(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq") ||
        !__builtin_cpu_supports("avx512bw") || !__builtin_cpu_supports("fma") || !__builtin_cpu_supports("bmi2")) return 0;
    enum { N = 1 << 16 };   /* about 0.4 ms, once */
    double *args = malloc(2 * N * sizeof(double)), *mine = args + N;
    if (!args) return 0;
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < N; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        args[i] = ((double)(s >> 11) * 0x1p-53 - 0.75) * (i % 4 == 0 ? 1100.0 : i % 4 == 1 ? 40.0 : i % 4 == 2 ? 1.0 : 1e-3);
    }
    args[0] = 0; args[1] = -0.0; args[2] = 0x1p-54; args[3] = -0x1p-55; args[4] = 512; args[5] = -512; args[6] = 0x1.fffffffffffffp8;
    args[7] = -745.2; args[8] = -708.5; args[9] = 709.8; args[10] = -INFINITY; args[11] = NAN;
    exp_vector(args, N, mine);
    int same = 1;
    for (int i = 0; i < N && same; i++) {
        const double want = exp(args[i]);
        same = memcmp(&want, &mine[i], 8) == 0;
    }
    free(args);
    return same;
}

int gfn_vector_exp_active(void) {
    int state = __atomic_load_n(&vector_exp_state, __ATOMIC_ACQUIRE);
    if (state == 0) {   /* racing first callers compute the same answer */
        state = vector_exp_matches_libm() ? 1 : -1;
        __atomic_store_n(&vector_exp_state, state, __ATOMIC_RELEASE);
    }
    return state == 1;
}

void gfn_exp_array(const double *x, long count, double *out) {
    if (gfn_vector_exp_active()) exp_vector(x, count, out);
    else for (long i = 0; i < count; i++) out[i] = exp(x[i]);
}
#else
int gfn_vector_exp_active(void) { return 0; }
void gfn_exp_array(const double *x, long count, double *out) { for (long i = 0; i < count; i++) out[i] = exp(x[i]); }
#endif

/* m as Swift's max(m, v) keeps it (v >= m ? v : m, in index order); the arguments
   (double)x*scale - m rounded twice, as in Swift; the total in index order (the masked weights
   are +0, which leaves a sum of non-negative terms unchanged). */
#define SHIFTED_EXPONENTIALS_SCALAR(T, S)                                                                    \
    static double shifted_scalar_##S(const T *x, const unsigned char *mask, long count, double scale,       \
                                     double *weights, double *max_out) {                                     \
        double m = -INFINITY;                                                                                \
        for (long j = 0; j < count; j++)                                                                     \
            if (mask[j]) { const double v = (double)x[j] * scale; m = v >= m ? v : m; }                      \
        double total = 0;                                                                                    \
        for (long j = 0; j < count; j++) {                                                                   \
            weights[j] = mask[j] ? exp((double)x[j] * scale - m) : 0;                                        \
            total += weights[j];                                                                             \
        }                                                                                                    \
        *max_out = m;                                                                                        \
        return total;                                                                                        \
    }
SHIFTED_EXPONENTIALS_SCALAR(float, f)
SHIFTED_EXPONENTIALS_SCALAR(double, d)

/* RandomStream.categorical's draw from weights[0 ..< count] (total their sum): the first index
   whose running total passes uniform * total; when rounding leaves none, the last index with
   positive weight (0 if none). */
static long categorical_scan(const double *weights, long count, double total, double uniform) {
    const double u = uniform * total;
    double running = 0;
    for (long i = 0; i < count; i++) {
        running += weights[i];
        if (u < running) return i;
    }
    long i = count - 1;
    while (i > 0 && weights[i] <= 0) i--;
    return i;
}

#if defined(__x86_64__)
/* The valid lanes of mask[j ..< j + 8] (the first `lanes`). */
GFN_EXP_TARGET static inline __mmask8 valid_lanes(const unsigned char *mask, long j, long count) {
    const __m128i bytes = _mm_maskz_loadu_epi8(count - j >= 8 ? (__mmask16)0xff : (__mmask16)((1u << (count - j)) - 1), mask + j);
    return (__mmask8)_mm_test_epi8_mask(bytes, bytes);
}

static inline __mmask8 first_lanes(long count) { return count >= 8 ? (__mmask8)0xff : (__mmask8)((1u << count) - 1); }

/* weights[0 ..< packed] (the valid lanes' values, packed to the front) spread back to their lanes,
   from the last block to the first (a packed index never passes its lane), zeros in the masked lanes. */
GFN_EXP_TARGET static void spread_back(const unsigned char *mask, long count, long packed, double *weights) {
    for (long j = (count - 1) / 8 * 8; j >= 0; j -= 8) {
        const __mmask8 lanes = first_lanes(count - j), use = valid_lanes(mask, j, count) & lanes;
        const int n = __builtin_popcount(use);
        packed -= n;
        const __m512d e = _mm512_maskz_loadu_pd(first_lanes(n), weights + packed);
        _mm512_mask_storeu_pd(weights + j, lanes, _mm512_maskz_expand_pd(use, e));
    }
}

/* The index of the valid lane packed at position p (the (p+1)-th nonzero mask byte), 64 bytes a step. */
__attribute__((target("avx512f,avx512bw,bmi2"))) static long valid_index(const unsigned char *mask, long count, long p) {
    for (long j = 0; j < count; j += 64) {
        const __mmask64 lanes = count - j >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (count - j)) - 1);
        const __m512i bytes = _mm512_maskz_loadu_epi8(lanes, mask + j);
        const uint64_t valid = (uint64_t)_mm512_test_epi8_mask(bytes, bytes);
        const long n = __builtin_popcountll(valid);
        if (p < n) return j + __builtin_ctzll(_pdep_u64((uint64_t)1 << p, valid));
        p -= n;
    }
    return -1;
}

/* categorical_scan from the valid lanes packed: their exps e[p] and running totals prefix[p] (the
   masked lanes' zero weights move no running total and are never drawn). */
GFN_EXP_TARGET static long first_passing(const double *e, const double *prefix, const unsigned char *mask, long count, long packed,
                                         double total, double uniform) {
    const __m512d u = _mm512_set1_pd(uniform * total);
    for (long p = 0; p < packed; p += 8) {
        const __mmask8 passed = _mm512_mask_cmp_pd_mask(first_lanes(packed - p), u, _mm512_loadu_pd(prefix + p), _CMP_LT_OQ);
        if (passed) return valid_index(mask, count, p + __builtin_ctz(passed));
    }
    for (long p = packed - 1; p >= 0; p--) {
        const long i = valid_index(mask, count, p);
        if (i == 0) return 0;
        if (!(e[p] <= 0)) return i;
    }
    return 0;
}

/* The rows eight lanes at a time, the same bits as the scalar loops. In one pass the valid lanes'
   scale*x are packed to the front of the scratch (a packed index never passes the lane it comes
   from) and the largest found: one value whichever order finds it (NaN never counts, as with
   v >= m), except that among zeros the sequential rule picks a sign, so a largest value of 0 is
   found again sequentially. Their exps are then computed in place and totalled in index order, so
   only valid lanes cost an exp and an add of the total's sequential chain (half of them, on
   average, in an any-order row), and spread back when the caller wants the weights. A draw needs
   no spreading (unless the caller keeps the weights): the running totals find the packed position
   drawn, and the mask its index (the scan over the whole row was 2-4% of sampling's time; packing
   the indices beside the values cost more than finding the one drawn). */
#define SHIFTED_EXPONENTIALS_VECTOR(T, S, LOAD8)                                                             \
    GFN_EXP_TARGET static long valid_scaled_##S(const T *x, const unsigned char *mask, long count, double scale, \
                                                double *v, double *max_out) {                               \
        const __m512d vscale = _mm512_set1_pd(scale);                                                        \
        __m512d best = _mm512_set1_pd(-INFINITY);                                                            \
        long packed = 0;                                                                                     \
        for (long j = 0; j < count; j += 8) {                                                                \
            const __mmask8 use = valid_lanes(mask, j, count) & first_lanes(count - j);                       \
            const __m512d a = _mm512_mul_pd(LOAD8(use, x + j), vscale);                                      \
            best = _mm512_mask_max_pd(best, use & _mm512_cmp_pd_mask(a, a, _CMP_ORD_Q), best, a);            \
            const int n = __builtin_popcount(use);                                                           \
            _mm512_mask_storeu_pd(v + packed, first_lanes(n), _mm512_maskz_compress_pd(use, a));             \
            packed += n;                                                                                     \
        }                                                                                                    \
        if (max_out) {                                                                                       \
            double m = _mm512_reduce_max_pd(best);                                                           \
            if (m == 0) {                                                                                    \
                m = -INFINITY;                                                                               \
                for (long j = 0; j < count; j++)                                                             \
                    if (mask[j]) { const double w = (double)x[j] * scale; m = w >= m ? w : m; }              \
            }                                                                                                \
            *max_out = m;                                                                                    \
        }                                                                                                    \
        return packed;                                                                                       \
    }                                                                                                        \
    /* weights[j] = exp(scale * x[j] - shift) for the valid j (0 elsewhere), the shift being the    \
       largest valid scale * x[j] (into *max_out) when max_out is given; their total in index order. */ \
    GFN_EXP_TARGET static double weights_vector_##S(const T *x, const unsigned char *mask, long count,      \
                                                    double scale, double shift, double *weights, double *max_out) { \
        const long packed = valid_scaled_##S(x, mask, count, scale, weights, max_out);                 \
        const double total = exp_shifted_total(weights, packed, max_out ? *max_out : shift, NULL);           \
        spread_back(mask, count, packed, weights);                                                           \
        return total;                                                                                        \
    }                                                                                                        \
    GFN_EXP_TARGET static double total_vector_##S(const T *x, const unsigned char *mask, long count,        \
                                                  double scale, double *scratch, double *max_out) {         \
        const long packed = valid_scaled_##S(x, mask, count, scale, scratch, max_out);                 \
        return exp_shifted_total(scratch, packed, *max_out, NULL);                                           \
    }                                                                                                        \
    GFN_EXP_TARGET static long draw_vector_##S(const T *x, const unsigned char *mask, long count, double scale, \
                                               double uniform, double *scratch, double *max_out, double *total_out, int spread) { \
        double *e = scratch, *prefix = scratch + count;                                                      \
        const long packed = valid_scaled_##S(x, mask, count, scale, e, max_out);                             \
        *total_out = exp_shifted_total(e, packed, *max_out, prefix);                                         \
        const long drawn = first_passing(e, prefix, mask, count, packed, *total_out, uniform);               \
        if (spread) spread_back(mask, count, packed, e);                                                     \
        return drawn;                                                                                        \
    }
/* Rows shorter than one vector (the fixed order's two actions) stay scalar: measured, a 2-wide
   row took 137 ns on the vector path against 12 in the loop; from 8 entries on, with random
   masks, the vector path is faster (56 against 70 ns at 8, 463 against 1,004 at 100). Packing
   the valid lanes (and loading the mask bytes with a masked load, not a variable memcpy) then
   took a 200-wide row at half density from 680-850 to 330 ns, and 380 to 178 ns at 101. */
#define LOAD8_FLOAT(k, p) _mm512_cvtps_pd(_mm256_maskz_loadu_ps((k), (p)))
#define LOAD8_DOUBLE(k, p) _mm512_maskz_loadu_pd((k), (p))
SHIFTED_EXPONENTIALS_VECTOR(float, f, LOAD8_FLOAT)
SHIFTED_EXPONENTIALS_VECTOR(double, d, LOAD8_DOUBLE)
#define GFN_ROW_VECTOR(call) if (count >= 8 && gfn_vector_exp_active()) return call;
#else
#define GFN_ROW_VECTOR(call)
#endif

/* The public row functions: the vector path from 8 entries (when it reproduces libm), else the
   scalar loops. gfn_exponentials is the Swift loop weights[j] = exp(x[j] - shift) (the
   importance-sampled P_T's backward draws, normalised by a log-sum-exp already known; x * 1.0 is x). */
#define ROW_FUNCTIONS(T, S)                                                                                  \
    double gfn_shifted_exponentials_##S(const T *x, const unsigned char *mask, long count, double scale,    \
                                        double *weights, double *max_out) {                                 \
        GFN_ROW_VECTOR(weights_vector_##S(x, mask, count, scale, 0, weights, max_out))                          \
        return shifted_scalar_##S(x, mask, count, scale, weights, max_out);                                  \
    }                                                                                                        \
    double gfn_softmax_total_##S(const T *x, const unsigned char *mask, long count, double scale,           \
                                 double *scratch, double *max_out) {                                        \
        GFN_ROW_VECTOR(total_vector_##S(x, mask, count, scale, scratch, max_out))                            \
        return shifted_scalar_##S(x, mask, count, scale, scratch, max_out);                                  \
    }                                                                                                        \
    long gfn_softmax_draw_##S(const T *x, const unsigned char *mask, long count, double scale, double uniform, \
                              double *scratch, double *max_out, double *total_out, int spread) {            \
        GFN_ROW_VECTOR(draw_vector_##S(x, mask, count, scale, uniform, scratch, max_out, total_out, spread)) \
        *total_out = shifted_scalar_##S(x, mask, count, scale, scratch, max_out);                            \
        return categorical_scan(scratch, count, *total_out, uniform);                                        \
    }                                                                                                        \
    double gfn_exponentials_##S(const T *x, const unsigned char *mask, long count, double shift, double *weights) { \
        GFN_ROW_VECTOR(weights_vector_##S(x, mask, count, 1.0, shift, weights, NULL))                                 \
        double total = 0;                                                                                    \
        for (long j = 0; j < count; j++) {                                                                   \
            weights[j] = mask[j] ? exp((double)x[j] - shift) : 0;                                            \
            total += weights[j];                                                                             \
        }                                                                                                    \
        return total;                                                                                        \
    }
ROW_FUNCTIONS(float, f)
ROW_FUNCTIONS(double, d)
