/* libgancore — windows, STFT / inverse STFT and streaming analysis /
 * synthesis on FFTW3f.
 *
 * FFTW's planner is not thread-safe, so every plan is created and destroyed
 * under one process-wide mutex; executing plans (fftwf_execute_dft_*) is
 * safe from several threads as long as each gc_stft is used by one thread at
 * a time (its scratch buffers are its own).
 */
#include "gc_spectral.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;

#define GC_PI 3.14159265358979323846

void
gc_window_fill (gc_window kind, float *w, int n)
{
  if (!w || n <= 0)
    return;
  for (int i = 0; i < n; i++) {
    double hann = 0.5 - 0.5 * cos (2.0 * GC_PI * i / n);
    switch (kind) {
      case GC_WIN_HANN:
        w[i] = (float) hann;
        break;
      case GC_WIN_SQRT_HANN:
        w[i] = (float) sqrt (hann);
        break;
      case GC_WIN_VORBIS: {
        /* power complementary: w[i]^2 + w[i + n/2]^2 = 1 */
        double s = sin (GC_PI * (i + 0.5) / n);
        w[i] = (float) sin (0.5 * GC_PI * s * s);
        break;
      }
      default:
        w[i] = 1.0f;
    }
  }
}

/* ---- one FFT size + window --------------------------------------------- */

struct gc_stft {
  int n_fft, win_length, hop, bins;
  float *window;            /* n_fft long: the window centred, zero padded */
  float *time;              /* fftwf_malloc'ed n_fft scratch */
  fftwf_complex *freq;      /* bins scratch */
  fftwf_plan fwd, inv;
};

gc_stft *
gc_stft_new (int n_fft, int win_length, int hop, gc_window win)
{
  if (n_fft < 2 || win_length < 1 || win_length > n_fft || hop < 1
      || n_fft > (1 << 24)) {
    gc_set_error ("stft: invalid sizes n_fft %d, win_length %d, hop %d",
        n_fft, win_length, hop);
    return NULL;
  }
  gc_stft *s = calloc (1, sizeof *s);
  if (!s)
    goto oom;
  s->n_fft = n_fft;
  s->win_length = win_length;
  s->hop = hop;
  s->bins = n_fft / 2 + 1;
  s->window = calloc (n_fft, sizeof (float));
  s->time = fftwf_malloc (n_fft * sizeof (float));
  s->freq = fftwf_malloc (s->bins * sizeof (fftwf_complex));
  if (!s->window || !s->time || !s->freq)
    goto oom;
  /* like torch.stft: a shorter window sits in the middle of the frame */
  gc_window_fill (win, s->window + (n_fft - win_length) / 2, win_length);
  pthread_mutex_lock (&plan_lock);
  s->fwd = fftwf_plan_dft_r2c_1d (n_fft, s->time, s->freq, FFTW_ESTIMATE);
  s->inv = fftwf_plan_dft_c2r_1d (n_fft, s->freq, s->time, FFTW_ESTIMATE);
  pthread_mutex_unlock (&plan_lock);
  if (!s->fwd || !s->inv)
    goto oom;
  return s;
oom:
  gc_stft_free (s);
  gc_set_error ("stft: out of memory");
  return NULL;
}

void
gc_stft_free (gc_stft *s)
{
  if (!s)
    return;
  pthread_mutex_lock (&plan_lock);
  if (s->fwd)
    fftwf_destroy_plan (s->fwd);
  if (s->inv)
    fftwf_destroy_plan (s->inv);
  pthread_mutex_unlock (&plan_lock);
  fftwf_free (s->time);
  fftwf_free (s->freq);
  free (s->window);
  free (s);
}

int
gc_stft_bins (const gc_stft *s)
{
  return s ? s->bins : 0;
}

int
gc_stft_hop (const gc_stft *s)
{
  return s ? s->hop : 0;
}

int
gc_stft_n_fft (const gc_stft *s)
{
  return s ? s->n_fft : 0;
}

int
gc_stft_frames (const gc_stft *s, int len)
{
  if (!s || len < 0)
    return 0;
  return 1 + len / s->hop;
}

/* Reflect padding index (numpy "reflect": the edge sample is not repeated),
 * folded as often as needed so even signals shorter than the pad work. */
static inline int
reflect_index (int i, int len)
{
  if (len <= 1)
    return 0;
  int period = 2 * (len - 1);
  i %= period;
  if (i < 0)
    i += period;
  return i < len ? i : period - i;
}

/* Frame t's windowed samples into s->time. */
static void
load_frame (gc_stft *s, const float *x, int len, int t)
{
  int start = t * s->hop - s->n_fft / 2;
  for (int j = 0; j < s->n_fft; j++) {
    int i = start + j;
    float v = (i >= 0 && i < len) ? x[i] : x[reflect_index (i, len)];
    s->time[j] = v * s->window[j];
  }
}

int
gc_stft_forward (gc_stft *s, const float *x, int len, float *out)
{
  if (!s || !x || !out || len < 1) {
    gc_set_error ("stft: invalid input (length %d)", len);
    return -1;
  }
  int frames = gc_stft_frames (s, len);
  for (int t = 0; t < frames; t++) {
    load_frame (s, x, len, t);
    fftwf_execute (s->fwd);
    memcpy (out + (size_t) t * s->bins * 2, s->freq,
        s->bins * sizeof (fftwf_complex));
  }
  return frames;
}

void
gc_stft_inverse (gc_stft *s, const float *spec, int frames, float *y, int len)
{
  if (!s || !y || len <= 0)
    return;
  memset (y, 0, (size_t) len * sizeof (float));
  if (!spec || frames <= 0)
    return;
  /* overlap-add in output coordinates; wsum is the squared-window envelope */
  float *wsum = calloc ((size_t) len, sizeof (float));
  if (!wsum)
    return;
  const float scale = 1.0f / s->n_fft;
  for (int t = 0; t < frames; t++) {
    memcpy (s->freq, spec + (size_t) t * s->bins * 2,
        s->bins * sizeof (fftwf_complex));
    fftwf_execute (s->inv);
    long start = (long) t * s->hop - s->n_fft / 2;
    for (int j = 0; j < s->n_fft; j++) {
      long i = start + j;
      if (i < 0 || i >= len)
        continue;
      float w = s->window[j];
      y[i] += s->time[j] * scale * w;
      wsum[i] += w * w;
    }
  }
  for (int i = 0; i < len; i++)
    y[i] = wsum[i] > 1e-10f ? y[i] / wsum[i] : 0.0f;
  free (wsum);
}

void
gc_stft_rfft (gc_stft *s, const float *in, float *out_complex)
{
  if (!s || !in || !out_complex)
    return;
  memcpy (s->time, in, s->n_fft * sizeof (float));
  fftwf_execute (s->fwd);
  memcpy (out_complex, s->freq, s->bins * sizeof (fftwf_complex));
}

void
gc_stft_irfft (gc_stft *s, const float *in_complex, float *out)
{
  if (!s || !in_complex || !out)
    return;
  memcpy (s->freq, in_complex, s->bins * sizeof (fftwf_complex));
  fftwf_execute (s->inv);
  const float scale = 1.0f / s->n_fft;
  for (int j = 0; j < s->n_fft; j++)
    out[j] = s->time[j] * scale;
}

/* d|X_k|/dx: with G_k = dmag_k X_k / |X_k|, dL/d(windowed frame)_j =
 * sum_k Re (G_k e^{2 pi i jk/N}) over the stored bins; an unnormalised c2r
 * of G with the interior bins halved computes exactly that sum, because it
 * adds the mirrored (conjugate) half of the spectrum. */
void
gc_stft_mag_backward (gc_stft *s, const float *x, int len, const float *spec,
    const float *dmag, float *dx)
{
  if (!s || !x || !dmag || !dx || len < 1)
    return;
  int frames = gc_stft_frames (s, len);
  int nyquist = s->n_fft % 2 == 0 ? s->bins - 1 : -1;
  fftwf_complex *g = fftwf_malloc (s->bins * sizeof (fftwf_complex));
  if (!g)
    return;
  for (int t = 0; t < frames; t++) {
    const float *X;
    if (spec)
      X = spec + (size_t) t * s->bins * 2;
    else {
      load_frame (s, x, len, t);
      fftwf_execute (s->fwd);
      memcpy (g, s->freq, s->bins * sizeof (fftwf_complex));
      X = (const float *) g;
    }
    const float *dm = dmag + (size_t) t * s->bins;
    for (int k = 0; k < s->bins; k++) {
      float re = X[2 * k], im = X[2 * k + 1];
      float mag = sqrtf (re * re + im * im);
      float f = mag > 0.0f ? dm[k] / mag : 0.0f;
      if (k != 0 && k != nyquist)
        f *= 0.5f;
      s->freq[k][0] = re * f;
      s->freq[k][1] = im * f;
    }
    fftwf_execute (s->inv);
    int start = t * s->hop - s->n_fft / 2;
    for (int j = 0; j < s->n_fft; j++) {
      int i = start + j;
      int src = (i >= 0 && i < len) ? i : reflect_index (i, len);
      dx[src] += s->time[j] * s->window[j];
    }
  }
  fftwf_free (g);
}

/* ---- streaming analysis / synthesis ------------------------------------ */

struct gc_stream_stft {
  gc_stft *fft;
  int win_length, hop;
  float *window;            /* analysis window, win_length */
  float *synth;             /* synthesis window, normalised for the overlap */
  float *history;           /* last win_length input samples */
  float *ola;               /* overlap-add accumulator, win_length */
  float *frame;             /* n_fft scratch */
};

gc_stream_stft *
gc_stream_stft_new (int n_fft, int win_length, int hop, gc_window win)
{
  if (n_fft < 2 || win_length < 1 || win_length > n_fft || hop < 1
      || hop > win_length) {
    gc_set_error ("stream stft: invalid sizes n_fft %d, win_length %d, "
        "hop %d", n_fft, win_length, hop);
    return NULL;
  }
  gc_stream_stft *s = calloc (1, sizeof *s);
  if (!s) {
    gc_set_error ("stream stft: out of memory");
    return NULL;
  }
  s->win_length = win_length;
  s->hop = hop;
  s->fft = gc_stft_new (n_fft, n_fft, hop, GC_WIN_RECT);
  s->window = calloc (win_length, sizeof (float));
  s->synth = calloc (win_length, sizeof (float));
  s->history = calloc (win_length, sizeof (float));
  s->ola = calloc (win_length, sizeof (float));
  s->frame = calloc (n_fft, sizeof (float));
  if (!s->fft || !s->window || !s->synth || !s->history || !s->ola
      || !s->frame) {
    gc_stream_stft_free (s);
    gc_set_error ("stream stft: out of memory");
    return NULL;
  }
  gc_window_fill (win, s->window, win_length);
  /* Output sample phase p (mod hop) receives sum_m w^2[p + m hop] from the
   * overlapping frames; dividing the synthesis window by that sum makes
   * analysis + synthesis an identity (delayed) for any window whose
   * overlap never vanishes, not just the power-complementary ones. */
  for (int p = 0; p < hop; p++) {
    double sum = 0;
    for (int j = p; j < win_length; j += hop)
      sum += (double) s->window[j] * s->window[j];
    for (int j = p; j < win_length; j += hop)
      s->synth[j] = sum > 1e-12 ? (float) (s->window[j] / sum) : 0.0f;
  }
  return s;
}

void
gc_stream_stft_free (gc_stream_stft *s)
{
  if (!s)
    return;
  gc_stft_free (s->fft);
  free (s->window);
  free (s->synth);
  free (s->history);
  free (s->ola);
  free (s->frame);
  free (s);
}

void
gc_stream_stft_reset (gc_stream_stft *s)
{
  if (!s)
    return;
  memset (s->history, 0, s->win_length * sizeof (float));
  memset (s->ola, 0, s->win_length * sizeof (float));
}

void
gc_stream_stft_analyze (gc_stream_stft *s, const float *hop_in,
    float *spec_out)
{
  if (!s || !hop_in || !spec_out)
    return;
  int keep = s->win_length - s->hop;
  memmove (s->history, s->history + s->hop, keep * sizeof (float));
  memcpy (s->history + keep, hop_in, s->hop * sizeof (float));
  int n_fft = s->fft->n_fft;
  /* the frame ends at the newest sample; the rest of n_fft is zero */
  memset (s->frame, 0, n_fft * sizeof (float));
  for (int j = 0; j < s->win_length; j++)
    s->frame[j] = s->history[j] * s->window[j];
  gc_stft_rfft (s->fft, s->frame, spec_out);
}

void
gc_stream_stft_synthesize (gc_stream_stft *s, const float *spec_in,
    float *hop_out)
{
  if (!s || !spec_in || !hop_out)
    return;
  gc_stft_irfft (s->fft, spec_in, s->frame);
  for (int j = 0; j < s->win_length; j++)
    s->ola[j] += s->frame[j] * s->synth[j];
  /* the first hop samples no later frame will touch: they are finished */
  memcpy (hop_out, s->ola, s->hop * sizeof (float));
  int keep = s->win_length - s->hop;
  memmove (s->ola, s->ola + s->hop, keep * sizeof (float));
  memset (s->ola + keep, 0, s->hop * sizeof (float));
}

int
gc_stream_stft_latency (const gc_stream_stft *s)
{
  return s ? s->win_length - s->hop : 0;
}
