/* Central finite-difference checks for the training tests.
 *
 * An op is a scalar function of some float arrays (inputs and parameters):
 * `value` runs the forward pass and returns a double, `grad` fills the
 * gradient arrays (the test pre-sizes them so their pointers stay put). */
#ifndef GRADCHECK_H
#define GRADCHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gancore.h"

typedef struct gk_var {
  const char *name;
  float *x;             /* values that the finite differences perturb */
  float *g;             /* analytic gradient, same size */
  size_t n;
} gk_var;

typedef struct gk_op {
  const char *name;
  double (*value) (void *ctx);
  void (*grad) (void *ctx);     /* writes/accumulates into the vars' g */
  void *ctx;
} gk_op;

static int gk_failures;

#define GK_CHECK(cond, ...) do { \
    if (!(cond)) { \
      fprintf (stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf (stderr, __VA_ARGS__); \
      fprintf (stderr, "\n"); \
      gk_failures++; \
    } \
  } while (0)

/* |a - b| <= atol + rtol * max(|a|, |b|) */
static inline int
gk_close (double a, double b, double rtol, double atol)
{
  double m = fabs (a) > fabs (b) ? fabs (a) : fabs (b);
  return fabs (a - b) <= atol + rtol * m && !isnan (a) && !isnan (b);
}

/* Compare the analytic gradient of every var with central differences.
 * Returns the number of mismatching entries (also added to gk_failures). */
static inline int
gk_check (const gk_op *op, gk_var *vars, int nvars, float eps, double rtol,
    double atol)
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
    gk_var *var = &vars[v];
    float *analytic = saved[v];
    double worst = 0.0;
    int var_bad = 0;
    for (size_t i = 0; i < var->n; i++) {
      float keep = var->x[i];
      var->x[i] = keep + eps;
      double lp = op->value (op->ctx);
      var->x[i] = keep - eps;
      double lm = op->value (op->ctx);
      var->x[i] = keep;
      double num = (lp - lm) / (2.0 * (double) eps);
      double err = fabs (num - analytic[i]);
      if (err > worst)
        worst = err;
      if (!gk_close (analytic[i], num, rtol, atol)) {
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
  gk_failures += bad;
  return bad;
}

static inline void
gk_fill (gc_rng *r, float *x, size_t n, float std)
{
  gc_rng_fill_normal (r, x, n, 0.0f, std);
}

/* Values at least `gap` away from 0 (keeps kinks out of the differences). */
static inline void
gk_fill_away_from_zero (gc_rng *r, float *x, size_t n, float gap)
{
  for (size_t i = 0; i < n; i++) {
    float v = gc_rng_normal (r);
    x[i] = v >= 0.0f ? v + gap : v - gap;
  }
}

static inline double
gk_dot (const float *a, const float *b, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += (double) a[i] * b[i];
  return s;
}

#endif
