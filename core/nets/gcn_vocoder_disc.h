/* gcn_vocoder_disc — discriminators for the GAN vocoder (HiFi-GAN / UnivNet
 * style), kept small so training fits a shared CPU.
 *
 *  - Multi-period (MPD): for each period p the waveform is folded into
 *    [T/p, p] and convolved with k x 1 kernels (strided along T/p). A k x 1
 *    conv2d over [T/p, p] is the same operation as a conv1d along T/p run
 *    on every one of the p columns with shared weights, so each column is
 *    one batch item of a strided gc_conv1d.
 *  - Multi-resolution (MRD): conv2d on log-compressed STFT magnitudes
 *    (frames x bins) at three resolutions.
 *
 * Every layer's activation is a feature-matching output. Gradients reach the
 * waveform through the folding (MPD) and gc_stft_mag_backward (MRD).
 */
#ifndef GCN_VOCODER_DISC_H
#define GCN_VOCODER_DISC_H

#include "gc_export.h"
#include "gc_core.h"

GC_BEGIN_DECLS

#define GCN_VDISC_MAX_SUB 8
#define GCN_VDISC_LAYERS 5      /* 4 hidden + 1 output */

typedef struct gcn_vdisc_sub {
  int kind;                 /* 0: period, 1: resolution */
  int period;               /* MPD */
  int n_fft, hop;           /* MRD */
  gc_stft *stft;            /* MRD */
  gc_conv1d c1[GCN_VDISC_LAYERS];
  gc_conv2d c2[GCN_VDISC_LAYERS];
} gcn_vdisc_sub;

typedef struct gcn_vocoder_disc {
  int n_sub, channels;
  gcn_vdisc_sub sub[GCN_VDISC_MAX_SUB];
  gc_param_list params;
} gcn_vocoder_disc;

/* channels: width of the first layer (later ones double up to 4x).
 * Periods 2, 3, 5, 7, 11 and resolutions 256/64, 512/128, 1024/256. */
int gcn_vocoder_disc_init (gcn_vocoder_disc *d, int channels, uint64_t seed);
void gcn_vocoder_disc_free (gcn_vocoder_disc *d);

/* Activations of one forward pass (keep one per input: real, fake). */
typedef struct gcn_vdisc_acts {
  int batch, len;
  gc_tensor in[GCN_VDISC_MAX_SUB];
  gc_tensor pre[GCN_VDISC_MAX_SUB][GCN_VDISC_LAYERS];   /* conv outputs */
  gc_tensor act[GCN_VDISC_MAX_SUB][GCN_VDISC_LAYERS];   /* after LeakyReLU */
  float *spec[GCN_VDISC_MAX_SUB];                       /* MRD spectra */
  float *mag[GCN_VDISC_MAX_SUB];
  size_t spec_cap[GCN_VDISC_MAX_SUB];
  gc_tensor d0, d1;         /* scratch */
} gcn_vdisc_acts;

void gcn_vdisc_acts_free (gcn_vdisc_acts *a);

/* x: (batch, len). Returns 0 or -1. Logits of sub s: a->pre[s][last]. */
int gcn_vocoder_disc_forward (gcn_vocoder_disc *d, const float *x, int batch,
    int len, gcn_vdisc_acts *a);
static inline const gc_tensor *
gcn_vdisc_logits (const gcn_vdisc_acts *a, int s)
{
  return &a->pre[s][GCN_VDISC_LAYERS - 1];
}

/* Backward. d_logits[s]: dL/dlogits of sub s (NULL: none). When fm_real is
 * given, adds the feature-matching loss fm_weight * sum over subs and hidden
 * layers of mean |act - act_real| (returned). Accumulates parameter
 * gradients; x and dx (batch, len) may be NULL when no input gradient is
 * wanted (dx is accumulated into, not overwritten). A layer that refuses
 * makes it return -1 (the loss itself is never negative for fm_weight >= 0)
 * with gc_last_error () set. */
float gcn_vocoder_disc_backward (gcn_vocoder_disc *d, gcn_vdisc_acts *a,
    const float *x, float *const *d_logits, const gcn_vdisc_acts *fm_real,
    float fm_weight, float *dx);

/* GAN losses over all subs: the mean of each sub's loss, summed. Fill
 * gradient arrays g_real[s] / g_fake[s] sized like the logits (the caller
 * allocates with gcn_vdisc_grads_alloc). */
float **gcn_vdisc_grads_alloc (const gcn_vocoder_disc *d,
    const gcn_vdisc_acts *a);
void gcn_vdisc_grads_free (const gcn_vocoder_disc *d, float **g);
float gcn_vdisc_d_loss (const gcn_vocoder_disc *d, gc_gan_loss kind,
    const gcn_vdisc_acts *real, const gcn_vdisc_acts *fake, float **g_real,
    float **g_fake);
float gcn_vdisc_g_loss (const gcn_vocoder_disc *d, gc_gan_loss kind,
    const gcn_vdisc_acts *fake, float **g_fake);

GC_END_DECLS
#endif
