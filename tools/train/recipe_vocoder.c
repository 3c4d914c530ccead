/* recipe_vocoder — train the frame-rate GAN vocoder (gcn_vocoder).
 *
 *   --set task=copy    16 kHz speech -> log-mel -> 16 kHz speech
 *   --set task=nb2wb   8 kHz band-limited speech -> 16 kHz wideband speech
 *
 * Data: clean wideband speech from speech/ (LJSpeech, speechbrain, sc09)
 * plus, when present, the Asterisk prompts decoded under
 * cache/vocoder-deb/asterisk-*.flac (Debian asterisk-core-sounds-*-g722).
 * Held out for evaluation (never read here): speech/arctic and
 * speech/librispeech, other speakers.
 *
 * Losses: log-mel L1 of the output (the HiFi-GAN reconstruction loss),
 * multi-resolution STFT, L1 on the predicted log-magnitudes, and after a
 * reconstruction-only warm-up, LSGAN (or hinge) on multi-period and
 * multi-resolution discriminators with feature matching. Segments of about
 * half a second keep a step cheap enough for a shared CPU.
 *
 * Settings: gt_vocoder_settings below ("gan-train vocoder --help"). */
#include "gt.h"
#include "gt_dist.h"
#include "recipes.h"
#include "gcn_vocoder.h"
#include "gcn_vocoder_disc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
  float *x;
  long n;
} clip;

typedef struct {
  clip *clips;
  int count;
  double total;
} corpus;

static const char *train_dirs[] = { "speech/ljspeech", "speech/speechbrain",
  "speech/sc09", NULL };
static const char *extra_files[] = { "cache/vocoder-deb/asterisk-en.flac",
  "cache/vocoder-deb/asterisk-fr.flac", NULL };

static int
corpus_add (corpus *cp, float *x, long n)
{
  if (n < 16000) {
    free (x);
    return 0;
  }
  /* level: peak of the loud part to about -6 dBFS; gain is randomised later */
  float peak = 0;
  for (long i = 0; i < n; i++)
    peak = fmaxf (peak, fabsf (x[i]));
  if (peak < 1e-4f) {
    free (x);
    return 0;
  }
  for (long i = 0; i < n; i++)
    x[i] *= 0.5f / peak;
  clip *nc = realloc (cp->clips, (cp->count + 1) * sizeof (clip));
  if (!nc) {
    free (x);
    return -1;
  }
  cp->clips = nc;
  cp->clips[cp->count].x = x;
  cp->clips[cp->count].n = n;
  cp->count++;
  cp->total += n;
  return 0;
}

static int
load_corpus (gt_ctx *c, corpus *cp, int rate)
{
  memset (cp, 0, sizeof *cp);
  for (int d = 0; train_dirs[d]; d++) {
    char **paths = NULL;
    int n = gt_list_files (c, train_dirs[d], ".flac,.wav,.ogg", &paths);
    for (int i = 0; i < n; i++) {
      float *x = NULL;
      long len = 0;
      if (gt_load_audio (c, paths[i], rate, &x, &len) < 0) {
        fprintf (stderr, "vocoder: skipping %s: %s\n", paths[i],
            gc_last_error ());
        continue;
      }
      if (corpus_add (cp, x, len) < 0)
        return -1;
    }
    gt_free_list (paths, n);
  }
  for (int i = 0; extra_files[i]; i++) {
    struct stat st;
    if (stat (extra_files[i], &st) != 0)
      continue;
    char *abs = realpath (extra_files[i], NULL);
    float *x = NULL;
    long len = 0;
    if (abs && gt_load_audio (c, abs, rate, &x, &len) == 0)
      corpus_add (cp, x, len);
    free (abs);
  }
  return cp->count > 0 ? 0 : -1;
}

/* A random segment at a random gain, with a low noise floor added: held-out
 * recordings have pauses and background noise that the vocoder must
 * reproduce from the mel too, while prompts and TTS data are near-silent
 * between words. Three segments in four must hold some speech. */
static void
pick_segment (const corpus *cp, gc_rng *r, int len, float gain_db,
    float noise_db, float *out)
{
  int any = gc_rng_uniform (r) < 0.25f;
  for (int attempt = 0; attempt < 8; attempt++) {
    double u = gc_rng_uniform (r) * cp->total;
    int k = 0;
    while (k < cp->count - 1 && u >= cp->clips[k].n) {
      u -= cp->clips[k].n;
      k++;
    }
    const clip *cl = &cp->clips[k];
    long start = cl->n > len ? (long) (gc_rng_uniform (r) * (cl->n - len)) : 0;
    double e = 0;
    for (int i = 0; i < len; i++) {
      out[i] = start + i < cl->n ? cl->x[start + i] : 0.0f;
      e += (double) out[i] * out[i];
    }
    if (any || e / len > 1e-5 || attempt == 7)
      break;
  }
  float g = powf (10.0f, gain_db * (2 * gc_rng_uniform (r) - 1) / 20.0f);
  for (int i = 0; i < len; i++)
    out[i] *= g;
  if (noise_db <= 0)
    return;
  /* noise floor noise_db .. noise_db + 30 dB below full scale (0.5 peak),
   * white to brownish (a one-pole low-pass of random strength) */
  float level = 0.5f * powf (10.0f, -(noise_db + 30 * gc_rng_uniform (r))
      / 20.0f);
  float a = 0.95f * gc_rng_uniform (r), lp = 0;
  float norm = sqrtf (1 - a * a);
  for (int i = 0; i < len; i++) {
    lp = a * lp + gc_rng_normal (r);
    out[i] += level * norm * lp;
  }
}

/* What the element sees for NB2WB: down to 8 kHz and back up. */
static void
narrowband (const float *x, int len, float *out)
{
  long n8 = gcn_resample_len (len, 16000, 8000);
  float *x8 = malloc (n8 * sizeof (float));
  if (!x8) {
    memcpy (out, x, len * sizeof (float));
    return;
  }
  gcn_resample (x, len, 16000, x8, n8, 8000);
  gcn_resample (x8, n8, 8000, out, len, 16000);
  free (x8);
}

/* Log-mel L1 between pred and target (B, len) with the vocoder's own mel
 * bands; adds w * gradient into grad. */
typedef struct {
  gc_stft *stft;
  float *sp_p, *sp_t, *dmag;
  size_t cap;
} mel_loss;

static float
mel_l1 (mel_loss *ml, const gcn_vocoder *v, const float *pred,
    const float *target, int batch, int len, float w, float *grad)
{
  int frames = gc_stft_frames (ml->stft, len), B = v->bins;
  int nm = v->cfg.n_mels;
  size_t need = (size_t) frames * B;
  if (ml->cap < need) {
    free (ml->sp_p);
    free (ml->sp_t);
    free (ml->dmag);
    ml->sp_p = malloc (need * 2 * sizeof (float));
    ml->sp_t = malloc (need * 2 * sizeof (float));
    ml->dmag = malloc (need * sizeof (float));
    ml->cap = need;
  }
  float *mp = malloc ((2 * B + 3 * nm) * sizeof (float));
  float *mt = mp + B, *lp = mt + B, *lt = lp + nm, *dl = lt + nm;
  double loss = 0;
  float scale = 1.0f / ((float) batch * frames * nm);
  for (int b = 0; b < batch; b++) {
    const float *p = pred + (size_t) b * len, *t = target + (size_t) b * len;
    gc_stft_forward (ml->stft, p, len, ml->sp_p);
    gc_stft_forward (ml->stft, t, len, ml->sp_t);
    for (int f = 0; f < frames; f++) {
      const float *sp = ml->sp_p + (size_t) f * B * 2;
      const float *st = ml->sp_t + (size_t) f * B * 2;
      for (int k = 0; k < B; k++) {
        mp[k] = hypotf (sp[2 * k], sp[2 * k + 1]);
        mt[k] = hypotf (st[2 * k], st[2 * k + 1]);
      }
      gc_filterbank_apply (&v->mel, mp, lp);
      gc_filterbank_apply (&v->mel, mt, lt);
      for (int m = 0; m < nm; m++) {
        float a = fmaxf (lp[m], 1e-5f), bb = fmaxf (lt[m], 1e-5f);
        float d = logf (a) - logf (bb);
        loss += fabsf (d);
        /* d|log a - log b| / d mel = sign / a (zero under the floor) */
        dl[m] = lp[m] > 1e-5f ? w * scale * (d > 0 ? 1.f : d < 0 ? -1.f : 0.f)
            / a : 0.0f;
      }
      float *dm = ml->dmag + (size_t) f * B;
      memset (dm, 0, B * sizeof (float));
      for (int m = 0; m < nm; m++) {
        if (dl[m] == 0)
          continue;
        const float *row = v->mel.weights + (size_t) m * B;
        for (int k = v->mel.first[m]; k <= v->mel.last[m]; k++)
          dm[k] += dl[m] * row[k];
      }
    }
    if (grad)
      gc_stft_mag_backward (ml->stft, p, len, ml->sp_p, ml->dmag,
          grad + (size_t) b * len);
  }
  free (mp);
  return (float) (loss * scale);
}

static int
build_state (gc_param_list *state, gcn_vocoder *v, gcn_vocoder_disc *d,
    gc_adam *og, gc_adam *od, gc_param **owned, int *n_owned)
{
  memset (state, 0, sizeof *state);
  for (int i = 0; i < v->params.count; i++)
    gc_param_list_add (state, v->params.items[i]);
  for (int i = 0; i < d->params.count; i++)
    gc_param_list_add (state, d->params.items[i]);
  if (gc_adam_state_export (og, "adam_g", state, &owned[0], &n_owned[0]) < 0
      || gc_adam_state_export (od, "adam_d", state, &owned[1], &n_owned[1])
      < 0)
    return -1;
  return 0;
}

static void
free_state (gc_param_list *state, gc_param **owned, int *n_owned)
{
  gc_param_list_free (state);
  for (int k = 0; k < 2; k++) {
    for (int i = 0; i < n_owned[k]; i++)
      gc_param_free (&owned[k][i]);
    free (owned[k]);
    owned[k] = NULL;
    n_owned[k] = 0;
  }
}

const gt_setting gt_vocoder_settings[] = {
  { "task", GT_SETTING_STR, 0, "copy", "copy: 16 kHz speech -> log-mel -> "
        "16 kHz speech; nb2wb: 8 kHz band-limited speech -> 16 kHz" },
  { "frames", GT_SETTING_INT, 67, NULL, "STFT frames per segment (>= 16)" },
  { "batch", GT_SETTING_INT, 4, NULL, "segments per step (global, split "
        "over the ranks)" },
  { "lr_g", GT_SETTING_FLOAT, 5e-4, NULL, "generator learning rate" },
  { "lr_d", GT_SETTING_FLOAT, 2e-4, NULL, "discriminators' learning rate" },
  { "w_mel", GT_SETTING_FLOAT, 45, NULL, "weight of the log-mel L1 loss" },
  { "w_stft", GT_SETTING_FLOAT, 1, NULL, "weight of the multi-resolution "
        "STFT loss" },
  { "w_mag", GT_SETTING_FLOAT, 1, NULL, "weight of the L1 loss on the "
        "predicted log-magnitudes (0: off)" },
  { "w_adv", GT_SETTING_FLOAT, 1, NULL, "weight of the adversarial loss" },
  { "w_fm", GT_SETTING_FLOAT, 2, NULL, "weight of feature matching" },
  { "adv_start", GT_SETTING_FLOAT, 0.3, NULL, "the adversarial terms start "
        "after this fraction of the steps" },
  { "gan", GT_SETTING_STR, 0, "lsgan", "GAN loss: ns, lsgan, hinge or "
        "wgan" },
  { "disc_ch", GT_SETTING_INT, 6, NULL, "discriminators' base channels" },
  { "channels", GT_SETTING_INT, 96, NULL, "vocoder hidden width (>= 4)" },
  { "gain_db", GT_SETTING_FLOAT, 10, NULL, "segments get a random gain of "
        "+-gain_db" },
  { "noise_db", GT_SETTING_FLOAT, 45, NULL, "noise floor noise_db .. "
        "noise_db + 30 dB below the peak (0: none)" },
  { "export_only", GT_SETTING_INT, 0, NULL, "1: load the checkpoint and "
        "export it" },
  { "refine_lookahead", GT_SETTING_INT, NAN, NULL, "streaming phase "
        "refinement written into the exported model: look-ahead frames "
        "(copy 6, nb2wb 0); training runs without it" },
  { "refine_iters", GT_SETTING_INT, NAN, NULL, "its passes per hop (copy 4, "
        "nb2wb 0)" },
  { "refine_momentum", GT_SETTING_FLOAT, NAN, NULL, "its momentum (copy "
        "0.6, nb2wb 0)" },
  { NULL }
};

int
gt_recipe_vocoder (gt_ctx *c)
{
  const gt_setting *tab = gt_vocoder_settings;
  const char *task_name = gt_setting_str (c, tab, "task");
  int task = !strcmp (task_name, "nb2wb") ? GCN_VOCODER_NB2WB
      : GCN_VOCODER_COPY;
  if (strcmp (task_name, "nb2wb") && strcmp (task_name, "copy")) {
    gc_set_error ("vocoder: task must be copy or nb2wb, not '%s'",
        task_name);
    return -1;
  }
  int frames = (int) gt_setting_int (c, tab, "frames");
  int batch = (int) gt_setting_int (c, tab, "batch");
  float lr_g = (float) gt_setting_float (c, tab, "lr_g");
  float lr_d = (float) gt_setting_float (c, tab, "lr_d");
  float w_mel = (float) gt_setting_float (c, tab, "w_mel");
  float w_stft = (float) gt_setting_float (c, tab, "w_stft");
  float w_mag = (float) gt_setting_float (c, tab, "w_mag");
  float w_adv = (float) gt_setting_float (c, tab, "w_adv");
  float w_fm = (float) gt_setting_float (c, tab, "w_fm");
  float adv_start = (float) gt_setting_float (c, tab, "adv_start");
  int disc_ch = (int) gt_setting_int (c, tab, "disc_ch");
  int channels = (int) gt_setting_int (c, tab, "channels");
  float gain_db = (float) gt_setting_float (c, tab, "gain_db");
  float noise_db = (float) gt_setting_float (c, tab, "noise_db");
  int export_only = (int) gt_setting_int (c, tab, "export_only");
  int refine_la = (int) gt_setting_int_or (c, tab, "refine_lookahead",
      task == GCN_VOCODER_COPY ? 6 : 0);
  int refine_it = (int) gt_setting_int_or (c, tab, "refine_iters",
      task == GCN_VOCODER_COPY ? 4 : 0);
  float refine_mo = (float) gt_setting_float_or (c, tab, "refine_momentum",
      task == GCN_VOCODER_COPY ? 0.6 : 0);
  int gan = gc_gan_loss_from_name (gt_setting_str (c, tab, "gan"));
  long steps = gt_steps (c, 6000);
  if (gan < 0 || frames < 16 || batch < 1 || channels < 4) {
    gc_set_error ("vocoder: bad settings");
    return -1;
  }
  int i0, i1;                   /* this rank's items of the global batch */
  if (gt_dist_slice (batch, &i0, &i1) < 0)
    return -1;
  batch = i1 - i0;

  gcn_vocoder_config cfg;
  gcn_vocoder_config_default (&cfg, task);
  cfg.channels = channels;
  gcn_vocoder v;
  gcn_vocoder_disc d;
  if (gcn_vocoder_init (&v, &cfg, c->seed) < 0
      || gcn_vocoder_disc_init (&d, disc_ch, c->seed + 1) < 0) {
    gc_set_error ("vocoder: %s", gc_last_error ());
    return -1;
  }
  gc_adam og, od;
  gc_adam_init (&og, &v.params, lr_g, 0.8f, 0.99f, 0.f);
  gc_adam_init (&od, &d.params, lr_d, 0.8f, 0.99f, 0.f);
  gc_lr_schedule sg = { GC_LR_COSINE, lr_g, lr_g * 0.1f, steps, 0, 0, 0 };
  gc_lr_schedule sd = { GC_LR_COSINE, lr_d, lr_d * 0.1f, steps, 0, 0, 0 };
  gc_rng rng;
  gc_rng_seed (&rng, c->seed);

  long step = 0;
  if (export_only)
    c->resume = 1;              /* the weights come from the checkpoint */
  if (c->resume) {
    gc_param_list state;
    gc_param *owned[2] = { NULL, NULL };
    int n_owned[2] = { 0, 0 };
    if (build_state (&state, &v, &d, &og, &od, owned, n_owned) < 0)
      return -1;
    step = gt_checkpoint_load (c, &state, &rng);
    if (step < 0 || (step > 0 && (gc_adam_state_import (&og, "adam_g", &state)
                < 0 || gc_adam_state_import (&od, "adam_d", &state) < 0))) {
      gc_set_error ("vocoder: resume failed: %s", gc_last_error ());
      free_state (&state, owned, n_owned);
      return -1;
    }
    free_state (&state, owned, n_owned);
    if (step > 0)
      fprintf (stderr, "vocoder: resumed at step %ld\n", step);
    else if (export_only) {
      gc_set_error ("vocoder: export_only needs a checkpoint in %s",
          c->run_dir);
      return -1;
    }
  }

  corpus cp;
  if (!export_only) {
    if (load_corpus (c, &cp, cfg.sample_rate) < 0) {
      gc_set_error ("vocoder: no training audio found");
      return -1;
    }
    fprintf (stderr, "vocoder: %d clips, %.1f min of speech, task %s\n",
        cp.count, cp.total / cfg.sample_rate / 60.0, task_name);
  }

  int len = frames * cfg.hop;
  /* losses see the part every frame of which had real input on both sides */
  int lo = cfg.n_fft - cfg.hop, hi = len - (cfg.n_fft - cfg.hop);
  int lv = hi - lo;
  float *x = malloc ((size_t) batch * len * sizeof (float));
  float *xin = malloc ((size_t) batch * len * sizeof (float));
  float *y = malloc ((size_t) batch * len * sizeof (float));
  float *dy = malloc ((size_t) batch * len * sizeof (float));
  float *xv = malloc ((size_t) batch * lv * sizeof (float));
  float *yv = malloc ((size_t) batch * lv * sizeof (float));
  float *dv = malloc ((size_t) batch * lv * sizeof (float));
  float *tmp = malloc ((size_t) batch * lv * sizeof (float));
  int fft_sizes[] = { 256, 512, 1024 }, hops[] = { 64, 128, 256 };
  gc_mrstft *mr = gc_mrstft_new (3, fft_sizes, hops, fft_sizes);
  mel_loss ml = { gc_stft_new (cfg.n_fft, cfg.n_fft, cfg.hop, GC_WIN_HANN),
    NULL, NULL, NULL, 0 };
  gcn_vocoder_acts acts;
  gcn_vdisc_acts dr, df;
  memset (&acts, 0, sizeof acts);
  memset (&dr, 0, sizeof dr);
  memset (&df, 0, sizeof df);
  float **g_real = NULL, **g_fake = NULL, **g_gen = NULL;
  static const char *const names[] = { "mel", "stft", "mag", "g_adv", "fm",
    "d_loss" };
  long adv_from = (long) (adv_start * steps);
  int rc = -1;
  if (!x || !xin || !y || !dy || !xv || !yv || !dv || !tmp || !mr
      || !ml.stft)
    goto out;

  for (; !export_only && step < steps; step++) {
    og.lr = gc_lr_at (&sg, step);
    od.lr = gc_lr_at (&sd, step);
    for (int b = 0; b < batch; b++) {
      float *xb = x + (size_t) b * len;
      gc_rng ir;
      gt_item_rng (&ir, c->seed, step, i0 + b);
      pick_segment (&cp, &ir, len, gain_db, noise_db, xb);
      if (task == GCN_VOCODER_NB2WB)
        narrowband (xb, len, xin + (size_t) b * len);
      else
        memcpy (xin + (size_t) b * len, xb, len * sizeof (float));
    }
    if (gcn_vocoder_forward (&v, xin, batch, len, y, &acts) < 0)
      goto out;
    for (int b = 0; b < batch; b++) {
      memcpy (xv + (size_t) b * lv, x + (size_t) b * len + lo,
          lv * sizeof (float));
      memcpy (yv + (size_t) b * lv, y + (size_t) b * len + lo,
          lv * sizeof (float));
    }
    int adv = step >= adv_from && w_adv > 0;
    float vals[6] = { 0 };

    /* One discriminator forward on real and fake serves both updates
     * (simultaneous gradient steps): the generator's gradient is taken
     * through D before D moves. Saves two of four D passes a step. */
    if (adv) {
      if (gcn_vocoder_disc_forward (&d, xv, batch, lv, &dr) < 0
          || gcn_vocoder_disc_forward (&d, yv, batch, lv, &df) < 0)
        goto out;
      if (!g_real) {
        g_real = gcn_vdisc_grads_alloc (&d, &dr);
        g_fake = gcn_vdisc_grads_alloc (&d, &df);
        g_gen = gcn_vdisc_grads_alloc (&d, &df);
      }
    }

    /* ---- generator */
    memset (dv, 0, (size_t) batch * lv * sizeof (float));
    vals[0] = mel_l1 (&ml, &v, yv, xv, batch, lv, w_mel, dv);
    if (w_stft > 0) {
      vals[1] = gc_mrstft_loss (mr, yv, xv, batch, lv, tmp);
      for (size_t i = 0; i < (size_t) batch * lv; i++)
        dv[i] += w_stft * tmp[i];
    }
    if (w_mag > 0)
      vals[2] = gcn_vocoder_mag_loss (&v, &acts, x, lo / cfg.hop, w_mag);
    if (adv) {
      vals[3] = gcn_vdisc_g_loss (&d, gan, &df, g_gen);
      for (int s = 0; s < d.n_sub; s++) {
        size_t n = gc_tensor_size (gcn_vdisc_logits (&df, s));
        for (size_t i = 0; i < n; i++)
          g_gen[s][i] *= w_adv;
      }
      vals[4] = gcn_vocoder_disc_backward (&d, &df, yv, g_gen, &dr, w_fm,
          dv);
      if (vals[4] < 0)
        goto out;

      /* ---- discriminator (its gradients from the pass above dropped) */
      gc_param_list_zero_grad (&d.params);
      vals[5] = gcn_vdisc_d_loss (&d, gan, &dr, &df, g_real, g_fake);
      if (gcn_vocoder_disc_backward (&d, &dr, xv, g_real, NULL, 0, NULL) < 0
          || gcn_vocoder_disc_backward (&d, &df, yv, g_fake, NULL, 0,
              NULL) < 0)
        goto out;
      gt_dist_grads (c, step, &d.params);
      gc_clip_grad_norm (&d.params, 10.0f);
      gc_adam_step (&od);
    }
    memset (dy, 0, (size_t) batch * len * sizeof (float));
    for (int b = 0; b < batch; b++)
      memcpy (dy + (size_t) b * len + lo, dv + (size_t) b * lv,
          lv * sizeof (float));
    if (gcn_vocoder_backward (&v, &acts, dy) < 0)
      goto out;
    gt_dist_grads (c, step, &v.params);
    gc_clip_grad_norm (&v.params, 10.0f);
    gc_adam_step (&og);

    gt_log_step (c, step + 1, 6, names, vals);
    if (gt_checkpoint_due (c, step + 1) || step + 1 == steps) {
      gc_param_list state;
      gc_param *owned[2] = { NULL, NULL };
      int n_owned[2] = { 0, 0 };
      if (build_state (&state, &v, &d, &og, &od, owned, n_owned) == 0)
        gt_checkpoint_save (c, step + 1, &state, &rng);
      free_state (&state, owned, n_owned);
    }
  }

  {
    const char *kv[40];
    char store[1024], bs[32], fs[32];
    /* trained without the refinement (its backward is not modelled);
     * the file says how to run it */
    if (gcn_vocoder_set_refine (&v, refine_la, refine_it, refine_mo) < 0) {
      gc_set_error ("vocoder: %s", gc_last_error ());
      rc = -1;
      goto out;
    }
    gcn_vocoder_meta (&v, kv, 32, store, sizeof store);
    int k = 0;
    while (kv[k])
      k++;
    snprintf (bs, sizeof bs, "%d", len);
    snprintf (fs, sizeof fs, "%ld", step);
    kv[k++] = "train_segment";
    kv[k++] = bs;
    kv[k++] = "train_steps_done";
    kv[k++] = fs;
    kv[k++] = "eval_holdout";
    kv[k++] = "speech/arctic speech/librispeech";
    kv[k] = NULL;
    rc = gt_export (c, &v.params, kv);
    if (rc < 0)
      gc_set_error ("vocoder: export failed: %s", gc_last_error ());
  }
  gt_finish (c);

out:
  gcn_vdisc_grads_free (&d, g_real);
  gcn_vdisc_grads_free (&d, g_fake);
  gcn_vdisc_grads_free (&d, g_gen);
  gcn_vocoder_acts_free (&acts);
  gcn_vdisc_acts_free (&dr);
  gcn_vdisc_acts_free (&df);
  gc_mrstft_free (mr);
  gc_stft_free (ml.stft);
  free (ml.sp_p);
  free (ml.sp_t);
  free (ml.dmag);
  free (x);
  free (xin);
  free (y);
  free (dy);
  free (xv);
  free (yv);
  free (dv);
  free (tmp);
  gc_adam_free (&og);
  gc_adam_free (&od);
  gcn_vocoder_disc_free (&d);
  gcn_vocoder_free (&v);
  if (!export_only) {
    for (int i = 0; i < cp.count; i++)
      free (cp.clips[i].x);
    free (cp.clips);
  }
  return rc;
}
