/* gcn_vocoder — streaming phase refinement toward the input mel. */
#include "gcn_vocoder_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Measured on held-out speech (bench/vocoder/vocoder-diag): the vocoder's
 * distance to its input mel is mostly inconsistency (magnitudes with a
 * phase that no signal has, changed by re-analysis), not magnitude error;
 * projecting the magnitudes onto the mel alone does not help, refining the
 * phase with the mel as the constraint does. The frames of the look-ahead
 * are refined newest first; slot 0 is the oldest, slot L the newest. */
#define REFINE_PROJ_ITERS 4

void
gcn_voc_refiner_free (gcn_voc_refiner *r)
{
  if (!r)
    return;
  free (r->tot);
  free (r->live);
  free (r);
}

void
gcn_voc_refiner_reset (gcn_voc_refiner *r)
{
  int N = r->v->cfg.n_fft, hop = r->v->cfg.hop, B = r->v->bins;
  int S = r->L + 1;
  memset (r->tot, 0, ((size_t) N + (size_t) r->L * hop + (size_t) S * N
          + (size_t) S * 2 * B + (size_t) S * B) * sizeof (float));
  memset (r->live, 0, 2 * S);
}

gcn_voc_refiner *
gcn_voc_refiner_new (const gcn_vocoder *v, gc_stft *fft)
{
  gcn_voc_refiner *r = calloc (1, sizeof *r);
  if (!r)
    return NULL;
  int N = v->cfg.n_fft, hop = v->cfg.hop, B = v->bins;
  r->v = v;
  r->fft = fft;
  r->L = v->cfg.refine_lookahead;
  r->iters = v->cfg.refine_iters;
  r->alpha = v->cfg.refine_momentum;
  int S = r->L + 1;
  size_t n = (size_t) N + (size_t) r->L * hop + (size_t) S * N
      + (size_t) S * 2 * B + (size_t) S * B + N + 2 * B + 4 * B;
  r->tot = malloc (n * sizeof (float));
  r->live = malloc (2 * S);
  if (!r->tot || !r->live) {
    gcn_voc_refiner_free (r);
    return NULL;
  }
  r->c = r->tot + N + (size_t) r->L * hop;
  r->prev = r->c + (size_t) S * N;
  r->tgt = r->prev + (size_t) S * 2 * B;
  r->buf = r->tgt + (size_t) S * B;
  r->X = r->buf + N;
  r->mag = r->X + 2 * B;
  r->amag = r->mag + B;
  r->den = r->amag + B;
  r->den0 = r->den + B;
  for (int k = 0; k < B; k++)
    r->den0[k] = 1.0f;
  for (int m = 0; m < v->cfg.n_mels; m++)
    for (int k = v->mel.first[m]; k <= v->mel.last[m]; k++)
      r->den0[k] = 0.0f;
  r->has_prev = r->live + S;
  gcn_voc_refiner_reset (r);
  return r;
}

/* Rescale mag per bin so that its mel approaches the target: multiplicative
 * updates s_k *= sum_m W_mk T_m / sum_m W_mk P_m (Lee & Seung). The
 * numerator is fixed per frame (num, computed when it enters). */
static void
refiner_project (gcn_voc_refiner *r, const float *num)
{
  const gcn_vocoder *v = r->v;
  int B = v->bins, M = v->cfg.n_mels;
  const float *W = v->mel.weights;
  const int *first = v->mel.first, *last = v->mel.last;
  float *den = r->den, *mag = r->mag;
  for (int it = 0; it < REFINE_PROJ_ITERS; it++) {
    /* bins in no band: num = den = 1, so they keep their value */
    memcpy (den, r->den0, B * sizeof (float));
    for (int m = 0; m < M; m++) {
      const float *w = W + (size_t) m * B;
      float p = 0;
      for (int k = first[m]; k <= last[m]; k++)
        p += w[k] * mag[k];
      p = p > 1e-12f ? p : 1e-12f;
      for (int k = first[m]; k <= last[m]; k++)
        den[k] += w[k] * p;
    }
    for (int k = 0; k < B; k++)
      mag[k] *= num[k] / den[k];
  }
}

static void
refiner_update (gcn_voc_refiner *r, int slot)
{
  const gcn_vocoder *v = r->v;
  int N = v->cfg.n_fft, hop = v->cfg.hop, B = v->bins;
  float *seg = r->tot + (size_t) slot * hop, *c = r->c + (size_t) slot * N;
  for (int n = 0; n < N; n++)
    r->buf[n] = seg[n] * v->window[n];
  gc_stft_rfft (r->fft, r->buf, r->X);
  for (int k = 0; k < B; k++)
    r->mag[k] = sqrtf (r->X[2 * k] * r->X[2 * k] + r->X[2 * k + 1]
        * r->X[2 * k + 1]);
  float *pv = r->prev + (size_t) slot * 2 * B;
  memcpy (r->amag, r->mag, B * sizeof (float));
  refiner_project (r, r->tgt + (size_t) slot * B);
  for (int k = 0; k < B; k++) {
    float re = r->X[2 * k], im = r->X[2 * k + 1], a = r->amag[k];
    float pr = a > 1e-20f ? r->mag[k] * re / a : r->mag[k];
    float pi = a > 1e-20f ? r->mag[k] * im / a : 0.0f;
    /* fast Griffin-Lim: step past the projection, away from the last */
    if (r->has_prev[slot]) {
      r->X[2 * k] = pr + r->alpha * (pr - pv[2 * k]);
      r->X[2 * k + 1] = pi + r->alpha * (pi - pv[2 * k + 1]);
    } else {
      r->X[2 * k] = pr;
      r->X[2 * k + 1] = pi;
    }
    pv[2 * k] = pr;
    pv[2 * k + 1] = pi;
  }
  r->has_prev[slot] = 1;
  gc_stft_irfft (r->fft, r->X, r->buf);
  for (int n = 0; n < N; n++) {
    float nc = r->buf[n] * v->window[n] * OLA_NORM;
    seg[n] += nc - c[n];
    c[n] = nc;
  }
}

/* One hop: frame `spec` (or none) enters as the newest with its input
 * log-mel; the look-ahead is refined; the oldest frame's first hop of
 * output is final and goes to out_hop. */
void
gcn_voc_refiner_push (gcn_voc_refiner *r, const float *spec,
    const float *logmel, float *out_hop)
{
  const gcn_vocoder *v = r->v;
  int N = v->cfg.n_fft, hop = v->cfg.hop, B = v->bins, M = v->cfg.n_mels;
  int L = r->L, S = L + 1;
  if (spec) {
    float *c = r->c + (size_t) L * N, *seg = r->tot + (size_t) L * hop;
    gc_stft_irfft (r->fft, spec, r->buf);
    for (int n = 0; n < N; n++) {
      c[n] = r->buf[n] * v->window[n] * OLA_NORM;
      seg[n] += c[n];
    }
    float *num = r->tgt + (size_t) L * B;
    const float *W = v->mel.weights;
    memcpy (num, r->den0, B * sizeof (float));
    for (int m = 0; m < M; m++) {
      /* features from callers may be anything finite: keep the target
       * where squares of magnitudes stay finite */
      float tm = expf (fminf (fmaxf (logmel[m], -20.0f), 20.0f));
      for (int k = v->mel.first[m]; k <= v->mel.last[m]; k++)
        num[k] += W[(size_t) m * B + k] * tm;
    }
    r->live[L] = 1;
  }
  for (int it = 0; it < r->iters; it++)
    for (int slot = L; slot >= 0; slot--)
      if (r->live[slot])
        refiner_update (r, slot);
  memcpy (out_hop, r->tot, hop * sizeof (float));
  /* shift by one hop / one slot */
  int span = N + L * hop;
  memmove (r->tot, r->tot + hop, (span - hop) * sizeof (float));
  memset (r->tot + span - hop, 0, hop * sizeof (float));
  memmove (r->c, r->c + N, (size_t) L * N * sizeof (float));
  memset (r->c + (size_t) L * N, 0, N * sizeof (float));
  memmove (r->prev, r->prev + 2 * B, (size_t) L * 2 * B * sizeof (float));
  memmove (r->tgt, r->tgt + B, (size_t) L * B * sizeof (float));
  memmove (r->live, r->live + 1, L);
  memmove (r->has_prev, r->has_prev + 1, L);
  r->live[S - 1] = 0;
  r->has_prev[S - 1] = 0;
}
