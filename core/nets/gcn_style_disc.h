/* gcn_style_disc — style-conditioned multi-scale PatchGAN critic.
 *
 * One small PatchGAN per scale (the input, then 2x2-average-pooled copies),
 * every convolution spectrally normalised. Conditioning by per-style output
 * channels: the head predicts one real/fake map per style and an item is
 * judged only on the map of its own style, so one critic learns every
 * painting without the styles competing for one output.
 *
 *   per scale: conv3x3 s2 3->ch, lrelu; conv3x3 s2 ch->2ch, lrelu;
 *              conv3x3 2ch->2ch, lrelu; conv3x3 2ch->styles (pick cls)
 */
#ifndef GCN_STYLE_DISC_H
#define GCN_STYLE_DISC_H

#include "gc_export.h"
#include "gc_core.h"

GC_BEGIN_DECLS

#define GCN_STYLE_DISC_MAX_SCALES 4
#define GCN_STYLE_DISC_LAYERS 4

typedef struct gcn_style_disc_config {
  int styles;
  int scales;               /* 1..GCN_STYLE_DISC_MAX_SCALES */
  int ch;                   /* first layer width */
  float slope;              /* leaky ReLU slope */
} gcn_style_disc_config;

/* styles 8, scales 3, ch 32, slope 0.2 */
void gcn_style_disc_config_default (gcn_style_disc_config *cfg);

typedef struct gcn_style_disc {
  gcn_style_disc_config cfg;
  gc_conv2d conv[GCN_STYLE_DISC_MAX_SCALES][GCN_STYLE_DISC_LAYERS];
  gc_specnorm sn[GCN_STYLE_DISC_MAX_SCALES][GCN_STYLE_DISC_LAYERS];
  gc_param_list params;
} gcn_style_disc;

int gcn_style_disc_init (gcn_style_disc *d, const gcn_style_disc_config *cfg,
    gc_rng *r);
void gcn_style_disc_free (gcn_style_disc *d);

/* Spectral norm around a group of passes: sn_begin replaces the weights by
 * W / sigma (power iteration when update_u), sn_end converts the gradients
 * accumulated meanwhile to the raw weights and restores them. Call the
 * optimiser only after sn_end. */
void gcn_style_disc_sn_begin (gcn_style_disc *d, int update_u);
void gcn_style_disc_sn_end (gcn_style_disc *d);

/* Activations of one pass (layers keep none, so real and fake each use
 * their own). out[s] is (N, 1, h_s, w_s): the logits of each item's style. */
typedef struct gcn_style_disc_acts {
  gc_tensor in[GCN_STYLE_DISC_MAX_SCALES];
  gc_tensor z[GCN_STYLE_DISC_MAX_SCALES][GCN_STYLE_DISC_LAYERS];  /* conv out */
  gc_tensor a[GCN_STYLE_DISC_MAX_SCALES][GCN_STYLE_DISC_LAYERS];  /* activated */
  gc_tensor out[GCN_STYLE_DISC_MAX_SCALES];
  gc_tensor g0, g1, gp, gs[GCN_STYLE_DISC_MAX_SCALES];   /* backward scratch */
  int *cls;
  int cls_cap;
} gcn_style_disc_acts;

void gcn_style_disc_acts_free (gcn_style_disc_acts *a);

/* x (N, 3, H, W) in [0, 1], H, W >= 8 << scales; cls: N style indices. */
int gcn_style_disc_forward (gcn_style_disc *d, const gc_tensor *x,
    const int *cls, gcn_style_disc_acts *a);
/* dout[s] like out[s]; accumulates parameter gradients and, unless dx is
 * NULL, writes dL/dx (N, 3, H, W). */
int gcn_style_disc_backward (gcn_style_disc *d, gcn_style_disc_acts *a,
    gc_tensor *const *dout, gc_tensor *dx);

GC_END_DECLS
#endif
