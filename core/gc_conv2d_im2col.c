/* libgancore — 2-D convolution: im2col of a band of output rows and its
 * adjoint col2im, the packing for the GEMM paths. */
#include "gc_conv2d_internal.h"

#include <string.h>

/* Column matrix of output rows [oy0, oy1) for one group's input planes:
 * row (c, ky, kx), column (oy - oy0) * ow + ox. */
void
gc_conv2d_im2col_band_ (const conv_geom *g, const float *img, int oy0, int oy1,
    float *col)
{
  size_t cols = (size_t) (oy1 - oy0) * g->ow;
  const int s = g->stride;
  for (int c = 0; c < g->cg; c++) {
    const float *plane = img + (size_t) c * g->h * g->w;
    for (int ky = 0; ky < g->kh; ky++) {
      for (int kx = 0; kx < g->kw; kx++) {
        float *dst = col + ((size_t) (c * g->kh + ky) * g->kw + kx) * cols;
        int xoff = kx * g->dil - g->pad;
        int lo, hi;
        valid_cols (xoff, s, g->w, g->ow, &lo, &hi);
        for (int oy = oy0; oy < oy1; oy++, dst += g->ow) {
          int iy = oy * s + ky * g->dil - g->pad;
          if (iy < 0 || iy >= g->h) {
            memset (dst, 0, g->ow * sizeof (float));
            continue;
          }
          const float *src = plane + (size_t) iy * g->w + xoff;
          for (int ox = 0; ox < lo; ox++)
            dst[ox] = 0.0f;
          if (s == 1) {
            memcpy (dst + lo, src + lo, (hi - lo) * sizeof (float));
          } else {
            for (int ox = lo; ox < hi; ox++)
              dst[ox] = src[ox * s];
          }
          for (int ox = hi; ox < g->ow; ox++)
            dst[ox] = 0.0f;
        }
      }
    }
  }
}

/* Adjoint of gc_conv2d_im2col_band_: accumulate the column matrix into
 * the planes. */
void
gc_conv2d_col2im_band_ (const conv_geom *g, const float *col, int oy0, int oy1,
    float *img)
{
  size_t cols = (size_t) (oy1 - oy0) * g->ow;
  const int s = g->stride;
  for (int c = 0; c < g->cg; c++) {
    float *plane = img + (size_t) c * g->h * g->w;
    for (int ky = 0; ky < g->kh; ky++) {
      for (int kx = 0; kx < g->kw; kx++) {
        const float *src = col + ((size_t) (c * g->kh + ky) * g->kw + kx) * cols;
        int xoff = kx * g->dil - g->pad;
        int lo, hi;
        valid_cols (xoff, s, g->w, g->ow, &lo, &hi);
        for (int oy = oy0; oy < oy1; oy++, src += g->ow) {
          int iy = oy * s + ky * g->dil - g->pad;
          if (iy < 0 || iy >= g->h)
            continue;
          float *dst = plane + (size_t) iy * g->w + xoff;
          if (s == 1) {
            for (int ox = lo; ox < hi; ox++)
              dst[ox] += src[ox];
          } else {
            for (int ox = lo; ox < hi; ox++)
              dst[ox * s] += src[ox];
          }
        }
      }
    }
  }
}
