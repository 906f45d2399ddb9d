// Private shim: the GSL and CBLAS declarations gfn-compare uses.
// CBLAS symbols are declared by <gsl/gsl_cblas.h> and resolved to OpenBLAS,
// which the module map links directly (ahead of libgslcblas, which libgsl pulls in).
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_fft_complex.h>
#include <gsl/gsl_sf_ellint.h>
#include <gsl/gsl_sf_log.h>
#include <gsl/gsl_version.h>
#include <gsl/gsl_cblas.h>

// OpenBLAS's own entry points (from its cblas.h), declared here to avoid
// pulling in a second, conflicting CBLAS header.
char *openblas_get_config(void);
char *openblas_get_corename(void);
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

// Accessors for GSL's global constants: Swift 6 treats imported C globals as shared
// mutable state, so they are read through functions.
static inline const gsl_rng_type *gfn_rng_type_taus2(void) { return gsl_rng_taus2; }
static inline const gsl_rng_type *gfn_rng_type_mt19937(void) { return gsl_rng_mt19937; }
static inline const gsl_rng_type *gfn_rng_type_ranlxd2(void) { return gsl_rng_ranlxd2; }
static inline const char *gfn_gsl_version(void) { return gsl_version; }
