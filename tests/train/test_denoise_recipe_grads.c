/* The denoise recipe's losses against finite differences: gain, compressed
 * magnitude, signal and voice-activity losses, and the discriminator's
 * feature path, through the gains *and* the deep filter (whose gradient
 * reaches the taps through the current and the past frames).
 *
 * The recipe's helpers are static, so this file includes its source. */
#include "../../tools/train/recipe_denoise.c"
#include "gradcheck.h"

typedef struct ctx {
  gcn_denoiser net;
  gcn_denoiser_train tr;
  dn_batch b;
  float *d_band, *d_fine, *d_vad, *d_df, *gbin, *ffake, *dfeat_w;
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
  gcn_denoiser_forward_train (&c->net, &c->tr, c->b.feat, c->b.n, c->b.t);
  enhance (&c->b, &c->tr, order, c->gbin);
  recon_losses (&c->b, &c->tr, order, c->d_band, c->d_fine, c->d_vad, c->d_df,
      c->gbin, &L);
  fake_features (&c->b, c->ffake);
  double adv = gk_dot (c->ffake, c->dfeat_w, (size_t) rows * GCN_DN_FEATS);
  return L.gain + W_SPEC * (double) L.spec + W_SIG * (double) L.sig +
      W_VAD * (double) L.vad + adv;
}

static void
grad (void *p)
{
  ctx *c = p;
  int order = c->net.cfg.df_order;
  value (c);
  fake_backward (&c->b, c->gbin, c->tr.df.data, order, c->dfeat_w, c->d_band, c->d_fine,
      c->d_df);
  gc_param_list_zero_grad (&c->net.params);
  gcn_denoiser_backward_train (&c->net, &c->tr, c->d_band, c->d_fine,
      c->d_vad, c->d_df);
}

static void
run (int df_order)
{
  ctx c;
  memset (&c, 0, sizeof c);
  gc_rng r;
  gc_rng_seed (&r, 21 + df_order);
  gcn_denoiser_config cfg = { 12, 3, 10, 8, df_order };
  if (gcn_denoiser_init (&c.net, &cfg, &r) < 0) {
    GK_CHECK (0, "init: %s", gc_last_error ());
    return;
  }
  if (df_order > 0)
    gk_fill (&r, c.net.df_head.weight.w, c.net.df_head.weight.n, 0.05f);
  gk_fill (&r, c.net.fine_head.bias.w, c.net.fine_head.bias.n, 1.f);
  gk_fill (&r, c.net.band_head.bias.w, c.net.band_head.bias.n, 1.f);
  gcn_denoiser_train_init (&c.tr);
  int n = 2, t = 6, rows = n * t;
  GK_CHECK (batch_alloc (&c.b, n, t) == 0, "batch");
  /* a full-band item and one band-limited below the deep-filtered bins */
  c.b.bins[0] = BINS;
  c.b.bins[1] = 41;
  size_t spec = (size_t) rows * BINS * 2;
  gk_fill (&r, c.b.X, spec, 1.f);
  for (size_t i = 0; i < spec; i++)
    c.b.S[i] = 0.6f * c.b.X[i] + 0.3f * gc_rng_normal (&r);
  float scratch[2 * BINS];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < t; j++) {
      int row = i * t + j;
      limited_features (c.b.X + (size_t) row * BINS * 2, c.b.bins[i],
          c.b.feat + (size_t) row * GCN_DN_FEATS, scratch);
    }
  c.d_band = calloc ((size_t) rows * GCN_DN_BANDS, sizeof (float));
  c.d_fine = calloc ((size_t) rows * GCN_DN_FINE, sizeof (float));
  c.d_vad = calloc (rows, sizeof (float));
  c.d_df = calloc ((size_t) rows * GCN_DN_FINE * GCN_DN_DF_MAX * 2,
      sizeof (float));
  c.gbin = calloc ((size_t) rows * BINS, sizeof (float));
  c.ffake = calloc ((size_t) rows * GCN_DN_FEATS, sizeof (float));
  c.dfeat_w = calloc ((size_t) rows * GCN_DN_FEATS, sizeof (float));
  gk_fill (&r, c.dfeat_w, (size_t) rows * GCN_DN_FEATS, 0.01f);
  opt_asym = 1.f;               /* the asymmetric weight is a kink */

  char name[64];
  snprintf (name, sizeof name, "denoise losses df_order=%d", df_order);
  gk_op op = { name, value, grad, &c };
  gk_var vars[3] = {
    { "band.bias", c.net.band_head.bias.w, c.net.band_head.bias.g,
        c.net.band_head.bias.n },
    { "fine.bias", c.net.fine_head.bias.w, c.net.fine_head.bias.g,
        c.net.fine_head.bias.n },
    { "df.bias", df_order > 0 ? c.net.df_head.bias.w : NULL,
        df_order > 0 ? c.net.df_head.bias.g : NULL,
        df_order > 0 ? c.net.df_head.bias.n : 0 },
  };
  gk_check (&op, vars, df_order > 0 ? 3 : 2, 1e-3f, 3e-2, 2e-5);

  free (c.d_band);
  free (c.d_fine);
  free (c.d_vad);
  free (c.d_df);
  free (c.gbin);
  free (c.ffake);
  free (c.dfeat_w);
  batch_free (&c.b);
  gcn_denoiser_train_free (&c.tr);
  gcn_denoiser_free (&c.net);
}

/* The training path (item_features, forward_train, enhance) gives the same
 * enhanced spectra as a stream (gcn_denoiser_process_spectrum) fed the same
 * frames one by one, with phase features and the deep filter's history, at
 * full band and band-limited. */
static void
train_matches_stream (int bins)
{
  gc_rng r;
  gc_rng_seed (&r, 31);
  gcn_denoiser net;
  gcn_denoiser_config cfg = { 12, 3, 10, 8, 3, 1 };
  if (gcn_denoiser_init (&net, &cfg, &r) < 0) {
    GK_CHECK (0, "init");
    return;
  }
  gk_fill (&r, net.df_head.weight.w, net.df_head.weight.n, 0.1f);
  gk_fill (&r, net.conv.weight.w, net.conv.weight.n, 0.1f);
  dn_batch b;
  int t = 9;
  GK_CHECK (batch_alloc (&b, 1, t) == 0, "batch");
  b.in = gcn_dn_in_size (&net);
  b.bins[0] = bins;
  gk_fill (&r, b.X, (size_t) t * BINS * 2, 1e-2f);
  item_features (&b, 0);
  gcn_denoiser_train tr;
  gcn_denoiser_train_init (&tr);
  gcn_denoiser_forward_train (&net, &tr, b.feat, 1, t);
  float *gbin = calloc ((size_t) t * BINS, sizeof (float));
  enhance (&b, &tr, cfg.df_order, gbin);

  /* the stream sees the spectrum a stream at that rate computes: the same
   * bins, scaled to its n_fft */
  gcn_denoiser_state st;
  GK_CHECK (gcn_denoiser_state_init (&st, &net) == 0, "state");
  float scale = (float) (2 * (bins - 1)) / NFFT, worst = 0;
  for (int j = 0; j < t; j++) {
    float spec[2 * BINS];
    for (int k = 0; k < 2 * bins; k++)
      spec[k] = b.X[(size_t) j * BINS * 2 + k] * scale;
    gcn_denoiser_process_spectrum (&st, spec, bins, 0.f, NULL);
    for (int k = 0; k < 2 * bins; k++) {
      float want = b.Y[(size_t) j * BINS * 2 + k] * scale;
      float err = fabsf (spec[k] - want) / (1e-4f + fabsf (want));
      if (err > worst)
        worst = err;
    }
  }
  printf ("train vs stream, %d bins: worst relative error %.3g\n", bins, worst);
  GK_CHECK (worst < 1e-3f, "training and streaming spectra differ (%g)", worst);
  gcn_denoiser_state_free (&st);
  gcn_denoiser_train_free (&tr);
  free (gbin);
  batch_free (&b);
  gcn_denoiser_free (&net);
}

int
main (void)
{
  run (0);
  run (3);
  train_matches_stream (BINS);
  train_matches_stream (161);
  train_matches_stream (41);
  printf ("%d failure(s)\n", gk_failures);
  return gk_failures ? 1 : 0;
}
