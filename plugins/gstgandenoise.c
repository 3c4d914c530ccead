/* gandenoise: real-time speech denoising with a GAN-trained causal network.
 *
 * A GstAudioFilter that collects input in a GstAdapter (like webrtcdsp) and
 * runs whole 10 ms hops through gcn_denoiser: 20 ms sqrt-Hann frames, band
 * and low-bin gains from a conv1d + GRU network, overlap-add. Every common
 * rate (8 .. 48 kHz) runs natively on the same 50 Hz bin grid.
 *
 * Timing: overlap-add lags the input by one hop (10 ms), and a model with
 * lookahead (the shipped one hears one more frame before it decides) by
 * one more hop per frame: 20 ms for the shipped model. The element drops
 * that lead-in and drains the tail at EOS or DISCONT, so output samples
 * line up one to one with input samples (same count, same timestamps) and
 * the LATENCY query reports the model's latency (peer latency plus ours).
 *
 * mode=resynth (gcn_resynth): the same gains, applied to the vocoder's own
 * 16 kHz spectrum; the vocoder regenerates the band below ~7.5 kHz and the
 * mask output is kept above it. Its delay (about 100 ms with the shipped
 * vocoder's phase refinement) is a whole number of hops, handled exactly
 * like the mask's delay and reported the same way. The mode may change
 * while playing: the new mode is warmed up on the last 200 ms of input and
 * continues the output at the next sample not yet pushed; a latency
 * message is posted. New caps drain the old format first.
 *
 * Example:
 *   gst-launch-1.0 pulsesrc ! audioconvert ! audioresample ! gandenoise ! \
 *     audioconvert ! autoaudiosink
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgandenoise.h"
#include "gstganelements.h"

#include <gst/base/gstadapter.h>
#include <math.h>
#include <string.h>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define HAVE_MXCSR 1
#endif

#include "gancore.h"
#include "gcn_denoiser.h"
#include "gcn_resynth.h"
#include "gcn_vocoder.h"
#include "gan_models.h"

/* The shipped models; weak so the plugin still links (and reports a clear
 * error) in a build that has no model file. */
GAN_MODEL_DECLARE (gan_model_denoise_48k);
#pragma weak gan_model_denoise_48k
#pragma weak gan_model_denoise_48k_size
GAN_MODEL_DECLARE (gan_model_vocoder_16k);
#pragma weak gan_model_vocoder_16k
#pragma weak gan_model_vocoder_16k_size

GST_DEBUG_CATEGORY_STATIC (gan_denoise_debug);
#define GST_CAT_DEFAULT gan_denoise_debug

#define MAX_CHANNELS 2
#define DEFAULT_ATTENUATION_LIMIT 20.0
#define DEFAULT_VAD_THRESHOLD 0.5
#define DEFAULT_VAD_HANGOVER 300
#define DEFAULT_NUM_THREADS 1
#define DEFAULT_MODE GST_GAN_DENOISE_MODE_MASK
/* chosen on the development set (docs/denoise.md, "Speech guard") */
#define DEFAULT_SPEECH_GUARD 10.0
/* Raw input kept, in hops: the bypass path reads it at the mode's delay,
 * and a mode switch warms the new mode up on it (WARMUP_HOPS of it) so
 * the switch neither repeats nor skips a sample and starts from a settled
 * network rather than from silence. */
#define HIST_HOPS 40
/* Most reduction applied to the vocoder's input spectrum (dB); the mask
 * band above 7.5 kHz follows attenuation-limit as in mask mode. */
#define RESYNTH_FEED_DB 12.f
#define WARMUP_HOPS 20

enum {
  PROP_0,
  PROP_MODEL,
  PROP_ATTENUATION_LIMIT,
  PROP_VAD_THRESHOLD,
  PROP_VAD_HANGOVER,
  PROP_NUM_THREADS,
  PROP_MODE,
  PROP_SPEECH_GUARD,
};

struct _GstGanDenoise {
  GstAudioFilter parent;

  /* properties (object lock) */
  gchar *model_path;
  gdouble attenuation_limit;
  gdouble vad_threshold;
  guint vad_hangover_ms;
  gint num_threads;
  GstGanDenoiseMode mode;
  gdouble speech_guard;
  GstClockTime latency;         /* of the mode running now */

  /* streaming state (streaming thread) */
  gcn_denoiser net;
  gboolean net_ready;
  gcn_vocoder voc;
  gboolean voc_ready;
  GstAdapter *adapter;
  gcn_dn_stream *chan[MAX_CHANNELS];    /* mask mode */
  gcn_rs_stream *rs[MAX_CHANNELS];      /* resynth mode (made on demand) */
  float *hist[MAX_CHANNELS];    /* HIST_HOPS hops of raw input, a ring */
  float *out_f[MAX_CHANNELS];   /* one hop of output */
  float *in_f;                  /* one hop, one channel */
  guint8 *zeros;                /* one hop of silence, for draining */
  gint rate, channels, hop, bpf;
  GstAudioFormat format;
  GstGanDenoiseMode cur_mode;   /* the mode the streams run */
  gint lag;                     /* its delay in samples (whole hops) */

  GstClockTime base_pts;        /* pts of the first sample since reset */
  guint64 in_count, out_count;  /* samples since reset */
  gint64 proc_hops;             /* hops run through the network */
  gboolean need_discont;

  gboolean voice;
  guint64 last_voice;           /* output sample of the last voiced hop */
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
        "Apply predicted spectral gains to the input (the model's latency: "
        "20 ms with the shipped one)", "mask"},
    {GST_GAN_DENOISE_MODE_RESYNTH,
          "Regenerate the speech band (below 7.5 kHz) with the vocoder from "
          "the denoised features; mask output above (about 100 ms latency)",
        "resynth"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGanDenoiseMode", values);
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
  for (int c = 0; c < MAX_CHANNELS; c++) {
    gcn_dn_stream_free (self->chan[c]);
    self->chan[c] = NULL;
    gcn_rs_stream_free (self->rs[c]);
    self->rs[c] = NULL;
    g_free (self->hist[c]);
    self->hist[c] = NULL;
    g_free (self->out_f[c]);
    self->out_f[c] = NULL;
  }
  g_free (self->in_f);
  g_free (self->zeros);
  self->in_f = NULL;
  self->zeros = NULL;
}

static void
reset_processors (GstGanDenoise * self)
{
  for (int c = 0; c < self->channels && c < MAX_CHANNELS; c++) {
    if (self->chan[c])
      gcn_dn_stream_reset (self->chan[c]);
    if (self->rs[c])
      gcn_rs_stream_reset (self->rs[c]);
  }
}

/* Forget everything of the stream so far (DISCONT, flush, new caps). */
static void
reset_stream (GstGanDenoise * self)
{
  gst_adapter_clear (self->adapter);
  reset_processors (self);
  for (int c = 0; c < self->channels && c < MAX_CHANNELS; c++)
    if (self->hist[c])
      memset (self->hist[c], 0, (gsize) HIST_HOPS * self->hop * sizeof (float));
  self->base_pts = GST_CLOCK_TIME_NONE;
  self->in_count = self->out_count = 0;
  self->proc_hops = 0;
  self->need_discont = TRUE;
  self->voice = FALSE;
  self->last_voice = 0;
}

/* ---- models --------------------------------------------------------------*/

static gboolean
load_model (GstGanDenoise * self)
{
  gc_model_file mf;
  gchar *path;
  int ret;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->model_path);
  GST_OBJECT_UNLOCK (self);

  memset (&mf, 0, sizeof (mf));
  if (path && *path) {
    if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Denoising model file \"%s\" does not exist.", path), (NULL));
      g_free (path);
      return FALSE;
    }
    ret = gc_model_load (&mf, path);
    if (ret == 0 && gcn_denoiser_load (&self->net, &mf) != 0)
      ret = -1;
    if (ret != 0) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not load denoising model \"%s\": %s", path, gc_last_error ()),
          ("%s", gc_last_error ()));
      gc_model_free (&mf);
      g_free (path);
      return FALSE;
    }
  } else {
    if (&gan_model_denoise_48k_size == NULL || gan_model_denoise_48k == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("This build has no embedded denoising model; set the model "
              "property."), (NULL));
      g_free (path);
      return FALSE;
    }
    ret = gc_model_parse (&mf, gan_model_denoise_48k,
        gan_model_denoise_48k_size, "embedded denoise-48k");
    if (ret == 0 && gcn_denoiser_load (&self->net, &mf) != 0)
      ret = -1;
    if (ret != 0) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Embedded denoising model is unusable: %s", gc_last_error ()),
          (NULL));
      gc_model_free (&mf);
      g_free (path);
      return FALSE;
    }
  }
  GST_INFO_OBJECT (self, "loaded model %s (%s)", path ? path : "(embedded)",
      gc_model_meta_get (&mf, "arch"));
  gc_model_free (&mf);
  g_free (path);
  self->net_ready = TRUE;
  return TRUE;
}

/* The vocoder of mode=resynth (the embedded copy-synthesis model). Loaded
 * with the denoiser when the build has it; without it mode=resynth fails
 * with a clear error. */
static gboolean
load_vocoder (GstGanDenoise * self, gboolean post_error)
{
  if (self->voc_ready)
    return TRUE;
  if (&gan_model_vocoder_16k_size == NULL || gan_model_vocoder_16k == NULL) {
    if (post_error)
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("This build has no embedded vocoder-16k model, which mode=resynth "
              "needs."), (NULL));
    return FALSE;
  }
  if (gcn_vocoder_load_mem (&self->voc, gan_model_vocoder_16k,
          gan_model_vocoder_16k_size, "embedded vocoder-16k") < 0) {
    if (post_error)
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("The embedded vocoder-16k model is unusable: %s", gc_last_error ()),
          (NULL));
    return FALSE;
  }
  self->voc_ready = TRUE;
  return TRUE;
}

static GstGanDenoiseMode
get_mode (GstGanDenoise * self)
{
  GST_OBJECT_LOCK (self);
  GstGanDenoiseMode m = self->mode;
  GST_OBJECT_UNLOCK (self);
  return m;
}

/* Make the streams of `mode` for the current format (resynth ones are made
 * on first use: they cost a latency search). */
static gboolean
ensure_mode_streams (GstGanDenoise * self, GstGanDenoiseMode mode)
{
  if (mode != GST_GAN_DENOISE_MODE_RESYNTH || self->rs[0])
    return TRUE;
  if (!load_vocoder (self, TRUE))
    return FALSE;
  for (int c = 0; c < self->channels; c++) {
    self->rs[c] = gcn_rs_stream_new (&self->net, &self->voc, self->rate);
    if (!self->rs[c]) {
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Cannot set up resynthesis: %s", gc_last_error ()), (NULL));
      for (int k = 0; k < c; k++) {
        gcn_rs_stream_free (self->rs[k]);
        self->rs[k] = NULL;
      }
      return FALSE;
    }
  }
  return TRUE;
}

static gint
mode_lag (GstGanDenoise * self, GstGanDenoiseMode mode)
{
  if (mode == GST_GAN_DENOISE_MODE_RESYNTH && self->rs[0])
    return gcn_rs_stream_latency (self->rs[0]);
  return gcn_dn_stream_latency (self->chan[0]);
}

/* Make `mode` the running one; its latency becomes the one reported. */
static void
set_running_mode (GstGanDenoise * self, GstGanDenoiseMode mode)
{
  gint lag = mode_lag (self, mode);
  GstClockTime lat = gst_util_uint64_scale_int (lag, GST_SECOND, self->rate);
  gboolean changed;

  self->cur_mode = mode;
  self->lag = lag;
  GST_OBJECT_LOCK (self);
  changed = self->latency != lat;
  self->latency = lat;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "mode %d, latency %d samples", mode, lag);
  if (changed)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
}

static gboolean
gst_gan_denoise_start (GstBaseTransform * trans)
{
  GstGanDenoise *self = GST_GAN_DENOISE (trans);
  if (!self->net_ready && !load_model (self))
    return FALSE;
  if (get_mode (self) == GST_GAN_DENOISE_MODE_RESYNTH
      && !load_vocoder (self, TRUE))
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

static gboolean
gst_gan_denoise_setup (GstAudioFilter * filter, const GstAudioInfo * info)
{
  GstGanDenoise *self = GST_GAN_DENOISE (filter);
  int rate = GST_AUDIO_INFO_RATE (info), ch = GST_AUDIO_INFO_CHANNELS (info);

  if (!gcn_dn_rate_ok (rate) || ch < 1 || ch > MAX_CHANNELS) {
    GST_ERROR_OBJECT (self, "unsupported format: %d Hz, %d channels", rate, ch);
    return FALSE;
  }
  if (!self->net_ready && !load_model (self))
    return FALSE;
  free_streams (self);
  self->rate = rate;
  self->channels = ch;
  self->hop = gcn_dn_hop (rate);
  self->bpf = GST_AUDIO_INFO_BPF (info);
  self->format = GST_AUDIO_INFO_FORMAT (info);
  for (int c = 0; c < ch; c++) {
    self->chan[c] = gcn_dn_stream_new (&self->net, rate);
    if (!self->chan[c]) {
      GST_ERROR_OBJECT (self, "cannot set up: %s", gc_last_error ());
      free_streams (self);
      return FALSE;
    }
    self->hist[c] = g_new0 (float, (gsize) HIST_HOPS * self->hop);
    self->out_f[c] = g_new0 (float, self->hop);
  }
  self->in_f = g_new0 (float, self->hop);
  self->zeros = g_malloc0 ((gsize) self->hop * self->bpf);
  GstGanDenoiseMode mode = get_mode (self);
  if (!ensure_mode_streams (self, mode)) {
    free_streams (self);
    return FALSE;
  }
  set_running_mode (self, mode);
  reset_stream (self);
  GST_INFO_OBJECT (self, "%d Hz, %d channel(s), hop %d, latency %d", rate, ch,
      self->hop, self->lag);
  return TRUE;
}

/* ---- processing ------------------------------------------------------------*/

/* Input sample -> finite float: NaN and infinities become 0, denormals 0,
 * absurd magnitudes are clipped (the network only sees log energies, but
 * the overlap-add must stay finite). */
static inline float
sanitize (float v)
{
  if (!isfinite (v))
    return 0.f;
  if (fabsf (v) < 1e-30f)
    return 0.f;
  return v > 1e6f ? 1e6f : (v < -1e6f ? -1e6f : v);
}

static void
post_vad (GstGanDenoise * self, gboolean voice, float prob, guint64 sample)
{
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

/* Raw input of hop `hi` (zeros outside what the ring holds). */
static const float *
hist_hop (GstGanDenoise * self, int c, gint64 hi)
{
  if (hi < 0 || hi < self->proc_hops - HIST_HOPS || hi >= self->proc_hops)
    return NULL;
  return self->hist[c] + (gsize) (hi % HIST_HOPS) * self->hop;
}

/* Per-run settings read once under the lock. */
typedef struct {
  float min_gain, feed_gain, guard_db;
  gboolean bypass;
  gdouble thr;
  guint64 hang;
} RunParams;

/* Hop `hi` of raw input (already in the ring) through the running mode;
 * out_f[c] gets the output for samples [hi hop - lag, + hop). */
static float
process_hop (GstGanDenoise * self, gint64 hi, const RunParams * p)
{
  int hop = self->hop;
  float best = 0.f;
  for (int c = 0; c < self->channels; c++) {
    const float *x = hist_hop (self, c, hi);
    if (!x) {
      memset (self->in_f, 0, hop * sizeof (float));
      x = self->in_f;
    }
    float v;
    if (self->cur_mode == GST_GAN_DENOISE_MODE_RESYNTH)
      v = gcn_rs_stream_process (self->rs[c], x, self->out_f[c], p->min_gain,
          p->feed_gain);
    else {
      gcn_dn_stream_set_guard (self->chan[c], p->guard_db);
      v = gcn_dn_stream_process (self->chan[c], x, self->out_f[c],
          p->min_gain);
    }
    best = v > best ? v : best;
    if (p->bypass) {
      /* the raw path is delayed exactly as the processed one */
      const float *r = hist_hop (self, c, hi - self->lag / hop);
      if (r)
        memcpy (self->out_f[c], r, hop * sizeof (float));
      else
        memset (self->out_f[c], 0, hop * sizeof (float));
    }
  }
  return best;
}

/* Append the part of out_f due for output (index >= out_count, < limit)
 * to `acc`; VAD bookkeeping on the output timeline. */
static void
emit_hop (GstGanDenoise * self, gint64 out_start, float vad,
    const RunParams * p, GByteArray * acc, guint64 limit)
{
  int hop = self->hop, ch = self->channels;
  gint64 from = MAX (out_start, (gint64) self->out_count);
  gint64 lim = limit > (guint64) G_MAXINT64 ? G_MAXINT64 : (gint64) limit;
  gint64 to = MIN (out_start + hop, lim);

  if (out_start + hop > 0 && out_start + hop > (gint64) self->out_count) {
    guint64 pos = MAX (out_start, 0);
    if (vad >= p->thr) {
      self->last_voice = pos;
      if (!self->voice) {
        self->voice = TRUE;
        post_vad (self, TRUE, vad, pos);
      }
    } else if (self->voice && pos > self->last_voice + p->hang) {
      self->voice = FALSE;
      post_vad (self, FALSE, vad, pos);
    }
  }
  if (to <= from)
    return;
  int i0 = (int) (from - out_start), n = (int) (to - from);
  guint old = acc->len;
  g_byte_array_set_size (acc, old + (guint) n * self->bpf);
  guint8 *dst = acc->data + old;
  for (int c = 0; c < ch; c++) {
    const float *src = self->out_f[c] + i0;
    if (self->format == GST_AUDIO_FORMAT_S16LE) {
      gint16 *d = (gint16 *) dst;
      for (int i = 0; i < n; i++) {
        float v = src[i] * 32768.f;
        v = isfinite (v) ? v : 0.f;
        v = v > 32767.f ? 32767.f : (v < -32768.f ? -32768.f : v);
        d[i * ch + c] = GINT16_TO_LE ((gint16) lrintf (v));
      }
    } else {
      float *d = (float *) dst;
      for (int i = 0; i < n; i++)
        d[i * ch + c] = isfinite (src[i]) ? src[i] : 0.f;
    }
  }
  self->out_count += n;
}

/* A mode change, between hops: the new mode restarts, warmed up on the
 * raw input it missed, and continues the output exactly where the old one
 * stopped (it re-makes the samples the old mode still held when the new
 * one is faster; it holds back for a while when it is slower). */
static gboolean
switch_mode (GstGanDenoise * self, GstGanDenoiseMode mode,
    const RunParams * p, GByteArray * acc)
{
  if (!ensure_mode_streams (self, mode)) {
    /* keep running the old mode; the error is posted */
    GST_OBJECT_LOCK (self);
    self->mode = self->cur_mode;
    GST_OBJECT_UNLOCK (self);
    return FALSE;
  }
  reset_processors (self);
  set_running_mode (self, mode);
  gint64 now = self->proc_hops;
  gint64 first = ((gint64) self->out_count + self->lag) / self->hop -
      WARMUP_HOPS;
  first = MAX (first, now - HIST_HOPS + 1);
  for (gint64 hi = first; hi < now; hi++) {
    float vad = process_hop (self, hi, p);
    emit_hop (self, hi * self->hop - self->lag, vad, p, acc, self->in_count);
  }
  return TRUE;
}

static void
read_params (GstGanDenoise * self, RunParams * p, GstGanDenoiseMode * mode)
{
  gfloat limit_db;
  guint hang_ms;
  gint threads;

  GST_OBJECT_LOCK (self);
  limit_db = self->attenuation_limit;
  p->thr = self->vad_threshold;
  hang_ms = self->vad_hangover_ms;
  threads = self->num_threads;
  *mode = self->mode;
  p->guard_db = self->speech_guard;
  GST_OBJECT_UNLOCK (self);
  gc_set_thread_limit (threads);
  p->min_gain = limit_db <= 0.f ? 1.f : powf (10.f, -limit_db / 20.f);
  /* the vocoder is fed at most RESYNTH_FEED_DB of reduction: deeper gains
   * leave it holes it fills with artefacts (measured: STOI falls from
   * 0.657 at 10 dB to 0.629 at 25 dB at -5 dB SNR; docs/denoise.md) */
  p->feed_gain = MAX (p->min_gain, powf (10.f, -RESYNTH_FEED_DB / 20.f));
  p->bypass = limit_db <= 0.f;
  p->hang = gst_util_uint64_scale_int (hang_ms, self->rate, 1000);
}

/* Run n_hops hops from in (NULL: silence) and return the output samples
 * that are due (after the lead-in and below `limit`) as a buffer. */
static GstBuffer *
run_hops (GstGanDenoise * self, const guint8 * in, int n_hops, guint64 limit)
{
  RunParams p;
  GstGanDenoiseMode mode;
  gsize hop_bytes = (gsize) self->hop * self->bpf;
  int hop = self->hop, ch = self->channels;
  guint64 first_out = self->out_count;
  GByteArray *acc = g_byte_array_sized_new ((guint) (n_hops * hop_bytes));

  read_params (self, &p, &mode);
#ifdef HAVE_MXCSR
  /* flush denormals to zero while we run; restore the caller's mode */
  unsigned int csr = _mm_getcsr ();
  _mm_setcsr (csr | 0x8040);
#endif
  if (mode != self->cur_mode)
    switch_mode (self, mode, &p, acc);

  for (int h = 0; h < n_hops; h++) {
    const guint8 *src = in ? in + h * hop_bytes : self->zeros;
    gint64 hi = self->proc_hops;
    for (int c = 0; c < ch; c++) {
      float *dst = self->hist[c] + (gsize) (hi % HIST_HOPS) * hop;
      if (self->format == GST_AUDIO_FORMAT_S16LE) {
        const gint16 *s = (const gint16 *) src;
        for (int i = 0; i < hop; i++)
          dst[i] = GINT16_FROM_LE (s[i * ch + c]) * (1.f / 32768.f);
      } else {
        const float *s = (const float *) src;
        for (int i = 0; i < hop; i++)
          dst[i] = sanitize (s[i * ch + c]);
      }
    }
    self->proc_hops++;
    float vad = process_hop (self, hi, &p);
    emit_hop (self, hi * hop - self->lag, vad, &p, acc, limit);
  }
#ifdef HAVE_MXCSR
  _mm_setcsr (csr);
#endif

  guint64 emit = self->out_count - first_out;
  if (emit == 0) {
    g_byte_array_unref (acc);
    return NULL;
  }
  GstBuffer *buf = gst_buffer_new_wrapped (acc->data, acc->len);
  g_byte_array_free (acc, FALSE);

  if (GST_CLOCK_TIME_IS_VALID (self->base_pts)) {
    GstClockTime t0 = self->base_pts +
        gst_util_uint64_scale_int (first_out, GST_SECOND, self->rate);
    GstClockTime t1 = self->base_pts +
        gst_util_uint64_scale_int (first_out + emit, GST_SECOND, self->rate);
    GST_BUFFER_PTS (buf) = t0;
    GST_BUFFER_DURATION (buf) = t1 - t0;
  }
  GST_BUFFER_OFFSET (buf) = first_out;
  GST_BUFFER_OFFSET_END (buf) = first_out + emit;
  if (self->need_discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->need_discont = FALSE;
  }
  return buf;
}

/* Push out everything still inside: the adapter's partial hop and the
 * mode's lag, padded with silence, so samples out == samples in. */
static GstFlowReturn
drain (GstGanDenoise * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  if (!self->chan[0])
    return GST_FLOW_OK;
  while (self->out_count < self->in_count && ret == GST_FLOW_OK) {
    gsize avail = gst_adapter_available (self->adapter);
    gsize hop_bytes = (gsize) self->hop * self->bpf;
    guint8 *hop = g_malloc0 (hop_bytes);
    if (avail > 0) {
      gsize take = MIN (avail, hop_bytes);
      gst_adapter_copy (self->adapter, hop, 0, take);
      gst_adapter_flush (self->adapter, take);
    }
    GstBuffer *buf = run_hops (self, hop, 1, self->in_count);
    g_free (hop);
    if (buf)
      ret = gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), buf);
  }
  return ret;
}

static GstFlowReturn
gst_gan_denoise_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * input)
{
  GstGanDenoise *self = GST_GAN_DENOISE (trans);

  if (!self->chan[0]) {
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
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_gan_denoise_generate_output (GstBaseTransform * trans, GstBuffer ** outbuf)
{
  GstGanDenoise *self = GST_GAN_DENOISE (trans);
  *outbuf = NULL;
  if (!self->chan[0])
    return GST_FLOW_OK;

  gsize hop_bytes = (gsize) self->hop * self->bpf;
  int n_hops = gst_adapter_available (self->adapter) / hop_bytes;
  if (n_hops == 0)
    return GST_FLOW_OK;
  gsize bytes = n_hops * hop_bytes;
  const guint8 *in = gst_adapter_map (self->adapter, bytes);
  *outbuf = run_hops (self, in, n_hops, G_MAXUINT64);
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

  if (!self->chan[0] || self->in_count == 0)
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
      /* reloaded at the next start */
      if (self->net_ready && !self->chan[0]) {
        gcn_denoiser_free (&self->net);
        self->net_ready = FALSE;
      }
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
  self->cur_mode = DEFAULT_MODE;
  self->latency = 10 * GST_MSECOND;
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
}
