/* The vocoder models do their job on a speech-like signal (log-mel
 * distance: mean |log mel (reference) - log mel (output)| over the frames
 * away from the ends):
 *  - vocoder-16k (copy synthesis) resynthesises 16 kHz speech with a small
 *    distance, and its network alone (the phase refinement off, which
 *    pulls any output's mel toward the input) does far better than an
 *    untrained network of the same shape;
 *  - vocoder-nb2wb, given the signal band-limited to 8 kHz, brings back a
 *    band above 4 kHz closer to the wideband original than an untrained
 *    network does, and keeps the band below it.
 * The bounds sit a third or more away from the measured values (in the
 * comments). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_vocoder.h"
#include "gan_test.h"
#include "model_quality.h"
#include "speechlike.h"

/* vocoder-16k: as shipped, measured 0.056; the network alone (no phase
 * refinement) 0.241 against 0.540 untrained (x 0.45) */
#define COPY_MAX_DIST 0.08
#define COPY_MAX_OF_UNTRAINED 0.65
/* vocoder-nb2wb: above 4.2 kHz measured 0.566 against 5.503 untrained
 * (x 0.10); below 3.4 kHz 0.000 (the input is passed through) */
#define NB_HIGH_MAX_DIST 0.8
#define NB_HIGH_MAX_OF_UNTRAINED 0.4
#define NB_LOW_MAX_DIST 0.05

/* log-mel distance of y to x over mel bands [m0, m1) */
static double
mel_dist (gcn_vocoder *v, const float *x, const float *y, int len, int m0,
    int m1)
{
  int T = gcn_vocoder_frames (v, len), M = v->cfg.n_mels;
  float *a = malloc ((size_t) T * M * sizeof (float));
  float *b = malloc ((size_t) T * M * sizeof (float));
  gcn_vocoder_analyze (v, x, len, a, NULL);
  gcn_vocoder_analyze (v, y, len, b, NULL);
  double d = 0;
  for (int t = 8; t < T - 8; t++)
    for (int m = m0; m < m1; m++)
      d += fabs (a[(size_t) t * M + m] - b[(size_t) t * M + m]);
  free (a);
  free (b);
  return d / ((double) (T - 16) * (m1 - m0));
}

/* the whole-signal output of v for input x (len a multiple of hop) */
static float *
synth (gcn_vocoder *v, const float *x, int len)
{
  float *y = malloc (len * sizeof (float));
  gcn_vocoder_acts acts;
  memset (&acts, 0, sizeof acts);
  CHECK (gcn_vocoder_forward (v, x, 1, len, y, &acts) == 0, "forward: %s",
      gc_last_error ());
  gcn_vocoder_acts_free (&acts);
  return y;
}

/* an untrained network of v's shape and settings */
static void
untrained (gcn_vocoder *u, const gcn_vocoder *v)
{
  REQUIRE (gcn_vocoder_init (u, &v->cfg, 7) == 0, "init: %s",
      gc_last_error ());
}

/* the first mel band whose centre lies above hz */
static int
mel_band_above (const gcn_vocoder *v, double hz)
{
  double lo = 2595 * log10 (1 + v->cfg.fmin / 700.0);
  double hi = 2595 * log10 (1 + v->cfg.fmax / 700.0);
  for (int m = 0; m < v->cfg.n_mels; m++) {
    double mel = lo + (hi - lo) * (m + 1) / (v->cfg.n_mels + 1);
    if (700 * (pow (10, mel / 2595) - 1) > hz)
      return m;
  }
  return v->cfg.n_mels;
}

static void
check_copy (const char *path)
{
  gcn_vocoder v, u;
  if (gcn_vocoder_load_file (&v, path) < 0) {
    CHECK (0, "%s: %s", path, gc_last_error ());
    return;
  }
  CHECK (v.cfg.task == GCN_VOCODER_COPY, "%s: task %d", path, v.cfg.task);
  untrained (&u, &v);
  int len = 4 * v.cfg.sample_rate / v.cfg.hop * v.cfg.hop;
  float *x = malloc (len * sizeof (float));
  speechlike (x, len, v.cfg.sample_rate, 11);
  /* as shipped (with the phase refinement) */
  float *y = synth (&v, x, len);
  double d = mel_dist (&v, x, y, len, 0, v.cfg.n_mels);
  free (y);
  /* the networks alone */
  gcn_vocoder_set_refine (&v, 0, 0, 0.f);
  gcn_vocoder_set_refine (&u, 0, 0, 0.f);
  y = synth (&v, x, len);
  float *z = synth (&u, x, len);
  double dn = mel_dist (&v, x, y, len, 0, v.cfg.n_mels);
  double du = mel_dist (&v, x, z, len, 0, v.cfg.n_mels);
  printf ("vocoder-16k: log-mel distance %.3f; without the refinement %.3f, "
      "untrained %.3f\n", d, dn, du);
  CHECK (d <= COPY_MAX_DIST, "copy synthesis: log-mel distance %.3f", d);
  CHECK (dn <= COPY_MAX_OF_UNTRAINED * du, "copy synthesis without the "
      "refinement: %.3f, untrained %.3f", dn, du);
  free (x);
  free (y);
  free (z);
  gcn_vocoder_free (&u);
  gcn_vocoder_free (&v);
}

static void
check_nb2wb (const char *path)
{
  gcn_vocoder v, u;
  if (gcn_vocoder_load_file (&v, path) < 0) {
    CHECK (0, "%s: %s", path, gc_last_error ());
    return;
  }
  CHECK (v.cfg.task == GCN_VOCODER_NB2WB, "%s: task %d", path, v.cfg.task);
  untrained (&u, &v);
  int rate = v.cfg.sample_rate, len = 4 * rate / v.cfg.hop * v.cfg.hop;
  long len8 = gcn_resample_len (len, rate, 8000);
  float *x = malloc (len * sizeof (float)), *nb = malloc (len * sizeof (float));
  float *x8 = malloc (len8 * sizeof (float));
  speechlike (x, len, rate, 12);
  CHECK (gcn_resample (x, len, rate, x8, len8, 8000) == 0 &&
      gcn_resample (x8, len8, 8000, nb, len, rate) == 0, "resample");
  float *y = synth (&v, nb, len), *z = synth (&u, nb, len);
  int m4 = mel_band_above (&v, 4200), m3 = mel_band_above (&v, 3400);
  double hi = mel_dist (&v, x, y, len, m4, v.cfg.n_mels);
  double hu = mel_dist (&v, x, z, len, m4, v.cfg.n_mels);
  double lo = mel_dist (&v, x, y, len, 0, m3);
  printf ("vocoder-nb2wb: log-mel distance above 4.2 kHz %.3f, untrained "
      "%.3f; below 3.4 kHz %.3f\n", hi, hu, lo);
  CHECK (hi <= NB_HIGH_MAX_DIST, "band extension: %.3f above 4.2 kHz", hi);
  CHECK (hi <= NB_HIGH_MAX_OF_UNTRAINED * hu, "band extension: %.3f above "
      "4.2 kHz, untrained %.3f", hi, hu);
  CHECK (lo <= NB_LOW_MAX_DIST, "narrow band changed: %.3f", lo);
  free (x);
  free (nb);
  free (x8);
  free (y);
  free (z);
  gcn_vocoder_free (&u);
  gcn_vocoder_free (&v);
}

int
main (void)
{
  char path[4096];
  check_copy (mq_path (path, sizeof path, "models", "vocoder-16k.safetensors"));
  check_nb2wb (mq_path (path, sizeof path, "models",
          "vocoder-nb2wb.safetensors"));
  return gan_test_report ("test_quality_vocoder");
}
