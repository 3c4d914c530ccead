/* libgancore — layers with forward, backward (and JVP where linear).
 * See gc_base.h for the calling conventions. Every kernel uses
 * gc_current_threads () workers.
 * The passes that return int give 0, or -1 with gc_last_error () naming
 * the file and line of the failed check ("gc_conv1d.c:LINE: conv1d: input
 * 1x2x1x9, expected 3 channels and h 1") when the tensors do not fit the
 * layer or memory runs out; the outputs are then left as they were. */
#ifndef GC_LAYERS_H
#define GC_LAYERS_H

#include "gc_export.h"
#include "gc_base.h"

GC_BEGIN_DECLS

/* ---- GEMM (row-major): C = alpha * op(A) op(B) + beta * C ---------------
 * Split across the pool; OpenBLAS itself runs single-threaded. */
void gc_sgemm (int trans_a, int trans_b, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta, float *C,
    int ldc);
/* Plain triple loop, the reference the tests compare against. */
void gc_sgemm_ref (int trans_a, int trans_b, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta, float *C,
    int ldc);

/* ---- dense: x (N, in) -> y (N, out); weight [out][in], bias [out] ------- */
typedef struct gc_dense {
  int in, out;
  gc_param weight, bias;
} gc_dense;

int gc_dense_init (gc_dense *l, const char *name, int in, int out, gc_rng *r);
void gc_dense_free (gc_dense *l);
void gc_dense_params (gc_dense *l, gc_param_list *pl);
int gc_dense_forward (gc_dense *l, const gc_tensor *x, gc_tensor *y);
int gc_dense_backward (gc_dense *l, const gc_tensor *x, const gc_tensor *dy,
    gc_tensor *dx);
/* Tangent: dy = W dx (no bias). */
int gc_dense_jvp (gc_dense *l, const gc_tensor *dx, gc_tensor *dy);

/* ---- conv1d: x (N, Cin, 1, T) -> y (N, Cout, 1, T') ---------------------
 * weight [Cout][Cin/groups][K], bias [Cout].
 * causal=1: left padding (K-1)*dilation, T' = T (stride 1 only).
 * causal=0: symmetric padding pad, T' = (T + 2 pad - dil (K-1) - 1)/stride + 1. */
typedef struct gc_conv1d {
  int cin, cout, k, stride, dilation, pad, groups, causal;
  gc_param weight, bias;
} gc_conv1d;

int gc_conv1d_init (gc_conv1d *l, const char *name, int cin, int cout, int k,
    int stride, int dilation, int pad, int groups, int causal, gc_rng *r);
void gc_conv1d_free (gc_conv1d *l);
void gc_conv1d_params (gc_conv1d *l, gc_param_list *pl);
int gc_conv1d_forward (gc_conv1d *l, const gc_tensor *x, gc_tensor *y);
int gc_conv1d_backward (gc_conv1d *l, const gc_tensor *x, const gc_tensor *dy,
    gc_tensor *dx);
/* Tangent: dy = conv(dx) without bias (exact WGAN-GP/R1 for 1-D critics). */
int gc_conv1d_jvp (gc_conv1d *l, const gc_tensor *dx, gc_tensor *dy);

/* Streaming (causal layers only): feed frames one (or a few) at a time with
 * the same result as the whole signal. State keeps (K-1)*dilation columns
 * per channel per batch item. */
typedef struct gc_conv1d_state {
  int n, cin, len;          /* len = (K-1)*dilation */
  float *hist;              /* [n][cin][len] */
  float *scratch;           /* kept between calls: after the first call of
                             * a size, streaming allocates nothing */
  size_t scratch_cap;       /* floats */
} gc_conv1d_state;
int gc_conv1d_state_init (gc_conv1d_state *s, const gc_conv1d *l, int n);
void gc_conv1d_state_reset (gc_conv1d_state *s);
void gc_conv1d_state_free (gc_conv1d_state *s);
/* x (N, Cin, 1, t) with any t >= 1 -> y (N, Cout, 1, t). */
int gc_conv1d_stream (gc_conv1d *l, gc_conv1d_state *s, const gc_tensor *x,
    gc_tensor *y);

/* ---- conv2d: x (N, Cin, H, W) -> y (N, Cout, H', W') --------------------
 * weight [Cout][Cin/groups][KH][KW], bias [Cout] (bias may be disabled).
 * Im2col + GEMM or a direct kernel, whichever is faster for the shape. */
typedef struct gc_conv2d {
  int cin, cout, kh, kw, stride, pad, dilation, groups, has_bias;
  gc_param weight, bias;
} gc_conv2d;

int gc_conv2d_init (gc_conv2d *l, const char *name, int cin, int cout, int k,
    int stride, int pad, int dilation, int groups, int has_bias, gc_rng *r);
void gc_conv2d_free (gc_conv2d *l);
void gc_conv2d_params (gc_conv2d *l, gc_param_list *pl);
void gc_conv2d_out_size (const gc_conv2d *l, int h, int w, int *oh, int *ow);
int gc_conv2d_forward (gc_conv2d *l, const gc_tensor *x, gc_tensor *y);
int gc_conv2d_backward (gc_conv2d *l, const gc_tensor *x, const gc_tensor *dy,
    gc_tensor *dx);
int gc_conv2d_jvp (gc_conv2d *l, const gc_tensor *dx, gc_tensor *dy);
/* Naive reference (tests). */
int gc_conv2d_forward_ref (gc_conv2d *l, const gc_tensor *x, gc_tensor *y);
/* Fold an inference batch norm (gamma, beta, mean, var, eps) into the conv. */
struct gc_batchnorm;
int gc_conv2d_fold_bn (gc_conv2d *l, const struct gc_batchnorm *bn);

/* ---- transposed conv2d: weight [Cin][Cout/groups][KH][KW] ---------------
 * H' = (H - 1) stride - 2 pad + dil (K - 1) + output_pad + 1 */
typedef struct gc_deconv2d {
  int cin, cout, kh, kw, stride, pad, output_pad, dilation, groups, has_bias;
  gc_param weight, bias;
} gc_deconv2d;

int gc_deconv2d_init (gc_deconv2d *l, const char *name, int cin, int cout,
    int k, int stride, int pad, int output_pad, int groups, int has_bias,
    gc_rng *r);
void gc_deconv2d_free (gc_deconv2d *l);
void gc_deconv2d_params (gc_deconv2d *l, gc_param_list *pl);
int gc_deconv2d_forward (gc_deconv2d *l, const gc_tensor *x, gc_tensor *y);
int gc_deconv2d_backward (gc_deconv2d *l, const gc_tensor *x,
    const gc_tensor *dy, gc_tensor *dx);
int gc_deconv2d_forward_ref (gc_deconv2d *l, const gc_tensor *x, gc_tensor *y);

/* ---- resampling (no parameters) ----------------------------------------
 * 0 on success; -1 with gc_last_error () set on a bad shape or an
 * allocation failure, leaving the output alone. */
/* (N, C r^2, H, W) -> (N, C, H r, W r), PyTorch channel order. */
int gc_pixel_shuffle_forward (int r, const gc_tensor *x, gc_tensor *y);
int gc_pixel_shuffle_backward (int r, const gc_tensor *dy, gc_tensor *dx);
int gc_pixel_unshuffle_forward (int r, const gc_tensor *x, gc_tensor *y);
int gc_pixel_unshuffle_backward (int r, const gc_tensor *dy, gc_tensor *dx);
int gc_upsample_nearest_forward (int r, const gc_tensor *x, gc_tensor *y);
int gc_upsample_nearest_backward (int r, const gc_tensor *dy, gc_tensor *dx);
/* Bilinear, align_corners = false (half-pixel centres), integer factor r. */
int gc_upsample_bilinear_forward (int r, const gc_tensor *x, gc_tensor *y);
int gc_upsample_bilinear_backward (int r, const gc_tensor *dy, gc_tensor *dx);
/* 2x2 average pooling with stride 2 (odd sizes: last row/col dropped). */
int gc_avgpool2_forward (const gc_tensor *x, gc_tensor *y);
int gc_avgpool2_backward (const gc_tensor *x, const gc_tensor *dy,
    gc_tensor *dx);

/* ---- activations (elementwise; y may alias x in forward) ---------------- */
typedef enum {
  GC_ACT_NONE, GC_ACT_RELU, GC_ACT_LEAKY_RELU, GC_ACT_TANH, GC_ACT_SIGMOID
} gc_act_type;

int gc_act_forward (gc_act_type t, float slope, const gc_tensor *x,
    gc_tensor *y);
/* dx = dy * f'(.) computed from x or y as the function needs. dx may alias dy. */
int gc_act_backward (gc_act_type t, float slope, const gc_tensor *x,
    const gc_tensor *y, const gc_tensor *dy, gc_tensor *dx);
/* Tangent for piecewise linear ones (RELU, LEAKY_RELU, NONE): same as backward. */
int gc_act_jvp (gc_act_type t, float slope, const gc_tensor *x,
    const gc_tensor *dx, gc_tensor *dy);

/* PReLU: one learnable slope per channel. */
typedef struct gc_prelu {
  int channels;
  gc_param slope;
} gc_prelu;
int gc_prelu_init (gc_prelu *l, const char *name, int channels, float init);
void gc_prelu_free (gc_prelu *l);
void gc_prelu_params (gc_prelu *l, gc_param_list *pl);
int gc_prelu_forward (gc_prelu *l, const gc_tensor *x, gc_tensor *y);
int gc_prelu_backward (gc_prelu *l, const gc_tensor *x, const gc_tensor *dy,
    gc_tensor *dx);

/* ---- normalisation ------------------------------------------------------ */
typedef struct gc_batchnorm {
  int channels;
  float eps, momentum;
  int training;             /* 1: batch statistics, update running ones */
  gc_param gamma, beta;
  gc_param running_mean, running_var;   /* trainable = 0 */
  float *save_mean, *save_invstd;       /* last training batch, for backward */
} gc_batchnorm;
int gc_batchnorm_init (gc_batchnorm *l, const char *name, int channels);
void gc_batchnorm_free (gc_batchnorm *l);
void gc_batchnorm_params (gc_batchnorm *l, gc_param_list *pl);
int gc_batchnorm_forward (gc_batchnorm *l, const gc_tensor *x, gc_tensor *y);
int gc_batchnorm_backward (gc_batchnorm *l, const gc_tensor *x,
    const gc_tensor *dy, gc_tensor *dx);

/* Instance norm over H*W per (n, c). Conditional instance norm: gamma and
 * beta chosen per item by a class index (one row per class); `mix` lets the
 * caller blend class rows (style interpolation): pass NULL for one-hot. */
typedef struct gc_instnorm {
  int channels, classes;    /* classes = 1: plain affine instance norm */
  float eps;
  gc_param gamma, beta;     /* [classes][channels] */
  float *save_mean, *save_invstd;   /* [N][C] of the last forward */
  int save_cap;
} gc_instnorm;
int gc_instnorm_init (gc_instnorm *l, const char *name, int channels,
    int classes);
void gc_instnorm_free (gc_instnorm *l);
void gc_instnorm_params (gc_instnorm *l, gc_param_list *pl);
/* cls: N class indices (NULL: class 0 for all). An index out of range is
 * reported in gc_last_error () and class 0 used instead. */
int gc_instnorm_forward (gc_instnorm *l, const gc_tensor *x, const int *cls,
    gc_tensor *y);
int gc_instnorm_backward (gc_instnorm *l, const gc_tensor *x, const int *cls,
    const gc_tensor *dy, gc_tensor *dx);

/* ---- GRU (PyTorch gate layout r, z, n) -----------------------------------
 * w_ih [3H][in], w_hh [3H][H], b_ih [3H], b_hh [3H].
 * Sequence input x (N, in, 1, T), output y (N, H, 1, T). */
typedef struct gc_gru {
  int in, hidden;
  gc_param w_ih, w_hh, b_ih, b_hh;
} gc_gru;

typedef struct gc_gru_cache {   /* what BPTT needs, owned by the caller */
  int n, t;
  float *gates;             /* [T][N][3H]: r, z, n after nonlinearity */
  float *hh_n;              /* [T][N][H]: W_hn h + b_hn (inside r *) */
  float *h;                 /* [T+1][N][H]: h_0 .. h_T */
  size_t cap;
} gc_gru_cache;

int gc_gru_init (gc_gru *l, const char *name, int in, int hidden, gc_rng *r);
void gc_gru_free (gc_gru *l);
void gc_gru_params (gc_gru *l, gc_param_list *pl);
/* h0: (N, H) initial state or NULL for zeros. */
int gc_gru_forward (gc_gru *l, const gc_tensor *x, const float *h0,
    gc_tensor *y, gc_gru_cache *cache);
/* Backpropagation through time; dx may be NULL. */
int gc_gru_backward (gc_gru *l, const gc_tensor *x, const gc_gru_cache *cache,
    const gc_tensor *dy, gc_tensor *dx);
void gc_gru_cache_free (gc_gru_cache *c);
/* One streaming step for one item: x[in], h[hidden] updated in place.
 * scratch: at least 6*hidden floats. */
void gc_gru_step (const gc_gru *l, const float *x, float *h, float *scratch);

/* ---- elementwise helpers ------------------------------------------------ */
int gc_add (const gc_tensor *a, const gc_tensor *b, gc_tensor *y);  /* y=a+b */
int gc_axpy (float alpha, const gc_tensor *x, gc_tensor *y);        /* y+=ax */
int gc_scale (gc_tensor *x, float s);
/* Concatenate along channels: y = [a; b] (same n, h, w). */
int gc_concat_forward (const gc_tensor *a, const gc_tensor *b, gc_tensor *y);
int gc_concat_backward (const gc_tensor *dy, gc_tensor *da, gc_tensor *db);

/* ---- spectral normalisation (Miyato et al.) -----------------------------
 * Keeps u and v for power iteration. The layer's own weight param is
 * normalised in place around each forward/backward:
 *   gc_specnorm_apply (sn, weight, 1)  saves W in sn->w_orig and replaces
 *                                      weight->w by W/sigma,
 *   the layer's forward and backward run as usual,
 *   gc_specnorm_restore (sn, weight)   turns the gradient they added into
 *                                      dL/dW and puts W back.
 * Several apply/restore rounds may share one step (update_u = 0 after the
 * first keeps sigma the same for all of them). */
typedef struct gc_specnorm {
  int rows, cols;           /* weight viewed as rows = shape[0], cols = rest */
  float sigma;
  float *u, *v;             /* [rows], [cols] */
  float *w_orig;            /* the raw weight values (owned) */
  float *g_sn;              /* the gradient accumulated before apply, added
                             * back by restore */
  int power_iters;
} gc_specnorm;
int gc_specnorm_init (gc_specnorm *sn, const gc_param *weight, gc_rng *r);
void gc_specnorm_free (gc_specnorm *sn);
/* Run power iteration (training) and replace weight->w by W/sigma, saving
 * the raw values in sn->w_orig. */
void gc_specnorm_apply (gc_specnorm *sn, gc_param *weight, int update_u);
/* After backward: turn weight->g (w.r.t. W/sigma) into the gradient w.r.t.
 * the raw W, and restore weight->w to the raw values. */
void gc_specnorm_restore (gc_specnorm *sn, gc_param *weight);

GC_END_DECLS
#endif
