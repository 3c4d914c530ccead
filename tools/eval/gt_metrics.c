/* Image metrics (PSNR, SSIM, gradient energy) and SI-SDR. */
#include "gt_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double
gm_psnr (const float *a, const float *b, size_t n, double peak)
{
  if (n == 0)
    return NAN;
  double se = 0;
  for (size_t i = 0; i < n; i++) {
    double d = (double) a[i] - b[i];
    se += d * d;
  }
  double mse = se / n;
  return mse == 0 ? INFINITY : 10.0 * log10 (peak * peak / mse);
}

void
gm_rgb_to_y (const float *rgb, int w, int h, float *y)
{
  size_t plane = (size_t) w * h;
  for (size_t i = 0; i < plane; i++)
    y[i] = 16.0f + 65.481f * rgb[i] + 128.553f * rgb[plane + i]
        + 24.966f * rgb[2 * plane + i];
}

#define SSIM_WIN 11

/* Valid-region 1-D Gaussian filtering along rows then columns. */
static void
gauss_valid (const double *in, int w, int h, const double *g, double *tmp,
    double *out)
{
  int ow = w - SSIM_WIN + 1, oh = h - SSIM_WIN + 1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < ow; x++) {
      double s = 0;
      for (int k = 0; k < SSIM_WIN; k++)
        s += g[k] * in[(size_t) y * w + x + k];
      tmp[(size_t) y * ow + x] = s;
    }
  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++) {
      double s = 0;
      for (int k = 0; k < SSIM_WIN; k++)
        s += g[k] * tmp[(size_t) (y + k) * ow + x];
      out[(size_t) y * ow + x] = s;
    }
}

double
gm_ssim (const float *a, const float *b, int w, int h, double peak)
{
  if (w < SSIM_WIN || h < SSIM_WIN)
    return NAN;
  double g[SSIM_WIN], gs = 0;
  for (int k = 0; k < SSIM_WIN; k++) {
    double d = k - (SSIM_WIN - 1) / 2;
    g[k] = exp (-d * d / (2 * 1.5 * 1.5));
    gs += g[k];
  }
  for (int k = 0; k < SSIM_WIN; k++)
    g[k] /= gs;
  size_t n = (size_t) w * h;
  int ow = w - SSIM_WIN + 1, oh = h - SSIM_WIN + 1;
  size_t on = (size_t) ow * oh;
  /* 5 inputs (a, b, a^2, b^2, ab), 5 filtered maps, one scratch. */
  double *buf = malloc ((5 * n + 5 * on + (size_t) ow * h) * sizeof *buf);
  if (!buf)
    return NAN;
  double *in = buf, *f = buf + 5 * n, *tmp = f + 5 * on;
  for (size_t i = 0; i < n; i++) {
    double x = a[i], y = b[i];
    in[i] = x;
    in[n + i] = y;
    in[2 * n + i] = x * x;
    in[3 * n + i] = y * y;
    in[4 * n + i] = x * y;
  }
  for (int m = 0; m < 5; m++)
    gauss_valid (in + m * n, w, h, g, tmp, f + m * on);
  double c1 = (0.01 * peak) * (0.01 * peak), c2 = (0.03 * peak) * (0.03 * peak);
  double sum = 0;
  for (size_t i = 0; i < on; i++) {
    double mx = f[i], my = f[on + i];
    double vx = f[2 * on + i] - mx * mx, vy = f[3 * on + i] - my * my;
    double cxy = f[4 * on + i] - mx * my;
    sum += ((2 * mx * my + c1) * (2 * cxy + c2))
        / ((mx * mx + my * my + c1) * (vx + vy + c2));
  }
  free (buf);
  return sum / on;
}

/* Copy the shaved interior of plane p of a planar image. */
static void
crop_plane (const float *img, int w, int h, int p, int shave, float *out)
{
  int cw = w - 2 * shave, ch = h - 2 * shave;
  for (int y = 0; y < ch; y++)
    memcpy (out + (size_t) y * cw,
        img + (size_t) p * w * h + (size_t) (y + shave) * w + shave,
        cw * sizeof *out);
}

int
gm_image_quality (const float *a, const float *b, int w, int h, int shave,
    int use_y, double *psnr, double *ssim)
{
  if (shave < 0 || w - 2 * shave <= 0 || h - 2 * shave <= 0)
    return -1;
  int cw = w - 2 * shave, ch = h - 2 * shave;
  size_t cn = (size_t) cw * ch;
  float *ca = malloc (3 * cn * sizeof *ca), *cb = malloc (3 * cn * sizeof *cb);
  if (!ca || !cb) {
    free (ca);
    free (cb);
    return -1;
  }
  for (int p = 0; p < 3; p++) {
    crop_plane (a, w, h, p, shave, ca + p * cn);
    crop_plane (b, w, h, p, shave, cb + p * cn);
  }
  if (use_y) {
    float *ya = malloc (cn * sizeof *ya), *yb = malloc (cn * sizeof *yb);
    if (!ya || !yb) {
      free (ya);
      free (yb);
      free (ca);
      free (cb);
      return -1;
    }
    gm_rgb_to_y (ca, cw, ch, ya);
    gm_rgb_to_y (cb, cw, ch, yb);
    *psnr = gm_psnr (ya, yb, cn, 255.0);
    *ssim = gm_ssim (ya, yb, cw, ch, 255.0);
    free (ya);
    free (yb);
  } else {
    *psnr = gm_psnr (ca, cb, 3 * cn, 1.0);
    double s = 0;
    for (int p = 0; p < 3; p++)
      s += gm_ssim (ca + p * cn, cb + p * cn, cw, ch, 1.0);
    *ssim = s / 3;
  }
  free (ca);
  free (cb);
  return 0;
}

double
gm_gradient_energy (const float *rgb, int w, int h)
{
  if (w < 3 || h < 3)
    return NAN;
  size_t plane = (size_t) w * h;
  double sum = 0;
#define LUMA(i) (0.299 * rgb[i] + 0.587 * rgb[plane + (i)] \
      + 0.114 * rgb[2 * plane + (i)])
  for (int y = 1; y < h - 1; y++)
    for (int x = 1; x < w - 1; x++) {
      size_t i = (size_t) y * w + x;
      double gx = (LUMA (i + 1) - LUMA (i - 1)) * 0.5;
      double gy = (LUMA (i + w) - LUMA (i - w)) * 0.5;
      sum += gx * gx + gy * gy;
    }
#undef LUMA
  return sum / ((double) (w - 2) * (h - 2));
}

double
gm_si_sdr (const float *ref, const float *est, size_t n)
{
  if (n == 0)
    return NAN;
  double mr = 0, me = 0;
  for (size_t i = 0; i < n; i++) {
    mr += ref[i];
    me += est[i];
  }
  mr /= n;
  me /= n;
  double rr = 0, re = 0;
  for (size_t i = 0; i < n; i++) {
    double r = ref[i] - mr, e = est[i] - me;
    rr += r * r;
    re += r * e;
  }
  if (rr == 0)
    return NAN;
  double alpha = re / rr, target = 0, noise = 0;
  for (size_t i = 0; i < n; i++) {
    double t = alpha * (ref[i] - mr), e = est[i] - me;
    target += t * t;
    noise += (e - t) * (e - t);
  }
  if (noise == 0)
    return INFINITY;
  if (target == 0)
    return -INFINITY;
  return 10.0 * log10 (target / noise);
}
