/* gcn_style_disc — multi-scale style-conditioned PatchGAN (see header). */
#include "gcn_style_disc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
gcn_style_disc_config_default (gcn_style_disc_config *cfg)
{
  cfg->styles = 8;
  cfg->scales = 3;
  cfg->ch = 32;
  cfg->slope = 0.2f;
}

int
gcn_style_disc_init (gcn_style_disc *d, const gcn_style_disc_config *cfg,
    gc_rng *r)
{
  memset (d, 0, sizeof *d);
  if (cfg->styles < 1 || cfg->scales < 1
      || cfg->scales > GCN_STYLE_DISC_MAX_SCALES || cfg->ch < 1) {
    gc_set_error ("style critic: bad configuration");
    return -1;
  }
  d->cfg = *cfg;
  int ch = cfg->ch;
  int cin[GCN_STYLE_DISC_LAYERS] = { 3, ch, 2 * ch, 2 * ch };
  int cout[GCN_STYLE_DISC_LAYERS] = { ch, 2 * ch, 2 * ch, cfg->styles };
  int stride[GCN_STYLE_DISC_LAYERS] = { 2, 2, 1, 1 };
  for (int s = 0; s < cfg->scales; s++)
    for (int l = 0; l < GCN_STYLE_DISC_LAYERS; l++) {
      char name[GC_MAX_NAME];
      snprintf (name, sizeof name, "d%d_conv%d", s, l);
      if (gc_conv2d_init (&d->conv[s][l], name, cin[l], cout[l], 3,
              stride[l], 1, 1, 1, 1, r) < 0
          || gc_specnorm_init (&d->sn[s][l], &d->conv[s][l].weight, r) < 0) {
        gcn_style_disc_free (d);
        return -1;
      }
      gc_conv2d_params (&d->conv[s][l], &d->params);
    }
  return 0;
}

void
gcn_style_disc_free (gcn_style_disc *d)
{
  for (int s = 0; s < GCN_STYLE_DISC_MAX_SCALES; s++)
    for (int l = 0; l < GCN_STYLE_DISC_LAYERS; l++) {
      if (s < d->cfg.scales) {
        gc_specnorm_free (&d->sn[s][l]);
        gc_conv2d_free (&d->conv[s][l]);
      }
    }
  gc_param_list_free (&d->params);
  memset (d, 0, sizeof *d);
}

void
gcn_style_disc_sn_begin (gcn_style_disc *d, int update_u)
{
  for (int s = 0; s < d->cfg.scales; s++)
    for (int l = 0; l < GCN_STYLE_DISC_LAYERS; l++)
      gc_specnorm_apply (&d->sn[s][l], &d->conv[s][l].weight, update_u);
}

void
gcn_style_disc_sn_end (gcn_style_disc *d)
{
  for (int s = 0; s < d->cfg.scales; s++)
    for (int l = 0; l < GCN_STYLE_DISC_LAYERS; l++)
      gc_specnorm_restore (&d->sn[s][l], &d->conv[s][l].weight);
}

void
gcn_style_disc_acts_free (gcn_style_disc_acts *a)
{
  for (int s = 0; s < GCN_STYLE_DISC_MAX_SCALES; s++) {
    gc_tensor_free (&a->in[s]);
    gc_tensor_free (&a->out[s]);
    gc_tensor_free (&a->gs[s]);
    for (int l = 0; l < GCN_STYLE_DISC_LAYERS; l++) {
      gc_tensor_free (&a->z[s][l]);
      gc_tensor_free (&a->a[s][l]);
    }
  }
  gc_tensor_free (&a->g0);
  gc_tensor_free (&a->g1);
  gc_tensor_free (&a->gp);
  free (a->cls);
  memset (a, 0, sizeof *a);
}

static int
leaky (const gc_tensor *z, gc_tensor *a, float slope)
{
  if (gc_tensor_resize (a, z->n, z->c, z->h, z->w) < 0)
    return -1;
  size_t n = gc_tensor_size (z);
  for (size_t i = 0; i < n; i++)
    a->data[i] = z->data[i] > 0.f ? z->data[i] : slope * z->data[i];
  return 0;
}

static void
leaky_mask (const gc_tensor *z, gc_tensor *g, float slope)
{
  size_t n = gc_tensor_size (g);
  for (size_t i = 0; i < n; i++)
    if (!(z->data[i] > 0.f))
      g->data[i] *= slope;
}

int
gcn_style_disc_forward (gcn_style_disc *d, const gc_tensor *x, const int *cls,
    gcn_style_disc_acts *a)
{
  int S = d->cfg.scales, L = GCN_STYLE_DISC_LAYERS;

  if (x->c != 3 || x->h < (8 << S) / 2 || x->w < (8 << S) / 2) {
    gc_set_error ("style critic: input (%d, %d, %d, %d) too small",
        x->n, x->c, x->h, x->w);
    return -1;
  }
  for (int i = 0; i < x->n; i++)
    if (!cls || cls[i] < 0 || cls[i] >= d->cfg.styles) {
      gc_set_error ("style critic: bad style index");
      return -1;
    }
  if (a->cls_cap < x->n) {
    int *c = realloc (a->cls, x->n * sizeof *c);
    if (!c) {
      gc_set_error ("out of memory");
      return -1;
    }
    a->cls = c;
    a->cls_cap = x->n;
  }
  memcpy (a->cls, cls, x->n * sizeof *cls);
  if (gc_tensor_copy (&a->in[0], x) < 0)
    return -1;
  for (int s = 1; s < S; s++)
    if (gc_avgpool2_forward (&a->in[s - 1], &a->in[s]) < 0)
      return -1;

  for (int s = 0; s < S; s++) {
    const gc_tensor *h = &a->in[s];
    for (int l = 0; l < L; l++) {
      if (gc_conv2d_forward (&d->conv[s][l], h, &a->z[s][l]) < 0)
        return -1;
      if (l < L - 1) {
        if (leaky (&a->z[s][l], &a->a[s][l], d->cfg.slope) < 0)
          return -1;
        h = &a->a[s][l];
      }
    }
    /* pick each item's own style map */
    const gc_tensor *z = &a->z[s][L - 1];
    if (gc_tensor_resize (&a->out[s], z->n, 1, z->h, z->w) < 0)
      return -1;
    size_t hw = (size_t) z->h * z->w;
    for (int n = 0; n < z->n; n++)
      memcpy (a->out[s].data + n * hw,
          z->data + ((size_t) n * z->c + a->cls[n]) * hw, hw * sizeof (float));
  }
  return 0;
}

int
gcn_style_disc_backward (gcn_style_disc *d, gcn_style_disc_acts *a,
    gc_tensor *const *dout, gc_tensor *dx)
{
  int S = d->cfg.scales, L = GCN_STYLE_DISC_LAYERS;

  for (int s = S - 1; s >= 0; s--) {
    const gc_tensor *z = &a->z[s][L - 1];
    if (dout[s]->n != z->n || dout[s]->h != z->h || dout[s]->w != z->w) {
      gc_set_error ("style critic: gradient shape does not match scale %d", s);
      return -1;
    }
    if (gc_tensor_resize (&a->g0, z->n, z->c, z->h, z->w) < 0)
      return -1;
    gc_tensor_zero (&a->g0);
    size_t hw = (size_t) z->h * z->w;
    for (int n = 0; n < z->n; n++)
      memcpy (a->g0.data + ((size_t) n * z->c + a->cls[n]) * hw,
          dout[s]->data + n * hw, hw * sizeof (float));
    gc_tensor *g = &a->g0, *other = &a->g1;
    for (int l = L - 1; l >= 0; l--) {
      const gc_tensor *h = l ? &a->a[s][l - 1] : &a->in[s];
      int want_dx = l > 0 || dx;
      if (gc_conv2d_backward (&d->conv[s][l], h, g, want_dx ? (l ? other :
                  &a->gs[s]) : NULL) < 0)
        return -1;
      if (l > 0) {
        leaky_mask (&a->z[s][l - 1], other, d->cfg.slope);
        gc_tensor *t = g;
        g = other;
        other = t;
      }
    }
  }
  if (!dx)
    return 0;
  /* coarse to fine: each scale's input gradient flows back through the
   * pooling into the finer one */
  for (int s = S - 1; s > 0; s--) {
    if (gc_avgpool2_backward (&a->in[s - 1], &a->gs[s], &a->gp) < 0
        || gc_axpy (1.f, &a->gp, &a->gs[s - 1]) < 0)
      return -1;
  }
  return gc_tensor_copy (dx, &a->gs[0]);
}
