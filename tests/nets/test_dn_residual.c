/* The Wiener ceiling on the noise floor (gcn_dn_residual.h): nothing
 * changes before a floor is known or where the network keeps a bin whole;
 * a bin of steady noise the network only halved goes down to the ceiling's
 * minimum and no further; a bin far above the floor keeps the network's
 * gain; a gain under the ceiling is left alone. */
#include <math.h>
#include <stdio.h>

#include "gcn_denoiser.h"
#include "gcn_dn_guard.h"
#include "gcn_dn_residual.h"
#include "gan_test.h"
#include "noise_spectrum.h"

#define BINS 161                /* 16 kHz */


static void
fill (float *g, float v)
{
  for (int k = 0; k < BINS; k++)
    g[k] = v;
}

int
main (void)
{
  gc_rng r;
  float spec[2 * BINS], gain[BINS];
  gcn_dn_guard *guard = gcn_dn_guard_new (BINS);
  gcn_dn_residual *res = gcn_dn_residual_new (BINS);
  REQUIRE (guard && res, "allocation");
  gc_rng_seed (&r, 7);

  /* no floor yet: the network's gains stand */
  noise_spectrum (&r, 1.f, spec, BINS);
  fill (gain, 0.5f);
  gcn_dn_residual_apply (res, guard, spec, gain);
  for (int k = 0; k < BINS; k++)
    CHECK (gain[k] == 0.5f, "bin %d changed to %g with no floor", k, gain[k]);

  /* 3 s of steady unit noise that the network only halves: the ceiling
   * takes it to its minimum, 0.3 (-10 dB), and no further (now and then
   * a bin's periodogram stands well over the floor: the mean) */
  float lo = 1.f, hi = 0.f;
  double mean = 0.;
  for (int t = 0; t < 300; t++) {
    noise_spectrum (&r, 1.f, spec, BINS);
    gcn_dn_guard_update (guard, spec, 0.f);
    fill (gain, 0.5f);
    gcn_dn_residual_apply (res, guard, spec, gain);
    if (t < 250)
      continue;
    for (int k = 0; k < BINS; k++) {
      mean += gain[k] / (50. * BINS);
      lo = gain[k] < lo ? gain[k] : lo;
      hi = gain[k] > hi ? gain[k] : hi;
    }
  }
  printf ("steady noise, network gain 0.5: ceiling %.3f .. %.3f, mean "
      "%.3f\n", lo, hi, mean);
  CHECK (lo >= 0.3f - 1e-6f, "below the ceiling's minimum: %g", lo);
  CHECK (mean < 0.36, "steady noise kept at a mean gain of %g", mean);

  /* the network keeps the bins whole: the ceiling does not act */
  noise_spectrum (&r, 1.f, spec, BINS);
  gcn_dn_guard_update (guard, spec, 0.f);
  fill (gain, 1.f);
  gcn_dn_residual_apply (res, guard, spec, gain);
  for (int k = 0; k < BINS; k++)
    CHECK (gain[k] == 1.f, "bin %d of a whole gain changed to %g", k,
        gain[k]);

  /* a gain already under the ceiling is the network's to keep */
  noise_spectrum (&r, 1.f, spec, BINS);
  gcn_dn_guard_update (guard, spec, 0.f);
  fill (gain, 0.1f);
  gcn_dn_residual_apply (res, guard, spec, gain);
  for (int k = 0; k < BINS; k++)
    CHECK (gain[k] == 0.1f, "bin %d raised to %g", k, gain[k]);

  /* a tone 30 dB over the floor held for 0.2 s: its bin keeps the gain
   * the network gives it (the speech estimate follows within that time) */
  const int tone = 40;
  for (int t = 0; t < 20; t++) {
    noise_spectrum (&r, 1.f, spec, BINS);
    spec[2 * tone] = sqrtf (1000.f);
    spec[2 * tone + 1] = 0.f;
    fill (gain, 0.8f);
    gcn_dn_residual_apply (res, guard, spec, gain);
  }
  printf ("tone 30 dB over the floor, network gain 0.8: %.3f\n", gain[tone]);
  CHECK (gain[tone] > 0.79f, "tone bin lowered to %g", gain[tone]);

  /* reset forgets the speech estimate, not the floor (the guard's) */
  gcn_dn_residual_reset (res);
  gcn_dn_residual_free (res);
  gcn_dn_guard_free (guard);
  return gan_test_report ("test_dn_residual");
}
