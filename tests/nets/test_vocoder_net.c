/* gcn_vocoder / gcn_vocoder_disc: gradients against central differences
 * (through the inverse STFT's adjoint and the polar output), streaming equal
 * to the whole-signal pass, RTPGHI phase that actually reconstructs, the
 * resampler, and model files that round-trip or fail cleanly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcn_vocoder.h"
#include "gcn_vocoder_disc.h"
#include "gan_test.h"

/* Speech-like test signal: a gliding harmonic tone with a formant-ish tilt,
 * a gap, and a little noise. */
static void
make_signal (float *x, int n, int rate, uint64_t seed)
{
  gc_rng r;
  gc_rng_seed (&r, seed);
  double ph = 0;
  for (int i = 0; i < n; i++) {
    double t = (double) i / rate;
    double f0 = 120 + 60 * sin (2 * M_PI * 1.3 * t);
    ph += 2 * M_PI * f0 / rate;
    double s = 0;
    for (int h = 1; h * f0 < rate / 2.0 && h < 40; h++)
      s += sin (h * ph) / h;
    double env = (t > 0.45 && t < 0.55) ? 0.0 : 0.3;
    x[i] = (float) (env * s + 0.003 * gc_rng_normal (&r));
  }
}

/* L = sum_i r_i y_i (+ optional mag loss): its gradient check. */
static double
probe_loss (gcn_vocoder *v, const float *x, int batch, int len,
    const float *r, gcn_vocoder_acts *a, float *y)
{
  gcn_vocoder_forward (v, x, batch, len, y, a);
  double L = 0;
  for (int i = 0; i < batch * len; i++)
    L += (double) r[i] * y[i];
  return L;
}

static void
gradcheck_vocoder (int task, const char *label, int rotation_only)
{
  gcn_vocoder_config cfg;
  gcn_vocoder_config_default (&cfg, task);
  cfg.sample_rate = 8000;
  cfg.n_fft = 32;
  cfg.hop = 8;
  cfg.n_mels = 8;
  cfg.channels = 4;
  cfg.fmax = 4000;
  cfg.lowband_hz = 2500;
  cfg.fade_hz = 500;
  gcn_vocoder v;
  CHECK (gcn_vocoder_init (&v, &cfg, 7) == 0, "init %s: %s", label,
      gc_last_error ());
  /* make the output layer matter so gradients are not all tiny */
  gc_rng rng;
  gc_rng_seed (&rng, 3);
  for (size_t i = 0; i < v.conv_out.weight.n; i++)
    v.conv_out.weight.w[i] = 0.3f * gc_rng_normal (&rng);
  int batch = 2, len = 8 * 12;
  float *x = malloc (batch * len * sizeof (float));
  float *r = malloc (batch * len * sizeof (float));
  float *y = malloc (batch * len * sizeof (float));
  make_signal (x, batch * len, 8000, 11);
  gc_rng_fill_normal (&rng, r, batch * len, 0, 1);
  gcn_vocoder_acts a;
  memset (&a, 0, sizeof a);
  gc_param_list_zero_grad (&v.params);
  probe_loss (&v, x, batch, len, r, &a, y);
  CHECK (gcn_vocoder_backward (&v, &a, r) == 0, "backward %s: %s", label,
      gc_last_error ());
  int checked = 0, bad = 0;
  for (int p = 0; p < v.params.count; p++) {
    gc_param *par = v.params.items[p];
    int is_out = !strncmp (par->name, "conv_out", 8);
    if (rotation_only && !is_out)
      continue;
    for (int j = 0; j < 6; j++) {
      size_t i = (size_t) (gc_rng_u32 (&rng) % par->n);
      if (rotation_only) {
        /* rows bins .. 3 bins of the output layer: phase only */
        int bins = v.bins;
        size_t per_row = !strcmp (par->name + strlen (par->name) - 4, "bias")
            ? 1 : (size_t) cfg.channels;
        size_t row = bins + gc_rng_u32 (&rng) % (2 * bins);
        i = row * per_row + (per_row > 1 ? gc_rng_u32 (&rng) % per_row : 0);
      }
      float keep = par->w[i], eps = 2e-3f;
      par->w[i] = keep + eps;
      double lp = probe_loss (&v, x, batch, len, r, &a, y);
      par->w[i] = keep - eps;
      double lm = probe_loss (&v, x, batch, len, r, &a, y);
      par->w[i] = keep;
      double num = (lp - lm) / (2 * eps), ana = par->g[i];
      double err = fabs (num - ana) / fmax (1e-2, fabs (num) + fabs (ana));
      checked++;
      if (err > 5e-2) {
        bad++;
        fprintf (stderr, "%s %s[%zu]: numeric %g analytic %g\n", label,
            par->name, i, num, ana);
      }
    }
  }
  /* a LeakyReLU kink can land between the probes: allow one in 20 */
  CHECK (checked > 10 && bad * 20 <= checked, "%s gradcheck: %d of %d bad",
      label, bad, checked);
  gcn_vocoder_acts_free (&a);
  gcn_vocoder_free (&v);
  free (x);
  free (r);
  free (y);
}

static void
streaming_equals_whole (int task, int refine)
{
  gcn_vocoder_config cfg;
  gcn_vocoder_config_default (&cfg, task);
  if (refine) {
    /* the phase refinement's look-ahead (ignored by NB2WB) */
    cfg.refine_lookahead = 3;
    cfg.refine_iters = 2;
    cfg.refine_momentum = 0.6f;
  }
  gcn_vocoder v;
  CHECK (gcn_vocoder_init (&v, &cfg, 5) == 0, "init: %s", gc_last_error ());
  int hop = cfg.hop, len = hop * 100;
  float *x = malloc (len * sizeof (float)), *y = malloc (len * sizeof (float));
  float *s = malloc (len * sizeof (float));
  make_signal (x, len, cfg.sample_rate, 2);
  gcn_vocoder_acts a;
  memset (&a, 0, sizeof a);
  CHECK (gcn_vocoder_forward (&v, x, 1, len, y, &a) == 0, "forward");
  gcn_vocoder_stream *st = gcn_vocoder_stream_new (&v);
  CHECK (st != NULL, "stream");
  int rc = 0;
  for (int t = 0; t < len / hop; t++)
    rc |= gcn_vocoder_stream_process (st, x + t * hop, s + t * hop);
  CHECK (rc == 0, "stream process: %s", gc_last_error ());
  int lat = gcn_vocoder_latency (&v);
  /* COPY holds a frame back for the PGHI look-ahead */
  int want = cfg.n_fft - (task == GCN_VOCODER_COPY ? 0 : cfg.hop)
      + (task == GCN_VOCODER_COPY ? cfg.refine_lookahead * hop : 0);
  CHECK (lat == want, "latency %d, want %d", lat, want);
  double e = 0, p = 0;
  for (int i = lat; i < len; i++) {
    e += (s[i] - y[i - lat]) * (double) (s[i] - y[i - lat]);
    p += (double) y[i - lat] * y[i - lat];
  }
  CHECK (p > 0 && e <= 1e-8 * p, "task %d refine %d: stream vs whole error "
      "%g of %g", task, refine, e, p);
  /* resetting gives the same output again */
  gcn_vocoder_stream_reset (st);
  float first[512];
  for (int t = 0; t < 4; t++)
    gcn_vocoder_stream_process (st, x + t * hop, first + t * hop);
  CHECK (!memcmp (first, s, 4 * hop * sizeof (float)), "reset");
  /* the resynthesis path (analyse, mel, push features) is the same */
  if (task == GCN_VOCODER_COPY) {
    gcn_vocoder_stream_reset (st);
    float mag[512], mel[128], o[512];
    int same = 1;
    for (int t = 0; t < len / hop; t++) {
      gcn_vocoder_stream_analyze (st, x + t * hop, mag);
      gcn_vocoder_mel_from_mag (&v, mag, mel);
      gcn_vocoder_stream_push_features (st, mel, o);
      same &= !memcmp (o, s + t * hop, hop * sizeof (float));
    }
    CHECK (same, "analyze + push_features differs from process");
  }
  gcn_vocoder_stream_free (st);
  gcn_vocoder_acts_free (&a);
  gcn_vocoder_free (&v);
  free (x);
  free (y);
  free (s);
}


/* Mean |log mel (input) - log mel (output)| of a whole-signal run. */
static double
mel_distance (gcn_vocoder *v, const float *x, int len)
{
  float *y = malloc (len * sizeof (float));
  int T = gcn_vocoder_frames (v, len), M = v->cfg.n_mels;
  float *a = malloc ((size_t) T * M * sizeof (float));
  float *b = malloc ((size_t) T * M * sizeof (float));
  gcn_vocoder_acts acts;
  memset (&acts, 0, sizeof acts);
  double d = NAN;
  if (gcn_vocoder_forward (v, x, 1, len, y, &acts) == 0) {
    gcn_vocoder_analyze (v, x, len, a, NULL);
    gcn_vocoder_analyze (v, y, len, b, NULL);
    d = 0;
    /* skip the edges, where frames see zeros */
    for (int t = 8; t < T - 8; t++)
      for (int m = 0; m < M; m++)
        d += fabs (a[(size_t) t * M + m] - b[(size_t) t * M + m]);
    d /= (double) (T - 16) * M;
  }
  gcn_vocoder_acts_free (&acts);
  free (y);
  free (a);
  free (b);
  return d;
}

/* The phase refinement: the output's re-analysed mel follows the input
 * features much more closely (an untrained network: PGHI phase on the
 * mel spread over bins), the setting round-trips through a model file and
 * out-of-range settings are refused. */
static void
test_refine (void)
{
  gcn_vocoder_config cfg;
  gcn_vocoder_config_default (&cfg, GCN_VOCODER_COPY);
  gcn_vocoder v;
  CHECK (gcn_vocoder_init (&v, &cfg, 3) == 0, "init");
  int len = cfg.hop * 120;
  float *x = malloc (len * sizeof (float));
  make_signal (x, len, cfg.sample_rate, 4);
  double d0 = mel_distance (&v, x, len);
  int lat0 = gcn_vocoder_latency (&v);
  CHECK (gcn_vocoder_set_refine (&v, 4, 3, 0.6f) == 0, "set_refine");
  double d1 = mel_distance (&v, x, len);
  CHECK (d1 < 0.7 * d0, "refinement: mel distance %g, without %g", d1, d0);
  CHECK (gcn_vocoder_latency (&v) == lat0 + 4 * cfg.hop, "refine latency");
  /* absurd features do not make the refined stream blow up */
  {
    gcn_vocoder_stream *st = gcn_vocoder_stream_new (&v);
    CHECK (st != NULL, "stream");
    float mel[128], o[512];
    int finite = 1;
    for (int t = 0; t < 40; t++) {
      for (int m = 0; m < cfg.n_mels; m++)
        mel[m] = t % 4 == 0 ? 1e30f : t % 4 == 1 ? -1e30f : t % 4 == 2
            ? NAN : 3.0f;
      gcn_vocoder_stream_push_features (st, mel, o);
      for (int n = 0; n < cfg.hop; n++)
        finite &= isfinite (o[n]);
    }
    CHECK (finite, "refined stream output not finite on absurd features");
    gcn_vocoder_stream_free (st);
  }
  CHECK (gcn_vocoder_set_refine (&v, 17, 1, 0.5f) < 0, "look-ahead 17");
  CHECK (gcn_vocoder_set_refine (&v, 2, -1, 0.5f) < 0, "iterations -1");
  CHECK (gcn_vocoder_set_refine (&v, 2, 1, 1.5f) < 0, "momentum 1.5");
  CHECK (gcn_vocoder_set_refine (&v, 2, 1, NAN) < 0, "momentum NaN");
  CHECK (v.cfg.refine_lookahead == 4 && v.cfg.refine_iters == 3,
      "a refused setting changed the model");
  /* the setting travels in the model file; files without it run as
   * before */
  const char *kv[40];
  char store[1024];
  gcn_vocoder_meta (&v, kv, 40, store, sizeof store);
  void *buf = NULL;
  size_t size = 0;
  gcn_vocoder w;
  CHECK (gc_model_save_mem (&buf, &size, &v.params, kv) == 0, "save");
  CHECK (gcn_vocoder_load_mem (&w, buf, size, "mem") == 0, "load: %s",
      gc_last_error ());
  CHECK (w.cfg.refine_lookahead == 4 && w.cfg.refine_iters == 3
      && fabsf (w.cfg.refine_momentum - 0.6f) < 1e-6f,
      "refinement from metadata: %d %d %g", w.cfg.refine_lookahead,
      w.cfg.refine_iters, w.cfg.refine_momentum);
  CHECK (gcn_vocoder_latency (&w) == gcn_vocoder_latency (&v),
      "loaded latency");
  gcn_vocoder_free (&w);
  free (buf);
  gcn_vocoder_free (&v);
  free (x);
}

/* Spectral convergence of the re-analysed signal against magnitudes. */
static double
phase_quality (gcn_vocoder *v, const float *x, int len, int use_pghi)
{
  int T = gcn_vocoder_frames (v, len), B = v->bins, N = v->cfg.n_fft;
  int hop = v->cfg.hop;
  float *spec = malloc ((size_t) T * B * 2 * sizeof (float));
  float *s = malloc (B * sizeof (float)), *ph = malloc (B * sizeof (float));
  float *frame = malloc (N * sizeof (float)), *y = calloc (len, sizeof (float));
  float *spec2 = malloc ((size_t) T * B * 2 * sizeof (float));
  gcn_vocoder_analyze (v, x, len, NULL, spec);
  gcn_pghi *pg = gcn_pghi_new (N, hop, v->pghi_lambda);
  for (int t = 0; t < T; t++) {
    float *sp = spec + (size_t) t * B * 2;
    for (int k = 0; k < B; k++)
      s[k] = logf (fmaxf (hypotf (sp[2 * k], sp[2 * k + 1]), 1e-7f));
    if (use_pghi)
      gcn_pghi_frame (pg, s, ph);
    else
      for (int k = 0; k < B; k++)
        ph[k] = 0;
    float *X = malloc (B * 2 * sizeof (float));
    for (int k = 0; k < B; k++) {
      X[2 * k] = expf (s[k]) * cosf (ph[k]);
      X[2 * k + 1] = expf (s[k]) * sinf (ph[k]);
    }
    gc_stft_irfft (v->fft, X, frame);
    free (X);
    for (int n = 0; n < N; n++) {
      int i = (t + 1) * hop - N + n;
      if (i >= 0)
        y[i] += frame[n] * v->window[n] / 1.5f;
    }
  }
  gcn_vocoder_analyze (v, y, len, NULL, spec2);
  double num = 0, den = 0;
  for (int t = 4; t < T - 4; t++)
    for (int k = 0; k < B; k++) {
      size_t i = ((size_t) t * B + k) * 2;
      double m1 = hypot (spec[i], spec[i + 1]), m2 = hypot (spec2[i],
          spec2[i + 1]);
      num += (m1 - m2) * (m1 - m2);
      den += m1 * m1;
    }
  gcn_pghi_free (pg);
  free (spec);
  free (spec2);
  free (s);
  free (ph);
  free (frame);
  free (y);
  return sqrt (num / den);
}

static void
test_pghi (void)
{
  gcn_vocoder_config cfg;
  gcn_vocoder_config_default (&cfg, GCN_VOCODER_COPY);
  gcn_vocoder v;
  gcn_vocoder_init (&v, &cfg, 1);
  int len = 16000;
  float *x = malloc (len * sizeof (float));
  make_signal (x, len, 16000, 9);
  double sc_pghi = phase_quality (&v, x, len, 1);
  double sc_zero = phase_quality (&v, x, len, 0);
  fprintf (stderr, "spectral convergence: pghi %.3f, zero phase %.3f\n",
      sc_pghi, sc_zero);
  CHECK (sc_pghi < 0.35 && sc_pghi < 0.5 * sc_zero,
      "PGHI phase: spectral convergence %.3f (zero phase %.3f)", sc_pghi,
      sc_zero);
  free (x);
  gcn_vocoder_free (&v);
}

static void
test_resampler (void)
{
  /* 8 kHz -> 16 kHz: a 1 kHz tone stays a 1 kHz tone of the same level,
   * streaming gives the same samples as the whole-signal call. */
  int n8 = 4000;
  long n16 = gcn_resample_len (n8, 8000, 16000);
  CHECK (n16 == 8000, "length %ld", n16);
  float *x = malloc (n8 * sizeof (float)), *y = malloc (n16 * sizeof (float));
  float *ys = calloc (n16 + 4096, sizeof (float));
  for (int i = 0; i < n8; i++)
    x[i] = sinf (2 * (float) M_PI * 1000 * i / 8000.0f);
  CHECK (gcn_resample (x, n8, 8000, y, n16, 16000) == 0, "resample");
  double err = 0;
  for (int j = 200; j < n16 - 200; j++) {
    double want = sin (2 * M_PI * 1000 * j / 16000.0);
    err = fmax (err, fabs (y[j] - want));
  }
  CHECK (err < 2e-3, "1 kHz tone error %g", err);
  gcn_resampler *r = gcn_resampler_new (8000, 16000);
  long got = 0;
  for (int i = 0; i < n8; i += 37) {
    int n = i + 37 <= n8 ? 37 : n8 - i;
    CHECK (gcn_resampler_max_out (r, n) >= 2 * n, "max_out");
    got += gcn_resampler_push (r, x + i, n, ys + got);
  }
  float zeros[256] = { 0 };
  while (got < n16)
    got += gcn_resampler_push (r, zeros, 64, ys + got);
  double d = 0;
  for (long j = 0; j < n16; j++)
    d = fmax (d, fabs (ys[j] - y[j]));
  CHECK (d < 1e-5, "stream vs whole resample %g", d);
  CHECK (gcn_resampler_latency (r) > 0, "latency");
  gcn_resampler_free (r);
  /* an odd ratio keeps the count and the level */
  long n11 = gcn_resample_len (n8, 8000, 11025);
  float *z = malloc (n11 * sizeof (float));
  CHECK (gcn_resample (x, n8, 8000, z, n11, 11025) == 0, "odd ratio");
  double peak = 0;
  for (long j = 500; j < n11 - 500; j++)
    peak = fmax (peak, fabs (z[j]));
  CHECK (fabs (peak - 1) < 0.01, "11025 peak %g", peak);
  CHECK (gcn_resampler_new (0, 16000) == NULL, "bad rate");
  free (z);
  free (x);
  free (y);
  free (ys);
}

static void
test_model_files (void)
{
  gcn_vocoder_config cfg;
  gcn_vocoder_config_default (&cfg, GCN_VOCODER_NB2WB);
  cfg.channels = 8;
  gcn_vocoder v, w;
  CHECK (gcn_vocoder_init (&v, &cfg, 3) == 0, "init");
  const char *kv[32];
  char store[1024];
  gcn_vocoder_meta (&v, kv, 32, store, sizeof store);
  void *buf = NULL;
  size_t size = 0;
  CHECK (gc_model_save_mem (&buf, &size, &v.params, kv) == 0, "save: %s",
      gc_last_error ());
  CHECK (gcn_vocoder_load_mem (&w, buf, size, "mem") == 0, "load: %s",
      gc_last_error ());
  CHECK (w.cfg.task == GCN_VOCODER_NB2WB && w.cfg.channels == 8,
      "config from metadata");
  int len = 128 * 20;
  float *x = malloc (len * sizeof (float)), *y1 = malloc (len * 4);
  float *y2 = malloc (len * 4);
  make_signal (x, len, 16000, 4);
  gcn_vocoder_acts a;
  memset (&a, 0, sizeof a);
  gcn_vocoder_forward (&v, x, 1, len, y1, &a);
  gcn_vocoder_forward (&w, x, 1, len, y2, &a);
  CHECK (!memcmp (y1, y2, len * 4), "loaded model computes the same");
  /* truncated and garbage files fail with a message naming the source */
  gcn_vocoder bad;
  CHECK (gcn_vocoder_load_mem (&bad, buf, size / 2, "half.safetensors") < 0,
      "truncated accepted");
  CHECK (strstr (gc_last_error (), "half.safetensors") != NULL,
      "message names the file: %s", gc_last_error ());
  CHECK (gcn_vocoder_load_mem (&bad, "garbage!", 8, "junk") < 0, "junk");
  CHECK (gcn_vocoder_load_file (&bad, "/nonexistent/voc.safetensors") < 0,
      "missing file");
  /* absurd metadata is refused, not trusted */
  const char *odd[] = { "arch", "vocoder", "n_fft", "7", NULL };
  void *buf3 = NULL;
  size_t size3 = 0;
  gc_model_save_mem (&buf3, &size3, &v.params, odd);
  CHECK (gcn_vocoder_load_mem (&bad, buf3, size3, "odd") < 0, "n_fft 7");
  free (buf3);
  const char *huge[] = { "arch", "vocoder", "channels", "100000", NULL };
  gc_model_save_mem (&buf3, &size3, &v.params, huge);
  CHECK (gcn_vocoder_load_mem (&bad, buf3, size3, "huge") < 0, "channels");
  free (buf3);
  /* a hop whose n_fft (4 hops) overflows an int */
  const char *big_hop[] = { "arch", "vocoder", "hop", "2147483647", NULL };
  gc_model_save_mem (&buf3, &size3, &v.params, big_hop);
  CHECK (gcn_vocoder_load_mem (&bad, buf3, size3, "big_hop") < 0, "hop");
  free (buf3);
  /* another architecture is refused */
  const char *other[] = { "arch", "denoiser", NULL };
  void *buf2 = NULL;
  size_t size2 = 0;
  gc_model_save_mem (&buf2, &size2, &v.params, other);
  CHECK (gcn_vocoder_load_mem (&bad, buf2, size2, "other") < 0, "arch");
  free (buf2);
  gcn_vocoder_acts_free (&a);
  gcn_vocoder_free (&v);
  gcn_vocoder_free (&w);
  free (buf);
  free (x);
  free (y1);
  free (y2);
}

static double
disc_probe (gcn_vocoder_disc *d, const float *x, int len, float **r,
    gcn_vdisc_acts *a, const gcn_vdisc_acts *ref, double *fm)
{
  gcn_vocoder_disc_forward (d, x, 1, len, a);
  double L = 0;
  for (int s = 0; s < d->n_sub; s++) {
    const gc_tensor *lg = gcn_vdisc_logits (a, s);
    for (size_t i = 0; i < gc_tensor_size (lg); i++)
      L += (double) r[s][i] * lg->data[i];
  }
  double f = 0;
  for (int s = 0; s < d->n_sub; s++)
    for (int l = 0; l < GCN_VDISC_LAYERS - 1; l++) {
      size_t n = gc_tensor_size (&a->act[s][l]);
      double sum = 0;
      for (size_t i = 0; i < n; i++)
        sum += fabs (a->act[s][l].data[i] - ref->act[s][l].data[i]);
      f += sum / n;
    }
  *fm = f;
  return L + f;
}

static void
test_disc (void)
{
  gcn_vocoder_disc d;
  CHECK (gcn_vocoder_disc_init (&d, 2, 5) == 0, "disc init");
  /* zero biases put silent regions exactly on LeakyReLU kinks, where a
   * central difference averages the two slopes: move them off */
  gc_rng brng;
  gc_rng_seed (&brng, 12);
  for (int p = 0; p < d.params.count; p++)
    if (strstr (d.params.items[p]->name, "bias"))
      gc_rng_fill_normal (&brng, d.params.items[p]->w, d.params.items[p]->n,
          0, 0.3f);
  int len = 1100;
  float *x = malloc (len * 4), *xr = malloc (len * 4);
  float *dx = calloc (len, 4);
  make_signal (x, len, 16000, 1);
  make_signal (xr, len, 16000, 2);
  for (int i = 0; i < len; i++)
    xr[i] *= 0.7f;
  gcn_vdisc_acts a, ref;
  memset (&a, 0, sizeof a);
  memset (&ref, 0, sizeof ref);
  CHECK (gcn_vocoder_disc_forward (&d, xr, 1, len, &ref) == 0, "fwd");
  CHECK (gcn_vocoder_disc_forward (&d, x, 1, len, &a) == 0, "fwd");
  float **r = gcn_vdisc_grads_alloc (&d, &a);
  gc_rng rng;
  gc_rng_seed (&rng, 8);
  for (int s = 0; s < d.n_sub; s++)
    gc_rng_fill_normal (&rng, r[s], gc_tensor_size (gcn_vdisc_logits (&a, s)),
        0, 1);
  /* GAN loss helpers agree with their definition on these logits */
  float lsq = gcn_vdisc_g_loss (&d, GC_GAN_LSGAN, &a, NULL);
  double want = 0;
  for (int s = 0; s < d.n_sub; s++) {
    const gc_tensor *lg = gcn_vdisc_logits (&a, s);
    double m = 0;
    for (size_t i = 0; i < gc_tensor_size (lg); i++)
      m += (lg->data[i] - 1) * (double) (lg->data[i] - 1);
    want += m / gc_tensor_size (lg);
  }
  CHECK (fabs (lsq - want) < 1e-3 * (1 + want), "lsgan g loss %g vs %g", lsq,
      want);
  gc_param_list_zero_grad (&d.params);
  double fm;
  disc_probe (&d, x, len, r, &a, &ref, &fm);
  float fm_b = gcn_vocoder_disc_backward (&d, &a, x, r, &ref, 1.0f, dx);
  CHECK (fabs (fm_b - fm) < 1e-3 * (1 + fm), "fm value %g vs %g", fm_b, fm);
  int bad = 0, checked = 0;
  for (int j = 0; j < 16; j++) {
    int i = 50 + (int) (gc_rng_u32 (&rng) % (len - 100));
    float keep = x[i], eps = 1e-3f;
    x[i] = keep + eps;
    double lp = disc_probe (&d, x, len, r, &a, &ref, &fm);
    x[i] = keep - eps;
    double lm = disc_probe (&d, x, len, r, &a, &ref, &fm);
    x[i] = keep;
    double num = (lp - lm) / (2 * eps);
    double err = fabs (num - dx[i]) / fmax (1e-2, fabs (num) + fabs (dx[i]));
    checked++;
    if (err > 5e-2) {
      bad++;
      fprintf (stderr, "disc dx[%d]: numeric %g analytic %g\n", i, num, dx[i]);
    }
  }
  CHECK (bad * 8 <= checked, "disc input gradient: %d of %d bad", bad,
      checked);
  /* parameter gradients of the logit probe alone (no feature matching) */
  gc_param_list_zero_grad (&d.params);
  gcn_vocoder_disc_forward (&d, x, 1, len, &a);
  gcn_vocoder_disc_backward (&d, &a, x, r, NULL, 0, NULL);
  bad = checked = 0;
  for (int p = 0; p < d.params.count; p++) {
    gc_param *par = d.params.items[p];
    size_t i = gc_rng_u32 (&rng) % par->n;
    float keep = par->w[i], eps = 1e-3f;
    par->w[i] = keep + eps;
    double lp = disc_probe (&d, x, len, r, &a, &a, &fm);
    par->w[i] = keep - eps;
    double lm = disc_probe (&d, x, len, r, &a, &a, &fm);
    par->w[i] = keep;
    double num = (lp - lm) / (2 * eps), ana = par->g[i];
    double err = fabs (num - ana) / fmax (1e-2, fabs (num) + fabs (ana));
    checked++;
    if (err > 5e-2) {
      bad++;
      fprintf (stderr, "disc %s[%zu]: numeric %g analytic %g\n", par->name,
          i, num, ana);
    }
  }
  CHECK (bad * 8 <= checked, "disc parameter gradient: %d of %d bad", bad,
      checked);
  /* bad inputs are refused, not crashed on */
  CHECK (gcn_vocoder_disc_forward (&d, x, 1, 10, &a) < 0, "short input");
  gcn_vdisc_grads_free (&d, r);
  gcn_vdisc_acts_free (&a);
  gcn_vdisc_acts_free (&ref);
  gcn_vocoder_disc_free (&d);
  free (x);
  free (xr);
  free (dx);
}

/* A layer broken after init (a channel count) is a bug of the program:
 * every pass through it aborts with the layer's file and line. */
static void
test_layer_failures (void)
{
  gcn_vocoder_config cfg;
  gcn_vocoder_config_default (&cfg, GCN_VOCODER_COPY);
  gcn_vocoder v;
  REQUIRE (gcn_vocoder_init (&v, &cfg, 3) == 0, "init: %s", gc_last_error ());
  int hop = cfg.hop, len = hop * 8;
  float *x = malloc (len * sizeof (float)), *y = malloc (len * sizeof (float));
  make_signal (x, len, cfg.sample_rate, 4);
  gcn_vocoder_acts a;
  memset (&a, 0, sizeof a);

  v.res_b[1].cin++;
  CHECK_ABORTS ("gc_conv1d.c:", gcn_vocoder_forward (&v, x, 1, len, y, &a));
  gcn_vocoder_stream *st = gcn_vocoder_stream_new (&v);
  REQUIRE (st != NULL, "stream");
  CHECK_ABORTS ("gc_conv1d.c:", gcn_vocoder_stream_process (st, x, y));
  float mel[128];
  for (int m = 0; m < cfg.n_mels; m++)
    mel[m] = -4.f;
  CHECK_ABORTS ("gc_conv1d.c:", gcn_vocoder_stream_push_features (st, mel, y));
  v.res_b[1].cin--;

  CHECK (gcn_vocoder_forward (&v, x, 1, len, y, &a) == 0, "forward: %s",
      gc_last_error ());
  v.conv_out.cin++;
  CHECK_ABORTS ("gc_conv1d.c:", gcn_vocoder_backward (&v, &a, x));
  v.conv_out.cin--;
  CHECK (gcn_vocoder_backward (&v, &a, x) == 0, "backward: %s",
      gc_last_error ());

  gcn_vocoder_disc d;
  REQUIRE (gcn_vocoder_disc_init (&d, 2, 5) == 0, "disc init");
  REQUIRE (d.sub[0].kind == 0, "sub 0 is a period critic");
  gcn_vdisc_acts da;
  memset (&da, 0, sizeof da);
  float *xd = malloc (1100 * sizeof (float)), *dx = calloc (1100, 4);
  make_signal (xd, 1100, 16000, 5);
  d.sub[0].c1[1].cin++;
  CHECK_ABORTS ("gc_conv1d.c:",
      gcn_vocoder_disc_forward (&d, xd, 1, 1100, &da));
  d.sub[0].c1[1].cin--;
  CHECK (gcn_vocoder_disc_forward (&d, xd, 1, 1100, &da) == 0,
      "disc forward: %s", gc_last_error ());
  d.sub[0].c1[1].cin++;
  CHECK_ABORTS ("gc_conv1d.c:",
      gcn_vocoder_disc_backward (&d, &da, xd, NULL, NULL, 0, dx));
  d.sub[0].c1[1].cin--;

  gcn_vdisc_acts_free (&da);
  gcn_vocoder_disc_free (&d);
  free (xd);
  free (dx);
  gcn_vocoder_stream_free (st);
  gcn_vocoder_acts_free (&a);
  gcn_vocoder_free (&v);
  free (x);
  free (y);
}

int
main (void)
{
  gc_set_default_threads (1);
  gradcheck_vocoder (GCN_VOCODER_NB2WB, "nb2wb", 0);
  gradcheck_vocoder (GCN_VOCODER_COPY, "copy-phase", 1);
  streaming_equals_whole (GCN_VOCODER_COPY, 0);
  streaming_equals_whole (GCN_VOCODER_COPY, 1);
  streaming_equals_whole (GCN_VOCODER_NB2WB, 0);
  streaming_equals_whole (GCN_VOCODER_NB2WB, 1);
  test_refine ();
  test_pghi ();
  test_resampler ();
  test_model_files ();
  test_disc ();
  test_layer_failures ();
  /* bad configurations are refused */
  gcn_vocoder_config cfg;
  gcn_vocoder v;
  gcn_vocoder_config_default (&cfg, GCN_VOCODER_COPY);
  cfg.hop = 100;
  CHECK (gcn_vocoder_init (&v, &cfg, 1) < 0, "hop not n_fft/4 accepted");
  if (failures)
    fprintf (stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
