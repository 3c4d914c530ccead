/* libgancore — 2-D convolution input gradient (also the forward pass of
 * the transposed convolution): GEMM + col2im, direct scatter, or at
 * stride 1 a forward convolution with the flipped kernel. */
#include "gc_conv2d_internal.h"
#include "gc_check.h"
#include "gc_threads.h"

#include <stdlib.h>
#include <string.h>

/* One image per item, so overlapping col2im bands stay in one thread. */
static void
grad_input_gemm_items (void *ctx, int begin, int end, int worker)
{
  const bwd_ctx *c = ctx;
  const conv_geom *g = c->g;
  size_t P = (size_t) g->oh * g->ow;
  size_t HW = (size_t) g->h * g->w;
  float *dcol = NULL;
  if (!g->pointwise) {
    dcol = malloc ((size_t) g->kdim * g->band_rows * g->ow * sizeof (float));
    if (!dcol) {
      gc_conv2d_worker_failed_ (&((bwd_ctx *) ctx)->failed);
      return;
    }
  }
  for (int n = begin; n < end; n++) {
    float *dxn = c->dx + (size_t) n * g->cin * HW;
    if (g->pointwise) {
      /* dx = W^T dy straight into the planes */
      for (int grp = 0; grp < g->groups; grp++)
        gc_sgemm (1, 0, g->cg, (int) P, g->og, 1.0f,
            c->wt + (size_t) grp * g->og * g->kdim, g->kdim,
            c->dy + ((size_t) n * g->cout + grp * g->og) * P, (int) P, 0.0f,
            dxn + (size_t) grp * g->cg * HW, (int) HW);
      continue;
    }
    memset (dxn, 0, (size_t) g->cin * HW * sizeof (float));
    for (int b = 0; b < g->nbands; b++) {
      int oy0 = b * g->band_rows;
      int oy1 = oy0 + g->band_rows < g->oh ? oy0 + g->band_rows : g->oh;
      int cols = (oy1 - oy0) * g->ow;
      for (int grp = 0; grp < g->groups; grp++) {
        const float *dyg = c->dy + ((size_t) n * g->cout + grp * g->og) * P
            + (size_t) oy0 * g->ow;
        gc_sgemm (1, 0, g->kdim, cols, g->og, 1.0f,
            c->wt + (size_t) grp * g->og * g->kdim, g->kdim, dyg, (int) P,
            0.0f, dcol, cols);
        gc_conv2d_col2im_band_ (g, dcol, oy0, oy1,
            dxn + (size_t) grp * g->cg * HW);
      }
    }
  }
  free (dcol);
}

/* One input plane per item: scatter dy through every output channel that
 * reads this plane. */
static void
grad_input_direct_items (void *ctx, int begin, int end, int worker)
{
  const bwd_ctx *c = ctx;
  const conv_geom *g = c->g;
  const int s = g->stride;
  for (int it = begin; it < end; it++) {
    int n = it / g->cin, ci = it % g->cin;
    int grp = ci / g->cg, cl = ci % g->cg;
    float *dxp = c->dx + ((size_t) n * g->cin + ci) * g->h * g->w;
    memset (dxp, 0, (size_t) g->h * g->w * sizeof (float));
    for (int co = grp * g->og; co < (grp + 1) * g->og; co++) {
      const float *dyp = c->dy + ((size_t) n * g->cout + co) * g->oh * g->ow;
      const float *wk = c->wt + ((size_t) co * g->cg + cl) * g->kh * g->kw;
      for (int oy = 0; oy < g->oh; oy++) {
        const float *drow = dyp + (size_t) oy * g->ow;
        for (int ky = 0; ky < g->kh; ky++) {
          int iy = oy * s + ky * g->dil - g->pad;
          if (iy < 0 || iy >= g->h)
            continue;
          for (int kx = 0; kx < g->kw; kx++) {
            float wv = wk[ky * g->kw + kx];
            int xoff = kx * g->dil - g->pad;
            int lo, hi;
            valid_cols (xoff, s, g->w, g->ow, &lo, &hi);
            float *xrow = dxp + (size_t) iy * g->w + xoff;
            if (s == 1) {
              for (int ox = lo; ox < hi; ox++)
                xrow[ox] += wv * drow[ox];
            } else {
              for (int ox = lo; ox < hi; ox++)
                xrow[ox * s] += wv * drow[ox];
            }
          }
        }
      }
    }
  }
}

/* At stride 1 the input gradient is itself a convolution of dy: kernel
 * flipped, in and out channels swapped, padding dil (k - 1) - pad. Running
 * it through the forward path skips the kdim x P column gradient (and the
 * extra pass OpenBLAS spends zeroing it) and its col2im, and lets bands of
 * one image go to different threads. Returns 1 when done, 0 when it does
 * not apply, -1 when the convolution failed (error set). */
static int
grad_input_as_conv (const gc_conv2d *l, const gc_tensor *dy, int h, int w,
    gc_tensor *dx)
{
  int pad_t = l->dilation * (l->kh - 1) - l->pad;
  if (l->stride != 1 || l->kh != l->kw || pad_t < 0)
    return 0;
  gc_conv2d t;
  memset (&t, 0, sizeof t);
  t.cin = l->cout;
  t.cout = l->cin;
  t.kh = l->kh;
  t.kw = l->kw;
  t.stride = 1;
  t.pad = pad_t;
  t.dilation = l->dilation;
  t.groups = l->groups;
  int oh, ow;
  gc_conv2d_out_size (&t, dy->h, dy->w, &oh, &ow);
  if (oh != h || ow != w)
    return 0;
  float *wf = malloc (l->weight.n * sizeof (float));
  if (!wf)
    return 0;
  int taps = l->kh * l->kw, cg = l->cin / l->groups, og = l->cout / l->groups;
  for (int grp = 0; grp < l->groups; grp++)
    for (int o = 0; o < og; o++)
      for (int cl = 0; cl < cg; cl++) {
        const float *src = l->weight.w
            + ((size_t) (grp * og + o) * cg + cl) * taps;
        float *dst = wf + ((size_t) (grp * cg + cl) * og + o) * taps;
        for (int k = 0; k < taps; k++)
          dst[taps - 1 - k] = src[k];
      }
  t.weight.w = wf;
  t.weight.n = l->weight.n;
  memcpy (t.weight.name, l->weight.name, sizeof t.weight.name);
  int rc = gc_conv2d_conv_forward_ (&t, dy, dx, 0);
  free (wf);
  return rc < 0 ? -1 : 1;
}

/* dx = conv^T (dy) for an input of size h x w (n and channels from dy and
 * the layer). Also the forward pass of the transposed convolution. */
int
gc_conv2d_grad_input_ (const gc_conv2d *l, const gc_tensor *dy, int h, int w,
    gc_tensor *dx)
{
  if (gc_conv2d_check_layer_ (l) < 0)
    return -1;
  GC_CHECK_SHAPE (dy != NULL, "conv2d %s input gradient: no dy",
      l->weight.name);
  if (gc_conv2d_check_grad_shapes_ (l, dy, dy->n, h, w) < 0
      || gc_conv2d_separate_output_ (dy, dx, "conv2d input gradient") < 0
      || gc_tensor_resize (dx, dy->n, l->cin, h, w) < 0)
    return -1;
  conv_geom g;
  gc_conv2d_geom_init_ (&g, l, dy->n, h, w);
  if (!g.direct && !g.pointwise) {
    int done = grad_input_as_conv (l, dy, h, w, dx);
    if (done != 0)
      return done < 0 ? -1 : 0;
  }
  bwd_ctx c = { &g, dy->data, l->weight.w, NULL, dx->data, NULL, NULL, 0 };
  int threads = gc_current_threads ();
  if (g.plane)
    gc_parallel_for (threads, g.n * g.groups
        * ((g.h + 2 * g.pad + g.plane_rows - 1) / g.plane_rows),
        gc_conv2d_plane_grad_input_items_, &c);
  else if (g.direct)
    gc_parallel_for (threads, g.n * g.cin, grad_input_direct_items, &c);
  else if (g.n >= threads)
    gc_parallel_for (threads, g.n, grad_input_gemm_items, &c);
  else
    grad_input_gemm_items (&c, 0, g.n, 0);
  GC_CHECK_ALLOC (gc_conv2d_workers_ok_ (&c.failed),
      "conv2d %s input gradient: out of memory", l->weight.name);
  return 0;
}

