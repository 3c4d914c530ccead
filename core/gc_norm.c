/* libgancore — batch norm and (conditional) instance norm.
 *
 * Backward passes recompute the statistics from x instead of trusting
 * save_mean/save_invstd, so one layer can serve several inputs (a
 * discriminator on real and fake batches) as gc_base.h promises; the saved
 * values are still filled for callers that inspect them. */
#include "gc_layers.h"
#include "gc_check.h"
#include "gc_threads.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reductions run in float over short blocks, 16 independent lanes wide
 * (so they vectorise: a single double accumulator is a serial chain of
 * adds, 20 ms for one 640x360x32 tensor), and the block totals are added
 * in double so long planes keep their precision. */
#define RED_BLOCK 2048
#define RED_LANES 16

static double
sum_block (const float *p, size_t n)
{
  float acc[RED_LANES] = { 0 };
  size_t j = 0;
  for (; j + RED_LANES <= n; j += RED_LANES)
    for (int k = 0; k < RED_LANES; k++)
      acc[k] += p[j + k];
  float s = 0.0f;
  for (; j < n; j++)
    s += p[j];
  for (int k = 0; k < RED_LANES; k++)
    s += acc[k];
  return s;
}

/* sum (p - m)^2 */
static double
sumsq_block (const float *p, size_t n, float m)
{
  float acc[RED_LANES] = { 0 };
  size_t j = 0;
  for (; j + RED_LANES <= n; j += RED_LANES)
    for (int k = 0; k < RED_LANES; k++) {
      float d = p[j + k] - m;
      acc[k] += d * d;
    }
  float s = 0.0f;
  for (; j < n; j++)
    s += (p[j] - m) * (p[j] - m);
  for (int k = 0; k < RED_LANES; k++)
    s += acc[k];
  return s;
}

/* sum g and sum g (x - m) */
static void
dot_block (const float *g, const float *x, size_t n, float m, double *sg,
    double *sgx)
{
  float a[RED_LANES] = { 0 }, b[RED_LANES] = { 0 };
  size_t j = 0;
  for (; j + RED_LANES <= n; j += RED_LANES)
    for (int k = 0; k < RED_LANES; k++) {
      a[k] += g[j + k];
      b[k] += g[j + k] * (x[j + k] - m);
    }
  float s = 0.0f, t = 0.0f;
  for (; j < n; j++) {
    s += g[j];
    t += g[j] * (x[j] - m);
  }
  for (int k = 0; k < RED_LANES; k++) {
    s += a[k];
    t += b[k];
  }
  *sg += s;
  *sgx += t;
}

/* Mean and 1/sqrt(var + eps) of `count` runs of `len` floats, `stride`
 * apart: one channel of a batch (count = N) or one instance (count = 1).
 * Two passes (mean, then squared deviations): GAN activations can have a
 * mean large next to their spread, where E[x^2] - E[x]^2 cancels. */
static void
moments (const float *x, int count, size_t len, size_t stride, float eps,
    float *mean, float *invstd, double *var_out)
{
  double s = 0.0, ss = 0.0;
  for (int i = 0; i < count; i++)
    for (size_t j = 0; j < len; j += RED_BLOCK)
      s += sum_block (x + (size_t) i * stride + j,
          len - j < RED_BLOCK ? len - j : RED_BLOCK);
  double m = s / ((double) count * len);
  for (int i = 0; i < count; i++)
    for (size_t j = 0; j < len; j += RED_BLOCK)
      ss += sumsq_block (x + (size_t) i * stride + j,
          len - j < RED_BLOCK ? len - j : RED_BLOCK, (float) m);
  double var = ss / ((double) count * len);
  *mean = (float) m;
  *invstd = (float) (1.0 / sqrt (var + eps));
  if (var_out)
    *var_out = var;
}

/* Backward of y = gamma * (x - mean) * invstd + beta over one set of
 * `count` x `len` values sharing the statistics:
 *   dx = gamma invstd (dy - mean(dy) - xhat mean(dy xhat))
 * with batch statistics, or dx = gamma invstd dy when they are constants. */
static void
norm_backward_set (const float *x, const float *dy, float *dx, int count,
    size_t len, size_t stride, float mean, float invstd, float gamma,
    int stats_are_constant, float *dgamma, float *dbeta)
{
  double sdy = 0.0, sdyxm = 0.0;
  for (int i = 0; i < count; i++)
    for (size_t j = 0; j < len; j += RED_BLOCK)
      dot_block (dy + (size_t) i * stride + j, x + (size_t) i * stride + j,
          len - j < RED_BLOCK ? len - j : RED_BLOCK, mean, &sdy, &sdyxm);
  double sdyx = sdyxm * invstd;
  if (dgamma)
    *dgamma += (float) sdyx;
  if (dbeta)
    *dbeta += (float) sdy;
  if (!dx)
    return;
  double m = (double) count * len;
  float k = gamma * invstd;
  float mdy = stats_are_constant ? 0.0f : (float) (sdy / m);
  float mdyx = stats_are_constant ? 0.0f : (float) (sdyx / m);
  for (int i = 0; i < count; i++) {
    const float *xp = x + (size_t) i * stride, *gp = dy + (size_t) i * stride;
    float *dp = dx + (size_t) i * stride;
    for (size_t j = 0; j < len; j++) {
      float xhat = (xp[j] - mean) * invstd;
      dp[j] = k * (gp[j] - mdy - xhat * mdyx);
    }
  }
}

static void
affine_set (const float *x, float *y, int count, size_t len, size_t stride,
    float mean, float invstd, float gamma, float beta)
{
  float a = gamma * invstd, b = beta - mean * a;
  for (int i = 0; i < count; i++) {
    const float *xp = x + (size_t) i * stride;
    float *yp = y + (size_t) i * stride;
    for (size_t j = 0; j < len; j++)
      yp[j] = a * xp[j] + b;
  }
}

/* ---- batch norm --------------------------------------------------------- */

int
gc_batchnorm_init (gc_batchnorm *l, const char *name, int channels)
{
  memset (l, 0, sizeof *l);
  if (channels < 1) {
    gc_set_error ("batchnorm %s: %d channels", name, channels);
    return -1;
  }
  l->channels = channels;
  l->eps = 1e-5f;
  l->momentum = 0.1f;
  l->training = 1;
  char pname[GC_MAX_NAME];
  gc_param *ps[4] = { &l->gamma, &l->beta, &l->running_mean, &l->running_var };
  const char *suffix[4] = { "weight", "bias", "running_mean", "running_var" };
  for (int i = 0; i < 4; i++) {
    snprintf (pname, sizeof pname, "%s.%s", name, suffix[i]);
    if (gc_param_init (ps[i], pname, 1, &channels) < 0) {
      gc_batchnorm_free (l);
      return -1;
    }
  }
  gc_init_const (&l->gamma, 1.0f);
  gc_init_const (&l->running_var, 1.0f);
  l->running_mean.trainable = l->running_var.trainable = 0;
  l->save_mean = gc_alloc (channels * sizeof (float));
  l->save_invstd = gc_alloc (channels * sizeof (float));
  if (!l->save_mean || !l->save_invstd) {
    gc_batchnorm_free (l);
    gc_set_error ("batchnorm %s: out of memory", name);
    return -1;
  }
  return 0;
}

void
gc_batchnorm_free (gc_batchnorm *l)
{
  gc_param_free (&l->gamma);
  gc_param_free (&l->beta);
  gc_param_free (&l->running_mean);
  gc_param_free (&l->running_var);
  gc_free (l->save_mean);
  gc_free (l->save_invstd);
  l->save_mean = l->save_invstd = NULL;
}

void
gc_batchnorm_params (gc_batchnorm *l, gc_param_list *pl)
{
  gc_param_list_add (pl, &l->gamma);
  gc_param_list_add (pl, &l->beta);
  gc_param_list_add (pl, &l->running_mean);
  gc_param_list_add (pl, &l->running_var);
}

static int
bn_check (const gc_batchnorm *l, const gc_tensor *x)
{
  GC_CHECK_SHAPE (l && l->gamma.w && l->save_mean,
      "batchnorm: layer is not initialised");
  GC_CHECK_SHAPE (x && x->data && x->c == l->channels,
      "batchnorm %s: input has %d channels, layer expects %d",
      l->gamma.name, x ? x->c : 0, l->channels);
  return 0;
}

typedef struct {
  gc_batchnorm *l;
  const gc_tensor *x, *dy;
  gc_tensor *y;
} bn_ctx;

static void
bn_fwd_channels (void *ctx, int begin, int end, int worker)
{
  const bn_ctx *c = ctx;
  gc_batchnorm *l = c->l;
  const gc_tensor *x = c->x;
  size_t len = (size_t) x->h * x->w, stride = (size_t) x->c * len;
  for (int ch = begin; ch < end; ch++) {
    const float *xp = x->data + ch * len;
    float mean, invstd;
    if (l->training) {
      double var;
      moments (xp, x->n, len, stride, l->eps, &mean, &invstd, &var);
      l->save_mean[ch] = mean;
      l->save_invstd[ch] = invstd;
      /* running variance is unbiased, as in PyTorch */
      double m = (double) x->n * len;
      double unbiased = m > 1 ? var * m / (m - 1) : var;
      float mom = l->momentum;
      l->running_mean.w[ch] = (1 - mom) * l->running_mean.w[ch] + mom * mean;
      l->running_var.w[ch] = (float) ((1 - mom) * l->running_var.w[ch]
          + mom * unbiased);
    } else {
      mean = l->running_mean.w[ch];
      invstd = 1.0f / sqrtf (l->running_var.w[ch] + l->eps);
    }
    affine_set (xp, c->y->data + ch * len, x->n, len, stride, mean, invstd,
        l->gamma.w[ch], l->beta.w[ch]);
  }
}

int
gc_batchnorm_forward (gc_batchnorm *l, const gc_tensor *x, gc_tensor *y)
{
  /* y may be x: each channel is read fully before it is written */
  if (bn_check (l, x) < 0)
    return -1;
  GC_CHECK_SHAPE (y != NULL, "batchnorm %s: no output", l->gamma.name);
  if (gc_tensor_resize (y, x->n, x->c, x->h, x->w) < 0)
    return -1;
  bn_ctx c = { l, x, NULL, y };
  int threads = gc_tensor_size (x) >= (1 << 15) ? gc_current_threads () : 1;
  gc_parallel_for (threads, x->c, bn_fwd_channels, &c);
  return 0;
}

static void
bn_bwd_channels (void *ctx, int begin, int end, int worker)
{
  const bn_ctx *c = ctx;
  gc_batchnorm *l = c->l;
  const gc_tensor *x = c->x;
  size_t len = (size_t) x->h * x->w, stride = (size_t) x->c * len;
  for (int ch = begin; ch < end; ch++) {
    const float *xp = x->data + ch * len;
    float mean, invstd;
    if (l->training) {
      moments (xp, x->n, len, stride, l->eps, &mean, &invstd, NULL);
    } else {
      mean = l->running_mean.w[ch];
      invstd = 1.0f / sqrtf (l->running_var.w[ch] + l->eps);
    }
    norm_backward_set (xp, c->dy->data + ch * len,
        c->y ? c->y->data + ch * len : NULL, x->n, len, stride, mean, invstd,
        l->gamma.w[ch], !l->training, l->gamma.g ? &l->gamma.g[ch] : NULL,
        l->beta.g ? &l->beta.g[ch] : NULL);
  }
}

int
gc_batchnorm_backward (gc_batchnorm *l, const gc_tensor *x,
    const gc_tensor *dy, gc_tensor *dx)
{
  if (bn_check (l, x) < 0)
    return -1;
  GC_CHECK_SHAPE (dy && dy->data && dy->n == x->n && dy->c == x->c
      && dy->h == x->h && dy->w == x->w,
      "batchnorm %s backward: dy does not match x", l->gamma.name);
  if (dx && gc_tensor_resize (dx, x->n, x->c, x->h, x->w) < 0)
    return -1;
  bn_ctx c = { l, x, dy, dx };
  int threads = gc_tensor_size (x) >= (1 << 15) ? gc_current_threads () : 1;
  gc_parallel_for (threads, x->c, bn_bwd_channels, &c);
  return 0;
}

/* ---- instance norm ------------------------------------------------------ */

int
gc_instnorm_init (gc_instnorm *l, const char *name, int channels, int classes)
{
  memset (l, 0, sizeof *l);
  if (channels < 1 || classes < 1) {
    gc_set_error ("instnorm %s: %d channels, %d classes", name, channels,
        classes);
    return -1;
  }
  l->channels = channels;
  l->classes = classes;
  l->eps = 1e-5f;
  char pname[GC_MAX_NAME];
  int shape[2] = { classes, channels };
  snprintf (pname, sizeof pname, "%s.weight", name);
  if (gc_param_init (&l->gamma, pname, 2, shape) < 0)
    return -1;
  snprintf (pname, sizeof pname, "%s.bias", name);
  if (gc_param_init (&l->beta, pname, 2, shape) < 0) {
    gc_param_free (&l->gamma);
    return -1;
  }
  gc_init_const (&l->gamma, 1.0f);
  return 0;
}

void
gc_instnorm_free (gc_instnorm *l)
{
  gc_param_free (&l->gamma);
  gc_param_free (&l->beta);
  gc_free (l->save_mean);
  gc_free (l->save_invstd);
  l->save_mean = l->save_invstd = NULL;
  l->save_cap = 0;
}

void
gc_instnorm_params (gc_instnorm *l, gc_param_list *pl)
{
  gc_param_list_add (pl, &l->gamma);
  gc_param_list_add (pl, &l->beta);
}

static int
in_check (const gc_instnorm *l, const gc_tensor *x)
{
  GC_CHECK_SHAPE (l && l->gamma.w, "instnorm: layer is not initialised");
  GC_CHECK_SHAPE (x && x->data && x->c == l->channels,
      "instnorm %s: input has %d channels, layer expects %d",
      l->gamma.name, x ? x->c : 0, l->channels);
  return 0;
}

/* A class index out of range must not read outside gamma: use class 0. */
static int
class_of (const gc_instnorm *l, const int *cls, int n)
{
  if (!cls)
    return 0;
  return cls[n] < 0 || cls[n] >= l->classes ? 0 : cls[n];
}

/* Report bad class indices on the caller's thread (errors are per thread). */
static void
report_classes (const gc_instnorm *l, const int *cls, int n)
{
  for (int i = 0; cls && i < n; i++)
    if (cls[i] < 0 || cls[i] >= l->classes) {
      gc_set_error ("instnorm %s: class %d out of range [0, %d), using 0",
          l->gamma.name, cls[i], l->classes);
      return;
    }
}

typedef struct {
  gc_instnorm *l;
  const gc_tensor *x, *dy;
  gc_tensor *out;
  const int *cls;
} in_ctx;

static void
in_fwd_planes (void *ctx, int begin, int end, int worker)
{
  const in_ctx *c = ctx;
  gc_instnorm *l = c->l;
  size_t len = (size_t) c->x->h * c->x->w;
  for (int p = begin; p < end; p++) {
    int n = p / l->channels, ch = p % l->channels;
    size_t row = (size_t) class_of (l, c->cls, n) * l->channels + ch;
    float mean, invstd;
    moments (c->x->data + p * len, 1, len, len, l->eps, &mean, &invstd, NULL);
    if (l->save_mean) {
      l->save_mean[p] = mean;
      l->save_invstd[p] = invstd;
    }
    affine_set (c->x->data + p * len, c->out->data + p * len, 1, len, len,
        mean, invstd, l->gamma.w[row], l->beta.w[row]);
  }
}

int
gc_instnorm_forward (gc_instnorm *l, const gc_tensor *x, const int *cls,
    gc_tensor *y)
{
  /* y may be x: each plane is read fully before it is written */
  if (in_check (l, x) < 0)
    return -1;
  GC_CHECK_SHAPE (y != NULL, "instnorm %s: no output", l->gamma.name);
  if (gc_tensor_resize (y, x->n, x->c, x->h, x->w) < 0)
    return -1;
  int planes = x->n * x->c;
  if (planes > l->save_cap) {
    gc_free (l->save_mean);
    gc_free (l->save_invstd);
    l->save_mean = gc_alloc (planes * sizeof (float));
    l->save_invstd = gc_alloc (planes * sizeof (float));
    l->save_cap = l->save_mean && l->save_invstd ? planes : 0;
    if (!l->save_cap) {
      gc_free (l->save_mean);
      gc_free (l->save_invstd);
      l->save_mean = l->save_invstd = NULL;
    }
  }
  report_classes (l, cls, x->n);
  in_ctx c = { l, x, NULL, y, cls };
  int threads = gc_tensor_size (x) >= (1 << 15) ? gc_current_threads () : 1;
  gc_parallel_for (threads, planes, in_fwd_planes, &c);
  return 0;
}

/* Items are channels so that each gamma/beta gradient entry has one
 * writer; the batch is walked inside. */
static void
in_bwd_channels (void *ctx, int begin, int end, int worker)
{
  const in_ctx *c = ctx;
  gc_instnorm *l = c->l;
  size_t len = (size_t) c->x->h * c->x->w;
  for (int ch = begin; ch < end; ch++)
    for (int n = 0; n < c->x->n; n++) {
      size_t p = (size_t) n * l->channels + ch;
      size_t row = (size_t) class_of (l, c->cls, n) * l->channels + ch;
      float mean, invstd;
      moments (c->x->data + p * len, 1, len, len, l->eps, &mean, &invstd,
          NULL);
      norm_backward_set (c->x->data + p * len, c->dy->data + p * len,
          c->out ? c->out->data + p * len : NULL, 1, len, len, mean, invstd,
          l->gamma.w[row], 0, l->gamma.g ? &l->gamma.g[row] : NULL,
          l->beta.g ? &l->beta.g[row] : NULL);
    }
}

int
gc_instnorm_backward (gc_instnorm *l, const gc_tensor *x, const int *cls,
    const gc_tensor *dy, gc_tensor *dx)
{
  if (in_check (l, x) < 0)
    return -1;
  GC_CHECK_SHAPE (dy && dy->data && dy->n == x->n && dy->c == x->c
      && dy->h == x->h && dy->w == x->w,
      "instnorm %s backward: dy does not match x", l->gamma.name);
  if (dx && gc_tensor_resize (dx, x->n, x->c, x->h, x->w) < 0)
    return -1;
  report_classes (l, cls, x->n);
  in_ctx c = { l, x, dy, dx, cls };
  int threads = gc_tensor_size (x) >= (1 << 15) ? gc_current_threads () : 1;
  gc_parallel_for (threads, x->c, in_bwd_channels, &c);
  return 0;
}
