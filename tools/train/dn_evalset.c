/* gan-train denoise: evaluation sets written as WAV: the shared-data held-out
 * set and the leave-source-out sets. */
#include "dn_internal.h"
#include "gt_wav.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* x = s + noise n scaled to snr_db against the speech power ps; if the
 * mixture peaks above `peak`, both x and s are scaled down to it (the
 * clean reference stays the exact speech part of x). */
static void
mix_at_snr (float *s, const float *n, float *x, long len, double ps,
    double snr_db, float peak)
{
  double pn = dn_power (n, len);
  float ng = pn > 1e-12 ? (float) sqrt (ps / pn * pow (10, -snr_db / 10.0))
      : 0.f;
  float top = 0;
  for (long k = 0; k < len; k++) {
    x[k] = s[k] + ng * n[k];
    top = fmaxf (top, fabsf (x[k]));
  }
  if (top > peak)
    for (long k = 0; k < len; k++) {
      x[k] *= peak / top;
      s[k] *= peak / top;
    }
}

/* DIR/<rate>/snr<S>/{clean,noisy}.wav: items of held-out speech separated
 * by short pauses, in one continuous held-out noise at the given SNR
 * (speech power over the speech parts). */
int
dn_make_eval (gt_ctx *c, const char *dir)
{
  static const int rates[] = { 48000, 16000 };
  static const int snrs[] = { -5, 0, 5, 10, 15 };
  int items = (int) gt_setting_int_or (c, gt_denoise_settings, "eval_items",
      16);
  double secs = gt_setting_float_or (c, gt_denoise_settings,
      "eval_seconds", 4.0);
  /* 1000: the test set; another base draws a development set from the
   * same held-out speakers and noises */
  long seed_base = gt_setting_int (c, gt_denoise_settings, "eval_seed");

  for (int ri = 0; ri < 2; ri++) {
    int rate = rates[ri];
    dn_data d;
    memset (&d, 0, sizeof d);
    if (dn_load_sets (c, &d, rate, 1) < 0 || d.eval_speech.n == 0
        || d.eval_noise.n == 0) {
      gc_set_error ("denoise: held-out speech or noise missing");
      dn_data_free (&d);
      return -1;
    }
    long seg = (long) (secs * rate), gap = rate / 4;
    long len = items * (seg + gap) + gap;
    float *s = calloc (len, sizeof (float)), *n = malloc (len * sizeof (float));
    float *x = malloc (len * sizeof (float));
    for (int si = 0; si < 5; si++) {
      gc_rng r;
      char path[4096];
      gc_rng_seed (&r, (uint64_t) (seed_base + si));
      memset (s, 0, len * sizeof (float));
      double ps = 0;
      for (int i = 0; i < items; i++) {
        float *dst = s + gap + i * (seg + gap);
        dn_speech_excerpt (&d.eval_speech, &r, dst, seg);
        dn_highpass_at (dst, seg, 30, rate);  /* DC and rumble are not speech */
        double p = dn_power (dst, seg);
        float g = p > 1e-12 ? (float) (0.05 / sqrt (p)) : 0.f;   /* -26 dBFS */
        for (long k = 0; k < seg; k++)
          dst[k] *= g;
        ps += dn_power (dst, seg);
      }
      ps /= items;
      dn_excerpt (&d.eval_noise, &r, n, len);
      mix_at_snr (s, n, x, len, ps, snrs[si], 0.95f);
      snprintf (path, sizeof path, "%s/%dk/snr%d", dir, rate / 1000, snrs[si]);
      char cmd[4200];
      snprintf (cmd, sizeof cmd, "mkdir -p '%s'", path);
      if (system (cmd) != 0)
        return -1;
      char f1[4200], f2[4200];
      snprintf (f1, sizeof f1, "%s/clean.wav", path);
      snprintf (f2, sizeof f2, "%s/noisy.wav", path);
      if (gt_wav_write_float (f1, s, len, rate) < 0
          || gt_wav_write_float (f2, x, len, rate) < 0)
        return -1;
      fprintf (stderr, "denoise: wrote %s (%.1f s)\n", path, (double) len / rate);
    }
    free (s);
    free (n);
    free (x);
    dn_data_free (&d);
  }
  return 0;
}

/* One evaluation set's sources at one rate: speech clips, and noise clips
 * by category (the first folder below eval_noise). */
typedef struct lso_sets {
  clip_set speech;
  clip_set cat[32];
  char name[32][64];
  int ncat;
} lso_sets;

static void
lso_free (lso_sets *e)
{
  dn_set_free (&e->speech);
  for (int i = 0; i < e->ncat; i++)
    dn_set_free (&e->cat[i]);
}

static int
lso_load (gt_ctx *c, lso_sets *e, const char *speech_dir,
    const char *noise_dir, int rate)
{
  memset (e, 0, sizeof *e);
  if (dn_load_dir (c, speech_dir, ".flac,.ogg,.wav", rate, &e->speech, NULL,
          NULL, rate / 4, NULL) < 0)
    return -1;
  dn_set_balance (&e->speech, 0.5);
  char **paths = NULL;
  int n = gt_list_files (c, noise_dir, ".flac,.ogg,.wav", &paths);
  if (n < 0)
    return -1;
  char *root = dn_data_root (c, noise_dir);
  size_t rl = root ? strlen (root) : 0;
  for (int i = 0; i < n; i++) {
    const char *rel = root && !strncmp (paths[i], root, rl) ? paths[i] + rl + 1
        : paths[i];
    const char *slash = strchr (rel, '/');
    if (!slash || slash - rel >= 64)
      continue;                 /* files must sit in a category folder */
    int k = 0;
    while (k < e->ncat && (strlen (e->name[k]) != (size_t) (slash - rel)
            || strncmp (e->name[k], rel, slash - rel)))
      k++;
    if (k == e->ncat) {
      if (e->ncat == 32)
        continue;
      memcpy (e->name[k], rel, slash - rel);
      e->name[k][slash - rel] = 0;
      e->ncat++;
    }
    float *x = NULL;
    long len = 0;
    if (gt_load_audio (c, paths[i], rate, &x, &len) < 0 || len < rate / 10
        || dn_power (x, len) < 1e-9) {
      free (x);
      continue;
    }
    if (dn_set_add (&e->cat[k], x, len) < 0)
      free (x);
    else
      e->cat[k].c[e->cat[k].n - 1].group = dn_group_of (root, paths[i]);
  }
  gt_free_list (paths, n);
  free (root);
  return 0;
}

/* Fill out[len] with pieces of clips drawn from s, back to back: with
 * pauses of 0.15-0.5 s for speech (isolated words become a phrase), with
 * 10 ms crossfades for noise (short recordings loop into a steady
 * background instead of one event in silence). */
static void
fill_from (const clip_set *s, gc_rng *r, float *out, long len, int rate,
    int speech)
{
  long pos = 0, fade = rate / 100;
  memset (out, 0, len * sizeof (float));
  while (pos < len) {
    const clip *c = dn_pick_clip (s, r);
    long want = len - pos;
    long take = c->n < want ? c->n : want;
    long off = (long) (gc_rng_uniform (r) * (c->n - take + 1));
    for (long k = 0; k < take; k++) {
      float w = 1.f;
      if (!speech && k < fade && pos > 0)
        w = (float) k / fade;
      out[pos + k] = out[pos + k] * (1.f - w) + c->x[off + k] * w;
    }
    if (speech)
      pos += take + (long) (rate * (0.15 + 0.35 * gc_rng_uniform (r)));
    else
      pos += take > 2 * fade ? take - fade : take;
  }
}

/* The speech-active power of s: frames of 20 ms within 30 dB of the
 * loudest (SNR counts where someone speaks, not the pauses). */
static double
active_power (const float *s, long len, int rate)
{
  long fl = rate / 50;
  double maxp = 0, sum = 0;
  long cnt = 0;
  for (long i = 0; i + fl <= len; i += fl)
    maxp = fmax (maxp, dn_power (s + i, fl));
  for (long i = 0; i + fl <= len; i += fl) {
    double p = dn_power (s + i, fl);
    if (p > maxp * 1e-3) {
      sum += p;
      cnt++;
    }
  }
  return cnt ? sum / cnt : 0;
}

/* DIR/<rate>k/<id>.{clean,noisy}.wav and DIR/<rate>k/items.tsv (id, snr,
 * category): for every noise category of eval_noise (plus "babble", four
 * to seven talkers of the set's own speech) and every SNR, eval_items items
 * of eval_seconds, each a phrase of the eval_speech sources at -26 dBFS
 * +-6 dB in a steady stretch of that category's noise. Both rates draw the
 * same items. */
int
dn_make_eval_lso (gt_ctx *c, const char *dir, const char *speech_dir,
    const char *noise_dir)
{
  static const int rates[] = { 48000, 16000 };
  static const int snrs[] = { -5, 0, 5, 10, 15 };
  int items = (int) gt_setting_int_or (c, gt_denoise_settings, "eval_items",
      4);
  double secs = gt_setting_float_or (c, gt_denoise_settings,
      "eval_seconds", 6.0);
  long seed_base = gt_setting_int (c, gt_denoise_settings, "eval_seed");
  for (int ri = 0; ri < 2; ri++) {
    int rate = rates[ri];
    lso_sets e;
    if (lso_load (c, &e, speech_dir, noise_dir, rate) < 0 || e.speech.n == 0
        || e.ncat == 0) {
      gc_set_error ("denoise: no speech under %s or no noise category "
          "folders under %s", speech_dir, noise_dir);
      lso_free (&e);
      return -1;
    }
    long len = (long) (secs * rate);
    float *s = malloc (len * sizeof (float)), *nz = malloc (len * sizeof (float));
    float *x = malloc (len * sizeof (float)), *tmp = malloc (len * sizeof (float));
    char path[4096], list[4200];
    snprintf (path, sizeof path, "%s/%dk", dir, rate / 1000);
    snprintf (list, sizeof list, "mkdir -p '%s'", path);
    FILE *tsv = NULL;
    if (!s || !nz || !x || !tmp || system (list) != 0) {
      gc_set_error ("denoise: cannot make %s", path);
      goto fail;
    }
    snprintf (list, sizeof list, "%s/items.tsv", path);
    tsv = fopen (list, "w");
    if (!tsv) {
      gc_set_error ("%s: cannot write", list);
      goto fail;
    }
    fprintf (tsv, "id\tsnr\tcategory\n");
    for (int k = 0; k <= e.ncat; k++) {
      const char *cat = k < e.ncat ? e.name[k] : "babble";
      for (int si = 0; si < 5; si++)
        for (int it = 0; it < items; it++) {
          gc_rng r;
          /* the same draws at both rates, other ones for every item */
          gc_rng_seed (&r, (uint64_t) seed_base * 1000003u + k * 1009u
              + si * 101u + it);
          fill_from (&e.speech, &r, s, len, rate, 1);
          dn_highpass_at (s, len, 30, rate);
          double ps = active_power (s, len, rate);
          float g = ps > 1e-12 ? (float) (0.05 * pow (10, (-6 + 12
                      * gc_rng_uniform (&r)) / 20) / sqrt (ps)) : 0.f;
          for (long i = 0; i < len; i++)
            s[i] *= g;
          ps *= (double) g * g;
          if (k < e.ncat) {
            fill_from (&e.cat[k], &r, nz, len, rate, 0);
          } else {
            int talkers = 4 + (int) (gc_rng_uniform (&r) * 4);
            memset (nz, 0, len * sizeof (float));
            for (int t = 0; t < talkers; t++) {
              fill_from (&e.speech, &r, tmp, len, rate, 1);
              float tg = (float) (1.0 / sqrt (dn_power (tmp, len) + 1e-12));
              for (long i = 0; i < len; i++)
                nz[i] += tg * tmp[i];
            }
          }
          mix_at_snr (s, nz, x, len, ps, snrs[si], 0.99f);
          char f1[4300], f2[4300];
          snprintf (f1, sizeof f1, "%s/snr%d_%s_%d.clean.wav", path, snrs[si],
              cat, it);
          snprintf (f2, sizeof f2, "%s/snr%d_%s_%d.noisy.wav", path, snrs[si],
              cat, it);
          if (gt_wav_write_float (f1, s, len, rate) < 0
              || gt_wav_write_float (f2, x, len, rate) < 0) {
            gc_set_error ("%s: cannot write", f1);
            goto fail;
          }
          fprintf (tsv, "snr%d_%s_%d\t%d\t%s\n", snrs[si], cat, it, snrs[si],
              cat);
        }
    }
    fprintf (stderr, "denoise: wrote %s (%d categories, %d items)\n", path,
        e.ncat + 1, (e.ncat + 1) * 5 * items);
    fclose (tsv);
    free (s);
    free (nz);
    free (x);
    free (tmp);
    lso_free (&e);
    continue;
  fail:
    if (tsv)
      fclose (tsv);
    free (s);
    free (nz);
    free (x);
    free (tmp);
    lso_free (&e);
    return -1;
  }
  return 0;
}
