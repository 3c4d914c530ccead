/* Reconstruction losses, GAN objectives and penalty coefficients: values
 * against their definitions (in double), gradients against central
 * differences, and numerical stability at extreme logits. */
#include "gradcheck.h"

static gc_rng rng;

/* A loss of one array: value through the library, gradient into g. */
typedef struct {
  float (*fn) (void *self, const float *x, float *grad);
  float *x, *g;
  size_t n;
} loss_ctx;

static double
loss_value (void *p)
{
  loss_ctx *c = p;
  return c->fn (c, c->x, NULL);
}

static void
loss_grad (void *p)
{
  loss_ctx *c = p;
  c->fn (c, c->x, c->g);
}

static const float *l_target;
static size_t l_n;

static float
l1_fn (void *self, const float *x, float *g)
{
  return gc_loss_l1 (x, l_target, l_n, g);
}

static float
l2_fn (void *self, const float *x, float *g)
{
  return gc_loss_l2 (x, l_target, l_n, g);
}

static void
test_reconstruction (void)
{
  enum { N = 23 };
  float pred[N], target[N], g[N];
  gradcheck_fill_normal (&rng, target, N, 1.0f);
  /* keep pred - target away from L1's kink */
  gradcheck_fill_away_from_zero (&rng, pred, N, 0.05f);
  for (int i = 0; i < N; i++)
    pred[i] += target[i];
  double l1 = 0.0, l2 = 0.0;
  for (int i = 0; i < N; i++) {
    l1 += fabs ((double) pred[i] - target[i]);
    l2 += ((double) pred[i] - target[i]) * ((double) pred[i] - target[i]);
  }
  l_target = target;
  l_n = N;
  CHECK (gradcheck_close (gc_loss_l1 (pred, target, N, NULL), l1 / N, 1e-6, 0),
      "l1 value");
  CHECK (gradcheck_close (gc_loss_l2 (pred, target, N, NULL), l2 / N, 1e-6, 0),
      "l2 value");
  loss_ctx c1 = { l1_fn, pred, g, N }, c2 = { l2_fn, pred, g, N };
  gradcheck_var v[] = { { "pred", pred, g, N } };
  gradcheck_op o1 = { "loss l1", loss_value, loss_grad, &c1 };
  gradcheck_op o2 = { "loss l2", loss_value, loss_grad, &c2 };
  gradcheck_vars (&o1, v, 1, 1e-2f, 1e-3, 1e-5);
  gradcheck_vars (&o2, v, 1, 1e-2f, 1e-3, 1e-5);
  CHECK (gc_loss_l1 (pred, target, 0, NULL) == 0.0f
      && gc_loss_l2 (NULL, target, N, NULL) == 0.0f, "empty inputs");
}

/* ---- GAN objectives -------------------------------------------------------- */

static gc_gan_loss gan_kind;
static int n_real = 5, n_fake = 7;
static float scores[12], grads[12];

static double
d_value (void *p)
{
  return gc_gan_d_loss (gan_kind, scores, n_real, scores + n_real, n_fake,
      NULL, NULL);
}

static void
d_grad (void *p)
{
  gc_gan_d_loss (gan_kind, scores, n_real, scores + n_real, n_fake, grads,
      grads + n_real);
}

static double
g_value (void *p)
{
  return gc_gan_g_loss (gan_kind, scores + n_real, n_fake, NULL);
}

static void
g_grad (void *p)
{
  gc_gan_g_loss (gan_kind, scores + n_real, n_fake, grads + n_real);
}

static double
softplus_d (double a)
{
  return a > 0 ? a + log1p (exp (-a)) : log1p (exp (a));
}

/* The definitions from gc_train.h, in double. */
static double
d_reference (gc_gan_loss t, const float *r, int nr, const float *f, int nf)
{
  double a = 0.0, b = 0.0;
  for (int i = 0; i < nr; i++)
    a += t == GC_GAN_NS ? softplus_d (-r[i]) : t == GC_GAN_LSGAN
        ? (r[i] - 1.0) * (r[i] - 1.0) : t == GC_GAN_HINGE
        ? fmax (0.0, 1.0 - r[i]) : -r[i];
  for (int i = 0; i < nf; i++)
    b += t == GC_GAN_NS ? softplus_d (f[i]) : t == GC_GAN_LSGAN
        ? (double) f[i] * f[i] : t == GC_GAN_HINGE
        ? fmax (0.0, 1.0 + f[i]) : f[i];
  return a / nr + b / nf;
}

static double
g_reference (gc_gan_loss t, const float *f, int nf)
{
  double b = 0.0;
  for (int i = 0; i < nf; i++)
    b += t == GC_GAN_NS ? softplus_d (-f[i]) : t == GC_GAN_LSGAN
        ? (f[i] - 1.0) * (f[i] - 1.0) : -f[i];
  return b / nf;
}

static void
test_gan_objectives (void)
{
  static const char *names[] = { "ns", "lsgan", "hinge", "wgan" };
  for (int t = GC_GAN_NS; t <= GC_GAN_WGAN; t++) {
    char dn[48], gn[48];
    gan_kind = t;
    /* scores spread over [-3, 3], kept off the hinge kinks at +-1 */
    for (int i = 0; i < 12; i++) {
      float s;
      do
        s = 6.0f * gc_rng_uniform (&rng) - 3.0f;
      while (fabsf (fabsf (s) - 1.0f) < 0.05f);
      scores[i] = s;
    }
    CHECK (gc_gan_loss_from_name (names[t]) == t, "name %s", names[t]);
    CHECK (gradcheck_close (d_value (NULL), d_reference (t, scores, n_real,
                scores + n_real, n_fake), 1e-5, 1e-6), "%s: D loss value",
        names[t]);
    CHECK (gradcheck_close (g_value (NULL), g_reference (t, scores + n_real,
                n_fake), 1e-5, 1e-6), "%s: G loss value", names[t]);
    snprintf (dn, sizeof dn, "gan %s D", names[t]);
    snprintf (gn, sizeof gn, "gan %s G", names[t]);
    gradcheck_var vd[] = { { "scores", scores, grads, 12 } };
    gradcheck_var vg[] = { { "fake", scores + n_real, grads + n_real,
        n_fake } };
    gradcheck_op od = { dn, d_value, d_grad, NULL };
    gradcheck_op og = { gn, g_value, g_grad, NULL };
    gradcheck_vars (&od, vd, 1, 1e-2f, 2e-3, 1e-5);
    gradcheck_vars (&og, vg, 1, 1e-2f, 2e-3, 1e-5);
  }
  CHECK (gc_gan_loss_from_name ("bce") == -1
      && gc_gan_loss_from_name (NULL) == -1, "unknown names");

  /* NS at extreme logits: finite, exact asymptotes, gradients in [-1, 1] */
  float r[2] = { 100.0f, -100.0f }, f[2] = { -100.0f, 100.0f }, gr[2], gf[2];
  float d = gc_gan_d_loss (GC_GAN_NS, r, 1, f, 1, gr, gf);
  CHECK (d >= 0.0f && d < 1e-30f && gr[0] > -1e-30f && gf[0] < 1e-30f,
      "NS D at confident logits: %g", d);
  d = gc_gan_d_loss (GC_GAN_NS, r + 1, 1, f + 1, 1, gr, gf);
  CHECK (gradcheck_close (d, 200.0, 1e-6, 0) && gr[0] == -1.0f && gf[0] == 1.0f,
      "NS D at wrong logits: %g (grads %g %g)", d, gr[0], gf[0]);
  float gg[1], v = gc_gan_g_loss (GC_GAN_NS, f, 1, gg);
  CHECK (gradcheck_close (v, 100.0, 1e-6, 0) && gg[0] == -1.0f,
      "NS G at -100: %g %g", v, gg[0]);
  /* a missing side counts as nothing */
  CHECK (gradcheck_close (gc_gan_d_loss (GC_GAN_WGAN, r, 1, NULL, 0, NULL,
              NULL), -100.0, 1e-6, 0), "D loss with no fakes");
}

/* ---- penalty coefficients: u = dPenalty/dg --------------------------------- */

static float pen_g[15], pen_u[15];
static int pen_r1;

static double
pen_value (void *p)
{
  return pen_r1 ? gc_r1_coef (pen_g, 3, 5, 10.0f, NULL)
      : gc_gp_coef (pen_g, 3, 5, 1.0f, NULL);
}

static void
pen_grad (void *p)
{
  if (pen_r1)
    gc_r1_coef (pen_g, 3, 5, 10.0f, pen_u);
  else
    gc_gp_coef (pen_g, 3, 5, 1.0f, pen_u);
}

static void
test_penalty_coefs (void)
{
  gradcheck_fill_normal (&rng, pen_g, 15, 0.5f);
  double want = 0.0, want_r1 = 0.0;
  for (int i = 0; i < 3; i++) {
    double sq = 0.0;
    for (int j = 0; j < 5; j++)
      sq += (double) pen_g[i * 5 + j] * pen_g[i * 5 + j];
    want += (sqrt (sq) - 1.0) * (sqrt (sq) - 1.0) / 3.0;
    want_r1 += 5.0 * sq / 3.0;
  }
  CHECK (gradcheck_close (gc_gp_coef (pen_g, 3, 5, 1.0f, NULL), want, 1e-6, 0),
      "gp value");
  CHECK (gradcheck_close (gc_r1_coef (pen_g, 3, 5, 10.0f, NULL), want_r1, 1e-6,
          0), "r1 value");
  gradcheck_var v[] = { { "g", pen_g, pen_u, 15 } };
  for (pen_r1 = 0; pen_r1 < 2; pen_r1++) {
    gradcheck_op op = { pen_r1 ? "r1 coef" : "gp coef", pen_value, pen_grad,
        NULL };
    gradcheck_vars (&op, v, 1, 1e-3f, 2e-3, 1e-5);
  }
  /* a zero gradient row: finite coefficient */
  float z[5] = { 0 }, u[5];
  float p = gc_gp_coef (z, 1, 5, 1.0f, u);
  CHECK (p == 1.0f && u[0] == 0.0f && !isnan (u[1]), "gp at g = 0");
}

int
main (void)
{
  gc_rng_seed (&rng, 7);
  test_reconstruction ();
  test_gan_objectives ();
  test_penalty_coefs ();
  if (failures) {
    fprintf (stderr, "%d failures\n", failures);
    return 1;
  }
  printf ("losses ok\n");
  return 0;
}
