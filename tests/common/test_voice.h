/* A voice-like test signal (header only), shared by the gandenoise element
 * tests and the denoiser network tests. */
#ifndef TEST_VOICE_H
#define TEST_VOICE_H

#include <math.h>

#include "gc_core.h"

/* Voice-like test signal: harmonics of a gliding pitch, syllable envelope,
 * plus white noise. Deterministic. */
static inline float
test_voice_sample (long i, int rate, int ch, gc_rng * r)
{
  double t = (double) i / rate;
  double f0 = 140 + 40 * sin (2 * M_PI * 0.7 * t);
  double env = 0.5 + 0.5 * sin (2 * M_PI * 3 * t);
  double ph = 2 * M_PI * (140 * t - 40 / (2 * M_PI * 0.7) * cos (2 * M_PI *
          0.7 * t));
  double v = 0;
  for (int k = 1; k <= 12 && k * f0 < rate / 2; k++)
    v += sin (k * ph + ch) / k;
  (void) f0;
  return (float) (0.1 * env * v + 0.02 * gc_rng_normal (r));
}

#endif
