/* libgancore — 2-D convolution: the naive reference forward the tests
 * check the fast paths against (double accumulation, no blocking). */
#include "gc_conv2d_internal.h"

int
gc_conv2d_forward_ref (gc_conv2d *l, const gc_tensor *x, gc_tensor *y)
{
  if (gc_conv2d_check_input_ (l, x, "forward_ref") < 0
      || gc_conv2d_separate_output_ (x, y, "conv2d forward_ref") < 0)
    return -1;
  int oh, ow;
  gc_conv2d_out_size (l, x->h, x->w, &oh, &ow);
  if (gc_tensor_resize (y, x->n, l->cout, oh, ow) < 0)
    return -1;
  int cg = l->cin / l->groups, og = l->cout / l->groups;
  for (int n = 0; n < x->n; n++)
    for (int co = 0; co < l->cout; co++)
      for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
          double acc = l->has_bias && l->bias.w ? l->bias.w[co] : 0.0;
          int grp = co / og;
          for (int c = 0; c < cg; c++)
            for (int ky = 0; ky < l->kh; ky++)
              for (int kx = 0; kx < l->kw; kx++) {
                int iy = oy * l->stride - l->pad + ky * l->dilation;
                int ix = ox * l->stride - l->pad + kx * l->dilation;
                if (iy < 0 || iy >= x->h || ix < 0 || ix >= x->w)
                  continue;
                float xv = x->data[(((size_t) n * l->cin + grp * cg + c)
                        * x->h + iy) * x->w + ix];
                float wv = l->weight.w[(((size_t) co * cg + c) * l->kh + ky)
                    * l->kw + kx];
                acc += (double) xv * wv;
              }
          y->data[(((size_t) n * l->cout + co) * oh + oy) * ow + ox] =
              (float) acc;
        }
  return 0;
}
