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

/* A GstGanAudioHop (gstganaudiohop.c: the adapter, drain, timestamps and
 * latency) that runs whole 10 ms hops through gc_denoise (core/gc_denoise.h,
 * the streaming denoiser the LADSPA/LV2 plugins share): 20 ms sqrt-Hann
 * frames, band and low-bin gains from a conv1d + GRU network, overlap-add.
 * Every common rate (8 .. 48 kHz) runs natively on the same 50 Hz bin
 * grid. This file only deals with the core, properties and messages.
 *
 * Timing: overlap-add lags the input by one hop (10 ms), and a model with
 * lookahead (the shipped one hears one more frame before it decides) by
 * one more hop per frame: 20 ms for the shipped model. The core drops
 * that lead-in and drains the tail at EOS or DISCONT, so output samples
 * line up one to one with input samples (same count, same timestamps).
 * The LATENCY query adds that lag to the peer's (20 ms with the shipped
 * model), and the base class one hop more once an input buffer has ended
 * inside a hop: output leaves in whole hops, so with short input buffers
 * a sample waits for the rest of its hop too (30 ms in all).
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
#include "gstgandenoise.h"
#include "gstganelements.h"
#include "gstganmodel.h"

#include <math.h>
#include <string.h>

#include "gc_core.h"
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
/* off: it costs clean speech 1 dB of fidelity (docs/denoise.md,
 * "Residual suppression") */
#define DEFAULT_RESIDUAL_SUPPRESSION FALSE

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
  PROP_RESIDUAL_SUPPRESSION,
};

struct _GstGanDenoise {
  GstGanAudioHop parent;

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
  gboolean residual_suppression;

  /* streaming state (streaming thread); the networks are loaded in start
   * and freed in stop only, so a property change never frees them under
   * the streaming thread */
  gcn_denoiser net;
  gboolean net_ready;
  gcn_vocoder voc;
  gboolean voc_ready;
  gc_denoise *dn;
  float *out_f;                 /* interleaved scratch */
  gsize out_cap;                /* in floats */
  gint rate, channels, hop;
};

G_DEFINE_TYPE (GstGanDenoise, gst_gan_denoise, GST_TYPE_GAN_AUDIO_HOP);
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
  g_free (self->out_f);
  self->out_f = NULL;
  self->out_cap = 0;
}

/* Forget everything of the stream so far (DISCONT, flush, new caps). */
static void
gst_gan_denoise_reset (GstGanAudioHop * hop)
{
  GstGanDenoise *self = GST_GAN_DENOISE (hop);
  if (self->dn)
    gc_denoise_reset (self->dn);
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

/* The mode's lag; GstGanAudioHop adds a hop once input buffers are
 * ragged, and posts a latency message when the report changes. */
static void
update_latency (GstGanDenoise * self)
{
  gst_gan_audio_hop_set_lag (GST_GAN_AUDIO_HOP (self),
      gst_util_uint64_scale_int (gc_denoise_lag (self->dn), GST_SECOND,
          self->rate));
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
  if (self->net_ready) {
    gcn_denoiser_free (&self->net);
    self->net_ready = FALSE;
  }
  if (self->voc_ready) {
    gcn_vocoder_free (&self->voc);
    self->voc_ready = FALSE;
  }
  self->channels = 0;
  return GST_BASE_TRANSFORM_CLASS (gst_gan_denoise_parent_class)->stop (trans);
}

/* Settings read once per run under the lock and handed to the core. */
static void
apply_settings (GstGanDenoise * self)
{
  gfloat limit_db, guard_db;
  gdouble thr;
  guint hang_ms;
  gint threads;
  gboolean gate, residual;
  GstGanDenoiseMode mode;

  GST_OBJECT_LOCK (self);
  limit_db = self->attenuation_limit;
  thr = self->vad_threshold;
  hang_ms = self->vad_hangover_ms;
  threads = self->num_threads;
  mode = self->mode;
  guard_db = self->speech_guard;
  gate = self->gate;
  residual = self->residual_suppression;
  GST_OBJECT_UNLOCK (self);
  gc_set_thread_limit (threads);
  gc_denoise_set_attenuation_limit (self->dn, limit_db);
  gc_denoise_set_speech_guard (self->dn, guard_db);
  gc_denoise_set_residual_suppression (self->dn, residual);
  gc_denoise_set_vad (self->dn, thr, hang_ms);
  gc_denoise_set_gate (self->dn, gate);
  request_mode (self, mode);
}

static void post_vad (void *user, int voice, float prob, uint64_t sample);

static gboolean
gst_gan_denoise_setup (GstGanAudioHop * hop, const GstAudioInfo * info,
    const GstAudioInfo * out)
{
  GstGanDenoise *self = GST_GAN_DENOISE (hop);
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
  /* the core drops the lead-in itself */
  gst_gan_audio_hop_configure (hop, self->hop, 0);
  gc_denoise_set_vad_callback (self->dn, post_vad, self);
  if (!request_mode (self, mode)) {
    free_streams (self);
    return FALSE;
  }
  update_latency (self);
  GST_INFO_OBJECT (self, "%d Hz, %d channel(s), hop %d, lag %d", rate, ch,
      self->hop, gc_denoise_lag (self->dn));
  return TRUE;
}

/* ---- processing ------------------------------------------------------------*/

static void
post_vad (void *user, int voice, float prob, uint64_t sample)
{
  GstGanDenoise *self = user;
  GstClockTime ts = gst_gan_audio_hop_sample_time (GST_GAN_AUDIO_HOP (self),
      sample);
  GstStructure *s = gst_structure_new ("gandenoise-vad",
      "voice", G_TYPE_BOOLEAN, voice,
      "probability", G_TYPE_DOUBLE, (gdouble) prob,
      "timestamp", G_TYPE_UINT64, (guint64) ts, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Run whole hops (or, with drain, the last partial hop and the tail)
 * through the core; *out gets the output samples that are due. */
static gint
run_core (GstGanDenoise * self, const gfloat * in, gint n_frames,
    gboolean drain, const gfloat ** out)
{
  int n_hops = drain ? 0 : n_frames / self->hop;
  int lag_hops = gc_denoise_lag (self->dn) / self->hop;
  gsize need = (gsize) gc_denoise_max_out (self->dn, MAX (n_hops,
          lag_hops + 2) + lag_hops) * self->channels;
  int n;

  if (self->out_cap < need) {
    g_free (self->out_f);
    self->out_f = g_new (float, need);
    self->out_cap = need;
  }
  apply_settings (self);
  if (drain)
    n = gc_denoise_drain (self->dn, in, n_frames, self->out_f);
  else
    n = gc_denoise_push_hops (self->dn, in, n_hops, self->out_f);
  update_latency (self);
  *out = self->out_f;
  return n;
}

static gint
gst_gan_denoise_process (GstGanAudioHop * hop, const gfloat * in,
    gint n_frames, const gfloat ** out)
{
  return run_core (GST_GAN_DENOISE (hop), in, n_frames, FALSE, out);
}

/* gc_denoise_drain gives every owed sample at once */
static gint
gst_gan_denoise_drain (GstGanAudioHop * hop, const gfloat * in,
    gint n_frames, guint64 want, const gfloat ** out)
{
  (void) want;
  return run_core (GST_GAN_DENOISE (hop), in, n_frames, TRUE, out);
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
    case PROP_RESIDUAL_SUPPRESSION:
      self->residual_suppression = g_value_get_boolean (value);
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
    case PROP_RESIDUAL_SUPPRESSION:
      g_value_set_boolean (value, self->residual_suppression);
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
  g_free (self->model_path);
  G_OBJECT_CLASS (gst_gan_denoise_parent_class)->finalize (object);
}

static void
gst_gan_denoise_init (GstGanDenoise * self)
{
  self->attenuation_limit = DEFAULT_ATTENUATION_LIMIT;
  self->vad_threshold = DEFAULT_VAD_THRESHOLD;
  self->vad_hangover_ms = DEFAULT_VAD_HANGOVER;
  self->num_threads = DEFAULT_NUM_THREADS;
  self->mode = DEFAULT_MODE;
  self->speech_guard = DEFAULT_SPEECH_GUARD;
  self->residual_suppression = DEFAULT_RESIDUAL_SUPPRESSION;
  self->channel_mode = DEFAULT_CHANNEL_MODE;
  self->gate = DEFAULT_GATE;
  /* the shipped model's, until caps say otherwise */
  gst_gan_audio_hop_set_latency (GST_GAN_AUDIO_HOP (self), 20 * GST_MSECOND);
}

static void
gst_gan_denoise_class_init (GstGanDenoiseClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstAudioFilterClass *af_class = GST_AUDIO_FILTER_CLASS (klass);
  GstGanAudioHopClass *hop_class = GST_GAN_AUDIO_HOP_CLASS (klass);
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
  g_object_class_install_property (gobject_class, PROP_RESIDUAL_SUPPRESSION,
      g_param_spec_boolean ("residual-suppression", "Residual suppression",
          "mask mode: where the network takes noise out of a bin, take "
          "out as much as a Wiener filter on the noise floor tracked in it "
          "would (at most 10 dB more): less steady noise left under "
          "speech, for a little of a clean recording's own background",
          DEFAULT_RESIDUAL_SUPPRESSION, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

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
  hop_class->setup = GST_DEBUG_FUNCPTR (gst_gan_denoise_setup);
  hop_class->process = GST_DEBUG_FUNCPTR (gst_gan_denoise_process);
  hop_class->drain = GST_DEBUG_FUNCPTR (gst_gan_denoise_drain);
  hop_class->reset = GST_DEBUG_FUNCPTR (gst_gan_denoise_reset);

  gst_type_mark_as_plugin_api (GST_TYPE_GAN_DENOISE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_GAN_DENOISE_CHANNEL_MODE, 0);
}
