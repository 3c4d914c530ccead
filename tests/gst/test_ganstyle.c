/* ganstyle element tests (GstHarness).
 *
 * A tiny style model with three named styles is generated per test run so
 * the element's behaviour is checked against the network itself: every
 * format in the caps, odd sizes (checked pixel for pixel against
 * gcn_style_infer), style switches mid-stream, strength and blending,
 * timestamps, the embedded model, and clear errors for bad model files. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_style.h"
#include "gan_check_model.h"

static const char *formats[] = { "RGB", "BGR", "RGBA", "BGRA", "RGBx",
  "BGRx", "I420", "NV12"
};

static gchar *tmp_dir, *model_path;

/* A small random style net whose styles clearly differ. */
static void
make_model (gcn_style * n)
{
  gc_rng r;
  gcn_style_config cfg = { 3, 4, 8, 1, 1 };
  gc_rng_seed (&r, 21);
  fail_unless (gcn_style_init (n, &cfg, &r) == 0, "%s", gc_last_error ());
  for (int i = 0; i < n->params.count; i++) {
    gc_param *p = n->params.items[i];
    for (size_t k = 0; k < p->n; k++)
      p->w[k] += 0.3f * gc_rng_normal (&r);
  }
  gcn_style_set_name (n, 0, "alpha");
  gcn_style_set_name (n, 1, "beta");
  gcn_style_set_name (n, 2, "gamma");
}

static void
setup (void)
{
  gcn_style n;
  tmp_dir = g_dir_make_tmp ("ganstyle-XXXXXX", NULL);
  model_path = g_build_filename (tmp_dir, "tiny.safetensors", NULL);
  make_model (&n);
  char *storage;
  const char **kv = gcn_style_meta (&n, &storage);
  fail_unless (gc_model_save (model_path, &n.params, kv) == 0, "%s",
      gc_last_error ());
  gcn_style_meta_free (kv, storage);
  gcn_style_free (&n);
}

static void
teardown (void)
{
  g_unlink (model_path);
  g_rmdir (tmp_dir);
  g_free (model_path);
  g_free (tmp_dir);
}

static gchar *
caps_str (const char *fmt, int w, int h)
{
  return g_strdup_printf ("video/x-raw, format=%s, width=%d, height=%d, "
      "framerate=30/1", fmt, w, h);
}

/* Properties go on before the harness starts the element (the model is
 * loaded at start). */
static GstHarness *
harness_valist (const char *fmt, int w, int h, const char *model,
    const char *prop, va_list ap)
{
  GstElement *el = gst_element_factory_make ("ganstyle", NULL);
  fail_unless (el != NULL);
  if (model)
    g_object_set (el, "model", model, NULL);
  g_object_set (el, "num-threads", 2, NULL);
  if (prop)
    g_object_set_valist (G_OBJECT (el), prop, ap);
  GstHarness *hn = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  gchar *c = caps_str (fmt, w, h);
  gst_harness_set_src_caps_str (hn, c);
  gst_harness_set_sink_caps_str (hn, c);
  g_free (c);
  return hn;
}

static GstHarness *
harness_for (const char *fmt, int w, int h, const char *model)
{
  va_list ap;
  memset (&ap, 0, sizeof ap);
  return harness_valist (fmt, w, h, model, NULL, ap);
}

/* A frame with smooth colour ramps plus some texture: a photo-like input
 * valid in every format (all bytes are legal 8-bit values). */
static GstBuffer *
make_frame (const char *fmt, int w, int h, int seed)
{
  GstVideoInfo info;
  gst_video_info_set_format (&info, gst_video_format_from_string (fmt), w, h);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = (guint8) (((i * 7 + seed * 13) % 251) ^ ((i / 97) & 0x1f));
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* Compare the visible bytes of two frames (row padding is not part of the
 * picture and may hold anything). Returns the mean absolute difference and
 * the largest one in *max. */
static double
frames_diff (const char *fmt, int w, int h, GstBuffer * a, GstBuffer * b,
    int *max)
{
  GstVideoInfo info;
  GstVideoFrame fa, fb;
  double sum = 0;
  gsize n = 0;
  int worst = 0;
  gst_video_info_set_format (&info, gst_video_format_from_string (fmt), w, h);
  fail_unless (gst_video_frame_map (&fa, &info, a, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fb, &info, b, GST_MAP_READ));
  for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
    guint comp = 0;
    while (GST_VIDEO_FORMAT_INFO_PLANE (info.finfo, comp) != p)
      comp++;
    int rows = GST_VIDEO_FRAME_COMP_HEIGHT (&fa, comp);
    int bytes = GST_VIDEO_FRAME_COMP_WIDTH (&fa, comp)
        * GST_VIDEO_FRAME_COMP_PSTRIDE (&fa, comp);
    for (int y = 0; y < rows; y++) {
      const guint8 *ra = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fa, p)
          + y * GST_VIDEO_FRAME_PLANE_STRIDE (&fa, p);
      const guint8 *rb = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fb, p)
          + y * GST_VIDEO_FRAME_PLANE_STRIDE (&fb, p);
      for (int x = 0; x < bytes; x++) {
        int d = abs ((int) ra[x] - (int) rb[x]);
        sum += d;
        worst = MAX (worst, d);
        n++;
      }
    }
  }
  gst_video_frame_unmap (&fa);
  gst_video_frame_unmap (&fb);
  if (max)
    *max = worst;
  return n ? sum / n : 0;
}

static gboolean
frames_equal (const char *fmt, int w, int h, GstBuffer * a, GstBuffer * b)
{
  int max;
  frames_diff (fmt, w, h, a, b, &max);
  return max == 0;
}

/* Push one frame through a fresh harness with the given properties. */
static GstBuffer *
run_one (const char *fmt, int w, int h, GstBuffer * in, const char *prop,
    ...)
{
  va_list ap;
  va_start (ap, prop);
  GstHarness *hn = harness_valist (fmt, w, h, model_path, prop, ap);
  va_end (ap);
  GstBuffer *out = gst_harness_push_and_pull (hn, gst_buffer_ref (in));
  fail_unless (out != NULL);
  gst_harness_teardown (hn);
  return out;
}

GST_START_TEST (test_every_format)
{
  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    const char *fmt = formats[f];
    GstBuffer *in = make_frame (fmt, 64, 48, 1);
    GstBuffer *out = run_one (fmt, 64, 48, in, NULL);
    fail_unless_equals_int (gst_buffer_get_size (out),
        gst_buffer_get_size (in));
    fail_unless (frames_diff (fmt, 64, 48, in, out, NULL) > 2.0,
        "%s: output not styled", fmt);
    /* alpha comes through untouched */
    if (!strcmp (fmt, "RGBA") || !strcmp (fmt, "BGRA")) {
      GstMapInfo mi, mo;
      gst_buffer_map (in, &mi, GST_MAP_READ);
      gst_buffer_map (out, &mo, GST_MAP_READ);
      for (gsize i = 3; i < mi.size; i += 4)
        fail_unless_equals_int (mi.data[i], mo.data[i]);
      gst_buffer_unmap (in, &mi);
      gst_buffer_unmap (out, &mo);
    }
    gst_buffer_unref (in);
    gst_buffer_unref (out);
  }
}

GST_END_TEST;

/* Odd sizes: RGB output equals the network run directly on the frame
 * (so the internal padding to a multiple of 4 is cropped away exactly);
 * the other formats at least produce full frames. */
GST_START_TEST (test_odd_sizes)
{
  static const int sizes[][2] = { { 13, 7 }, { 1, 1 }, { 17, 9 }, { 3, 5 } };
  gcn_style net;
  make_model (&net);
  gcn_style_work ws;
  memset (&ws, 0, sizeof ws);
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
    int w = sizes[s][0], h = sizes[s][1];
    for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
      const char *fmt = formats[f];
      GstBuffer *in = make_frame (fmt, w, h, 3);
      GstBuffer *out = run_one (fmt, w, h, in, "style", 2, NULL);
      fail_unless_equals_int (gst_buffer_get_size (out),
          gst_buffer_get_size (in));
      if (!strcmp (fmt, "RGB")) {
        GstVideoInfo info;
        gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, w, h);
        int stride = GST_VIDEO_INFO_PLANE_STRIDE (&info, 0);
        float *x = g_new (float, 3 * w * h), *y = g_new (float, 3 * w * h);
        GstMapInfo mi, mo;
        gst_buffer_map (in, &mi, GST_MAP_READ);
        gst_buffer_map (out, &mo, GST_MAP_READ);
        for (int yy = 0; yy < h; yy++)
          for (int xx = 0; xx < w; xx++)
            for (int c = 0; c < 3; c++)
              x[(c * h + yy) * w + xx] = mi.data[yy * stride + 3 * xx + c]
                  / 255.f;
        float mix[3] = { 0, 0, 1 };
        fail_unless (gcn_style_infer (&net, x, w, h, mix, y, &ws) == 0);
        for (int yy = 0; yy < h; yy++)
          for (int xx = 0; xx < w; xx++)
            for (int c = 0; c < 3; c++) {
              int want = (int) lrintf (y[(c * h + yy) * w + xx] * 255.f);
              int got = mo.data[yy * stride + 3 * xx + c];
              fail_unless (abs (want - got) <= 1, "%dx%d (%d,%d,%d): %d vs %d",
                  w, h, xx, yy, c, got, want);
            }
        gst_buffer_unmap (in, &mi);
        gst_buffer_unmap (out, &mo);
        g_free (x);
        g_free (y);
      }
      gst_buffer_unref (in);
      gst_buffer_unref (out);
    }
  }
  gcn_style_work_free (&ws);
  gcn_style_free (&net);
}

GST_END_TEST;

/* Switching styles while playing: each frame is exactly what an element
 * started with that style gives (no mixed frame, no state carried over). */
GST_START_TEST (test_style_switch_mid_stream)
{
  GstBuffer *in = make_frame ("I420", 40, 24, 5);
  GstBuffer *want0 = run_one ("I420", 40, 24, in, "style", 0, NULL);
  GstBuffer *want1 = run_one ("I420", 40, 24, in, "style", 1, NULL);
  fail_if (frames_equal ("I420", 40, 24, want0, want1), "styles 0 and 1 look the same");

  GstHarness *hn = harness_for ("I420", 40, 24, model_path);
  GstBuffer *a = gst_harness_push_and_pull (hn, gst_buffer_ref (in));
  g_object_set (hn->element, "style", 1, NULL);
  GstBuffer *b = gst_harness_push_and_pull (hn, gst_buffer_ref (in));
  g_object_set (hn->element, "style-name", "alpha", NULL);
  GstBuffer *c = gst_harness_push_and_pull (hn, gst_buffer_ref (in));
  gint idx;
  gchar *name, *styles;
  g_object_get (hn->element, "style", &idx, "style-name", &name, "styles",
      &styles, NULL);
  fail_unless_equals_int (idx, 0);
  fail_unless_equals_string (name, "alpha");
  fail_unless_equals_string (styles, "alpha,beta,gamma");
  g_object_set (hn->element, "style-name", "gamma", NULL);
  GstBuffer *d = gst_harness_push_and_pull (hn, gst_buffer_ref (in));
  g_object_get (hn->element, "style", &idx, NULL);
  fail_unless_equals_int (idx, 2);
  /* an unknown name keeps the current style */
  g_object_set (hn->element, "style-name", "no-such-style", NULL);
  GstBuffer *e = gst_harness_push_and_pull (hn, gst_buffer_ref (in));

  fail_unless (frames_equal ("I420", 40, 24, a, want0));
  fail_unless (frames_equal ("I420", 40, 24, b, want1));
  fail_unless (frames_equal ("I420", 40, 24, c, want0));
  fail_if (frames_equal ("I420", 40, 24, d, want0) || frames_equal ("I420", 40, 24, d, want1));
  fail_unless (frames_equal ("I420", 40, 24, e, d));
  gst_harness_teardown (hn);
  g_free (name);
  g_free (styles);
  for (GstBuffer ** p = (GstBuffer *[]) { in, want0, want1, a, b, c, d, e,
          NULL }; *p; p++)
    gst_buffer_unref (*p);
}

GST_END_TEST;

/* A name set before the model is loaded is resolved at start. */
GST_START_TEST (test_style_name_before_start)
{
  GstBuffer *in = make_frame ("RGB", 16, 16, 9);
  GstBuffer *by_name = run_one ("RGB", 16, 16, in, "style-name", "beta", NULL);
  GstBuffer *by_index = run_one ("RGB", 16, 16, in, "style", 1, NULL);
  fail_unless (frames_equal ("RGB", 16, 16, by_name, by_index));
  gst_buffer_unref (in);
  gst_buffer_unref (by_name);
  gst_buffer_unref (by_index);
}

GST_END_TEST;

GST_START_TEST (test_strength)
{
  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    const char *fmt = formats[f];
    GstBuffer *in = make_frame (fmt, 30, 22, 7);
    GstBuffer *out = run_one (fmt, 30, 22, in, "strength", 0.0, NULL);
    fail_unless (frames_equal (fmt, 30, 22, in, out),
        "%s: strength 0 changed the frame", fmt);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  /* half strength lies half way between the input and the full style */
  GstBuffer *in = make_frame ("RGB", 32, 16, 8);
  GstBuffer *full = run_one ("RGB", 32, 16, in, NULL);
  GstBuffer *half = run_one ("RGB", 32, 16, in, "strength", 0.5, NULL);
  GstMapInfo mi, mf, mh;
  gst_buffer_map (in, &mi, GST_MAP_READ);
  gst_buffer_map (full, &mf, GST_MAP_READ);
  gst_buffer_map (half, &mh, GST_MAP_READ);
  for (gsize i = 0; i < mi.size; i++) {
    double want = 0.5 * (mi.data[i] + mf.data[i]);
    fail_unless (fabs (mh.data[i] - want) <= 1.0, "byte %zu: %d vs %.1f", i,
        mh.data[i], want);
  }
  gst_buffer_unmap (in, &mi);
  gst_buffer_unmap (full, &mf);
  gst_buffer_unmap (half, &mh);
  gst_buffer_unref (in);
  gst_buffer_unref (full);
  gst_buffer_unref (half);
}

GST_END_TEST;

/* An in-gamut YUV picture: smooth luma and chroma ramps, so converting to
 * RGB and back must give the same bytes (up to rounding). */
static GstBuffer *
make_smooth_yuv (const char *fmt, int w, int h)
{
  GstVideoInfo info;
  GstVideoFrame f;
  gst_video_info_set_format (&info, gst_video_format_from_string (fmt), w, h);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_WRITE));
  for (int c = 0; c < 3; c++) {
    int cw = GST_VIDEO_FRAME_COMP_WIDTH (&f, c);
    int ch = GST_VIDEO_FRAME_COMP_HEIGHT (&f, c);
    for (int y = 0; y < ch; y++)
      for (int x = 0; x < cw; x++) {
        guint8 *p = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, c)
            + y * GST_VIDEO_FRAME_COMP_STRIDE (&f, c)
            + x * GST_VIDEO_FRAME_COMP_PSTRIDE (&f, c);
        *p = c == 0 ? 70 + 100 * x / cw + 10 * y / ch
            : c == 1 ? 112 + 30 * y / ch : 140 - 25 * x / cw;
      }
  }
  gst_video_frame_unmap (&f);
  return buf;
}

/* A vanishing strength runs the whole conversion path (unpack, blend,
 * pack) and must give the input back: catches swapped channels or chroma
 * planes and misplaced chroma samples. */
GST_START_TEST (test_conversion_round_trip)
{
  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    const char *fmt = formats[f];
    gboolean yuv = !strcmp (fmt, "I420") || !strcmp (fmt, "NV12");
    for (int odd = 0; odd < 2; odd++) {
      int w = odd ? 31 : 32, h = odd ? 17 : 16, max;
      GstBuffer *in = yuv ? make_smooth_yuv (fmt, w, h) : make_frame (fmt, w,
          h, 6);
      GstBuffer *out = run_one (fmt, w, h, in, "strength", 1e-6, NULL);
      frames_diff (fmt, w, h, in, out, &max);
      fail_unless (max <= (yuv ? 2 : 1), "%s %dx%d: round trip off by %d",
          fmt, w, h, max);
      gst_buffer_unref (in);
      gst_buffer_unref (out);
    }
  }
}

GST_END_TEST;

/* Blending two styles: the blend weight moves from one style to the other. */
GST_START_TEST (test_blend)
{
  GstBuffer *in = make_frame ("RGBx", 24, 20, 4);
  GstBuffer *s0 = run_one ("RGBx", 24, 20, in, "style", 0, NULL);
  GstBuffer *s2 = run_one ("RGBx", 24, 20, in, "style", 2, NULL);
  GstBuffer *b0 = run_one ("RGBx", 24, 20, in, "style", 0, "blend-style", 2,
      "blend", 0.0, NULL);
  GstBuffer *b1 = run_one ("RGBx", 24, 20, in, "style", 0, "blend-style", 2,
      "blend", 1.0, NULL);
  GstBuffer *bh = run_one ("RGBx", 24, 20, in, "style", 0, "blend-style", 2,
      "blend", 0.5, NULL);
  fail_unless (frames_equal ("RGBx", 24, 20, b0, s0));
  fail_unless (frames_equal ("RGBx", 24, 20, b1, s2));
  double d02 = frames_diff ("RGBx", 24, 20, s0, s2, NULL);
  double dh0 = frames_diff ("RGBx", 24, 20, bh, s0, NULL);
  double dh2 = frames_diff ("RGBx", 24, 20, bh, s2, NULL);
  fail_unless (dh0 < d02 && dh2 < d02 && dh0 > 0 && dh2 > 0,
      "blend: %f %f %f", d02, dh0, dh2);
  for (GstBuffer ** p = (GstBuffer *[]) { in, s0, s2, b0, b1, bh, NULL }; *p;
      p++)
    gst_buffer_unref (*p);
}

GST_END_TEST;

GST_START_TEST (test_timestamps_preserved)
{
  GstHarness *hn = harness_for ("NV12", 20, 12, model_path);
  for (int i = 0; i < 5; i++) {
    GstBuffer *in = make_frame ("NV12", 20, 12, i);
    GST_BUFFER_PTS (in) = 1000 + i * GST_SECOND / 30;
    GST_BUFFER_DTS (in) = GST_BUFFER_PTS (in);
    GST_BUFFER_DURATION (in) = GST_SECOND / 30;
    GST_BUFFER_OFFSET (in) = i;
    if (i == 0)
      GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);
    GstBuffer *out = gst_harness_push_and_pull (hn, in);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out),
        1000 + i * GST_SECOND / 30);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), GST_SECOND / 30);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (out), i);
    if (i == 0)
      fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
    gst_buffer_unref (out);
  }
  gst_harness_teardown (hn);
}

GST_END_TEST;

/* No properties: the model embedded in the plugin is used. */
GST_START_TEST (test_embedded_model)
{
  GstHarness *hn = harness_for ("RGB", 48, 32, NULL);
  GstBuffer *in = make_frame ("RGB", 48, 32, 2);
  GstBuffer *out = gst_harness_push_and_pull (hn, gst_buffer_ref (in));
  fail_unless (out != NULL);
  fail_unless (frames_diff ("RGB", 48, 32, in, out, NULL) > 1.0);
  gchar *styles;
  g_object_get (hn->element, "styles", &styles, NULL);
  fail_unless (styles != NULL);
  /* every painting of the shipped model is named */
  gchar **names = g_strsplit (styles, ",", -1);
  fail_unless (g_strv_length (names) >= 8, "styles: %s", styles);
  for (gchar ** n = names; *n; n++)
    fail_if (g_str_has_prefix (*n, "style") && strlen (*n) < 8, "%s", *n);
  g_strfreev (names);
  g_free (styles);
  gst_buffer_unref (in);
  gst_buffer_unref (out);
  gst_harness_teardown (hn);
}

GST_END_TEST;

/* The element refuses to start and posts an error naming the file. */
static void
expect_model_error (const gchar * path)
{
  GstElement *el = gst_element_factory_make ("ganstyle", NULL);
  g_object_set (el, "model", path, NULL);
  gan_check_model_error (el, path, NULL);
}

GST_START_TEST (test_model_errors)
{
  gchar *missing = g_build_filename (tmp_dir, "missing.safetensors", NULL);
  gchar *corrupt = g_build_filename (tmp_dir, "corrupt.safetensors", NULL);
  gchar *trunc = g_build_filename (tmp_dir, "truncated.safetensors", NULL);
  gchar *wrong = g_build_filename (tmp_dir, "wrong-arch.safetensors", NULL);

  expect_model_error (missing);

  guint8 junk[256];
  for (unsigned i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) (i * 31 + 5);
  fail_unless (g_file_set_contents (corrupt, (gchar *) junk, sizeof junk,
          NULL));
  expect_model_error (corrupt);

  gchar *data;
  gsize len;
  fail_unless (g_file_get_contents (model_path, &data, &len, NULL));
  fail_unless (g_file_set_contents (trunc, data, len - 64, NULL));
  expect_model_error (trunc);
  g_free (data);

  gc_param p;
  int shape[2] = { 2, 2 };
  gc_param_list pl = { 0 };
  fail_unless (gc_param_init (&p, "conv.weight", 2, shape) == 0);
  gc_param_list_add (&pl, &p);
  const char *kv[] = { "arch", "denoiser", NULL };
  fail_unless (gc_model_save (wrong, &pl, kv) == 0);
  expect_model_error (wrong);
  gc_param_list_free (&pl);
  gc_param_free (&p);

  for (gchar ** f = (gchar *[]) { corrupt, trunc, wrong, NULL }; *f; f++)
    g_unlink (*f);
  g_free (missing);
  g_free (corrupt);
  g_free (trunc);
  g_free (wrong);
}

GST_END_TEST;

/* Frames wider or taller than the network takes (16384) are refused when
 * the caps are offered, not by an error on the first frame. */
GST_START_TEST (test_size_limit_in_caps)
{
  GstElement *el = gst_element_factory_make ("ganstyle", NULL);
  GstPad *sink = gst_element_get_static_pad (el, "sink");
  static const struct { int w, h; gboolean ok; } cases[] = {
    { 16384, 2, TRUE }, { 16385, 2, FALSE }, { 2, 16385, FALSE },
  };
  for (unsigned i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *str = g_strdup_printf ("video/x-raw, format=RGB, width=%d, "
        "height=%d, framerate=30/1", cases[i].w, cases[i].h);
    GstCaps *c = gst_caps_from_string (str);
    fail_unless_equals_int (gst_pad_query_accept_caps (sink, c),
        cases[i].ok);
    gst_caps_unref (c);
    g_free (str);
  }
  gst_object_unref (sink);
  gst_object_unref (el);
}

GST_END_TEST;

static Suite *
ganstyle_suite (void)
{
  Suite *s = suite_create ("ganstyle");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_every_format);
  tcase_add_test (tc, test_odd_sizes);
  tcase_add_test (tc, test_style_switch_mid_stream);
  tcase_add_test (tc, test_style_name_before_start);
  tcase_add_test (tc, test_strength);
  tcase_add_test (tc, test_blend);
  tcase_add_test (tc, test_conversion_round_trip);
  tcase_add_test (tc, test_timestamps_preserved);
  tcase_add_test (tc, test_embedded_model);
  tcase_add_test (tc, test_model_errors);
  tcase_add_test (tc, test_size_limit_in_caps);
  return s;
}

GST_CHECK_MAIN (ganstyle);
