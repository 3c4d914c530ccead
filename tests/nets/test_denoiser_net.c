/* The denoiser network (core/nets/gcn_denoiser) and its features: streaming
 * matches the batch (training) pass, phase-advance features, the deep
 * filter against a naive complex reference and fed its own history, band
 * triangles that partition every bin, and exact reconstruction with no
 * attenuation, at every rate the element takes. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_denoiser.h"
#include "gan_test.h"
#include "test_voice.h"

#define N_ELEM(a) (sizeof (a) / sizeof ((a)[0]))

static const int rates[] = { 8000, 16000, 24000, 32000, 44100, 48000 };

/* Streaming one frame at a time gives the same gains (and deep-filter taps)
 * as the batch (training) forward pass over whole sequences. */
static void
check_stream_matches_batch (int df_order, int phase)
{
  gcn_denoiser net;
  gcn_denoiser_config cfg = { 16, 3, 12, 10, df_order, phase };
  gc_rng r;
  gc_rng_seed (&r, 10);
  REQUIRE (gcn_denoiser_init (&net, &cfg, &r) == 0, "init: %s",
      gc_last_error ());
  if (df_order > 0)             /* a fresh head is zero: make it say something */
    gc_rng_fill_normal (&r, net.df_head.weight.w, net.df_head.weight.n, 0.f,
        0.3f);
  int n = 2, t = 13;
  int in = gcn_dn_in_size (&net);
  float *feat = malloc (sizeof (float) * n * t * in);
  gc_rng_fill_normal (&r, feat, (size_t) n * t * in, 0.f, 1.f);
  gcn_denoiser_acts tr;
  gcn_denoiser_acts_init (&tr);
  REQUIRE (gcn_denoiser_forward_train (&net, &tr, feat, n, t) == 0,
      "forward_train: %s", gc_last_error ());
  for (int i = 0; i < n; i++) {
    gcn_denoiser_state st;
    REQUIRE (gcn_denoiser_state_init (&st, &net) == 0, "state_init");
    for (int j = 0; j < t; j++) {
      float b[GCN_DN_BANDS], f[GCN_DN_FINE], v;
      int row = i * t + j;
      gcn_denoiser_step (&st, feat + row * in, b, f, &v);
      for (int k = 0; k < GCN_DN_BANDS; k++)
        CHECK (fabsf (b[k] - tr.band.data[row * GCN_DN_BANDS + k]) < 1e-5f,
            "df %d phase %d, row %d: band gain %d", df_order, phase, row, k);
      for (int k = 0; k < GCN_DN_FINE; k++)
        CHECK (fabsf (f[k] - tr.fine.data[row * GCN_DN_FINE + k]) < 1e-5f,
            "df %d phase %d, row %d: fine gain %d", df_order, phase, row, k);
      CHECK (fabsf (v - tr.vad.data[row]) < 1e-5f,
          "df %d phase %d, row %d: vad", df_order, phase, row);
      for (int k = 0; k < gcn_dn_df_size (&net); k++)
        CHECK (fabsf (st.df[k] -
                tr.df.data[(size_t) row * gcn_dn_df_size (&net) + k]) < 1e-5f,
            "df %d phase %d, row %d: tap %d", df_order, phase, row, k);
    }
    gcn_denoiser_state_free (&st);
  }
  gcn_denoiser_acts_free (&tr);
  gcn_denoiser_free (&net);
  free (feat);
}

static void
test_net_stream_matches_batch (void)
{
  check_stream_matches_batch (0, 0);
  check_stream_matches_batch (3, 0);
  check_stream_matches_batch (3, 1);
}

/* Phase-advance features: a steady 1000 Hz sine turns by whole cycles per
 * 10 ms hop (feature +1, 0 on its bin), a 1050 Hz one by half a cycle (-1,
 * 0), at every rate; silence gives zeros. */
static void
test_phase_features (void)
{
  static const float freq[] = { 1000, 1050 }, want[] = { 1, -1 };
  for (unsigned ri = 0; ri < N_ELEM (rates); ri++) {
    int rate = rates[ri], hop = gcn_dn_hop (rate), bins = gcn_dn_bins (rate);
    int frames = 8, len = frames * hop;
    gc_stft *fft = gc_stft_new (2 * hop, 2 * hop, hop, GC_WIN_SQRT_HANN);
    float *win = malloc (sizeof (float) * 2 * hop);
    float *x = malloc (sizeof (float) * len);
    float *spec = malloc (sizeof (float) * frames * bins * 2);
    float feat[GCN_DN_PHASE_FEATS];
    gcn_dn_window (win, 2 * hop);
    for (unsigned fi = 0; fi < N_ELEM (freq); fi++) {
      int k = (int) (freq[fi] / GCN_DN_BIN_HZ);
      for (int i = 0; i < len; i++)
        x[i] = 0.1f * sinf (2.f * (float) M_PI * freq[fi] * i / rate + 0.3f);
      gcn_dn_analyze (fft, win, hop, x, len, spec);
      float prev[2 * GCN_DN_FINE];
      memcpy (prev, spec + (size_t) 4 * bins * 2, sizeof prev);
      gcn_dn_phase_features (spec + (size_t) 5 * bins * 2, prev, bins, feat);
      CHECK (fabsf (feat[2 * k] - want[fi]) < 1e-3f &&
          fabsf (feat[2 * k + 1]) < 1e-3f, "%d Hz, %.0f Hz: (%g, %g)", rate,
          freq[fi], feat[2 * k], feat[2 * k + 1]);
    }
    memset (spec, 0, sizeof (float) * bins * 2);
    float zero[2 * GCN_DN_FINE] = { 0 };
    gcn_dn_phase_features (spec, zero, bins, feat);
    for (int k = 0; k < GCN_DN_PHASE_FEATS; k++)
      CHECK (feat[k] == 0.f, "%d Hz: silence gives feature %d = %g", rate, k,
          feat[k]);
    gc_stft_free (fft);
    free (win);
    free (x);
    free (spec);
  }
}

/* gcn_dn_apply against a naive complex reference: taps on the current and
 * past frames of the low bins, gains elsewhere; zero taps are the plain
 * gains; the attenuation floor holds per bin; a 0 dB limit passes the
 * spectrum through bit for bit. */
static void
test_deep_filter_apply (void)
{
  enum { ORDER = 3 };
  gc_rng r;
  gc_rng_seed (&r, 12);
  for (unsigned ri = 0; ri < N_ELEM (rates); ri++) {
    int bins = gcn_dn_bins (rates[ri]);
    int nd = bins < GCN_DN_FINE ? bins : GCN_DN_FINE;
    float x[2 * GCN_DN_MAX_BINS], y[2 * GCN_DN_MAX_BINS], g[GCN_DN_MAX_BINS];
    float hist[(ORDER - 1) * GCN_DN_FINE * 2], taps[GCN_DN_FINE * ORDER * 2];
    gc_rng_fill_normal (&r, x, 2 * bins, 0.f, 1.f);
    gc_rng_fill_normal (&r, hist, N_ELEM (hist), 0.f, 1.f);
    gc_rng_fill_normal (&r, taps, N_ELEM (taps), 0.f, 0.5f);
    for (int k = 0; k < bins; k++)
      g[k] = gc_rng_uniform (&r);

    memcpy (y, x, sizeof (float) * 2 * bins);
    gcn_dn_apply (y, bins, g, taps, ORDER, hist, 0.f);
    for (int k = 0; k < bins; k++) {
      double complex want = g[k] * (x[2 * k] + I * x[2 * k + 1]);
      for (int i = 0; k < nd && i < ORDER; i++) {
        const float *p = i == 0 ? x + 2 * k :
            hist + ((i - 1) * GCN_DN_FINE + k) * 2;
        want += (1 - g[k]) * (taps[(k * ORDER + i) * 2] +
            I * taps[(k * ORDER + i) * 2 + 1]) * (p[0] + I * p[1]);
      }
      CHECK (cabs (want - (y[2 * k] + I * y[2 * k + 1])) < 1e-5,
          "%d Hz bin %d", rates[ri], k);
    }

    /* zero taps: exactly the gains */
    float zero[N_ELEM (taps)] = { 0 };
    memcpy (y, x, sizeof (float) * 2 * bins);
    gcn_dn_apply (y, bins, g, zero, ORDER, hist, 0.f);
    for (int k = 0; k < 2 * bins; k++)
      CHECK (y[k] == g[k / 2] * x[k], "%d Hz: zero taps, value %d", rates[ri],
          k);

    /* taps that cancel the gain leave exactly the floor (-20 dB) */
    float cancel[N_ELEM (taps)] = { 0 };
    for (int k = 0; k < GCN_DN_FINE; k++)
      cancel[k * ORDER * 2] = k < nd ? -g[k] / (1 - g[k]) : 0.f;
    memcpy (y, x, sizeof (float) * 2 * bins);
    gcn_dn_apply (y, bins, g, cancel, ORDER, hist, 0.1f);
    for (int k = 0; k < bins; k++) {
      float px = hypotf (x[2 * k], x[2 * k + 1]);
      float py = hypotf (y[2 * k], y[2 * k + 1]);
      CHECK (py >= 0.1f * px * (1 - 1e-5f), "bin %d below the floor", k);
    }

    memcpy (y, x, sizeof (float) * 2 * bins);
    gcn_dn_apply (y, bins, g, taps, ORDER, hist, 1.f);
    CHECK (memcmp (x, y, sizeof (float) * 2 * bins) == 0,
        "%d Hz: a 0 dB limit changed the spectrum", rates[ri]);
  }
}

/* The stream feeds the filter its own past frames: with gains of 0.5 and a
 * fixed tap of 0.5 on the previous frame (Y = 0.5 X + 0.25 X[t-1]), a steady
 * sine whose phase turns by a whole number of cycles per 10 ms hop (1000 Hz)
 * comes out at 0.75, one that turns by half a cycle (1050 Hz) at 0.25, and
 * one above the deep-filtered bins (5000 Hz) at the plain gain 0.5, at every
 * rate. */
static void
test_stream_deep_filter_history (void)
{
  gcn_denoiser net;
  gcn_denoiser_config cfg = { 8, 3, 8, 8, 3 };
  gc_rng r;
  gc_rng_seed (&r, 13);
  REQUIRE (gcn_denoiser_init (&net, &cfg, &r) == 0, "init: %s",
      gc_last_error ());
  gc_dense *heads[] = { &net.band_head, &net.fine_head, &net.df_head };
  for (unsigned h = 0; h < N_ELEM (heads); h++) {
    memset (heads[h]->weight.w, 0, heads[h]->weight.n * sizeof (float));
    for (size_t i = 0; i < heads[h]->bias.n; i++)
      heads[h]->bias.w[i] = 0.f;  /* gains of exactly 0.5 */
  }
  for (int k = 0; k < GCN_DN_FINE; k++)
    net.df_head.bias.w[(k * 3 + 1) * 2] = atanhf (0.5f);
  static const float freq[] = { 1000, 1050, 5000 };
  static const float want[] = { 0.75f, 0.25f, 0.5f };
  for (unsigned ri = 0; ri < N_ELEM (rates); ri++) {
    int rate = rates[ri], hop = gcn_dn_hop (rate), frames = 30;
    for (unsigned fi = 0; fi < N_ELEM (freq); fi++) {
      if (freq[fi] >= rate / 2)
        continue;
      gcn_dn_stream *s = gcn_dn_stream_new (&net, rate);
      REQUIRE (s != NULL, "%d Hz: no stream", rate);
      float *x = malloc (sizeof (float) * frames * hop);
      float *y = malloc (sizeof (float) * frames * hop);
      for (int i = 0; i < frames * hop; i++)
        x[i] = 0.1f * sinf (2.f * (float) M_PI * freq[fi] * i / rate);
      for (int m = 0; m < frames; m++)
        gcn_dn_stream_process (s, x + m * hop, y + m * hop, 0.01f);
      /* steady state, output lagging the input by one hop */
      double ex = 0, ey = 0;
      for (int i = 10 * hop; i < frames * hop; i++) {
        ex += (double) x[i - hop] * x[i - hop];
        ey += (double) y[i] * y[i];
      }
      float ratio = (float) sqrt (ey / ex);
      CHECK (fabsf (ratio - want[fi]) < 0.02f,
          "%d Hz, %.0f Hz sine: gain %.3f, want %.2f", rate, freq[fi], ratio,
          want[fi]);
      free (x);
      free (y);
      gcn_dn_stream_free (s);
    }
  }
  gcn_denoiser_free (&net);
}

/* Band triangles sum to one on every bin at every rate (so a constant band
 * gain is a constant bin gain), and band energies conserve total power. */
static void
test_band_partition (void)
{
  for (unsigned ri = 0; ri < N_ELEM (rates); ri++) {
    int bins = gcn_dn_bins (rates[ri]);
    float band[GCN_DN_BANDS], fine[GCN_DN_FINE], g[GCN_DN_MAX_BINS];
    float pw[GCN_DN_MAX_BINS], e[GCN_DN_BANDS];
    for (int k = 0; k < GCN_DN_BANDS; k++)
      band[k] = 0.37f;
    for (int k = 0; k < GCN_DN_FINE; k++)
      fine[k] = 0.37f;
    gcn_dn_bin_gains (band, fine, bins, g);
    double total = 0, sum = 0;
    for (int k = 0; k < bins; k++) {
      CHECK (fabsf (g[k] - 0.37f) < 1e-6f, "bin %d of %d", k, bins);
      pw[k] = 1.f + k % 5;
      total += pw[k];
    }
    gcn_dn_band_energy (pw, bins, e);
    int present = gcn_dn_bands_present (bins);
    for (int k = 0; k < GCN_DN_BANDS; k++) {
      sum += e[k];
      if (k >= present)
        CHECK (e[k] == 0.f, "band %d above Nyquist has energy", k);
    }
    CHECK (fabs (sum - total) < 1e-3 * total, "%d Hz: band energies %g, "
        "total %g", rates[ri], sum, total);
  }
}

/* With no attenuation the processor reconstructs its input exactly one hop
 * later (analysis and synthesis windows form a partition of unity). */
static void
test_stream_reconstruction (void)
{
  for (int la = 0; la <= GCN_DN_LOOKAHEAD_MAX; la++) {
    gcn_denoiser net;
    gcn_denoiser_config cfg = { 8, 3, 8, 8, 2, 1, la };
    gc_rng r;
    gc_rng_seed (&r, 11);
    REQUIRE (gcn_denoiser_init (&net, &cfg, &r) == 0, "init: %s",
        gc_last_error ());
    for (unsigned ri = 0; ri < N_ELEM (rates); ri++) {
      int rate = rates[ri], hop = gcn_dn_hop (rate), lag = (1 + la) * hop;
      gcn_dn_stream *s = gcn_dn_stream_new (&net, rate);
      REQUIRE (s != NULL, "%d Hz: no stream", rate);
      CHECK (gcn_dn_stream_latency (s) == lag, "latency %d, want %d",
          gcn_dn_stream_latency (s), lag);
      float *x = malloc (sizeof (float) * 20 * hop);
      float *y = malloc (sizeof (float) * 20 * hop);
      for (int i = 0; i < 20 * hop; i++)
        x[i] = test_voice_sample (i, rate, 0, &r);
      for (int m = 0; m < 20; m++)
        gcn_dn_stream_process (s, x + m * hop, y + m * hop, 1.f);
      for (int i = 0; i < 20 * hop; i++)
        CHECK (fabsf (y[i] - (i >= lag ? x[i - lag] : 0.f)) < 1e-4f,
            "lookahead %d, %d Hz sample %d", la, rate, i);
      free (x);
      free (y);
      gcn_dn_stream_free (s);
    }
    CHECK (gcn_dn_stream_new (&net, 11025) == NULL, "11025 Hz accepted");
    gcn_denoiser_free (&net);
  }
}

/* A model file round-trips through gcn_denoiser_load, floor features
 * included; absurd metadata is refused with a message, not trusted (a
 * lookahead of INT_MAX once overflowed the latency check before the sizes
 * were checked; a file whose floor flag disagrees with its tensors). */
static void
test_load_metadata (void)
{
  gcn_denoiser_config cfg;
  gcn_denoiser net, back;
  gc_rng r;
  gcn_denoiser_config_default (&cfg);
  cfg.conv_ch = 8;
  cfg.gru1 = cfg.gru2 = 8;
  cfg.phase = 1;
  cfg.floor = 1;
  gc_rng_seed (&r, 3);
  CHECK (gcn_denoiser_init (&net, &cfg, &r) == 0, "init");
  char *storage;
  const char **kv = gcn_denoiser_meta (&net, &storage);
  void *buf = NULL;
  size_t size = 0;
  gc_model_file m;
  CHECK (gc_model_save_mem (&buf, &size, &net.params, kv) == 0, "save");
  CHECK (gc_model_parse (&m, buf, size, "mem") == 0, "parse");
  CHECK (gcn_denoiser_load (&back, &m) == 0, "load: %s", gc_last_error ());
  CHECK (back.cfg.conv_ch == 8 && back.cfg.gru2 == 8 && back.cfg.floor == 1
      && gcn_dn_in_size (&back) == GCN_DN_IN_MAX, "config from metadata");
  gcn_denoiser_free (&back);
  gc_model_free (&m);
  free (buf);
  static const char *const bad[][2] = { {"lookahead", "2147483647"},
    {"lookahead", "-1"}, {"conv_ch", "0"}, {"phase", "2"}, {"floor", "2"},
    {"floor", "0"} };
  for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
    const char *odd[64];
    int n = 0;
    for (int i = 0; kv[i] && n < 60; i += 2) {
      odd[n++] = kv[i];
      odd[n++] = strcmp (kv[i], bad[b][0]) ? kv[i + 1] : bad[b][1];
    }
    odd[n] = NULL;
    CHECK (gc_model_save_mem (&buf, &size, &net.params, odd) == 0, "save");
    CHECK (gc_model_parse (&m, buf, size, "odd") == 0, "parse");
    CHECK (gcn_denoiser_load (&back, &m) < 0, "%s %s accepted", bad[b][0],
        bad[b][1]);
    CHECK (strstr (gc_last_error (), "odd") != NULL, "message: %s",
        gc_last_error ());
    gc_model_free (&m);
    free (buf);
  }
  free (kv);
  free (storage);
  gcn_denoiser_free (&net);
}

int
main (void)
{
  test_load_metadata ();
  test_net_stream_matches_batch ();
  test_band_partition ();
  test_deep_filter_apply ();
  test_phase_features ();
  test_stream_deep_filter_history ();
  test_stream_reconstruction ();
  return gan_test_report ("test_denoiser_net");
}
