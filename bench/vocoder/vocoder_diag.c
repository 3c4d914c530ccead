/* vocoder-diag: where the copy-synthesis log-mel distance comes from.
 *
 *   vocoder-diag [--data DIR] [--copy MODEL] [--max-seconds S]
 *
 * On the held-out files of vocoder-eval, splits the vocoder's log-mel
 * distance (input features vs the output re-analysed) into
 *  - magnitude error: the features vs the mel of the magnitudes the network
 *    predicted (before any phase), and
 *  - inconsistency: the mel of the predicted magnitudes vs the output
 *    re-analysed (what the iSTFT of magnitude + phase loses),
 * by frame loudness (dB below the file's loudest frame) and by mel band
 * range; and runs offline what-ifs: mel-consistency projection of the
 * predicted magnitudes, and Griffin-Lim-style refinement of the vocoder's
 * spectra toward the input mel (offline, plain and with fast Griffin-Lim
 * momentum: DIAG_FGLA=1, slow), and the library's streaming refinement
 * (gcn_vocoder_set_refine) at several settings. Columns: all frames, by
 * frame level, by mel band range. */
#include "gt.h"
#include "gcn_vocoder.h"
#include "griffin_lim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NLEV 4
#define NGRP 4

static const char *holdout_dirs[] = { "speech/arctic", "speech/librispeech",
  NULL };

typedef struct {
  double sum, lev[NLEV], grp[NGRP];
  long n, nlev[NLEV], ngrp[NGRP];
} dist;

static void
mel_of_mag (const gcn_vocoder *v, const float *mag, float *lm)
{
  gcn_vocoder_mel_from_mag (v, mag, lm);
}

/* level bucket of each frame: 0: within 20 dB of the loudest, 1: 20-40,
 * 2: 40-60, 3: quieter */
static void
frame_levels (const gcn_vocoder *v, const float *lm, int T, int *lev)
{
  int M = v->cfg.n_mels;
  double *e = malloc (T * sizeof (double)), emax = 1e-30;
  for (int t = 0; t < T; t++) {
    e[t] = 0;
    for (int m = 0; m < M; m++)
      e[t] += expf (2 * lm[(size_t) t * M + m]);
    emax = fmax (emax, e[t]);
  }
  for (int t = 0; t < T; t++) {
    double db = 10 * log10 (emax / fmax (e[t], 1e-30));
    lev[t] = db < 20 ? 0 : db < 40 ? 1 : db < 60 ? 2 : 3;
  }
  free (e);
}

static void
dist_add (dist *d, const gcn_vocoder *v, const float *a, const float *b,
    int T, const int *lev)
{
  int M = v->cfg.n_mels;
  for (int t = 0; t < T; t++)
    for (int m = 0; m < M; m++) {
      double x = fabs (a[(size_t) t * M + m] - b[(size_t) t * M + m]);
      d->sum += x;
      d->n++;
      d->lev[lev[t]] += x;
      d->nlev[lev[t]]++;
      int g = m * NGRP / M;
      d->grp[g] += x;
      d->ngrp[g]++;
    }
}

static void
dist_print (const char *name, const dist *d)
{
  printf ("%-34s %7.4f |", name, d->sum / d->n);
  for (int l = 0; l < NLEV; l++)
    printf (" %7.4f", d->nlev[l] ? d->lev[l] / d->nlev[l] : NAN);
  printf (" |");
  for (int g = 0; g < NGRP; g++)
    printf (" %7.4f", d->grp[g] / d->ngrp[g]);
  printf ("\n");
}

/* Overlap-add of the vocoder's framing (as gcn_vocoder synthesises). */
static void
istft (gcn_vocoder *v, const float *spec, int T, float *frame, float *y)
{
  int N = v->cfg.n_fft, hop = v->cfg.hop, B = v->bins, len = T * hop;
  memset (y, 0, len * sizeof (float));
  for (int t = 0; t < T; t++) {
    gc_stft_irfft (v->fft, spec + (size_t) t * B * 2, frame);
    int start = (t + 1) * hop - N;
    for (int n = 0; n < N; n++)
      if (start + n >= 0)
        y[start + n] += frame[n] * v->window[n] / 1.5f;
  }
}

/* Scale magnitudes per bin so that their mel equals the target log-mel:
 * multiplicative updates s_k *= sum_m W_mk M_m / sum_m W_mk P_m. */
static void
project_mel (const gcn_vocoder *v, const float *logmel, float *mag,
    int iters)
{
  int B = v->bins, M = v->cfg.n_mels;
  const float *W = v->mel.weights;
  float tm[512], pm[512], num[1024], den[1024];
  for (int m = 0; m < M; m++)
    tm[m] = expf (logmel[m]);
  for (int it = 0; it < iters; it++) {
    gc_filterbank_apply (&v->mel, mag, pm);
    for (int k = 0; k < B; k++)
      num[k] = den[k] = 0;
    for (int m = 0; m < M; m++)
      for (int k = v->mel.first[m]; k <= v->mel.last[m]; k++) {
        num[k] += W[(size_t) m * B + k] * tm[m];
        den[k] += W[(size_t) m * B + k] * fmaxf (pm[m], 1e-12f);
      }
    for (int k = 0; k < B; k++)
      if (den[k] > 0)
        mag[k] *= num[k] / den[k];
  }
}

/* Replace the magnitudes of spec, keep its phase. */
static void
set_mag (float *spec, const float *mag, int n)
{
  for (int k = 0; k < n; k++) {
    float re = spec[2 * k], im = spec[2 * k + 1], a = hypotf (re, im);
    if (a > 1e-20f) {
      spec[2 * k] = mag[k] * re / a;
      spec[2 * k + 1] = mag[k] * im / a;
    } else {
      spec[2 * k] = mag[k];
      spec[2 * k + 1] = 0;
    }
  }
}

enum { TGT_PRED, TGT_MEL };
static float g_alpha = 0;     /* fast Griffin-Lim momentum (Perraudin 2013) */

/* iters rounds of: synthesise, re-analyse, impose the target magnitude
 * (TGT_PRED: the predicted magnitudes; TGT_MEL: the re-analysed
 * magnitudes projected onto the input mel). */
static void
refine (gcn_vocoder *v, float *spec, const float *pmag, const float *lm,
    int T, int iters, int tgt, float *y)
{
  int B = v->bins, len = T * v->cfg.hop;
  float *frame = malloc (v->cfg.n_fft * sizeof (float));
  float *mag = malloc (B * sizeof (float));
  size_t TB2 = (size_t) T * B * 2;
  float *prev = malloc (TB2 * sizeof (float));
  int have_prev = 0;
  for (int it = 0; it < iters; it++) {
    istft (v, spec, T, frame, y);
    gcn_vocoder_analyze (v, y, len, NULL, spec);
    for (int t = 0; t < T; t++) {
      float *sp = spec + (size_t) t * B * 2;
      if (tgt == TGT_PRED) {
        set_mag (sp, pmag + (size_t) t * B, B);
      } else {
        for (int k = 0; k < B; k++)
          mag[k] = hypotf (sp[2 * k], sp[2 * k + 1]);
        project_mel (v, lm + (size_t) t * v->cfg.n_mels, mag, 4);
        set_mag (sp, mag, B);
      }
    }
    if (g_alpha > 0) {
      for (size_t q = 0; q < TB2; q++) {
        float pc = spec[q];
        if (have_prev)
          spec[q] = pc + g_alpha * (pc - prev[q]);
        prev[q] = pc;
      }
      have_prev = 1;
    }
  }
  istft (v, spec, T, frame, y);
  free (prev);
  free (frame);
  free (mag);
}


#define NEXP 32
static const char *exp_names[NEXP];
static dist exps[NEXP];

static void
score (int e, const char *name, gcn_vocoder *v, const float *lm_in,
    const float *y, int len, const int *lev)
{
  int T = gcn_vocoder_frames (v, len);
  float *lm = malloc ((size_t) T * v->cfg.n_mels * sizeof (float));
  gcn_vocoder_analyze (v, y, len, lm, NULL);
  exp_names[e] = name;
  dist_add (&exps[e], v, lm_in, lm, T, lev);
  free (lm);
}

int
main (int argc, char **argv)
{
  const char *data = "../shared/data", *copy = "models/vocoder-16k.safetensors";
  double max_s = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp (argv[i], "--data"))
      data = argv[i + 1];
    else if (!strcmp (argv[i], "--copy"))
      copy = argv[i + 1];
    else if (!strcmp (argv[i], "--max-seconds"))
      max_s = atof (argv[i + 1]);
  }
  gc_set_default_threads (1);
  gcn_vocoder v;
  if (gcn_vocoder_load_file (&v, copy) < 0) {
    fprintf (stderr, "vocoder-diag: %s\n", gc_last_error ());
    return 1;
  }
  int rate = v.cfg.sample_rate, hop = v.cfg.hop, B = v.bins;
  int M = v.cfg.n_mels;
  long levcount[NLEV] = { 0 }, frames = 0;
  for (int d = 0; holdout_dirs[d]; d++) {
    char dir[1024];
    snprintf (dir, sizeof dir, "%s/%s", data, holdout_dirs[d]);
    char **paths = NULL;
    int n = gt_list_files (NULL, dir, ".flac,.wav", &paths);
    for (int i = 0; i < n; i++) {
      float *x = NULL;
      long nx = 0;
      if (gt_load_audio (NULL, paths[i], rate, &x, &nx) < 0)
        continue;
      long cap = (long) (max_s * rate);
      int len = (int) ((nx < cap ? nx : cap) / hop * hop);
      float peak = 1e-9f;
      for (int j = 0; j < len; j++)
        peak = fmaxf (peak, fabsf (x[j]));
      for (int j = 0; j < len; j++)
        x[j] *= 0.5f / peak;
      int T = gcn_vocoder_frames (&v, len);
      size_t TB = (size_t) T * B, TM = (size_t) T * M;
      float *lm_in = malloc (TM * sizeof (float));
      float *lm_pm = malloc (TM * sizeof (float));
      float *pmag = malloc (TB * sizeof (float));
      float *spec = malloc (TB * 2 * sizeof (float));
      float *y = calloc (len, sizeof (float));
      int *lev = malloc (T * sizeof (int));
      gcn_vocoder_analyze (&v, x, len, lm_in, NULL);
      frame_levels (&v, lm_in, T, lev);
      for (int t = 0; t < T; t++)
        levcount[lev[t]]++;
      frames += T;

      /* the network's own output, without the refinement */
      gcn_vocoder_acts a;
      memset (&a, 0, sizeof a);
      gcn_vocoder_config keep = v.cfg;
      gcn_vocoder_set_refine (&v, 0, 0, 0);
      gcn_vocoder_forward (&v, x, 1, len, y, &a);
      gcn_vocoder_set_refine (&v, keep.refine_lookahead, keep.refine_iters,
          keep.refine_momentum);
      for (size_t q = 0; q < TB; q++)
        pmag[q] = expf (fminf (fmaxf (a.logmag[q], -15.0f), 8.0f));
      for (int t = 0; t < T; t++)
        mel_of_mag (&v, pmag + (size_t) t * B, lm_pm + (size_t) t * M);
      int e = 0;
      exp_names[e] = "magnitude error (in vs pred mag)";
      dist_add (&exps[e++], &v, lm_in, lm_pm, T, lev);
      {
        float *lm_out = malloc (TM * sizeof (float));
        gcn_vocoder_analyze (&v, y, len, lm_out, NULL);
        exp_names[e] = "inconsistency (pred mag vs out)";
        dist_add (&exps[e++], &v, lm_pm, lm_out, T, lev);
        free (lm_out);
      }
      score (e++, "vocoder, no refinement", &v, lm_in, y, len, lev);

      /* (a) projection of the predicted magnitudes onto the input mel,
       * same phases */
      float *pm2 = malloc (TB * sizeof (float));
      memcpy (pm2, pmag, TB * sizeof (float));
      for (int t = 0; t < T; t++)
        project_mel (&v, lm_in + (size_t) t * M, pm2 + (size_t) t * B, 8);
      {
        float *lmp = malloc (TM * sizeof (float));
        for (int t = 0; t < T; t++)
          mel_of_mag (&v, pm2 + (size_t) t * B, lmp + (size_t) t * M);
        exp_names[e] = "(a) projected mag (in vs mag)";
        dist_add (&exps[e++], &v, lm_in, lmp, T, lev);
        free (lmp);
      }
      memcpy (spec, a.spec_out, TB * 2 * sizeof (float));
      set_mag (spec, pm2, (int) TB);
      refine (&v, spec, NULL, NULL, T, 0, TGT_PRED, y);
      score (e++, "(a) projected, vocoder phase", &v, lm_in, y, len, lev);

      /* (b) offline Griffin-Lim from the vocoder's spectra: toward its
       * predicted magnitudes, and toward the input mel (re-analysed
       * magnitudes projected onto it) */
      memcpy (spec, a.spec_out, TB * 2 * sizeof (float));
      refine (&v, spec, pmag, lm_in, T, 4, TGT_PRED, y);
      score (e++, "(b) GL-4 to pred mag", &v, lm_in, y, len, lev);
      static const int its[] = { 1, 4, 8, 32 };
      static const char *nm_m[] = { "(a+b) GL-1 to input mel",
        "(a+b) GL-4 to input mel", "(a+b) GL-8 to input mel",
        "(a+b) GL-32 to input mel" };
      for (int q = 0; q < 4; q++) {
        memcpy (spec, a.spec_out, TB * 2 * sizeof (float));
        set_mag (spec, pm2, (int) TB);
        refine (&v, spec, pmag, lm_in, T, its[q], TGT_MEL, y);
        score (e++, nm_m[q], &v, lm_in, y, len, lev);
      }
      static const int fits[] = { 16, 32, 100 };
      static const char *nm_f[] = { "(a+b) FGLA-16 (0.9) to input mel",
        "(a+b) FGLA-32 (0.9) to input mel",
        "(a+b) FGLA-100 (0.99) to input mel" };
      for (int q = 0; q < 3; q++) {
        if (getenv ("DIAG_FGLA")) {
          g_alpha = q < 2 ? 0.9f : 0.99f;
          memcpy (spec, a.spec_out, TB * 2 * sizeof (float));
          refine (&v, spec, pmag, lm_in, T, fits[q], TGT_MEL, y);
          g_alpha = 0;
          score (e, nm_f[q], &v, lm_in, y, len, lev);
        }
        e++;
      }
      /* Griffin-Lim baseline, and GL from NNLS with the mel target */
      gl_mel_to_mag (&v, lm_in, T, pm2);
      gl_reconstruct (&v, pm2, T, 32, 1, y);
      score (e++, "GL-32 on mel (baseline)", &v, lm_in, y, len, lev);
      /* the library's streaming refinement (look-ahead, passes,
       * momentum), as the model file or gcn_vocoder_set_refine sets it */
      {
        static const int cfgs[][3] = { {2, 2, 60}, {4, 4, 60}, {5, 4, 60},
          {6, 3, 60}, {6, 4, 0}, {6, 4, 60}, {6, 4, 90}, {8, 3, 60} };
        static char names[8][64];
        int ncfg = (int) (sizeof cfgs / sizeof cfgs[0]);
        gcn_vocoder_config keep = v.cfg;
        for (int q = 0; q < ncfg; q++) {
          snprintf (names[q], 64, "refine L%d I%d momentum %.1f", cfgs[q][0],
              cfgs[q][1], cfgs[q][2] / 100.0);
          gcn_vocoder_set_refine (&v, cfgs[q][0], cfgs[q][1],
              cfgs[q][2] / 100.0f);
          gcn_vocoder_acts b;
          memset (&b, 0, sizeof b);
          gcn_vocoder_forward (&v, x, 1, len, y, &b);
          gcn_vocoder_acts_free (&b);
          score (e++, names[q], &v, lm_in, y, len, lev);
        }
        gcn_vocoder_set_refine (&v, keep.refine_lookahead, keep.refine_iters,
            keep.refine_momentum);
      }
      gcn_vocoder_acts_free (&a);
      free (lm_in);
      free (lm_pm);
      free (pmag);
      free (pm2);
      free (spec);
      free (y);
      free (lev);
      free (x);
    }
    gt_free_list (paths, n);
  }
  printf ("frames: %ld; by level (dB below the file's loudest frame) "
      "<20: %.1f %%, 20-40: %.1f %%, 40-60: %.1f %%, >60: %.1f %%\n", frames,
      100.0 * levcount[0] / frames, 100.0 * levcount[1] / frames,
      100.0 * levcount[2] / frames, 100.0 * levcount[3] / frames);
  printf ("%-34s %7s | %7s %7s %7s %7s | %7s %7s %7s %7s\n", "", "all",
      "<20dB", "20-40", "40-60", ">60", "m0-19", "m20-39", "m40-59",
      "m60-79");
  for (int e = 0; e < NEXP; e++)
    if (exp_names[e] && exps[e].n)
      dist_print (exp_names[e], &exps[e]);
  gcn_vocoder_free (&v);
  return 0;
}
