/* gcn_vocoder — streaming inference, one hop at a time. */
#include "gcn_vocoder_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct gcn_vocoder_stream {
  gcn_vocoder *v;
  gc_stft *fft;             /* own FFT buffers: streams may run in parallel */
  gc_conv1d_state st_in, st_a[2];
  gc_tensor x, t0, t1, t2, acc, out;
  float *h, *gru_scratch;
  gcn_pghi *pghi;
  float *in_buf;            /* last n_fft input samples */
  float *ola;               /* n_fft */
  float *spec_in, *spec, *frame, *mag, *logmel, *base, *logmag, *phase;
  float *held_out, *held_logmag;  /* COPY: the frame waiting for its next */
  float *held_logmel;       /* ... and its input features */
  gcn_voc_refiner *refine;          /* COPY with refinement, else NULL */
  int held;
};

void
gcn_vocoder_stream_free (gcn_vocoder_stream *s)
{
  if (!s)
    return;
  gcn_voc_refiner_free (s->refine);
  free (s->held_logmel);
  gc_conv1d_state_free (&s->st_in);
  gc_conv1d_state_free (&s->st_a[0]);
  gc_conv1d_state_free (&s->st_a[1]);
  gc_tensor *ts[] = { &s->x, &s->t0, &s->t1, &s->t2, &s->acc, &s->out };
  for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
    gc_tensor_free (ts[i]);
  gcn_pghi_free (s->pghi);
  gc_stft_free (s->fft);
  free (s->h);
  free (s);
}

gcn_vocoder_stream *
gcn_vocoder_stream_new (gcn_vocoder *v)
{
  if (!v || !v->bins) {
    gc_set_error ("vocoder stream: no model");
    return NULL;
  }
  gcn_vocoder_stream *s = calloc (1, sizeof *s);
  if (!s)
    return NULL;
  s->v = v;
  int C = v->cfg.channels, N = v->cfg.n_fft, B = v->bins;
  size_t floats = C + 6 * C + N + N + 2 * B + 2 * B + N + 2 * B + B
      + v->cfg.n_mels + B + B + B + 3 * B + B;
  s->h = calloc (floats, sizeof (float));
  s->fft = gc_stft_new (N, N, v->cfg.hop, GC_WIN_HANN);
  if (!s->h || !s->fft || gc_conv1d_state_init (&s->st_in, &v->conv_in, 1) < 0
      || gc_conv1d_state_init (&s->st_a[0], &v->res_a[0], 1) < 0
      || gc_conv1d_state_init (&s->st_a[1], &v->res_a[1], 1) < 0) {
    gcn_vocoder_stream_free (s);
    return NULL;
  }
  s->gru_scratch = s->h + C;
  s->in_buf = s->gru_scratch + 6 * C;
  s->ola = s->in_buf + N;
  s->spec_in = s->ola + N;
  s->spec = s->spec_in + 2 * B;
  s->frame = s->spec + 2 * B;
  s->mag = s->frame + N + 2 * B;  /* frame may use n_fft + 2 bins scratch */
  s->logmel = s->mag + B;
  s->base = s->logmel + v->cfg.n_mels;
  s->logmag = s->base + B;
  s->phase = s->logmag + B;
  s->held_out = s->phase + B;
  s->held_logmag = s->held_out + 3 * B;
  if (v->cfg.task == GCN_VOCODER_COPY) {
    s->pghi = gcn_pghi_new (N, v->cfg.hop, v->pghi_lambda);
    s->held_logmel = calloc (v->cfg.n_mels, sizeof (float));
    if (gcn_voc_refine_on (v))
      s->refine = gcn_voc_refiner_new (v, s->fft);
    if (!s->pghi || !s->held_logmel || (gcn_voc_refine_on (v) && !s->refine)) {
      gcn_vocoder_stream_free (s);
      return NULL;
    }
  }
  gcn_vocoder_stream_reset (s);
  return s;
}

void
gcn_vocoder_stream_reset (gcn_vocoder_stream *s)
{
  gcn_vocoder *v = s->v;
  gc_conv1d_state_reset (&s->st_in);
  gc_conv1d_state_reset (&s->st_a[0]);
  gc_conv1d_state_reset (&s->st_a[1]);
  memset (s->h, 0, v->cfg.channels * sizeof (float));
  memset (s->in_buf, 0, v->cfg.n_fft * sizeof (float));
  memset (s->ola, 0, v->cfg.n_fft * sizeof (float));
  memset (s->spec_in, 0, 2 * v->bins * sizeof (float));
  s->held = 0;
  if (s->pghi)
    gcn_pghi_reset (s->pghi);
  if (s->refine)
    gcn_voc_refiner_reset (s->refine);
}

/* One frame through the network (same layers as net_forward, T = 1, with
 * the causal history in the states), synthesis and overlap-add. */
static int
stream_frame (gcn_vocoder_stream *s, const float *spec_in, float *out_hop)
{
  gcn_vocoder *v = s->v;
  int nm = v->cfg.n_mels, C = v->cfg.channels, N = v->cfg.n_fft;
  int hop = v->cfg.hop;
  if (gc_tensor_resize (&s->x, 1, nm, 1, 1) < 0)
    return -1;
  for (int m = 0; m < nm; m++)
    s->x.data[m] = (s->logmel[m] + FEAT_SHIFT) * FEAT_SCALE;
  gcn_voc_logmel_to_base (v, s->logmel, s->base);
  if (gc_conv1d_stream (&v->conv_in, &s->st_in, &s->x, &s->acc) < 0)
    return -1;
  for (int i = 0; i < 2; i++)
    if (gcn_voc_lrelu (&s->acc, &s->t0) < 0
        || gc_conv1d_stream (&v->res_a[i], &s->st_a[i], &s->t0, &s->t1) < 0
        || gcn_voc_lrelu (&s->t1, &s->t1) < 0
        || gc_conv1d_forward (&v->res_b[i], &s->t1, &s->t2) < 0
        || gc_axpy (1.0f, &s->t2, &s->acc) < 0)
      return -1;
  gc_gru_step (&v->gru, s->acc.data, s->h, s->gru_scratch);
  for (int c = 0; c < C; c++)
    s->acc.data[c] += s->h[c];
  if (gcn_voc_lrelu (&s->acc, &s->t0) < 0
      || gc_conv1d_forward (&v->conv_out, &s->t0, &s->out) < 0)
    return -1;
  int B = v->bins;
  gcn_voc_frame_logmag (v, s->out.data, 1, s->base, s->logmag);
  if (s->pghi) {
    /* synthesise the held frame now that its successor is known */
    if (s->held)
      gcn_voc_synth_frame (v, s->fft, s->held_out, 1, s->held_logmag,
          s->logmag, NULL, s->pghi, s->phase, s->spec, s->frame);
    else
      memset (s->frame, 0, N * sizeof (float));
    int had = s->held;
    memcpy (s->held_out, s->out.data, 3 * B * sizeof (float));
    memcpy (s->held_logmag, s->logmag, B * sizeof (float));
    s->held = 1;
    if (s->refine) {
      /* the synthesised frame (if any) enters the look-ahead with its
       * features; the oldest frame's hop comes out */
      gcn_voc_refiner_push (s->refine, had ? s->spec : NULL, s->held_logmel,
          out_hop);
      memcpy (s->held_logmel, s->logmel, nm * sizeof (float));
      return 0;
    }
    memcpy (s->held_logmel, s->logmel, nm * sizeof (float));
  } else {
    gcn_voc_synth_frame (v, s->fft, s->out.data, 1, s->logmag, NULL, spec_in,
        NULL, s->phase, s->spec, s->frame);
  }
  for (int n = 0; n < N; n++)
    s->ola[n] += s->frame[n];
  memcpy (out_hop, s->ola, hop * sizeof (float));
  memmove (s->ola, s->ola + hop, (N - hop) * sizeof (float));
  memset (s->ola + N - hop, 0, hop * sizeof (float));
  return 0;
}

void
gcn_vocoder_stream_analyze (gcn_vocoder_stream *s, const float *in_hop,
    float *mag)
{
  gcn_vocoder *v = s->v;
  int N = v->cfg.n_fft, hop = v->cfg.hop;
  memmove (s->in_buf, s->in_buf + hop, (N - hop) * sizeof (float));
  memcpy (s->in_buf + N - hop, in_hop, hop * sizeof (float));
  gcn_voc_analyze_frame (v, s->fft, s->in_buf, N, N, s->frame, s->spec_in);
  for (int k = 0; k < v->bins; k++)
    mag[k] = hypotf (s->spec_in[2 * k], s->spec_in[2 * k + 1]);
}

int
gcn_vocoder_stream_process (gcn_vocoder_stream *s, const float *in_hop,
    float *out_hop)
{
  gcn_vocoder_stream_analyze (s, in_hop, s->mag);
  gcn_vocoder_mel_from_mag (s->v, s->mag, s->logmel);
  return stream_frame (s, s->spec_in, out_hop);
}

int
gcn_vocoder_stream_push_features (gcn_vocoder_stream *s, const float *logmel,
    float *out_hop)
{
  gcn_vocoder *v = s->v;
  for (int m = 0; m < v->cfg.n_mels; m++)
    s->logmel[m] = isfinite (logmel[m]) ? logmel[m] : logf (MEL_FLOOR);
  /* NB2WB without an input spectrum has nothing to pass through */
  return stream_frame (s, v->cfg.task == GCN_VOCODER_NB2WB ? s->spec_in :
      NULL, out_hop);
}
