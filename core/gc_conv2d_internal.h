/* libgancore — 2-D convolution, internal: what the gc_conv2d*.c files
 * share. Not installed, not public API: gc_conv2d.c explains the kernels
 * and lists which file holds what. */
#ifndef GC_CONV2D_INTERNAL_H
#define GC_CONV2D_INTERNAL_H

#include "gc_layers.h"

/* ---- geometry (gc_conv2d_geom.c) ----------------------------------------- */

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

void gc_conv2d_geom_init_ (conv_geom *g, const gc_conv2d *l, int n, int h,
    int w);

/* Output columns ox whose input column ox*stride + off lies in [0, w). */
static inline void
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

/* ---- shape checks (gc_conv2d_geom.c): 0 or -1 with the error set -------- */

int gc_conv2d_separate_output_ (const gc_tensor *in, const gc_tensor *out,
    const char *op);
int gc_conv2d_check_layer_ (const gc_conv2d *l);
int gc_conv2d_check_input_ (const gc_conv2d *l, const gc_tensor *x,
    const char *what);
int gc_conv2d_check_grad_shapes_ (const gc_conv2d *l, const gc_tensor *dy,
    int n, int h, int w);

/* ---- im2col / col2im (gc_conv2d_im2col.c) -------------------------------- */

void gc_conv2d_im2col_band_ (const conv_geom *g, const float *img, int oy0,
    int oy1, float *col);
void gc_conv2d_col2im_band_ (const conv_geom *g, const float *col, int oy0,
    int oy1, float *img);

/* ---- work item contexts for gc_parallel_for ----------------------------- */

typedef struct {
  const conv_geom *g;
  const float *x, *wt, *bias;
  float *y;
  int failed;               /* see gc_conv2d_worker_failed_ */
} fwd_ctx;

typedef struct {
  const conv_geom *g;
  const float *dy, *wt, *x;
  float *dx;
  float **dw_slots;         /* per worker weight-gradient accumulators */
  float *dw_main;           /* worker 0 accumulates here directly */
  size_t dw_size;
  int failed;               /* see gc_conv2d_worker_failed_ */
} bwd_ctx;

/* A worker whose scratch allocation failed marks its context's failed
 * flag (the error buffer is per thread, so it cannot report itself); the
 * pass then reports out of memory and returns -1. */
static inline void
gc_conv2d_worker_failed_ (int *failed)
{
  __atomic_store_n (failed, 1, __ATOMIC_RELAXED);
}

static inline int
gc_conv2d_workers_ok_ (int *failed)
{
  return !__atomic_load_n (failed, __ATOMIC_RELAXED);
}

/* ---- passes -------------------------------------------------------------- */

/* gc_conv2d_forward.c: forward, with or without the bias (the JVP).
 * 0, or -1 with the error set. */
int gc_conv2d_conv_forward_ (gc_conv2d *l, const gc_tensor *x, gc_tensor *y,
    int use_bias);

/* gc_conv2d_plane.c: stride-1 kernels for few outputs per group. */
void gc_conv2d_plane_fwd_items_ (void *ctx, int begin, int end, int worker);
void gc_conv2d_plane_grad_input_items_ (void *ctx, int begin, int end,
    int worker);
void gc_conv2d_plane_grad_weight_items_ (void *ctx, int begin, int end,
    int worker);

/* Also used by gc_deconv2d.c. 0, or -1 with the error set. */
int gc_conv2d_grad_input_ (const gc_conv2d *l, const gc_tensor *dy, int h,
    int w, gc_tensor *dx);
int gc_conv2d_grad_weight_ (gc_conv2d *l, const gc_tensor *x,
    const gc_tensor *dy);
double gc_conv2d_sum_ (const float *p, size_t n);

#endif /* GC_CONV2D_INTERNAL_H */
