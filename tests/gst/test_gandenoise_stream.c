/* gandenoise as a stream: what a live pipeline sees.
 *  - the latency it reports is what it really holds back with buffers
 *    shorter than its hop (1 ms buffers, measured sample by sample);
 *  - output is sample-identical whatever the buffer sizes (1, 10, 160,
 *    4096 samples, one buffer), in every mode, rate and channel count;
 *  - channel-mode=linked gives both channels one gain;
 *  - setting model= while the streaming thread sets up is safe. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_denoiser.h"

static const int rates[] = { 8000, 16000, 24000, 32000, 44100, 48000 };

static GstHarness *
harness_with (int rate, int ch, const char *props)
{
  gchar *desc = g_strdup_printf ("gandenoise %s", props ? props : "");
  GstHarness *h = gst_harness_new_parse (desc);
  gchar *c = g_strdup_printf ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=%d, channels=%d", rate, ch);
  gst_harness_set_src_caps_str (h, c);
  gst_harness_set_sink_caps_str (h, c);
  g_free (c);
  g_free (desc);
  return h;
}

/* voice-like harmonics plus noise, a different noise per channel */
static float *
make_signal (int rate, int ch, long n, guint32 seed)
{
  gc_rng r;
  gc_rng_seed (&r, seed);
  float *x = g_new (float, n * ch);
  for (long i = 0; i < n; i++) {
    double t = (double) i / rate, v = 0;
    double env = 0.5 + 0.5 * sin (2 * M_PI * 3 * t);
    for (int k = 1; k <= 10 && k * 150 < rate / 2; k++)
      v += sin (2 * M_PI * 150 * k * t + k) / k;
    for (int c = 0; c < ch; c++)
      x[i * ch + c] = (float) (0.1 * env * v + 0.03 * gc_rng_normal (&r));
  }
  return x;
}

static GstBuffer *
wrap (const float *x, long first, long n, int rate, int ch)
{
  GstBuffer *b = gst_buffer_new_memdup (x + first * ch, n * ch * 4);
  GST_BUFFER_PTS (b) = gst_util_uint64_scale_int (first, GST_SECOND, rate);
  GST_BUFFER_DURATION (b) = gst_util_uint64_scale_int (n, GST_SECOND, rate);
  return b;
}

/* Pull what is there into y (at *got); returns the frames pulled. */
static long
pull_into (GstHarness * h, float *y, long *got, long cap, int ch)
{
  GstBuffer *b;
  long total = 0;
  while ((b = gst_harness_try_pull (h))) {
    GstMapInfo m;
    gst_buffer_map (b, &m, GST_MAP_READ);
    long k = m.size / (4 * ch);
    fail_unless (*got + k <= cap, "more out than in");
    memcpy (y + *got * ch, m.data, m.size);
    *got += k;
    total += k;
    gst_buffer_unmap (b, &m);
    gst_buffer_unref (b);
  }
  return total;
}

/* The whole signal in buffers of `size` frames (0: one buffer), then EOS;
 * frames out must equal frames in. */
static float *
run_sized (int rate, int ch, const char *props, const float *x, long n,
    long size)
{
  GstHarness *h = harness_with (rate, ch, props);
  float *y = g_new0 (float, n * ch);
  long got = 0;
  if (size <= 0)
    size = n;
  for (long i = 0; i < n; i += size) {
    long k = MIN (size, n - i);
    fail_unless_equals_int (gst_harness_push (h, wrap (x, i, k, rate, ch)),
        GST_FLOW_OK);
    pull_into (h, y, &got, n, ch);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  pull_into (h, y, &got, n, ch);
  fail_unless_equals_int64 (got, n);
  gst_harness_teardown (h);
  return y;
}

/* With buffers shorter than the 10 ms hop (as a live source with a short
 * latency-time gives), the element holds a sample back until its hop is
 * complete and the lag has passed. Record, for every output sample j, how
 * many input samples had arrived when it came out (in_out). A live source
 * already declares its own buffer (b samples) as latency, so j is late
 * unless in_out - j - b <= the latency we report; and the report should
 * not exceed the worst wait in_out - j either. */
static void
check_held_back (int rate, int b, const char *props)
{
  int ch = 1;
  long n = rate / 4;
  float *x = make_signal (rate, ch, n, 7), *y = g_new0 (float, n);
  GstHarness *h = harness_with (rate, ch, props);
  long got = 0, in = 0, worst = 0;
  for (long i = 0; i < n; i += b) {
    long k = MIN (b, n - i);
    gst_harness_push (h, wrap (x, i, k, rate, ch));
    in += k;
    long first = got, new = pull_into (h, y, &got, n, ch);
    if (new > 0)
      worst = MAX (worst, in - first);
  }
  GstClockTime lat = gst_harness_query_latency (h);
  GstClockTime need = gst_util_uint64_scale_int (worst - b, GST_SECOND, rate);
  GstClockTime most = gst_util_uint64_scale_int (worst, GST_SECOND, rate);
  fail_unless (lat >= need && lat <= most, "%s at %d Hz, %d-sample buffers: "
      "reports %" GST_TIME_FORMAT ", holds %" GST_TIME_FORMAT " beyond its "
      "buffer", props, rate, b, GST_TIME_ARGS (lat), GST_TIME_ARGS (need));
  gst_harness_teardown (h);
  g_free (x);
  g_free (y);
}

GST_START_TEST (test_latency_short_buffers)
{
  for (unsigned ri = 0; ri < G_N_ELEMENTS (rates); ri++)
    check_held_back (rates[ri], rates[ri] / 1000, "");
  check_held_back (16000, 1, "");
  check_held_back (44100, 1, "");
  check_held_back (16000, 16, "mode=resynth");
  check_held_back (48000, 7, "channel-mode=linked attenuation-limit=0");
}

GST_END_TEST;

/* Output identical, sample for sample, whatever the buffer sizes. */
static void
check_sizes (int rate, int ch, const char *props, long n)
{
  static const long sizes[] = { 1, 10, 160, 4096 };
  float *x = make_signal (rate, ch, n, 11);
  float *ref = run_sized (rate, ch, props, x, n, 0);
  long nz = 0;
  for (long i = 0; i < n * ch; i++)
    nz += ref[i] != 0.f;
  fail_unless (nz > n / 2, "%s %d Hz: output mostly zero", props, rate);
  for (unsigned s = 0; s < G_N_ELEMENTS (sizes); s++) {
    float *y = run_sized (rate, ch, props, x, n, sizes[s]);
    long bad = 0;
    for (long i = 0; i < n * ch; i++)
      bad += y[i] != ref[i];
    fail_unless (bad == 0, "%s, %d Hz, %d ch, %ld-sample buffers: %ld samples "
        "differ from one buffer", props, rate, ch, sizes[s], bad);
    g_free (y);
  }
  g_free (ref);
  g_free (x);
}

GST_START_TEST (test_buffer_size_invariance)
{
  for (unsigned ri = 0; ri < G_N_ELEMENTS (rates); ri++)
    for (int ch = 1; ch <= 2; ch++) {
      int rate = rates[ri];
      check_sizes (rate, ch, "mode=mask", rate / 4);
      if (ch == 2)
        check_sizes (rate, ch, "mode=mask channel-mode=linked gate=true "
            "vad-threshold=0.3", rate / 4);
      /* resynth costs a vocoder: a shorter stretch, past its lead-in */
      check_sizes (rate, ch, "mode=resynth", rate / 4);
    }
}

GST_END_TEST;

/* Linked stereo: identical channels come out identical (and equal to the
 * mono output); a right channel that is half the left stays exactly half,
 * i.e. both got the same gain. Independent channels do not keep that. */
GST_START_TEST (test_linked_stereo)
{
  static const int lrates[] = { 16000, 48000 };
  for (unsigned ri = 0; ri < G_N_ELEMENTS (lrates); ri++) {
    int rate = lrates[ri];
    long n = rate / 2;
    float *m = make_signal (rate, 1, n, 3), *st = g_new (float, 2 * n);
    float *ym = run_sized (rate, 1, "", m, n, 480);
    for (long i = 0; i < n; i++)
      st[2 * i] = st[2 * i + 1] = m[i];
    float *y = run_sized (rate, 2, "channel-mode=linked", st, n, 480);
    for (long i = 0; i < n; i++)
      fail_unless (y[2 * i] == ym[i] && y[2 * i + 1] == ym[i],
          "%d Hz sample %ld: %g %g, mono %g", rate, i, y[2 * i], y[2 * i + 1],
          ym[i]);
    g_free (y);
    for (long i = 0; i < n; i++)
      st[2 * i + 1] = 0.5f * m[i];
    y = run_sized (rate, 2, "channel-mode=linked", st, n, 480);
    for (long i = 0; i < n; i++)
      fail_unless (y[2 * i + 1] == 0.5f * y[2 * i], "%d Hz sample %ld", rate,
          i);
    g_free (y);
    y = run_sized (rate, 2, "channel-mode=independent", st, n, 480);
    long off = 0;
    for (long i = 0; i < n; i++)
      off += fabsf (y[2 * i + 1] - 0.5f * y[2 * i]) > 1e-6f;
    fail_unless (off > n / 10, "independent channels kept the ratio");
    g_free (y);
    g_free (ym);
    g_free (m);
    g_free (st);
  }
}

GST_END_TEST;

/* Setting model= from another thread while caps changes make the
 * streaming thread set up again and again: the network must never be
 * freed under it (this crashed, or read freed memory, before). Every
 * setup uses a complete network; the stream keeps its samples. */
typedef struct {
  GstElement *el;
  const gchar *paths[2];
  volatile gint stop;
} Toggler;

static gpointer
toggle_model (gpointer data)
{
  Toggler *t = data;
  for (int i = 0; !g_atomic_int_get (&t->stop); i++) {
    g_object_set (t->el, "model", t->paths[i & 1], NULL);
    g_usleep (50);
  }
  return NULL;
}

GST_START_TEST (test_model_set_during_setup)
{
  gchar *dir = g_dir_make_tmp ("gandenoise-race-XXXXXX", NULL);
  gchar *paths[2];
  for (int k = 0; k < 2; k++) {
    gcn_denoiser net;
    gcn_denoiser_config cfg = { 8, 3, 8 + 4 * k, 8, 0, 1, k };
    gc_rng r;
    gc_rng_seed (&r, 70 + k);
    fail_unless (gcn_denoiser_init (&net, &cfg, &r) == 0);
    char *storage = NULL;
    const char **meta = gcn_denoiser_meta (&net, &storage);
    paths[k] = g_strdup_printf ("%s/m%d.safetensors", dir, k);
    fail_unless (gc_model_save (paths[k], &net.params, meta) == 0);
    free (meta);
    free (storage);
    gcn_denoiser_free (&net);
  }
  GstHarness *h = gst_harness_new ("gandenoise");
  Toggler t = { h->element, {paths[0], paths[1]}, 0 };
  GThread *th = g_thread_new ("toggle", toggle_model, &t);
  float *x = make_signal (16000, 1, 1600, 5);
  for (int i = 0; i < 60; i++) {
    int rate = i & 1 ? 16000 : 8000;
    gchar *c = g_strdup_printf ("audio/x-raw, format=F32LE, "
        "layout=interleaved, rate=%d, channels=1", rate);
    gst_harness_set_src_caps_str (h, c);
    g_free (c);
    GstBuffer *b = wrap (x, 0, 800, rate, 1);
    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    GstBuffer *o;
    while ((o = gst_harness_try_pull (h))) {
      GstMapInfo m;
      gst_buffer_map (o, &m, GST_MAP_READ);
      for (gsize k = 0; k < m.size / 4; k++)
        fail_unless (isfinite (((float *) m.data)[k]));
      gst_buffer_unmap (o, &m);
      gst_buffer_unref (o);
    }
  }
  g_atomic_int_set (&t.stop, 1);
  g_thread_join (th);
  gst_harness_teardown (h);
  g_free (x);
  for (int k = 0; k < 2; k++) {
    g_unlink (paths[k]);
    g_free (paths[k]);
  }
  g_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

static Suite *
gandenoise_stream_suite (void)
{
  Suite *s = suite_create ("gandenoise-stream");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 600);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_latency_short_buffers);
  tcase_add_test (tc, test_linked_stereo);
  tcase_add_test (tc, test_model_set_during_setup);
  tcase_add_test (tc, test_buffer_size_invariance);
  return s;
}

GST_CHECK_MAIN (gandenoise_stream);
