/* libgancore — 2-D convolution: output size, the geometry that picks a
 * kernel and cuts work into bands, and the shape checks of every pass. */
#include "gc_conv2d_internal.h"
#include "gc_check.h"
#include "gc_threads.h"

/* Bytes of column matrix per band: half the 512 KiB L2 of a core here,
 * leaving room for OpenBLAS' packed panels. GEMMs on bands of 256 to 8192
 * columns ran within 10 % of one whole-image GEMM. */
#ifndef COL_BAND_BYTES
#define COL_BAND_BYTES (256 * 1024)
#endif
/* Spread at least this many work items per thread when images are few. */
#define ITEMS_PER_THREAD 4
/* Up to this many output channels per group the direct loops beat
 * im2col + GEMM (measured on 32->3 .. 32->12 at 180x320: the plane kernels
 * win up to 8 outputs, forward and backward, and lose from 12). */
#ifndef DIRECT_MAX_OUT
#define DIRECT_MAX_OUT 8
#endif
/* Plane kernels work on bands of about this many floats per plane, so an
 * accumulator and its source rows stay in L1/L2. */
#define PLANE_FLOATS 12288
/* Narrower bands than this make the GEMM inefficient. */
#define MIN_BAND_COLS 128

void
gc_conv2d_out_size (const gc_conv2d *l, int h, int w, int *oh, int *ow)
{
  int nh = h + 2 * l->pad - l->dilation * (l->kh - 1) - 1;
  int nw = w + 2 * l->pad - l->dilation * (l->kw - 1) - 1;
  *oh = nh < 0 || l->stride < 1 ? 0 : nh / l->stride + 1;
  *ow = nw < 0 || l->stride < 1 ? 0 : nw / l->stride + 1;
}

static void
geom_bands (conv_geom *g, int threads)
{
  if (g->pointwise) {
    /* no column buffer: bands only exist to share one image among threads */
    g->band_rows = g->oh;
  } else {
    size_t row_bytes = (size_t) g->kdim * g->ow * sizeof (float);
    size_t rows = COL_BAND_BYTES / (row_bytes ? row_bytes : 1);
    g->band_rows = rows < 1 ? 1 : rows > (size_t) g->oh ? g->oh : (int) rows;
  }
  g->nbands = (g->oh + g->band_rows - 1) / g->band_rows;
  int want = ITEMS_PER_THREAD * threads;
  if (threads > 1 && g->n * g->nbands < want) {
    int nb = (want + g->n - 1) / g->n;
    int rows = (g->oh + nb - 1) / nb;
    if (rows * g->ow < MIN_BAND_COLS)
      rows = (MIN_BAND_COLS + g->ow - 1) / g->ow;
    if (rows < g->band_rows) {
      g->band_rows = rows;
      g->nbands = (g->oh + rows - 1) / rows;
    }
  }
}

void
gc_conv2d_geom_init_ (conv_geom *g, const gc_conv2d *l, int n, int h,
    int w)
{
  g->n = n;
  g->cin = l->cin;
  g->cout = l->cout;
  g->groups = l->groups;
  g->cg = l->cin / l->groups;
  g->og = l->cout / l->groups;
  g->h = h;
  g->w = w;
  gc_conv2d_out_size (l, h, w, &g->oh, &g->ow);
  g->kh = l->kh;
  g->kw = l->kw;
  g->stride = l->stride;
  g->pad = l->pad;
  g->dil = l->dilation;
  g->kdim = g->cg * g->kh * g->kw;
  g->pointwise = g->kh == 1 && g->kw == 1 && g->stride == 1 && g->pad == 0;
  /* few outputs per group: the GEMM would be a thin M = og product and
   * im2col would cost more than the arithmetic it feeds */
  g->direct = !g->pointwise && (g->cg == 1 || g->og <= DIRECT_MAX_OUT);
  /* stride 1 turns every tap into one long shifted axpy over a padded
   * plane; strided taps keep the row loops */
  g->plane = g->direct && g->stride == 1;
  g->wp = g->w + 2 * g->pad;
  g->halo = g->dil * (g->kh - 1);
  int rows = PLANE_FLOATS / (g->wp > 0 ? g->wp : 1);
  int threads = gc_current_threads ();
  int units = g->n * g->groups;
  if (threads > 1 && units < 2 * threads) {
    /* a few small images: cut them into bands so every thread has work */
    int want = (2 * threads + units - 1) / units;
    int r = (g->oh + want - 1) / want;
    if (r < rows)
      rows = r;
  }
  g->plane_rows = rows < 1 ? 1 : rows > g->oh ? g->oh : rows;
  g->plane_bands = (g->oh + g->plane_rows - 1) / g->plane_rows;
  geom_bands (g, threads);
}

/* ---- shape checks ------------------------------------------------------- */

/* The output must exist and must not share memory with the input: the
 * kernels read the input while writing the output. */
int
gc_conv2d_separate_output_ (const gc_tensor *in, const gc_tensor *out,
    const char *op)
{
  GC_CHECK_SHAPE (out && out != in && !(out->data && in
          && out->data == in->data),
      "%s: output missing or aliasing the input", op);
  return 0;
}

int
gc_conv2d_check_layer_ (const gc_conv2d *l)
{
  GC_CHECK_SHAPE (l && l->weight.w && l->groups >= 1 && l->cin >= 1
      && l->cout >= 1 && l->cin % l->groups == 0 && l->cout % l->groups == 0
      && l->stride >= 1 && l->dilation >= 1 && l->pad >= 0 && l->kh >= 1
      && l->kw >= 1, "conv2d: layer is not initialised");
  return 0;
}

int
gc_conv2d_check_input_ (const gc_conv2d *l, const gc_tensor *x,
    const char *what)
{
  if (gc_conv2d_check_layer_ (l) < 0)
    return -1;
  GC_CHECK_SHAPE (x && x->data && x->c == l->cin,
      "conv2d %s: input has %d channels, layer expects %d",
      l->weight.name, x ? x->c : 0, l->cin);
  int oh, ow;
  gc_conv2d_out_size (l, x->h, x->w, &oh, &ow);
  GC_CHECK_SHAPE (oh >= 1 && ow >= 1,
      "conv2d %s (%s): input %dx%d is smaller than the kernel",
      l->weight.name, what, x->h, x->w);
  return 0;
}

int
gc_conv2d_check_grad_shapes_ (const gc_conv2d *l, const gc_tensor *dy,
    int n, int h, int w)
{
  int oh, ow;
  gc_conv2d_out_size (l, h, w, &oh, &ow);
  GC_CHECK_SHAPE (dy && dy->data && dy->n == n && dy->c == l->cout
      && dy->h == oh && dy->w == ow && oh >= 1 && ow >= 1,
      "conv2d %s backward: dy does not match the forward", l->weight.name);
  return 0;
}
