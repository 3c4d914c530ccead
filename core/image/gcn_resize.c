/* MATLAB-compatible bicubic imresize and a bilinear resampler. */
#include "gcn_resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Keys' cubic with a = -0.5, the kernel MATLAB calls "bicubic". */
static double
cubic (double x)
{
  double ax = fabs (x), ax2 = ax * ax, ax3 = ax2 * ax;
  if (ax <= 1.0)
    return 1.5 * ax3 - 2.5 * ax2 + 1.0;
  if (ax <= 2.0)
    return -0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0;
  return 0.0;
}

/* Per output position: taps input indices and weights (MATLAB's
 * contributions ()). Indices are mirrored into [0, in_len). */
typedef struct {
  int taps, out_len;
  int *index;               /* [out_len][taps] */
  float *weight;            /* [out_len][taps] */
} contrib;

static void
contrib_free (contrib *c)
{
  free (c->index);
  free (c->weight);
}

static int
contrib_init (contrib *c, int in_len, int out_len)
{
  double scale = (double) out_len / in_len;
  double kw = 4.0;
  int shrink = scale < 1.0;
  if (shrink)
    kw /= scale;
  int taps = (int) ceil (kw) + 2;
  c->taps = taps;
  c->out_len = out_len;
  c->index = malloc (sizeof (int) * (size_t) out_len * taps);
  c->weight = malloc (sizeof (float) * (size_t) out_len * taps);
  if (!c->index || !c->weight) {
    contrib_free (c);
    return -1;
  }
  for (int x = 0; x < out_len; x++) {
    /* 1-based like MATLAB: centre of output pixel x+1 in input space. */
    double u = (x + 1) / scale + 0.5 * (1.0 - 1.0 / scale);
    double left = floor (u - kw / 2.0);
    double sum = 0.0;
    double w[taps];
    for (int k = 0; k < taps; k++) {
      double idx = left + k;
      w[k] = shrink ? scale * cubic (scale * (u - idx)) : cubic (u - idx);
      sum += w[k];
    }
    for (int k = 0; k < taps; k++) {
      /* Mirror 1-based indices: aux = [1..n, n..1]. */
      long i = (long) (left + k) - 1;
      long period = 2L * in_len;
      i %= period;
      if (i < 0)
        i += period;
      if (i >= in_len)
        i = period - 1 - i;
      c->index[(size_t) x * taps + k] = (int) i;
      c->weight[(size_t) x * taps + k] = (float) (sum != 0.0 ? w[k] / sum : 0.0);
    }
  }
  return 0;
}

int
gcn_imresize_bicubic (const float *src, int sw, int sh, int sstride,
    float *dst, int dw, int dh, int dstride)
{
  if (!src || !dst || sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0
      || sstride < sw || dstride < dw)
    return -1;
  contrib cy = { 0 }, cx = { 0 };
  float *tmp = malloc (sizeof (float) * (size_t) sw * dh);
  if (!tmp || contrib_init (&cy, sh, dh) || contrib_init (&cx, sw, dw)) {
    free (tmp);
    contrib_free (&cy);
    contrib_free (&cx);
    return -1;
  }
  /* Vertical pass: tmp (sw x dh). */
  for (int y = 0; y < dh; y++) {
    const int *ix = cy.index + (size_t) y * cy.taps;
    const float *wt = cy.weight + (size_t) y * cy.taps;
    float *out = tmp + (size_t) y * sw;
    memset (out, 0, sizeof (float) * sw);
    for (int k = 0; k < cy.taps; k++) {
      if (wt[k] == 0.f)
        continue;
      const float *in = src + (size_t) ix[k] * sstride;
      for (int x = 0; x < sw; x++)
        out[x] += wt[k] * in[x];
    }
  }
  /* Horizontal pass. */
  for (int y = 0; y < dh; y++) {
    const float *in = tmp + (size_t) y * sw;
    float *out = dst + (size_t) y * dstride;
    for (int x = 0; x < dw; x++) {
      const int *ix = cx.index + (size_t) x * cx.taps;
      const float *wt = cx.weight + (size_t) x * cx.taps;
      float acc = 0.f;
      for (int k = 0; k < cx.taps; k++)
        acc += wt[k] * in[ix[k]];
      out[x] = acc;
    }
  }
  free (tmp);
  contrib_free (&cy);
  contrib_free (&cx);
  return 0;
}

int
gcn_imresize_bicubic_u8 (const uint8_t *src, int sw, int sh, int sstride,
    uint8_t *dst, int dw, int dh, int dstride, int channels)
{
  if (!src || !dst || channels < 1 || sw <= 0 || sh <= 0 || dw <= 0
      || dh <= 0)
    return -1;
  float *in = malloc (sizeof (float) * (size_t) sw * sh);
  float *out = malloc (sizeof (float) * (size_t) dw * dh);
  if (!in || !out) {
    free (in);
    free (out);
    return -1;
  }
  int ret = 0;
  for (int ch = 0; ch < channels && !ret; ch++) {
    for (int y = 0; y < sh; y++)
      for (int x = 0; x < sw; x++)
        in[(size_t) y * sw + x] = src[(size_t) y * sstride + x * channels + ch];
    ret = gcn_imresize_bicubic (in, sw, sh, sw, out, dw, dh, dw);
    for (int y = 0; y < dh && !ret; y++)
      for (int x = 0; x < dw; x++) {
        float v = roundf (out[(size_t) y * dw + x]);
        dst[(size_t) y * dstride + x * channels + ch] =
            (uint8_t) (v < 0.f ? 0.f : v > 255.f ? 255.f : v);
      }
  }
  free (in);
  free (out);
  return ret;
}

void
gcn_resize_bilinear (const float *src, int sw, int sh, int sstride,
    float *dst, int dw, int dh, int dstride)
{
  if (!src || !dst || sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0)
    return;
  float sx = (float) sw / dw, sy = (float) sh / dh;
  for (int y = 0; y < dh; y++) {
    float fy = (y + 0.5f) * sy - 0.5f;
    if (fy < 0.f)
      fy = 0.f;
    int y0 = (int) fy;
    if (y0 > sh - 1)
      y0 = sh - 1;
    int y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
    float ay = fy - y0;
    const float *r0 = src + (size_t) y0 * sstride;
    const float *r1 = src + (size_t) y1 * sstride;
    float *out = dst + (size_t) y * dstride;
    for (int x = 0; x < dw; x++) {
      float fx = (x + 0.5f) * sx - 0.5f;
      if (fx < 0.f)
        fx = 0.f;
      int x0 = (int) fx;
      if (x0 > sw - 1)
        x0 = sw - 1;
      int x1 = x0 + 1 < sw ? x0 + 1 : sw - 1;
      float ax = fx - x0;
      float top = r0[x0] + ax * (r0[x1] - r0[x0]);
      float bot = r1[x0] + ax * (r1[x1] - r1[x0]);
      out[x] = top + ay * (bot - top);
    }
  }
}
