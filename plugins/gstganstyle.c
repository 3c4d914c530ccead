/**
 * SECTION:element-ganstyle
 * @title: ganstyle
 * @short_description: real-time style transfer, one network for every painting
 *
 * Restyles video like a painting, in real time on a CPU. The style is
 * chosen by index (style) or name (style-name); two styles can be blended.
 * Switching styles costs nothing and lands exactly on a frame boundary.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! ganstyle style-name=wave ! \
 *     videoconvert ! autovideosink
 * ]|
 */

/* One conditional generator holds every style (its instance norms carry a
 * gamma/beta row per painting), so switching styles costs nothing: the
 * style, blend and strength properties are read once per frame under the
 * object lock. */
#include "gstganstyle.h"
#include "gstganelements.h"
#include "gstganmodel.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_gan_style_debug);
#define GST_CAT_DEFAULT gst_gan_style_debug

enum
{
  PROP_0,
  PROP_STYLE,
  PROP_STYLE_NAME,
  PROP_BLEND_STYLE,
  PROP_BLEND,
  PROP_STRENGTH,
  PROP_MODEL,
  PROP_NUM_THREADS,
  PROP_STYLES,
};

#define DEFAULT_STYLE 0
#define DEFAULT_BLEND_STYLE -1
#define DEFAULT_BLEND 0.5
#define DEFAULT_STRENGTH 1.0
#define DEFAULT_NUM_THREADS 0

/* Sizes up to what gcn_style_infer accepts (16384 per side), so a larger
 * frame is refused at negotiation rather than failing on its first frame. */
#define STYLE_CAPS "video/x-raw, format = (string) { RGB, BGR, RGBA, BGRA, " \
    "RGBx, BGRx, I420, NV12 }, width = (int) [ 1, 16384 ], " \
    "height = (int) [ 1, 16384 ], framerate = (fraction) [ 0, max ]"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (STYLE_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (STYLE_CAPS));

#define gst_gan_style_parent_class parent_class
G_DEFINE_TYPE (GstGanStyle, gst_gan_style, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (ganstyle, "ganstyle", GST_RANK_NONE,
    GST_TYPE_GAN_STYLE);

/* ---- colour conversion ---------------------------------------------------
 * Frames become planar float RGB in [0, 1] for the network and go back the
 * same way; YUV uses the stream's own matrix and range. */

typedef struct
{
  GstVideoFrame *frame;
  float *rgb;               /* [3][h][w] */
  int w, h;
  gboolean yuv;
  float kr, kb;             /* luma coefficients */
  float y_off, y_scale, c_scale;
} convert_job;

static void
convert_job_init (convert_job * j, GstVideoFrame * frame, float *rgb)
{
  GstVideoInfo *info = &frame->info;
  j->frame = frame;
  j->rgb = rgb;
  j->w = GST_VIDEO_INFO_WIDTH (info);
  j->h = GST_VIDEO_INFO_HEIGHT (info);
  j->yuv = GST_VIDEO_INFO_IS_YUV (info);
  gdouble kr = 0.299, kb = 0.114;
  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr, &kb)) {
    kr = 0.299;
    kb = 0.114;
  }
  j->kr = (float) kr;
  j->kb = (float) kb;
  if (info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255) {
    j->y_off = 0.f;
    j->y_scale = 255.f;
    j->c_scale = 255.f;
  } else {
    j->y_off = 16.f;
    j->y_scale = 219.f;
    j->c_scale = 224.f;
  }
}

static inline guint8
to_u8 (float v)
{
  v = v * 255.f + 0.5f;
  return v <= 0.f ? 0 : v >= 255.f ? 255 : (guint8) v;
}

static inline guint8
clamp_u8 (float v)
{
  v += 0.5f;
  return v <= 0.f ? 0 : v >= 255.f ? 255 : (guint8) v;
}

static void
unpack_rows (void *ctx, int begin, int end, int worker)
{
  convert_job *j = ctx;
  GstVideoFrame *f = j->frame;
  size_t plane = (size_t) j->w * j->h;
  for (int y = begin; y < end; y++) {
    float *r = j->rgb + (size_t) y * j->w, *g = r + plane, *b = g + plane;
    if (!j->yuv) {
      const guint8 *pr = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 0)
          + y * GST_VIDEO_FRAME_COMP_STRIDE (f, 0);
      const guint8 *pg = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 1)
          + y * GST_VIDEO_FRAME_COMP_STRIDE (f, 1);
      const guint8 *pb = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 2)
          + y * GST_VIDEO_FRAME_COMP_STRIDE (f, 2);
      int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (f, 0);
      for (int x = 0; x < j->w; x++) {
        r[x] = pr[x * ps] * (1.f / 255.f);
        g[x] = pg[x * ps] * (1.f / 255.f);
        b[x] = pb[x * ps] * (1.f / 255.f);
      }
    } else {
      const guint8 *py = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 0)
          + y * GST_VIDEO_FRAME_COMP_STRIDE (f, 0);
      const guint8 *pu = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 1)
          + (y / 2) * GST_VIDEO_FRAME_COMP_STRIDE (f, 1);
      const guint8 *pv = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 2)
          + (y / 2) * GST_VIDEO_FRAME_COMP_STRIDE (f, 2);
      int us = GST_VIDEO_FRAME_COMP_PSTRIDE (f, 1);
      int vs = GST_VIDEO_FRAME_COMP_PSTRIDE (f, 2);
      float kr = j->kr, kb = j->kb, kg = 1.f - kr - kb;
      for (int x = 0; x < j->w; x++) {
        float Y = (py[x] - j->y_off) / j->y_scale;
        float cb = (pu[(x / 2) * us] - 128.f) / j->c_scale;
        float cr = (pv[(x / 2) * vs] - 128.f) / j->c_scale;
        float R = Y + 2.f * (1.f - kr) * cr;
        float B = Y + 2.f * (1.f - kb) * cb;
        float G = (Y - kr * R - kb * B) / kg;
        r[x] = R < 0.f ? 0.f : R > 1.f ? 1.f : R;
        g[x] = G < 0.f ? 0.f : G > 1.f ? 1.f : G;
        b[x] = B < 0.f ? 0.f : B > 1.f ? 1.f : B;
      }
    }
  }
}

/* Packed RGB: rows. YUV: pairs of rows (so each chroma sample averages
 * its own 2x2 block once). */
static void
pack_rows (void *ctx, int begin, int end, int worker)
{
  convert_job *j = ctx;
  GstVideoFrame *f = j->frame;
  size_t plane = (size_t) j->w * j->h;
  if (!j->yuv) {
    int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (f, 0);
    for (int y = begin; y < end; y++) {
      const float *r = j->rgb + (size_t) y * j->w, *g = r + plane,
          *b = g + plane;
      guint8 *pr = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 0)
          + y * GST_VIDEO_FRAME_COMP_STRIDE (f, 0);
      guint8 *pg = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 1)
          + y * GST_VIDEO_FRAME_COMP_STRIDE (f, 1);
      guint8 *pb = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 2)
          + y * GST_VIDEO_FRAME_COMP_STRIDE (f, 2);
      for (int x = 0; x < j->w; x++) {
        pr[x * ps] = to_u8 (r[x]);
        pg[x * ps] = to_u8 (g[x]);
        pb[x * ps] = to_u8 (b[x]);
      }
    }
    return;
  }
  float kr = j->kr, kb = j->kb, kg = 1.f - kr - kb;
  int us = GST_VIDEO_FRAME_COMP_PSTRIDE (f, 1);
  int vs = GST_VIDEO_FRAME_COMP_PSTRIDE (f, 2);
  for (int cy = begin; cy < end; cy++) {
    guint8 *pu = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 1)
        + cy * GST_VIDEO_FRAME_COMP_STRIDE (f, 1);
    guint8 *pv = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 2)
        + cy * GST_VIDEO_FRAME_COMP_STRIDE (f, 2);
    int y0 = 2 * cy, y1 = 2 * cy + 1 < j->h ? 2 * cy + 1 : 2 * cy;
    for (int y = y0; y <= y1; y++) {
      const float *r = j->rgb + (size_t) y * j->w, *g = r + plane,
          *b = g + plane;
      guint8 *py = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, 0)
          + y * GST_VIDEO_FRAME_COMP_STRIDE (f, 0);
      for (int x = 0; x < j->w; x++)
        py[x] = clamp_u8 (j->y_off
            + j->y_scale * (kr * r[x] + kg * g[x] + kb * b[x]));
    }
    for (int cx = 0; cx < (j->w + 1) / 2; cx++) {
      int x0 = 2 * cx, x1 = 2 * cx + 1 < j->w ? 2 * cx + 1 : 2 * cx;
      float R = 0.f, G = 0.f, B = 0.f;
      int n = 0;
      for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
          size_t i = (size_t) y * j->w + x;
          R += j->rgb[i];
          G += j->rgb[plane + i];
          B += j->rgb[2 * plane + i];
          n++;
        }
      R /= n;
      G /= n;
      B /= n;
      float Y = kr * R + kg * G + kb * B;
      pu[cx * us] = clamp_u8 (128.f + j->c_scale * (B - Y) / (2.f * (1.f - kb)));
      pv[cx * vs] = clamp_u8 (128.f + j->c_scale * (R - Y) / (2.f * (1.f - kr)));
    }
  }
}

/* ---- model --------------------------------------------------------------- */

/* The network, and the style named before it was loaded. */
static int
bind_style (const gc_model_file * mf, gpointer user)
{
  GstGanStyle *self = user;
  int rc;

  GST_OBJECT_LOCK (self);
  rc = gcn_style_load (&self->net, mf);
  self->loaded = rc == 0;
  if (rc == 0 && self->pending_name) {
    int i = gcn_style_find (&self->net, self->pending_name);
    if (i >= 0)
      self->style = i;
    else
      GST_WARNING_OBJECT (self, "model has no style named \"%s\"",
          self->pending_name);
    g_clear_pointer (&self->pending_name, g_free);
  }
  GST_OBJECT_UNLOCK (self);
  return rc;
}

/* Load the configured or embedded model into self->net. Posts an element
 * error naming the model on failure. Called without the object lock. */
static gboolean
gst_gan_style_load (GstGanStyle * self)
{
  gchar *path;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->model_path);
  GST_OBJECT_UNLOCK (self);
  ok = gst_gan_model_load (GST_ELEMENT (self), "Style", path, "style-8",
      GCN_STYLE_ARCH, bind_style, self);
  g_free (path);
  if (ok)
    GST_INFO_OBJECT (self, "%d styles", self->net.cfg.styles);
  return ok;
}

static gboolean
gst_gan_style_start (GstBaseTransform * trans)
{
  GstGanStyle *self = GST_GAN_STYLE (trans);
  self->warned_style = -1;
  return gst_gan_style_load (self);
}

static gboolean
gst_gan_style_stop (GstBaseTransform * trans)
{
  GstGanStyle *self = GST_GAN_STYLE (trans);
  GST_OBJECT_LOCK (self);
  if (self->loaded)
    gcn_style_free (&self->net);
  self->loaded = FALSE;
  GST_OBJECT_UNLOCK (self);
  gcn_style_work_free (&self->work);
  g_clear_pointer (&self->rgb_in, g_free);
  g_clear_pointer (&self->rgb_out, g_free);
  self->rgb_cap = 0;
  return TRUE;
}

static void
gst_gan_style_before_transform (GstBaseTransform * trans, GstBuffer * buf)
{
  GstClockTime ts = gst_segment_to_stream_time (&trans->segment,
      GST_FORMAT_TIME, GST_BUFFER_TIMESTAMP (buf));
  if (GST_CLOCK_TIME_IS_VALID (ts))
    gst_object_sync_values (GST_OBJECT (trans), ts);
}

/* ---- the frame ----------------------------------------------------------- */

static GstFlowReturn
gst_gan_style_transform_frame (GstVideoFilter * filter, GstVideoFrame * in,
    GstVideoFrame * out)
{
  GstGanStyle *self = GST_GAN_STYLE (filter);
  int w = GST_VIDEO_FRAME_WIDTH (in), h = GST_VIDEO_FRAME_HEIGHT (in);
  float mix[GCN_STYLE_MAX_STYLES] = { 0 };
  gint style, blend_style, threads, styles;
  gdouble strength, blend;

  /* one consistent snapshot of the settings per frame */
  GST_OBJECT_LOCK (self);
  style = self->style;
  blend_style = self->blend_style;
  blend = self->blend;
  strength = self->strength;
  threads = self->num_threads;
  styles = self->loaded ? self->net.cfg.styles : 0;
  GST_OBJECT_UNLOCK (self);

  if (strength <= 0.0 || styles == 0) {
    if (!gst_video_frame_copy (out, in))
      return GST_FLOW_ERROR;
    return GST_FLOW_OK;
  }
  if (style >= styles) {
    if (self->warned_style != style)
      GST_WARNING_OBJECT (self, "style %d out of range (model has %d), "
          "using %d", style, styles, styles - 1);
    self->warned_style = style;
    style = styles - 1;
  }
  mix[style] = 1.f;
  if (blend_style >= 0 && blend_style < styles && blend > 0.0) {
    mix[style] = (float) (1.0 - blend);
    mix[blend_style] += (float) blend;
  }

  gsize need = (gsize) 3 * w * h;
  if (need > self->rgb_cap) {
    g_free (self->rgb_in);
    g_free (self->rgb_out);
    self->rgb_in = g_try_malloc (need * sizeof (float));
    self->rgb_out = g_try_malloc (need * sizeof (float));
    self->rgb_cap = self->rgb_in && self->rgb_out ? need : 0;
    if (!self->rgb_cap) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Out of memory"),
          ("%dx%d frame", w, h));
      return GST_FLOW_ERROR;
    }
  }

  gc_set_thread_limit (threads);
  int nthreads = gc_current_threads ();
  convert_job cj;
  convert_job_init (&cj, in, self->rgb_in);
  gc_parallel_for (nthreads, h, unpack_rows, &cj);

  if (gcn_style_infer (&self->net, self->rgb_in, w, h, mix, self->rgb_out,
          &self->work) < 0) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Style network failed"),
        ("%s", gc_last_error ()));
    return GST_FLOW_ERROR;
  }
  if (strength < 1.0) {
    float s = (float) strength;
    for (gsize i = 0; i < need; i++)
      self->rgb_out[i] = s * self->rgb_out[i] + (1.f - s) * self->rgb_in[i];
  }

  /* alpha / padding bytes and anything else not RGB come from the input */
  if (!GST_VIDEO_INFO_IS_YUV (&in->info)
      && GST_VIDEO_FRAME_COMP_PSTRIDE (in, 0) == 4
      && !gst_video_frame_copy (out, in))
    return GST_FLOW_ERROR;
  convert_job_init (&cj, out, self->rgb_out);
  gc_parallel_for (nthreads, cj.yuv ? (h + 1) / 2 : h, pack_rows, &cj);
  return GST_FLOW_OK;
}

/* ---- properties ---------------------------------------------------------- */

static void
gst_gan_style_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGanStyle *self = GST_GAN_STYLE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_STYLE:
      self->style = g_value_get_int (value);
      g_clear_pointer (&self->pending_name, g_free);
      break;
    case PROP_STYLE_NAME:{
      const gchar *name = g_value_get_string (value);
      if (!name)
        break;
      if (self->loaded) {
        int i = gcn_style_find (&self->net, name);
        if (i >= 0)
          self->style = i;
        else
          GST_WARNING_OBJECT (self, "no style named \"%s\"", name);
      } else {
        g_free (self->pending_name);
        self->pending_name = g_strdup (name);
      }
      break;
    }
    case PROP_BLEND_STYLE:
      self->blend_style = g_value_get_int (value);
      break;
    case PROP_BLEND:
      self->blend = g_value_get_double (value);
      break;
    case PROP_STRENGTH:
      self->strength = g_value_get_double (value);
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
}

static void
gst_gan_style_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstGanStyle *self = GST_GAN_STYLE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_STYLE:
      g_value_set_int (value, self->style);
      break;
    case PROP_STYLE_NAME:
      if (self->loaded && self->style < self->net.cfg.styles)
        g_value_set_string (value, self->net.names[self->style]);
      else
        g_value_set_string (value, self->pending_name);
      break;
    case PROP_BLEND_STYLE:
      g_value_set_int (value, self->blend_style);
      break;
    case PROP_BLEND:
      g_value_set_double (value, self->blend);
      break;
    case PROP_STRENGTH:
      g_value_set_double (value, self->strength);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_NUM_THREADS:
      g_value_set_int (value, self->num_threads);
      break;
    case PROP_STYLES:
      if (self->loaded) {
        char *s = gcn_style_names_joined (&self->net);
        g_value_set_string (value, s);
        free (s);
      } else {
        g_value_set_string (value, NULL);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_gan_style_finalize (GObject * object)
{
  GstGanStyle *self = GST_GAN_STYLE (object);
  if (self->loaded)
    gcn_style_free (&self->net);
  gcn_style_work_free (&self->work);
  g_free (self->rgb_in);
  g_free (self->rgb_out);
  g_free (self->model_path);
  g_free (self->pending_name);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_gan_style_class_init (GstGanStyleClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_gan_style_debug, "ganstyle", 0,
      "GAN style transfer");

  gobject_class->set_property = gst_gan_style_set_property;
  gobject_class->get_property = gst_gan_style_get_property;
  gobject_class->finalize = gst_gan_style_finalize;

  g_object_class_install_property (gobject_class, PROP_STYLE,
      g_param_spec_int ("style", "Style",
          "Index of the painting style (see the styles property)", 0,
          GCN_STYLE_MAX_STYLES - 1, DEFAULT_STYLE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE));
  g_object_class_install_property (gobject_class, PROP_STYLE_NAME,
      g_param_spec_string ("style-name", "Style name",
          "Select the style by name, e.g. starry_night or wave", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_BLEND_STYLE,
      g_param_spec_int ("blend-style", "Blend style",
          "Second style mixed into the first (-1: none)", -1,
          GCN_STYLE_MAX_STYLES - 1, DEFAULT_BLEND_STYLE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE));
  g_object_class_install_property (gobject_class, PROP_BLEND,
      g_param_spec_double ("blend", "Blend",
          "Weight of blend-style against style (0..1)", 0.0, 1.0,
          DEFAULT_BLEND, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE));
  g_object_class_install_property (gobject_class, PROP_STRENGTH,
      g_param_spec_double ("strength", "Strength",
          "Mix of styled and original picture (0: input unchanged)", 0.0,
          1.0, DEFAULT_STRENGTH, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE));
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Style model file (safetensors); unset: the embedded style-8 model",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_NUM_THREADS,
      g_param_spec_int ("num-threads", "Threads",
          "Worker threads for the network (0: all cores)", 0, 64,
          DEFAULT_NUM_THREADS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_STYLES,
      g_param_spec_string ("styles", "Styles",
          "Comma-separated style names of the loaded model (after start)",
          NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "GAN style transfer", "Filter/Effect/Video",
      "Restyles video like one of several paintings with a conditional "
      "GAN generator, in real time on a CPU", "gst-gan");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_gan_style_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_gan_style_stop);
  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_gan_style_before_transform);
  filter_class->transform_frame =
      GST_DEBUG_FUNCPTR (gst_gan_style_transform_frame);
}

static void
gst_gan_style_init (GstGanStyle * self)
{
  self->style = DEFAULT_STYLE;
  self->blend_style = DEFAULT_BLEND_STYLE;
  self->blend = DEFAULT_BLEND;
  self->strength = DEFAULT_STRENGTH;
  self->num_threads = DEFAULT_NUM_THREADS;
  self->warned_style = -1;
}
