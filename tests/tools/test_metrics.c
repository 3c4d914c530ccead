/* gan-eval metrics against closed forms and known properties:
 * SI-SDR, PSNR, SSIM, gradient energy, the resampler, and STOI. */
#include "tcheck.h"
#include "speechlike.h"

#include "gt_metrics.h"

#include <math.h>

static void
test_si_sdr (void)
{
  enum { N = 1000 };
  float s[N], e[N], est[N];
  /* Whole periods: s and e are zero-mean and orthogonal, so
   * SI-SDR (a s + b e + dc) = 20 log10 |a / b| exactly. */
  for (int i = 0; i < N; i++) {
    s[i] = sinf (2 * (float) M_PI * 5 * i / N);
    e[i] = cosf (2 * (float) M_PI * 7 * i / N);
  }
  const double cases[][2] = { { 2, 0.5 }, { 1, 1 }, { 0.1, 1 }, { -3, 0.3 } };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    double a = cases[k][0], b = cases[k][1];
    for (int i = 0; i < N; i++)
      est[i] = (float) (a * s[i] + b * e[i] + 0.7);
    double want = 20 * log10 (fabs (a / b)), got = gm_si_sdr (s, est, N);
    CHECK (fabs (got - want) < 1e-3, "a=%g b=%g: %.5f dB, want %.5f", a, b,
        got, want);
    /* Scale invariance of the estimate. */
    for (int i = 0; i < N; i++)
      est[i] *= 5.0f;
    CHECK (fabs (gm_si_sdr (s, est, N) - want) < 1e-3, "not scale invariant");
  }
  CHECK (isinf (gm_si_sdr (s, s, N)) && gm_si_sdr (s, s, N) > 0,
      "identical signals should give +inf");
  float zero[N] = { 0 };
  CHECK (isnan (gm_si_sdr (zero, s, N)), "silent reference must be NaN");
  CHECK (isnan (gm_si_sdr (s, s, 0)), "empty input must be NaN");
}

static void
test_image (void)
{
  enum { W = 40, H = 30, P = W * H };
  static float a[3 * P], b[3 * P];
  for (int i = 0; i < 3 * P; i++)
    a[i] = (float) (0.2 + 0.6 * sl_uniform ());
  for (int i = 0; i < 3 * P; i++)
    b[i] = a[i] + 0.1f;
  CHECK (fabs (gm_psnr (a, b, 3 * P, 1.0) - 20.0) < 1e-4, "PSNR %.6f",
      gm_psnr (a, b, 3 * P, 1.0));
  CHECK (isinf (gm_psnr (a, a, 3 * P, 1.0)), "PSNR of identical images");

  /* Only blue differs by d: PSNR-Y = 20 log10 (255 / (24.966 d)). */
  memcpy (b, a, sizeof b);
  for (int i = 0; i < P; i++)
    b[2 * P + i] += 0.01f;
  double psnr, ssim;
  CHECK (gm_image_quality (a, b, W, H, 4, 1, &psnr, &ssim) == 0, "quality");
  double want = 20 * log10 (255.0 / (24.966 * 0.01));
  CHECK (fabs (psnr - want) < 1e-3, "PSNR-Y %.5f, want %.5f", psnr, want);
  CHECK (gm_image_quality (a, a, W, H, 4, 1, &psnr, &ssim) == 0
      && fabs (ssim - 1) < 1e-9, "SSIM of identical images %.9f", ssim);
  CHECK (gm_image_quality (a, b, W, H, 15, 1, &psnr, &ssim) < 0,
      "shaving everything must fail");

  /* Constant images: sigma = 0, so SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1). */
  float c1[P], c2[P];
  for (int i = 0; i < P; i++) {
    c1[i] = 0.3f;
    c2[i] = 0.5f;
  }
  double k1 = 1e-4;
  want = (2 * 0.3 * 0.5 + k1) / (0.09 + 0.25 + k1);
  CHECK (fabs (gm_ssim (c1, c2, W, H, 1.0) - want) < 1e-6, "SSIM %.7f want %.7f",
      gm_ssim (c1, c2, W, H, 1.0), want);

  /* Structure: more noise, lower SSIM; independent noise, about 0. */
  float n1[P], n2[P], ind[P];
  for (int i = 0; i < P; i++) {
    double z = sl_normal ();
    n1[i] = a[i] + (float) (0.02 * z);
    n2[i] = a[i] + (float) (0.2 * z);
    ind[i] = (float) (0.2 + 0.6 * sl_uniform ());
  }
  double s1 = gm_ssim (a, n1, W, H, 1.0), s2 = gm_ssim (a, n2, W, H, 1.0);
  double s3 = gm_ssim (a, ind, W, H, 1.0);
  CHECK (s1 > s2 && s2 > s3, "SSIM order %.3f %.3f %.3f", s1, s2, s3);
  CHECK (s1 > 0.9 && fabs (s3) < 0.1, "SSIM %.3f %.3f", s1, s3);
  CHECK (isnan (gm_ssim (a, b, 10, 10, 1.0)), "SSIM on 10x10 must be NaN");

  /* Gray ramp with slope k per pixel: energy k^2 exactly. */
  float ramp[3 * P];
  double k = 0.01;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int ch = 0; ch < 3; ch++)
        ramp[ch * P + y * W + x] = (float) (k * x);
  CHECK (fabs (gm_gradient_energy (ramp, W, H) - k * k) < 1e-8,
      "ramp energy %.9g", gm_gradient_energy (ramp, W, H));
  CHECK (gm_gradient_energy (c1, 1, 1) != gm_gradient_energy (c1, 1, 1),
      "tiny image should give NaN");
}

/* Largest deviation from an ideal sine in the interior, and RMS of a
 * signal (for the stop band). */
static void
test_resample (void)
{
  const int rates[][2] = { { 16000, 10000 }, { 22050, 10000 },
    { 8000, 10000 }, { 44100, 10000 }, { 48000, 16000 } };
  for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
    int from = rates[r][0], to = rates[r][1];
    size_t n = from / 2;        /* 0.5 s */
    float *x = malloc (n * sizeof *x), *y = malloc (n * 2 * sizeof *y);
    double f = 1000;
    for (size_t i = 0; i < n; i++)
      x[i] = (float) sin (2 * M_PI * f * i / from);
    size_t m = gm_resample (x, n, from, to, y);
    CHECK (m == gm_resample_len (n, from, to) && m == n * to / from,
        "%d->%d length %zu", from, to, m);
    double err = 0;
    for (size_t i = m / 10; i < m - m / 10; i++)
      err = fmax (err, fabs (y[i] - sin (2 * M_PI * f * i / to)));
    CHECK (err < 2e-3, "%d->%d pass band error %.2e", from, to, err);
    if (to < from) {
      /* A tone above the new Nyquist must be removed, not aliased. */
      double fs = 0.5 * to + 0.3 * (0.5 * from - 0.5 * to);
      for (size_t i = 0; i < n; i++)
        x[i] = (float) sin (2 * M_PI * fs * i / from);
      gm_resample (x, n, from, to, y);
      double e2 = 0;
      for (size_t i = m / 10; i < m - m / 10; i++)
        e2 += y[i] * y[i];
      double rms = sqrt (e2 / (m - 2 * (m / 10)));
      CHECK (rms < 1e-3, "%d->%d: %.0f Hz leaks at rms %.2e", from, to, fs,
          rms);
    }
    free (x);
    free (y);
  }
}

static void
add_noise (const float *x, float *y, size_t n, double snr_db, uint64_t seed)
{
  sl_state = seed * 2654435761u + 1;
  double ps = 0, pn = 0;
  float *noise = malloc (n * sizeof *noise);
  for (size_t i = 0; i < n; i++) {
    noise[i] = (float) sl_normal ();
    ps += (double) x[i] * x[i];
    pn += (double) noise[i] * noise[i];
  }
  double g = sqrt (ps / pn / pow (10, snr_db / 10));
  for (size_t i = 0; i < n; i++)
    y[i] = (float) (x[i] + g * noise[i]);
  free (noise);
}

static void
test_stoi (void)
{
  const int rate = 16000;
  size_t n = 3 * rate;
  float *x = malloc (n * sizeof *x), *y = malloc (n * sizeof *y);
  speechlike (x, n, rate, 1);

  double self = gm_stoi (x, x, n, rate);
  CHECK (fabs (self - 1.0) < 1e-6, "STOI (x, x) = %.9f", self);

  double prev = 2, at[3];
  const double snrs[3] = { 20, 0, -10 };
  for (int k = 0; k < 3; k++) {
    add_noise (x, y, n, snrs[k], 7);
    at[k] = gm_stoi (x, y, n, rate);
    CHECK (at[k] < prev - 0.02, "STOI not falling: %.4f at %g dB", at[k],
        snrs[k]);
    prev = at[k];
  }
  /* pystoi gives about 0.7-0.85 for speech in white noise at 0 dB (and
   * this implementation gives 0.79 and 0.82 on two CMU ARCTIC sentences). */
  CHECK (at[1] > 0.65 && at[1] < 0.9, "STOI at 0 dB = %.4f", at[1]);
  CHECK (at[0] > 0.9, "STOI at 20 dB = %.4f", at[0]);
  printf ("STOI: 20 dB %.4f, 0 dB %.4f, -10 dB %.4f\n", at[0], at[1], at[2]);

  /* Invariant to the level of the processed signal. */
  add_noise (x, y, n, 0, 7);
  for (size_t i = 0; i < n; i++)
    y[i] *= 3.0f;
  CHECK (fabs (gm_stoi (x, y, n, rate) - at[1]) < 1e-6, "level changes STOI");

  /* Leading silence is removed: 4096 samples at 16 kHz are exactly 20 hops
   * at 10 kHz, so the kept frames line up with the original ones. */
  size_t pad = 4096;
  float *xp = calloc (n + pad, sizeof *xp), *yp = calloc (n + pad, sizeof *yp);
  add_noise (x, y, n, 0, 7);
  memcpy (xp + pad, x, n * sizeof *x);
  memcpy (yp + pad, y, n * sizeof *y);
  double padded = gm_stoi (xp, yp, n + pad, rate);
  CHECK (fabs (padded - at[1]) < 2e-3, "silence changes STOI: %.5f vs %.5f",
      padded, at[1]);
  free (xp);
  free (yp);

  /* Other rates run through the resampler to the same answer. */
  size_t n8 = 3 * 8000;
  float *x8 = malloc (n8 * sizeof *x8), *y8 = malloc (n8 * sizeof *y8);
  speechlike (x8, n8, 8000, 1);
  add_noise (x8, y8, n8, 0, 7);
  double s8 = gm_stoi (x8, y8, n8, 8000);
  CHECK (s8 > 0.6 && s8 < 0.95, "STOI at 8 kHz %.4f", s8);
  free (x8);
  free (y8);

  CHECK (gm_stoi (x, y, 3000, rate) == 1e-5, "short input: pystoi's 1e-5");
  CHECK (isnan (gm_stoi (x, y, 0, rate)), "empty input must be NaN");
  CHECK (isnan (gm_stoi (NULL, y, n, rate)), "NULL input must be NaN");
  free (x);
  free (y);
}

int
main (void)
{
  test_si_sdr ();
  test_image ();
  test_resample ();
  test_stoi ();
  return gan_test_report ("test_metrics");
}
