/* libgancore nets — a PatchGAN discriminator with spectral normalisation.
 *
 * depth x [conv 4x4 stride 2 (pad 1) + LeakyReLU 0.2], widths
 * width, 2 width, 4 width, 8 width (capped), then a 3x3 conv to one logit
 * per patch. Every weight is spectrally normalised (gc_specnorm), no other
 * normalisation, so it works with batches of one and any loss in
 * gc_train.h. Generic on purpose: any number of input channels (concatenate
 * a condition yourself), any size whose sides are multiples of 2^depth
 * (other sizes work, the last row/column is dropped by the stride). A
 * multi-scale critic is several of these on gc_avgpool2 copies.
 *
 * One training step:
 *   gcn_patchgan_sn_begin (d, 1);            -- W / sigma, power iteration
 *   forward/backward on real and on fake (each with its own cache)
 *   gcn_patchgan_sn_end (d);                 -- gradients back to raw W
 * and for the generator's step sn_begin (d, 0), forward, backward with dx,
 * sn_end, then discard the discriminator's gradients. */
#ifndef GCN_PATCHGAN_H
#define GCN_PATCHGAN_H

#include "gc_export.h"
#include "gc_base.h"
#include "gc_layers.h"

GC_BEGIN_DECLS

#define GCN_PATCHGAN_MAX_DEPTH 6

typedef struct gcn_patchgan {
  int in_ch, width, depth;
  float slope;              /* LeakyReLU slope, 0.2 */
  gc_conv2d conv[GCN_PATCHGAN_MAX_DEPTH + 1];   /* last: 3x3 -> 1 logit */
  gc_specnorm sn[GCN_PATCHGAN_MAX_DEPTH + 1];
  int sn_active;
  gc_param_list params;
} gcn_patchgan;

typedef struct gcn_patchgan_acts {
  gc_tensor z[GCN_PATCHGAN_MAX_DEPTH];  /* conv outputs */
  gc_tensor a[GCN_PATCHGAN_MAX_DEPTH];  /* after LeakyReLU */
  gc_tensor d0, d1;         /* backward scratch */
} gcn_patchgan_acts;

/* in_ch >= 1, width 1..256, depth 1..GCN_PATCHGAN_MAX_DEPTH. */
int gcn_patchgan_init (gcn_patchgan *d, int in_ch, int width, int depth,
    gc_rng *r);
void gcn_patchgan_free (gcn_patchgan *d);
void gcn_patchgan_acts_free (gcn_patchgan_acts *c);

void gcn_patchgan_sn_begin (gcn_patchgan *d, int update_u);
void gcn_patchgan_sn_end (gcn_patchgan *d);

/* x (N, in_ch, H, W) -> logits (N, 1, H / 2^depth, W / 2^depth).
 * Both passes return 0, or -1 with the layer's error (gc_last_error ()). */
int gcn_patchgan_forward (gcn_patchgan *d, const gc_tensor *x,
    gc_tensor *logits, gcn_patchgan_acts *c);
/* Accumulates parameter gradients; writes dL/dx into dx unless NULL. */
int gcn_patchgan_backward (gcn_patchgan *d, const gc_tensor *x,
    gcn_patchgan_acts *c, const gc_tensor *logits, const gc_tensor *dlogits,
    gc_tensor *dx);

GC_END_DECLS
#endif
