/* gcn_vocoder — configuration, construction and refinement settings.
 * See gcn_vocoder.h for the design. */
#include "gcn_vocoder_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
gcn_vocoder_config_default (gcn_vocoder_config *cfg, int task)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->sample_rate = 16000;
  cfg->n_fft = 512;
  cfg->hop = 128;
  cfg->n_mels = 80;
  cfg->channels = 96;
  cfg->task = task == GCN_VOCODER_NB2WB ? GCN_VOCODER_NB2WB : GCN_VOCODER_COPY;
  cfg->fmin = 0.0f;
  cfg->fmax = 8000.0f;
  cfg->lowband_hz = 3700.0f;
  cfg->fade_hz = 300.0f;
}

static int
config_check (const gcn_vocoder_config *c)
{
  if (c->sample_rate < 4000 || c->sample_rate > 192000 || c->n_fft < 16
      || c->n_fft > 8192 || c->n_fft % 4 || c->hop != c->n_fft / 4
      || c->n_mels < 4 || c->n_mels > 512 || c->channels < 1
      || c->channels > 1024 || (c->task != GCN_VOCODER_COPY
          && c->task != GCN_VOCODER_NB2WB)
      || !(c->fmax > c->fmin) || c->fmin < 0
      || c->fmax > c->sample_rate / 2.0f + 1) {
    gc_set_error ("vocoder: unsupported configuration (rate %d, n_fft %d, "
        "hop %d, mels %d, channels %d, task %d); hop must be n_fft/4",
        c->sample_rate, c->n_fft, c->hop, c->n_mels, c->channels, c->task);
    return -1;
  }
  if (c->refine_lookahead < 0 || c->refine_lookahead > 16
      || c->refine_iters < 0 || c->refine_iters > 16
      || !(c->refine_momentum >= 0 && c->refine_momentum <= 0.95f)) {
    gc_set_error ("vocoder: refinement look-ahead %d, iterations %d, "
        "momentum %g out of range (0..16, 0..16, 0..0.95)",
        c->refine_lookahead, c->refine_iters, c->refine_momentum);
    return -1;
  }
  if (c->task == GCN_VOCODER_NB2WB && (c->lowband_hz <= c->fade_hz + 500.0f
          || c->lowband_hz >= c->sample_rate / 2.0f || c->fade_hz < 0)) {
    gc_set_error ("vocoder: bad low band %.0f Hz / fade %.0f Hz",
        c->lowband_hz, c->fade_hz);
    return -1;
  }
  return 0;
}

/* Mel bands as weighted means of bin magnitudes (rows sum to one), so a
 * log-mel value reads as a log magnitude; and its transpose, normalised per
 * bin, to spread log-mel back onto bins as the network's starting point. */
static int
setup_mel (gcn_vocoder *v)
{
  const gcn_vocoder_config *c = &v->cfg;
  if (gc_filterbank_mel (&v->mel, c->n_mels, c->n_fft, c->sample_rate,
          c->fmin, c->fmax, 0, 0) < 0)
    return -1;
  int bins = v->bins, nm = c->n_mels;
  for (int m = 0; m < nm; m++) {
    float *row = v->mel.weights + (size_t) m * bins;
    double sum = 0;
    for (int k = 0; k < bins; k++)
      sum += row[k];
    if (sum > 1e-12)
      for (int k = 0; k < bins; k++)
        row[k] = (float) (row[k] / sum);
  }
  v->mel_to_bin = gc_alloc ((size_t) bins * nm * sizeof (float));
  if (!v->mel_to_bin)
    return -1;
  for (int k = 0; k < bins; k++) {
    float *p = v->mel_to_bin + (size_t) k * nm;
    double sum = 0;
    for (int m = 0; m < nm; m++) {
      p[m] = v->mel.weights[(size_t) m * bins + k];
      sum += p[m];
    }
    if (sum > 1e-12) {
      for (int m = 0; m < nm; m++)
        p[m] = (float) (p[m] / sum);
    } else {
      /* bin outside every band: copy the nearest band by centre */
      float hz = (float) k * c->sample_rate / c->n_fft;
      int best = 0;
      float bestd = 1e30f;
      for (int m = 0; m < nm; m++) {
        const float *row = v->mel.weights + (size_t) m * bins;
        double num = 0, den = 0;
        for (int j = 0; j < bins; j++) {
          num += row[j] * (double) j;
          den += row[j];
        }
        if (den <= 1e-12)
          continue;
        float centre = (float) (num / den) * c->sample_rate / c->n_fft;
        if (fabsf (centre - hz) < bestd) {
          bestd = fabsf (centre - hz);
          best = m;
        }
      }
      p[best] = 1.0f;
    }
  }
  return 0;
}

/* NB2WB geometry: bins below lowband - fade come from the input, bins above
 * lowband are generated, linear in between. The generated phase is taken
 * from bin k - shift (repeatedly) with shift a multiple of n_fft / hop, the
 * translation that keeps the STFT frames consistent. */
static void
setup_bands (gcn_vocoder *v)
{
  const gcn_vocoder_config *c = &v->cfg;
  int bins = v->bins;
  for (int k = 0; k < bins; k++) {
    v->fade[k] = 1.0f;
    v->src_bin[k] = -1;
  }
  if (c->task != GCN_VOCODER_NB2WB)
    return;
  float bin_hz = (float) c->sample_rate / c->n_fft;
  int k_hi = (int) lrintf (c->lowband_hz / bin_hz);
  int k_lo = (int) lrintf ((c->lowband_hz - c->fade_hz) / bin_hz);
  if (k_lo < 8)
    k_lo = 8;
  if (k_hi <= k_lo)
    k_hi = k_lo + 1;
  int step = c->n_fft / c->hop;
  int shift = ((k_lo - 8) / step) * step;
  if (shift < step)
    shift = step;
  for (int k = 0; k < bins; k++) {
    if (k <= k_lo)
      v->fade[k] = 0.0f;
    else if (k < k_hi)
      v->fade[k] = (float) (k - k_lo) / (k_hi - k_lo);
    if (v->fade[k] > 0) {
      int s = k - shift;
      while (s >= k_lo)
        s -= shift;
      v->src_bin[k] = s < 0 ? 0 : s;
    }
  }
}

static void
collect_params (gcn_vocoder *v)
{
  gc_param_list *pl = &v->params;
  gc_conv1d_params (&v->conv_in, pl);
  for (int i = 0; i < 2; i++) {
    gc_conv1d_params (&v->res_a[i], pl);
    gc_conv1d_params (&v->res_b[i], pl);
  }
  gc_gru_params (&v->gru, pl);
  gc_conv1d_params (&v->conv_out, pl);
}

int
gcn_vocoder_init (gcn_vocoder *v, const gcn_vocoder_config *cfg,
    uint64_t seed)
{
  memset (v, 0, sizeof *v);
  if (config_check (cfg) < 0)
    return -1;
  v->cfg = *cfg;
  v->bins = cfg->n_fft / 2 + 1;
  int C = cfg->channels, bins = v->bins;
  gc_rng r;
  gc_rng_seed (&r, seed);
  int ok = gc_conv1d_init (&v->conv_in, "conv_in", cfg->n_mels, C, 3, 1, 1,
      0, 1, 1, &r) == 0;
  for (int i = 0; ok && i < 2; i++) {
    char name[32];
    snprintf (name, sizeof name, "res%d.a", i);
    ok = gc_conv1d_init (&v->res_a[i], name, C, C, 3, 1, 1 << i, 0, 1, 1,
        &r) == 0;
    snprintf (name, sizeof name, "res%d.b", i);
    ok = ok && gc_conv1d_init (&v->res_b[i], name, C, C, 1, 1, 1, 0, 1, 1,
        &r) == 0;
  }
  ok = ok && gc_gru_init (&v->gru, "gru", C, C, &r) == 0;
  ok = ok && gc_conv1d_init (&v->conv_out, "conv_out", C, 3 * bins, 1, 1, 1,
      0, 1, 1, &r) == 0;
  if (!ok)
    goto fail;
  /* Start as "log-mel spread onto bins, phase from PGHI": small output
   * weights, and a rotation of (1, 0). Residual branches start small too. */
  for (size_t i = 0; i < v->conv_out.weight.n; i++)
    v->conv_out.weight.w[i] *= 0.05f;
  for (int k = 0; k < bins; k++)
    v->conv_out.bias.w[bins + k] = 1.0f;
  for (int i = 0; i < 2; i++)
    for (size_t j = 0; j < v->res_b[i].weight.n; j++)
      v->res_b[i].weight.w[j] *= 0.3f;
  collect_params (v);

  v->window = gc_alloc (cfg->n_fft * sizeof (float));
  v->fade = gc_alloc (bins * sizeof (float));
  v->src_bin = gc_alloc (bins * sizeof (int));
  v->fft = gc_stft_new (cfg->n_fft, cfg->n_fft, cfg->hop, GC_WIN_HANN);
  if (!v->window || !v->fade || !v->src_bin || !v->fft || setup_mel (v) < 0)
    goto fail;
  gc_window_fill (GC_WIN_HANN, v->window, cfg->n_fft);
  setup_bands (v);
  /* Gaussian with the same time-frequency spread as a Hann window of
   * length n_fft (Prusa & Holighaus): lambda = 0.25645 n_fft^2. */
  v->pghi_lambda = 0.25645f * cfg->n_fft * cfg->n_fft;
  return 0;
fail:
  if (!gc_last_error ()[0])
    gc_set_error ("vocoder: out of memory");
  gcn_vocoder_free (v);
  return -1;
}

void
gcn_vocoder_free (gcn_vocoder *v)
{
  if (!v)
    return;
  gc_conv1d_free (&v->conv_in);
  for (int i = 0; i < 2; i++) {
    gc_conv1d_free (&v->res_a[i]);
    gc_conv1d_free (&v->res_b[i]);
  }
  gc_gru_free (&v->gru);
  gc_conv1d_free (&v->conv_out);
  gc_param_list_free (&v->params);
  gc_filterbank_free (&v->mel);
  gc_free (v->mel_to_bin);
  gc_free (v->window);
  gc_free (v->fade);
  gc_free (v->src_bin);
  gc_stft_free (v->fft);
  memset (v, 0, sizeof *v);
}

/* Refinement runs for COPY models with iterations set. */
int
gcn_voc_refine_on (const gcn_vocoder *v)
{
  return v->cfg.task == GCN_VOCODER_COPY && v->cfg.refine_iters > 0;
}

int
gcn_vocoder_latency (const gcn_vocoder *v)
{
  /* COPY synthesises a frame once the next one is known (PGHI look-ahead),
   * and commits it after the refinement look-ahead */
  return v->cfg.n_fft - v->cfg.hop
      + (v->cfg.task == GCN_VOCODER_COPY ? v->cfg.hop : 0)
      + (gcn_voc_refine_on (v) ? v->cfg.refine_lookahead * v->cfg.hop : 0);
}

int
gcn_vocoder_set_refine (gcn_vocoder *v, int lookahead, int iters,
    float momentum)
{
  gcn_vocoder_config c = v->cfg;
  c.refine_lookahead = lookahead;
  c.refine_iters = iters;
  c.refine_momentum = momentum;
  if (config_check (&c) < 0)
    return -1;
  v->cfg = c;
  return 0;
}
