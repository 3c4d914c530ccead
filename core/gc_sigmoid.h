/* libgancore — the logistic sigmoid, one definition for the core's files.
 * Internal: not installed. */
#ifndef GC_SIGMOID_H
#define GC_SIGMOID_H

#include <math.h>

/* exp of a non-positive number only, so it never overflows. */
static inline float
gc_sigmoidf (float a)
{
  if (a >= 0.0f)
    return 1.0f / (1.0f + expf (-a));
  float e = expf (a);
  return e / (1.0f + e);
}

/* 1 / (1 + e^-v) as written: the denoiser's streaming heads and the style
 * network's output use this form. It rounds differently from gc_sigmoidf
 * for v < 0, so changing them would change their outputs in the last
 * bits. */
static inline float
gc_sigmoidf_direct (float v)
{
  return 1.f / (1.f + expf (-v));
}

#endif
