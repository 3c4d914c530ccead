/* Streaming analysis + synthesis with an untouched spectrum gives back the
 * input delayed by exactly the reported latency (win_length - hop), for
 * sqrt-Hann and Vorbis at 50 %, Hann at 75 % (normalised overlap) and a
 * zero-padded FFT; the analysis frame is the causal windowed DFT; reset
 * forgets the past. */
#include <math.h>
#include <stdlib.h>

#include "gc_spectral.h"
#include "io_check.h"

static void
test_identity (int n_fft, int win, int hop, gc_window kind)
{
  gc_stream_stft *s = gc_stream_stft_new (n_fft, win, hop, kind);
  CHECK (s != NULL, "stream %d/%d/%d: %s", n_fft, win, hop, gc_last_error ());
  if (!s)
    return;
  int lat = gc_stream_stft_latency (s);
  CHECK (lat == win - hop, "latency %d, expected %d", lat, win - hop);
  const int hops = 40, len = hops * hop;
  float *x = malloc (len * sizeof (float)), *y = malloc (len * sizeof (float));
  float *spec = malloc ((n_fft / 2 + 1) * 2 * sizeof (float));
  gc_rng r;
  gc_rng_seed (&r, win + hop);
  gc_rng_fill_uniform (&r, x, len, -1, 1);
  for (int h = 0; h < hops; h++) {
    gc_stream_stft_analyze (s, x + h * hop, spec);
    gc_stream_stft_synthesize (s, spec, y + h * hop);
  }
  double err = 0;
  for (int i = 0; i < len; i++) {
    float want = i >= lat ? x[i - lat] : 0.0f;
    err = fmax (err, fabs (y[i] - want));
  }
  CHECK (err < 1e-5, "stream %d/%d/%d kind %d: output != input delayed by "
      "%d (max error %g)", n_fft, win, hop, kind, lat, err);

  /* after reset the history is gone: the same input gives the same output */
  gc_stream_stft_reset (s);
  float *y2 = malloc (len * sizeof (float));
  for (int h = 0; h < hops; h++) {
    gc_stream_stft_analyze (s, x + h * hop, spec);
    gc_stream_stft_synthesize (s, spec, y2 + h * hop);
  }
  CHECK (memcmp (y, y2, len * sizeof (float)) == 0, "reset keeps state");
  free (y2);
  free (x);
  free (y);
  free (spec);
  gc_stream_stft_free (s);
}

/* The analysis frame after pushing hop samples is the DFT of the newest
 * win samples times the window, zero-padded to n_fft. */
static void
test_analysis_frame (void)
{
  const int n_fft = 16, win = 12, hop = 4;
  gc_stream_stft *s = gc_stream_stft_new (n_fft, win, hop, GC_WIN_SQRT_HANN);
  float x[32], w[12], spec[18];
  gc_rng r;
  gc_rng_seed (&r, 5);
  gc_rng_fill_uniform (&r, x, 32, -1, 1);
  gc_window_fill (GC_WIN_SQRT_HANN, w, win);
  for (int h = 0; h < 8; h++)
    gc_stream_stft_analyze (s, x + h * hop, spec);
  double err = 0;
  for (int k = 0; k <= n_fft / 2; k++) {
    double re = 0, im = 0;
    for (int j = 0; j < win; j++) {
      double v = x[32 - win + j] * w[j], ph = -2 * M_PI * j * k / n_fft;
      re += v * cos (ph);
      im += v * sin (ph);
    }
    err = fmax (err, fmax (fabs (re - spec[2 * k]), fabs (im - spec[2 * k
                    + 1])));
  }
  CHECK (err < 1e-5, "causal analysis frame: max error %g", err);
  gc_stream_stft_free (s);
  CHECK (gc_stream_stft_new (16, 8, 9, GC_WIN_HANN) == NULL, "hop > win");
  CHECK (gc_stream_stft_new (8, 16, 4, GC_WIN_HANN) == NULL, "win > n_fft");
  gc_stream_stft_free (NULL);
}

int
main (void)
{
  test_identity (960, 960, 480, GC_WIN_SQRT_HANN);   /* 20 ms at 48 kHz */
  test_identity (320, 320, 160, GC_WIN_VORBIS);
  test_identity (512, 512, 128, GC_WIN_HANN);        /* 75 % overlap */
  test_identity (512, 400, 200, GC_WIN_SQRT_HANN);   /* zero-padded FFT */
  test_identity (64, 63, 21, GC_WIN_HANN);           /* odd window */
  test_identity (32, 32, 32, GC_WIN_RECT);           /* no overlap */
  test_analysis_frame ();
  if (failures)
    fprintf (stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
