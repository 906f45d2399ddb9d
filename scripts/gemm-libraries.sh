#!/usr/bin/env bash
# Issue 18's library question, measured: does oneDNN or BLIS (Debian's libdnnl-dev, libblis-dev)
# give faster fp32 products than OpenBLAS at the network's shapes, and can bf16 help here?
# Prints the CPU's vector extensions (bf16 products need AVX512_BF16 or AMX) and, for every
# library installed, sgemm GFLOP/s (2 threads, row-major C += A·Bᵀ, best of 3 × 0.3 s) at the
# shapes a training step makes: batch × 256 × 256 forward products and the larger backward ones.
# Usage: scripts/gemm-libraries.sh   (installs nothing; a missing library is reported as such)
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512[a-z_0-9]*|amx[a-z_0-9]*)$' | tr '\n' ' ')
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); vector extensions: ${flags:-none}"
case "$flags" in *avx512_bf16*|*amx_bf16*) echo "bf16 products: supported by this CPU (Debian's OpenBLAS exports no cblas_sbgemm and BLIS 0.9 has no bf16 type; oneDNN has bf16 only in its matmul primitive, not timed here; gfn-compare's own kernel, --precision bf16, is measured by 'gfn-compare bench')" ;;
                 *) echo "bf16 products: this CPU has no bf16 instructions (no avx512_bf16, no amx_bf16); a bf16 gemm would be emulated, not faster" ;; esac
cat > "$work/bench.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(USE_DNNL)
#include <oneapi/dnnl/dnnl.h>
static void gemm(long M, long N, long K, const float *A, const float *B, float *C) { dnnl_sgemm('N', 'T', M, N, K, 1, A, K, B, K, 1, C, N); }
#elif defined(USE_BLIS)
#include <blis.h>
static void gemm(long M, long N, long K, const float *A, const float *B, float *C) {
    float one = 1;
    bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, M, N, K, &one, (float *)A, K, 1, (float *)B, K, 1, &one, C, N, 1);
}
#else
#include <cblas.h>
static void gemm(long M, long N, long K, const float *A, const float *B, float *C) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, A, K, B, K, 1, C, N);
}
#endif
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(void) {
    long shapes[][3] = {{64, 256, 256}, {128, 256, 256}, {64, 300, 256}, {1024, 256, 256}, {6400, 256, 256}};
    float *A = malloc(sizeof(float) * 6400 * 512), *B = malloc(sizeof(float) * 512 * 512), *C = malloc(sizeof(float) * 6400 * 512);
    for (long i = 0; i < 6400 * 512; i++) { A[i] = (float)rand() / RAND_MAX; C[i] = 0; }
    for (long i = 0; i < 512 * 512; i++) B[i] = (float)rand() / RAND_MAX;
    for (int s = 0; s < 5; s++) {
        long M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        double best = 0;
        for (int r = 0; r < 3; r++) {
            long calls = 0; double t0 = now();
            while (now() - t0 < 0.3) { gemm(M, N, K, A, B, C); calls++; }
            double g = 2.0 * M * N * K * calls / (now() - t0) / 1e9;
            if (g > best) best = g;
        }
        printf("  %ld×%ld×%ld: %.1f GFLOP/s\n", M, N, K, best);
    }
    return 0;
}
C
export OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 BLIS_NUM_THREADS=2
echo "OpenBLAS (the toolkit's):"
gcc -O2 "$work/bench.c" -o "$work/openblas" -lopenblas && "$work/openblas"
if [ -f /usr/include/oneapi/dnnl/dnnl.h ]; then
  echo "oneDNN $(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null) (dnnl_sgemm):"
  gcc -O2 -DUSE_DNNL "$work/bench.c" -o "$work/dnnl" -ldnnl && "$work/dnnl"
else echo "oneDNN: not installed (apt-get install libdnnl-dev)"; fi
blis=/usr/include/x86_64-linux-gnu/blis-openmp
if [ -f "$blis/blis.h" ]; then
  echo "BLIS $(dpkg-query -W -f='${Version}' libblis-dev 2>/dev/null) (OpenMP, bli_sgemm):"
  gcc -O2 -DUSE_BLIS -I"$blis" "$work/bench.c" -o "$work/blis" /usr/lib/x86_64-linux-gnu/blis-openmp/libblis.a -fopenmp -lm -lpthread && "$work/blis"
else echo "BLIS: not installed (apt-get install libblis-dev)"; fi
