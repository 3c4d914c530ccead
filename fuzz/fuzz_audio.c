/* libFuzzer target for the audio elements' streaming path: gandenoise and
 * ganvocoder fed through a GstHarness with buffers of any size, samples of
 * any bit pattern (NaN, Inf, denormals, huge values), DISCONT flags, caps
 * changes, flushes and property changes while playing, as the fuzz input
 * dictates. After EOS every output sample must be finite and no sample may
 * be lost: gandenoise gives out what went in, ganvocoder
 * round (in * 16000 / rate) per stretch between restarts. A violation
 * aborts, so libFuzzer reports it like a crash.
 *
 * Input: byte 0 picks the element and its start caps; then commands of one
 * op byte and a little-endian 16-bit argument, payload bytes following. */
#include <gst/gst.h>
#include <gst/audio/audio.h>
#include <gst/check/gstharness.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_vocoder.h"

static const int dn_rates[] = { 8000, 16000, 24000, 32000, 44100, 48000 };
static const int voc_rates[] = { 4000, 8000, 11025, 12000, 16000 };

typedef struct {
  GstHarness *h;
  gboolean vocoder, s16;
  int rate, channels;
  guint64 seg_in;               /* input frames since the stream restarted */
  guint64 owed;                 /* output frames owed by finished stretches */
  guint64 out;                  /* output frames pulled */
  guint64 pts;                  /* input frames, for timestamps */
} run_state;

static void
check (int cond)
{
  if (!cond)
    abort ();
}

static guint64
owed_for (const run_state *r, guint64 in)
{
  return r->vocoder ? (guint64) gcn_resample_len ((long) in, r->rate, 16000)
      : in;
}

/* A stretch ends (DISCONT with input, a new format, EOS): its samples are
 * owed in full. */
static void
end_stretch (run_state *r)
{
  r->owed += owed_for (r, r->seg_in);
  r->seg_in = 0;
}

static void
pull (run_state *r)
{
  GstBuffer *b;
  while ((b = gst_harness_try_pull (r->h))) {
    GstMapInfo m;
    gst_buffer_map (b, &m, GST_MAP_READ);
    int bps = r->s16 ? 2 : 4, ch = r->vocoder ? 1 : r->channels;
    check (m.size % (bps * ch) == 0);
    if (!r->s16)
      for (gsize i = 0; i < m.size / 4; i++)
        check (isfinite (((const float *) m.data)[i]));
    r->out += m.size / (bps * ch);
    gst_buffer_unmap (b, &m);
    gst_buffer_unref (b);
  }
}

static void
set_caps (run_state *r)
{
  const char *fmt = r->s16 ? "S16LE" : "F32LE";
  gchar *in = g_strdup_printf ("audio/x-raw, format=%s, layout=interleaved, "
      "rate=%d, channels=%d", fmt, r->rate, r->channels);
  gchar *out = r->vocoder ? g_strdup_printf ("audio/x-raw, format=%s, "
      "layout=interleaved, rate=16000, channels=1", fmt) : g_strdup (in);
  gst_harness_set_src_caps_str (r->h, in);
  gst_harness_set_sink_caps_str (r->h, out);
  g_free (in);
  g_free (out);
}

static void
pick_caps (run_state *r, uint8_t sel)
{
  r->s16 = sel & 1;
  if (r->vocoder) {
    r->rate = voc_rates[(sel >> 1) % G_N_ELEMENTS (voc_rates)];
    r->channels = 1;
  } else {
    r->rate = dn_rates[(sel >> 1) % G_N_ELEMENTS (dn_rates)];
    r->channels = 1 + ((sel >> 4) & 1);
  }
}

static GstBuffer *
make_input (run_state *r, const uint8_t *data, size_t avail, int frames,
    size_t *used)
{
  int bps = r->s16 ? 2 : 4;
  gsize bytes = (gsize) frames * r->channels * bps;
  GstBuffer *b = gst_buffer_new_allocate (NULL, bytes, NULL);
  GstMapInfo m;
  gst_buffer_map (b, &m, GST_MAP_WRITE);
  /* the payload's bytes, repeated: any bit pattern reaches the element */
  for (gsize i = 0; i < bytes; i++)
    m.data[i] = avail ? data[i % avail] : 0;
  gst_buffer_unmap (b, &m);
  *used = MIN (avail, bytes);
  GST_BUFFER_PTS (b) = gst_util_uint64_scale_int (r->pts, GST_SECOND,
      r->rate);
  GST_BUFFER_DURATION (b) = gst_util_uint64_scale_int (frames, GST_SECOND,
      r->rate);
  return b;
}

GST_PLUGIN_STATIC_DECLARE (gan);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* the elements are compiled in; no plugin needs to be found */
  g_setenv ("GST_REGISTRY_FORK", "no", TRUE);
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", "", TRUE);
  gst_init (argc, argv);
  GST_PLUGIN_STATIC_REGISTER (gan);
  gc_set_default_threads (1);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  run_state r = { 0 };
  r.vocoder = data[0] & 0x80;
  pick_caps (&r, data[0]);
  r.h = gst_harness_new (r.vocoder ? "ganvocoder" : "gandenoise");
  check (r.h != NULL);
  if (!r.vocoder && (data[0] & 0x40))
    gst_util_set_object_arg (G_OBJECT (r.h->element), "mode", "resynth");
  set_caps (&r);
  size_t pos = 1;
  int ops = 0;
  while (pos + 3 <= size && ops++ < 64) {
    uint8_t op = data[pos];
    int arg = data[pos + 1] | (data[pos + 2] << 8);
    pos += 3;
    switch (op % 8) {
      default:{                /* a buffer of 1 .. 4096 frames */
        size_t used;
        int frames = 1 + arg % 4096;
        GstBuffer *b = make_input (&r, data + pos, size - pos, frames, &used);
        if (op & 0x80)
          GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
        if ((op & 0x80) && r.seg_in > 0)
          end_stretch (&r);
        pos += used;
        check (gst_harness_push (r.h, b) == GST_FLOW_OK);
        r.seg_in += frames;
        r.pts += frames;
        break;
      }
      case 5:{                 /* new caps mid-stream */
        run_state nw = r;
        pick_caps (&nw, (uint8_t) arg);
        if (nw.rate != r.rate || nw.s16 != r.s16
            || nw.channels != r.channels) {
          /* the element drains the old stream in the old format */
          end_stretch (&r);
          set_caps (&nw);
          pull (&r);
          r.rate = nw.rate;
          r.s16 = nw.s16;
          r.channels = nw.channels;
          r.pts = 0;
        }
        break;
      }
      case 6:                  /* a property change while playing */
        if (arg & 1)
          g_object_set (r.h->element, "num-threads", (arg >> 1) % 3, NULL);
        else if (!r.vocoder)
          g_object_set (r.h->element, "attenuation-limit",
              (double) ((arg >> 1) % 100), NULL);
        break;
      case 7:                  /* flush: everything inside is dropped */
        pull (&r);
        check (gst_harness_push_event (r.h, gst_event_new_flush_start ()));
        check (gst_harness_push_event (r.h,
                gst_event_new_flush_stop (TRUE)));
        {
          /* flush-stop dropped the segment: data needs a new one */
          GstSegment seg;
          gst_segment_init (&seg, GST_FORMAT_TIME);
          check (gst_harness_push_event (r.h, gst_event_new_segment (&seg)));
        }
        r.seg_in = 0;
        r.owed = r.out;
        break;
    }
    pull (&r);
  }
  check (gst_harness_push_event (r.h, gst_event_new_eos ()));
  end_stretch (&r);
  pull (&r);
  check (r.out == r.owed);
  gst_harness_teardown (r.h);
  return 0;
}
