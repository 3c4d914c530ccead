/* libgancore — triangular filterbanks over rfft bins: mel (Slaney or HTK
 * scale, librosa's construction) and ERB-spaced bands that form a partition
 * of unity, so per-band gains can be spread back onto bins.
 *
 * first[b]..last[b] is the inclusive range of bins with non-zero weight
 * (an empty band has last[b] = first[b] - 1).
 */
#include "gc_spectral.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Slaney's Auditory Toolbox scale: linear below 1 kHz, logarithmic above. */
#define SLANEY_F_SP (200.0 / 3.0)
#define SLANEY_MIN_LOG_HZ 1000.0
#define SLANEY_MIN_LOG_MEL (SLANEY_MIN_LOG_HZ / SLANEY_F_SP)
#define SLANEY_LOGSTEP (log (6.4) / 27.0)

static double
hz_to_mel (double hz, int htk)
{
  if (htk)
    return 2595.0 * log10 (1.0 + hz / 700.0);
  if (hz < SLANEY_MIN_LOG_HZ)
    return hz / SLANEY_F_SP;
  return SLANEY_MIN_LOG_MEL + log (hz / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP;
}

static double
mel_to_hz (double mel, int htk)
{
  if (htk)
    return 700.0 * (pow (10.0, mel / 2595.0) - 1.0);
  if (mel < SLANEY_MIN_LOG_MEL)
    return mel * SLANEY_F_SP;
  return SLANEY_MIN_LOG_HZ * exp (SLANEY_LOGSTEP * (mel - SLANEY_MIN_LOG_MEL));
}

float
gc_hz_to_mel (float hz, int htk)
{
  return (float) hz_to_mel (hz, htk);
}

float
gc_mel_to_hz (float mel, int htk)
{
  return (float) mel_to_hz (mel, htk);
}

/* Glasberg & Moore (1990) ERB-rate scale. */
float
gc_hz_to_erb (float hz)
{
  return (float) (21.4 * log10 (1.0 + 0.00437 * hz));
}

float
gc_erb_to_hz (float erb)
{
  return (float) ((pow (10.0, erb / 21.4) - 1.0) / 0.00437);
}

static int
fb_alloc (gc_filterbank *fb, int bands, int n_fft)
{
  memset (fb, 0, sizeof *fb);
  fb->bands = bands;
  fb->bins = n_fft / 2 + 1;
  fb->weights = calloc ((size_t) bands * fb->bins, sizeof (float));
  fb->first = calloc (bands, sizeof (int));
  fb->last = calloc (bands, sizeof (int));
  if (!fb->weights || !fb->first || !fb->last) {
    gc_filterbank_free (fb);
    gc_set_error ("filterbank: out of memory");
    return -1;
  }
  return 0;
}

static int
check_args (int bands, int n_fft, float sample_rate, float fmin, float fmax)
{
  if (bands < 1 || bands > 4096 || n_fft < 2 || n_fft > (1 << 24)
      || !(sample_rate > 0) || !(fmin >= 0) || !(fmax > fmin)
      || !(fmax <= sample_rate / 2 * 1.0001f)) {
    gc_set_error ("filterbank: invalid arguments (bands %d, n_fft %d, rate "
        "%g, %g..%g Hz)", bands, n_fft, sample_rate, fmin, fmax);
    return -1;
  }
  return 0;
}

static void
find_ranges (gc_filterbank *fb)
{
  for (int b = 0; b < fb->bands; b++) {
    const float *w = fb->weights + (size_t) b * fb->bins;
    int first = -1, last = -2;
    for (int k = 0; k < fb->bins; k++)
      if (w[k] != 0.0f) {
        if (first < 0)
          first = k;
        last = k;
      }
    if (first < 0) {
      first = 0;
      last = -1;
    }
    fb->first[b] = first;
    fb->last[b] = last;
  }
}

int
gc_filterbank_mel (gc_filterbank *fb, int bands, int n_fft,
    float sample_rate, float fmin, float fmax, int htk, int normalize)
{
  if (!fb || check_args (bands, n_fft, sample_rate, fmin, fmax) < 0)
    return -1;
  if (fb_alloc (fb, bands, n_fft) < 0)
    return -1;
  /* librosa.filters.mel: bands + 2 edges equally spaced in mel */
  double *edges = malloc ((bands + 2) * sizeof (double));
  if (!edges) {
    gc_filterbank_free (fb);
    gc_set_error ("filterbank: out of memory");
    return -1;
  }
  double mlo = hz_to_mel (fmin, htk), mhi = hz_to_mel (fmax, htk);
  for (int i = 0; i < bands + 2; i++)
    edges[i] = mel_to_hz (mlo + (mhi - mlo) * i / (bands + 1), htk);
  for (int b = 0; b < bands; b++) {
    double lo = edges[b], c = edges[b + 1], hi = edges[b + 2];
    double scale = normalize ? 2.0 / (hi - lo) : 1.0;
    float *w = fb->weights + (size_t) b * fb->bins;
    for (int k = 0; k < fb->bins; k++) {
      double f = (double) k * sample_rate / n_fft;
      double up = (f - lo) / (c - lo), down = (hi - f) / (hi - c);
      double v = up < down ? up : down;
      w[k] = v > 0 ? (float) (v * scale) : 0.0f;
    }
  }
  free (edges);
  find_ranges (fb);
  return 0;
}

int
gc_filterbank_erb (gc_filterbank *fb, int bands, int n_fft,
    float sample_rate, float fmin, float fmax)
{
  if (!fb || check_args (bands, n_fft, sample_rate, fmin, fmax) < 0)
    return -1;
  if (fb_alloc (fb, bands, n_fft) < 0)
    return -1;
  /* Band centres equally spaced in ERB-rate from fmin to fmax; each triangle
   * falls to zero at its neighbours' centres, so the weights of every bin
   * in [fmin, fmax] add up to 1. The outer bands stay flat to the edges. */
  double *centre = malloc (bands * sizeof (double));
  if (!centre) {
    gc_filterbank_free (fb);
    gc_set_error ("filterbank: out of memory");
    return -1;
  }
  double elo = gc_hz_to_erb (fmin), ehi = gc_hz_to_erb (fmax);
  for (int b = 0; b < bands; b++)
    centre[b] = bands == 1 ? fmin
        : gc_erb_to_hz ((float) (elo + (ehi - elo) * b / (bands - 1)));
  centre[0] = fmin;
  if (bands > 1)
    centre[bands - 1] = fmax;
  for (int k = 0; k < fb->bins; k++) {
    double f = (double) k * sample_rate / n_fft;
    if (f < fmin - 1e-6 || f > fmax + 1e-6)
      continue;
    if (bands == 1) {
      fb->weights[k] = 1.0f;
      continue;
    }
    int b = 0;                  /* segment [centre[b], centre[b + 1]] */
    while (b < bands - 2 && f > centre[b + 1])
      b++;
    double t = (f - centre[b]) / (centre[b + 1] - centre[b]);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    fb->weights[(size_t) b * fb->bins + k] = (float) (1.0 - t);
    fb->weights[(size_t) (b + 1) * fb->bins + k] = (float) t;
  }
  free (centre);
  find_ranges (fb);
  return 0;
}

void
gc_filterbank_free (gc_filterbank *fb)
{
  if (!fb)
    return;
  free (fb->weights);
  free (fb->first);
  free (fb->last);
  memset (fb, 0, sizeof *fb);
}

void
gc_filterbank_apply (const gc_filterbank *fb, const float *in_bins,
    float *out_bands)
{
  if (!fb || !fb->weights || !in_bins || !out_bands)
    return;
  for (int b = 0; b < fb->bands; b++) {
    const float *w = fb->weights + (size_t) b * fb->bins;
    float acc = 0.0f;
    for (int k = fb->first[b]; k <= fb->last[b]; k++)
      acc += w[k] * in_bins[k];
    out_bands[b] = acc;
  }
}

void
gc_filterbank_interp (const gc_filterbank *fb, const float *in_bands,
    float *out_bins)
{
  if (!fb || !fb->weights || !in_bands || !out_bins)
    return;
  memset (out_bins, 0, fb->bins * sizeof (float));
  for (int b = 0; b < fb->bands; b++) {
    const float *w = fb->weights + (size_t) b * fb->bins;
    for (int k = fb->first[b]; k <= fb->last[b]; k++)
      out_bins[k] += w[k] * in_bands[b];
  }
}
