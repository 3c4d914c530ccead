/* gan-train denoise: training and held-out speech, noise and rooms:
 * loading, sources and their balance, reverberation set-up. */
#include "dn_internal.h"

#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
dn_set_add (clip_set *s, float *x, long n)
{
  clip *c = realloc (s->c, (s->n + 1) * sizeof *c);
  if (!c)
    return -1;
  s->c = c;
  s->c[s->n].x = x;
  s->c[s->n].n = n;
  s->c[s->n].w = 1.0;
  s->c[s->n].group = 0;
  s->n++;
  s->total += n;
  return 0;
}

static int
contains_any (const char *path, const char *const *names)
{
  for (int i = 0; names[i]; i++)
    if (strstr (path, names[i]))
      return 1;
  return 0;
}

/* The source a file belongs to, as a hash: the first folder below the
 * folder it was listed from (noise/blanket, train/noise/music, ...), or for
 * a file right in that folder the name up to its first '_' (asterisk_en,
 * klettres_fr: one source each). */
uint64_t
dn_group_of (const char *root, const char *path)
{
  size_t rl = strlen (root);
  const char *rel = strncmp (path, root, rl) == 0 ? path + rl : path;
  while (*rel == '/')
    rel++;
  const char *end = strchr (rel, '/');
  if (!end)
    end = rel + strcspn (rel, "_.");
  uint64_t h = 1469598103934665603ull;          /* FNV-1a */
  for (const char *p = rel; p < end; p++)
    h = (h ^ (unsigned char) *p) * 1099511628211ull;
  return h;
}

/* dir as gt_list_files resolves it (absolute, no links), or NULL. */
char *
dn_data_root (gt_ctx *c, const char *dir)
{
  char *rel = gt_data_path (c, dir);
  char *abs = rel ? realpath (rel, NULL) : NULL;
  free (rel);
  return abs;
}

/* Reweight a set so that a source of T samples is drawn in proportion to
 * T^expo instead of T (1: every second alike, as before; 0.5: an hour of
 * one source counts like 7.7 minutes of each of 7.7 others), so that a long
 * recording of one rain or one speaker does not crowd out the rest. Clip
 * weights already set (lowvoice) are kept on top. */
void
dn_set_balance (clip_set *s, double expo)
{
  if (expo == 1.0)
    return;
  double *tot = malloc (s->n * sizeof (double));
  if (!tot)
    return;
  for (int i = 0; i < s->n; i++) {
    tot[i] = 0;
    for (int j = 0; j < s->n; j++)
      if (s->c[j].group == s->c[i].group)
        tot[i] += s->c[j].n;
  }
  s->total = 0;
  for (int i = 0; i < s->n; i++) {
    s->c[i].w *= pow (tot[i] / SR, expo - 1.0);
    s->total += s->c[i].n * s->c[i].w;
  }
  free (tot);
}

static const char *const eval_speech_names[] = { "speech/arctic/",
  "speech/librispeech/", "klettres_nl.", "klettres_pt_BR.", "klettres_uk.",
  NULL };
static const char *const eval_noise_names[] = { "coffee-shop", "summer-night",
  "wind.ogg", "running_tap", "noise4", "noise5", NULL };

/* Load every file of dir with exts into train or eval by name (train may
 * be NULL: held-out files only). */
/* Speech recorded at 22 kHz or more: most of the data is 16 kHz or less,
 * so these are drawn more often, or the model learns that energy above
 * 8 kHz is noise. */
static const char *const wide_names[] = { "klettres_", "ljspeech", NULL };

int
dn_load_dir (gt_ctx *c, const char *dir, const char *exts, int rate,
    clip_set *train, clip_set *eval, const char *const *eval_names,
    long min_len, clip_set *wide)
{
  char **paths = NULL;
  int n = gt_list_files (c, dir, exts, &paths);
  if (n < 0)
    return -1;
  char *root = dn_data_root (c, dir);
  for (int i = 0; i < n; i++) {
    float *x = NULL;
    long len = 0;
    int held_out = eval && eval_names && contains_any (paths[i], eval_names);
    if (!train && !held_out)
      continue;
    if (gt_load_audio (c, paths[i], rate, &x, &len) < 0) {
      fprintf (stderr, "denoise: skipping %s: %s\n", paths[i], gc_last_error ());
      continue;
    }
    if (len < min_len) {
      free (x);
      continue;
    }
    clip_set *dst = held_out ? eval : train;
    if (dn_set_add (dst, x, len) < 0) {
      free (x);
      gt_free_list (paths, n);
      free (root);
      return -1;
    }
    dst->c[dst->n - 1].group = dn_group_of (root ? root : dir, paths[i]);
    if (dst == train && dn_opt_lowvoice != 1.0
        && strstr (paths[i], "lowvoice_")) {
      dst->c[dst->n - 1].w = dn_opt_lowvoice;
      dst->total += (dn_opt_lowvoice - 1.0) * len;
    }
    if (dst == train && wide && contains_any (paths[i], wide_names)
        && dn_set_add (wide, x, len) == 0)
      wide->c[wide->n - 1].group = dn_group_of (root ? root : dir, paths[i]);
  }
  gt_free_list (paths, n);
  free (root);
  return 0;
}

void
dn_set_free (clip_set *s)
{
  for (int i = 0; i < s->n; i++)
    free (s->c[i].x);
  free (s->c);
  memset (s, 0, sizeof *s);
}

/* A room response: normalise, cut to RIR_LEN, and keep an "early" copy
 * (up to 50 ms after the direct path) as the dereverberation target. */
static void
rir_prepare (dn_data *d, const clip *r, int idx)
{
  long n = r->n < RIR_LEN ? r->n : RIR_LEN;
  long peak = 0;
  double e = 0;
  for (long i = 0; i < n; i++) {
    if (fabsf (r->x[i]) > fabsf (r->x[peak]))
      peak = i;
    e += (double) r->x[i] * r->x[i];
  }
  float norm = e > 0 ? (float) (1.0 / sqrt (e)) : 1.f;
  long early = peak + SR / 20;
  for (int which = 0; which < 2; which++) {
    memset (d->cbuf, 0, CONV_N * sizeof (float));
    for (long i = 0; i < n; i++) {
      float w = 1.f;
      if (which == 1 && i > early)
        w = 0.f;
      /* shift so the direct path lands at sample 0: no added delay */
      long j = i - peak;
      if (j >= 0)
        d->cbuf[j] = r->x[i] * norm * w;
    }
    fftwf_execute_dft_r2c (d->fwd, d->cbuf, which ? d->rir_early[idx]
        : d->rir_full[idx]);
  }
}

/* Noise recordings under dir; noise/rir holds rooms, not noise. */
static void
load_noise_dir (gt_ctx *c, dn_data *d, const char *dir, int rate,
    int eval_only)
{
  char **paths = NULL;
  int n = gt_list_files (c, dir, ".flac,.ogg,.wav", &paths);
  char *root = dn_data_root (c, dir);
  for (int i = 0; i < n; i++) {
    float *x = NULL;
    long len = 0;
    int held_out = contains_any (paths[i], eval_noise_names);
    if (eval_only && !held_out)
      continue;
    if (gt_load_audio (c, paths[i], rate, &x, &len) < 0 || len < 16)
      continue;
    clip_set *dst = strstr (paths[i], "/rir/") ? &d->rirs :
        held_out ? &d->eval_noise : &d->noise;
    if (dn_set_add (dst, x, len) < 0)
      free (x);
    else
      dst->c[dst->n - 1].group = dn_group_of (root ? root : dir, paths[i]);
  }
  if (n > 0)
    gt_free_list (paths, n);
  free (root);
}

/* Speech and noise at `rate`, split into training and held-out sets
 * (only the held-out ones when eval_only). */
int
dn_load_sets (gt_ctx *c, dn_data *d, int rate, int eval_only)
{
  long min_len = rate / 4;
  clip_set *train = eval_only ? NULL : &d->speech;
  if (dn_load_dir (c, "speech", ".flac,.ogg,.wav", rate, train,
          &d->eval_speech, eval_speech_names, min_len, &d->wide) < 0)
    return -1;
  load_noise_dir (c, d, "noise", rate, eval_only);
  /* more training speech and noise: folders separated by ':'
   * (scripts/denoise-data.sh, denoise-noise-data.sh, denoise-corpus.sh's
   * train/speech and train/noise); extra noise is never held out */
  const gt_setting *tab = gt_denoise_settings;
  const char *extra[2] = { gt_setting_str (c, tab, "speech_extra"),
    eval_only ? NULL : gt_setting_str (c, tab, "noise_extra") };
  for (int k = 0; k < 2; k++) {
    const char *p = extra[k];
    while (p && *p) {
      size_t l = strcspn (p, ":");
      char *one = strndup (p, l);
      int rc = !one ? -1 : k == 0 ? dn_load_dir (c, one, ".flac,.ogg,.wav",
          rate, train, &d->eval_speech, eval_speech_names, min_len,
          &d->wide) : 0;
      if (one && k == 1)
        load_noise_dir (c, d, one, rate, 0);
      free (one);
      if (rc < 0)
        return -1;
      p += l + (p[l] == ':');
    }
  }
  return 0;
}

/* Minutes of audio in a set (its total is weighted by the draws). */
static double
set_minutes (const clip_set *s)
{
  double n = 0;
  for (int i = 0; i < s->n; i++)
    n += s->c[i].n;
  return n / SR / 60;
}

int
dn_data_load (gt_ctx *c, dn_data *d)
{
  memset (d, 0, sizeof *d);
  if (dn_load_sets (c, d, SR, 0) < 0)
    return -1;
  /* speech: a long corpus still counts for more than a few words; noise:
   * every source folder alike (hours of game music would drown a minute
   * of keyboard) */
  double expo = gt_setting_float (c, gt_denoise_settings,
      "balance");
  dn_set_balance (&d->speech, expo);
  dn_set_balance (&d->wide, expo);
  dn_set_balance (&d->noise, gt_setting_float (c, gt_denoise_settings,
          "noise_balance"));
  fprintf (stderr, "denoise: speech %.1f min train / %.1f min held out, "
      "noise %.1f / %.1f min, %d rooms\n", set_minutes (&d->speech),
      set_minutes (&d->eval_speech), set_minutes (&d->noise),
      set_minutes (&d->eval_noise), d->rirs.n);
  fprintf (stderr, "denoise: of which wideband speech %.1f min\n",
      set_minutes (&d->wide));
  if (d->speech.n == 0 || d->noise.n == 0) {
    gc_set_error ("denoise: no training speech or noise under %s",
        c->data_dir ? c->data_dir : ".");
    return -1;
  }
  d->cbuf = fftwf_alloc_real (CONV_N);
  d->cspec = fftwf_alloc_complex (CONV_N / 2 + 1);
  d->sspec = fftwf_alloc_complex (CONV_N / 2 + 1);
  d->fwd = fftwf_plan_dft_r2c_1d (CONV_N, d->cbuf, d->cspec, FFTW_ESTIMATE);
  d->inv = fftwf_plan_dft_c2r_1d (CONV_N, d->cspec, d->cbuf, FFTW_ESTIMATE);
  d->rir_full = calloc (d->rirs.n + 1, sizeof (fftwf_complex *));
  d->rir_early = calloc (d->rirs.n + 1, sizeof (fftwf_complex *));
  for (int i = 0; i < d->rirs.n; i++) {
    d->rir_full[i] = fftwf_alloc_complex (CONV_N / 2 + 1);
    d->rir_early[i] = fftwf_alloc_complex (CONV_N / 2 + 1);
    rir_prepare (d, &d->rirs.c[i], i);
  }
  return 0;
}

void
dn_data_free (dn_data *d)
{
  for (int i = 0; i < d->rirs.n; i++) {
    fftwf_free (d->rir_full[i]);
    fftwf_free (d->rir_early[i]);
  }
  free (d->rir_full);
  free (d->rir_early);
  if (d->fwd) {
    fftwf_destroy_plan (d->fwd);
    fftwf_destroy_plan (d->inv);
  }
  fftwf_free (d->cbuf);
  fftwf_free (d->cspec);
  fftwf_free (d->sspec);
  dn_set_free (&d->speech);
  dn_set_free (&d->noise);
  dn_set_free (&d->rirs);
  dn_set_free (&d->eval_speech);
  dn_set_free (&d->eval_noise);
  free (d->wide.c);             /* its samples belong to d->speech */
  memset (&d->wide, 0, sizeof d->wide);
}
