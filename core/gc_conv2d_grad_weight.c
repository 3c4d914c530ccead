/* libgancore — 2-D convolution weight gradient: GEMM over bands with
 * per-worker accumulators, or direct loops for one input channel per
 * group. */
#include "gc_conv2d_internal.h"
#include "gc_check.h"
#include "gc_threads.h"

#include <stdlib.h>

static float *
dw_target (const bwd_ctx *c, int worker)
{
  if (worker == 0)
    return c->dw_main;
  if (!c->dw_slots[worker])
    c->dw_slots[worker] = calloc (c->dw_size, sizeof (float));
  return c->dw_slots[worker];
}

static void
grad_weight_gemm_items (void *ctx, int begin, int end, int worker)
{
  const bwd_ctx *c = ctx;
  const conv_geom *g = c->g;
  float *dw = dw_target (c, worker);
  size_t P = (size_t) g->oh * g->ow;
  float *col = NULL;
  if (!g->pointwise)
    col = malloc ((size_t) g->kdim * g->band_rows * g->ow * sizeof (float));
  if (!dw || (!g->pointwise && !col)) {
    gc_conv2d_worker_failed_ (&((bwd_ctx *) ctx)->failed);
    free (col);
    return;
  }
  for (int it = begin; it < end; it++) {
    int n = it / g->nbands;
    int oy0 = (it % g->nbands) * g->band_rows;
    int oy1 = oy0 + g->band_rows < g->oh ? oy0 + g->band_rows : g->oh;
    int cols = (oy1 - oy0) * g->ow;
    for (int grp = 0; grp < g->groups; grp++) {
      const float *xg = c->x + ((size_t) n * g->cin + grp * g->cg) * g->h * g->w;
      const float *dyg = c->dy + ((size_t) n * g->cout + grp * g->og) * P
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
      /* dW_g += dy_g col^T */
      gc_sgemm (0, 1, g->og, g->kdim, cols, 1.0f, dyg, (int) P, colp, ldcol,
          1.0f, dw + (size_t) grp * g->og * g->kdim, g->kdim);
    }
  }
  free (col);
}

/* One output channel per item: its cg*kh*kw weights see every image. */
static void
grad_weight_direct_items (void *ctx, int begin, int end, int worker)
{
  const bwd_ctx *c = ctx;
  const conv_geom *g = c->g;
  const int s = g->stride;
  for (int co = begin; co < end; co++) {
    int grp = co / g->og;
    for (int ci = 0; ci < g->cg; ci++) {
      float *dwk = c->dw_main + ((size_t) co * g->cg + ci) * g->kh * g->kw;
      for (int ky = 0; ky < g->kh; ky++)
        for (int kx = 0; kx < g->kw; kx++) {
          int xoff = kx * g->dil - g->pad;
          int lo, hi;
          valid_cols (xoff, s, g->w, g->ow, &lo, &hi);
          double acc = 0.0;
          for (int n = 0; n < g->n; n++) {
            const float *in = c->x
                + ((size_t) n * g->cin + grp * g->cg + ci) * g->h * g->w;
            const float *dyp = c->dy
                + ((size_t) n * g->cout + co) * g->oh * g->ow;
            for (int oy = 0; oy < g->oh; oy++) {
              int iy = oy * s + ky * g->dil - g->pad;
              if (iy < 0 || iy >= g->h)
                continue;
              const float *irow = in + (size_t) iy * g->w + xoff;
              const float *drow = dyp + (size_t) oy * g->ow;
              float row = 0.0f;
              if (s == 1) {
                for (int ox = lo; ox < hi; ox++)
                  row += drow[ox] * irow[ox];
              } else {
                for (int ox = lo; ox < hi; ox++)
                  row += drow[ox] * irow[ox * s];
              }
              acc += row;
            }
          }
          dwk[ky * g->kw + kx] += (float) acc;
        }
    }
  }
}

/* The GEMM items over several workers, each summing into its own slot,
 * the slots added to dw at the end. */
static void
grad_weight_gemm_slots (const conv_geom *g, bwd_ctx *c, int threads,
    float *dw)
{
  int items = g->n * g->nbands;
  float *slots[64] = { 0 };
  c->dw_slots = slots;
  if (threads > 64)
    threads = 64;
  gc_parallel_for (threads, items, grad_weight_gemm_items, c);
  for (int i = 1; i < 64; i++) {
    if (!slots[i])
      continue;
    for (size_t k = 0; k < c->dw_size; k++)
      dw[k] += slots[i][k];
    free (slots[i]);
  }
  c->dw_slots = NULL;
}

int
gc_conv2d_grad_weight_ (gc_conv2d *l, const gc_tensor *x, const gc_tensor *dy)
{
  if (gc_conv2d_check_input_ (l, x, "backward") < 0
      || gc_conv2d_check_grad_shapes_ (l, dy, x->n, x->h, x->w) < 0)
    return -1;
  if (!l->weight.g)             /* a layer without gradients: nothing to do */
    return 0;
  conv_geom g;
  gc_conv2d_geom_init_ (&g, l, x->n, x->h, x->w);
  int threads = gc_current_threads ();
  bwd_ctx c = { &g, dy->data, l->weight.w, x->data, NULL, NULL, l->weight.g,
    l->weight.n };
  /* the weight gradient of a few-output conv is a GEMM with M = og and a
   * long K, which OpenBLAS still runs well; only one input channel per
   * group leaves too little for a GEMM */
  if (g.plane && g.cg > 1)
    gc_parallel_for (threads, g.cin, gc_conv2d_plane_grad_weight_items_, &c);
  else if (g.direct && (g.cg == 1 || g.plane))
    gc_parallel_for (threads, g.cout, grad_weight_direct_items, &c);
  else if (g.n * g.nbands < threads)
    grad_weight_gemm_items (&c, 0, g.n * g.nbands, 0);
  else
    grad_weight_gemm_slots (&g, &c, threads, l->weight.g);
  GC_CHECK_ALLOC (gc_conv2d_workers_ok_ (&c.failed),
      "conv2d %s weight gradient: out of memory", l->weight.name);
  return 0;
}
