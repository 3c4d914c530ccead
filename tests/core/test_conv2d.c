/* conv2d: optimized forward vs the naive reference (1 and 2 threads),
 * backward vs central finite differences for dx, weight and bias, JVP vs
 * the finite difference of forward, gradient accumulation, batch-norm
 * folding, and bad input. Shapes are odd on purpose (channels 1, 3, 7, 13,
 * sizes 5x7 and 9x11) to reach the tails of every kernel: im2col+GEMM,
 * pointwise GEMM and the direct depthwise loops. */
#include "gc_layers.h"
#include "gc_threads.h"
#include "gradcheck.h"

typedef struct {
  int cin, cout, k, stride, pad, dil, groups, bias;
  int n, h, w;
} conv_case;

typedef struct {
  gc_conv2d *l;
  gc_tensor *x, *y, *r;
} loss_ctx;

static double
conv_loss (void *p)
{
  loss_ctx *c = p;
  gc_conv2d_forward (c->l, c->x, c->y);
  return gradcheck_dot (c->y->data, c->r->data, gc_tensor_size (c->y));
}

static void
case_name (char *buf, size_t len, const conv_case *c, const char *what)
{
  snprintf (buf, len, "conv2d %d->%d k%d s%d p%d d%d g%d b%d on %dx%dx%dx%d: %s",
      c->cin, c->cout, c->k, c->stride, c->pad, c->dil, c->groups, c->bias,
      c->n, c->cin, c->h, c->w, what);
}

static void
run_case (const conv_case *cs, size_t max_checks)
{
  char what[200];
  gc_rng rng;
  gc_rng_seed (&rng, 1234 + cs->cin * 31 + cs->cout);
  gc_conv2d l;
  int rc = gc_conv2d_init (&l, "c", cs->cin, cs->cout, cs->k, cs->stride,
      cs->pad, cs->dil, cs->groups, cs->bias, &rng);
  case_name (what, sizeof what, cs, "init");
  CHECK (rc == 0, "%s: %s", what, gc_last_error ());
  if (rc)
    return;
  if (cs->bias)
    gc_rng_fill_uniform (&rng, l.bias.w, l.bias.n, -0.5f, 0.5f);

  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT, yref = GC_TENSOR_INIT;
  gc_tensor r = GC_TENSOR_INIT, dx = GC_TENSOR_INIT, dx2 = GC_TENSOR_INIT;
  gc_tensor v = GC_TENSOR_INIT, t = GC_TENSOR_INIT, yp = GC_TENSOR_INIT;
  gc_tensor_resize (&x, cs->n, cs->cin, cs->h, cs->w);
  gc_rng_fill_uniform (&rng, x.data, gc_tensor_size (&x), -1, 1);

  /* forward against the reference, with 1 and 2 threads */
  gc_conv2d_forward_ref (&l, &x, &yref);
  int oh, ow;
  gc_conv2d_out_size (&l, cs->h, cs->w, &oh, &ow);
  CHECK (yref.n == cs->n && yref.c == cs->cout && yref.h == oh
      && yref.w == ow, "%s: reference output shape", what);
  for (int threads = 1; threads <= 2; threads++) {
    gc_set_thread_limit (threads);
    gc_conv2d_forward (&l, &x, &y);
    case_name (what, sizeof what, cs, threads == 1 ? "forward vs ref t1"
        : "forward vs ref t2");
    CHECK (y.n == yref.n && y.c == yref.c && y.h == yref.h
        && y.w == yref.w, "%s: shape", what);
    gradcheck_compare (what, y.data, yref.data, gc_tensor_size (&yref), 1e-4,
        1e-5);
  }

  /* backward vs finite differences of L = <conv (x), r> */
  gc_tensor_resize (&r, y.n, y.c, y.h, y.w);
  gc_rng_fill_uniform (&rng, r.data, gc_tensor_size (&r), -1, 1);
  gc_param_zero_grad (&l.weight);
  if (cs->bias)
    gc_param_zero_grad (&l.bias);
  gc_set_thread_limit (2);
  gc_conv2d_backward (&l, &x, &r, &dx);
  CHECK (dx.n == x.n && dx.c == x.c && dx.h == x.h && dx.w == x.w,
      "dx shape");
  loss_ctx lc = { &l, &x, &yp, &r };
  case_name (what, sizeof what, cs, "dx");
  gradcheck_entries (what, x.data, gc_tensor_size (&x), dx.data, conv_loss,
      &lc, 1e-2f, 2e-3, 1e-3, max_checks);
  case_name (what, sizeof what, cs, "dweight");
  gradcheck_entries (what, l.weight.w, l.weight.n, l.weight.g, conv_loss, &lc,
      1e-2f, 2e-3, 1e-3, max_checks);
  if (cs->bias) {
    case_name (what, sizeof what, cs, "dbias");
    gradcheck_entries (what, l.bias.w, l.bias.n, l.bias.g, conv_loss, &lc,
        1e-2f, 2e-3, 1e-3, max_checks);
  }

  /* one thread gives the same gradients, and backward accumulates (+=) */
  float *g2 = malloc (l.weight.n * sizeof (float));
  memcpy (g2, l.weight.g, l.weight.n * sizeof (float));
  for (size_t i = 0; i < l.weight.n; i++)
    g2[i] *= 2.0f;
  gc_set_thread_limit (1);
  gc_conv2d_backward (&l, &x, &r, &dx2);
  case_name (what, sizeof what, cs, "dx t1 vs t2");
  gradcheck_compare (what, dx2.data, dx.data, gc_tensor_size (&dx), 1e-4,
      1e-5);
  case_name (what, sizeof what, cs, "weight grad accumulates (t1 after t2)");
  gradcheck_compare (what, l.weight.g, g2, l.weight.n, 1e-4, 1e-5);
  free (g2);

  /* JVP: exact for a linear map, so compare with the central difference
   * of forward along a random tangent */
  gc_tensor_resize (&v, x.n, x.c, x.h, x.w);
  gc_rng_fill_uniform (&rng, v.data, gc_tensor_size (&v), -1, 1);
  gc_set_thread_limit (2);
  gc_conv2d_jvp (&l, &v, &t);
  const float e = 0.1f;
  gc_tensor xp = GC_TENSOR_INIT, ym = GC_TENSOR_INIT;
  gc_tensor_copy (&xp, &x);
  for (size_t i = 0; i < gc_tensor_size (&x); i++)
    xp.data[i] = x.data[i] + e * v.data[i];
  gc_conv2d_forward (&l, &xp, &yp);
  for (size_t i = 0; i < gc_tensor_size (&x); i++)
    xp.data[i] = x.data[i] - e * v.data[i];
  gc_conv2d_forward (&l, &xp, &ym);
  for (size_t i = 0; i < gc_tensor_size (&yp); i++)
    yp.data[i] = (yp.data[i] - ym.data[i]) / (2 * e);
  case_name (what, sizeof what, cs, "jvp vs finite difference");
  CHECK (t.n == yp.n && t.c == yp.c && t.h == yp.h && t.w == yp.w,
      "%s: shape", what);
  gradcheck_compare (what, t.data, yp.data, gc_tensor_size (&yp), 1e-3,
      1e-4);
  gc_set_thread_limit (0);

  gc_tensor_free (&xp);
  gc_tensor_free (&ym);
  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_tensor_free (&yref);
  gc_tensor_free (&r);
  gc_tensor_free (&dx);
  gc_tensor_free (&dx2);
  gc_tensor_free (&v);
  gc_tensor_free (&t);
  gc_tensor_free (&yp);
  gc_conv2d_free (&l);
}

/* conv followed by inference batch norm == the folded conv alone */
static void
check_fold_bn (int has_bias)
{
  gc_rng rng;
  gc_rng_seed (&rng, 77 + has_bias);
  gc_conv2d l;
  gc_batchnorm bn;
  gc_conv2d_init (&l, "enc.conv", 7, 13, 3, 1, 1, 1, 1, has_bias, &rng);
  if (has_bias)
    gc_rng_fill_uniform (&rng, l.bias.w, l.bias.n, -1, 1);
  gc_batchnorm_init (&bn, "enc.bn", 13);
  bn.training = 0;
  gc_rng_fill_uniform (&rng, bn.gamma.w, 13, 0.5f, 2.0f);
  gc_rng_fill_uniform (&rng, bn.beta.w, 13, -1, 1);
  gc_rng_fill_uniform (&rng, bn.running_mean.w, 13, -1, 1);
  gc_rng_fill_uniform (&rng, bn.running_var.w, 13, 0.1f, 3.0f);

  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT, z = GC_TENSOR_INIT;
  gc_tensor f = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 2, 7, 9, 11);
  gc_rng_fill_uniform (&rng, x.data, gc_tensor_size (&x), -1, 1);
  gc_conv2d_forward (&l, &x, &y);
  gc_batchnorm_forward (&bn, &y, &z);
  gc_conv2d_fold_bn (&l, &bn);
  CHECK (l.has_bias && l.bias.w, "fold_bn gives the conv a bias");
  CHECK (strcmp (l.bias.name, "enc.conv.bias") == 0,
      "folded bias is named '%s'", l.bias.name);
  gc_conv2d_forward (&l, &x, &f);
  gradcheck_compare (has_bias ? "fold_bn (conv with bias)"
      : "fold_bn (conv without bias)", f.data, z.data, gc_tensor_size (&z),
      1e-4, 1e-5);
  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_tensor_free (&z);
  gc_tensor_free (&f);
  gc_conv2d_free (&l);
  gc_batchnorm_free (&bn);
}

static void
check_bad_input (void)
{
  gc_conv2d l;
  CHECK (gc_conv2d_init (&l, "bad", 6, 4, 3, 1, 1, 1, 4, 1, NULL) < 0,
      "init accepts groups that do not divide cin");
  CHECK (gc_conv2d_init (&l, "bad", 3, 4, 3, 0, 1, 1, 1, 1, NULL) < 0,
      "init accepts stride 0");
  CHECK (gc_conv2d_init (&l, "ok", 3, 4, 3, 1, 0, 1, 1, 1, NULL) == 0,
      "init rejects a valid layer: %s", gc_last_error ());

  /* tensors that do not fit the layer are a bug of the caller: abort */
  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT, dx = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 1, 5, 8, 8);     /* wrong channel count */
  gc_tensor_zero (&x);
  CHECK_ABORTS ("gc_conv2d_geom.c:", gc_conv2d_forward (&l, &x, &y));
  CHECK_ABORTS ("input has 5 channels, layer expects 3",
      gc_conv2d_forward (&l, &x, &y));
  gc_tensor_resize (&x, 1, 3, 2, 2);     /* smaller than the kernel */
  CHECK_ABORTS ("smaller than the kernel", gc_conv2d_forward (&l, &x, &y));
  gc_tensor_resize (&x, 1, 3, 8, 8);
  gc_tensor_zero (&x);
  gc_tensor_resize (&y, 1, 4, 3, 3);     /* dy not matching the forward */
  CHECK_ABORTS ("does not match the forward",
      gc_conv2d_backward (&l, &x, &y, &dx));
  CHECK_ABORTS ("alias", gc_conv2d_forward (&l, &x, &x));
  CHECK (gc_conv2d_forward (&l, &x, &y) == 0 && y.c == 4,
      "a valid call after the refused ones: %s", gc_last_error ());
  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_conv2d_free (&l);
}

int
main (void)
{
  static const conv_case cases[] = {
    /* cin cout k s p d g bias  n h w */
    { 3, 7, 3, 1, 1, 1, 1, 1, 2, 5, 7 },
    { 7, 13, 3, 2, 1, 1, 1, 0, 3, 9, 11 },   /* stride 2 */
    { 13, 7, 3, 1, 2, 2, 1, 1, 1, 9, 11 },   /* dilation 2 */
    { 1, 3, 3, 1, 1, 1, 1, 1, 2, 5, 7 },     /* single input channel */
    { 7, 7, 3, 1, 1, 1, 7, 1, 2, 9, 11 },    /* depthwise */
    { 7, 7, 3, 2, 1, 1, 7, 0, 1, 9, 11 },    /* depthwise, stride 2 */
    { 3, 6, 3, 1, 2, 2, 3, 1, 2, 5, 7 },     /* depthwise x2, dilation 2 */
    { 6, 9, 3, 1, 1, 1, 3, 1, 2, 5, 7 },     /* grouped, 2 in per group */
    { 13, 7, 1, 1, 0, 1, 1, 1, 2, 5, 7 },    /* pointwise */
    { 6, 4, 1, 1, 0, 1, 2, 0, 3, 9, 11 },    /* grouped pointwise */
    { 7, 3, 1, 2, 0, 1, 1, 0, 2, 9, 11 },    /* 1x1 stride 2 */
    { 3, 5, 5, 2, 2, 1, 1, 1, 2, 9, 11 },    /* 5x5 stride 2 */
    { 4, 8, 4, 2, 1, 1, 1, 1, 1, 8, 8 },     /* even kernel, DCGAN style */
    { 3, 4, 3, 1, 0, 1, 1, 1, 1, 3, 3 },     /* output 1x1 */
    { 13, 3, 3, 1, 1, 1, 1, 1, 2, 9, 11 },   /* few outputs: plane kernels */
    { 7, 2, 3, 1, 0, 2, 1, 0, 1, 9, 11 },    /* few outputs, no pad, dil 2 */
    { 8, 4, 3, 1, 3, 1, 2, 1, 2, 5, 7 },     /* pad beyond the kernel reach */
    { 6, 4, 5, 1, 2, 1, 1, 1, 2, 8, 9 },     /* 25 taps in blocks of 4 */
    { 6, 5, 5, 1, 2, 1, 1, 0, 1, 8, 9 },     /* 5 outputs: 4 + 1 block */
    { 3, 11, 3, 1, 1, 1, 1, 1, 2, 5, 7 },    /* 11 outputs: im2col + GEMM */
    { 13, 9, 3, 1, 2, 2, 1, 0, 1, 9, 11 },   /* GEMM with dilation 2 */
    { 5, 12, 3, 1, 0, 1, 1, 1, 2, 7, 6 },    /* GEMM, valid (no padding) */
    { 5, 12, 3, 1, 3, 1, 1, 1, 1, 5, 7 },    /* GEMM, pad beyond reach */
    { 12, 10, 3, 1, 1, 1, 2, 1, 2, 5, 7 },   /* GEMM, 2 groups */
    { 64, 1, 4, 2, 1, 1, 1, 1, 2, 16, 16 },  /* PatchGAN logits, strided */
    { 5, 3, 3, 1, 1, 1, 1, 1, 1, 40, 700 },  /* several plane bands */
    { 32, 16, 3, 1, 1, 1, 1, 1, 2, 3, 300 }, /* a row over the band budget */
    { 32, 12, 3, 2, 1, 1, 1, 0, 1, 5, 601 }, /* the same, stride 2 */
    { 32, 32, 3, 1, 1, 1, 1, 1, 3, 20, 24 }, /* several images per thread */
    { 13, 16, 3, 1, 1, 1, 1, 1, 1, 64, 64 }, /* several row bands */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    run_case (&cases[i], i + 2 < sizeof cases / sizeof cases[0] ? 60 : 25);
  check_fold_bn (1);
  check_fold_bn (0);
  check_bad_input ();
  return gan_test_report ("test-conv2d");
}
