/* libgancore — 2-D convolution: "plane" kernels (stride 1, few outputs
 * per group) for the forward, input-gradient and weight-gradient passes. */
#include "gc_conv2d_internal.h"

#include <stdlib.h>
#include <string.h>

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
void
gc_conv2d_plane_fwd_items_ (void *ctx, int begin, int end, int worker)
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
  if (!bufx || !acc || !offs) {
    gc_conv2d_worker_failed_ (&((fwd_ctx *) ctx)->failed);
    goto out;
  }
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
void
gc_conv2d_plane_grad_input_items_ (void *ctx, int begin, int end,
    int worker)
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
  if (!bufdy || !acc || !offs) {
    gc_conv2d_worker_failed_ (&((bwd_ctx *) ctx)->failed);
    goto out;
  }
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
void
gc_conv2d_plane_grad_weight_items_ (void *ctx, int begin, int end,
    int worker)
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
  if (!bufx || !bufdy || !offs || !sum) {
    gc_conv2d_worker_failed_ (&((bwd_ctx *) ctx)->failed);
    goto out;
  }
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
