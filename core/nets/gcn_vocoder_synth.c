/* gcn_vocoder — synthesis of one frame from the network's outputs. */
#include "gcn_vocoder_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
gcn_voc_frame_logmag (const gcn_vocoder *v, const float *out, int stride,
    const float *base, float *logmag)
{
  for (int k = 0; k < v->bins; k++)
    logmag[k] = base[k] + out[(size_t) k * stride];
}

/* out: the network's column for this frame (3 bins values, `stride` apart);
 * logmag: this frame's predicted log-magnitudes; next: the next frame's
 * (COPY: PGHI look-ahead; NULL at the end); spec_in: input spectrum
 * (NB2WB) or NULL; pghi: COPY. Writes phase (total angle), the spectrum and
 * the windowed, normalised time frame (n_fft). */
void
gcn_voc_synth_frame (gcn_vocoder *v, gc_stft *fft, const float *out, int stride,
    const float *logmag, const float *next, const float *spec_in,
    gcn_pghi *pghi, float *phase, float *spec, float *frame)
{
  int B = v->bins;
  if (pghi) {
    float *s = frame, *sn = frame + B;  /* free until the inverse FFT */
    for (int k = 0; k < B; k++) {
      s[k] = fminf (fmaxf (logmag[k], LOGMAG_MIN), LOGMAG_MAX);
      if (next)
        sn[k] = fminf (fmaxf (next[k], LOGMAG_MIN), LOGMAG_MAX);
    }
    gcn_pghi_frame_ahead (pghi, s, next ? sn : NULL, phase);
  } else {
    for (int k = 0; k < B; k++) {
      int j = v->src_bin[k];
      phase[k] = (j >= 0 && spec_in) ? atan2f (spec_in[2 * j + 1],
          spec_in[2 * j]) : 0.0f;
    }
  }
  for (int k = 0; k < B; k++) {
    float f = v->fade[k];
    float re = 0, im = 0;
    if (f > 0) {
      float a = out[(size_t) (B + k) * stride];
      float b = out[(size_t) (2 * B + k) * stride];
      float th = phase[k] + atan2f (b, a);
      float mag = expf (fminf (fmaxf (logmag[k], LOGMAG_MIN), LOGMAG_MAX));
      phase[k] = th;
      re = f * mag * cosf (th);
      im = f * mag * sinf (th);
    }
    if (f < 1 && spec_in) {
      re += (1 - f) * spec_in[2 * k];
      im += (1 - f) * spec_in[2 * k + 1];
    }
    spec[2 * k] = re;
    spec[2 * k + 1] = im;
  }
  gc_stft_irfft (fft, spec, frame);
  for (int n = 0; n < v->cfg.n_fft; n++)
    frame[n] *= v->window[n] * OLA_NORM;
}
