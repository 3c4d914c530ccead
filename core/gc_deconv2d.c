/* libgancore — transposed 2-D convolution.
 *
 * A transposed convolution is the adjoint of the convolution with the same
 * kernel, stride, padding and dilation whose input is our output. So rather
 * than a second set of kernels we view the layer as that convolution (cin
 * and cout swapped; the [Cin][Cout/g][KH][KW] weight is then exactly its
 * [Cout'][Cin'/g][KH][KW] weight) and use:
 *   forward      = the convolution's input gradient (GEMM + col2im),
 *   input grad   = the convolution's forward,
 *   weight grad  = the convolution's weight gradient with the roles of
 *                  input and output gradient exchanged. */
#include "gc_layers.h"
#include "gc_conv2d_internal.h"   /* the convolution's own kernels */
#include "gc_check.h"

#include <stdio.h>
#include <string.h>

static int
check_layer (const gc_deconv2d *l)
{
  GC_CHECK_SHAPE (l && l->weight.w && l->groups >= 1 && l->cin >= 1
      && l->cout >= 1 && l->cin % l->groups == 0 && l->cout % l->groups == 0
      && l->stride >= 1 && l->dilation >= 1 && l->pad >= 0 && l->kh >= 1
      && l->kw >= 1 && l->output_pad >= 0 && l->output_pad < l->stride,
      "deconv2d: layer is not initialised");
  return 0;
}

static void
out_size (const gc_deconv2d *l, int h, int w, int *oh, int *ow)
{
  *oh = (h - 1) * l->stride - 2 * l->pad + l->dilation * (l->kh - 1)
      + l->output_pad + 1;
  *ow = (w - 1) * l->stride - 2 * l->pad + l->dilation * (l->kw - 1)
      + l->output_pad + 1;
}

static int
check_input (const gc_deconv2d *l, const gc_tensor *x, int *oh, int *ow)
{
  if (check_layer (l) < 0)
    return -1;
  GC_CHECK_SHAPE (x && x->data && x->c == l->cin,
      "deconv2d %s: input has %d channels, layer expects %d",
      l->weight.name, x ? x->c : 0, l->cin);
  out_size (l, x->h, x->w, oh, ow);
  GC_CHECK_SHAPE (*oh >= 1 && *ow >= 1,
      "deconv2d %s: input %dx%d gives an empty output",
      l->weight.name, x->h, x->w);
  return 0;
}

/* The convolution this layer is the transpose of; shares our weight. */
static void
conv_view (const gc_deconv2d *l, gc_conv2d *c)
{
  memset (c, 0, sizeof *c);
  c->cin = l->cout;
  c->cout = l->cin;
  c->kh = l->kh;
  c->kw = l->kw;
  c->stride = l->stride;
  c->pad = l->pad;
  c->dilation = l->dilation;
  c->groups = l->groups;
  c->has_bias = 0;
  c->weight = l->weight;
}

static void
add_bias (const gc_deconv2d *l, gc_tensor *y)
{
  if (!l->has_bias || !l->bias.w)
    return;
  size_t P = (size_t) y->h * y->w;
  for (int n = 0; n < y->n; n++)
    for (int c = 0; c < y->c; c++) {
      float *p = y->data + ((size_t) n * y->c + c) * P;
      float b = l->bias.w[c];
      for (size_t j = 0; j < P; j++)
        p[j] += b;
    }
}

int
gc_deconv2d_forward (gc_deconv2d *l, const gc_tensor *x, gc_tensor *y)
{
  int oh, ow;
  if (check_input (l, x, &oh, &ow) < 0)
    return -1;
  gc_conv2d c;
  conv_view (l, &c);
  if (gc_conv2d_grad_input_ (&c, x, oh, ow, y) < 0)
    return -1;
  add_bias (l, y);
  return 0;
}

int
gc_deconv2d_backward (gc_deconv2d *l, const gc_tensor *x, const gc_tensor *dy,
    gc_tensor *dx)
{
  int oh, ow;
  if (check_input (l, x, &oh, &ow) < 0)
    return -1;
  GC_CHECK_SHAPE (dy && dy->data && dy->n == x->n && dy->c == l->cout
      && dy->h == oh && dy->w == ow,
      "deconv2d %s backward: dy does not match the forward", l->weight.name);
  if (l->has_bias && l->bias.g) {
    size_t P = (size_t) oh * ow;
    for (int n = 0; n < dy->n; n++)
      for (int c = 0; c < l->cout; c++)
        l->bias.g[c] += (float) gc_conv2d_sum_ (dy->data
            + ((size_t) n * l->cout + c) * P, P);
  }
  gc_conv2d c;
  conv_view (l, &c);
  if (l->weight.g && gc_conv2d_grad_weight_ (&c, dy, x) < 0)
    return -1;
  if (dx)                       /* the convolution without bias */
    return gc_conv2d_jvp (&c, dy, dx);
  return 0;
}

int
gc_deconv2d_forward_ref (gc_deconv2d *l, const gc_tensor *x, gc_tensor *y)
{
  int oh, ow;
  if (check_input (l, x, &oh, &ow) < 0)
    return -1;
  GC_CHECK_SHAPE (y && y != x && y->data != x->data,
      "deconv2d forward_ref: output missing or aliasing the input");
  if (gc_tensor_resize (y, x->n, l->cout, oh, ow) < 0)
    return -1;
  int cg = l->cin / l->groups, og = l->cout / l->groups;
  for (int n = 0; n < x->n; n++)
    for (int co = 0; co < l->cout; co++) {
      float b = l->has_bias && l->bias.w ? l->bias.w[co] : 0.0f;
      for (int j = 0; j < oh * ow; j++)
        y->data[((size_t) n * l->cout + co) * oh * ow + j] = b;
    }
  /* scatter: every input pixel adds its kernel-weighted copy */
  for (int n = 0; n < x->n; n++)
    for (int ci = 0; ci < l->cin; ci++) {
      int grp = ci / cg;
      for (int iy = 0; iy < x->h; iy++)
        for (int ix = 0; ix < x->w; ix++) {
          float xv = x->data[(((size_t) n * l->cin + ci) * x->h + iy) * x->w
              + ix];
          for (int o = 0; o < og; o++)
            for (int ky = 0; ky < l->kh; ky++)
              for (int kx = 0; kx < l->kw; kx++) {
                int oy = iy * l->stride - l->pad + ky * l->dilation;
                int ox = ix * l->stride - l->pad + kx * l->dilation;
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow)
                  continue;
                float wv = l->weight.w[(((size_t) ci * og + o) * l->kh + ky)
                    * l->kw + kx];
                y->data[(((size_t) n * l->cout + grp * og + o) * oh + oy)
                    * ow + ox] += xv * wv;
              }
        }
    }
  return 0;
}

int
gc_deconv2d_init (gc_deconv2d *l, const char *name, int cin, int cout, int k,
    int stride, int pad, int output_pad, int groups, int has_bias, gc_rng *r)
{
  memset (l, 0, sizeof *l);
  if (cin < 1 || cout < 1 || k < 1 || stride < 1 || pad < 0 || groups < 1
      || cin % groups || cout % groups || output_pad < 0
      || output_pad >= stride) {
    gc_set_error ("deconv2d %s: bad configuration cin %d cout %d k %d "
        "stride %d pad %d output_pad %d groups %d", name, cin, cout, k, stride,
        pad, output_pad, groups);
    return -1;
  }
  l->cin = cin;
  l->cout = cout;
  l->kh = l->kw = k;
  l->stride = stride;
  l->pad = pad;
  l->output_pad = output_pad;
  l->dilation = 1;
  l->groups = groups;
  l->has_bias = has_bias ? 1 : 0;

  char pname[GC_MAX_NAME];
  int wshape[4] = { cin, cout / groups, k, k };
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
  /* each output pixel sums about (cin/groups) (k/stride)^2 inputs */
  if (r) {
    int fan = cin / groups * k * k / (stride * stride);
    gc_init_kaiming (&l->weight, fan > 0 ? fan : 1, 0.2f, r);
  }
  return 0;
}

void
gc_deconv2d_free (gc_deconv2d *l)
{
  gc_param_free (&l->weight);
  gc_param_free (&l->bias);
}

void
gc_deconv2d_params (gc_deconv2d *l, gc_param_list *pl)
{
  gc_param_list_add (pl, &l->weight);
  if (l->has_bias)
    gc_param_list_add (pl, &l->bias);
}
