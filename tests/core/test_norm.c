/* Batch norm (training and inference) and (conditional) instance norm:
 * output statistics, PyTorch's running-statistics update, and backward vs
 * central finite differences for dx, gamma and beta, 1 and 2 threads. */
#include "gc_layers.h"
#include "gc_threads.h"
#include "gradcheck.h"

/* ---- batch norm --------------------------------------------------------- */

typedef struct {
  gc_batchnorm *l;
  gc_tensor *x, *y, *r;
} bn_loss_ctx;

static double
bn_loss (void *p)
{
  bn_loss_ctx *c = p;
  gc_batchnorm_forward (c->l, c->x, c->y);
  return gradcheck_dot (c->y->data, c->r->data, gc_tensor_size (c->y));
}

/* mean and biased variance of channel ch, computed here independently */
static void
channel_stats (const gc_tensor *x, int ch, double *mean, double *var)
{
  size_t len = (size_t) x->h * x->w;
  double s = 0, ss = 0, m = (double) x->n * len;
  for (int n = 0; n < x->n; n++)
    for (size_t j = 0; j < len; j++)
      s += x->data[((size_t) n * x->c + ch) * len + j];
  *mean = s / m;
  for (int n = 0; n < x->n; n++)
    for (size_t j = 0; j < len; j++) {
      double d = x->data[((size_t) n * x->c + ch) * len + j] - *mean;
      ss += d * d;
    }
  *var = ss / m;
}

static void
check_batchnorm (int n, int c, int h, int w, int threads)
{
  char what[160];
  gc_batchnorm l;
  CHECK (gc_batchnorm_init (&l, "bn", c) == 0, "bn init");
  CHECK (l.running_mean.trainable == 0 && l.running_var.trainable == 0
      && l.gamma.trainable, "running statistics must not be trainable");
  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT, r = GC_TENSOR_INIT;
  gc_tensor dx = GC_TENSOR_INIT, yp = GC_TENSOR_INIT;
  gc_tensor_resize (&x, n, c, h, w);
  /* an offset mean, as activations after a ReLU have */
  gradcheck_fill (x.data, gc_tensor_size (&x), n * c + h, 0.5f, 2.5f);
  gradcheck_fill (l.gamma.w, c, 3, 0.5f, 1.5f);
  gradcheck_fill (l.beta.w, c, 4, -1, 1);
  gc_set_thread_limit (threads);

  gc_batchnorm_forward (&l, &x, &y);
  for (int ch = 0; ch < c; ch++) {
    double mx, vx, my, vy;
    channel_stats (&x, ch, &mx, &vx);
    channel_stats (&y, ch, &my, &vy);
    double m = (double) n * h * w;
    snprintf (what, sizeof what, "bn %dx%dx%dx%d t%d channel %d", n, c, h, w,
        threads, ch);
    CHECK (gradcheck_close (my, l.beta.w[ch], 1e-4, 1e-5),
        "%s: output mean %g, want beta %g", what, my, l.beta.w[ch]);
    double want_var = l.gamma.w[ch] * l.gamma.w[ch] * vx / (vx + l.eps);
    CHECK (gradcheck_close (vy, want_var, 1e-3, 1e-6),
        "%s: output variance %g, want %g", what, vy, want_var);
    CHECK (gradcheck_close (l.running_mean.w[ch], 0.1 * mx, 1e-5, 1e-6),
        "%s: running mean %g, want %g", what, l.running_mean.w[ch], 0.1 * mx);
    double unbiased = vx * m / (m - 1);
    CHECK (gradcheck_close (l.running_var.w[ch], 0.9 + 0.1 * unbiased,
            1e-5, 1e-6), "%s: running var %g, want %g", what,
        l.running_var.w[ch], 0.9 + 0.1 * unbiased);
  }

  for (int training = 1; training >= 0; training--) {
    l.training = training;
    if (!training)
      gradcheck_fill (l.running_var.w, c, 8, 0.2f, 2.0f);
    gc_batchnorm_forward (&l, &x, &y);
    gc_tensor_resize (&r, n, c, h, w);
    gradcheck_fill (r.data, gc_tensor_size (&r), 11, -1, 1);
    gc_param_zero_grad (&l.gamma);
    gc_param_zero_grad (&l.beta);
    gc_batchnorm_backward (&l, &x, &r, &dx);
    bn_loss_ctx lc = { &l, &x, &yp, &r };
    const char *mode = training ? "training" : "inference";
    snprintf (what, sizeof what, "bn %s %dx%dx%dx%d t%d dx", mode, n, c, h, w,
        threads);
    gradcheck_entries (what, x.data, gc_tensor_size (&x), dx.data, bn_loss,
        &lc, 1e-2f, 5e-3, 1e-3, 80);
    /* gamma and beta enter linearly: a large step is exact and keeps the
     * rounding of L = <y, r> (tens of thousands of terms) out of the check */
    snprintf (what, sizeof what, "bn %s %dx%dx%dx%d t%d dgamma", mode, n, c,
        h, w, threads);
    gradcheck_entries (what, l.gamma.w, c, l.gamma.g, bn_loss, &lc, 0.1f,
        2e-3, 1e-3, 0);
    snprintf (what, sizeof what, "bn %s %dx%dx%dx%d t%d dbeta", mode, n, c, h,
        w, threads);
    gradcheck_entries (what, l.beta.w, c, l.beta.g, bn_loss, &lc, 0.1f,
        2e-3, 1e-3, 0);
  }
  gc_set_thread_limit (0);
  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_tensor_free (&r);
  gc_tensor_free (&dx);
  gc_tensor_free (&yp);
  gc_batchnorm_free (&l);
}

/* ---- instance norm ------------------------------------------------------ */

typedef struct {
  gc_instnorm *l;
  const int *cls;
  gc_tensor *x, *y, *r;
} in_loss_ctx;

static double
in_loss (void *p)
{
  in_loss_ctx *c = p;
  gc_instnorm_forward (c->l, c->x, c->cls, c->y);
  return gradcheck_dot (c->y->data, c->r->data, gc_tensor_size (c->y));
}

static void
check_instnorm (int classes, const int *cls, int n, int c, int h, int w,
    int threads)
{
  char what[160];
  gc_instnorm l;
  CHECK (gc_instnorm_init (&l, "in", c, classes) == 0, "instnorm init");
  CHECK (l.gamma.ndim == 2 && l.gamma.shape[0] == classes
      && l.gamma.shape[1] == c, "instnorm gamma is [classes][channels]");
  gradcheck_fill (l.gamma.w, l.gamma.n, 21, 0.5f, 1.5f);
  gradcheck_fill (l.beta.w, l.beta.n, 22, -1, 1);
  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT, r = GC_TENSOR_INIT;
  gc_tensor dx = GC_TENSOR_INIT, yp = GC_TENSOR_INIT;
  gc_tensor_resize (&x, n, c, h, w);
  gradcheck_fill (x.data, gc_tensor_size (&x), 23 + c, -2, 3);
  gc_set_thread_limit (threads);

  gc_instnorm_forward (&l, &x, cls, &y);
  size_t len = (size_t) h * w;
  for (int i = 0; i < n; i++)
    for (int ch = 0; ch < c; ch++) {
      const float *p = y.data + ((size_t) i * c + ch) * len;
      double s = 0;
      for (size_t j = 0; j < len; j++)
        s += p[j];
      int k = cls ? cls[i] : 0;
      CHECK (gradcheck_close (s / len, l.beta.w[k * c + ch], 1e-4, 1e-5),
          "instnorm item %d channel %d: mean %g, want beta[%d] %g", i, ch,
          s / len, k, l.beta.w[k * c + ch]);
    }

  gc_tensor_resize (&r, n, c, h, w);
  gradcheck_fill (r.data, gc_tensor_size (&r), 24, -1, 1);
  gc_instnorm_backward (&l, &x, cls, &r, &dx);
  in_loss_ctx lc = { &l, cls, &x, &yp, &r };
  snprintf (what, sizeof what, "instnorm %d classes %dx%dx%dx%d t%d dx",
      classes, n, c, h, w, threads);
  gradcheck_entries (what, x.data, gc_tensor_size (&x), dx.data, in_loss, &lc,
      1e-2f, 5e-3, 1e-3, 80);
  snprintf (what, sizeof what, "instnorm %d classes t%d dgamma", classes,
      threads);
  gradcheck_entries (what, l.gamma.w, l.gamma.n, l.gamma.g, in_loss, &lc,
      0.1f, 2e-3, 1e-3, 0);
  snprintf (what, sizeof what, "instnorm %d classes t%d dbeta", classes,
      threads);
  gradcheck_entries (what, l.beta.w, l.beta.n, l.beta.g, in_loss, &lc, 0.1f,
      2e-3, 1e-3, 0);

  /* a class row no item uses gets no gradient */
  for (int k = 0; k < classes; k++) {
    int used = !cls && k == 0;
    for (int i = 0; cls && i < n; i++)
      used |= cls[i] == k;
    if (used)
      continue;
    float s = 0;
    for (int ch = 0; ch < c; ch++)
      s += fabsf (l.gamma.g[k * c + ch]) + fabsf (l.beta.g[k * c + ch]);
    CHECK (s == 0, "unused class %d received gradient %g", k, s);
  }
  gc_set_thread_limit (0);
  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_tensor_free (&r);
  gc_tensor_free (&dx);
  gc_tensor_free (&yp);
  gc_instnorm_free (&l);
}

/* A mean far from zero next to a small spread (GAN activations can look
 * like that): E[x^2] - E[x]^2 would cancel; the output must still have
 * unit spread. */
static void
check_large_offset (void)
{
  gc_instnorm l;
  gc_instnorm_init (&l, "in", 2, 1);
  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 1, 2, 150, 101);
  gradcheck_fill (x.data, gc_tensor_size (&x), 31, -0.5f, 0.5f);
  for (size_t i = 0; i < gc_tensor_size (&x); i++)
    x.data[i] += 300.0f;
  gc_instnorm_forward (&l, &x, NULL, &y);
  size_t len = (size_t) x.h * x.w;
  for (int ch = 0; ch < 2; ch++) {
    double s = 0, ss = 0;
    for (size_t j = 0; j < len; j++) {
      double v = y.data[ch * len + j];
      s += v;
      ss += v * v;
    }
    double var = ss / len - (s / len) * (s / len);
    CHECK (fabs (s / len) < 1e-3 && fabs (var - 1.0) < 2e-3,
        "instnorm with offset 300: output mean %g variance %g", s / len, var);
  }
  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_instnorm_free (&l);
}

static void
check_bad_input (void)
{
  gc_batchnorm bn;
  gc_instnorm in;
  CHECK (gc_batchnorm_init (&bn, "bn", 0) < 0, "bn with 0 channels");
  gc_batchnorm_init (&bn, "bn", 3);
  gc_instnorm_init (&in, "in", 3, 2);
  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 2, 4, 3, 3);
  gc_tensor_zero (&x);
  CHECK_ABORTS ("input has 4 channels, layer expects 3",
      gc_batchnorm_forward (&bn, &x, &y));
  gc_tensor_resize (&x, 2, 3, 3, 3);
  gradcheck_fill (x.data, gc_tensor_size (&x), 5, -1, 1);
  /* in place (y = x) gives the same result as out of place */
  gc_tensor z = GC_TENSOR_INIT;
  bn.training = 1;
  gc_batchnorm_forward (&bn, &x, &y);
  gc_tensor_copy (&z, &x);
  gc_batchnorm_forward (&bn, &z, &z);
  gradcheck_compare ("batchnorm in place", z.data, y.data,
      gc_tensor_size (&y), 1e-6, 1e-7);
  gc_tensor_copy (&z, &x);
  gc_instnorm_forward (&in, &x, NULL, &y);
  gc_instnorm_forward (&in, &z, NULL, &z);
  gradcheck_compare ("instnorm in place", z.data, y.data,
      gc_tensor_size (&y), 1e-6, 1e-7);
  gc_tensor_free (&z);
  CHECK_ABORTS ("no output", gc_batchnorm_forward (&bn, &x, NULL));
  int bad_cls[2] = { 1, 7 };
  gc_set_error ("none");
  gc_instnorm_forward (&in, &x, bad_cls, &y);
  CHECK (strstr (gc_last_error (), "class") != NULL,
      "out of range class not reported: %s", gc_last_error ());
  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_batchnorm_free (&bn);
  gc_instnorm_free (&in);
}

int
main (void)
{
  static const int cls3[3] = { 2, 0, 2 };
  for (int t = 1; t <= 2; t++) {
    check_batchnorm (2, 3, 5, 7, t);
    check_batchnorm (5, 7, 1, 1, t);        /* (N, C) vectors */
    check_batchnorm (4, 13, 24, 30, t);     /* big enough to split */
    check_instnorm (1, NULL, 2, 7, 5, 7, t);
    check_instnorm (3, cls3, 3, 3, 9, 11, t);
  }
  check_large_offset ();
  check_bad_input ();
  return gan_test_report ("test-norm");
}
