/* gcn_pghi — RTPGHI phase reconstruction; see gcn_pghi.h. */
#include "gcn_pghi.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct gcn_pghi {
  int n_fft, hop, bins;
  float lambda;
  float *s_prev, *phase_prev, *tgrad_prev, *tgrad, *fgrad;
  unsigned char *done;
  float *hkey;
  int *hidx, hn;
  uint32_t rng;
  float ref;                /* slowly decaying loudest log-magnitude */
};

gcn_pghi *
gcn_pghi_new (int n_fft, int hop, float lambda)
{
  if (n_fft < 4 || hop < 1)
    return NULL;
  gcn_pghi *p = calloc (1, sizeof *p);
  if (!p)
    return NULL;
  p->n_fft = n_fft;
  p->hop = hop;
  p->bins = n_fft / 2 + 1;
  p->lambda = lambda;
  int b = p->bins;
  p->s_prev = malloc (5 * b * sizeof (float));
  p->done = malloc (b);
  p->hkey = malloc (2 * b * sizeof (float));
  p->hidx = malloc (2 * b * sizeof (int));
  if (!p->s_prev || !p->done || !p->hkey || !p->hidx) {
    gcn_pghi_free (p);
    return NULL;
  }
  p->phase_prev = p->s_prev + b;
  p->tgrad_prev = p->s_prev + 2 * b;
  p->tgrad = p->s_prev + 3 * b;
  p->fgrad = p->s_prev + 4 * b;
  gcn_pghi_reset (p);
  return p;
}

void
gcn_pghi_free (gcn_pghi *p)
{
  if (!p)
    return;
  free (p->s_prev);
  free (p->done);
  free (p->hkey);
  free (p->hidx);
  free (p);
}

void
gcn_pghi_reset (gcn_pghi *p)
{
  for (int k = 0; k < p->bins; k++) {
    p->s_prev[k] = -1e30f;
    p->phase_prev[k] = 0;
    p->tgrad_prev[k] = 0;
  }
  p->rng = 0x9e3779b9u;
  p->ref = -1e30f;
}

#define PGHI_FLOOR 6.9f         /* 60 dB, in natural log units */
#define PGHI_REF_DECAY 0.008f   /* per frame: about 9 dB per second */

static void
heap_push (gcn_pghi *p, float key, int idx)
{
  int i = p->hn++;
  while (i > 0) {
    int parent = (i - 1) / 2;
    if (p->hkey[parent] >= key)
      break;
    p->hkey[i] = p->hkey[parent];
    p->hidx[i] = p->hidx[parent];
    i = parent;
  }
  p->hkey[i] = key;
  p->hidx[i] = idx;
}

static int
heap_pop (gcn_pghi *p)
{
  int top = p->hidx[0];
  float key = p->hkey[--p->hn];
  int idx = p->hidx[p->hn], i = 0;
  for (;;) {
    int c = 2 * i + 1;
    if (c >= p->hn)
      break;
    if (c + 1 < p->hn && p->hkey[c + 1] > p->hkey[c])
      c++;
    if (p->hkey[c] <= key)
      break;
    p->hkey[i] = p->hkey[c];
    p->hidx[i] = p->hidx[c];
    i = c;
  }
  p->hkey[i] = key;
  p->hidx[i] = idx;
  return top;
}

static float
wrap_phase (float x)
{
  return remainderf (x, 2.0f * (float) M_PI);
}

/* Phase derivatives of a Gaussian-window STFT from its log-magnitude
 * (frame-relative FFT phase): d phase / d frame = hop (2 pi k / N +
 * N / lambda d s / d k), d phase / d bin = -lambda / (hop N) d s / d frame
 * - pi. Integrate along the strongest bins first (heap), from the previous
 * frame where it is stronger, else across frequency. */
void
gcn_pghi_frame (gcn_pghi *p, const float *s, float *phase)
{
  gcn_pghi_frame_ahead (p, s, NULL, phase);
}

void
gcn_pghi_frame_ahead (gcn_pghi *p, const float *s, const float *s_next,
    float *phase)
{
  int B = p->bins, N = p->n_fft;
  const float two_pi = 2.0f * (float) M_PI;
  float smax = -1e30f;
  for (int k = 0; k < B; k++) {
    float ds = k == 0 ? s[1] - s[0] : k == B - 1 ? s[k] - s[k - 1]
        : 0.5f * (s[k + 1] - s[k - 1]);
    p->tgrad[k] = p->hop * (two_pi * k / N + N / p->lambda * ds);
    float dt = 0.0f;
    if (s_next && p->s_prev[k] > -1e29f)
      dt = 0.5f * (s_next[k] - p->s_prev[k]);
    else if (s_next)
      dt = s_next[k] - s[k];
    else if (p->s_prev[k] > -1e29f)
      dt = s[k] - p->s_prev[k];
    p->fgrad[k] = -p->lambda / ((float) p->hop * N) * dt - (float) M_PI;
    if (s[k] > smax)
      smax = s[k];
    if (p->s_prev[k] > smax)
      smax = p->s_prev[k];
  }
  /* Bins 1e-4 below the loudest of this frame, or 60 dB below the recent
   * peak (decaying about 9 dB per second), get random phase: integrating
   * them would turn noise floors and pauses into steady bin-centre tones. */
  p->ref = fmaxf (smax, p->ref - PGHI_REF_DECAY);
  float tol = fmaxf (smax - 9.21f, p->ref - PGHI_FLOOR);
  int remaining = 0;
  p->hn = 0;
  for (int k = 0; k < B; k++) {
    if (s[k] <= tol) {
      p->rng = p->rng * 1664525u + 1013904223u;
      phase[k] = (p->rng >> 8) * (two_pi / 16777216.0f) - (float) M_PI;
      p->done[k] = 1;
    } else {
      p->done[k] = 0;
      remaining++;
      heap_push (p, p->s_prev[k], k);           /* previous frame: k */
    }
  }
  while (remaining > 0 && p->hn > 0) {
    int idx = heap_pop (p);
    if (idx < B) {              /* from the previous frame, along time */
      int k = idx;
      if (p->done[k])
        continue;
      phase[k] = p->phase_prev[k] + 0.5f * (p->tgrad_prev[k] + p->tgrad[k]);
      p->done[k] = 1;
      remaining--;
      heap_push (p, s[k], B + k);
    } else {                    /* this frame, along frequency */
      int k = idx - B;
      if (k + 1 < B && !p->done[k + 1]) {
        phase[k + 1] = phase[k] + 0.5f * (p->fgrad[k] + p->fgrad[k + 1]);
        p->done[k + 1] = 1;
        remaining--;
        heap_push (p, s[k + 1], B + k + 1);
      }
      if (k > 0 && !p->done[k - 1]) {
        phase[k - 1] = phase[k] - 0.5f * (p->fgrad[k] + p->fgrad[k - 1]);
        p->done[k - 1] = 1;
        remaining--;
        heap_push (p, s[k - 1], B + k - 1);
      }
    }
  }
  for (int k = 0; k < B; k++) {
    phase[k] = wrap_phase (phase[k]);
    p->phase_prev[k] = phase[k];
    p->s_prev[k] = s[k];
    p->tgrad_prev[k] = p->tgrad[k];
  }
}
