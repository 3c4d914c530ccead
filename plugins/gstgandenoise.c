/**
 * SECTION:element-gandenoise
 * @title: gandenoise
 * @short_description: real-time speech denoising with a GAN-trained network
 *
 * Removes background noise from speech, mono or stereo, at 8, 16, 24, 32,
 * 44.1 or 48 kHz, with a small causal network trained adversarially.
 * Output samples line up one to one with input samples (same count, same
 * timestamps). The latency is 20 ms with the shipped model, reported in
 * the LATENCY query; 30 ms once an input buffer ends inside a 10 ms hop.
 * Voice activity is posted as "gandenoise-vad" element messages.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 pulsesrc ! audioconvert ! audioresample ! gandenoise ! \
 *     audioconvert ! autoaudiosink
 * ]|
 */

/* A GstAudioFilter that collects input in a GstAdapter (like webrtcdsp) and
 * runs whole 10 ms hops through gc_denoise (core/gc_denoise.h, the streaming
 * denoiser the LADSPA/LV2 plugins share): 20 ms sqrt-Hann frames, band and
 * low-bin gains from a conv1d + GRU network, overlap-add. Every common rate
 * (8 .. 48 kHz) runs natively on the same 50 Hz bin grid. This file only
 * deals with caps, timestamps, properties and messages.
 *
 * Timing: overlap-add lags the input by one hop (10 ms), and a model with
 * lookahead (the shipped one hears one more frame before it decides) by
 * one more hop per frame: 20 ms for the shipped model. The element drops
 * that lead-in and drains the tail at EOS or DISCONT, so output samples
 * line up one to one with input samples (same count, same timestamps).
 * The LATENCY query adds that lag to the peer's (20 ms with the shipped
 * model), and one hop more once an input buffer has ended inside a hop:
 * output leaves in whole hops, so with short input buffers a sample waits
 * for the rest of its hop too (30 ms in all).
 *
 * channel-mode=linked: one gain from both channels, applied to each.
 *
 * mode=resynth (gcn_resynth): the same gains, applied to the vocoder's own
 * 16 kHz spectrum; the vocoder regenerates the band below ~7.5 kHz and the
 * mask output is kept above it. Its delay (about 100 ms with the shipped
 * vocoder's phase refinement) is a whole number of hops, handled exactly
 * like the mask's delay and reported the same way. The mode may change
 * while playing: the new mode is warmed up on the last 200 ms of input and
 * continues the output at the next sample not yet pushed; a latency
 * message is posted. New caps drain the old format first.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgandenoise.h"
#include "gstganelements.h"
#include "gstganmodel.h"

#include <gst/base/gstadapter.h>
#include <math.h>
#include <string.h>

#include "gancore.h"
#include "gc_denoise.h"
#include "gcn_denoiser.h"
#include "gcn_vocoder.h"

GST_DEBUG_CATEGORY_STATIC (gan_denoise_debug);
#define GST_CAT_DEFAULT gan_denoise_debug

#define MAX_CHANNELS 2
#define DEFAULT_ATTENUATION_LIMIT 20.0
#define DEFAULT_VAD_THRESHOLD 0.5
#define DEFAULT_VAD_HANGOVER 300
#define DEFAULT_NUM_THREADS 1
#define DEFAULT_MODE GST_GAN_DENOISE_MODE_MASK
#define DEFAULT_CHANNEL_MODE GST_GAN_DENOISE_CHANNEL_MODE_INDEPENDENT
#define DEFAULT_GATE FALSE
/* chosen on the development set (docs/denoise.md, "Speech guard") */
#define DEFAULT_SPEECH_GUARD 10.0

enum {
  PROP_0,
  PROP_MODEL,
  PROP_ATTENUATION_LIMIT,
  PROP_VAD_THRESHOLD,
  PROP_VAD_HANGOVER,
  PROP_NUM_THREADS,
  PROP_MODE,
  PROP_SPEECH_GUARD,
  PROP_CHANNEL_MODE,
  PROP_GATE,
};

struct _GstGanDenoise {
  GstAudioFilter parent;

  /* properties (object lock) */
  gchar *model_path;
  gboolean model_changed;       /* since the network was loaded */
  gdouble attenuation_limit;
  gdouble vad_threshold;
  guint vad_hangover_ms;
  gint num_threads;
  GstGanDenoiseMode mode;
  GstGanDenoiseChannelMode channel_mode;
  gboolean gate;
  gdouble speech_guard;
  GstClockTime latency;         /* of the mode running now */
  gboolean ragged;              /* an input buffer ended inside a hop */

  /* streaming state (streaming thread); the networks are loaded in start
   * and freed in stop only, so a property change never frees them under
   * the streaming thread */
  gcn_denoiser net;
  gboolean net_ready;
  gcn_vocoder voc;
  gboolean voc_ready;
  GstAdapter *adapter;
  gc_denoise *dn;
  float *in_f, *out_f;          /* interleaved scratch */
  gsize in_cap, out_cap;        /* in floats */
  gint rate, channels, hop, bpf;
  GstAudioFormat format;

  GstClockTime base_pts;        /* pts of the first sample since reset */
  guint64 in_count, out_count;  /* samples since reset */
  gboolean need_discont;
};

G_DEFINE_TYPE (GstGanDenoise, gst_gan_denoise, GST_TYPE_AUDIO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (gandenoise, "gandenoise", GST_RANK_NONE,
    GST_TYPE_GAN_DENOISE);

GType
gst_gan_denoise_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GAN_DENOISE_MODE_MASK,
        "Apply predicted spectral gains to the input (latency: the model's "
        "lag, 20 ms with the shipped one; 30 ms with input buffers shorter than "
        "10 ms)", "mask"},
    {GST_GAN_DENOISE_MODE_RESYNTH,
          "Regenerate the speech band (below 7.5 kHz) with the vocoder from "
          "the denoised features; mask output above (about 110 ms latency)",
        "resynth"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGanDenoiseMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_gan_denoise_channel_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GAN_DENOISE_CHANNEL_MODE_INDEPENDENT,
        "Denoise each channel on its own", "independent"},
    {GST_GAN_DENOISE_CHANNEL_MODE_LINKED,
          "One gain from all channels, applied to each (the stereo image "
          "stays)", "linked"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGanDenoiseChannelMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define CAPS_STR \
  "audio/x-raw, format = (string) { F32LE, S16LE }, " \
  "layout = (string) interleaved, " \
  "rate = (int) { 8000, 16000, 24000, 32000, 44100, 48000 }, " \
  "channels = (int) [ 1, 2 ]"

/* ---- state ---------------------------------------------------------------*/

static void
free_streams (GstGanDenoise * self)
{
  gc_denoise_free (self->dn);
  self->dn = NULL;
  g_free (self->in_f);
  g_free (self->out_f);
  self->in_f = self->out_f = NULL;
  self->in_cap = self->out_cap = 0;
}

/* Forget everything of the stream so far (DISCONT, flush, new caps). */
static void
reset_stream (GstGanDenoise * self)
{
  gst_adapter_clear (self->adapter);
  if (self->dn)
    gc_denoise_reset (self->dn);
  self->base_pts = GST_CLOCK_TIME_NONE;
  self->in_count = self->out_count = 0;
  self->need_discont = TRUE;
}

/* ---- models --------------------------------------------------------------*/

static int
bind_denoiser (const gc_model_file * mf, gpointer user)
{
  GstGanDenoise *self = user;
  return gcn_denoiser_load (&self->net, mf);
}

static gboolean
load_model (GstGanDenoise * self)
{
  gchar *path;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->model_path);
  self->model_changed = FALSE;
  GST_OBJECT_UNLOCK (self);
  self->net_ready = gst_gan_model_load (GST_ELEMENT (self), "Denoising",
      path, "denoise-48k", GCN_DENOISER_ARCH, bind_denoiser, self);
  g_free (path);
  return self->net_ready;
}

static int
bind_vocoder (const gc_model_file * mf, gpointer user)
{
  GstGanDenoise *self = user;
  memset (&self->voc, 0, sizeof self->voc);
  return gcn_vocoder_load (&self->voc, mf);
}

/* The vocoder of mode=resynth (the embedded copy-synthesis model), loaded
 * when resynth is first asked for; FALSE with an element error. */
static gboolean
load_vocoder (GstGanDenoise * self)
{
  if (!self->voc_ready)
    self->voc_ready = gst_gan_model_load (GST_ELEMENT (self),
        "Vocoder (for mode=resynth)", NULL, "vocoder-16k", GCN_VOCODER_ARCH,
        bind_vocoder, self);
  return self->voc_ready;
}

/* The latency we report: the mode's lag, plus one hop once an input
 * buffer has ended inside a hop. Output leaves in whole hops: while every
 * buffer ends on a hop boundary (10 ms buffers from a live source, the
 * usual case) each hop goes out as soon as it is complete and the lag is
 * all the delay; with shorter or unaligned buffers the first sample of a
 * hop also waits for the rest of it, up to lag + hop. The first ragged
 * buffer raises the report (a latency message) and it stays raised until
 * new caps, so it never shrinks under a running pipeline. */
static void
update_latency (GstGanDenoise * self)
{
  gint held = gc_denoise_lag (self->dn) + (self->ragged ? self->hop : 0);
  GstClockTime lat = gst_util_uint64_scale_int (held, GST_SECOND, self->rate);
  gboolean changed;

  GST_OBJECT_LOCK (self);
  changed = self->latency != lat;
  self->latency = lat;
  GST_OBJECT_UNLOCK (self);
  if (changed) {
    GST_INFO_OBJECT (self, "latency %d samples", held);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
  }
}

/* Ask the core for `mode` (resynth streams are made on first use); on
 * failure the error is posted and the mode running now is kept. */
static gboolean
request_mode (GstGanDenoise * self, GstGanDenoiseMode mode)
{
  gc_denoise_mode want = mode == GST_GAN_DENOISE_MODE_RESYNTH ?
      GC_DENOISE_RESYNTH : GC_DENOISE_MASK;
  if (want == gc_denoise_get_mode (self->dn))
    return TRUE;
  if ((want == GC_DENOISE_RESYNTH && !load_vocoder (self)) ||
      gc_denoise_set_mode (self->dn, want) != 0) {
    if (want == GC_DENOISE_RESYNTH && self->voc_ready)
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Cannot set up resynthesis: %s", gc_last_error ()), (NULL));
    GST_OBJECT_LOCK (self);
    self->mode = gc_denoise_get_mode (self->dn) == GC_DENOISE_RESYNTH ?
        GST_GAN_DENOISE_MODE_RESYNTH : GST_GAN_DENOISE_MODE_MASK;
    GST_OBJECT_UNLOCK (self);
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_gan_denoise_start (GstBaseTransform * trans)
{
  GstGanDenoise *self = GST_GAN_DENOISE (trans);
  GstGanDenoiseMode mode;

  if (!self->net_ready && !load_model (self))
    return FALSE;
  GST_OBJECT_LOCK (self);
  mode = self->mode;
  GST_OBJECT_UNLOCK (self);
  if (mode == GST_GAN_DENOISE_MODE_RESYNTH && !load_vocoder (self))
    return FALSE;
  return TRUE;
}

static gboolean
gst_gan_denoise_stop (GstBaseTransform * trans)
{
  GstGanDenoise *self = GST_GAN_DENOISE (trans);
  free_streams (self);
  gst_adapter_clear (self->adapter);
  if (self->net_ready) {
    gcn_denoiser_free (&self->net);
    self->net_ready = FALSE;
  }
  if (self->voc_ready) {
    gcn_vocoder_free (&self->voc);
    self->voc_ready = FALSE;
  }
  self->channels = 0;
  return TRUE;
}

/* Settings read once per run under the lock and handed to the core. */
static void
apply_settings (GstGanDenoise * self)
{
  gfloat limit_db, guard_db;
  gdouble thr;
  guint hang_ms;
  gint threads;
  gboolean gate;
  GstGanDenoiseMode mode;

  GST_OBJECT_LOCK (self);
  limit_db = self->attenuation_limit;
  thr = self->vad_threshold;
  hang_ms = self->vad_hangover_ms;
  threads = self->num_threads;
  mode = self->mode;
  guard_db = self->speech_guard;
  gate = self->gate;
  GST_OBJECT_UNLOCK (self);
  gc_set_thread_limit (threads);
  gc_denoise_set_attenuation_limit (self->dn, limit_db);
  gc_denoise_set_speech_guard (self->dn, guard_db);
  gc_denoise_set_vad (self->dn, thr, hang_ms);
  gc_denoise_set_gate (self->dn, gate);
  request_mode (self, mode);
}

static void post_vad (void *user, int voice, float prob, uint64_t sample);

static gboolean
gst_gan_denoise_setup (GstAudioFilter * filter, const GstAudioInfo * info)
{
  GstGanDenoise *self = GST_GAN_DENOISE (filter);
  int rate = GST_AUDIO_INFO_RATE (info), ch = GST_AUDIO_INFO_CHANNELS (info);
  GstGanDenoiseChannelMode cm;
  GstGanDenoiseMode mode;

  if (!gcn_dn_rate_ok (rate) || ch < 1 || ch > MAX_CHANNELS) {
    GST_ERROR_OBJECT (self, "unsupported format: %d Hz, %d channels", rate, ch);
    return FALSE;
  }
  free_streams (self);
  GST_OBJECT_LOCK (self);
  cm = self->channel_mode;
  mode = self->mode;
  gboolean reload = self->model_changed;
  GST_OBJECT_UNLOCK (self);
  if (reload && self->net_ready) {
    /* a new model was set since start: nothing uses the old one now */
    gcn_denoiser_free (&self->net);
    self->net_ready = FALSE;
  }
  if (!self->net_ready && !load_model (self))
    return FALSE;
  /* the vocoder is loaded when resynth is first asked for (request_mode),
   * before the core makes its resynth streams from it */
  self->dn = gc_denoise_new (&self->net, &self->voc, rate, ch,
      cm == GST_GAN_DENOISE_CHANNEL_MODE_LINKED ? GC_DENOISE_LINKED :
      GC_DENOISE_INDEPENDENT);
  if (!self->dn) {
    GST_ERROR_OBJECT (self, "cannot set up: %s", gc_last_error ());
    return FALSE;
  }
  self->rate = rate;
  self->channels = ch;
  self->hop = gc_denoise_hop (self->dn);
  self->ragged = FALSE;
  self->bpf = GST_AUDIO_INFO_BPF (info);
  self->format = GST_AUDIO_INFO_FORMAT (info);
  gc_denoise_set_vad_callback (self->dn, post_vad, self);
  if (!request_mode (self, mode)) {
    free_streams (self);
    return FALSE;
  }
  update_latency (self);
  reset_stream (self);
  GST_INFO_OBJECT (self, "%d Hz, %d channel(s), hop %d, lag %d", rate, ch,
      self->hop, gc_denoise_lag (self->dn));
  return TRUE;
}

/* ---- processing ------------------------------------------------------------*/

static void
post_vad (void *user, int voice, float prob, uint64_t sample)
{
  GstGanDenoise *self = user;
  GstClockTime ts = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (self->base_pts))
    ts = self->base_pts + gst_util_uint64_scale_int (sample, GST_SECOND,
        self->rate);
  GstStructure *s = gst_structure_new ("gandenoise-vad",
      "voice", G_TYPE_BOOLEAN, voice,
      "probability", G_TYPE_DOUBLE, (gdouble) prob,
      "timestamp", G_TYPE_UINT64, (guint64) ts, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static float *
scratch (float **p, gsize * cap, gsize n)
{
  if (*cap < n) {
    g_free (*p);
    *p = g_new (float, n);
    *cap = n;
  }
  return *p;
}

/* n frames of the stream's format -> interleaved floats */
static void
to_float (GstGanDenoise * self, const guint8 * src, gsize n, float *dst)
{
  gsize m = n * self->channels;
  if (self->format == GST_AUDIO_FORMAT_S16LE) {
    const gint16 *s = (const gint16 *) src;
    for (gsize i = 0; i < m; i++)
      dst[i] = GINT16_FROM_LE (s[i]) * (1.f / 32768.f);
  } else
    memcpy (dst, src, m * sizeof (float));
}

/* n interleaved output frames of the core -> a buffer in the stream's
 * format, stamped from the input's timeline. */
static GstBuffer *
wrap_output (GstGanDenoise * self, const float *src, int n)
{
  guint64 first_out = self->out_count;
  gsize m = (gsize) n * self->channels;
  GstBuffer *buf;

  if (n <= 0)
    return NULL;
  buf = gst_buffer_new_allocate (NULL, (gsize) n * self->bpf, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  if (self->format == GST_AUDIO_FORMAT_S16LE) {
    gint16 *d = (gint16 *) map.data;
    for (gsize i = 0; i < m; i++) {
      float v = src[i] * 32768.f;
      v = isfinite (v) ? v : 0.f;
      v = v > 32767.f ? 32767.f : (v < -32768.f ? -32768.f : v);
      d[i] = GINT16_TO_LE ((gint16) lrintf (v));
    }
  } else
    memcpy (map.data, src, m * sizeof (float));
  gst_buffer_unmap (buf, &map);

  self->out_count += n;
  if (GST_CLOCK_TIME_IS_VALID (self->base_pts)) {
    GstClockTime t0 = self->base_pts +
        gst_util_uint64_scale_int (first_out, GST_SECOND, self->rate);
    GstClockTime t1 = self->base_pts +
        gst_util_uint64_scale_int (self->out_count, GST_SECOND, self->rate);
    GST_BUFFER_PTS (buf) = t0;
    GST_BUFFER_DURATION (buf) = t1 - t0;
  }
  GST_BUFFER_OFFSET (buf) = first_out;
  GST_BUFFER_OFFSET_END (buf) = self->out_count;
  if (self->need_discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->need_discont = FALSE;
  }
  return buf;
}

/* Run n_hops whole hops (or, with drain, the last partial hop and the
 * tail) and return the output samples that are due as a buffer. */
static GstBuffer *
run_core (GstGanDenoise * self, const guint8 * in, gsize n_frames,
    gboolean drain)
{
  int n_hops = drain ? 0 : (int) (n_frames / self->hop);
  int lag_hops = gc_denoise_lag (self->dn) / self->hop;
  float *fin = scratch (&self->in_f, &self->in_cap,
      MAX (n_frames, 1) * self->channels);
  float *fout = scratch (&self->out_f, &self->out_cap,
      (gsize) gc_denoise_max_out (self->dn, MAX (n_hops, lag_hops + 2) +
          lag_hops) * self->channels);
  int n;

  apply_settings (self);
  if (n_frames > 0)
    to_float (self, in, n_frames, fin);
  if (drain)
    n = gc_denoise_drain (self->dn, fin, (int) n_frames, fout);
  else
    n = gc_denoise_push_hops (self->dn, fin, n_hops, fout);
  update_latency (self);
  return wrap_output (self, fout, n);
}

/* Push out everything still inside: the adapter's partial hop and the
 * mode's lag, padded with silence, so samples out == samples in. */
static GstFlowReturn
drain (GstGanDenoise * self)
{
  if (!self->dn || self->out_count >= self->in_count)
    return GST_FLOW_OK;
  gsize avail = gst_adapter_available (self->adapter);
  gsize n = MIN (avail / self->bpf, (gsize) self->hop);
  const guint8 *in = n ? gst_adapter_map (self->adapter, n * self->bpf) : NULL;
  GstBuffer *buf = run_core (self, in, n, TRUE);
  if (n) {
    gst_adapter_unmap (self->adapter);
    gst_adapter_flush (self->adapter, n * self->bpf);
  }
  if (!buf)
    return GST_FLOW_OK;
  return gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), buf);
}

static GstFlowReturn
gst_gan_denoise_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * input)
{
  GstGanDenoise *self = GST_GAN_DENOISE (trans);

  if (!self->dn) {
    gst_buffer_unref (input);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  /* Only the buffer's own flag: GstBaseTransform keeps `is_discont` set
   * until some output has been pushed, which during our lead-in (longer
   * than a buffer in resynth mode) would restart the stream every buffer. */
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
  self->in_count += gst_buffer_get_size (input) / self->bpf;
  gst_adapter_push (self->adapter, input);
  if (!self->ragged && gst_adapter_available (self->adapter)
      % ((gsize) self->hop * self->bpf) != 0) {
    self->ragged = TRUE;
    update_latency (self);
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_gan_denoise_generate_output (GstBaseTransform * trans, GstBuffer ** outbuf)
{
  GstGanDenoise *self = GST_GAN_DENOISE (trans);
  *outbuf = NULL;
  if (!self->dn)
    return GST_FLOW_OK;

  gsize hop_bytes = (gsize) self->hop * self->bpf;
  int n_hops = gst_adapter_available (self->adapter) / hop_bytes;
  if (n_hops == 0)
    return GST_FLOW_OK;
  gsize bytes = n_hops * hop_bytes;
  const guint8 *in = gst_adapter_map (self->adapter, bytes);
  *outbuf = run_core (self, in, (gsize) n_hops * self->hop, FALSE);
  gst_adapter_unmap (self->adapter);
  gst_adapter_flush (self->adapter, bytes);
  return GST_FLOW_OK;
}

/* New caps that change the format: what the old format still holds is
 * pushed out in the old format first (as at EOS); setup then starts the
 * new one from scratch. */
static void
drain_before_caps (GstGanDenoise * self, GstEvent * event)
{
  GstCaps *caps;
  GstAudioInfo info;

  if (!self->dn || self->in_count == 0)
    return;
  gst_event_parse_caps (event, &caps);
  if (!gst_audio_info_from_caps (&info, caps))
    return;
  if (GST_AUDIO_INFO_RATE (&info) == self->rate
      && GST_AUDIO_INFO_CHANNELS (&info) == self->channels
      && GST_AUDIO_INFO_FORMAT (&info) == self->format)
    return;
  GST_DEBUG_OBJECT (self, "caps change: draining %" G_GUINT64_FORMAT
      " samples in the old format", self->in_count - self->out_count);
  drain (self);
  reset_stream (self);
}

static gboolean
gst_gan_denoise_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstGanDenoise *self = GST_GAN_DENOISE (trans);

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
  return GST_BASE_TRANSFORM_CLASS (gst_gan_denoise_parent_class)->sink_event
      (trans, event);
}

static gboolean
gst_gan_denoise_src_query (GstBaseTransform * trans, GstPadDirection dir,
    GstQuery * query)
{
  GstGanDenoise *self = GST_GAN_DENOISE (trans);

  if (dir == GST_PAD_SRC && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, ours;
    if (!gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (trans), query))
      return FALSE;
    gst_query_parse_latency (query, &live, &min, &max);
    GST_OBJECT_LOCK (self);
    ours = self->latency;
    GST_OBJECT_UNLOCK (self);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += ours;
    gst_query_set_latency (query, live, min, max);
    GST_DEBUG_OBJECT (self, "latency: ours %" GST_TIME_FORMAT ", total min %"
        GST_TIME_FORMAT, GST_TIME_ARGS (ours), GST_TIME_ARGS (min));
    return TRUE;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_gan_denoise_parent_class)->query
      (trans, dir, query);
}

/* ---- properties ------------------------------------------------------------*/

static void
gst_gan_denoise_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGanDenoise *self = GST_GAN_DENOISE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      /* only flagged: the streaming thread reloads at its next setup (or
       * the next start). Freeing the network here could pull it from
       * under the streaming thread while it sets up. */
      self->model_changed = TRUE;
      break;
    case PROP_ATTENUATION_LIMIT:
      self->attenuation_limit = g_value_get_double (value);
      break;
    case PROP_VAD_THRESHOLD:
      self->vad_threshold = g_value_get_double (value);
      break;
    case PROP_VAD_HANGOVER:
      self->vad_hangover_ms = g_value_get_uint (value);
      break;
    case PROP_NUM_THREADS:
      self->num_threads = g_value_get_int (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_SPEECH_GUARD:
      self->speech_guard = g_value_get_double (value);
      break;
    case PROP_CHANNEL_MODE:
      self->channel_mode = g_value_get_enum (value);
      break;
    case PROP_GATE:
      self->gate = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_gan_denoise_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstGanDenoise *self = GST_GAN_DENOISE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_ATTENUATION_LIMIT:
      g_value_set_double (value, self->attenuation_limit);
      break;
    case PROP_VAD_THRESHOLD:
      g_value_set_double (value, self->vad_threshold);
      break;
    case PROP_VAD_HANGOVER:
      g_value_set_uint (value, self->vad_hangover_ms);
      break;
    case PROP_NUM_THREADS:
      g_value_set_int (value, self->num_threads);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_SPEECH_GUARD:
      g_value_set_double (value, self->speech_guard);
      break;
    case PROP_CHANNEL_MODE:
      g_value_set_enum (value, self->channel_mode);
      break;
    case PROP_GATE:
      g_value_set_boolean (value, self->gate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_gan_denoise_finalize (GObject * object)
{
  GstGanDenoise *self = GST_GAN_DENOISE (object);
  free_streams (self);
  if (self->net_ready)
    gcn_denoiser_free (&self->net);
  if (self->voc_ready)
    gcn_vocoder_free (&self->voc);
  g_object_unref (self->adapter);
  g_free (self->model_path);
  G_OBJECT_CLASS (gst_gan_denoise_parent_class)->finalize (object);
}

static void
gst_gan_denoise_init (GstGanDenoise * self)
{
  self->adapter = gst_adapter_new ();
  self->attenuation_limit = DEFAULT_ATTENUATION_LIMIT;
  self->vad_threshold = DEFAULT_VAD_THRESHOLD;
  self->vad_hangover_ms = DEFAULT_VAD_HANGOVER;
  self->num_threads = DEFAULT_NUM_THREADS;
  self->mode = DEFAULT_MODE;
  self->speech_guard = DEFAULT_SPEECH_GUARD;
  self->channel_mode = DEFAULT_CHANNEL_MODE;
  self->gate = DEFAULT_GATE;
  self->latency = 20 * GST_MSECOND;
  self->base_pts = GST_CLOCK_TIME_NONE;
}

static void
gst_gan_denoise_class_init (GstGanDenoiseClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstAudioFilterClass *af_class = GST_AUDIO_FILTER_CLASS (klass);
  GstCaps *caps;

  GST_DEBUG_CATEGORY_INIT (gan_denoise_debug, "gandenoise", 0,
      "GAN speech denoiser");

  gobject_class->set_property = gst_gan_denoise_set_property;
  gobject_class->get_property = gst_gan_denoise_get_property;
  gobject_class->finalize = gst_gan_denoise_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Model file (safetensors) to use instead of the embedded one",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ATTENUATION_LIMIT,
      g_param_spec_double ("attenuation-limit", "Attenuation limit",
          "Most noise reduction allowed, in dB (0 passes audio through "
          "unchanged)", 0.0, 100.0, DEFAULT_ATTENUATION_LIMIT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE));
  g_object_class_install_property (gobject_class, PROP_VAD_THRESHOLD,
      g_param_spec_double ("vad-threshold", "VAD threshold",
          "Voice probability at or above which a hop counts as speech; "
          "changes are posted as \"gandenoise-vad\" element messages",
          0.0, 1.0, DEFAULT_VAD_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_VAD_HANGOVER,
      g_param_spec_uint ("vad-hangover", "VAD hangover",
          "Milliseconds of non-speech before voice activity is reported "
          "to have ended (a grace period so pauses inside words do not "
          "cut them)", 0, 10000, DEFAULT_VAD_HANGOVER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_NUM_THREADS,
      g_param_spec_int ("num-threads", "Threads",
          "Most worker threads the network may use (0: all cores)", 0, 256,
          DEFAULT_NUM_THREADS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode", "How clean speech is produced; "
          "may change while playing (the latency changes with it and a "
          "latency message is posted)",
          GST_TYPE_GAN_DENOISE_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SPEECH_GUARD,
      g_param_spec_double ("speech-guard", "Speech guard",
          "mask mode: where the network hears a voice, no 50 Hz bin loses "
          "more power than a floor this many dB above the background "
          "tracked in it, so speech in a quiet recording is kept whatever "
          "the network thinks; 0 turns the guard off", 0.0, 60.0,
          DEFAULT_SPEECH_GUARD, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE));

  g_object_class_install_property (gobject_class, PROP_CHANNEL_MODE,
      g_param_spec_enum ("channel-mode", "Channel mode",
          "Stereo: denoise each channel on its own, or compute one gain "
          "from both and apply it to each (mask mode; resynth always runs "
          "the channels on their own)", GST_TYPE_GAN_DENOISE_CHANNEL_MODE,
          DEFAULT_CHANNEL_MODE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_GATE,
      g_param_spec_boolean ("gate", "Gate",
          "Mute the output while no voice is heard (after vad-hangover; "
          "faded over 10 ms)", DEFAULT_GATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class,
      "GAN speech denoiser", "Filter/Effect/Audio",
      "Removes background noise from speech with a small causal network "
      "trained adversarially (8-48 kHz, 20 ms latency)",
      "gst-gan developers");

  caps = gst_caps_from_string (CAPS_STR);
  gst_audio_filter_class_add_pad_templates (af_class, caps);
  gst_caps_unref (caps);

  bt_class->start = GST_DEBUG_FUNCPTR (gst_gan_denoise_start);
  bt_class->stop = GST_DEBUG_FUNCPTR (gst_gan_denoise_stop);
  bt_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_gan_denoise_submit_input_buffer);
  bt_class->generate_output =
      GST_DEBUG_FUNCPTR (gst_gan_denoise_generate_output);
  bt_class->sink_event = GST_DEBUG_FUNCPTR (gst_gan_denoise_sink_event);
  bt_class->query = GST_DEBUG_FUNCPTR (gst_gan_denoise_src_query);
  bt_class->passthrough_on_same_caps = FALSE;
  af_class->setup = GST_DEBUG_FUNCPTR (gst_gan_denoise_setup);

  gst_type_mark_as_plugin_api (GST_TYPE_GAN_DENOISE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_GAN_DENOISE_CHANNEL_MODE, 0);
}
