/* GstGanAudioHop: the stream around a hop-based audio model; see
 * gstganaudiohop.h. */
#include "gstganaudiohop.h"

#include "gc_core.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gan_audio_hop_debug);
#define GST_CAT_DEFAULT gan_audio_hop_debug

typedef struct {
  GstAdapter *adapter;
  gboolean ready;               /* set up for the current caps */
  GstAudioFormat format;
  gint rate_in, rate_out, channels, bpf_in, bpf_out;
  gint hop;                     /* input frames per hop */
  guint lead_in;
  gfloat *in_f;                 /* interleaved scratch */
  gsize in_cap;                 /* in floats */

  GstClockTime base_pts;        /* pts of the first sample since reset */
  guint64 in_count, out_count;  /* frames since reset */
  guint64 skip_left;            /* lead-in still to drop */
  gboolean need_discont;
  gboolean ragged;              /* an input buffer ended inside a hop */
  GstClockTime lag;             /* the subclass's (streaming thread) */
  GstClockTime latency;         /* reported (object lock) */
} GstGanAudioHopPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (GstGanAudioHop, gst_gan_audio_hop,
    GST_TYPE_AUDIO_FILTER);

#define PRIV(h) ((GstGanAudioHopPrivate *) \
    gst_gan_audio_hop_get_instance_private (h))

/* ---- state -----------------------------------------------------------------*/

/* Forget everything of the stream so far (DISCONT, flush, new caps). */
static void
reset_stream (GstGanAudioHop * self)
{
  GstGanAudioHopPrivate *p = PRIV (self);
  gst_adapter_clear (p->adapter);
  GST_GAN_AUDIO_HOP_GET_CLASS (self)->reset (self);
  p->base_pts = GST_CLOCK_TIME_NONE;
  p->in_count = p->out_count = 0;
  p->skip_left = p->lead_in;
  p->need_discont = TRUE;
}

void
gst_gan_audio_hop_configure (GstGanAudioHop * self, gint hop_frames,
    guint lead_in)
{
  GstGanAudioHopPrivate *p = PRIV (self);
  p->hop = MAX (hop_frames, 1);
  p->lead_in = lead_in;
}

void
gst_gan_audio_hop_set_latency (GstGanAudioHop * self, GstClockTime latency)
{
  GST_OBJECT_LOCK (self);
  PRIV (self)->latency = latency;
  GST_OBJECT_UNLOCK (self);
}

/* The latency we report: the lag, plus one hop once an input buffer has
 * ended inside a hop. Output leaves in whole hops: while every buffer ends
 * on a hop boundary (10 ms buffers from a live source, the usual case)
 * each hop goes out as soon as it is complete and the lag is all the
 * delay; with shorter or unaligned buffers the first sample of a hop also
 * waits for the rest of it, up to lag + hop. The first ragged buffer
 * raises the report (a latency message) and it stays raised until new
 * caps, so it never shrinks under a running pipeline. */
static void
update_latency (GstGanAudioHop * self)
{
  GstGanAudioHopPrivate *p = PRIV (self);
  GstClockTime lat = p->lag;
  gboolean changed;

  if (p->ragged)
    lat += gst_util_uint64_scale_int (p->hop, GST_SECOND, p->rate_in);
  GST_OBJECT_LOCK (self);
  changed = p->latency != lat;
  p->latency = lat;
  GST_OBJECT_UNLOCK (self);
  if (changed) {
    GST_INFO_OBJECT (self, "latency %" GST_TIME_FORMAT, GST_TIME_ARGS (lat));
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
  }
}

void
gst_gan_audio_hop_set_lag (GstGanAudioHop * self, GstClockTime lag)
{
  PRIV (self)->lag = lag;
  update_latency (self);
}

GstClockTime
gst_gan_audio_hop_sample_time (GstGanAudioHop * self, guint64 sample)
{
  GstGanAudioHopPrivate *p = PRIV (self);
  if (!GST_CLOCK_TIME_IS_VALID (p->base_pts))
    return GST_CLOCK_TIME_NONE;
  return p->base_pts + gst_util_uint64_scale_int (sample, GST_SECOND,
      p->rate_in);
}

static gboolean
gst_gan_audio_hop_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstGanAudioHop *self = GST_GAN_AUDIO_HOP (trans);
  GstGanAudioHopPrivate *p = PRIV (self);
  GstAudioInfo in, out;

  if (!gst_audio_info_from_caps (&in, incaps)
      || !gst_audio_info_from_caps (&out, outcaps)) {
    GST_ERROR_OBJECT (self, "unparsable caps %" GST_PTR_FORMAT " -> %"
        GST_PTR_FORMAT, incaps, outcaps);
    return FALSE;
  }
  p->ready = FALSE;
  p->format = GST_AUDIO_INFO_FORMAT (&in);
  p->rate_in = GST_AUDIO_INFO_RATE (&in);
  p->rate_out = GST_AUDIO_INFO_RATE (&out);
  p->channels = GST_AUDIO_INFO_CHANNELS (&in);
  p->bpf_in = GST_AUDIO_INFO_BPF (&in);
  p->bpf_out = GST_AUDIO_INFO_BPF (&out);
  p->ragged = FALSE;
  gst_gan_audio_hop_configure (self, 1, 0);
  if (!GST_GAN_AUDIO_HOP_GET_CLASS (self)->setup (self, &in, &out))
    return FALSE;
  p->ready = TRUE;
  reset_stream (self);
  /* GstAudioFilter keeps the input info (it has no setup of ours to call) */
  return GST_BASE_TRANSFORM_CLASS (gst_gan_audio_hop_parent_class)->set_caps
      (trans, incaps, outcaps);
}

static gboolean
gst_gan_audio_hop_stop (GstBaseTransform * trans)
{
  GstGanAudioHopPrivate *p = PRIV (GST_GAN_AUDIO_HOP (trans));
  gst_adapter_clear (p->adapter);
  p->ready = FALSE;
  g_free (p->in_f);
  p->in_f = NULL;
  p->in_cap = 0;
  return TRUE;
}

/* ---- samples ---------------------------------------------------------------*/

/* n frames of the stream's format -> interleaved floats (scratch). Never
 * NULL: a drain with no input still gets a valid pointer. */
static const gfloat *
to_float (GstGanAudioHop * self, const guint8 * src, gsize n)
{
  GstGanAudioHopPrivate *p = PRIV (self);
  gsize m = n * p->channels;
  if (p->in_cap < MAX (m, 1)) {
    g_free (p->in_f);
    p->in_cap = MAX (m, 1);
    p->in_f = g_new (gfloat, p->in_cap);
  }
  if (p->format == GST_AUDIO_FORMAT_S16LE) {
    const gint16 *s = (const gint16 *) src;
    for (gsize i = 0; i < m; i++)
      p->in_f[i] = GINT16_FROM_LE (s[i]) * (1.f / 32768.f);
  } else if (m) {
    memcpy (p->in_f, src, m * sizeof (gfloat));
  }
  return p->in_f;
}

/* n output frames of the subclass -> a buffer in the stream's format,
 * stamped from the input's timeline, after dropping what is left of the
 * lead-in and anything beyond `limit` frames in all. */
static GstBuffer *
wrap_output (GstGanAudioHop * self, const gfloat * src, gint n,
    guint64 limit)
{
  GstGanAudioHopPrivate *p = PRIV (self);
  guint64 first_out = p->out_count;
  GstBuffer *buf;
  GstMapInfo map;

  if (n <= 0)
    return NULL;
  gint skip = (gint) MIN (p->skip_left, (guint64) n);
  p->skip_left -= skip;
  src += (gsize) skip * p->channels;
  n -= skip;
  if ((guint64) n > limit - MIN (limit, first_out))
    n = (gint) (limit - MIN (limit, first_out));
  if (n <= 0)
    return NULL;

  gsize m = (gsize) n * p->channels;
  buf = gst_buffer_new_allocate (NULL, (gsize) n * p->bpf_out, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  if (p->format == GST_AUDIO_FORMAT_S16LE) {
    gint16 *d = (gint16 *) map.data;
    for (gsize i = 0; i < m; i++) {
      float v = src[i] * 32768.f;
      v = isfinite (v) ? v : 0.f;
      v = v > 32767.f ? 32767.f : (v < -32768.f ? -32768.f : v);
      d[i] = GINT16_TO_LE ((gint16) lrintf (v));
    }
  } else {
    gfloat *d = (gfloat *) map.data;
    for (gsize i = 0; i < m; i++)
      d[i] = isfinite (src[i]) ? src[i] : 0.f;
  }
  gst_buffer_unmap (buf, &map);

  p->out_count += n;
  if (GST_CLOCK_TIME_IS_VALID (p->base_pts)) {
    GstClockTime t0 = p->base_pts +
        gst_util_uint64_scale_int (first_out, GST_SECOND, p->rate_out);
    GstClockTime t1 = p->base_pts +
        gst_util_uint64_scale_int (p->out_count, GST_SECOND, p->rate_out);
    GST_BUFFER_PTS (buf) = t0;
    GST_BUFFER_DURATION (buf) = t1 - t0;
  }
  GST_BUFFER_OFFSET (buf) = first_out;
  GST_BUFFER_OFFSET_END (buf) = p->out_count;
  if (p->need_discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    p->need_discont = FALSE;
  }
  return buf;
}

/* The subclass's model failed on the stream: an element error, and the
 * stream stops (going on would push stale or missing audio). */
static GstFlowReturn
model_failed (GstGanAudioHop * self)
{
  GST_ELEMENT_ERROR (self, STREAM, FAILED,
      ("The model failed while processing the stream"),
      ("%s", gc_last_error ()));
  return GST_FLOW_ERROR;
}

/* Output frames owed for the input so far (rounded like the resampler). */
static guint64
owed (GstGanAudioHopPrivate * p)
{
  return gst_util_uint64_scale_int_round (p->in_count, p->rate_out,
      p->rate_in);
}

/* Push out everything still inside: the adapter's partial hop and the
 * subclass's delay, so that every owed frame leaves. */
static GstFlowReturn
drain (GstGanAudioHop * self)
{
  GstGanAudioHopClass *klass = GST_GAN_AUDIO_HOP_GET_CLASS (self);
  GstGanAudioHopPrivate *p = PRIV (self);
  GstFlowReturn ret = GST_FLOW_OK;

  if (!p->ready || p->in_count == 0)
    return GST_FLOW_OK;
  guint64 want = owed (p);
  gsize n = MIN (gst_adapter_available (p->adapter) / p->bpf_in,
      (gsize) p->hop);
  const guint8 *data = n ? gst_adapter_map (p->adapter, n * p->bpf_in) : NULL;
  const gfloat *in = to_float (self, data, n);
  if (n) {
    gst_adapter_unmap (p->adapter);
    gst_adapter_flush (p->adapter, n * p->bpf_in);
  }
  /* a bound, in case a subclass never gets there */
  for (int guard = 0; p->out_count < want && ret == GST_FLOW_OK
      && guard < 100000; guard++) {
    const gfloat *out = NULL;
    gint got = klass->drain (self, in, (gint) n, want, &out);
    n = 0;
    if (got < 0)
      return model_failed (self);
    GstBuffer *buf = wrap_output (self, out, got, want);
    if (buf)
      ret = gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), buf);
  }
  return ret;
}

/* ---- GstBaseTransform ------------------------------------------------------*/

static GstFlowReturn
gst_gan_audio_hop_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * input)
{
  GstGanAudioHop *self = GST_GAN_AUDIO_HOP (trans);
  GstGanAudioHopPrivate *p = PRIV (self);

  if (!p->ready) {
    gst_buffer_unref (input);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  /* Only the buffer's own flag: GstBaseTransform keeps `is_discont` set
   * until some output has been pushed, which during the lead-in (longer
   * than a short buffer) would restart the stream at every buffer. */
  (void) is_discont;
  if (GST_BUFFER_IS_DISCONT (input) && p->in_count > 0) {
    GST_DEBUG_OBJECT (self, "discont: draining and resetting");
    GstFlowReturn ret = drain (self);
    reset_stream (self);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (input);
      return ret;
    }
  }
  if (p->in_count == 0 && gst_adapter_available (p->adapter) == 0)
    p->base_pts = GST_BUFFER_PTS (input);
  p->in_count += gst_buffer_get_size (input) / p->bpf_in;
  gst_adapter_push (p->adapter, input);
  if (!p->ragged && gst_adapter_available (p->adapter)
      % ((gsize) p->hop * p->bpf_in) != 0) {
    p->ragged = TRUE;
    update_latency (self);
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_gan_audio_hop_generate_output (GstBaseTransform * trans,
    GstBuffer ** outbuf)
{
  GstGanAudioHop *self = GST_GAN_AUDIO_HOP (trans);
  GstGanAudioHopPrivate *p = PRIV (self);
  *outbuf = NULL;
  if (!p->ready)
    return GST_FLOW_OK;

  gsize hop_bytes = (gsize) p->hop * p->bpf_in;
  gsize n_hops = gst_adapter_available (p->adapter) / hop_bytes;
  if (n_hops == 0)
    return GST_FLOW_OK;
  gsize n = n_hops * p->hop;
  const gfloat *in = to_float (self,
      gst_adapter_map (p->adapter, n * p->bpf_in), n);
  gst_adapter_unmap (p->adapter);
  gst_adapter_flush (p->adapter, n * p->bpf_in);
  const gfloat *out = NULL;
  gint got = GST_GAN_AUDIO_HOP_GET_CLASS (self)->process (self, in, (gint) n,
      &out);
  if (got < 0)
    return model_failed (self);
  *outbuf = wrap_output (self, out, got, G_MAXUINT64);
  return GST_FLOW_OK;
}

/* New caps that change the input: what the old format still holds is
 * pushed out in the old format first (as at EOS); set_caps then starts the
 * new one from scratch. */
static void
drain_before_caps (GstGanAudioHop * self, GstEvent * event)
{
  GstGanAudioHopPrivate *p = PRIV (self);
  GstCaps *caps;
  GstAudioInfo info;

  if (!p->ready || p->in_count == 0)
    return;
  gst_event_parse_caps (event, &caps);
  if (!gst_audio_info_from_caps (&info, caps))
    return;
  if (GST_AUDIO_INFO_RATE (&info) == p->rate_in
      && GST_AUDIO_INFO_CHANNELS (&info) == p->channels
      && GST_AUDIO_INFO_FORMAT (&info) == p->format)
    return;
  GST_DEBUG_OBJECT (self, "caps change: draining %" G_GUINT64_FORMAT
      " frames in the old format", owed (p) - MIN (owed (p), p->out_count));
  drain (self);
  reset_stream (self);
}

static gboolean
gst_gan_audio_hop_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstGanAudioHop *self = GST_GAN_AUDIO_HOP (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      drain (self);
      break;
    case GST_EVENT_CAPS:
      drain_before_caps (self, event);
      break;
    case GST_EVENT_FLUSH_STOP:
      reset_stream (self);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_gan_audio_hop_parent_class)->sink_event
      (trans, event);
}

/* Ours added to the peer's, min and max (as audiobuffersplit does). */
static gboolean
gst_gan_audio_hop_query (GstBaseTransform * trans, GstPadDirection dir,
    GstQuery * query)
{
  GstGanAudioHop *self = GST_GAN_AUDIO_HOP (trans);

  if (dir == GST_PAD_SRC && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, ours;
    if (!gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (trans), query))
      return FALSE;
    gst_query_parse_latency (query, &live, &min, &max);
    GST_OBJECT_LOCK (self);
    ours = PRIV (self)->latency;
    GST_OBJECT_UNLOCK (self);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += ours;
    gst_query_set_latency (query, live, min, max);
    GST_DEBUG_OBJECT (self, "latency: ours %" GST_TIME_FORMAT ", total min %"
        GST_TIME_FORMAT, GST_TIME_ARGS (ours), GST_TIME_ARGS (min));
    return TRUE;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_gan_audio_hop_parent_class)->query
      (trans, dir, query);
}

/* ---- GObject ---------------------------------------------------------------*/

static void
gst_gan_audio_hop_finalize (GObject * object)
{
  GstGanAudioHopPrivate *p = PRIV (GST_GAN_AUDIO_HOP (object));
  g_object_unref (p->adapter);
  g_free (p->in_f);
  G_OBJECT_CLASS (gst_gan_audio_hop_parent_class)->finalize (object);
}

static void
gst_gan_audio_hop_init (GstGanAudioHop * self)
{
  GstGanAudioHopPrivate *p = PRIV (self);
  p->adapter = gst_adapter_new ();
  p->base_pts = GST_CLOCK_TIME_NONE;
  p->hop = 1;
}

static void
gst_gan_audio_hop_class_init (GstGanAudioHopClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gan_audio_hop_debug, "ganaudiohop", 0,
      "gst-gan hop-based audio base class");
  gobject_class->finalize = gst_gan_audio_hop_finalize;
  bt_class->set_caps = GST_DEBUG_FUNCPTR (gst_gan_audio_hop_set_caps);
  bt_class->stop = GST_DEBUG_FUNCPTR (gst_gan_audio_hop_stop);
  bt_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_gan_audio_hop_submit_input_buffer);
  bt_class->generate_output =
      GST_DEBUG_FUNCPTR (gst_gan_audio_hop_generate_output);
  bt_class->sink_event = GST_DEBUG_FUNCPTR (gst_gan_audio_hop_sink_event);
  bt_class->query = GST_DEBUG_FUNCPTR (gst_gan_audio_hop_query);
  bt_class->passthrough_on_same_caps = FALSE;
  gst_type_mark_as_plugin_api (GST_TYPE_GAN_AUDIO_HOP, 0);
}
