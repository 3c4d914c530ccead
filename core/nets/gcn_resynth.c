/* gcn_resynth — denoising by resynthesis; see gcn_resynth.h. */
#include "gcn_resynth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GAIN_FRAMES 8           /* past denoiser frames kept for the vocoder */
#define SIM_HOPS 300            /* 3 s of bookkeeping to find the latency */

/* A growable queue of samples. */
typedef struct {
  float *d;
  int len, cap;
} fifo;

static int
fifo_reserve (fifo *f, int n)
{
  if (f->len + n <= f->cap)
    return 0;
  int cap = (f->len + n) * 2 + 64;
  float *d = realloc (f->d, (size_t) cap * sizeof (float));
  if (!d)
    return -1;
  f->d = d;
  f->cap = cap;
  return 0;
}

static void
fifo_push (fifo *f, const float *x, int n)
{
  if (n <= 0 || fifo_reserve (f, n) < 0)
    return;
  if (x)
    memcpy (f->d + f->len, x, (size_t) n * sizeof (float));
  else
    memset (f->d + f->len, 0, (size_t) n * sizeof (float));
  f->len += n;
}

/* Remove n samples from the front (copied to out unless NULL); a short
 * queue gives zeros for what it lacks. */
static void
fifo_pop (fifo *f, float *out, int n)
{
  int take = n < f->len ? n : f->len;
  /* an empty queue may have no storage yet: memcpy/memmove must not see
   * its NULL pointer, even for 0 bytes */
  if (out && n > 0) {
    if (take > 0)
      memcpy (out, f->d, (size_t) take * sizeof (float));
    memset (out + take, 0, (size_t) (n - take) * sizeof (float));
  }
  if (take > 0 && f->len > take)
    memmove (f->d, f->d + take, (size_t) (f->len - take) * sizeof (float));
  f->len -= take;
}

struct gcn_rs_stream {
  const gcn_denoiser *dn;
  gcn_vocoder *voc;
  /* denoiser framing at the stream rate (as gcn_dn_stream) */
  int rate, hop, n_fft, bins;
  gc_stft *fft;
  float *win, *inbuf, *frame, *spec, *ola, *bin_gain, *mask_hop;
  gcn_denoiser_state st;
  int gbins;                    /* 50 Hz gain bins kept per frame */
  float *gains;                 /* [GAIN_FRAMES][gbins] ring */
  long frames;                  /* denoiser frames done */
  /* vocoder side at its own rate */
  int vrate, vhop, vn_fft, vbins, vlat;
  gcn_vocoder_stream *vs;
  long vframes;
  float *mag, *logmel, *vout, *mdel, *vpos;
  gcn_resampler *down_x, *down_m, *up;   /* NULL at rate == vrate */
  float *rs_buf;
  int rs_cap;
  fifo x16, m16, upr, mr, fin;
  int dm16, dmr;                /* delays that align the mask to the vocoder */
  int dx16;                     /* the denoiser's lookahead, at the vocoder
                                 * rate: its input waits as the mask does */
  int prefill, latency;
  long fin_total;               /* samples made for fin (not the priming) */
  int dry;                      /* bookkeeping only (latency search) */
};

void
gcn_rs_stream_free (gcn_rs_stream *s)
{
  if (!s)
    return;
  if (s->fft)
    gc_stft_free (s->fft);
  free (s->win);
  if (s->st.net)
    gcn_denoiser_state_free (&s->st);
  gcn_vocoder_stream_free (s->vs);
  gcn_resampler_free (s->down_x);
  gcn_resampler_free (s->down_m);
  gcn_resampler_free (s->up);
  free (s->rs_buf);
  free (s->mask_hop);
  free (s->x16.d);
  free (s->m16.d);
  free (s->upr.d);
  free (s->mr.d);
  free (s->fin.d);
  free (s);
}

static void
reset_state (gcn_rs_stream *s)
{
  memset (s->inbuf, 0, s->n_fft * sizeof (float));
  memset (s->ola, 0, s->n_fft * sizeof (float));
  gcn_denoiser_state_reset (&s->st);
  for (int i = 0; i < GAIN_FRAMES * s->gbins; i++)
    s->gains[i] = 1.f;
  s->frames = 0;
  s->vframes = 0;
  gcn_vocoder_stream_reset (s->vs);
  if (s->down_x) {
    gcn_resampler_reset (s->down_x);
    gcn_resampler_reset (s->down_m);
    gcn_resampler_reset (s->up);
  }
  s->fin_total = 0;
  s->x16.len = s->m16.len = s->upr.len = s->mr.len = s->fin.len = 0;
  fifo_push (&s->x16, NULL, s->dx16);
  fifo_push (&s->m16, NULL, s->dm16);
  fifo_push (&s->mr, NULL, s->dmr);
  fifo_push (&s->fin, NULL, s->prefill);
}

void
gcn_rs_stream_reset (gcn_rs_stream *s)
{
  if (s)
    reset_state (s);
}

int
gcn_rs_stream_latency (const gcn_rs_stream *s)
{
  return s->latency;
}

int
gcn_rs_stream_hop (const gcn_rs_stream *s)
{
  return s->hop;
}

/* Through resampler r (identity when NULL) into queue q. */
static void
resample_into (gcn_rs_stream *s, gcn_resampler *r, const float *x, int n,
    fifo *q)
{
  if (!r) {
    fifo_push (q, x, n);
    return;
  }
  long got = gcn_resampler_push (r, x, n, s->rs_buf);
  fifo_push (q, s->rs_buf, (int) got);
}

/* The denoiser's gains at vocoder frame t, mapped to the vocoder's bins and
 * floored; 0 when a needed denoiser frame is not there yet. */
static int
vocoder_gains (gcn_rs_stream *s, long t, float floor_gain, float *g)
{
  /* frame t covers vocoder samples [(t+1) hop - n_fft, (t+1) hop); its
   * centre, in denoiser frames (denoiser frame m is centred on m hops) */
  double c = (double) ((t + 1) * s->vhop - s->vn_fft / 2) / s->vrate * 100.0;
  long m0 = (long) floor (c);
  float a = (float) (c - m0);
  if (m0 < 0) {
    m0 = 0;
    a = 0.f;
  }
  if (m0 + 1 >= s->frames)
    return 0;
  if (m0 + 1 < s->frames - GAIN_FRAMES)        /* cannot happen: safe value */
    m0 = s->frames - 2;
  const float *g0 = s->gains + (size_t) (m0 % GAIN_FRAMES) * s->gbins;
  const float *g1 = s->gains + (size_t) ((m0 + 1) % GAIN_FRAMES) * s->gbins;
  for (int k = 0; k < s->vbins; k++) {
    float pos = s->vpos[k];
    int j = (int) pos;
    if (j > s->gbins - 2)
      j = s->gbins - 2;
    float b = pos - j;
    if (b > 1.f)
      b = 1.f;
    float v0 = g0[j] + b * (g0[j + 1] - g0[j]);
    float v1 = g1[j] + b * (g1[j + 1] - g1[j]);
    float v = v0 + a * (v1 - v0);
    g[k] = v < floor_gain ? floor_gain : v;
  }
  return 1;
}

float
gcn_rs_stream_process (gcn_rs_stream *s, const float *in, float *out,
    float min_gain, float feed_gain)
{
  int hop = s->hop, n = s->n_fft;
  float vad = 0.f;

  if (!(min_gain > 0.f))
    min_gain = 0.f;
  if (!(feed_gain > 0.f))
    feed_gain = 0.f;

  /* 1. denoiser frame: gains (kept for the vocoder) and the mask output */
  memmove (s->inbuf, s->inbuf + hop, (n - hop) * sizeof (float));
  memcpy (s->inbuf + n - hop, in, hop * sizeof (float));
  float *gk = s->gains + (size_t) (s->frames % GAIN_FRAMES) * s->gbins;
  if (!s->dry) {
    for (int i = 0; i < n; i++)
      s->frame[i] = s->inbuf[i] * s->win[i];
    gc_stft_rfft (s->fft, s->frame, s->spec);
    vad = gcn_denoiser_process_spectrum (&s->st, s->spec, s->bins, min_gain,
        s->bin_gain);
    if (vad < 0.f)
      return -1.f;
    for (int k = 0; k < s->gbins && k < s->bins; k++)
      gk[k] = s->bin_gain[k];
    gc_stft_irfft (s->fft, s->spec, s->frame);
    for (int i = 0; i < n; i++)
      s->ola[i] += s->frame[i] * s->win[i];
  }
  memcpy (s->mask_hop, s->ola, hop * sizeof (float));
  memmove (s->ola, s->ola + hop, (n - hop) * sizeof (float));
  memset (s->ola + n - hop, 0, hop * sizeof (float));
  s->frames++;

  /* 2. noisy input and mask output at the vocoder rate; mask at ours */
  resample_into (s, s->down_x, in, hop, &s->x16);
  resample_into (s, s->down_m, s->mask_hop, hop, &s->m16);
  fifo_push (&s->mr, s->mask_hop, hop);

  /* 3. every vocoder frame whose samples and gains are here */
  while (s->x16.len >= s->vhop) {
    if (!vocoder_gains (s, s->vframes, feed_gain, s->mag + s->vbins))
      break;
    if (!s->dry) {
      gcn_vocoder_stream_analyze (s->vs, s->x16.d, s->mag);
      for (int k = 0; k < s->vbins; k++)
        s->mag[k] *= s->mag[s->vbins + k];
      gcn_vocoder_mel_from_mag (s->voc, s->mag, s->logmel);
      if (gcn_vocoder_stream_push_features (s->vs, s->logmel, s->vout) < 0)
        return -1.f;
    } else {
      memset (s->vout, 0, s->vhop * sizeof (float));
    }
    fifo_pop (&s->x16, NULL, s->vhop);
    /* difference to the (equally delayed) band-limited mask output: what
     * the vocoder changes below the crossover */
    fifo_pop (&s->m16, s->mdel, s->vhop);
    for (int i = 0; i < s->vhop; i++)
      s->vout[i] -= s->mdel[i];
    resample_into (s, s->up, s->vout, s->vhop, &s->upr);
    s->vframes++;
  }

  /* 4. mask (delayed to the vocoder's delay) + the vocoder's difference */
  int m = s->upr.len < s->mr.len ? s->upr.len : s->mr.len;
  if (m > 0 && fifo_reserve (&s->fin, m) == 0) {
    float *d = s->fin.d + s->fin.len;
    for (int i = 0; i < m; i++)
      d[i] = s->mr.d[i] + s->upr.d[i];
    s->fin.len += m;
    s->fin_total += m;
    fifo_pop (&s->mr, NULL, m);
    fifo_pop (&s->upr, NULL, m);
  }
  fifo_pop (&s->fin, out, hop);
  return vad;
}

gcn_rs_stream *
gcn_rs_stream_new (const gcn_denoiser *dn, gcn_vocoder *voc, int rate)
{
  if (!gcn_dn_rate_ok (rate)) {
    gc_set_error ("resynth: unsupported sample rate %d", rate);
    return NULL;
  }
  if (!voc || voc->cfg.task != GCN_VOCODER_COPY || voc->cfg.sample_rate < 8000
      || voc->cfg.sample_rate % 100 != 0) {
    gc_set_error ("resynth: needs a copy-synthesis vocoder");
    return NULL;
  }
  gcn_rs_stream *s = calloc (1, sizeof *s);
  if (!s)
    return NULL;
  s->dn = dn;
  s->voc = voc;
  s->rate = rate;
  s->hop = gcn_dn_hop (rate);
  s->n_fft = gcn_dn_nfft (rate);
  s->bins = gcn_dn_bins (rate);
  s->vrate = voc->cfg.sample_rate;
  s->vhop = voc->cfg.hop;
  s->vn_fft = voc->cfg.n_fft;
  s->vbins = voc->bins;
  s->vlat = gcn_vocoder_latency (voc);
  s->gbins = s->vrate / 2 / GCN_DN_BIN_HZ + 2;
  if (s->gbins > s->bins)
    s->gbins = s->bins;
  /* with lookahead the denoiser's gains come L hops late: the vocoder's
   * input is delayed as much, and everything below runs L hops behind */
  s->dx16 = dn->cfg.lookahead * s->vrate / 100;
  /* the mask's own delay (one hop) must fit inside the vocoder's */
  s->dm16 = s->vlat - s->vrate / 100;
  s->dmr = (int) lround ((double) s->vlat * rate / s->vrate) - s->hop;
  if (s->dm16 < 0 || s->dmr < 0) {
    gc_set_error ("resynth: vocoder latency shorter than a denoiser hop");
    free (s);
    return NULL;
  }

  int n = s->n_fft, B = s->bins, VB = s->vbins;
  s->fft = gc_stft_new (n, n, s->hop, GC_WIN_SQRT_HANN);
  size_t floats = 5 * (size_t) n + 2 * (size_t) B + B + GAIN_FRAMES *
      (size_t) s->gbins + 2 * VB + voc->cfg.n_mels + 2 * s->vhop + VB;
  s->win = calloc (floats, sizeof (float));
  s->vs = gcn_vocoder_stream_new (voc);
  if (rate != s->vrate) {
    s->down_x = gcn_resampler_new (rate, s->vrate);
    s->down_m = gcn_resampler_new (rate, s->vrate);
    s->up = gcn_resampler_new (s->vrate, rate);
  }
  if (!s->fft || !s->win || !s->vs || gcn_denoiser_state_init (&s->st, dn)
      || (rate != s->vrate && (!s->down_x || !s->down_m || !s->up))) {
    gcn_rs_stream_free (s);
    gc_set_error ("resynth: out of memory");
    return NULL;
  }
  s->inbuf = s->win + n;
  s->frame = s->inbuf + n;      /* n + 2 floats used by some FFT paths */
  s->ola = s->frame + 2 * n;
  s->spec = s->ola + n;
  s->bin_gain = s->spec + 2 * B;
  s->gains = s->bin_gain + B;
  s->mag = s->gains + GAIN_FRAMES * (size_t) s->gbins;   /* mag, then gains */
  s->logmel = s->mag + 2 * VB;
  s->vout = s->logmel + voc->cfg.n_mels;
  s->mdel = s->vout + s->vhop;
  s->vpos = s->mdel + s->vhop;
  s->mask_hop = malloc ((size_t) s->hop * sizeof (float));
  if (s->down_x) {
    long a = gcn_resampler_max_out (s->down_x, s->hop);
    long b = gcn_resampler_max_out (s->up, s->vhop);
    s->rs_cap = (int) (a > b ? a : b);
    s->rs_buf = malloc ((size_t) s->rs_cap * sizeof (float));
  }
  if (!s->mask_hop || (s->down_x && !s->rs_buf)) {
    gcn_rs_stream_free (s);
    gc_set_error ("resynth: out of memory");
    return NULL;
  }
  gcn_dn_window (s->win, n);
  for (int k = 0; k < VB; k++)
    s->vpos[k] = (float) ((double) k * s->vrate / s->vn_fft / GCN_DN_BIN_HZ);

  /* Latency: run the bookkeeping on silence with no priming and see how far
   * the output queue falls behind at worst; prime it with that much (plus
   * the content delay, rounded up to whole hops). */
  s->dry = 1;
  s->prefill = 0;
  reset_state (s);
  long need = 0;
  float *tmp_in = calloc (2 * (size_t) s->hop, sizeof (float));
  if (!tmp_in) {
    gcn_rs_stream_free (s);
    return NULL;
  }
  for (int h = 0; h < SIM_HOPS; h++) {
    gcn_rs_stream_process (s, tmp_in, tmp_in + s->hop, 1.f, 1.f);
    long short_by = (long) (h + 1) * s->hop - s->fin_total;
    need = short_by > need ? short_by : need;
  }
  free (tmp_in);
  s->dry = 0;
  int content = (int) lround ((double) s->vlat * rate / s->vrate);
  int base = (int) ((need + content + s->hop - 1) / s->hop) * s->hop;
  s->prefill = base - content;
  s->latency = base + dn->cfg.lookahead * s->hop;
  reset_state (s);
  return s;
}
