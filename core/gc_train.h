/* libgancore — losses, GAN objectives and optimisation.
 * Every loss returns its mean value and writes dL/d(input) into grad
 * (grad may be NULL when only the value is needed). */
#ifndef GC_TRAIN_H
#define GC_TRAIN_H

#include "gc_export.h"
#include "gc_base.h"

GC_BEGIN_DECLS

/* ---- reconstruction losses (mean over all elements) -------------------- */
float gc_loss_l1 (const float *pred, const float *target, size_t n,
    float *grad);
float gc_loss_l2 (const float *pred, const float *target, size_t n,
    float *grad);

/* Multi-resolution STFT loss (spectral convergence + log magnitude L1),
 * averaged over resolutions, batch of `batch` signals of length len each. */
typedef struct gc_mrstft gc_mrstft;
gc_mrstft *gc_mrstft_new (int n_res, const int *fft_sizes, const int *hops,
    const int *win_lengths);
void gc_mrstft_free (gc_mrstft *m);
float gc_mrstft_loss (gc_mrstft *m, const float *pred, const float *target,
    int batch, int len, float *grad);

/* ---- GAN objectives on critic outputs (logits / scores) -----------------
 * Discriminator losses take scores on real and fake; generator losses take
 * scores on fake. All means over the given counts. */
typedef enum {
  GC_GAN_NS,        /* non-saturating BCE with logits */
  GC_GAN_LSGAN,     /* least squares: (D(x)-1)^2 + D(G)^2 ; G: (D(G)-1)^2 */
  GC_GAN_HINGE,     /* relu(1-D(x)) + relu(1+D(G)) ; G: -D(G) */
  GC_GAN_WGAN       /* D(G) - D(x) ; G: -D(G) (add a gradient penalty) */
} gc_gan_loss;

float gc_gan_d_loss (gc_gan_loss t, const float *d_real, int n_real,
    const float *d_fake, int n_fake, float *g_real, float *g_fake);
float gc_gan_g_loss (gc_gan_loss t, const float *d_fake, int n, float *g_fake);
/* Parse "ns", "lsgan", "hinge", "wgan"; -1 if unknown. */
int gc_gan_loss_from_name (const char *name);

/* Gradient penalty coefficient helper. Given per-sample input gradients
 * g_i = dD/dx at x_i (rows of length dim), returns
 *   mean_i (||g_i|| - target)^2       (WGAN-GP: target 1)
 * and writes into coef_u the vector  u_i = dPenalty/dg_i  (per sample, same
 * layout as g), i.e. 2 (||g_i|| - target) g_i / ||g_i|| / n.
 * The parameter gradient of the penalty is then the gradient w.r.t. the
 * critic parameters of  sum_i <u_i, dD/dx(x_i)>, which the caller obtains
 * exactly by a forward-mode pass (JVP along u) through the critic followed by
 * an ordinary backward of that tangent output (see gc_layers.h *_jvp).
 * target = 0 with squared norm gives R1: use gc_r1_coef. */
float gc_gp_coef (const float *g, int n, int dim, float target, float *coef_u);
/* R1 = gamma/2 * mean ||g_i||^2 ; coef_u = gamma * g_i / n. */
float gc_r1_coef (const float *g, int n, int dim, float gamma, float *coef_u);

/* ---- optimisation ------------------------------------------------------- */
typedef struct gc_adam {
  float lr, beta1, beta2, eps, weight_decay;   /* decoupled (AdamW) */
  long step;
  gc_param_list *params;    /* not owned */
  float **m, **v;           /* per param moments */
} gc_adam;

/* GAN defaults: lr 2e-4, betas (0.5, 0.999), eps 1e-8, wd 0. */
int gc_adam_init (gc_adam *o, gc_param_list *params, float lr, float beta1,
    float beta2, float weight_decay);
void gc_adam_free (gc_adam *o);
/* One update with the accumulated gradients (then zeroes them). */
void gc_adam_step (gc_adam *o);
/* Save/restore moments and step into/from a param list (for checkpoints):
 * adds params named "<prefix>.m.<name>" / ".v." ... owned by *store. */
int gc_adam_state_export (gc_adam *o, const char *prefix, gc_param_list *out,
    gc_param **owned, int *n_owned);
int gc_adam_state_import (gc_adam *o, const char *prefix,
    const gc_param_list *in);

/* Global-norm gradient clipping; returns the norm before clipping. */
float gc_clip_grad_norm (gc_param_list *params, float max_norm);

/* Learning-rate schedules: lr at step s. */
typedef enum { GC_LR_CONST, GC_LR_COSINE, GC_LR_STEP, GC_LR_WARMUP_COSINE }
    gc_lr_kind;
typedef struct gc_lr_schedule {
  gc_lr_kind kind;
  float base, min;
  long total, warmup, step_every;
  float gamma;
} gc_lr_schedule;
float gc_lr_at (const gc_lr_schedule *s, long step);

/* Exponential moving average of weights (generator EMA). */
typedef struct gc_ema {
  float decay;
  gc_param_list *params;    /* not owned */
  float **shadow;
} gc_ema;
int gc_ema_init (gc_ema *e, gc_param_list *params, float decay);
void gc_ema_update (gc_ema *e);
/* Swap shadow and live weights (call twice to swap back). */
void gc_ema_swap (gc_ema *e);
void gc_ema_free (gc_ema *e);

GC_END_DECLS
#endif
