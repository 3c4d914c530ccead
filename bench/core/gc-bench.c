/* gc-bench — throughput of libgancore's compute kernels, each as GFLOP/s
 * and as a ratio to OpenBLAS sgemm on the same GEMM shape measured in the
 * same run (the machine is shared, so only same-run ratios mean anything).
 *
 *   gc-bench [--quick] [--threads 1,2] [--clock wall|cpu] [--only KIND]
 *
 * Each figure is the best of several timed repetitions: on a busy machine
 * the fastest run is the one least disturbed by other processes. */
#include "gc_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef GC_BENCH_HAVE_TRAIN
#define GC_BENCH_HAVE_TRAIN 0
#endif

static double min_seconds = 0.4;
static double worst_target_ratio = 1e30;
static const char *only;          /* run only cases whose kind starts so */

static int
wanted (const char *kind)
{
  return !only || strncmp (kind, only, strlen (only)) == 0;
}

/* --clock cpu times process CPU seconds instead of wall time: on a shared
 * machine that is steadier, and for 1 thread it is the same measure; with
 * 2 threads it rates work per CPU-second (parallel overhead shows, idle
 * waiting for a descheduled thread does not). */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double
now (void)
{
  struct timespec ts;
  clock_gettime (bench_clock, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef void (*bench_fn) (void *ctx);

/* Best seconds per call of a and of b, timed alternately so that load
 * from other processes hits both alike: a warm-up each, then at least 5
 * runs each and min_seconds in all. */
static void
time_pair (bench_fn a, void *actx, bench_fn b, void *bctx, double *ta,
    double *tb)
{
  a (actx);
  if (b)
    b (bctx);
  double best_a = 1e30, best_b = 1e30, start = now ();
  int reps = 0;
  while (reps < 5 || now () - start < min_seconds) {
    double t0 = now ();
    a (actx);
    double t1 = now ();
    if (b)
      b (bctx);
    double t2 = now ();
    if (t1 - t0 < best_a)
      best_a = t1 - t0;
    if (t2 - t1 < best_b)
      best_b = t2 - t1;
    if (++reps >= 2000)
      break;
  }
  *ta = best_a;
  if (tb)
    *tb = best_b;
}

static double
time_best (bench_fn fn, void *ctx)
{
  double t;
  time_pair (fn, ctx, NULL, NULL, &t, NULL);
  return t;
}

/* ---- sgemm baseline ----------------------------------------------------- */

typedef struct {
  int M, N, K;
  float *A, *B, *C;
} gemm_ctx;

static void
run_gemm (void *p)
{
  gemm_ctx *g = p;
  gc_sgemm (0, 0, g->M, g->N, g->K, 1.0f, g->A, g->K, g->B, g->N, 0.0f, g->C,
      g->N);
}

static void
gemm_setup (gemm_ctx *g, int M, int N, int K)
{
  gc_rng rng;
  gc_rng_seed (&rng, 1);
  g->M = M;
  g->N = N;
  g->K = K;
  g->A = gc_alloc (sizeof (float) * M * K);
  g->B = gc_alloc (sizeof (float) * K * N);
  g->C = gc_alloc (sizeof (float) * M * N);
  gc_rng_fill_uniform (&rng, g->A, (size_t) M * K, -1, 1);
  gc_rng_fill_uniform (&rng, g->B, (size_t) K * N, -1, 1);
}

static void
gemm_clear (gemm_ctx *g)
{
  gc_free (g->A);
  gc_free (g->B);
  gc_free (g->C);
}

/* sgemm GFLOP/s no longer grows past this many columns; wider baselines
 * would only cost memory (64->64 on 360x640 is a 530 MB matrix). */
#define BASE_MAX_COLS 16384

/* Time fn against sgemm of M x N x K, interleaved; returns both GFLOP/s. */
static void
measure (bench_fn fn, void *ctx, double flops, int M, int N, int K,
    double *gflops, double *base)
{
  gemm_ctx g;
  if (N > BASE_MAX_COLS)
    N = BASE_MAX_COLS;
  gemm_setup (&g, M, N, K);
  double t, tg;
  time_pair (fn, ctx, run_gemm, &g, &t, &tg);
  *gflops = flops / t * 1e-9;
  *base = 2.0 * M * N * K / tg * 1e-9;
  gemm_clear (&g);
}

static void
report (const char *what, double gflops, double base)
{
  printf ("  %-44s %8.1f %8.1f %7.2f\n", what, gflops, base, gflops / base);
  fflush (stdout);
}

/* ---- conv2d ------------------------------------------------------------- */

typedef struct {
  gc_conv2d l;
  gc_tensor x, y, dx;
  int backward;
} conv_ctx;

static void
run_conv (void *p)
{
  conv_ctx *c = p;
  if (c->backward)
    gc_conv2d_backward (&c->l, &c->x, &c->y, &c->dx);
  else
    gc_conv2d_forward (&c->l, &c->x, &c->y);
}

static void
bench_conv2d (int cin, int cout, int k, int stride, int groups, int n, int h,
    int w, int backward)
{
  gc_rng rng;
  gc_rng_seed (&rng, 2);
  conv_ctx c = { .x = GC_TENSOR_INIT, .y = GC_TENSOR_INIT,
    .dx = GC_TENSOR_INIT };
  gc_conv2d_init (&c.l, "bench", cin, cout, k, stride, k / 2, 1, groups, 1,
      &rng);
  gc_tensor_resize (&c.x, n, cin, h, w);
  gc_rng_fill_uniform (&rng, c.x.data, gc_tensor_size (&c.x), -1, 1);
  gc_conv2d_forward (&c.l, &c.x, &c.y);
  c.backward = backward;
  int kdim = cin / groups * k * k;
  double P = (double) c.y.h * c.y.w;
  /* backward = weight gradient + input gradient: two GEMMs of this size */
  double flops = 2.0 * n * cout * kdim * P * (backward ? 2 : 1);
  double gflops, base;
  /* the implicit GEMM of the whole batch, as one call (capped) */
  measure (run_conv, &c, flops, cout / groups, n * c.y.h * c.y.w, kdim,
      &gflops, &base);
  char what[96];
  snprintf (what, sizeof what, "conv2d%s %dx%d%s %d->%d%s %dx%dx%d",
      backward ? " bwd" : "", k, k, stride > 1 ? " s2" : "", cin, cout,
      groups > 1 ? " dw" : "", n, h, w);
  report (what, gflops, base);
  /* the target: 3x3 forward with >= 32 channels at >= 60 % of sgemm */
  if (k == 3 && groups == 1 && cin >= 32 && cout >= 32 && stride == 1
      && !backward && gflops / base < worst_target_ratio)
    worst_target_ratio = gflops / base;
  gc_tensor_free (&c.x);
  gc_tensor_free (&c.y);
  gc_tensor_free (&c.dx);
  gc_conv2d_free (&c.l);
}

/* ---- deconv2d ----------------------------------------------------------- */

typedef struct {
  gc_deconv2d l;
  gc_tensor x, y;
} deconv_ctx;

static void
run_deconv (void *p)
{
  deconv_ctx *c = p;
  gc_deconv2d_forward (&c->l, &c->x, &c->y);
}

static void
bench_deconv2d (int cin, int cout, int n, int h, int w)
{
  gc_rng rng;
  gc_rng_seed (&rng, 3);
  deconv_ctx c = { .x = GC_TENSOR_INIT, .y = GC_TENSOR_INIT };
  gc_deconv2d_init (&c.l, "bench", cin, cout, 4, 2, 1, 0, 1, 1, &rng);
  gc_tensor_resize (&c.x, n, cin, h, w);
  gc_rng_fill_uniform (&rng, c.x.data, gc_tensor_size (&c.x), -1, 1);
  double flops = 2.0 * n * cin * cout * 16 * h * w, gflops, base;
  measure (run_deconv, &c, flops, cout * 16, n * h * w, cin, &gflops, &base);
  char what[96];
  snprintf (what, sizeof what, "deconv2d 4x4 s2 %d->%d %dx%dx%d", cin, cout,
      n, h, w);
  report (what, gflops, base);
  gc_tensor_free (&c.x);
  gc_tensor_free (&c.y);
  gc_deconv2d_free (&c.l);
}

#if GC_BENCH_HAVE_TRAIN
/* ---- conv1d and dense (another engineer's kernels, same yardstick) ----- */

typedef struct {
  gc_conv1d l;
  gc_tensor x, y;
} conv1d_ctx;

static void
run_conv1d (void *p)
{
  conv1d_ctx *c = p;
  gc_conv1d_forward (&c->l, &c->x, &c->y);
}

static void
bench_conv1d (int ch, int T)
{
  gc_rng rng;
  gc_rng_seed (&rng, 4);
  conv1d_ctx c = { .x = GC_TENSOR_INIT, .y = GC_TENSOR_INIT };
  gc_conv1d_init (&c.l, "bench", ch, ch, 3, 1, 1, 0, 1, 1, &rng);
  gc_tensor_resize (&c.x, 1, ch, 1, T);
  gc_rng_fill_uniform (&rng, c.x.data, gc_tensor_size (&c.x), -1, 1);
  double flops = 2.0 * ch * ch * 3 * T, gflops, base;
  measure (run_conv1d, &c, flops, ch, T, ch * 3, &gflops, &base);
  char what[96];
  snprintf (what, sizeof what, "conv1d causal k3 %d->%d T=%d", ch, ch, T);
  report (what, gflops, base);
  gc_tensor_free (&c.x);
  gc_tensor_free (&c.y);
  gc_conv1d_free (&c.l);
}

typedef struct {
  gc_dense l;
  gc_tensor x, y;
} dense_ctx;

static void
run_dense (void *p)
{
  dense_ctx *c = p;
  gc_dense_forward (&c->l, &c->x, &c->y);
}

static void
bench_dense (int n, int in, int out)
{
  gc_rng rng;
  gc_rng_seed (&rng, 5);
  dense_ctx c = { .x = GC_TENSOR_INIT, .y = GC_TENSOR_INIT };
  gc_dense_init (&c.l, "bench", in, out, &rng);
  gc_tensor_resize (&c.x, n, in, 1, 1);
  gc_rng_fill_uniform (&rng, c.x.data, gc_tensor_size (&c.x), -1, 1);
  double gflops, base;
  measure (run_dense, &c, 2.0 * n * in * out, n, out, in, &gflops, &base);
  char what[96];
  snprintf (what, sizeof what, "dense %d->%d batch %d", in, out, n);
  report (what, gflops, base);
  gc_tensor_free (&c.x);
  gc_tensor_free (&c.y);
  gc_dense_free (&c.l);
}

/* ---- one training step of a small convolutional GAN ---------------------
 * G: 3x3 convs 8 -> 32 -> 32 -> 3 at 64x64 (LeakyReLU, tanh);
 * D: 4x4 stride-2 convs 3 -> 32 -> 64 -> 1 (PatchGAN logits 8x8);
 * hinge loss, Adam on both, batch 8: D step on real + fake, then G step. */

#define G_LAYERS 3
#define D_LAYERS 3

typedef struct {
  gc_conv2d g[G_LAYERS], d[D_LAYERS];
  gc_tensor ga[G_LAYERS + 1], gz[G_LAYERS];    /* activations, pre-acts */
  gc_tensor da[D_LAYERS + 1], dz[D_LAYERS];
  gc_tensor real, noise, dreal_out, grad, tmp, tmp2;
  gc_param_list gp, dp;
  gc_adam gopt, dopt;
  float *g_real, *g_fake;
} gan_ctx;

/* The gradient ping-pongs between two buffers instead of being copied. */
static void
swap_tensors (gc_tensor *a, gc_tensor *b)
{
  gc_tensor t = *a;
  *a = *b;
  *b = t;
}

/* Runs D on x, keeping the activations in da/dz (da[0] is a copy of x). */
static void
d_forward (gan_ctx *c, const gc_tensor *x)
{
  gc_tensor_copy (&c->da[0], x);
  for (int i = 0; i < D_LAYERS; i++) {
    gc_conv2d_forward (&c->d[i], &c->da[i], &c->dz[i]);
    if (i < D_LAYERS - 1)
      gc_act_forward (GC_ACT_LEAKY_RELU, 0.2f, &c->dz[i], &c->da[i + 1]);
    else
      gc_tensor_copy (&c->da[i + 1], &c->dz[i]);
  }
}

/* Backward through D from dout; returns the input gradient in c->tmp. */
static void
d_backward (gan_ctx *c, const gc_tensor *dout)
{
  gc_tensor_copy (&c->tmp, dout);
  for (int i = D_LAYERS - 1; i >= 0; i--) {
    if (i < D_LAYERS - 1)
      gc_act_backward (GC_ACT_LEAKY_RELU, 0.2f, &c->dz[i], &c->da[i + 1],
          &c->tmp, &c->tmp);
    gc_conv2d_backward (&c->d[i], &c->da[i], &c->tmp, &c->tmp2);
    swap_tensors (&c->tmp, &c->tmp2);
  }
}

static void
g_forward (gan_ctx *c)
{
  gc_tensor_copy (&c->ga[0], &c->noise);
  for (int i = 0; i < G_LAYERS; i++) {
    gc_conv2d_forward (&c->g[i], &c->ga[i], &c->gz[i]);
    gc_act_forward (i < G_LAYERS - 1 ? GC_ACT_LEAKY_RELU : GC_ACT_TANH, 0.2f,
        &c->gz[i], &c->ga[i + 1]);
  }
}

static void
run_gan_step (void *p)
{
  gan_ctx *c = p;
  int n = c->real.n;
  size_t outs;

  /* discriminator step */
  g_forward (c);
  d_forward (c, &c->real);
  gc_tensor_copy (&c->dreal_out, &c->da[D_LAYERS]);
  outs = gc_tensor_size (&c->dreal_out);
  gc_tensor fake_out = GC_TENSOR_INIT;
  d_forward (c, &c->ga[G_LAYERS]);
  gc_tensor_copy (&fake_out, &c->da[D_LAYERS]);
  gc_gan_d_loss (GC_GAN_HINGE, c->dreal_out.data, (int) outs, fake_out.data,
      (int) outs, c->g_real, c->g_fake);
  gc_tensor_resize (&c->grad, n, 1, c->dreal_out.h, c->dreal_out.w);
  memcpy (c->grad.data, c->g_fake, outs * sizeof (float));
  d_backward (c, &c->grad);       /* activations are the fake pass's */
  d_forward (c, &c->real);
  memcpy (c->grad.data, c->g_real, outs * sizeof (float));
  d_backward (c, &c->grad);
  gc_adam_step (&c->dopt);

  /* generator step */
  d_forward (c, &c->ga[G_LAYERS]);
  gc_gan_g_loss (GC_GAN_HINGE, c->da[D_LAYERS].data, (int) outs, c->g_fake);
  memcpy (c->grad.data, c->g_fake, outs * sizeof (float));
  d_backward (c, &c->grad);
  gc_param_list_zero_grad (&c->dp);
  for (int i = G_LAYERS - 1; i >= 0; i--) {
    gc_act_backward (i < G_LAYERS - 1 ? GC_ACT_LEAKY_RELU : GC_ACT_TANH, 0.2f,
        &c->gz[i], &c->ga[i + 1], &c->tmp, &c->tmp);
    gc_conv2d_backward (&c->g[i], &c->ga[i], &c->tmp, &c->tmp2);
    swap_tensors (&c->tmp, &c->tmp2);
  }
  gc_adam_step (&c->gopt);
  gc_tensor_free (&fake_out);
}

static void
bench_gan_step (int n, int size)
{
  gan_ctx *c = calloc (1, sizeof *c);
  gc_rng rng;
  gc_rng_seed (&rng, 6);
  static const int gch[G_LAYERS + 1] = { 8, 32, 32, 3 };
  static const int dch[D_LAYERS + 1] = { 3, 32, 64, 1 };
  char name[32];
  for (int i = 0; i < G_LAYERS; i++) {
    snprintf (name, sizeof name, "g%d", i);
    gc_conv2d_init (&c->g[i], name, gch[i], gch[i + 1], 3, 1, 1, 1, 1, 1,
        &rng);
    gc_conv2d_params (&c->g[i], &c->gp);
  }
  for (int i = 0; i < D_LAYERS; i++) {
    snprintf (name, sizeof name, "d%d", i);
    gc_conv2d_init (&c->d[i], name, dch[i], dch[i + 1], 4, 2, 1, 1, 1, 1,
        &rng);
    gc_conv2d_params (&c->d[i], &c->dp);
  }
  for (int i = 0; i <= G_LAYERS; i++)
    c->ga[i] = (gc_tensor) GC_TENSOR_INIT;
  for (int i = 0; i <= D_LAYERS; i++)
    c->da[i] = (gc_tensor) GC_TENSOR_INIT;
  for (int i = 0; i < G_LAYERS; i++)
    c->gz[i] = (gc_tensor) GC_TENSOR_INIT;
  for (int i = 0; i < D_LAYERS; i++)
    c->dz[i] = (gc_tensor) GC_TENSOR_INIT;
  gc_tensor init = GC_TENSOR_INIT;
  c->real = c->noise = c->dreal_out = c->grad = c->tmp = c->tmp2 = init;
  gc_tensor_resize (&c->real, n, 3, size, size);
  gc_tensor_resize (&c->noise, n, gch[0], size, size);
  gc_rng_fill_uniform (&rng, c->real.data, gc_tensor_size (&c->real), -1, 1);
  gc_rng_fill_normal (&rng, c->noise.data, gc_tensor_size (&c->noise), 0, 1);
  gc_adam_init (&c->gopt, &c->gp, 2e-4f, 0.5f, 0.999f, 0.0f);
  gc_adam_init (&c->dopt, &c->dp, 2e-4f, 0.5f, 0.999f, 0.0f);
  size_t outs = (size_t) n * (size / 8) * (size / 8);
  c->g_real = calloc (outs, sizeof (float));
  c->g_fake = calloc (outs, sizeof (float));

  double t = time_best (run_gan_step, c);
  printf ("  %-44s %8.1f ms%s\n",
      "GAN train step (G 3 convs, D 3 s2, b8 64x64)", t * 1e3,
      bench_clock == CLOCK_MONOTONIC ? "" : " of CPU");
  fflush (stdout);

  for (int i = 0; i < G_LAYERS; i++) {
    gc_conv2d_free (&c->g[i]);
    gc_tensor_free (&c->ga[i]);
    gc_tensor_free (&c->gz[i]);
  }
  for (int i = 0; i < D_LAYERS; i++) {
    gc_conv2d_free (&c->d[i]);
    gc_tensor_free (&c->da[i]);
    gc_tensor_free (&c->dz[i]);
  }
  gc_tensor_free (&c->ga[G_LAYERS]);
  gc_tensor_free (&c->da[D_LAYERS]);
  gc_tensor *ts[6] = { &c->real, &c->noise, &c->dreal_out, &c->grad, &c->tmp,
    &c->tmp2 };
  for (int i = 0; i < 6; i++)
    gc_tensor_free (ts[i]);
  gc_adam_free (&c->gopt);
  gc_adam_free (&c->dopt);
  gc_param_list_free (&c->gp);
  gc_param_list_free (&c->dp);
  free (c->g_real);
  free (c->g_fake);
  free (c);
}
#endif

int
main (int argc, char **argv)
{
  int quick = 0;
  int threads_list[8] = { 1, 2 }, n_threads = 2;
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--quick") == 0) {
      quick = 1;
    } else if (strcmp (argv[i], "--clock") == 0 && i + 1 < argc) {
      i++;
      bench_clock = strcmp (argv[i], "cpu") == 0 ? CLOCK_PROCESS_CPUTIME_ID
          : CLOCK_MONOTONIC;
    } else if (strcmp (argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (strcmp (argv[i], "--threads") == 0 && i + 1 < argc) {
      n_threads = 0;
      for (char *s = argv[++i]; *s && n_threads < 8;) {
        int t = (int) strtol (s, &s, 10);
        if (t > 0)
          threads_list[n_threads++] = t;
        if (*s)
          s++;
      }
    } else {
      fprintf (stderr, "usage: %s [--quick] [--threads 1,2] [--clock wall|cpu] [--only conv2d|deconv2d|conv1d|dense|gan]\n", argv[0]);
      return 2;
    }
  }
  if (quick)
    min_seconds = 0.1;

  for (int ti = 0; ti < n_threads; ti++) {
    int t = gc_threads_clamp (threads_list[ti]);
    gc_set_thread_limit (t);
    printf ("threads %d                                       GFLOP/s    sgemm"
        "   ratio\n", t);
    if (wanted ("conv2d")) {
      bench_conv2d (32, 32, 3, 1, 1, 1, 128, 128, 0);
      bench_conv2d (64, 64, 3, 1, 1, 1, 128, 128, 0);
      if (!quick) {
        bench_conv2d (32, 32, 3, 1, 1, 1, 360, 640, 0);
        bench_conv2d (64, 64, 3, 1, 1, 1, 360, 640, 0);
      }
      bench_conv2d (32, 32, 3, 1, 1, 8, 64, 64, 0);
      bench_conv2d (32, 32, 3, 1, 1, 8, 64, 64, 1);
      bench_conv2d (64, 64, 1, 1, 1, 1, 128, 128, 0);
      bench_conv2d (64, 64, 3, 1, 64, 1, 128, 128, 0);
      bench_conv2d (32, 64, 4, 2, 1, 8, 64, 64, 0);
    }
    if (wanted ("deconv2d"))
      bench_deconv2d (64, 32, 1, 90, 160);
#if GC_BENCH_HAVE_TRAIN
    if (wanted ("conv1d"))
      bench_conv1d (64, quick ? 16000 : 48000);
    if (wanted ("dense"))
      bench_dense (256, 512, 512);
    if (wanted ("gan"))
      bench_gan_step (8, 64);
#else
    printf ("  (conv1d, dense and the GAN step need gc_conv1d.c, gc_dense.c "
        "and gc_optim.c)\n");
#endif
    if (worst_target_ratio < 1e29)
      printf ("  target 3x3 conv2d >= 32 ch at >= 0.60 of sgemm: worst %.2f "
          "-> %s\n", worst_target_ratio,
          worst_target_ratio >= 0.6 ? "met" : "NOT met");
    worst_target_ratio = 1e30;
  }
  gc_set_thread_limit (0);
  return 0;
}
