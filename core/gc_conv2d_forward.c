/* libgancore — 2-D convolution forward: im2col + GEMM (or a plain GEMM
 * for pointwise layers), direct row loops for few outputs per group at
 * stride > 1, and the dispatch between them and the plane kernels. */
#include "gc_conv2d_internal.h"
#include "gc_check.h"
#include "gc_threads.h"

#include <stdlib.h>
#include <string.h>

static void
fwd_gemm_items (void *ctx, int begin, int end, int worker)
{
  const fwd_ctx *c = ctx;
  const conv_geom *g = c->g;
  size_t P = (size_t) g->oh * g->ow;
  float *col = NULL;
  if (!g->pointwise) {
    col = malloc ((size_t) g->kdim * g->band_rows * g->ow * sizeof (float));
    if (!col) {
      gc_conv2d_worker_failed_ (&((fwd_ctx *) ctx)->failed);
      return;
    }
  }
  for (int it = begin; it < end; it++) {
    int n = it / g->nbands;
    int oy0 = (it % g->nbands) * g->band_rows;
    int oy1 = oy0 + g->band_rows < g->oh ? oy0 + g->band_rows : g->oh;
    int cols = (oy1 - oy0) * g->ow;
    for (int grp = 0; grp < g->groups; grp++) {
      const float *xg = c->x + ((size_t) n * g->cin + grp * g->cg) * g->h * g->w;
      float *yg = c->y + ((size_t) n * g->cout + grp * g->og) * P
          + (size_t) oy0 * g->ow;
      const float *colp;
      int ldcol;
      if (g->pointwise) {
        colp = xg + (size_t) oy0 * g->ow;
        ldcol = (int) P;
      } else {
        gc_conv2d_im2col_band_ (g, xg, oy0, oy1, col);
        colp = col;
        ldcol = cols;
      }
      float beta = 0.0f;
      if (c->bias) {
        for (int o = 0; o < g->og; o++) {
          float b = c->bias[grp * g->og + o];
          float *row = yg + o * P;
          for (int j = 0; j < cols; j++)
            row[j] = b;
        }
        beta = 1.0f;
      }
      gc_sgemm (0, 0, g->og, cols, g->kdim, 1.0f,
          c->wt + (size_t) grp * g->og * g->kdim, g->kdim, colp, ldcol, beta,
          yg, (int) P);
    }
  }
  free (col);
}

/* One output plane per item: out[oy][ox] = sum_{c,k} w[c][k] in_c[tap(oy, ox, k)],
 * a row-wise axpy per tap, so the input rows stay in L1. */
static void
fwd_direct_items (void *ctx, int begin, int end, int worker)
{
  const fwd_ctx *c = ctx;
  const conv_geom *g = c->g;
  const int s = g->stride;
  for (int it = begin; it < end; it++) {
    int n = it / g->cout, co = it % g->cout;
    int grp = co / g->og;
    float *out = c->y + ((size_t) n * g->cout + co) * g->oh * g->ow;
    float b = c->bias ? c->bias[co] : 0.0f;
    for (size_t j = 0; j < (size_t) g->oh * g->ow; j++)
      out[j] = b;
    for (int ci = 0; ci < g->cg; ci++) {
      const float *in = c->x
          + ((size_t) n * g->cin + grp * g->cg + ci) * g->h * g->w;
      const float *wk = c->wt + ((size_t) co * g->cg + ci) * g->kh * g->kw;
      for (int oy = 0; oy < g->oh; oy++) {
        float *orow = out + (size_t) oy * g->ow;
        for (int ky = 0; ky < g->kh; ky++) {
          int iy = oy * s + ky * g->dil - g->pad;
          if (iy < 0 || iy >= g->h)
            continue;
          for (int kx = 0; kx < g->kw; kx++) {
            float wv = wk[ky * g->kw + kx];
            int xoff = kx * g->dil - g->pad;
            int lo, hi;
            valid_cols (xoff, s, g->w, g->ow, &lo, &hi);
            const float *irow = in + (size_t) iy * g->w + xoff;
            if (s == 1) {
              for (int ox = lo; ox < hi; ox++)
                orow[ox] += wv * irow[ox];
            } else {
              for (int ox = lo; ox < hi; ox++)
                orow[ox] += wv * irow[ox * s];
            }
          }
        }
      }
    }
  }
}

int
gc_conv2d_conv_forward_ (gc_conv2d *l, const gc_tensor *x, gc_tensor *y,
    int use_bias)
{
  if (gc_conv2d_check_input_ (l, x, "forward") < 0
      || gc_conv2d_separate_output_ (x, y, "conv2d forward") < 0)
    return -1;
  conv_geom g;
  gc_conv2d_geom_init_ (&g, l, x->n, x->h, x->w);
  if (gc_tensor_resize (y, x->n, l->cout, g.oh, g.ow) < 0)
    return -1;
  fwd_ctx c = { &g, x->data, l->weight.w,
    use_bias && l->has_bias && l->bias.w ? l->bias.w : NULL, y->data };
  int threads = gc_current_threads ();
  if (g.plane) {
    gc_parallel_for (threads, g.n * g.groups * g.plane_bands,
        gc_conv2d_plane_fwd_items_, &c);
  } else if (g.direct) {
    gc_parallel_for (threads, g.n * g.cout, fwd_direct_items, &c);
  } else {
    int items = g.n * g.nbands;
    if (items >= threads)
      gc_parallel_for (threads, items, fwd_gemm_items, &c);
    else                      /* few items: let the GEMM use the threads */
      fwd_gemm_items (&c, 0, items, 0);
  }
  GC_CHECK_ALLOC (gc_conv2d_workers_ok_ (&c.failed),
      "conv2d %s forward: out of memory", l->weight.name);
  return 0;
}
