/* STFT: the forward transform matches a naive DFT of reflect-padded,
 * windowed frames; the inverse reconstructs the signal (error < 1e-5) for
 * several sizes incl. odd windows and 75 % overlap; rfft/irfft agree with
 * the definition; the magnitude gradient matches finite differences. */
#include <math.h>
#include <stdlib.h>

#include "gc_spectral.h"
#include "io_check.h"

static void
naive_dft (const float *x, int n, double *re, double *im)
{
  for (int k = 0; k <= n / 2; k++) {
    double a = 0, b = 0;
    for (int j = 0; j < n; j++) {
      double ph = -2.0 * M_PI * (double) j * k / n;
      a += x[j] * cos (ph);
      b += x[j] * sin (ph);
    }
    re[k] = a;
    im[k] = b;
  }
}

static void
test_rfft (int n)
{
  gc_stft *s = gc_stft_new (n, n, n / 2 > 0 ? n / 2 : 1, GC_WIN_RECT);
  CHECK (s != NULL, "stft %d: %s", n, gc_last_error ());
  if (!s)
    return;
  int bins = gc_stft_bins (s);
  CHECK (bins == n / 2 + 1, "bins %d for n %d", bins, n);
  float *x = malloc (n * sizeof (float)), *y = malloc (n * sizeof (float));
  float *c = malloc (2 * bins * sizeof (float));
  double *re = malloc (bins * sizeof (double)), *im = malloc (bins *
      sizeof (double));
  gc_rng r;
  gc_rng_seed (&r, n);
  gc_rng_fill_uniform (&r, x, n, -1, 1);
  gc_stft_rfft (s, x, c);
  naive_dft (x, n, re, im);
  double err = 0;
  for (int k = 0; k < bins; k++)
    err = fmax (err, fmax (fabs (c[2 * k] - re[k]), fabs (c[2 * k + 1]
                - im[k])));
  CHECK (err < 1e-4 * sqrt (n), "rfft %d vs naive DFT: max error %g", n, err);
  gc_stft_irfft (s, c, y);
  err = 0;
  for (int j = 0; j < n; j++)
    err = fmax (err, fabs (y[j] - x[j]));
  CHECK (err < 1e-5, "irfft(rfft) %d: max error %g", n, err);
  free (x);
  free (y);
  free (c);
  free (re);
  free (im);
  gc_stft_free (s);
}

/* Forward frame t equals the naive DFT of the centred, reflect-padded,
 * windowed frame (librosa/torch convention). */
static void
test_forward_layout (void)
{
  const int n_fft = 16, win = 12, hop = 5, len = 37;
  gc_stft *s = gc_stft_new (n_fft, win, hop, GC_WIN_HANN);
  float x[37], wfull[16] = { 0 }, frame[16];
  gc_rng r;
  gc_rng_seed (&r, 1);
  gc_rng_fill_uniform (&r, x, len, -1, 1);
  gc_window_fill (GC_WIN_HANN, wfull + (n_fft - win) / 2, win);
  int frames = gc_stft_frames (s, len);
  CHECK (frames == 1 + len / hop, "frames %d", frames);
  float *spec = malloc (frames * 9 * 2 * sizeof (float));
  CHECK (gc_stft_forward (s, x, len, spec) == frames, "forward frames");
  double re[9], im[9], err = 0;
  for (int t = 0; t < frames; t++) {
    for (int j = 0; j < n_fft; j++) {
      int i = t * hop - n_fft / 2 + j;
      if (i < 0)
        i = -i;
      if (i >= len)
        i = 2 * (len - 1) - i;
      frame[j] = x[i] * wfull[j];
    }
    naive_dft (frame, n_fft, re, im);
    for (int k = 0; k < 9; k++)
      err = fmax (err, fmax (fabs (spec[(t * 9 + k) * 2] - re[k]),
              fabs (spec[(t * 9 + k) * 2 + 1] - im[k])));
  }
  CHECK (err < 1e-5, "forward vs naive framed DFT: max error %g", err);
  free (spec);
  gc_stft_free (s);
}

static void
test_reconstruction (int n_fft, int win, int hop, gc_window kind, int len)
{
  gc_stft *s = gc_stft_new (n_fft, win, hop, kind);
  CHECK (s != NULL, "stft %d/%d/%d: %s", n_fft, win, hop, gc_last_error ());
  if (!s)
    return;
  float *x = malloc (len * sizeof (float)), *y = malloc (len * sizeof (float));
  gc_rng r;
  gc_rng_seed (&r, n_fft * 7 + hop);
  gc_rng_fill_uniform (&r, x, len, -1, 1);
  int frames = gc_stft_frames (s, len);
  float *spec = malloc ((size_t) frames * gc_stft_bins (s) * 2 *
      sizeof (float));
  gc_stft_forward (s, x, len, spec);
  gc_stft_inverse (s, spec, frames, y, len);
  double err = 0;
  for (int i = 0; i < len; i++)
    err = fmax (err, fabs (y[i] - x[i]));
  CHECK (err < 1e-5, "reconstruction n_fft %d win %d hop %d kind %d len %d: "
      "max error %g", n_fft, win, hop, kind, len, err);
  free (x);
  free (y);
  free (spec);
  gc_stft_free (s);
}

/* d/dx sum_k dmag_k |X_k| against central differences (double-checked in
 * float: the signal is small so the steps stay accurate). */
static void
test_mag_backward (int n_fft, int win, int hop, int len)
{
  gc_stft *s = gc_stft_new (n_fft, win, hop, GC_WIN_HANN);
  int frames = gc_stft_frames (s, len), bins = gc_stft_bins (s);
  size_t cells = (size_t) frames * bins;
  float *x = malloc (len * sizeof (float));
  float *dx = calloc (len, sizeof (float)), *dx2 = calloc (len,
      sizeof (float));
  float *spec = malloc (cells * 2 * sizeof (float));
  float *dmag = malloc (cells * sizeof (float));
  gc_rng r;
  gc_rng_seed (&r, 99 + n_fft);
  gc_rng_fill_uniform (&r, x, len, -1, 1);
  gc_rng_fill_uniform (&r, dmag, cells, -1, 1);
  gc_stft_forward (s, x, len, spec);
  gc_stft_mag_backward (s, x, len, spec, dmag, dx);
  gc_stft_mag_backward (s, x, len, NULL, dmag, dx2);
  double worst = 0, scale = 0;
  const float eps = 1e-3f;
  for (int i = 0; i < len; i++) {
    double lp = 0, lm = 0;
    float keep = x[i];
    x[i] = keep + eps;
    gc_stft_forward (s, x, len, spec);
    for (size_t c = 0; c < cells; c++)
      lp += dmag[c] * hypot (spec[2 * c], spec[2 * c + 1]);
    x[i] = keep - eps;
    gc_stft_forward (s, x, len, spec);
    for (size_t c = 0; c < cells; c++)
      lm += dmag[c] * hypot (spec[2 * c], spec[2 * c + 1]);
    x[i] = keep;
    double fd = (lp - lm) / (2 * eps);
    worst = fmax (worst, fabs (fd - dx[i]));
    scale = fmax (scale, fabs (fd));
    CHECK (dx[i] == dx2[i], "spec=NULL path differs at %d", i);
  }
  CHECK (worst < 2e-2 * scale, "mag_backward n_fft %d hop %d: max |fd - "
      "analytic| %g (scale %g)", n_fft, hop, worst, scale);
  CHECK (scale > 0.1, "degenerate gradient check");
  free (x);
  free (dx);
  free (dx2);
  free (spec);
  free (dmag);
  gc_stft_free (s);
}

static void
test_windows (void)
{
  float w[64];
  gc_window_fill (GC_WIN_HANN, w, 64);
  CHECK (w[0] == 0.0f && fabsf (w[32] - 1.0f) < 1e-7f, "periodic hann ends");
  CHECK (fabsf (w[16] - 0.5f) < 1e-6f, "hann quarter %g", w[16]);
  /* hann at 50 % overlap sums to one (COLA); vorbis and sqrt-hann are
   * power complementary */
  for (int i = 0; i < 32; i++)
    CHECK (fabsf (w[i] + w[i + 32] - 1.0f) < 1e-6f, "hann COLA at %d", i);
  gc_window_fill (GC_WIN_VORBIS, w, 64);
  for (int i = 0; i < 32; i++)
    CHECK (fabsf (w[i] * w[i] + w[i + 32] * w[i + 32] - 1.0f) < 1e-6f,
        "vorbis power complementary at %d", i);
  gc_window_fill (GC_WIN_SQRT_HANN, w, 64);
  for (int i = 0; i < 32; i++)
    CHECK (fabsf (w[i] * w[i] + w[i + 32] * w[i + 32] - 1.0f) < 1e-6f,
        "sqrt-hann power complementary at %d", i);
  /* bad sizes are refused, not crashed on */
  CHECK (gc_stft_new (8, 16, 4, GC_WIN_HANN) == NULL, "win > n_fft");
  CHECK (gc_stft_new (8, 8, 0, GC_WIN_HANN) == NULL, "hop 0");
  CHECK (gc_stft_new (0, 0, 1, GC_WIN_HANN) == NULL, "n_fft 0");
  gc_window_fill (GC_WIN_HANN, NULL, 10);
  gc_stft *s = gc_stft_new (8, 8, 2, GC_WIN_HANN);
  float x[3] = { 1, 2, 3 }, spec[2 * 5 * 2];
  CHECK (gc_stft_forward (s, x, 0, spec) < 0, "empty signal accepted");
  /* shorter than the padding: reflection folds, no out-of-bounds read */
  CHECK (gc_stft_forward (s, x, 3, spec) == 2, "short signal");
  gc_stft_free (s);
  gc_stft_free (NULL);
}

int
main (void)
{
  int sizes[] = { 2, 7, 8, 15, 64, 100, 243, 512 };
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    test_rfft (sizes[i]);
  test_forward_layout ();
  test_reconstruction (512, 512, 128, GC_WIN_HANN, 4000);      /* 75 % */
  test_reconstruction (512, 400, 160, GC_WIN_HANN, 3001);      /* 16 kHz */
  test_reconstruction (1024, 1024, 256, GC_WIN_HANN, 5000);
  test_reconstruction (64, 63, 16, GC_WIN_HANN, 999);          /* odd win */
  test_reconstruction (63, 63, 21, GC_WIN_HANN, 777);          /* odd n_fft */
  test_reconstruction (960, 960, 480, GC_WIN_SQRT_HANN, 4800); /* 50 % */
  test_reconstruction (256, 200, 50, GC_WIN_VORBIS, 2222);
  test_reconstruction (32, 32, 32, GC_WIN_RECT, 1000);         /* no overlap */
  test_mag_backward (32, 32, 8, 100);
  test_mag_backward (16, 15, 4, 41);
  test_mag_backward (15, 12, 5, 33);
  test_windows ();
  if (failures)
    fprintf (stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
