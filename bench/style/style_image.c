/* style_image — image helpers shared by the ganstyle bench tools. */
#include "style_image.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Decode an image to packed RGB at its own size. */
guint8 *
style_decode_image (const char *path, int *w, int *h)
{
  gchar *uri = gst_filename_to_uri (path, NULL);
  gchar *desc = g_strdup_printf ("uridecodebin uri=\"%s\" ! videoconvert ! "
      "video/x-raw,format=RGB ! appsink name=sink sync=false", uri);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  g_free (desc);
  g_free (uri);
  if (!pipe)
    return NULL;
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  GstSample *s = gst_app_sink_pull_sample (GST_APP_SINK (sink));
  guint8 *rgb = NULL;
  if (s) {
    GstVideoInfo info;
    GstVideoFrame f;
    gst_video_info_from_caps (&info, gst_sample_get_caps (s));
    if (gst_video_frame_map (&f, &info, gst_sample_get_buffer (s),
            GST_MAP_READ)) {
      *w = GST_VIDEO_INFO_WIDTH (&info);
      *h = GST_VIDEO_INFO_HEIGHT (&info);
      rgb = malloc ((size_t) *w * *h * 3);
      for (int y = 0; y < *h; y++)
        memcpy (rgb + (size_t) y * *w * 3,
            (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0)
            + y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0), (size_t) *w * 3);
      gst_video_frame_unmap (&f);
    }
    gst_sample_unref (s);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return rgb;
}

/* Centre crop to cw:ch and box-filter down (or sample up) to planar float. */
void
style_fit_cell (const guint8 *rgb, int w, int h, int cw, int ch, float *out)
{
  double scale = (double) w / cw < (double) h / ch ? (double) w / cw
      : (double) h / ch;
  double x0 = (w - cw * scale) / 2, y0 = (h - ch * scale) / 2;
  if (scale < 1) {
    /* enlarging: bilinear, so the frame has no pixel-replication blocks */
    for (int y = 0; y < ch; y++)
      for (int x = 0; x < cw; x++) {
        double sx = x0 + (x + 0.5) * scale - 0.5, sy = y0 + (y + 0.5) * scale
            - 0.5;
        int ix = (int) floor (sx), iy = (int) floor (sy);
        double fx = sx - ix, fy = sy - iy;
        int xa = ix < 0 ? 0 : ix, xb = ix + 1 >= w ? w - 1 : ix + 1;
        int ya = iy < 0 ? 0 : iy, yb = iy + 1 >= h ? h - 1 : iy + 1;
        if (xa >= w)
          xa = w - 1;
        if (ya >= h)
          ya = h - 1;
        for (int c = 0; c < 3; c++) {
#define PX(xx, yy) rgb[((size_t) (yy) * w + (xx)) * 3 + c]
          double v = (1 - fy) * ((1 - fx) * PX (xa, ya) + fx * PX (xb, ya))
              + fy * ((1 - fx) * PX (xa, yb) + fx * PX (xb, yb));
#undef PX
          out[((size_t) c * ch + y) * cw + x] = (float) (v / 255.0);
        }
      }
    return;
  }
  for (int y = 0; y < ch; y++)
    for (int x = 0; x < cw; x++) {
      int sx0 = (int) (x0 + x * scale), sy0 = (int) (y0 + y * scale);
      int sx1 = (int) (x0 + (x + 1) * scale), sy1 = (int) (y0 + (y + 1) * scale);
      if (sx1 <= sx0)
        sx1 = sx0 + 1;
      if (sy1 <= sy0)
        sy1 = sy0 + 1;
      for (int c = 0; c < 3; c++) {
        double sum = 0;
        int n = 0;
        for (int yy = sy0; yy < sy1 && yy < h; yy++)
          for (int xx = sx0; xx < sx1 && xx < w; xx++) {
            sum += rgb[((size_t) yy * w + xx) * 3 + c];
            n++;
          }
        out[((size_t) c * ch + y) * cw + x] = (float) (sum / (n ? n : 1)
            / 255.0);
      }
    }
}

