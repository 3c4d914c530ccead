/* gan-train denoise: one batch: spectra, network inputs, head rows and the
 * enhanced spectrum (gains and deep filter). */
#include "dn_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
dn_batch_alloc (dn_batch *b, int n, int t, int la, int warm)
{
  long len = (long) (warm + t + la) * HOP;
  b->n = n;
  b->t = t;
  b->la = la;
  b->warm = warm;
  b->Xf = malloc ((size_t) n * (la > 0 ? la : 1) * BINS * 2 * sizeof (float));
  b->spec_tmp = malloc ((size_t) (warm + t + la) * BINS * 2 * sizeof (float));
  b->x = malloc (len * sizeof (float));
  b->s = malloc (len * sizeof (float));
  b->nz = malloc (len * sizeof (float));
  b->tmp = malloc (len * sizeof (float));
  b->X = malloc ((size_t) n * t * BINS * 2 * sizeof (float));
  b->S = malloc ((size_t) n * t * BINS * 2 * sizeof (float));
  b->Y = malloc ((size_t) n * t * BINS * 2 * sizeof (float));
  b->bins = malloc (n * sizeof (int));
  b->in = GCN_DN_FEATS;
  b->phase = b->floor = 0;
  b->feat = malloc ((size_t) n * (t + la) * GCN_DN_IN_MAX * sizeof (float));
  return (b->x && b->s && b->nz && b->tmp && b->X && b->S && b->Y && b->bins &&
      b->feat && b->Xf && b->spec_tmp) ? 0 : -1;
}

void
dn_batch_free (dn_batch *b)
{
  free (b->x);
  free (b->s);
  free (b->nz);
  free (b->tmp);
  free (b->X);
  free (b->S);
  free (b->Y);
  free (b->Xf);
  free (b->spec_tmp);
  free (b->bins);
  free (b->feat);
}

/* Features of a spectrum restricted to `bins` bins, scaled as a stream at
 * that rate would see it; band (may be NULL) receives the scaled band
 * energies. */
void
dn_limited_features (const float *spec, int bins, float *feat, float *band,
    float *scratch)
{
  float scale = (float) (2 * (bins - 1)) / NFFT;
  for (int k = 0; k < bins; k++) {
    scratch[2 * k] = spec[2 * k] * scale;
    scratch[2 * k + 1] = spec[2 * k + 1] * scale;
  }
  gcn_dn_features (scratch, bins, feat, band);
}

/* Network inputs of item i from its noisy spectra (the t scored frames,
 * then the la frames after them), as a stream at the item's band limit
 * computes them: phase features against the previous frame, floor
 * features after the last `heard` of the b->warm frames before the item
 * (`pre`: what a stream that has been running heard; 0 for a stream that
 * starts with the item), zeros before the first frame. Row i (t + la) + f
 * holds frame f. */
static void
item_features (dn_batch *b, int i, const float *pre, int heard)
{
  float cur[2 * BINS], prev[2 * BINS], scratch[2 * BINS];
  float feat[GCN_DN_IN_MAX], band[GCN_DN_BANDS];
  int bins = b->bins[i], tt = b->t + b->la;
  float scale = (float) (2 * (bins - 1)) / NFFT;
  int phase = b->phase, floor_at = GCN_DN_FEATS +
      (phase ? GCN_DN_PHASE_FEATS : 0);
  gcn_dn_floor fl;
  gcn_dn_floor_reset (&fl);
  memset (prev, 0, sizeof prev);
  for (int t = -heard; t < tt; t++) {
    const float *X = t < 0 ? pre + (size_t) (t + b->warm) * BINS * 2 :
        t < b->t ? b->X + ((size_t) i * b->t + t) * BINS * 2 :
        b->Xf + ((size_t) i * b->la + t - b->t) * BINS * 2;
    float *f = t < 0 ? feat : b->feat + ((size_t) i * tt + t) * b->in;
    dn_limited_features (X, bins, f, band, scratch);
    if (phase) {
      for (int k = 0; k < GCN_DN_FINE; k++) {
        cur[2 * k] = X[2 * k] * scale;
        cur[2 * k + 1] = X[2 * k + 1] * scale;
      }
      /* warm frames only feed the floor and the next frame's phase */
      if (t >= 0)
        gcn_dn_phase_features (cur, prev, bins, f + GCN_DN_FEATS);
      memcpy (prev, cur, GCN_DN_FINE * 2 * sizeof (float));
    }
    if (b->floor)
      gcn_dn_floor_features (&fl, band, f + floor_at);
  }
}

/* Items first .. first + n - 1 of step `step`'s global batch, each from
 * its own random stream (gt_dist.h). */
void
dn_batch_make (dn_data *d, dn_batch *b, gc_stft *fft, const float *win,
    uint64_t seed, long step, int first)
{
  long len = (long) (b->warm + b->t + b->la) * HOP;
  size_t fs = (size_t) BINS * 2, w = (size_t) b->warm * fs;
  for (int i = 0; i < b->n; i++) {
    gc_rng r;
    gt_item_rng (&r, seed, step, first + i);
    b->bins[i] = dn_make_item (d, &r, b->x, b->s, b->nz, b->tmp, len) + 1;
    float *X = b->X + (size_t) i * b->t * fs;
    float *S = b->S + (size_t) i * b->t * fs;
    gcn_dn_analyze (fft, win, HOP, b->x, len, b->spec_tmp);
    memcpy (X, b->spec_tmp + w, (size_t) b->t * fs * sizeof (float));
    memcpy (b->Xf + (size_t) i * b->la * fs, b->spec_tmp + w +
        (size_t) b->t * fs, (size_t) b->la * fs * sizeof (float));
    /* a third of the items start cold, as a stream's first seconds do;
     * the rest have heard up to b->warm frames */
    int heard = 0;
    if (b->warm > 0 && gc_rng_uniform (&r) >= 1.f / 3.f)
      heard = (int) (gc_rng_uniform (&r) * (float) b->warm);
    item_features (b, i, b->spec_tmp, heard);
    gcn_dn_analyze (fft, win, HOP, b->s, len, b->spec_tmp);
    memcpy (S, b->spec_tmp + w, (size_t) b->t * fs * sizeof (float));
  }
}

int
dn_heads_alloc (dn_heads *h, int rows, int dfs)
{
  h->dfs = dfs;
  h->band = malloc ((size_t) rows * GCN_DN_BANDS * sizeof (float));
  h->fine = malloc ((size_t) rows * GCN_DN_FINE * sizeof (float));
  h->vad = malloc ((size_t) rows * sizeof (float));
  h->df = malloc ((size_t) rows * (dfs > 0 ? dfs : 1) * sizeof (float));
  return h->band && h->fine && h->vad && h->df ? 0 : -1;
}

void
dn_heads_free (dn_heads *h)
{
  free (h->band);
  free (h->fine);
  free (h->vad);
  free (h->df);
}

/* rows i (t + la) + f + la of src [.][c] -> rows i t + f of dst */
static void
rows_gather (const float *src, int n, int t, int la, int c, float *dst)
{
  for (int i = 0; i < n; i++)
    memcpy (dst + (size_t) i * t * c, src + ((size_t) i * (t + la) + la) * c,
        (size_t) t * c * sizeof (float));
}

/* the reverse, with zero gradient for the first la rows of each item */
void
dn_rows_scatter (const float *src, int n, int t, int la, int c, float *dst)
{
  for (int i = 0; i < n; i++) {
    float *d = dst + (size_t) i * (t + la) * c;
    memset (d, 0, (size_t) la * c * sizeof (float));
    memcpy (d + (size_t) la * c, src + (size_t) i * t * c,
        (size_t) t * c * sizeof (float));
  }
}

void
dn_heads_gather (dn_heads *h, const gcn_denoiser_acts *tr, int n, int t,
    int la)
{
  rows_gather (tr->band.data, n, t, la, GCN_DN_BANDS, h->band);
  rows_gather (tr->fine.data, n, t, la, GCN_DN_FINE, h->fine);
  rows_gather (tr->vad.data, n, t, la, 1, h->vad);
  if (h->dfs > 0)
    rows_gather (tr->df.data, n, t, la, h->dfs, h->df);
}

/* Y = what a stream would output for every frame of the batch (no
 * attenuation limit): gcn_dn_apply with the item's own past frames. Also
 * writes the per-bin gains into gbin. */
void
dn_enhance (dn_batch *b, const dn_heads *h, int order, float *gbin)
{
  float hist[GCN_DN_DF_MAX * GCN_DN_FINE * 2];
  for (int i = 0; i < b->n; i++) {
    int bins = b->bins[i];
    for (int t = 0; t < b->t; t++) {
      int row = i * b->t + t;
      float *g = gbin + (size_t) row * BINS;
      float *Y = b->Y + (size_t) row * BINS * 2;
      gcn_dn_bin_gains (h->band + (size_t) row * GCN_DN_BANDS,
          h->fine + (size_t) row * GCN_DN_FINE, bins, g);
      memcpy (Y, b->X + (size_t) row * BINS * 2, (size_t) bins * 2 *
          sizeof (float));
      for (int j = 1; j < order; j++) {
        float *hj = hist + (size_t) (j - 1) * GCN_DN_FINE * 2;
        if (t - j >= 0)
          memcpy (hj, b->X + (size_t) (row - j) * BINS * 2,
              GCN_DN_FINE * 2 * sizeof (float));
        else
          memset (hj, 0, GCN_DN_FINE * 2 * sizeof (float));
      }
      gcn_dn_apply (Y, bins, g, order > 0 ?
          h->df + (size_t) row * GCN_DN_FINE * order * 2 : NULL,
          order, hist, 0.f);
    }
  }
}
