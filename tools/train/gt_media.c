/* gan-train: media decoding through GStreamer, with the on-disk cache.
 *
 * Audio:  uridecodebin ! audioconvert ! audioresample
 *           ! audio/x-raw,format=F32LE,channels=1,rate=R ! appsink
 * Images and video:  uridecodebin ! videoconvert ! video/x-raw,format=RGB
 *           ! appsink
 * Images and video are cached as 8-bit planar RGB (exact, 4x smaller than
 * floats); audio as float32. */
#include "gt.h"
#include "gt_cache.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static long cache_hits, cache_misses;

void
gt_media_cache_stats (long *hits, long *misses)
{
  if (hits)
    *hits = cache_hits;
  if (misses)
    *misses = cache_misses;
}

/* Called for every decoded sample; return 1 to stop early, -1 on error. */
typedef int (*sample_fn) (void *ctx, GstSample *s);

static int
ensure_gst (void)
{
  static int ready;
  if (ready)
    return 0;
  GError *err = NULL;
  if (!gst_init_check (NULL, NULL, &err)) {
    gc_set_error ("GStreamer init failed: %s", err ? err->message : "?");
    g_clear_error (&err);
    return -1;
  }
  ready = 1;
  return 0;
}

static int
bus_error (GstElement *pipe, const char *path)
{
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gst_object_unref (bus);
  if (!m)
    return 0;
  GError *err = NULL;
  gst_message_parse_error (m, &err, NULL);
  gc_set_error ("%s: cannot decode: %s", path, err ? err->message : "error");
  g_clear_error (&err);
  gst_message_unref (m);
  return -1;
}

/* Build `desc` (which names its uridecodebin "dec" and appsink "sink"),
 * play the file through it and hand every sample to fn. */
static int
run_pipeline (const char *desc, const char *path, sample_fn fn, void *ctx)
{
  if (ensure_gst () < 0)
    return -1;
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  if (!pipe) {
    gc_set_error ("%s: cannot build pipeline: %s", path,
        err ? err->message : "?");
    g_clear_error (&err);
    return -1;
  }
  g_clear_error (&err);         /* a warning about optional elements */
  GstElement *dec = gst_bin_get_by_name (GST_BIN (pipe), "dec");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  gchar *uri = gst_filename_to_uri (path, NULL);
  int rc = -1;
  if (!dec || !sink || !uri) {
    gc_set_error ("%s: cannot build pipeline", path);
    goto out;
  }
  g_object_set (dec, "uri", uri, NULL);
  if (gst_element_set_state (pipe, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    if (bus_error (pipe, path) == 0)
      gc_set_error ("%s: cannot start decoding", path);
    goto out;
  }
  /* A pipeline that neither produces data nor ends is broken; 60 s of no
   * progress ends the wait instead of hanging a training run. */
  int idle_ms = 0;
  for (;;) {
    GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        100 * GST_MSECOND);
    if (s) {
      idle_ms = 0;
      int r = fn (ctx, s);
      gst_sample_unref (s);
      if (r < 0)
        goto out;
      if (r > 0)
        break;
      continue;
    }
    if (bus_error (pipe, path) < 0)
      goto out;
    if (gst_app_sink_is_eos (GST_APP_SINK (sink)))
      break;
    if ((idle_ms += 100) > 60000) {
      gc_set_error ("%s: decoding stalled", path);
      goto out;
    }
  }
  rc = 0;
out:
  gst_element_set_state (pipe, GST_STATE_NULL);
  g_free (uri);
  if (dec)
    gst_object_unref (dec);
  if (sink)
    gst_object_unref (sink);
  gst_object_unref (pipe);
  return rc;
}

/* ---- audio -------------------------------------------------------------- */

typedef struct audio_acc {
  float *x;
  size_t n, cap;
} audio_acc;

static int
audio_sample (void *ctx, GstSample *s)
{
  audio_acc *a = ctx;
  GstBuffer *buf = gst_sample_get_buffer (s);
  GstMapInfo map;
  if (!buf || !gst_buffer_map (buf, &map, GST_MAP_READ))
    return 0;
  size_t k = map.size / sizeof (float);
  if (a->n + k > a->cap) {
    size_t cap = a->cap ? a->cap : 1 << 16;
    while (cap < a->n + k)
      cap *= 2;
    float *x = realloc (a->x, cap * sizeof *x);
    if (!x) {
      gst_buffer_unmap (buf, &map);
      gc_set_error ("out of memory decoding audio");
      return -1;
    }
    a->x = x;
    a->cap = cap;
  }
  memcpy (a->x + a->n, map.data, k * sizeof (float));
  a->n += k;
  gst_buffer_unmap (buf, &map);
  return 0;
}

static int
check_file (const char *path)
{
  struct stat st;
  if (stat (path, &st) != 0 || !S_ISREG (st.st_mode)) {
    gc_set_error ("%s: no such file", path);
    return -1;
  }
  return 0;
}

int
gt_load_audio (gt_ctx *c, const char *path, int rate, float **samples,
    long *n)
{
  *samples = NULL;
  *n = 0;
  if (rate < 1000 || rate > 384000) {
    gc_set_error ("%s: unsupported sample rate %d", path ? path : "?", rate);
    return -1;
  }
  char *full = gt_data_path (c, path);
  if (!full || check_file (full) < 0) {
    free (full);
    return -1;
  }
  const char *cache = c ? c->cache_dir : NULL;
  char fmt[64], key[8192];
  snprintf (fmt, sizeof fmt, "audio:f32:mono:rate=%d", rate);
  int keyed = gt_cache_key (full, fmt, key, sizeof key) == 0;
  gt_cache_blob b;
  if (keyed && gt_cache_get (cache, key, &b) == 0 && b.dtype == GT_CACHE_F32) {
    cache_hits++;
    *samples = b.data;
    *n = (long) b.dims[0];
    free (full);
    return 0;
  }
  cache_misses++;
  char desc[512];
  snprintf (desc, sizeof desc, "uridecodebin name=dec ! audioconvert ! "
      "audioresample ! audio/x-raw,format=F32LE,channels=1,rate=%d,"
      "layout=interleaved ! appsink name=sink sync=false", rate);
  audio_acc a = { 0 };
  if (run_pipeline (desc, full, audio_sample, &a) < 0) {
    free (a.x);
    free (full);
    return -1;
  }
  if (a.n == 0) {
    gc_set_error ("%s: no audio decoded", full);
    free (a.x);
    free (full);
    return -1;
  }
  gt_cache_blob put = { GT_CACHE_F32, { (int64_t) a.n, 1, 1, 1 }, rate, a.x };
  if (keyed)
    gt_cache_put (cache, key, &put);
  *samples = a.x;
  *n = (long) a.n;
  free (full);
  return 0;
}

/* ---- images and video --------------------------------------------------- */

typedef struct frame_acc {
  uint8_t *px;              /* [frames][3][h][w] */
  size_t cap;
  int w, h, frames, max_frames;
  double fps;
  const char *path;
} frame_acc;

static int
frame_sample (void *ctx, GstSample *s)
{
  frame_acc *a = ctx;
  GstVideoInfo info;
  GstBuffer *buf = gst_sample_get_buffer (s);
  GstCaps *caps = gst_sample_get_caps (s);
  if (!buf || !caps || !gst_video_info_from_caps (&info, caps))
    return 0;
  int w = GST_VIDEO_INFO_WIDTH (&info), h = GST_VIDEO_INFO_HEIGHT (&info);
  if (a->frames == 0) {
    a->w = w;
    a->h = h;
    a->fps = GST_VIDEO_INFO_FPS_D (&info) > 0 ?
        (double) GST_VIDEO_INFO_FPS_N (&info) / GST_VIDEO_INFO_FPS_D (&info) :
        0.0;
  } else if (w != a->w || h != a->h) {
    /* Frames of one array share a size; keep what came before. */
    fprintf (stderr, "gan-train: %s: size changes to %dx%d after %d frames;"
        " keeping those\n", a->path, w, h, a->frames);
    return 1;
  }
  size_t plane = (size_t) w * h, need = (a->frames + 1) * plane * 3;
  if (need > a->cap) {
    size_t cap = a->cap ? a->cap * 2 : need;
    while (cap < need)
      cap *= 2;
    uint8_t *p = realloc (a->px, cap);
    if (!p) {
      gc_set_error ("%s: out of memory decoding frames", a->path);
      return -1;
    }
    a->px = p;
    a->cap = cap;
  }
  GstVideoFrame vf;
  if (!gst_video_frame_map (&vf, &info, buf, GST_MAP_READ))
    return 0;
  const uint8_t *src = GST_VIDEO_FRAME_PLANE_DATA (&vf, 0);
  int stride = GST_VIDEO_FRAME_PLANE_STRIDE (&vf, 0);
  uint8_t *dst = a->px + a->frames * plane * 3;
  for (int y = 0; y < h; y++) {
    const uint8_t *row = src + (size_t) y * stride;
    for (int x = 0; x < w; x++)
      for (int ch = 0; ch < 3; ch++)
        dst[ch * plane + (size_t) y * w + x] = row[3 * x + ch];
  }
  gst_video_frame_unmap (&vf);
  a->frames++;
  return a->max_frames > 0 && a->frames >= a->max_frames ? 1 : 0;
}

/* Decoded (or cached) 8-bit planar frames of `path`. */
static int
load_frames (gt_ctx *c, const char *path, int max_frames, frame_acc *a)
{
  memset (a, 0, sizeof *a);
  char *full = gt_data_path (c, path);
  if (!full || check_file (full) < 0) {
    free (full);
    return -1;
  }
  const char *cache = c ? c->cache_dir : NULL;
  char fmt[64], key[8192];
  snprintf (fmt, sizeof fmt, "frames:rgb8:max=%d", max_frames);
  int keyed = gt_cache_key (full, fmt, key, sizeof key) == 0;
  gt_cache_blob b;
  if (keyed && gt_cache_get (cache, key, &b) == 0 && b.dtype == GT_CACHE_U8
      && b.dims[1] == 3) {
    cache_hits++;
    a->px = b.data;
    a->frames = (int) b.dims[0];
    a->h = (int) b.dims[2];
    a->w = (int) b.dims[3];
    a->fps = b.extra;
    free (full);
    return 0;
  }
  cache_misses++;
  a->max_frames = max_frames;
  a->path = full;
  const char *desc = "uridecodebin name=dec ! videoconvert ! "
      "video/x-raw,format=RGB ! appsink name=sink sync=false";
  int rc = run_pipeline (desc, full, frame_sample, a);
  if (rc < 0 || a->frames == 0) {
    if (rc == 0)
      gc_set_error ("%s: no picture decoded", full);
    free (a->px);
    a->px = NULL;
    free (full);
    return -1;
  }
  gt_cache_blob put = { GT_CACHE_U8, { a->frames, 3, a->h, a->w }, a->fps,
    a->px };
  if (keyed)
    gt_cache_put (cache, key, &put);
  free (full);
  a->path = NULL;
  return 0;
}

static float *
to_float (const uint8_t *px, size_t n)
{
  float *f = malloc (n * sizeof *f);
  if (f)
    for (size_t i = 0; i < n; i++)
      f[i] = px[i] * (1.0f / 255.0f);
  return f;
}

int
gt_load_image (gt_ctx *c, const char *path, float **rgb, int *w, int *h)
{
  *rgb = NULL;
  *w = *h = 0;
  frame_acc a;
  if (load_frames (c, path, 1, &a) < 0)
    return -1;
  *rgb = to_float (a.px, (size_t) 3 * a.w * a.h);
  free (a.px);
  if (!*rgb) {
    gc_set_error ("%s: out of memory", path);
    return -1;
  }
  *w = a.w;
  *h = a.h;
  return 0;
}

int
gt_load_video (gt_ctx *c, const char *path, int max_frames, float **rgb,
    int *w, int *h, int *frames, double *fps)
{
  *rgb = NULL;
  *w = *h = *frames = 0;
  if (fps)
    *fps = 0;
  frame_acc a;
  if (load_frames (c, path, max_frames < 0 ? 0 : max_frames, &a) < 0)
    return -1;
  *rgb = to_float (a.px, (size_t) 3 * a.w * a.h * a.frames);
  free (a.px);
  if (!*rgb) {
    gc_set_error ("%s: out of memory", path);
    return -1;
  }
  *w = a.w;
  *h = a.h;
  *frames = a.frames;
  if (fps)
    *fps = a.fps;
  return 0;
}
