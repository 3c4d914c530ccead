/* gan-train denoise: the discriminator, 1-D convolutions over the feature
 * spectrogram. */
#include "dn_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
dn_disc_init (dn_disc *D, gc_rng *r)
{
  memset (D, 0, sizeof *D);
  int ch = 48;
  if (gc_conv1d_init (&D->c[0], "disc.c0", GCN_DN_FEATS, ch, 5, 2, 1, 2, 1, 0, r)
      || gc_conv1d_init (&D->c[1], "disc.c1", ch, ch, 5, 2, 1, 2, 1, 0, r)
      || gc_conv1d_init (&D->c[2], "disc.c2", ch, ch, 3, 1, 2, 2, 1, 0, r)
      || gc_conv1d_init (&D->c[3], "disc.c3", ch, 1, 3, 1, 1, 1, 1, 0, r))
    return -1;
  for (int i = 0; i < 4; i++) {
    gc_conv1d_params (&D->c[i], &D->params);
    D->a[i] = (gc_tensor) GC_TENSOR_INIT;
    D->h[i] = (gc_tensor) GC_TENSOR_INIT;
  }
  D->d_h = (gc_tensor) GC_TENSOR_INIT;
  D->d_a = (gc_tensor) GC_TENSOR_INIT;
  D->dx = (gc_tensor) GC_TENSOR_INIT;
  return 0;
}

void
dn_disc_free (dn_disc *D)
{
  for (int i = 0; i < 4; i++) {
    gc_conv1d_free (&D->c[i]);
    gc_tensor_free (&D->a[i]);
    gc_tensor_free (&D->h[i]);
  }
  gc_tensor_free (&D->d_h);
  gc_tensor_free (&D->d_a);
  gc_tensor_free (&D->dx);
  gc_param_list_free (&D->params);
}

/* x (N, FEATS, 1, T) -> scores h[3] (N, 1, 1, T/4). */
void
dn_disc_forward (dn_disc *D, const gc_tensor *x)
{
  const gc_tensor *in = x;
  for (int i = 0; i < 4; i++) {
    gc_conv1d_forward (&D->c[i], in, &D->a[i]);
    gc_tensor_resize (&D->h[i], D->a[i].n, D->a[i].c, 1, D->a[i].w);
    gc_act_forward (i < 3 ? GC_ACT_LEAKY_RELU : GC_ACT_NONE, 0.2f, &D->a[i],
        &D->h[i]);
    in = &D->h[i];
  }
}

/* Backward from d(scores); accumulates D's parameter gradients and leaves
 * d(input) in D->dx when want_dx. */
void
dn_disc_backward (dn_disc *D, const gc_tensor *x, const float *dscore,
    int want_dx)
{
  gc_tensor_resize (&D->d_h, D->h[3].n, D->h[3].c, 1, D->h[3].w);
  memcpy (D->d_h.data, dscore, gc_tensor_size (&D->h[3]) * sizeof (float));
  for (int i = 3; i >= 0; i--) {
    gc_tensor_resize (&D->d_a, D->a[i].n, D->a[i].c, 1, D->a[i].w);
    gc_act_backward (i < 3 ? GC_ACT_LEAKY_RELU : GC_ACT_NONE, 0.2f, &D->a[i],
        &D->h[i], &D->d_h, &D->d_a);
    const gc_tensor *in = i > 0 ? &D->h[i - 1] : x;
    gc_tensor *dx = NULL;
    if (i > 0 || want_dx) {
      gc_tensor_resize (&D->dx, in->n, in->c, 1, in->w);
      dx = &D->dx;
    }
    gc_conv1d_backward (&D->c[i], in, &D->d_a, dx);
    if (i > 0)
      gc_tensor_copy (&D->d_h, &D->dx);
  }
}
