/* ganvocoder element tests (GstHarness): caps that make the rate change
 * explicit, the LATENCY query against the delay the element really has,
 * sample accounting (out = in * 16000 / rate after EOS) with continuous
 * timestamps, the speech band kept, and bad model files. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_vocoder.h"
#include "gan_check_model.h"

static gchar *
caps_str (const char *fmt, int rate, int ch)
{
  return g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
      "rate=%d, channels=%d", fmt, rate, ch);
}

/* A vocoder harness negotiated for `fmt` at `rate`; `model` (a file, or
 * NULL for the embedded ones) is set before the caps, which load it. */
static GstHarness *
harness_with_model (const char *fmt, int rate, const char *model)
{
  GstElement *el = gst_element_factory_make ("ganvocoder", NULL);
  fail_unless (el != NULL);
  if (model)
    g_object_set (el, "model", model, NULL);
  GstHarness *h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  gchar *in = caps_str (fmt, rate, 1), *out = caps_str (fmt, 16000, 1);
  gst_harness_set_src_caps_str (h, in);
  gst_harness_set_sink_caps_str (h, out);
  g_free (in);
  g_free (out);
  return h;
}

static GstHarness *
harness_for (const char *fmt, int rate)
{
  return harness_with_model (fmt, rate, NULL);
}

/* Voiced test signal: harmonics of a gliding pitch below 3.4 kHz, with a
 * syllable envelope. */
static float
voice (long i, int rate)
{
  double t = (double) i / rate;
  double ph = 2 * M_PI * (130 * t - 30 / (2 * M_PI * 0.8) * cos (2 * M_PI *
          0.8 * t));
  double v = 0;
  for (int k = 1; k <= 20 && k * 160 < 3400 && k * 160 < rate / 2; k++)
    v += sin (k * ph) / k;
  return (float) (0.15 * (0.6 + 0.4 * sin (2 * M_PI * 3 * t)) * v);
}

static GstBuffer *
make_buffer (const char *fmt, int rate, long first, int n, const float *fill)
{
  gboolean s16 = !strcmp (fmt, "S16LE");
  GstBuffer *b = gst_buffer_new_allocate (NULL, (gsize) n * (s16 ? 2 : 4),
      NULL);
  GstMapInfo m;
  gst_buffer_map (b, &m, GST_MAP_WRITE);
  for (int i = 0; i < n; i++) {
    float v = fill ? fill[i] : voice (first + i, rate);
    if (s16)
      ((gint16 *) m.data)[i] = (gint16) lrintf (fmaxf (-32768.f,
              fminf (32767.f, v * 32768.f)));
    else
      ((float *) m.data)[i] = v;
  }
  gst_buffer_unmap (b, &m);
  GST_BUFFER_PTS (b) = GST_SECOND + gst_util_uint64_scale_int (first,
      GST_SECOND, rate);
  GST_BUFFER_DURATION (b) = gst_util_uint64_scale_int (n, GST_SECOND, rate);
  return b;
}

/* Pull every buffer; samples (as float) appended to *out; timestamps must
 * run on without gaps from `start` at 16 kHz. Returns samples pulled. */
static long
pull_all (GstHarness * h, const char *fmt, float **out, long *cap,
    GstClockTime start)
{
  gboolean s16 = !strcmp (fmt, "S16LE");
  long frames = 0;
  GstBuffer *b;
  while ((b = gst_harness_try_pull (h))) {
    GstMapInfo m;
    gst_buffer_map (b, &m, GST_MAP_READ);
    long n = m.size / (s16 ? 2 : 4);
    fail_unless (GST_BUFFER_PTS_IS_VALID (b));
    GstClockTime want = start + gst_util_uint64_scale_int (frames,
        GST_SECOND, 16000);
    fail_unless (GST_BUFFER_PTS (b) == want, "pts %" GST_TIME_FORMAT " != %"
        GST_TIME_FORMAT, GST_TIME_ARGS (GST_BUFFER_PTS (b)),
        GST_TIME_ARGS (want));
    if (out) {
      if (frames + n > *cap) {
        *cap = (frames + n) * 2;
        *out = g_realloc (*out, *cap * sizeof (float));
      }
      for (long i = 0; i < n; i++)
        (*out)[frames + i] = s16 ? ((gint16 *) m.data)[i] / 32768.f :
            ((float *) m.data)[i];
    }
    frames += n;
    gst_buffer_unmap (b, &m);
    gst_buffer_unref (b);
  }
  return frames;
}

static void
push_eos (GstHarness * h)
{
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
}

/* The caps say what happens: any rate from 4 to 16 kHz in, 16 kHz out, the
 * format kept; stereo and rates above 16 kHz are refused. */
GST_START_TEST (test_caps)
{
  GstHarness *h = gst_harness_new ("ganvocoder");
  GstPad *sink = gst_element_get_static_pad (h->element, "sink");
  GstPad *src = gst_element_get_static_pad (h->element, "src");
  GstCaps *q = gst_caps_from_string ("audio/x-raw, format=S16LE, "
      "layout=interleaved, rate=8000, channels=1");
  /* what 8 kHz input becomes */
  GstCaps *out = gst_pad_query_caps (src, NULL);
  GstCaps *tmpl = gst_pad_get_pad_template_caps (src);
  fail_unless (gst_caps_is_subset (out, tmpl));
  GstStructure *s = gst_caps_get_structure (out, 0);
  int rate = 0;
  fail_unless (gst_structure_get_int (s, "rate", &rate) && rate == 16000,
      "src offers %" GST_PTR_FORMAT, out);
  gst_caps_unref (out);
  gst_caps_unref (tmpl);
  fail_unless (gst_pad_query_accept_caps (sink, q));
  gst_caps_unref (q);
  /* and what 16 kHz output can come from: the whole input range */
  GstCaps *in_caps = gst_pad_query_caps (sink, NULL);
  GstCaps *want = gst_caps_from_string ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=(int){ 4000, 8000, 12000, 16000 }, "
      "channels=1");
  GstCaps *both = gst_caps_intersect (in_caps, want);
  fail_unless (gst_caps_get_size (both) > 0, "sink caps %" GST_PTR_FORMAT,
      in_caps);
  const GValue *rv = gst_structure_get_value (gst_caps_get_structure (both,
          0), "rate");
  fail_unless (GST_VALUE_HOLDS_LIST (rv) && gst_value_list_get_size (rv) == 4,
      "rates %" GST_PTR_FORMAT, both);
  gst_caps_unref (both);
  gst_caps_unref (want);
  gst_caps_unref (in_caps);
  q = gst_caps_from_string ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=22050, channels=1");
  fail_if (gst_pad_query_accept_caps (sink, q), "22.05 kHz accepted");
  gst_caps_unref (q);
  q = gst_caps_from_string ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=8000, channels=2");
  fail_if (gst_pad_query_accept_caps (sink, q), "stereo accepted");
  gst_caps_unref (q);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_harness_teardown (h);

  /* negotiated: 11025 Hz S16LE in gives 16000 Hz S16LE out */
  h = gst_harness_new ("ganvocoder");
  gst_harness_set_src_caps_str (h, "audio/x-raw, format=S16LE, "
      "layout=interleaved, rate=11025, channels=1");
  fail_unless_equals_int (gst_harness_push (h, make_buffer ("S16LE", 11025, 0,
              2205, NULL)), GST_FLOW_OK);
  GstPad *esrc = gst_element_get_static_pad (h->element, "src");
  GstCaps *cur = gst_pad_get_current_caps (esrc);
  gst_object_unref (esrc);
  fail_unless (cur != NULL);
  GstAudioInfo info;
  fail_unless (gst_audio_info_from_caps (&info, cur));
  fail_unless_equals_int (GST_AUDIO_INFO_RATE (&info), 16000);
  fail_unless_equals_int (GST_AUDIO_INFO_FORMAT (&info),
      GST_AUDIO_FORMAT_S16LE);
  gst_caps_unref (cur);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Sample accounting: out = round (in * 16000 / rate) after EOS, for odd
 * buffer sizes and several rates and both formats; timestamps continuous
 * from the first input timestamp. */
GST_START_TEST (test_sample_accounting)
{
  static const int sizes[] = { 1, 7, 13, 479, 481, 1000, 3, 2, 997, 160, 5 };
  static const int rates[] = { 8000, 11025, 12000, 16000 };
  const char *fmts[] = { "S16LE", "F32LE" };
  for (unsigned ri = 0; ri < G_N_ELEMENTS (rates); ri++)
    for (int fi = 0; fi < 2; fi++) {
      GstHarness *h = harness_for (fmts[fi], rates[ri]);
      long pushed = 0;
      for (int rep = 0; rep < 3; rep++)
        for (unsigned i = 0; i < G_N_ELEMENTS (sizes); i++) {
          fail_unless_equals_int (gst_harness_push (h, make_buffer (fmts[fi],
                      rates[ri], pushed, sizes[i], NULL)), GST_FLOW_OK);
          pushed += sizes[i];
        }
      push_eos (h);
      float *out = NULL;
      long cap = 0;
      long got = pull_all (h, fmts[fi], &out, &cap, GST_SECOND);
      long want = gcn_resample_len (pushed, rates[ri], 16000);
      fail_unless_equals_int64 (got, want);
      if (rates[ri] == 8000)
        fail_unless_equals_int64 (got, 2 * pushed);
      double e = 0;
      for (long i = 0; i < got; i++) {
        fail_unless (isfinite (out[i]));
        e += out[i] * out[i];
      }
      fail_unless (e > 0, "%d Hz %s: silent output", rates[ri], fmts[fi]);
      g_free (out);
      gst_harness_teardown (h);
    }
}

GST_END_TEST;

/* The reported latency is the delay the element really adds: feed 8 ms
 * buffers and check that, after each, the output reaches up to the input's
 * end minus the reported latency, and is never further behind than that. */
GST_START_TEST (test_latency)
{
  static const int rates[] = { 8000, 16000 };
  for (unsigned ri = 0; ri < G_N_ELEMENTS (rates); ri++) {
    int rate = rates[ri];
    GstHarness *h = harness_for ("F32LE", rate);
    fail_unless_equals_int (gst_harness_push (h, make_buffer ("F32LE", rate,
                0, rate / 125, NULL)), GST_FLOW_OK);
    GstClockTime lat = gst_harness_query_latency (h);
    /* at least the STFT window, at most window + 2 hops + filter, plus the
     * phase refinement's look-ahead of the copy model (16 kHz in) */
    GstClockTime extra = 0;
    if (rate == 16000) {
      gchar *path = g_build_filename (g_getenv ("GAN_SOURCE_ROOT"), "models",
          "vocoder-16k.safetensors", NULL);
      gcn_vocoder v;
      if (gcn_vocoder_load_file (&v, path) == 0) {
        if (v.cfg.refine_iters > 0)
          extra = gst_util_uint64_scale_int (v.cfg.refine_lookahead
              * v.cfg.hop, GST_SECOND, v.cfg.sample_rate);
        gcn_vocoder_free (&v);
      }
      g_free (path);
    }
    fail_unless (lat >= 24 * GST_MSECOND && lat <= 50 * GST_MSECOND + extra,
        "latency %" GST_TIME_FORMAT, GST_TIME_ARGS (lat));
    gst_harness_set_upstream_latency (h, 5 * GST_MSECOND);
    fail_unless_equals_uint64 (gst_harness_query_latency (h),
        lat + 5 * GST_MSECOND);
    long pushed = rate / 125, out = 0;
    GstClockTime worst = 0;
    for (int k = 0; k < 100; k++) {
      int n = rate / 125;
      gst_harness_push (h, make_buffer ("F32LE", rate, pushed, n, NULL));
      pushed += n;
      out += pull_all (h, "F32LE", NULL, NULL, GST_SECOND +
          gst_util_uint64_scale_int (out, GST_SECOND, 16000));
      GstClockTime in_t = gst_util_uint64_scale_int (pushed, GST_SECOND,
          rate);
      GstClockTime out_t = gst_util_uint64_scale_int (out, GST_SECOND,
          16000);
      fail_unless (out_t + lat >= in_t, "held back %" GST_TIME_FORMAT
          " > latency %" GST_TIME_FORMAT, GST_TIME_ARGS (in_t - out_t),
          GST_TIME_ARGS (lat));
      worst = MAX (worst, in_t - out_t);
    }
    /* and the report is not inflated: within 8 ms of the worst seen */
    fail_unless (worst + 8 * GST_MSECOND >= lat, "worst %" GST_TIME_FORMAT
        " vs reported %" GST_TIME_FORMAT, GST_TIME_ARGS (worst),
        GST_TIME_ARGS (lat));
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* 8 kHz in: the speech band of the output is the input's (aligned in
 * time), and the output has energy above 4 kHz, which the input cannot. */
GST_START_TEST (test_band_extension)
{
  int n8 = 8000 * 2;
  float *x8 = g_new (float, n8);
  for (int i = 0; i < n8; i++)
    x8[i] = voice (i, 8000);
  GstHarness *h = harness_for ("F32LE", 8000);
  for (int i = 0; i < n8; i += 800)
    gst_harness_push (h, make_buffer ("F32LE", 8000, i, 800, x8 + i));
  push_eos (h);
  float *y = NULL;
  long cap = 0;
  long got = pull_all (h, "F32LE", &y, &cap, GST_SECOND);
  fail_unless_equals_int64 (got, 2 * n8);
  /* low band: resample the output back to 8 kHz and compare */
  float *y8 = g_new (float, n8);
  fail_unless (gcn_resample (y, got, 16000, y8, n8, 8000) == 0);
  double err = 0, pow = 0;
  for (int i = 800; i < n8 - 800; i++) {
    err += (y8[i] - x8[i]) * (double) (y8[i] - x8[i]);
    pow += (double) x8[i] * x8[i];
  }
  double snr = 10 * log10 (pow / (err + 1e-20));
  fail_unless (snr > 15, "speech band changed: %.1f dB SNR", snr);
  /* high band: energy above 4.2 kHz relative to the whole */
  gcn_vocoder_config cfg;
  gcn_vocoder_config_default (&cfg, GCN_VOCODER_COPY);
  gcn_vocoder v;
  fail_unless (gcn_vocoder_init (&v, &cfg, 1) == 0);
  int T = gcn_vocoder_frames (&v, got);
  float *spec = g_new (float, (gsize) T * v.bins * 2);
  gcn_vocoder_analyze (&v, y, got, NULL, spec);
  double hi = 0, all = 0;
  for (long i = 0; i < (long) T * v.bins; i++) {
    int k = i % v.bins;
    double p = spec[2 * i] * spec[2 * i] + spec[2 * i + 1] * spec[2 * i + 1];
    all += p;
    if (k * 16000.0 / cfg.n_fft > 4200)
      hi += p;
  }
  fail_unless (hi > 1e-5 * all, "no energy above 4.2 kHz (%g of %g)", hi,
      all);
  gcn_vocoder_free (&v);
  g_free (spec);
  g_free (x8);
  g_free (y8);
  g_free (y);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Output sample n lines up with input time n / 16000 at every rate: the
 * energy envelopes of input and output correlate best at lag 0 (16 kHz in
 * runs the copy-synthesis model, which does not keep the waveform). */
static double
envelope_corr (const float *a, const float *b, int frames, int w, int lag)
{
  double sab = 0, saa = 0, sbb = 0;
  for (int f = 20; f < frames - 20; f++) {
    double ea = 0, eb = 0;
    for (int i = 0; i < w; i++) {
      ea += a[f * w + i] * (double) a[f * w + i];
      eb += b[(f + lag) * w + i] * (double) b[(f + lag) * w + i];
    }
    ea = log (ea + 1e-9);
    eb = log (eb + 1e-9);
    sab += ea * eb;
    saa += ea * ea;
    sbb += eb * eb;
  }
  return sab / sqrt (saa * sbb + 1e-30);
}

GST_START_TEST (test_alignment)
{
  static const int rates[] = { 8000, 16000 };
  for (unsigned ri = 0; ri < G_N_ELEMENTS (rates); ri++) {
    int rate = rates[ri], n = rate * 2;
    float *x = g_new (float, n);
    for (int i = 0; i < n; i++) {
      /* bursts of voice: 60 ms on, 100 ms off, sharp edges */
      double t = (double) i / rate;
      x[i] = fmod (t, 0.16) < 0.06 ? voice (i, rate) : 0.0f;
    }
    GstHarness *h = harness_for ("F32LE", rate);
    for (int i = 0; i < n; i += rate / 10)
      gst_harness_push (h, make_buffer ("F32LE", rate, i, rate / 10, x + i));
    push_eos (h);
    float *y = NULL;
    long cap = 0;
    long got = pull_all (h, "F32LE", &y, &cap, GST_SECOND);
    fail_unless_equals_int64 (got, 32000);
    /* the input at 16 kHz for comparison */
    float *x16 = g_new (float, 32000);
    fail_unless (gcn_resample (x, n, rate, x16, 32000, 16000) == 0);
    int w = 128, frames = 32000 / w - 12, best = 99;
    double bc = -2;
    for (int lag = -6; lag <= 6; lag++) {
      double c = envelope_corr (x16 + 6 * w, y, frames, w, lag + 6);
      if (c > bc) {
        bc = c;
        best = lag;
      }
    }
    fail_unless (best == 0, "%d Hz: envelope best aligned at lag %d frames",
        rate, best);
    g_free (x);
    g_free (x16);
    g_free (y);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* Flush and DISCONT restart the stream cleanly; silence stays quiet;
 * hostile floats give finite output. */
GST_START_TEST (test_discont_and_hostile)
{
  GstHarness *h = harness_for ("F32LE", 8000);
  gst_harness_push (h, make_buffer ("F32LE", 8000, 0, 1000, NULL));
  GstBuffer *b = make_buffer ("F32LE", 8000, 5000, 1000, NULL);
  GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
  gst_harness_push (h, b);
  push_eos (h);
  long total = 0;
  GstBuffer *o;
  while ((o = gst_harness_try_pull (h))) {
    total += gst_buffer_get_size (o) / 4;
    gst_buffer_unref (o);
  }
  fail_unless_equals_int64 (total, 4000);
  gst_harness_teardown (h);

  float bad[600];
  for (int i = 0; i < 600; i++)
    bad[i] = i % 5 == 0 ? NAN : i % 5 == 1 ? INFINITY : i % 5 == 2 ? 1e30f
        : i % 5 == 3 ? -1e-40f : 0.9f;
  h = harness_for ("F32LE", 8000);
  gst_harness_push (h, make_buffer ("F32LE", 8000, 0, 600, bad));
  float zeros[4000] = { 0 };
  gst_harness_push (h, make_buffer ("F32LE", 8000, 600, 4000, zeros));
  push_eos (h);
  float *y = NULL;
  long cap = 0;
  long got = pull_all (h, "F32LE", &y, &cap, GST_SECOND);
  fail_unless_equals_int64 (got, 9200);
  for (long i = 0; i < got; i++)
    fail_unless (isfinite (y[i]), "sample %ld not finite", i);
  /* long after the burst, silence in gives (near) silence out */
  double e = 0;
  for (long i = got - 4000; i < got; i++)
    e += y[i] * (double) y[i];
  fail_unless (e / 4000 < 1e-6, "silence became %g", e / 4000);
  g_free (y);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Run `n` samples of voice at `rate` through a fresh element in buffers of
 * `chunk` samples (0: one buffer), EOS, and return every output sample as
 * float. The first buffer is DISCONT as a source's would be. */
static float *
run_chunked (const char *fmt, int rate, const char *model, long n, int chunk,
    long *got)
{
  GstHarness *h = harness_with_model (fmt, rate, model);
  long step = chunk > 0 ? chunk : n;
  for (long i = 0; i < n; i += step) {
    int len = (int) MIN (step, n - i);
    GstBuffer *b = make_buffer (fmt, rate, i, len, NULL);
    if (i == 0)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  push_eos (h);
  float *out = NULL;
  long cap = 0;
  *got = pull_all (h, fmt, &out, &cap, GST_SECOND);
  gst_harness_teardown (h);
  return out;
}

/* A small vocoder model file of the given task and FFT size. */
static gchar *
small_model (const char *dir, const char *name, int task, int n_fft)
{
  gcn_vocoder_config cfg;
  gcn_vocoder_config_default (&cfg, task);
  cfg.channels = 8;
  cfg.n_fft = n_fft;
  cfg.hop = n_fft / 4;
  gcn_vocoder v;
  fail_unless (gcn_vocoder_init (&v, &cfg, 4) == 0, "%s", gc_last_error ());
  const char *meta[32];
  char store[1024];
  gcn_vocoder_meta (&v, meta, 32, store, sizeof store);
  gchar *path = g_build_filename (dir, name, NULL);
  fail_unless (gc_model_save (path, &v.params, meta) == 0);
  gcn_vocoder_free (&v);
  return path;
}

/* The output does not depend on how the input is cut: 1, 10, 160 and 4096
 * sample buffers give exactly the samples one buffer gives, in every mode
 * (embedded band extension below 16 kHz, embedded copy synthesis at
 * 16 kHz, a model file), at rates across the caps' range and in both
 * formats (mono only: the caps allow nothing else). */
GST_START_TEST (test_buffer_size_invariance)
{
  static const int rates[] = { 4000, 8000, 11025, 16000 };
  static const int chunks[] = { 1, 10, 160, 4096 };
  const char *fmts[] = { "F32LE", "S16LE" };
  gchar *dir = g_dir_make_tmp ("ganvocoder-XXXXXX", NULL);
  gchar *file = small_model (dir, "nb.safetensors", GCN_VOCODER_NB2WB, 512);
  for (int mi = 0; mi < 2; mi++)
    for (unsigned ri = 0; ri < G_N_ELEMENTS (rates); ri++)
      for (int fi = 0; fi < 2; fi++) {
        const char *model = mi ? file : NULL;
        if (mi && (rates[ri] == 11025 || fi == 1))
          continue;             /* the file's pass: two rates, F32 */
        int rate = rates[ri];
        long n = rate * 3 / 10;     /* 0.3 s */
        long want_n, got_n;
        float *want = run_chunked (fmts[fi], rate, model, n, 0, &want_n);
        fail_unless_equals_int64 (want_n, gcn_resample_len (n, rate, 16000));
        double e = 0;
        for (long i = 0; i < want_n; i++)
          e += want[i] * (double) want[i];
        fail_unless (e > 0, "silent output");
        for (unsigned ci = 0; ci < G_N_ELEMENTS (chunks); ci++) {
          float *got = run_chunked (fmts[fi], rate, model, n, chunks[ci],
              &got_n);
          fail_unless_equals_int64 (got_n, want_n);
          long first = -1;
          for (long i = 0; i < got_n && first < 0; i++)
            if (memcmp (&got[i], &want[i], sizeof (float)))
              first = i;
          fail_unless (first < 0, "%s %d Hz %s, %d-sample buffers: output "
              "differs from one buffer's from sample %ld (%g vs %g)",
              model ? "file" : "embedded", rate, fmts[fi], chunks[ci], first,
              first >= 0 ? got[first] : 0, first >= 0 ? want[first] : 0);
          g_free (got);
        }
        g_free (want);
      }
  g_unlink (file);
  g_rmdir (dir);
  g_free (file);
  g_free (dir);
}

GST_END_TEST;

/* Silence through `file` at 8 kHz: `n` samples, DISCONT-restarted after
 * the first half when `discont`; returns the output (which must be 2 n). */
static float *
silence_through (const char *file, long n, gboolean discont)
{
  GstHarness *h = harness_with_model ("F32LE", 8000, file);
  float *zeros = g_new0 (float, n);
  for (int half = 0; half < 2; half++) {
    GstBuffer *b = make_buffer ("F32LE", 8000, half * (n / 2), n / 2, zeros);
    if (half && discont)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
    gst_harness_push (h, b);
  }
  /* the file's model runs: its window alone is 2048 - 512 samples late */
  GstClockTime lat = gst_harness_query_latency (h);
  fail_unless (lat >= gst_util_uint64_scale_int (1536, GST_SECOND, 16000),
      "latency %" GST_TIME_FORMAT " is not the 2048-point model's",
      GST_TIME_ARGS (lat));
  push_eos (h);
  float *y = NULL;
  long cap = 0, got = pull_all (h, "F32LE", &y, &cap, GST_SECOND);
  fail_unless_equals_int64 (got, 2 * n);
  g_free (zeros);
  gst_harness_teardown (h);
  return y;
}

/* A valid model with a 2048-point FFT (hop 512): draining at DISCONT and
 * EOS must feed whole hops of silence (it read 512 samples from a
 * 256-sample array). Drained output is what more silent input gives. */
GST_START_TEST (test_large_hop_drain)
{
  gchar *dir = g_dir_make_tmp ("ganvocoder-XXXXXX", NULL);
  gchar *file = small_model (dir, "big.safetensors", GCN_VOCODER_NB2WB, 2048);
  float *a = silence_through (file, 6000, TRUE);
  float *b = silence_through (file, 24000, FALSE);
  /* after the DISCONT the stream restarts: compare each half with the
   * start of a long silent run */
  for (long i = 0; i < 12000; i++)
    fail_unless (a[i] == b[i % 6000], "sample %ld: %g, silence gives %g", i,
        a[i], b[i % 6000]);
  g_free (a);
  g_free (b);
  g_unlink (file);
  g_rmdir (dir);
  g_free (file);
  g_free (dir);
}

GST_END_TEST;

/* New caps mid-stream (8 kHz S16 -> 16 kHz F32): what the old stream held
 * comes out first, in the old format, so no sample is lost; the latency
 * reported follows the new rate. */
GST_START_TEST (test_caps_change_drains)
{
  GstHarness *h = harness_for ("S16LE", 8000);
  gst_harness_push (h, make_buffer ("S16LE", 8000, 0, 1000, NULL));
  long s16 = 0;
  GstBuffer *o;
  while ((o = gst_harness_try_pull (h))) {
    s16 += gst_buffer_get_size (o) / 2;
    gst_buffer_unref (o);
  }
  GstClockTime lat8 = gst_harness_query_latency (h);
  gst_harness_set_src_caps_str (h, "audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=16000, channels=1");
  gst_harness_set_sink_caps_str (h, "audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=16000, channels=1");
  /* the old stream's tail, in the old format */
  while ((o = gst_harness_try_pull (h))) {
    s16 += gst_buffer_get_size (o) / 2;
    gst_buffer_unref (o);
  }
  fail_unless_equals_int64 (s16, 2000);
  GstBuffer *b = make_buffer ("F32LE", 16000, 0, 1600, NULL);
  gst_harness_push (h, b);
  push_eos (h);
  fail_unless_equals_int64 (pull_all (h, "F32LE", NULL, NULL, GST_SECOND),
      1600);
  GstClockTime lat16 = gst_harness_query_latency (h);
  fail_unless (lat16 != lat8, "latency %" GST_TIME_FORMAT " kept",
      GST_TIME_ARGS (lat16));
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
expect_model_error (const char *path)
{
  GstElement *el = gst_element_factory_make ("ganvocoder", NULL);
  g_object_set (el, "model", path, NULL);
  gan_check_model_error (el, path, NULL);
}

GST_START_TEST (test_model_errors)
{
  gchar *dir = g_dir_make_tmp ("ganvocoder-XXXXXX", NULL);
  gchar *missing = g_build_filename (dir, "missing.safetensors", NULL);
  gchar *corrupt = g_build_filename (dir, "corrupt.safetensors", NULL);
  gchar *wrong = g_build_filename (dir, "wrong-kind.safetensors", NULL);
  gchar *trunc = g_build_filename (dir, "truncated.safetensors", NULL);
  gchar *good = g_build_filename (dir, "good.safetensors", NULL);

  expect_model_error (missing);

  guint8 junk[300];
  for (unsigned i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) (i * 29 + 3);
  fail_unless (g_file_set_contents (corrupt, (gchar *) junk, sizeof junk,
          NULL));
  expect_model_error (corrupt);

  /* a valid model file of another architecture */
  gc_param p;
  int shape[2] = { 3, 4 };
  gc_param_list pl = { 0 };
  fail_unless (gc_param_init (&p, "conv.weight", 2, shape) == 0);
  gc_param_list_add (&pl, &p);
  const char *kv[] = { "arch", "denoiser", NULL };
  fail_unless (gc_model_save (wrong, &pl, kv) == 0, "%s", gc_last_error ());
  expect_model_error (wrong);
  gc_param_list_free (&pl);
  gc_param_free (&p);

  /* a small vocoder: cut short it fails, intact it loads and runs */
  gcn_vocoder_config cfg;
  gcn_vocoder_config_default (&cfg, GCN_VOCODER_NB2WB);
  cfg.channels = 8;
  gcn_vocoder v;
  fail_unless (gcn_vocoder_init (&v, &cfg, 4) == 0);
  const char *meta[32];
  char store[1024];
  gcn_vocoder_meta (&v, meta, 32, store, sizeof store);
  fail_unless (gc_model_save (good, &v.params, meta) == 0);
  gchar *data;
  gsize len;
  fail_unless (g_file_get_contents (good, &data, &len, NULL));
  fail_unless (g_file_set_contents (trunc, data, len - 100, NULL));
  expect_model_error (trunc);

  GstHarness *h = gst_harness_new ("ganvocoder");
  g_object_set (h->element, "model", good, "num-threads", 1, NULL);
  gst_harness_set_src_caps_str (h, "audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=8000, channels=1");
  gst_harness_push (h, make_buffer ("F32LE", 8000, 0, 2400, NULL));
  push_eos (h);
  fail_unless_equals_int64 (pull_all (h, "F32LE", NULL, NULL, GST_SECOND),
      4800);
  gst_harness_teardown (h);

  g_free (data);
  gcn_vocoder_free (&v);
  g_unlink (good);
  g_unlink (trunc);
  g_unlink (wrong);
  g_unlink (corrupt);
  g_rmdir (dir);
  g_free (good);
  g_free (trunc);
  g_free (wrong);
  g_free (corrupt);
  g_free (missing);
  g_free (dir);
}

GST_END_TEST;

static Suite *
ganvocoder_suite (void)
{
  Suite *s = suite_create ("ganvocoder");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_caps);
  tcase_add_test (tc, test_sample_accounting);
  tcase_add_test (tc, test_latency);
  tcase_add_test (tc, test_band_extension);
  tcase_add_test (tc, test_alignment);
  tcase_add_test (tc, test_discont_and_hostile);
  tcase_add_test (tc, test_model_errors);
  tcase_add_test (tc, test_buffer_size_invariance);
  tcase_add_test (tc, test_large_hop_drain);
  tcase_add_test (tc, test_caps_change_drains);
  return s;
}

GST_CHECK_MAIN (ganvocoder);
