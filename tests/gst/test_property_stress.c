/* Every property an element flags GST_PARAM_MUTABLE_PLAYING, set from a
 * second thread with random valid values (and the LATENCY query asked)
 * while buffers stream through, with
 * caps changes between bursts (run under ASan/UBSan by
 * `scripts/test.sh --sanitize`, and under TSan by scripts/tsan.sh). The
 * audio elements must still conserve samples and give finite output; video
 * frames must keep coming at the negotiated size. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_vocoder.h"

typedef struct {
  GstElement *el;
  volatile gint stop;
  guint32 seed;
  gint changes;
} changer;

static guint32
next_rand (guint32 * s)
{
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

/* A random valid value for a mutable property; FALSE for kinds we skip. */
static gboolean
random_value (GParamSpec * ps, guint32 * seed, GValue * v)
{
  guint32 r = next_rand (seed);
  g_value_init (v, ps->value_type);
  if (G_IS_PARAM_SPEC_INT (ps)) {
    GParamSpecInt *p = G_PARAM_SPEC_INT (ps);
    /* thread counts and the like: stay in a small range above the minimum */
    gint hi = MIN (p->maximum, p->minimum + 4);
    g_value_set_int (v, p->minimum + (gint) (r % (guint) (hi - p->minimum + 1)));
  } else if (G_IS_PARAM_SPEC_UINT (ps)) {
    GParamSpecUInt *p = G_PARAM_SPEC_UINT (ps);
    guint hi = MIN (p->maximum, p->minimum + 500);
    g_value_set_uint (v, p->minimum + r % (hi - p->minimum + 1));
  } else if (G_IS_PARAM_SPEC_DOUBLE (ps)) {
    GParamSpecDouble *p = G_PARAM_SPEC_DOUBLE (ps);
    double hi = MIN (p->maximum, p->minimum + 1000);
    g_value_set_double (v, p->minimum + (hi - p->minimum) * (r % 1001) / 1000);
  } else if (G_IS_PARAM_SPEC_FLOAT (ps)) {
    GParamSpecFloat *p = G_PARAM_SPEC_FLOAT (ps);
    float hi = MIN (p->maximum, p->minimum + 1000);
    g_value_set_float (v, p->minimum + (hi - p->minimum) * (r % 1001) / 1000);
  } else if (G_IS_PARAM_SPEC_BOOLEAN (ps)) {
    g_value_set_boolean (v, r & 1);
  } else if (G_IS_PARAM_SPEC_ENUM (ps)) {
    GEnumClass *ec = G_PARAM_SPEC_ENUM (ps)->enum_class;
    g_value_set_enum (v, ec->values[r % ec->n_values].value);
  } else if (G_IS_PARAM_SPEC_STRING (ps)) {
    static const char *names[] = { "wave", "udnie", "no-such-style", "" };
    g_value_set_string (v, names[r % G_N_ELEMENTS (names)]);
  } else {
    g_value_unset (v);
    return FALSE;
  }
  return TRUE;
}

static gpointer
change_loop (gpointer data)
{
  changer *c = data;
  guint n;
  GParamSpec **props = g_object_class_list_properties
      (G_OBJECT_GET_CLASS (c->el), &n);
  while (!g_atomic_int_get (&c->stop)) {
    GParamSpec *ps = props[next_rand (&c->seed) % n];
    GValue v = G_VALUE_INIT;
    if ((ps->flags & GST_PARAM_MUTABLE_PLAYING) && (ps->flags &
            G_PARAM_WRITABLE) && random_value (ps, &c->seed, &v)) {
      g_object_set_property (G_OBJECT (c->el), ps->name, &v);
      g_value_unset (&v);
      g_atomic_int_inc (&c->changes);
    }
    /* and the LATENCY query, answered from another thread while caps
     * change under it */
    GstQuery *q = gst_query_new_latency ();
    GstPad *src = gst_element_get_static_pad (c->el, "src");
    gst_pad_query (src, q);
    gst_object_unref (src);
    gst_query_unref (q);
    g_usleep (200);
  }
  g_free (props);
  return NULL;
}

static GThread *
start_changer (changer * c, GstElement * el, guint32 seed)
{
  c->el = el;
  c->stop = 0;
  c->seed = seed;
  c->changes = 0;
  return g_thread_new ("changer", change_loop, c);
}

static void
stop_changer (changer * c, GThread * t)
{
  /* on a loaded machine the stream can end before the changer thread has
   * run at all: give it up to 10 s to make its first change */
  for (int i = 0; i < 1000 && g_atomic_int_get (&c->changes) == 0; i++)
    g_usleep (10000);
  g_atomic_int_set (&c->stop, 1);
  g_thread_join (t);
  fail_unless (c->changes > 0, "no property was changed");
}

/* ---- audio ---------------------------------------------------------------- */

typedef struct {
  const char *fmt;
  int rate, channels;
} audio_caps;

static gchar *
audio_caps_str (const audio_caps * c, int rate)
{
  return g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
      "rate=%d, channels=%d", c->fmt, rate, c->channels);
}

/* Pull everything; counts frames of `bpf` bytes, checks F32 is finite. */
static guint64
pull_frames (GstHarness * h, int bpf, gboolean f32)
{
  guint64 n = 0;
  GstBuffer *b;
  while ((b = gst_harness_try_pull (h))) {
    GstMapInfo m;
    gst_buffer_map (b, &m, GST_MAP_READ);
    fail_unless (m.size % bpf == 0);
    if (f32)
      for (gsize i = 0; i < m.size / 4; i++)
        fail_unless (isfinite (((float *) m.data)[i]));
    n += m.size / bpf;
    gst_buffer_unmap (b, &m);
    gst_buffer_unref (b);
  }
  return n;
}

static GstBuffer *
audio_buffer (const audio_caps * c, int frames, guint64 * t, int rate)
{
  gboolean s16 = !strcmp (c->fmt, "S16LE");
  gsize n = (gsize) frames * c->channels;
  GstBuffer *b = gst_buffer_new_allocate (NULL, n * (s16 ? 2 : 4), NULL);
  GstMapInfo m;
  gst_buffer_map (b, &m, GST_MAP_WRITE);
  for (gsize i = 0; i < n; i++) {
    float v = 0.3f * sinf (0.01f * (float) (*t * c->channels + i)) *
        sinf (0.0003f * (float) *t);
    if (s16)
      ((gint16 *) m.data)[i] = (gint16) (v * 32767);
    else
      ((float *) m.data)[i] = v;
  }
  gst_buffer_unmap (b, &m);
  GST_BUFFER_PTS (b) = gst_util_uint64_scale_int (*t, GST_SECOND, rate);
  GST_BUFFER_DURATION (b) = gst_util_uint64_scale_int (frames, GST_SECOND,
      rate);
  *t += frames;
  return b;
}

/* Bursts of odd-sized buffers in each caps in turn, properties changing all
 * the while; after each burst the caps change (the element drains), and
 * every input sample must have come out (out_rate / in_rate of them). */
static void
stress_audio (const char *name, const audio_caps * caps, int n_caps,
    int out_rate)
{
  GstHarness *h = gst_harness_new (name);
  changer c;
  GThread *t = start_changer (&c, h->element, g_str_hash (name));
  for (int round = 0; round < 2 * n_caps; round++) {
    const audio_caps *ac = &caps[round % n_caps];
    int orate = out_rate ? out_rate : ac->rate;
    gchar *in = audio_caps_str (ac, ac->rate), *out = audio_caps_str (ac,
        orate);
    gst_harness_set_src_caps_str (h, in);
    gst_harness_set_sink_caps_str (h, out);
    g_free (in);
    g_free (out);
    int bpf = (strcmp (ac->fmt, "S16LE") ? 4 : 2) * ac->channels;
    gboolean f32 = strcmp (ac->fmt, "S16LE") != 0;
    guint64 t_in = 0, got = 0;
    static const int sizes[] = { 1, 441, 13, 4096, 160, 7, 999 };
    for (int k = 0; k < 30; k++) {
      GstBuffer *b = audio_buffer (ac, sizes[k % G_N_ELEMENTS (sizes)],
          &t_in, ac->rate);
      fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
      got += pull_frames (h, bpf, f32);
    }
    /* a DISCONT restart in the middle of the burst's tail */
    GstBuffer *b = audio_buffer (ac, 777, &t_in, ac->rate);
    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
    guint64 before = t_in - 777;
    guint64 owed = gcn_resample_len ((long) before, ac->rate, orate);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    got += pull_frames (h, bpf, f32);
    fail_unless (got >= owed, "%s: %" G_GUINT64_FORMAT " of %"
        G_GUINT64_FORMAT " frames before the DISCONT", name, got, owed);
    /* the next caps (or EOS) drain the rest */
    if (round + 1 == 2 * n_caps)
      gst_harness_push_event (h, gst_event_new_eos ());
    else {
      const audio_caps *nc = &caps[(round + 1) % n_caps];
      gchar *s = audio_caps_str (nc, nc->rate);
      gst_harness_set_src_caps_str (h, s);
      g_free (s);
    }
    got += pull_frames (h, bpf, f32);
    owed += gcn_resample_len (777, ac->rate, orate);
    fail_unless_equals_uint64 (got, owed);
  }
  stop_changer (&c, t);
  gst_harness_teardown (h);
}

GST_START_TEST (test_gandenoise_properties_playing)
{
  static const audio_caps caps[] = {
    {"F32LE", 48000, 1}, {"S16LE", 16000, 2}, {"F32LE", 44100, 2},
    {"F32LE", 8000, 1},
  };
  stress_audio ("gandenoise", caps, G_N_ELEMENTS (caps), 0);
}

GST_END_TEST;

GST_START_TEST (test_ganvocoder_properties_playing)
{
  static const audio_caps caps[] = {
    {"F32LE", 8000, 1}, {"S16LE", 16000, 1}, {"F32LE", 11025, 1},
  };
  stress_audio ("ganvocoder", caps, G_N_ELEMENTS (caps), 16000);
}

GST_END_TEST;

/* ---- video ---------------------------------------------------------------- */

static void
stress_video (const char *name, int scale)
{
  static const struct { const char *fmt; int w, h; } sizes[] = {
    {"I420", 32, 24}, {"RGB", 17, 9}, {"NV12", 40, 30}, {"RGBx", 24, 16},
  };
  GstHarness *h = gst_harness_new (name);
  changer c;
  GThread *t = start_changer (&c, h->element, g_str_hash (name));
  for (int round = 0; round < 8; round++) {
    int i = round % G_N_ELEMENTS (sizes);
    gchar *cs = g_strdup_printf ("video/x-raw, format=%s, width=%d, "
        "height=%d, framerate=30/1", sizes[i].fmt, sizes[i].w, sizes[i].h);
    gst_harness_set_src_caps_str (h, cs);
    g_free (cs);
    GstVideoInfo vi;
    gst_video_info_set_format (&vi, gst_video_format_from_string
        (sizes[i].fmt), sizes[i].w, sizes[i].h);
    for (int k = 0; k < 4; k++) {
      GstBuffer *b = gst_buffer_new_allocate (NULL, vi.size, NULL);
      gst_buffer_memset (b, 0, (guint8) (37 * k + round), vi.size);
      GST_BUFFER_PTS (b) = (round * 4 + k) * GST_SECOND / 30;
      GstBuffer *o = gst_harness_push_and_pull (h, b);
      fail_unless (o != NULL, "%s: no frame out", name);
      GstVideoInfo oi;
      GstCaps *oc = gst_pad_get_current_caps (h->sinkpad);
      fail_unless (gst_video_info_from_caps (&oi, oc));
      gst_caps_unref (oc);
      fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&oi), sizes[i].w * scale);
      fail_unless (gst_buffer_get_size (o) >= oi.size);
      gst_buffer_unref (o);
    }
  }
  stop_changer (&c, t);
  gst_harness_teardown (h);
}

GST_START_TEST (test_gansuperres_properties_playing)
{
  stress_video ("gansuperres", 2);
}

GST_END_TEST;

GST_START_TEST (test_ganstyle_properties_playing)
{
  stress_video ("ganstyle", 1);
}

GST_END_TEST;

static Suite *
property_stress_suite (void)
{
  Suite *s = suite_create ("property_stress");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_gandenoise_properties_playing);
  tcase_add_test (tc, test_ganvocoder_properties_playing);
  tcase_add_test (tc, test_gansuperres_properties_playing);
  tcase_add_test (tc, test_ganstyle_properties_playing);
  return s;
}

GST_CHECK_MAIN (property_stress);
