/* Griffin-Lim from log-mel features (see griffin_lim.h). */
#include "griffin_lim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NNLS_ITERS 200

void
gl_mel_to_mag (const gcn_vocoder *v, const float *logmel, int frames,
    float *mag)
{
  int B = v->bins, M = v->cfg.n_mels;
  const float *W = v->mel.weights;    /* [M][B] */
  float *mel = malloc ((M + M) * sizeof (float)), *wm = mel + M;
  float *num = malloc ((B + B) * sizeof (float)), *den = num + B;
  /* column sums of W for the denominator's shape */
  for (int t = 0; t < frames; t++) {
    float *s = mag + (size_t) t * B;
    for (int m = 0; m < M; m++)
      mel[m] = expf (logmel[(size_t) t * M + m]);
    /* start from W^T mel spread per bin */
    for (int k = 0; k < B; k++) {
      double a = 0, c = 0;
      for (int m = 0; m < M; m++) {
        a += W[(size_t) m * B + k] * mel[m];
        c += W[(size_t) m * B + k];
      }
      s[k] = c > 0 ? (float) (a / c) : 1e-5f;
    }
    for (int it = 0; it < NNLS_ITERS; it++) {
      for (int m = 0; m < M; m++) {
        double a = 0;
        for (int k = v->mel.first[m]; k <= v->mel.last[m]; k++)
          a += W[(size_t) m * B + k] * s[k];
        wm[m] = (float) a;
      }
      memset (num, 0, 2 * B * sizeof (float));
      for (int m = 0; m < M; m++)
        for (int k = v->mel.first[m]; k <= v->mel.last[m]; k++) {
          num[k] += W[(size_t) m * B + k] * mel[m];
          den[k] += W[(size_t) m * B + k] * wm[m];
        }
      for (int k = 0; k < B; k++)
        if (den[k] > 0)
          s[k] *= num[k] / (den[k] + 1e-12f);
    }
  }
  free (mel);
  free (num);
}

/* Overlap-add of the vocoder's framing (frame t ends at (t + 1) hop). */
static void
istft (gcn_vocoder *v, const float *spec, int frames, float *frame, float *y)
{
  int N = v->cfg.n_fft, hop = v->cfg.hop, B = v->bins, len = frames * hop;
  memset (y, 0, len * sizeof (float));
  for (int t = 0; t < frames; t++) {
    gc_stft_irfft (v->fft, spec + (size_t) t * B * 2, frame);
    int start = (t + 1) * hop - N;
    for (int n = 0; n < N; n++)
      if (start + n >= 0)
        y[start + n] += frame[n] * v->window[n] / 1.5f;
  }
}

int
gl_reconstruct (gcn_vocoder *v, const float *mag, int frames, int iters,
    uint64_t seed, float *y)
{
  int B = v->bins, len = frames * v->cfg.hop;
  float *spec = malloc ((size_t) frames * B * 2 * sizeof (float));
  float *frame = malloc (v->cfg.n_fft * sizeof (float));
  if (!spec || !frame) {
    free (spec);
    free (frame);
    return -1;
  }
  gc_rng r;
  gc_rng_seed (&r, seed);
  for (size_t i = 0; i < (size_t) frames * B; i++) {
    float ph = 2 * (float) M_PI * gc_rng_uniform (&r);
    spec[2 * i] = mag[i] * cosf (ph);
    spec[2 * i + 1] = mag[i] * sinf (ph);
  }
  for (int it = 0; it < iters; it++) {
    istft (v, spec, frames, frame, y);
    gcn_vocoder_analyze (v, y, len, NULL, spec);
    for (size_t i = 0; i < (size_t) frames * B; i++) {
      float re = spec[2 * i], im = spec[2 * i + 1], a = hypotf (re, im);
      if (a > 1e-12f) {
        spec[2 * i] = mag[i] * re / a;
        spec[2 * i + 1] = mag[i] * im / a;
      } else {
        spec[2 * i] = mag[i];
        spec[2 * i + 1] = 0;
      }
    }
  }
  istft (v, spec, frames, frame, y);
  free (spec);
  free (frame);
  return 0;
}
