/* Gradient checks against central finite differences (header only).
 *
 * A scalar loss L is a function of some float arrays (inputs and
 * parameters). Two ways in:
 *  - gradcheck_entries: one array, the analytic gradient already computed
 *    (for a layer, pick a fixed random projection r of its output, use
 *    L = <y, r>, so backward with dy = r gives dL/dx and dL/dparams);
 *  - gradcheck_vars: a gradcheck_op that computes both the value and the
 *    gradients of several arrays at once.
 * Both compare entry by entry with (L(v + eps) - L(v - eps)) / 2 eps,
 * evaluating L in double, and count mismatches in gan_test.h's failures. */
#ifndef GRADCHECK_H
#define GRADCHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gan_test.h"

/* The scalar loss as a function of the current inputs and parameters. */
typedef double (*gradcheck_loss_fn) (void *ctx);

/* An array the finite differences perturb, with its analytic gradient. */
typedef struct gradcheck_var {
  const char *name;
  float *x;
  float *g;             /* same size as x */
  size_t n;
} gradcheck_var;

/* A loss and its gradient: `grad` writes/accumulates into the vars' g
 * (the test pre-sizes them so their pointers stay put). */
typedef struct gradcheck_op {
  const char *name;
  gradcheck_loss_fn value;
  void (*grad) (void *ctx);
  void *ctx;
} gradcheck_op;

/* |a - b| <= atol + rtol * max (|a|, |b|) */
static inline int
gradcheck_close (double a, double b, double rtol, double atol)
{
  double m = fabs (a) > fabs (b) ? fabs (a) : fabs (b);
  return fabs (a - b) <= atol + rtol * m && !isnan (a) && !isnan (b);
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

/* Central difference of loss with respect to *v; *v is restored. */
static inline double
gradcheck_central (float *v, gradcheck_loss_fn loss, void *ctx, float eps)
{
  float keep = *v;
  *v = keep + eps;
  double lp = loss (ctx);
  *v = keep - eps;
  double lm = loss (ctx);
  *v = keep;
  return (lp - lm) / (2.0 * (double) eps);
}

/* Compare two arrays element by element; prints the worst mismatch.
 * Returns the number of mismatching elements (one failure if any). */
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
    failures++;
    fprintf (stderr, "FAIL %s: %d of %zu differ; worst [%zu] got %.7g want "
        "%.7g\n", what, bad, n, worst, got[worst], want[worst]);
  }
  return bad;
}

/* Perturb up to max_checks entries of vals (spread over the whole array),
 * compare the central difference of loss with analytic[i]. Returns the
 * number of mismatches (one failure if any); vals is restored. */
static inline int
gradcheck_entries (const char *what, float *vals, size_t n,
    const float *analytic, gradcheck_loss_fn loss, void *ctx, float eps,
    double rtol, double atol, size_t max_checks)
{
  int bad = 0;
  size_t step = max_checks && n > max_checks ? n / max_checks : 1;
  for (size_t i = (step > 1 ? step / 2 : 0); i < n; i += step) {
    double numeric = gradcheck_central (vals + i, loss, ctx, eps);
    if (!gradcheck_close (analytic[i], numeric, rtol, atol)) {
      if (bad < 5)
        fprintf (stderr, "FAIL %s: d/d[%zu] analytic %.7g numeric %.7g\n",
            what, i, analytic[i], numeric);
      bad++;
    }
  }
  if (bad) {
    failures++;
    fprintf (stderr, "FAIL %s: %d gradient entries differ\n", what, bad);
  }
  return bad;
}

/* Every entry of every var of op: the analytic gradient against central
 * differences, one line per var on stdout. Returns the number of
 * mismatching entries (each one a failure). */
static inline int
gradcheck_vars (const gradcheck_op *op, gradcheck_var *vars, int nvars,
    float eps, double rtol, double atol)
{
  int bad = 0;
  for (int v = 0; v < nvars; v++)
    memset (vars[v].g, 0, vars[v].n * sizeof (float));
  op->grad (op->ctx);
  /* snapshot first: evaluating the op must not be able to change them */
  float **saved = malloc (nvars * sizeof *saved);
  for (int v = 0; v < nvars; v++) {
    saved[v] = malloc (vars[v].n * sizeof (float));
    memcpy (saved[v], vars[v].g, vars[v].n * sizeof (float));
  }
  for (int v = 0; v < nvars; v++) {
    gradcheck_var *var = &vars[v];
    float *analytic = saved[v];
    double worst = 0.0;
    int var_bad = 0;
    for (size_t i = 0; i < var->n; i++) {
      double num = gradcheck_central (var->x + i, op->value, op->ctx, eps);
      double err = fabs (num - analytic[i]);
      if (err > worst)
        worst = err;
      if (!gradcheck_close (analytic[i], num, rtol, atol)) {
        if (var_bad < 5)
          fprintf (stderr, "FAIL %s: d/d%s[%zu] analytic %.6g numeric %.6g\n",
              op->name, var->name, i, analytic[i], num);
        var_bad++;
      }
    }
    printf ("%-28s %-10s n=%-5zu max abs err %.3g%s\n", op->name, var->name,
        var->n, worst, var_bad ? "  <-- FAIL" : "");
    bad += var_bad;
    free (analytic);
  }
  free (saved);
  failures += bad;
  return bad;
}

/* Uniform values in [lo, hi) from a small LCG (no gc_rng needed). */
static inline void
gradcheck_fill (float *x, size_t n, unsigned seed, float lo, float hi)
{
  unsigned s = seed * 2654435761u + 12345u;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = lo + (hi - lo) * (float) (s >> 8) / 16777216.0f;
  }
}

/* Normal values with standard deviation std. */
static inline void
gradcheck_fill_normal (gc_rng *r, float *x, size_t n, float std)
{
  gc_rng_fill_normal (r, x, n, 0.0f, std);
}

/* Values at least `gap` away from 0 (keeps kinks out of the differences). */
static inline void
gradcheck_fill_away_from_zero (gc_rng *r, float *x, size_t n, float gap)
{
  for (size_t i = 0; i < n; i++) {
    float v = gc_rng_normal (r);
    x[i] = v >= 0.0f ? v + gap : v - gap;
  }
}

#endif
