/* WGAN-GP and R1: the exact parameter gradient of the penalty (JVP along
 * u = dP/dg, then a backward of the tangent network) against central
 * differences of the penalty itself, evaluated in double precision. */
#include "gradcheck.h"
#include "toy_mlp.h"

enum { N = 6, DIM = 3, MAXW = 64 };

static gc_rng rng;

/* Penalty of the critic at x in double: forward, input gradient through
 * the activation masks, then (||g|| - 1)^2 or gamma/2 ||g||^2, averaged.
 * The masks are written to `masks` so flips can be detected. */
static double
penalty_ref (const toy_mlp *m, const float *x, int r1, double gamma,
    unsigned char *masks)
{
  double total = 0.0;
  int mk = 0;
  for (int i = 0; i < N; i++) {
    double h[MAXW], a[TOY_MLP_MAX][MAXW];
    int width[TOY_MLP_MAX + 1];
    width[0] = DIM;
    for (int j = 0; j < DIM; j++)
      h[j] = x[i * DIM + j];
    for (int l = 0; l < m->nl; l++) {
      const gc_dense *d = &m->layer[l];
      width[l + 1] = d->out;
      for (int o = 0; o < d->out; o++) {
        double s = d->bias.w[o];
        for (int k = 0; k < d->in; k++)
          s += (double) d->weight.w[o * d->in + k] * h[k];
        a[l][o] = s;
      }
      for (int o = 0; o < d->out; o++) {
        int pos = a[l][o] > 0.0;
        if (l < m->nl - 1)
          masks[mk++] = (unsigned char) pos;
        h[o] = l < m->nl - 1 ? (pos ? a[l][o] : m->slope * a[l][o]) : a[l][o];
      }
    }
    /* g = dD/dx: backward from the single output */
    double delta[MAXW], e[MAXW];
    delta[0] = 1.0;
    for (int l = m->nl - 1; l >= 0; l--) {
      const gc_dense *d = &m->layer[l];
      for (int k = 0; k < d->in; k++) {
        double s = 0.0;
        for (int o = 0; o < d->out; o++)
          s += (double) d->weight.w[o * d->in + k] * delta[o];
        e[k] = s;
      }
      for (int k = 0; k < d->in; k++)
        delta[k] = l > 0 ? (a[l - 1][k] > 0.0 ? e[k] : m->slope * e[k])
            : e[k];
    }
    double sq = 0.0;
    for (int j = 0; j < width[0]; j++)
      sq += delta[j] * delta[j];
    total += r1 ? 0.5 * gamma * sq : (sqrt (sq) - 1.0) * (sqrt (sq) - 1.0);
  }
  return total / N;
}

static void
check_penalty (const char *name, int r1)
{
  toy_mlp m;
  int dims[] = { DIM, 13, 7, 1 };
  toy_mlp_init (&m, "critic", dims, 3, GC_ACT_LEAKY_RELU, 0.2f, &rng);
  for (int l = 0; l < m.nl; l++)
    gradcheck_fill_normal (&rng, m.layer[l].bias.w, m.layer[l].out, 0.3f);
  gc_param_list pl = { 0 };
  toy_mlp_params (&m, &pl);
  gc_tensor x = GC_TENSOR_INIT, g = GC_TENSOR_INIT, u = GC_TENSOR_INIT;
  gc_tensor_resize (&x, N, DIM, 1, 1);
  gradcheck_fill_normal (&rng, x.data, N * DIM, 1.0f);
  const double gamma = 10.0;

  /* analytic, as a training step does it */
  gc_param_list_zero_grad (&pl);
  toy_mlp_input_grad (&m, &x, &g);
  gc_tensor_resize (&u, N, DIM, 1, 1);
  float p = r1 ? gc_r1_coef (g.data, N, DIM, (float) gamma, u.data)
      : gc_gp_coef (g.data, N, DIM, 1.0f, u.data);
  for (int l = 0; l < m.nl; l++)
    for (size_t i = 0; i < m.layer[l].weight.n; i++)
      CHECK (!isnan (m.layer[l].weight.g[i])
          && m.layer[l].weight.g[i] == 0.0f,
          "%s: input gradient touched the parameter gradients", name);
  toy_mlp_penalty_backward (&m, &u, 1.0f);

  unsigned char base[N * 64], plus[N * 64], minus[N * 64];
  double p_ref = penalty_ref (&m, x.data, r1, gamma, base);
  CHECK (gradcheck_close (p, p_ref, 1e-5, 1e-7),
      "%s: value %g, double %g", name, p, p_ref);

  int masks = N * (13 + 7), checked = 0, skipped = 0, bad = 0;
  double worst = 0.0, scale = 0.0;
  const double eps = 1e-3;
  for (int pi = 0; pi < pl.count; pi++) {
    gc_param *q = pl.items[pi];
    int is_bias = strstr (q->name, "bias") != NULL;
    for (size_t i = 0; i < q->n; i++) {
      float keep = q->w[i];
      q->w[i] = (float) (keep + eps);
      double lp = penalty_ref (&m, x.data, r1, gamma, plus);
      q->w[i] = (float) (keep - eps);
      double lm = penalty_ref (&m, x.data, r1, gamma, minus);
      q->w[i] = keep;
      /* a mask flip inside the step would measure another linear piece */
      if (memcmp (base, plus, masks) || memcmp (base, minus, masks)) {
        skipped++;
        continue;
      }
      /* the perturbation actually applied, in float */
      double h = ((double) (float) (keep + eps) - (double) (float) (keep
              - eps));
      double num = (lp - lm) / h;
      double ana = q->g[i];
      checked++;
      scale = fmax (scale, fabs (num));
      worst = fmax (worst, fabs (num - ana));
      if (is_bias ? !(ana == 0.0 && fabs (num) < 1e-6)
          : !gradcheck_close (ana, num, 2e-3, 1e-5)) {
        if (bad++ < 5)
          fprintf (stderr, "FAIL %s: d/d%s[%zu] analytic %.7g numeric %.7g\n",
              name, q->name, i, ana, num);
      }
    }
  }
  failures += bad;
  CHECK (skipped * 20 < checked, "%s: %d of %d coordinates flipped a mask",
      name, skipped, checked + skipped);
  CHECK (scale > 1e-2, "%s: the penalty gradient is trivially small (%g)",
      name, scale);
  printf ("%-8s penalty %.6f: %d params checked (%d skipped), max |grad| %.3g,"
      " max abs err %.3g%s\n", name, p, checked, skipped, scale, worst,
      bad ? "  <-- FAIL" : "");
  gc_tensor_free (&x);
  gc_tensor_free (&g);
  gc_tensor_free (&u);
  gc_param_list_free (&pl);
  toy_mlp_free (&m);
}

int
main (void)
{
  gc_rng_seed (&rng, 1234);
  check_penalty ("WGAN-GP", 0);
  check_penalty ("R1", 1);
  if (failures) {
    fprintf (stderr, "%d failures\n", failures);
    return 1;
  }
  printf ("penalty gradients are exact\n");
  return 0;
}
