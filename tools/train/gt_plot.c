/* Draws the loss curves into an RGB canvas and saves it with gt_png. */
#include "gt_plot.h"
#include "gt_png.h"

#include "gc_base.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLOT_W 960
#define PLOT_H 480
#define MARGIN_L 70
#define MARGIN_R 20
#define MARGIN_T 20
#define MARGIN_B 36
#define FONT_SCALE 2

typedef struct canvas {
  int w, h;
  uint8_t *px;
} canvas;

static const uint8_t palette[8][3] = {
  { 31, 119, 180 }, { 255, 127, 14 }, { 44, 160, 44 }, { 214, 39, 40 },
  { 148, 103, 189 }, { 140, 86, 75 }, { 227, 119, 194 }, { 23, 190, 207 },
};

/* A 3x5 pixel font, rows top to bottom, bit 2 = left column. Enough for
 * numbers and loss names; upper case is drawn as lower case. */
static const uint8_t *
glyph (int ch)
{
  static const uint8_t digits[10][5] = {
    { 7, 5, 5, 5, 7 }, { 2, 6, 2, 2, 7 }, { 7, 1, 7, 4, 7 }, { 7, 1, 7, 1, 7 },
    { 5, 5, 7, 1, 1 }, { 7, 4, 7, 1, 7 }, { 7, 4, 7, 5, 7 }, { 7, 1, 1, 2, 2 },
    { 7, 5, 7, 5, 7 }, { 7, 5, 7, 1, 7 },
  };
  static const uint8_t letters[26][5] = {
    { 2, 5, 7, 5, 5 }, { 6, 5, 6, 5, 6 }, { 3, 4, 4, 4, 3 }, { 6, 5, 5, 5, 6 },
    { 7, 4, 6, 4, 7 }, { 7, 4, 6, 4, 4 }, { 3, 4, 5, 5, 3 }, { 5, 5, 7, 5, 5 },
    { 7, 2, 2, 2, 7 }, { 1, 1, 1, 5, 2 }, { 5, 5, 6, 5, 5 }, { 4, 4, 4, 4, 7 },
    { 5, 7, 7, 5, 5 }, { 6, 5, 5, 5, 5 }, { 2, 5, 5, 5, 2 }, { 6, 5, 6, 4, 4 },
    { 2, 5, 5, 6, 3 }, { 6, 5, 6, 5, 5 }, { 3, 4, 2, 1, 6 }, { 7, 2, 2, 2, 2 },
    { 5, 5, 5, 5, 7 }, { 5, 5, 5, 5, 2 }, { 5, 5, 7, 7, 5 }, { 5, 5, 2, 5, 5 },
    { 5, 5, 2, 2, 2 }, { 7, 1, 2, 4, 7 },
  };
  static const struct { char c; uint8_t rows[5]; } punct[] = {
    { '.', { 0, 0, 0, 0, 2 } }, { '-', { 0, 0, 7, 0, 0 } },
    { '_', { 0, 0, 0, 0, 7 } }, { '+', { 0, 2, 7, 2, 0 } },
    { '/', { 1, 1, 2, 4, 4 } }, { '(', { 2, 4, 4, 4, 2 } },
    { ')', { 2, 1, 1, 1, 2 } }, { '=', { 0, 7, 0, 7, 0 } },
    { ':', { 0, 2, 0, 2, 0 } }, { ',', { 0, 0, 0, 2, 4 } },
  };
  if (ch >= '0' && ch <= '9')
    return digits[ch - '0'];
  if (isalpha (ch))
    return letters[tolower (ch) - 'a'];
  for (size_t i = 0; i < sizeof punct / sizeof punct[0]; i++)
    if (punct[i].c == ch)
      return punct[i].rows;
  return NULL;
}

static void
put (canvas *cv, int x, int y, const uint8_t *rgb)
{
  if (x < 0 || y < 0 || x >= cv->w || y >= cv->h)
    return;
  memcpy (cv->px + ((size_t) y * cv->w + x) * 3, rgb, 3);
}

static void
hline (canvas *cv, int x0, int x1, int y, const uint8_t *rgb)
{
  for (int x = x0; x <= x1; x++)
    put (cv, x, y, rgb);
}

static void
vline (canvas *cv, int x, int y0, int y1, const uint8_t *rgb)
{
  for (int y = y0; y <= y1; y++)
    put (cv, x, y, rgb);
}

/* Bresenham, two pixels thick so thin lines stay visible when scaled. */
static void
line (canvas *cv, int x0, int y0, int x1, int y1, const uint8_t *rgb)
{
  int dx = abs (x1 - x0), sx = x0 < x1 ? 1 : -1;
  int dy = -abs (y1 - y0), sy = y0 < y1 ? 1 : -1;
  int err = dx + dy;
  for (;;) {
    put (cv, x0, y0, rgb);
    put (cv, x0, y0 + 1, rgb);
    if (x0 == x1 && y0 == y1)
      break;
    int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

static int
text_width (const char *s)
{
  return (int) strlen (s) * 4 * FONT_SCALE;
}

static void
text (canvas *cv, int x, int y, const char *s, const uint8_t *rgb)
{
  for (; *s; s++, x += 4 * FONT_SCALE) {
    const uint8_t *g = glyph ((unsigned char) *s);
    if (!g)
      continue;
    for (int r = 0; r < 5; r++)
      for (int col = 0; col < 3; col++)
        if (g[r] & (4 >> col))
          for (int a = 0; a < FONT_SCALE; a++)
            for (int b = 0; b < FONT_SCALE; b++)
              put (cv, x + col * FONT_SCALE + b, y + r * FONT_SCALE + a, rgb);
  }
}

/* Trailing moving average over a window that grows with the run, so a long
 * noisy GAN run still shows its trend. */
static void
smooth (const float *v, int stride, int n, int win, double *out)
{
  double sum = 0;
  int cnt = 0;
  for (int i = 0; i < n; i++) {
    double x = v[(size_t) i * stride];
    if (isfinite (x)) {
      sum += x;
      cnt++;
    }
    if (i >= win) {
      double old = v[(size_t) (i - win) * stride];
      if (isfinite (old)) {
        sum -= old;
        cnt--;
      }
    }
    out[i] = cnt ? sum / cnt : NAN;
  }
}

/* A "nice" grid spacing (1, 2 or 5 times a power of ten). */
static double
nice_step (double range, int ticks)
{
  double raw = range / ticks, p = pow (10, floor (log10 (raw)));
  double m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

int
gt_plot_losses (const char *path, int n_series, const char *const *names,
    const long *steps, const float *values, int n_points)
{
  if (n_series <= 0 || n_points <= 0) {
    gc_set_error ("%s: nothing to plot", path);
    return -1;
  }
  canvas cv = { PLOT_W, PLOT_H, malloc ((size_t) PLOT_W * PLOT_H * 3) };
  double *sm = malloc ((size_t) n_points * n_series * sizeof *sm);
  if (!cv.px || !sm) {
    free (cv.px);
    free (sm);
    gc_set_error ("%s: out of memory", path);
    return -1;
  }
  memset (cv.px, 255, (size_t) PLOT_W * PLOT_H * 3);
  int win = n_points / 50 > 1 ? n_points / 50 : 1;
  double lo = INFINITY, hi = -INFINITY;
  for (int s = 0; s < n_series; s++) {
    smooth (values + s, n_series, n_points, win, sm + (size_t) s * n_points);
    for (int i = 0; i < n_points; i++) {
      double v = sm[(size_t) s * n_points + i];
      if (isfinite (v)) {
        lo = fmin (lo, v);
        hi = fmax (hi, v);
      }
    }
  }
  if (!isfinite (lo)) {
    lo = 0;
    hi = 1;
  }
  /* Losses of very different sizes (an L1 of 0.02 next to a PSNR of 30)
   * would flatten all but the largest: use a log axis when all are
   * positive and span more than two decades. */
  int logy = lo > 0 && hi / lo > 100;
  if (logy) {
    lo = log10 (lo);
    hi = log10 (hi);
    for (size_t i = 0; i < (size_t) n_points * n_series; i++)
      sm[i] = sm[i] > 0 ? log10 (sm[i]) : NAN;
  }
  if (hi - lo < 1e-9 * fmax (1, fabs (hi))) {
    lo -= 0.5;
    hi += 0.5;
  }
  double pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  double x0 = steps[0], x1 = steps[n_points - 1];
  if (x1 <= x0)
    x1 = x0 + 1;

  int pl = MARGIN_L, pr = PLOT_W - MARGIN_R, pt = MARGIN_T,
      pb = PLOT_H - MARGIN_B;
  static const uint8_t grid[3] = { 225, 225, 225 }, axis[3] = { 60, 60, 60 };
#define PX(x) (pl + (int) lround (((x) - x0) / (x1 - x0) * (pr - pl)))
#define PY(y) (pb - (int) lround (((y) - lo) / (hi - lo) * (pb - pt)))
  char label[32];
  if (logy) {
    /* Lines at 1, 2 and 5 times each power of ten (only 1 when crowded). */
    static const double mant[3] = { 1, 2, 5 };
    int nm = hi - lo > 5 ? 1 : 3;
    for (int e = (int) floor (lo); e <= (int) ceil (hi); e++)
      for (int k = 0; k < nm; k++) {
        double v = mant[k] * pow (10, e), y = log10 (v);
        if (y < lo || y > hi)
          continue;
        int py = PY (y);
        hline (&cv, pl, pr, py, grid);
        snprintf (label, sizeof label, "%g", v);
        text (&cv, pl - 6 - text_width (label), py - 5, label, axis);
      }
  } else {
    double ys = nice_step (hi - lo, 6);
    for (double y = ceil (lo / ys) * ys; y <= hi; y += ys) {
      int py = PY (y);
      hline (&cv, pl, pr, py, grid);
      snprintf (label, sizeof label, "%.3g", fabs (y) < ys * 1e-6 ? 0.0 : y);
      text (&cv, pl - 6 - text_width (label), py - 5, label, axis);
    }
  }
  double xs = nice_step (x1 - x0, 8);
  for (double x = ceil (x0 / xs) * xs; x <= x1; x += xs) {
    int px = PX (x);
    vline (&cv, px, pt, pb, grid);
    snprintf (label, sizeof label, "%.0f", x);
    text (&cv, px - text_width (label) / 2, pb + 8, label, axis);
  }
  hline (&cv, pl, pr, pb, axis);
  vline (&cv, pl, pt, pb, axis);
  text (&cv, pr - text_width ("step"), pb + 22, "step", axis);
  if (logy)
    text (&cv, 4, 4, "log scale", axis);

  for (int s = 0; s < n_series; s++) {
    const uint8_t *col = palette[s % 8];
    const double *v = sm + (size_t) s * n_points;
    int have = 0, lx = 0, ly = 0;
    for (int i = 0; i < n_points; i++) {
      if (!isfinite (v[i]))
        continue;
      int px = PX ((double) steps[i]), py = PY (v[i]);
      if (have)
        line (&cv, lx, ly, px, py, col);
      lx = px;
      ly = py;
      have = 1;
    }
    /* Legend: a colour bar and the name, top right. */
    int lyy = pt + 8 + s * 16;
    const char *nm = names && names[s] ? names[s] : "?";
    int tx = pr - 10 - text_width (nm);
    for (int k = 0; k < 4; k++)
      hline (&cv, tx - 24, tx - 6, lyy + 3 + k, col);
    text (&cv, tx, lyy, nm, axis);
  }
#undef PX
#undef PY
  int rc = gt_png_write (path, cv.w, cv.h, cv.px);
  free (cv.px);
  free (sm);
  return rc;
}
