/* The denoiser's speech guard: the minimum-statistics floor follows the
 * background (down at once, up within its window, not fooled by digital
 * silence), the bound is the formula it claims, and in a stream it keeps a
 * loud sound that a network would take out when the network hears a voice,
 * and does nothing when it does not. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcn_denoiser.h"
#include "gcn_dn_guard.h"
#include "gan_test.h"
#include "noise_spectrum.h"

#define BINS 161                /* 16 kHz */


static void
floor_range (const gcn_dn_guard *g, float *lo, float *hi)
{
  *lo = 1e30f, *hi = -1e30f;
  for (int k = 0; k < BINS; k++) {
    float f = gcn_dn_guard_floor (g, k);
    *lo = f < *lo ? f : *lo;
    *hi = f > *hi ? f : *hi;
  }
}

static void
test_tracking (void)
{
  gc_rng r;
  float spec[2 * BINS], lo, hi;
  gcn_dn_guard *g = gcn_dn_guard_new (BINS);
  const int window = GCN_DN_GUARD_SUBWIN * GCN_DN_GUARD_NSUB;

  gc_rng_seed (&r, 3);
  CHECK (gcn_dn_guard_floor (g, 0) < 0.f, "a floor before any frame");
  for (int t = 0; t < 300; t++) {
    noise_spectrum (&r, 1.f, spec, BINS);
    gcn_dn_guard_update (g, spec, 1.f);
  }
  /* the minimum of the smoothed periodogram lies a few dB under the mean */
  floor_range (g, &lo, &hi);
  CHECK (lo > 0.05f && hi < 1.f, "floor of unit noise %g .. %g", lo, hi);

  /* the background drops 20 dB: followed within the smoothing time */
  for (int t = 0; t < 30; t++) {
    noise_spectrum (&r, 0.01f, spec, BINS);
    gcn_dn_guard_update (g, spec, 1.f);
  }
  floor_range (g, &lo, &hi);
  CHECK (hi < 0.02f, "floor after a 20 dB drop: up to %g", hi);

  /* it rises again: the old minimum holds for at most one window */
  for (int t = 0; t < window - 2 * GCN_DN_GUARD_SUBWIN; t++) {
    noise_spectrum (&r, 1.f, spec, BINS);
    gcn_dn_guard_update (g, spec, 1.f);
  }
  floor_range (g, &lo, &hi);
  CHECK (hi < 0.02f, "floor rose before the window ended: %g", hi);
  for (int t = 0; t < 3 * GCN_DN_GUARD_SUBWIN; t++) {
    noise_spectrum (&r, 1.f, spec, BINS);
    gcn_dn_guard_update (g, spec, 1.f);
  }
  floor_range (g, &lo, &hi);
  CHECK (lo > 0.05f, "floor after the window: %g", lo);

  /* a loud voiced stretch of 0.6 s (a breathy part of a word) stays
   * above the floor: the window must outlast it */
  for (int t = 0; t < 300; t++) {
    noise_spectrum (&r, 0.01f, spec, BINS);
    gcn_dn_guard_update (g, spec, 1.f);
  }
  for (int t = 0; t < 60; t++) {
    noise_spectrum (&r, 1.f, spec, BINS);
    gcn_dn_guard_update (g, spec, 1.f);
  }
  floor_range (g, &lo, &hi);
  CHECK (hi < 0.02f, "a 0.6 s sound lifted the floor to %g", hi);

  /* digital silence before the noise is not taken for the background */
  gcn_dn_guard_reset (g);
  CHECK (gcn_dn_guard_floor (g, 5) < 0.f, "reset keeps a floor");
  memset (spec, 0, sizeof (spec));
  for (int t = 0; t < 100; t++)
    gcn_dn_guard_update (g, spec, 1.f);
  CHECK (gcn_dn_guard_floor (g, 5) < 0.f, "silence gave a floor");
  for (int t = 0; t < 20; t++) {
    noise_spectrum (&r, 1.f, spec, BINS);
    gcn_dn_guard_update (g, spec, 1.f);
  }
  floor_range (g, &lo, &hi);
  CHECK (lo > 0.05f, "noise after silence: floor %g", lo);

  /* a noise that comes and goes (20 dB swings every 0.1 s) in voiceless
   * frames: its minimum is the quiet part, its level is not */
  gcn_dn_guard_reset (g);
  for (int t = 0; t < 600; t++) {
    noise_spectrum (&r, (t / 10) % 2 ? 1.f : 0.01f, spec, BINS);
    gcn_dn_guard_update (g, spec, 0.f);
  }
  floor_range (g, &lo, &hi);
  CHECK (lo > 0.25f && hi < 1.f, "floor of a swinging noise %g .. %g", lo,
      hi);
  gcn_dn_guard_free (g);
}

static void
test_bound (void)
{
  float spec[2 * BINS], gain[BINS];
  gcn_dn_guard *g = gcn_dn_guard_new (BINS);

  /* a steady spectrum of power 1 in every bin: the floor is exactly 1 */
  for (int k = 0; k < BINS; k++)
    spec[2 * k] = 0.6f, spec[2 * k + 1] = 0.8f;
  for (int t = 0; t < 40; t++)
    gcn_dn_guard_update (g, spec, 1.f);
  CHECK (fabsf (gcn_dn_guard_floor (g, 7) - 1.f) < 1e-5f, "floor %g",
      gcn_dn_guard_floor (g, 7));

  memset (spec, 0, sizeof (spec));
  spec[0] = 10.f;               /* bin 0: power 100, 20 dB over the floor */
  spec[2] = sqrtf (5.f);        /* bin 1: power 5, 7 dB over it */
  spec[4] = 10.f;               /* bin 2: power 100, gain already high */
  for (int k = 0; k < BINS; k++)
    gain[k] = 0.35f;
  gain[2] = 0.99f;
  float margin = 10.f;          /* 10 dB */
  gcn_dn_guard_apply (g, spec, margin, 1.f, gain);
  CHECK (fabsf (gain[0] - sqrtf (0.9f)) < 1e-6f, "bin 0 gain %g", gain[0]);
  CHECK (gain[1] == 0.35f, "bin 1 (under the margin) gain %g", gain[1]);
  CHECK (gain[2] == 0.99f, "bin 2 gain lowered to %g", gain[2]);
  CHECK (gain[3] == 0.35f, "empty bin 3 gain %g", gain[3]);

  /* the bound fades in between voice probabilities 0.2 and 0.4 */
  gain[0] = 0.35f;
  gcn_dn_guard_apply (g, spec, margin, 0.3f, gain);
  CHECK (fabsf (gain[0] - 0.5f * sqrtf (0.9f)) < 1e-5f,
      "bound half faded in at 0.3: %g", gain[0]);
  gain[0] = 0.35f;
  gcn_dn_guard_apply (g, spec, margin, 0.6f, gain);
  CHECK (fabsf (gain[0] - sqrtf (0.9f)) < 1e-6f,
      "bound not whole at 0.6: %g", gain[0]);
  gain[0] = 0.35f;
  gcn_dn_guard_apply (g, spec, margin, 0.15f, gain);
  gcn_dn_guard_apply (g, spec, 0.f, 1.f, gain);
  CHECK (gain[0] == 0.35f, "no voice or no margin still bound: %g", gain[0]);

  /* a gain under 0.15 (the network sure of noise) is left alone; the
   * bound fades in up to a gain of 0.3 */
  gain[0] = 0.1f;
  gcn_dn_guard_apply (g, spec, margin, 1.f, gain);
  CHECK (gain[0] == 0.1f, "a sure-noise gain overruled: %g", gain[0]);
  gain[0] = 0.225f;
  gcn_dn_guard_apply (g, spec, margin, 1.f, gain);
  CHECK (fabsf (gain[0] - 0.5f * sqrtf (0.9f)) < 1e-5f,
      "bound half faded in at gain 0.225: %g", gain[0]);
  gcn_dn_guard_free (g);
}

/* Energy of out[a, b). */
static double
energy (const float *x, int a, int b)
{
  double e = 0;
  for (int i = a; i < b; i++)
    e += (double) x[i] * x[i];
  return e;
}

/* 2.5 s of faint hiss, then 0.5 s of a loud broadband sound (44 dB over
 * it), through a random network whose gains are near 0.35 (unsure, as on
 * the speech the guard is for) and whose voice
 * head says `vad_bias`. Returns the share of the loud part's energy that
 * comes out. */
static double
stream_keep (float vad_bias, float guard_db)
{
  const int rate = 16000, n = 3 * rate;
  gcn_denoiser net;
  gcn_denoiser_config cfg;
  gc_rng r;
  gcn_denoiser_config_default (&cfg);
  gc_rng_seed (&r, 11);
  if (gcn_denoiser_init (&net, &cfg, &r))
    return -1;
  for (int i = 0; i < GCN_DN_BANDS; i++)
    net.band_head.bias.w[i] = -0.6f;
  for (int i = 0; i < GCN_DN_FINE; i++)
    net.fine_head.bias.w[i] = -0.6f;
  net.vad_head.bias.w[0] = vad_bias;

  float *in = malloc (n * sizeof (float)), *out = malloc (n * sizeof (float));
  gc_rng_seed (&r, 5);
  for (int i = 0; i < n; i++)
    in[i] = (i < 5 * rate / 2 ? 0.002f : 0.3f) * gc_rng_normal (&r);
  gcn_dn_stream *s = gcn_dn_stream_new (&net, rate);
  gcn_dn_stream_set_guard (s, guard_db);
  int hop = gcn_dn_hop (rate), lag = gcn_dn_stream_latency (s);
  for (int i = 0; i + hop <= n; i += hop)
    gcn_dn_stream_process (s, in + i, out + i, 0.f);
  /* the loud part, away from its edges, lined up with the input */
  int a = 5 * rate / 2 + rate / 10, b = n - rate / 10;
  double keep = energy (out, a + lag, b + lag > n ? n : b + lag) /
      energy (in, a, b + lag > n ? n - lag : b);
  gcn_dn_stream_free (s);
  gcn_denoiser_free (&net);
  free (in);
  free (out);
  return keep;
}

static void
test_stream (void)
{
  double off = stream_keep (20.f, 0.f), on = stream_keep (20.f, 10.f);
  double novoice = stream_keep (-20.f, 10.f);
  CHECK (off >= 0 && off < 0.25, "the network should take most of it out: "
      "%.4f kept", off);
  /* 44 dB over the floor, 10 dB margin: the bound keeps >= 99 % of the
   * power in most bins; the smoothing and window edges cost a little */
  CHECK (on > 0.8, "the guard kept only %.4f of a loud voiced sound", on);
  printf ("loud voiced sound kept: %.3f without the guard, %.3f with it\n",
      off, on);
  CHECK (fabs (novoice - off) < 0.01 * off + 1e-6,
      "the guard acted without a voice: %.4f against %.4f", novoice, off);
}

int
main (void)
{
  test_tracking ();
  test_bound ();
  test_stream ();
  if (failures)
    fprintf (stderr, "%d failure(s)\n", failures);
  else
    printf ("test_dn_guard: all passed\n");
  return failures ? 1 : 0;
}
