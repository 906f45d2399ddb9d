#ifndef GFN_CREFERENCE_H
#define GFN_CREFERENCE_H
#include <gsl/gsl_rng.h>

/// A minimal single-site Metropolis loop on an L×L periodic Ising lattice (J = 1, h = 0),
/// random-site scan, acceptance table, spins as bytes 0/1: the speed reference for the
/// Swift sampler, doing the same work with the same GSL generator.
/// Returns the number of accepted flips; `spins` has L*L entries.
long gfn_c_reference_metropolis(unsigned char *spins, int L, double beta, long attempts, gsl_rng *r);

#endif
