/* gan-soak: run gandenoise and gansuperres live for a long time, changing
 * their properties as it goes, and report what a long-running pipeline must
 * not show: growing memory, buffers late at the sink, lost samples.
 *
 *   gan-soak [--seconds N] [--change-every S]
 *
 * Two live pipelines in one process, both ending in synchronised sinks:
 *   audiotestsrc is-live ! F32LE 48 kHz mono, 10 ms buffers ! gandenoise ! fakesink
 *   videotestsrc is-live ! I420 160x120 15 fps ! gansuperres ! fakesink
 * Every --change-every seconds a mutable property changes (gandenoise
 * attenuation-limit, vad-threshold, mode, num-threads; gansuperres
 * num-threads). At the end EOS is sent and drained.
 *
 * Reported: RSS after warm-up (one cycle of the changes, at least 10 s),
 * half way and at the end;
 * buffers that reached a sink after their render time (running time + the
 * pipeline's latency; more than 1 ms late); audio samples in vs out (after
 * the EOS drain), and gaps or overlaps in the output timestamps; video
 * frames in vs out. Exit status 1 when any of these is off. */
#include <gst/gst.h>
#include <gst/audio/audio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  GstElement *pipe;
  GstClockTime latency;
  guint64 in_units, out_units;  /* samples (audio) or frames (video) */
  guint64 late, buffers;
  guint64 late_near_change;     /* of those, within 1 s after a change */
  gint64 last_change_us;        /* monotonic time of the last change */
  GstClockTime worst_late;
  GstClockTime next_pts;        /* audio: where the next buffer must start */
  guint64 gap_ns;               /* summed |gap| between output buffers */
  int bpf;                      /* bytes per audio frame; 0 for video */
  gboolean eos;
} soak_pipe;

static long
rss_kib (void)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "VmRSS: %ld", &v) == 1)
      break;
  if (f)
    fclose (f);
  return v;
}

static guint64
units_of (soak_pipe * p, GstBuffer * b)
{
  return p->bpf ? gst_buffer_get_size (b) / p->bpf : 1;
}

static GstPadProbeReturn
count_in (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  soak_pipe *p = data;
  p->in_units += units_of (p, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

/* At the sink, before it waits on the clock: how late is this buffer? */
static GstPadProbeReturn
check_out (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  soak_pipe *p = data;
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
  p->out_units += units_of (p, b);
  p->buffers++;
  GstElement *sink = GST_ELEMENT (gst_pad_get_parent (pad));
  GstClock *clock = gst_element_get_clock (sink);
  GstSegment *seg = NULL;
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  if (ev)
    gst_event_parse_segment (ev, (const GstSegment **) & seg);
  if (clock && seg && GST_BUFFER_PTS_IS_VALID (b)) {
    GstClockTime rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
        GST_BUFFER_PTS (b));
    GstClockTime due = gst_element_get_base_time (sink) + rt + p->latency;
    GstClockTime now = gst_clock_get_time (clock);
    if (now > due + GST_MSECOND) {
      p->late++;
      if (g_get_monotonic_time () - p->last_change_us < G_USEC_PER_SEC)
        p->late_near_change++;
      p->worst_late = MAX (p->worst_late, now - due);
    }
  }
  if (p->bpf && GST_BUFFER_PTS_IS_VALID (b)) {
    if (GST_CLOCK_TIME_IS_VALID (p->next_pts)) {
      GstClockTimeDiff d = GST_CLOCK_DIFF (p->next_pts, GST_BUFFER_PTS (b));
      /* more than a sample's rounding is a gap or an overlap */
      if (ABS (d) > 21 * GST_USECOND)
        p->gap_ns += ABS (d);
    }
    p->next_pts = GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b);
  }
  if (ev)
    gst_event_unref (ev);
  if (clock)
    gst_object_unref (clock);
  gst_object_unref (sink);
  return GST_PAD_PROBE_OK;
}

static void
probe (soak_pipe * p, const char *el, const char *pad, GstPadProbeCallback cb)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (p->pipe), el);
  GstPad *sp = gst_element_get_static_pad (e, pad);
  gst_pad_add_probe (sp, GST_PAD_PROBE_TYPE_BUFFER, cb, p, NULL);
  gst_object_unref (sp);
  gst_object_unref (e);
}

static gboolean
start (soak_pipe * p, const char *name, const char *desc, int bpf)
{
  GError *err = NULL;
  p->name = name;
  p->bpf = bpf;
  p->next_pts = GST_CLOCK_TIME_NONE;
  p->pipe = gst_parse_launch (desc, &err);
  if (!p->pipe) {
    fprintf (stderr, "%s: %s\n", name, err->message);
    return FALSE;
  }
  probe (p, "el", "sink", count_in);
  probe (p, "sink", "sink", check_out);
  if (gst_element_set_state (p->pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    fprintf (stderr, "%s: cannot start\n", name);
    return FALSE;
  }
  return TRUE;
}

/* Bus messages: errors end the run, EOS is noted, latency is tracked. */
static gboolean
poll_bus (soak_pipe * p)
{
  GstBus *bus = gst_element_get_bus (p->pipe);
  GstMessage *m;
  gboolean ok = TRUE;
  while ((m = gst_bus_pop (bus))) {
    switch (GST_MESSAGE_TYPE (m)) {
      case GST_MESSAGE_ERROR:{
        GError *e;
        gst_message_parse_error (m, &e, NULL);
        fprintf (stderr, "%s: error: %s\n", p->name, e->message);
        g_error_free (e);
        ok = FALSE;
        break;
      }
      case GST_MESSAGE_EOS:
        p->eos = TRUE;
        break;
      case GST_MESSAGE_LATENCY:
        gst_bin_recalculate_latency (GST_BIN (p->pipe));
        break;
      default:
        break;
    }
    gst_message_unref (m);
  }
  gst_object_unref (bus);
  GstQuery *q = gst_query_new_latency ();
  if (gst_element_query (p->pipe, q)) {
    GstClockTime min;
    gst_query_parse_latency (q, NULL, &min, NULL);
    p->latency = min;
  }
  gst_query_unref (q);
  return ok;
}

static void
change_properties (soak_pipe * a, soak_pipe * v, int step)
{
  GstElement *dn = gst_bin_get_by_name (GST_BIN (a->pipe), "el");
  GstElement *sr = gst_bin_get_by_name (GST_BIN (v->pipe), "el");
  switch (step % 4) {
    case 0:
      g_object_set (dn, "attenuation-limit", (double) (10 + 7 * (step % 5)),
          NULL);
      break;
    case 1:
      g_object_set (dn, "vad-threshold", 0.1 * (step % 7), NULL);
      break;
    case 2:
      gst_util_set_object_arg (G_OBJECT (dn), "mode",
          step % 8 == 2 ? "resynth" : "mask");
      break;
    default:
      g_object_set (dn, "num-threads", 1 + step % 2, NULL);
      g_object_set (sr, "num-threads", 1 + (step / 4) % 2, NULL);
      break;
  }
  a->last_change_us = v->last_change_us = g_get_monotonic_time ();
  gst_object_unref (dn);
  gst_object_unref (sr);
}

static void
report (soak_pipe * p, const char *unit)
{
  printf ("%-11s %s in %" G_GUINT64_FORMAT ", out %" G_GUINT64_FORMAT
      " (lost %" G_GINT64_FORMAT ")%s; late buffers %" G_GUINT64_FORMAT
      " of %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " within 1 s of a "
      "property change; worst %.1f ms); latency %.1f ms",
      p->name, unit, p->in_units, p->out_units,
      (gint64) p->in_units - (gint64) p->out_units,
      p->eos ? "" : " [no EOS]", p->late, p->buffers, p->late_near_change,
      p->worst_late / 1e6, p->latency / 1e6);
  if (p->bpf)
    printf ("; timestamp gaps %.3f ms", p->gap_ns / 1e6);
  printf ("\n");
}

int
main (int argc, char **argv)
{
  double seconds = 600, every = 5;
  gst_init (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--seconds") && i + 1 < argc)
      seconds = atof (argv[++i]);
    else if (!strcmp (argv[i], "--change-every") && i + 1 < argc)
      every = atof (argv[++i]);
    else {
      fprintf (stderr, "usage: %s [--seconds N] [--change-every S]\n",
          argv[0]);
      return 2;
    }
  }
  soak_pipe a = { 0 }, v = { 0 };
  if (!start (&a, "gandenoise", "audiotestsrc is-live=true wave=pink-noise "
          "volume=0.3 samplesperbuffer=480 ! audio/x-raw,format=F32LE,"
          "rate=48000,channels=1 ! gandenoise name=el ! fakesink name=sink "
          "sync=true", 4)
      || !start (&v, "gansuperres", "videotestsrc is-live=true pattern=ball "
          "! video/x-raw,format=I420,width=160,height=120,framerate=15/1 ! "
          "gansuperres name=el scale=2 ! fakesink name=sink sync=true", 0))
    return 1;

  /* warm-up: one full cycle of the changes (every mode has run once and
   * made its one-time allocations), at least 10 s */
  double warm = MIN (MAX (10.0, 8 * every + 1), seconds / 2);
  gint64 t0 = g_get_monotonic_time ();
  long rss_warm = -1, rss_peak = 0, rss_mid = -1;
  int step = 0;
  gboolean ok = TRUE;
  double next_change = every;
  for (;;) {
    g_usleep (100 * 1000);
    double t = (g_get_monotonic_time () - t0) / 1e6;
    ok = poll_bus (&a) && poll_bus (&v);
    if (!ok || t >= seconds)
      break;
    if (t >= warm && rss_warm < 0)
      rss_warm = rss_kib ();
    if (t >= (warm + seconds) / 2 && rss_mid < 0)
      rss_mid = rss_kib ();
    rss_peak = MAX (rss_peak, rss_kib ());
    if (t >= next_change) {
      change_properties (&a, &v, step++);
      next_change += every;
    }
  }
  long rss_end = rss_kib ();
  gst_element_send_event (a.pipe, gst_event_new_eos ());
  gst_element_send_event (v.pipe, gst_event_new_eos ());
  for (int i = 0; i < 100 && !(a.eos && v.eos); i++) {
    g_usleep (50 * 1000);
    poll_bus (&a);
    poll_bus (&v);
  }
  gst_element_set_state (a.pipe, GST_STATE_NULL);
  gst_element_set_state (v.pipe, GST_STATE_NULL);

  printf ("soak: %.0f s, %d property changes\n", seconds, step);
  printf ("RSS: %ld KiB after %.0f s warm-up, %ld KiB half way, %ld KiB at "
      "the end (growth %+ld KiB), peak %ld KiB\n", rss_warm, warm, rss_mid,
      rss_end, rss_end - rss_warm, rss_peak);
  report (&a, "samples");
  report (&v, "frames");
  gboolean bad = !ok || a.late || v.late || a.in_units != a.out_units
      || v.in_units != v.out_units || a.gap_ns || !a.eos || !v.eos;
  gst_object_unref (a.pipe);
  gst_object_unref (v.pipe);
  return bad ? 1 : 0;
}
