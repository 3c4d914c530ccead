/* libgancore — elementwise activations and PReLU. */
#include "gc_layers.h"
#include "gc_check.h"
#include "gc_sigmoid.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int
gc_act_forward (gc_act_type t, float slope, const gc_tensor *x, gc_tensor *y)
{
  GC_CHECK_SHAPE (x && y && x->data, "activation: no input or no output");
  if (y != x && gc_tensor_resize (y, x->n, x->c, x->h, x->w) < 0)
    return -1;
  size_t n = gc_tensor_size (x);
  const float *a = x->data;
  float *b = y->data;
  switch (t) {
    case GC_ACT_RELU:
      for (size_t i = 0; i < n; i++)
        b[i] = a[i] > 0.0f ? a[i] : 0.0f;
      break;
    case GC_ACT_LEAKY_RELU:
      /* max/min instead of a branch so that the loop vectorises (one of
       * the two terms is always exactly zero) */
      for (size_t i = 0; i < n; i++) {
        float pos = a[i] > 0.0f ? a[i] : 0.0f, neg = a[i] < 0.0f ? a[i] : 0.0f;
        b[i] = pos + slope * neg;
      }
      break;
    case GC_ACT_TANH:
      for (size_t i = 0; i < n; i++)
        b[i] = tanhf (a[i]);
      break;
    case GC_ACT_SIGMOID:
      for (size_t i = 0; i < n; i++)
        b[i] = gc_sigmoidf (a[i]);
      break;
    case GC_ACT_NONE:
    default:
      if (b != a)
        memmove (b, a, n * sizeof (float));
      break;
  }
  return 0;
}

/* out = d * f'(.) where the derivative comes from x (piecewise linear) or
 * y (tanh, sigmoid); whichever is missing is recomputed from the other. */
static int
act_derivative_mul (gc_act_type t, float slope, const gc_tensor *x,
    const gc_tensor *y, const gc_tensor *d, gc_tensor *out)
{
  const gc_tensor *ref = x && x->data ? x : y;
  GC_CHECK_SHAPE (d && d->data && out && ref && ref->data,
      "activation gradient: missing gradient, output, or both x and y");
  size_t n = gc_tensor_size (d);
  GC_CHECK_SHAPE (gc_tensor_size (ref) == n,
      "activation gradient: %zu gradient values for %zu activations", n,
      gc_tensor_size (ref));
  if (out != d && gc_tensor_resize (out, d->n, d->c, d->h, d->w) < 0)
    return -1;
  const float *g = d->data;
  float *o = out->data;
  switch (t) {
    case GC_ACT_RELU:{
      /* relu(x) > 0 exactly when x > 0, so y works as well as x */
      const float *r = ref->data;
      for (size_t i = 0; i < n; i++)
        o[i] = g[i] * (float) (r[i] > 0.0f);
      break;
    }
    case GC_ACT_LEAKY_RELU:{
      /* with a positive slope the sign of y equals the sign of x */
      const float *r = ref->data;
      for (size_t i = 0; i < n; i++) {
        float pos = (float) (r[i] > 0.0f);
        o[i] = g[i] * pos + slope * g[i] * (1.0f - pos);
      }
      break;
    }
    case GC_ACT_TANH:
      if (y && y->data && gc_tensor_size (y) == n) {
        for (size_t i = 0; i < n; i++)
          o[i] = g[i] * (1.0f - y->data[i] * y->data[i]);
      } else {
        for (size_t i = 0; i < n; i++) {
          float v = tanhf (x->data[i]);
          o[i] = g[i] * (1.0f - v * v);
        }
      }
      break;
    case GC_ACT_SIGMOID:
      if (y && y->data && gc_tensor_size (y) == n) {
        for (size_t i = 0; i < n; i++)
          o[i] = g[i] * y->data[i] * (1.0f - y->data[i]);
      } else {
        for (size_t i = 0; i < n; i++) {
          float v = gc_sigmoidf (x->data[i]);
          o[i] = g[i] * v * (1.0f - v);
        }
      }
      break;
    case GC_ACT_NONE:
    default:
      if (o != g)
        memmove (o, g, n * sizeof (float));
      break;
  }
  return 0;
}

int
gc_act_backward (gc_act_type t, float slope, const gc_tensor *x,
    const gc_tensor *y, const gc_tensor *dy, gc_tensor *dx)
{
  return act_derivative_mul (t, slope, x, y, dy, dx);
}

int
gc_act_jvp (gc_act_type t, float slope, const gc_tensor *x,
    const gc_tensor *dx, gc_tensor *dy)
{
  /* The tangent of an elementwise map is f'(x) dx: the same product as the
   * backward pass (for tanh/sigmoid it is the exact linearisation too). */
  return act_derivative_mul (t, slope, x, NULL, dx, dy);
}

/* ---- PReLU ---------------------------------------------------------------- */

int
gc_prelu_init (gc_prelu *l, const char *name, int channels, float init)
{
  char pname[GC_MAX_NAME];
  memset (l, 0, sizeof *l);
  if (channels <= 0) {
    gc_set_error ("prelu %s: %d channels", name, channels);
    return -1;
  }
  l->channels = channels;
  snprintf (pname, sizeof pname, "%s.weight", name);
  if (gc_param_init (&l->slope, pname, 1, &channels) < 0)
    return -1;
  gc_init_const (&l->slope, init);
  return 0;
}

void
gc_prelu_free (gc_prelu *l)
{
  gc_param_free (&l->slope);
}

void
gc_prelu_params (gc_prelu *l, gc_param_list *pl)
{
  gc_param_list_add (pl, &l->slope);
}

/* Slope index of channel c: one shared slope or one per channel. */
static inline int
prelu_index (const gc_prelu *l, const gc_tensor *x, int c)
{
  return l->channels == 1 ? 0 : c;
}

/* 0 or -1 (reported) */
static int
prelu_check_input (const gc_prelu *l, const gc_tensor *x)
{
  GC_CHECK_SHAPE (x && x->data && l->slope.w,
      "prelu: no input, or a layer with no slopes");
  GC_CHECK_SHAPE (l->channels == 1 || x->c == l->channels,
      "prelu: %d channels in, %d slopes", x->c, l->channels);
  return 0;
}

int
gc_prelu_forward (gc_prelu *l, const gc_tensor *x, gc_tensor *y)
{
  if (prelu_check_input (l, x) < 0)
    return -1;
  GC_CHECK_SHAPE (y != NULL, "prelu: no output");
  if (y != x && gc_tensor_resize (y, x->n, x->c, x->h, x->w) < 0)
    return -1;
  size_t plane = (size_t) x->h * x->w;
  for (int n = 0; n < x->n; n++)
    for (int c = 0; c < x->c; c++) {
      float a = l->slope.w[prelu_index (l, x, c)];
      const float *src = x->data + ((size_t) n * x->c + c) * plane;
      float *dst = y->data + ((size_t) n * x->c + c) * plane;
      for (size_t i = 0; i < plane; i++)
        dst[i] = src[i] > 0.0f ? src[i] : a * src[i];
    }
  return 0;
}

int
gc_prelu_backward (gc_prelu *l, const gc_tensor *x, const gc_tensor *dy,
    gc_tensor *dx)
{
  if (prelu_check_input (l, x) < 0)
    return -1;
  GC_CHECK_SHAPE (dy && dy->data && gc_tensor_size (dy) == gc_tensor_size (x),
      "prelu backward: dy does not match the input");
  if (dx && dx != dy && gc_tensor_resize (dx, x->n, x->c, x->h, x->w) < 0)
    return -1;
  size_t plane = (size_t) x->h * x->w;
  for (int n = 0; n < x->n; n++)
    for (int c = 0; c < x->c; c++) {
      int si = prelu_index (l, x, c);
      float a = l->slope.w[si];
      size_t off = ((size_t) n * x->c + c) * plane;
      const float *xs = x->data + off, *g = dy->data + off;
      double ga = 0.0;
      for (size_t i = 0; i < plane; i++)
        if (xs[i] <= 0.0f)
          ga += (double) g[i] * xs[i];
      if (l->slope.g)
        l->slope.g[si] += (float) ga;
      if (dx) {
        float *o = dx->data + off;
        for (size_t i = 0; i < plane; i++)
          o[i] = xs[i] > 0.0f ? g[i] : a * g[i];
      }
    }
  return 0;
}
