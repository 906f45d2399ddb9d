#ifndef GFN_CKERNELS_H
#define GFN_CKERNELS_H

/* Elementwise kernels of the network (NeuralNet), in C so that the compiler's loop vectorizer
   turns them into branch-free SIMD: the same loops in Swift over unsafe pointers stayed scalar
   and branchy (a ReLU mask over 12,800 x 256 floats took 9 ms, a third of a training step).
   Suffix _f: float, _d: double. */

/* out[i] = z[i] > 0 ? z[i] : slope * z[i]   (slope 0: ReLU) */
void gfn_rectify_f(const float *z, float *out, long count, float slope);
void gfn_rectify_d(const double *z, double *out, long count, double slope);

/* For each of `rows` rows of `width`: g = z > 0 ? g : slope * g (the ReLU family's derivative),
   then the row is added to column_sums. */
void gfn_mask_positive_sum_rows_f(float *g, const float *z, long rows, long width, float slope, float *column_sums);
void gfn_mask_positive_sum_rows_d(double *g, const double *z, long rows, long width, double slope, double *column_sums);

/* For each row: g *= 1 - a * a (tanh' from its output a), then the row is added to column_sums. */
void gfn_tanh_derivative_sum_rows_f(float *g, const float *a, long rows, long width, float *column_sums);
void gfn_tanh_derivative_sum_rows_d(double *g, const double *a, long rows, long width, double *column_sums);

/* x[i] = x[i] > 0 ? x[i] : slope * x[i], in place (gfn_rectify's bits) */
void gfn_rectify_in_place_f(float *x, long count, float slope);
void gfn_rectify_in_place_d(double *x, long count, double slope);

/* y[i] += x[i] */
void gfn_add_f(const float *x, float *y, long count);
void gfn_add_d(const double *x, double *y, long count);

/* Reads x[0 ..< bytes] into cache ahead of a pass over it (one byte per 64-byte line). */
void gfn_stream_in(const void *x, long bytes);

/* out[i] = x[i] + y[i] */
void gfn_sum_f(const float *x, const float *y, float *out, long count);
void gfn_sum_d(const double *x, const double *y, double *out, long count);

/* One Adam step over count parameters: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g*g,
   p -= alpha*m/(sqrt(v) + eps), every operation rounded in the type (no fused multiply-adds).
   Returns 1 when every updated p is finite. */
int gfn_adam_f(float *p, const float *g, float *m, float *v, long count, float b1, float b2, float alpha, float eps);
int gfn_adam_d(double *p, const double *g, double *m, double *v, long count, double b1, double b2, double alpha, double eps);

/* One heat-bath pass of a two-valued (Ising) model over `count` sites, in the order given:
   site i, with neighbours neighbors[offsets[i] .. offsets[i+1]), has the key
   x_i*(2D+1) + (2*up - degree) + D (up: neighbours with value 1, D: max_degree) and flips when
   u[k] < flip[key], adding delta[key] to *energy_change (unless it is NULL); returns the number of flips. The same
   comparisons in the same order as the Swift kernel, so given the same uniforms the chain is
   bit-identical; without a draw-dependent branch the loop does not mispredict. four_neighbours
   (nonzero): every site's neighbours are at 4i..4i+3, so the neighbour loop unrolls. */
long gfn_ising_heat_bath_pass(unsigned char *x, const int *sites, long count, const int *offsets, const int *neighbors,
                              int max_degree, int four_neighbours, const double *flip, const double *delta, const double *u,
                              double *energy_change);

/* bf16 products (bf16.c): C = alpha * op(A) op(B) + beta * C (row-major; C is not read when
   beta == 0) from operands rounded to bf16 and packed, with fp32 accumulation.
   gfn_bf16_supported: 1 when this CPU has AVX512_BF16 (the other calls need it).
   gfn_bf16_round: x rounded to the nearest bf16 (ties to even; a subnormal to a zero of its sign, as the
   CPU's bf16 instructions treat it), as a float.
   gfn_bf16_packed_a_words / _b_words: 32-bit words the packed op(A) (m x k) / op(B) (k x n) take.
   gfn_bf16_pack_a / _b: pack op(A) / op(B); trans nonzero: the operand is stored transposed.
   gfn_bf16_panels: column panels of a packed op(B) with n columns.
   gfn_bf16_gemm_packed: the product from packed operands (m x k times k x n), for the columns
   of panels first_panel ..< last_panel (all of them: 0 ..< gfn_bf16_panels(n)); each output is
   computed the same way whichever call computes it. An epilogue (NULL: none) fuses a layer's
   bias and ReLU-family activation into the product: with beta 0, C = alpha * A'B' + bias[j] (the
   bits of a beta = 1 product over rows holding the bias), and with rectify, C receives
   C > 0 ? C : slope * C (gfn_rectify_f's bits) instead: a layer activated where its product is
   stored. */
typedef struct {
    const float *bias;      /* n values, or NULL */
    int rectify;            /* nonzero: C = C > 0 ? C : slope * C, stored once */
    float slope;
} gfn_product_epilogue;
int gfn_bf16_supported(void);
float gfn_bf16_round(float x);
void gfn_bf16_round_array(float *x, long count);   /* x[i] = gfn_bf16_round(x[i]) */
long gfn_bf16_packed_a_words(long m, long k);
long gfn_bf16_packed_b_words(long k, long n);
void gfn_bf16_pack_a(int trans, long m, long k, const float *a, long lda, unsigned int *out);
/* a = σ(z) for a ReLU-family σ (gfn_rectify_f's bits, rows of k with stride ld) and a packed as
   gfn_bf16_pack_a packs it (not transposed), in one pass. */
void gfn_bf16_pack_a_rectified(long m, long k, const float *z, float *a, long ld, float slope, unsigned int *out);
void gfn_bf16_pack_b(int trans, long k, long n, const float *b, long ldb, unsigned int *out);
/* The same packing in portable scalar C (what gfn_bf16_pack_a / _b run on CPUs without AVX-512):
   the vector packing must give the same words (tested). */
void gfn_bf16_pack_a_portable(int trans, long m, long k, const float *a, long lda, unsigned int *out);
void gfn_bf16_pack_b_portable(int trans, long k, long n, const float *b, long ldb, unsigned int *out);
long gfn_bf16_panels(long n);
void gfn_bf16_gemm_packed(long m, long n, long k, float alpha, const unsigned int *pa, const unsigned int *pb, float beta, float *c, long ldc,
                          const gfn_product_epilogue *epilogue, long first_panel, long last_panel);

/* fp32 products against a packed weight matrix (fp32.c), row-major: C = (beta_one ? C : 0) + A op(B)
   for the columns of panels first_panel ..< last_panel (all: 0 ..< gfn_f32_panels(n)), A (m x k)
   read as it lies. Each output: acc = 0, acc = fma(a_ip, b_pj, acc) for p = 0 ..< k in order, then
   C + acc. An epilogue (NULL: none; see gfn_bf16_gemm_packed) fuses a layer's bias and
   ReLU-family activation: bias[j] + acc (the bits of a beta-one product over rows holding the bias),
   then with rectify C > 0 ? C : slope * C. gfn_f32_supported: 1 when this CPU has AVX-512F (the vector kernel; elsewhere the
   reference loop runs). gfn_f32_pack_b: op(B) (k x n; trans: stored as n x k) into
   gfn_f32_packed_b_floats(k, n) floats. gfn_f32_gemm_reference: the defining loop, portable. */
int gfn_f32_supported(void);
long gfn_f32_packed_b_floats(long k, long n);
long gfn_f32_panels(long n);
void gfn_f32_pack_b(int trans, long k, long n, const float *b, long ldb, float *out);
void gfn_f32_gemm_packed(long m, long n, long k, const float *a, long lda, const float *pb, int beta_one, float *c, long ldc,
                         const gfn_product_epilogue *epilogue, long first_panel, long last_panel);
void gfn_f32_gemm_reference(long m, long n, long k, const float *a, long lda, const float *pb, int beta_one, float *c, long ldc,
                            const gfn_product_epilogue *epilogue, long first_panel, long last_panel);

/* Masked softmax exponentials (exp.c): weights[j] = exp(scale * x[j] - m) for mask[j] nonzero, 0
   elsewhere, with m (into *max_out) the largest valid scale * x[j]; returns the weights' total.
   Bit for bit the same as libm's exp in a loop (eight lanes at a time with AVX-512 when that
   reproduces this libm, checked at first use: gfn_vector_exp_active).
   gfn_exp_array: out[i] = exp(x[i]), the same way (for the tests). */
double gfn_shifted_exponentials_f(const float *x, const unsigned char *mask, long count, double scale, double *weights, double *max_out);
double gfn_shifted_exponentials_d(const double *x, const unsigned char *mask, long count, double scale, double *weights, double *max_out);
/* The same row's total alone (scratch: count doubles), for a log-sum-exp. */
double gfn_softmax_total_f(const float *x, const unsigned char *mask, long count, double scale, double *scratch, double *max_out);
double gfn_softmax_total_d(const double *x, const unsigned char *mask, long count, double scale, double *scratch, double *max_out);
/* The same row's m and total (into *max_out, *total_out), and the index RandomStream.categorical
   draws from its weights with `uniform` (scratch: 2 * count doubles; with `spread`, its first
   count hold the weights afterwards). */
long gfn_softmax_draw_f(const float *x, const unsigned char *mask, long count, double scale, double uniform, double *scratch,
                        double *max_out, double *total_out, int spread);
long gfn_softmax_draw_d(const double *x, const unsigned char *mask, long count, double scale, double uniform, double *scratch,
                        double *max_out, double *total_out, int spread);
/* weights[j] = exp(x[j] - shift) for the valid j, 0 elsewhere; returns their total (index order). */
double gfn_exponentials_f(const float *x, const unsigned char *mask, long count, double shift, double *weights);
double gfn_exponentials_d(const double *x, const unsigned char *mask, long count, double shift, double *weights);
int gfn_vector_exp_active(void);
void gfn_exp_array(const double *x, long count, double *out);

#endif
