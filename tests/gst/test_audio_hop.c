/* GstGanAudioHop, the base of gandenoise and ganvocoder, with a test
 * subclass whose "model" is the identity on whole hops and can be made to
 * fail: samples are conserved and come out unchanged through hops and
 * drain, and a model that fails mid-stream posts an element error and
 * stops the stream (FLOW_ERROR) instead of pushing stale or no audio. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "gstganaudiohop.h"
#include "gc_core.h"

#define HOP 160

typedef struct {
  GstGanAudioHop parent;
  gfloat *out;
  gsize cap;
  gint hops;                    /* hops processed */
  gint fail_at;                 /* fail on this hop (0: never) */
} GstTestHop;
typedef struct {
  GstGanAudioHopClass parent_class;
} GstTestHopClass;

GType gst_test_hop_get_type (void);
G_DEFINE_TYPE (GstTestHop, gst_test_hop, GST_TYPE_GAN_AUDIO_HOP);

static gboolean
test_setup (GstGanAudioHop * hop, const GstAudioInfo * in,
    const GstAudioInfo * out)
{
  gst_gan_audio_hop_configure (hop, HOP, 0);
  gst_gan_audio_hop_set_lag (hop, 0);
  return TRUE;
}

static gint
copy_out (GstTestHop * self, const gfloat * in, gint n, const gfloat ** out)
{
  if (self->cap < (gsize) n) {
    self->out = g_renew (gfloat, self->out, n);
    self->cap = n;
  }
  if (n)
    memcpy (self->out, in, n * sizeof (gfloat));
  *out = self->out;
  return n;
}

static gint
test_process (GstGanAudioHop * hop, const gfloat * in, gint n,
    const gfloat ** out)
{
  GstTestHop *self = (GstTestHop *) hop;
  for (gint i = 0; i < n / HOP; i++)
    if (++self->hops == self->fail_at) {
      gc_set_error ("test model: hop %d failed", self->hops);
      return -1;
    }
  return copy_out (self, in, n, out);
}

static gint
test_drain (GstGanAudioHop * hop, const gfloat * in, gint n, guint64 want,
    const gfloat ** out)
{
  return copy_out ((GstTestHop *) hop, in, n, out);
}

static void
test_reset (GstGanAudioHop * hop)
{
}

static void
gst_test_hop_finalize (GObject * obj)
{
  g_free (((GstTestHop *) obj)->out);
  G_OBJECT_CLASS (gst_test_hop_parent_class)->finalize (obj);
}

static void
gst_test_hop_class_init (GstTestHopClass * klass)
{
  GstGanAudioHopClass *hc = GST_GAN_AUDIO_HOP_CLASS (klass);
  GstCaps *caps = gst_caps_from_string ("audio/x-raw, format = F32LE, "
      "layout = interleaved, rate = 16000, channels = 1");
  G_OBJECT_CLASS (klass)->finalize = gst_test_hop_finalize;
  gst_audio_filter_class_add_pad_templates (GST_AUDIO_FILTER_CLASS (klass),
      caps);
  gst_caps_unref (caps);
  gst_element_class_set_static_metadata (GST_ELEMENT_CLASS (klass),
      "test hop", "Filter/Audio", "identity on hops", "gst-gan");
  hc->setup = test_setup;
  hc->process = test_process;
  hc->drain = test_drain;
  hc->reset = test_reset;
}

static void
gst_test_hop_init (GstTestHop * self)
{
}

static GstHarness *
harness (gint fail_at, GstBus ** bus)
{
  GstElement *e = g_object_new (gst_test_hop_get_type (), NULL);
  ((GstTestHop *) e)->fail_at = fail_at;
  *bus = gst_bus_new ();
  gst_element_set_bus (e, *bus);
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, "audio/x-raw, format = F32LE, "
      "layout = interleaved, rate = 16000, channels = 1");
  return h;
}

/* The element holds the bus and the bus's messages hold the element:
 * flush and detach it before the harness lets go. */
static void
teardown (GstHarness * h, GstBus * bus)
{
  gst_bus_set_flushing (bus, TRUE);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  gst_object_unref (bus);
}

static GstBuffer *
ramp (gint n, gint from)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, n * sizeof (gfloat), NULL);
  GstMapInfo m;
  gst_buffer_map (b, &m, GST_MAP_WRITE);
  for (gint i = 0; i < n; i++)
    ((gfloat *) m.data)[i] = (gfloat) (from + i) / 10000.f;
  gst_buffer_unmap (b, &m);
  return b;
}

GST_START_TEST (test_identity_conserves_samples)
{
  GstBus *bus;
  GstHarness *h = harness (0, &bus);
  /* buffers ending inside hops, then EOS drains the partial hop */
  const gint sizes[] = { 100, 333, 160, 7, 1000 };
  gint total = 0;
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    fail_unless_equals_int (gst_harness_push (h, ramp (sizes[i], total)),
        GST_FLOW_OK);
    total += sizes[i];
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  gint got = 0;
  GstBuffer *b;
  while ((b = gst_harness_try_pull (h))) {
    GstMapInfo m;
    gst_buffer_map (b, &m, GST_MAP_READ);
    for (gsize i = 0; i < m.size / sizeof (gfloat); i++, got++)
      fail_unless (((gfloat *) m.data)[i] == (gfloat) got / 10000.f,
          "sample %d changed", got);
    gst_buffer_unmap (b, &m);
    gst_buffer_unref (b);
  }
  fail_unless_equals_int (got, total);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg == NULL, "an error without a failure");
  teardown (h, bus);
}
GST_END_TEST;

GST_START_TEST (test_model_failure_stops_the_stream)
{
  GstBus *bus;
  GstHarness *h = harness (3, &bus);
  fail_unless_equals_int (gst_harness_push (h, ramp (2 * HOP, 0)),
      GST_FLOW_OK);
  /* the third hop fails */
  fail_unless_equals_int (gst_harness_push (h, ramp (2 * HOP, 2 * HOP)),
      GST_FLOW_ERROR);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  GError *err = NULL;
  gchar *dbg = NULL;
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (err->domain == GST_STREAM_ERROR);
  fail_unless (dbg && strstr (dbg, "hop 3 failed"), "debug: %s", dbg);
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  teardown (h, bus);
}
GST_END_TEST;

static Suite *
audio_hop_suite (void)
{
  Suite *s = suite_create ("gstganaudiohop");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_identity_conserves_samples);
  tcase_add_test (tc, test_model_failure_stops_the_stream);
  return s;
}

GST_CHECK_MAIN (audio_hop);
