/* gan-train denoise: the losses and their gradients, and the discriminator's
 * feature path of the enhanced speech. */
#include "dn_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Gain loss (square-rooted gains, RNNoise), compressed magnitude loss,
 * signal loss (|g X - S|^2 over the item's clean energy: the output SNR with
 * the noisy phase, what SI-SDR measures) and voice-activity BCE, all on the
 * enhanced spectrum b->Y (dn_enhance () first). Writes gradients w.r.t. the
 * outputs of the heads (d_df: of the deep-filter taps, when order > 0). */
/* The gain loss of n gains g against their ideal sqrt (speech / noisy)
 * energies: squared error of square-rooted gains, errors that remove
 * speech weighed asym times; adds to *loss, writes kg * dL/dg into d. */
static void
gain_loss (const float *g, const float *speech, const float *noisy, int n,
    float kg, float *d, double *loss)
{
  for (int k = 0; k < n; k++) {
    float tgt = noisy[k] > 1e-20f ? fminf (1.f, sqrtf (speech[k] / noisy[k]))
        : 1.f;
    float gv = fmaxf (g[k], 1e-6f), e = sqrtf (gv) - sqrtf (tgt);
    float w = e < 0 ? dn_opt_asym : 1.f;
    *loss += w * e * e;
    d[k] = w * kg * e / sqrtf (gv);
  }
}

void
dn_recon_losses (const dn_batch *b, const dn_heads *h, int order,
    float *d_band, float *d_fine, float *d_vad, float *d_df,
    const float *gbin, dn_loss *L)
{
  int rows = b->n * b->t;
  double lg = 0, ls = 0, lv = 0;
  long cnt_g = 0, cnt_s = 0;

  for (int i = 0; i < b->n; i++) {
    int bins = b->bins[i];
    cnt_g += (long) b->t * (gcn_dn_bands_present (bins) +
        (bins < GCN_DN_FINE ? bins : GCN_DN_FINE));
    cnt_s += (long) b->t * bins;
  }
  /* over the global batch when it is split over ranks */
  double ng = gt_dist_divisor ((double) cnt_g);
  double ns = gt_dist_divisor ((double) cnt_s);
  float kg = 1.f / (float) ng, ks = W_SPEC / (float) ns;

  double lsig = 0;
  for (int i = 0; i < b->n; i++) {
    int bins = b->bins[i], present = gcn_dn_bands_present (bins);
    int nf = bins < GCN_DN_FINE ? bins : GCN_DN_FINE;
    /* item energies for the signal loss; noise-only items use a floor */
    double es_item = 0, ex_item = 0;
    for (int t = 0; t < b->t; t++) {
      const float *S = b->S + ((size_t) i * b->t + t) * BINS * 2;
      const float *X = b->X + ((size_t) i * b->t + t) * BINS * 2;
      for (int k = 0; k < bins; k++) {
        es_item += S[2 * k] * S[2 * k] + S[2 * k + 1] * S[2 * k + 1];
        ex_item += X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1];
      }
    }
    float ksig = (float) (W_SIG / b->n / (es_item + 0.01 * ex_item + 1e-20));
    /* voice activity target: clean frame energy within 40 dB of the
     * item's loudest frame */
    float emax = 0;
    for (int t = 0; t < b->t; t++) {
      const float *S = b->S + ((size_t) i * b->t + t) * BINS * 2;
      float e = 0;
      for (int k = 0; k < bins; k++)
        e += S[2 * k] * S[2 * k] + S[2 * k + 1] * S[2 * k + 1];
      emax = fmaxf (emax, e);
    }
    for (int t = 0; t < b->t; t++) {
      int row = i * b->t + t;
      const float *X = b->X + (size_t) row * BINS * 2;
      const float *S = b->S + (size_t) row * BINS * 2;
      const float *gb = h->band + (size_t) row * GCN_DN_BANDS;
      const float *gf = h->fine + (size_t) row * GCN_DN_FINE;
      float *db = d_band + (size_t) row * GCN_DN_BANDS;
      float *df = d_fine + (size_t) row * GCN_DN_FINE;
      const float *g = gbin + (size_t) row * BINS;
      const float *Y = b->Y + (size_t) row * BINS * 2;
      float *ddf = order > 0 ? d_df + (size_t) row * GCN_DN_FINE * order * 2 :
          NULL;
      int nd = order > 0 ? nf : 0;    /* deep-filtered bins */
      float px[BINS], ps[BINS], ex[GCN_DN_BANDS], es[GCN_DN_BANDS];
      float dbin[BINS], dband_s[GCN_DN_BANDS], dfine_s[GCN_DN_FINE];
      float fe = 0;

      for (int k = 0; k < bins; k++) {
        px[k] = X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1];
        ps[k] = S[2 * k] * S[2 * k] + S[2 * k + 1] * S[2 * k + 1];
        fe += ps[k];
      }
      gcn_dn_band_energy (px, bins, ex);
      gcn_dn_band_energy (ps, bins, es);

      memset (db, 0, GCN_DN_BANDS * sizeof (float));
      memset (df, 0, GCN_DN_FINE * sizeof (float));
      gain_loss (gb, es, ex, present, kg, db, &lg);
      gain_loss (gf, ps, px, nf, kg, df, &lg);

      if (ddf)
        memset (ddf, 0, (size_t) GCN_DN_FINE * order * 2 * sizeof (float));
      for (int k = 0; k < nd; k++) {
        /* the same losses on the deep-filtered output Y */
        float yr = Y[2 * k], yi = Y[2 * k + 1], py = yr * yr + yi * yi;
        float eps = 1e-6f * px[k] + 1e-20f;
        float ms = powf (ps[k] + 1e-20f, COMP / 2);
        float e = powf (py + eps, COMP / 2) - ms;
        float w = e < 0 ? dn_opt_asym : 1.f;
        ls += w * e * e;
        float a = w * ks * 2.f * e * COMP * powf (py + eps, COMP / 2 - 1.f);
        float er = yr - S[2 * k], ei = yi - S[2 * k + 1];
        lsig += (double) (er * er + ei * ei) * ksig / W_SIG;
        float dyr = a * yr + ksig * 2.f * er, dyi = a * yi + ksig * 2.f * ei;
        dbin[k] = df_backward_bin (b, h->df + (size_t) row * GCN_DN_FINE *
            order * 2, g[k], row, t, k, order, dyr, dyi, ddf);
      }
      for (int k = nd; k < bins; k++) {
        float gv = fmaxf (g[k], 1e-6f);
        float mx = powf (px[k] + 1e-20f, COMP / 2);
        float ms = powf (ps[k] + 1e-20f, COMP / 2);
        float e = powf (gv, COMP) * mx - ms;
        float w = e < 0 ? dn_opt_asym : 1.f;
        ls += w * e * e;
        dbin[k] = w * ks * 2.f * e * COMP * powf (gv, COMP - 1.f) * mx;
        float cross = S[2 * k] * X[2 * k] + S[2 * k + 1] * X[2 * k + 1];
        float er = g[k] * X[2 * k] - S[2 * k], ei = g[k] * X[2 * k + 1] - S[2 * k + 1];
        lsig += (double) (er * er + ei * ei) * ksig / W_SIG;
        dbin[k] += ksig * 2.f * (g[k] * px[k] - cross);
      }
      gcn_dn_bin_gains_backward (dbin, bins, dband_s, dfine_s);
      for (int k = 0; k < GCN_DN_BANDS; k++)
        db[k] += dband_s[k];
      for (int k = 0; k < GCN_DN_FINE; k++)
        df[k] += dfine_s[k];

      float y = (emax > 0 && fe > 1e-4f * emax && fe > 1e-10f) ? 1.f : 0.f;
      float p = fminf (fmaxf (h->vad[row], 1e-6f), 1.f - 1e-6f);
      lv += -(y * logf (p) + (1 - y) * logf (1 - p));
      d_vad[row] = W_VAD / rows * (p - y) / (p * (1 - p));
    }
  }
  L->sig = (float) lsig;
  L->gain = (float) (lg / ng);
  L->spec = (float) (ls / ns);
  L->vad = (float) (lv / rows);
}

/* Features of the enhanced spectrum g X, as a stream would compute them. */
void
dn_fake_features (const dn_batch *b, float *feat)
{
  const float norm = 1.f / ((float) NFFT * NFFT);
  for (int i = 0; i < b->n; i++) {
    int bins = b->bins[i];
    for (int t = 0; t < b->t; t++) {
      int row = i * b->t + t;
      const float *Y = b->Y + (size_t) row * BINS * 2;
      float *f = feat + (size_t) row * GCN_DN_FEATS;
      float pw[BINS], band[GCN_DN_BANDS];
      for (int k = 0; k < bins; k++)
        pw[k] = (Y[2 * k] * Y[2 * k] + Y[2 * k + 1] * Y[2 * k + 1]) * norm;
      gcn_dn_band_energy (pw, bins, band);
      for (int k = 0; k < GCN_DN_BANDS; k++)
        f[k] = gcn_dn_log_feature (band[k]);
      for (int k = 0; k < GCN_DN_FINE; k++)
        f[GCN_DN_BANDS + k] = gcn_dn_log_feature (k < bins ? pw[k] : 0.f);
    }
  }
}

/* d(fake features) [rows][FEATS] -> += d(band gains), d(fine gains),
 * d(deep-filter taps). */
void
dn_fake_backward (const dn_batch *b, const float *gbin, const float *taps,
    int order, const float *dfeat, float *d_band, float *d_fine, float *d_df)
{
  const float norm = 1.f / ((float) NFFT * NFFT);
  for (int i = 0; i < b->n; i++) {
    int bins = b->bins[i];
    for (int t = 0; t < b->t; t++) {
      int row = i * b->t + t;
      const float *X = b->X + (size_t) row * BINS * 2;
      const float *Y = b->Y + (size_t) row * BINS * 2;
      const float *g = gbin + (size_t) row * BINS;
      const float *df = dfeat + (size_t) row * GCN_DN_FEATS;
      float px[BINS], pw[BINS], band[GCN_DN_BANDS], dE[GCN_DN_BANDS];
      float dpw[BINS], dg[BINS], dband[GCN_DN_BANDS], dfine[GCN_DN_FINE];
      int nd = order > 0 ? (bins < GCN_DN_FINE ? bins : GCN_DN_FINE) : 0;
      for (int k = 0; k < bins; k++) {
        px[k] = (X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1]) * norm;
        pw[k] = (Y[2 * k] * Y[2 * k] + Y[2 * k + 1] * Y[2 * k + 1]) * norm;
      }
      gcn_dn_band_energy (pw, bins, band);
      for (int k = 0; k < GCN_DN_BANDS; k++)
        dE[k] = df[k] / (3.f * LN10 * (band[k] + 1e-12f));
      gcn_dn_band_energy_backward (dE, bins, dpw);
      for (int k = 0; k < bins && k < GCN_DN_FINE; k++)
        dpw[k] += df[GCN_DN_BANDS + k] / (3.f * LN10 * (pw[k] + 1e-12f));
      for (int k = 0; k < nd; k++)
        dg[k] = df_backward_bin (b, taps + (size_t) row * GCN_DN_FINE * order *
            2, g[k], row, t, k, order,
            dpw[k] * norm * 2.f * Y[2 * k], dpw[k] * norm * 2.f * Y[2 * k + 1],
            d_df + (size_t) row * GCN_DN_FINE * order * 2);
      for (int k = nd; k < bins; k++)
        dg[k] = dpw[k] * 2.f * g[k] * px[k];
      gcn_dn_bin_gains_backward (dg, bins, dband, dfine);
      for (int k = 0; k < GCN_DN_BANDS; k++)
        d_band[(size_t) row * GCN_DN_BANDS + k] += dband[k];
      for (int k = 0; k < GCN_DN_FINE; k++)
        d_fine[(size_t) row * GCN_DN_FINE + k] += dfine[k];
    }
  }
}

/* rows [n*t][c] <-> sequences (n, c, 1, t) */
void
dn_to_seq (const float *rows, int n, int t, int c, gc_tensor *seq)
{
  gc_tensor_resize (seq, n, c, 1, t);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < t; j++)
      for (int k = 0; k < c; k++)
        seq->data[((size_t) i * c + k) * t + j] =
            rows[((size_t) i * t + j) * c + k];
}

void
dn_to_rows (const gc_tensor *seq, float *rows)
{
  int n = seq->n, c = seq->c, t = seq->w;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < c; k++)
      for (int j = 0; j < t; j++)
        rows[((size_t) i * t + j) * c + k] =
            seq->data[((size_t) i * c + k) * t + j];
}
