/* libgancore — fully connected layer: y = x W^T + b. */
#include "gc_layers.h"
#include "gc_check.h"

#include <stdio.h>
#include <string.h>

int
gc_dense_init (gc_dense *l, const char *name, int in, int out, gc_rng *r)
{
  char pname[GC_MAX_NAME];
  memset (l, 0, sizeof *l);
  if (in <= 0 || out <= 0) {
    gc_set_error ("dense %s: bad size %d -> %d", name, in, out);
    return -1;
  }
  l->in = in;
  l->out = out;
  int wshape[2] = { out, in };
  snprintf (pname, sizeof pname, "%s.weight", name);
  if (gc_param_init (&l->weight, pname, 2, wshape) < 0)
    return -1;
  snprintf (pname, sizeof pname, "%s.bias", name);
  if (gc_param_init (&l->bias, pname, 1, &out) < 0) {
    gc_param_free (&l->weight);
    return -1;
  }
  if (r)
    gc_init_kaiming (&l->weight, in, 0.0f, r);
  return 0;
}

void
gc_dense_free (gc_dense *l)
{
  gc_param_free (&l->weight);
  gc_param_free (&l->bias);
}

void
gc_dense_params (gc_dense *l, gc_param_list *pl)
{
  gc_param_list_add (pl, &l->weight);
  gc_param_list_add (pl, &l->bias);
}

/* Any (N, C, H, W) input with C*H*W == in is accepted as N rows. */
static int
dense_rows (const gc_dense *l, const gc_tensor *x)
{
  GC_CHECK_SHAPE (x && x->data && l->weight.w && x->n > 0,
      "dense: no input, or a layer with no weights");
  GC_CHECK_SHAPE (gc_tensor_size (x) == (size_t) x->n * l->in,
      "dense: input %dx%dx%dx%d does not have %d features",
      x->n, x->c, x->h, x->w, l->in);
  return x->n;
}

int
gc_dense_forward (gc_dense *l, const gc_tensor *x, gc_tensor *y)
{
  int n = dense_rows (l, x);
  if (n < 0)
    return -1;
  GC_CHECK_SHAPE (y && y != x, "dense: output missing or aliasing the input");
  if (gc_tensor_resize (y, n, l->out, 1, 1) < 0)
    return -1;
  for (int i = 0; i < n; i++)
    memcpy (y->data + (size_t) i * l->out, l->bias.w,
        l->out * sizeof (float));
  gc_sgemm (0, 1, n, l->out, l->in, 1.0f, x->data, l->in, l->weight.w, l->in,
      1.0f, y->data, l->out);
  return 0;
}

/* dx aliasing dy or x is skipped like a NULL dx: the parameter gradients
 * are still accumulated. */
int
gc_dense_backward (gc_dense *l, const gc_tensor *x, const gc_tensor *dy,
    gc_tensor *dx)
{
  int n = dense_rows (l, x);
  if (n < 0)
    return -1;
  GC_CHECK_SHAPE (dy && dy->data && gc_tensor_size (dy) == (size_t) n * l->out,
      "dense backward: dy does not match the forward's output");
  if (l->weight.g)
    gc_sgemm (1, 0, l->out, l->in, n, 1.0f, dy->data, l->out, x->data,
        l->in, 1.0f, l->weight.g, l->in);
  if (l->bias.g)
    for (int i = 0; i < n; i++) {
      const float *g = dy->data + (size_t) i * l->out;
      for (int o = 0; o < l->out; o++)
        l->bias.g[o] += g[o];
    }
  if (dx && dx != dy && dx != x) {
    if (gc_tensor_resize (dx, x->n, x->c, x->h, x->w) < 0)
      return -1;
    gc_sgemm (0, 0, n, l->in, l->out, 1.0f, dy->data, l->out, l->weight.w,
        l->in, 0.0f, dx->data, l->in);
  }
  return 0;
}

int
gc_dense_jvp (gc_dense *l, const gc_tensor *dx, gc_tensor *dy)
{
  int n = dense_rows (l, dx);
  if (n < 0)
    return -1;
  GC_CHECK_SHAPE (dy && dy != dx, "dense jvp: output missing or aliasing the "
      "input");
  if (gc_tensor_resize (dy, n, l->out, 1, 1) < 0)
    return -1;
  gc_sgemm (0, 1, n, l->out, l->in, 1.0f, dx->data, l->in, l->weight.w,
      l->in, 0.0f, dy->data, l->out);
  return 0;
}
