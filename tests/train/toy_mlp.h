/* A small MLP (dense layers, one piecewise-linear activation between them,
 * linear output) with what a GAN critic needs: backward, the input
 * gradient, and the EXACT parameter gradient of a gradient penalty.
 *
 * Penalty gradient (WGAN-GP, R1): with g_i = dD/dx at x_i and
 * u = dPenalty/dg (gc_gp_coef / gc_r1_coef), dPenalty/dθ is the gradient
 * of S = Σ_i <u_i, g_i>. For a piecewise-linear net the activation masks M
 * are locally constant, so S = Σ_i w_L M_{L-1} W_{L-1} ... M_1 W_1 u_i:
 * a forward-mode (JVP) pass along u with the primal's masks and no biases,
 * followed by an ordinary backward of that tangent network. */
#ifndef TOY_MLP_H
#define TOY_MLP_H

#include "gc_core.h"

#define TOY_MLP_MAX 8

typedef struct toy_mlp {
  int nl;                       /* number of dense layers */
  gc_dense layer[TOY_MLP_MAX];
  gc_act_type act;
  float slope;
  /* primal cache of the last forward: h[0] input, a[l] pre-activation of
   * layer l, h[l+1] = act(a[l]) (the last layer has no activation) */
  gc_tensor h[TOY_MLP_MAX + 1], a[TOY_MLP_MAX];
  /* tangent activations and scratch gradients */
  gc_tensor t[TOY_MLP_MAX + 1], ta[TOY_MLP_MAX], d0, d1;
} toy_mlp;

/* dims[0] inputs, dims[nl] outputs. Kaiming init for the slope. */
int toy_mlp_init (toy_mlp *m, const char *name, const int *dims, int nl,
    gc_act_type act, float slope, gc_rng *r);
void toy_mlp_free (toy_mlp *m);
void toy_mlp_params (toy_mlp *m, gc_param_list *pl);
/* Forward; the result stays in the cache (returned pointer). */
const gc_tensor *toy_mlp_forward (toy_mlp *m, const gc_tensor *x);
/* Backward of the last forward: accumulates parameter gradients; dx may
 * be NULL. */
void toy_mlp_backward (toy_mlp *m, const gc_tensor *dy, gc_tensor *dx);
/* g = d(sum of outputs)/dx at x (one output per sample), parameter
 * gradients untouched; leaves x's forward in the cache. */
void toy_mlp_input_grad (toy_mlp *m, const gc_tensor *x, gc_tensor *g);
/* Adds scale * d/dθ Σ_i <u_i, dD/dx(x_i)> to the parameter gradients, for
 * the x of the last forward (u has x's shape). Biases get nothing: they
 * do not enter the tangent. */
void toy_mlp_penalty_backward (toy_mlp *m, const gc_tensor *u, float scale);

#endif
