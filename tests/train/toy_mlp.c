/* Small MLP with exact gradient-penalty parameter gradients (toy_mlp.h). */
#include "toy_mlp.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int
toy_mlp_init (toy_mlp *m, const char *name, const int *dims, int nl,
    gc_act_type act, float slope, gc_rng *r)
{
  char lname[GC_MAX_NAME];
  gc_tensor z = GC_TENSOR_INIT;
  memset (m, 0, sizeof *m);
  if (nl < 1 || nl > TOY_MLP_MAX)
    return -1;
  m->nl = nl;
  m->act = act;
  m->slope = slope;
  for (int i = 0; i <= TOY_MLP_MAX; i++)
    m->h[i] = m->t[i] = z;
  for (int i = 0; i < TOY_MLP_MAX; i++)
    m->a[i] = m->ta[i] = z;
  m->d0 = m->d1 = z;
  for (int l = 0; l < nl; l++) {
    snprintf (lname, sizeof lname, "%s.%d", name, l);
    if (gc_dense_init (&m->layer[l], lname, dims[l], dims[l + 1], r) < 0)
      return -1;
    if (r)
      gc_init_kaiming (&m->layer[l].weight, dims[l],
          act == GC_ACT_LEAKY_RELU ? slope : 0.0f, r);
  }
  return 0;
}

void
toy_mlp_free (toy_mlp *m)
{
  for (int l = 0; l < m->nl; l++)
    gc_dense_free (&m->layer[l]);
  for (int i = 0; i <= TOY_MLP_MAX; i++) {
    gc_tensor_free (&m->h[i]);
    gc_tensor_free (&m->t[i]);
  }
  for (int i = 0; i < TOY_MLP_MAX; i++) {
    gc_tensor_free (&m->a[i]);
    gc_tensor_free (&m->ta[i]);
  }
  gc_tensor_free (&m->d0);
  gc_tensor_free (&m->d1);
}

void
toy_mlp_params (toy_mlp *m, gc_param_list *pl)
{
  for (int l = 0; l < m->nl; l++)
    gc_dense_params (&m->layer[l], pl);
}

const gc_tensor *
toy_mlp_forward (toy_mlp *m, const gc_tensor *x)
{
  gc_tensor_copy (&m->h[0], x);
  for (int l = 0; l < m->nl; l++) {
    gc_dense_forward (&m->layer[l], &m->h[l], &m->a[l]);
    if (l < m->nl - 1)
      gc_act_forward (m->act, m->slope, &m->a[l], &m->h[l + 1]);
    else
      gc_tensor_copy (&m->h[l + 1], &m->a[l]);
  }
  return &m->h[m->nl];
}

/* Backward through the layers on the activations `in` (h or t), from the
 * output gradient dy; the masks always come from the primal pre-
 * activations. with_params=0 skips parameter gradients, with_bias=0 only
 * the bias ones. */
static void
mlp_backward_on (toy_mlp *m, gc_tensor *in, const gc_tensor *dy,
    gc_tensor *dx, int with_params, int with_bias)
{
  gc_tensor *cur = &m->d0, *next = &m->d1;
  gc_tensor_copy (cur, dy);
  for (int l = m->nl - 1; l >= 0; l--) {
    gc_dense *d = &m->layer[l];
    float *wg = d->weight.g, *bg = d->bias.g;
    /* a NULL gradient buffer makes the layer skip that accumulation */
    if (!with_params)
      d->weight.g = NULL;
    if (!with_params || !with_bias)
      d->bias.g = NULL;
    int want_dx = l > 0 || dx;
    gc_dense_backward (d, &in[l], cur, want_dx ? next : NULL);
    d->weight.g = wg;
    d->bias.g = bg;
    if (!want_dx)
      break;
    if (l > 0)
      gc_act_backward (m->act, m->slope, &m->a[l - 1], NULL, next, next);
    gc_tensor *tmp = cur;
    cur = next;
    next = tmp;
  }
  if (dx)
    gc_tensor_copy (dx, cur);
}

void
toy_mlp_backward (toy_mlp *m, const gc_tensor *dy, gc_tensor *dx)
{
  mlp_backward_on (m, m->h, dy, dx, 1, 1);
}

void
toy_mlp_input_grad (toy_mlp *m, const gc_tensor *x, gc_tensor *g)
{
  const gc_tensor *y = toy_mlp_forward (m, x);
  gc_tensor ones = GC_TENSOR_INIT;
  gc_tensor_resize (&ones, y->n, y->c, y->h, y->w);
  for (size_t i = 0; i < gc_tensor_size (&ones); i++)
    ones.data[i] = 1.0f;
  mlp_backward_on (m, m->h, &ones, g, 0, 0);
  gc_tensor_free (&ones);
}

void
toy_mlp_penalty_backward (toy_mlp *m, const gc_tensor *u, float scale)
{
  /* tangent forward along u: t[l+1] = mask(a[l]) (W_l t[l]), no bias */
  gc_tensor_copy (&m->t[0], u);
  for (int l = 0; l < m->nl; l++) {
    gc_dense_jvp (&m->layer[l], &m->t[l], &m->ta[l]);
    if (l < m->nl - 1)
      gc_act_jvp (m->act, m->slope, &m->a[l], &m->ta[l], &m->t[l + 1]);
    else
      gc_tensor_copy (&m->t[l + 1], &m->ta[l]);
  }
  /* S = Σ_i t_out_i: backward of the tangent network with dS/dt_out = 1 */
  gc_tensor dy = GC_TENSOR_INIT;
  const gc_tensor *out = &m->t[m->nl];
  gc_tensor_resize (&dy, out->n, out->c, out->h, out->w);
  for (size_t i = 0; i < gc_tensor_size (&dy); i++)
    dy.data[i] = scale;
  mlp_backward_on (m, m->t, &dy, NULL, 1, 0);
  gc_tensor_free (&dy);
}
