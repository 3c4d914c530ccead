/* style-flicker — temporal stability of style models on a real clip.
 *
 * Flicker = mean absolute frame-to-frame change of the styled output (8-bit
 * units, over R, G, B) at pixels where the input barely changed (every
 * channel within --threshold of the previous frame): there, any change in
 * the output is the network's own popping, not motion. The input's own
 * change on the same pixels is printed too (codec noise), as the floor.
 *
 * usage: style-flicker --video FILE [--frames N] [--threshold T]
 *          [--threads T] MODEL [MODEL...]
 * Each model is run for every style on the same decoded frames. */
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_style.h"

typedef struct {
  int w, h, n;
  guint8 **rgb;             /* n frames of packed RGB, w*3 bytes per row */
} clip;

static int
decode_clip (const char *path, int max_frames, clip *c)
{
  gchar *uri = gst_filename_to_uri (path, NULL);
  gchar *desc = g_strdup_printf ("uridecodebin uri=\"%s\" ! videoconvert ! "
      "video/x-raw,format=RGB ! appsink name=sink sync=false", uri);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  g_free (desc);
  g_free (uri);
  if (!pipe) {
    fprintf (stderr, "%s\n", err ? err->message : "pipeline failed");
    return -1;
  }
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  memset (c, 0, sizeof *c);
  c->rgb = calloc (max_frames, sizeof *c->rgb);
  while (c->n < max_frames) {
    GstSample *s = gst_app_sink_pull_sample (GST_APP_SINK (sink));
    if (!s)
      break;
    GstVideoInfo info;
    gst_video_info_from_caps (&info, gst_sample_get_caps (s));
    GstVideoFrame f;
    if (gst_video_frame_map (&f, &info, gst_sample_get_buffer (s),
            GST_MAP_READ)) {
      c->w = GST_VIDEO_INFO_WIDTH (&info);
      c->h = GST_VIDEO_INFO_HEIGHT (&info);
      guint8 *dst = malloc ((size_t) c->w * c->h * 3);
      for (int y = 0; y < c->h; y++)
        memcpy (dst + (size_t) y * c->w * 3,
            (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0)
            + y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0), (size_t) c->w * 3);
      c->rgb[c->n++] = dst;
      gst_video_frame_unmap (&f);
    }
    gst_sample_unref (s);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return c->n > 1 ? 0 : -1;
}

/* Styled frame as 8-bit packed RGB, rounded like the element does. */
static void
style_frame (gcn_style *net, gcn_style_work *ws, const float *mix,
    const guint8 *in, int w, int h, float *x, float *y, guint8 *out)
{
  size_t plane = (size_t) w * h;
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      x[c * plane + i] = in[3 * i + c] / 255.f;
  gcn_style_infer (net, x, w, h, mix, y, ws);
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++) {
      float v = y[c * plane + i] * 255.f + 0.5f;
      out[3 * i + c] = v <= 0 ? 0 : v >= 255 ? 255 : (guint8) v;
    }
}

int
main (int argc, char **argv)
{
  const char *video = NULL;
  int max_frames = 120, threshold = 2, threads = 0;
  const char *models[16];
  int n_models = 0;

  gst_init (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--video") && i + 1 < argc)
      video = argv[++i];
    else if (!strcmp (argv[i], "--frames") && i + 1 < argc)
      max_frames = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--threshold") && i + 1 < argc)
      threshold = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--threads") && i + 1 < argc)
      threads = atoi (argv[++i]);
    else if (argv[i][0] != '-' && n_models < 16)
      models[n_models++] = argv[i];
    else {
      fprintf (stderr, "usage: %s --video FILE [--frames N] [--threshold T] "
          "[--threads T] MODEL...\n", argv[0]);
      return 2;
    }
  }
  if (!video || n_models == 0 || max_frames < 2) {
    fprintf (stderr, "need --video and at least one model\n");
    return 2;
  }
  if (threads > 0)
    gc_set_default_threads (threads);

  clip c;
  if (decode_clip (video, max_frames, &c) < 0) {
    fprintf (stderr, "could not decode %s\n", video);
    return 1;
  }
  size_t plane = (size_t) c.w * c.h;
  /* static pixels of each consecutive pair, and the input's change there */
  guint8 **mask = calloc (c.n, sizeof *mask);
  double in_change = 0;
  long in_count = 0;
  for (int t = 1; t < c.n; t++) {
    mask[t] = malloc (plane);
    for (size_t i = 0; i < plane; i++) {
      int m = 0, s = 0;
      for (int k = 0; k < 3; k++) {
        int d = abs ((int) c.rgb[t][3 * i + k] - (int) c.rgb[t - 1][3 * i + k]);
        m = d > m ? d : m;
        s += d;
      }
      mask[t][i] = m <= threshold;
      if (mask[t][i]) {
        in_change += s / 3.0;
        in_count++;
      }
    }
  }
  printf ("clip %s: %d frames %dx%d; static pixels (all channels within "
      "%d): %.1f %% of pixel pairs; input change there %.3f\n", video, c.n,
      c.w, c.h, threshold, 100.0 * in_count / ((double) plane * (c.n - 1)),
      in_change / (in_count ? in_count : 1));

  float *x = malloc (plane * 3 * sizeof *x), *y = malloc (plane * 3 *
      sizeof *y);
  guint8 *prev = malloc (plane * 3), *cur = malloc (plane * 3);
  for (int m = 0; m < n_models; m++) {
    gcn_style net;
    if (gcn_style_load_path (&net, models[m]) < 0) {
      fprintf (stderr, "%s\n", gc_last_error ());
      return 1;
    }
    gcn_style_work ws;
    memset (&ws, 0, sizeof ws);
    double total = 0;
    printf ("model %s\n", models[m]);
    for (int s = 0; s < net.cfg.styles; s++) {
      float mix[GCN_STYLE_MAX_STYLES] = { 0 };
      mix[s] = 1.f;
      double sum = 0;
      long count = 0;
      style_frame (&net, &ws, mix, c.rgb[0], c.w, c.h, x, y, prev);
      for (int t = 1; t < c.n; t++) {
        style_frame (&net, &ws, mix, c.rgb[t], c.w, c.h, x, y, cur);
        for (size_t i = 0; i < plane; i++)
          if (mask[t][i]) {
            sum += (abs ((int) cur[3 * i] - (int) prev[3 * i])
                + abs ((int) cur[3 * i + 1] - (int) prev[3 * i + 1])
                + abs ((int) cur[3 * i + 2] - (int) prev[3 * i + 2])) / 3.0;
            count++;
          }
        guint8 *tmp = prev;
        prev = cur;
        cur = tmp;
      }
      double flicker = sum / (count ? count : 1);
      total += flicker;
      printf ("  %-28s flicker %.3f\n", net.names[s] ? net.names[s] : "?",
          flicker);
    }
    printf ("  %-28s flicker %.3f (input %.3f)\n", "mean over styles",
        total / net.cfg.styles, in_change / (in_count ? in_count : 1));
    gcn_style_work_free (&ws);
    gcn_style_free (&net);
  }
  return 0;
}
