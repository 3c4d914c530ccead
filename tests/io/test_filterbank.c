/* Filterbanks: mel scales against their published definitions (Slaney:
 * 1000 Hz = 15 mel, linear below; HTK: 2595 log10 (1 + f/700)), round
 * trips, filter peaks at the band centres, unit area when normalised,
 * neighbouring triangles summing to one; ERB bands monotonic, covering
 * [fmin, fmax] with weights that sum to one, apply/interp transposes. */
#include <math.h>
#include <stdlib.h>

#include "gc_spectral.h"
#include "io_check.h"

static void
test_scales (void)
{
  CHECK (fabsf (gc_hz_to_mel (1000, 0) - 15.0f) < 1e-5f, "slaney 1 kHz");
  CHECK (fabsf (gc_hz_to_mel (440, 0) - 6.6f) < 1e-5f, "slaney 440 Hz");
  CHECK (fabsf (gc_hz_to_mel (6400, 0) - 42.0f) < 1e-4f,
      "slaney 6.4 kHz = 15 + 27 mel: %g", gc_hz_to_mel (6400, 0));
  CHECK (fabsf (gc_hz_to_mel (700, 1) - 2595.0f * log10f (2.0f)) < 1e-3f,
      "htk 700 Hz");
  CHECK (fabsf (gc_hz_to_erb (1000) - 21.4f * log10f (5.37f)) < 1e-4f,
      "erb 1 kHz");
  for (float f = 0; f < 24000; f += 123.4f) {
    for (int htk = 0; htk < 2; htk++)
      CHECK (fabsf (gc_mel_to_hz (gc_hz_to_mel (f, htk), htk) - f)
          < 1e-3f * (1 + f), "mel round trip %g htk %d", f, htk);
    CHECK (fabsf (gc_erb_to_hz (gc_hz_to_erb (f)) - f) < 1e-3f * (1 + f),
        "erb round trip %g", f);
    CHECK (gc_hz_to_mel (f + 1, 0) > gc_hz_to_mel (f, 0), "mel monotonic");
  }
}

static int
argmax (const float *w, int n)
{
  int best = 0;
  for (int k = 1; k < n; k++)
    if (w[k] > w[best])
      best = k;
  return best;
}

static void
check_ranges (const gc_filterbank *fb, const char *what)
{
  for (int b = 0; b < fb->bands; b++) {
    const float *w = fb->weights + (size_t) b * fb->bins;
    for (int k = 0; k < fb->bins; k++) {
      int inside = k >= fb->first[b] && k <= fb->last[b];
      CHECK (w[k] >= 0, "%s: negative weight", what);
      CHECK (inside || w[k] == 0, "%s band %d: weight at bin %d outside "
          "first..last %d..%d", what, b, k, fb->first[b], fb->last[b]);
    }
    CHECK (fb->last[b] < fb->bins, "%s: last out of range", what);
  }
}

static void
test_mel (int htk)
{
  const int bands = 40, n_fft = 4096;
  const float sr = 16000, fmin = 50, fmax = 8000;
  gc_filterbank fb, fbn;
  CHECK (gc_filterbank_mel (&fb, bands, n_fft, sr, fmin, fmax, htk, 0) == 0,
      "mel: %s", gc_last_error ());
  CHECK (gc_filterbank_mel (&fbn, bands, n_fft, sr, fmin, fmax, htk, 1) == 0,
      "mel norm: %s", gc_last_error ());
  CHECK (fb.bands == bands && fb.bins == n_fft / 2 + 1, "mel dims");
  check_ranges (&fb, "mel");
  float mlo = gc_hz_to_mel (fmin, htk), mhi = gc_hz_to_mel (fmax, htk);
  const float df = sr / n_fft;
  for (int b = 0; b < bands; b++) {
    const float *w = fb.weights + (size_t) b * fb.bins;
    float lo = gc_mel_to_hz (mlo + (mhi - mlo) * b / (bands + 1), htk);
    float c = gc_mel_to_hz (mlo + (mhi - mlo) * (b + 1) / (bands + 1), htk);
    float hi = gc_mel_to_hz (mlo + (mhi - mlo) * (b + 2) / (bands + 1), htk);
    int peak = argmax (w, fb.bins);
    CHECK (fabsf (peak * df - c) <= df, "mel htk %d band %d: peak at %g Hz, "
        "centre %g Hz", htk, b, peak * df, c);
    CHECK (w[peak] <= 1.0f && w[peak] > 0.9f, "peak height %g", w[peak]);
    CHECK (fb.first[b] * df > lo - 0.5f && fb.last[b] * df < hi + 0.5f,
        "band %d support %g..%g outside %g..%g", b, fb.first[b] * df,
        fb.last[b] * df, lo, hi);
    /* normalised: unit area in Hz (Slaney's "constant energy per band") */
    const float *wn = fbn.weights + (size_t) b * fbn.bins;
    double area = 0;
    for (int k = 0; k < fbn.bins; k++)
      area += wn[k] * df;
    CHECK (fabs (area - 1.0) < 0.03, "normalised band %d area %g", b, area);
  }
  /* between the first and last centre the triangles sum to one */
  float c0 = gc_mel_to_hz (mlo + (mhi - mlo) / (bands + 1), htk);
  float cl = gc_mel_to_hz (mlo + (mhi - mlo) * bands / (bands + 1), htk);
  for (int k = 0; k < fb.bins; k++) {
    if (k * df < c0 || k * df > cl)
      continue;
    double sum = 0;
    for (int b = 0; b < bands; b++)
      sum += fb.weights[(size_t) b * fb.bins + k];
    CHECK (fabs (sum - 1.0) < 1e-4, "mel weights at bin %d sum to %g", k,
        sum);
  }
  gc_filterbank_free (&fb);
  gc_filterbank_free (&fbn);
}

static void
test_slaney_vs_htk (void)
{
  /* below 1 kHz Slaney is linear: equally spaced centres; HTK is not */
  gc_filterbank s, h;
  const int n_fft = 8192;
  const float sr = 8000, df = sr / n_fft;
  gc_filterbank_mel (&s, 9, n_fft, sr, 0, 1000, 0, 0);
  gc_filterbank_mel (&h, 9, n_fft, sr, 0, 1000, 1, 0);
  for (int b = 0; b < 9; b++) {
    int ps = argmax (s.weights + (size_t) b * s.bins, s.bins);
    CHECK (fabsf (ps * df - 100.0f * (b + 1)) <= df, "slaney linear centre "
        "%d at %g Hz", b, ps * df);
  }
  int p0 = argmax (h.weights, h.bins);
  int p1 = argmax (h.weights + h.bins, h.bins);
  int p8 = argmax (h.weights + 8 * h.bins, h.bins);
  int p7 = argmax (h.weights + 7 * h.bins, h.bins);
  CHECK (p8 - p7 > p1 - p0 + 2, "htk spacing does not grow: %d vs %d",
      p8 - p7, p1 - p0);
  gc_filterbank_free (&s);
  gc_filterbank_free (&h);
}

static void
test_erb (int bands, int n_fft, float sr, float fmin, float fmax)
{
  gc_filterbank fb;
  CHECK (gc_filterbank_erb (&fb, bands, n_fft, sr, fmin, fmax) == 0,
      "erb: %s", gc_last_error ());
  check_ranges (&fb, "erb");
  const float df = sr / n_fft;
  int prev_peak = -1, prev_width = 0;
  for (int b = 0; b < bands; b++) {
    int peak = argmax (fb.weights + (size_t) b * fb.bins, fb.bins);
    CHECK (peak > prev_peak, "erb band %d peak %d not above %d", b, peak,
        prev_peak);
    int width = fb.last[b] - fb.first[b];
    /* ERB bandwidth grows with frequency (edge bands are half triangles) */
    if (b > 1 && b < bands - 1)
      CHECK (width >= prev_width - 1, "erb band %d narrower (%d < %d)", b,
          width, prev_width);
    prev_peak = peak;
    prev_width = width;
  }
  float *ones = malloc (bands * sizeof (float));
  float *bins = malloc (fb.bins * sizeof (float));
  float *back = malloc (bands * sizeof (float));
  for (int b = 0; b < bands; b++)
    ones[b] = 1.0f;
  gc_filterbank_interp (&fb, ones, bins);
  for (int k = 0; k < fb.bins; k++) {
    float f = k * df;
    float want = (f >= fmin && f <= fmax) ? 1.0f : 0.0f;
    CHECK (fabsf (bins[k] - want) < 1e-5f, "erb coverage at %g Hz: %g", f,
        bins[k]);
  }
  /* apply is the transpose of interp: <apply (x), g> == <x, interp (g)> */
  gc_rng r;
  gc_rng_seed (&r, bands);
  float *x = malloc (fb.bins * sizeof (float));
  gc_rng_fill_uniform (&r, x, fb.bins, 0, 1);
  gc_rng_fill_uniform (&r, ones, bands, 0, 1);
  gc_filterbank_apply (&fb, x, back);
  gc_filterbank_interp (&fb, ones, bins);
  double lhs = 0, rhs = 0;
  for (int b = 0; b < bands; b++)
    lhs += back[b] * ones[b];
  for (int k = 0; k < fb.bins; k++)
    rhs += x[k] * bins[k];
  CHECK (fabs (lhs - rhs) < 1e-4 * fabs (lhs), "apply/interp not transposes:"
      " %g vs %g", lhs, rhs);
  free (x);
  free (ones);
  free (bins);
  free (back);
  gc_filterbank_free (&fb);
}

int
main (void)
{
  test_scales ();
  test_mel (0);
  test_mel (1);
  test_slaney_vs_htk ();
  test_erb (32, 960, 48000, 0, 24000);
  test_erb (22, 320, 16000, 0, 8000);
  test_erb (24, 512, 16000, 100, 7000);
  gc_filterbank fb;
  CHECK (gc_filterbank_mel (&fb, 0, 512, 16000, 0, 8000, 0, 0) < 0, "0 bands");
  CHECK (gc_filterbank_mel (&fb, 40, 512, 16000, 0, 9000, 0, 0) < 0,
      "fmax above Nyquist");
  CHECK (gc_filterbank_erb (&fb, 8, 512, NAN, 0, 8000) < 0, "NaN rate");
  CHECK (gc_filterbank_erb (&fb, 8, 512, 16000, 500, 100) < 0, "fmin > fmax");
  if (failures)
    fprintf (stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
