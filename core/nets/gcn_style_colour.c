/* gcn_style_colour — CIELAB mean/std colour transfer (see the header). */
#include "gcn_style_colour.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define LUT_N 4096

static float lin_lut[LUT_N + 2];        /* sRGB code value -> linear */
static float srgb_lut[LUT_N + 2];       /* sqrt (linear) -> sRGB */
static int luts_ready;

/* Both tables are pure functions of the index, so two threads filling them
 * at once write the same values: no lock is needed. */
static void
luts_init (void)
{
  if (luts_ready)
    return;
  for (int i = 0; i <= LUT_N + 1; i++) {
    double c = (double) i / LUT_N;
    lin_lut[i] = (float) (c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055,
            2.4));
    double l = c * c;
    srgb_lut[i] = (float) (l <= 0.0031308 ? 12.92 * l : 1.055 * pow (l,
            1.0 / 2.4) - 0.055);
  }
  __atomic_store_n (&luts_ready, 1, __ATOMIC_RELEASE);
}

static inline float
clamp01 (float v)
{
  return v < 0.f ? 0.f : (v > 1.f ? 1.f : v);
}

static inline float
lut (const float *t, float v)
{
  float p = clamp01 (v) * LUT_N;
  int i = (int) p;
  float f = p - (float) i;
  return t[i] + f * (t[i + 1] - t[i]);
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
  return t > EPS_T ? fast_cbrt (t) : t * 7.787037f + 4.f / 29.f;
}

static inline float
lab_finv (float t)
{
  return t > 6.f / 29.f ? t * t * t : (t - 4.f / 29.f) * KAPPA_INV;
}

/* D65 white */
#define XN 0.95047f
#define ZN 1.08883f

static inline void
to_lab (float r, float g, float b, float *L, float *A, float *B)
{
  float lr = lut (lin_lut, r), lg = lut (lin_lut, g), lb = lut (lin_lut, b);
  float x = (0.4124564f * lr + 0.3575761f * lg + 0.1804375f * lb) / XN;
  float y = 0.2126729f * lr + 0.7151522f * lg + 0.0721750f * lb;
  float z = (0.0193339f * lr + 0.1191920f * lg + 0.9503041f * lb) / ZN;
  float fx = lab_f (x), fy = lab_f (y), fz = lab_f (z);
  *L = 116.f * fy - 16.f;
  *A = 500.f * (fx - fy);
  *B = 200.f * (fy - fz);
}

static inline void
from_lab (float L, float A, float B, float *r, float *g, float *b)
{
  float fy = (L + 16.f) / 116.f;
  float x = XN * lab_finv (fy + A / 500.f);
  float y = lab_finv (fy);
  float z = ZN * lab_finv (fy - B / 200.f);
  float lr = 3.2404542f * x - 1.5371385f * y - 0.4985314f * z;
  float lg = -0.9692660f * x + 1.8760108f * y + 0.0415560f * z;
  float lb = 0.0556434f * x - 0.2040259f * y + 1.0572252f * z;
  *r = lut (srgb_lut, sqrtf (clamp01 (lr)));
  *g = lut (srgb_lut, sqrtf (clamp01 (lg)));
  *b = lut (srgb_lut, sqrtf (clamp01 (lb)));
}

void
gcn_lab_from_rgb (const float *r, const float *g, const float *b, float *L,
    float *A, float *B, size_t n)
{
  luts_init ();
  for (size_t i = 0; i < n; i++)
    to_lab (r[i], g[i], b[i], &L[i], &A[i], &B[i]);
}

void
gcn_rgb_from_lab (const float *L, const float *A, const float *B, float *r,
    float *g, float *b, size_t n)
{
  luts_init ();
  for (size_t i = 0; i < n; i++)
    from_lab (L[i], A[i], B[i], &r[i], &g[i], &b[i]);
}

void
gcn_lab_stats (const float *rgb, int w, int h, int step, float stats[6])
{
  double s[3] = { 0 }, q[3] = { 0 };
  size_t plane = (size_t) w * h, n = 0;
  luts_init ();
  if (step < 1)
    step = 1;
  for (int y = 0; y < h; y += step)
    for (int x = 0; x < w; x += step) {
      size_t i = (size_t) y * w + x;
      float v[3];
      to_lab (rgb[i], rgb[plane + i], rgb[2 * plane + i], &v[0], &v[1], &v[2]);
      for (int c = 0; c < 3; c++) {
        s[c] += v[c];
        q[c] += (double) v[c] * v[c];
      }
      n++;
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
  luts_init ();
  for (int c = 0; c < 3; c++) {
    float sd = from[3 + c] > 1e-3f ? from[3 + c] : 1e-3f;
    gain[c] = to[3 + c] / sd;
    if (gain[c] > GCN_LAB_MAX_GAIN)
      gain[c] = GCN_LAB_MAX_GAIN;
    off[c] = to[c] - from[c] * gain[c];
  }
  for (size_t i = 0; i < n; i++) {
    float L, A, B;
    to_lab (r[i], g[i], b[i], &L, &A, &B);
    from_lab (L * gain[0] + off[0], A * gain[1] + off[1], B * gain[2] + off[2],
        &or_[i], &og[i], &ob[i]);
  }
}
