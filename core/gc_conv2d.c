/* libgancore — 2-D convolution: forward, backward, JVP, batch-norm folding.
 *
 * Four kernels, chosen by shape:
 *  - pointwise (1x1, stride 1, no padding): the input already is the column
 *    matrix, so one GEMM per group and no copy;
 *  - few outputs per group (depthwise, RGB output layers, PatchGAN logits)
 *    at stride 1: "plane" kernels that add shifted copies of a zero-padded
 *    band, register-blocked, because the GEMM would be a thin M = og
 *    product fed by an im2col costing more than the arithmetic;
 *  - the same shapes at stride > 1: plain row loops;
 *  - everything else: im2col of a band of output rows + gc_sgemm. Bands keep
 *    the column buffer cache-sized instead of (Cin*9) x (H*W) floats, and
 *    (image, band) pairs are the unit of work spread over the pool.
 * gc_deconv2d.c reuses the input and weight gradients (the transposed
 * convolution is their adjoint), through gc_conv2d_grad_input_ and
 * gc_conv2d_grad_weight_.
 *
 * One job per file (shared internals in gc_conv2d_internal.h):
 *   gc_conv2d.c              public passes, life cycle, batch-norm folding
 *   gc_conv2d_geom.c         output size, kernel choice, bands, shape checks
 *   gc_conv2d_im2col.c       im2col / col2im of a band
 *   gc_conv2d_forward.c      forward: GEMM and direct paths, dispatch
 *   gc_conv2d_plane.c        plane kernels: forward and both gradients
 *   gc_conv2d_grad_input.c   input gradient
 *   gc_conv2d_grad_weight.c  weight gradient
 *   gc_conv2d_ref.c          naive reference forward */
#include "gc_conv2d_internal.h"
#include "gc_check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Sum of n floats, in 16 independent lanes so it vectorises (a single
 * accumulator is a chain of dependent adds); blocks are added in double.
 * Also used by gc_deconv2d.c for bias gradients. */
double
gc_conv2d_sum_ (const float *p, size_t n)
{
  double total = 0.0;
  for (size_t i = 0; i < n; i += 4096) {
    size_t m = n - i < 4096 ? n - i : 4096;
    float acc[16] = { 0 };
    size_t j = 0;
    for (; j + 16 <= m; j += 16)
      for (int k = 0; k < 16; k++)
        acc[k] += p[i + j + k];
    float s = 0.0f;
    for (; j < m; j++)
      s += p[i + j];
    for (int k = 0; k < 16; k++)
      s += acc[k];
    total += s;
  }
  return total;
}

int
gc_conv2d_forward (gc_conv2d *l, const gc_tensor *x, gc_tensor *y)
{
  return gc_conv2d_conv_forward_ (l, x, y, 1);
}

int
gc_conv2d_jvp (gc_conv2d *l, const gc_tensor *dx, gc_tensor *dy)
{
  /* linear in x: the tangent is the convolution without bias */
  return gc_conv2d_conv_forward_ (l, dx, dy, 0);
}

int
gc_conv2d_backward (gc_conv2d *l, const gc_tensor *x, const gc_tensor *dy,
    gc_tensor *dx)
{
  if (gc_conv2d_check_input_ (l, x, "backward") < 0
      || gc_conv2d_check_grad_shapes_ (l, dy, x->n, x->h, x->w) < 0)
    return -1;
  if (l->has_bias && l->bias.g) {
    size_t P = (size_t) dy->h * dy->w;
    for (int n = 0; n < dy->n; n++)
      for (int co = 0; co < l->cout; co++)
        l->bias.g[co] += (float) gc_conv2d_sum_ (dy->data
            + ((size_t) n * l->cout + co) * P, P);
  }
  if (gc_conv2d_grad_weight_ (l, x, dy) < 0)
    return -1;
  if (dx)
    return gc_conv2d_grad_input_ (l, dy, x->h, x->w, dx);
  return 0;
}

/* ---- life cycle --------------------------------------------------------- */

int
gc_conv2d_init (gc_conv2d *l, const char *name, int cin, int cout, int k,
    int stride, int pad, int dilation, int groups, int has_bias, gc_rng *r)
{
  memset (l, 0, sizeof *l);
  if (cin < 1 || cout < 1 || k < 1 || stride < 1 || pad < 0 || dilation < 1
      || groups < 1 || cin % groups || cout % groups) {
    gc_set_error ("conv2d %s: bad configuration cin %d cout %d k %d "
        "stride %d pad %d dilation %d groups %d", name, cin, cout, k, stride,
        pad, dilation, groups);
    return -1;
  }
  l->cin = cin;
  l->cout = cout;
  l->kh = l->kw = k;
  l->stride = stride;
  l->pad = pad;
  l->dilation = dilation;
  l->groups = groups;
  l->has_bias = has_bias ? 1 : 0;

  char pname[GC_MAX_NAME];
  int wshape[4] = { cout, cin / groups, k, k };
  snprintf (pname, sizeof pname, "%s.weight", name);
  if (gc_param_init (&l->weight, pname, 4, wshape) < 0)
    return -1;
  if (l->has_bias) {
    snprintf (pname, sizeof pname, "%s.bias", name);
    if (gc_param_init (&l->bias, pname, 1, &cout) < 0) {
      gc_param_free (&l->weight);
      return -1;
    }
  }
  /* GAN nets here mostly use LeakyReLU(0.2) between convolutions */
  if (r)
    gc_init_kaiming (&l->weight, cin / groups * k * k, 0.2f, r);
  return 0;
}

void
gc_conv2d_free (gc_conv2d *l)
{
  gc_param_free (&l->weight);
  gc_param_free (&l->bias);
}

void
gc_conv2d_params (gc_conv2d *l, gc_param_list *pl)
{
  gc_param_list_add (pl, &l->weight);
  if (l->has_bias)
    gc_param_list_add (pl, &l->bias);
}

int
gc_conv2d_fold_bn (gc_conv2d *l, const struct gc_batchnorm *bn)
{
  if (gc_conv2d_check_layer_ (l) < 0)
    return -1;
  GC_CHECK_SHAPE (bn && bn->channels == l->cout && bn->gamma.w
      && bn->running_var.w,
      "conv2d %s: batch norm to fold has the wrong channel count",
      l->weight.name);
  if (!l->has_bias || !l->bias.w) {
    char pname[GC_MAX_NAME];
    snprintf (pname, sizeof pname, "%.*s.bias",
        (int) (strlen (l->weight.name) > 7 ? strlen (l->weight.name) - 7 : 0),
        l->weight.name);
    if (gc_param_init (&l->bias, pname, 1, &l->cout) < 0)
      return -1;
    l->has_bias = 1;
  }
  size_t per = l->weight.n / l->cout;
  for (int co = 0; co < l->cout; co++) {
    float scale = bn->gamma.w[co] / sqrtf (bn->running_var.w[co] + bn->eps);
    for (size_t k = 0; k < per; k++)
      l->weight.w[co * per + k] *= scale;
    l->bias.w[co] = (l->bias.w[co] - bn->running_mean.w[co]) * scale
        + bn->beta.w[co];
  }
  return 0;
}
