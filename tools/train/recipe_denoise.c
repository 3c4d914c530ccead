/* gan-train recipe "denoise": the gandenoise model (core/nets/gcn_denoiser).
 *
 * Data (paths under --data unless absolute):
 *   speech: speech/{ljspeech,fsdd,speechbrain,sc09} and the decoded Debian
 *           packages in --set speech_extra=DIR (one FLAC per speaker:
 *           asterisk_<voice>.flac, klettres_<lang>.flac; scripts/denoise-data.sh
 *           makes them).
 *   noise:  noise/{blanket,speechcommands,misc} plus synthetic white, pink,
 *           brown and babble (from other training speakers).
 *   rooms:  every file in noise/rir.
 * Held-out split (never seen in training; scripts/denoise-corpus.sh links
 * these files into its development set, whose other sources and the whole
 * test set are Debian packages that training never reads):
 *   speakers: speech/arctic, speech/librispeech, klettres_{nl,pt_BR,uk}
 *             (the Italian asterisk voice, the only long adult male voice,
 *             stays in training: without it the model generalised poorly
 *             to male speakers)
 *   noises:   blanket/{coffee-shop,summer-night,wind},
 *             speechcommands/running_tap, misc/noise{4,5}
 *
 * Everything is synthesised at 48 kHz; a random band limit per item
 * (4, 8, 12, 16, 22.05 or 24 kHz) stands for the stream's rate, as the
 * network sees a lower rate as empty bands above its Nyquist frequency.
 * Mixtures: -5..snr_max dB SNR, random level and EQ, reverberation (target
 * keeps the first 50 ms of the room response), clipping, speech high-passed
 * at 30 Hz (DC and rumble are not speech).
 *
 * Losses: band/bin gain loss on square-rooted gains (RNNoise), compressed
 * magnitude loss |g X|^0.3 vs |S|^0.3, signal loss |g X - S|^2 / |S|^2 per
 * item (from step 1800 of the shipped run on), voice activity BCE, and an LSGAN
 * term from a 1-D convolutional discriminator over the feature
 * spectrogram (band log-energies + low-bin log-magnitudes) of the enhanced
 * speech vs the clean speech. --set adv=0 trains reconstruction only.
 * With the deep filter (df > 0) all but the gain loss act on its output
 * Y = g X + (1 - g) sum c_i X[t-i] instead of g X.
 *
 * Settings (--set): speech_extra, noise_extra (folders of more training
 * speech or noise, separated by ':'; scripts/denoise-noise-data.sh,
 * scripts/denoise-corpus.sh), balance (0.5: a speech source of T seconds is
 * drawn in proportion to T^balance), noise_balance (0: every noise source
 * folder alike), batch (16), frames (100), lr (1e-3),
 * lr_min (lr / 20), warmup (200), adv (0.05), adv_start (800), d_lr (2e-4),
 * speech_only (0.2: share of items without noise), snr_max (30 dB),
 * wide (0.6: share of items from wideband speech), reverb_keep (0: share
 * of reverberant items whose target keeps the whole reverberation instead
 * of the first 50 ms), gate (0: share of items whose noise starts or
 * stops inside the item), deepen (0: share of items whose speech plays
 * 0.7-0.9 times as fast, a lower voice), lowvoice (10: how many times
 * more often per second the lowvoice_* files of speech_extra are drawn),
 * band (0: a random band limit per item; N: every item limited to N 50 Hz
 * bins, 160 for a 16 kHz specialist), asym (6: weight of
 * errors that remove speech relative to ones that leave noise), conv_ch,
 * gru1, gru2, df (3: deep-filter taps on the low bins, 0 for gains only),
 * phase (1: phase-advance input features, 0: magnitudes only), lookahead
 * (0: frames the gains wait for; each adds 10 ms of latency), export_df
 * (0: export the network without its deep-filter head, as shipped: it was
 * trained with the filter and runs better without it, see docs/denoise.md;
 * 1 keeps the head),
 * init=MODEL (start from a trained model's weights; tensors it lacks, such
 * as a new deep filter, keep their fresh values; with gru1/gru2 above the
 * model's the GRUs are widened and the network still computes what the
 * model did), export_every (0), sched_from (0: the step where the warm-up + cosine
 * schedule starts, to continue a finished run with a warm restart),
 * make_eval=DIR (write an evaluation set as WAV and exit): with
 * eval_speech=DIR and eval_noise=DIR, the leave-source-out set of
 * scripts/denoise-eval.sh (per-item files by noise category, eval_items 4
 * per category and SNR, eval_seconds 6); without them, the shared-data
 * held-out set of the split above (eval_items 16, eval_seconds 4);
 * eval_seed (1000: the test set's draws). Default steps: 38000.
 */
#include "gt_dist.h"
#include "recipes.h"
#include "gcn_denoiser.h"

#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SR 48000
#define HOP 480
#define NFFT 960
#define BINS 481
#define RIR_LEN 24000           /* 0.5 s */
#define CONV_N 262144

typedef struct clip {
  float *x;
  long n;
  double w;                     /* draw weight per sample (1; lowvoice_) */
  uint64_t group;               /* source it came from (group_of) */
} clip;

typedef struct clip_set {
  clip *c;
  int n;
  double total;
} clip_set;

typedef struct dn_data {
  clip_set speech, noise, rirs, eval_speech, eval_noise;
  clip_set wide;                /* wideband speech (shares speech's clips) */
  /* reverb by FFT convolution, one fixed size */
  fftwf_plan fwd, inv;
  float *cbuf;
  fftwf_complex *cspec, *sspec;
  fftwf_complex **rir_full, **rir_early;
} dn_data;

/* ---- loading ------------------------------------------------------------ */

static int
set_add (clip_set *s, float *x, long n)
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
static uint64_t
group_of (const char *root, const char *path)
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
static char *
data_root (gt_ctx *c, const char *dir)
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
static void
set_balance (clip_set *s, double expo)
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
/* Low-voiced speech (scripts/denoise-data.sh: lowvoice_*.flac, a few minutes
 * from codec2-examples and pocketsphinx-testdata) is drawn this many times
 * more often per second (--set lowvoice=W): the rest of the training speech
 * has little power under 150 Hz, where held-out male voices have much. */
static double opt_lowvoice = 10.0;

static int
load_dir (gt_ctx *c, const char *dir, const char *exts, int rate,
    clip_set *train, clip_set *eval, const char *const *eval_names,
    long min_len, clip_set *wide)
{
  char **paths = NULL;
  int n = gt_list_files (c, dir, exts, &paths);
  if (n < 0)
    return -1;
  char *root = data_root (c, dir);
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
    if (set_add (dst, x, len) < 0) {
      free (x);
      gt_free_list (paths, n);
      free (root);
      return -1;
    }
    dst->c[dst->n - 1].group = group_of (root ? root : dir, paths[i]);
    if (dst == train && opt_lowvoice != 1.0
        && strstr (paths[i], "lowvoice_")) {
      dst->c[dst->n - 1].w = opt_lowvoice;
      dst->total += (opt_lowvoice - 1.0) * len;
    }
    if (dst == train && wide && contains_any (paths[i], wide_names)
        && set_add (wide, x, len) == 0)
      wide->c[wide->n - 1].group = group_of (root ? root : dir, paths[i]);
  }
  gt_free_list (paths, n);
  free (root);
  return 0;
}

static void
set_free (clip_set *s)
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
  char *root = data_root (c, dir);
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
    if (set_add (dst, x, len) < 0)
      free (x);
    else
      dst->c[dst->n - 1].group = group_of (root ? root : dir, paths[i]);
  }
  if (n > 0)
    gt_free_list (paths, n);
  free (root);
}

/* Speech and noise at `rate`, split into training and held-out sets
 * (only the held-out ones when eval_only). */
static int
load_sets (gt_ctx *c, dn_data *d, int rate, int eval_only)
{
  long min_len = rate / 4;
  clip_set *train = eval_only ? NULL : &d->speech;
  if (load_dir (c, "speech", ".flac,.ogg,.wav", rate, train,
          &d->eval_speech, eval_speech_names, min_len, &d->wide) < 0)
    return -1;
  load_noise_dir (c, d, "noise", rate, eval_only);
  /* more training speech and noise: folders separated by ':'
   * (scripts/denoise-data.sh, denoise-noise-data.sh, denoise-corpus.sh's
   * train/speech and train/noise); extra noise is never held out */
  const char *extra[2] = { gt_opt_str (c, "speech_extra", NULL),
    eval_only ? NULL : gt_opt_str (c, "noise_extra", NULL) };
  for (int k = 0; k < 2; k++) {
    const char *p = extra[k];
    while (p && *p) {
      size_t l = strcspn (p, ":");
      char *one = strndup (p, l);
      int rc = !one ? -1 : k == 0 ? load_dir (c, one, ".flac,.ogg,.wav", rate,
          train, &d->eval_speech, eval_speech_names, min_len, &d->wide) : 0;
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

static int
data_load (gt_ctx *c, dn_data *d)
{
  memset (d, 0, sizeof *d);
  if (load_sets (c, d, SR, 0) < 0)
    return -1;
  /* speech: a long corpus still counts for more than a few words; noise:
   * every source folder alike (hours of game music would drown a minute
   * of keyboard) */
  double expo = gt_opt_float (c, "balance", 0.5);
  set_balance (&d->speech, expo);
  set_balance (&d->wide, expo);
  set_balance (&d->noise, gt_opt_float (c, "noise_balance", 0.0));
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

static void
data_free (dn_data *d)
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
  set_free (&d->speech);
  set_free (&d->noise);
  set_free (&d->rirs);
  set_free (&d->eval_speech);
  set_free (&d->eval_noise);
  free (d->wide.c);             /* its samples belong to d->speech */
  memset (&d->wide, 0, sizeof d->wide);
}

/* ---- signal helpers ----------------------------------------------------- */

static double
power (const float *x, long n)
{
  double e = 0;
  for (long i = 0; i < n; i++)
    e += (double) x[i] * x[i];
  return n > 0 ? e / n : 0;
}

/* A random excerpt of len samples from a set (clips weighted by length
 * times their weight);
 * short clips are placed at a random offset in silence. */
static void
excerpt (const clip_set *s, gc_rng *r, float *out, long len)
{
  double pick = gc_rng_uniform (r) * s->total;
  int i = 0;
  while (i + 1 < s->n && pick >= s->c[i].n * s->c[i].w) {
    pick -= s->c[i].n * s->c[i].w;
    i++;
  }
  const clip *c = &s->c[i];
  memset (out, 0, len * sizeof (float));
  if (c->n >= len) {
    long off = (long) (gc_rng_uniform (r) * (c->n - len + 1));
    memcpy (out, c->x + off, len * sizeof (float));
  } else {
    long off = (long) (gc_rng_uniform (r) * (len - c->n + 1));
    memcpy (out + off, c->x, c->n * sizeof (float));
  }
}

/* Speech excerpt that is not (almost) silent. */
static void
speech_excerpt (const clip_set *s, gc_rng *r, float *out, long len)
{
  for (int tries = 0; tries < 8; tries++) {
    excerpt (s, r, out, len);
    if (power (out, len) > 1e-6)
      return;
  }
}

/* RBJ biquad, direct form I, in place. */
static void
biquad (float *x, long n, double b0, double b1, double b2, double a1,
    double a2)
{
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (long i = 0; i < n; i++) {
    double y = b0 * x[i] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = x[i];
    y2 = y1;
    y1 = y;
    x[i] = (float) y;
  }
}

static void
peaking (float *x, long n, double f0, double gain_db, double q)
{
  double A = pow (10, gain_db / 40), w = 2 * M_PI * f0 / SR;
  double alpha = sin (w) / (2 * q), cw = cos (w);
  double a0 = 1 + alpha / A;
  biquad (x, n, (1 + alpha * A) / a0, -2 * cw / a0, (1 - alpha * A) / a0,
      -2 * cw / a0, (1 - alpha / A) / a0);
}

static void
highpass_at (float *x, long n, double f0, int rate)
{
  double w = 2 * M_PI * f0 / rate, alpha = sin (w) / (2 * 0.707), cw = cos (w);
  double a0 = 1 + alpha;
  biquad (x, n, (1 + cw) / 2 / a0, -(1 + cw) / a0, (1 + cw) / 2 / a0,
      -2 * cw / a0, (1 - alpha) / a0);
}

static void
highpass (float *x, long n, double f0)
{
  highpass_at (x, n, f0, SR);
}

static void
lowpass (float *x, long n, double f0)
{
  double w = 2 * M_PI * f0 / SR, alpha = sin (w) / (2 * 0.707), cw = cos (w);
  double a0 = 1 + alpha;
  biquad (x, n, (1 - cw) / 2 / a0, (1 - cw) / a0, (1 - cw) / 2 / a0,
      -2 * cw / a0, (1 - alpha) / a0);
}

/* Random colouring: one or two peaking filters, sometimes a high-pass or a
 * low-pass (microphones and rooms differ). */
static void
random_eq (float *x, long n, gc_rng *r)
{
  int bands = 1 + (gc_rng_uniform (r) < 0.5f);
  for (int i = 0; i < bands; i++)
    peaking (x, n, 100 * pow (80, gc_rng_uniform (r)),
        -9 + 18 * gc_rng_uniform (r), 0.5 + 1.5 * gc_rng_uniform (r));
  if (gc_rng_uniform (r) < 0.3f)
    highpass (x, n, 40 + 200 * gc_rng_uniform (r));
  if (gc_rng_uniform (r) < 0.2f)
    lowpass (x, n, 3000 + 15000 * gc_rng_uniform (r));
}

/* White, pink (Kellet's filter) or brown noise, unit-ish power. */
static void
coloured_noise (float *x, long n, gc_rng *r)
{
  int kind = (int) (gc_rng_uniform (r) * 3);
  double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, br = 0;
  for (long i = 0; i < n; i++) {
    double w = gc_rng_normal (r);
    if (kind == 0) {
      x[i] = (float) w;
    } else if (kind == 1) {
      b0 = 0.99886 * b0 + w * 0.0555179;
      b1 = 0.99332 * b1 + w * 0.0750759;
      b2 = 0.96900 * b2 + w * 0.1538520;
      b3 = 0.86650 * b3 + w * 0.3104856;
      b4 = 0.55000 * b4 + w * 0.5329522;
      b5 = -0.7616 * b5 - w * 0.0168980;
      x[i] = (float) (b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362);
      b6 = w * 0.115926;
    } else {
      br = 0.995 * br + 0.1 * w;
      x[i] = (float) br;
    }
  }
}

/* Reverberate s in place (full response) and write the early-response
 * version into early. */
static void
reverb (dn_data *d, int room, float *s, float *early, long len)
{
  int nb = CONV_N / 2 + 1;
  memset (d->cbuf, 0, CONV_N * sizeof (float));
  memcpy (d->cbuf, s, len * sizeof (float));
  fftwf_execute_dft_r2c (d->fwd, d->cbuf, d->sspec);
  for (int which = 0; which < 2; which++) {
    fftwf_complex *h = which ? d->rir_early[room] : d->rir_full[room];
    for (int k = 0; k < nb; k++) {
      float re = d->sspec[k][0] * h[k][0] - d->sspec[k][1] * h[k][1];
      float im = d->sspec[k][0] * h[k][1] + d->sspec[k][1] * h[k][0];
      d->cspec[k][0] = re / CONV_N;
      d->cspec[k][1] = im / CONV_N;
    }
    fftwf_execute_dft_c2r (d->inv, d->cspec, d->cbuf);
    memcpy (which ? early : s, d->cbuf, len * sizeof (float));
  }
}

/* Crackle: clicks of random size at random times over a faint hiss, as a
 * loose cable, a scratched record or a fire makes; no recording in the
 * training data has it, and it is among the first things users hear. */
static void
crackle (float *x, long n, gc_rng *r)
{
  double rate = 2 + 60 * gc_rng_uniform (r);    /* clicks per second */
  double p = rate / SR;
  float hiss = 0.02f * gc_rng_uniform (r);
  for (long i = 0; i < n; i++)
    x[i] = hiss * gc_rng_normal (r);
  for (long i = 0; i < n; i++) {
    if (gc_rng_uniform (r) >= p)
      continue;
    float a = (float) pow (10, -1.5 * gc_rng_uniform (r));
    long w = 1 + (long) (gc_rng_uniform (r) * SR / 1000);     /* up to 1 ms */
    float sign = gc_rng_uniform (r) < 0.5f ? -1.f : 1.f;
    for (long k = 0; k < w && i + k < n; k++)
      x[i + k] += sign * a * (1.f - (float) k / w) * gc_rng_normal (r);
  }
}

/* Noise of one of the kinds, len samples, unit power (0 if silent). */
static void
make_noise (dn_data *d, const clip_set *noise, gc_rng *r, float *n, float *tmp,
    long len, int synthetic_ok)
{
  float kind = synthetic_ok ? gc_rng_uniform (r) : 0.f;
  if (kind < 0.6f) {
    excerpt (noise, r, n, len);
    /* a second, different noise under the first: a fan and a keyboard */
    if (synthetic_ok && gc_rng_uniform (r) < 0.25f) {
      excerpt (noise, r, tmp, len);
      float g = (float) (sqrt ((power (n, len) + 1e-9) / (power (tmp, len)
                  + 1e-9)) * pow (10, (-15 + 15 * gc_rng_uniform (r)) / 20));
      for (long i = 0; i < len; i++)
        n[i] += g * tmp[i];
    }
  } else if (kind < 0.66f) {
    crackle (n, len, r);
  } else if (kind < 0.8f) {
    coloured_noise (n, len, r);
  } else if (kind < 0.92f) {
    int talkers = 3 + (int) (gc_rng_uniform (r) * 4);
    memset (n, 0, len * sizeof (float));
    for (int t = 0; t < talkers; t++) {
      speech_excerpt (&d->speech, r, tmp, len);
      float g = (float) (1.0 / sqrt (power (tmp, len) + 1e-9));
      for (long i = 0; i < len; i++)
        n[i] += g * tmp[i];
    }
  } else {
    excerpt (noise, r, n, len);
    coloured_noise (tmp, len, r);
    float g = (float) sqrt ((power (n, len) + 1e-9) / (power (tmp, len) + 1e-9))
        * 0.3f;
    for (long i = 0; i < len; i++)
      n[i] += g * tmp[i];
  }
  if (synthetic_ok && gc_rng_uniform (r) < 0.5f)
    random_eq (n, len, r);
  double p = power (n, len);
  float g = p > 1e-12 ? (float) (1.0 / sqrt (p)) : 0.f;
  for (long i = 0; i < len; i++)
    n[i] *= g;
}

/* One training mixture: x noisy, s target; returns the band limit in bins. */
/* Mixture settings (--set speech_only=F, snr_max=DB). */
static float opt_speech_only = 0.05f, opt_snr_max = 20.f, opt_wide = 0.4f;
static float opt_reverb_keep = 0.f;
static float opt_gate = 0.f;    /* share of items with intermittent noise */
static float opt_deepen = 0.f;  /* share of items with slowed, lower speech */
static int opt_band = 0;        /* fixed band limit in bins (0: random) */

/* Noise that starts or stops inside the item: on over one random span
 * (20-80 % of the item) with 10 ms ramps. Real noise comes and goes (a
 * door, a passing car, a fan switched on), and a stream meets it after
 * seconds of clean speech; noise that covers every item whole never
 * teaches the network such an onset. The caller keeps the noise's level
 * over its span, so the SNR holds where the noise is. */
static void
gate_noise (float *nz, long len, gc_rng *r)
{
  long on = (long) (len * (0.2f + 0.6f * gc_rng_uniform (r)));
  long start = (long) ((len - on) * gc_rng_uniform (r));
  long ramp = HOP;              /* 10 ms */
  for (long i = 0; i < len; i++) {
    float w = 0.f;
    if (i >= start && i < start + on) {
      long a = i - start, b = start + on - 1 - i;
      long m = a < b ? a : b;
      w = m < ramp ? (float) m / ramp : 1.f;
    }
    nz[i] *= w;
  }
}

/* Speech played 0.7-0.9 times as fast: its pitch and formants drop by
 * that factor. Most of the training speech is female or telephone prompts
 * with little power under 150 Hz (LJSpeech none), while a low male voice
 * (LibriSpeech) has a quarter of its power there; a network that never
 * hears such a fundamental takes it for rumble. tmp: len floats. */
static void
deepened_excerpt (const clip_set *set, gc_rng *r, float *s, float *tmp,
    long len)
{
  double u = 0.7 + 0.2 * gc_rng_uniform (r);
  long m = (long) (len * u) + 2;
  speech_excerpt (set, r, tmp, m);
  for (long i = 0; i < len; i++) {
    double pos = i * u;
    long k = (long) pos;
    float f = (float) (pos - k);
    s[i] = tmp[k] * (1.f - f) + tmp[k + 1] * f;
  }
}

static int
make_item (dn_data *d, gc_rng *r, float *x, float *s, float *nz, float *tmp,
    long len)
{
  const clip_set *set = d->wide.n > 0 && gc_rng_uniform (r) < opt_wide ?
      &d->wide : &d->speech;
  if (opt_deepen > 0.f && gc_rng_uniform (r) < opt_deepen)
    deepened_excerpt (set, r, s, tmp, len);
  else
    speech_excerpt (set, r, s, len);
  /* recordings carry DC and rumble that is not speech: remove it from
   * the target, or "clean speech stays clean" cannot be learnt */
  highpass (s, len, 30);
  if (gc_rng_uniform (r) < 0.4f)
    random_eq (s, len, r);
  if (d->rirs.n > 0 && gc_rng_uniform (r) < 0.3f) {
    int room = (int) (gc_rng_uniform (r) * d->rirs.n) % d->rirs.n;
    reverb (d, room, s, tmp, len);
    /* x starts as the reverberant speech, the target is the early part,
     * or (reverb_keep) the whole reverberant speech: a noise suppressor
     * that also strips a room's reverberation changes clean speech */
    memcpy (x, s, len * sizeof (float));
    if (opt_reverb_keep <= 0.f || gc_rng_uniform (r) >= opt_reverb_keep)
      memcpy (s, tmp, len * sizeof (float));
  } else {
    memcpy (x, s, len * sizeof (float));
  }
  double ps = power (x, len);
  float sg = ps > 1e-12 ? (float) (1.0 / sqrt (ps)) : 0.f;

  /* some items are noise only or speech only */
  float u = gc_rng_uniform (r);
  float snr_db = -5 + (opt_snr_max + 5) * gc_rng_uniform (r);
  float ng = (float) pow (10, -snr_db / 20);
  if (u < 0.05f)
    sg = 0.f, ng = 1.f;
  else if (u < 0.05f + opt_speech_only)
    ng = 0.f;
  make_noise (d, &d->noise, r, nz, tmp, len, 1);
  if (opt_gate > 0.f && sg > 0.f && gc_rng_uniform (r) < opt_gate)
    gate_noise (nz, len, r);
  for (long i = 0; i < len; i++) {
    s[i] *= sg;
    x[i] = x[i] * sg + nz[i] * ng;
  }
  /* level: mixture RMS between -45 and -6 dBFS (loud ones clip below) */
  double px = power (x, len);
  float level = (float) pow (10, (-45 + 39 * gc_rng_uniform (r)) / 20);
  float lg = px > 1e-12 ? level / (float) sqrt (px) : 0.f;
  for (long i = 0; i < len; i++) {
    x[i] *= lg;
    s[i] *= lg;
  }
  if (gc_rng_uniform (r) < 0.08f) {
    float peak = 0;
    for (long i = 0; i < len; i++)
      peak = fmaxf (peak, fabsf (x[i]));
    float lim = peak * (0.2f + 0.5f * gc_rng_uniform (r));
    for (long i = 0; i < len; i++)
      x[i] = fminf (lim, fmaxf (-lim, x[i]));
  }
  /* full scale clips, as an ADC does */
  for (long i = 0; i < len; i++)
    x[i] = fminf (1.f, fmaxf (-1.f, x[i]));
  /* 8-bit mu-law (G.711): the hiss and the grain of a telephone leg */
  if (gc_rng_uniform (r) < 0.04f)
    for (long i = 0; i < len; i++) {
      float m = copysignf (log1pf (255.f * fabsf (x[i])) / logf (256.f), x[i]);
      m = roundf (m * 127.f) / 127.f;
      x[i] = copysignf ((powf (256.f, fabsf (m)) - 1.f) / 255.f, m);
    }
  static const int limits[] = { 80, 160, 240, 320, 441, 480 };
  static const float cum[] = { 0.1f, 0.35f, 0.45f, 0.55f, 0.67f, 1.f };
  if (opt_band > 0)
    return opt_band;
  float b = gc_rng_uniform (r);
  int i = 0;
  while (i < 5 && b > cum[i])
    i++;
  return limits[i];
}

/* ---- discriminator: 1-D convs over the feature spectrogram ---------------*/
typedef struct dn_disc {
  gc_conv1d c[4];
  gc_param_list params;
  gc_tensor a[4], h[4];         /* pre-activation, post-activation per layer */
  gc_tensor d_h, d_a, dx;
} dn_disc;

static int
disc_init (dn_disc *D, gc_rng *r)
{
  memset (D, 0, sizeof *D);
  int ch = 48;
  if (gc_conv1d_init (&D->c[0], "disc.c0", GCN_DN_FEATS, ch, 5, 2, 1, 2, 1, 0, r)
      || gc_conv1d_init (&D->c[1], "disc.c1", ch, ch, 5, 2, 1, 2, 1, 0, r)
      || gc_conv1d_init (&D->c[2], "disc.c2", ch, ch, 3, 1, 2, 2, 1, 0, r)
      || gc_conv1d_init (&D->c[3], "disc.c3", ch, 1, 3, 1, 1, 1, 1, 0, r))
    return -1;
  for (int i = 0; i < 4; i++) {
    gc_conv1d_params (&D->c[i], &D->params);
    D->a[i] = (gc_tensor) GC_TENSOR_INIT;
    D->h[i] = (gc_tensor) GC_TENSOR_INIT;
  }
  D->d_h = (gc_tensor) GC_TENSOR_INIT;
  D->d_a = (gc_tensor) GC_TENSOR_INIT;
  D->dx = (gc_tensor) GC_TENSOR_INIT;
  return 0;
}

static void
disc_free (dn_disc *D)
{
  for (int i = 0; i < 4; i++) {
    gc_conv1d_free (&D->c[i]);
    gc_tensor_free (&D->a[i]);
    gc_tensor_free (&D->h[i]);
  }
  gc_tensor_free (&D->d_h);
  gc_tensor_free (&D->d_a);
  gc_tensor_free (&D->dx);
  gc_param_list_free (&D->params);
}

/* x (N, FEATS, 1, T) -> scores h[3] (N, 1, 1, T/4). */
static void
disc_forward (dn_disc *D, const gc_tensor *x)
{
  const gc_tensor *in = x;
  for (int i = 0; i < 4; i++) {
    gc_conv1d_forward (&D->c[i], in, &D->a[i]);
    gc_tensor_resize (&D->h[i], D->a[i].n, D->a[i].c, 1, D->a[i].w);
    gc_act_forward (i < 3 ? GC_ACT_LEAKY_RELU : GC_ACT_NONE, 0.2f, &D->a[i],
        &D->h[i]);
    in = &D->h[i];
  }
}

/* Backward from d(scores); accumulates D's parameter gradients and leaves
 * d(input) in D->dx when want_dx. */
static void
disc_backward (dn_disc *D, const gc_tensor *x, const float *dscore,
    int want_dx)
{
  gc_tensor_resize (&D->d_h, D->h[3].n, D->h[3].c, 1, D->h[3].w);
  memcpy (D->d_h.data, dscore, gc_tensor_size (&D->h[3]) * sizeof (float));
  for (int i = 3; i >= 0; i--) {
    gc_tensor_resize (&D->d_a, D->a[i].n, D->a[i].c, 1, D->a[i].w);
    gc_act_backward (i < 3 ? GC_ACT_LEAKY_RELU : GC_ACT_NONE, 0.2f, &D->a[i],
        &D->h[i], &D->d_h, &D->d_a);
    const gc_tensor *in = i > 0 ? &D->h[i - 1] : x;
    gc_tensor *dx = NULL;
    if (i > 0 || want_dx) {
      gc_tensor_resize (&D->dx, in->n, in->c, 1, in->w);
      dx = &D->dx;
    }
    gc_conv1d_backward (&D->c[i], in, &D->d_a, dx);
    if (i > 0)
      gc_tensor_copy (&D->d_h, &D->dx);
  }
}

/* ---- one batch's spectra and targets --------------------------------------*/
typedef struct dn_batch {
  int n, t;                       /* items, frames scored per item */
  int la;                         /* lookahead: frames heard past the last */
  float *x, *s, *nz, *tmp;        /* time signals, one item, (t + la) hops */
  float *X, *S;                   /* spectra [n][t][BINS][2] */
  float *Xf;                      /* the la noisy frames after X [n][la][..] */
  float *spec_tmp;                /* one item's t + la analysed frames */
  float *Y;                       /* the enhanced spectra, same layout */
  int *bins;                      /* band limit per item */
  float *feat;                    /* [n*(t+la)][in] network inputs */
  int in;                         /* gcn_dn_in_size of the network */
} dn_batch;

static int
batch_alloc (dn_batch *b, int n, int t, int la)
{
  long len = (long) (t + la) * HOP;
  b->n = n;
  b->t = t;
  b->la = la;
  b->Xf = malloc ((size_t) n * (la > 0 ? la : 1) * BINS * 2 * sizeof (float));
  b->spec_tmp = malloc ((size_t) (t + la) * BINS * 2 * sizeof (float));
  b->x = malloc (len * sizeof (float));
  b->s = malloc (len * sizeof (float));
  b->nz = malloc (len * sizeof (float));
  b->tmp = malloc (len * sizeof (float));
  b->X = malloc ((size_t) n * t * BINS * 2 * sizeof (float));
  b->S = malloc ((size_t) n * t * BINS * 2 * sizeof (float));
  b->Y = malloc ((size_t) n * t * BINS * 2 * sizeof (float));
  b->bins = malloc (n * sizeof (int));
  b->in = GCN_DN_FEATS;
  b->feat = malloc ((size_t) n * (t + la) * GCN_DN_IN_MAX * sizeof (float));
  return (b->x && b->s && b->nz && b->tmp && b->X && b->S && b->Y && b->bins &&
      b->feat && b->Xf && b->spec_tmp) ? 0 : -1;
}

static void
batch_free (dn_batch *b)
{
  free (b->x);
  free (b->s);
  free (b->nz);
  free (b->tmp);
  free (b->X);
  free (b->S);
  free (b->Y);
  free (b->Xf);
  free (b->spec_tmp);
  free (b->bins);
  free (b->feat);
}

/* Features of a spectrum restricted to `bins` bins, scaled as a stream at
 * that rate would see it. */
static void
limited_features (const float *spec, int bins, float *feat, float *scratch)
{
  float scale = (float) (2 * (bins - 1)) / NFFT;
  for (int k = 0; k < bins; k++) {
    scratch[2 * k] = spec[2 * k] * scale;
    scratch[2 * k + 1] = spec[2 * k + 1] * scale;
  }
  gcn_dn_features (scratch, bins, feat, NULL);
}

/* Network inputs of item i from its noisy spectra (the t scored frames,
 * then the la frames after them), as a stream at the item's band limit
 * computes them (phase features against the previous frame, zeros before
 * the first). Row i (t + la) + f holds frame f. */
static void
item_features (dn_batch *b, int i)
{
  float cur[2 * BINS], prev[2 * BINS], scratch[2 * BINS];
  int bins = b->bins[i], tt = b->t + b->la;
  float scale = (float) (2 * (bins - 1)) / NFFT;
  memset (prev, 0, sizeof prev);
  for (int t = 0; t < tt; t++) {
    const float *X = t < b->t ? b->X + ((size_t) i * b->t + t) * BINS * 2 :
        b->Xf + ((size_t) i * b->la + t - b->t) * BINS * 2;
    float *f = b->feat + ((size_t) i * tt + t) * b->in;
    limited_features (X, bins, f, scratch);
    if (b->in > GCN_DN_FEATS) {
      for (int k = 0; k < GCN_DN_FINE; k++) {
        cur[2 * k] = X[2 * k] * scale;
        cur[2 * k + 1] = X[2 * k + 1] * scale;
      }
      gcn_dn_phase_features (cur, prev, bins, f + GCN_DN_FEATS);
      memcpy (prev, cur, GCN_DN_FINE * 2 * sizeof (float));
    }
  }
}

/* Items first .. first + n - 1 of step `step`'s global batch, each from
 * its own random stream (gt_dist.h). */
static void
batch_make (dn_data *d, dn_batch *b, gc_stft *fft, const float *win,
    uint64_t seed, long step, int first)
{
  long len = (long) (b->t + b->la) * HOP;
  size_t fs = (size_t) BINS * 2;
  for (int i = 0; i < b->n; i++) {
    gc_rng r;
    gt_item_rng (&r, seed, step, first + i);
    b->bins[i] = make_item (d, &r, b->x, b->s, b->nz, b->tmp, len) + 1;
    float *X = b->X + (size_t) i * b->t * fs;
    float *S = b->S + (size_t) i * b->t * fs;
    gcn_dn_analyze (fft, win, HOP, b->x, len, b->spec_tmp);
    memcpy (X, b->spec_tmp, (size_t) b->t * fs * sizeof (float));
    memcpy (b->Xf + (size_t) i * b->la * fs, b->spec_tmp + (size_t) b->t * fs,
        (size_t) b->la * fs * sizeof (float));
    gcn_dn_analyze (fft, win, HOP, b->s, len, b->spec_tmp);
    memcpy (S, b->spec_tmp, (size_t) b->t * fs * sizeof (float));
    item_features (b, i);
  }
}

/* ---- the network's outputs for the scored frames --------------------------*/

/* With lookahead L the network runs over t + L rows per item, and row
 * f + L (which has heard L frames past frame f) gives frame f's gains, as
 * a stream applies them. These are those rows, [n*t][...]. */
typedef struct dn_heads {
  float *band, *fine, *vad, *df;
  int dfs;                        /* deep-filter values per row (0: none) */
} dn_heads;

static int
heads_alloc (dn_heads *h, int rows, int dfs)
{
  h->dfs = dfs;
  h->band = malloc ((size_t) rows * GCN_DN_BANDS * sizeof (float));
  h->fine = malloc ((size_t) rows * GCN_DN_FINE * sizeof (float));
  h->vad = malloc ((size_t) rows * sizeof (float));
  h->df = malloc ((size_t) rows * (dfs > 0 ? dfs : 1) * sizeof (float));
  return h->band && h->fine && h->vad && h->df ? 0 : -1;
}

static void
heads_free (dn_heads *h)
{
  free (h->band);
  free (h->fine);
  free (h->vad);
  free (h->df);
}

/* rows i (t + la) + f + la of src [.][c] -> rows i t + f of dst */
static void
rows_gather (const float *src, int n, int t, int la, int c, float *dst)
{
  for (int i = 0; i < n; i++)
    memcpy (dst + (size_t) i * t * c, src + ((size_t) i * (t + la) + la) * c,
        (size_t) t * c * sizeof (float));
}

/* the reverse, with zero gradient for the first la rows of each item */
static void
rows_scatter (const float *src, int n, int t, int la, int c, float *dst)
{
  for (int i = 0; i < n; i++) {
    float *d = dst + (size_t) i * (t + la) * c;
    memset (d, 0, (size_t) la * c * sizeof (float));
    memcpy (d + (size_t) la * c, src + (size_t) i * t * c,
        (size_t) t * c * sizeof (float));
  }
}

static void
heads_gather (dn_heads *h, const gcn_denoiser_train *tr, int n, int t, int la)
{
  rows_gather (tr->band.data, n, t, la, GCN_DN_BANDS, h->band);
  rows_gather (tr->fine.data, n, t, la, GCN_DN_FINE, h->fine);
  rows_gather (tr->vad.data, n, t, la, 1, h->vad);
  if (h->dfs > 0)
    rows_gather (tr->df.data, n, t, la, h->dfs, h->df);
}

/* ---- the enhanced spectrum (gains and deep filter) ------------------------*/

/* Y = what a stream would output for every frame of the batch (no
 * attenuation limit): gcn_dn_apply with the item's own past frames. Also
 * writes the per-bin gains into gbin. */
static void
enhance (dn_batch *b, const dn_heads *h, int order, float *gbin)
{
  float hist[GCN_DN_DF_MAX * GCN_DN_FINE * 2];
  for (int i = 0; i < b->n; i++) {
    int bins = b->bins[i];
    for (int t = 0; t < b->t; t++) {
      int row = i * b->t + t;
      float *g = gbin + (size_t) row * BINS;
      float *Y = b->Y + (size_t) row * BINS * 2;
      gcn_dn_bin_gains (h->band + (size_t) row * GCN_DN_BANDS,
          h->fine + (size_t) row * GCN_DN_FINE, bins, g);
      memcpy (Y, b->X + (size_t) row * BINS * 2, (size_t) bins * 2 *
          sizeof (float));
      for (int j = 1; j < order; j++) {
        float *hj = hist + (size_t) (j - 1) * GCN_DN_FINE * 2;
        if (t - j >= 0)
          memcpy (hj, b->X + (size_t) (row - j) * BINS * 2,
              GCN_DN_FINE * 2 * sizeof (float));
        else
          memset (hj, 0, GCN_DN_FINE * 2 * sizeof (float));
      }
      gcn_dn_apply (Y, bins, g, order > 0 ?
          h->df + (size_t) row * GCN_DN_FINE * order * 2 : NULL,
          order, hist, 0.f);
    }
  }
}

/* d(loss)/dY of one deep-filtered bin -> d(bin gain) and d(taps), for
 * Y = g X + (1 - g) F with F = sum c_j X[t-j] (gcn_dn_apply). */
static inline float
df_backward_bin (const dn_batch *b, const float *taps, float g, int row,
    int t, int k, int order, float dyr, float dyi, float *d_df_row)
{
  const float *X = b->X + (size_t) row * BINS * 2;
  const float *c = taps + (size_t) k * order * 2;
  float *dc = d_df_row + (size_t) k * order * 2;
  float fr = 0.f, fi = 0.f, open = 1.f - g;
  for (int j = 0; j < order && t - j >= 0; j++) {
    const float *P = X - (size_t) j * BINS * 2;
    float pr = P[2 * k], pi = P[2 * k + 1];
    fr += c[2 * j] * pr - c[2 * j + 1] * pi;
    fi += c[2 * j] * pi + c[2 * j + 1] * pr;
    dc[2 * j] += open * (dyr * pr + dyi * pi);
    dc[2 * j + 1] += open * (-dyr * pi + dyi * pr);
  }
  return dyr * (X[2 * k] - fr) + dyi * (X[2 * k + 1] - fi);
}

/* ---- losses ----------------------------------------------------------------*/
typedef struct dn_loss {
  float gain, spec, sig, vad, adv, d;
} dn_loss;

#define COMP 0.3f               /* magnitude compression of the spectral loss */
#define W_SPEC 10.f
#define W_SIG 0.5f
/* Weight of a gain or magnitude error that removes speech (output below the
 * target) relative to one that leaves noise (--set asym). Held-out speakers
 * get lower gains than they should, which costs SI-SDR and STOI more than a
 * little residual noise, so over-suppression may be charged more. */
static float opt_asym = 1.f;
#define W_VAD 0.1f
#define LN10 2.302585093f

/* Gain loss (square-rooted gains, RNNoise), compressed magnitude loss,
 * signal loss (|g X - S|^2 over the item's clean energy: the output SNR with
 * the noisy phase, what SI-SDR measures) and voice-activity BCE, all on the
 * enhanced spectrum b->Y (enhance () first). Writes gradients w.r.t. the
 * outputs of the heads (d_df: of the deep-filter taps, when order > 0). */
static void
recon_losses (const dn_batch *b, const dn_heads *h, int order,
    float *d_band, float *d_fine, float *d_vad, float *d_df,
    const float *gbin, dn_loss *L)
{
  int rows = b->n * b->t;
  double lg = 0, ls = 0, lv = 0;
  long cnt_g = 0, cnt_s = 0;

  for (int i = 0; i < b->n; i++) {
    int bins = b->bins[i];
    cnt_g += (long) b->t * (gcn_dn_bands_present (bins) +
        (bins < GCN_DN_FINE ? bins : GCN_DN_FINE));
    cnt_s += (long) b->t * bins;
  }
  /* over the global batch when it is split over ranks */
  double ng = gt_dist_divisor ((double) cnt_g);
  double ns = gt_dist_divisor ((double) cnt_s);
  float kg = 1.f / (float) ng, ks = W_SPEC / (float) ns;

  double lsig = 0;
  for (int i = 0; i < b->n; i++) {
    int bins = b->bins[i], present = gcn_dn_bands_present (bins);
    int nf = bins < GCN_DN_FINE ? bins : GCN_DN_FINE;
    /* item energies for the signal loss; noise-only items use a floor */
    double es_item = 0, ex_item = 0;
    for (int t = 0; t < b->t; t++) {
      const float *S = b->S + ((size_t) i * b->t + t) * BINS * 2;
      const float *X = b->X + ((size_t) i * b->t + t) * BINS * 2;
      for (int k = 0; k < bins; k++) {
        es_item += S[2 * k] * S[2 * k] + S[2 * k + 1] * S[2 * k + 1];
        ex_item += X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1];
      }
    }
    float ksig = (float) (W_SIG / b->n / (es_item + 0.01 * ex_item + 1e-20));
    /* voice activity target: clean frame energy within 40 dB of the
     * item's loudest frame */
    float emax = 0;
    for (int t = 0; t < b->t; t++) {
      const float *S = b->S + ((size_t) i * b->t + t) * BINS * 2;
      float e = 0;
      for (int k = 0; k < bins; k++)
        e += S[2 * k] * S[2 * k] + S[2 * k + 1] * S[2 * k + 1];
      emax = fmaxf (emax, e);
    }
    for (int t = 0; t < b->t; t++) {
      int row = i * b->t + t;
      const float *X = b->X + (size_t) row * BINS * 2;
      const float *S = b->S + (size_t) row * BINS * 2;
      const float *gb = h->band + (size_t) row * GCN_DN_BANDS;
      const float *gf = h->fine + (size_t) row * GCN_DN_FINE;
      float *db = d_band + (size_t) row * GCN_DN_BANDS;
      float *df = d_fine + (size_t) row * GCN_DN_FINE;
      const float *g = gbin + (size_t) row * BINS;
      const float *Y = b->Y + (size_t) row * BINS * 2;
      float *ddf = order > 0 ? d_df + (size_t) row * GCN_DN_FINE * order * 2 :
          NULL;
      int nd = order > 0 ? nf : 0;    /* deep-filtered bins */
      float px[BINS], ps[BINS], ex[GCN_DN_BANDS], es[GCN_DN_BANDS];
      float dbin[BINS], dband_s[GCN_DN_BANDS], dfine_s[GCN_DN_FINE];
      float fe = 0;

      for (int k = 0; k < bins; k++) {
        px[k] = X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1];
        ps[k] = S[2 * k] * S[2 * k] + S[2 * k + 1] * S[2 * k + 1];
        fe += ps[k];
      }
      gcn_dn_band_energy (px, bins, ex);
      gcn_dn_band_energy (ps, bins, es);

      memset (db, 0, GCN_DN_BANDS * sizeof (float));
      memset (df, 0, GCN_DN_FINE * sizeof (float));
      for (int k = 0; k < present; k++) {
        float tgt = ex[k] > 1e-20f ? fminf (1.f, sqrtf (es[k] / ex[k])) : 1.f;
        float gv = fmaxf (gb[k], 1e-6f), e = sqrtf (gv) - sqrtf (tgt);
        float w = e < 0 ? opt_asym : 1.f;
        lg += w * e * e;
        db[k] = w * kg * e / sqrtf (gv);
      }
      for (int k = 0; k < nf; k++) {
        float tgt = px[k] > 1e-20f ? fminf (1.f, sqrtf (ps[k] / px[k])) : 1.f;
        float gv = fmaxf (gf[k], 1e-6f), e = sqrtf (gv) - sqrtf (tgt);
        float w = e < 0 ? opt_asym : 1.f;
        lg += w * e * e;
        df[k] = w * kg * e / sqrtf (gv);
      }

      if (ddf)
        memset (ddf, 0, (size_t) GCN_DN_FINE * order * 2 * sizeof (float));
      for (int k = 0; k < nd; k++) {
        /* the same losses on the deep-filtered output Y */
        float yr = Y[2 * k], yi = Y[2 * k + 1], py = yr * yr + yi * yi;
        float eps = 1e-6f * px[k] + 1e-20f;
        float ms = powf (ps[k] + 1e-20f, COMP / 2);
        float e = powf (py + eps, COMP / 2) - ms;
        float w = e < 0 ? opt_asym : 1.f;
        ls += w * e * e;
        float a = w * ks * 2.f * e * COMP * powf (py + eps, COMP / 2 - 1.f);
        float er = yr - S[2 * k], ei = yi - S[2 * k + 1];
        lsig += (double) (er * er + ei * ei) * ksig / W_SIG;
        float dyr = a * yr + ksig * 2.f * er, dyi = a * yi + ksig * 2.f * ei;
        dbin[k] = df_backward_bin (b, h->df + (size_t) row * GCN_DN_FINE *
            order * 2, g[k], row, t, k, order, dyr, dyi, ddf);
      }
      for (int k = nd; k < bins; k++) {
        float gv = fmaxf (g[k], 1e-6f);
        float mx = powf (px[k] + 1e-20f, COMP / 2);
        float ms = powf (ps[k] + 1e-20f, COMP / 2);
        float e = powf (gv, COMP) * mx - ms;
        float w = e < 0 ? opt_asym : 1.f;
        ls += w * e * e;
        dbin[k] = w * ks * 2.f * e * COMP * powf (gv, COMP - 1.f) * mx;
        float cross = S[2 * k] * X[2 * k] + S[2 * k + 1] * X[2 * k + 1];
        float er = g[k] * X[2 * k] - S[2 * k], ei = g[k] * X[2 * k + 1] - S[2 * k + 1];
        lsig += (double) (er * er + ei * ei) * ksig / W_SIG;
        dbin[k] += ksig * 2.f * (g[k] * px[k] - cross);
      }
      gcn_dn_bin_gains_backward (dbin, bins, dband_s, dfine_s);
      for (int k = 0; k < GCN_DN_BANDS; k++)
        db[k] += dband_s[k];
      for (int k = 0; k < GCN_DN_FINE; k++)
        df[k] += dfine_s[k];

      float y = (emax > 0 && fe > 1e-4f * emax && fe > 1e-10f) ? 1.f : 0.f;
      float p = fminf (fmaxf (h->vad[row], 1e-6f), 1.f - 1e-6f);
      lv += -(y * logf (p) + (1 - y) * logf (1 - p));
      d_vad[row] = W_VAD / rows * (p - y) / (p * (1 - p));
    }
  }
  L->sig = (float) lsig;
  L->gain = (float) (lg / ng);
  L->spec = (float) (ls / ns);
  L->vad = (float) (lv / rows);
}

/* Features of the enhanced spectrum g X, as a stream would compute them. */
static void
fake_features (const dn_batch *b, float *feat)
{
  const float norm = 1.f / ((float) NFFT * NFFT);
  for (int i = 0; i < b->n; i++) {
    int bins = b->bins[i];
    for (int t = 0; t < b->t; t++) {
      int row = i * b->t + t;
      const float *Y = b->Y + (size_t) row * BINS * 2;
      float *f = feat + (size_t) row * GCN_DN_FEATS;
      float pw[BINS], band[GCN_DN_BANDS];
      for (int k = 0; k < bins; k++)
        pw[k] = (Y[2 * k] * Y[2 * k] + Y[2 * k + 1] * Y[2 * k + 1]) * norm;
      gcn_dn_band_energy (pw, bins, band);
      for (int k = 0; k < GCN_DN_BANDS; k++)
        f[k] = gcn_dn_log_feature (band[k]);
      for (int k = 0; k < GCN_DN_FINE; k++)
        f[GCN_DN_BANDS + k] = gcn_dn_log_feature (k < bins ? pw[k] : 0.f);
    }
  }
}

/* d(fake features) [rows][FEATS] -> += d(band gains), d(fine gains),
 * d(deep-filter taps). */
static void
fake_backward (const dn_batch *b, const float *gbin, const float *taps,
    int order, const float *dfeat, float *d_band, float *d_fine, float *d_df)
{
  const float norm = 1.f / ((float) NFFT * NFFT);
  for (int i = 0; i < b->n; i++) {
    int bins = b->bins[i];
    for (int t = 0; t < b->t; t++) {
      int row = i * b->t + t;
      const float *X = b->X + (size_t) row * BINS * 2;
      const float *Y = b->Y + (size_t) row * BINS * 2;
      const float *g = gbin + (size_t) row * BINS;
      const float *df = dfeat + (size_t) row * GCN_DN_FEATS;
      float px[BINS], pw[BINS], band[GCN_DN_BANDS], dE[GCN_DN_BANDS];
      float dpw[BINS], dg[BINS], dband[GCN_DN_BANDS], dfine[GCN_DN_FINE];
      int nd = order > 0 ? (bins < GCN_DN_FINE ? bins : GCN_DN_FINE) : 0;
      for (int k = 0; k < bins; k++) {
        px[k] = (X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1]) * norm;
        pw[k] = (Y[2 * k] * Y[2 * k] + Y[2 * k + 1] * Y[2 * k + 1]) * norm;
      }
      gcn_dn_band_energy (pw, bins, band);
      for (int k = 0; k < GCN_DN_BANDS; k++)
        dE[k] = df[k] / (3.f * LN10 * (band[k] + 1e-12f));
      gcn_dn_band_energy_backward (dE, bins, dpw);
      for (int k = 0; k < bins && k < GCN_DN_FINE; k++)
        dpw[k] += df[GCN_DN_BANDS + k] / (3.f * LN10 * (pw[k] + 1e-12f));
      for (int k = 0; k < nd; k++)
        dg[k] = df_backward_bin (b, taps + (size_t) row * GCN_DN_FINE * order *
            2, g[k], row, t, k, order,
            dpw[k] * norm * 2.f * Y[2 * k], dpw[k] * norm * 2.f * Y[2 * k + 1],
            d_df + (size_t) row * GCN_DN_FINE * order * 2);
      for (int k = nd; k < bins; k++)
        dg[k] = dpw[k] * 2.f * g[k] * px[k];
      gcn_dn_bin_gains_backward (dg, bins, dband, dfine);
      for (int k = 0; k < GCN_DN_BANDS; k++)
        d_band[(size_t) row * GCN_DN_BANDS + k] += dband[k];
      for (int k = 0; k < GCN_DN_FINE; k++)
        d_fine[(size_t) row * GCN_DN_FINE + k] += dfine[k];
    }
  }
}

/* rows [n*t][c] <-> sequences (n, c, 1, t) */
static void
to_seq (const float *rows, int n, int t, int c, gc_tensor *seq)
{
  gc_tensor_resize (seq, n, c, 1, t);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < t; j++)
      for (int k = 0; k < c; k++)
        seq->data[((size_t) i * c + k) * t + j] =
            rows[((size_t) i * t + j) * c + k];
}

static void
to_rows (const gc_tensor *seq, float *rows)
{
  int n = seq->n, c = seq->c, t = seq->w;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < c; k++)
      for (int j = 0; j < t; j++)
        rows[((size_t) i * t + j) * c + k] =
            seq->data[((size_t) i * c + k) * t + j];
}

/* ---- held-out test set ---------------------------------------------------- */

static int
write_wav16 (const char *path, const float *x, long n, int rate)
{
  FILE *f = fopen (path, "wb");
  if (!f) {
    gc_set_error ("denoise: cannot write %s", path);
    return -1;
  }
  uint32_t data_bytes = (uint32_t) n * 2, u32;
  uint16_t u16;
  fwrite ("RIFF", 1, 4, f);
  u32 = 36 + data_bytes;
  fwrite (&u32, 4, 1, f);
  fwrite ("WAVEfmt ", 1, 8, f);
  u32 = 16;
  fwrite (&u32, 4, 1, f);
  u16 = 1;
  fwrite (&u16, 2, 1, f);       /* PCM */
  fwrite (&u16, 2, 1, f);       /* mono */
  u32 = rate;
  fwrite (&u32, 4, 1, f);
  u32 = rate * 2;
  fwrite (&u32, 4, 1, f);
  u16 = 2;
  fwrite (&u16, 2, 1, f);
  u16 = 16;
  fwrite (&u16, 2, 1, f);
  fwrite ("data", 1, 4, f);
  fwrite (&data_bytes, 4, 1, f);
  for (long i = 0; i < n; i++) {
    float v = fminf (1.f, fmaxf (-1.f, x[i])) * 32767.f;
    int16_t s = (int16_t) lrintf (v);
    fwrite (&s, 2, 1, f);
  }
  return fclose (f) ? -1 : 0;
}

/* x = s + noise n scaled to snr_db against the speech power ps; if the
 * mixture peaks above `peak`, both x and s are scaled down to it (the
 * clean reference stays the exact speech part of x). */
static void
mix_at_snr (float *s, const float *n, float *x, long len, double ps,
    double snr_db, float peak)
{
  double pn = power (n, len);
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
static int
make_eval (gt_ctx *c, const char *dir)
{
  static const int rates[] = { 48000, 16000 };
  static const int snrs[] = { -5, 0, 5, 10, 15 };
  int items = (int) gt_opt_int (c, "eval_items", 16);
  double secs = gt_opt_float (c, "eval_seconds", 4.0);
  /* 1000: the test set; another base draws a development set from the
   * same held-out speakers and noises */
  long seed_base = gt_opt_int (c, "eval_seed", 1000);

  for (int ri = 0; ri < 2; ri++) {
    int rate = rates[ri];
    dn_data d;
    memset (&d, 0, sizeof d);
    if (load_sets (c, &d, rate, 1) < 0 || d.eval_speech.n == 0
        || d.eval_noise.n == 0) {
      gc_set_error ("denoise: held-out speech or noise missing");
      data_free (&d);
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
        speech_excerpt (&d.eval_speech, &r, dst, seg);
        highpass_at (dst, seg, 30, rate);     /* DC and rumble are not speech */
        double p = power (dst, seg);
        float g = p > 1e-12 ? (float) (0.05 / sqrt (p)) : 0.f;   /* -26 dBFS */
        for (long k = 0; k < seg; k++)
          dst[k] *= g;
        ps += power (dst, seg);
      }
      ps /= items;
      excerpt (&d.eval_noise, &r, n, len);
      mix_at_snr (s, n, x, len, ps, snrs[si], 0.95f);
      snprintf (path, sizeof path, "%s/%dk/snr%d", dir, rate / 1000, snrs[si]);
      char cmd[4200];
      snprintf (cmd, sizeof cmd, "mkdir -p '%s'", path);
      if (system (cmd) != 0)
        return -1;
      char f1[4200], f2[4200];
      snprintf (f1, sizeof f1, "%s/clean.wav", path);
      snprintf (f2, sizeof f2, "%s/noisy.wav", path);
      if (write_wav16 (f1, s, len, rate) < 0 || write_wav16 (f2, x, len, rate) < 0)
        return -1;
      fprintf (stderr, "denoise: wrote %s (%.1f s)\n", path, (double) len / rate);
    }
    free (s);
    free (n);
    free (x);
    data_free (&d);
  }
  return 0;
}

/* ---- leave-source-out sets (dev and test) -----------------------------------*/

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
  set_free (&e->speech);
  for (int i = 0; i < e->ncat; i++)
    set_free (&e->cat[i]);
}

static int
lso_load (gt_ctx *c, lso_sets *e, const char *speech_dir,
    const char *noise_dir, int rate)
{
  memset (e, 0, sizeof *e);
  if (load_dir (c, speech_dir, ".flac,.ogg,.wav", rate, &e->speech, NULL,
          NULL, rate / 4, NULL) < 0)
    return -1;
  set_balance (&e->speech, 0.5);
  char **paths = NULL;
  int n = gt_list_files (c, noise_dir, ".flac,.ogg,.wav", &paths);
  if (n < 0)
    return -1;
  char *root = data_root (c, noise_dir);
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
        || power (x, len) < 1e-9) {
      free (x);
      continue;
    }
    if (set_add (&e->cat[k], x, len) < 0)
      free (x);
    else
      e->cat[k].c[e->cat[k].n - 1].group = group_of (root, paths[i]);
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
    double pick = gc_rng_uniform (r) * s->total;
    int i = 0;
    while (i + 1 < s->n && pick >= s->c[i].n * s->c[i].w) {
      pick -= s->c[i].n * s->c[i].w;
      i++;
    }
    const clip *c = &s->c[i];
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
    maxp = fmax (maxp, power (s + i, fl));
  for (long i = 0; i + fl <= len; i += fl) {
    double p = power (s + i, fl);
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
static int
make_eval_lso (gt_ctx *c, const char *dir, const char *speech_dir,
    const char *noise_dir)
{
  static const int rates[] = { 48000, 16000 };
  static const int snrs[] = { -5, 0, 5, 10, 15 };
  int items = (int) gt_opt_int (c, "eval_items", 4);
  double secs = gt_opt_float (c, "eval_seconds", 6.0);
  long seed_base = gt_opt_int (c, "eval_seed", 1000);
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
          highpass_at (s, len, 30, rate);
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
              float tg = (float) (1.0 / sqrt (power (tmp, len) + 1e-12));
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
          if (write_wav16 (f1, s, len, rate) < 0
              || write_wav16 (f2, x, len, rate) < 0) {
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

/* ---- the recipe ------------------------------------------------------------*/

static void
free_owned (gc_param *owned, int n)
{
  for (int i = 0; i < n; i++)
    gc_param_free (&owned[i]);
  free (owned);
}

/* Everything a resume needs: weights of G and D and both optimizers. */
static int
save_ckpt (gt_ctx *c, long step, gcn_denoiser *net, dn_disc *D, gc_adam *og,
    gc_adam *od, gc_rng *rng)
{
  gc_param_list st = { 0 };
  gc_param *o1 = NULL, *o2 = NULL;
  int n1 = 0, n2 = 0, ret = -1;
  for (int i = 0; i < net->params.count; i++)
    gc_param_list_add (&st, net->params.items[i]);
  for (int i = 0; i < D->params.count; i++)
    gc_param_list_add (&st, D->params.items[i]);
  if (gc_adam_state_export (og, "opt_g", &st, &o1, &n1) == 0 &&
      gc_adam_state_export (od, "opt_d", &st, &o2, &n2) == 0)
    ret = gt_checkpoint_save (c, step, &st, rng);
  gc_param_list_free (&st);
  free_owned (o1, n1);
  free_owned (o2, n2);
  return ret;
}

static long
load_ckpt (gt_ctx *c, gcn_denoiser *net, dn_disc *D, gc_adam *og,
    gc_adam *od, gc_rng *rng)
{
  gc_param_list st = { 0 };
  gc_param *o1 = NULL, *o2 = NULL;
  int n1 = 0, n2 = 0;
  long step = -1;
  for (int i = 0; i < net->params.count; i++)
    gc_param_list_add (&st, net->params.items[i]);
  for (int i = 0; i < D->params.count; i++)
    gc_param_list_add (&st, D->params.items[i]);
  if (gc_adam_state_export (og, "opt_g", &st, &o1, &n1) == 0 &&
      gc_adam_state_export (od, "opt_d", &st, &o2, &n2) == 0) {
    step = gt_checkpoint_load (c, &st, rng);
    if (step > 0 && (gc_adam_state_import (og, "opt_g", &st) < 0 ||
            gc_adam_state_import (od, "opt_d", &st) < 0))
      step = -1;
  }
  gc_param_list_free (&st);
  free_owned (o1, n1);
  free_owned (o2, n2);
  return step;
}

/* Widening (--set gru1=/gru2= above the init model's): where a unit of
 * the old network sits in a tensor of the wider one. GRU rows are three
 * gate blocks (r, z, n) of `hidden` units; the heads read [gru1 | gru2]. */
typedef struct dn_widen {
  int h1o, h2o, h1n, h2n;
} dn_widen;

static int
widen_row (const char *name, int r, const dn_widen *w)
{
  if (strncmp (name, "gru1.", 5) == 0)
    return r / w->h1o * w->h1n + r % w->h1o;
  if (strncmp (name, "gru2.", 5) == 0)
    return r / w->h2o * w->h2n + r % w->h2o;
  return r;                     /* head outputs keep their places */
}

static int
widen_col (const char *name, int c, const dn_widen *w)
{
  if (strncmp (name, "gru", 3) == 0)
    return c;                   /* input or hidden units: a prefix */
  return c < w->h1o ? c : w->h1n + (c - w->h1o);        /* [gru1 | gru2] */
}

/* Copies an old GRU or head tensor into its wider counterpart. The old
 * units keep their weights; new units keep their fresh random rows (so
 * they can learn); every weight from a new unit into an old unit or a
 * head is zero, so the wider network computes what the old one did. */
static int
widen_tensor (gc_param *p, const gc_model_tensor *t, const dn_widen *w)
{
  int grurow = strncmp (p->name, "gru", 3) == 0;
  int head = !grurow && (strstr (p->name, ".weight") || strstr (p->name,
          ".bias")) && strncmp (p->name, "conv.", 5) != 0;
  if ((!grurow && !head) || p->ndim != t->ndim || p->ndim < 1 || p->ndim > 2)
    return -1;
  int ro = t->shape[0], rn = p->shape[0];
  int co = p->ndim == 2 ? t->shape[1] : 1, cn = p->ndim == 2 ? p->shape[1] : 1;
  for (int r = 0; r < ro; r++) {
    int nr = widen_row (p->name, r, w);
    if (nr < 0 || nr >= rn)
      return -1;
    memset (p->w + (size_t) nr * cn, 0, (size_t) cn * sizeof (float));
    for (int c = 0; c < co; c++) {
      int nc = p->ndim == 2 ? widen_col (p->name, c, w) : 0;
      if (nc < 0 || nc >= cn)
        return -1;
      p->w[(size_t) nr * cn + nc] = t->data[(size_t) r * co + c];
    }
  }
  return 0;
}

/* Warm start (--set init=MODEL): copy every tensor the model file shares
 * with this network (a deep filter added to a gains-only model starts at
 * zero, so the run begins exactly where that model ended). A network with
 * wider GRUs than the model is widened without changing what it computes
 * (widen_tensor). */
static int
init_from_model (gcn_denoiser *net, const char *path)
{
  gc_model_file m;
  if (gc_model_load (&m, path) < 0)
    return -1;
  dn_widen w = { gc_model_meta_get_int (&m, "gru1", net->cfg.gru1),
    gc_model_meta_get_int (&m, "gru2", net->cfg.gru2), net->cfg.gru1,
    net->cfg.gru2 };
  int widen = w.h1o != w.h1n || w.h2o != w.h2n;
  if (w.h1o > w.h1n || w.h2o > w.h2n || w.h1o < 1 || w.h2o < 1 ||
      gc_model_meta_get_int (&m, "conv_ch", net->cfg.conv_ch) !=
      net->cfg.conv_ch) {
    gc_set_error ("%s: GRUs %d/%d, conv %d channels: this network can only "
        "widen its GRUs (%d/%d, conv %d)", path, w.h1o, w.h2o,
        gc_model_meta_get_int (&m, "conv_ch", 0), w.h1n, w.h2n,
        net->cfg.conv_ch);
    gc_model_free (&m);
    return -1;
  }
  int copied = 0, fresh = 0;
  for (int i = 0; i < net->params.count; i++) {
    gc_param *p = net->params.items[i];
    const gc_model_tensor *t = gc_model_find (&m, p->name);
    if (t && t->n == p->n) {    /* widening never keeps a size and moves units */
      memcpy (p->w, t->data, p->n * sizeof (float));
      copied++;
    } else if (t && widen && widen_tensor (p, t, &w) == 0) {
      copied++;
    } else if (t && p->ndim == 3 && t->ndim == 3 && t->shape[0] == p->shape[0]
        && t->shape[1] < p->shape[1] && t->shape[2] == p->shape[2]) {
      /* a conv that gained input channels (phase features): the old ones
       * keep their weights, the new ones start at zero */
      int co = p->shape[0], ci = p->shape[1], k = p->shape[2];
      int ti = t->shape[1];
      memset (p->w, 0, p->n * sizeof (float));
      for (int o = 0; o < co; o++)
        memcpy (p->w + ((size_t) o * ci) * k, t->data + ((size_t) o * ti) * k,
            (size_t) ti * k * sizeof (float));
      copied++;
    } else if (t) {
      gc_set_error ("%s: tensor %s has %zu values, this network %zu",
          path, p->name, t->n, p->n);
      gc_model_free (&m);
      return -1;
    } else {
      fresh++;
    }
  }
  fprintf (stderr, "denoise: %d tensors from %s, %d new\n", copied, path,
      fresh);
  gc_model_free (&m);
  return 0;
}

/* --set export_df=0: export the network without its deep-filter head (the
 * gains it learnt alongside the filter, run on their own). */
static int opt_export_df = 1;

static int
export_model (gt_ctx *c, gcn_denoiser *net, const char *path)
{
  if (!opt_export_df && net->cfg.df_order > 0) {
    gcn_denoiser lean;
    gcn_denoiser_config cfg = net->cfg;
    gc_rng r;
    gc_rng_seed (&r, 1);
    cfg.df_order = 0;
    if (gcn_denoiser_init (&lean, &cfg, &r) < 0)
      return -1;
    for (int i = 0; i < lean.params.count; i++) {
      gc_param *p = lean.params.items[i];
      gc_param *q = gc_param_list_find (&net->params, p->name);
      if (!q || q->n != p->n) {
        gc_set_error ("denoise: export: %s missing", p->name);
        gcn_denoiser_free (&lean);
        return -1;
      }
      memcpy (p->w, q->w, p->n * sizeof (float));
    }
    opt_export_df = 1;
    int ret = export_model (c, &lean, path);
    opt_export_df = 0;
    gcn_denoiser_free (&lean);
    return ret;
  }
  char *storage = NULL;
  const char **kv = gcn_denoiser_meta (net, &storage);
  const char *saved = c->out_path;
  if (path)
    c->out_path = path;
  int ret = kv ? gt_export (c, &net->params, kv) : -1;
  c->out_path = saved;
  free (kv);
  free (storage);
  return ret;
}

int
gt_recipe_denoise (gt_ctx *c)
{
  const char *eval_dir = gt_opt_str (c, "make_eval", NULL);
  const char *eval_speech = gt_opt_str (c, "eval_speech", NULL);
  const char *eval_noise = gt_opt_str (c, "eval_noise", NULL);
  if (eval_dir && *eval_dir && eval_speech && *eval_speech && eval_noise
      && *eval_noise)
    return make_eval_lso (c, eval_dir, eval_speech, eval_noise) < 0 ? -1 : 0;
  if (eval_dir && *eval_dir)
    return make_eval (c, eval_dir) < 0 ? -1 : 0;

  int batch = (int) gt_opt_int (c, "batch", 16);
  int frames = (int) gt_opt_int (c, "frames", 100);
  float lr = (float) gt_opt_float (c, "lr", 1e-3);
  float adv = (float) gt_opt_float (c, "adv", 0.05);
  long adv_start = gt_opt_int (c, "adv_start", 800);
  float d_lr = (float) gt_opt_float (c, "d_lr", 2e-4);
  long export_every = gt_opt_int (c, "export_every", 0);
  opt_speech_only = (float) gt_opt_float (c, "speech_only", 0.2);
  opt_snr_max = (float) gt_opt_float (c, "snr_max", 30);
  opt_wide = (float) gt_opt_float (c, "wide", 0.6);
  opt_reverb_keep = (float) gt_opt_float (c, "reverb_keep", 0);
  opt_gate = (float) gt_opt_float (c, "gate", 0);
  opt_deepen = (float) gt_opt_float (c, "deepen", 0);
  opt_lowvoice = gt_opt_float (c, "lowvoice", 10);
  if (!(opt_lowvoice > 0)) {
    gc_set_error ("denoise: lowvoice must be > 0");
    return -1;
  }
  opt_band = (int) gt_opt_int (c, "band", 0);
  if (opt_band < 0 || opt_band > BINS - 1) {
    gc_set_error ("denoise: band must be 0 (random) or 1..%d bins", BINS - 1);
    return -1;
  }
  opt_asym = (float) gt_opt_float (c, "asym", 6.0);
  float lr_min = (float) gt_opt_float (c, "lr_min", lr * 0.05);
  long warmup = gt_opt_int (c, "warmup", 200);
  /* a warm restart: continue a finished run with a fresh warm-up + cosine
   * that starts at this step (the checkpoint's) instead of step 0 */
  long sched_from = gt_opt_int (c, "sched_from", 0);
  long steps = c->steps > 0 ? c->steps : 38000;
  c->steps = steps;
  if (batch < 1 || frames < 8) {
    gc_set_error ("denoise: batch >= 1 and frames >= 8 please");
    return -1;
  }
  int first, last;              /* this rank's items of the global batch */
  if (gt_dist_slice (batch, &first, &last) < 0)
    return -1;
  batch = last - first;

  dn_data d;
  if (data_load (c, &d) < 0) {
    data_free (&d);
    return -1;
  }

  gc_rng rng;
  gc_rng_seed (&rng, c->seed);
  gcn_denoiser net;
  gcn_denoiser_config cfg;
  gcn_denoiser_config_default (&cfg);
  cfg.conv_ch = (int) gt_opt_int (c, "conv_ch", cfg.conv_ch);
  cfg.gru1 = (int) gt_opt_int (c, "gru1", cfg.gru1);
  cfg.gru2 = (int) gt_opt_int (c, "gru2", cfg.gru2);
  cfg.df_order = (int) gt_opt_int (c, "df", 3);
  cfg.phase = (int) gt_opt_int (c, "phase", 1);
  cfg.lookahead = (int) gt_opt_int (c, "lookahead", 0);
  const char *init = gt_opt_str (c, "init", NULL);
  opt_export_df = (int) gt_opt_int (c, "export_df", 0);
  dn_disc D;
  if (gcn_denoiser_init (&net, &cfg, &rng) < 0 || disc_init (&D, &rng) < 0) {
    data_free (&d);
    return -1;
  }
  fprintf (stderr, "denoise: generator %zu weights, discriminator %zu, "
      "adversarial weight %g\n", gc_param_list_count_floats (&net.params, 1),
      gc_param_list_count_floats (&D.params, 1), adv);

  gc_adam og, od;
  gc_adam_init (&og, &net.params, lr, 0.9f, 0.999f, 0.f);
  gc_adam_init (&od, &D.params, d_lr, 0.5f, 0.999f, 0.f);
  long start = load_ckpt (c, &net, &D, &og, &od, &rng);
  if (start < 0) {
    gc_set_error ("denoise: bad checkpoint: %s", gc_last_error ());
    return -1;
  }
  if (start == 0 && init && *init && init_from_model (&net, init) < 0)
    return -1;
  int order = cfg.df_order, la = cfg.lookahead;
  if (sched_from < 0 || sched_from >= steps) {
    gc_set_error ("denoise: sched_from must lie in [0, steps)");
    return -1;
  }
  gc_lr_schedule sched = { GC_LR_WARMUP_COSINE, lr, lr_min,
    steps - sched_from, warmup, 0, 0.f };

  dn_batch b;
  gcn_denoiser_train tr;
  gcn_denoiser_train_init (&tr);
  int rows = batch * frames, rows_net = batch * (frames + la);
  int dfs = gcn_dn_df_size (&net);
  dn_heads heads;
  int hall = heads_alloc (&heads, rows, dfs);
  /* gradients at the network's rows (the first la of each item get none) */
  float *n_band = malloc ((size_t) rows_net * GCN_DN_BANDS * sizeof (float));
  float *n_fine = malloc ((size_t) rows_net * GCN_DN_FINE * sizeof (float));
  float *n_vad = malloc ((size_t) rows_net * sizeof (float));
  float *n_df = malloc ((size_t) rows_net * (dfs > 0 ? dfs : 1) *
      sizeof (float));
  float *d_band = malloc ((size_t) rows * GCN_DN_BANDS * sizeof (float));
  float *d_fine = malloc ((size_t) rows * GCN_DN_FINE * sizeof (float));
  float *d_vad = malloc ((size_t) rows * sizeof (float));
  float *d_df = calloc ((size_t) rows * GCN_DN_FINE * (order > 0 ? order : 1) * 2,
      sizeof (float));
  float *gbin = calloc ((size_t) rows * BINS, sizeof (float));
  float *ffake = malloc ((size_t) rows * GCN_DN_FEATS * sizeof (float));
  float *freal = malloc ((size_t) rows * GCN_DN_FEATS * sizeof (float));
  float *dfeat = malloc ((size_t) rows * GCN_DN_FEATS * sizeof (float));
  float scratch[2 * BINS];
  gc_tensor xr = GC_TENSOR_INIT, xf = GC_TENSOR_INIT;
  float *sr = NULL, *sf = NULL, *gr = NULL, *gf = NULL;
  gc_stft *fft = gc_stft_new (NFFT, NFFT, HOP, GC_WIN_SQRT_HANN);
  float win[NFFT];
  gcn_dn_window (win, NFFT);
  int balloc = batch_alloc (&b, batch, frames, la);
  b.in = gcn_dn_in_size (&net);
  if (balloc < 0 || hall < 0 || !n_band || !n_fine || !n_vad || !n_df || !d_band || !d_fine || !d_vad
      || !d_df || !gbin || !ffake || !freal || !dfeat || !fft) {
    gc_set_error ("denoise: out of memory");
    return -1;
  }
  static const char *names[] = { "gain", "spec", "sig", "vad", "adv_g",
    "adv_d" };

  for (long step = start; step < steps; step++) {
    dn_loss L = { 0 };
    og.lr = gc_lr_at (&sched, step < sched_from ? 0 : step - sched_from);
    batch_make (&d, &b, fft, win, c->seed, step, first);
    gcn_denoiser_forward_train (&net, &tr, b.feat, batch, frames + la);
    heads_gather (&heads, &tr, batch, frames, la);
    enhance (&b, &heads, order, gbin);
    recon_losses (&b, &heads, order, d_band, d_fine, d_vad, d_df, gbin, &L);

    if (adv > 0 && step >= adv_start) {
      for (int i = 0; i < batch; i++)
        for (int t = 0; t < frames; t++) {
          int row = i * frames + t;
          limited_features (b.S + (size_t) row * BINS * 2, b.bins[i],
              freal + (size_t) row * GCN_DN_FEATS, scratch);
        }
      fake_features (&b, ffake);
      to_seq (freal, batch, frames, GCN_DN_FEATS, &xr);
      to_seq (ffake, batch, frames, GCN_DN_FEATS, &xf);

      /* discriminator step */
      disc_forward (&D, &xr);
      int ns = (int) gc_tensor_size (&D.h[3]);
      if (!sr) {
        sr = malloc (ns * sizeof (float));
        sf = malloc (ns * sizeof (float));
        gr = malloc (ns * sizeof (float));
        gf = malloc (ns * sizeof (float));
      }
      memcpy (sr, D.h[3].data, ns * sizeof (float));
      disc_forward (&D, &xf);
      memcpy (sf, D.h[3].data, ns * sizeof (float));
      L.d = gc_gan_d_loss (GC_GAN_LSGAN, sr, ns, sf, ns, gr, gf);
      disc_backward (&D, &xf, gf, 0);
      disc_forward (&D, &xr);
      disc_backward (&D, &xr, gr, 0);
      gt_dist_grads (c, step, &D.params);
      gc_clip_grad_norm (&D.params, 5.f);
      gc_adam_step (&od);

      /* generator's adversarial term through the updated critic */
      disc_forward (&D, &xf);
      L.adv = gc_gan_g_loss (GC_GAN_LSGAN, D.h[3].data, ns, gf);
      for (int i = 0; i < ns; i++)
        gf[i] *= adv;
      disc_backward (&D, &xf, gf, 1);
      gc_param_list_zero_grad (&D.params);
      to_rows (&D.dx, dfeat);
      fake_backward (&b, gbin, heads.df, order, dfeat, d_band, d_fine, d_df);
    }
    rows_scatter (d_band, batch, frames, la, GCN_DN_BANDS, n_band);
    rows_scatter (d_fine, batch, frames, la, GCN_DN_FINE, n_fine);
    rows_scatter (d_vad, batch, frames, la, 1, n_vad);
    if (dfs > 0)
      rows_scatter (d_df, batch, frames, la, dfs, n_df);
    gcn_denoiser_backward_train (&net, &tr, n_band, n_fine, n_vad,
        dfs > 0 ? n_df : NULL);
    gt_dist_grads (c, step, &net.params);
    gc_clip_grad_norm (&net.params, 1.f);
    gc_adam_step (&og);

    float vals[6] = { L.gain, L.spec, L.sig, L.vad, L.adv, L.d };
    gt_log_step (c, step + 1, 6, names, vals);
    if (gt_checkpoint_due (c, step + 1))
      save_ckpt (c, step + 1, &net, &D, &og, &od, &rng);
    if (export_every > 0 && (step + 1) % export_every == 0) {
      char path[4200];
      snprintf (path, sizeof path, "%s/model-%ld.safetensors",
          c->run_dir ? c->run_dir : ".", step + 1);
      /* the metadata's steps are the ones this file has had */
      long all_steps = c->steps;
      c->steps = step + 1;
      export_model (c, &net, path);
      c->steps = all_steps;
    }
  }
  save_ckpt (c, steps, &net, &D, &og, &od, &rng);
  int ret = export_model (c, &net, NULL);

  gt_finish (c);
  gc_tensor_free (&xr);
  gc_tensor_free (&xf);
  free (sr);
  free (sf);
  free (gr);
  free (gf);
  free (d_band);
  free (d_fine);
  free (d_vad);
  free (d_df);
  free (n_band);
  free (n_fine);
  free (n_vad);
  free (n_df);
  heads_free (&heads);
  free (gbin);
  free (ffake);
  free (freal);
  free (dfeat);
  gc_stft_free (fft);
  batch_free (&b);
  gcn_denoiser_train_free (&tr);
  gc_adam_free (&og);
  gc_adam_free (&od);
  disc_free (&D);
  gcn_denoiser_free (&net);
  data_free (&d);
  return ret;
}
