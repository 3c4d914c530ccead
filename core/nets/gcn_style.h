/* gcn_style — one conditional generator for many painting styles.
 *
 * The style is the condition: every instance norm is a conditional one
 * (one gamma/beta row per style), so all styles share the convolutions
 * and a style costs 2 x channels floats per norm. Blending two styles is
 * blending their rows.
 *
 * Built for real time on a CPU: the frame is brought to 1/4 resolution by
 * two stride-2 convolutions and a few residual blocks run there. Head 1
 * (the default) brings it back without a grid and builds the output on an
 * exact colour transfer:
 *
 *   x (3, H, W) in [0, 1]
 *   enc1: conv3x3 s2 3->c1, CIN, ReLU            (H/2)
 *   enc2: conv3x3 s2 c1->c2, CIN, ReLU           (H/4)
 *   res_i: x + CIN(conv(ReLU(CIN(conv(x)))))     (H/4), odd i dilated by 2
 *   up:   conv3x3 c2->c1, bilinear x2, CIN, ReLU (H/2)
 *   out:  conv3x3 c1->3, bilinear x2              (H)
 *   y = clamp (ct_s (x) + out, 0, 1)
 *
 * ct_s is the per-channel CIELAB mean/std transfer of the frame to style
 * s's painting (gcn_style_colour.h; the painting's statistics are in the
 * model's metadata), so the palette is right from the first training step
 * and the network adds texture. Bilinear upsampling has no response at the
 * new Nyquist frequency and no phase of the 2x grid is special, so the
 * period-2 and period-4 patterns of a pixel-shuffle upsampler cannot form.
 *
 * Head 0 (older models: metadata head absent or 0) is the pixel-shuffle
 * head: up is conv1x1 c2->4 c1 with a pixel shuffle, out conv3x3 c1->12
 * with a pixel shuffle, y = sigmoid (out + g_s (x - 0.5)).
 *
 * About 1 GFLOP (0.48 GMAC for head 1, 0.53 for head 0) per 640x360 frame
 * (with the inference margin) with c1 = 16, c2 = 24 and 2 blocks.
 * H and W must be multiples of 4 for the training passes; the inference
 * call pads any size by edge replication and crops back.
 */
#ifndef GCN_STYLE_H
#define GCN_STYLE_H

#include "gc_export.h"
#include "gc_core.h"
#include "gcn_style_colour.h"

GC_BEGIN_DECLS

#define GCN_STYLE_ARCH "style-cin"
#define GCN_STYLE_MAX_BLOCKS 8
#define GCN_STYLE_MAX_STYLES 64
#define GCN_STYLE_MULTIPLE 4      /* frame sizes are padded to this */
/* Inference pads every side by this many replicated pixels (a multiple of
 * GCN_STYLE_MULTIPLE, so the stride-2 phase is kept) and crops them off:
 * the stride-2 encoder sees zero padding only on the left and top, and the
 * dilated blocks of head 1 carry that border about 12 pixels into the
 * picture at full resolution, which with 16 left a bright, then dark seam
 * down the left edge (and a milder one along the top and bottom); 32 keeps
 * every edge column and row within one level of the inner picture. */
#define GCN_STYLE_MARGIN 32
/* Colour statistics are taken over every GCN_STYLE_STATS_STEP-th pixel of
 * the (padded) network input, in training and inference alike, and of the
 * output for the palette lock. */
#define GCN_STYLE_STATS_STEP 2

typedef struct gcn_style_config {
  int styles;               /* number of conditions (paintings) */
  int ch1, ch2;             /* channels at 1/2 and 1/4 resolution */
  int blocks;               /* residual blocks at 1/4 resolution */
  int skip;                 /* head 0 only: input skip through the sigmoid */
  int head;                 /* 0: pixel-shuffle head (older models);
                             * 1: resize head on a colour transfer */
} gcn_style_config;

/* Defaults: styles 8, ch1 16, ch2 24, blocks 2, skip 0, head 1. */
void gcn_style_config_default (gcn_style_config *cfg);

typedef struct gcn_style {
  gcn_style_config cfg;
  gc_conv2d enc1, enc2;
  gc_instnorm n_enc1, n_enc2;
  gc_conv2d res_a[GCN_STYLE_MAX_BLOCKS], res_b[GCN_STYLE_MAX_BLOCKS];
  gc_instnorm n_res_a[GCN_STYLE_MAX_BLOCKS], n_res_b[GCN_STYLE_MAX_BLOCKS];
  gc_conv2d up;
  gc_instnorm n_up;
  gc_conv2d out;
  gc_param skip_gain;       /* [styles], when cfg.skip */
  gc_param_list params;
  char *names[GCN_STYLE_MAX_STYLES];    /* style names (may be NULL) */
  /* head 1: each painting's CIELAB statistics (the colour-transfer target);
   * kept in the model's metadata, not trained */
  float lab[GCN_STYLE_MAX_STYLES][GCN_LAB_STATS];
} gcn_style;

/* Build with random weights (seeded by r, or zeros when r is NULL).
 * Returns 0 or -1 (gc_last_error). */
int gcn_style_init (gcn_style *net, const gcn_style_config *cfg, gc_rng *r);
void gcn_style_free (gcn_style *net);

/* Set style i's name (copied). */
int gcn_style_set_name (gcn_style *net, int i, const char *name);
/* Set style i's colour-transfer target (head 1): mean L, a, b, then the
 * standard deviations, as gcn_lab_stats gives them for the painting. */
int gcn_style_set_lab (gcn_style *net, int i, const float st[GCN_LAB_STATS]);
/* Index of a style by name, -1 when unknown. */
int gcn_style_find (const gcn_style *net, const char *name);
/* Comma-separated list of the names, malloc'ed ("style0,style1,..." for
 * unnamed ones). */
char *gcn_style_names_joined (const gcn_style *net);

/* Load from a parsed model file: checks the arch, reads the config and the
 * style names from the metadata and binds every tensor. Messages name the
 * file (gc_last_error). */
int gcn_style_load (gcn_style *net, const gc_model_file *m);
/* Load a model file by path (gc_model_load + gcn_style_load). */
int gcn_style_load_path (gcn_style *net, const char *path);
/* The metadata keys describing the architecture, as a NULL-terminated kv
 * list for gc_model_save / gt_export; strings live in *storage (free with
 * gcn_style_meta_free). */
const char **gcn_style_meta (const gcn_style *net, char **storage);
void gcn_style_meta_free (const char **kv, char *storage);

/* Multiply-adds of one forward pass on a w x h frame (after padding). */
double gcn_style_macs (const gcn_style_config *cfg, int w, int h);

/* ---- training passes ------------------------------------------------------
 * Activations of one forward pass, kept for its backward. A backward must
 * follow its own forward before the next forward on the same net (the
 * instance norms keep the statistics of their last forward): to run the
 * generator on two inputs at once (a frame and a shifted copy), put both
 * in one batch. */
typedef struct gcn_style_acts {
  gc_tensor x;                      /* input copy */
  gc_tensor e1, e1n, e2, e2n;       /* conv outputs and norm+relu outputs */
  gc_tensor ra[GCN_STYLE_MAX_BLOCKS], ran[GCN_STYLE_MAX_BLOCKS];
  gc_tensor rb[GCN_STYLE_MAX_BLOCKS], rbn[GCN_STYLE_MAX_BLOCKS];
  gc_tensor h[GCN_STYLE_MAX_BLOCKS + 1];   /* block inputs, h[blocks] last */
  gc_tensor u, us, usn;             /* up conv, shuffled, norm+relu */
  gc_tensor o, os, y;               /* out conv, upsampled, output */
  gc_tensor ct;                     /* head 1: colour-transferred input */
  int *cls;
  int cls_cap;
  /* backward scratch */
  gc_tensor g0, g1, g2, gh;
} gcn_style_acts;

void gcn_style_acts_free (gcn_style_acts *a);

/* x (N, 3, H, W) in [0, 1], H and W multiples of 4; cls: N style indices.
 * y points into acts (valid until the next forward). Returns 0 or -1. */
int gcn_style_forward (gcn_style *net, const gc_tensor *x, const int *cls,
    gcn_style_acts *acts, const gc_tensor **y);
/* dy (N, 3, H, W) = dL/dy: accumulates parameter gradients; writes dL/dx
 * into dx unless dx is NULL (head 0 only: the colour transfer of head 1 has
 * no input derivative here, so a head 1 net refuses a dx). */
int gcn_style_backward (gcn_style *net, gcn_style_acts *acts,
    const gc_tensor *dy, gc_tensor *dx);

/* ---- inference --------------------------------------------------------------
 * One frame, planar RGB float [3][h][w] in [0, 1], any w, h >= 1.
 * `mix` holds one weight per style (the condition: a one-hot row picks a
 * style, two non-zero weights blend two); weights are used as given.
 * out: [3][h][w] (may not alias rgb). Uses gc_current_threads () workers.
 * Head 1 ends with the palette lock: the output (the training forward's,
 * cropped) is given the blended styles' CIELAB mean and spread once more
 * with gcn_lab_match (GCN_STYLE_STATS_STEP).
 * The workspace keeps buffers between frames; free with
 * gcn_style_work_free. Returns 0 or -1. */
typedef struct gcn_style_work {
  gc_tensor x, a, b, c, t;
  float lab_from[GCN_LAB_STATS], lab_to[GCN_LAB_STATS];
  float *gamma, *beta;      /* blended rows */
  int rows_cap;
} gcn_style_work;

int gcn_style_infer (gcn_style *net, const float *rgb, int w, int h,
    const float *mix, float *out, gcn_style_work *ws);
void gcn_style_work_free (gcn_style_work *ws);

GC_END_DECLS
#endif
