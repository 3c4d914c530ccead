/* Kaiser-windowed sinc resampling for the metrics (STOI works at 10 kHz).
 * Rational ratio L/M after dividing by the gcd; one table of taps per
 * output phase when it is small enough, else the taps are computed on the
 * fly. Each phase is normalised to unit DC gain. */
#include "gt_metrics.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define ZERO_CROSSINGS 16
#define KAISER_BETA 8.6
#define PASSBAND 0.95           /* cutoff as a fraction of the lower Nyquist */

static double
bessel_i0 (double x)
{
  double sum = 1, term = 1, q = x * x / 4;
  for (int k = 1; k < 60; k++) {
    term *= q / ((double) k * k);
    sum += term;
    if (term < sum * 1e-17)
      break;
  }
  return sum;
}

static int
gcd (int a, int b)
{
  while (b) {
    int t = a % b;
    a = b;
    b = t;
  }
  return a;
}

size_t
gm_resample_len (size_t n, int from, int to)
{
  if (from <= 0 || to <= 0)
    return 0;
  return (size_t) ((uint64_t) n * (uint64_t) to / (uint64_t) from);
}

typedef struct kernel {
  double fc;                /* cutoff in cycles per input sample * 2 */
  double half;              /* half width in input samples */
  int taps;                 /* 2 * ceil (half) */
  double i0_beta;
} kernel;

static double
tap (const kernel *k, double d)
{
  if (fabs (d) >= k->half)
    return 0;
  double r = d / k->half;
  double win = bessel_i0 (KAISER_BETA * sqrt (1 - r * r)) / k->i0_beta;
  double s = d == 0 ? 1.0 : sin (M_PI * k->fc * d) / (M_PI * k->fc * d);
  return k->fc * s * win;
}

/* Taps for the output sample at input time q + frac (first tap index
 * q - taps/2 + 1), normalised to unit sum. */
static void
fill_taps (const kernel *k, double frac, double *w)
{
  int h = k->taps / 2;
  double sum = 0;
  for (int j = 0; j < k->taps; j++) {
    w[j] = tap (k, frac + h - 1 - j);
    sum += w[j];
  }
  if (sum != 0)
    for (int j = 0; j < k->taps; j++)
      w[j] /= sum;
}

size_t
gm_resample (const float *x, size_t n, int from, int to, float *out)
{
  size_t on = gm_resample_len (n, from, to);
  if (on == 0)
    return 0;
  if (from == to) {
    for (size_t i = 0; i < n; i++)
      out[i] = x[i];
    return n;
  }
  int g = gcd (from, to), L = to / g, M = from / g;
  kernel k;
  k.fc = PASSBAND * (to < from ? (double) to / from : 1.0);
  k.half = ZERO_CROSSINGS / k.fc;
  k.taps = 2 * (int) ceil (k.half);
  k.i0_beta = bessel_i0 (KAISER_BETA);
  int h = k.taps / 2;
  /* Phase p of output m is (m M) mod L; tabulate when it is cheap. */
  double *table = NULL;
  if ((size_t) L * k.taps <= (1u << 22)) {
    table = malloc ((size_t) L * k.taps * sizeof *table);
    if (table)
      for (int p = 0; p < L; p++)
        fill_taps (&k, (double) p / L, table + (size_t) p * k.taps);
  }
  double *scratch = table ? NULL : malloc (k.taps * sizeof *scratch);
  if (!table && !scratch)
    return 0;
  for (size_t m = 0; m < on; m++) {
    uint64_t pos = (uint64_t) m * M;
    int64_t q = (int64_t) (pos / L);
    int p = (int) (pos % L);
    const double *w;
    if (table)
      w = table + (size_t) p * k.taps;
    else {
      fill_taps (&k, (double) p / L, scratch);
      w = scratch;
    }
    double acc = 0;
    int64_t k0 = q - h + 1;
    for (int j = 0; j < k.taps; j++) {
      int64_t idx = k0 + j;
      if (idx >= 0 && idx < (int64_t) n)
        acc += w[j] * x[idx];
    }
    out[m] = (float) acc;
  }
  free (table);
  free (scratch);
  return on;
}
