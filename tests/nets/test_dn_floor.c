/* The denoiser's floor features (gcn_dn_floor.h): steady noise of any
 * level and colour sits near 0; a tone starting 30 dB over it reads about
 * +30 dB (1.5) at once; silence and bands a stream lacks give exactly 0;
 * the floor follows a drop at once and a rise within its 1.28 s window;
 * the values stay within [-0.5, 2]; a reset forgets everything. */
#include <math.h>
#include <stdio.h>

#include "gcn_denoiser.h"
#include "gcn_dn_floor.h"
#include "gan_test.h"
#include "noise_spectrum.h"

#define BINS 161                /* 16 kHz: bands 0..22 present */
#define WINDOW (GCN_DN_FLOOR_SUBWIN * GCN_DN_FLOOR_NSUB)

/* one frame of noise of power p, coloured by 1 / (1 + k / 10), plus a
 * tone of power tone in bin 20 (1 kHz); its features into feat */
static void
frame (gcn_dn_floor *f, gc_rng *r, float p, float tone, float *feat,
    int *present)
{
  float spec[2 * BINS], fs[GCN_DN_IN_MAX], band[GCN_DN_BANDS];
  noise_spectrum (r, p, spec, BINS);
  for (int k = 0; k < BINS; k++) {
    float c = 1.f / (1.f + k / 10.f);
    spec[2 * k] *= c;
    spec[2 * k + 1] *= c;
  }
  spec[40] += sqrtf (tone);
  gcn_dn_features (spec, BINS, fs, band);
  gcn_dn_floor_features (f, band, feat);
  *present = gcn_dn_bands_present (BINS);
}

static float
mean_of (const float *v, int n)
{
  float s = 0.f;
  for (int i = 0; i < n; i++)
    s += v[i];
  return s / (float) n;
}

int
main (void)
{
  gcn_dn_floor f;
  gc_rng r;
  float feat[GCN_DN_FLOOR_FEATS];
  int present;
  gc_rng_seed (&r, 3);

  /* steady noise at three levels 60 dB apart: near 0 after the window,
   * in every present band, whatever the level; absent bands exactly 0 */
  static const float levels[] = { 1e-6f, 1e-3f, 1.f };
  for (int li = 0; li < 3; li++) {
    gcn_dn_floor_reset (&f);
    float worst = 0.f, sum = 0.f;
    int n = 0;
    for (int t = 0; t < 3 * WINDOW; t++) {
      frame (&f, &r, levels[li] * BINS * BINS * 4, 0.f, feat, &present);
      for (int b = present; b < GCN_DN_BANDS; b++)
        CHECK (feat[b] == 0.f, "absent band %d reads %g", b, feat[b]);
      if (t < WINDOW)
        continue;
      for (int b = 0; b < present; b++) {
        worst = fabsf (feat[b]) > worst ? fabsf (feat[b]) : worst;
        sum += feat[b];
        n++;
      }
    }
    printf ("steady noise at %g: mean feature %.3f, largest |feature| %.3f\n",
        levels[li], sum / n, worst);
    /* the periodogram of a narrow band swings several dB around its mean,
     * and the minimum of the smoothed energy sits under it: a few dB */
    CHECK (sum / n > 0.f && sum / n < 0.35f, "steady noise at %g: mean "
        "feature %g (want 0 .. 7 dB)", levels[li], sum / n);
    CHECK (worst <= 2.f, "feature out of range: %g", worst);
  }

  /* a tone 30 dB over the noise in its band starts: its band reads about
   * +30 dB at once (1.5), the other bands stay near 0 */
  gcn_dn_floor_reset (&f);
  float p = BINS * BINS * 4e-3f;
  for (int t = 0; t < WINDOW; t++)
    frame (&f, &r, p, 0.f, feat, &present);
  frame (&f, &r, p, p * 1000.f, feat, &present);
  int tb = 0;                   /* the band that holds bin 20 most */
  for (int b = 0; b < GCN_DN_BANDS; b++)
    if (gcn_dn_band_centres ()[b] == 20)
      tb = b;
  printf ("tone 30 dB over the noise: its band %.3f, the rest %.3f\n",
      feat[tb], (mean_of (feat, present) * present - feat[tb]) / (present - 1));
  CHECK (feat[tb] > 1.2f && feat[tb] <= 2.f, "tone's band reads %g",
      feat[tb]);

  /* the noise drops 20 dB: the next frames read at most its new floor
   * (the minimum follows within a few frames of smoothing); it rises
   * 20 dB again: above 0.5 at first, near 0 again after the window */
  for (int t = 0; t < WINDOW; t++)
    frame (&f, &r, p, 0.f, feat, &present);
  for (int t = 0; t < 30; t++)
    frame (&f, &r, p * 0.01f, 0.f, feat, &present);
  CHECK (mean_of (feat, present) < 0.35f, "after a drop: %g",
      mean_of (feat, present));
  for (int t = 0; t < 2 * WINDOW; t++)
    frame (&f, &r, p * 0.01f, 0.f, feat, &present);
  frame (&f, &r, p, 0.f, feat, &present);
  float risen = mean_of (feat, present);
  for (int t = 0; t < WINDOW + GCN_DN_FLOOR_SUBWIN; t++)
    frame (&f, &r, p, 0.f, feat, &present);
  float settled = mean_of (feat, present);
  printf ("noise up 20 dB: %.3f at once, %.3f after the window\n", risen,
      settled);
  CHECK (risen > 0.5f, "a 20 dB rise reads %g", risen);
  CHECK (settled < 0.35f, "a 20 dB rise still reads %g after the window",
      settled);

  /* digital silence from the start: exactly 0 */
  gcn_dn_floor_reset (&f);
  float zero[GCN_DN_BANDS] = { 0 };
  for (int t = 0; t < 50; t++) {
    gcn_dn_floor_features (&f, zero, feat);
    for (int b = 0; b < GCN_DN_BANDS; b++)
      CHECK (feat[b] == 0.f, "silence: band %d reads %g", b, feat[b]);
  }
  return gan_test_report ("test_dn_floor");
}
