/* Shared by the shipped-model quality tests: where the models and samples
 * are (GAN_SOURCE_ROOT) and the measures the tests assert on. */
#ifndef MODEL_QUALITY_H
#define MODEL_QUALITY_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* GAN_SOURCE_ROOT/dir/name into buf. */
static inline const char *
mq_path (char *buf, size_t size, const char *dir, const char *name)
{
  const char *root = getenv ("GAN_SOURCE_ROOT");
  snprintf (buf, size, "%s/%s/%s", root ? root : ".", dir, name);
  return buf;
}

/* Scale-invariant SDR of est against ref over [from, to), dB. */
static inline double
mq_si_sdr (const float *est, const float *ref, long from, long to)
{
  double rr = 0, er = 0;
  for (long i = from; i < to; i++) {
    rr += (double) ref[i] * ref[i];
    er += (double) est[i] * ref[i];
  }
  double a = rr > 0 ? er / rr : 0, s = 0, e = 0;
  for (long i = from; i < to; i++) {
    double t = a * ref[i], d = est[i] - t;
    s += t * t;
    e += d * d;
  }
  return 10 * log10 ((s + 1e-20) / (e + 1e-20));
}

/* PSNR of two planes of values in [0, 1], a border of `crop` pixels left
 * out (as super-resolution figures are computed). */
static inline double
mq_psnr (const float *a, const float *b, int w, int h, int crop)
{
  double se = 0;
  long n = 0;
  for (int y = crop; y < h - crop; y++)
    for (int x = crop; x < w - crop; x++) {
      double d = (double) a[(long) y * w + x] - b[(long) y * w + x];
      se += d * d;
      n++;
    }
  return 10 * log10 (1.0 / (se / n + 1e-20));
}

#endif
