/* gandenoise element tests (GstHarness); the network it runs is tested in
 * tests/nets/test_denoiser_net.c.
 *
 * Input signals: a harmonic "voice" with a moving pitch plus white noise
 * (tests/common/test_voice.h), silence, and hostile floats. Mask and
 * resynth mode run through the same bodies where their promises are the
 * same (GstCheck loop tests over `modes`). */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gc_core.h"
#include "gcn_denoiser.h"
#include "gan_check_model.h"
#include "test_voice.h"

static const int rates[] = { 8000, 16000, 24000, 32000, 44100, 48000 };

static gchar *
caps_str (const char *fmt, int rate, int ch)
{
  return g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
      "rate=%d, channels=%d", fmt, rate, ch);
}

/* mask and resynth run through the same test bodies (GstCheck loop tests:
 * __i__ indexes this table); each mode keeps its own random signals */
static const struct
{
  const char *name;
  int mode;                     /* the element's "mode" */
  guint seed;                   /* added to every seed of a body */
} modes[] = {
  {"mask", 0, 0},
  {"resynth", 1, 10},
};

static GstHarness *
harness_mode_model (const char *fmt, int rate, int ch, int mode,
    const char *model)
{
  GstHarness *h = gst_harness_new ("gandenoise");
  g_object_set (h->element, "mode", mode, NULL);
  if (model)
    g_object_set (h->element, "model", model, NULL);
  gchar *c = caps_str (fmt, rate, ch);
  gst_harness_set_src_caps_str (h, c);
  gst_harness_set_sink_caps_str (h, c);
  g_free (c);
  return h;
}

/* mask mode, the shipped model */
static GstHarness *
harness_for (const char *fmt, int rate, int ch)
{
  return harness_mode_model (fmt, rate, ch, 0, NULL);
}

/* A buffer of n frames, samples from test_voice_sample unless `fill` is
 * given. */
static GstBuffer *
make_buffer (const char *fmt, int rate, int ch, long first, int n,
    gc_rng * r, const float *fill)
{
  gboolean s16 = !strcmp (fmt, "S16LE");
  GstBuffer *b = gst_buffer_new_allocate (NULL, (gsize) n * ch *
      (s16 ? 2 : 4), NULL);
  GstMapInfo m;
  gst_buffer_map (b, &m, GST_MAP_WRITE);
  for (int i = 0; i < n; i++)
    for (int c = 0; c < ch; c++) {
      float v = fill ? fill[(i * ch + c)] : test_voice_sample (first + i,
          rate, c, r);
      if (s16)
        ((gint16 *) m.data)[i * ch + c] = (gint16) lrintf (fmaxf (-32768.f,
                fminf (32767.f, v * 32768.f)));
      else
        ((float *) m.data)[i * ch + c] = v;
    }
  gst_buffer_unmap (b, &m);
  GST_BUFFER_PTS (b) = GST_SECOND + gst_util_uint64_scale_int (first,
      GST_SECOND, rate);
  GST_BUFFER_DURATION (b) = gst_util_uint64_scale_int (n, GST_SECOND, rate);
  return b;
}

/* Pull every buffer; append samples (as float) to *out; check the
 * timestamps run on without gaps from `start`. Returns frames pulled. */
static long
pull_all (GstHarness * h, const char *fmt, int rate, int ch, float **out,
    long *cap, GstClockTime start)
{
  gboolean s16 = !strcmp (fmt, "S16LE");
  long frames = 0;
  GstBuffer *b;
  while ((b = gst_harness_try_pull (h))) {
    GstMapInfo m;
    gst_buffer_map (b, &m, GST_MAP_READ);
    long n = m.size / (ch * (s16 ? 2 : 4));
    if (GST_BUFFER_PTS_IS_VALID (b)) {
      GstClockTime want = start + gst_util_uint64_scale_int (frames,
          GST_SECOND, rate);
      fail_unless (GST_BUFFER_PTS (b) == want,
          "pts %" GST_TIME_FORMAT " != %" GST_TIME_FORMAT,
          GST_TIME_ARGS (GST_BUFFER_PTS (b)), GST_TIME_ARGS (want));
    }
    if (out) {
      if ((frames + n) * ch > *cap) {
        *cap = (frames + n) * ch * 2;
        *out = g_realloc (*out, *cap * sizeof (float));
      }
      for (long i = 0; i < n * ch; i++)
        (*out)[frames * ch + i] = s16 ? ((gint16 *) m.data)[i] / 32768.f :
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

/* Every rate, format and channel count: samples out == samples in, finite,
 * timestamps aligned to the input's, speech-like input not wiped out. */
GST_START_TEST (test_rates_formats_channels)
{
  const char *fmts[] = { "F32LE", "S16LE" };
  for (unsigned ri = 0; ri < G_N_ELEMENTS (rates); ri++)
    for (int fi = 0; fi < 2; fi++)
      for (int ch = 1; ch <= 2; ch++) {
        int rate = rates[ri];
        gc_rng r;
        gc_rng_seed (&r, modes[__i__].seed + 1);
        GstHarness *h = harness_mode_model (fmts[fi], rate, ch,
            modes[__i__].mode, NULL);
        long n = rate / 4 + 17, pushed = 0;
        float *out = NULL;
        long cap = 0;
        while (pushed < n) {
          int len = MIN (n - pushed, rate / 50 + 3);
          fail_unless_equals_int (gst_harness_push (h, make_buffer (fmts[fi],
                      rate, ch, pushed, len, &r, NULL)), GST_FLOW_OK);
          pushed += len;
        }
        push_eos (h);
        long got = pull_all (h, fmts[fi], rate, ch, &out, &cap, GST_SECOND);
        fail_unless_equals_int64 (got, n);
        double e = 0;
        for (long i = 0; i < got * ch; i++) {
          fail_unless (isfinite (out[i]));
          e += out[i] * out[i];
        }
        fail_unless (e > 0, "%s, %s %d Hz %d ch: silent output",
            modes[__i__].name, fmts[fi], rate, ch);
        g_free (out);
        gst_harness_teardown (h);
      }
}

GST_END_TEST;

/* Push `n` samples of the test signal in hops (x: exact input, or NULL),
 * keeping the output in *out; returns the samples still held before EOS
 * (input minus output), then drains and checks the totals match. */
static long
held_then_drain (GstHarness * h, int rate, long n, const float *x,
    float **out)
{
  int hop = rate / 100;
  long got = 0, cap = 0;
  gc_rng r;
  gc_rng_seed (&r, 2);
  for (long i = 0; i < n; i += hop)
    gst_harness_push (h, make_buffer ("F32LE", rate, 1, i, hop, &r,
            x ? x + i : NULL));
  got = pull_all (h, "F32LE", rate, 1, out, &cap, GST_SECOND);
  long held = n - got;
  push_eos (h);
  float *tail = NULL;
  long tcap = 0, more = pull_all (h, "F32LE", rate, 1, out ? &tail : NULL,
      &tcap, GST_SECOND + gst_util_uint64_scale_int (got, GST_SECOND, rate));
  if (out && more > 0) {
    *out = g_realloc (*out, (got + more) * sizeof (float));
    memcpy (*out + got, tail, more * sizeof (float));
  }
  g_free (tail);
  fail_unless_equals_int64 (got + more, n);
  return held;
}

/* The LATENCY answer is the element's real delay: with hop-sized buffers
 * it holds back its lag and reports exactly that (20 ms with the shipped
 * model); once a buffer ends inside a hop, the first sample of a hop waits
 * for the rest of it, so the report grows by one hop, with a latency
 * message, and stays there (test_latency_short_buffers measures the wait);
 * upstream latency adds to it. */
GST_START_TEST (test_latency_query)
{
  for (unsigned ri = 0; ri < G_N_ELEMENTS (rates); ri++) {
    int rate = rates[ri];
    GstHarness *h = harness_for ("F32LE", rate, 1);
    long held = held_then_drain (h, rate, rate / 2, NULL, NULL);
    GstClockTime lat = gst_harness_query_latency (h);
    fail_unless_equals_uint64 (gst_util_uint64_scale_int (held, GST_SECOND,
            rate), lat);
    fail_unless_equals_uint64 (lat, 20 * GST_MSECOND);
    gst_harness_set_upstream_latency (h, 5 * GST_MSECOND);
    fail_unless_equals_uint64 (gst_harness_query_latency (h),
        lat + 5 * GST_MSECOND);
    gst_harness_teardown (h);

    /* half a hop, then whole hops: ragged from the first buffer on */
    h = harness_for ("F32LE", rate, 1);
    GstBus *bus = gst_bus_new ();
    gst_element_set_bus (h->element, bus);
    gc_rng r;
    gc_rng_seed (&r, 3);
    gst_harness_push (h, make_buffer ("F32LE", rate, 1, 0, rate / 200, &r,
            NULL));
    for (int k = 0; k < 5; k++)
      gst_harness_push (h, make_buffer ("F32LE", rate, 1, rate / 200 + k *
              (rate / 100), rate / 100, &r, NULL));
    GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY);
    fail_unless (m != NULL, "%d Hz: no latency message", rate);
    gst_message_unref (m);
    fail_unless_equals_uint64 (gst_harness_query_latency (h),
        30 * GST_MSECOND);
    gst_element_set_bus (h->element, NULL);
    gst_object_unref (bus);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* Models with 0, 1 and 2 frames of lookahead: the element reports
 * (1 + lookahead) x 10 ms, holds exactly that much back, and with
 * attenuation-limit=0 gives its input back sample for sample, lined up by
 * the timestamps. */
GST_START_TEST (test_lookahead_models)
{
  gchar *dir = g_dir_make_tmp ("gandenoise-la-XXXXXX", NULL);
  for (int la = 0; la <= GCN_DN_LOOKAHEAD_MAX; la++) {
    gchar *path = g_strdup_printf ("%s/la%d.safetensors", dir, la);
    gcn_denoiser net;
    gcn_denoiser_config cfg = { 8, 3, 8, 8, 0, 1, la };
    gc_rng r;
    gc_rng_seed (&r, 40 + la);
    fail_unless (gcn_denoiser_init (&net, &cfg, &r) == 0);
    char *storage = NULL;
    const char **meta = gcn_denoiser_meta (&net, &storage);
    fail_unless (gc_model_save (path, &net.params, meta) == 0);
    free (meta);
    free (storage);
    gcn_denoiser_free (&net);

    static const int lrates[] = { 8000, 44100, 48000 };
    for (unsigned ri = 0; ri < G_N_ELEMENTS (lrates); ri++) {
      int rate = lrates[ri];
      long n = rate / 2;
      float *x = g_new (float, n), *y = NULL;
      for (long i = 0; i < n; i++)
        x[i] = test_voice_sample (i, rate, 0, &r);
      /* the model is read at start: set it before the caps start the
       * harness */
      GstHarness *h = gst_harness_new ("gandenoise");
      g_object_set (h->element, "model", path, "attenuation-limit", 0.0, NULL);
      gchar *c = caps_str ("F32LE", rate, 1);
      gst_harness_set_src_caps_str (h, c);
      gst_harness_set_sink_caps_str (h, c);
      g_free (c);
      long held = held_then_drain (h, rate, n, x, &y);
      fail_unless_equals_int64 (held, (long) (1 + la) * (rate / 100));
      fail_unless_equals_uint64 (gst_harness_query_latency (h),
          (guint64) (1 + la) * 10 * GST_MSECOND);
      for (long i = 0; i < n; i++)
        fail_unless (y[i] == x[i], "lookahead %d, %d Hz, sample %ld: %g != %g",
            la, rate, i, y[i], x[i]);
      g_free (x);
      g_free (y);
      gst_harness_teardown (h);
    }
    g_unlink (path);
    g_free (path);
  }
  g_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

/* Odd buffer sizes: samples out == samples in, finite; with
 * attenuation-limit=0 the output must equal the input sample for sample
 * (same timestamps), both formats. */
static void
run_odd_sizes (int mode, const char *fmt, int rate, int ch,
    gboolean passthrough)
{
  static const int sizes[] = { 1, 7, 13, 479, 481, 1000, 3, 2, 997, 4410, 5,
    2047, 9000
  };
  GstHarness *h = harness_mode_model (fmt, rate, ch, modes[mode].mode, NULL);
  gc_rng r;
  long pushed = 0;
  float *in = NULL, *out = NULL;
  long in_cap = 0, out_cap = 0;

  if (passthrough)
    g_object_set (h->element, "attenuation-limit", 0.0, NULL);
  gc_rng_seed (&r, modes[mode].seed + 3);
  for (unsigned i = 0; i < G_N_ELEMENTS (sizes); i++) {
    GstBuffer *b = make_buffer (fmt, rate, ch, pushed, sizes[i], &r, NULL);
    GstMapInfo m;
    gst_buffer_map (b, &m, GST_MAP_READ);
    if ((pushed + sizes[i]) * ch > in_cap) {
      in_cap = (pushed + sizes[i]) * ch * 2;
      in = g_realloc (in, in_cap * sizeof (float));
    }
    for (long k = 0; k < (long) sizes[i] * ch; k++)
      in[pushed * ch + k] = !strcmp (fmt, "S16LE") ?
          ((gint16 *) m.data)[k] / 32768.f : ((float *) m.data)[k];
    gst_buffer_unmap (b, &m);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    pushed += sizes[i];
  }
  push_eos (h);
  long got = pull_all (h, fmt, rate, ch, &out, &out_cap, GST_SECOND);
  fail_unless_equals_int64 (got, pushed);
  for (long k = 0; k < got * ch; k++) {
    fail_unless (isfinite (out[k]), "%s: sample %ld", modes[mode].name, k);
    if (passthrough)
      fail_unless (out[k] == in[k], "%s: sample %ld: %g != %g",
          modes[mode].name, k, out[k], in[k]);
  }
  g_free (in);
  g_free (out);
  gst_harness_teardown (h);
}

GST_START_TEST (test_conservation_odd_buffers)
{
  run_odd_sizes (__i__, "F32LE", 44100, 2, FALSE);
  run_odd_sizes (__i__, "S16LE", 16000, 1, FALSE);
  run_odd_sizes (__i__, "F32LE", 8000, 1, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_passthrough_identical)
{
  run_odd_sizes (__i__, "F32LE", 48000, 1, TRUE);
  run_odd_sizes (__i__, "S16LE", 44100, 2, TRUE);
  run_odd_sizes (__i__, "S16LE", 24000, 2, TRUE);
  run_odd_sizes (__i__, "F32LE", 8000, 2, TRUE);
}

GST_END_TEST;

/* NaN, infinities, denormals, huge values and clipped square waves in:
 * finite, bounded output, and the element keeps working afterwards. */
GST_START_TEST (test_hostile_input)
{
  int rate = 48000, n = 4800;
  GstHarness *h = harness_mode_model ("F32LE", rate, 1, modes[__i__].mode,
      NULL);
  float *x = g_new (float, n);
  gc_rng r;
  gc_rng_seed (&r, modes[__i__].seed + 4);
  for (int i = 0; i < n; i++) {
    switch (i % 7) {
      case 0: x[i] = NAN; break;
      case 1: x[i] = INFINITY; break;
      case 2: x[i] = -INFINITY; break;
      case 3: x[i] = 1e-40f; break;       /* denormal */
      case 4: x[i] = 3e38f; break;
      case 5: x[i] = (i / 100) % 2 ? 1.f : -1.f; break;   /* clipped */
      default: x[i] = -1e-39f; break;
    }
  }
  gst_harness_push (h, make_buffer ("F32LE", rate, 1, 0, n, &r, x));
  /* a denormal-only stretch, then normal audio: must recover */
  for (int i = 0; i < n; i++)
    x[i] = (i % 2 ? 1 : -1) * 1e-42f;
  gst_harness_push (h, make_buffer ("F32LE", rate, 1, n, n, &r, x));
  gst_harness_push (h, make_buffer ("F32LE", rate, 1, 2 * n, 2 * n, &r,
          NULL));
  push_eos (h);
  float *out = NULL;
  long cap = 0;
  long got = pull_all (h, "F32LE", rate, 1, &out, &cap, GST_SECOND);
  fail_unless_equals_int64 (got, 4 * n);
  for (long i = 0; i < got; i++) {
    fail_unless (isfinite (out[i]), "%s: sample %ld not finite",
        modes[__i__].name, i);
    fail_unless (fabsf (out[i]) < 1e7f, "%s: sample %ld", modes[__i__].name,
        i);
  }
  double tail = 0;
  for (long i = 2 * n + n / 2; i < got; i++)
    tail += out[i] * out[i];
  fail_unless (tail > 0, "%s: no output after hostile input",
      modes[__i__].name);
  g_free (out);
  g_free (x);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_silence_in_silence_out)
{
  for (unsigned ri = 0; ri < G_N_ELEMENTS (rates); ri++) {
    int rate = rates[ri], n = rate / 4;
    GstHarness *h = harness_mode_model ("S16LE", rate, 2, modes[__i__].mode,
        NULL);
    float *z = g_new0 (float, 2 * n);
    gc_rng r;
    gc_rng_seed (&r, modes[__i__].seed + 5);
    gst_harness_push (h, make_buffer ("S16LE", rate, 2, 0, n, &r, z));
    push_eos (h);
    float *out = NULL;
    long cap = 0;
    long got = pull_all (h, "S16LE", rate, 2, &out, &cap, GST_SECOND);
    fail_unless_equals_int64 (got, n);
    for (long i = 0; i < 2 * got; i++)
      fail_unless (out[i] == 0.f, "%s, %d Hz: sample %ld = %g",
          modes[__i__].name, rate, i, out[i]);
    g_free (out);
    g_free (z);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* Flushing seek: state and counters restart, no stale samples leak out. */
GST_START_TEST (test_flush_and_discont)
{
  int rate = 16000;
  GstHarness *h = harness_for ("F32LE", rate, 1);
  gc_rng r;
  gc_rng_seed (&r, 6);
  gst_harness_push (h, make_buffer ("F32LE", rate, 1, 0, 1234, &r, NULL));
  /* flush: what is pending is dropped */
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  while (gst_harness_buffers_in_queue (h))
    gst_buffer_unref (gst_harness_pull (h));

  /* after the flush: 1000 samples, then a DISCONT jump, 999 more */
  GstBuffer *a = make_buffer ("F32LE", rate, 1, 0, 1000, &r, NULL);
  GstBuffer *b = make_buffer ("F32LE", rate, 1, 50000, 999, &r, NULL);
  GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
  gst_harness_push (h, a);
  gst_harness_push (h, b);
  push_eos (h);
  long frames = 0;
  gboolean saw_second = FALSE;
  GstBuffer *o;
  while ((o = gst_harness_try_pull (h))) {
    long n = gst_buffer_get_size (o) / 4;
    /* output of the first part is stamped from 1 s, of the second from the
     * jump's timestamp */
    GstClockTime second = GST_SECOND + gst_util_uint64_scale_int (50000,
        GST_SECOND, rate);
    if (GST_BUFFER_PTS (o) >= second) {
      if (!saw_second)
        fail_unless (GST_BUFFER_PTS (o) == second);
      saw_second = TRUE;
    }
    frames += n;
    gst_buffer_unref (o);
  }
  fail_unless (saw_second);
  fail_unless_equals_int64 (frames, 1999);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Properties change while buffers flow; everything stays consistent. */
GST_START_TEST (test_property_changes_while_playing)
{
  int rate = 32000;
  GstHarness *h = harness_for ("F32LE", rate, 2);
  gc_rng r;
  long pushed = 0;
  gdouble guard;
  gboolean residual;
  g_object_get (h->element, "speech-guard", &guard, "residual-suppression",
      &residual, NULL);
  fail_unless (guard == 10.0);
  fail_unless (!residual);
  gc_rng_seed (&r, 7);
  for (int i = 0; i < 24; i++) {
    g_object_set (h->element, "attenuation-limit", (double) (i % 4) * 15.0,
        "vad-threshold", (i % 3) / 2.0, "num-threads", i % 3,
        "vad-hangover", (guint) (i * 20), "speech-guard", (i % 5) * 7.5,
        "residual-suppression", i % 2, NULL);
    int len = 317 + i * 31;
    fail_unless_equals_int (gst_harness_push (h, make_buffer ("F32LE", rate,
                2, pushed, len, &r, NULL)), GST_FLOW_OK);
    pushed += len;
  }
  push_eos (h);
  float *out = NULL;
  long cap = 0;
  long got = pull_all (h, "F32LE", rate, 2, &out, &cap, GST_SECOND);
  fail_unless_equals_int64 (got, pushed);
  for (long i = 0; i < 2 * got; i++)
    fail_unless (isfinite (out[i]));
  gdouble lim;
  g_object_get (h->element, "attenuation-limit", &lim, NULL);
  fail_unless (lim == 45.0);
  g_object_get (h->element, "speech-guard", &guard, NULL);
  fail_unless (guard == 22.5);
  g_object_get (h->element, "residual-suppression", &residual, NULL);
  fail_unless (residual);
  g_free (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A quiet recording: a voice-like signal over faint hiss, with a breathy
 * broadband stretch inside the voiced part (what the network took out of
 * a held-out utterance). The speech guard must keep more of it than the
 * network alone, and never take out more. (The network is sure of much of
 * this synthetic stretch, gains under 0.15, which the guard leaves alone:
 * measured -14.5 dB of error without the guard, -15.9 dB with it.) */
static double
guard_run (double guard_db, const float *in, long n, int rate, float *out)
{
  GstHarness *h = harness_for ("F32LE", rate, 1);
  g_object_set (h->element, "speech-guard", guard_db, NULL);
  long pushed = 0;
  while (pushed < n) {
    int len = (int) MIN (n - pushed, 480 * 7 + 13);
    fail_unless_equals_int (gst_harness_push (h, make_buffer ("F32LE", rate,
                1, pushed, len, NULL, in + pushed)), GST_FLOW_OK);
    pushed += len;
  }
  push_eos (h);
  float *o = NULL;
  long cap = 0;
  fail_unless_equals_int64 (pull_all (h, "F32LE", rate, 1, &o, &cap,
          GST_SECOND), n);
  double err = 0;
  for (long i = 0; i < n; i++) {
    out[i] = o[i];
    err += ((double) o[i] - in[i]) * ((double) o[i] - in[i]);
  }
  g_free (o);
  gst_harness_teardown (h);
  return err;
}



GST_START_TEST (test_speech_guard_keeps_quiet_speech)
{
  const int rate = 48000;
  const long n = 3 * rate;
  float *in = g_new (float, n), *off = g_new (float, n), *on = g_new (float, n);
  gc_rng r;
  gc_rng_seed (&r, 17);
  double sig = 0;
  for (long i = 0; i < n; i++) {
    double t = (double) i / rate;
    /* test_voice_sample's voice without its noise, over hiss 50 dB down */
    double env = 0.5 + 0.5 * sin (2 * M_PI * 3 * t);
    double ph = 2 * M_PI * (140 * t - 40 / (2 * M_PI * 0.7) *
        cos (2 * M_PI * 0.7 * t));
    double voice = 0;   /* (test_voice_sample's pitch track) */
    for (int k = 1; k <= 12; k++)
      voice += sin (k * ph) / k;
    float v = (float) (0.05 * (0.2 + 0.8 * env) * voice) +
        3e-4f * gc_rng_normal (&r);
    if (t > 1.6 && t < 2.0)     /* the breathy stretch */
      v += 0.04f * (float) sin (M_PI * (t - 1.6) / 0.4) * gc_rng_normal (&r);
    in[i] = v;
    sig += (double) v * v;
  }
  double e_off = guard_run (0.0, in, n, rate, off);
  double e_on = guard_run (10.0, in, n, rate, on);
  g_print ("speech guard, error on a quiet recording: off %.1f dB, on %.1f dB\n",
      10 * log10 (e_off / sig), 10 * log10 (e_on / sig));
  /* the guard holds the gains up: at least 0.7 dB less error */
  fail_unless (e_on < 0.85 * e_off, "guard off %.1f dB, on %.1f dB",
      10 * log10 (e_off / sig), 10 * log10 (e_on / sig));
  /* ... and it only ever raises gains: the breathy stretch keeps more */
  double k_off = 0, k_on = 0;
  for (long i = (long) (1.65 * rate); i < (long) (1.95 * rate); i++) {
    k_off += (double) off[i] * off[i];
    k_on += (double) on[i] * on[i];
  }
  fail_unless (k_on >= k_off, "stretch energy %g with the guard, %g without",
      k_on, k_off);
  g_free (in);
  g_free (off);
  g_free (on);
}

GST_END_TEST;

/* Voice activity: threshold 0 makes every hop voiced (one "voice" message);
 * threshold 1 then ends it, but only after the hangover. */
GST_START_TEST (test_vad_messages)
{
  int rate = 16000;
  GstHarness *h = harness_for ("F32LE", rate, 1);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gc_rng r;
  gc_rng_seed (&r, 8);
  g_object_set (h->element, "vad-threshold", 0.0, "vad-hangover", 200, NULL);
  gst_harness_push (h, make_buffer ("F32LE", rate, 1, 0, 1600, &r, NULL));
  g_object_set (h->element, "vad-threshold", 1.0, NULL);
  gst_harness_push (h, make_buffer ("F32LE", rate, 1, 1600, 8000, &r, NULL));
  push_eos (h);

  int on = 0, off = 0;
  guint64 on_ts = 0, off_ts = 0;
  GstMessage *m;
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (m);
    if (gst_structure_has_name (s, "gandenoise-vad")) {
      gboolean voice;
      guint64 ts;
      double p;
      fail_unless (gst_structure_get_boolean (s, "voice", &voice));
      fail_unless (gst_structure_get_uint64 (s, "timestamp", &ts));
      fail_unless (gst_structure_get_double (s, "probability", &p));
      fail_unless (p >= 0 && p <= 1);
      if (voice)
        on++, on_ts = ts;
      else
        off++, off_ts = ts;
    }
    gst_message_unref (m);
  }
  fail_unless_equals_int (on, 1);
  fail_unless_equals_int (off, 1);
  /* the threshold went up at 100 ms of input; the end is reported only
   * after the 200 ms hangover */
  fail_unless (off_ts >= on_ts + 200 * GST_MSECOND,
      "off at %" GST_TIME_FORMAT, GST_TIME_ARGS (off_ts));
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- mode=resynth ---------------------------------------------------------*/

/* The LATENCY answer is the real delay: with hop-sized buffers, the
 * samples still held after a push (input minus output, at hop boundaries)
 * equal it, and a click comes out at its own timestamp (so it leaves the
 * element exactly that late). */
static void
resynth_latency_is_real (const char *model, GstClockTime * latencies)
{
  for (unsigned ri = 0; ri < G_N_ELEMENTS (rates); ri++) {
    int rate = rates[ri], hop = rate / 100, n = rate;
    GstHarness *h = harness_mode_model ("F32LE", rate, 1, 1, model);
    float *x = g_new0 (float, n), *out = NULL;
    long got = 0, click = rate / 2 + 7;
    gc_rng r;
    gc_rng_seed (&r, 12);
    x[click] = 0.9f;
    x[click + 1] = -0.6f;
    float *part = NULL, *all = g_new0 (float, n);
    long pcap = 0;
    for (long i = 0; i < n; i += hop) {
      gst_harness_push (h, make_buffer ("F32LE", rate, 1, i, hop, &r, x + i));
      long k = pull_all (h, "F32LE", rate, 1, &part, &pcap, GST_SECOND +
          gst_util_uint64_scale_int (got, GST_SECOND, rate));
      fail_unless (got + k <= n);
      if (k > 0)                /* part is still NULL before any output */
        memcpy (all + got, part, k * sizeof (float));
      got += k;
    }
    g_free (part);
    out = all;
    GstClockTime lat = gst_harness_query_latency (h);
    fail_unless (lat > 10 * GST_MSECOND && lat < 200 * GST_MSECOND);
    long held = n - got;
    fail_unless_equals_uint64 (gst_util_uint64_scale_int (held, GST_SECOND,
            rate), lat);
    /* the click's energy peak (1 ms windows) is at its own position */
    int w = rate / 1000;
    long best = -1;
    double be = 0;
    for (long i = 0; i + w <= got; i++) {
      double e = 0;
      for (int k = 0; k < w; k++)
        e += out[i + k] * out[i + k];
      if (e > be)
        be = e, best = i + w / 2;
    }
    /* within 2 ms: the vocoder redraws the click from 8 ms frames and its
     * energy peak may land a millisecond off (seen at 16 kHz, where the
     * output is the vocoder's alone); a timing error would be a whole
     * 10 ms hop */
    fail_unless (labs (best - click) <= 2 * w,
        "%d Hz: click at %ld found at %ld (latency %" GST_TIME_FORMAT ")",
        rate, click, best, GST_TIME_ARGS (lat));
    push_eos (h);
    got += pull_all (h, "F32LE", rate, 1, NULL, NULL, GST_SECOND +
        gst_util_uint64_scale_int (got, GST_SECOND, rate));
    fail_unless_equals_int64 (got, n);
    g_free (out);
    g_free (x);
    gst_harness_teardown (h);
    latencies[ri] = lat;
  }
}

/* The resynthesis' reported latency is its real delay, with the shipped
 * model and with small models with and without lookahead. */
GST_START_TEST (test_resynth_latency_is_real)
{
  GstClockTime base[G_N_ELEMENTS (rates)], la1[G_N_ELEMENTS (rates)];
  gchar *dir = g_dir_make_tmp ("gandenoise-rs-XXXXXX", NULL);
  gchar *p0 = g_strdup_printf ("%s/la0.safetensors", dir);
  gchar *p1 = g_strdup_printf ("%s/la1.safetensors", dir);
  for (int la = 0; la <= 1; la++) {
    gcn_denoiser net;
    gcn_denoiser_config cfg = { 8, 3, 8, 8, 0, 1, la };
    gc_rng r;
    gc_rng_seed (&r, 50);
    fail_unless (gcn_denoiser_init (&net, &cfg, &r) == 0);
    char *storage = NULL;
    const char **meta = gcn_denoiser_meta (&net, &storage);
    fail_unless (gc_model_save (la ? p1 : p0, &net.params, meta) == 0);
    free (meta);
    free (storage);
    gcn_denoiser_free (&net);
  }
  resynth_latency_is_real (NULL, base);
  resynth_latency_is_real (p0, base);
  resynth_latency_is_real (p1, la1);
  /* the vocoder already waits for more input than the mask's hop, so the
   * lookahead may cost up to one hop, not more (each latency was checked
   * against the real delay above) */
  for (unsigned ri = 0; ri < G_N_ELEMENTS (rates); ri++) {
    GST_INFO ("%d Hz: resynth latency %" GST_TIME_FORMAT " without lookahead, "
        "%" GST_TIME_FORMAT " with one frame", rates[ri],
        GST_TIME_ARGS (base[ri]), GST_TIME_ARGS (la1[ri]));
    fail_unless (la1[ri] >= base[ri] && la1[ri] <= base[ri] + 10 * GST_MSECOND);
  }
  g_unlink (p0);
  g_unlink (p1);
  g_rmdir (dir);
  g_free (p0);
  g_free (p1);
  g_free (dir);
}

GST_END_TEST;

/* Mode switches while playing: with attenuation-limit=0 the output must be
 * the input exactly (no sample lost, repeated or moved) across every switch;
 * with processing, samples are conserved, timestamps continuous, and each
 * latency change is announced. */
static void
run_mode_switches (int rate, int ch, gboolean passthrough)
{
  GstHarness *h = harness_for ("F32LE", rate, ch);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gc_rng r;
  long pushed = 0;
  float *in = NULL, *out = NULL;
  long in_cap = 0, out_cap = 0;
  gc_rng_seed (&r, 15);
  if (passthrough)
    g_object_set (h->element, "attenuation-limit", 0.0, NULL);
  for (int i = 0; i < 30; i++) {
    if (i % 3 == 2)
      g_object_set (h->element, "mode", (i / 3) % 2 ? 0 : 1, NULL);
    int len = 211 + i * 97;
    GstBuffer *b = make_buffer ("F32LE", rate, ch, pushed, len, &r, NULL);
    GstMapInfo m;
    gst_buffer_map (b, &m, GST_MAP_READ);
    if ((pushed + len) * ch > in_cap) {
      in_cap = (pushed + len) * ch * 2;
      in = g_realloc (in, in_cap * sizeof (float));
    }
    memcpy (in + pushed * ch, m.data, (gsize) len * ch * sizeof (float));
    gst_buffer_unmap (b, &m);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    pushed += len;
  }
  push_eos (h);
  long got = pull_all (h, "F32LE", rate, ch, &out, &out_cap, GST_SECOND);
  fail_unless_equals_int64 (got, pushed);
  for (long k = 0; k < got * ch; k++) {
    fail_unless (isfinite (out[k]));
    if (passthrough)
      fail_unless (out[k] == in[k], "sample %ld: %g != %g", k, out[k], in[k]);
  }
  int latency_msgs = 0;
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY))) {
    latency_msgs++;
    gst_message_unref (msg);
  }
  fail_unless (latency_msgs >= 9, "%d latency messages", latency_msgs);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  g_free (in);
  g_free (out);
  gst_harness_teardown (h);
}

GST_START_TEST (test_mode_switch_while_playing)
{
  run_mode_switches (48000, 1, TRUE);
  run_mode_switches (16000, 2, TRUE);
  run_mode_switches (44100, 2, FALSE);
}

GST_END_TEST;

/* New caps mid-stream: what the old format still holds comes out in the
 * old format (samples out == samples in for each part), then the new
 * format runs; both modes. */
static void
run_caps_change (int mode)
{
  GstHarness *h = gst_harness_new ("gandenoise");
  g_object_set (h->element, "mode", mode, NULL);
  gchar *c1 = caps_str ("F32LE", 48000, 2), *c2 = caps_str ("S16LE", 16000, 1);
  gst_harness_set_src_caps_str (h, c1);
  gst_harness_set_sink_caps_str (h, c1);
  gc_rng r;
  gc_rng_seed (&r, 16);
  long n1 = 0;
  for (int i = 0; i < 5; i++) {
    gst_harness_push (h, make_buffer ("F32LE", 48000, 2, n1, 1111, &r, NULL));
    n1 += 1111;
  }
  gst_harness_set_sink_caps_str (h, c2);
  gst_harness_set_src_caps_str (h, c2);
  long got1 = pull_all (h, "F32LE", 48000, 2, NULL, NULL, GST_SECOND);
  fail_unless_equals_int64 (got1, n1);
  long n2 = 0;
  for (int i = 0; i < 4; i++) {
    gst_harness_push (h, make_buffer ("S16LE", 16000, 1, n2, 333, &r, NULL));
    n2 += 333;
  }
  push_eos (h);
  long got2 = pull_all (h, "S16LE", 16000, 1, NULL, NULL, GST_SECOND);
  fail_unless_equals_int64 (got2, n2);
  g_free (c1);
  g_free (c2);
  gst_harness_teardown (h);
}

GST_START_TEST (test_caps_change_drains)
{
  run_caps_change (0);
  run_caps_change (1);
}

GST_END_TEST;

/* ---- model errors -----------------------------------------------------------*/

/* Setting the element to PAUSED must fail with an error naming the file. */
static void
expect_model_error (const char *path)
{
  GstElement *el = gst_element_factory_make ("gandenoise", NULL);
  g_object_set (el, "model", path, NULL);
  gan_check_model_error (el, path, NULL);
}

GST_START_TEST (test_model_errors)
{
  gchar *dir = g_dir_make_tmp ("gandenoise-XXXXXX", NULL);
  gchar *missing = g_build_filename (dir, "missing.safetensors", NULL);
  gchar *corrupt = g_build_filename (dir, "corrupt.safetensors", NULL);
  gchar *wrong = g_build_filename (dir, "wrong-kind.safetensors", NULL);
  gchar *trunc = g_build_filename (dir, "truncated.safetensors", NULL);
  gchar *good = g_build_filename (dir, "good.safetensors", NULL);

  expect_model_error (missing);

  guint8 junk[300];
  for (unsigned i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) (i * 37 + 11);
  fail_unless (g_file_set_contents (corrupt, (gchar *) junk, sizeof junk,
          NULL));
  expect_model_error (corrupt);

  /* a valid model file of another architecture */
  gc_param p;
  int shape[2] = { 3, 4 };
  gc_param_list pl = { 0 };
  fail_unless (gc_param_init (&p, "conv.weight", 2, shape) == 0);
  gc_param_list_add (&pl, &p);
  const char *kv[] = { "arch", "style-cin", NULL };
  fail_unless (gc_model_save (wrong, &pl, kv) == 0, "%s", gc_last_error ());
  expect_model_error (wrong);
  gc_param_list_free (&pl);
  gc_param_free (&p);

  /* a real denoiser file cut short */
  gcn_denoiser net;
  gcn_denoiser_config cfg = { 8, 3, 8, 8 };
  gc_rng r;
  gc_rng_seed (&r, 9);
  fail_unless (gcn_denoiser_init (&net, &cfg, &r) == 0);
  char *storage = NULL;
  const char **meta = gcn_denoiser_meta (&net, &storage);
  fail_unless (gc_model_save (good, &net.params, meta) == 0);
  gchar *data;
  gsize len;
  fail_unless (g_file_get_contents (good, &data, &len, NULL));
  fail_unless (g_file_set_contents (trunc, data, len - 100, NULL));
  expect_model_error (trunc);

  /* metadata that contradicts itself: a lookahead model claiming 10 ms */
  gchar *lie = g_build_filename (dir, "latency-lie.safetensors", NULL);
  {
    gcn_denoiser la_net;
    gcn_denoiser_config la_cfg = { 8, 3, 8, 8, 0, 0, 1 };
    fail_unless (gcn_denoiser_init (&la_net, &la_cfg, &r) == 0);
    char *st = NULL;
    const char **kv = gcn_denoiser_meta (&la_net, &st);
    for (int i = 0; kv[i]; i += 2)
      if (!strcmp (kv[i], "latency_ms"))
        kv[i + 1] = "10";
    fail_unless (gc_model_save (lie, &la_net.params, kv) == 0);
    free (kv);
    free (st);
    gcn_denoiser_free (&la_net);
    GstElement *el = gst_element_factory_make ("gandenoise", NULL);
    g_object_set (el, "model", lie, NULL);
    gan_check_model_error (el, lie, NULL);
    g_unlink (lie);
    g_free (lie);
  }

  /* and the intact one loads and runs (a small custom architecture) */
  GstHarness *h = gst_harness_new ("gandenoise");
  g_object_set (h->element, "model", good, NULL);
  gst_harness_set_src_caps_str (h, "audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=24000, channels=1");
  gst_harness_push (h, make_buffer ("F32LE", 24000, 1, 0, 2400, &r, NULL));
  push_eos (h);
  fail_unless_equals_int64 (pull_all (h, "F32LE", 24000, 1, NULL, NULL,
          GST_SECOND), 2400);
  gst_harness_teardown (h);

  g_free (data);
  free (meta);
  free (storage);
  gcn_denoiser_free (&net);
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
gandenoise_suite (void)
{
  Suite *s = suite_create ("gandenoise");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_rates_formats_channels, 0,
      G_N_ELEMENTS (modes));
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_lookahead_models);
  tcase_add_loop_test (tc, test_conservation_odd_buffers, 0,
      G_N_ELEMENTS (modes));
  tcase_add_loop_test (tc, test_passthrough_identical, 0,
      G_N_ELEMENTS (modes));
  tcase_add_loop_test (tc, test_hostile_input, 0,
      G_N_ELEMENTS (modes));
  tcase_add_loop_test (tc, test_silence_in_silence_out, 0,
      G_N_ELEMENTS (modes));
  tcase_add_test (tc, test_flush_and_discont);
  tcase_add_test (tc, test_property_changes_while_playing);
  tcase_add_test (tc, test_speech_guard_keeps_quiet_speech);
  tcase_add_test (tc, test_vad_messages);
  tcase_add_test (tc, test_model_errors);
  tcase_add_test (tc, test_resynth_latency_is_real);
  tcase_add_test (tc, test_mode_switch_while_playing);
  tcase_add_test (tc, test_caps_change_drains);
  return s;
}

GST_CHECK_MAIN (gandenoise);
