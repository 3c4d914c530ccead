/* PatchGAN discriminator: strided convolutions, LeakyReLU, spectral norm. */
#include "gcn_patchgan.h"

#include <stdio.h>
#include <string.h>

int
gcn_patchgan_init (gcn_patchgan *d, int in_ch, int width, int depth,
    gc_rng *r)
{
  memset (d, 0, sizeof (*d));
  if (in_ch < 1 || width < 1 || width > 256 || depth < 1
      || depth > GCN_PATCHGAN_MAX_DEPTH) {
    gc_set_error ("patchgan: bad shape in=%d width=%d depth=%d", in_ch, width,
        depth);
    return -1;
  }
  d->in_ch = in_ch;
  d->width = width;
  d->depth = depth;
  d->slope = 0.2f;
  char name[GC_MAX_NAME];
  int cin = in_ch;
  for (int i = 0; i <= depth; i++) {
    int last = i == depth;
    int cout = last ? 1 : width << (i < 3 ? i : 3);
    snprintf (name, sizeof (name), "disc.conv%d", i);
    if (gc_conv2d_init (&d->conv[i], name, cin, cout, last ? 3 : 4,
            last ? 1 : 2, 1, 1, 1, 1, r) < 0
        || gc_specnorm_init (&d->sn[i], &d->conv[i].weight, r) < 0) {
      gcn_patchgan_free (d);
      return -1;
    }
    gc_init_kaiming (&d->conv[i].weight, cin * (last ? 9 : 16), d->slope, r);
    gc_init_const (&d->conv[i].bias, 0.f);
    gc_conv2d_params (&d->conv[i], &d->params);
    cin = cout;
  }
  return 0;
}

void
gcn_patchgan_free (gcn_patchgan *d)
{
  for (int i = 0; i <= GCN_PATCHGAN_MAX_DEPTH; i++) {
    gc_conv2d_free (&d->conv[i]);
    gc_specnorm_free (&d->sn[i]);
  }
  gc_param_list_free (&d->params);
  memset (d, 0, sizeof (*d));
}

void
gcn_patchgan_acts_free (gcn_patchgan_acts *c)
{
  for (int i = 0; i < GCN_PATCHGAN_MAX_DEPTH; i++) {
    gc_tensor_free (&c->z[i]);
    gc_tensor_free (&c->a[i]);
  }
  gc_tensor_free (&c->d0);
  gc_tensor_free (&c->d1);
}

void
gcn_patchgan_sn_begin (gcn_patchgan *d, int update_u)
{
  if (d->sn_active)
    return;
  for (int i = 0; i <= d->depth; i++)
    gc_specnorm_apply (&d->sn[i], &d->conv[i].weight, update_u);
  d->sn_active = 1;
}

void
gcn_patchgan_sn_end (gcn_patchgan *d)
{
  if (!d->sn_active)
    return;
  for (int i = 0; i <= d->depth; i++)
    gc_specnorm_restore (&d->sn[i], &d->conv[i].weight);
  d->sn_active = 0;
}

int
gcn_patchgan_forward (gcn_patchgan *d, const gc_tensor *x, gc_tensor *logits,
    gcn_patchgan_acts *c)
{
  const gc_tensor *in = x;
  for (int i = 0; i < d->depth; i++) {
    if (gc_conv2d_forward (&d->conv[i], in, &c->z[i]) < 0
        || gc_act_forward (GC_ACT_LEAKY_RELU, d->slope, &c->z[i],
            &c->a[i]) < 0)
      return -1;
    in = &c->a[i];
  }
  return gc_conv2d_forward (&d->conv[d->depth], in, logits);
}

int
gcn_patchgan_backward (gcn_patchgan *d, const gc_tensor *x,
    gcn_patchgan_acts *c, const gc_tensor *logits, const gc_tensor *dlogits,
    gc_tensor *dx)
{
  (void) logits;
  gc_tensor *g = &c->d0, *t = &c->d1;
  if (gc_conv2d_backward (&d->conv[d->depth], &c->a[d->depth - 1], dlogits,
          g) < 0)
    return -1;
  for (int i = d->depth - 1; i >= 0; i--) {
    if (gc_act_backward (GC_ACT_LEAKY_RELU, d->slope, &c->z[i], &c->a[i], g,
            g) < 0)
      return -1;
    const gc_tensor *in = i ? &c->a[i - 1] : x;
    if (i == 0)
      return gc_conv2d_backward (&d->conv[0], in, g, dx);
    if (gc_conv2d_backward (&d->conv[i], in, g, t) < 0)
      return -1;
    gc_tensor *s = g;
    g = t;
    t = s;
  }
  return 0;
}
