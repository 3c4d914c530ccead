/* libgancore — parameter-free resampling: pixel (un)shuffle, nearest and
 * bilinear upsampling by an integer factor, 2x2 average pooling.
 * Every op works plane by plane, so (n, c) planes are spread over the pool;
 * backward passes gather rather than scatter where they can, so each output
 * element is written by one thread only. */
#include "gc_layers.h"
#include "gc_threads.h"
#include "gc_check.h"

#include <math.h>
#include <string.h>

/* Spreading tiny tensors over threads costs more than it saves. */
#define PAR_MIN_FLOATS (1 << 15)

typedef struct {
  int r;
  const gc_tensor *src;
  gc_tensor *dst;
} plane_ctx;

static void
for_planes (int planes, size_t floats, gc_range_fn fn, plane_ctx *c)
{
  int threads = floats >= PAR_MIN_FLOATS ? gc_current_threads () : 1;
  gc_parallel_for (threads, planes, fn, c);
}

static int
check (const gc_tensor *t, int r, const char *op)
{
  GC_CHECK_SHAPE (t && t->data && r >= 1,
      "%s: missing input or factor %d < 1", op, r);
  return 0;
}

/* Input and output checked together; the output must not alias it. */
static int
check_io (const gc_tensor *in, const gc_tensor *out, int r, const char *op)
{
  if (check (in, r, op) < 0)
    return -1;
  GC_CHECK_SHAPE (out && out != in && out->data != in->data,
      "%s: output missing or aliasing the input", op);
  return 0;
}

/* ---- pixel shuffle ------------------------------------------------------
 * Shuffle: y[n][c][h r + i][w r + j] = x[n][c r^2 + i r + j][h][w].
 * Items are output channels; both directions move the same r^2 planes. */

static void
shuffle_items (void *ctx, int begin, int end, int worker)
{
  const plane_ctx *c = ctx;
  const gc_tensor *x = c->src;
  gc_tensor *y = c->dst;
  int r = c->r, H = x->h, W = x->w;
  for (int it = begin; it < end; it++) {
    int n = it / y->c, ch = it % y->c;
    float *out = y->data + ((size_t) n * y->c + ch) * y->h * y->w;
    for (int i = 0; i < r; i++)
      for (int j = 0; j < r; j++) {
        const float *in = x->data
            + (((size_t) n * x->c + ch * r * r + i * r + j) * H) * W;
        for (int h = 0; h < H; h++)
          for (int w = 0; w < W; w++)
            out[(size_t) (h * r + i) * y->w + w * r + j] = in[(size_t) h * W + w];
      }
  }
}

static void
unshuffle_items (void *ctx, int begin, int end, int worker)
{
  const plane_ctx *c = ctx;
  const gc_tensor *y = c->src;          /* the (N, C, H r, W r) side */
  gc_tensor *x = c->dst;                /* the (N, C r^2, H, W) side */
  int r = c->r, H = x->h, W = x->w;
  for (int it = begin; it < end; it++) {
    int n = it / y->c, ch = it % y->c;
    const float *in = y->data + ((size_t) n * y->c + ch) * y->h * y->w;
    for (int i = 0; i < r; i++)
      for (int j = 0; j < r; j++) {
        float *out = x->data
            + (((size_t) n * x->c + ch * r * r + i * r + j) * H) * W;
        for (int h = 0; h < H; h++)
          for (int w = 0; w < W; w++)
            out[(size_t) h * W + w] = in[(size_t) (h * r + i) * y->w + w * r + j];
      }
  }
}

/* big (N, C, H r, W r) <- small (N, C r^2, H, W) */
static int
to_big (int r, const gc_tensor *small, gc_tensor *big, const char *op)
{
  if (check_io (small, big, r, op) < 0)
    return -1;
  GC_CHECK_SHAPE (small->c % (r * r) == 0,
      "%s: %d channels do not divide by %d", op, small->c, r * r);
  if (gc_tensor_resize (big, small->n, small->c / (r * r), small->h * r,
          small->w * r) < 0)
    return -1;
  plane_ctx c = { r, small, big };
  for_planes (big->n * big->c, gc_tensor_size (big), shuffle_items, &c);
  return 0;
}

/* small (N, C r^2, H / r, W / r) <- big (N, C, H, W) */
static int
to_small (int r, const gc_tensor *big, gc_tensor *small, const char *op)
{
  if (check_io (big, small, r, op) < 0)
    return -1;
  GC_CHECK_SHAPE (big->h % r == 0 && big->w % r == 0,
      "%s: size %dx%d does not divide by %d", op, big->h, big->w, r);
  if (gc_tensor_resize (small, big->n, big->c * r * r, big->h / r,
          big->w / r) < 0)
    return -1;
  plane_ctx c = { r, big, small };
  for_planes (big->n * big->c, gc_tensor_size (big), unshuffle_items, &c);
  return 0;
}

int
gc_pixel_shuffle_forward (int r, const gc_tensor *x, gc_tensor *y)
{
  return to_big (r, x, y, "pixel_shuffle");
}

int
gc_pixel_shuffle_backward (int r, const gc_tensor *dy, gc_tensor *dx)
{
  /* a permutation: its adjoint is its inverse */
  return to_small (r, dy, dx, "pixel_shuffle backward");
}

int
gc_pixel_unshuffle_forward (int r, const gc_tensor *x, gc_tensor *y)
{
  return to_small (r, x, y, "pixel_unshuffle");
}

int
gc_pixel_unshuffle_backward (int r, const gc_tensor *dy, gc_tensor *dx)
{
  return to_big (r, dy, dx, "pixel_unshuffle backward");
}

/* ---- nearest ------------------------------------------------------------ */

static void
nearest_fwd_items (void *ctx, int begin, int end, int worker)
{
  const plane_ctx *c = ctx;
  int r = c->r, H = c->src->h, W = c->src->w, OW = W * r;
  for (int p = begin; p < end; p++) {
    const float *in = c->src->data + (size_t) p * H * W;
    float *out = c->dst->data + (size_t) p * H * W * r * r;
    for (int h = 0; h < H; h++) {
      float *row = out + (size_t) h * r * OW;
      for (int w = 0; w < W; w++)
        for (int j = 0; j < r; j++)
          row[w * r + j] = in[(size_t) h * W + w];
      for (int i = 1; i < r; i++)
        memcpy (row + (size_t) i * OW, row, OW * sizeof (float));
    }
  }
}

static void
nearest_bwd_items (void *ctx, int begin, int end, int worker)
{
  const plane_ctx *c = ctx;
  int r = c->r, H = c->dst->h, W = c->dst->w, OW = W * r;
  for (int p = begin; p < end; p++) {
    const float *dy = c->src->data + (size_t) p * H * W * r * r;
    float *dx = c->dst->data + (size_t) p * H * W;
    for (int h = 0; h < H; h++)
      for (int w = 0; w < W; w++) {
        float s = 0.0f;
        for (int i = 0; i < r; i++)
          for (int j = 0; j < r; j++)
            s += dy[(size_t) (h * r + i) * OW + w * r + j];
        dx[(size_t) h * W + w] = s;
      }
  }
}

int
gc_upsample_nearest_forward (int r, const gc_tensor *x, gc_tensor *y)
{
  if (check_io (x, y, r, "upsample_nearest") < 0
      || gc_tensor_resize (y, x->n, x->c, x->h * r, x->w * r) < 0)
    return -1;
  plane_ctx c = { r, x, y };
  for_planes (x->n * x->c, gc_tensor_size (y), nearest_fwd_items, &c);
  return 0;
}

int
gc_upsample_nearest_backward (int r, const gc_tensor *dy, gc_tensor *dx)
{
  if (check_io (dy, dx, r, "upsample_nearest backward") < 0)
    return -1;
  GC_CHECK_SHAPE (dy->h % r == 0 && dy->w % r == 0,
      "upsample_nearest backward: %dx%d not a multiple of %d", dy->h, dy->w,
      r);
  if (gc_tensor_resize (dx, dy->n, dy->c, dy->h / r, dy->w / r) < 0)
    return -1;
  plane_ctx c = { r, dy, dx };
  for_planes (dy->n * dy->c, gc_tensor_size (dy), nearest_bwd_items, &c);
  return 0;
}

/* ---- bilinear (align_corners = false) ----------------------------------
 * Output index o reads source position (o + 0.5) / r - 0.5, clamped at 0
 * (PyTorch's rule), between i0 = floor and i1 = min (i0 + 1, n - 1). */

typedef struct {
  int i0, i1;
  float t;                  /* weight of i1 */
} tap;

static void
make_taps (int n, int r, tap *taps)
{
  for (int o = 0; o < n * r; o++) {
    float src = ((float) o + 0.5f) / (float) r - 0.5f;
    if (src < 0.0f)
      src = 0.0f;
    int i0 = (int) src;
    if (i0 > n - 1)
      i0 = n - 1;
    taps[o].i0 = i0;
    taps[o].i1 = i0 + 1 < n ? i0 + 1 : n - 1;
    taps[o].t = src - (float) i0;
  }
}

typedef struct {
  int r;
  const gc_tensor *src;
  gc_tensor *dst;
  const tap *ty, *tx;
} bilin_ctx;

static void
bilinear_fwd_items (void *ctx, int begin, int end, int worker)
{
  const bilin_ctx *c = ctx;
  int H = c->src->h, W = c->src->w, OH = c->dst->h, OW = c->dst->w;
  for (int p = begin; p < end; p++) {
    const float *in = c->src->data + (size_t) p * H * W;
    float *out = c->dst->data + (size_t) p * OH * OW;
    for (int oy = 0; oy < OH; oy++) {
      const float *r0 = in + (size_t) c->ty[oy].i0 * W;
      const float *r1 = in + (size_t) c->ty[oy].i1 * W;
      float ty = c->ty[oy].t;
      for (int ox = 0; ox < OW; ox++) {
        tap tx = c->tx[ox];
        float a = r0[tx.i0] + tx.t * (r0[tx.i1] - r0[tx.i0]);
        float b = r1[tx.i0] + tx.t * (r1[tx.i1] - r1[tx.i0]);
        out[(size_t) oy * OW + ox] = a + ty * (b - a);
      }
    }
  }
}

static void
bilinear_bwd_items (void *ctx, int begin, int end, int worker)
{
  const bilin_ctx *c = ctx;
  int OH = c->src->h, OW = c->src->w, H = c->dst->h, W = c->dst->w;
  for (int p = begin; p < end; p++) {
    const float *dy = c->src->data + (size_t) p * OH * OW;
    float *dx = c->dst->data + (size_t) p * H * W;
    memset (dx, 0, (size_t) H * W * sizeof (float));
    /* scatter within the plane: the plane belongs to this thread alone */
    for (int oy = 0; oy < OH; oy++) {
      float *r0 = dx + (size_t) c->ty[oy].i0 * W;
      float *r1 = dx + (size_t) c->ty[oy].i1 * W;
      float ty = c->ty[oy].t;
      for (int ox = 0; ox < OW; ox++) {
        tap tx = c->tx[ox];
        float g = dy[(size_t) oy * OW + ox];
        float g0 = g * (1.0f - ty), g1 = g * ty;
        r0[tx.i0] += g0 * (1.0f - tx.t);
        r0[tx.i1] += g0 * tx.t;
        r1[tx.i0] += g1 * (1.0f - tx.t);
        r1[tx.i1] += g1 * tx.t;
      }
    }
  }
}

static int
bilinear_run (int r, const gc_tensor *src, gc_tensor *dst, int H, int W,
    gc_range_fn fn, size_t floats)
{
  tap *ty = gc_alloc ((size_t) H * r * sizeof (tap));
  tap *tx = gc_alloc ((size_t) W * r * sizeof (tap));
  int ok = ty && tx;
  if (!ok) {
    gc_free (ty);
    gc_free (tx);
  }
  GC_CHECK_ALLOC (ok, "upsample_bilinear: out of memory");
  make_taps (H, r, ty);
  make_taps (W, r, tx);
  bilin_ctx c = { r, src, dst, ty, tx };
  int threads = floats >= PAR_MIN_FLOATS ? gc_current_threads () : 1;
  gc_parallel_for (threads, src->n * src->c, fn, &c);
  gc_free (ty);
  gc_free (tx);
  return 0;
}

int
gc_upsample_bilinear_forward (int r, const gc_tensor *x, gc_tensor *y)
{
  if (check_io (x, y, r, "upsample_bilinear") < 0
      || gc_tensor_resize (y, x->n, x->c, x->h * r, x->w * r) < 0)
    return -1;
  return bilinear_run (r, x, y, x->h, x->w, bilinear_fwd_items,
      gc_tensor_size (y));
}

int
gc_upsample_bilinear_backward (int r, const gc_tensor *dy, gc_tensor *dx)
{
  if (check_io (dy, dx, r, "upsample_bilinear backward") < 0)
    return -1;
  GC_CHECK_SHAPE (dy->h % r == 0 && dy->w % r == 0,
      "upsample_bilinear backward: %dx%d not a multiple of %d", dy->h, dy->w,
      r);
  if (gc_tensor_resize (dx, dy->n, dy->c, dy->h / r, dy->w / r) < 0)
    return -1;
  return bilinear_run (r, dy, dx, dx->h, dx->w, bilinear_bwd_items,
      gc_tensor_size (dy));
}

/* ---- 2x2 average pooling ------------------------------------------------ */

static void
avgpool_fwd_items (void *ctx, int begin, int end, int worker)
{
  const plane_ctx *c = ctx;
  int H = c->src->h, W = c->src->w, OH = c->dst->h, OW = c->dst->w;
  for (int p = begin; p < end; p++) {
    const float *in = c->src->data + (size_t) p * H * W;
    float *out = c->dst->data + (size_t) p * OH * OW;
    for (int oy = 0; oy < OH; oy++) {
      const float *a = in + (size_t) 2 * oy * W, *b = a + W;
      for (int ox = 0; ox < OW; ox++)
        out[(size_t) oy * OW + ox] =
            0.25f * (a[2 * ox] + a[2 * ox + 1] + b[2 * ox] + b[2 * ox + 1]);
    }
  }
}

static void
avgpool_bwd_items (void *ctx, int begin, int end, int worker)
{
  const plane_ctx *c = ctx;
  int OH = c->src->h, OW = c->src->w, H = c->dst->h, W = c->dst->w;
  for (int p = begin; p < end; p++) {
    const float *dy = c->src->data + (size_t) p * OH * OW;
    float *dx = c->dst->data + (size_t) p * H * W;
    /* a dropped odd last row/column gets no gradient */
    memset (dx, 0, (size_t) H * W * sizeof (float));
    for (int oy = 0; oy < OH; oy++) {
      float *a = dx + (size_t) 2 * oy * W, *b = a + W;
      for (int ox = 0; ox < OW; ox++) {
        float g = 0.25f * dy[(size_t) oy * OW + ox];
        a[2 * ox] = a[2 * ox + 1] = b[2 * ox] = b[2 * ox + 1] = g;
      }
    }
  }
}

int
gc_avgpool2_forward (const gc_tensor *x, gc_tensor *y)
{
  if (check_io (x, y, 1, "avgpool2") < 0)
    return -1;
  GC_CHECK_SHAPE (x->h >= 2 && x->w >= 2,
      "avgpool2: input %dx%d is smaller than 2x2", x->h, x->w);
  if (gc_tensor_resize (y, x->n, x->c, x->h / 2, x->w / 2) < 0)
    return -1;
  plane_ctx c = { 2, x, y };
  for_planes (x->n * x->c, gc_tensor_size (x), avgpool_fwd_items, &c);
  return 0;
}

int
gc_avgpool2_backward (const gc_tensor *x, const gc_tensor *dy, gc_tensor *dx)
{
  if (check (x, 1, "avgpool2 backward") < 0
      || check_io (dy, dx, 1, "avgpool2 backward") < 0)
    return -1;
  GC_CHECK_SHAPE (dx != x && (!dx->data || dx->data != x->data),
      "avgpool2 backward: dx aliases the forward input");
  GC_CHECK_SHAPE (dy->n == x->n && dy->c == x->c && dy->h == x->h / 2
      && dy->w == x->w / 2, "avgpool2 backward: dy does not match the forward");
  if (gc_tensor_resize (dx, x->n, x->c, x->h, x->w) < 0)
    return -1;
  plane_ctx c = { 2, dy, dx };
  for_planes (x->n * x->c, gc_tensor_size (x), avgpool_bwd_items, &c);
  return 0;
}
