#include "CReference.h"
#include <math.h>

long gfn_c_reference_metropolis(unsigned char *spins, int L, double beta, long attempts, gsl_rng *r) {
    const unsigned long n = (unsigned long)L * (unsigned long)L;
    /* acceptance[s][k]: s = spin (0/1), k = number of up neighbours (0..4). */
    double acceptance[2][5];
    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < 5; k++) {
            double sigma = s ? 1.0 : -1.0;
            double dE = 2.0 * sigma * (double)(2 * k - 4);
            acceptance[s][k] = dE <= 0 ? 1.0 : exp(-beta * dE);
        }
    }
    long accepted = 0;
    for (long t = 0; t < attempts; t++) {
        unsigned long i = gsl_rng_uniform_int(r, n);
        int row = (int)(i / (unsigned long)L), col = (int)(i % (unsigned long)L);
        int up = spins[((row + L - 1) % L) * L + col] + spins[((row + 1) % L) * L + col]
               + spins[row * L + (col + L - 1) % L] + spins[row * L + (col + 1) % L];
        double a = acceptance[spins[i]][up];
        if (a >= 1.0 || gsl_rng_uniform(r) < a) {
            spins[i] ^= 1;
            accepted++;
        }
    }
    return accepted;
}
