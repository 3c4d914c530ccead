/* Multi-resolution STFT loss: zero for identical signals, equal to an
 * independent double-precision evaluation of its definition (naive DFT of
 * reflect-padded Hann frames, SC + log-magnitude L1), growing with the
 * error, and its analytic gradient equal to central finite differences of
 * that double-precision definition. (Differences of the float loss itself
 * are too coarse: quiet cells make log|X| steep.) */
#include <math.h>
#include <stdlib.h>

#include "gc_spectral.h"
#include "gc_threads.h"
#include "gc_train.h"
#include "io_check.h"

#define N_RES 3
static const int ffts[N_RES] = { 64, 128, 32 }, hops[N_RES] = { 16, 32, 8 },
    wins[N_RES] = { 48, 128, 32 };

static int
reflect (int i, int len)
{
  int period = 2 * (len - 1);
  i %= period;
  if (i < 0)
    i += period;
  return i < len ? i : period - i;
}

/* SC + log-mag L1 of one signal at one resolution, from the definition. */
static double
reference (int r, const double *x, const float *y, int len)
{
  const int n = ffts[r], hop = hops[r], win = wins[r], bins = n / 2 + 1;
  const int frames = 1 + len / hop;
  double *w = calloc (n, sizeof (double));
  double *cs = malloc (n * bins * sizeof (double));
  double *sn = malloc (n * bins * sizeof (double));
  for (int j = 0; j < win; j++)
    w[(n - win) / 2 + j] = 0.5 - 0.5 * cos (2 * M_PI * j / win);
  for (int k = 0; k < bins; k++)
    for (int j = 0; j < n; j++) {
      cs[k * n + j] = cos (2 * M_PI * j * k / n);
      sn[k * n + j] = -sin (2 * M_PI * j * k / n);
    }
  double d2 = 0, y2 = 0, l1 = 0;
  for (int t = 0; t < frames; t++)
    for (int k = 0; k < bins; k++) {
      double xr = 0, xi = 0, yr = 0, yi = 0;
      for (int j = 0; j < n; j++) {
        int i = reflect (t * hop - n / 2 + j, len);
        xr += w[j] * x[i] * cs[k * n + j];
        xi += w[j] * x[i] * sn[k * n + j];
        yr += w[j] * y[i] * cs[k * n + j];
        yi += w[j] * y[i] * sn[k * n + j];
      }
      double mx = sqrt (fmax (xr * xr + xi * xi, 1e-7));
      double my = sqrt (fmax (yr * yr + yi * yi, 1e-7));
      d2 += (my - mx) * (my - mx);
      y2 += my * my;
      l1 += fabs (log (my) - log (mx));
    }
  free (w);
  free (cs);
  free (sn);
  return sqrt (d2) / sqrt (y2) + l1 / ((double) frames * bins);
}

static double
reference_all (const double *x, const float *y, int batch, int len)
{
  double sum = 0;
  for (int b = 0; b < batch; b++)
    for (int r = 0; r < N_RES; r++)
      sum += reference (r, x + b * len, y + b * len, len);
  return sum / (N_RES * batch);
}

int
main (void)
{
  const int batch = 2, len = 200, total = batch * len;
  gc_mrstft *m = gc_mrstft_new (N_RES, ffts, hops, wins);
  CHECK (m != NULL, "mrstft_new: %s", gc_last_error ());
  if (!m)
    return 1;
  float *x = malloc (total * sizeof (float));
  float *y = malloc (total * sizeof (float));
  float *g = malloc (total * sizeof (float));
  double *xd = malloc (total * sizeof (double));
  gc_rng r;
  gc_rng_seed (&r, 11);
  for (int i = 0; i < total; i++) {
    y[i] = sinf (0.05f * i * (1 + i / len)) + gc_rng_normal (&r);
    x[i] = 1.6f * y[i] + 0.05f * gc_rng_normal (&r);
    xd[i] = x[i];
  }

  float same = gc_mrstft_loss (m, y, y, batch, len, g);
  CHECK (fabsf (same) < 1e-6f, "loss of identical signals %g", same);
  double gmax = 0;
  for (int i = 0; i < total; i++)
    gmax = fmax (gmax, fabs (g[i]));
  CHECK (gmax < 1e-6, "gradient at the optimum %g", gmax);

  float loss = gc_mrstft_loss (m, x, y, batch, len, g);
  double want = reference_all (xd, y, batch, len);
  CHECK (fabs (loss - want) < 1e-5 * want, "loss %.7f, definition gives %.7f",
      loss, want);
  CHECK (gc_mrstft_loss (m, x, y, batch, len, NULL) == loss,
      "value depends on whether the gradient is asked for");

  /* more error, more loss */
  float *x2 = malloc (total * sizeof (float));
  for (int i = 0; i < total; i++)
    x2[i] = y[i] + 2 * (x[i] - y[i]);
  CHECK (gc_mrstft_loss (m, x2, y, batch, len, NULL) > loss * 1.2f,
      "loss does not grow with the error");
  free (x2);

  /* gradient vs central differences of the double-precision definition;
   * x is 1.6 y plus a little noise, so no cell sits at the kink of the
   * log-magnitude L1 (log ratio ~ 0.47) and the check can be tight */
  const double h = 1e-6;
  double worst = 0, scale = 0;
  for (int i = 0; i < total; i += 5) {
    double keep = xd[i];
    xd[i] = keep + h;
    double lp = reference_all (xd, y, batch, len);
    xd[i] = keep - h;
    double lm = reference_all (xd, y, batch, len);
    xd[i] = keep;
    double fd = (lp - lm) / (2 * h);
    worst = fmax (worst, fabs (fd - g[i]));
    scale = fmax (scale, fabs (fd));
  }
  printf ("gradient check: max |fd - analytic| %g, largest gradient %g\n",
      worst, scale);
  CHECK (scale > 1e-3, "degenerate gradient check (scale %g)", scale);
  CHECK (worst < 1e-4 * scale, "MR-STFT gradient: max |fd - analytic| %g "
      "(scale %g)", worst, scale);

  /* the batch is split over threads: any thread count gives the same bits */
  const int big = 5;
  float *xb = malloc (big * len * sizeof (float));
  float *yb = malloc (big * len * sizeof (float));
  float *g1 = malloc (big * len * sizeof (float));
  float *g2 = malloc (big * len * sizeof (float));
  for (int i = 0; i < big * len; i++) {
    xb[i] = x[i % total];
    yb[i] = y[(i + 17) % total];
  }
  gc_set_thread_limit (1);
  float l_one = gc_mrstft_loss (m, xb, yb, big, len, g1);
  gc_set_thread_limit (2);
  float l_two = gc_mrstft_loss (m, xb, yb, big, len, g2);
  gc_set_thread_limit (0);
  CHECK (l_one == l_two && memcmp (g1, g2, big * len * sizeof (float)) == 0,
      "1 and 2 threads differ: %g vs %g", l_one, l_two);
  free (xb);
  free (yb);
  free (g1);
  free (g2);

  CHECK (isnan (gc_mrstft_loss (m, x, y, 0, len, g)), "batch 0 accepted");
  int bad = 0;
  CHECK (gc_mrstft_new (1, &bad, hops, NULL) == NULL, "n_fft 0 accepted");
  gc_mrstft_free (NULL);
  gc_mrstft_free (m);
  free (x);
  free (y);
  free (g);
  free (xd);
  if (failures)
    fprintf (stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
