/* gcn_vocoder — batched forward pass over whole signals (training). */
#include "gcn_vocoder_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the per-frame buffers of the acts (the tensors resize themselves) */
static void
acts_free_buffers (gcn_vocoder_acts *a)
{
  free (a->spec_in);
  free (a->base);
  free (a->logmag);
  free (a->phase);
  free (a->spec_out);
  free (a->d_out);
  free (a->d_logmag);
  free (a->frame);
  free (a->logmel);
}

void
gcn_vocoder_acts_free (gcn_vocoder_acts *a)
{
  gc_tensor *ts[] = { &a->feat, &a->h0, &a->u[0], &a->u[1], &a->v[0],
    &a->v[1], &a->w[0], &a->w[1], &a->z[0], &a->z[1], &a->a[0], &a->a[1],
    &a->a[2], &a->gin, &a->gout, &a->hsum, &a->hact, &a->out, &a->dtmp,
    &a->dtmp2, &a->dtmp3 };
  for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
    gc_tensor_free (ts[i]);
  gc_gru_cache_free (&a->gcache);
  acts_free_buffers (a);
  memset (a, 0, sizeof *a);
}

static int
acts_reserve (gcn_vocoder *v, gcn_vocoder_acts *a, int batch, int T)
{
  size_t bt = (size_t) batch * T * v->bins;
  if (a->spec_in && a->batch * a->frames >= batch * T) {
    a->batch = batch;
    a->frames = T;
    return 0;
  }
  acts_free_buffers (a);
  a->spec_in = malloc (bt * 2 * sizeof (float));
  a->base = malloc (bt * sizeof (float));
  a->logmag = malloc (bt * sizeof (float));
  a->phase = malloc (bt * sizeof (float));
  a->spec_out = malloc (bt * 2 * sizeof (float));
  a->d_out = malloc (bt * 3 * sizeof (float));
  a->d_logmag = malloc (bt * sizeof (float));
  a->frame = malloc ((v->cfg.n_fft + 4 * v->bins + v->cfg.n_mels)
      * sizeof (float));
  a->logmel = malloc ((size_t) batch * T * v->cfg.n_mels * sizeof (float));
  if (!a->spec_in || !a->base || !a->logmag || !a->phase || !a->spec_out
      || !a->d_out || !a->d_logmag || !a->frame || !a->logmel) {
    gc_set_error ("vocoder: out of memory for %d x %d frames", batch, T);
    return -1;
  }
  a->batch = batch;
  a->frames = T;
  return 0;
}

int
gcn_voc_lrelu (const gc_tensor *x, gc_tensor *y)
{
  return gc_act_forward (GC_ACT_LEAKY_RELU, LRELU, x, y);
}

/* The network on features (B, n_mels, 1, T) -> out (B, 3 bins, 1, T). */
static int
net_forward (gcn_vocoder *v, gcn_vocoder_acts *a)
{
  if (gc_conv1d_forward (&v->conv_in, &a->feat, &a->a[0]) < 0)
    return -1;
  for (int i = 0; i < 2; i++)
    if (gcn_voc_lrelu (&a->a[i], &a->u[i]) < 0
        || gc_conv1d_forward (&v->res_a[i], &a->u[i], &a->v[i]) < 0
        || gcn_voc_lrelu (&a->v[i], &a->w[i]) < 0
        || gc_conv1d_forward (&v->res_b[i], &a->w[i], &a->z[i]) < 0
        || gc_add (&a->a[i], &a->z[i], &a->a[i + 1]) < 0)
      return -1;
  if (gc_gru_forward (&v->gru, &a->a[2], NULL, &a->gout, &a->gcache) < 0
      || gc_add (&a->a[2], &a->gout, &a->hsum) < 0
      || gcn_voc_lrelu (&a->hsum, &a->hact) < 0)
    return -1;
  return gc_conv1d_forward (&v->conv_out, &a->hact, &a->out);
}

int
gcn_vocoder_forward (gcn_vocoder *v, const float *x, int batch, int len,
    float *y, gcn_vocoder_acts *a)
{
  int hop = v->cfg.hop, N = v->cfg.n_fft, nm = v->cfg.n_mels, B = v->bins;
  if (!x || !y || batch < 1 || len < hop || len % hop) {
    gc_set_error ("vocoder forward: length %d is not a positive multiple of "
        "the hop %d", len, hop);
    return -1;
  }
  int T = len / hop;
  if (acts_reserve (v, a, batch, T) < 0)
    return -1;
  a->len = len;
  if (gc_tensor_resize (&a->feat, batch, nm, 1, T) < 0)
    return -1;
  float *mag = a->frame + N + 2 * B, *lm = mag + B;
  for (int b = 0; b < batch; b++) {
    const float *xb = x + (size_t) b * len;
    for (int t = 0; t < T; t++) {
      float *sp = a->spec_in + ((size_t) b * T + t) * 2 * B;
      gcn_voc_analyze_frame (v, v->fft, xb, len, (t + 1) * hop, a->frame, sp);
      gcn_voc_spec_to_logmel (v, sp, mag, lm);
      memcpy (a->logmel + ((size_t) b * T + t) * nm, lm, nm * sizeof (float));
      gcn_voc_logmel_to_base (v, lm, a->base + ((size_t) b * T + t) * B);
      for (int m = 0; m < nm; m++)
        a->feat.data[((size_t) b * nm + m) * T + t] =
            (lm[m] + FEAT_SHIFT) * FEAT_SCALE;
    }
  }
  if (net_forward (v, a) < 0)
    return -1;
  memset (a->d_logmag, 0, (size_t) batch * T * B * sizeof (float));
  gcn_pghi *pghi = NULL;
  if (v->cfg.task == GCN_VOCODER_COPY) {
    pghi = gcn_pghi_new (N, hop, v->pghi_lambda);
    if (!pghi) {
      gc_set_error ("vocoder: out of memory");
      return -1;
    }
  }
  gcn_voc_refiner *rf = NULL;
  if (gcn_voc_refine_on (v) && !(rf = gcn_voc_refiner_new (v, v->fft))) {
    gcn_pghi_free (pghi);
    gc_set_error ("vocoder: out of memory");
    return -1;
  }
  memset (y, 0, (size_t) batch * len * sizeof (float));
  for (int b = 0; b < batch; b++) {
    if (pghi)
      gcn_pghi_reset (pghi);
    if (rf)
      gcn_voc_refiner_reset (rf);
    float *yb = y + (size_t) b * len;
    for (int t = 0; t < T; t++) {
      size_t ft = (size_t) b * T + t;
      gcn_voc_frame_logmag (v, a->out.data + (size_t) b * 3 * B * T + t, T,
          a->base + ft * B, a->logmag + ft * B);
    }
    for (int t = 0; t < T; t++) {
      size_t ft = (size_t) b * T + t;
      gcn_voc_synth_frame (v, v->fft,
          a->out.data + (size_t) b * 3 * B * T + t, T, a->logmag + ft * B, t + 1 < T ? a->logmag + (ft + 1) * B : NULL,
          a->spec_in + ft * 2 * B, pghi, a->phase + ft * B,
          a->spec_out + ft * 2 * B, a->frame);
      if (rf)
        continue;
      int start = (t + 1) * hop - N;
      for (int n = 0; n < N; n++)
        if (start + n >= 0)
          yb[start + n] += a->frame[n];
    }
    if (!rf)
      continue;
    /* the same refinement as a stream, then flushed: frame t's first hop
     * is final once frame t + L has entered */
    int L = rf->L, flush = L + N / hop - 1;
    for (int t = 0; t < T + flush; t++) {
      size_t ft = (size_t) b * T + t;
      gcn_voc_refiner_push (rf, t < T ? a->spec_out + ft * 2 * B : NULL,
          t < T ? a->logmel + ft * nm : NULL, a->frame);
      int start = (t - L + 1) * hop - N;
      for (int n = 0; n < hop; n++)
        if (start + n >= 0 && start + n < len)
          yb[start + n] = a->frame[n];
    }
  }
  gcn_pghi_free (pghi);
  gcn_voc_refiner_free (rf);
  return 0;
}
