/* superres-eval — quality of gansuperres against the usual baselines, the
 * way the super-resolution literature measures it: high-resolution images
 * cropped to a multiple of the scale, low-resolution inputs made with
 * MATLAB-style bicubic imresize (8-bit RGB), PSNR and SSIM on BT.601 luma
 * with `scale` pixels shaved at each border, plus the gradient energy of
 * the result relative to the original's (1.0 = as sharp as the original).
 *
 *   superres-eval --scale 2 DIR_OR_PNG...          table rows (markdown)
 *   superres-eval --scale 4 --sheet out.png --crop X,Y,W,H img.png
 *       side-by-side crop: bicubic | fidelity | GAN | original
 *
 * Methods: bicubic (MATLAB imresize), videoscale lanczos and catrom, and
 * the gansuperres element (fidelity and gan models, or --fidelity/--gan
 * model files), every one run on the same 8-bit RGB input. */
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcn_resize.h"
#include "gt_metrics.h"

typedef struct {
  int w, h;
  guint8 *px;               /* packed RGB, stride 3 w */
} rgb_image;

static void
image_free (rgb_image *im)
{
  g_free (im->px);
  im->px = NULL;
}

/* Copy the frame of a sample into a tightly packed RGB image. */
static gboolean
image_from_sample (GstSample *s, rgb_image *im)
{
  GstVideoInfo info;
  GstVideoFrame f;
  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (s))
      || !gst_video_frame_map (&f, &info, gst_sample_get_buffer (s),
          GST_MAP_READ))
    return FALSE;
  im->w = GST_VIDEO_INFO_WIDTH (&info);
  im->h = GST_VIDEO_INFO_HEIGHT (&info);
  im->px = g_malloc ((gsize) im->w * im->h * 3);
  for (int y = 0; y < im->h; y++)
    memcpy (im->px + (gsize) y * im->w * 3,
        (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0)
        + (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0), im->w * 3);
  gst_video_frame_unmap (&f);
  return TRUE;
}

static GstSample *
pull_to_eos (GstElement *p)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  gst_element_set_state (p, GST_STATE_PLAYING);
  /* Wait for the sample, or for an error (which never brings EOS). */
  GstBus *bus = gst_element_get_bus (p);
  GstSample *s = NULL;
  GstMessage *m = NULL;
  while (!s && !m && !gst_app_sink_is_eos (GST_APP_SINK (sink))) {
    s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), GST_SECOND / 10);
    if (!s)
      m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  }
  if (!m)
    m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (m) {
    GError *err = NULL;
    gst_message_parse_error (m, &err, NULL);
    fprintf (stderr, "error: %s\n", err->message);
    g_clear_error (&err);
    gst_message_unref (m);
  }
  gst_object_unref (bus);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  return s;
}

static gboolean
load_png (const char *path, rgb_image *im)
{
  gchar *esc = g_strescape (path, NULL);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "videoconvert ! video/x-raw,format=RGB ! appsink name=sink", esc);
  GstElement *p = gst_parse_launch (desc, NULL);
  g_free (desc);
  g_free (esc);
  if (!p)
    return FALSE;
  GstSample *s = pull_to_eos (p);
  gst_object_unref (p);
  gboolean ok = s && image_from_sample (s, im);
  if (s)
    gst_sample_unref (s);
  return ok;
}

/* Run `element` (a gst-launch fragment) on an RGB image to w x h. */
static gboolean
run_element (const char *element, const rgb_image *in, int w, int h,
    rgb_image *out)
{
  gchar *desc = g_strdup_printf ("appsrc name=src ! %s ! "
      "video/x-raw,format=RGB,width=%d,height=%d ! appsink name=sink",
      element, w, h);
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  g_free (desc);
  if (!p) {
    fprintf (stderr, "%s: %s\n", element, err ? err->message : "?");
    g_clear_error (&err);
    return FALSE;
  }
  GstElement *src = gst_bin_get_by_name (GST_BIN (p), "src");
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, in->w, in->h);
  GstCaps *caps = gst_video_info_to_caps (&info);
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  gst_caps_unref (caps);
  GstBuffer *b = gst_buffer_new_allocate (NULL, info.size, NULL);
  GstVideoFrame f;
  gst_video_frame_map (&f, &info, b, GST_MAP_WRITE);
  for (int y = 0; y < in->h; y++)
    memcpy ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0)
        + (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0),
        in->px + (gsize) y * in->w * 3, in->w * 3);
  gst_video_frame_unmap (&f);
  GST_BUFFER_PTS (b) = 0;
  GST_BUFFER_DURATION (b) = GST_SECOND / 30;
  gst_app_src_push_buffer (GST_APP_SRC (src), b);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_object_unref (src);
  GstSample *s = pull_to_eos (p);
  gst_object_unref (p);
  gboolean ok = s && image_from_sample (s, out);
  if (s)
    gst_sample_unref (s);
  return ok && out->w == w && out->h == h;
}

static float *
to_planar (const rgb_image *im)
{
  gsize n = (gsize) im->w * im->h;
  float *p = g_new (float, 3 * n);
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      p[c * n + i] = im->px[3 * i + c] / 255.f;
  return p;
}

#define N_METHODS 5
static const char *method_names[N_METHODS] = { "bicubic (MATLAB imresize)",
  "videoscale lanczos", "videoscale catrom", "gansuperres fidelity",
  "gansuperres gan"
};

typedef struct {
  int scale;
  const char *fid_model, *gan_model;
} eval_opts;

/* All methods' outputs for one image (HR size). */
static gboolean
upscale_all (const eval_opts *o, const rgb_image *hr, rgb_image *lr,
    rgb_image out[N_METHODS])
{
  int s = o->scale, lw = hr->w / s, lh = hr->h / s;
  lr->w = lw;
  lr->h = lh;
  lr->px = g_malloc ((gsize) lw * lh * 3);
  out[0].w = hr->w;
  out[0].h = hr->h;
  out[0].px = g_malloc ((gsize) hr->w * hr->h * 3);
  if (gcn_imresize_bicubic_u8 (hr->px, hr->w, hr->h, hr->w * 3, lr->px, lw,
          lh, lw * 3, 3) < 0
      || gcn_imresize_bicubic_u8 (lr->px, lw, lh, lw * 3, out[0].px, hr->w,
          hr->h, hr->w * 3, 3) < 0)
    return FALSE;
  gchar *fid = o->fid_model ? g_strdup_printf ("gansuperres scale=%d "
      "model=\"%s\"", s, o->fid_model) : g_strdup_printf ("gansuperres "
      "scale=%d model-type=fidelity", s);
  gchar *gan = o->gan_model ? g_strdup_printf ("gansuperres scale=%d "
      "model=\"%s\"", s, o->gan_model) : g_strdup_printf ("gansuperres "
      "scale=%d model-type=gan", s);
  const char *el[N_METHODS] = { NULL, "videoscale method=lanczos",
    "videoscale method=catrom", fid, gan
  };
  gboolean ok = TRUE;
  for (int m = 1; m < N_METHODS && ok; m++)
    ok = run_element (el[m], lr, hr->w, hr->h, &out[m]);
  g_free (fid);
  g_free (gan);
  return ok;
}


/* ---- luma-only network vs an RGB one: how much could chroma give? -------
 * Replace the chroma (BT.601 Cb/Cr) of `img` by that of `chroma_src`,
 * keeping img's luma, and measure RGB PSNR. With the original's chroma this
 * is the best any RGB network could do on colour given our luma; with
 * bicubic chroma it shows what a better chroma upscaler alone would add. */
static void
swap_chroma (const rgb_image *img, const rgb_image *chroma_src, rgb_image *out)
{
  out->w = img->w;
  out->h = img->h;
  out->px = g_malloc ((gsize) img->w * img->h * 3);
  for (gsize i = 0; i < (gsize) img->w * img->h; i++) {
    const guint8 *a = img->px + 3 * i, *b = chroma_src->px + 3 * i;
    double y = 0.299 * a[0] + 0.587 * a[1] + 0.114 * a[2];
    double cb = -0.168736 * b[0] - 0.331264 * b[1] + 0.5 * b[2];
    double cr = 0.5 * b[0] - 0.418688 * b[1] - 0.081312 * b[2];
    double rgb[3] = { y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr,
      y + 1.772 * cb };
    for (int c = 0; c < 3; c++)
      out->px[3 * i + c] = (guint8) (rgb[c] < 0 ? 0 : rgb[c] > 255 ? 255
          : rgb[c] + 0.5);
  }
}

static double
rgb_psnr (const rgb_image *a, const rgb_image *b, int shave)
{
  float *x = to_planar (a), *y = to_planar (b);
  double p, s;
  gm_image_quality (x, y, a->w, a->h, shave, 0, &p, &s);
  g_free (x);
  g_free (y);
  return p;
}

static int
collect_images (const char *arg, GPtrArray *paths)
{
  if (g_file_test (arg, G_FILE_TEST_IS_DIR)) {
    GDir *d = g_dir_open (arg, 0, NULL);
    const char *n;
    GPtrArray *local = g_ptr_array_new ();
    while (d && (n = g_dir_read_name (d)))
      if (g_str_has_suffix (n, ".png") || g_str_has_suffix (n, ".bmp"))
        g_ptr_array_add (local, g_build_filename (arg, n, NULL));
    if (d)
      g_dir_close (d);
    /* sorted, so tables list images in a stable order */
    for (guint i = 0; i < local->len; i++)
      for (guint j = i + 1; j < local->len; j++)
        if (strcmp (local->pdata[i], local->pdata[j]) > 0) {
          gpointer t = local->pdata[i];
          local->pdata[i] = local->pdata[j];
          local->pdata[j] = t;
        }
    for (guint i = 0; i < local->len; i++)
      g_ptr_array_add (paths, local->pdata[i]);
    g_ptr_array_free (local, TRUE);
  } else {
    g_ptr_array_add (paths, g_strdup (arg));
  }
  return paths->len;
}

static int
write_png (const char *path, const rgb_image *im)
{
  gchar *esc = g_strescape (path, NULL);
  gchar *desc = g_strdup_printf ("videoconvert ! pngenc ! filesink "
      "location=\"%s\"", esc);
  g_free (esc);
  gchar *full = g_strdup_printf ("appsrc name=src ! %s", desc);
  g_free (desc);
  GstElement *p = gst_parse_launch (full, NULL);
  g_free (full);
  if (!p)
    return -1;
  GstElement *src = gst_bin_get_by_name (GST_BIN (p), "src");
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, im->w, im->h);
  GstCaps *caps = gst_video_info_to_caps (&info);
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  gst_caps_unref (caps);
  GstBuffer *b = gst_buffer_new_allocate (NULL, info.size, NULL);
  GstVideoFrame f;
  gst_video_frame_map (&f, &info, b, GST_MAP_WRITE);
  for (int y = 0; y < im->h; y++)
    memcpy ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0)
        + (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0),
        im->px + (gsize) y * im->w * 3, im->w * 3);
  gst_video_frame_unmap (&f);
  GST_BUFFER_PTS (b) = 0;
  gst_app_src_push_buffer (GST_APP_SRC (src), b);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_object_unref (src);
  gst_element_set_state (p, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  int rc = m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS ? 0 : -1;
  if (m)
    gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  return rc;
}

static void modcrop (rgb_image *im, int s);

/* bicubic | fidelity | GAN | original, crop of each, 6 px white gaps. */
static int
make_sheet (const eval_opts *o, const char *img, const char *out_path,
    int cx, int cy, int cw, int ch)
{
  rgb_image hr = { 0 }, lr = { 0 }, res[N_METHODS] = { 0 };
  if (!load_png (img, &hr)) {
    fprintf (stderr, "cannot read %s\n", img);
    return 1;
  }
  modcrop (&hr, o->scale);
  if (cx < 0 || cy < 0 || cw < 1 || ch < 1 || cx + cw > hr.w
      || cy + ch > hr.h) {
    fprintf (stderr, "crop outside the image (%dx%d)\n", hr.w, hr.h);
    return 1;
  }
  if (!upscale_all (o, &hr, &lr, res))
    return 1;
  const rgb_image *cols[4] = { &res[0], &res[3], &res[4], &hr };
  int gap = 6;
  rgb_image sheet = { 4 * cw + 3 * gap, ch, NULL };
  sheet.px = g_malloc ((gsize) sheet.w * sheet.h * 3);
  memset (sheet.px, 255, (gsize) sheet.w * sheet.h * 3);
  for (int k = 0; k < 4; k++)
    for (int y = 0; y < ch; y++)
      memcpy (sheet.px + ((gsize) y * sheet.w + k * (cw + gap)) * 3,
          cols[k]->px + ((gsize) (cy + y) * cols[k]->w + cx) * 3, cw * 3);
  int rc = write_png (out_path, &sheet);
  printf ("wrote %s (%dx%d): bicubic | fidelity | GAN | original\n",
      out_path, sheet.w, sheet.h);
  image_free (&sheet);
  image_free (&hr);
  image_free (&lr);
  for (int m = 0; m < N_METHODS; m++)
    image_free (&res[m]);
  return rc ? 1 : 0;
}

/* Crop to a multiple of the scale (the usual "modcrop"). */
static void
modcrop (rgb_image *im, int s)
{
  int w = im->w / s * s, h = im->h / s * s;
  if (w == im->w && h == im->h)
    return;
  guint8 *px = g_malloc ((gsize) w * h * 3);
  for (int y = 0; y < h; y++)
    memcpy (px + (gsize) y * w * 3, im->px + (gsize) y * im->w * 3, w * 3);
  g_free (im->px);
  im->px = px;
  im->w = w;
  im->h = h;
}

int
main (int argc, char **argv)
{
  eval_opts o = { 2, NULL, NULL };
  const char *sheet = NULL, *label = NULL;
  int cx = 0, cy = 0, cw = 0, ch = 0, per_image = 0, chroma_study = 0;
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  gst_init (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--scale") && i + 1 < argc)
      o.scale = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--fidelity") && i + 1 < argc)
      o.fid_model = argv[++i];
    else if (!strcmp (argv[i], "--gan") && i + 1 < argc)
      o.gan_model = argv[++i];
    else if (!strcmp (argv[i], "--sheet") && i + 1 < argc)
      sheet = argv[++i];
    else if (!strcmp (argv[i], "--label") && i + 1 < argc)
      label = argv[++i];
    else if (!strcmp (argv[i], "--per-image"))
      per_image = 1;
    else if (!strcmp (argv[i], "--chroma-study"))
      chroma_study = 1;
    else if (!strcmp (argv[i], "--crop") && i + 1 < argc) {
      if (sscanf (argv[++i], "%d,%d,%d,%d", &cx, &cy, &cw, &ch) != 4)
        return 2;
    } else if (argv[i][0] == '-') {
      fprintf (stderr, "usage: %s [--scale S] [--fidelity M] [--gan M] "
          "[--label NAME] [--per-image] [--sheet OUT --crop X,Y,W,H] "
          "IMAGES_OR_DIRS...\n", argv[0]);
      return 2;
    } else {
      collect_images (argv[i], paths);
    }
  }
  if (o.scale < 2 || o.scale > 4 || paths->len == 0) {
    fprintf (stderr, "need --scale 2..4 and images\n");
    return 2;
  }
#ifdef GAN_PLUGIN_DIR
  if (!g_getenv ("GST_PLUGIN_PATH_1_0") && !g_getenv ("GST_PLUGIN_PATH"))
    gst_registry_scan_path (gst_registry_get (), GAN_PLUGIN_DIR);
#endif
  if (sheet)
    return make_sheet (&o, paths->pdata[0], sheet, cx, cy, cw, ch);

  double psnr[N_METHODS] = { 0 }, ssim[N_METHODS] = { 0 },
      sharp[N_METHODS] = { 0 }, chroma[4] = { 0 };
  int n = 0;
  for (guint i = 0; i < paths->len; i++) {
    rgb_image hr = { 0 }, lr = { 0 }, res[N_METHODS] = { 0 };
    if (!load_png (paths->pdata[i], &hr)) {
      fprintf (stderr, "cannot read %s\n", (char *) paths->pdata[i]);
      return 1;
    }
    modcrop (&hr, o.scale);
    if (!upscale_all (&o, &hr, &lr, res)) {
      fprintf (stderr, "%s: an upscaler failed\n", (char *) paths->pdata[i]);
      return 1;
    }
    if (chroma_study) {
      /* fidelity output (bilinear chroma), with bicubic chroma, with the
       * original's chroma; and plain bicubic RGB for reference */
      rgb_image t = { 0 };
      chroma[0] += rgb_psnr (&res[0], &hr, o.scale);
      chroma[1] += rgb_psnr (&res[3], &hr, o.scale);
      swap_chroma (&res[3], &res[0], &t);
      chroma[2] += rgb_psnr (&t, &hr, o.scale);
      image_free (&t);
      swap_chroma (&res[3], &hr, &t);
      chroma[3] += rgb_psnr (&t, &hr, o.scale);
      image_free (&t);
    }
    float *ref = to_planar (&hr);
    double ge_ref = gm_gradient_energy (ref, hr.w, hr.h);
    for (int m = 0; m < N_METHODS; m++) {
      float *x = to_planar (&res[m]);
      double p, s;
      gm_image_quality (x, ref, hr.w, hr.h, o.scale, 1, &p, &s);
      double g = gm_gradient_energy (x, hr.w, hr.h) / fmax (ge_ref, 1e-12);
      psnr[m] += p;
      ssim[m] += s;
      sharp[m] += g;
      if (per_image)
        fprintf (stderr, "%s x%d %s: %.2f dB, SSIM %.4f, sharpness %.3f\n",
            (char *) paths->pdata[i], o.scale, method_names[m], p, s, g);
      g_free (x);
      image_free (&res[m]);
    }
    g_free (ref);
    image_free (&hr);
    image_free (&lr);
    n++;
  }
  for (int m = 0; m < N_METHODS; m++)
    printf ("| %s | x%d | %s | %.2f | %.4f | %.3f |\n", label ? label : "",
        o.scale, method_names[m], psnr[m] / n, ssim[m] / n, sharp[m] / n);
  if (chroma_study)
    printf ("RGB PSNR x%d: bicubic %.2f | fidelity, bilinear chroma (the "
        "element) %.2f | fidelity luma + bicubic chroma %.2f | fidelity "
        "luma + original chroma (bound for an RGB net) %.2f\n", o.scale,
        chroma[0] / n, chroma[1] / n, chroma[2] / n, chroma[3] / n);
  g_ptr_array_free (paths, TRUE);
  return 0;
}
