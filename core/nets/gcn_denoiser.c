/* gcn_denoiser — features, network, streaming processor and training
 * passes of the speech denoiser (see gcn_denoiser.h). */
#include "gcn_denoiser.h"
#include "gc_sigmoid.h"
#include "gcn_dn_guard.h"
#include "gcn_dn_residual.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ERB-like centres on the 50 Hz grid: 100 Hz steps up to 800 Hz (two bins
 * apart, so each band still has support), then widening to 24 kHz. */
static const int band_centres[GCN_DN_BANDS] = {
  0, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 38, 44, 52,
  60, 70, 80, 92, 106, 122, 140, 160, 184, 212, 244, 280, 320, 370, 424, 480
};

int
gcn_dn_rate_ok (int rate)
{
  return rate >= 8000 && rate <= 48000 && rate % 100 == 0;
}

const int *
gcn_dn_band_centres (void)
{
  return band_centres;
}

/* Per-bin lookup, built once: the band below each bin and the weight of
 * the band above it; and the number of present bands per bin count. */
static int bin_lo[GCN_DN_MAX_BINS];
static float bin_frac[GCN_DN_MAX_BINS];
static int present_for[GCN_DN_MAX_BINS + 1];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void
tables_build (void)
{
  for (int k = 0; k < GCN_DN_MAX_BINS; k++) {
    int b = 0;
    while (b + 1 < GCN_DN_BANDS && band_centres[b + 1] <= k)
      b++;
    bin_lo[k] = b;
    bin_frac[k] = b + 1 < GCN_DN_BANDS ? (float) (k - band_centres[b]) /
        (float) (band_centres[b + 1] - band_centres[b]) : 0.f;
  }
  for (int bins = 0; bins <= GCN_DN_MAX_BINS; bins++) {
    int p = 0;
    while (p < GCN_DN_BANDS && band_centres[p] <= bins - 1)
      p++;
    present_for[bins] = p;
  }
}

int
gcn_dn_bands_present (int bins)
{
  pthread_once (&tables_once, tables_build);
  if (bins < 0)
    bins = 0;
  if (bins > GCN_DN_MAX_BINS)
    bins = GCN_DN_MAX_BINS;
  return present_for[bins];
}

/* Band index i and weight f of band i+1 for bin k (weight 1 - f on i);
 * bins past the last present centre go wholly to the last present band. */
static inline void
bin_band (int k, int present, int *i, float *f)
{
  int b = bin_lo[k];
  if (b >= present - 1) {
    *i = present - 1;
    *f = 0.f;
  } else {
    *i = b;
    *f = bin_frac[k];
  }
}

float
gcn_dn_log_feature (float energy)
{
  return (log10f (energy + 1e-12f) + 6.f) / 3.f;
}

void
gcn_dn_band_energy (const float *pw, int bins, float *band)
{
  if (bins > GCN_DN_MAX_BINS)
    bins = GCN_DN_MAX_BINS;
  int present = gcn_dn_bands_present (bins);
  memset (band, 0, GCN_DN_BANDS * sizeof (float));
  for (int k = 0; k < bins; k++) {
    int i;
    float f;
    bin_band (k, present, &i, &f);
    band[i] += (1.f - f) * pw[k];
    if (f > 0.f)
      band[i + 1] += f * pw[k];
  }
}

void
gcn_dn_band_energy_backward (const float *dband, int bins, float *dpw)
{
  if (bins > GCN_DN_MAX_BINS)
    bins = GCN_DN_MAX_BINS;
  int present = gcn_dn_bands_present (bins);
  for (int k = 0; k < bins; k++) {
    int i;
    float f;
    bin_band (k, present, &i, &f);
    dpw[k] = (1.f - f) * dband[i] + (f > 0.f ? f * dband[i + 1] : 0.f);
  }
}

void
gcn_dn_bin_gains (const float *band_gain, const float *fine_gain, int bins,
    float *bin_gain)
{
  if (bins > GCN_DN_MAX_BINS)
    bins = GCN_DN_MAX_BINS;
  int present = gcn_dn_bands_present (bins);
  for (int k = 0; k < bins; k++) {
    if (k < GCN_DN_FINE) {
      bin_gain[k] = fine_gain[k];
    } else {
      int i;
      float f;
      bin_band (k, present, &i, &f);
      bin_gain[k] = (1.f - f) * band_gain[i] +
          (f > 0.f ? f * band_gain[i + 1] : 0.f);
    }
  }
}

void
gcn_dn_bin_gains_backward (const float *dbin, int bins, float *dband,
    float *dfine)
{
  if (bins > GCN_DN_MAX_BINS)
    bins = GCN_DN_MAX_BINS;
  int present = gcn_dn_bands_present (bins);
  memset (dband, 0, GCN_DN_BANDS * sizeof (float));
  memset (dfine, 0, GCN_DN_FINE * sizeof (float));
  for (int k = 0; k < bins; k++) {
    if (k < GCN_DN_FINE) {
      dfine[k] = dbin[k];
    } else {
      int i;
      float f;
      bin_band (k, present, &i, &f);
      dband[i] += (1.f - f) * dbin[k];
      if (f > 0.f)
        dband[i + 1] += f * dbin[k];
    }
  }
}

void
gcn_dn_features (const float *spec, int bins, float *feat, float *band_energy)
{
  float pw[GCN_DN_MAX_BINS], band[GCN_DN_BANDS];
  int n_fft = 2 * (bins - 1);
  float scale = 1.f / ((float) n_fft * (float) n_fft);

  if (bins > GCN_DN_MAX_BINS)
    bins = GCN_DN_MAX_BINS;
  for (int k = 0; k < bins; k++) {
    float re = spec[2 * k], im = spec[2 * k + 1];
    pw[k] = (re * re + im * im) * scale;
  }
  gcn_dn_band_energy (pw, bins, band);
  for (int b = 0; b < GCN_DN_BANDS; b++)
    feat[b] = gcn_dn_log_feature (band[b]);
  for (int k = 0; k < GCN_DN_FINE; k++)
    feat[GCN_DN_BANDS + k] = gcn_dn_log_feature (k < bins ? pw[k] : 0.f);
  if (band_energy)
    memcpy (band_energy, band, sizeof (band));
}

void
gcn_dn_phase_features (const float *spec, const float *prev, int bins,
    float *feat)
{
  float scale = 1.f / (float) (2 * (bins - 1));
  float s2 = scale * scale;
  int n = bins < GCN_DN_FINE ? bins : GCN_DN_FINE;
  for (int k = 0; k < n; k++) {
    float ar = spec[2 * k], ai = spec[2 * k + 1];
    float br = prev[2 * k], bi = prev[2 * k + 1];
    float zr = (ar * br + ai * bi) * s2, zi = (ai * br - ar * bi) * s2;
    /* below about -100 dB the angle is noise: fade it out */
    float m = sqrtf (zr * zr + zi * zi) + 1e-10f;
    feat[2 * k] = zr / m;
    feat[2 * k + 1] = zi / m;
  }
  for (int k = n; k < GCN_DN_FINE; k++)
    feat[2 * k] = feat[2 * k + 1] = 0.f;
}

void
gcn_dn_window (float *w, int n)
{
  for (int i = 0; i < n; i++)
    w[i] = sqrtf (0.5f - 0.5f * cosf (2.f * (float) M_PI * i / n));
}

int
gcn_dn_analyze (gc_stft *fft, const float *win, int hop, const float *x,
    int len, float *spec)
{
  int n_fft = 2 * hop, bins = hop + 1, frames = len / hop;
  float *frame = malloc (n_fft * sizeof (float));
  if (!frame)
    return 0;
  for (int m = 0; m < frames; m++) {
    int start = (m - 1) * hop;
    for (int i = 0; i < n_fft; i++) {
      int j = start + i;
      frame[i] = (j >= 0 && j < len) ? x[j] * win[i] : 0.f;
    }
    gc_stft_rfft (fft, frame, spec + (size_t) m * bins * 2);
  }
  free (frame);
  return frames;
}

/* ---- network --------------------------------------------------------- */

void
gcn_denoiser_config_default (gcn_denoiser_config *cfg)
{
  cfg->conv_ch = 64;
  cfg->kernel = 3;
  cfg->gru1 = 80;
  cfg->gru2 = 80;
  cfg->df_order = 0;
  cfg->phase = 0;
  cfg->lookahead = 0;
  cfg->floor = 0;
}

static int
config_ok (const gcn_denoiser_config *cfg)
{
  return cfg->conv_ch >= 1 && cfg->conv_ch <= 1024 && cfg->kernel >= 1 &&
      cfg->kernel <= 16 && cfg->gru1 >= 1 && cfg->gru1 <= 1024 &&
      cfg->gru2 >= 1 && cfg->gru2 <= 1024 && cfg->df_order >= 0 &&
      cfg->df_order <= GCN_DN_DF_MAX && (cfg->phase == 0 || cfg->phase == 1)
      && cfg->lookahead >= 0 && cfg->lookahead <= GCN_DN_LOOKAHEAD_MAX &&
      (cfg->floor == 0 || cfg->floor == 1);
}

int
gcn_denoiser_init (gcn_denoiser *net, const gcn_denoiser_config *cfg,
    gc_rng *r)
{
  memset (net, 0, sizeof (*net));
  if (!config_ok (cfg)) {
    gc_set_error ("denoiser: bad configuration (conv_ch %d kernel %d gru %d/%d "
        "df_order %d lookahead %d)", cfg->conv_ch, cfg->kernel, cfg->gru1,
        cfg->gru2, cfg->df_order, cfg->lookahead);
    return -1;
  }
  net->cfg = *cfg;
  int hc = cfg->gru1 + cfg->gru2;
  if (gc_conv1d_init (&net->conv, "conv", gcn_dn_in_size (net), cfg->conv_ch,
          cfg->kernel, 1, 1, 0, 1, 1, r) ||
      gc_gru_init (&net->gru1, "gru1", cfg->conv_ch, cfg->gru1, r) ||
      gc_gru_init (&net->gru2, "gru2", cfg->gru1, cfg->gru2, r) ||
      gc_dense_init (&net->band_head, "band", hc, GCN_DN_BANDS, r) ||
      gc_dense_init (&net->fine_head, "fine", hc, GCN_DN_FINE, r) ||
      gc_dense_init (&net->vad_head, "vad", hc, 1, r) ||
      (cfg->df_order > 0 && gc_dense_init (&net->df_head, "df", hc,
              gcn_dn_df_size (net), r))) {
    gcn_denoiser_free (net);
    return -1;
  }
  gc_conv1d_params (&net->conv, &net->params);
  gc_gru_params (&net->gru1, &net->params);
  gc_gru_params (&net->gru2, &net->params);
  gc_dense_params (&net->band_head, &net->params);
  gc_dense_params (&net->fine_head, &net->params);
  gc_dense_params (&net->vad_head, &net->params);
  if (cfg->df_order > 0) {
    gc_dense_params (&net->df_head, &net->params);
    /* a fresh deep filter adds nothing: the gains alone at first */
    memset (net->df_head.weight.w, 0, net->df_head.weight.n * sizeof (float));
    memset (net->df_head.bias.w, 0, net->df_head.bias.n * sizeof (float));
  }
  /* Start near "pass speech through": gains begin around sigmoid(2). */
  for (int i = 0; i < GCN_DN_BANDS; i++)
    net->band_head.bias.w[i] = 2.f;
  for (int i = 0; i < GCN_DN_FINE; i++)
    net->fine_head.bias.w[i] = 2.f;
  return 0;
}

void
gcn_denoiser_free (gcn_denoiser *net)
{
  gc_conv1d_free (&net->conv);
  gc_gru_free (&net->gru1);
  gc_gru_free (&net->gru2);
  gc_dense_free (&net->band_head);
  gc_dense_free (&net->fine_head);
  gc_dense_free (&net->vad_head);
  if (net->cfg.df_order > 0)
    gc_dense_free (&net->df_head);
  gc_param_list_free (&net->params);
  memset (net, 0, sizeof (*net));
}

int
gcn_denoiser_load (gcn_denoiser *net, const gc_model_file *m)
{
  gcn_denoiser_config cfg;
  gc_rng r;

  memset (net, 0, sizeof (*net));
  if (gc_model_check_arch (m, GCN_DENOISER_ARCH))
    return -1;
  if (gc_model_meta_get_int (m, "bands", GCN_DN_BANDS) != GCN_DN_BANDS ||
      gc_model_meta_get_int (m, "fine", GCN_DN_FINE) != GCN_DN_FINE) {
    gc_set_error ("%s: band layout differs from this build's (%d bands, "
        "%d fine bins)", m->source, GCN_DN_BANDS, GCN_DN_FINE);
    return -1;
  }
  gcn_denoiser_config_default (&cfg);
  cfg.conv_ch = gc_model_meta_get_int (m, "conv_ch", cfg.conv_ch);
  cfg.kernel = gc_model_meta_get_int (m, "kernel", cfg.kernel);
  cfg.gru1 = gc_model_meta_get_int (m, "gru1", cfg.gru1);
  cfg.gru2 = gc_model_meta_get_int (m, "gru2", cfg.gru2);
  cfg.df_order = gc_model_meta_get_int (m, "df_order", 0);
  cfg.phase = gc_model_meta_get_int (m, "phase", 0);
  cfg.lookahead = gc_model_meta_get_int (m, "lookahead", 0);
  cfg.floor = gc_model_meta_get_int (m, "floor", 0);
  /* sizes first: the latency check below multiplies the lookahead */
  if (!config_ok (&cfg)) {
    gc_set_error ("%s: bad denoiser sizes in metadata", m->source);
    return -1;
  }
  if (gc_model_meta_get_int (m, "latency_ms", 10) != 10 * (1 + cfg.lookahead)) {
    gc_set_error ("%s: latency_ms does not match lookahead %d", m->source,
        cfg.lookahead);
    return -1;
  }
  gc_rng_seed (&r, 1);
  if (gcn_denoiser_init (net, &cfg, &r))
    return -1;
  if (gc_model_bind (m, &net->params)) {
    gcn_denoiser_free (net);
    return -1;
  }
  return 0;
}

const char **
gcn_denoiser_meta (const gcn_denoiser *net, char **storage)
{
  static const char *keys[] = { "arch", "conv_ch", "kernel", "gru1", "gru2",
    "bands", "fine", "win_ms", "hop_ms", "latency_ms", "rates", "df_order",
    "phase", "lookahead", "floor" };
  enum { NK = sizeof (keys) / sizeof (keys[0]) };
  const char **kv = calloc (2 * NK + 1, sizeof (char *));
  char *buf = calloc (NK, 64);
  if (!kv || !buf) {
    free (kv);
    free (buf);
    *storage = NULL;
    return NULL;
  }
  const gcn_denoiser_config *c = &net->cfg;
  snprintf (buf + 0 * 64, 64, "%s", GCN_DENOISER_ARCH);
  snprintf (buf + 1 * 64, 64, "%d", c->conv_ch);
  snprintf (buf + 2 * 64, 64, "%d", c->kernel);
  snprintf (buf + 3 * 64, 64, "%d", c->gru1);
  snprintf (buf + 4 * 64, 64, "%d", c->gru2);
  snprintf (buf + 5 * 64, 64, "%d", GCN_DN_BANDS);
  snprintf (buf + 6 * 64, 64, "%d", GCN_DN_FINE);
  snprintf (buf + 7 * 64, 64, "20");
  snprintf (buf + 8 * 64, 64, "10");
  snprintf (buf + 9 * 64, 64, "%d", 10 * (1 + c->lookahead));
  snprintf (buf + 10 * 64, 64, "8000-48000");
  snprintf (buf + 11 * 64, 64, "%d", c->df_order);
  snprintf (buf + 12 * 64, 64, "%d", c->phase);
  snprintf (buf + 13 * 64, 64, "%d", c->lookahead);
  snprintf (buf + 14 * 64, 64, "%d", c->floor);
  for (int i = 0; i < NK; i++) {
    kv[2 * i] = keys[i];
    kv[2 * i + 1] = buf + i * 64;
  }
  *storage = buf;
  /* kv itself is returned; the caller frees both kv and *storage. */
  return kv;
}

/* ---- streaming ------------------------------------------------------- */

int
gcn_denoiser_state_init (gcn_denoiser_state *s, const gcn_denoiser *net)
{
  memset (s, 0, sizeof (*s));
  s->x = (gc_tensor) GC_TENSOR_INIT;
  s->y = (gc_tensor) GC_TENSOR_INIT;
  s->cat = (gc_tensor) GC_TENSOR_INIT;
  s->o = (gc_tensor) GC_TENSOR_INIT;
  s->net = net;
  int hmax = net->cfg.gru1 > net->cfg.gru2 ? net->cfg.gru1 : net->cfg.gru2;
  s->h1 = gc_alloc (net->cfg.gru1 * sizeof (float));
  s->h2 = gc_alloc (net->cfg.gru2 * sizeof (float));
  s->scratch = gc_alloc (6 * (size_t) hmax * sizeof (float) + 64);
  if (net->cfg.df_order > 0)
    s->df = gc_alloc ((size_t) gcn_dn_df_size (net) * sizeof (float));
  /* the deep filter of frame t - L reaches back to t - L - (df_order - 1);
   * the phase features need frame t - 1 */
  int la = net->cfg.lookahead;
  s->hist_frames = net->cfg.df_order > 1 ? la + net->cfg.df_order - 1 : 0;
  if (net->cfg.phase && s->hist_frames < 1)
    s->hist_frames = 1;
  if (la > 0) {
    s->delay = gc_alloc ((size_t) la * GCN_DN_MAX_BINS * 2 * sizeof (float));
    s->swap = gc_alloc ((size_t) GCN_DN_MAX_BINS * 2 * sizeof (float));
  }
  s->hist = gc_alloc ((size_t) (s->hist_frames + 1) * GCN_DN_FINE * 2 *
      sizeof (float));
  s->cur = gc_alloc ((size_t) GCN_DN_FINE * 2 * sizeof (float));
  s->feat = gc_alloc ((size_t) GCN_DN_IN_MAX * sizeof (float));
  gcn_dn_floor_reset (&s->floor);
  if (!s->h1 || !s->h2 || !s->scratch || !s->hist || !s->cur || !s->feat ||
      (net->cfg.df_order > 0 && !s->df) || (la > 0 && (!s->delay || !s->swap))
      ||
      gc_conv1d_state_init (&s->conv, &net->conv, 1) ||
      gc_tensor_resize (&s->x, 1, gcn_dn_in_size (net), 1, 1) ||
      gc_tensor_resize (&s->cat, 1, net->cfg.gru1 + net->cfg.gru2, 1, 1)) {
    gcn_denoiser_state_free (s);
    gc_set_error ("denoiser: out of memory");
    return -1;
  }
  return 0;
}

void
gcn_denoiser_state_reset (gcn_denoiser_state *s)
{
  gc_conv1d_state_reset (&s->conv);
  memset (s->h1, 0, s->net->cfg.gru1 * sizeof (float));
  memset (s->h2, 0, s->net->cfg.gru2 * sizeof (float));
  memset (s->hist, 0, (size_t) (s->hist_frames + 1) * GCN_DN_FINE * 2 *
      sizeof (float));
  if (s->delay)
    memset (s->delay, 0, (size_t) s->net->cfg.lookahead * GCN_DN_MAX_BINS * 2 *
        sizeof (float));
  gcn_dn_floor_reset (&s->floor);
}

void
gcn_denoiser_state_free (gcn_denoiser_state *s)
{
  gc_free (s->h1);
  gc_free (s->h2);
  gc_free (s->scratch);
  gc_free (s->df);
  gc_free (s->hist);
  gc_free (s->delay);
  gc_free (s->swap);
  gc_free (s->cur);
  gc_free (s->feat);
  if (s->conv.hist)
    gc_conv1d_state_free (&s->conv);
  gc_tensor_free (&s->x);
  gc_tensor_free (&s->y);
  gc_tensor_free (&s->cat);
  gc_tensor_free (&s->o);
  memset (s, 0, sizeof (*s));
}

int
gcn_denoiser_step (gcn_denoiser_state *s, const float *feat,
    float *band_gain, float *fine_gain, float *vad)
{
  gcn_denoiser *net = (gcn_denoiser *) s->net;
  int h1 = net->cfg.gru1, h2 = net->cfg.gru2;

  memcpy (s->x.data, feat, (size_t) gcn_dn_in_size (net) * sizeof (float));
  if (gc_conv1d_stream (&net->conv, &s->conv, &s->x, &s->y) < 0)
    return -1;
  for (int i = 0; i < net->cfg.conv_ch; i++)
    s->y.data[i] = tanhf (s->y.data[i]);
  gc_gru_step (&net->gru1, s->y.data, s->h1, s->scratch);
  gc_gru_step (&net->gru2, s->h1, s->h2, s->scratch);
  memcpy (s->cat.data, s->h1, h1 * sizeof (float));
  memcpy (s->cat.data + h1, s->h2, h2 * sizeof (float));

  if (gc_dense_forward (&net->band_head, &s->cat, &s->o) < 0)
    return -1;
  for (int i = 0; i < GCN_DN_BANDS; i++)
    band_gain[i] = gc_sigmoidf_direct (s->o.data[i]);
  if (gc_dense_forward (&net->fine_head, &s->cat, &s->o) < 0)
    return -1;
  for (int i = 0; i < GCN_DN_FINE; i++)
    fine_gain[i] = gc_sigmoidf_direct (s->o.data[i]);
  if (gc_dense_forward (&net->vad_head, &s->cat, &s->o) < 0)
    return -1;
  *vad = gc_sigmoidf_direct (s->o.data[0]);
  if (net->cfg.df_order > 0) {
    if (gc_dense_forward (&net->df_head, &s->cat, &s->o) < 0)
      return -1;
    for (int i = 0; i < gcn_dn_df_size (net); i++)
      s->df[i] = tanhf (s->o.data[i]);
  }
  return 0;
}

void
gcn_dn_apply (float *spec, int bins, const float *bin_gain, const float *df,
    int df_order, const float *hist, float min_gain)
{
  if (!(min_gain > 0.f))
    min_gain = 0.f;
  /* attenuation limit 0 dB is a bit-exact pass-through */
  int nd = (df && df_order > 0 && min_gain < 1.f) ?
      (bins < GCN_DN_FINE ? bins : GCN_DN_FINE) : 0;
  for (int k = 0; k < nd; k++) {
    float xr = spec[2 * k], xi = spec[2 * k + 1];
    const float *c = df + (size_t) k * df_order * 2;
    float fr = 0.f, fi = 0.f;
    for (int i = 0; i < df_order; i++) {
      float pr = i == 0 ? xr : hist[((size_t) (i - 1) * GCN_DN_FINE + k) * 2];
      float pi = i == 0 ? xi :
          hist[((size_t) (i - 1) * GCN_DN_FINE + k) * 2 + 1];
      fr += c[2 * i] * pr - c[2 * i + 1] * pi;
      fi += c[2 * i] * pi + c[2 * i + 1] * pr;
    }
    /* the filter only works where the gain takes something out */
    float g = bin_gain[k], open = 1.f - g;
    float yr = g * xr + open * fr, yi = g * xi + open * fi;
    if (min_gain > 0.f) {
      float py = yr * yr + yi * yi, px = xr * xr + xi * xi;
      float floor2 = min_gain * min_gain * px;
      if (py < floor2) {
        /* too much taken out: back to the floor, the filter's phase kept */
        float sc = py > 1e-30f ? sqrtf (floor2 / py) : 0.f;
        if (sc > 0.f)
          yr *= sc, yi *= sc;
        else
          yr = min_gain * xr, yi = min_gain * xi;
      }
    }
    spec[2 * k] = yr;
    spec[2 * k + 1] = yi;
  }
  for (int k = nd; k < bins; k++) {
    float g = bin_gain[k];
    g = g < min_gain ? min_gain : g;
    spec[2 * k] *= g;
    spec[2 * k + 1] *= g;
  }
}

float
gcn_denoiser_process_spectrum (gcn_denoiser_state *s, float *spec, int bins,
    float min_gain, float *bin_gain)
{
  const gcn_denoiser *net = s->net;
  float band_gain[GCN_DN_BANDS], fine_gain[GCN_DN_FINE], g[GCN_DN_MAX_BINS];
  float vad;
  int nlow = bins < GCN_DN_FINE ? bins : GCN_DN_FINE;

  float band[GCN_DN_BANDS];
  gcn_dn_features (spec, bins, s->feat, band);
  if (net->cfg.phase)
    gcn_dn_phase_features (spec, s->hist, bins, s->feat + GCN_DN_FEATS);
  if (net->cfg.floor)
    gcn_dn_floor_features (&s->floor, band, s->feat +
        gcn_dn_floor_offset (net));
  if (gcn_denoiser_step (s, s->feat, band_gain, fine_gain, &vad) < 0)
    return -1.f;                /* spec untouched */
  gcn_dn_bin_gains (band_gain, fine_gain, bins, g);
  if (s->guard)
    gcn_dn_guard_update (s->guard, spec, vad);
  memset (s->cur, 0, GCN_DN_FINE * 2 * sizeof (float));
  memcpy (s->cur, spec, (size_t) nlow * 2 * sizeof (float));
  int la = net->cfg.lookahead;
  /* the gains are for the frame la hops back: it comes out of the delay
   * line, this one goes in */
  gcn_dn_delay_swap (s->delay, s->swap, la, spec, bins);
  if (s->guard && s->residual && s->residual_on)
    gcn_dn_residual_apply (s->residual, s->guard, spec, g);
  if (s->guard && s->guard_margin > 0.f)
    gcn_dn_guard_apply (s->guard, spec, s->guard_margin, vad, g);
  if (bin_gain)
    memcpy (bin_gain, g, (size_t) bins * sizeof (float));
  gcn_dn_apply (spec, bins, g, s->df, net->cfg.df_order,
      net->cfg.df_order > 1 ? s->hist + (size_t) la * GCN_DN_FINE * 2 : s->hist,
      min_gain);
  /* the noisy low bins of this frame become the newest history */
  gcn_dn_hist_push (s->hist, s->hist_frames, s->cur);
  return vad;
}

void
gcn_dn_delay_swap (float *delay, float *swap, int la, float *spec, int bins)
{
  if (la <= 0)
    return;
  size_t fs = (size_t) GCN_DN_MAX_BINS * 2, nb = (size_t) bins * 2;
  memcpy (swap, spec, nb * sizeof (float));
  memcpy (spec, delay + (la - 1) * fs, nb * sizeof (float));
  memmove (delay + fs, delay, (la - 1) * fs * sizeof (float));
  memcpy (delay, swap, nb * sizeof (float));
}

void
gcn_dn_hist_push (float *hist, int hist_frames, const float *cur)
{
  if (hist_frames <= 0)
    return;
  memmove (hist + GCN_DN_FINE * 2, hist,
      (size_t) (hist_frames - 1) * GCN_DN_FINE * 2 * sizeof (float));
  memcpy (hist, cur, GCN_DN_FINE * 2 * sizeof (float));
}

struct gcn_dn_stream {
  const gcn_denoiser *net;
  int rate, hop, n_fft, bins;
  gc_stft *fft;
  float *win, *inbuf, *frame, *spec, *ola;
  gcn_denoiser_state st;
  gcn_dn_guard *guard;
  gcn_dn_residual *residual;
};

gcn_dn_stream *
gcn_dn_stream_new (const gcn_denoiser *net, int rate)
{
  if (!gcn_dn_rate_ok (rate)) {
    gc_set_error ("denoiser: unsupported sample rate %d", rate);
    return NULL;
  }
  gcn_dn_stream *s = calloc (1, sizeof (*s));
  if (!s)
    return NULL;
  s->net = net;
  s->rate = rate;
  s->hop = gcn_dn_hop (rate);
  s->n_fft = gcn_dn_nfft (rate);
  s->bins = gcn_dn_bins (rate);
  s->fft = gc_stft_new (s->n_fft, s->n_fft, s->hop, GC_WIN_SQRT_HANN);
  s->win = gc_alloc (s->n_fft * sizeof (float));
  s->inbuf = gc_alloc (s->n_fft * sizeof (float));
  s->frame = gc_alloc (s->n_fft * sizeof (float));
  s->ola = gc_alloc (s->n_fft * sizeof (float));
  s->spec = gc_alloc (2 * (size_t) s->bins * sizeof (float));
  s->guard = gcn_dn_guard_new (s->bins);
  s->residual = gcn_dn_residual_new (s->bins);
  if (!s->fft || !s->win || !s->inbuf || !s->frame || !s->ola || !s->spec ||
      !s->guard || !s->residual || gcn_denoiser_state_init (&s->st, net)) {
    gcn_dn_stream_free (s);
    gc_set_error ("denoiser: out of memory");
    return NULL;
  }
  gcn_dn_window (s->win, s->n_fft);
  s->st.guard = s->guard;
  s->st.residual = s->residual;
  return s;
}

void
gcn_dn_stream_free (gcn_dn_stream *s)
{
  if (!s)
    return;
  if (s->fft)
    gc_stft_free (s->fft);
  gc_free (s->win);
  gc_free (s->inbuf);
  gc_free (s->frame);
  gc_free (s->ola);
  gc_free (s->spec);
  if (s->st.net)
    gcn_denoiser_state_free (&s->st);
  gcn_dn_guard_free (s->guard);
  gcn_dn_residual_free (s->residual);
  free (s);
}

void
gcn_dn_stream_reset (gcn_dn_stream *s)
{
  memset (s->inbuf, 0, s->n_fft * sizeof (float));
  memset (s->ola, 0, s->n_fft * sizeof (float));
  gcn_denoiser_state_reset (&s->st);
  gcn_dn_guard_reset (s->guard);
  gcn_dn_residual_reset (s->residual);
}

void
gcn_dn_stream_set_guard (gcn_dn_stream *s, float margin_db)
{
  s->st.guard_margin = margin_db > 0.f ? powf (10.f, margin_db / 10.f) : 0.f;
}

void
gcn_dn_stream_set_residual (gcn_dn_stream *s, int on)
{
  s->st.residual_on = on != 0;
}

int
gcn_dn_stream_latency (const gcn_dn_stream *s)
{
  return s->hop * (1 + s->net->cfg.lookahead);
}

float
gcn_dn_stream_process (gcn_dn_stream *s, const float *in, float *out,
    float min_gain)
{
  int hop = s->hop, n = s->n_fft;
  float vad;

  memmove (s->inbuf, s->inbuf + hop, (n - hop) * sizeof (float));
  memcpy (s->inbuf + n - hop, in, hop * sizeof (float));
  for (int i = 0; i < n; i++)
    s->frame[i] = s->inbuf[i] * s->win[i];
  gc_stft_rfft (s->fft, s->frame, s->spec);

  vad = gcn_denoiser_process_spectrum (&s->st, s->spec, s->bins, min_gain,
      NULL);
  if (vad < 0.f)
    return -1.f;
  gc_stft_irfft (s->fft, s->spec, s->frame);
  for (int i = 0; i < n; i++)
    s->ola[i] += s->frame[i] * s->win[i];
  memcpy (out, s->ola, hop * sizeof (float));
  memmove (s->ola, s->ola + hop, (n - hop) * sizeof (float));
  memset (s->ola + n - hop, 0, hop * sizeof (float));
  return vad;
}

/* ---- training passes --------------------------------------------------- */

/* (N*T, C) rows <-> (N, C, 1, T) sequences. */
static int
rows_to_seq (const float *rows, int n, int t, int c, gc_tensor *seq)
{
  if (gc_tensor_resize (seq, n, c, 1, t))
    return -1;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < t; j++)
      for (int k = 0; k < c; k++)
        seq->data[((size_t) i * c + k) * t + j] =
            rows[((size_t) i * t + j) * c + k];
  return 0;
}

static int
seq_to_rows (const gc_tensor *seq, gc_tensor *rows)
{
  int n = seq->n, c = seq->c, t = seq->w;
  if (gc_tensor_resize (rows, n * t, c, 1, 1))
    return -1;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < c; k++)
      for (int j = 0; j < t; j++)
        rows->data[((size_t) i * t + j) * c + k] =
            seq->data[((size_t) i * c + k) * t + j];
  return 0;
}

void
gcn_denoiser_acts_init (gcn_denoiser_acts *tr)
{
  gc_tensor *all[] = { &tr->x, &tr->conv_y, &tr->act_y, &tr->g1, &tr->g2,
    &tr->cat, &tr->cat_rows, &tr->band_pre, &tr->fine_pre, &tr->vad_pre,
    &tr->df_pre, &tr->band, &tr->fine, &tr->vad, &tr->df, &tr->d_rows, &tr->d_cat, &tr->d_g1,
    &tr->d_g2, &tr->d_g1_in, &tr->d_act, &tr->dtmp, &tr->dtmp2 };
  memset (tr, 0, sizeof (*tr));
  for (size_t i = 0; i < sizeof (all) / sizeof (all[0]); i++)
    *all[i] = (gc_tensor) GC_TENSOR_INIT;
}

void
gcn_denoiser_acts_free (gcn_denoiser_acts *tr)
{
  gc_tensor *all[] = { &tr->x, &tr->conv_y, &tr->act_y, &tr->g1, &tr->g2,
    &tr->cat, &tr->cat_rows, &tr->band_pre, &tr->fine_pre, &tr->vad_pre,
    &tr->df_pre, &tr->band, &tr->fine, &tr->vad, &tr->df, &tr->d_rows, &tr->d_cat, &tr->d_g1,
    &tr->d_g2, &tr->d_g1_in, &tr->d_act, &tr->dtmp, &tr->dtmp2 };
  for (size_t i = 0; i < sizeof (all) / sizeof (all[0]); i++)
    gc_tensor_free (all[i]);
  gc_gru_cache_free (&tr->c1);
  gc_gru_cache_free (&tr->c2);
  gcn_denoiser_acts_init (tr);
}

static int
head_forward (gc_dense *l, const gc_tensor *x, gc_tensor *pre, gc_tensor *out,
    int act)
{
  if (gc_dense_forward (l, x, pre) < 0
      || gc_tensor_resize (out, pre->n, pre->c, pre->h, pre->w) < 0)
    return -1;
  return gc_act_forward (act, 0.f, pre, out);
}

int
gcn_denoiser_forward_train (gcn_denoiser *net, gcn_denoiser_acts *tr,
    const float *feat, int n, int t)
{
  tr->n = n;
  tr->t = t;
  if (rows_to_seq (feat, n, t, gcn_dn_in_size (net), &tr->x))
    return -1;
  if (gc_conv1d_forward (&net->conv, &tr->x, &tr->conv_y) < 0
      || gc_tensor_resize (&tr->act_y, tr->conv_y.n, tr->conv_y.c, 1, t))
    return -1;
  if (gc_act_forward (GC_ACT_TANH, 0.f, &tr->conv_y, &tr->act_y) < 0
      || gc_gru_forward (&net->gru1, &tr->act_y, NULL, &tr->g1, &tr->c1) < 0
      || gc_gru_forward (&net->gru2, &tr->g1, NULL, &tr->g2, &tr->c2) < 0
      || gc_concat_forward (&tr->g1, &tr->g2, &tr->cat) < 0)
    return -1;
  if (seq_to_rows (&tr->cat, &tr->cat_rows))
    return -1;
  if (head_forward (&net->band_head, &tr->cat_rows, &tr->band_pre, &tr->band,
          GC_ACT_SIGMOID) < 0
      || head_forward (&net->fine_head, &tr->cat_rows, &tr->fine_pre,
          &tr->fine, GC_ACT_SIGMOID) < 0
      || head_forward (&net->vad_head, &tr->cat_rows, &tr->vad_pre, &tr->vad,
          GC_ACT_SIGMOID) < 0)
    return -1;
  if (net->cfg.df_order > 0)
    return head_forward (&net->df_head, &tr->cat_rows, &tr->df_pre, &tr->df,
        GC_ACT_TANH);
  return 0;
}

/* d(head input rows) += dense^T (act' * d_out). */
static int
head_backward (gcn_denoiser_acts *tr, gc_dense *l, const gc_tensor *pre,
    const gc_tensor *out, const float *d_out, int act)
{
  if (gc_tensor_resize (&tr->dtmp, out->n, out->c, 1, 1) < 0)
    return -1;
  memcpy (tr->dtmp.data, d_out, gc_tensor_size (out) * sizeof (float));
  if (gc_act_backward (act, 0.f, pre, out, &tr->dtmp, &tr->dtmp) < 0
      || gc_tensor_resize (&tr->dtmp2, tr->cat_rows.n, tr->cat_rows.c, 1,
          1) < 0
      || gc_dense_backward (l, &tr->cat_rows, &tr->dtmp, &tr->dtmp2) < 0)
    return -1;
  size_t sz = gc_tensor_size (&tr->d_rows);
  for (size_t i = 0; i < sz; i++)
    tr->d_rows.data[i] += tr->dtmp2.data[i];
  return 0;
}

int
gcn_denoiser_backward_train (gcn_denoiser *net, gcn_denoiser_acts *tr,
    const float *d_band, const float *d_fine, const float *d_vad,
    const float *d_df)
{
  int n = tr->n, t = tr->t;

  if (gc_tensor_resize (&tr->d_rows, tr->cat_rows.n, tr->cat_rows.c, 1,
          1) < 0)
    return -1;
  gc_tensor_zero (&tr->d_rows);
  if (d_band && head_backward (tr, &net->band_head, &tr->band_pre,
          &tr->band, d_band, GC_ACT_SIGMOID) < 0)
    return -1;
  if (d_fine && head_backward (tr, &net->fine_head, &tr->fine_pre,
          &tr->fine, d_fine, GC_ACT_SIGMOID) < 0)
    return -1;
  if (d_vad && head_backward (tr, &net->vad_head, &tr->vad_pre, &tr->vad,
          d_vad, GC_ACT_SIGMOID) < 0)
    return -1;
  if (d_df && net->cfg.df_order > 0 && head_backward (tr, &net->df_head,
          &tr->df_pre, &tr->df, d_df, GC_ACT_TANH) < 0)
    return -1;

  if (rows_to_seq (tr->d_rows.data, n, t, tr->cat.c, &tr->d_cat)
      || gc_tensor_resize (&tr->d_g1, n, net->cfg.gru1, 1, t) < 0
      || gc_tensor_resize (&tr->d_g2, n, net->cfg.gru2, 1, t) < 0
      || gc_concat_backward (&tr->d_cat, &tr->d_g1, &tr->d_g2) < 0)
    return -1;

  if (gc_tensor_resize (&tr->d_g1_in, n, net->cfg.gru1, 1, t) < 0
      || gc_gru_backward (&net->gru2, &tr->g1, &tr->c2, &tr->d_g2,
          &tr->d_g1_in) < 0
      || gc_axpy (1.f, &tr->d_g1_in, &tr->d_g1) < 0)
    return -1;

  if (gc_tensor_resize (&tr->d_act, n, net->cfg.conv_ch, 1, t) < 0
      || gc_gru_backward (&net->gru1, &tr->act_y, &tr->c1, &tr->d_g1,
          &tr->d_act) < 0
      || gc_act_backward (GC_ACT_TANH, 0.f, &tr->conv_y, &tr->act_y,
          &tr->d_act, &tr->d_act) < 0)
    return -1;
  return gc_conv1d_backward (&net->conv, &tr->x, &tr->d_act, NULL);
}
