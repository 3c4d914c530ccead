/* gansuperres element tests (GstHarness): negotiation for every format and
 * scale, caps transform/fixation with ranges, odd sizes, timestamps, model
 * errors naming the file, navigation, and the element's output against
 * libgancore's own on the same frame. Models are generated here (random
 * weights) except where the embedded defaults are the point. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gst/video/navigation.h>
#include <gst/base/gstbasetransform.h>
#include <math.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_superres.h"
#include "gan_check_model.h"

static const char *formats[] = { "I420", "NV12", "RGB", "BGR", "RGBA",
  "BGRA", "RGBx", "BGRx", "GRAY8"
};

static gchar *tmp_dir;

/* A random (but not bicubic) net of the given scale, saved to a file. */
static gchar *
make_model (const char *name, int scale, int channels, int mid, int seed)
{
  gcn_superres n;
  gc_rng r;
  gc_rng_seed (&r, seed);
  fail_unless (gcn_superres_init (&n, scale, channels, mid, &r) == 0);
  for (int i = 0; i < n.params.count; i++) {
    gc_param *p = n.params.items[i];
    for (size_t k = 0; k < p->n; k++)
      p->w[k] += 0.05f * gc_rng_normal (&r);
  }
  const char *kv[16];
  char buf[64];
  gcn_superres_meta (&n, kv, buf);
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  fail_unless (gc_model_save (path, &n.params, kv) == 0, "%s",
      gc_last_error ());
  gcn_superres_free (&n);
  return path;
}

static GstHarness *
harness_with (int scale, const char *model, const char *type)
{
  GstElement *el = gst_element_factory_make ("gansuperres", NULL);
  fail_unless (el != NULL, "gansuperres not found");
  g_object_set (el, "scale", scale, NULL);
  if (model)
    g_object_set (el, "model", model, NULL);
  if (type)
    gst_util_set_object_arg (G_OBJECT (el), "model-type", type);
  GstHarness *h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  return h;
}

static gchar *
caps_str (const char *fmt, int w, int h)
{
  return g_strdup_printf ("video/x-raw, format=%s, width=%d, height=%d, "
      "framerate=30/1, pixel-aspect-ratio=1/1", fmt, w, h);
}

/* A frame with a deterministic pattern (edges and gradients). */
static GstBuffer *
make_frame (const char *fmt, int w, int h, guint seed)
{
  GstVideoInfo info;
  gst_video_info_set_format (&info, gst_video_format_from_string (fmt), w, h);
  GstBuffer *b = gst_buffer_new_allocate (NULL, info.size, NULL);
  GstMapInfo map;
  gst_buffer_map (b, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = (guint8) (((i * 7 + seed) % 251) ^ ((i / 13) & 0x40));
  gst_buffer_unmap (b, &map);
  return b;
}

static void
check_output_caps (GstHarness * h, const char *fmt, int w, int h_, int s)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (caps != NULL);
  GstVideoInfo info;
  fail_unless (gst_video_info_from_caps (&info, caps));
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), w * s);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), h_ * s);
  fail_unless_equals_string (gst_video_format_to_string
      (GST_VIDEO_INFO_FORMAT (&info)), fmt);
  fail_unless_equals_int (GST_VIDEO_INFO_PAR_N (&info), 1);
  gst_caps_unref (caps);
}

/* ---- negotiation ------------------------------------------------------------ */

GST_START_TEST (test_formats_and_scales)
{
  for (int s = 2; s <= 4; s++) {
    gchar *name = g_strdup_printf ("x%d.safetensors", s);
    gchar *model = make_model (name, s, 8, 1, s);
    for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
      /* odd sizes on purpose: chroma planes of I420/NV12 round up */
      int w = 17 + 2 * f, hh = 9 + s;
      GstHarness *h = harness_with (s, model, NULL);
      gchar *c = caps_str (formats[f], w, hh);
      gst_harness_set_src_caps_str (h, c);
      g_free (c);
      GstBuffer *in = make_frame (formats[f], w, hh, f);
      GST_BUFFER_PTS (in) = 40 * GST_MSECOND * (f + 1);
      GST_BUFFER_DURATION (in) = 33 * GST_MSECOND;
      GST_BUFFER_OFFSET (in) = f;
      GstBuffer *out = gst_harness_push_and_pull (h, in);
      fail_unless (out != NULL, "%s x%d: no output", formats[f], s);
      check_output_caps (h, formats[f], w, hh, s);
      GstVideoInfo info;
      gst_video_info_set_format (&info,
          gst_video_format_from_string (formats[f]), w * s, hh * s);
      fail_unless (gst_buffer_get_size (out) >= info.size,
          "%s x%d: output buffer too small", formats[f], s);
      /* timestamps and durations are the input's */
      fail_unless_equals_uint64 (GST_BUFFER_PTS (out),
          40 * GST_MSECOND * (f + 1));
      fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), 33 * GST_MSECOND);
      gst_buffer_unref (out);
      gst_harness_teardown (h);
    }
    g_free (model);
    g_free (name);
  }
}

GST_END_TEST;

/* With no properties the embedded models work, for every scale and type. */
GST_START_TEST (test_embedded_models)
{
  const char *types[] = { "fidelity", "gan" };
  for (int s = 2; s <= 4; s++)
    for (int t = 0; t < 2; t++) {
      GstHarness *h = s == 2 && t == 0 ? gst_harness_new ("gansuperres")
          : harness_with (s, NULL, types[t]);
      gst_harness_set_src_caps_str (h, "video/x-raw, format=I420, "
          "width=32, height=24, framerate=25/1");
      GstBuffer *out = gst_harness_push_and_pull (h,
          make_frame ("I420", 32, 24, 3));
      fail_unless (out != NULL, "embedded x%d %s: no output", s, types[t]);
      check_output_caps (h, "I420", 32, 24, s);
      gst_buffer_unref (out);
      gst_harness_teardown (h);
    }
}

GST_END_TEST;

static GstCaps *
transform (GstElement * el, GstPadDirection dir, const char *caps)
{
  GstBaseTransformClass *k = GST_BASE_TRANSFORM_GET_CLASS (el);
  GstCaps *in = gst_caps_from_string (caps);
  GstCaps *out = k->transform_caps (GST_BASE_TRANSFORM (el), dir, in, NULL);
  gst_caps_unref (in);
  return out;
}

static void
expect_caps (GstCaps * got, const char *want)
{
  GstCaps *w = gst_caps_from_string (want);
  fail_unless (gst_caps_is_equal (got, w), "got %" GST_PTR_FORMAT
      ", want %" GST_PTR_FORMAT, got, w);
  gst_caps_unref (w);
  gst_caps_unref (got);
}

GST_START_TEST (test_transform_and_fixate_caps)
{
  GstElement *el = gst_element_factory_make ("gansuperres", NULL);
  g_object_set (el, "scale", 2, NULL);
  /* downstream sizes are the upstream ones times the scale, ranges too */
  expect_caps (transform (el, GST_PAD_SINK, "video/x-raw, format=I420, "
          "width=[16, 64], height=(int)9, pixel-aspect-ratio=4/3"),
      "video/x-raw, format=I420, width=[32, 128, 2], height=(int)18, "
      "pixel-aspect-ratio=4/3");
  /* upstream: divided; a size the scale does not divide cannot match */
  expect_caps (transform (el, GST_PAD_SRC, "video/x-raw, format=RGB, "
          "width=640, height=360"), "video/x-raw, format=RGB, width=320, "
      "height=180");
  expect_caps (transform (el, GST_PAD_SRC, "video/x-raw, format=RGB, "
          "width=641, height=360"), "EMPTY");
  expect_caps (transform (el, GST_PAD_SRC, "video/x-raw, format=RGB, "
          "width=[101, 200], height={ 90, 91 }"),
      "video/x-raw, format=RGB, width=[51, 100], height=(int)45");
  g_object_set (el, "scale", 3, NULL);
  expect_caps (transform (el, GST_PAD_SINK, "video/x-raw, format=NV12, "
          "width=[1, 2147483647], height=[1, 2147483647]"),
      "video/x-raw, format=NV12, width=[3, 2147483646, 3], "
      "height=[3, 2147483646, 3]");

  /* fixation: exact size, pixel aspect ratio kept */
  GstBaseTransformClass *k = GST_BASE_TRANSFORM_GET_CLASS (el);
  GstCaps *in = gst_caps_from_string ("video/x-raw, format=I420, width=33, "
      "height=17, pixel-aspect-ratio=16/15, framerate=30/1");
  GstCaps *other = gst_caps_from_string ("video/x-raw, format=I420, "
      "width=[1, 1000], height=[1, 1000], pixel-aspect-ratio=[1/2, 2/1], "
      "framerate=30/1");
  GstCaps *fixed = k->fixate_caps (GST_BASE_TRANSFORM (el), GST_PAD_SINK, in,
      other);
  expect_caps (fixed, "video/x-raw, format=I420, width=99, height=51, "
      "pixel-aspect-ratio=16/15, framerate=30/1");
  gst_caps_unref (in);
  gst_object_unref (el);
}

GST_END_TEST;

/* A downstream that insists on a size the scale cannot reach fails to
 * negotiate instead of producing a wrong frame. */
GST_START_TEST (test_impossible_downstream)
{
  gchar *model = make_model ("neg.safetensors", 2, 8, 1, 4);
  GstHarness *h = harness_with (2, model, NULL);
  g_free (model);
  gst_harness_set_sink_caps_str (h, "video/x-raw, format=I420, width=641, "
      "height=360");
  gst_harness_set_src_caps_str (h, "video/x-raw, format=I420, width=320, "
      "height=180, framerate=30/1");
  fail_unless (gst_harness_push (h, make_frame ("I420", 320, 180, 1))
      != GST_FLOW_OK);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- output ------------------------------------------------------------------ */

static void
reference_luma (const char *model, int scale, const guint8 * y, int w, int h,
    int stride, guint8 * out)
{
  gc_model_file m = { 0 };
  gcn_superres n;
  fail_unless (gc_model_load (&m, model) == 0);
  fail_unless (gcn_superres_load (&n, &m, scale) == 0);
  float *in = g_new (float, w * h), *o = g_new (float, w * h * scale * scale);
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++)
      in[i * w + j] = y[i * stride + j] / 255.f;
  fail_unless (gcn_superres_run (&n, in, w, h, w, o, w * scale) == 0);
  for (int i = 0; i < w * h * scale * scale; i++) {
    float v = o[i] * 255.f;
    out[i] = v <= 0.f ? 0 : v >= 255.f ? 255 : (guint8) (v + 0.5f);
  }
  g_free (in);
  g_free (o);
  gcn_superres_free (&n);
  gc_model_free (&m);
}

/* The luma the element writes is exactly libgancore's on the same frame,
 * with 1 and 2 threads (no band seams), and chroma is the bilinear upscale. */
GST_START_TEST (test_matches_core)
{
  for (int s = 2; s <= 4; s += 2) {
    gchar *model = make_model ("match.safetensors", s, 16, 2, 40 + s);
    for (int threads = 1; threads <= 2; threads++) {
      int w = 37, h = 23;
      GstHarness *hn = harness_with (s, model, NULL);
      g_object_set (hn->element, "num-threads", threads, NULL);
      gchar *c = caps_str ("I420", w, h);
      gst_harness_set_src_caps_str (hn, c);
      g_free (c);
      GstBuffer *in = make_frame ("I420", w, h, 77);
      GstVideoInfo ii, oi;
      gst_video_info_set_format (&ii, GST_VIDEO_FORMAT_I420, w, h);
      gst_video_info_set_format (&oi, GST_VIDEO_FORMAT_I420, w * s, h * s);
      GstVideoFrame fin, fout;
      fail_unless (gst_video_frame_map (&fin, &ii, in, GST_MAP_READ));
      guint8 *want = g_malloc (w * h * s * s);
      reference_luma (model, s, GST_VIDEO_FRAME_COMP_DATA (&fin, 0), w, h,
          GST_VIDEO_FRAME_COMP_STRIDE (&fin, 0), want);
      guint8 u00 = GST_VIDEO_FRAME_COMP_DATA (&fin, 1)[0];
      gst_video_frame_unmap (&fin);

      GstBuffer *out = gst_harness_push_and_pull (hn, in);
      fail_unless (gst_video_frame_map (&fout, &oi, out, GST_MAP_READ));
      const guint8 *y = GST_VIDEO_FRAME_COMP_DATA (&fout, 0);
      int stride = GST_VIDEO_FRAME_COMP_STRIDE (&fout, 0), diff = 0;
      for (int i = 0; i < h * s; i++)
        for (int j = 0; j < w * s; j++)
          diff += y[i * stride + j] != want[i * w * s + j];
      fail_unless_equals_int (diff, 0);
      /* the top-left chroma sample is clamped, so it is copied exactly */
      fail_unless_equals_int (GST_VIDEO_FRAME_COMP_DATA (&fout, 1)[0], u00);
      gst_video_frame_unmap (&fout);
      gst_buffer_unref (out);
      g_free (want);
      gst_harness_teardown (hn);
    }
    g_free (model);
  }
}

GST_END_TEST;

/* Grey RGB in, grey RGB out, on the same luma the network gives. */
GST_START_TEST (test_rgb_grey_path)
{
  gchar *model = make_model ("grey.safetensors", 2, 8, 1, 5);
  int w = 19, h = 11, s = 2;
  GstHarness *hn = harness_with (s, model, NULL);
  gchar *c = caps_str ("RGBx", w, h);
  gst_harness_set_src_caps_str (hn, c);
  g_free (c);
  GstBuffer *in = gst_buffer_new_allocate (NULL, w * h * 4, NULL);
  guint8 *want = g_malloc (w * h * s * s);
  GstMapInfo map;
  gst_buffer_map (in, &map, GST_MAP_WRITE);
  for (int i = 0; i < w * h; i++) {
    guint8 v = (guint8) (40 + (i * 29) % 170);
    map.data[4 * i] = map.data[4 * i + 1] = map.data[4 * i + 2] = v;
    map.data[4 * i + 3] = 0;
  }
  gst_buffer_unmap (in, &map);

  /* reference: net on Y = (16 + 219 v / 255) / 255, back to grey */
  gc_model_file m = { 0 };
  gcn_superres n;
  fail_unless (gc_model_load (&m, model) == 0);
  fail_unless (gcn_superres_load (&n, &m, s) == 0);
  float *yin = g_new (float, w * h), *yout = g_new (float, w * h * s * s);
  gst_buffer_map (in, &map, GST_MAP_READ);
  for (int i = 0; i < w * h; i++)
    yin[i] = (16.f + 219.f * map.data[4 * i] / 255.f) / 255.f;
  gst_buffer_unmap (in, &map);
  fail_unless (gcn_superres_run (&n, yin, w, h, w, yout, w * s) == 0);
  for (int i = 0; i < w * h * s * s; i++) {
    float v = (yout[i] * 255.f - 16.f) * 255.f / 219.f;
    want[i] = v <= 0.f ? 0 : v >= 255.f ? 255 : (guint8) (v + 0.5f);
  }

  GstBuffer *out = gst_harness_push_and_pull (hn, in);
  gst_buffer_map (out, &map, GST_MAP_READ);
  int worst = 0;
  for (int i = 0; i < w * h * s * s; i++) {
    const guint8 *p = map.data + 4 * i;
    worst = MAX (worst, abs (p[0] - want[i]));
    worst = MAX (worst, abs (p[1] - p[0]));
    worst = MAX (worst, abs (p[2] - p[0]));
    fail_unless_equals_int (p[3], 255);
  }
  gst_buffer_unmap (out, &map);
  fail_unless (worst <= 1, "grey path off by %d levels", worst);
  gst_buffer_unref (out);
  gst_harness_teardown (hn);
  g_free (yin);
  g_free (yout);
  g_free (want);
  gcn_superres_free (&n);
  gc_model_free (&m);
  g_free (model);
}

GST_END_TEST;

/* The scale drops while PLAYING and the input grows (x4 at 100x100, then
 * x2 at 200x200): the larger input must get buffers of its own size (it
 * used to be split into ones sized for the old, smaller input), and the
 * frame must come out as a fresh x2 element makes it. */
GST_START_TEST (test_scale_change_playing)
{
  GstHarness *h = harness_with (4, NULL, NULL);
  gchar *c = caps_str ("RGB", 100, 100);
  gst_harness_set_src_caps_str (h, c);
  g_free (c);
  for (int i = 0; i < 3; i++) {
    GstBuffer *o = gst_harness_push_and_pull (h, make_frame ("RGB", 100, 100,
            i));
    fail_unless (o != NULL);
    gst_buffer_unref (o);
  }
  check_output_caps (h, "RGB", 100, 100, 4);
  g_object_set (h->element, "scale", 2, NULL);
  c = caps_str ("RGB", 200, 200);
  gst_harness_set_src_caps_str (h, c);
  g_free (c);
  GstBuffer *got = gst_harness_push_and_pull (h, make_frame ("RGB", 200, 200,
          7));
  fail_unless (got != NULL);
  check_output_caps (h, "RGB", 200, 200, 2);

  GstHarness *ref = harness_with (2, NULL, NULL);
  c = caps_str ("RGB", 200, 200);
  gst_harness_set_src_caps_str (ref, c);
  g_free (c);
  GstBuffer *want = gst_harness_push_and_pull (ref, make_frame ("RGB", 200,
          200, 7));
  fail_unless (want != NULL);
  GstMapInfo a, b;
  gst_buffer_map (got, &a, GST_MAP_READ);
  gst_buffer_map (want, &b, GST_MAP_READ);
  fail_unless_equals_uint64 (a.size, b.size);
  fail_unless (memcmp (a.data, b.data, a.size) == 0,
      "output after the scale change differs from a fresh element's");
  gst_buffer_unmap (got, &a);
  gst_buffer_unmap (want, &b);
  gst_buffer_unref (got);
  gst_buffer_unref (want);
  gst_harness_teardown (ref);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- events and properties -------------------------------------------------- */

GST_START_TEST (test_navigation_and_qos)
{
  gchar *model = make_model ("nav.safetensors", 2, 8, 1, 6);
  GstHarness *h = harness_with (2, model, NULL);
  g_free (model);
  fail_unless (gst_base_transform_is_qos_enabled (GST_BASE_TRANSFORM
          (h->element)));
  gst_harness_set_src_caps_str (h, "video/x-raw, format=I420, width=32, "
      "height=24, framerate=30/1");
  gst_buffer_unref (gst_harness_push_and_pull (h, make_frame ("I420", 32, 24,
              1)));
  /* drop what upstream received so far (caps, reconfigure...) */
  GstEvent *e;
  while ((e = gst_harness_try_pull_upstream_event (h)))
    gst_event_unref (e);
  fail_unless (gst_harness_push_upstream_event (h,
          gst_navigation_event_new_mouse_move (50.0, 30.0, 0)));
  gdouble x = 0, y = 0;
  while ((e = gst_harness_try_pull_upstream_event (h))) {
    if (GST_EVENT_TYPE (e) == GST_EVENT_NAVIGATION)
      fail_unless (gst_navigation_event_get_coordinates (e, &x, &y));
    gst_event_unref (e);
  }
  fail_unless (fabs (x - 25.0) < 1e-9 && fabs (y - 15.0) < 1e-9,
      "navigation at (%g, %g), want (25, 15)", x, y);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- model errors ----------------------------------------------------------- */

/* Going to PAUSED must fail with an element error naming the model. */
static void
expect_model_error (const char *path, int scale, const char *also)
{
  GstElement *el = gst_element_factory_make ("gansuperres", NULL);
  g_object_set (el, "model", path, "scale", scale, NULL);
  gan_check_model_error (el, path, also);
}

GST_START_TEST (test_model_errors)
{
  gchar *missing = g_build_filename (tmp_dir, "missing.safetensors", NULL);
  expect_model_error (missing, 2, "not found");

  gchar *corrupt = g_build_filename (tmp_dir, "corrupt.safetensors", NULL);
  guint8 junk[256];
  for (guint i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) (i * 91 + 7);
  fail_unless (g_file_set_contents (corrupt, (gchar *) junk, sizeof junk,
          NULL));
  expect_model_error (corrupt, 2, NULL);

  /* a good x3 model on a x2 element */
  gchar *x3 = make_model ("wrong-scale.safetensors", 3, 8, 1, 9);
  expect_model_error (x3, 2, "scale");

  /* a good model cut short */
  gchar *data, *trunc = g_build_filename (tmp_dir, "trunc.safetensors", NULL);
  gsize len;
  fail_unless (g_file_get_contents (x3, &data, &len, NULL));
  fail_unless (g_file_set_contents (trunc, data, len - 40, NULL));
  expect_model_error (trunc, 3, NULL);
  g_free (data);

  /* and the intact one works at its own scale */
  GstHarness *h = harness_with (3, x3, NULL);
  gst_harness_set_src_caps_str (h, "video/x-raw, format=GRAY8, width=7, "
      "height=5, framerate=30/1");
  GstBuffer *out = gst_harness_push_and_pull (h, make_frame ("GRAY8", 7, 5,
          2));
  fail_unless (out != NULL);
  check_output_caps (h, "GRAY8", 7, 5, 3);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (missing);
  g_free (corrupt);
  g_free (x3);
  g_free (trunc);
}

GST_END_TEST;

static Suite *
gansuperres_suite (void)
{
  Suite *s = suite_create ("gansuperres");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tmp_dir = g_dir_make_tmp ("gansuperres-XXXXXX", NULL);
  tcase_add_test (tc, test_formats_and_scales);
  tcase_add_test (tc, test_embedded_models);
  tcase_add_test (tc, test_transform_and_fixate_caps);
  tcase_add_test (tc, test_impossible_downstream);
  tcase_add_test (tc, test_matches_core);
  tcase_add_test (tc, test_rgb_grey_path);
  tcase_add_test (tc, test_scale_change_playing);
  tcase_add_test (tc, test_navigation_and_qos);
  tcase_add_test (tc, test_model_errors);
  return s;
}

GST_CHECK_MAIN (gansuperres);
