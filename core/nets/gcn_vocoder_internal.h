/* gcn_vocoder — what its source files share; not installed. */
#ifndef GCN_VOCODER_INTERNAL_H
#define GCN_VOCODER_INTERNAL_H

#include "gcn_vocoder.h"

/* Shared between the vocoder's files only: kept out of the library's
 * exported symbols. */
#define GCN_VOC_INTERNAL __attribute__ ((visibility ("hidden")))

#define LRELU 0.2f
#define LOGMAG_MIN -15.0f
#define LOGMAG_MAX 8.0f
#define MEL_FLOOR 1e-5f
/* Fixed input normalisation: log-mel of speech at our FFT scale spans
 * roughly -11.5 .. +4; centre and scale it so the first layer starts sane. */
#define FEAT_SHIFT 4.0f
#define FEAT_SCALE 0.25f
/* Hann synthesis after Hann analysis at hop n_fft/4: sum of w^2 = 1.5. */
#define OLA_NORM (1.0f / 1.5f)

/* gcn_vocoder.c: refinement runs for COPY models with iterations set. */
GCN_VOC_INTERNAL int gcn_voc_refine_on (const gcn_vocoder *v);

/* gcn_vocoder_mel.c */
GCN_VOC_INTERNAL void gcn_voc_analyze_frame (gcn_vocoder *v, gc_stft *fft,
    const float *x, int len, int end, float *buf, float *spec);
GCN_VOC_INTERNAL void gcn_voc_spec_to_logmel (const gcn_vocoder *v,
    const float *spec, float *mag, float *logmel);
GCN_VOC_INTERNAL void gcn_voc_logmel_to_base (const gcn_vocoder *v,
    const float *logmel, float *base);

/* gcn_vocoder_synth.c */
GCN_VOC_INTERNAL void gcn_voc_frame_logmag (const gcn_vocoder *v,
    const float *out, int stride, const float *base, float *logmag);
GCN_VOC_INTERNAL void gcn_voc_synth_frame (gcn_vocoder *v, gc_stft *fft,
    const float *out, int stride, const float *logmag, const float *next,
    const float *spec_in, gcn_pghi *pghi, float *phase, float *spec,
    float *frame);

/* gcn_vocoder_forward.c */
GCN_VOC_INTERNAL int gcn_voc_lrelu (const gc_tensor *x, gc_tensor *y);

/* gcn_vocoder_refine.c: phase refinement toward the input mel (RTISI-LA). */
typedef struct {
  const gcn_vocoder *v;
  gc_stft *fft;             /* borrowed */
  int L, iters;
  float alpha;
  float *tot;               /* n_fft + L hop: output, tot[0] is slot 0's
                             * first sample */
  float *c;                 /* [L+1][n_fft] each slot's contribution */
  float *prev;              /* [L+1][2 bins] its last projection */
  float *tgt;               /* [L+1][bins] sum_m W_mk T_m of its target
                             * mel T (linear) */
  unsigned char *live, *has_prev;
  float *buf, *X, *mag, *amag, *den;
  float *den0;              /* [bins]: 1 for bins in no band (kept), else 0 */
} gcn_voc_refiner;

GCN_VOC_INTERNAL gcn_voc_refiner *gcn_voc_refiner_new (const gcn_vocoder *v,
    gc_stft *fft);
GCN_VOC_INTERNAL void gcn_voc_refiner_free (gcn_voc_refiner *r);
GCN_VOC_INTERNAL void gcn_voc_refiner_reset (gcn_voc_refiner *r);
GCN_VOC_INTERNAL void gcn_voc_refiner_push (gcn_voc_refiner *r,
    const float *spec, const float *logmel, float *out_hop);

#endif
