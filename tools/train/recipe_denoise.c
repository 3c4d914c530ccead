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
 * Settings (--set key=value): the table gt_denoise_settings below, which
 * "gan-train denoise --help" prints. Default steps: 38000.
 *
 * This file reads the settings and runs the training loop; the parts live
 * in dn_data.c, dn_mix.c, dn_disc.c, dn_batch.c, dn_loss.c, dn_evalset.c
 * and dn_model.c, which share dn_internal.h.
 */
#include "dn_internal.h"
#include "recipes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every setting of the recipe, read through this table (gt_setting_*). */
const gt_setting gt_denoise_settings[] = {
  /* data */
  { "speech_extra", GT_SETTING_STR, 0, NULL, "more training speech: folders "
        "separated by ':' (scripts/denoise-data.sh, denoise-corpus.sh)" },
  { "noise_extra", GT_SETTING_STR, 0, NULL, "more training noise, folders "
        "separated by ':' (scripts/denoise-noise-data.sh); never held out" },
  { "balance", GT_SETTING_FLOAT, 0.5, NULL, "a speech source of T seconds "
        "is drawn in proportion to T^balance" },
  { "noise_balance", GT_SETTING_FLOAT, 0, NULL, "the same for noise source "
        "folders (0: every folder alike)" },
  { "lowvoice", GT_SETTING_FLOAT, 10, NULL, "how many times more often per "
        "second the lowvoice_* files of speech_extra are drawn (> 0)" },
  /* mixtures */
  { "speech_only", GT_SETTING_FLOAT, 0.2, NULL, "share of items without "
        "noise" },
  { "snr_max", GT_SETTING_FLOAT, 30, NULL, "mixtures are drawn at "
        "-5 .. snr_max dB SNR" },
  { "wide", GT_SETTING_FLOAT, 0.6, NULL, "share of items from wideband "
        "speech" },
  { "reverb_keep", GT_SETTING_FLOAT, 0, NULL, "share of reverberant items "
        "whose target keeps the whole reverberation instead of the first "
        "50 ms" },
  { "gate", GT_SETTING_FLOAT, 0, NULL, "share of items whose noise starts "
        "or stops inside the item" },
  { "deepen", GT_SETTING_FLOAT, 0, NULL, "share of items whose speech "
        "plays 0.7-0.9 times as fast (a lower voice)" },
  { "band", GT_SETTING_INT, 0, NULL, "0: a random band limit per item; N: "
        "every item limited to N 50 Hz bins (160 for a 16 kHz specialist)" },
  /* training */
  { "batch", GT_SETTING_INT, 16, NULL, "items per step (global, split over "
        "the ranks)" },
  { "frames", GT_SETTING_INT, 100, NULL, "scored 10 ms frames per item "
        "(>= 8)" },
  { "lr", GT_SETTING_FLOAT, 1e-3, NULL, "generator learning rate "
        "(warm-up, then cosine)" },
  { "lr_min", GT_SETTING_FLOAT, NAN, NULL, "final learning rate (lr / 20)" },
  { "warmup", GT_SETTING_INT, 200, NULL, "warm-up steps" },
  { "sched_from", GT_SETTING_INT, 0, NULL, "the step where the warm-up + "
        "cosine schedule starts, to continue a finished run with a warm "
        "restart" },
  { "adv", GT_SETTING_FLOAT, 0.05, NULL, "weight of the adversarial term "
        "(0: reconstruction only)" },
  { "adv_start", GT_SETTING_INT, 800, NULL, "step from which the "
        "discriminator trains" },
  { "d_lr", GT_SETTING_FLOAT, 2e-4, NULL, "discriminator learning rate" },
  { "asym", GT_SETTING_FLOAT, 6, NULL, "weight of errors that remove speech "
        "relative to ones that leave noise" },
  /* network */
  { "conv_ch", GT_SETTING_INT, NAN, NULL, "convolution channels (the "
        "network's default, gcn_denoiser_config_default)" },
  { "gru1", GT_SETTING_INT, NAN, NULL, "first GRU's width (the network's "
        "default); above an init model's, its GRU is widened" },
  { "gru2", GT_SETTING_INT, NAN, NULL, "second GRU's width, the same way" },
  { "df", GT_SETTING_INT, 3, NULL, "deep-filter taps on the low bins (0: "
        "gains only)" },
  { "phase", GT_SETTING_INT, 1, NULL, "phase-advance input features (0: "
        "magnitudes only)" },
  { "lookahead", GT_SETTING_INT, 0, NULL, "frames the gains wait for; each "
        "adds 10 ms of latency" },
  { "floor", GT_SETTING_INT, 0, NULL, "1: band floor (stationarity) input "
        "features (gcn_dn_floor.h); from an init model without them they "
        "start at zero weight" },
  { "floor_warm", GT_SETTING_INT, 150, NULL, "with floor: most frames of "
        "each item's mixture the floor features hear before the item, as a "
        "running stream's have (a third of the items start cold, the rest "
        "hear 0 .. floor_warm; 0 .. 1000)" },
  { "init", GT_SETTING_STR, 0, NULL, "start from a trained model's weights "
        "(tensors it lacks, such as a new deep filter, keep their fresh "
        "values; the widened GRUs compute what the model did)" },
  /* export */
  { "export_df", GT_SETTING_INT, 0, NULL, "1: export with the deep-filter "
        "head; 0: without it, as shipped (trained with the filter, it runs "
        "better without; docs/denoise.md)" },
  { "export_every", GT_SETTING_INT, 0, NULL, "also export a model every N "
        "steps (0: never)" },
  /* evaluation sets */
  { "make_eval", GT_SETTING_STR, 0, NULL, "write an evaluation set as WAV "
        "into this folder and exit: with eval_speech and eval_noise the "
        "leave-source-out set of scripts/denoise-eval.sh, else the "
        "shared-data held-out set (see the top of recipe_denoise.c)" },
  { "eval_speech", GT_SETTING_STR, 0, NULL, "speech folder of the "
        "leave-source-out set" },
  { "eval_noise", GT_SETTING_STR, 0, NULL, "noise folder of the "
        "leave-source-out set (a category per first-level folder)" },
  { "eval_items", GT_SETTING_INT, NAN, NULL, "items per category and SNR "
        "(leave-source-out: 4), or per SNR (held-out set: 16)" },
  { "eval_seconds", GT_SETTING_FLOAT, NAN, NULL, "seconds per item "
        "(leave-source-out: 6, held-out set: 4)" },
  { "eval_seed", GT_SETTING_INT, 1000, NULL, "the evaluation set's draws" },
  { NULL }
};

/* The settings more than one file reads (dn_internal.h); set from the
 * table by read_shared_settings before anything reads them. */
double dn_opt_lowvoice;
float dn_opt_speech_only, dn_opt_snr_max, dn_opt_wide, dn_opt_reverb_keep,
    dn_opt_gate, dn_opt_deepen, dn_opt_asym;
int dn_opt_band, dn_opt_export_df;

static int
read_shared_settings (gt_ctx *c)
{
  const gt_setting *tab = gt_denoise_settings;
  dn_opt_speech_only = (float) gt_setting_float (c, tab, "speech_only");
  dn_opt_snr_max = (float) gt_setting_float (c, tab, "snr_max");
  dn_opt_wide = (float) gt_setting_float (c, tab, "wide");
  dn_opt_reverb_keep = (float) gt_setting_float (c, tab, "reverb_keep");
  dn_opt_gate = (float) gt_setting_float (c, tab, "gate");
  dn_opt_deepen = (float) gt_setting_float (c, tab, "deepen");
  dn_opt_lowvoice = gt_setting_float (c, tab, "lowvoice");
  if (!(dn_opt_lowvoice > 0)) {
    gc_set_error ("denoise: lowvoice must be > 0");
    return -1;
  }
  dn_opt_band = (int) gt_setting_int (c, tab, "band");
  if (dn_opt_band < 0 || dn_opt_band > BINS - 1) {
    gc_set_error ("denoise: band must be 0 (random) or 1..%d bins", BINS - 1);
    return -1;
  }
  dn_opt_asym = (float) gt_setting_float (c, tab, "asym");
  dn_opt_export_df = (int) gt_setting_int (c, tab, "export_df");
  return 0;
}

int
gt_recipe_denoise (gt_ctx *c)
{
  const gt_setting *tab = gt_denoise_settings;
  if (read_shared_settings (c) < 0)
    return -1;
  const char *eval_dir = gt_setting_str (c, tab, "make_eval");
  const char *eval_speech = gt_setting_str (c, tab, "eval_speech");
  const char *eval_noise = gt_setting_str (c, tab, "eval_noise");
  if (eval_dir && *eval_dir && eval_speech && *eval_speech && eval_noise
      && *eval_noise)
    return dn_make_eval_lso (c, eval_dir, eval_speech, eval_noise) < 0 ? -1 : 0;
  if (eval_dir && *eval_dir)
    return dn_make_eval (c, eval_dir) < 0 ? -1 : 0;

  int batch = (int) gt_setting_int (c, tab, "batch");
  int frames = (int) gt_setting_int (c, tab, "frames");
  float lr = (float) gt_setting_float (c, tab, "lr");
  float adv = (float) gt_setting_float (c, tab, "adv");
  long adv_start = gt_setting_int (c, tab, "adv_start");
  float d_lr = (float) gt_setting_float (c, tab, "d_lr");
  long export_every = gt_setting_int (c, tab, "export_every");
  float lr_min = (float) gt_setting_float_or (c, tab, "lr_min", lr * 0.05);
  long warmup = gt_setting_int (c, tab, "warmup");
  /* a warm restart: continue a finished run with a fresh warm-up + cosine
   * that starts at this step (the checkpoint's) instead of step 0 */
  long sched_from = gt_setting_int (c, tab, "sched_from");
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
  if (dn_data_load (c, &d) < 0) {
    dn_data_free (&d);
    return -1;
  }

  gc_rng rng;
  gc_rng_seed (&rng, c->seed);
  gcn_denoiser net;
  gcn_denoiser_config cfg;
  gcn_denoiser_config_default (&cfg);
  cfg.conv_ch = (int) gt_setting_int_or (c, tab, "conv_ch", cfg.conv_ch);
  cfg.gru1 = (int) gt_setting_int_or (c, tab, "gru1", cfg.gru1);
  cfg.gru2 = (int) gt_setting_int_or (c, tab, "gru2", cfg.gru2);
  cfg.df_order = (int) gt_setting_int (c, tab, "df");
  cfg.phase = (int) gt_setting_int (c, tab, "phase");
  cfg.lookahead = (int) gt_setting_int (c, tab, "lookahead");
  cfg.floor = (int) gt_setting_int (c, tab, "floor");
  long warm = cfg.floor ? gt_setting_int (c, tab, "floor_warm") : 0;
  if (warm < 0 || warm > 1000) {
    gc_set_error ("denoise: floor_warm must lie in 0 .. 1000 frames");
    return -1;
  }
  /* an item is reverberated in one FFT of CONV_N samples */
  if ((warm + frames + cfg.lookahead) * (long) HOP + RIR_LEN > CONV_N) {
    gc_set_error ("denoise: items too long (frames + floor_warm + lookahead "
        "<= %d)", (CONV_N - RIR_LEN) / HOP);
    return -1;
  }
  const char *init = gt_setting_str (c, tab, "init");
  dn_disc D;
  if (gcn_denoiser_init (&net, &cfg, &rng) < 0 || dn_disc_init (&D, &rng) < 0) {
    dn_data_free (&d);
    return -1;
  }
  fprintf (stderr, "denoise: generator %zu weights, discriminator %zu, "
      "adversarial weight %g\n", gc_param_list_count_floats (&net.params, 1),
      gc_param_list_count_floats (&D.params, 1), adv);

  gc_adam og, od;
  gc_adam_init (&og, &net.params, lr, 0.9f, 0.999f, 0.f);
  gc_adam_init (&od, &D.params, d_lr, 0.5f, 0.999f, 0.f);
  long start = dn_load_ckpt (c, &net, &D, &og, &od, &rng);
  if (start < 0) {
    gc_set_error ("denoise: bad checkpoint: %s", gc_last_error ());
    return -1;
  }
  if (start == 0 && init && *init && dn_init_from_model (&net, init) < 0)
    return -1;
  int order = cfg.df_order, la = cfg.lookahead;
  if (sched_from < 0 || sched_from >= steps) {
    gc_set_error ("denoise: sched_from must lie in [0, steps)");
    return -1;
  }
  gc_lr_schedule sched = { GC_LR_WARMUP_COSINE, lr, lr_min,
    steps - sched_from, warmup, 0, 0.f };

  dn_batch b;
  gcn_denoiser_acts tr;
  gcn_denoiser_acts_init (&tr);
  int rows = batch * frames, rows_net = batch * (frames + la);
  int dfs = gcn_dn_df_size (&net);
  dn_heads heads;
  int hall = dn_heads_alloc (&heads, rows, dfs);
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
  int balloc = dn_batch_alloc (&b, batch, frames, la, (int) warm);
  b.in = gcn_dn_in_size (&net);
  b.phase = cfg.phase;
  b.floor = cfg.floor;
  if (balloc < 0 || hall < 0 || !n_band || !n_fine || !n_vad || !n_df || !d_band || !d_fine || !d_vad
      || !d_df || !gbin || !ffake || !freal || !dfeat || !fft) {
    gc_set_error ("denoise: out of memory");
    return -1;
  }
  static const char *names[] = { "gain", "spec", "sig", "vad", "adv_g",
    "adv_d" };

  /* a failed pass (out of memory, a shape error: gc_last_error says which)
   * stops the run before it trains on stale tensors; the last checkpoint
   * stays as it was */
  int ret = 0;
  for (long step = start; step < steps; step++) {
    dn_loss L = { 0 };
    og.lr = gc_lr_at (&sched, step < sched_from ? 0 : step - sched_from);
    dn_batch_make (&d, &b, fft, win, c->seed, step, first);
    if (gcn_denoiser_forward_train (&net, &tr, b.feat, batch,
            frames + la) < 0) {
      ret = -1;
      break;
    }
    dn_heads_gather (&heads, &tr, batch, frames, la);
    dn_enhance (&b, &heads, order, gbin);
    dn_recon_losses (&b, &heads, order, d_band, d_fine, d_vad, d_df, gbin, &L);

    if (adv > 0 && step >= adv_start) {
      for (int i = 0; i < batch; i++)
        for (int t = 0; t < frames; t++) {
          int row = i * frames + t;
          dn_limited_features (b.S + (size_t) row * BINS * 2, b.bins[i],
              freal + (size_t) row * GCN_DN_FEATS, NULL, scratch);
        }
      dn_fake_features (&b, ffake);
      dn_to_seq (freal, batch, frames, GCN_DN_FEATS, &xr);
      dn_to_seq (ffake, batch, frames, GCN_DN_FEATS, &xf);

      /* discriminator step */
      dn_disc_forward (&D, &xr);
      int ns = (int) gc_tensor_size (&D.h[3]);
      if (!sr) {
        sr = malloc (ns * sizeof (float));
        sf = malloc (ns * sizeof (float));
        gr = malloc (ns * sizeof (float));
        gf = malloc (ns * sizeof (float));
        if (!sr || !sf || !gr || !gf) {
          gc_set_error ("denoise: out of memory");
          ret = -1;
          break;
        }
      }
      memcpy (sr, D.h[3].data, ns * sizeof (float));
      dn_disc_forward (&D, &xf);
      memcpy (sf, D.h[3].data, ns * sizeof (float));
      L.d = gc_gan_d_loss (GC_GAN_LSGAN, sr, ns, sf, ns, gr, gf);
      dn_disc_backward (&D, &xf, gf, 0);
      dn_disc_forward (&D, &xr);
      dn_disc_backward (&D, &xr, gr, 0);
      gt_dist_grads (c, step, &D.params);
      gc_clip_grad_norm (&D.params, 5.f);
      gc_adam_step (&od);

      /* generator's adversarial term through the updated critic */
      dn_disc_forward (&D, &xf);
      L.adv = gc_gan_g_loss (GC_GAN_LSGAN, D.h[3].data, ns, gf);
      for (int i = 0; i < ns; i++)
        gf[i] *= adv;
      dn_disc_backward (&D, &xf, gf, 1);
      gc_param_list_zero_grad (&D.params);
      dn_to_rows (&D.dx, dfeat);
      dn_fake_backward (&b, gbin, heads.df, order, dfeat, d_band, d_fine, d_df);
    }
    dn_rows_scatter (d_band, batch, frames, la, GCN_DN_BANDS, n_band);
    dn_rows_scatter (d_fine, batch, frames, la, GCN_DN_FINE, n_fine);
    dn_rows_scatter (d_vad, batch, frames, la, 1, n_vad);
    if (dfs > 0)
      dn_rows_scatter (d_df, batch, frames, la, dfs, n_df);
    if (gcn_denoiser_backward_train (&net, &tr, n_band, n_fine, n_vad,
            dfs > 0 ? n_df : NULL) < 0) {
      ret = -1;
      break;
    }
    gt_dist_grads (c, step, &net.params);
    gc_clip_grad_norm (&net.params, 1.f);
    gc_adam_step (&og);

    float vals[6] = { L.gain, L.spec, L.sig, L.vad, L.adv, L.d };
    gt_log_step (c, step + 1, 6, names, vals);
    if (gt_checkpoint_due (c, step + 1))
      dn_save_ckpt (c, step + 1, &net, &D, &og, &od, &rng);
    if (export_every > 0 && (step + 1) % export_every == 0) {
      char path[4200];
      snprintf (path, sizeof path, "%s/model-%ld.safetensors",
          c->run_dir ? c->run_dir : ".", step + 1);
      /* the metadata's steps are the ones this file has had */
      long all_steps = c->steps;
      c->steps = step + 1;
      dn_export_model (c, &net, path);
      c->steps = all_steps;
    }
  }
  if (ret == 0) {
    dn_save_ckpt (c, steps, &net, &D, &og, &od, &rng);
    ret = dn_export_model (c, &net, NULL);
  }

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
  dn_heads_free (&heads);
  free (gbin);
  free (ffake);
  free (freal);
  free (dfeat);
  gc_stft_free (fft);
  dn_batch_free (&b);
  gcn_denoiser_acts_free (&tr);
  gc_adam_free (&og);
  gc_adam_free (&od);
  dn_disc_free (&D);
  gcn_denoiser_free (&net);
  dn_data_free (&d);
  return ret;
}
