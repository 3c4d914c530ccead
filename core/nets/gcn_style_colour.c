/* gcn_style_colour — CIELAB mean/std colour transfer (see the header). */
#include "gcn_style_colour.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Block size of the vectorised passes: every stage runs over a block of
 * pixels in plain array loops with no branches (selects instead), which the
 * compiler turns into SIMD code. */
#define BLOCK 256

/* max/min as arithmetic: float compares in these loops would be branches
 * and stop the vectoriser */
static inline float
maxf (float a, float b)
{
  return 0.5f * (a + b + __builtin_fabsf (a - b));
}

static inline float
minf (float a, float b)
{
  return 0.5f * (a + b - __builtin_fabsf (a - b));
}

/* cond ? a : b with both sides computed (a blend, not a branch) */
static inline float
pick (int cond, float a, float b)
{
  float k = (float) cond;
  return b + k * (a - b);
}

static inline float
clamp01 (float v)
{
  return minf (maxf (v, 0.f), 1.f);
}

/* log2 of x > 0: exponent plus the atanh series of the mantissa (error
 * about 2e-6). */
static inline float
fast_log2 (float x)
{
  union { float f; int32_t i; } u = { x };
  float e = (float) ((u.i >> 23) & 255) - 127.f;
  u.i = (u.i & 0x7fffff) | 0x3f800000;          /* mantissa in [1, 2) */
  float t = (u.f - 1.f) / (u.f + 1.f), t2 = t * t;
  float p = 1.f / 11.f;
  p = p * t2 + 1.f / 9.f;
  p = p * t2 + 1.f / 7.f;
  p = p * t2 + 1.f / 5.f;
  p = p * t2 + 1.f / 3.f;
  p = p * t2 + 1.f;
  return e + 2.8853900817779268f * t * p;       /* 2 / ln 2 */
}

static inline float
srgb_to_linear (float c)
{
  c = clamp01 (c);
  float hi = gcn_fast_exp2 (2.4f * fast_log2 ((c + 0.055f) * (1.f / 1.055f)));
  return pick (c > 0.04045f, hi, c * (1.f / 12.92f));
}

static inline float
linear_to_srgb (float l)
{
  l = clamp01 (l);
  float hi = 1.055f * gcn_fast_exp2 (fast_log2 (maxf (l, 1e-6f))
      * (1.f / 2.4f)) - 0.055f;
  return pick (l > 0.0031308f, hi, 12.92f * l);
}

/* Cube root of t > 0: exponent trick for a first guess, two Newton steps. */
static inline float
fast_cbrt (float t)
{
  union { float f; uint32_t i; } u = { t };
  u.i = u.i / 3 + 709921077u;
  float y = u.f;
  y = y - (y * y * y - t) / (3.f * y * y);
  y = y - (y * y * y - t) / (3.f * y * y);
  return y;
}

#define EPS_T 0.008856452f      /* (6/29)^3 */
#define KAPPA_INV 0.12841855f   /* 1 / (3 (6/29)^2) */

static inline float
lab_f (float t)
{
  float c = fast_cbrt (maxf (t, 1e-6f));
  return pick (t > EPS_T, c, t * 7.787037f + 4.f / 29.f);
}

static inline float
lab_finv (float t)
{
  return pick (t > 6.f / 29.f, t * t * t, (t - 4.f / 29.f) * KAPPA_INV);
}

/* D65 white */
#define XN 0.95047f
#define ZN 1.08883f

/* One block: rgb -> lab, then lab' = lab * gain + off when gain != NULL and
 * back to rgb; results go to the out planes (lab or rgb). */
static void
block_to_lab (const float *r, const float *g, const float *b, float *L,
    float *A, float *B, int n)
{
  float lr[BLOCK], lg[BLOCK], lb[BLOCK];
  for (int i = 0; i < n; i++) {
    lr[i] = srgb_to_linear (r[i]);
    lg[i] = srgb_to_linear (g[i]);
    lb[i] = srgb_to_linear (b[i]);
  }
  for (int i = 0; i < n; i++) {
    float x = (0.4124564f * lr[i] + 0.3575761f * lg[i] + 0.1804375f * lb[i])
        * (1.f / XN);
    float y = 0.2126729f * lr[i] + 0.7151522f * lg[i] + 0.0721750f * lb[i];
    float z = (0.0193339f * lr[i] + 0.1191920f * lg[i] + 0.9503041f * lb[i])
        * (1.f / ZN);
    float fx = lab_f (x), fy = lab_f (y), fz = lab_f (z);
    L[i] = 116.f * fy - 16.f;
    A[i] = 500.f * (fx - fy);
    B[i] = 200.f * (fy - fz);
  }
}

static void
block_from_lab (const float *L, const float *A, const float *B, float *r,
    float *g, float *b, int n)
{
  float lr[BLOCK], lg[BLOCK], lb[BLOCK];
  for (int i = 0; i < n; i++) {
    float fy = (L[i] + 16.f) * (1.f / 116.f);
    float x = XN * lab_finv (fy + A[i] * (1.f / 500.f));
    float y = lab_finv (fy);
    float z = ZN * lab_finv (fy - B[i] * (1.f / 200.f));
    lr[i] = 3.2404542f * x - 1.5371385f * y - 0.4985314f * z;
    lg[i] = -0.9692660f * x + 1.8760108f * y + 0.0415560f * z;
    lb[i] = 0.0556434f * x - 0.2040259f * y + 1.0572252f * z;
  }
  for (int i = 0; i < n; i++) {
    r[i] = linear_to_srgb (lr[i]);
    g[i] = linear_to_srgb (lg[i]);
    b[i] = linear_to_srgb (lb[i]);
  }
}

void
gcn_lab_from_rgb (const float *r, const float *g, const float *b, float *L,
    float *A, float *B, size_t n)
{
  for (size_t i = 0; i < n; i += BLOCK) {
    int m = n - i < BLOCK ? (int) (n - i) : BLOCK;
    block_to_lab (r + i, g + i, b + i, L + i, A + i, B + i, m);
  }
}

void
gcn_rgb_from_lab (const float *L, const float *A, const float *B, float *r,
    float *g, float *b, size_t n)
{
  for (size_t i = 0; i < n; i += BLOCK) {
    int m = n - i < BLOCK ? (int) (n - i) : BLOCK;
    block_from_lab (L + i, A + i, B + i, r + i, g + i, b + i, m);
  }
}

void
gcn_lab_stats (const float *rgb, int w, int h, int step, float stats[6])
{
  double s[3] = { 0 }, q[3] = { 0 };
  size_t plane = (size_t) w * h, n = 0;
  float in[3][BLOCK], lab[3][BLOCK];
  if (step < 1)
    step = 1;
  for (int y = 0; y < h; y += step)
    for (int x0 = 0; x0 < w; x0 += BLOCK * step) {
      int m = 0;
      for (int x = x0; x < w && m < BLOCK; x += step, m++)
        for (int c = 0; c < 3; c++)
          in[c][m] = rgb[c * plane + (size_t) y * w + x];
      block_to_lab (in[0], in[1], in[2], lab[0], lab[1], lab[2], m);
      for (int c = 0; c < 3; c++)
        for (int i = 0; i < m; i++) {   /* double: a flat frame's spread */
          s[c] += lab[c][i];
          q[c] += (double) lab[c][i] * lab[c][i];
        }
      n += m;
    }
  for (int c = 0; c < 3; c++) {
    double m = n ? s[c] / n : 0.0, var = n ? q[c] / n - m * m : 0.0;
    stats[c] = (float) m;
    stats[3 + c] = (float) sqrt (var > 0.0 ? var : 0.0);
  }
}

void
gcn_lab_transfer (const float *r, const float *g, const float *b, float *or_,
    float *og, float *ob, size_t n, const float from[6], const float to[6])
{
  float gain[3], off[3];
  for (int c = 0; c < 3; c++) {
    float sd = from[3 + c] > 1e-3f ? from[3 + c] : 1e-3f;
    gain[c] = to[3 + c] / sd;
    if (gain[c] > GCN_LAB_MAX_GAIN)
      gain[c] = GCN_LAB_MAX_GAIN;
    off[c] = to[c] - from[c] * gain[c];
  }
  float lab[3][BLOCK];
  for (size_t i = 0; i < n; i += BLOCK) {
    int m = n - i < BLOCK ? (int) (n - i) : BLOCK;
    block_to_lab (r + i, g + i, b + i, lab[0], lab[1], lab[2], m);
    for (int c = 0; c < 3; c++)
      for (int k = 0; k < m; k++)
        lab[c][k] = lab[c][k] * gain[c] + off[c];
    block_from_lab (lab[0], lab[1], lab[2], or_ + i, og + i, ob + i, m);
  }
}

void
gcn_lab_match (float *rgb, int w, int h, int step,
    const float to[GCN_LAB_STATS])
{
  float from[GCN_LAB_STATS];
  size_t plane = (size_t) w * h;
  gcn_lab_stats (rgb, w, h, step, from);
  gcn_lab_transfer (rgb, rgb + plane, rgb + 2 * plane, rgb, rgb + plane,
      rgb + 2 * plane, plane, from, to);
}
