/* gcn_vocoder — training: magnitude loss and the backward pass. */
#include "gcn_vocoder_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float
gcn_vocoder_mag_loss (gcn_vocoder *v, gcn_vocoder_acts *a,
    const float *target, int t0, float weight)
{
  int T = a->frames, B = v->bins, len = a->len, N = v->cfg.n_fft;
  if (t0 < 0)
    t0 = 0;
  size_t count = 0;
  for (int k = 0; k < B; k++)
    count += v->fade[k] > 0;
  count *= (size_t) a->batch * (T > t0 ? T - t0 : 0);
  if (!count)
    return 0;
  float *sp = a->frame + N;
  double loss = 0;
  for (int b = 0; b < a->batch; b++)
    for (int t = t0; t < T; t++) {
      gcn_voc_analyze_frame (v, v->fft, target + (size_t) b * len, len,
          (t + 1) * v->cfg.hop,
          a->frame, sp);
      size_t ft = (size_t) b * T + t;
      for (int k = 0; k < B; k++) {
        if (v->fade[k] <= 0)
          continue;
        float ref = logf (fmaxf (hypotf (sp[2 * k], sp[2 * k + 1]),
                MEL_FLOOR));
        float d = a->logmag[ft * B + k] - ref;
        loss += fabsf (d);
        a->d_logmag[ft * B + k] += weight * (d > 0 ? 1.0f : d < 0 ? -1.0f
            : 0.0f) / count;
      }
    }
  return (float) (loss / count);
}

/* dy -> dL/d(out) through overlap-add, inverse FFT and the polar form. */
static void
synth_backward (gcn_vocoder *v, gcn_vocoder_acts *a, const float *dy)
{
  int T = a->frames, B = v->bins, N = v->cfg.n_fft, hop = v->cfg.hop;
  int len = a->len;
  float *g = a->frame, *G = a->frame + N;
  for (int b = 0; b < a->batch; b++) {
    const float *dyb = dy + (size_t) b * len;
    const float *out = a->out.data + (size_t) b * 3 * B * T;
    float *dout = a->d_out + (size_t) b * 3 * B * T;
    for (int t = 0; t < T; t++) {
      size_t ft = (size_t) b * T + t;
      int start = (t + 1) * hop - N;
      for (int n = 0; n < N; n++)
        g[n] = start + n >= 0 ? dyb[start + n] * v->window[n] * OLA_NORM : 0;
      /* adjoint of irfft (c2r / N): c_k / N * rfft, c_k = 2 inside */
      gc_stft_rfft (v->fft, g, G);
      const float *lmag = a->logmag + ft * B, *th = a->phase + ft * B;
      for (int k = 0; k < B; k++) {
        float ck = (k == 0 || 2 * k == N) ? 1.0f : 2.0f;
        float f = v->fade[k];
        float dre = f * ck / N * G[2 * k], dim = f * ck / N * G[2 * k + 1];
        float ds = a->d_logmag[ft * B + k], dar = 0, dbr = 0;
        if (f > 0) {
          float lm = lmag[k];
          int inside = lm > LOGMAG_MIN && lm < LOGMAG_MAX;
          float mag = expf (fminf (fmaxf (lm, LOGMAG_MIN), LOGMAG_MAX));
          float c = cosf (th[k]), s = sinf (th[k]);
          if (inside)
            ds += (dre * c + dim * s) * mag;
          float dth = mag * (-dre * s + dim * c);
          float ar = out[(size_t) (B + k) * T + t];
          float br = out[(size_t) (2 * B + k) * T + t];
          float r2 = ar * ar + br * br + 1e-12f;
          dar = dth * (-br / r2);
          dbr = dth * (ar / r2);
        }
        dout[(size_t) k * T + t] = ds;
        dout[(size_t) (B + k) * T + t] = dar;
        dout[(size_t) (2 * B + k) * T + t] = dbr;
      }
    }
  }
}

int
gcn_vocoder_backward (gcn_vocoder *v, gcn_vocoder_acts *a, const float *dy)
{
  int T = a->frames, B = v->bins, batch = a->batch;
  synth_backward (v, a, dy);
  gc_tensor dout = { batch, 3 * B, 1, T, a->d_out, (size_t) batch * 3 * B * T };
  gc_tensor *d1 = &a->dtmp, *d2 = &a->dtmp2, *da = &a->dtmp3;
  if (gc_conv1d_backward (&v->conv_out, &a->hact, &dout, d1) < 0
      || gc_act_backward (GC_ACT_LEAKY_RELU, LRELU, &a->hsum, &a->hact, d1,
          d1) < 0)
    return -1;
  /* hsum = a2 + gru (a2) */
  if (gc_gru_backward (&v->gru, &a->a[2], &a->gcache, d1, d2) < 0
      || gc_tensor_copy (da, d1) < 0 || gc_axpy (1.0f, d2, da) < 0)
    return -1;
  for (int i = 1; i >= 0; i--) {
    /* a[i+1] = a[i] + res_b (gcn_voc_lrelu (res_a (gcn_voc_lrelu (a[i])))) */
    if (gc_conv1d_backward (&v->res_b[i], &a->w[i], da, d1) < 0
        || gc_act_backward (GC_ACT_LEAKY_RELU, LRELU, &a->v[i], &a->w[i], d1,
            d1) < 0
        || gc_conv1d_backward (&v->res_a[i], &a->u[i], d1, d2) < 0
        || gc_act_backward (GC_ACT_LEAKY_RELU, LRELU, &a->a[i], &a->u[i], d2,
            d2) < 0
        || gc_axpy (1.0f, d2, da) < 0)
      return -1;
  }
  return gc_conv1d_backward (&v->conv_in, &a->feat, da, NULL);
}
