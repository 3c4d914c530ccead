/* gcn_style_colour — per-channel CIELAB mean/std colour transfer.
 *
 * The classic colour transfer (Reinhard et al. 2001, here in CIELAB with
 * D65 white): every pixel's L, a, b is standardised with the frame's own
 * statistics and given the painting's mean and spread. ganstyle builds its
 * output on top of this map, so the palette of a style is exact from the
 * first training step and the network only adds texture; the evaluation
 * tools use the same functions as the no-network baseline.
 *
 * Written for a frame per 30 ms: the sRGB curves are table look-ups and the
 * cube root a bit trick plus two Newton steps (max error against libm about
 * 1e-4 in L, a and b; tested). */
#ifndef GCN_STYLE_COLOUR_H
#define GCN_STYLE_COLOUR_H

#include "gc_export.h"
#include <stddef.h>

GC_BEGIN_DECLS

/* mean L, a, b then standard deviation L, a, b */
#define GCN_LAB_STATS 6
/* The spread is scaled by at most this much, so a nearly flat frame does
 * not have its noise blown up into colour. */
#define GCN_LAB_MAX_GAIN 8.f

/* 2^y for y in (-126, 126): 2^floor (y) times a degree-6 polynomial
 * (relative error about 2e-7), branch-free so loops around it vectorise. */
static inline float
gcn_fast_exp2 (float y)
{
  int n = (int) (y + 128.f) - 128;      /* floor, y > -128 */
  float f = y - (float) n;
  float p = 1.53534e-4f;
  p = p * f + 1.33989e-3f;
  p = p * f + 9.61844e-3f;
  p = p * f + 5.55033e-2f;
  p = p * f + 0.240227f;
  p = p * f + 0.693147f;
  p = p * f + 1.f;
  union { float f; int i; } u = { p };
  u.i += n * (1 << 23);
  return u.f;
}

/* n pixels of planar sRGB in [0, 1] (r, g, b may have any stride between
 * planes: pointers are given) to L in [0, 100], a, b. */
void gcn_lab_from_rgb (const float *r, const float *g, const float *b,
    float *L, float *A, float *B, size_t n);
/* The inverse, clamped to [0, 1] (out of gamut colours clip). */
void gcn_rgb_from_lab (const float *L, const float *A, const float *B,
    float *r, float *g, float *b, size_t n);

/* Statistics of a planar RGB image [3][h][w] (plane stride w*h), over every
 * `step`-th pixel in x and y (1: all). */
void gcn_lab_stats (const float *rgb, int w, int h, int step,
    float stats[GCN_LAB_STATS]);

/* Map n pixels of planes (r, g, b) from statistics `from` to `to`; out
 * planes may alias the input. */
void gcn_lab_transfer (const float *r, const float *g, const float *b,
    float *or_, float *og, float *ob, size_t n,
    const float from[GCN_LAB_STATS], const float to[GCN_LAB_STATS]);

/* Give a planar RGB image [3][h][w] the statistics `to`, in place: its own
 * statistics (every `step`-th pixel) then the transfer. */
void gcn_lab_match (float *rgb, int w, int h, int step,
    const float to[GCN_LAB_STATS]);

GC_END_DECLS
#endif
