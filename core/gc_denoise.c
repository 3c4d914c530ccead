/* gc_denoise — the streaming speech denoiser every host uses (gc_denoise.h). */
#include "gc_denoise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define HAVE_MXCSR 1
#endif

#include "gc_modelfile.h"
#include "gc_spectral.h"
#include "gcn_dn_guard.h"
#include "gcn_dn_residual.h"
#include "gcn_resynth.h"

/* Raw input kept, in hops: the bypass path reads it at the mode's delay,
 * and a mode switch warms the new mode up on it (WARMUP_HOPS of it) so
 * the switch neither repeats nor skips a sample and starts from a settled
 * network rather than from silence. */
#define HIST_HOPS 40
#define WARMUP_HOPS 20
/* Most reduction applied to the vocoder's input spectrum (dB); the mask
 * band above 7.5 kHz follows the attenuation limit as in mask mode.
 * Deeper gains leave the vocoder holes it fills with artefacts (STOI falls
 * from 0.657 at 10 dB to 0.629 at 25 dB at -5 dB SNR; docs/denoise.md). */
#define RESYNTH_FEED_DB 12.f

/* Linked mode, one per channel: framing and overlap-add of the channel,
 * and the lookahead delay and deep-filter history the shared gains are
 * applied with (as gcn_denoiser_process_spectrum keeps them). */
typedef struct {
  float *inbuf, *frame, *spec, *ola;
  float *delay, *swap;          /* lookahead frames, newest first */
  float *hist, *cur;            /* noisy low bins of past frames */
} follower;

struct gc_denoise {
  const gcn_denoiser *net;
  gcn_denoiser *own;            /* the network gc_denoise_open loaded */
  gcn_vocoder *voc;
  int rate, ch, hop, n_fft, bins;
  int linked;                   /* LINKED with more than one channel */

  /* settings */
  float min_gain, feed_gain;
  int bypass, gate;
  double thr;
  uint64_t hang;
  gc_denoise_vad_fn vad_fn;
  void *vad_user;

  /* processors */
  gcn_dn_stream *dn[GC_DENOISE_MAX_CHANNELS];  /* mask, independent */
  gcn_rs_stream *rs[GC_DENOISE_MAX_CHANNELS];  /* resynth (on demand) */
  gc_stft *fft;                 /* mask, linked */
  float *win, *gains;
  follower mix, fol[GC_DENOISE_MAX_CHANNELS];
  gcn_denoiser_state st;
  gcn_dn_guard *guard;
  gcn_dn_residual *residual;
  int hist_frames;

  gc_denoise_mode cur, want;
  int lag;

  /* stream */
  float *hist[GC_DENOISE_MAX_CHANNELS];        /* HIST_HOPS hops, a ring */
  float *out_f[GC_DENOISE_MAX_CHANNELS];       /* one hop of output */
  float *zeros;                 /* one hop */
  float *pin, *pout;            /* one interleaved hop each */
  int fill;                     /* frames in pin (process) */
  int64_t proc_hops;
  uint64_t in_count, out_pos, vad_end;
  int voice;
  uint64_t last_voice;
  float prob, gate_gain;
};

/* ---- linked mask ---------------------------------------------------------*/

static int
follower_init (follower *f, const gcn_denoiser *net, int n_fft, int bins,
    int hist_frames)
{
  int la = net->cfg.lookahead;
  f->inbuf = gc_alloc (n_fft * sizeof (float));
  f->frame = gc_alloc (n_fft * sizeof (float));
  f->ola = gc_alloc (n_fft * sizeof (float));
  f->spec = gc_alloc (2 * (size_t) bins * sizeof (float));
  f->hist = gc_alloc ((size_t) (hist_frames + 1) * GCN_DN_FINE * 2 *
      sizeof (float));
  f->cur = gc_alloc ((size_t) GCN_DN_FINE * 2 * sizeof (float));
  if (la > 0) {
    f->delay = gc_alloc ((size_t) la * GCN_DN_MAX_BINS * 2 * sizeof (float));
    f->swap = gc_alloc ((size_t) GCN_DN_MAX_BINS * 2 * sizeof (float));
  }
  return f->inbuf && f->frame && f->ola && f->spec && f->hist && f->cur &&
      (la == 0 || (f->delay && f->swap)) ? 0 : -1;
}

static void
follower_free (follower *f)
{
  gc_free (f->inbuf);
  gc_free (f->frame);
  gc_free (f->ola);
  gc_free (f->spec);
  gc_free (f->hist);
  gc_free (f->cur);
  gc_free (f->delay);
  gc_free (f->swap);
  memset (f, 0, sizeof (*f));
}

static void
follower_reset (follower *f, const gcn_denoiser *net, int n_fft,
    int hist_frames)
{
  memset (f->inbuf, 0, n_fft * sizeof (float));
  memset (f->ola, 0, n_fft * sizeof (float));
  memset (f->hist, 0, (size_t) (hist_frames + 1) * GCN_DN_FINE * 2 *
      sizeof (float));
  if (f->delay)
    memset (f->delay, 0, (size_t) net->cfg.lookahead * GCN_DN_MAX_BINS * 2 *
        sizeof (float));
}

/* Window the newest frame of the channel (after appending one hop) into
 * its spectrum. */
static void
follower_analyze (gc_denoise *d, follower *f, const float *x)
{
  int hop = d->hop, n = d->n_fft;
  memmove (f->inbuf, f->inbuf + hop, (n - hop) * sizeof (float));
  memcpy (f->inbuf + n - hop, x, hop * sizeof (float));
  for (int i = 0; i < n; i++)
    f->frame[i] = f->inbuf[i] * d->win[i];
  gc_stft_rfft (d->fft, f->frame, f->spec);
}

/* The shared gains and taps on this channel's frame `lookahead` back,
 * exactly as gcn_denoiser_process_spectrum applies them to its own, then
 * synthesis: one hop of output. */
static void
follower_apply (gc_denoise *d, follower *f, float *out)
{
  const gcn_denoiser *net = d->net;
  int la = net->cfg.lookahead, bins = d->bins, hop = d->hop, n = d->n_fft;
  int nlow = bins < GCN_DN_FINE ? bins : GCN_DN_FINE;
  float *spec = f->spec;

  memset (f->cur, 0, GCN_DN_FINE * 2 * sizeof (float));
  memcpy (f->cur, spec, (size_t) nlow * 2 * sizeof (float));
  gcn_dn_delay_swap (f->delay, f->swap, la, spec, bins);
  gcn_dn_apply (spec, bins, d->gains, d->st.df, net->cfg.df_order,
      net->cfg.df_order > 1 ? f->hist + (size_t) la * GCN_DN_FINE * 2 :
      f->hist, d->min_gain);
  gcn_dn_hist_push (f->hist, d->hist_frames, f->cur);
  gc_stft_irfft (d->fft, spec, f->frame);
  for (int i = 0; i < n; i++)
    f->ola[i] += f->frame[i] * d->win[i];
  memcpy (out, f->ola, hop * sizeof (float));
  memmove (f->ola, f->ola + hop, (n - hop) * sizeof (float));
  memset (f->ola + n - hop, 0, hop * sizeof (float));
}

/* One hop of every channel: the network hears the mean of the channels;
 * its gains go to each. Returns the voice probability, -1 on failure. */
static float
linked_hop (gc_denoise *d, const float *const *x)
{
  int hop = d->hop, ch = d->ch;
  float inv = 1.f / ch, *m = d->zeros + hop;   /* second half: scratch */

  for (int i = 0; i < hop; i++) {
    float s = 0.f;
    for (int c = 0; c < ch; c++)
      s += x[c][i];
    m[i] = s * inv;
  }
  follower_analyze (d, &d->mix, m);
  float vad = gcn_denoiser_process_spectrum (&d->st, d->mix.spec, d->bins,
      d->min_gain, d->gains);
  if (vad < 0.f)
    return -1.f;
  for (int c = 0; c < ch; c++) {
    follower_analyze (d, &d->fol[c], x[c]);
    follower_apply (d, &d->fol[c], d->out_f[c]);
  }
  return vad;
}

/* ---- lifetime ------------------------------------------------------------*/

void
gc_denoise_free (gc_denoise *d)
{
  if (!d)
    return;
  for (int c = 0; c < GC_DENOISE_MAX_CHANNELS; c++) {
    gcn_dn_stream_free (d->dn[c]);
    gcn_rs_stream_free (d->rs[c]);
    follower_free (&d->fol[c]);
    gc_free (d->hist[c]);
    gc_free (d->out_f[c]);
  }
  follower_free (&d->mix);
  if (d->st.net)
    gcn_denoiser_state_free (&d->st);
  gcn_dn_guard_free (d->guard);
  gcn_dn_residual_free (d->residual);
  if (d->fft)
    gc_stft_free (d->fft);
  gc_free (d->win);
  gc_free (d->gains);
  gc_free (d->zeros);
  gc_free (d->pin);
  gc_free (d->pout);
  if (d->own) {
    gcn_denoiser_free (d->own);
    free (d->own);
  }
  free (d);
}

static int
linked_init (gc_denoise *d)
{
  const gcn_denoiser *net = d->net;
  int la = net->cfg.lookahead;
  d->hist_frames = net->cfg.df_order > 1 ? la + net->cfg.df_order - 1 : 0;
  d->fft = gc_stft_new (d->n_fft, d->n_fft, d->hop, GC_WIN_SQRT_HANN);
  d->win = gc_alloc (d->n_fft * sizeof (float));
  d->gains = gc_alloc (GCN_DN_MAX_BINS * sizeof (float));
  d->guard = gcn_dn_guard_new (d->bins);
  d->residual = gcn_dn_residual_new (d->bins);
  if (!d->fft || !d->win || !d->gains || !d->guard || !d->residual ||
      gcn_denoiser_state_init (&d->st, net) ||
      follower_init (&d->mix, net, d->n_fft, d->bins, 0))
    return -1;
  for (int c = 0; c < d->ch; c++)
    if (follower_init (&d->fol[c], net, d->n_fft, d->bins, d->hist_frames))
      return -1;
  gcn_dn_window (d->win, d->n_fft);
  d->st.guard = d->guard;
  d->st.residual = d->residual;
  return 0;
}

gc_denoise *
gc_denoise_new (const gcn_denoiser *net, gcn_vocoder *voc, int rate,
    int channels, gc_denoise_link link)
{
  if (!net) {
    gc_set_error ("denoise: no network");
    return NULL;
  }
  if (!gcn_dn_rate_ok (rate)) {
    gc_set_error ("denoise: unsupported sample rate %d", rate);
    return NULL;
  }
  if (channels < 1 || channels > GC_DENOISE_MAX_CHANNELS) {
    gc_set_error ("denoise: unsupported channel count %d (1 .. %d)",
        channels, GC_DENOISE_MAX_CHANNELS);
    return NULL;
  }
  gc_denoise *d = calloc (1, sizeof (*d));
  if (!d) {
    gc_set_error ("denoise: out of memory");
    return NULL;
  }
  d->net = net;
  d->voc = voc;
  d->rate = rate;
  d->ch = channels;
  d->hop = gcn_dn_hop (rate);
  d->n_fft = gcn_dn_nfft (rate);
  d->bins = gcn_dn_bins (rate);
  d->linked = link == GC_DENOISE_LINKED && channels > 1;
  int ok = 1;
  for (int c = 0; c < channels && ok; c++) {
    d->hist[c] = gc_alloc ((size_t) HIST_HOPS * d->hop * sizeof (float));
    d->out_f[c] = gc_alloc (d->hop * sizeof (float));
    ok = d->hist[c] && d->out_f[c];
    if (ok && !d->linked)
      ok = (d->dn[c] = gcn_dn_stream_new (net, rate)) != NULL;
  }
  if (ok && d->linked)
    ok = linked_init (d) == 0;
  d->zeros = gc_alloc (2 * (size_t) d->hop * sizeof (float));
  d->pin = gc_alloc ((size_t) d->hop * channels * sizeof (float));
  d->pout = gc_alloc ((size_t) d->hop * channels * sizeof (float));
  if (!ok || !d->zeros || !d->pin || !d->pout) {
    gc_denoise_free (d);
    gc_set_error ("denoise: out of memory");
    return NULL;
  }
  gc_denoise_set_attenuation_limit (d, 20.f);
  gc_denoise_set_vad (d, 0.5, 300.);
  d->cur = d->want = GC_DENOISE_MASK;
  d->lag = d->hop * (1 + net->cfg.lookahead);
  gc_denoise_reset (d);
  return d;
}

/* The public constructors: a denoiser that owns the network of a model
 * file, in the file or in memory. */
static gc_denoise *
open_model (gc_model_file *mf, int rate, int channels, gc_denoise_link link)
{
  gcn_denoiser *net = calloc (1, sizeof (*net));
  if (!net) {
    gc_set_error ("denoise: out of memory");
    return NULL;
  }
  if (gcn_denoiser_load (net, mf) < 0) {
    free (net);
    return NULL;
  }
  gc_denoise *d = gc_denoise_new (net, NULL, rate, channels, link);
  if (!d) {
    gcn_denoiser_free (net);
    free (net);
    return NULL;
  }
  d->own = net;
  return d;
}

gc_denoise *
gc_denoise_open (const char *model_path, int rate, int channels,
    gc_denoise_link link)
{
  gc_model_file mf;
  if (!model_path) {
    gc_set_error ("denoise: no model file (libgancore has no built-in "
        "model)");
    return NULL;
  }
  if (gc_model_load (&mf, model_path) < 0)
    return NULL;
  gc_denoise *d = open_model (&mf, rate, channels, link);
  gc_model_free (&mf);
  return d;
}

gc_denoise *
gc_denoise_open_buffer (const void *data, size_t size, int rate,
    int channels, gc_denoise_link link)
{
  gc_model_file mf;
  if (gc_model_parse (&mf, data, size, "model buffer") < 0)
    return NULL;
  gc_denoise *d = open_model (&mf, rate, channels, link);
  gc_model_free (&mf);
  return d;
}

int
gc_denoise_rate (const gc_denoise *d)
{
  return d->rate;
}

int
gc_denoise_channels (const gc_denoise *d)
{
  return d->ch;
}

int
gc_denoise_hop (const gc_denoise *d)
{
  return d->hop;
}

/* ---- settings ------------------------------------------------------------*/

void
gc_denoise_set_attenuation_limit (gc_denoise *d, float db)
{
  d->min_gain = db <= 0.f ? 1.f : powf (10.f, -db / 20.f);
  float feed = powf (10.f, -RESYNTH_FEED_DB / 20.f);
  d->feed_gain = d->min_gain > feed ? d->min_gain : feed;
  d->bypass = db <= 0.f;
}

void
gc_denoise_set_speech_guard (gc_denoise *d, float db)
{
  /* handed to the mask processors now, not once per hop */
  for (int c = 0; c < d->ch; c++)
    if (d->dn[c])
      gcn_dn_stream_set_guard (d->dn[c], db);
  d->st.guard_margin = db > 0.f ? powf (10.f, db / 10.f) : 0.f;
}

void
gc_denoise_set_residual_suppression (gc_denoise *d, int on)
{
  for (int c = 0; c < d->ch; c++)
    if (d->dn[c])
      gcn_dn_stream_set_residual (d->dn[c], on);
  d->st.residual_on = on != 0;
}

void
gc_denoise_set_vad (gc_denoise *d, double threshold, double hold_ms)
{
  d->thr = threshold;
  d->hang = hold_ms > 0. ? (uint64_t) (hold_ms * d->rate / 1000.) : 0;
}

void
gc_denoise_set_gate (gc_denoise *d, int on)
{
  d->gate = on != 0;
}

void
gc_denoise_set_vad_callback (gc_denoise *d, gc_denoise_vad_fn fn, void *user)
{
  d->vad_fn = fn;
  d->vad_user = user;
}

static int
mode_lag (const gc_denoise *d, gc_denoise_mode mode)
{
  if (mode == GC_DENOISE_RESYNTH && d->rs[0])
    return gcn_rs_stream_latency (d->rs[0]);
  return d->hop * (1 + d->net->cfg.lookahead);
}

int
gc_denoise_set_mode (gc_denoise *d, gc_denoise_mode mode)
{
  if (mode == GC_DENOISE_RESYNTH && !d->rs[0]) {
    if (!d->voc) {
      gc_set_error ("denoise: resynthesis needs a vocoder");
      return -1;
    }
    for (int c = 0; c < d->ch; c++) {
      d->rs[c] = gcn_rs_stream_new (d->net, d->voc, d->rate);
      if (!d->rs[c]) {
        for (int k = 0; k < c; k++) {
          gcn_rs_stream_free (d->rs[k]);
          d->rs[k] = NULL;
        }
        return -1;
      }
    }
  }
  d->want = mode;
  if (d->proc_hops == 0 && d->fill == 0) {
    d->cur = mode;
    d->lag = mode_lag (d, mode);
  }
  return 0;
}

gc_denoise_mode
gc_denoise_get_mode (const gc_denoise *d)
{
  return d->cur;
}

int
gc_denoise_lag (const gc_denoise *d)
{
  return d->lag;
}

int
gc_denoise_latency (const gc_denoise *d)
{
  return d->lag + d->hop;
}

int
gc_denoise_voice (const gc_denoise *d)
{
  return d->voice;
}

float
gc_denoise_vad_prob (const gc_denoise *d)
{
  return d->prob;
}

/* ---- processing ------------------------------------------------------------*/

static void
reset_processors (gc_denoise *d)
{
  for (int c = 0; c < d->ch; c++) {
    if (d->dn[c])
      gcn_dn_stream_reset (d->dn[c]);
    if (d->rs[c])
      gcn_rs_stream_reset (d->rs[c]);
    if (d->linked)
      follower_reset (&d->fol[c], d->net, d->n_fft, d->hist_frames);
  }
  if (d->linked) {
    follower_reset (&d->mix, d->net, d->n_fft, 0);
    gcn_denoiser_state_reset (&d->st);
    gcn_dn_guard_reset (d->guard);
    gcn_dn_residual_reset (d->residual);
  }
}

void
gc_denoise_reset (gc_denoise *d)
{
  reset_processors (d);
  for (int c = 0; c < d->ch; c++)
    memset (d->hist[c], 0, (size_t) HIST_HOPS * d->hop * sizeof (float));
  memset (d->pin, 0, (size_t) d->hop * d->ch * sizeof (float));
  memset (d->pout, 0, (size_t) d->hop * d->ch * sizeof (float));
  d->fill = 0;
  d->proc_hops = 0;
  d->in_count = d->out_pos = d->vad_end = 0;
  d->voice = 0;
  d->last_voice = 0;
  d->prob = 0.f;
  d->gate_gain = 0.f;
  if (d->want != d->cur) {
    d->cur = d->want;
    d->lag = mode_lag (d, d->cur);
  }
}

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

/* Raw input of hop `hi` (NULL outside what the ring holds). */
static const float *
hist_hop (const gc_denoise *d, int c, int64_t hi)
{
  if (hi < 0 || hi < d->proc_hops - HIST_HOPS || hi >= d->proc_hops)
    return NULL;
  return d->hist[c] + (size_t) (hi % HIST_HOPS) * d->hop;
}

/* One interleaved hop (NULL: silence) into the history ring. */
static void
store_hop (gc_denoise *d, const float *in)
{
  int hop = d->hop, ch = d->ch;
  for (int c = 0; c < ch; c++) {
    float *dst = d->hist[c] + (size_t) (d->proc_hops % HIST_HOPS) * hop;
    if (in)
      for (int i = 0; i < hop; i++)
        dst[i] = sanitize (in[i * ch + c]);
    else
      memset (dst, 0, hop * sizeof (float));
  }
  d->proc_hops++;
}

/* Hop `hi` of raw input (already in the ring) through the running mode;
 * out_f[c] gets the output for frames [hi hop - lag, + hop). Returns the
 * voice probability, or -1 when a network failed (gc_last_error). */
static float
process_hop (gc_denoise *d, int64_t hi)
{
  const float *x[GC_DENOISE_MAX_CHANNELS];
  int hop = d->hop;
  float best = 0.f;

  for (int c = 0; c < d->ch; c++) {
    x[c] = hist_hop (d, c, hi);
    if (!x[c])
      x[c] = d->zeros;
  }
  if (d->cur == GC_DENOISE_MASK && d->linked) {
    best = linked_hop (d, x);
    if (best < 0.f)
      return -1.f;
  } else
    for (int c = 0; c < d->ch; c++) {
      float v;
      if (d->cur == GC_DENOISE_RESYNTH)
        v = gcn_rs_stream_process (d->rs[c], x[c], d->out_f[c], d->min_gain,
            d->feed_gain);
      else {
        v = gcn_dn_stream_process (d->dn[c], x[c], d->out_f[c], d->min_gain);
      }
      if (v < 0.f)
        return -1.f;
      best = v > best ? v : best;
    }
  if (d->bypass)
    for (int c = 0; c < d->ch; c++) {
      /* the raw path is delayed exactly as the processed one */
      const float *r = hist_hop (d, c, hi - d->lag / hop);
      if (r)
        memcpy (d->out_f[c], r, hop * sizeof (float));
      else
        memset (d->out_f[c], 0, hop * sizeof (float));
    }
  return best;
}

/* Voice activity on the output timeline, once per output hop (a hop that
 * a mode switch re-makes is not judged twice), and the gate. */
static void
judge_hop (gc_denoise *d, int64_t out_start, float vad)
{
  int hop = d->hop;
  if (out_start + hop <= 0 || out_start + hop <= (int64_t) d->vad_end)
    return;
  uint64_t pos = out_start > 0 ? (uint64_t) out_start : 0;
  d->prob = vad;
  if (vad >= d->thr) {
    d->last_voice = pos;
    if (!d->voice) {
      d->voice = 1;
      if (d->vad_fn)
        d->vad_fn (d->vad_user, 1, vad, pos);
    }
  } else if (d->voice && pos > d->last_voice + d->hang) {
    d->voice = 0;
    if (d->vad_fn)
      d->vad_fn (d->vad_user, 0, vad, pos);
  }
  d->vad_end = (uint64_t) (out_start + hop);
  if (d->gate) {
    /* ramp over the hop towards open (voice) or shut */
    float g0 = d->gate_gain, g1 = d->voice ? 1.f : 0.f;
    if (g0 != 1.f || g1 != 1.f)
      for (int c = 0; c < d->ch; c++)
        for (int i = 0; i < hop; i++)
          d->out_f[c][i] *= g0 + (g1 - g0) * (float) (i + 1) / hop;
    d->gate_gain = g1;
  }
}

/* The part of the hop at out_start that is due (from out_pos, below
 * limit) into out, interleaved; returns the frames written. */
static int
emit_hop (gc_denoise *d, int64_t out_start, float *out, uint64_t limit)
{
  int hop = d->hop, ch = d->ch;
  int64_t from = out_start > (int64_t) d->out_pos ? out_start :
      (int64_t) d->out_pos;
  int64_t lim = limit > (uint64_t) INT64_MAX ? INT64_MAX : (int64_t) limit;
  int64_t to = out_start + hop < lim ? out_start + hop : lim;
  if (to <= from)
    return 0;
  int i0 = (int) (from - out_start), n = (int) (to - from);
  for (int c = 0; c < ch; c++) {
    const float *src = d->out_f[c] + i0;
    for (int i = 0; i < n; i++)
      out[i * ch + c] = isfinite (src[i]) ? src[i] : 0.f;
  }
  d->out_pos += n;
  return n;
}

/* A mode change between hops: the new mode restarts, warmed up on the raw
 * input it missed, and continues the output exactly where the old one
 * stopped (it re-makes the frames the old mode still held when the new
 * one is faster; it holds back for a while when it is slower). */
static int
switch_mode (gc_denoise *d, float *out)
{
  int n = 0;
  reset_processors (d);
  d->cur = d->want;
  d->lag = mode_lag (d, d->cur);
  int64_t now = d->proc_hops;
  int64_t first = ((int64_t) d->out_pos + d->lag) / d->hop - WARMUP_HOPS;
  if (first < now - HIST_HOPS + 1)
    first = now - HIST_HOPS + 1;
  for (int64_t hi = first; hi < now; hi++) {
    int64_t start = hi * d->hop - d->lag;
    float vad = process_hop (d, hi);
    if (vad < 0.f)
      return -1;
    judge_hop (d, start, vad);
    n += emit_hop (d, start, out + (size_t) n * d->ch, d->in_count);
  }
  return n;
}

#ifdef HAVE_MXCSR
#define FTZ_BEGIN unsigned int csr_ = _mm_getcsr (); _mm_setcsr (csr_ | 0x8040)
#define FTZ_END _mm_setcsr (csr_)
#else
#define FTZ_BEGIN do { } while (0)
#define FTZ_END do { } while (0)
#endif

/* One hop from in (NULL: silence) through the network; emits what is due
 * below limit (-1 when the network failed). */
static int
run_hop (gc_denoise *d, const float *in, float *out, uint64_t limit)
{
  int64_t hi = d->proc_hops;
  store_hop (d, in);
  int64_t start = hi * d->hop - d->lag;
  float vad = process_hop (d, hi);
  if (vad < 0.f)
    return -1;
  judge_hop (d, start, vad);
  return emit_hop (d, start, out, limit);
}

int
gc_denoise_max_out (const gc_denoise *d, int n_hops)
{
  return (n_hops + HIST_HOPS) * d->hop;
}

int
gc_denoise_push_hops (gc_denoise *d, const float *in, int n_hops, float *out)
{
  size_t hs = (size_t) d->hop * d->ch;
  int n = 0, k = 0;
  FTZ_BEGIN;
  if (d->want != d->cur)
    n = k = switch_mode (d, out);
  for (int h = 0; h < n_hops && k >= 0; h++) {
    d->in_count += d->hop;
    k = run_hop (d, in ? in + h * hs : NULL, out + (size_t) n * d->ch,
        UINT64_MAX);
    n += k;
  }
  FTZ_END;
  return k < 0 ? -1 : n;
}

int
gc_denoise_drain (gc_denoise *d, const float *in, int n_frames, float *out)
{
  size_t hs = (size_t) d->hop * d->ch;
  int n = 0, k = 0;
  if (n_frames < 0)
    n_frames = 0;
  if (n_frames > d->hop)
    n_frames = d->hop;
  FTZ_BEGIN;
  if (d->want != d->cur)
    n = k = switch_mode (d, out);
  d->in_count += n_frames;
  memset (d->pin, 0, hs * sizeof (float));
  if (n_frames > 0 && in)
    memcpy (d->pin, in, (size_t) n_frames * d->ch * sizeof (float));
  for (int first = 1; d->out_pos < d->in_count && k >= 0; first = 0) {
    k = run_hop (d, first ? d->pin : NULL, out + (size_t) n * d->ch,
        d->in_count);
    n += k;
  }
  memset (d->pin, 0, hs * sizeof (float));
  FTZ_END;
  return k < 0 ? -1 : n;
}

int
gc_denoise_process (gc_denoise *d, const float *in, float *out, int n_frames)
{
  int hop = d->hop, ch = d->ch, rc = 0;
  FTZ_BEGIN;
  for (int i = 0; i < n_frames; i++) {
    float *pi = d->pin + (size_t) d->fill * ch, *po = d->pout +
        (size_t) d->fill * ch;
    for (int c = 0; c < ch; c++)
      pi[c] = in[(size_t) i * ch + c];
    for (int c = 0; c < ch; c++)
      out[(size_t) i * ch + c] = po[c];
    if (++d->fill < hop)
      continue;
    d->fill = 0;
    if (d->want != d->cur) {
      /* process () has no one to give re-made frames to: a cold start */
      reset_processors (d);
      d->cur = d->want;
      d->lag = mode_lag (d, d->cur);
    }
    int64_t hi = d->proc_hops;
    store_hop (d, d->pin);
    int64_t start = hi * hop - d->lag;
    float vad = process_hop (d, hi);
    if (vad < 0.f) {
      /* the host still wants its frames: a failed hop is silence */
      memset (d->pout, 0, (size_t) hop * ch * sizeof (float));
      rc = -1;
      continue;
    }
    judge_hop (d, start, vad);
    for (int c = 0; c < ch; c++)
      for (int k = 0; k < hop; k++) {
        float v = d->out_f[c][k];
        d->pout[(size_t) k * ch + c] = start + k < 0 || !isfinite (v) ? 0.f : v;
      }
  }
  FTZ_END;
  return rc;
}
