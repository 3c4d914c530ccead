/* PatchGAN discriminator: output shape, input and parameter gradients
 * against central differences, and the scale invariance spectral
 * normalisation promises. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gc_core.h"
#include "gcn_patchgan.h"
#include "gan_test.h"

static double
loss_of (gcn_patchgan *d, const gc_tensor *x, const gc_tensor *probe,
    gcn_patchgan_acts *c)
{
  gc_tensor y = GC_TENSOR_INIT;
  gcn_patchgan_forward (d, x, &y, c);
  double s = 0;
  for (size_t i = 0; i < gc_tensor_size (&y); i++)
    s += (double) y.data[i] * probe->data[i];
  gc_tensor_free (&y);
  return s;
}

/* Central difference of the probe loss, or NAN when two step sizes
 * disagree (a LeakyReLU kink inside the step). */
static double
numeric (gcn_patchgan *d, const gc_tensor *x, const gc_tensor *probe,
    gcn_patchgan_acts *c, float *v)
{
  double g[2];
  float keep = *v;
  for (int e = 0; e < 2; e++) {
    float eps = e ? 5e-3f : 1e-2f;
    *v = keep + eps;
    double lp = loss_of (d, x, probe, c);
    *v = keep - eps;
    double lm = loss_of (d, x, probe, c);
    g[e] = (lp - lm) / (2 * eps);
  }
  *v = keep;
  return fabs (g[0] - g[1]) > 1e-2 * fmax (1.0, fabs (g[1])) ? NAN : g[1];
}

int
main (void)
{
  gc_rng r;
  gc_rng_seed (&r, 11);
  gcn_patchgan d;
  CHECK (gcn_patchgan_init (&d, 2, 4, 2, &r) == 0, "init");
  CHECK (gcn_patchgan_init (&(gcn_patchgan) { 0 }, 0, 4, 2, &r) < 0,
      "zero channels accepted");

  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT, probe = GC_TENSOR_INIT;
  gc_tensor dx = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 2, 2, 12, 8);
  gc_rng_fill_uniform (&r, x.data, gc_tensor_size (&x), -1.f, 1.f);
  gcn_patchgan_acts c = { 0 };
  gcn_patchgan_forward (&d, &x, &y, &c);
  CHECK (y.n == 2 && y.c == 1 && y.h == 3 && y.w == 2, "logits %dx%dx%dx%d",
      y.n, y.c, y.h, y.w);

  gc_tensor_resize (&probe, y.n, y.c, y.h, y.w);
  gc_rng_fill_normal (&r, probe.data, gc_tensor_size (&probe), 0.f, 1.f);
  gc_param_list_zero_grad (&d.params);
  gcn_patchgan_forward (&d, &x, &y, &c);
  gcn_patchgan_backward (&d, &x, &c, &y, &probe, &dx);
  CHECK (dx.n == x.n && dx.c == x.c && dx.h == x.h && dx.w == x.w, "dx shape");

  int checked = 0, kinks = 0;
  for (size_t i = 0; i < gc_tensor_size (&x); i += 7) {
    double num = numeric (&d, &x, &probe, &c, &x.data[i]);
    if (isnan (num)) {
      kinks++;
      continue;
    }
    CHECK (fabs (num - dx.data[i]) < 1e-2 * fmax (1.0, fabs (num)),
        "dx[%zu]: numeric %g analytic %g", i, num, dx.data[i]);
    checked++;
  }
  for (int p = 0; p < d.params.count; p++) {
    gc_param *q = d.params.items[p];
    for (size_t k = 0; k < q->n; k += 1 + q->n / 5) {
      double num = numeric (&d, &x, &probe, &c, &q->w[k]);
      if (isnan (num)) {
        kinks++;
        continue;
      }
      CHECK (fabs (num - q->g[k]) < 1e-2 * fmax (1.0, fabs (num)),
          "%s[%zu]: numeric %g analytic %g", q->name, k, num, q->g[k]);
      checked++;
    }
  }
  CHECK (checked > 30 && kinks * 5 < checked, "%d checked, %d kinks",
      checked, kinks);

  /* Spectral norm: once the power iteration has settled, scaling the raw
   * weights changes nothing the critic computes. */
  for (int i = 0; i < 30; i++) {
    gcn_patchgan_sn_begin (&d, 1);
    gcn_patchgan_sn_end (&d);
  }
  gc_tensor y1 = GC_TENSOR_INIT, y2 = GC_TENSOR_INIT;
  gcn_patchgan_sn_begin (&d, 0);
  gcn_patchgan_forward (&d, &x, &y1, &c);
  gcn_patchgan_sn_end (&d);
  for (int i = 0; i <= d.depth; i++)
    for (size_t k = 0; k < d.conv[i].weight.n; k++)
      d.conv[i].weight.w[k] *= 5.f;
  gcn_patchgan_sn_begin (&d, 0);
  gcn_patchgan_forward (&d, &x, &y2, &c);
  gcn_patchgan_sn_end (&d);
  double diff = 0, mag = 0;
  for (size_t i = 0; i < gc_tensor_size (&y1); i++) {
    diff = fmax (diff, fabs (y1.data[i] - y2.data[i]));
    mag = fmax (mag, fabs (y1.data[i]));
  }
  CHECK (mag > 1e-4 && diff < 1e-3 * fmax (1.0, mag),
      "logits change by %g under weight scaling (magnitude %g)", diff, mag);
  /* ...and sn_end restored the raw (scaled) weights. */
  gcn_patchgan_forward (&d, &x, &y2, &c);
  double raw = 0;
  for (size_t i = 0; i < gc_tensor_size (&y1); i++)
    raw = fmax (raw, fabs (y1.data[i] - y2.data[i]));
  CHECK (raw > 1e-3, "raw weights were not restored");

  gc_tensor_free (&y1);
  gc_tensor_free (&y2);
  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_tensor_free (&dx);
  gc_tensor_free (&probe);
  gcn_patchgan_acts_free (&c);
  gcn_patchgan_free (&d);
  if (failures)
    fprintf (stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
