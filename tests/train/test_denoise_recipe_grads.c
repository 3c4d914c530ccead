/* The denoise recipe's losses against finite differences: gain, compressed
 * magnitude, signal and voice-activity losses, and the discriminator's
 * feature path, through the gains *and* the deep filter (whose gradient
 * reaches the taps through the current and the past frames).
 *
 * The recipe's helpers are its own, so this file includes its sources. */
#include "../../tools/train/dn_data.c"
#include "../../tools/train/dn_mix.c"
#include "../../tools/train/dn_disc.c"
#include "../../tools/train/dn_batch.c"
#include "../../tools/train/dn_loss.c"
#include "../../tools/train/dn_evalset.c"
#include "../../tools/train/dn_model.c"
#include "../../tools/train/recipe_denoise.c"
#include "gradcheck.h"

#include <unistd.h>

typedef struct ctx {
  gcn_denoiser net;
  gcn_denoiser_acts tr;
  dn_batch b;
  dn_heads h;
  float *d_band, *d_fine, *d_vad, *d_df, *gbin, *ffake, *dfeat_w;
  float *n_band, *n_fine, *n_vad, *n_df;
} ctx;

/* The scalar whose gradient the recipe's backward computes: the weighted
 * reconstruction losses plus a fixed linear read-out of the fake features
 * (standing in for the discriminator). */
static double
value (void *p)
{
  ctx *c = p;
  dn_loss L = { 0 };
  int order = c->net.cfg.df_order, rows = c->b.n * c->b.t;
  gcn_denoiser_forward_train (&c->net, &c->tr, c->b.feat, c->b.n,
      c->b.t + c->b.la);
  dn_heads_gather (&c->h, &c->tr, c->b.n, c->b.t, c->b.la);
  dn_enhance (&c->b, &c->h, order, c->gbin);
  dn_recon_losses (&c->b, &c->h, order, c->d_band, c->d_fine, c->d_vad, c->d_df,
      c->gbin, &L);
  dn_fake_features (&c->b, c->ffake);
  double adv = gradcheck_dot (c->ffake, c->dfeat_w,
      (size_t) rows * GCN_DN_FEATS);
  return L.gain + W_SPEC * (double) L.spec + W_SIG * (double) L.sig +
      W_VAD * (double) L.vad + adv;
}

static void
grad (void *p)
{
  ctx *c = p;
  int order = c->net.cfg.df_order, n = c->b.n, t = c->b.t, la = c->b.la;
  value (c);
  dn_fake_backward (&c->b, c->gbin, c->h.df, order, c->dfeat_w, c->d_band,
      c->d_fine, c->d_df);
  dn_rows_scatter (c->d_band, n, t, la, GCN_DN_BANDS, c->n_band);
  dn_rows_scatter (c->d_fine, n, t, la, GCN_DN_FINE, c->n_fine);
  dn_rows_scatter (c->d_vad, n, t, la, 1, c->n_vad);
  if (c->h.dfs > 0)
    dn_rows_scatter (c->d_df, n, t, la, c->h.dfs, c->n_df);
  gc_param_list_zero_grad (&c->net.params);
  gcn_denoiser_backward_train (&c->net, &c->tr, c->n_band, c->n_fine,
      c->n_vad, c->h.dfs > 0 ? c->n_df : NULL);
}

static void
run (int df_order, int la)
{
  ctx c;
  memset (&c, 0, sizeof c);
  gc_rng r;
  gc_rng_seed (&r, 21 + df_order + 7 * la);
  gcn_denoiser_config cfg = { 12, 3, 10, 8, df_order, 0, la };
  if (gcn_denoiser_init (&c.net, &cfg, &r) < 0) {
    CHECK (0, "init: %s", gc_last_error ());
    return;
  }
  if (df_order > 0)
    gradcheck_fill_normal (&r, c.net.df_head.weight.w, c.net.df_head.weight.n,
        0.05f);
  gradcheck_fill_normal (&r, c.net.fine_head.bias.w, c.net.fine_head.bias.n,
      1.f);
  gradcheck_fill_normal (&r, c.net.band_head.bias.w, c.net.band_head.bias.n,
      1.f);
  gcn_denoiser_acts_init (&c.tr);
  int n = 2, t = 6, rows = n * t, rows_net = n * (t + la);
  CHECK (dn_batch_alloc (&c.b, n, t, la, 0) == 0, "batch");
  CHECK (dn_heads_alloc (&c.h, rows, gcn_dn_df_size (&c.net)) == 0, "heads");
  /* a full-band item and one band-limited below the deep-filtered bins */
  c.b.bins[0] = BINS;
  c.b.bins[1] = 41;
  size_t spec = (size_t) rows * BINS * 2;
  gradcheck_fill_normal (&r, c.b.X, spec, 1.f);
  for (size_t i = 0; i < spec; i++)
    c.b.S[i] = 0.6f * c.b.X[i] + 0.3f * gc_rng_normal (&r);
  gradcheck_fill_normal (&r, c.b.Xf,
      (size_t) n * (la > 0 ? la : 1) * BINS * 2, 1.f);
  for (int i = 0; i < n; i++)
    item_features (&c.b, i, NULL, 0);
  c.d_band = calloc ((size_t) rows * GCN_DN_BANDS, sizeof (float));
  c.d_fine = calloc ((size_t) rows * GCN_DN_FINE, sizeof (float));
  c.d_vad = calloc (rows, sizeof (float));
  c.d_df = calloc ((size_t) rows * GCN_DN_FINE * GCN_DN_DF_MAX * 2,
      sizeof (float));
  c.gbin = calloc ((size_t) rows * BINS, sizeof (float));
  c.ffake = calloc ((size_t) rows * GCN_DN_FEATS, sizeof (float));
  c.dfeat_w = calloc ((size_t) rows * GCN_DN_FEATS, sizeof (float));
  c.n_band = calloc ((size_t) rows_net * GCN_DN_BANDS, sizeof (float));
  c.n_fine = calloc ((size_t) rows_net * GCN_DN_FINE, sizeof (float));
  c.n_vad = calloc (rows_net, sizeof (float));
  c.n_df = calloc ((size_t) rows_net * GCN_DN_FINE * GCN_DN_DF_MAX * 2,
      sizeof (float));
  gradcheck_fill_normal (&r, c.dfeat_w, (size_t) rows * GCN_DN_FEATS, 0.01f);
  dn_opt_asym = 1.f;            /* the asymmetric weight is a kink */

  char name[64];
  snprintf (name, sizeof name, "denoise losses df_order=%d lookahead=%d",
      df_order, la);
  gradcheck_op op = { name, value, grad, &c };
  gradcheck_var vars[3] = {
    { "band.bias", c.net.band_head.bias.w, c.net.band_head.bias.g,
        c.net.band_head.bias.n },
    { "fine.bias", c.net.fine_head.bias.w, c.net.fine_head.bias.g,
        c.net.fine_head.bias.n },
    { "df.bias", df_order > 0 ? c.net.df_head.bias.w : NULL,
        df_order > 0 ? c.net.df_head.bias.g : NULL,
        df_order > 0 ? c.net.df_head.bias.n : 0 },
  };
  gradcheck_vars (&op, vars, df_order > 0 ? 3 : 2, 1e-3f, 3e-2, 2e-5);

  free (c.d_band);
  free (c.d_fine);
  free (c.d_vad);
  free (c.d_df);
  free (c.gbin);
  free (c.ffake);
  free (c.dfeat_w);
  free (c.n_band);
  free (c.n_fine);
  free (c.n_vad);
  free (c.n_df);
  dn_heads_free (&c.h);
  dn_batch_free (&c.b);
  gcn_denoiser_acts_free (&c.tr);
  gcn_denoiser_free (&c.net);
}

/* The training path (item_features, forward_train, dn_heads_gather, dn_enhance)
 * gives the same enhanced spectra as a stream
 * (gcn_denoiser_process_spectrum) fed the same frames one by one, with
 * phase features and the deep filter's history, at full band and
 * band-limited; with lookahead the stream's output is la frames late.
 * With floor features and `warm` frames before the item, the stream hears
 * those frames first, and every input the network gets in training (phase
 * and floor features included) is the one the stream computes; the
 * network itself starts fresh in training, so spectra are compared only
 * without warm frames. */
static void
train_matches_stream (int bins, int la, int floor, int warm)
{
  gc_rng r;
  gc_rng_seed (&r, 31);
  gcn_denoiser net;
  gcn_denoiser_config cfg = { 12, 3, 10, 8, 3, 1, la, floor };
  if (gcn_denoiser_init (&net, &cfg, &r) < 0) {
    CHECK (0, "init");
    return;
  }
  gradcheck_fill_normal (&r, net.df_head.weight.w, net.df_head.weight.n, 0.1f);
  gradcheck_fill_normal (&r, net.conv.weight.w, net.conv.weight.n, 0.1f);
  dn_batch b;
  int t = 9, in = gcn_dn_in_size (&net);
  CHECK (dn_batch_alloc (&b, 1, t, la, warm) == 0, "batch");
  b.in = in;
  b.phase = cfg.phase;
  b.floor = cfg.floor;
  b.bins[0] = bins;
  /* the warm frames: a steady noise, then the item louder and varying */
  float *pre = malloc ((size_t) (warm > 0 ? warm : 1) * BINS * 2 *
      sizeof (float));
  gradcheck_fill_normal (&r, pre, (size_t) (warm > 0 ? warm : 1) * BINS * 2,
      1e-3f);
  gradcheck_fill_normal (&r, b.X, (size_t) t * BINS * 2, 1e-2f);
  gradcheck_fill_normal (&r, b.Xf, (size_t) (la > 0 ? la : 1) * BINS * 2,
      1e-2f);
  item_features (&b, 0, pre, warm);
  gcn_denoiser_acts tr;
  gcn_denoiser_acts_init (&tr);
  gcn_denoiser_forward_train (&net, &tr, b.feat, 1, t + la);
  dn_heads h;
  CHECK (dn_heads_alloc (&h, t, gcn_dn_df_size (&net)) == 0, "heads");
  dn_heads_gather (&h, &tr, 1, t, la);
  float *gbin = calloc ((size_t) t * BINS, sizeof (float));
  dn_enhance (&b, &h, cfg.df_order, gbin);

  /* the stream sees the spectrum a stream at that rate computes: the same
   * bins, scaled to its n_fft */
  gcn_denoiser_state st;
  CHECK (gcn_denoiser_state_init (&st, &net) == 0, "state");
  float scale = (float) (2 * (bins - 1)) / NFFT, worst = 0, worst_feat = 0;
  for (int j = -warm; j < t + la; j++) {
    float spec[2 * BINS];
    const float *X = j < 0 ? pre + (size_t) (j + warm) * BINS * 2 :
        j < t ? b.X + (size_t) j * BINS * 2 : b.Xf + (size_t) (j - t) * BINS * 2;
    for (int k = 0; k < 2 * bins; k++)
      spec[k] = X[k] * scale;
    gcn_denoiser_process_spectrum (&st, spec, bins, 0.f, NULL);
    if (j < 0)
      continue;
    for (int k = 0; k < in; k++) {
      float want = b.feat[(size_t) j * in + k];
      float err = fabsf (st.feat[k] - want);
      if (err > worst_feat)
        worst_feat = err;
    }
    for (int k = 0; k < 2 * bins && warm == 0; k++) {
      /* zeros while the delay line fills, then frame j - la */
      float want = j < la ? 0.f :
          b.Y[(size_t) (j - la) * BINS * 2 + k] * scale;
      float err = fabsf (spec[k] - want) / (1e-4f + fabsf (want));
      if (err > worst)
        worst = err;
    }
  }
  printf ("train vs stream, %d bins, lookahead %d, floor %d, warm %d: worst "
      "relative error %.3g, worst feature error %.3g\n", bins, la, floor,
      warm, worst, worst_feat);
  CHECK (worst < 1e-3f, "training and streaming spectra differ (%g)", worst);
  CHECK (worst_feat < 1e-4f, "training and streaming inputs differ (%g)",
      worst_feat);
  if (floor) {
    /* the floor features say something: after the quiet warm frames the
     * louder item stands above its floor in some band */
    float most = -1.f;
    for (int j = 0; j < t; j++)
      for (int k = 0; k < GCN_DN_FLOOR_FEATS; k++) {
        float v = b.feat[(size_t) j * in + gcn_dn_floor_offset (&net) + k];
        most = v > most ? v : most;
      }
    CHECK (warm == 0 || most > 0.5f, "floor features after warm frames: "
        "largest %g", most);
  }
  gcn_denoiser_state_free (&st);
  gcn_denoiser_acts_free (&tr);
  dn_heads_free (&h);
  free (gbin);
  free (pre);
  dn_batch_free (&b);
  gcn_denoiser_free (&net);
}

/* Widening a trained network's GRUs (init= a narrower model) must not
 * change what it computes: the same spectra through the narrow and the
 * widened network come out equal, while the new units have non-zero
 * weights of their own to learn from. A narrower target is refused. */
static void
widen_keeps_function (void)
{
  gc_rng r;
  gc_rng_seed (&r, 41);
  gcn_denoiser narrow, wide, thin;
  gcn_denoiser_config cn = { 12, 3, 10, 8, 0, 1, 0 };
  gcn_denoiser_config cw = { 12, 3, 16, 13, 0, 1, 0 };
  gcn_denoiser_config ct = { 12, 3, 10, 6, 0, 1, 0 };
  if (gcn_denoiser_init (&narrow, &cn, &r) < 0 ||
      gcn_denoiser_init (&wide, &cw, &r) < 0 ||
      gcn_denoiser_init (&thin, &ct, &r) < 0) {
    CHECK (0, "init");
    return;
  }
  for (int i = 0; i < narrow.params.count; i++)
    gradcheck_fill_normal (&r, narrow.params.items[i]->w,
        narrow.params.items[i]->n, 0.3f);
  char path[] = "/tmp/gst-gan-widen-XXXXXX";
  int fd = mkstemp (path);
  CHECK (fd >= 0, "temp file");
  close (fd);
  char *storage = NULL;
  const char **kv = gcn_denoiser_meta (&narrow, &storage);
  CHECK (kv && gc_model_save (path, &narrow.params, kv) == 0, "save: %s",
      gc_last_error ());
  free (kv);
  free (storage);
  CHECK (dn_init_from_model (&wide, path) == 0, "widen: %s",
      gc_last_error ());
  CHECK (dn_init_from_model (&thin, path) < 0, "a narrower GRU was accepted");
  unlink (path);

  /* a new unit's gate row is its own, random; its weight into an old
   * unit is zero */
  float own = 0, into_old = 0;
  for (int c = 0; c < wide.gru1.in; c++)
    own += fabsf (wide.gru1.w_ih.w[(size_t) 12 * wide.gru1.in + c]);
  for (int u = 0; u < 10; u++)
    into_old += fabsf (wide.gru1.w_hh.w[(size_t) u * 16 + 12]);
  CHECK (own > 0 && into_old == 0, "new unit: own %g, into old %g", own,
      into_old);

  gcn_denoiser_state a, b;
  CHECK (gcn_denoiser_state_init (&a, &narrow) == 0 &&
      gcn_denoiser_state_init (&b, &wide) == 0, "state");
  float worst = 0, gained = 0;
  for (int j = 0; j < 20; j++) {
    float x[2 * BINS], sa[2 * BINS], sb[2 * BINS];
    gradcheck_fill_normal (&r, x, 2 * BINS, 1e-2f);
    memcpy (sa, x, sizeof x);
    memcpy (sb, x, sizeof x);
    gcn_denoiser_process_spectrum (&a, sa, BINS, 0.f, NULL);
    gcn_denoiser_process_spectrum (&b, sb, BINS, 0.f, NULL);
    for (int k = 0; k < 2 * BINS; k++) {
      worst = fmaxf (worst, fabsf (sa[k] - sb[k]) / (1e-6f + fabsf (sa[k])));
      gained = fmaxf (gained, fabsf (sa[k] - x[k]) / (1e-6f + fabsf (x[k])));
    }
  }
  /* the narrow network must really act on the spectra, or equal outputs
   * would prove nothing */
  CHECK (gained > 0.1f, "the narrow network passes its input (%g)",
      gained);
  printf ("widened GRUs 10/8 -> 16/13: worst relative difference %.3g\n",
      worst);
  CHECK (worst < 1e-4f, "widening changed the output (%g)", worst);
  gcn_denoiser_state_free (&a);
  gcn_denoiser_state_free (&b);
  gcn_denoiser_free (&narrow);
  gcn_denoiser_free (&wide);
  gcn_denoiser_free (&thin);
}

/* A clip of weight w (--set lowvoice) is drawn as w copies of it would be,
 * draw for draw with the same random numbers, and w times as often. */
static void
weighted_clip_draws (void)
{
  enum { N = 700, LEN = 100, DRAWS = 3000 };
  static float a[N], b[N + 300], c[N / 2];
  for (int i = 0; i < N; i++)
    a[i] = 1.f;
  for (int i = 0; i < N + 300; i++)
    b[i] = 2.f + i;
  for (int i = 0; i < N / 2; i++)
    c[i] = -1.f;
  clip_set w = { 0 }, copies = { 0 };
  dn_set_add (&w, a, N);
  dn_set_add (&w, b, N + 300);
  w.c[1].w = 10.0;
  w.total += 9.0 * (N + 300);
  dn_set_add (&w, c, N / 2);
  dn_set_add (&copies, a, N);
  for (int k = 0; k < 10; k++)
    dn_set_add (&copies, b, N + 300);
  dn_set_add (&copies, c, N / 2);
  gc_rng r1, r2;
  gc_rng_seed (&r1, 5);
  gc_rng_seed (&r2, 5);
  float x1[LEN], x2[LEN];
  int same = 1, from_b = 0;
  for (int i = 0; i < DRAWS; i++) {
    dn_excerpt (&w, &r1, x1, LEN);
    dn_excerpt (&copies, &r2, x2, LEN);
    same &= !memcmp (x1, x2, sizeof x1);
    from_b += x1[0] >= 2.f;
  }
  CHECK (same, "weighted clip draws differ from its copies' draws");
  /* expected share of b: 10 * 1000 / (700 + 10 * 1000 + 350) */
  double share = (double) from_b / DRAWS, want = 10000.0 / 11050.0;
  CHECK (fabs (share - want) < 0.03, "weighted clip share %.3f, want %.3f",
      share, want);
  free (w.c);
  free (copies.c);
}

/* Sources: the first folder below the listed one, or a flat file's name up
 * to its first '_'; dn_set_balance draws a source of T samples in proportion
 * to T^expo, whatever its clips' lengths. */
static void
source_balance (void)
{
  CHECK (dn_group_of ("/d", "/d/music/a/x.ogg") == dn_group_of ("/d",
      "/d/music/b.ogg"),
      "files of one folder are different sources");
  CHECK (dn_group_of ("/d", "/d/music/x.ogg") != dn_group_of ("/d",
      "/d/rain/x.ogg"),
      "two folders are one source");
  CHECK (dn_group_of ("/d", "/d/asterisk_en.flac") == dn_group_of ("/d",
      "/d/asterisk_ru.flac"),
      "asterisk_* are different sources");
  CHECK (dn_group_of ("/d", "/d/asterisk_en.flac") != dn_group_of ("/d",
      "/d/klettres_en.flac"),
      "asterisk_ and klettres_ are one source");
  enum { DRAWS = 20000, LEN = 10 };
  /* source A: one clip of 4 s; source B: four clips of 4 s (16 s) */
  static float a[4 * SR], b[4 * SR];
  for (long i = 0; i < 4 * SR; i++) {
    a[i] = 1.f;
    b[i] = 2.f;
  }
  for (int pass = 0; pass < 2; pass++) {
    double expo = pass ? 0.5 : 0.0;
    clip_set s = { 0 };
    dn_set_add (&s, a, 4 * SR);
    s.c[0].group = 1;
    for (int k = 0; k < 4; k++) {
      dn_set_add (&s, b, 4 * SR);
      s.c[s.n - 1].group = 2;
    }
    dn_set_balance (&s, expo);
    gc_rng r;
    gc_rng_seed (&r, 9);
    float x[LEN];
    int from_a = 0;
    for (int i = 0; i < DRAWS; i++) {
      dn_excerpt (&s, &r, x, LEN);
      from_a += x[0] == 1.f;
    }
    /* mass 4^expo against 16^expo */
    double want = pow (4, expo) / (pow (4, expo) + pow (16, expo));
    double got = (double) from_a / DRAWS;
    printf ("balance %.1f: source A drawn %.3f of the time (want %.3f)\n",
        expo, got, want);
    CHECK (fabs (got - want) < 0.015, "balance %.1f: share %.3f, want %.3f",
        expo, got, want);
    free (s.c);
  }
}

/* Crackle is finite, bounded and not silent; noise fill loops short clips
 * into a steady background with no gap. */
static void
synthetic_noise (void)
{
  enum { LEN = SR };
  static float x[LEN];
  gc_rng r;
  gc_rng_seed (&r, 3);
  for (int k = 0; k < 20; k++) {
    crackle (x, LEN, &r);
    double p = dn_power (x, LEN);
    float peak = 0;
    for (long i = 0; i < LEN; i++)
      peak = fmaxf (peak, fabsf (x[i]));
    CHECK (isfinite (p) && p > 0 && peak < 20.f, "crackle power %g peak %g",
        p, peak);
  }
  static float clipx[SR / 10];
  for (long i = 0; i < SR / 10; i++)
    clipx[i] = 0.5f;
  clip_set s = { 0 };
  dn_set_add (&s, clipx, SR / 10);
  fill_from (&s, &r, x, LEN, SR, 0);
  long zeros = 0;
  for (long i = 0; i < LEN; i++)
    zeros += fabsf (x[i] - 0.5f) > 1e-6f;
  CHECK (zeros == 0, "noise fill left %ld samples off the clip's level", zeros);
  fill_from (&s, &r, x, LEN, SR, 1);
  zeros = 0;
  for (long i = 0; i < LEN; i++)
    zeros += x[i] == 0.f;
  /* at least one 0.15 s pause and at least one whole word */
  CHECK (zeros >= SR * 15 / 100 && zeros <= LEN - SR / 10,
      "speech fill: %ld samples of pause in 1 s of 0.1 s words", zeros);
  free (s.c);
}

int
main (void)
{
  weighted_clip_draws ();
  source_balance ();
  synthetic_noise ();
  widen_keeps_function ();
  run (0, 0);
  run (3, 0);
  run (3, 1);
  run (0, 2);
  for (int la = 0; la <= 2; la++) {
    train_matches_stream (BINS, la, 0, 0);
    train_matches_stream (161, la, 0, 0);
    train_matches_stream (41, la, 0, 0);
    train_matches_stream (BINS, la, 1, 0);
    train_matches_stream (161, la, 1, 40);
    train_matches_stream (41, la, 1, 40);
  }
  printf ("%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
