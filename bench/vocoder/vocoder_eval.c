/* vocoder-eval: the bars for the GAN vocoder, on held-out speech.
 *
 *   vocoder-eval [--data DIR] [--copy MODEL] [--nb2wb MODEL] [--png DIR]
 *                [--gl-iters N] [--max-seconds S] [--refine L,I,M]
 *
 * --refine overrides the copy model's phase refinement (look-ahead frames,
 * iterations, momentum; 0,0,0 turns it off), to measure the settings.
 *
 * Held out (no recipe reads them): speech/arctic and speech/librispeech.
 *  copy:  clean -> log-mel -> vocoder; STOI against the clean signal and
 *         log-mel distance (mean |log mel - log mel|, the features' own 80
 *         bands), next to Griffin-Lim (32 iterations, NNLS mel inversion)
 *         on the same features. Bars: STOI >= 0.95, LMD <= GL / 2.
 *  nb2wb: clean 16 kHz -> 8 kHz -> vocoder -> 16 kHz; log-spectral distance
 *         (dB) over 4-8 kHz against the clean signal, next to plain
 *         resampling of the 8 kHz signal; STOI of the 0-4 kHz band against
 *         the clean low band. Bars: LSD clearly lower (<= 0.5 x resampling),
 *         low-band STOI >= 0.95.
 * PNGs: spectrograms (original | Griffin-Lim | vocoder) and
 * (narrowband | wideband | original) of the first held-out file. */
#include "gt.h"
#include "gt_metrics.h"
#include "gt_png.h"
#include "gcn_vocoder.h"
#include "griffin_lim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *holdout_dirs[] = { "speech/arctic", "speech/librispeech",
  NULL };

static float *
run_vocoder (gcn_vocoder *v, const float *x, int len)
{
  float *y = calloc (len, sizeof (float));
  gcn_vocoder_acts a;
  memset (&a, 0, sizeof a);
  if (y && gcn_vocoder_forward (v, x, 1, len, y, &a) < 0) {
    free (y);
    y = NULL;
  }
  gcn_vocoder_acts_free (&a);
  return y;
}

/* Mean |log mel x - log mel y| over frames and bands. */
static double
logmel_distance (gcn_vocoder *v, const float *x, const float *y, int len)
{
  int T = gcn_vocoder_frames (v, len), M = v->cfg.n_mels;
  float *a = malloc ((size_t) T * M * sizeof (float));
  float *b = malloc ((size_t) T * M * sizeof (float));
  gcn_vocoder_analyze (v, x, len, a, NULL);
  gcn_vocoder_analyze (v, y, len, b, NULL);
  double s = 0;
  for (size_t i = 0; i < (size_t) T * M; i++)
    s += fabs (a[i] - b[i]);
  free (a);
  free (b);
  return s / ((double) T * M);
}

/* The same distance in the common HiFi-GAN convention, for comparison
 * with published numbers: 1024-point STFT, hop 256, 80 Slaney-normalised
 * mel bands to 8 kHz, log of the magnitude clamped at 1e-5. */
static double
logmel_distance_std (const float *x, const float *y, int len, int rate)
{
  gc_stft *st = gc_stft_new (1024, 1024, 256, GC_WIN_HANN);
  gc_filterbank fb;
  if (!st || gc_filterbank_mel (&fb, 80, 1024, rate, 0, rate / 2.0f, 0, 1)
      < 0)
    return NAN;
  int T = gc_stft_frames (st, len), B = gc_stft_bins (st);
  float *sx = malloc ((size_t) T * B * 2 * sizeof (float));
  float *sy = malloc ((size_t) T * B * 2 * sizeof (float));
  float *mx = malloc (B * sizeof (float)), *my = malloc (B * sizeof (float));
  float ex[80], ey[80];
  gc_stft_forward (st, x, len, sx);
  gc_stft_forward (st, y, len, sy);
  double s = 0;
  for (int t = 0; t < T; t++) {
    for (int k = 0; k < B; k++) {
      const float *p = sx + ((size_t) t * B + k) * 2;
      const float *q = sy + ((size_t) t * B + k) * 2;
      mx[k] = sqrtf (p[0] * p[0] + p[1] * p[1] + 1e-9f);
      my[k] = sqrtf (q[0] * q[0] + q[1] * q[1] + 1e-9f);
    }
    gc_filterbank_apply (&fb, mx, ex);
    gc_filterbank_apply (&fb, my, ey);
    for (int m = 0; m < 80; m++)
      s += fabs (log (fmax (ex[m], 1e-5)) - log (fmax (ey[m], 1e-5)));
  }
  free (sx);
  free (sy);
  free (mx);
  free (my);
  gc_filterbank_free (&fb);
  gc_stft_free (st);
  return s / ((double) T * 80);
}

/* Log-spectral distance in dB over [f_lo, f_hi), frames whose clean energy
 * is within 40 dB of the loudest (speech, not pauses). */
static double
lsd_band (gcn_vocoder *v, const float *x, const float *y, int len,
    float f_lo, float f_hi)
{
  int T = gcn_vocoder_frames (v, len), B = v->bins;
  float *sx = malloc ((size_t) T * B * 2 * sizeof (float));
  float *sy = malloc ((size_t) T * B * 2 * sizeof (float));
  gcn_vocoder_analyze (v, x, len, NULL, sx);
  gcn_vocoder_analyze (v, y, len, NULL, sy);
  float bin_hz = (float) v->cfg.sample_rate / v->cfg.n_fft;
  int k0 = (int) ceilf (f_lo / bin_hz), k1 = (int) floorf (f_hi / bin_hz);
  if (k1 > B)
    k1 = B;
  double *e = calloc (T, sizeof (double)), emax = 0;
  for (int t = 0; t < T; t++) {
    for (int k = 0; k < B; k++) {
      const float *p = sx + ((size_t) t * B + k) * 2;
      e[t] += p[0] * p[0] + p[1] * p[1];
    }
    emax = fmax (emax, e[t]);
  }
  double sum = 0;
  int n = 0;
  for (int t = 0; t < T; t++) {
    if (e[t] < emax * 1e-4)
      continue;
    double d2 = 0;
    for (int k = k0; k < k1; k++) {
      const float *p = sx + ((size_t) t * B + k) * 2;
      const float *q = sy + ((size_t) t * B + k) * 2;
      double px = p[0] * p[0] + p[1] * p[1], py = q[0] * q[0] + q[1] * q[1];
      double d = 10 * log10 (px + 1e-8) - 10 * log10 (py + 1e-8);
      d2 += d * d;
    }
    sum += sqrt (d2 / (k1 - k0));
    n++;
  }
  free (sx);
  free (sy);
  free (e);
  return n ? sum / n : NAN;
}

/* ---- spectrogram pictures ------------------------------------------------ */

static void
colour (float u, uint8_t *rgb)
{
  /* black - purple - orange - yellow, readable in print */
  u = fminf (fmaxf (u, 0), 1);
  float r = fminf (1, 1.8f * u), g = fmaxf (0, 1.6f * u - 0.6f);
  float b = u < 0.5f ? 0.8f * u * 2 * (1 - u) + 0.1f * u : 0.4f * (1 - u);
  rgb[0] = (uint8_t) (255 * r);
  rgb[1] = (uint8_t) (255 * g);
  rgb[2] = (uint8_t) (255 * fminf (1, b * 1.5f));
}

static int
spectro_png (gcn_vocoder *v, const char *path, const float *const *sig,
    int n_sig, int len)
{
  int T = gcn_vocoder_frames (v, len), B = v->bins, gap = 6;
  int W = n_sig * T + (n_sig - 1) * gap, H = B;
  uint8_t *img = malloc ((size_t) W * H * 3);
  float *spec = malloc ((size_t) T * B * 2 * sizeof (float));
  if (!img || !spec)
    return -1;
  memset (img, 255, (size_t) W * H * 3);
  /* one dB scale for all panels: 80 dB below the loudest bin of the first */
  double top = -1e30;
  for (int s = 0; s < n_sig; s++) {
    gcn_vocoder_analyze (v, sig[s], len, NULL, spec);
    if (s == 0)
      for (size_t i = 0; i < (size_t) T * B; i++)
        top = fmax (top, 10 * log10 (spec[2 * i] * spec[2 * i]
                + spec[2 * i + 1] * spec[2 * i + 1] + 1e-12));
    for (int t = 0; t < T; t++)
      for (int k = 0; k < B; k++) {
        const float *p = spec + ((size_t) t * B + k) * 2;
        double db = 10 * log10 (p[0] * p[0] + p[1] * p[1] + 1e-12);
        int col = s * (T + gap) + t, row = H - 1 - k;
        colour ((float) ((db - top + 80) / 80), img + ((size_t) row * W + col)
            * 3);
      }
  }
  int rc = gt_png_write (path, W, H, img);
  free (img);
  free (spec);
  return rc;
}

/* ---- main ---------------------------------------------------------------- */

typedef struct {
  double stoi_v, stoi_gl, lmd_v, lmd_gl, std_v, std_gl, lmd_oracle;
  double lsd_v, lsd_rs, stoi_low, stoi_wb;
  int n;
} totals;

int
main (int argc, char **argv)
{
  const char *data = "../shared/data", *copy_path = NULL, *nb_path = NULL;
  const char *png_dir = NULL;
  int gl_iters = 32;
  const char *refine = NULL;
  double max_s = 8;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!val) {
      fprintf (stderr, "vocoder-eval: %s needs a value\n", a);
      return 2;
    }
    if (!strcmp (a, "--data"))
      data = val;
    else if (!strcmp (a, "--copy"))
      copy_path = val;
    else if (!strcmp (a, "--nb2wb"))
      nb_path = val;
    else if (!strcmp (a, "--png"))
      png_dir = val;
    else if (!strcmp (a, "--gl-iters"))
      gl_iters = atoi (val);
    else if (!strcmp (a, "--max-seconds"))
      max_s = atof (val);
    else if (!strcmp (a, "--refine"))
      refine = val;
    else {
      fprintf (stderr, "usage: vocoder-eval [--data DIR] [--copy MODEL] "
          "[--nb2wb MODEL] [--png DIR] [--gl-iters N] [--max-seconds S] "
          "[--refine L,I,M]\n");
      return 2;
    }
    i++;
  }
  gc_set_default_threads (1);
  gcn_vocoder vc, vn;
  int have_c = 0, have_n = 0;
  if (copy_path) {
    if (gcn_vocoder_load_file (&vc, copy_path) < 0) {
      fprintf (stderr, "vocoder-eval: %s\n", gc_last_error ());
      return 1;
    }
    have_c = 1;
    int rl = 0, ri = 0;
    float rm = 0;
    if (refine && (sscanf (refine, "%d,%d,%f", &rl, &ri, &rm) != 3
            || gcn_vocoder_set_refine (&vc, rl, ri, rm) < 0)) {
      fprintf (stderr, "vocoder-eval: bad --refine '%s' %s\n", refine,
          gc_last_error ());
      return 2;
    }
    printf ("copy model: refinement look-ahead %d, iterations %d, momentum "
        "%g; latency %d samples\n", vc.cfg.refine_lookahead,
        vc.cfg.refine_iters, vc.cfg.refine_momentum, gcn_vocoder_latency (&vc));
  }
  if (nb_path) {
    if (gcn_vocoder_load_file (&vn, nb_path) < 0) {
      fprintf (stderr, "vocoder-eval: %s\n", gc_last_error ());
      return 1;
    }
    have_n = 1;
  }
  if (!have_c && !have_n) {
    fprintf (stderr, "vocoder-eval: give --copy and/or --nb2wb\n");
    return 2;
  }
  gcn_vocoder *any = have_c ? &vc : &vn;
  int rate = any->cfg.sample_rate, hop = any->cfg.hop;
  totals tot;
  memset (&tot, 0, sizeof tot);
  printf ("%-28s %8s %8s %8s %8s | %8s %8s %8s %8s\n", "file", "stoi_voc",
      "stoi_gl", "lmd_voc", "lmd_gl", "lsd_voc", "lsd_rs", "stoi_lo",
      "stoi_wb");
  int first = 1;
  for (int d = 0; holdout_dirs[d]; d++) {
    char dir[1024];
    snprintf (dir, sizeof dir, "%s/%s", data, holdout_dirs[d]);
    char **paths = NULL;
    int n = gt_list_files (NULL, dir, ".flac,.wav", &paths);
    for (int i = 0; i < n; i++) {
      float *x = NULL;
      long nx = 0;
      if (gt_load_audio (NULL, paths[i], rate, &x, &nx) < 0) {
        fprintf (stderr, "vocoder-eval: %s\n", gc_last_error ());
        continue;
      }
      long cap = (long) (max_s * rate);
      int len = (int) ((nx < cap ? nx : cap) / hop * hop);
      float peak = 1e-9f;
      for (int j = 0; j < len; j++)
        peak = fmaxf (peak, fabsf (x[j]));
      for (int j = 0; j < len; j++)
        x[j] *= 0.5f / peak;
      const char *base = strrchr (paths[i], '/');
      base = base ? base + 1 : paths[i];
      double r[8];
      for (int k = 0; k < 8; k++)
        r[k] = NAN;
      float *yc = NULL, *ygl = NULL, *yn = NULL, *xnb = NULL;
      if (have_c) {
        yc = run_vocoder (&vc, x, len);
        int T = gcn_vocoder_frames (&vc, len);
        float *lm = malloc ((size_t) T * vc.cfg.n_mels * sizeof (float));
        float *mag = malloc ((size_t) T * vc.bins * sizeof (float));
        ygl = calloc (len, sizeof (float));
        gcn_vocoder_analyze (&vc, x, len, lm, NULL);
        gl_mel_to_mag (&vc, lm, T, mag);
        gl_reconstruct (&vc, mag, T, gl_iters, 1, ygl);
        r[0] = gm_stoi (x, yc, len, rate);
        r[1] = gm_stoi (x, ygl, len, rate);
        r[2] = logmel_distance (&vc, x, yc, len);
        r[3] = logmel_distance (&vc, x, ygl, len);
        /* reference point: Griffin-Lim on the true STFT magnitudes, what
         * phase retrieval alone reaches with perfect magnitudes */
        {
          float *sp = malloc ((size_t) T * vc.bins * 2 * sizeof (float));
          float *yo = calloc (len, sizeof (float));
          gcn_vocoder_analyze (&vc, x, len, NULL, sp);
          for (size_t q = 0; q < (size_t) T * vc.bins; q++)
            mag[q] = hypotf (sp[2 * q], sp[2 * q + 1]);
          gl_reconstruct (&vc, mag, T, gl_iters, 1, yo);
          tot.lmd_oracle += logmel_distance (&vc, x, yo, len);
          free (sp);
          free (yo);
        }
        tot.std_v += logmel_distance_std (x, yc, len, rate);
        tot.std_gl += logmel_distance_std (x, ygl, len, rate);
        free (lm);
        free (mag);
      }
      if (have_n) {
        long n8 = gcn_resample_len (len, rate, 8000);
        float *x8 = malloc (n8 * sizeof (float));
        xnb = malloc (len * sizeof (float));
        gcn_resample (x, len, rate, x8, n8, 8000);
        gcn_resample (x8, n8, 8000, xnb, len, rate);
        yn = run_vocoder (&vn, xnb, len);
        r[4] = lsd_band (&vn, x, yn, len, 4000, 8000);
        r[5] = lsd_band (&vn, x, xnb, len, 4000, 8000);
        /* the speech band: both low-passed to 4 kHz (8 kHz rate) */
        float *yl = malloc (n8 * sizeof (float));
        gcn_resample (yn, len, rate, yl, n8, 8000);
        r[6] = gm_stoi (x8, yl, n8, 8000);
        r[7] = gm_stoi (x, yn, len, rate);
        free (yl);
        free (x8);
      }
      printf ("%-28.28s %8.4f %8.4f %8.4f %8.4f | %8.3f %8.3f %8.4f %8.4f\n",
          base, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
      tot.stoi_v += r[0];
      tot.stoi_gl += r[1];
      tot.lmd_v += r[2];
      tot.lmd_gl += r[3];
      tot.lsd_v += r[4];
      tot.lsd_rs += r[5];
      tot.stoi_low += r[6];
      tot.stoi_wb += r[7];
      tot.n++;
      if (first && png_dir) {
        char p[1200];
        if (have_c) {
          const float *sig[3] = { x, ygl, yc };
          snprintf (p, sizeof p, "%s/vocoder-copy.png", png_dir);
          if (spectro_png (&vc, p, sig, 3, len) == 0)
            fprintf (stderr, "wrote %s (original | Griffin-Lim | vocoder)\n",
                p);
        }
        if (have_n) {
          const float *sig[3] = { xnb, yn, x };
          snprintf (p, sizeof p, "%s/vocoder-nb2wb.png", png_dir);
          if (spectro_png (&vn, p, sig, 3, len) == 0)
            fprintf (stderr, "wrote %s (narrowband | wideband | original)\n",
                p);
        }
        first = 0;
      }
      free (yc);
      free (ygl);
      free (yn);
      free (xnb);
      free (x);
    }
    gt_free_list (paths, n);
  }
  if (!tot.n) {
    fprintf (stderr, "vocoder-eval: no held-out files under %s\n", data);
    return 1;
  }
  double n = tot.n;
  printf ("%-28s %8.4f %8.4f %8.4f %8.4f | %8.3f %8.3f %8.4f %8.4f\n",
      "mean", tot.stoi_v / n, tot.stoi_gl / n, tot.lmd_v / n, tot.lmd_gl / n,
      tot.lsd_v / n, tot.lsd_rs / n, tot.stoi_low / n, tot.stoi_wb / n);
  int fail = 0;
  if (have_c) {
    int a = tot.stoi_v / n >= 0.95, b = tot.lmd_v <= 0.5 * tot.lmd_gl;
    printf ("bar copy STOI >= 0.95: %.4f %s\n", tot.stoi_v / n,
        a ? "PASS" : "FAIL");
    printf ("bar copy log-mel distance <= GL-%d / 2: %.4f vs %.4f (ratio "
        "%.2f) %s\n", gl_iters, tot.lmd_v / n, tot.lmd_gl / n,
        tot.lmd_v / tot.lmd_gl, b ? "PASS" : "FAIL");
    printf ("(reference: Griffin-Lim-%d on the true STFT magnitudes reaches "
        "%.4f)\n", gl_iters, tot.lmd_oracle / n);
    printf ("(for comparison, log-mel distance in the HiFi-GAN convention, "
        "1024/256, 80 Slaney bands: vocoder %.4f, Griffin-Lim %.4f)\n",
        tot.std_v / n, tot.std_gl / n);
    fail += !a + !b;
  }
  if (have_n) {
    int a = tot.lsd_v <= 0.5 * tot.lsd_rs, b = tot.stoi_low / n >= 0.95;
    printf ("bar nb2wb LSD 4-8 kHz <= resampling / 2: %.2f dB vs %.2f dB "
        "%s\n", tot.lsd_v / n, tot.lsd_rs / n, a ? "PASS" : "FAIL");
    printf ("bar nb2wb STOI 0-4 kHz >= 0.95: %.4f %s\n", tot.stoi_low / n,
        b ? "PASS" : "FAIL");
    fail += !a + !b;
  }
  if (have_c)
    gcn_vocoder_free (&vc);
  if (have_n)
    gcn_vocoder_free (&vn);
  return fail ? 1 : 0;
}
