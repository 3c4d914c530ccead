/* denoise-48k does its job, at the element's default settings
 * (attenuation limit 20 dB, speech guard 10 dB), on a speech-like signal
 * (tests/common/speechlike.h) plus noise:
 *  - mask mode raises the SI-SDR of noisy speech at 48 and 16 kHz, for
 *    white and low-frequency (brown) noise;
 *  - it takes noise with no speech in it down by most of the limit;
 *  - residual suppression takes more steady noise out of noisy speech
 *    than the network alone and keeps clean speech;
 *  - resynth mode (with vocoder-16k, which does not keep the waveform, so
 *    no SI-SDR) brings the log-mel spectrum closer to the clean speech.
 * Each bound sits about a third under the value measured with the shipped
 * model (in the comments), so the test fails when the model stops
 * removing noise or starts damaging speech, not when a retrained model
 * differs a little. (The model is tuned for low SNRs: on this synthetic
 * speech at 48 kHz the SI-SDR gain turns negative from about +5 dB input
 * SNR on, so the operating points are at 0 dB and below there.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gc_denoise.h"
#include "gcn_denoiser.h"
#include "gcn_vocoder.h"
#include "gan_test.h"
#include "model_quality.h"
#include "speechlike.h"

enum { NOISE_WHITE, NOISE_BROWN };

static gcn_denoiser net;
static gcn_vocoder voc;
static int residual;            /* gc_denoise_set_residual_suppression */

/* noise of `kind`, scaled to snr_db under clean's power (or unit power
 * when clean is NULL) */
static float *
noise (const float *clean, long n, int kind, double snr_db, unsigned seed)
{
  float *x = malloc (n * sizeof (float));
  gc_rng r;
  gc_rng_seed (&r, seed);
  double ps = 0, pn = 0, lp = 0;
  for (long i = 0; i < n; i++) {
    double v = gc_rng_normal (&r);
    if (kind == NOISE_BROWN)    /* rumble: integrated white, leaky */
      v = lp = 0.995 * lp + 0.1 * v;
    x[i] = (float) v;
    ps += clean ? (double) clean[i] * clean[i] : 1.0;
    pn += v * v;
  }
  double g = sqrt (ps / pn / pow (10, snr_db / 10));
  for (long i = 0; i < n; i++)
    x[i] = (clean ? clean[i] : 0.f) + (float) (g * x[i]);
  return x;
}

/* x through the denoiser (push/drain: output frame i is the output for
 * input frame i) */
static float *
denoise (gc_denoise_mode mode, int rate, const float *x, long n)
{
  float *y = calloc (n, sizeof (float));
  gc_denoise *d = gc_denoise_new (&net, &voc, rate, 1,
      GC_DENOISE_INDEPENDENT);
  REQUIRE (d != NULL, "gc_denoise_new: %s", gc_last_error ());
  gc_denoise_set_speech_guard (d, 10.f);
  gc_denoise_set_residual_suppression (d, residual);
  REQUIRE (gc_denoise_set_mode (d, mode) == 0, "mode: %s", gc_last_error ());
  int hop = gc_denoise_hop (d);
  float *tmp = malloc (gc_denoise_max_out (d, 8) * sizeof (float));
  long got = 0, i = 0;
  for (; i + hop <= n; i += hop) {
    int k = gc_denoise_push_hops (d, x + i, 1, tmp);
    memcpy (y + got, tmp, k * sizeof (float));
    got += k;
  }
  got += gc_denoise_drain (d, x + i, (int) (n - i), y + got);
  CHECK (got == n, "%ld frames out for %ld", got, n);
  free (tmp);
  gc_denoise_free (d);
  return y;
}

/* SI-SDR gain (dB) in mask mode; the first 0.5 s (the model settling) is
 * left out */
static double
sisdr_gain (int rate, int kind, double snr_db)
{
  long n = 4L * rate;
  float *clean = malloc (n * sizeof (float));
  speechlike (clean, n, rate, 3);
  float *x = noise (clean, n, kind, snr_db, 5);
  float *y = denoise (GC_DENOISE_MASK, rate, x, n);
  double in = mq_si_sdr (x, clean, rate / 2, n);
  double out = mq_si_sdr (y, clean, rate / 2, n);
  printf ("mask%s, %5d Hz, %s noise at %+.0f dB: SI-SDR %.1f -> %.1f dB "
      "(%+.1f)\n", residual ? " + residual" : "", rate,
      kind == NOISE_WHITE ? "white" : "brown", snr_db, in, out, out - in);
  free (clean);
  free (x);
  free (y);
  return out - in;
}

/* How far (dB) noise alone is taken down, after the first 0.5 s */
static double
noise_cut (int rate)
{
  long n = 3L * rate;
  float *x = noise (NULL, n, NOISE_WHITE, 20, 6);
  float *y = denoise (GC_DENOISE_MASK, rate, x, n);
  double px = 0, py = 0;
  for (long i = rate / 2; i < n; i++) {
    px += (double) x[i] * x[i];
    py += (double) y[i] * y[i];
  }
  double cut = 10 * log10 (px / (py + 1e-30));
  printf ("mask, %5d Hz, white noise alone: down %.1f dB\n", rate, cut);
  free (x);
  free (y);
  return cut;
}

/* SI-SDR (dB) of clean speech through mask mode, after the first 0.5 s */
static double
clean_through (int rate)
{
  long n = 4L * rate;
  float *clean = malloc (n * sizeof (float));
  speechlike (clean, n, rate, 4);
  float *y = denoise (GC_DENOISE_MASK, rate, clean, n);
  double s = mq_si_sdr (y, clean, rate / 2, n);
  printf ("mask%s, %5d Hz, clean speech through: SI-SDR %.1f dB\n",
      residual ? " + residual" : "", rate, s);
  free (clean);
  free (y);
  return s;
}

/* mean |log mel (a) - log mel (b)| at 16 kHz, frames after 0.5 s */
static double
mel_dist (const float *a, const float *b, long n, int rate)
{
  long m = gcn_resample_len (n, rate, 16000);
  float *a16 = malloc (m * sizeof (float)), *b16 = malloc (m * sizeof (float));
  gcn_resample (a, n, rate, a16, m, 16000);
  gcn_resample (b, n, rate, b16, m, 16000);
  int T = gcn_vocoder_frames (&voc, (int) m), M = voc.cfg.n_mels;
  float *ma = malloc ((size_t) T * M * sizeof (float));
  float *mb = malloc ((size_t) T * M * sizeof (float));
  gcn_vocoder_analyze (&voc, a16, (int) m, ma, NULL);
  gcn_vocoder_analyze (&voc, b16, (int) m, mb, NULL);
  int t0 = 8000 / voc.cfg.hop;
  double d = 0;
  for (int t = t0; t < T - 8; t++)
    for (int k = 0; k < M; k++)
      d += fabs (ma[(size_t) t * M + k] - mb[(size_t) t * M + k]);
  free (a16);
  free (b16);
  free (ma);
  free (mb);
  return d / ((double) (T - 8 - t0) * M);
}

/* resynth: log-mel distance to the clean speech, output over input */
static double
resynth_mel_ratio (int rate, double snr_db)
{
  long n = 4L * rate;
  float *clean = malloc (n * sizeof (float));
  speechlike (clean, n, rate, 3);
  float *x = noise (clean, n, NOISE_WHITE, snr_db, 5);
  float *y = denoise (GC_DENOISE_RESYNTH, rate, x, n);
  double din = mel_dist (x, clean, n, rate), dout = mel_dist (y, clean, n,
      rate);
  printf ("resynth, %5d Hz, white noise at %+.0f dB: log-mel distance "
      "%.3f -> %.3f (x %.2f)\n", rate, snr_db, din, dout, dout / din);
  free (clean);
  free (x);
  free (y);
  return dout / din;
}

int
main (void)
{
  char path[4096];
  gc_model_file mf;
  mq_path (path, sizeof path, "models", "denoise-48k.safetensors");
  REQUIRE (gc_model_load (&mf, path) == 0 && gcn_denoiser_load (&net,
          &mf) == 0, "%s: %s", path, gc_last_error ());
  gc_model_free (&mf);
  mq_path (path, sizeof path, "models", "vocoder-16k.safetensors");
  REQUIRE (gcn_vocoder_load_file (&voc, path) == 0, "%s: %s", path,
      gc_last_error ());

  /* mask mode, SI-SDR gain: least allowed (measured) */
  static const struct {
    int rate, kind;
    double snr_db, min_gain;
  } cases[] = {
    {48000, NOISE_WHITE, -5, 3.0},      /* +4.6 dB */
    {48000, NOISE_WHITE, 0, 1.2},       /* +1.8 dB */
    {48000, NOISE_BROWN, 0, 2.2},       /* +3.4 dB */
    {16000, NOISE_WHITE, 0, 1.8},       /* +2.7 dB */
    {16000, NOISE_WHITE, 5, 2.3},       /* +3.6 dB */
  };
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    double g = sisdr_gain (cases[k].rate, cases[k].kind, cases[k].snr_db);
    CHECK (g >= cases[k].min_gain, "mask, %d Hz, %s noise at %+.0f dB: "
        "SI-SDR gain %+.1f dB, want at least %+.1f", cases[k].rate,
        cases[k].kind == NOISE_WHITE ? "white" : "brown", cases[k].snr_db, g,
        cases[k].min_gain);
  }
  /* noise alone: measured 20.0 dB at both rates (the whole limit) */
  for (int rate = 16000; rate <= 48000; rate += 32000) {
    double cut = noise_cut (rate);
    CHECK (cut >= 14.0, "mask, %d Hz: noise alone down %.1f dB", rate, cut);
  }
  /* residual suppression: more noise out than the network alone where it
   * leaves steady noise in (measured +0.3 / +0.8 dB at 16 kHz, +0.1 / +0.5
   * at 48 kHz, white / brown noise); clean speech as without it (50.2 and
   * 18.8 dB: the model's own loss at 48 kHz, see above) */
  for (int rate = 16000; rate <= 48000; rate += 32000) {
    for (int kind = NOISE_WHITE; kind <= NOISE_BROWN; kind++) {
      residual = 0;
      double off = sisdr_gain (rate, kind, 0);
      residual = 1;
      double on = sisdr_gain (rate, kind, 0);
      CHECK (on >= off + 0.05, "residual, %d Hz, %s noise: SI-SDR gain "
          "%+.1f dB, without %+.1f", rate, kind == NOISE_WHITE ? "white" :
          "brown", on, off);
    }
    residual = 0;
    double off = clean_through (rate);
    residual = 1;
    double on = clean_through (rate);
    CHECK (on >= off - 0.5, "residual, %d Hz: clean speech through at %.1f dB, "
        "without %.1f", rate, on, off);
  }
  residual = 0;

  /* resynth: measured x 0.73 at both rates */
  for (int rate = 16000; rate <= 48000; rate += 32000) {
    double ratio = resynth_mel_ratio (rate, 0);
    CHECK (ratio <= 0.82, "resynth, %d Hz: log-mel distance to the clean "
        "speech x %.2f", rate, ratio);
  }

  gcn_vocoder_free (&voc);
  gcn_denoiser_free (&net);
  return gan_test_report ("test_quality_denoise");
}
