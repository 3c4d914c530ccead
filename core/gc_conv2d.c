/* libgancore — 2-D convolution: forward, backward, JVP, batch-norm folding.
 *
 * Four kernels, chosen by shape:
 *  - pointwise (1x1, stride 1, no padding): the input already is the column
 *    matrix, so one GEMM per group and no copy;
 *  - few outputs per group (depthwise, RGB output layers, PatchGAN logits)
 *    at stride 1: "plane" kernels that add shifted copies of a zero-padded
 *    band, register-blocked, because the GEMM would be a thin M = og
 *    product fed by an im2col costing more than the arithmetic;
 *  - the same shapes at stride > 1: plain row loops;
 *  - everything else: im2col of a band of output rows + gc_sgemm. Bands keep
 *    the column buffer cache-sized instead of (Cin*9) x (H*W) floats, and
 *    (image, band) pairs are the unit of work spread over the pool.
 * gc_deconv2d.c reuses the input and weight gradients (the transposed
 * convolution is their adjoint), through gc_conv2d_grad_input_ and
 * gc_conv2d_grad_weight_. */
#include "gc_layers.h"
#include "gc_threads.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void gc_conv2d_grad_input_ (const gc_conv2d *l, const gc_tensor *dy, int h,
    int w, gc_tensor *dx);
void gc_conv2d_grad_weight_ (gc_conv2d *l, const gc_tensor *x,
    const gc_tensor *dy);
double gc_conv2d_sum_ (const float *p, size_t n);

/* Sum of n floats, in 16 independent lanes so it vectorises (a single
 * accumulator is a chain of dependent adds); blocks are added in double.
 * Also used by gc_deconv2d.c for bias gradients. */
double
gc_conv2d_sum_ (const float *p, size_t n)
{
  double total = 0.0;
  for (size_t i = 0; i < n; i += 4096) {
    size_t m = n - i < 4096 ? n - i : 4096;
    float acc[16] = { 0 };
    size_t j = 0;
    for (; j + 16 <= m; j += 16)
      for (int k = 0; k < 16; k++)
        acc[k] += p[i + j + k];
    float s = 0.0f;
    for (; j < m; j++)
      s += p[i + j];
    for (int k = 0; k < 16; k++)
      s += acc[k];
    total += s;
  }
  return total;
}

/* ---- geometry ----------------------------------------------------------- */

typedef struct {
  int n, cin, cout, groups, cg, og;     /* cg, og: channels per group */
  int h, w, oh, ow;
  int kh, kw, stride, pad, dil;
  int kdim;                 /* cg*kh*kw: rows of the column matrix */
  int pointwise, direct, plane;
  int band_rows, nbands;
  int wp, halo;             /* plane kernels: padded width, extra rows */
  int plane_rows, plane_bands;
} conv_geom;

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

static void
geom_init (conv_geom *g, const gc_conv2d *l, int n, int h, int w)
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

/* Output columns ox whose input column ox*stride + off lies in [0, w). */
static void
valid_cols (int off, int stride, int w, int ow, int *lo, int *hi)
{
  int a = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int b = w - 1 - off < 0 ? 0 : (w - 1 - off) / stride + 1;
  if (b > ow)
    b = ow;
  if (a > b)
    a = b;
  *lo = a;
  *hi = b;
}

/* Column matrix of output rows [oy0, oy1) for one group's input planes:
 * row (c, ky, kx), column (oy - oy0) * ow + ox. */
static void
im2col_band (const conv_geom *g, const float *img, int oy0, int oy1,
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

/* Adjoint of im2col_band: accumulate the column matrix into the planes. */
static void
col2im_band (const conv_geom *g, const float *col, int oy0, int oy1,
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

/* ---- shape checks ------------------------------------------------------- */

/* The output must exist and must not share memory with the input: the
 * kernels read the input while writing the output. */
static int
separate_output (const gc_tensor *in, const gc_tensor *out, const char *op)
{
  if (!out || out == in || (out->data && in && out->data == in->data)) {
    gc_set_error ("%s: output missing or aliasing the input", op);
    return -1;
  }
  return 0;
}

static int
check_layer (const gc_conv2d *l)
{
  if (!l || !l->weight.w || l->groups < 1 || l->cin < 1 || l->cout < 1
      || l->cin % l->groups || l->cout % l->groups || l->stride < 1
      || l->dilation < 1 || l->pad < 0 || l->kh < 1 || l->kw < 1) {
    gc_set_error ("conv2d: layer is not initialised");
    return -1;
  }
  return 0;
}

static int
check_input (const gc_conv2d *l, const gc_tensor *x, const char *what)
{
  if (check_layer (l) < 0)
    return -1;
  if (!x || !x->data || x->c != l->cin) {
    gc_set_error ("conv2d %s: input has %d channels, layer expects %d",
        l->weight.name, x ? x->c : 0, l->cin);
    return -1;
  }
  int oh, ow;
  gc_conv2d_out_size (l, x->h, x->w, &oh, &ow);
  if (oh < 1 || ow < 1) {
    gc_set_error ("conv2d %s (%s): input %dx%d is smaller than the kernel",
        l->weight.name, what, x->h, x->w);
    return -1;
  }
  return 0;
}

/* ---- forward ------------------------------------------------------------ */

typedef struct {
  const conv_geom *g;
  const float *x, *wt, *bias;
  float *y;
} fwd_ctx;

static void
fwd_gemm_items (void *ctx, int begin, int end, int worker)
{
  const fwd_ctx *c = ctx;
  const conv_geom *g = c->g;
  size_t P = (size_t) g->oh * g->ow;
  float *col = NULL;
  if (!g->pointwise) {
    col = malloc ((size_t) g->kdim * g->band_rows * g->ow * sizeof (float));
    if (!col)
      return;                 /* y keeps stale values; nothing to report on */
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
        im2col_band (g, xg, oy0, oy1, col);
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

typedef struct {
  const conv_geom *g;
  const float *dy, *wt, *x;
  float *dx;
  float **dw_slots;         /* per worker weight-gradient accumulators */
  float *dw_main;           /* worker 0 accumulates here directly */
  size_t dw_size;
} bwd_ctx;

/* ---- plane kernels: stride 1, few outputs per group ---------------------
 * Input rows are copied into a zero-padded band of width wp = w + 2 pad.
 * On that layout output pixel (r, ox) and tap (ky, kx) read index
 * (r + ky dil) wp + ox + kx dil, so a whole band is a sum of shifted
 * planes: acc_o[j] += sum_{s,t} w(o, s, t) src_s[j + off_t], j < rows wp.
 * Columns ox >= ow of the accumulator are junk and dropped. Buffers carry
 * slack zeros on both sides so junk columns never read outside them.
 * The kernel keeps up to 4 outputs x 16 floats in registers, so each
 * loaded source vector feeds up to 8 FMAs: without that blocking the
 * loop is bound by loads and stores of the accumulator. */

typedef float vf8 __attribute__ ((vector_size (32), aligned (4)));
#define PLANE_BLOCK_OUT 4
#define PLANE_CHUNK 16

static size_t
plane_slack (const conv_geom *g)
{
  return (size_t) g->dil * (g->kw - 1) + PLANE_CHUNK;
}

typedef struct {
  const float *src;         /* first source plane (already offset) */
  size_t src_stride;        /* floats between source planes */
  int nsrc, taps;
  const ptrdiff_t *offs;    /* per tap */
  const float *w[PLANE_BLOCK_OUT];      /* per output: weights of source 0 */
  size_t w_src_stride;      /* floats between sources in a weight row */
  float *acc[PLANE_BLOCK_OUT];
  size_t len;               /* multiple of PLANE_CHUNK */
} plane_job;

/* Sources in small groups, each group swept over the whole band: a sweep
 * streams only PLANE_SRC_GROUP x kh rows plus the accumulators, which the
 * prefetcher follows; walking all sources per chunk instead would open
 * cg x kh streams at once and stall on wide images. */
#define PLANE_SRC_GROUP 4

static inline __attribute__ ((always_inline)) void
plane_kernel_n (const plane_job *pj, const int nout)
{
  for (int s0 = 0; s0 < pj->nsrc; s0 += PLANE_SRC_GROUP) {
    int s1 = s0 + PLANE_SRC_GROUP < pj->nsrc ? s0 + PLANE_SRC_GROUP : pj->nsrc;
    for (size_t j = 0; j < pj->len; j += PLANE_CHUNK) {
      vf8 a0[PLANE_BLOCK_OUT], a1[PLANE_BLOCK_OUT];
      for (int o = 0; o < nout; o++) {
        a0[o] = *(const vf8 *) (pj->acc[o] + j);
        a1[o] = *(const vf8 *) (pj->acc[o] + j + 8);
      }
      for (int s = s0; s < s1; s++) {
        const float *src = pj->src + s * pj->src_stride + j;
        size_t wo = s * pj->w_src_stride;
        for (int t = 0; t < pj->taps; t++) {
          const float *p = src + pj->offs[t];
          vf8 x0 = *(const vf8 *) p, x1 = *(const vf8 *) (p + 8);
          for (int o = 0; o < nout; o++) {
            float wv = pj->w[o][wo + t];
            a0[o] += wv * x0;
            a1[o] += wv * x1;
          }
        }
      }
      for (int o = 0; o < nout; o++) {
        *(vf8 *) (pj->acc[o] + j) = a0[o];
        *(vf8 *) (pj->acc[o] + j + 8) = a1[o];
      }
    }
  }
}

/* One constant-count copy per block size so the output loop unrolls. */
static void
plane_kernel (const plane_job *pj, int nout)
{
  switch (nout) {
    case 1: plane_kernel_n (pj, 1); break;
    case 2: plane_kernel_n (pj, 2); break;
    case 3: plane_kernel_n (pj, 3); break;
    default: plane_kernel_n (pj, 4); break;
  }
}

/* Rows iy0 .. iy0 + nrows - 1 of one plane, zero padded to width wp
 * (zeros above and below the image too), followed by slack zeros. */
static void
pad_plane_rows (const conv_geom *g, const float *plane, int iy0, int nrows,
    float *dst)
{
  for (int r = 0; r < nrows; r++, dst += g->wp) {
    int iy = iy0 + r;
    if (iy < 0 || iy >= g->h) {
      memset (dst, 0, g->wp * sizeof (float));
      continue;
    }
    memset (dst, 0, g->pad * sizeof (float));
    memcpy (dst + g->pad, plane + (size_t) iy * g->w, g->w * sizeof (float));
    memset (dst + g->pad + g->w, 0, g->pad * sizeof (float));
  }
  memset (dst, 0, plane_slack (g) * sizeof (float));
}

/* Rows r0 .. r0 + nrows - 1 of an output-gradient plane at width wp with
 * zero junk columns and zero rows outside [0, oh); slack zeros before and
 * after (dst points past the front slack). */
static void
pad_grad_rows (const conv_geom *g, const float *plane, int r0, int nrows,
    float *dst)
{
  memset (dst - plane_slack (g), 0, plane_slack (g) * sizeof (float));
  for (int r = 0; r < nrows; r++, dst += g->wp) {
    int oy = r0 + r;
    if (oy < 0 || oy >= g->oh) {
      memset (dst, 0, g->wp * sizeof (float));
      continue;
    }
    memcpy (dst, plane + (size_t) oy * g->ow, g->ow * sizeof (float));
    memset (dst + g->ow, 0, (g->wp - g->ow) * sizeof (float));
  }
  memset (dst, 0, plane_slack (g) * sizeof (float));
}

static size_t
round_chunk (size_t n)
{
  return (n + PLANE_CHUNK - 1) / PLANE_CHUNK * PLANE_CHUNK;
}

/* Item = (image, group, band of output rows): all og outputs of the group
 * from one padded copy of its cg input planes. */
static void
plane_fwd_items (void *ctx, int begin, int end, int worker)
{
  const fwd_ctx *c = ctx;
  const conv_geom *g = c->g;
  const int taps = g->kh * g->kw;
  size_t pstride = (size_t) (g->plane_rows + g->halo) * g->wp
      + plane_slack (g);
  size_t acc_len = round_chunk ((size_t) g->plane_rows * g->wp);
  float *bufx = malloc ((size_t) g->cg * pstride * sizeof (float));
  float *acc = malloc (PLANE_BLOCK_OUT * acc_len * sizeof (float));
  ptrdiff_t *offs = malloc (taps * sizeof (ptrdiff_t));
  if (!bufx || !acc || !offs)
    goto out;
  for (int ky = 0; ky < g->kh; ky++)
    for (int kx = 0; kx < g->kw; kx++)
      offs[ky * g->kw + kx] = (ptrdiff_t) ky * g->dil * g->wp + kx * g->dil;

  for (int it = begin; it < end; it++) {
    int band = it % g->plane_bands;
    int grp = (it / g->plane_bands) % g->groups;
    int n = it / g->plane_bands / g->groups;
    int oy0 = band * g->plane_rows;
    int rows = oy0 + g->plane_rows < g->oh ? g->plane_rows : g->oh - oy0;
    const float *xg = c->x + ((size_t) n * g->cin + grp * g->cg) * g->h * g->w;
    for (int ci = 0; ci < g->cg; ci++)
      pad_plane_rows (g, xg + (size_t) ci * g->h * g->w, oy0 - g->pad,
          rows + g->halo, bufx + ci * pstride);
    plane_job pj = { bufx, pstride, g->cg, taps, offs, { 0 }, taps, { 0 },
      round_chunk ((size_t) rows * g->wp) };
    for (int o0 = 0; o0 < g->og; o0 += PLANE_BLOCK_OUT) {
      int nout = g->og - o0 < PLANE_BLOCK_OUT ? g->og - o0 : PLANE_BLOCK_OUT;
      for (int o = 0; o < nout; o++) {
        int co = grp * g->og + o0 + o;
        float b = c->bias ? c->bias[co] : 0.0f;
        pj.acc[o] = acc + o * acc_len;
        pj.w[o] = c->wt + (size_t) co * g->cg * taps;
        for (size_t j = 0; j < pj.len; j++)
          pj.acc[o][j] = b;
      }
      plane_kernel (&pj, nout);
      for (int o = 0; o < nout; o++) {
        int co = grp * g->og + o0 + o;
        float *out = c->y + ((size_t) n * g->cout + co) * g->oh * g->ow
            + (size_t) oy0 * g->ow;
        for (int r = 0; r < rows; r++)
          memcpy (out + (size_t) r * g->ow, pj.acc[o] + (size_t) r * g->wp,
              g->ow * sizeof (float));
      }
    }
  }
out:
  free (bufx);
  free (acc);
  free (offs);
}

/* Input gradient, item = (image, group, band of input rows). In padded
 * coordinates dx_pad[q] = sum_{co,t} w[co][ci][t] dy_pad[q - off_t]: a
 * gather over the og output-gradient planes (rows shifted by the halo),
 * so it is the same kernel with sources and outputs exchanged. */
static void
plane_grad_input_items (void *ctx, int begin, int end, int worker)
{
  const bwd_ctx *c = ctx;
  const conv_geom *g = c->g;
  const int taps = g->kh * g->kw;
  const int hp = g->h + 2 * g->pad;     /* padded rows = oh + halo */
  size_t slack = plane_slack (g);
  size_t pstride = (size_t) (g->plane_rows + g->halo) * g->wp + 2 * slack;
  size_t acc_len = round_chunk ((size_t) g->plane_rows * g->wp);
  int bands = (hp + g->plane_rows - 1) / g->plane_rows;
  float *bufdy = malloc ((size_t) g->og * pstride * sizeof (float));
  float *acc = malloc (PLANE_BLOCK_OUT * acc_len * sizeof (float));
  ptrdiff_t *offs = malloc (taps * sizeof (ptrdiff_t));
  if (!bufdy || !acc || !offs)
    goto out;
  for (int ky = 0; ky < g->kh; ky++)
    for (int kx = 0; kx < g->kw; kx++)
      offs[ky * g->kw + kx] = (ptrdiff_t) (g->halo - ky * g->dil) * g->wp
          - kx * g->dil;

  for (int it = begin; it < end; it++) {
    int band = it % bands;
    int grp = (it / bands) % g->groups;
    int n = it / bands / g->groups;
    int q0 = band * g->plane_rows;            /* first padded row */
    int rows = q0 + g->plane_rows < hp ? g->plane_rows : hp - q0;
    /* padded row q reads output rows q - halo .. q */
    for (int o = 0; o < g->og; o++) {
      const float *dyp = c->dy
          + ((size_t) n * g->cout + grp * g->og + o) * g->oh * g->ow;
      pad_grad_rows (g, dyp, q0 - g->halo, rows + g->halo,
          bufdy + o * pstride + slack);
    }
    plane_job pj = { bufdy + slack, pstride, g->og, taps, offs, { 0 },
      (size_t) g->cg * taps, { 0 }, round_chunk ((size_t) rows * g->wp) };
    for (int c0 = 0; c0 < g->cg; c0 += PLANE_BLOCK_OUT) {
      int nout = g->cg - c0 < PLANE_BLOCK_OUT ? g->cg - c0 : PLANE_BLOCK_OUT;
      for (int o = 0; o < nout; o++) {
        pj.acc[o] = acc + o * acc_len;
        pj.w[o] = c->wt + ((size_t) grp * g->og * g->cg + c0 + o) * taps;
        memset (pj.acc[o], 0, pj.len * sizeof (float));
      }
      plane_kernel (&pj, nout);
      /* keep the rows that are inside the image */
      for (int o = 0; o < nout; o++) {
        float *dxp = c->dx + ((size_t) n * g->cin + grp * g->cg + c0 + o)
            * g->h * g->w;
        for (int r = 0; r < rows; r++) {
          int iy = q0 + r - g->pad;
          if (iy < 0 || iy >= g->h)
            continue;
          memcpy (dxp + (size_t) iy * g->w,
              pj.acc[o] + (size_t) r * g->wp + g->pad, g->w * sizeof (float));
        }
      }
    }
  }
out:
  free (bufdy);
  free (acc);
  free (offs);
}

/* Weight gradient, item = one input channel (all og outputs of its
 * group): dW[o][t] = sum_j dy_o[j] x_pad[j + off_t] over every band of
 * every image, with junk columns of dy zero. Blocks of 4 outputs x 4 taps
 * stay in 16 vector registers; missing outputs read a zero plane and
 * missing taps are computed at offset 0 and dropped. */
static void
plane_grad_weight_items (void *ctx, int begin, int end, int worker)
{
  const bwd_ctx *c = ctx;
  const conv_geom *g = c->g;
  const int taps = g->kh * g->kw;
  size_t slack = plane_slack (g);
  size_t xstride = (size_t) (g->plane_rows + g->halo) * g->wp + slack;
  size_t dystride = (size_t) g->plane_rows * g->wp + 2 * slack;
  int nblk = (g->og + 3) / 4 * 4, tblk = (taps + 3) / 4 * 4;
  float *bufx = malloc (xstride * sizeof (float));
  float *bufdy = malloc ((size_t) (g->og + 1) * dystride * sizeof (float));
  ptrdiff_t *offs = calloc (tblk, sizeof (ptrdiff_t));
  double *sum = malloc ((size_t) nblk * tblk * sizeof (double));
  if (!bufx || !bufdy || !offs || !sum)
    goto out;
  for (int ky = 0; ky < g->kh; ky++)
    for (int kx = 0; kx < g->kw; kx++)
      offs[ky * g->kw + kx] = (ptrdiff_t) ky * g->dil * g->wp + kx * g->dil;
  float *zero = bufdy + (size_t) g->og * dystride;
  memset (zero, 0, dystride * sizeof (float));

  for (int ci = begin; ci < end; ci++) {
    int grp = ci / g->cg, cl = ci % g->cg;
    memset (sum, 0, (size_t) nblk * tblk * sizeof (double));
    for (int n = 0; n < g->n; n++) {
      const float *xp = c->x + ((size_t) n * g->cin + ci) * g->h * g->w;
      for (int oy0 = 0; oy0 < g->oh; oy0 += g->plane_rows) {
        int rows = oy0 + g->plane_rows < g->oh ? g->plane_rows : g->oh - oy0;
        size_t len = round_chunk ((size_t) rows * g->wp);
        pad_plane_rows (g, xp, oy0 - g->pad, rows + g->halo, bufx);
        for (int o = 0; o < g->og; o++)
          pad_grad_rows (g, c->dy + ((size_t) n * g->cout + grp * g->og + o)
              * g->oh * g->ow, oy0, rows, bufdy + o * dystride + slack);
        for (int o0 = 0; o0 < g->og; o0 += 4) {
          const float *dy[4];
          for (int o = 0; o < 4; o++)
            dy[o] = o0 + o < g->og ? bufdy + (o0 + o) * dystride + slack
                : zero;
          for (int t0 = 0; t0 < taps; t0 += 4) {
            const float *xs[4];
            for (int t = 0; t < 4; t++)
              xs[t] = bufx + offs[t0 + t];
            vf8 a[4][4];
            memset (a, 0, sizeof a);
            for (size_t j = 0; j < len; j += 8) {
              vf8 x[4], d[4];
              for (int t = 0; t < 4; t++)
                x[t] = *(const vf8 *) (xs[t] + j);
              for (int o = 0; o < 4; o++)
                d[o] = *(const vf8 *) (dy[o] + j);
              for (int o = 0; o < 4; o++)
                for (int t = 0; t < 4; t++)
                  a[o][t] += d[o] * x[t];
            }
            for (int o = 0; o < 4; o++)
              for (int t = 0; t < 4; t++) {
                float h = 0.0f;
                for (int k = 0; k < 8; k++)
                  h += a[o][t][k];
                sum[(size_t) (o0 + o) * tblk + t0 + t] += h;
              }
          }
        }
      }
    }
    for (int o = 0; o < g->og; o++) {
      float *dw = c->dw_main
          + ((size_t) (grp * g->og + o) * g->cg + cl) * taps;
      for (int t = 0; t < taps; t++)
        dw[t] += (float) sum[(size_t) o * tblk + t];
    }
  }
out:
  free (bufx);
  free (bufdy);
  free (offs);
  free (sum);
}

static void
conv_forward (gc_conv2d *l, const gc_tensor *x, gc_tensor *y, int use_bias)
{
  if (check_input (l, x, "forward") < 0
      || separate_output (x, y, "conv2d forward") < 0)
    return;
  conv_geom g;
  geom_init (&g, l, x->n, x->h, x->w);
  if (gc_tensor_resize (y, x->n, l->cout, g.oh, g.ow) < 0)
    return;
  fwd_ctx c = { &g, x->data, l->weight.w,
    use_bias && l->has_bias && l->bias.w ? l->bias.w : NULL, y->data };
  int threads = gc_current_threads ();
  if (g.plane) {
    gc_parallel_for (threads, g.n * g.groups * g.plane_bands,
        plane_fwd_items, &c);
  } else if (g.direct) {
    gc_parallel_for (threads, g.n * g.cout, fwd_direct_items, &c);
  } else {
    int items = g.n * g.nbands;
    if (items >= threads)
      gc_parallel_for (threads, items, fwd_gemm_items, &c);
    else                      /* few items: let the GEMM use the threads */
      fwd_gemm_items (&c, 0, items, 0);
  }
}

void
gc_conv2d_forward (gc_conv2d *l, const gc_tensor *x, gc_tensor *y)
{
  conv_forward (l, x, y, 1);
}

void
gc_conv2d_jvp (gc_conv2d *l, const gc_tensor *dx, gc_tensor *dy)
{
  /* linear in x: the tangent is the convolution without bias */
  conv_forward (l, dx, dy, 0);
}

void
gc_conv2d_forward_ref (gc_conv2d *l, const gc_tensor *x, gc_tensor *y)
{
  if (check_input (l, x, "forward_ref") < 0
      || separate_output (x, y, "conv2d forward_ref") < 0)
    return;
  int oh, ow;
  gc_conv2d_out_size (l, x->h, x->w, &oh, &ow);
  if (gc_tensor_resize (y, x->n, l->cout, oh, ow) < 0)
    return;
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
}

/* ---- input gradient ----------------------------------------------------- */


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
    if (!dcol)
      return;
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
        col2im_band (g, dcol, oy0, oy1, dxn + (size_t) grp * g->cg * HW);
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

static int
check_grad_shapes (const gc_conv2d *l, const gc_tensor *dy, int n, int h,
    int w)
{
  int oh, ow;
  gc_conv2d_out_size (l, h, w, &oh, &ow);
  if (!dy || !dy->data || dy->n != n || dy->c != l->cout || dy->h != oh
      || dy->w != ow || oh < 1 || ow < 1) {
    gc_set_error ("conv2d %s backward: dy does not match the forward",
        l->weight.name);
    return -1;
  }
  return 0;
}

/* At stride 1 the input gradient is itself a convolution of dy: kernel
 * flipped, in and out channels swapped, padding dil (k - 1) - pad. Running
 * it through the forward path skips the kdim x P column gradient (and the
 * extra pass OpenBLAS spends zeroing it) and its col2im, and lets bands of
 * one image go to different threads. Returns 0 when it does not apply. */
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
  conv_forward (&t, dy, dx, 0);
  free (wf);
  return 1;
}

/* dx = conv^T (dy) for an input of size h x w (n and channels from dy and
 * the layer). Also the forward pass of the transposed convolution. */
void
gc_conv2d_grad_input_ (const gc_conv2d *l, const gc_tensor *dy, int h, int w,
    gc_tensor *dx)
{
  if (check_layer (l) < 0 || !dy || check_grad_shapes (l, dy, dy->n, h, w) < 0
      || separate_output (dy, dx, "conv2d input gradient") < 0)
    return;
  if (gc_tensor_resize (dx, dy->n, l->cin, h, w) < 0)
    return;
  conv_geom g;
  geom_init (&g, l, dy->n, h, w);
  if (!g.direct && !g.pointwise && grad_input_as_conv (l, dy, h, w, dx))
    return;
  bwd_ctx c = { &g, dy->data, l->weight.w, NULL, dx->data, NULL, NULL, 0 };
  int threads = gc_current_threads ();
  if (g.plane)
    gc_parallel_for (threads, g.n * g.groups
        * ((g.h + 2 * g.pad + g.plane_rows - 1) / g.plane_rows),
        plane_grad_input_items, &c);
  else if (g.direct)
    gc_parallel_for (threads, g.n * g.cin, grad_input_direct_items, &c);
  else if (g.n >= threads)
    gc_parallel_for (threads, g.n, grad_input_gemm_items, &c);
  else
    grad_input_gemm_items (&c, 0, g.n, 0);
}

/* ---- weight gradient ---------------------------------------------------- */

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
        im2col_band (g, xg, oy0, oy1, col);
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

void
gc_conv2d_grad_weight_ (gc_conv2d *l, const gc_tensor *x, const gc_tensor *dy)
{
  if (check_input (l, x, "backward") < 0 || !l->weight.g
      || check_grad_shapes (l, dy, x->n, x->h, x->w) < 0)
    return;
  conv_geom g;
  geom_init (&g, l, x->n, x->h, x->w);
  int threads = gc_current_threads ();
  bwd_ctx c = { &g, dy->data, l->weight.w, x->data, NULL, NULL, l->weight.g,
    l->weight.n };
  /* the weight gradient of a few-output conv is a GEMM with M = og and a
   * long K, which OpenBLAS still runs well; only one input channel per
   * group leaves too little for a GEMM */
  if (g.plane && g.cg > 1) {
    gc_parallel_for (threads, g.cin, plane_grad_weight_items, &c);
    return;
  }
  if (g.direct && (g.cg == 1 || g.plane)) {
    gc_parallel_for (threads, g.cout, grad_weight_direct_items, &c);
    return;
  }
  int items = g.n * g.nbands;
  if (items < threads) {
    grad_weight_gemm_items (&c, 0, items, 0);
    return;
  }
  float *slots[64] = { 0 };
  c.dw_slots = slots;
  if (threads > 64)
    threads = 64;
  gc_parallel_for (threads, items, grad_weight_gemm_items, &c);
  for (int i = 1; i < 64; i++) {
    if (!slots[i])
      continue;
    for (size_t k = 0; k < c.dw_size; k++)
      l->weight.g[k] += slots[i][k];
    free (slots[i]);
  }
}

void
gc_conv2d_backward (gc_conv2d *l, const gc_tensor *x, const gc_tensor *dy,
    gc_tensor *dx)
{
  if (check_input (l, x, "backward") < 0
      || check_grad_shapes (l, dy, x->n, x->h, x->w) < 0)
    return;
  if (l->has_bias && l->bias.g) {
    size_t P = (size_t) dy->h * dy->w;
    for (int n = 0; n < dy->n; n++)
      for (int co = 0; co < l->cout; co++)
        l->bias.g[co] += (float) gc_conv2d_sum_ (dy->data
            + ((size_t) n * l->cout + co) * P, P);
  }
  gc_conv2d_grad_weight_ (l, x, dy);
  if (dx)
    gc_conv2d_grad_input_ (l, dy, x->h, x->w, dx);
}

/* ---- life cycle --------------------------------------------------------- */

int
gc_conv2d_init (gc_conv2d *l, const char *name, int cin, int cout, int k,
    int stride, int pad, int dilation, int groups, int has_bias, gc_rng *r)
{
  memset (l, 0, sizeof *l);
  if (cin < 1 || cout < 1 || k < 1 || stride < 1 || pad < 0 || dilation < 1
      || groups < 1 || cin % groups || cout % groups) {
    gc_set_error ("conv2d %s: bad configuration cin %d cout %d k %d "
        "stride %d pad %d dilation %d groups %d", name, cin, cout, k, stride,
        pad, dilation, groups);
    return -1;
  }
  l->cin = cin;
  l->cout = cout;
  l->kh = l->kw = k;
  l->stride = stride;
  l->pad = pad;
  l->dilation = dilation;
  l->groups = groups;
  l->has_bias = has_bias ? 1 : 0;

  char pname[GC_MAX_NAME];
  int wshape[4] = { cout, cin / groups, k, k };
  snprintf (pname, sizeof pname, "%s.weight", name);
  if (gc_param_init (&l->weight, pname, 4, wshape) < 0)
    return -1;
  if (l->has_bias) {
    snprintf (pname, sizeof pname, "%s.bias", name);
    if (gc_param_init (&l->bias, pname, 1, &cout) < 0) {
      gc_param_free (&l->weight);
      return -1;
    }
  }
  /* GAN nets here mostly use LeakyReLU(0.2) between convolutions */
  if (r)
    gc_init_kaiming (&l->weight, cin / groups * k * k, 0.2f, r);
  return 0;
}

void
gc_conv2d_free (gc_conv2d *l)
{
  gc_param_free (&l->weight);
  gc_param_free (&l->bias);
}

void
gc_conv2d_params (gc_conv2d *l, gc_param_list *pl)
{
  gc_param_list_add (pl, &l->weight);
  if (l->has_bias)
    gc_param_list_add (pl, &l->bias);
}

void
gc_conv2d_fold_bn (gc_conv2d *l, const struct gc_batchnorm *bn)
{
  if (check_layer (l) < 0)
    return;
  if (!bn || bn->channels != l->cout || !bn->gamma.w || !bn->running_var.w) {
    gc_set_error ("conv2d %s: batch norm to fold has the wrong channel count",
        l->weight.name);
    return;
  }
  if (!l->has_bias || !l->bias.w) {
    char pname[GC_MAX_NAME];
    snprintf (pname, sizeof pname, "%.*s.bias",
        (int) (strlen (l->weight.name) > 7 ? strlen (l->weight.name) - 7 : 0),
        l->weight.name);
    if (gc_param_init (&l->bias, pname, 1, &l->cout) < 0)
      return;
    l->has_bias = 1;
  }
  size_t per = l->weight.n / l->cout;
  for (int co = 0; co < l->cout; co++) {
    float scale = bn->gamma.w[co] / sqrtf (bn->running_var.w[co] + bn->eps);
    for (size_t k = 0; k < per; k++)
      l->weight.w[co * per + k] *= scale;
    l->bias.w[co] = (l->bias.w[co] - bn->running_mean.w[co]) * scale
        + bn->beta.w[co];
  }
}
