/* A frame of complex Gaussian bins of mean power p (stationary noise as a
 * spectrum), for the tests of the denoiser's floor tracking. */
#ifndef NOISE_SPECTRUM_H
#define NOISE_SPECTRUM_H

#include <math.h>

#include "gc_core.h"

static inline void
noise_spectrum (gc_rng *r, float p, float *spec, int bins)
{
  float sd = sqrtf (p / 2.f);
  for (int k = 0; k < 2 * bins; k++)
    spec[k] = sd * gc_rng_normal (r);
}

#endif
