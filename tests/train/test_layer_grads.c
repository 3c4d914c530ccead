/* Backward passes of the sequence/training layers against central finite
 * differences of their forward passes; JVPs against differences too. */
#include "gradcheck.h"

static gc_rng rng;

/* Common context: one input tensor, the output, a random projection r so
 * the scalar is <r, y>, and the input gradient. */
typedef struct {
  gc_tensor x, y, dx, r;
} io_ctx;

static void
io_init (io_ctx *io, int n, int c, int h, int w)
{
  gc_tensor z = GC_TENSOR_INIT;
  io->x = io->y = io->dx = io->r = z;
  gc_tensor_resize (&io->x, n, c, h, w);
  gc_tensor_resize (&io->dx, n, c, h, w);
  gradcheck_fill_normal (&rng, io->x.data, gc_tensor_size (&io->x), 1.0f);
}

/* After the first forward: the projection gets y's shape. */
static void
io_project_init (io_ctx *io)
{
  gc_tensor_resize (&io->r, io->y.n, io->y.c, io->y.h, io->y.w);
  gradcheck_fill_normal (&rng, io->r.data, gc_tensor_size (&io->r), 1.0f);
}

static double
io_value (io_ctx *io)
{
  if (!io->r.data)      /* the first forward only sizes y */
    return 0.0;
  return gradcheck_dot (io->r.data, io->y.data, gc_tensor_size (&io->y));
}

static void
io_free (io_ctx *io)
{
  gc_tensor_free (&io->x);
  gc_tensor_free (&io->y);
  gc_tensor_free (&io->dx);
  gc_tensor_free (&io->r);
}

/* ---- dense ----------------------------------------------------------------- */

typedef struct { io_ctx io; gc_dense l; } dense_ctx;

static double
dense_value (void *p)
{
  dense_ctx *c = p;
  gc_dense_forward (&c->l, &c->io.x, &c->io.y);
  return io_value (&c->io);
}

static void
dense_grad (void *p)
{
  dense_ctx *c = p;
  gc_dense_forward (&c->l, &c->io.x, &c->io.y);
  gc_dense_backward (&c->l, &c->io.x, &c->io.r, &c->io.dx);
}

/* JVP against the difference of the forward along a random direction. */
static void
check_dense_jvp (dense_ctx *c)
{
  gc_tensor dir = GC_TENSOR_INIT, t = GC_TENSOR_INIT, yp = GC_TENSOR_INIT,
      ym = GC_TENSOR_INIT, xs = GC_TENSOR_INIT;
  gc_tensor_copy (&dir, &c->io.x);
  gradcheck_fill_normal (&rng, dir.data, gc_tensor_size (&dir), 1.0f);
  gc_dense_jvp (&c->l, &dir, &t);
  float eps = 1e-2f;
  gc_tensor_copy (&xs, &c->io.x);
  gc_axpy (eps, &dir, &xs);
  gc_dense_forward (&c->l, &xs, &yp);
  gc_tensor_copy (&xs, &c->io.x);
  gc_axpy (-eps, &dir, &xs);
  gc_dense_forward (&c->l, &xs, &ym);
  int bad = 0;
  for (size_t i = 0; i < gc_tensor_size (&t); i++)
    if (!gradcheck_close (t.data[i], (yp.data[i] - ym.data[i]) / (2 * eps),
            1e-3, 1e-3))
      bad++;
  CHECK (bad == 0 && t.n == c->io.x.n && t.c == c->l.out,
      "dense jvp: %d mismatches", bad);
  printf ("%-28s jvp ok=%d\n", "dense", bad == 0);
  gc_tensor_free (&dir);
  gc_tensor_free (&t);
  gc_tensor_free (&yp);
  gc_tensor_free (&ym);
  gc_tensor_free (&xs);
}

static void
test_dense (void)
{
  dense_ctx c;
  io_init (&c.io, 3, 7, 1, 1);
  gc_dense_init (&c.l, "d", 7, 5, &rng);
  gradcheck_fill_normal (&rng, c.l.bias.w, 5, 0.5f);
  dense_value (&c);
  io_project_init (&c.io);
  gradcheck_var v[] = {
    { "x", c.io.x.data, c.io.dx.data, 21 },
    { "weight", c.l.weight.w, c.l.weight.g, 35 },
    { "bias", c.l.bias.w, c.l.bias.g, 5 },
  };
  gradcheck_op op = { "dense 7->5 N3", dense_value, dense_grad, &c };
  gradcheck_vars (&op, v, 3, 1e-2f, 2e-3, 2e-3);
  check_dense_jvp (&c);
  /* a 4-D input with matching C*H*W is taken as rows */
  gc_tensor x4 = GC_TENSOR_INIT, y4 = GC_TENSOR_INIT;
  gc_tensor_resize (&x4, 2, 7, 1, 1);
  memcpy (x4.data, c.io.x.data, 14 * sizeof (float));
  gc_dense_forward (&c.l, &x4, &y4);
  CHECK (y4.n == 2 && y4.c == 5, "dense output shape %dx%d", y4.n, y4.c);
  /* wrong feature count: a bug of the caller, abort */
  gc_tensor_resize (&x4, 2, 6, 1, 1);
  CHECK_ABORTS ("does not have 7 features", gc_dense_forward (&c.l, &x4, &y4));
  gc_tensor_free (&x4);
  gc_tensor_free (&y4);
  gc_dense_free (&c.l);
  io_free (&c.io);
}

/* ---- conv1d ---------------------------------------------------------------- */

typedef struct { io_ctx io; gc_conv1d l; } conv_ctx;

static double
conv_value (void *p)
{
  conv_ctx *c = p;
  gc_conv1d_forward (&c->l, &c->io.x, &c->io.y);
  return io_value (&c->io);
}

static void
conv_grad (void *p)
{
  conv_ctx *c = p;
  gc_conv1d_forward (&c->l, &c->io.x, &c->io.y);
  gc_conv1d_backward (&c->l, &c->io.x, &c->io.r, &c->io.dx);
}

/* Direct evaluation of the definition, independent of im2col. */
static float
conv_ref_at (const gc_conv1d *l, const gc_tensor *x, int n, int co, int t)
{
  int cig = l->cin / l->groups, cog = l->cout / l->groups, gr = co / cog;
  int left = l->causal ? (l->k - 1) * l->dilation : l->pad;
  double s = l->bias.w[co];
  for (int ci = 0; ci < cig; ci++)
    for (int k = 0; k < l->k; k++) {
      int ti = t * l->stride - left + k * l->dilation;
      if (ti < 0 || ti >= x->w)
        continue;
      s += (double) l->weight.w[((size_t) co * cig + ci) * l->k + k]
          * x->data[((size_t) n * l->cin + gr * cig + ci) * x->w + ti];
    }
  return (float) s;
}

static void
test_conv1d_case (int cin, int cout, int k, int stride, int dil, int pad,
    int groups, int causal, int t)
{
  char name[96];
  conv_ctx c;
  snprintf (name, sizeof name, "conv1d %d->%d k%d s%d d%d p%d g%d %s T%d",
      cin, cout, k, stride, dil, pad, groups, causal ? "causal" : "sym", t);
  io_init (&c.io, 2, cin, 1, t);
  if (gc_conv1d_init (&c.l, "c", cin, cout, k, stride, dil, pad, groups,
          causal, &rng) < 0) {
    CHECK (0, "%s: init failed: %s", name, gc_last_error ());
    return;
  }
  gradcheck_fill_normal (&rng, c.l.bias.w, cout, 0.5f);
  conv_value (&c);
  int span = dil * (k - 1);
  int want = causal ? (t - 1) / stride + 1 : (t + 2 * pad - span - 1) / stride
      + 1;
  CHECK (c.io.y.w == want && c.io.y.c == cout && c.io.y.n == 2,
      "%s: output %dx%dx%d, want T' %d", name, c.io.y.n, c.io.y.c, c.io.y.w,
      want);
  int bad = 0;
  for (int n = 0; n < 2; n++)
    for (int co = 0; co < cout; co++)
      for (int s = 0; s < c.io.y.w; s++)
        if (!gradcheck_close (c.io.y.data[((size_t) n * cout + co) *
                    c.io.y.w + s], conv_ref_at (&c.l, &c.io.x, n, co, s),
                1e-5, 1e-5))
          bad++;
  CHECK (bad == 0, "%s: forward differs from the definition at %d points",
      name, bad);
  io_project_init (&c.io);
  gradcheck_var v[] = {
    { "x", c.io.x.data, c.io.dx.data, gc_tensor_size (&c.io.x) },
    { "weight", c.l.weight.w, c.l.weight.g, c.l.weight.n },
    { "bias", c.l.bias.w, c.l.bias.g, c.l.bias.n },
  };
  gradcheck_op op = { name, conv_value, conv_grad, &c };
  gradcheck_vars (&op, v, 3, 1e-2f, 2e-3, 2e-3);
  /* jvp: the forward's difference along a random direction */
  gc_tensor dir = GC_TENSOR_INIT, jt = GC_TENSOR_INIT, xs = GC_TENSOR_INIT,
      yp = GC_TENSOR_INIT, ym = GC_TENSOR_INIT;
  gc_tensor_copy (&dir, &c.io.x);
  gradcheck_fill_normal (&rng, dir.data, gc_tensor_size (&dir), 1.0f);
  gc_conv1d_jvp (&c.l, &dir, &jt);
  float eps = 1e-2f;
  gc_tensor_copy (&xs, &c.io.x);
  gc_axpy (eps, &dir, &xs);
  gc_conv1d_forward (&c.l, &xs, &yp);
  gc_tensor_copy (&xs, &c.io.x);
  gc_axpy (-eps, &dir, &xs);
  gc_conv1d_forward (&c.l, &xs, &ym);
  bad = gc_tensor_size (&jt) != gc_tensor_size (&yp);
  for (size_t i = 0; !bad && i < gc_tensor_size (&jt); i++)
    if (!gradcheck_close (jt.data[i], (yp.data[i] - ym.data[i]) / (2 * eps),
            1e-3, 1e-3))
      bad++;
  CHECK (bad == 0, "%s: jvp differs from the forward difference", name);
  gc_tensor *tt[] = { &dir, &jt, &xs, &yp, &ym };
  for (int i = 0; i < 5; i++)
    gc_tensor_free (tt[i]);
  gc_conv1d_free (&c.l);
  io_free (&c.io);
}

static void
test_conv1d (void)
{
  test_conv1d_case (1, 3, 3, 1, 1, 0, 1, 1, 9);
  test_conv1d_case (3, 7, 3, 1, 2, 0, 1, 1, 11);    /* causal, dilation 2 */
  test_conv1d_case (3, 7, 3, 2, 2, 0, 1, 1, 11);    /* causal, stride 2 */
  test_conv1d_case (7, 13, 4, 2, 1, 2, 1, 0, 13);   /* stride 2, even K */
  test_conv1d_case (13, 7, 3, 1, 2, 2, 1, 0, 9);
  test_conv1d_case (3, 3, 5, 1, 1, 2, 3, 0, 7);     /* depthwise */
  test_conv1d_case (6, 4, 3, 2, 1, 1, 2, 0, 9);     /* 2 groups, stride 2 */
  test_conv1d_case (7, 13, 1, 1, 1, 0, 1, 0, 5);    /* pointwise path */
  test_conv1d_case (3, 5, 3, 3, 2, 5, 1, 0, 10);    /* pad > span: whole
                                                     * columns of padding */
  /* bad configurations fail cleanly, bad inputs abort */
  gc_conv1d l;
  CHECK (gc_conv1d_init (&l, "bad", 7, 4, 3, 1, 1, 0, 2, 0, &rng) < 0,
      "conv1d accepted 7 channels in 2 groups");
  gc_conv1d_init (&l, "c", 3, 4, 5, 1, 1, 0, 1, 0, &rng);
  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 1, 3, 1, 3);    /* shorter than the kernel */
  gc_tensor_resize (&y, 1, 1, 1, 1);
  CHECK_ABORTS ("shorter than the kernel", gc_conv1d_forward (&l, &x, &y));
  gc_tensor_resize (&x, 1, 2, 1, 9);    /* wrong channel count */
  CHECK_ABORTS ("expected 3 channels", gc_conv1d_forward (&l, &x, &y));
  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_conv1d_free (&l);
}

/* ---- GRU ------------------------------------------------------------------- */

typedef struct { io_ctx io; gc_gru l; gc_gru_cache cache; float *h0; } gru_ctx;

static double
gru_value (void *p)
{
  gru_ctx *c = p;
  gc_gru_forward (&c->l, &c->io.x, c->h0, &c->io.y, &c->cache);
  return io_value (&c->io);
}

static void
gru_grad (void *p)
{
  gru_ctx *c = p;
  gc_gru_forward (&c->l, &c->io.x, c->h0, &c->io.y, &c->cache);
  gc_gru_backward (&c->l, &c->io.x, &c->cache, &c->io.r, &c->io.dx);
}

static void
test_gru (void)
{
  gru_ctx c = { 0 };
  int in = 3, hd = 5, n = 2, t = 5;
  io_init (&c.io, n, in, 1, t);
  gc_gru_init (&c.l, "gru", in, hd, &rng);
  /* larger weights than the default init so the gates are not all ~0.5 */
  gc_param *ps[4] = { &c.l.w_ih, &c.l.w_hh, &c.l.b_ih, &c.l.b_hh };
  for (int i = 0; i < 4; i++)
    gradcheck_fill_normal (&rng, ps[i]->w, ps[i]->n, 0.7f);
  c.h0 = malloc (n * hd * sizeof (float));
  gradcheck_fill_normal (&rng, c.h0, n * hd, 0.5f);
  gru_value (&c);
  CHECK (c.io.y.n == n && c.io.y.c == hd && c.io.y.w == t,
      "gru output shape %dx%dx%d", c.io.y.n, c.io.y.c, c.io.y.w);
  io_project_init (&c.io);
  gradcheck_var v[] = {
    { "x", c.io.x.data, c.io.dx.data, gc_tensor_size (&c.io.x) },
    { "weight_ih", c.l.w_ih.w, c.l.w_ih.g, c.l.w_ih.n },
    { "weight_hh", c.l.w_hh.w, c.l.w_hh.g, c.l.w_hh.n },
    { "bias_ih", c.l.b_ih.w, c.l.b_ih.g, c.l.b_ih.n },
    { "bias_hh", c.l.b_hh.w, c.l.b_hh.g, c.l.b_hh.n },
  };
  gradcheck_op op = { "gru 3->5 N2 T5 (BPTT)", gru_value, gru_grad, &c };
  gradcheck_vars (&op, v, 5, 1e-2f, 5e-3, 2e-3);
  free (c.h0);
  gc_gru_cache_free (&c.cache);
  gc_gru_free (&c.l);
  io_free (&c.io);
}

/* ---- activations, PReLU ---------------------------------------------------- */

typedef struct { io_ctx io; gc_act_type t; float slope; } act_ctx;

static double
act_value (void *p)
{
  act_ctx *c = p;
  gc_act_forward (c->t, c->slope, &c->io.x, &c->io.y);
  return io_value (&c->io);
}

static void
act_grad (void *p)
{
  act_ctx *c = p;
  gc_act_forward (c->t, c->slope, &c->io.x, &c->io.y);
  gc_act_backward (c->t, c->slope, &c->io.x, &c->io.y, &c->io.r, &c->io.dx);
}

static void
test_activations (void)
{
  static const char *names[] = { "none", "relu", "leaky relu", "tanh",
    "sigmoid" };
  for (int t = GC_ACT_NONE; t <= GC_ACT_SIGMOID; t++) {
    act_ctx c;
    char name[64];
    snprintf (name, sizeof name, "act %s", names[t]);
    c.t = t;
    c.slope = 0.2f;
    io_init (&c.io, 2, 3, 2, 5);
    gradcheck_fill_away_from_zero (&rng, c.io.x.data, gc_tensor_size (&c.io.x),
        0.05f);
    act_value (&c);
    io_project_init (&c.io);
    gradcheck_var v[] = { { "x", c.io.x.data, c.io.dx.data,
        gc_tensor_size (&c.io.x) } };
    gradcheck_op op = { name, act_value, act_grad, &c };
    gradcheck_vars (&op, v, 1, 1e-2f, 2e-3, 1e-3);
    /* backward from y alone (x NULL) and in place (dx aliasing dy) agree */
    gc_tensor d2 = GC_TENSOR_INIT;
    gc_tensor_copy (&d2, &c.io.r);
    gc_act_backward (c.t, c.slope, NULL, &c.io.y, &d2, &d2);
    gc_act_backward (c.t, c.slope, &c.io.x, &c.io.y, &c.io.r, &c.io.dx);
    int bad = 0;
    for (size_t i = 0; i < gc_tensor_size (&d2); i++)
      if (!gradcheck_close (d2.data[i], c.io.dx.data[i], 1e-6, 1e-7))
        bad++;
    CHECK (bad == 0, "%s: backward from y / in place differs (%d)", name,
        bad);
    /* jvp = f'(x) dx: compare with the difference of the forward */
    gc_tensor dir = GC_TENSOR_INIT, jt = GC_TENSOR_INIT, xp = GC_TENSOR_INIT,
        xm = GC_TENSOR_INIT, yp = GC_TENSOR_INIT, ym = GC_TENSOR_INIT;
    gc_tensor_copy (&dir, &c.io.x);
    gradcheck_fill_normal (&rng, dir.data, gc_tensor_size (&dir), 1.0f);
    gc_act_jvp (c.t, c.slope, &c.io.x, &dir, &jt);
    float eps = 1e-3f;
    gc_tensor_copy (&xp, &c.io.x);
    gc_axpy (eps, &dir, &xp);
    gc_tensor_copy (&xm, &c.io.x);
    gc_axpy (-eps, &dir, &xm);
    gc_act_forward (c.t, c.slope, &xp, &yp);
    gc_act_forward (c.t, c.slope, &xm, &ym);
    bad = 0;
    for (size_t i = 0; i < gc_tensor_size (&jt); i++)
      if (!gradcheck_close (jt.data[i], (yp.data[i] - ym.data[i]) / (2 * eps),
              5e-3, 5e-4))
        bad++;
    CHECK (bad == 0, "%s: jvp differs from the forward difference (%d)",
        name, bad);
    gc_tensor_free (&dir);
    gc_tensor_free (&jt);
    gc_tensor_free (&xp);
    gc_tensor_free (&xm);
    gc_tensor_free (&yp);
    gc_tensor_free (&ym);
    gc_tensor_free (&d2);
    io_free (&c.io);
  }
  /* numerically stable sigmoid at extreme inputs */
  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 1, 4, 1, 1);
  x.data[0] = -200.0f;
  x.data[1] = 200.0f;
  x.data[2] = -90.0f;
  x.data[3] = 0.0f;
  gc_act_forward (GC_ACT_SIGMOID, 0, &x, &y);
  CHECK (y.data[0] == 0.0f && y.data[1] == 1.0f && y.data[2] >= 0.0f
      && y.data[2] < 1e-30f && y.data[3] == 0.5f, "sigmoid extremes %g %g %g",
      y.data[0], y.data[1], y.data[2]);
  gc_tensor_free (&x);
  gc_tensor_free (&y);
}

typedef struct { io_ctx io; gc_prelu l; } prelu_ctx;

static double
prelu_value (void *p)
{
  prelu_ctx *c = p;
  gc_prelu_forward (&c->l, &c->io.x, &c->io.y);
  return io_value (&c->io);
}

static void
prelu_grad (void *p)
{
  prelu_ctx *c = p;
  gc_prelu_forward (&c->l, &c->io.x, &c->io.y);
  gc_prelu_backward (&c->l, &c->io.x, &c->io.r, &c->io.dx);
}

static void
test_prelu (void)
{
  for (int channels = 1; channels <= 3; channels += 2) {
    prelu_ctx c;
    char name[48];
    snprintf (name, sizeof name, "prelu %d slope(s)", channels);
    io_init (&c.io, 2, 3, 2, 5);
    gradcheck_fill_away_from_zero (&rng, c.io.x.data, gc_tensor_size (&c.io.x),
        0.05f);
    gc_prelu_init (&c.l, "p", channels, 0.25f);
    gradcheck_fill_normal (&rng, c.l.slope.w, channels, 0.3f);
    prelu_value (&c);
    io_project_init (&c.io);
    gradcheck_var v[] = {
      { "x", c.io.x.data, c.io.dx.data, gc_tensor_size (&c.io.x) },
      { "slope", c.l.slope.w, c.l.slope.g, c.l.slope.n },
    };
    gradcheck_op op = { name, prelu_value, prelu_grad, &c };
    gradcheck_vars (&op, v, 2, 1e-2f, 2e-3, 1e-3);
    gc_prelu_free (&c.l);
    io_free (&c.io);
  }
}

/* ---- spectral norm --------------------------------------------------------- */

typedef struct { io_ctx io; gc_dense l; gc_specnorm sn; } sn_ctx;

static double
sn_value (void *p)
{
  sn_ctx *c = p;
  gc_specnorm_apply (&c->sn, &c->l.weight, 0);  /* u, v held constant */
  gc_dense_forward (&c->l, &c->io.x, &c->io.y);
  gc_specnorm_restore (&c->sn, &c->l.weight);
  return io_value (&c->io);
}

static void
sn_grad (void *p)
{
  sn_ctx *c = p;
  gc_specnorm_apply (&c->sn, &c->l.weight, 0);
  gc_dense_forward (&c->l, &c->io.x, &c->io.y);
  gc_dense_backward (&c->l, &c->io.x, &c->io.r, &c->io.dx);
  gc_specnorm_restore (&c->sn, &c->l.weight);
}

/* Largest singular value by power iteration in double. */
static double
spectral_norm_of (const float *w, int rows, int cols)
{
  double *v = malloc (cols * sizeof (double)), *u = malloc (rows
      * sizeof (double)), s = 0.0;
  for (int j = 0; j < cols; j++)
    v[j] = 1.0 + 0.1 * j;
  for (int it = 0; it < 500; it++) {
    for (int i = 0; i < rows; i++) {
      u[i] = 0.0;
      for (int j = 0; j < cols; j++)
        u[i] += w[i * cols + j] * v[j];
    }
    double nv = 0.0;
    for (int j = 0; j < cols; j++) {
      v[j] = 0.0;
      for (int i = 0; i < rows; i++)
        v[j] += w[i * cols + j] * u[i];
      nv += v[j] * v[j];
    }
    nv = sqrt (nv);
    for (int j = 0; j < cols; j++)
      v[j] /= nv;
  }
  for (int i = 0; i < rows; i++) {
    double a = 0.0;
    for (int j = 0; j < cols; j++)
      a += w[i * cols + j] * v[j];
    s += a * a;
  }
  free (u);
  free (v);
  return sqrt (s);
}

static void
test_specnorm (void)
{
  sn_ctx c;
  io_init (&c.io, 3, 7, 1, 1);
  gc_dense_init (&c.l, "sn", 7, 5, &rng);
  gc_specnorm_init (&c.sn, &c.l.weight, &rng);
  double true_sigma = spectral_norm_of (c.l.weight.w, 5, 7);
  float *raw = malloc (35 * sizeof (float));
  memcpy (raw, c.l.weight.w, 35 * sizeof (float));
  c.sn.power_iters = 1;
  for (int i = 0; i < 60; i++) {     /* power iteration converges across steps */
    gc_specnorm_apply (&c.sn, &c.l.weight, 1);
    gc_specnorm_restore (&c.sn, &c.l.weight);
  }
  CHECK (memcmp (raw, c.l.weight.w, 35 * sizeof (float)) == 0,
      "specnorm restore did not give back the raw weight");
  CHECK (gradcheck_close (c.sn.sigma, true_sigma, 1e-3, 0),
      "specnorm sigma %g, true %g", c.sn.sigma, true_sigma);
  gc_specnorm_apply (&c.sn, &c.l.weight, 0);
  double after = spectral_norm_of (c.l.weight.w, 5, 7);
  CHECK (gradcheck_close (after, 1.0, 1e-3, 0), "W/sigma has norm %g", after);
  gc_specnorm_restore (&c.sn, &c.l.weight);
  printf ("specnorm sigma %.5f (true %.5f), normalised norm %.5f\n",
      c.sn.sigma, true_sigma, after);
  sn_value (&c);
  io_project_init (&c.io);
  gradcheck_var v[] = {
    { "x", c.io.x.data, c.io.dx.data, 21 },
    { "weight", c.l.weight.w, c.l.weight.g, 35 },
    { "bias", c.l.bias.w, c.l.bias.g, 5 },
  };
  gradcheck_op op = { "specnorm dense 7->5", sn_value, sn_grad, &c };
  gradcheck_vars (&op, v, 3, 1e-2f, 3e-3, 2e-3);
  /* two apply/backward/restore rounds in one step (D on real, then on
   * fake) accumulate the sum of the separate gradients */
  float g1[35], g2[35];
  gc_param_zero_grad (&c.l.weight);
  sn_grad (&c);
  memcpy (g1, c.l.weight.g, sizeof g1);
  gc_scale (&c.io.r, -0.5f);
  gc_param_zero_grad (&c.l.weight);
  sn_grad (&c);
  memcpy (g2, c.l.weight.g, sizeof g2);
  gc_param_zero_grad (&c.l.weight);
  sn_grad (&c);
  gc_scale (&c.io.r, -2.0f);
  sn_grad (&c);
  sn_value (&c);    /* a forward-only round leaves the gradient alone */
  int bad = 0;
  for (int i = 0; i < 35; i++)
    if (!gradcheck_close (c.l.weight.g[i], g1[i] + g2[i], 1e-5, 1e-6))
      bad++;
  CHECK (bad == 0, "specnorm: two rounds do not add up (%d)", bad);
  free (raw);
  gc_specnorm_free (&c.sn);
  gc_dense_free (&c.l);
  io_free (&c.io);
}

/* ---- concat ---------------------------------------------------------------- */

typedef struct { gc_tensor a, b, da, db, y, r; } cat_ctx;

static double
cat_value (void *p)
{
  cat_ctx *c = p;
  gc_concat_forward (&c->a, &c->b, &c->y);
  return gradcheck_dot (c->r.data, c->y.data, gc_tensor_size (&c->y));
}

static void
cat_grad (void *p)
{
  cat_ctx *c = p;
  gc_concat_backward (&c->r, &c->da, &c->db);
}

static void
test_concat (void)
{
  cat_ctx c = { GC_TENSOR_INIT, GC_TENSOR_INIT, GC_TENSOR_INIT,
    GC_TENSOR_INIT, GC_TENSOR_INIT, GC_TENSOR_INIT };
  gc_tensor_resize (&c.a, 2, 3, 1, 4);
  gc_tensor_resize (&c.b, 2, 2, 1, 4);
  gc_tensor_resize (&c.da, 2, 3, 1, 4);
  gc_tensor_resize (&c.db, 2, 2, 1, 4);
  gradcheck_fill_normal (&rng, c.a.data, 24, 1.0f);
  gradcheck_fill_normal (&rng, c.b.data, 16, 1.0f);
  gc_concat_forward (&c.a, &c.b, &c.y);
  CHECK (c.y.c == 5 && c.y.n == 2 && c.y.w == 4, "concat shape");
  CHECK (c.y.data[20] == c.a.data[12] && c.y.data[32] == c.b.data[8],
      "concat layout");
  gc_tensor_resize (&c.r, 2, 5, 1, 4);
  gradcheck_fill_normal (&rng, c.r.data, 40, 1.0f);
  gradcheck_var v[] = { { "a", c.a.data, c.da.data, 24 },
    { "b", c.b.data, c.db.data, 16 } };
  gradcheck_op op = { "concat 3+2", cat_value, cat_grad, &c };
  gradcheck_vars (&op, v, 2, 1e-2f, 1e-3, 1e-4);
  gc_tensor *all[] = { &c.a, &c.b, &c.da, &c.db, &c.y, &c.r };
  for (int i = 0; i < 6; i++)
    gc_tensor_free (all[i]);
}

int
main (void)
{
  gc_rng_seed (&rng, 20240611);
  test_dense ();
  test_conv1d ();
  test_gru ();
  test_activations ();
  test_prelu ();
  test_specnorm ();
  test_concat ();
  if (failures) {
    fprintf (stderr, "%d failures\n", failures);
    return 1;
  }
  printf ("all layer gradients match\n");
  return 0;
}
