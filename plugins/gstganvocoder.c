/* ganvocoder: wideband speech from narrowband speech with a GAN vocoder.
 *
 * Input: mono speech at any rate from 4 to 16 kHz (telephone speech is
 * 8 kHz); output: 16 kHz. The caps make the rate change explicit: the sink
 * accepts rate [4000, 16000], the source always offers 16000, and
 * transform_caps maps one onto the other.
 *
 * Inside: the input is resampled to 16 kHz (windowed sinc), analysed with a
 * 32 ms / 8 ms STFT, and a small causal network (gcn_vocoder) generates the
 * missing band: below 3.7 kHz the input passes through, above it the
 * magnitudes come from the network and the phase is translated from the
 * speech band. At 16 kHz input the default model instead resynthesises the
 * whole signal from its log-mel spectrum (copy synthesis).
 *
 * Timing: output sample n lines up with input time n / 16000 (the lead-in of
 * the algorithmic delay is dropped and the tail drained at EOS), so
 * out samples = in samples * 16000 / rate. The LATENCY query adds the true
 * delay: the vocoder's (gcn_vocoder_latency: 24 ms for band extension;
 * 80 ms for the shipped copy-synthesis model, which looks one frame ahead
 * for its phase and refines it over 6 more), one 8 ms hop of block
 * buffering and the resampler's filter.
 *
 * Example:
 *   gst-launch-1.0 filesrc location=call-8k.wav ! wavparse ! audioconvert ! \
 *     ganvocoder ! audioconvert ! autoaudiosink
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstganvocoder.h"
#include "gstganelements.h"

#include <gst/audio/audio.h>
#include <gst/base/gstadapter.h>
#include <math.h>
#include <string.h>

#include "gancore.h"
#include "gcn_vocoder.h"
#include "gan_models.h"

/* Weak, so that a build without the model files still links and says so. */
GAN_MODEL_DECLARE (gan_model_vocoder_16k);
GAN_MODEL_DECLARE (gan_model_vocoder_nb2wb);
#pragma weak gan_model_vocoder_16k
#pragma weak gan_model_vocoder_16k_size
#pragma weak gan_model_vocoder_nb2wb
#pragma weak gan_model_vocoder_nb2wb_size

GST_DEBUG_CATEGORY_STATIC (gan_vocoder_debug);
#define GST_CAT_DEFAULT gan_vocoder_debug

#define OUT_RATE 16000
#define MIN_IN_RATE 4000
#define DEFAULT_NUM_THREADS 1

enum {
  PROP_0,
  PROP_MODEL,
  PROP_NUM_THREADS,
};

struct _GstGanVocoder {
  GstBaseTransform parent;

  /* properties (object lock) */
  gchar *model_path;
  gint num_threads;

  /* model */
  gcn_vocoder net;
  gboolean net_ready;
  gboolean net_embedded;        /* which embedded one: see embedded_for () */
  gint net_embedded_nb;

  /* streaming state (streaming thread) */
  gcn_vocoder_stream *stream;
  gcn_resampler *rs;            /* NULL when the input is at 16 kHz */
  GstAdapter *adapter;
  GstAudioFormat format;
  gint rate_in, bpf_in, bpf_out, hop;
  float *in_f, *rs_f, *pending, *hop_f, *out_f;
  gsize in_cap, rs_cap, out_cap;
  gint pending_n;               /* 16 kHz samples waiting for a full hop */

  GstClockTime base_pts;
  guint64 in_count;             /* input samples since reset */
  guint64 rs_count;             /* 16 kHz samples out of the resampler */
  guint64 out_count;            /* output samples pushed */
  guint64 skip_left;            /* lead-in still to drop */
  gboolean need_discont;

  GstClockTime latency;         /* ours, for the LATENCY query (object lock) */
};

G_DEFINE_TYPE (GstGanVocoder, gst_gan_vocoder, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (ganvocoder, "ganvocoder", GST_RANK_NONE,
    GST_TYPE_GAN_VOCODER);

#define SINK_CAPS \
  "audio/x-raw, format = (string) { F32LE, S16LE }, " \
  "layout = (string) interleaved, rate = (int) [ 4000, 16000 ], " \
  "channels = (int) 1"
#define SRC_CAPS \
  "audio/x-raw, format = (string) { F32LE, S16LE }, " \
  "layout = (string) interleaved, rate = (int) 16000, channels = (int) 1"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (SINK_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (SRC_CAPS));

/* ---- model ---------------------------------------------------------------*/

static void
free_net (GstGanVocoder * self)
{
  gcn_vocoder_stream_free (self->stream);
  self->stream = NULL;
  if (self->net_ready)
    gcn_vocoder_free (&self->net);
  self->net_ready = FALSE;
}

/* Load the model file named by the property; FALSE (with an element error
 * naming the file) when it is missing or unusable. */
static gboolean
load_file_model (GstGanVocoder * self, const gchar * path)
{
  /* a FIFO or device would block or stream forever: files only */
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Vocoder model file \"%s\" does not exist or is not a regular "
            "file.", path), (NULL));
    return FALSE;
  }
  if (gcn_vocoder_load_file (&self->net, path) < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not load vocoder model \"%s\": %s", path, gc_last_error ()),
        ("%s", gc_last_error ()));
    return FALSE;
  }
  if (self->net.cfg.sample_rate != OUT_RATE) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Vocoder model \"%s\" is for %d Hz; this element outputs %d Hz.",
            path, self->net.cfg.sample_rate, OUT_RATE), (NULL));
    gcn_vocoder_free (&self->net);
    return FALSE;
  }
  self->net_ready = TRUE;
  self->net_embedded = FALSE;
  return TRUE;
}

/* The embedded default for an input rate: band extension below 16 kHz,
 * copy synthesis at 16 kHz. */
static gboolean
load_embedded_model (GstGanVocoder * self, gboolean nb)
{
  const unsigned char *data = nb ? gan_model_vocoder_nb2wb
      : gan_model_vocoder_16k;
  const size_t *size = nb ? &gan_model_vocoder_nb2wb_size
      : &gan_model_vocoder_16k_size;
  const char *name = nb ? "embedded vocoder-nb2wb" : "embedded vocoder-16k";
  if (data == NULL || size == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("This build has no %s model; set the model property.", name),
        (NULL));
    return FALSE;
  }
  if (gcn_vocoder_load_mem (&self->net, data, *size, name) < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("The %s model is unusable: %s", name, gc_last_error ()), (NULL));
    return FALSE;
  }
  self->net_ready = TRUE;
  self->net_embedded = TRUE;
  self->net_embedded_nb = nb;
  return TRUE;
}

static gboolean
gst_gan_vocoder_start (GstBaseTransform * trans)
{
  GstGanVocoder *self = GST_GAN_VOCODER (trans);
  gchar *path;
  gboolean ok = TRUE;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->model_path);
  GST_OBJECT_UNLOCK (self);
  /* a model file is checked now, so a bad one fails the state change */
  if (path && *path && !self->net_ready)
    ok = load_file_model (self, path);
  g_free (path);
  return ok;
}

static void
free_buffers (GstGanVocoder * self)
{
  gcn_resampler_free (self->rs);
  self->rs = NULL;
  g_free (self->in_f);
  g_free (self->rs_f);
  g_free (self->pending);
  g_free (self->hop_f);
  g_free (self->out_f);
  self->in_f = self->rs_f = self->pending = self->hop_f = self->out_f = NULL;
  self->in_cap = self->rs_cap = self->out_cap = 0;
}

static gboolean
gst_gan_vocoder_stop (GstBaseTransform * trans)
{
  GstGanVocoder *self = GST_GAN_VOCODER (trans);
  gst_adapter_clear (self->adapter);
  free_buffers (self);
  free_net (self);
  self->rate_in = 0;
  GST_OBJECT_LOCK (self);
  self->latency = 0;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* ---- caps ------------------------------------------------------------------*/

/* Sink -> src: any allowed input rate becomes 16 kHz; src -> sink: 16 kHz
 * output can come from any rate in [4000, 16000]. Format is kept. */
static GstCaps *
gst_gan_vocoder_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstCaps *res = gst_caps_copy (caps);
  for (guint i = 0; i < gst_caps_get_size (res); i++) {
    GstStructure *s = gst_caps_get_structure (res, i);
    if (direction == GST_PAD_SINK)
      gst_structure_set (s, "rate", G_TYPE_INT, OUT_RATE, NULL);
    else
      gst_structure_set (s, "rate", GST_TYPE_INT_RANGE, MIN_IN_RATE, OUT_RATE,
          NULL);
  }
  if (filter) {
    GstCaps *t = gst_caps_intersect_full (filter, res,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (res);
    res = t;
  }
  GST_DEBUG_OBJECT (trans, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, res);
  return res;
}

static void
reset_stream (GstGanVocoder * self)
{
  gst_adapter_clear (self->adapter);
  if (self->stream)
    gcn_vocoder_stream_reset (self->stream);
  if (self->rs)
    gcn_resampler_reset (self->rs);
  self->pending_n = 0;
  self->base_pts = GST_CLOCK_TIME_NONE;
  self->in_count = self->rs_count = self->out_count = 0;
  self->skip_left = self->net_ready ? gcn_vocoder_latency (&self->net) : 0;
  self->need_discont = TRUE;
}

/* The vocoder's delay plus one hop of block buffering at 16 kHz, plus the
 * resampler's filter delay at the input rate. Streaming thread only (the
 * query reads the copy set_caps keeps in self->latency). */
static GstClockTime
our_latency (GstGanVocoder * self)
{
  if (!self->net_ready || self->rate_in <= 0)
    return 0;
  GstClockTime t = gst_util_uint64_scale_int_ceil (gcn_vocoder_latency
      (&self->net) + self->hop, GST_SECOND, OUT_RATE);
  if (self->rs)
    t += gst_util_uint64_scale_int_ceil (gcn_resampler_latency (self->rs),
        GST_SECOND, self->rate_in);
  return t;
}

static gboolean
gst_gan_vocoder_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstGanVocoder *self = GST_GAN_VOCODER (trans);
  GstAudioInfo in, out;

  if (!gst_audio_info_from_caps (&in, incaps)
      || !gst_audio_info_from_caps (&out, outcaps)
      || GST_AUDIO_INFO_CHANNELS (&in) != 1
      || GST_AUDIO_INFO_RATE (&out) != OUT_RATE
      || GST_AUDIO_INFO_RATE (&in) < MIN_IN_RATE
      || GST_AUDIO_INFO_RATE (&in) > OUT_RATE
      || GST_AUDIO_INFO_FORMAT (&in) != GST_AUDIO_INFO_FORMAT (&out)) {
    GST_ERROR_OBJECT (self, "unsupported caps %" GST_PTR_FORMAT " -> %"
        GST_PTR_FORMAT, incaps, outcaps);
    return FALSE;
  }
  int rate = GST_AUDIO_INFO_RATE (&in);
  gboolean nb = rate < OUT_RATE;
  gboolean have_file;
  GST_OBJECT_LOCK (self);
  have_file = self->model_path && *self->model_path;
  GST_OBJECT_UNLOCK (self);
  if (self->net_ready && self->net_embedded && self->net_embedded_nb != nb)
    free_net (self);
  if (!self->net_ready) {
    gboolean ok;
    if (have_file) {
      gchar *path;
      GST_OBJECT_LOCK (self);
      path = g_strdup (self->model_path);
      GST_OBJECT_UNLOCK (self);
      ok = load_file_model (self, path);
      g_free (path);
    } else {
      ok = load_embedded_model (self, nb);
    }
    if (!ok)
      return FALSE;
  }
  if (self->net.cfg.task == GCN_VOCODER_NB2WB && !nb)
    GST_WARNING_OBJECT (self, "band-extension model on 16 kHz input: the "
        "band above %.0f Hz is regenerated, not kept", self->net.cfg.lowband_hz);
  free_buffers (self);
  gcn_vocoder_stream_free (self->stream);
  self->stream = gcn_vocoder_stream_new (&self->net);
  if (rate != OUT_RATE)
    self->rs = gcn_resampler_new (rate, OUT_RATE);
  if (!self->stream || (rate != OUT_RATE && !self->rs)) {
    GST_ERROR_OBJECT (self, "cannot set up the vocoder: %s", gc_last_error ());
    return FALSE;
  }
  self->format = GST_AUDIO_INFO_FORMAT (&in);
  self->rate_in = rate;
  self->bpf_in = GST_AUDIO_INFO_BPF (&in);
  self->bpf_out = GST_AUDIO_INFO_BPF (&out);
  self->hop = self->net.cfg.hop;
  self->pending = g_new0 (float, self->hop);
  self->hop_f = g_new0 (float, self->hop);
  reset_stream (self);
  GstClockTime lat = our_latency (self);
  GST_OBJECT_LOCK (self);
  gboolean lat_changed = lat != self->latency;
  self->latency = lat;
  GST_OBJECT_UNLOCK (self);
  if (lat_changed)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
  GST_INFO_OBJECT (self, "%d Hz -> %d Hz, %s model, latency %d + %d samples",
      rate, OUT_RATE, self->net.cfg.task == GCN_VOCODER_NB2WB ? "nb2wb"
      : "copy", gcn_vocoder_latency (&self->net),
      self->rs ? gcn_resampler_latency (self->rs) : 0);
  return TRUE;
}

/* ---- processing ------------------------------------------------------------*/

static void
ensure (float **buf, gsize * cap, gsize n)
{
  if (*cap < n) {
    *cap = n + n / 2 + 256;
    *buf = g_renew (float, *buf, *cap);
  }
}

/* Interleaved mono samples -> finite floats. */
static void
to_float (GstGanVocoder * self, const guint8 * in, gsize n, float *out)
{
  if (self->format == GST_AUDIO_FORMAT_S16LE) {
    const gint16 *s = (const gint16 *) in;
    for (gsize i = 0; i < n; i++)
      out[i] = GINT16_FROM_LE (s[i]) * (1.f / 32768.f);
  } else {
    const float *s = (const float *) in;
    for (gsize i = 0; i < n; i++) {
      float v = s[i];
      out[i] = !isfinite (v) ? 0.f : v > 1e4f ? 1e4f : v < -1e4f ? -1e4f : v;
    }
  }
}

/* 16 kHz samples into the vocoder, whole hops only; finished output goes to
 * out_f (after the lead-in). Returns the number of output samples. */
static gsize
run_vocoder (GstGanVocoder * self, const float *x, gsize n, gsize out_at)
{
  gsize produced = out_at;
  int hop = self->hop;
  gint threads;
  GST_OBJECT_LOCK (self);
  threads = self->num_threads;
  GST_OBJECT_UNLOCK (self);
  gc_set_thread_limit (threads);
  for (gsize i = 0; i < n;) {
    gsize take = MIN ((gsize) (hop - self->pending_n), n - i);
    memcpy (self->pending + self->pending_n, x + i, take * sizeof (float));
    self->pending_n += take;
    i += take;
    if (self->pending_n < hop)
      break;
    gcn_vocoder_stream_process (self->stream, self->pending, self->hop_f);
    self->pending_n = 0;
    int skip = (int) MIN (self->skip_left, (guint64) hop);
    self->skip_left -= skip;
    ensure (&self->out_f, &self->out_cap, produced + hop);
    memcpy (self->out_f + produced, self->hop_f + skip,
        (hop - skip) * sizeof (float));
    produced += hop - skip;
  }
  return produced;
}

/* Push the input samples in (n, NULL for silence) through resampler and
 * vocoder; returns the output samples now in out_f. */
static gsize
process (GstGanVocoder * self, const float *in, gsize n)
{
  const float *x = in;
  gsize n16 = n;
  if (self->rs) {
    ensure (&self->rs_f, &self->rs_cap, gcn_resampler_max_out (self->rs, n));
    n16 = gcn_resampler_push (self->rs, in, n, self->rs_f);
    x = self->rs_f;
  }
  self->rs_count += n16;
  return run_vocoder (self, x, n16, 0);
}

static GstBuffer *
make_buffer (GstGanVocoder * self, gsize n)
{
  if (n == 0)
    return NULL;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * self->bpf_out, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  if (self->format == GST_AUDIO_FORMAT_S16LE) {
    gint16 *d = (gint16 *) map.data;
    for (gsize i = 0; i < n; i++) {
      float v = self->out_f[i] * 32768.f;
      v = v > 32767.f ? 32767.f : (v < -32768.f ? -32768.f : v);
      d[i] = GINT16_TO_LE ((gint16) lrintf (v));
    }
  } else {
    float *d = (float *) map.data;
    for (gsize i = 0; i < n; i++)
      d[i] = isfinite (self->out_f[i]) ? self->out_f[i] : 0.f;
  }
  gst_buffer_unmap (buf, &map);
  if (GST_CLOCK_TIME_IS_VALID (self->base_pts)) {
    GstClockTime t0 = self->base_pts +
        gst_util_uint64_scale_int (self->out_count, GST_SECOND, OUT_RATE);
    GstClockTime t1 = self->base_pts +
        gst_util_uint64_scale_int (self->out_count + n, GST_SECOND, OUT_RATE);
    GST_BUFFER_PTS (buf) = t0;
    GST_BUFFER_DURATION (buf) = t1 - t0;
  }
  GST_BUFFER_OFFSET (buf) = self->out_count;
  GST_BUFFER_OFFSET_END (buf) = self->out_count + n;
  if (self->need_discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->need_discont = FALSE;
  }
  self->out_count += n;
  return buf;
}

/* Output samples owed for the input so far. */
static guint64
expected_out (GstGanVocoder * self)
{
  return (guint64) gcn_resample_len ((long) self->in_count, self->rate_in,
      OUT_RATE);
}

/* At EOS or DISCONT: feed silence until every owed sample came out. */
static GstFlowReturn
drain (GstGanVocoder * self)
{
  if (!self->stream || self->in_count == 0)
    return GST_FLOW_OK;
  guint64 want = expected_out (self);
  /* one hop of silence (a model's hop can be up to 2048 samples) */
  const gsize n_zeros = MAX ((gsize) self->hop, 64);
  float *zeros = g_new0 (float, n_zeros);
  GstFlowReturn ret = GST_FLOW_OK;
  /* enough silence for the resampler's and the vocoder's delays */
  int guard = 0;
  while (self->out_count < want && ret == GST_FLOW_OK && guard++ < 100000) {
    gsize got;
    if (self->rs && self->rs_count < want)
      got = process (self, zeros, 64);
    else {
      self->rs_count += self->hop;
      got = run_vocoder (self, zeros, self->hop, 0);
    }
    got = MIN (got, want - self->out_count);
    GstBuffer *buf = make_buffer (self, got);
    if (buf)
      ret = gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), buf);
  }
  g_free (zeros);
  return ret;
}

static GstFlowReturn
gst_gan_vocoder_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * input)
{
  GstGanVocoder *self = GST_GAN_VOCODER (trans);

  if (!self->stream) {
    gst_buffer_unref (input);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  /* Only the buffer's own flag: GstBaseTransform keeps `is_discont` set
   * until some output has been pushed, which during the lead-in (longer
   * than a short buffer) would restart the stream at every buffer. */
  (void) is_discont;
  if (GST_BUFFER_IS_DISCONT (input) && self->in_count > 0) {
    GST_DEBUG_OBJECT (self, "discont: draining and resetting");
    GstFlowReturn ret = drain (self);
    reset_stream (self);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (input);
      return ret;
    }
  }
  if (self->in_count == 0 && gst_adapter_available (self->adapter) == 0)
    self->base_pts = GST_BUFFER_PTS (input);
  gst_adapter_push (self->adapter, input);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_gan_vocoder_generate_output (GstBaseTransform * trans,
    GstBuffer ** outbuf)
{
  GstGanVocoder *self = GST_GAN_VOCODER (trans);
  *outbuf = NULL;
  if (!self->stream)
    return GST_FLOW_OK;
  gsize n = gst_adapter_available (self->adapter) / self->bpf_in;
  if (n == 0)
    return GST_FLOW_OK;
  const guint8 *data = gst_adapter_map (self->adapter, n * self->bpf_in);
  ensure (&self->in_f, &self->in_cap, n);
  to_float (self, data, n, self->in_f);
  gst_adapter_unmap (self->adapter);
  gst_adapter_flush (self->adapter, n * self->bpf_in);
  self->in_count += n;
  gsize got = process (self, self->in_f, n);
  *outbuf = make_buffer (self, got);
  return GST_FLOW_OK;
}

/* New caps that change the input: what the old stream still holds is
 * pushed out in the old format first (as at EOS); set_caps then starts the
 * new one from scratch. */
static void
drain_before_caps (GstGanVocoder * self, GstEvent * event)
{
  GstCaps *caps;
  GstAudioInfo info;

  if (!self->stream || self->in_count == 0)
    return;
  gst_event_parse_caps (event, &caps);
  if (!gst_audio_info_from_caps (&info, caps))
    return;
  if (GST_AUDIO_INFO_RATE (&info) == self->rate_in
      && GST_AUDIO_INFO_FORMAT (&info) == self->format)
    return;
  GST_DEBUG_OBJECT (self, "caps change: draining the old stream");
  drain (self);
  reset_stream (self);
}

static gboolean
gst_gan_vocoder_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstGanVocoder *self = GST_GAN_VOCODER (trans);

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
  return GST_BASE_TRANSFORM_CLASS (gst_gan_vocoder_parent_class)->sink_event
      (trans, event);
}

static gboolean
gst_gan_vocoder_query (GstBaseTransform * trans, GstPadDirection dir,
    GstQuery * query)
{
  GstGanVocoder *self = GST_GAN_VOCODER (trans);

  if (dir == GST_PAD_SRC && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max;
    if (!gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (trans), query))
      return FALSE;
    gst_query_parse_latency (query, &live, &min, &max);
    GST_OBJECT_LOCK (self);
    GstClockTime ours = self->latency;
    GST_OBJECT_UNLOCK (self);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += ours;
    gst_query_set_latency (query, live, min, max);
    GST_DEBUG_OBJECT (self, "latency: ours %" GST_TIME_FORMAT,
        GST_TIME_ARGS (ours));
    return TRUE;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_gan_vocoder_parent_class)->query
      (trans, dir, query);
}

/* ---- properties ------------------------------------------------------------*/

static void
gst_gan_vocoder_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGanVocoder *self = GST_GAN_VOCODER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      /* reloaded at the next start (only settable in NULL / READY) */
      if (self->net_ready && !self->stream) {
        gcn_vocoder_free (&self->net);
        self->net_ready = FALSE;
      }
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
gst_gan_vocoder_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstGanVocoder *self = GST_GAN_VOCODER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
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
gst_gan_vocoder_finalize (GObject * object)
{
  GstGanVocoder *self = GST_GAN_VOCODER (object);
  free_buffers (self);
  free_net (self);
  g_object_unref (self->adapter);
  g_free (self->model_path);
  G_OBJECT_CLASS (gst_gan_vocoder_parent_class)->finalize (object);
}

static void
gst_gan_vocoder_init (GstGanVocoder * self)
{
  self->adapter = gst_adapter_new ();
  self->num_threads = DEFAULT_NUM_THREADS;
  self->base_pts = GST_CLOCK_TIME_NONE;
}

static void
gst_gan_vocoder_class_init (GstGanVocoderClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gan_vocoder_debug, "ganvocoder", 0,
      "GAN vocoder / speech band extension");

  gobject_class->set_property = gst_gan_vocoder_set_property;
  gobject_class->get_property = gst_gan_vocoder_get_property;
  gobject_class->finalize = gst_gan_vocoder_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Vocoder model file (safetensors) to use instead of the embedded "
          "ones (band extension below 16 kHz input, copy synthesis at 16 kHz)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_NUM_THREADS,
      g_param_spec_int ("num-threads", "Threads",
          "Most worker threads the network may use (0: all cores)", 0, 256,
          DEFAULT_NUM_THREADS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class,
      "GAN speech vocoder", "Filter/Effect/Audio",
      "Turns narrowband (4-16 kHz) speech into 16 kHz wideband speech by "
      "analysis and GAN resynthesis of the missing band",
      "gst-gan developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  bt_class->start = GST_DEBUG_FUNCPTR (gst_gan_vocoder_start);
  bt_class->stop = GST_DEBUG_FUNCPTR (gst_gan_vocoder_stop);
  bt_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_gan_vocoder_transform_caps);
  bt_class->set_caps = GST_DEBUG_FUNCPTR (gst_gan_vocoder_set_caps);
  bt_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_gan_vocoder_submit_input_buffer);
  bt_class->generate_output =
      GST_DEBUG_FUNCPTR (gst_gan_vocoder_generate_output);
  bt_class->sink_event = GST_DEBUG_FUNCPTR (gst_gan_vocoder_sink_event);
  bt_class->query = GST_DEBUG_FUNCPTR (gst_gan_vocoder_query);
  bt_class->passthrough_on_same_caps = FALSE;
}
