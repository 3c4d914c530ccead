/* gradcheck.h — tiny test helpers for libgancore layers (header only).
 *
 * Copy freely into other test folders. Everything is static inline and
 * prefixed gradcheck_ / GC_CHECK.
 *
 * Gradient checking: pick a fixed random projection r of a layer's output
 * and use the scalar loss L = <y, r>. Then dL/dy = r, so running the layer's
 * backward with dy = r gives the analytic gradient of L for x and for every
 * parameter; gradcheck_entries compares it entry by entry with the central
 * difference (L(v + eps) - L(v - eps)) / 2 eps, evaluating L in double. */
#ifndef GRADCHECK_H
#define GRADCHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_base.h"

/* Failure counter shared by one test program. */
static int gradcheck_failures;

#define GC_CHECK(cond, ...) do {                                     \
    if (!(cond)) {                                                   \
      gradcheck_failures++;                                          \
      fprintf (stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
      fprintf (stderr, __VA_ARGS__);                                 \
      fputc ('\n', stderr);                                          \
    }                                                                \
  } while (0)

/* Exit status for main (): 0 when every check passed. */
static inline int
gradcheck_report (const char *program)
{
  if (gradcheck_failures)
    fprintf (stderr, "%s: %d check(s) failed\n", program, gradcheck_failures);
  else
    printf ("%s: all checks passed\n", program);
  return gradcheck_failures ? 1 : 0;
}

/* <a, b> in double. */
static inline double
gradcheck_dot (const float *a, const float *b, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += (double) a[i] * b[i];
  return s;
}

/* |a - b| <= atol + rtol * max (|a|, |b|) */
static inline int
gradcheck_close (double a, double b, double rtol, double atol)
{
  double m = fabs (a) > fabs (b) ? fabs (a) : fabs (b);
  return fabs (a - b) <= atol + rtol * m && !isnan (a) && !isnan (b);
}

/* Compare two arrays element by element; prints the worst mismatch.
 * Returns the number of mismatching elements (also counted as failures). */
static inline int
gradcheck_compare (const char *what, const float *got, const float *want,
    size_t n, double rtol, double atol)
{
  int bad = 0;
  size_t worst = 0;
  double worst_err = -1.0;
  for (size_t i = 0; i < n; i++) {
    double err = fabs ((double) got[i] - want[i]);
    if (isnan (got[i]) != isnan (want[i]))
      err = INFINITY;
    if (!gradcheck_close (got[i], want[i], rtol, atol)) {
      bad++;
      if (err > worst_err) {
        worst_err = err;
        worst = i;
      }
    }
  }
  if (bad) {
    gradcheck_failures++;
    fprintf (stderr, "FAIL %s: %d of %zu differ; worst [%zu] got %.7g want "
        "%.7g\n", what, bad, n, worst, got[worst], want[worst]);
  }
  return bad;
}

/* The scalar loss L as a function of the layer's current inputs and
 * parameters (run forward, return <y, r>). */
typedef double (*gradcheck_loss_fn) (void *ctx);

/* Perturb up to max_checks entries of vals (spread over the whole array),
 * compare the central difference of loss with analytic[i]. Returns the
 * number of mismatches (also counted as failures); vals is restored. */
static inline int
gradcheck_entries (const char *what, float *vals, size_t n,
    const float *analytic, gradcheck_loss_fn loss, void *ctx, float eps,
    double rtol, double atol, size_t max_checks)
{
  int bad = 0;
  size_t step = max_checks && n > max_checks ? n / max_checks : 1;
  for (size_t i = (step > 1 ? step / 2 : 0); i < n; i += step) {
    float keep = vals[i];
    vals[i] = keep + eps;
    double lp = loss (ctx);
    vals[i] = keep - eps;
    double lm = loss (ctx);
    vals[i] = keep;
    double numeric = (lp - lm) / (2.0 * eps);
    if (!gradcheck_close (analytic[i], numeric, rtol, atol)) {
      if (bad < 5)
        fprintf (stderr, "FAIL %s: d/d[%zu] analytic %.7g numeric %.7g\n",
            what, i, analytic[i], numeric);
      bad++;
    }
  }
  if (bad) {
    gradcheck_failures++;
    fprintf (stderr, "FAIL %s: %d gradient entries differ\n", what, bad);
  }
  return bad;
}

/* Uniform values in [lo, hi) from a small LCG, so helpers need no rng. */
static inline void
gradcheck_fill (float *x, size_t n, unsigned seed, float lo, float hi)
{
  unsigned s = seed * 2654435761u + 12345u;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = lo + (hi - lo) * (float) (s >> 8) / 16777216.0f;
  }
}

#endif
