/* bench-style — frames per second of ganstyle at 640x360 and 1280x720 with
 * 1 and 2 threads, next to videoconvert (I420 -> RGB) measured in the same
 * run on the same frames, so the figures can be compared across machines
 * and loads as ratios.
 *
 * usage: bench-style [--seconds S] [--model FILE] [--format I420|RGB]
 * Run with GST_PLUGIN_PATH pointing at build/plugins (meson devenv). */
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gc_core.h"
#include "gcn_style.h"

static double
cpu_seconds (void)
{
  struct timespec t;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Frames per second of one element over about `seconds` of wall time; the
 * process CPU time per frame goes to *cpu_ms (on a loaded machine the wall
 * rate drops, the CPU cost much less). */
static double
measure (const char *launch, const char *fmt, int w, int h, double seconds,
    const char *model, int threads, double *cpu_ms)
{
  /* properties go into the description: the harness starts the element
   * at once, and the model is loaded at start */
  gchar *desc = g_strdup (launch);
  if (model || threads > 0) {
    gchar *d = g_strdup_printf ("%s num-threads=%d%s%s%s", launch, threads,
        model ? " model=\"" : "", model ? model : "", model ? "\"" : "");
    g_free (desc);
    desc = d;
  }
  GstHarness *hn = gst_harness_new_parse (desc);
  g_free (desc);
  if (!hn)
    return -1;
  gchar *caps = g_strdup_printf ("video/x-raw, format=%s, width=%d, "
      "height=%d, framerate=30/1", fmt, w, h);
  gst_harness_set_src_caps_str (hn, caps);
  g_free (caps);

  GstVideoInfo info;
  gst_video_info_set_format (&info, gst_video_format_from_string (fmt), w, h);
  GstBuffer *frame = gst_buffer_new_allocate (NULL, info.size, NULL);
  GstMapInfo map;
  gst_buffer_map (frame, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = (guint8) ((i * 2654435761u) >> 24);
  gst_buffer_unmap (frame, &map);

  /* warm up: buffers, pool threads, caches */
  for (int i = 0; i < 3; i++) {
    GstBuffer *o = gst_harness_push_and_pull (hn, gst_buffer_ref (frame));
    if (!o) {
      gst_buffer_unref (frame);
      gst_harness_teardown (hn);
      return -1;
    }
    gst_buffer_unref (o);
  }
  gint64 t0 = g_get_monotonic_time (), t;
  double c0 = cpu_seconds ();
  long n = 0;
  do {
    GstBuffer *o = gst_harness_push_and_pull (hn, gst_buffer_ref (frame));
    gst_buffer_unref (o);
    n++;
    t = g_get_monotonic_time ();
  } while (t - t0 < seconds * 1e6 || n < 5);
  if (cpu_ms)
    *cpu_ms = (cpu_seconds () - c0) * 1e3 / n;
  gst_buffer_unref (frame);
  gst_harness_teardown (hn);
  return n / ((t - t0) / 1e6);
}

int
main (int argc, char **argv)
{
  double seconds = 3.0;
  const char *model = NULL, *fmt = "I420";
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--seconds") && i + 1 < argc)
      seconds = atof (argv[++i]);
    else if (!strcmp (argv[i], "--model") && i + 1 < argc)
      model = argv[++i];
    else if (!strcmp (argv[i], "--format") && i + 1 < argc)
      fmt = argv[++i];
    else if (!strcmp (argv[i], "--quick"))
      seconds = 1.0;
    else {
      fprintf (stderr, "usage: %s [--seconds S] [--model FILE] "
          "[--format I420|RGB|...] [--quick]\n", argv[0]);
      return 2;
    }
  }
  gst_init (&argc, &argv);
  GstElementFactory *f = gst_element_factory_find ("ganstyle");
  if (!f) {
    fprintf (stderr, "ganstyle not found: set GST_PLUGIN_PATH to "
        "build/plugins\n");
    return 1;
  }
  gst_object_unref (f);

  static const int sizes[][2] = { { 640, 360 }, { 1280, 720 } };
  static const double target[] = { 30.0, 10.0 };
  gcn_style_config cfg;
  gcn_style_config_default (&cfg);
  if (model) {
    gcn_style net;
    if (gcn_style_load_path (&net, model) < 0) {
      fprintf (stderr, "%s\n", gc_last_error ());
      return 1;
    }
    cfg = net.cfg;
    gcn_style_free (&net);
  }
  int fail = 0;
  printf ("ganstyle speed, input %s, %.1f s per figure, %d cores\n", fmt,
      seconds, gc_num_cores ());
  printf ("%-10s %7s %12s %13s %16s %8s %10s %s\n", "size", "threads",
      "ganstyle fps", "CPU ms/frame", "videoconvert fps", "ratio", "GFLOP/s",
      "bar");
  for (int s = 0; s < 2; s++) {
    int w = sizes[s][0], h = sizes[s][1];
    char conv[256];
    snprintf (conv, sizeof conv, "videoconvert ! capsfilter caps=video/x-raw,format=%s",
        strcmp (fmt, "RGB") ? "RGB" : "I420");
    for (int threads = 1; threads <= 2; threads++) {
      double cpu_ms;
      double base = measure (conv, fmt, w, h, seconds, NULL, 0, NULL);
      double fps = measure ("ganstyle", fmt, w, h, seconds, model, threads,
          &cpu_ms);
      if (fps < 0 || base < 0) {
        fprintf (stderr, "pipeline failed at %dx%d\n", w, h);
        return 1;
      }
      double gflops = 2.0 * gcn_style_macs (&cfg, (w + 3) / 4 * 4,
          (h + 3) / 4 * 4) * fps / 1e9;
      char bar[32] = "-";
      if (threads == 2) {
        snprintf (bar, sizeof bar, "%s (>= %.0f)", fps >= target[s] ? "ok"
            : "MISSED", target[s]);
        fail |= fps < target[s];
      }
      printf ("%4dx%-5d %7d %12.1f %13.1f %16.1f %8.3f %10.1f %s\n", w, h,
          threads, fps, cpu_ms, base, fps / base, gflops, bar);
    }
  }
  return fail ? 3 : 0;
}
