/* gcn_vocoder — frame-rate GAN vocoder: features, network, synthesis,
 * training passes and streaming. See gcn_vocoder.h for the design. */
#include "gcn_vocoder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LRELU 0.2f
#define LOGMAG_MIN -15.0f
#define LOGMAG_MAX 8.0f
#define MEL_FLOOR 1e-5f
/* Fixed input normalisation: log-mel of speech at our FFT scale spans
 * roughly -11.5 .. +4; centre and scale it so the first layer starts sane. */
#define FEAT_SHIFT 4.0f
#define FEAT_SCALE 0.25f
/* Hann synthesis after Hann analysis at hop n_fft/4: sum of w^2 = 1.5. */
#define OLA_NORM (1.0f / 1.5f)

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
      || c->n_fft > 8192 || c->n_fft % 2 || c->hop * 4 != c->n_fft
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
static int
refine_on (const gcn_vocoder *v)
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
      + (refine_on (v) ? v->cfg.refine_lookahead * v->cfg.hop : 0);
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

/* ---- model files -------------------------------------------------------- */

void
gcn_vocoder_meta (const gcn_vocoder *v, const char **kv, int max_kv,
    char *store, size_t store_size)
{
  const gcn_vocoder_config *c = &v->cfg;
  struct { const char *key; char val[32]; } items[] = {
    { "arch", GCN_VOCODER_ARCH }, { "sample_rate", "" }, { "n_fft", "" },
    { "hop", "" }, { "n_mels", "" }, { "channels", "" }, { "task", "" },
    { "fmin", "" }, { "fmax", "" }, { "lowband_hz", "" }, { "fade_hz", "" },
    { "refine_lookahead", "" }, { "refine_iters", "" },
    { "refine_momentum", "" },
  };
  snprintf (items[1].val, 32, "%d", c->sample_rate);
  snprintf (items[2].val, 32, "%d", c->n_fft);
  snprintf (items[3].val, 32, "%d", c->hop);
  snprintf (items[4].val, 32, "%d", c->n_mels);
  snprintf (items[5].val, 32, "%d", c->channels);
  snprintf (items[6].val, 32, "%s", c->task == GCN_VOCODER_NB2WB ? "nb2wb"
      : "copy");
  snprintf (items[7].val, 32, "%g", c->fmin);
  snprintf (items[8].val, 32, "%g", c->fmax);
  snprintf (items[9].val, 32, "%g", c->lowband_hz);
  snprintf (items[10].val, 32, "%g", c->fade_hz);
  snprintf (items[11].val, 32, "%d", c->refine_lookahead);
  snprintf (items[12].val, 32, "%d", c->refine_iters);
  snprintf (items[13].val, 32, "%g", c->refine_momentum);
  int n = (int) (sizeof items / sizeof items[0]), used = 0;
  size_t off = 0;
  for (int i = 0; i < n && used + 3 <= max_kv; i++) {
    size_t lk = strlen (items[i].key) + 1, lv = strlen (items[i].val) + 1;
    if (off + lk + lv > store_size)
      break;
    memcpy (store + off, items[i].key, lk);
    kv[used++] = store + off;
    off += lk;
    memcpy (store + off, items[i].val, lv);
    kv[used++] = store + off;
    off += lv;
  }
  kv[used] = NULL;
}

int
gcn_vocoder_load (gcn_vocoder *v, const gc_model_file *m)
{
  memset (v, 0, sizeof *v);
  if (gc_model_check_arch (m, GCN_VOCODER_ARCH) < 0)
    return -1;
  gcn_vocoder_config cfg;
  const char *task = gc_model_meta_get (m, "task");
  gcn_vocoder_config_default (&cfg, task && !strcmp (task, "nb2wb")
      ? GCN_VOCODER_NB2WB : GCN_VOCODER_COPY);
  if (task && strcmp (task, "nb2wb") && strcmp (task, "copy")) {
    gc_set_error ("%s: unknown vocoder task '%s'", m->source, task);
    return -1;
  }
  cfg.sample_rate = gc_model_meta_get_int (m, "sample_rate", cfg.sample_rate);
  cfg.n_fft = gc_model_meta_get_int (m, "n_fft", cfg.n_fft);
  cfg.hop = gc_model_meta_get_int (m, "hop", cfg.hop);
  cfg.n_mels = gc_model_meta_get_int (m, "n_mels", cfg.n_mels);
  cfg.channels = gc_model_meta_get_int (m, "channels", cfg.channels);
  cfg.fmin = gc_model_meta_get_float (m, "fmin", cfg.fmin);
  cfg.fmax = gc_model_meta_get_float (m, "fmax", cfg.sample_rate / 2.0f);
  cfg.lowband_hz = gc_model_meta_get_float (m, "lowband_hz", cfg.lowband_hz);
  cfg.fade_hz = gc_model_meta_get_float (m, "fade_hz", cfg.fade_hz);
  /* files from before the refinement have none: off */
  cfg.refine_lookahead = gc_model_meta_get_int (m, "refine_lookahead", 0);
  cfg.refine_iters = gc_model_meta_get_int (m, "refine_iters", 0);
  cfg.refine_momentum = gc_model_meta_get_float (m, "refine_momentum", 0);
  if (gcn_vocoder_init (v, &cfg, 1) < 0) {
    char msg[256];
    snprintf (msg, sizeof msg, "%s", gc_last_error ());
    gc_set_error ("%s: %s", m->source, msg);
    return -1;
  }
  if (gc_model_bind (m, &v->params) < 0) {
    gcn_vocoder_free (v);
    return -1;
  }
  return 0;
}

int
gcn_vocoder_load_file (gcn_vocoder *v, const char *path)
{
  gc_model_file m;
  memset (v, 0, sizeof *v);
  if (gc_model_load (&m, path) < 0)
    return -1;
  int ret = gcn_vocoder_load (v, &m);
  gc_model_free (&m);
  return ret;
}

int
gcn_vocoder_load_mem (gcn_vocoder *v, const void *data, size_t size,
    const char *source)
{
  gc_model_file m;
  memset (v, 0, sizeof *v);
  if (gc_model_parse (&m, data, size, source) < 0)
    return -1;
  int ret = gcn_vocoder_load (v, &m);
  gc_model_free (&m);
  return ret;
}

/* ---- features ----------------------------------------------------------- */

void
gcn_vocoder_mel_from_mag (const gcn_vocoder *v, const float *mag,
    float *logmel)
{
  gc_filterbank_apply (&v->mel, mag, logmel);
  for (int m = 0; m < v->cfg.n_mels; m++)
    logmel[m] = logf (fmaxf (logmel[m], MEL_FLOOR));
}

int
gcn_vocoder_frames (const gcn_vocoder *v, int len)
{
  return len > 0 ? len / v->cfg.hop : 0;
}

/* Windowed FFT of the frame ending at sample `end` (exclusive). */
static void
analyze_frame (gcn_vocoder *v, gc_stft *fft, const float *x, int len,
    int end, float *buf, float *spec)
{
  int N = v->cfg.n_fft;
  for (int n = 0; n < N; n++) {
    int i = end - N + n;
    buf[n] = (i >= 0 && i < len) ? x[i] * v->window[n] : 0.0f;
  }
  gc_stft_rfft (fft, buf, spec);
}

static void
spec_to_logmel (const gcn_vocoder *v, const float *spec, float *mag,
    float *logmel)
{
  for (int k = 0; k < v->bins; k++)
    mag[k] = hypotf (spec[2 * k], spec[2 * k + 1]);
  gcn_vocoder_mel_from_mag (v, mag, logmel);
}

void
gcn_vocoder_analyze (gcn_vocoder *v, const float *x, int len, float *logmel,
    float *spec)
{
  int T = gcn_vocoder_frames (v, len), bins = v->bins;
  float *buf = malloc ((v->cfg.n_fft + 4 * bins + v->cfg.n_mels)
      * sizeof (float));
  if (!buf)
    return;
  float *sp = buf + v->cfg.n_fft, *mag = sp + 2 * bins;
  for (int t = 0; t < T; t++) {
    analyze_frame (v, v->fft, x, len, (t + 1) * v->cfg.hop, buf, sp);
    if (spec)
      memcpy (spec + (size_t) t * 2 * bins, sp, 2 * bins * sizeof (float));
    if (logmel)
      spec_to_logmel (v, sp, mag, logmel + (size_t) t * v->cfg.n_mels);
  }
  free (buf);
}

/* Log-mel spread onto bins: where the network's log-magnitude starts. */
static void
logmel_to_base (const gcn_vocoder *v, const float *logmel, float *base)
{
  int nm = v->cfg.n_mels;
  for (int k = 0; k < v->bins; k++) {
    const float *p = v->mel_to_bin + (size_t) k * nm;
    float s = 0;
    for (int m = 0; m < nm; m++)
      s += p[m] * logmel[m];
    base[k] = s;
  }
}

/* ---- RTPGHI ------------------------------------------------------------- */

struct gcn_pghi {
  int n_fft, hop, bins;
  float lambda;
  float *s_prev, *phase_prev, *tgrad_prev, *tgrad, *fgrad;
  unsigned char *done;
  float *hkey;
  int *hidx, hn;
  uint32_t rng;
  float ref;                /* slowly decaying loudest log-magnitude */
};

gcn_pghi *
gcn_pghi_new (int n_fft, int hop, float lambda)
{
  if (n_fft < 4 || hop < 1)
    return NULL;
  gcn_pghi *p = calloc (1, sizeof *p);
  if (!p)
    return NULL;
  p->n_fft = n_fft;
  p->hop = hop;
  p->bins = n_fft / 2 + 1;
  p->lambda = lambda;
  int b = p->bins;
  p->s_prev = malloc (5 * b * sizeof (float));
  p->done = malloc (b);
  p->hkey = malloc (2 * b * sizeof (float));
  p->hidx = malloc (2 * b * sizeof (int));
  if (!p->s_prev || !p->done || !p->hkey || !p->hidx) {
    gcn_pghi_free (p);
    return NULL;
  }
  p->phase_prev = p->s_prev + b;
  p->tgrad_prev = p->s_prev + 2 * b;
  p->tgrad = p->s_prev + 3 * b;
  p->fgrad = p->s_prev + 4 * b;
  gcn_pghi_reset (p);
  return p;
}

void
gcn_pghi_free (gcn_pghi *p)
{
  if (!p)
    return;
  free (p->s_prev);
  free (p->done);
  free (p->hkey);
  free (p->hidx);
  free (p);
}

void
gcn_pghi_reset (gcn_pghi *p)
{
  for (int k = 0; k < p->bins; k++) {
    p->s_prev[k] = -1e30f;
    p->phase_prev[k] = 0;
    p->tgrad_prev[k] = 0;
  }
  p->rng = 0x9e3779b9u;
  p->ref = -1e30f;
}

#define PGHI_FLOOR 6.9f         /* 60 dB, in natural log units */
#define PGHI_REF_DECAY 0.008f   /* per frame: about 9 dB per second */

static void
heap_push (gcn_pghi *p, float key, int idx)
{
  int i = p->hn++;
  while (i > 0) {
    int parent = (i - 1) / 2;
    if (p->hkey[parent] >= key)
      break;
    p->hkey[i] = p->hkey[parent];
    p->hidx[i] = p->hidx[parent];
    i = parent;
  }
  p->hkey[i] = key;
  p->hidx[i] = idx;
}

static int
heap_pop (gcn_pghi *p)
{
  int top = p->hidx[0];
  float key = p->hkey[--p->hn];
  int idx = p->hidx[p->hn], i = 0;
  for (;;) {
    int c = 2 * i + 1;
    if (c >= p->hn)
      break;
    if (c + 1 < p->hn && p->hkey[c + 1] > p->hkey[c])
      c++;
    if (p->hkey[c] <= key)
      break;
    p->hkey[i] = p->hkey[c];
    p->hidx[i] = p->hidx[c];
    i = c;
  }
  p->hkey[i] = key;
  p->hidx[i] = idx;
  return top;
}

static float
wrap_phase (float x)
{
  return remainderf (x, 2.0f * (float) M_PI);
}

/* Phase derivatives of a Gaussian-window STFT from its log-magnitude
 * (frame-relative FFT phase): d phase / d frame = hop (2 pi k / N +
 * N / lambda d s / d k), d phase / d bin = -lambda / (hop N) d s / d frame
 * - pi. Integrate along the strongest bins first (heap), from the previous
 * frame where it is stronger, else across frequency. */
void
gcn_pghi_frame (gcn_pghi *p, const float *s, float *phase)
{
  gcn_pghi_frame_ahead (p, s, NULL, phase);
}

void
gcn_pghi_frame_ahead (gcn_pghi *p, const float *s, const float *s_next,
    float *phase)
{
  int B = p->bins, N = p->n_fft;
  const float two_pi = 2.0f * (float) M_PI;
  float smax = -1e30f;
  for (int k = 0; k < B; k++) {
    float ds = k == 0 ? s[1] - s[0] : k == B - 1 ? s[k] - s[k - 1]
        : 0.5f * (s[k + 1] - s[k - 1]);
    p->tgrad[k] = p->hop * (two_pi * k / N + N / p->lambda * ds);
    float dt = 0.0f;
    if (s_next && p->s_prev[k] > -1e29f)
      dt = 0.5f * (s_next[k] - p->s_prev[k]);
    else if (s_next)
      dt = s_next[k] - s[k];
    else if (p->s_prev[k] > -1e29f)
      dt = s[k] - p->s_prev[k];
    p->fgrad[k] = -p->lambda / ((float) p->hop * N) * dt - (float) M_PI;
    if (s[k] > smax)
      smax = s[k];
    if (p->s_prev[k] > smax)
      smax = p->s_prev[k];
  }
  /* Bins 1e-4 below the loudest of this frame, or 60 dB below the recent
   * peak (decaying about 9 dB per second), get random phase: integrating
   * them would turn noise floors and pauses into steady bin-centre tones. */
  p->ref = fmaxf (smax, p->ref - PGHI_REF_DECAY);
  float tol = fmaxf (smax - 9.21f, p->ref - PGHI_FLOOR);
  int remaining = 0;
  p->hn = 0;
  for (int k = 0; k < B; k++) {
    if (s[k] <= tol) {
      p->rng = p->rng * 1664525u + 1013904223u;
      phase[k] = (p->rng >> 8) * (two_pi / 16777216.0f) - (float) M_PI;
      p->done[k] = 1;
    } else {
      p->done[k] = 0;
      remaining++;
      heap_push (p, p->s_prev[k], k);           /* previous frame: k */
    }
  }
  while (remaining > 0 && p->hn > 0) {
    int idx = heap_pop (p);
    if (idx < B) {              /* from the previous frame, along time */
      int k = idx;
      if (p->done[k])
        continue;
      phase[k] = p->phase_prev[k] + 0.5f * (p->tgrad_prev[k] + p->tgrad[k]);
      p->done[k] = 1;
      remaining--;
      heap_push (p, s[k], B + k);
    } else {                    /* this frame, along frequency */
      int k = idx - B;
      if (k + 1 < B && !p->done[k + 1]) {
        phase[k + 1] = phase[k] + 0.5f * (p->fgrad[k] + p->fgrad[k + 1]);
        p->done[k + 1] = 1;
        remaining--;
        heap_push (p, s[k + 1], B + k + 1);
      }
      if (k > 0 && !p->done[k - 1]) {
        phase[k - 1] = phase[k] - 0.5f * (p->fgrad[k] + p->fgrad[k - 1]);
        p->done[k - 1] = 1;
        remaining--;
        heap_push (p, s[k - 1], B + k - 1);
      }
    }
  }
  for (int k = 0; k < B; k++) {
    phase[k] = wrap_phase (phase[k]);
    p->phase_prev[k] = phase[k];
    p->s_prev[k] = s[k];
    p->tgrad_prev[k] = p->tgrad[k];
  }
}

/* ---- synthesis of one frame --------------------------------------------- */

static void
frame_logmag (const gcn_vocoder *v, const float *out, int stride,
    const float *base, float *logmag)
{
  for (int k = 0; k < v->bins; k++)
    logmag[k] = base[k] + out[(size_t) k * stride];
}

/* out: the network's column for this frame (3 bins values, `stride` apart);
 * logmag: this frame's predicted log-magnitudes; next: the next frame's
 * (COPY: PGHI look-ahead; NULL at the end); spec_in: input spectrum
 * (NB2WB) or NULL; pghi: COPY. Writes phase (total angle), the spectrum and
 * the windowed, normalised time frame (n_fft). */
static void
synth_frame (gcn_vocoder *v, gc_stft *fft, const float *out, int stride,
    const float *logmag, const float *next, const float *spec_in,
    gcn_pghi *pghi, float *phase, float *spec, float *frame)
{
  int B = v->bins;
  if (pghi) {
    float *s = frame, *sn = frame + B;  /* free until the inverse FFT */
    for (int k = 0; k < B; k++) {
      s[k] = fminf (fmaxf (logmag[k], LOGMAG_MIN), LOGMAG_MAX);
      if (next)
        sn[k] = fminf (fmaxf (next[k], LOGMAG_MIN), LOGMAG_MAX);
    }
    gcn_pghi_frame_ahead (pghi, s, next ? sn : NULL, phase);
  } else {
    for (int k = 0; k < B; k++) {
      int j = v->src_bin[k];
      phase[k] = (j >= 0 && spec_in) ? atan2f (spec_in[2 * j + 1],
          spec_in[2 * j]) : 0.0f;
    }
  }
  for (int k = 0; k < B; k++) {
    float f = v->fade[k];
    float re = 0, im = 0;
    if (f > 0) {
      float a = out[(size_t) (B + k) * stride];
      float b = out[(size_t) (2 * B + k) * stride];
      float th = phase[k] + atan2f (b, a);
      float mag = expf (fminf (fmaxf (logmag[k], LOGMAG_MIN), LOGMAG_MAX));
      phase[k] = th;
      re = f * mag * cosf (th);
      im = f * mag * sinf (th);
    }
    if (f < 1 && spec_in) {
      re += (1 - f) * spec_in[2 * k];
      im += (1 - f) * spec_in[2 * k + 1];
    }
    spec[2 * k] = re;
    spec[2 * k + 1] = im;
  }
  gc_stft_irfft (fft, spec, frame);
  for (int n = 0; n < v->cfg.n_fft; n++)
    frame[n] *= v->window[n] * OLA_NORM;
}


/* ---- phase refinement toward the input mel (RTISI-LA) -------------------- */

/* Measured on held-out speech (bench/vocoder/vocoder-diag): the vocoder's
 * distance to its input mel is mostly inconsistency (magnitudes with a
 * phase that no signal has, changed by re-analysis), not magnitude error;
 * projecting the magnitudes onto the mel alone does not help, refining the
 * phase with the mel as the constraint does. The frames of the look-ahead
 * are refined newest first; slot 0 is the oldest, slot L the newest. */
#define REFINE_PROJ_ITERS 4

typedef struct {
  const gcn_vocoder *v;
  gc_stft *fft;             /* borrowed */
  int L, iters;
  float alpha;
  float *tot;               /* n_fft + L hop: output, tot[0] is slot 0's
                             * first sample */
  float *c;                 /* [L+1][n_fft] each slot's contribution */
  float *prev;              /* [L+1][2 bins] its last projection */
  float *tgt;               /* [L+1][bins] sum_m W_mk T_m of its target
                             * mel T (linear) */
  unsigned char *live, *has_prev;
  float *buf, *X, *mag, *amag, *den;
  float *den0;              /* [bins]: 1 for bins in no band (kept), else 0 */
} refiner;

static void
refiner_free (refiner *r)
{
  if (!r)
    return;
  free (r->tot);
  free (r->live);
  free (r);
}

static void
refiner_reset (refiner *r)
{
  int N = r->v->cfg.n_fft, hop = r->v->cfg.hop, B = r->v->bins;
  int S = r->L + 1;
  memset (r->tot, 0, ((size_t) N + (size_t) r->L * hop + (size_t) S * N
          + (size_t) S * 2 * B + (size_t) S * B) * sizeof (float));
  memset (r->live, 0, 2 * S);
}

static refiner *
refiner_new (const gcn_vocoder *v, gc_stft *fft)
{
  refiner *r = calloc (1, sizeof *r);
  if (!r)
    return NULL;
  int N = v->cfg.n_fft, hop = v->cfg.hop, B = v->bins;
  r->v = v;
  r->fft = fft;
  r->L = v->cfg.refine_lookahead;
  r->iters = v->cfg.refine_iters;
  r->alpha = v->cfg.refine_momentum;
  int S = r->L + 1;
  size_t n = (size_t) N + (size_t) r->L * hop + (size_t) S * N
      + (size_t) S * 2 * B + (size_t) S * B + N + 2 * B + 4 * B;
  r->tot = malloc (n * sizeof (float));
  r->live = malloc (2 * S);
  if (!r->tot || !r->live) {
    refiner_free (r);
    return NULL;
  }
  r->c = r->tot + N + (size_t) r->L * hop;
  r->prev = r->c + (size_t) S * N;
  r->tgt = r->prev + (size_t) S * 2 * B;
  r->buf = r->tgt + (size_t) S * B;
  r->X = r->buf + N;
  r->mag = r->X + 2 * B;
  r->amag = r->mag + B;
  r->den = r->amag + B;
  r->den0 = r->den + B;
  for (int k = 0; k < B; k++)
    r->den0[k] = 1.0f;
  for (int m = 0; m < v->cfg.n_mels; m++)
    for (int k = v->mel.first[m]; k <= v->mel.last[m]; k++)
      r->den0[k] = 0.0f;
  r->has_prev = r->live + S;
  refiner_reset (r);
  return r;
}

/* Rescale mag per bin so that its mel approaches the target: multiplicative
 * updates s_k *= sum_m W_mk T_m / sum_m W_mk P_m (Lee & Seung). The
 * numerator is fixed per frame (num, computed when it enters). */
static void
refiner_project (refiner *r, const float *num)
{
  const gcn_vocoder *v = r->v;
  int B = v->bins, M = v->cfg.n_mels;
  const float *W = v->mel.weights;
  const int *first = v->mel.first, *last = v->mel.last;
  float *den = r->den, *mag = r->mag;
  for (int it = 0; it < REFINE_PROJ_ITERS; it++) {
    /* bins in no band: num = den = 1, so they keep their value */
    memcpy (den, r->den0, B * sizeof (float));
    for (int m = 0; m < M; m++) {
      const float *w = W + (size_t) m * B;
      float p = 0;
      for (int k = first[m]; k <= last[m]; k++)
        p += w[k] * mag[k];
      p = p > 1e-12f ? p : 1e-12f;
      for (int k = first[m]; k <= last[m]; k++)
        den[k] += w[k] * p;
    }
    for (int k = 0; k < B; k++)
      mag[k] *= num[k] / den[k];
  }
}

static void
refiner_update (refiner *r, int slot)
{
  const gcn_vocoder *v = r->v;
  int N = v->cfg.n_fft, hop = v->cfg.hop, B = v->bins;
  float *seg = r->tot + (size_t) slot * hop, *c = r->c + (size_t) slot * N;
  for (int n = 0; n < N; n++)
    r->buf[n] = seg[n] * v->window[n];
  gc_stft_rfft (r->fft, r->buf, r->X);
  for (int k = 0; k < B; k++)
    r->mag[k] = sqrtf (r->X[2 * k] * r->X[2 * k] + r->X[2 * k + 1]
        * r->X[2 * k + 1]);
  float *pv = r->prev + (size_t) slot * 2 * B;
  memcpy (r->amag, r->mag, B * sizeof (float));
  refiner_project (r, r->tgt + (size_t) slot * B);
  for (int k = 0; k < B; k++) {
    float re = r->X[2 * k], im = r->X[2 * k + 1], a = r->amag[k];
    float pr = a > 1e-20f ? r->mag[k] * re / a : r->mag[k];
    float pi = a > 1e-20f ? r->mag[k] * im / a : 0.0f;
    /* fast Griffin-Lim: step past the projection, away from the last */
    if (r->has_prev[slot]) {
      r->X[2 * k] = pr + r->alpha * (pr - pv[2 * k]);
      r->X[2 * k + 1] = pi + r->alpha * (pi - pv[2 * k + 1]);
    } else {
      r->X[2 * k] = pr;
      r->X[2 * k + 1] = pi;
    }
    pv[2 * k] = pr;
    pv[2 * k + 1] = pi;
  }
  r->has_prev[slot] = 1;
  gc_stft_irfft (r->fft, r->X, r->buf);
  for (int n = 0; n < N; n++) {
    float nc = r->buf[n] * v->window[n] * OLA_NORM;
    seg[n] += nc - c[n];
    c[n] = nc;
  }
}

/* One hop: frame `spec` (or none) enters as the newest with its input
 * log-mel; the look-ahead is refined; the oldest frame's first hop of
 * output is final and goes to out_hop. */
static void
refiner_push (refiner *r, const float *spec, const float *logmel,
    float *out_hop)
{
  const gcn_vocoder *v = r->v;
  int N = v->cfg.n_fft, hop = v->cfg.hop, B = v->bins, M = v->cfg.n_mels;
  int L = r->L, S = L + 1;
  if (spec) {
    float *c = r->c + (size_t) L * N, *seg = r->tot + (size_t) L * hop;
    gc_stft_irfft (r->fft, spec, r->buf);
    for (int n = 0; n < N; n++) {
      c[n] = r->buf[n] * v->window[n] * OLA_NORM;
      seg[n] += c[n];
    }
    float *num = r->tgt + (size_t) L * B;
    const float *W = v->mel.weights;
    memcpy (num, r->den0, B * sizeof (float));
    for (int m = 0; m < M; m++) {
      /* features from callers may be anything finite: keep the target
       * where squares of magnitudes stay finite */
      float tm = expf (fminf (fmaxf (logmel[m], -20.0f), 20.0f));
      for (int k = v->mel.first[m]; k <= v->mel.last[m]; k++)
        num[k] += W[(size_t) m * B + k] * tm;
    }
    r->live[L] = 1;
  }
  for (int it = 0; it < r->iters; it++)
    for (int slot = L; slot >= 0; slot--)
      if (r->live[slot])
        refiner_update (r, slot);
  memcpy (out_hop, r->tot, hop * sizeof (float));
  /* shift by one hop / one slot */
  int span = N + L * hop;
  memmove (r->tot, r->tot + hop, (span - hop) * sizeof (float));
  memset (r->tot + span - hop, 0, hop * sizeof (float));
  memmove (r->c, r->c + N, (size_t) L * N * sizeof (float));
  memset (r->c + (size_t) L * N, 0, N * sizeof (float));
  memmove (r->prev, r->prev + 2 * B, (size_t) L * 2 * B * sizeof (float));
  memmove (r->tgt, r->tgt + B, (size_t) L * B * sizeof (float));
  memmove (r->live, r->live + 1, L);
  memmove (r->has_prev, r->has_prev + 1, L);
  r->live[S - 1] = 0;
  r->has_prev[S - 1] = 0;
}

/* ---- training forward / backward ---------------------------------------- */

void
gcn_vocoder_acts_free (gcn_vocoder_acts *a)
{
  gc_tensor *ts[] = { &a->feat, &a->h0, &a->u[0], &a->u[1], &a->v[0],
    &a->v[1], &a->w[0], &a->w[1], &a->z[0], &a->z[1], &a->a[0], &a->a[1],
    &a->a[2], &a->gin, &a->gout, &a->hsum, &a->hact, &a->out, &a->dtmp,
    &a->dtmp2, &a->dtmp3 };
  for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
    gc_tensor_free (ts[i]);
  gc_gru_cache_free (&a->gcache);
  free (a->spec_in);
  free (a->base);
  free (a->logmag);
  free (a->phase);
  free (a->spec_out);
  free (a->d_out);
  free (a->d_logmag);
  free (a->frame);
  free (a->logmel);
  memset (a, 0, sizeof *a);
}

static int
acts_reserve (gcn_vocoder *v, gcn_vocoder_acts *a, int batch, int T)
{
  size_t bt = (size_t) batch * T * v->bins;
  if (a->spec_in && a->batch * a->frames >= batch * T) {
    a->batch = batch;
    a->frames = T;
    return 0;
  }
  free (a->spec_in);
  free (a->base);
  free (a->logmag);
  free (a->phase);
  free (a->spec_out);
  free (a->d_out);
  free (a->d_logmag);
  free (a->frame);
  free (a->logmel);
  a->spec_in = malloc (bt * 2 * sizeof (float));
  a->base = malloc (bt * sizeof (float));
  a->logmag = malloc (bt * sizeof (float));
  a->phase = malloc (bt * sizeof (float));
  a->spec_out = malloc (bt * 2 * sizeof (float));
  a->d_out = malloc (bt * 3 * sizeof (float));
  a->d_logmag = malloc (bt * sizeof (float));
  a->frame = malloc ((v->cfg.n_fft + 4 * v->bins + v->cfg.n_mels)
      * sizeof (float));
  a->logmel = malloc ((size_t) batch * T * v->cfg.n_mels * sizeof (float));
  if (!a->spec_in || !a->base || !a->logmag || !a->phase || !a->spec_out
      || !a->d_out || !a->d_logmag || !a->frame || !a->logmel) {
    gc_set_error ("vocoder: out of memory for %d x %d frames", batch, T);
    return -1;
  }
  a->batch = batch;
  a->frames = T;
  return 0;
}

static void
lrelu (const gc_tensor *x, gc_tensor *y)
{
  gc_act_forward (GC_ACT_LEAKY_RELU, LRELU, x, y);
}

/* The network on features (B, n_mels, 1, T) -> out (B, 3 bins, 1, T). */
static void
net_forward (gcn_vocoder *v, gcn_vocoder_acts *a)
{
  gc_conv1d_forward (&v->conv_in, &a->feat, &a->a[0]);
  for (int i = 0; i < 2; i++) {
    lrelu (&a->a[i], &a->u[i]);
    gc_conv1d_forward (&v->res_a[i], &a->u[i], &a->v[i]);
    lrelu (&a->v[i], &a->w[i]);
    gc_conv1d_forward (&v->res_b[i], &a->w[i], &a->z[i]);
    gc_add (&a->a[i], &a->z[i], &a->a[i + 1]);
  }
  gc_gru_forward (&v->gru, &a->a[2], NULL, &a->gout, &a->gcache);
  gc_add (&a->a[2], &a->gout, &a->hsum);
  lrelu (&a->hsum, &a->hact);
  gc_conv1d_forward (&v->conv_out, &a->hact, &a->out);
}

int
gcn_vocoder_forward (gcn_vocoder *v, const float *x, int batch, int len,
    float *y, gcn_vocoder_acts *a)
{
  int hop = v->cfg.hop, N = v->cfg.n_fft, nm = v->cfg.n_mels, B = v->bins;
  if (!x || !y || batch < 1 || len < hop || len % hop) {
    gc_set_error ("vocoder forward: length %d is not a positive multiple of "
        "the hop %d", len, hop);
    return -1;
  }
  int T = len / hop;
  if (acts_reserve (v, a, batch, T) < 0)
    return -1;
  a->len = len;
  if (gc_tensor_resize (&a->feat, batch, nm, 1, T) < 0)
    return -1;
  float *mag = a->frame + N + 2 * B, *lm = mag + B;
  for (int b = 0; b < batch; b++) {
    const float *xb = x + (size_t) b * len;
    for (int t = 0; t < T; t++) {
      float *sp = a->spec_in + ((size_t) b * T + t) * 2 * B;
      analyze_frame (v, v->fft, xb, len, (t + 1) * hop, a->frame, sp);
      spec_to_logmel (v, sp, mag, lm);
      memcpy (a->logmel + ((size_t) b * T + t) * nm, lm, nm * sizeof (float));
      logmel_to_base (v, lm, a->base + ((size_t) b * T + t) * B);
      for (int m = 0; m < nm; m++)
        a->feat.data[((size_t) b * nm + m) * T + t] =
            (lm[m] + FEAT_SHIFT) * FEAT_SCALE;
    }
  }
  net_forward (v, a);
  memset (a->d_logmag, 0, (size_t) batch * T * B * sizeof (float));
  gcn_pghi *pghi = NULL;
  if (v->cfg.task == GCN_VOCODER_COPY) {
    pghi = gcn_pghi_new (N, hop, v->pghi_lambda);
    if (!pghi) {
      gc_set_error ("vocoder: out of memory");
      return -1;
    }
  }
  refiner *rf = NULL;
  if (refine_on (v) && !(rf = refiner_new (v, v->fft))) {
    gcn_pghi_free (pghi);
    gc_set_error ("vocoder: out of memory");
    return -1;
  }
  memset (y, 0, (size_t) batch * len * sizeof (float));
  for (int b = 0; b < batch; b++) {
    if (pghi)
      gcn_pghi_reset (pghi);
    if (rf)
      refiner_reset (rf);
    float *yb = y + (size_t) b * len;
    for (int t = 0; t < T; t++) {
      size_t ft = (size_t) b * T + t;
      frame_logmag (v, a->out.data + (size_t) b * 3 * B * T + t, T,
          a->base + ft * B, a->logmag + ft * B);
    }
    for (int t = 0; t < T; t++) {
      size_t ft = (size_t) b * T + t;
      synth_frame (v, v->fft, a->out.data + (size_t) b * 3 * B * T + t, T,
          a->logmag + ft * B, t + 1 < T ? a->logmag + (ft + 1) * B : NULL,
          a->spec_in + ft * 2 * B, pghi, a->phase + ft * B,
          a->spec_out + ft * 2 * B, a->frame);
      if (rf)
        continue;
      int start = (t + 1) * hop - N;
      for (int n = 0; n < N; n++)
        if (start + n >= 0)
          yb[start + n] += a->frame[n];
    }
    if (!rf)
      continue;
    /* the same refinement as a stream, then flushed: frame t's first hop
     * is final once frame t + L has entered */
    int L = rf->L, flush = L + N / hop - 1;
    for (int t = 0; t < T + flush; t++) {
      size_t ft = (size_t) b * T + t;
      refiner_push (rf, t < T ? a->spec_out + ft * 2 * B : NULL,
          t < T ? a->logmel + ft * nm : NULL, a->frame);
      int start = (t - L + 1) * hop - N;
      for (int n = 0; n < hop; n++)
        if (start + n >= 0 && start + n < len)
          yb[start + n] = a->frame[n];
    }
  }
  gcn_pghi_free (pghi);
  refiner_free (rf);
  return 0;
}

float
gcn_vocoder_mag_loss (gcn_vocoder *v, gcn_vocoder_acts *a,
    const float *target, int t0, float weight)
{
  int T = a->frames, B = v->bins, len = a->len, N = v->cfg.n_fft;
  if (t0 < 0)
    t0 = 0;
  size_t count = 0;
  for (int k = 0; k < B; k++)
    count += v->fade[k] > 0;
  count *= (size_t) a->batch * (T > t0 ? T - t0 : 0);
  if (!count)
    return 0;
  float *sp = a->frame + N;
  double loss = 0;
  for (int b = 0; b < a->batch; b++)
    for (int t = t0; t < T; t++) {
      analyze_frame (v, v->fft, target + (size_t) b * len, len,
          (t + 1) * v->cfg.hop,
          a->frame, sp);
      size_t ft = (size_t) b * T + t;
      for (int k = 0; k < B; k++) {
        if (v->fade[k] <= 0)
          continue;
        float ref = logf (fmaxf (hypotf (sp[2 * k], sp[2 * k + 1]),
                MEL_FLOOR));
        float d = a->logmag[ft * B + k] - ref;
        loss += fabsf (d);
        a->d_logmag[ft * B + k] += weight * (d > 0 ? 1.0f : d < 0 ? -1.0f
            : 0.0f) / count;
      }
    }
  return (float) (loss / count);
}

/* dy -> dL/d(out) through overlap-add, inverse FFT and the polar form. */
static void
synth_backward (gcn_vocoder *v, gcn_vocoder_acts *a, const float *dy)
{
  int T = a->frames, B = v->bins, N = v->cfg.n_fft, hop = v->cfg.hop;
  int len = a->len;
  float *g = a->frame, *G = a->frame + N;
  for (int b = 0; b < a->batch; b++) {
    const float *dyb = dy + (size_t) b * len;
    const float *out = a->out.data + (size_t) b * 3 * B * T;
    float *dout = a->d_out + (size_t) b * 3 * B * T;
    for (int t = 0; t < T; t++) {
      size_t ft = (size_t) b * T + t;
      int start = (t + 1) * hop - N;
      for (int n = 0; n < N; n++)
        g[n] = start + n >= 0 ? dyb[start + n] * v->window[n] * OLA_NORM : 0;
      /* adjoint of irfft (c2r / N): c_k / N * rfft, c_k = 2 inside */
      gc_stft_rfft (v->fft, g, G);
      const float *lmag = a->logmag + ft * B, *th = a->phase + ft * B;
      for (int k = 0; k < B; k++) {
        float ck = (k == 0 || 2 * k == N) ? 1.0f : 2.0f;
        float f = v->fade[k];
        float dre = f * ck / N * G[2 * k], dim = f * ck / N * G[2 * k + 1];
        float ds = a->d_logmag[ft * B + k], dar = 0, dbr = 0;
        if (f > 0) {
          float lm = lmag[k];
          int inside = lm > LOGMAG_MIN && lm < LOGMAG_MAX;
          float mag = expf (fminf (fmaxf (lm, LOGMAG_MIN), LOGMAG_MAX));
          float c = cosf (th[k]), s = sinf (th[k]);
          if (inside)
            ds += (dre * c + dim * s) * mag;
          float dth = mag * (-dre * s + dim * c);
          float ar = out[(size_t) (B + k) * T + t];
          float br = out[(size_t) (2 * B + k) * T + t];
          float r2 = ar * ar + br * br + 1e-12f;
          dar = dth * (-br / r2);
          dbr = dth * (ar / r2);
        }
        dout[(size_t) k * T + t] = ds;
        dout[(size_t) (B + k) * T + t] = dar;
        dout[(size_t) (2 * B + k) * T + t] = dbr;
      }
    }
  }
}

void
gcn_vocoder_backward (gcn_vocoder *v, gcn_vocoder_acts *a, const float *dy)
{
  int T = a->frames, B = v->bins, batch = a->batch;
  synth_backward (v, a, dy);
  gc_tensor dout = { batch, 3 * B, 1, T, a->d_out, (size_t) batch * 3 * B * T };
  gc_tensor *d1 = &a->dtmp, *d2 = &a->dtmp2, *da = &a->dtmp3;
  gc_conv1d_backward (&v->conv_out, &a->hact, &dout, d1);
  gc_act_backward (GC_ACT_LEAKY_RELU, LRELU, &a->hsum, &a->hact, d1, d1);
  /* hsum = a2 + gru (a2) */
  gc_gru_backward (&v->gru, &a->a[2], &a->gcache, d1, d2);
  gc_tensor_copy (da, d1);
  gc_axpy (1.0f, d2, da);
  for (int i = 1; i >= 0; i--) {
    /* a[i+1] = a[i] + res_b (lrelu (res_a (lrelu (a[i])))) */
    gc_conv1d_backward (&v->res_b[i], &a->w[i], da, d1);
    gc_act_backward (GC_ACT_LEAKY_RELU, LRELU, &a->v[i], &a->w[i], d1, d1);
    gc_conv1d_backward (&v->res_a[i], &a->u[i], d1, d2);
    gc_act_backward (GC_ACT_LEAKY_RELU, LRELU, &a->a[i], &a->u[i], d2, d2);
    gc_axpy (1.0f, d2, da);
  }
  gc_conv1d_backward (&v->conv_in, &a->feat, da, NULL);
}

/* ---- streaming ---------------------------------------------------------- */

struct gcn_vocoder_stream {
  gcn_vocoder *v;
  gc_stft *fft;             /* own FFT buffers: streams may run in parallel */
  gc_conv1d_state st_in, st_a[2];
  gc_tensor x, t0, t1, t2, acc, out;
  float *h, *gru_scratch;
  gcn_pghi *pghi;
  float *in_buf;            /* last n_fft input samples */
  float *ola;               /* n_fft */
  float *spec_in, *spec, *frame, *mag, *logmel, *base, *logmag, *phase;
  float *held_out, *held_logmag;  /* COPY: the frame waiting for its next */
  float *held_logmel;       /* ... and its input features */
  refiner *refine;          /* COPY with refinement, else NULL */
  int held;
};

void
gcn_vocoder_stream_free (gcn_vocoder_stream *s)
{
  if (!s)
    return;
  refiner_free (s->refine);
  free (s->held_logmel);
  gc_conv1d_state_free (&s->st_in);
  gc_conv1d_state_free (&s->st_a[0]);
  gc_conv1d_state_free (&s->st_a[1]);
  gc_tensor *ts[] = { &s->x, &s->t0, &s->t1, &s->t2, &s->acc, &s->out };
  for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
    gc_tensor_free (ts[i]);
  gcn_pghi_free (s->pghi);
  gc_stft_free (s->fft);
  free (s->h);
  free (s);
}

gcn_vocoder_stream *
gcn_vocoder_stream_new (gcn_vocoder *v)
{
  if (!v || !v->bins) {
    gc_set_error ("vocoder stream: no model");
    return NULL;
  }
  gcn_vocoder_stream *s = calloc (1, sizeof *s);
  if (!s)
    return NULL;
  s->v = v;
  int C = v->cfg.channels, N = v->cfg.n_fft, B = v->bins;
  size_t floats = C + 6 * C + N + N + 2 * B + 2 * B + N + 2 * B + B
      + v->cfg.n_mels + B + B + B + 3 * B + B;
  s->h = calloc (floats, sizeof (float));
  s->fft = gc_stft_new (N, N, v->cfg.hop, GC_WIN_HANN);
  if (!s->h || !s->fft || gc_conv1d_state_init (&s->st_in, &v->conv_in, 1) < 0
      || gc_conv1d_state_init (&s->st_a[0], &v->res_a[0], 1) < 0
      || gc_conv1d_state_init (&s->st_a[1], &v->res_a[1], 1) < 0) {
    gcn_vocoder_stream_free (s);
    return NULL;
  }
  s->gru_scratch = s->h + C;
  s->in_buf = s->gru_scratch + 6 * C;
  s->ola = s->in_buf + N;
  s->spec_in = s->ola + N;
  s->spec = s->spec_in + 2 * B;
  s->frame = s->spec + 2 * B;
  s->mag = s->frame + N + 2 * B;  /* frame may use n_fft + 2 bins scratch */
  s->logmel = s->mag + B;
  s->base = s->logmel + v->cfg.n_mels;
  s->logmag = s->base + B;
  s->phase = s->logmag + B;
  s->held_out = s->phase + B;
  s->held_logmag = s->held_out + 3 * B;
  if (v->cfg.task == GCN_VOCODER_COPY) {
    s->pghi = gcn_pghi_new (N, v->cfg.hop, v->pghi_lambda);
    s->held_logmel = calloc (v->cfg.n_mels, sizeof (float));
    if (refine_on (v))
      s->refine = refiner_new (v, s->fft);
    if (!s->pghi || !s->held_logmel || (refine_on (v) && !s->refine)) {
      gcn_vocoder_stream_free (s);
      return NULL;
    }
  }
  gcn_vocoder_stream_reset (s);
  return s;
}

void
gcn_vocoder_stream_reset (gcn_vocoder_stream *s)
{
  gcn_vocoder *v = s->v;
  gc_conv1d_state_reset (&s->st_in);
  gc_conv1d_state_reset (&s->st_a[0]);
  gc_conv1d_state_reset (&s->st_a[1]);
  memset (s->h, 0, v->cfg.channels * sizeof (float));
  memset (s->in_buf, 0, v->cfg.n_fft * sizeof (float));
  memset (s->ola, 0, v->cfg.n_fft * sizeof (float));
  memset (s->spec_in, 0, 2 * v->bins * sizeof (float));
  s->held = 0;
  if (s->pghi)
    gcn_pghi_reset (s->pghi);
  if (s->refine)
    refiner_reset (s->refine);
}

/* One frame through the network (same layers as net_forward, T = 1, with
 * the causal history in the states), synthesis and overlap-add. */
static void
stream_frame (gcn_vocoder_stream *s, const float *spec_in, float *out_hop)
{
  gcn_vocoder *v = s->v;
  int nm = v->cfg.n_mels, C = v->cfg.channels, N = v->cfg.n_fft;
  int hop = v->cfg.hop;
  if (gc_tensor_resize (&s->x, 1, nm, 1, 1) < 0)
    return;
  for (int m = 0; m < nm; m++)
    s->x.data[m] = (s->logmel[m] + FEAT_SHIFT) * FEAT_SCALE;
  logmel_to_base (v, s->logmel, s->base);
  gc_conv1d_stream (&v->conv_in, &s->st_in, &s->x, &s->acc);
  for (int i = 0; i < 2; i++) {
    lrelu (&s->acc, &s->t0);
    gc_conv1d_stream (&v->res_a[i], &s->st_a[i], &s->t0, &s->t1);
    lrelu (&s->t1, &s->t1);
    gc_conv1d_forward (&v->res_b[i], &s->t1, &s->t2);
    gc_axpy (1.0f, &s->t2, &s->acc);
  }
  gc_gru_step (&v->gru, s->acc.data, s->h, s->gru_scratch);
  for (int c = 0; c < C; c++)
    s->acc.data[c] += s->h[c];
  lrelu (&s->acc, &s->t0);
  gc_conv1d_forward (&v->conv_out, &s->t0, &s->out);
  int B = v->bins;
  frame_logmag (v, s->out.data, 1, s->base, s->logmag);
  if (s->pghi) {
    /* synthesise the held frame now that its successor is known */
    if (s->held)
      synth_frame (v, s->fft, s->held_out, 1, s->held_logmag, s->logmag, NULL,
          s->pghi, s->phase, s->spec, s->frame);
    else
      memset (s->frame, 0, N * sizeof (float));
    int had = s->held;
    memcpy (s->held_out, s->out.data, 3 * B * sizeof (float));
    memcpy (s->held_logmag, s->logmag, B * sizeof (float));
    s->held = 1;
    if (s->refine) {
      /* the synthesised frame (if any) enters the look-ahead with its
       * features; the oldest frame's hop comes out */
      refiner_push (s->refine, had ? s->spec : NULL, s->held_logmel,
          out_hop);
      memcpy (s->held_logmel, s->logmel, nm * sizeof (float));
      return;
    }
    memcpy (s->held_logmel, s->logmel, nm * sizeof (float));
  } else {
    synth_frame (v, s->fft, s->out.data, 1, s->logmag, NULL, spec_in, NULL,
        s->phase, s->spec, s->frame);
  }
  for (int n = 0; n < N; n++)
    s->ola[n] += s->frame[n];
  memcpy (out_hop, s->ola, hop * sizeof (float));
  memmove (s->ola, s->ola + hop, (N - hop) * sizeof (float));
  memset (s->ola + N - hop, 0, hop * sizeof (float));
}

void
gcn_vocoder_stream_analyze (gcn_vocoder_stream *s, const float *in_hop,
    float *mag)
{
  gcn_vocoder *v = s->v;
  int N = v->cfg.n_fft, hop = v->cfg.hop;
  memmove (s->in_buf, s->in_buf + hop, (N - hop) * sizeof (float));
  memcpy (s->in_buf + N - hop, in_hop, hop * sizeof (float));
  analyze_frame (v, s->fft, s->in_buf, N, N, s->frame, s->spec_in);
  for (int k = 0; k < v->bins; k++)
    mag[k] = hypotf (s->spec_in[2 * k], s->spec_in[2 * k + 1]);
}

void
gcn_vocoder_stream_process (gcn_vocoder_stream *s, const float *in_hop,
    float *out_hop)
{
  gcn_vocoder_stream_analyze (s, in_hop, s->mag);
  gcn_vocoder_mel_from_mag (s->v, s->mag, s->logmel);
  stream_frame (s, s->spec_in, out_hop);
}

void
gcn_vocoder_stream_push_features (gcn_vocoder_stream *s, const float *logmel,
    float *out_hop)
{
  gcn_vocoder *v = s->v;
  for (int m = 0; m < v->cfg.n_mels; m++)
    s->logmel[m] = isfinite (logmel[m]) ? logmel[m] : logf (MEL_FLOOR);
  /* NB2WB without an input spectrum has nothing to pass through */
  stream_frame (s, v->cfg.task == GCN_VOCODER_NB2WB ? s->spec_in : NULL,
      out_hop);
}

/* ---- resampling --------------------------------------------------------- */

#define RS_ZEROS 32
#define RS_BETA 8.0

struct gcn_resampler {
  int ri, ro, phases, step_num, taps, half;
  float *table;             /* [phases][taps] */
  float *buf;               /* pending input, buf[0] is input index buf_start */
  long buf_len, buf_cap, buf_start;
  long next_out;            /* index of the next output sample */
};

static double
bessel_i0 (double x)
{
  double sum = 1, term = 1, q = x * x / 4;
  for (int k = 1; k < 64; k++) {
    term *= q / ((double) k * k);
    sum += term;
    if (term < sum * 1e-12)
      break;
  }
  return sum;
}

static long
gcd_long (long a, long b)
{
  while (b) {
    long t = a % b;
    a = b;
    b = t;
  }
  return a;
}

long
gcn_resample_len (long n_in, int rate_in, int rate_out)
{
  if (n_in <= 0 || rate_in <= 0 || rate_out <= 0)
    return 0;
  return (n_in * (long) rate_out + rate_in / 2) / rate_in;
}

static int
resampler_setup (gcn_resampler *r, int ri, int ro)
{
  long g = gcd_long (ri, ro);
  r->ri = ri;
  r->ro = ro;
  r->phases = (int) (ro / g);
  /* cutoff at 0.47 of the lower rate: the band edge of telephone speech
   * stays clear of the aliases */
  double fc = 0.47 * (ri < ro ? ri : ro) / ri;   /* cycles per input sample */
  double tw = RS_ZEROS / (2.0 * fc);             /* half width, in samples */
  r->half = (int) ceil (tw);
  r->taps = 2 * r->half;
  r->table = malloc ((size_t) r->phases * r->taps * sizeof (float));
  if (!r->table)
    return -1;
  double i0b = bessel_i0 (RS_BETA);
  for (int p = 0; p < r->phases; p++) {
    double frac = (double) p / r->phases;
    for (int m = 0; m < r->taps; m++) {
      /* tap m reads input ip - half + 1 + m; tau = position - input */
      double tau = frac + r->half - 1 - m;
      double u = tau / tw, h = 0;
      if (fabs (u) < 1.0) {
        double xs = 2.0 * fc * tau;
        double sinc = fabs (xs) < 1e-9 ? 1.0 : sin (M_PI * xs) / (M_PI * xs);
        h = 2.0 * fc * sinc * bessel_i0 (RS_BETA * sqrt (1 - u * u)) / i0b;
      }
      r->table[(size_t) p * r->taps + m] = (float) h;
    }
  }
  return 0;
}

int
gcn_resample (const float *in, long n_in, int rate_in, float *out,
    long n_out, int rate_out)
{
  if (!in || !out || n_in < 0 || n_out < 0 || rate_in < 1 || rate_out < 1
      || rate_in > 1000000 || rate_out > 1000000) {
    gc_set_error ("resample: bad arguments");
    return -1;
  }
  gcn_resampler r;
  memset (&r, 0, sizeof r);
  if (resampler_setup (&r, rate_in, rate_out) < 0) {
    gc_set_error ("resample: out of memory");
    return -1;
  }
  long g = gcd_long (rate_in, rate_out), ri = rate_in / g, ro = rate_out / g;
  for (long j = 0; j < n_out; j++) {
    long num = j * ri;
    long ip = num / ro;
    int p = (int) (num % ro);
    const float *h = r.table + (size_t) p * r.taps;
    long first = ip - r.half + 1;
    double acc = 0;
    for (int m = 0; m < r.taps; m++) {
      long i = first + m;
      if (i >= 0 && i < n_in)
        acc += h[m] * in[i];
    }
    out[j] = (float) acc;
  }
  free (r.table);
  return 0;
}

gcn_resampler *
gcn_resampler_new (int rate_in, int rate_out)
{
  if (rate_in < 1 || rate_out < 1 || rate_in > 1000000 || rate_out > 1000000)
    return NULL;
  gcn_resampler *r = calloc (1, sizeof *r);
  if (!r || resampler_setup (r, rate_in, rate_out) < 0) {
    if (r)
      free (r->table);
    free (r);
    return NULL;
  }
  gcn_resampler_reset (r);
  return r;
}

void
gcn_resampler_free (gcn_resampler *r)
{
  if (!r)
    return;
  free (r->table);
  free (r->buf);
  free (r);
}

void
gcn_resampler_reset (gcn_resampler *r)
{
  r->buf_len = 0;
  r->buf_start = 0;
  r->next_out = 0;
}

int
gcn_resampler_latency (const gcn_resampler *r)
{
  return r->half;
}

long
gcn_resampler_max_out (const gcn_resampler *r, long n_in)
{
  return (n_in + r->taps + 2) * (long) r->ro / r->ri + 2;
}

long
gcn_resampler_push (gcn_resampler *r, const float *in, long n_in, float *out)
{
  if (n_in < 0)
    return 0;
  if (r->buf_len + n_in > r->buf_cap) {
    long cap = (r->buf_len + n_in) * 2 + 256;
    float *nb = realloc (r->buf, cap * sizeof (float));
    if (!nb)
      return 0;
    r->buf = nb;
    r->buf_cap = cap;
  }
  if (n_in)
    memcpy (r->buf + r->buf_len, in, n_in * sizeof (float));
  r->buf_len += n_in;
  long g = gcd_long (r->ri, r->ro), ri = r->ri / g, ro = r->ro / g;
  long end = r->buf_start + r->buf_len;      /* inputs received */
  long produced = 0;
  for (;;) {
    long num = r->next_out * ri;
    long ip = num / ro;
    if (ip + r->half >= end)                 /* last tap not here yet */
      break;
    int p = (int) (num % ro);
    const float *h = r->table + (size_t) p * r->taps;
    long first = ip - r->half + 1;
    double acc = 0;
    for (int m = 0; m < r->taps; m++) {
      long i = first + m - r->buf_start;
      if (i >= 0)               /* before the start: silence */
        acc += h[m] * r->buf[i];
    }
    out[produced++] = (float) acc;
    r->next_out++;
  }
  /* drop inputs no future output reads */
  long need = (r->next_out * ri) / ro - r->half + 1;
  long drop = need - r->buf_start;
  if (drop > 0) {
    if (drop > r->buf_len)
      drop = r->buf_len;
    memmove (r->buf, r->buf + drop, (r->buf_len - drop) * sizeof (float));
    r->buf_len -= drop;
    r->buf_start += drop;
  }
  return produced;
}
