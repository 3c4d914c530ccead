/**
 * SECTION:element-gansuperres
 * @title: gansuperres
 * @short_description: live video super-resolution x2, x3 or x4
 *
 * Upscales video or images by 2, 3 or 4 with a trained network: a
 * fidelity model (model-type=fidelity) or a GAN-trained one with sharper
 * texture (model-type=gan). Frames are processed whole, so there are no
 * tile seams, and a frame's output is ready when it is: no added latency.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 v4l2src ! video/x-raw,width=640,height=360 ! \
 *     gansuperres ! videoconvert ! autovideosink
 * ]|
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! \
 *     gansuperres scale=4 model-type=gan ! videoconvert ! x264enc ! ...
 * ]|
 */

/* The network sees luma only, at the input resolution (its cost per output
 * pixel falls with the scale); chroma is upscaled bilinearly, which the eye
 * does not miss. YUV frames give their Y plane straight to it; RGB frames
 * are split into BT.601 Y/Cb/Cr and put back together. The frame is
 * processed whole (the net streams rows internally). */
#include "gstgansuperres.h"
#include "gstganelements.h"
#include "gstganmodel.h"
#include "gc_threads.h"

#include <gst/video/navigation.h>
#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_gan_superres_debug);
#define GST_CAT_DEFAULT gst_gan_superres_debug

enum
{
  PROP_0,
  PROP_SCALE,
  PROP_MODEL_TYPE,
  PROP_MODEL,
  PROP_NUM_THREADS,
};

#define DEFAULT_SCALE 2
#define DEFAULT_MODEL_TYPE GST_GAN_SUPERRES_MODEL_FIDELITY
#define DEFAULT_NUM_THREADS 0

#define SR_CAPS GST_VIDEO_CAPS_MAKE ("{ I420, NV12, RGB, BGR, RGBA, BGRA, " \
    "RGBx, BGRx, GRAY8 }")

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (SR_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (SR_CAPS));

#define gst_gan_superres_parent_class parent_class
G_DEFINE_TYPE (GstGanSuperres, gst_gan_superres, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (gansuperres, "gansuperres", GST_RANK_NONE,
    GST_TYPE_GAN_SUPERRES);

GType
gst_gan_superres_model_type_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GAN_SUPERRES_MODEL_FIDELITY,
        "Fidelity: trained for PSNR (L1), faithful and smooth", "fidelity"},
    {GST_GAN_SUPERRES_MODEL_GAN,
        "GAN: fine-tuned adversarially, sharper textures and edges", "gan"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGanSuperresModelType", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---- BT.601 studio-range colour (MATLAB's rgb2ycbcr, what the model was
 * trained on): offsets in 0..255 units from RGB in [0, 1]. */
static const double ycc_fwd[3][3] = {
  {65.481, 128.553, 24.966},
  {-37.797, -74.203, 112.0},
  {112.0, -93.786, -18.214},
};
static float ycc_inv[3][3];     /* RGB (0..255) from (Y-16, Cb-128, Cr-128) */

static void
ycc_init_inverse (void)
{
  const double (*m)[3] = ycc_fwd;
  double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
      - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
      + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      /* adjugate: cofactor of (j, i) */
      int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 =
          (i + 2) % 3;
      double cof = m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
      ycc_inv[i][j] = (float) (255.0 * cof / det);
    }
}

static inline guint8
clamp_u8 (float v)
{
  return v <= 0.f ? 0 : v >= 255.f ? 255 : (guint8) (v + 0.5f);
}

/* ---- frame jobs (split over rows with gc_parallel_for) -------------------- */

typedef struct
{
  GstVideoFrame *in, *out;
  GstGanSuperres *self;
  int w, h, W, H;           /* input and output luma sizes */
  /* bilinear tables for one plane upscale */
  const guint8 *src;
  guint8 *dst;
  int sw, sh, sstride, dw, dh, dstride, comps;
  const int *x0;
  const float *ax;
} frame_job;

/* Columns and weights of a half-pixel-centred bilinear upscale. */
static void
bilinear_table (int sw, int dw, int *x0, float *ax)
{
  float s = (float) sw / dw;
  for (int x = 0; x < dw; x++) {
    float f = (x + 0.5f) * s - 0.5f;
    if (f < 0.f)
      f = 0.f;
    int i = (int) f;
    if (i > sw - 1)
      i = sw - 1;
    x0[x] = i;
    ax[x] = i + 1 < sw ? f - i : 0.f;
  }
}

static inline void
bilinear_row (int y, int sh, int dh, int *y0, int *y1, float *ay)
{
  float f = (y + 0.5f) * ((float) sh / dh) - 0.5f;
  if (f < 0.f)
    f = 0.f;
  int i = (int) f;
  if (i > sh - 1)
    i = sh - 1;
  *y0 = i;
  *y1 = i + 1 < sh ? i + 1 : i;
  *ay = i + 1 < sh ? f - i : 0.f;
}

/* 8-bit plane (1 or 2 interleaved components) bilinear upscale. */
static void
upscale_u8_rows (void *ctx, int begin, int end, int worker)
{
  const frame_job *j = ctx;
  for (int y = begin; y < end; y++) {
    int y0, y1;
    float ay;
    bilinear_row (y, j->sh, j->dh, &y0, &y1, &ay);
    const guint8 *r0 = j->src + (gsize) y0 * j->sstride;
    const guint8 *r1 = j->src + (gsize) y1 * j->sstride;
    guint8 *d = j->dst + (gsize) y * j->dstride;
    for (int x = 0; x < j->dw; x++) {
      int i0 = j->x0[x] * j->comps;
      int i1 = (j->ax[x] > 0.f ? j->x0[x] + 1 : j->x0[x]) * j->comps;
      float a = j->ax[x];
      for (int c = 0; c < j->comps; c++) {
        float top = r0[i0 + c] + a * (r0[i1 + c] - r0[i0 + c]);
        float bot = r1[i0 + c] + a * (r1[i1 + c] - r1[i0 + c]);
        d[x * j->comps + c] = clamp_u8 (top + ay * (bot - top));
      }
    }
  }
}

static void
upscale_plane (GstGanSuperres * self, const guint8 * src, int sw, int sh,
    int sstride, guint8 * dst, int dw, int dh, int dstride, int comps,
    int threads)
{
  int *x0 = g_new (int, dw);
  float *ax = g_new (float, dw);
  bilinear_table (sw, dw, x0, ax);
  frame_job j = {.self = self,.src = src,.dst = dst,.sw = sw,.sh = sh,
    .sstride = sstride,.dw = dw,.dh = dh,.dstride = dstride,.comps = comps,
    .x0 = x0,.ax = ax
  };
  gc_parallel_for (threads, dh, upscale_u8_rows, &j);
  g_free (x0);
  g_free (ax);
}

/* Packed RGB -> luma_in, cb, cr (and alpha), all / 255. */
static void
rgb_split_rows (void *ctx, int begin, int end, int worker)
{
  const frame_job *j = ctx;
  GstGanSuperres *self = j->self;
  const guint8 *base = GST_VIDEO_FRAME_PLANE_DATA (j->in, 0);
  int stride = GST_VIDEO_FRAME_PLANE_STRIDE (j->in, 0);
  int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (j->in, 0);
  int ro = GST_VIDEO_FRAME_COMP_POFFSET (j->in, 0);
  int go = GST_VIDEO_FRAME_COMP_POFFSET (j->in, 1);
  int bo = GST_VIDEO_FRAME_COMP_POFFSET (j->in, 2);
  gboolean has_alpha = GST_VIDEO_INFO_HAS_ALPHA (&j->in->info);
  int ao = has_alpha ? GST_VIDEO_FRAME_COMP_POFFSET (j->in, 3) : 0;
  const float k = 1.f / (255.f * 255.f);
  for (int y = begin; y < end; y++) {
    const guint8 *s = base + (gsize) y * stride;
    gsize o = (gsize) y * j->w;
    for (int x = 0; x < j->w; x++, s += ps) {
      float r = s[ro], g = s[go], b = s[bo];
      self->luma_in[o + x] = 16.f / 255.f + k * ((float) ycc_fwd[0][0] * r
          + (float) ycc_fwd[0][1] * g + (float) ycc_fwd[0][2] * b);
      self->cb[o + x] = 128.f / 255.f + k * ((float) ycc_fwd[1][0] * r
          + (float) ycc_fwd[1][1] * g + (float) ycc_fwd[1][2] * b);
      self->cr[o + x] = 128.f / 255.f + k * ((float) ycc_fwd[2][0] * r
          + (float) ycc_fwd[2][1] * g + (float) ycc_fwd[2][2] * b);
      if (has_alpha)
        self->alpha[o + x] = s[ao];
    }
  }
}

/* luma_out + bilinear cb, cr (alpha) -> packed RGB. */
static void
rgb_merge_rows (void *ctx, int begin, int end, int worker)
{
  const frame_job *j = ctx;
  GstGanSuperres *self = j->self;
  guint8 *base = GST_VIDEO_FRAME_PLANE_DATA (j->out, 0);
  int stride = GST_VIDEO_FRAME_PLANE_STRIDE (j->out, 0);
  int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (j->out, 0);
  int ro = GST_VIDEO_FRAME_COMP_POFFSET (j->out, 0);
  int go = GST_VIDEO_FRAME_COMP_POFFSET (j->out, 1);
  int bo = GST_VIDEO_FRAME_COMP_POFFSET (j->out, 2);
  gboolean has_alpha = GST_VIDEO_INFO_HAS_ALPHA (&j->out->info);
  /* RGBx/BGRx: the padding byte is the one no component uses */
  int ao = has_alpha ? (int) GST_VIDEO_FRAME_COMP_POFFSET (j->out, 3)
      : 6 - (ro + go + bo);
  for (int y = begin; y < end; y++) {
    int y0, y1;
    float ay;
    bilinear_row (y, j->h, j->H, &y0, &y1, &ay);
    const float *cb0 = self->cb + (gsize) y0 * j->w;
    const float *cb1 = self->cb + (gsize) y1 * j->w;
    const float *cr0 = self->cr + (gsize) y0 * j->w;
    const float *cr1 = self->cr + (gsize) y1 * j->w;
    const float *a0 = has_alpha ? self->alpha + (gsize) y0 * j->w : NULL;
    const float *a1 = has_alpha ? self->alpha + (gsize) y1 * j->w : NULL;
    const float *yl = self->luma_out + (gsize) y * j->W;
    guint8 *d = base + (gsize) y * stride;
    for (int x = 0; x < j->W; x++, d += ps) {
      int i0 = j->x0[x];
      int i1 = j->ax[x] > 0.f ? i0 + 1 : i0;
      float a = j->ax[x];
      float t = cb0[i0] + a * (cb0[i1] - cb0[i0]);
      float u = cb1[i0] + a * (cb1[i1] - cb1[i0]);
      float cb = (t + ay * (u - t)) * 255.f - 128.f;
      t = cr0[i0] + a * (cr0[i1] - cr0[i0]);
      u = cr1[i0] + a * (cr1[i1] - cr1[i0]);
      float cr = (t + ay * (u - t)) * 255.f - 128.f;
      float yy = yl[x] * 255.f - 16.f;
      d[ro] = clamp_u8 (ycc_inv[0][0] * yy + ycc_inv[0][1] * cb
          + ycc_inv[0][2] * cr);
      d[go] = clamp_u8 (ycc_inv[1][0] * yy + ycc_inv[1][1] * cb
          + ycc_inv[1][2] * cr);
      d[bo] = clamp_u8 (ycc_inv[2][0] * yy + ycc_inv[2][1] * cb
          + ycc_inv[2][2] * cr);
      if (has_alpha) {
        t = a0[i0] + a * (a0[i1] - a0[i0]);
        u = a1[i0] + a * (a1[i1] - a1[i0]);
        d[ao] = clamp_u8 (t + ay * (u - t));
      } else if (ps == 4) {
        d[ao] = 255;
      }
    }
  }
}

/* ---- model ----------------------------------------------------------------- */

typedef struct
{
  GstGanSuperres *self;
  int scale;
} SuperresBind;

/* A model of another scale is refused by name, before the network is
 * made from it. */
static int
bind_superres (const gc_model_file * mf, gpointer user)
{
  SuperresBind *b = user;
  int model_scale = gc_model_meta_get_int (mf, "scale", 0);
  if (model_scale != b->scale) {
    gc_set_error ("it is for scale %d, but the element's scale is %d (set "
        "scale=%d or choose a x%d model)", model_scale, b->scale,
        model_scale, b->scale);
    return -1;
  }
  return gcn_superres_load (&b->self->net, mf, b->scale);
}

/* Load the configured or embedded model; posts an element error naming the
 * model on failure. */
static gboolean
gst_gan_superres_load (GstGanSuperres * self)
{
  gchar *path, *embedded;
  int scale;
  GstGanSuperresModelType type;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->model_path);
  scale = self->scale;
  type = self->model_type;
  GST_OBJECT_UNLOCK (self);

  if (self->loaded)
    gcn_superres_free (&self->net);
  self->loaded = FALSE;

  embedded = g_strdup_printf ("sr-x%d-%s", scale,
      type == GST_GAN_SUPERRES_MODEL_GAN ? "gan" : "fidelity");
  SuperresBind b = { self, scale };
  ok = gst_gan_model_load (GST_ELEMENT (self), "Super-resolution", path,
      embedded, GCN_SUPERRES_ARCH, bind_superres, &b);
  g_free (embedded);
  g_free (path);
  if (!ok)
    return FALSE;
  self->loaded = TRUE;
  self->net_scale = scale;
  GST_INFO_OBJECT (self, "x%d, %d channels, %d mid layers, %ld MAC per "
      "input pixel", scale, self->net.channels, self->net.n_mid,
      gcn_superres_macs_per_pixel (&self->net));
  return TRUE;
}

static gboolean
gst_gan_superres_start (GstBaseTransform * trans)
{
  return gst_gan_superres_load (GST_GAN_SUPERRES (trans));
}

static gboolean
gst_gan_superres_stop (GstBaseTransform * trans)
{
  GstGanSuperres *self = GST_GAN_SUPERRES (trans);
  if (self->loaded)
    gcn_superres_free (&self->net);
  self->loaded = FALSE;
  g_clear_pointer (&self->luma_in, gc_free);
  g_clear_pointer (&self->luma_out, gc_free);
  g_clear_pointer (&self->cb, gc_free);
  g_clear_pointer (&self->cr, gc_free);
  g_clear_pointer (&self->alpha, gc_free);
  g_clear_pointer (&self->xtab, g_free);
  g_clear_pointer (&self->xw, g_free);
  self->luma_in_cap = self->luma_out_cap = self->chroma_cap = 0;
  self->xtab_cap = 0;
  return TRUE;
}

/* ---- caps ------------------------------------------------------------------ */

static gint
get_scale (GstGanSuperres * self)
{
  GST_OBJECT_LOCK (self);
  gint s = self->scale;
  GST_OBJECT_UNLOCK (self);
  return s;
}

/* Multiply (up) or divide (down) one width/height value by the scale.
 * Returns FALSE when nothing can match (a fixed size not divisible). */
static gboolean
scale_dim (const GValue * in, GValue * out, int s, gboolean up)
{
  if (G_VALUE_HOLDS_INT (in)) {
    int v = g_value_get_int (in);
    if (!up && v % s)
      return FALSE;
    if (up && v > G_MAXINT / s)
      return FALSE;
    g_value_init (out, G_TYPE_INT);
    g_value_set_int (out, up ? v * s : v / s);
    return TRUE;
  }
  if (GST_VALUE_HOLDS_INT_RANGE (in)) {
    gint64 lo = gst_value_get_int_range_min (in);
    gint64 hi = gst_value_get_int_range_max (in);
    gint64 step = gst_value_get_int_range_step (in);
    gint64 nlo, nhi, nstep;
    if (up) {
      nlo = lo * s;
      nhi = MIN (hi * s, (gint64) G_MAXINT / s * s);
      nstep = step * s;
    } else {
      nlo = (lo + s - 1) / s;
      nhi = hi / s;
      nstep = step % s == 0 ? step / s : 1;
    }
    if (nlo < 1)
      nlo = 1;
    if (nlo > nhi)
      return FALSE;
    g_value_init (out, G_TYPE_INT);
    if (nlo == nhi) {
      g_value_set_int (out, (gint) nlo);
      return TRUE;
    }
    g_value_unset (out);
    g_value_init (out, GST_TYPE_INT_RANGE);
    /* a stepped range needs its bounds on the step */
    if (nstep > 1) {
      nlo = (nlo + nstep - 1) / nstep * nstep;
      nhi = nhi / nstep * nstep;
      if (nlo >= nhi) {
        g_value_unset (out);
        g_value_init (out, G_TYPE_INT);
        g_value_set_int (out, (gint) nlo);
        return nlo == nhi;
      }
    }
    gst_value_set_int_range_step (out, (gint) nlo, (gint) nhi, (gint) nstep);
    return TRUE;
  }
  if (GST_VALUE_HOLDS_LIST (in)) {
    g_value_init (out, GST_TYPE_LIST);
    for (guint i = 0; i < gst_value_list_get_size (in); i++) {
      GValue v = G_VALUE_INIT;
      if (scale_dim (gst_value_list_get_value (in, i), &v, s, up))
        gst_value_list_append_and_take_value (out, &v);
    }
    if (gst_value_list_get_size (out) == 0) {
      g_value_unset (out);
      return FALSE;
    }
    return TRUE;
  }
  return FALSE;
}

static GstCaps *
gst_gan_superres_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstGanSuperres *self = GST_GAN_SUPERRES (trans);
  int s = get_scale (self);
  gboolean up = direction == GST_PAD_SINK;
  GstCaps *ret = gst_caps_new_empty ();

  for (guint i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *st = gst_structure_copy (gst_caps_get_structure (caps, i));
    GstCapsFeatures *f = gst_caps_get_features (caps, i);
    gboolean ok = TRUE;
    const char *dims[2] = { "width", "height" };
    for (int d = 0; d < 2 && ok; d++) {
      const GValue *v = gst_structure_get_value (st, dims[d]);
      if (!v)
        continue;
      GValue nv = G_VALUE_INIT;
      ok = scale_dim (v, &nv, s, up);
      if (ok)
        gst_structure_take_value (st, dims[d], &nv);
    }
    if (!ok) {
      gst_structure_free (st);
      continue;
    }
    ret = gst_caps_merge_structure_full (ret, st,
        f ? gst_caps_features_copy (f) : NULL);
  }
  if (filter) {
    GstCaps *t = gst_caps_intersect_full (filter, ret,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (ret);
    ret = t;
  }
  GST_DEBUG_OBJECT (self, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      up ? "sink->src" : "src->sink", caps, ret);
  return ret;
}

/* The other side's size is fixed by ours; the pixel aspect ratio carries
 * over unchanged (both axes scale alike), so the display aspect is kept. */
static GstCaps *
gst_gan_superres_fixate_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * othercaps)
{
  GstGanSuperres *self = GST_GAN_SUPERRES (trans);
  int s = get_scale (self);
  gboolean up = direction == GST_PAD_SINK;
  GstStructure *ins = gst_caps_get_structure (caps, 0);
  gint w = 0, h = 0, pn = 1, pd = 1;

  othercaps = gst_caps_truncate (othercaps);
  othercaps = gst_caps_make_writable (othercaps);
  GstStructure *outs = gst_caps_get_structure (othercaps, 0);
  if (gst_structure_get_int (ins, "width", &w)
      && gst_structure_get_int (ins, "height", &h)) {
    gst_structure_fixate_field_nearest_int (outs, "width", up ? w * s : w / s);
    gst_structure_fixate_field_nearest_int (outs, "height",
        up ? h * s : h / s);
  }
  if (gst_structure_get_fraction (ins, "pixel-aspect-ratio", &pn, &pd)) {
    if (gst_structure_has_field (outs, "pixel-aspect-ratio"))
      gst_structure_fixate_field_nearest_fraction (outs, "pixel-aspect-ratio",
          pn, pd);
    else
      gst_structure_set (outs, "pixel-aspect-ratio", GST_TYPE_FRACTION, pn,
          pd, NULL);
  }
  othercaps = gst_caps_fixate (othercaps);
  GST_DEBUG_OBJECT (self, "fixated to %" GST_PTR_FORMAT, othercaps);
  return othercaps;
}

static gboolean
gst_gan_superres_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstGanSuperres *self = GST_GAN_SUPERRES (filter);
  int s = get_scale (self);
  int w = GST_VIDEO_INFO_WIDTH (in_info), h = GST_VIDEO_INFO_HEIGHT (in_info);

  if (GST_VIDEO_INFO_FORMAT (in_info) != GST_VIDEO_INFO_FORMAT (out_info)
      || GST_VIDEO_INFO_WIDTH (out_info) != w * s
      || GST_VIDEO_INFO_HEIGHT (out_info) != h * s) {
    GST_ERROR_OBJECT (self, "output must be the input format at %d x the "
        "size: %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, s, incaps, outcaps);
    return FALSE;
  }
  if (!self->loaded || self->net_scale != s) {
    /* scale changed since start (only possible in READY) */
    if (!gst_gan_superres_load (self))
      return FALSE;
  }
  gsize need_in = (gsize) w * h, need_out = need_in * s * s;
  gboolean rgb = GST_VIDEO_INFO_IS_RGB (in_info);
  /* Each buffer against its own size: after a scale drop a larger input
   * can come with a smaller output. */
  if (rgb && (self->luma_in_cap < need_in || self->luma_out_cap < need_out)) {
    g_clear_pointer (&self->luma_in, gc_free);
    g_clear_pointer (&self->luma_out, gc_free);
    self->luma_in = gc_alloc (sizeof (float) * need_in);
    self->luma_out = gc_alloc (sizeof (float) * need_out);
    gboolean ok = self->luma_in && self->luma_out;
    self->luma_in_cap = ok ? need_in : 0;
    self->luma_out_cap = ok ? need_out : 0;
  }
  if (rgb && self->chroma_cap < need_in) {
    g_clear_pointer (&self->cb, gc_free);
    g_clear_pointer (&self->cr, gc_free);
    g_clear_pointer (&self->alpha, gc_free);
    self->cb = gc_alloc (sizeof (float) * need_in);
    self->cr = gc_alloc (sizeof (float) * need_in);
    self->alpha = gc_alloc (sizeof (float) * need_in);
    self->chroma_cap = self->cb && self->cr && self->alpha ? need_in : 0;
  }
  if (self->xtab_cap < w * s) {
    g_free (self->xtab);
    g_free (self->xw);
    self->xtab = g_new (gint, w * s);
    self->xw = g_new (float, w * s);
    self->xtab_cap = w * s;
  }
  bilinear_table (w, w * s, self->xtab, self->xw);
  if (rgb && (!self->luma_in_cap || !self->chroma_cap)) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Out of memory"),
        ("%d x %d frame buffers", w, h));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "%dx%d -> %dx%d %s", w, h, w * s, h * s,
      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info)));
  return TRUE;
}

/* ---- processing --------------------------------------------------------------- */

static void
gst_gan_superres_before_transform (GstBaseTransform * trans,
    GstBuffer * buffer)
{
  GstClockTime ts = GST_BUFFER_PTS (buffer);
  if (GST_CLOCK_TIME_IS_VALID (ts)) {
    ts = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME, ts);
    if (GST_CLOCK_TIME_IS_VALID (ts))
      gst_object_sync_values (GST_OBJECT (trans), ts);
  }
}

static GstFlowReturn
gst_gan_superres_transform_frame (GstVideoFilter * filter,
    GstVideoFrame * in, GstVideoFrame * out)
{
  GstGanSuperres *self = GST_GAN_SUPERRES (filter);
  GST_OBJECT_LOCK (self);
  int threads = self->num_threads;
  GST_OBJECT_UNLOCK (self);
  /* The pool is shared by every element; this caps our share of it. */
  gc_set_thread_limit (threads);
  threads = gc_current_threads ();

  int s = self->net_scale;
  frame_job j = {.in = in,.out = out,.self = self,
    .w = GST_VIDEO_FRAME_WIDTH (in),.h = GST_VIDEO_FRAME_HEIGHT (in),
    .W = GST_VIDEO_FRAME_WIDTH (out),.H = GST_VIDEO_FRAME_HEIGHT (out),
    .x0 = self->xtab,.ax = self->xw
  };
  gboolean rgb = GST_VIDEO_INFO_IS_RGB (&in->info);
  if (!self->loaded || j.W != j.w * s || j.H != j.h * s) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("frame sizes do not match the negotiated scale"));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  int rc;
  if (rgb) {
    gc_parallel_for (threads, j.h, rgb_split_rows, &j);
    rc = gcn_superres_run (&self->net, self->luma_in, j.w, j.h, j.w,
        self->luma_out, j.W);
  } else {
    /* the Y plane goes straight in and out: no float frame */
    rc = gcn_superres_run_u8 (&self->net, GST_VIDEO_FRAME_COMP_DATA (in, 0),
        j.w, j.h, GST_VIDEO_FRAME_COMP_STRIDE (in, 0),
        GST_VIDEO_FRAME_COMP_DATA (out, 0), GST_VIDEO_FRAME_COMP_STRIDE (out,
            0));
  }
  if (rc < 0) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Super-resolution failed"),
        ("%s", gc_last_error ()));
    return GST_FLOW_ERROR;
  }
  if (rgb) {
    gc_parallel_for (threads, j.H, rgb_merge_rows, &j);
    return GST_FLOW_OK;
  }
  switch (GST_VIDEO_FRAME_FORMAT (in)) {
    case GST_VIDEO_FORMAT_I420:
      for (int c = 1; c <= 2; c++)
        upscale_plane (self, GST_VIDEO_FRAME_COMP_DATA (in, c),
            GST_VIDEO_FRAME_COMP_WIDTH (in, c),
            GST_VIDEO_FRAME_COMP_HEIGHT (in, c),
            GST_VIDEO_FRAME_COMP_STRIDE (in, c),
            GST_VIDEO_FRAME_COMP_DATA (out, c),
            GST_VIDEO_FRAME_COMP_WIDTH (out, c),
            GST_VIDEO_FRAME_COMP_HEIGHT (out, c),
            GST_VIDEO_FRAME_COMP_STRIDE (out, c), 1, threads);
      break;
    case GST_VIDEO_FORMAT_NV12:
      upscale_plane (self, GST_VIDEO_FRAME_PLANE_DATA (in, 1),
          GST_VIDEO_FRAME_COMP_WIDTH (in, 1),
          GST_VIDEO_FRAME_COMP_HEIGHT (in, 1),
          GST_VIDEO_FRAME_PLANE_STRIDE (in, 1),
          GST_VIDEO_FRAME_PLANE_DATA (out, 1),
          GST_VIDEO_FRAME_COMP_WIDTH (out, 1),
          GST_VIDEO_FRAME_COMP_HEIGHT (out, 1),
          GST_VIDEO_FRAME_PLANE_STRIDE (out, 1), 2, threads);
      break;
    default:                   /* GRAY8: luma only */
      break;
  }
  return GST_FLOW_OK;
}

/* Pointer coordinates arrive in output pixels; upstream wants input pixels. */
static gboolean
gst_gan_superres_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstGanSuperres *self = GST_GAN_SUPERRES (trans);
  if (GST_EVENT_TYPE (event) == GST_EVENT_NAVIGATION) {
    gdouble x, y;
    if (gst_navigation_event_get_coordinates (event, &x, &y)) {
      int s = self->loaded ? self->net_scale : get_scale (self);
      event = gst_event_make_writable (event);
      gst_navigation_event_set_coordinates (event, x / s, y / s);
    }
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
}

/* ---- GObject ------------------------------------------------------------------- */

static void
gst_gan_superres_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGanSuperres *self = GST_GAN_SUPERRES (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SCALE:
      self->scale = g_value_get_int (value);
      break;
    case PROP_MODEL_TYPE:
      self->model_type = g_value_get_enum (value);
      break;
    case PROP_MODEL:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      break;
    case PROP_NUM_THREADS:
      self->num_threads = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  if (prop_id == PROP_SCALE)
    gst_base_transform_reconfigure_src (GST_BASE_TRANSFORM (self));
}

static void
gst_gan_superres_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstGanSuperres *self = GST_GAN_SUPERRES (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SCALE:
      g_value_set_int (value, self->scale);
      break;
    case PROP_MODEL_TYPE:
      g_value_set_enum (value, self->model_type);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_NUM_THREADS:
      g_value_set_int (value, self->num_threads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_gan_superres_finalize (GObject * object)
{
  GstGanSuperres *self = GST_GAN_SUPERRES (object);
  gst_gan_superres_stop (GST_BASE_TRANSFORM (self));
  g_free (self->model_path);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_gan_superres_class_init (GstGanSuperresClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_gan_superres_debug, "gansuperres", 0,
      "GAN video super-resolution");
  ycc_init_inverse ();

  gobject_class->set_property = gst_gan_superres_set_property;
  gobject_class->get_property = gst_gan_superres_get_property;
  gobject_class->finalize = gst_gan_superres_finalize;

  g_object_class_install_property (gobject_class, PROP_SCALE,
      g_param_spec_int ("scale", "Scale",
          "Upscaling factor: output width and height are the input's times "
          "this", 2, 4, DEFAULT_SCALE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MODEL_TYPE,
      g_param_spec_enum ("model-type", "Model type",
          "Which embedded model to use (ignored when model is set)",
          GST_TYPE_GAN_SUPERRES_MODEL_TYPE, DEFAULT_MODEL_TYPE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Path of a super-resolution model (.safetensors) for this scale; "
          "NULL uses the embedded one", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_NUM_THREADS,
      g_param_spec_int ("num-threads", "Number of threads",
          "Worker threads for one frame (0: all cores)", 0, 64,
          DEFAULT_NUM_THREADS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "GAN video super-resolution", "Filter/Effect/Converter/Video/Scaler",
      "Upscales video x2, x3 or x4 with a small trained network (fidelity "
      "or GAN model), in real time on a CPU",
      "gst-gan developers <gst-gan@example.invalid>");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_gan_superres_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_gan_superres_stop);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_gan_superres_transform_caps);
  trans_class->fixate_caps = GST_DEBUG_FUNCPTR (gst_gan_superres_fixate_caps);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_gan_superres_src_event);
  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_gan_superres_before_transform);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_gan_superres_set_info);
  filter_class->transform_frame =
      GST_DEBUG_FUNCPTR (gst_gan_superres_transform_frame);

  gst_type_mark_as_plugin_api (GST_TYPE_GAN_SUPERRES_MODEL_TYPE, 0);
}

static void
gst_gan_superres_init (GstGanSuperres * self)
{
  self->scale = DEFAULT_SCALE;
  self->model_type = DEFAULT_MODEL_TYPE;
  self->num_threads = DEFAULT_NUM_THREADS;
  /* Late frames are dropped upstream rather than queued behind us. */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), TRUE);
}
