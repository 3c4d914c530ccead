/* gcn_vocoder — analysis: framing, FFT and log-mel features. */
#include "gcn_vocoder_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
gcn_vocoder_mel_from_mag (const gcn_vocoder *v, const float *mag,
    float *logmel)
{
  gc_filterbank_apply (&v->mel, mag, logmel);
  for (int m = 0; m < v->cfg.n_mels; m++)
    logmel[m] = logf (fmaxf (logmel[m], MEL_FLOOR));
}

int
gcn_vocoder_frames (const gcn_vocoder *v, int len)
{
  return len > 0 ? len / v->cfg.hop : 0;
}

/* Windowed FFT of the frame ending at sample `end` (exclusive). */
void
gcn_voc_analyze_frame (gcn_vocoder *v, gc_stft *fft, const float *x, int len,
    int end, float *buf, float *spec)
{
  int N = v->cfg.n_fft;
  for (int n = 0; n < N; n++) {
    int i = end - N + n;
    buf[n] = (i >= 0 && i < len) ? x[i] * v->window[n] : 0.0f;
  }
  gc_stft_rfft (fft, buf, spec);
}

void
gcn_voc_spec_to_logmel (const gcn_vocoder *v, const float *spec, float *mag,
    float *logmel)
{
  for (int k = 0; k < v->bins; k++)
    mag[k] = hypotf (spec[2 * k], spec[2 * k + 1]);
  gcn_vocoder_mel_from_mag (v, mag, logmel);
}

void
gcn_vocoder_analyze (gcn_vocoder *v, const float *x, int len, float *logmel,
    float *spec)
{
  int T = gcn_vocoder_frames (v, len), bins = v->bins;
  float *buf = malloc ((v->cfg.n_fft + 4 * bins + v->cfg.n_mels)
      * sizeof (float));
  if (!buf)
    return;
  float *sp = buf + v->cfg.n_fft, *mag = sp + 2 * bins;
  for (int t = 0; t < T; t++) {
    gcn_voc_analyze_frame (v, v->fft, x, len, (t + 1) * v->cfg.hop, buf, sp);
    if (spec)
      memcpy (spec + (size_t) t * 2 * bins, sp, 2 * bins * sizeof (float));
    if (logmel)
      gcn_voc_spec_to_logmel (v, sp, mag, logmel + (size_t) t * v->cfg.n_mels);
  }
  free (buf);
}

/* Log-mel spread onto bins: where the network's log-magnitude starts. */
void
gcn_voc_logmel_to_base (const gcn_vocoder *v, const float *logmel, float *base)
{
  int nm = v->cfg.n_mels;
  for (int k = 0; k < v->bins; k++) {
    const float *p = v->mel_to_bin + (size_t) k * nm;
    float s = 0;
    for (int m = 0; m < nm; m++)
      s += p[m] * logmel[m];
    base[k] = s;
  }
}
