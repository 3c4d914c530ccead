/* style-sheet — render a PNG grid: one row per content image, the input in
 * the first column and then every style of the model.
 *
 * usage: style-sheet --model FILE --out FILE.png [--cell WxH]
 *            [--paintings DIR] IMAGE...
 * With --paintings, a first row shows each style's painting (DIR/<style
 * name>.jpg) above its column.
 * Images are decoded with GStreamer, centre-cropped to the cell's aspect
 * and box-filtered to the cell size; scripts/style-sheet.sh drives it. */
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_style.h"
#include "style_image.h"

#define GAP 4

static void
put_cell (guint8 *sheet, int sw, int col, int row, const float *p, int cw,
    int ch)
{
  int ox = GAP + col * (cw + GAP), oy = GAP + row * (ch + GAP);
  for (int y = 0; y < ch; y++)
    for (int x = 0; x < cw; x++)
      for (int c = 0; c < 3; c++) {
        float v = p[((size_t) c * ch + y) * cw + x] * 255.f + 0.5f;
        sheet[((size_t) (oy + y) * sw + ox + x) * 3 + c] = v <= 0 ? 0 : v >= 255
            ? 255 : (guint8) v;
      }
}

static int
write_png (const char *path, const guint8 *rgb, int w, int h)
{
  gchar *desc = g_strdup_printf ("appsrc name=src ! videoconvert ! pngenc ! "
      "filesink location=\"%s\"", path);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  g_free (desc);
  if (!pipe)
    return -1;
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, w, h);
  GstCaps *caps = gst_video_info_to_caps (&info);
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  gst_caps_unref (caps);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  GstVideoFrame f;
  gst_video_frame_map (&f, &info, buf, GST_MAP_WRITE);
  for (int y = 0; y < h; y++)
    memcpy ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0)
        + y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0), rgb + (size_t) y * w * 3,
        (size_t) w * 3);
  gst_video_frame_unmap (&f);
  GST_BUFFER_PTS (buf) = 0;
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  int rc = msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS ? 0 : -1;
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipe);
  return rc;
}

int
main (int argc, char **argv)
{
  const char *model = NULL, *out = NULL, *paintings = NULL;
  int cw = 256, ch = 192;
  const char *images[32];
  int n_images = 0;

  gst_init (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--model") && i + 1 < argc)
      model = argv[++i];
    else if (!strcmp (argv[i], "--out") && i + 1 < argc)
      out = argv[++i];
    else if (!strcmp (argv[i], "--paintings") && i + 1 < argc)
      paintings = argv[++i];
    else if (!strcmp (argv[i], "--cell") && i + 1 < argc)
      sscanf (argv[++i], "%dx%d", &cw, &ch);
    else if (argv[i][0] != '-' && n_images < 32)
      images[n_images++] = argv[i];
    else {
      fprintf (stderr, "usage: %s --model FILE --out FILE.png [--cell WxH] "
          "[--paintings DIR] IMAGE...\n", argv[0]);
      return 2;
    }
  }
  if (!model || !out || !n_images || cw < 4 || ch < 4 || cw > 2048
      || ch > 2048) {
    fprintf (stderr, "need --model, --out and images\n");
    return 2;
  }
  gcn_style net;
  if (gcn_style_load_path (&net, model) < 0) {
    fprintf (stderr, "%s\n", gc_last_error ());
    return 1;
  }
  int cols = 1 + net.cfg.styles;
  int top = paintings ? 1 : 0;
  int sw = GAP + cols * (cw + GAP), sh = GAP + (top + n_images) * (ch + GAP);
  guint8 *sheet = malloc ((size_t) sw * sh * 3);
  memset (sheet, 255, (size_t) sw * sh * 3);
  float *x = malloc ((size_t) 3 * cw * ch * sizeof *x);
  float *y = malloc ((size_t) 3 * cw * ch * sizeof *y);
  gcn_style_work ws;
  memset (&ws, 0, sizeof ws);
  for (int s = 0; paintings && s < net.cfg.styles; s++) {
    char path[4096];
    int w, h;
    snprintf (path, sizeof path, "%s/%s.jpg", paintings, net.names[s]
        ? net.names[s] : "");
    guint8 *rgb = style_decode_image (path, &w, &h);
    if (!rgb) {
      fprintf (stderr, "could not decode %s\n", path);
      return 1;
    }
    style_fit_cell (rgb, w, h, cw, ch, x);
    free (rgb);
    put_cell (sheet, sw, 1 + s, 0, x, cw, ch);
  }
  for (int r = 0; r < n_images; r++) {
    int w, h;
    guint8 *rgb = style_decode_image (images[r], &w, &h);
    if (!rgb) {
      fprintf (stderr, "could not decode %s\n", images[r]);
      return 1;
    }
    style_fit_cell (rgb, w, h, cw, ch, x);
    free (rgb);
    put_cell (sheet, sw, 0, top + r, x, cw, ch);
    for (int s = 0; s < net.cfg.styles; s++) {
      float mix[GCN_STYLE_MAX_STYLES] = { 0 };
      mix[s] = 1.f;
      gcn_style_infer (&net, x, cw, ch, mix, y, &ws);
      put_cell (sheet, sw, 1 + s, top + r, y, cw, ch);
    }
  }
  if (write_png (out, sheet, sw, sh) < 0) {
    fprintf (stderr, "could not write %s\n", out);
    return 1;
  }
  char *names = gcn_style_names_joined (&net);
  printf ("%s: %dx%d, columns: input,%s\n", out, sw, sh, names);
  free (names);
  return 0;
}
