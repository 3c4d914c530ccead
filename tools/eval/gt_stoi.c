/* STOI, Taal et al. 2011 ("An Algorithm for Intelligibility Prediction of
 * Time-Frequency Weighted Noisy Speech"), step for step as the reference
 * MATLAB code and pystoi compute it, in double precision. */
#include "gt_metrics.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STOI_FS 10000
#define FRAME 256
#define HOP 128
#define NFFT 512
#define BINS (NFFT / 2 + 1)
#define BANDS 15
#define MIN_FREQ 150.0
#define SEG 30                  /* frames per intermediate segment */
#define BETA (-15.0)            /* lower SDR bound, dB */
#define DYN_RANGE 40.0          /* silent-frame threshold, dB */
#define EPS DBL_EPSILON         /* numpy's finfo(float).eps */

/* In-place radix-2 complex FFT of NFFT points. */
static void
fft512 (double *re, double *im)
{
  for (int i = 1, j = 0; i < NFFT; i++) {
    int bit = NFFT >> 1;
    for (; j & bit; bit >>= 1)
      j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (int len = 2; len <= NFFT; len <<= 1) {
    double ang = -2 * M_PI / len;
    for (int i = 0; i < NFFT; i += len)
      for (int k = 0; k < len / 2; k++) {
        double wr = cos (ang * k), wi = sin (ang * k);
        double *ur = re + i + k, *ui = im + i + k;
        double *vr = re + i + k + len / 2, *vi = im + i + k + len / 2;
        double xr = *vr * wr - *vi * wi, xi = *vr * wi + *vi * wr;
        *vr = *ur - xr;
        *vi = *ui - xi;
        *ur += xr;
        *ui += xi;
      }
  }
}

/* MATLAB hanning(n) = numpy hanning(n + 2)[1:-1]. */
static void
hann (double *w, int n)
{
  for (int i = 0; i < n; i++)
    w[i] = 0.5 - 0.5 * cos (2 * M_PI * (i + 1) / (n + 1));
}

/* Drop frames of x more than DYN_RANGE below its loudest, and overlap-add
 * the windowed frames that stay (both signals, masked by x). Returns the
 * new length (0 if nothing is left). */
static size_t
remove_silent_frames (const double *x, const double *y, size_t n,
    double *xo, double *yo)
{
  double w[FRAME];
  hann (w, FRAME);
  if (n <= FRAME)
    return 0;
  size_t frames = (n - FRAME + HOP - 1) / HOP;  /* range (0, n - FRAME, HOP) */
  double *energy = malloc (frames * sizeof *energy);
  if (!energy)
    return 0;
  double max = -INFINITY;
  for (size_t f = 0; f < frames; f++) {
    double s = 0;
    for (int i = 0; i < FRAME; i++) {
      double v = w[i] * x[f * HOP + i];
      s += v * v;
    }
    energy[f] = 20 * log10 (sqrt (s) + EPS);
    if (energy[f] > max)
      max = energy[f];
  }
  size_t count = 0;
  for (size_t f = 0; f < frames; f++) {
    if (!(energy[f] - max + DYN_RANGE > 0))
      continue;
    size_t at = count * HOP;
    if (count == 0)
      memset (xo, 0, FRAME * sizeof *xo), memset (yo, 0, FRAME * sizeof *yo);
    else {
      memset (xo + at + FRAME - HOP, 0, HOP * sizeof *xo);
      memset (yo + at + FRAME - HOP, 0, HOP * sizeof *yo);
    }
    for (int i = 0; i < FRAME; i++) {
      xo[at + i] += x[f * HOP + i] * w[i];
      yo[at + i] += y[f * HOP + i] * w[i];
    }
    count++;
  }
  free (energy);
  return count ? (count - 1) * HOP + FRAME : 0;
}

/* One-third octave band edges as FFT bin ranges [lo, hi). */
static void
third_octave_bins (int *lo, int *hi)
{
  for (int b = 0; b < BANDS; b++) {
    double fl = MIN_FREQ * pow (2.0, (2.0 * b - 1) / 6);
    double fh = MIN_FREQ * pow (2.0, (2.0 * b + 1) / 6);
    int best_l = 0, best_h = 0;
    for (int k = 1; k < BINS; k++) {
      double f = (double) k * STOI_FS / NFFT;
      double fbl = (double) best_l * STOI_FS / NFFT;
      double fbh = (double) best_h * STOI_FS / NFFT;
      /* strict <: the first minimum wins, as numpy's argmin */
      if ((f - fl) * (f - fl) < (fbl - fl) * (fbl - fl))
        best_l = k;
      if ((f - fh) * (f - fh) < (fbh - fh) * (fbh - fh))
        best_h = k;
    }
    lo[b] = best_l;
    hi[b] = best_h;
  }
}

/* Band envelopes [BANDS][frames] of a signal; returns the frame count. */
static size_t
band_envelopes (const double *x, size_t n, const int *lo, const int *hi,
    double *tob, size_t max_frames)
{
  double w[FRAME], re[NFFT], im[NFFT], pw[BINS];
  hann (w, FRAME);
  size_t frames = n > FRAME ? (n - FRAME + HOP - 1) / HOP : 0;
  if (frames > max_frames)
    frames = max_frames;
  for (size_t f = 0; f < frames; f++) {
    for (int i = 0; i < NFFT; i++) {
      re[i] = i < FRAME ? w[i] * x[f * HOP + i] : 0;
      im[i] = 0;
    }
    fft512 (re, im);
    for (int k = 0; k < BINS; k++)
      pw[k] = re[k] * re[k] + im[k] * im[k];
    for (int b = 0; b < BANDS; b++) {
      double s = 0;
      for (int k = lo[b]; k < hi[b]; k++)
        s += pw[k];
      tob[(size_t) b * max_frames + f] = sqrt (s);
    }
  }
  return frames;
}

/* The clipped, normalised correlation of one band over one segment. */
static double
segment_correlation (const double *xs, const double *ys)
{
  double nx = 0, ny = 0;
  for (int t = 0; t < SEG; t++) {
    nx += xs[t] * xs[t];
    ny += ys[t] * ys[t];
  }
  double alpha = sqrt (nx) / (sqrt (ny) + EPS);
  double clip = pow (10.0, -BETA / 20);
  double yp[SEG], xc[SEG], my = 0, mx = 0;
  for (int t = 0; t < SEG; t++) {
    yp[t] = fmin (ys[t] * alpha, xs[t] * (1 + clip));
    my += yp[t];
    mx += xs[t];
  }
  my /= SEG;
  mx /= SEG;
  double sy = 0, sx = 0;
  for (int t = 0; t < SEG; t++) {
    yp[t] -= my;
    xc[t] = xs[t] - mx;
    sy += yp[t] * yp[t];
    sx += xc[t] * xc[t];
  }
  sy = sqrt (sy) + EPS;
  sx = sqrt (sx) + EPS;
  double d = 0;
  for (int t = 0; t < SEG; t++)
    d += (yp[t] / sy) * (xc[t] / sx);
  return d;
}

double
gm_stoi (const float *clean, const float *test, size_t n, int rate)
{
  if (!clean || !test || n == 0 || rate <= 0)
    return NAN;
  size_t m = gm_resample_len (n, rate, STOI_FS);
  float *xr = malloc ((m + 1) * sizeof *xr), *yr = malloc ((m + 1) * sizeof *yr);
  double *x = malloc ((m + 1) * sizeof *x), *y = malloc ((m + 1) * sizeof *y);
  double *xs = malloc ((m + FRAME) * sizeof *xs);
  double *ys = malloc ((m + FRAME) * sizeof *ys);
  double *xt = NULL, *yt = NULL;
  double result = NAN;
  if (!xr || !yr || !x || !y || !xs || !ys)
    goto out;
  gm_resample (clean, n, rate, STOI_FS, xr);
  gm_resample (test, n, rate, STOI_FS, yr);
  for (size_t i = 0; i < m; i++) {
    x[i] = xr[i];
    y[i] = yr[i];
  }
  size_t len = remove_silent_frames (x, y, m, xs, ys);
  size_t max_frames = len > FRAME ? (len - FRAME + HOP - 1) / HOP : 0;
  if (max_frames < SEG) {
    result = 1e-5;              /* too short, as pystoi */
    goto out;
  }
  int lo[BANDS], hi[BANDS];
  third_octave_bins (lo, hi);
  xt = malloc ((size_t) BANDS * max_frames * sizeof *xt);
  yt = malloc ((size_t) BANDS * max_frames * sizeof *yt);
  if (!xt || !yt)
    goto out;
  size_t frames = band_envelopes (xs, len, lo, hi, xt, max_frames);
  band_envelopes (ys, len, lo, hi, yt, max_frames);
  double sum = 0;
  size_t count = 0;
  for (size_t e = SEG; e <= frames; e++)
    for (int b = 0; b < BANDS; b++) {
      sum += segment_correlation (xt + (size_t) b * max_frames + e - SEG,
          yt + (size_t) b * max_frames + e - SEG);
      count++;
    }
  result = sum / count;
out:
  free (xr);
  free (yr);
  free (x);
  free (y);
  free (xs);
  free (ys);
  free (xt);
  free (yt);
  return result;
}
