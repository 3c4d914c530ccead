/* libgancore nets — the super-resolution generator of gansuperres.
 *
 * Works on luma only (chroma is upscaled bilinearly by the caller), at the
 * low resolution, so its cost per output pixel falls with the scale:
 *
 *   y = shuffle_r ( tail (prelu (mid_k ... prelu (head (x)))) + skip (x) )
 *
 * head 3x3 1->C, `mid` 3x3 C->C layers, tail 3x3 C->r*r, each followed by
 * a PReLU except the tail; skip is a 5x5 1->r*r convolution initialised to
 * MATLAB's bicubic upscale, so the body only learns the residual detail.
 * The input is padded by mirroring (the way imresize pads), the hidden
 * layers by zeros.
 *
 * Inference (gcn_superres_run) streams the frame row by row through small
 * ring buffers, one band of rows per worker, so it touches little memory
 * and gives exactly the whole-frame result: no tiles, no seams.
 */
#ifndef GCN_SUPERRES_H
#define GCN_SUPERRES_H

#include "gc_export.h"
#include <stdint.h>

#include "gc_base.h"
#include "gc_layers.h"
#include "gc_modelfile.h"

GC_BEGIN_DECLS

#define GCN_SUPERRES_ARCH "superres-luma-v1"
#define GCN_SUPERRES_MAX_MID 16

typedef struct gcn_superres {
  int scale, channels, n_mid;
  gc_conv2d head;           /* 3x3, 1 -> C, no padding (input pre-padded) */
  gc_prelu head_act;
  gc_conv2d mid[GCN_SUPERRES_MAX_MID];  /* 3x3, C -> C, zero padding 1 */
  gc_prelu mid_act[GCN_SUPERRES_MAX_MID];
  gc_conv2d tail;           /* 3x3, C -> r*r, zero padding 1 */
  gc_conv2d skip;           /* 5x5, 1 -> r*r, no padding (input pre-padded) */
  gc_param_list params;
} gcn_superres;

/* scale 2..4, channels 1..64, n_mid 0..GCN_SUPERRES_MAX_MID. The skip starts
 * as bicubic and the tail near zero: the untrained net is bicubic. */
int gcn_superres_init (gcn_superres *n, int scale, int channels, int n_mid,
    gc_rng *r);
void gcn_superres_free (gcn_superres *n);

/* Build the net a model file describes (metadata arch, scale, channels,
 * mid) and load its weights. `want_scale` > 0 rejects a model of another
 * scale. Errors (gc_last_error) name the file. */
int gcn_superres_load (gcn_superres *n, const gc_model_file *m,
    int want_scale);
/* Metadata describing the architecture, for gc_model_save / gt_export:
 * fills kv (at least 9 slots) with NULL-terminated pairs that point into
 * buf (64 bytes). Returns the number of strings written (without NULL). */
int gcn_superres_meta (const gcn_superres *n, const char **kv, char *buf);

/* Multiply-adds per low-resolution pixel (what the speed budget counts). */
long gcn_superres_macs_per_pixel (const gcn_superres *n);

/* ---- training ----------------------------------------------------------- */
typedef struct gcn_superres_acts {
  gc_tensor xp2, xp1;       /* mirrored input, padded by 2 and by 1 */
  gc_tensor z[GCN_SUPERRES_MAX_MID + 1];  /* pre-activations */
  gc_tensor a[GCN_SUPERRES_MAX_MID + 1];  /* activations */
  gc_tensor tail_out, skip_out;
  gc_tensor dsum, da, dz;   /* backward scratch */
} gcn_superres_acts;

void gcn_superres_acts_free (gcn_superres_acts *c);
/* lr (N, 1, h, w) -> hr (N, 1, h r, w r). Both passes return 0, or -1
 * with the layer's error (gc_last_error ()). */
int gcn_superres_forward (gcn_superres *n, const gc_tensor *lr, gc_tensor *hr,
    gcn_superres_acts *c);
/* Accumulates parameter gradients from dL/dhr (uses the cache of the
 * matching forward). */
int gcn_superres_backward (gcn_superres *n, gcn_superres_acts *c,
    const gc_tensor *dhr);

/* ---- inference ---------------------------------------------------------- */
/* One luma plane (w x h floats, Y/255 as in BT.601 video range) to
 * (w r) x (h r) floats, using gc_current_threads () workers. Any w, h >= 1.
 * Returns 0 or -1 (bad arguments, out of memory). */
int gcn_superres_run (gcn_superres *n, const float *src, int w, int h,
    int src_stride, float *dst, int dst_stride);

/* The same on 8-bit planes (a Y plane of a video frame): input v / 255,
 * output round (clamp (255 y)), the conversions fused into the network's
 * first and last passes so no float frame is written. */
int gcn_superres_run_u8 (gcn_superres *n, const uint8_t *src, int w, int h,
    int src_stride, uint8_t *dst, int dst_stride);

/* Mirror padding the way the net pads its input: x (N, 1, h, w) ->
 * y (N, 1, h + 2 p, w + 2 p) with y[-1] = x[0], y[-2] = x[1] (for sizes
 * smaller than p the mirror repeats). */
void gcn_superres_pad_mirror (const gc_tensor *x, int p, gc_tensor *y);

GC_END_DECLS
#endif
