/* style_measures — texture, colour, grid and content measures (see the
 * header). Plain loops: these run offline on a dozen frames. */
#include "style_measures.h"
#include "gcn_style_colour.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCALES 4
#define ORIENTS 4
#define SHIFTS 4
#define PER_SCALE (ORIENTS + ORIENTS * SHIFTS + 6 + 2)

static float *
luma (const float *rgb, int w, int h)
{
  size_t n = (size_t) w * h;
  float *y = malloc (n * sizeof *y);
  for (size_t i = 0; i < n; i++)
    y[i] = 0.299f * rgb[i] + 0.587f * rgb[n + i] + 0.114f * rgb[2 * n + i];
  return y;
}

static inline int
clampi (int v, int n)
{
  return v < 0 ? 0 : (v >= n ? n - 1 : v);
}

/* Separable 5-tap binomial blur, edges replicated. */
static void
blur5 (const float *in, int w, int h, float *out)
{
  static const float k[5] = { 1 / 16.f, 4 / 16.f, 6 / 16.f, 4 / 16.f, 1 / 16.f };
  float *t = malloc ((size_t) w * h * sizeof *t);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float s = 0;
      for (int i = -2; i <= 2; i++)
        s += k[i + 2] * in[(size_t) y * w + clampi (x + i, w)];
      t[(size_t) y * w + x] = s;
    }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float s = 0;
      for (int i = -2; i <= 2; i++)
        s += k[i + 2] * t[(size_t) clampi (y + i, h) * w + x];
      out[(size_t) y * w + x] = s;
    }
  free (t);
}

/* Quadrature Gabor pair (9x9, sigma 2, 0.25 cycles/pixel) at angle th:
 * magnitude of the response. */
static void
gabor_mag (const float *in, int w, int h, double th, float *mag)
{
  float ke[81], ko[81];
  double c = cos (th), s = sin (th), mean = 0;
  for (int y = -4; y <= 4; y++)
    for (int x = -4; x <= 4; x++) {
      double g = exp (-(x * x + y * y) / 8.0), u = x * c + y * s;
      ke[(y + 4) * 9 + x + 4] = (float) (g * cos (M_PI / 2 * u));
      ko[(y + 4) * 9 + x + 4] = (float) (g * sin (M_PI / 2 * u));
      mean += g * cos (M_PI / 2 * u) / 81;
    }
  for (int i = 0; i < 81; i++)
    ke[i] -= (float) mean;      /* no response to a flat patch */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float e = 0, o = 0;
      for (int j = -4; j <= 4; j++) {
        const float *row = in + (size_t) clampi (y + j, h) * w;
        for (int i = -4; i <= 4; i++) {
          float v = row[clampi (x + i, w)];
          e += ke[(j + 4) * 9 + i + 4] * v;
          o += ko[(j + 4) * 9 + i + 4] * v;
        }
      }
      mag[(size_t) y * w + x] = sqrtf (e * e + o * o);
    }
}

static double
mean_of (const float *a, size_t n)
{
  double s = 0;
  for (size_t i = 0; i < n; i++)
    s += a[i];
  return s / n;
}

/* Correlation coefficient of a and b shifted by (dx, dy), over the overlap. */
static double
corr_shift (const float *a, const float *b, int w, int h, int dx, int dy)
{
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  size_t n = 0;
  for (int y = 0; y + dy < h; y++)
    for (int x = dx < 0 ? -dx : 0; x < w && x + dx < w; x++) {
      double u = a[(size_t) y * w + x], v = b[(size_t) (y + dy) * w + x + dx];
      sa += u;
      sb += v;
      saa += u * u;
      sbb += v * v;
      sab += u * v;
      n++;
    }
  if (n < 2)
    return 0;
  double ma = sa / n, mb = sb / n;
  double va = saa / n - ma * ma, vb = sbb / n - mb * mb;
  if (va <= 1e-12 || vb <= 1e-12)
    return 0;
  return (sab / n - ma * mb) / sqrt (va * vb);
}

void
sm_texture_stats (const float *rgb, int w, int h, double *f)
{
  static const int shifts[SHIFTS][2] = { { 2, 0 }, { 0, 2 }, { 4, 0 },
    { 0, 4 } };
  float *lev = luma (rgb, w, h);
  int k = 0;
  for (int sc = 0; sc < SCALES; sc++) {
    size_t n = (size_t) w * h;
    float *low = malloc (n * sizeof *low), *bp = malloc (n * sizeof *bp);
    float *mag[ORIENTS];
    blur5 (lev, w, h, low);
    for (size_t i = 0; i < n; i++)
      bp[i] = lev[i] - low[i];
    for (int o = 0; o < ORIENTS; o++) {
      mag[o] = malloc (n * sizeof (float));
      gabor_mag (bp, w, h, o * M_PI / ORIENTS, mag[o]);
      double e = 0;
      for (size_t i = 0; i < n; i++)
        e += (double) mag[o][i] * mag[o][i];
      f[k++] = log (e / n + 1e-10);
    }
    for (int o = 0; o < ORIENTS; o++)
      for (int s = 0; s < SHIFTS; s++)
        f[k++] = corr_shift (mag[o], mag[o], w, h, shifts[s][0], shifts[s][1]);
    for (int a = 0; a < ORIENTS; a++)
      for (int b = a + 1; b < ORIENTS; b++)
        f[k++] = corr_shift (mag[a], mag[b], w, h, 0, 0);
    double m = mean_of (bp, n), m2 = 0, m3 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++) {
      double d = bp[i] - m;
      m2 += d * d;
      m3 += d * d * d;
      m4 += d * d * d * d;
    }
    m2 /= n;
    m3 /= n;
    m4 /= n;
    f[k++] = m2 > 1e-12 ? m3 / pow (m2, 1.5) : 0;
    f[k++] = m2 > 1e-12 ? log (m4 / (m2 * m2)) : 0;
    for (int o = 0; o < ORIENTS; o++)
      free (mag[o]);
    free (bp);
    /* next scale: the low-pass, halved */
    int nw = w / 2, nh = h / 2;
    float *next = malloc ((size_t) nw * nh * sizeof *next);
    for (int y = 0; y < nh; y++)
      for (int x = 0; x < nw; x++)
        next[(size_t) y * nw + x] = low[(size_t) 2 * y * w + 2 * x];
    free (low);
    free (lev);
    lev = next;
    w = nw;
    h = nh;
  }
  free (lev);
}

double
sm_texture_dist (const double *a, const double *b)
{
  /* groups weigh alike: energies in natural-log units, correlations in
   * quarters, marginals in their own units; RMS within a group */
  double g[4] = { 0 };
  int cnt[4] = { 0 };
  static const double unit[4] = { 1.0, 0.25, 0.25, 1.0 };
  for (int sc = 0; sc < SCALES; sc++)
    for (int i = 0; i < PER_SCALE; i++) {
      int grp = i < ORIENTS ? 0 : i < ORIENTS * (1 + SHIFTS) ? 1
          : i < ORIENTS * (1 + SHIFTS) + 6 ? 2 : 3;
      double d = (a[sc * PER_SCALE + i] - b[sc * PER_SCALE + i]) / unit[grp];
      g[grp] += d * d;
      cnt[grp]++;
    }
  double s = 0;
  for (int i = 0; i < 4; i++)
    s += g[i] / cnt[i];
  return sqrt (s / 4);
}

/* ---- colour -------------------------------------------------------------- */

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return x < y ? -1 : x > y;
}

#define SWD_PIXELS 4096
#define SWD_DIRS 64

/* SWD_PIXELS pixels on a regular lattice, in CIELAB. */
static void
lab_sample (const float *rgb, int w, int h, float *lab)
{
  size_t n = (size_t) w * h;
  for (int i = 0; i < SWD_PIXELS; i++) {
    size_t p = (size_t) ((double) i * n / SWD_PIXELS + 0.5) % n;
    gcn_lab_from_rgb (rgb + p, rgb + n + p, rgb + 2 * n + p, &lab[3 * i],
        &lab[3 * i + 1], &lab[3 * i + 2], 1);
  }
}

double
sm_colour_swd (const float *a, int aw, int ah, const float *b, int bw, int bh)
{
  float *la = malloc (3 * SWD_PIXELS * sizeof *la);
  float *lb = malloc (3 * SWD_PIXELS * sizeof *lb);
  float *pa = malloc (SWD_PIXELS * sizeof *pa), *pb = malloc (SWD_PIXELS
      * sizeof *pb);
  lab_sample (a, aw, ah, la);
  lab_sample (b, bw, bh, lb);
  unsigned s = 12345;
  double total = 0;
  for (int d = 0; d < SWD_DIRS; d++) {
    double v[3], norm = 0;
    for (int c = 0; c < 3; c++) {
      /* a fixed pseudo-random direction (Box-Muller from an LCG) */
      s = s * 1103515245u + 12345u;
      double u1 = ((s >> 8) + 1.0) / 16777217.0;
      s = s * 1103515245u + 12345u;
      double u2 = (s >> 8) / 16777216.0;
      v[c] = sqrt (-2 * log (u1)) * cos (2 * M_PI * u2);
      norm += v[c] * v[c];
    }
    norm = sqrt (norm);
    for (int i = 0; i < SWD_PIXELS; i++) {
      pa[i] = (float) ((la[3 * i] * v[0] + la[3 * i + 1] * v[1]
              + la[3 * i + 2] * v[2]) / norm);
      pb[i] = (float) ((lb[3 * i] * v[0] + lb[3 * i + 1] * v[1]
              + lb[3 * i + 2] * v[2]) / norm);
    }
    qsort (pa, SWD_PIXELS, sizeof *pa, cmp_float);
    qsort (pb, SWD_PIXELS, sizeof *pb, cmp_float);
    double w1 = 0;
    for (int i = 0; i < SWD_PIXELS; i++)
      w1 += fabs (pa[i] - pb[i]);
    total += w1 / SWD_PIXELS;
  }
  free (la);
  free (lb);
  free (pa);
  free (pb);
  return total / SWD_DIRS;
}

/* ---- grid ------------------------------------------------------------------ */

#define TILE 256

static void
fft (double *re, double *im, int n, int stride)
{
  for (int i = 1, j = 0; i < n; i++) {
    int bit = n >> 1;
    for (; j & bit; bit >>= 1)
      j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i * stride];
      re[i * stride] = re[j * stride];
      re[j * stride] = t;
      t = im[i * stride];
      im[i * stride] = im[j * stride];
      im[j * stride] = t;
    }
  }
  for (int len = 2; len <= n; len <<= 1) {
    double ang = -2 * M_PI / len;
    for (int i = 0; i < n; i += len)
      for (int k = 0; k < len / 2; k++) {
        double wr = cos (ang * k), wi = sin (ang * k);
        int a = (i + k) * stride, b = (i + k + len / 2) * stride;
        double xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
  }
}

/* Mean Hann-windowed power spectrum of four TILE x TILE tiles of luma (the
 * corners of the frame). */
static void
power_spectrum (const float *rgb, int w, int h, double *pw)
{
  float *y = luma (rgb, w, h);
  double *re = malloc (TILE * TILE * sizeof *re), *im = malloc (TILE * TILE
      * sizeof *im);
  memset (pw, 0, TILE * TILE * sizeof *pw);
  for (int t = 0; t < 4; t++) {
    int x0 = (t & 1) ? w - TILE : 0, y0 = (t & 2) ? h - TILE : 0;
    double m = 0;
    for (int j = 0; j < TILE; j++)
      for (int i = 0; i < TILE; i++)
        m += y[(size_t) (y0 + j) * w + x0 + i];
    m /= TILE * TILE;
    for (int j = 0; j < TILE; j++)
      for (int i = 0; i < TILE; i++) {
        double win = (0.5 - 0.5 * cos (2 * M_PI * (i + 0.5) / TILE))
            * (0.5 - 0.5 * cos (2 * M_PI * (j + 0.5) / TILE));
        re[j * TILE + i] = (y[(size_t) (y0 + j) * w + x0 + i] - m) * win;
        im[j * TILE + i] = 0;
      }
    for (int j = 0; j < TILE; j++)
      fft (re + j * TILE, im + j * TILE, TILE, 1);
    for (int i = 0; i < TILE; i++)
      fft (re + i, im + i, TILE, TILE);
    for (int k = 0; k < TILE * TILE; k++)
      pw[k] += (re[k] * re[k] + im[k] * im[k]) / 4;
  }
  free (re);
  free (im);
  free (y);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Ratio of each high-band bin to the median of its 7x7 neighbourhood
 * (centre excluded, indices wrap); 0 outside the band. */
static void
peak_ratio (const double *pw, double *ratio, double *med)
{
  double nb[48];
  for (int v = 0; v < TILE; v++)
    for (int u = 0; u < TILE; u++) {
      int fu = u <= TILE / 2 ? u : u - TILE, fv = v <= TILE / 2 ? v : v - TILE;
      double r = sqrt ((double) fu * fu + fv * fv) / TILE;
      int k = v * TILE + u;
      ratio[k] = 0;
      med[k] = 0;
      if (r < 0.2)
        continue;
      int c = 0;
      for (int j = -3; j <= 3; j++)
        for (int i = -3; i <= 3; i++)
          if (i || j)
            nb[c++] = pw[((v + j + TILE) % TILE) * TILE + (u + i + TILE) % TILE];
      qsort (nb, 48, sizeof *nb, cmp_double);
      med[k] = 0.5 * (nb[23] + nb[24]);
      ratio[k] = pw[k] / (med[k] + 1e-20);
    }
}

void
sm_grid (const float *out, const float *photo, int w, int h, double *peak_db,
    double *new_share)
{
  size_t n = TILE * TILE;
  double *po = malloc (n * sizeof *po), *pp = malloc (n * sizeof *pp);
  double *ro = malloc (n * sizeof *ro), *rp = malloc (n * sizeof *rp);
  double *mo = malloc (n * sizeof *mo), *mp = malloc (n * sizeof *mp);
  power_spectrum (out, w, h, po);
  power_spectrum (photo, w, h, pp);
  peak_ratio (po, ro, mo);
  peak_ratio (pp, rp, mp);
  double best_o = 1, best_p = 1, band = 0, extra = 0;
  const double thr = 3.98;      /* 6 dB */
  for (size_t k = 0; k < n; k++) {
    if (ro[k] == 0)
      continue;
    band += po[k];
    if (ro[k] > best_o)
      best_o = ro[k];
    if (rp[k] > best_p)
      best_p = rp[k];
    if (ro[k] > thr && rp[k] <= thr)
      extra += po[k] - mo[k];
  }
  *peak_db = 10 * log10 (best_o) - 10 * log10 (best_p);
  *new_share = band > 0 ? extra / band : 0;
  free (po);
  free (pp);
  free (ro);
  free (rp);
  free (mo);
  free (mp);
}

/* ---- content ----------------------------------------------------------- */

/* Separable Gaussian blur, sigma s, radius 3 s. */
static void
gauss (const float *in, int w, int h, double sigma, float *out)
{
  int r = (int) ceil (3 * sigma);
  float k[64], sum = 0;
  for (int i = -r; i <= r; i++)
    sum += k[i + r] = (float) exp (-(i * i) / (2 * sigma * sigma));
  for (int i = 0; i <= 2 * r; i++)
    k[i] /= sum;
  float *t = malloc ((size_t) w * h * sizeof *t);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float s = 0;
      for (int i = -r; i <= r; i++)
        s += k[i + r] * in[(size_t) y * w + clampi (x + i, w)];
      t[(size_t) y * w + x] = s;
    }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float s = 0;
      for (int i = -r; i <= r; i++)
        s += k[i + r] * t[(size_t) clampi (y + i, h) * w + x];
      out[(size_t) y * w + x] = s;
    }
  free (t);
}

/* Gradient magnitude (Sobel / 8) of luma, blurred with sigma 1.5. */
static float *
edge_map (const float *rgb, int w, int h)
{
  float *y = luma (rgb, w, h), *e = malloc ((size_t) w * h * sizeof *e);
  for (int j = 0; j < h; j++)
    for (int i = 0; i < w; i++) {
#define P(dx, dy) y[(size_t) clampi (j + (dy), h) * w + clampi (i + (dx), w)]
      float gx = (P (1, -1) + 2 * P (1, 0) + P (1, 1) - P (-1, -1)
          - 2 * P (-1, 0) - P (-1, 1)) / 8;
      float gy = (P (-1, 1) + 2 * P (0, 1) + P (1, 1) - P (-1, -1)
          - 2 * P (0, -1) - P (1, -1)) / 8;
#undef P
      e[(size_t) j * w + i] = sqrtf (gx * gx + gy * gy);
    }
  gauss (e, w, h, 1.5, y);
  free (e);
  return y;
}

double
sm_edge_ssim (const float *out, const float *photo, int w, int h)
{
  size_t n = (size_t) w * h;
  float *a = edge_map (out, w, h), *b = edge_map (photo, w, h);
  /* dynamic range: the photo's strongest (blurred) edge */
  float L = 1e-6f;
  for (size_t i = 0; i < n; i++)
    if (b[i] > L)
      L = b[i];
  double c1 = 0.01 * L * 0.01 * L, c2 = 0.03 * L * 0.03 * L;
  float *ma = malloc (n * sizeof *ma), *mb = malloc (n * sizeof *mb);
  float *t = calloc (n, sizeof *t), *saa = malloc (n * sizeof *saa);
  float *sbb = malloc (n * sizeof *sbb), *sab = malloc (n * sizeof *sab);
  gauss (a, w, h, 1.5, ma);
  gauss (b, w, h, 1.5, mb);
  for (size_t i = 0; i < n; i++)
    t[i] = a[i] * a[i];
  gauss (t, w, h, 1.5, saa);
  for (size_t i = 0; i < n; i++)
    t[i] = b[i] * b[i];
  gauss (t, w, h, 1.5, sbb);
  for (size_t i = 0; i < n; i++)
    t[i] = a[i] * b[i];
  gauss (t, w, h, 1.5, sab);
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    double va = saa[i] - ma[i] * ma[i], vb = sbb[i] - mb[i] * mb[i];
    double cov = sab[i] - ma[i] * mb[i];
    s += (2 * ma[i] * mb[i] + c1) * (2 * cov + c2)
        / ((ma[i] * ma[i] + mb[i] * mb[i] + c1) * (va + vb + c2));
  }
  free (a);
  free (b);
  free (ma);
  free (mb);
  free (t);
  free (saa);
  free (sbb);
  free (sab);
  return s / n;
}
