/* libgancore — basic types shared by every part of the core:
 * tensors, random numbers, trainable parameters and error reporting.
 *
 * Conventions (all layers follow them):
 *  - Tensors are dense float32, row-major, at most 4-D. Images are NCHW,
 *    sequences are N,C,T stored as n=N, c=C, h=1, w=T, vectors are n=N, c=C.
 *  - Layer forward:  gc_X_forward (layer, x, y)  — y is (re)shaped by the layer.
 *  - Layer backward: gc_X_backward (layer, x, dy, dx) — x is the input of the
 *    matching forward; *accumulates* (+=) parameter gradients into
 *    param->g; writes dx (overwrites), or skips it when dx is NULL.
 *    Where the derivative needs more than x, the extra arguments sit before
 *    dy: the activations take x and y (gc_act_backward), the GRU the cache
 *    its forward filled, instance norm the class indices. Parameter-free
 *    resampling that needs no input takes (r, dy, dx).
 *    Layers keep no hidden activation cache (the norms recompute their
 *    statistics from x), so one layer can be applied to several inputs (a
 *    discriminator on real and on fake) as long as the caller keeps each
 *    call's tensors.
 *  - Forward-mode (JVP) variants exist for dense, conv1d, conv2d and the
 *    piecewise linear activations, used for exact WGAN-GP/R1 parameter
 *    gradients.
 */
#ifndef GC_BASE_H
#define GC_BASE_H

#include <stddef.h>
#include <stdint.h>

#include "gancore.h"

GC_BEGIN_DECLS

#define GC_MAX_NAME 96

/* ---- errors ------------------------------------------------------------ */

/* Functions that can fail return 0 on success and -1 on failure, having
 * written a human readable message into the thread-local error buffer
 * that gc_last_error () (gancore.h) reads. gc_set_error may take
 * gc_last_error () as an argument, to add context. */
void gc_set_error (const char *fmt, ...)
#ifdef __GNUC__
    __attribute__ ((format (printf, 1, 2)))
#endif
    ;

/* ---- tensors ----------------------------------------------------------- */

typedef struct gc_tensor {
  int n, c, h, w;           /* unused trailing dims are 1 */
  float *data;              /* 64-byte aligned */
  size_t cap;               /* allocated floats */
} gc_tensor;

#define GC_TENSOR_INIT { 1, 1, 1, 1, NULL, 0 }

static inline size_t gc_tensor_size (const gc_tensor *t)
{
  return (size_t) t->n * t->c * t->h * t->w;
}

/* Reshape, growing the buffer if needed (contents undefined after growth).
 * Returns 0, or -1 on allocation failure or bad dims. */
int gc_tensor_resize (gc_tensor *t, int n, int c, int h, int w);
/* Resize like other and copy its contents. */
int gc_tensor_copy (gc_tensor *dst, const gc_tensor *src);
void gc_tensor_zero (gc_tensor *t);
void gc_tensor_free (gc_tensor *t);
void *gc_alloc (size_t bytes);   /* 64-byte aligned, zeroed; NULL on failure */
void gc_free (void *p);

/* ---- random numbers (xoshiro128+, reproducible across platforms) ------- */

typedef struct gc_rng { uint32_t s[4]; } gc_rng;

void gc_rng_seed (gc_rng *r, uint64_t seed);
uint32_t gc_rng_u32 (gc_rng *r);
float gc_rng_uniform (gc_rng *r);          /* [0, 1) */
float gc_rng_normal (gc_rng *r);           /* N(0, 1) */
void gc_rng_fill_normal (gc_rng *r, float *x, size_t n, float mean, float std);
void gc_rng_fill_uniform (gc_rng *r, float *x, size_t n, float lo, float hi);

/* ---- trainable parameters ---------------------------------------------- */

typedef struct gc_param {
  char name[GC_MAX_NAME];   /* e.g. "gen.conv1.weight": the model-file name */
  int ndim;
  int shape[4];
  size_t n;                 /* number of floats */
  float *w;                 /* values */
  float *g;                 /* gradient accumulator (same size), may be NULL in
                             * inference-only builds */
  int trainable;            /* 0 for running stats (batch norm mean/var) */
} gc_param;

/* Allocates w and g (zeroed). ndim 1..4. Returns 0 or -1. */
int gc_param_init (gc_param *p, const char *name, int ndim, const int *shape);
void gc_param_free (gc_param *p);
void gc_param_zero_grad (gc_param *p);

/* A flat list of pointers to a model's parameters (it does not own them). */
typedef struct gc_param_list {
  gc_param **items;
  int count, cap;
} gc_param_list;

int gc_param_list_add (gc_param_list *l, gc_param *p);
void gc_param_list_free (gc_param_list *l);
void gc_param_list_zero_grad (gc_param_list *l);
gc_param *gc_param_list_find (const gc_param_list *l, const char *name);
size_t gc_param_list_count_floats (const gc_param_list *l, int trainable_only);
/* Prefix every name with prefix + "." (used when composing models). */
void gc_param_list_prefix (gc_param_list *l, const char *prefix);

/* Weight initialisers. fan_in as usual for the layer. */
void gc_init_kaiming (gc_param *p, int fan_in, float leaky_slope, gc_rng *r);
void gc_init_xavier (gc_param *p, int fan_in, int fan_out, gc_rng *r);
void gc_init_const (gc_param *p, float v);

GC_END_DECLS
#endif
