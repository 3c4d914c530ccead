/* The conditional style generator and its critic: backward against central
 * differences (input and every parameter), the inference path against the
 * training forward (odd sizes pad by replication, 1 and 2 threads), style
 * blending through the norm rows, and the model-file round trip with the
 * style names; both output heads (0: pixel shuffle, 1: resize on a colour
 * transfer). The colour transfer against double-precision CIELAB. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_style.h"
#include "gcn_style_disc.h"
#include "gan_test.h"

static int
close_enough (double a, double b, double rtol, double atol)
{
  double m = fabs (a) > fabs (b) ? fabs (a) : fabs (b);
  return fabs (a - b) <= atol + rtol * m && !isnan (a) && !isnan (b);
}

static void
perturb (gc_param_list *pl, gc_rng *r, float amount)
{
  /* spread gamma/beta rows apart so every style row gets its own gradient */
  for (int i = 0; i < pl->count; i++) {
    gc_param *p = pl->items[i];
    for (size_t k = 0; k < p->n; k++)
      p->w[k] += amount * gc_rng_normal (r);
  }
}

/* A head 0 or head 1 net; head 1 styles get distinct colour targets. */
static void
style_config (gcn_style_config *cfg, int styles, int ch1, int ch2, int blocks,
    int head)
{
  gcn_style_config c = { styles, ch1, ch2, blocks, head ? 0 : 1, head };
  *cfg = c;
}

static void
set_lab_targets (gcn_style *n)
{
  for (int s = 0; s < n->cfg.styles; s++) {
    float st[GCN_LAB_STATS] = { 40.f + 8 * s, 10.f - 6 * s, 5.f * s - 8,
      15.f + 3 * s, 8.f + s, 12.f - s };
    CHECK (gcn_style_set_lab (n, s, st) == 0, "set_lab");
  }
}

/* ---- generator ------------------------------------------------------------ */

static double
gen_loss (gcn_style *n, const gc_tensor *x, const int *cls,
    const gc_tensor *probe, gcn_style_acts *a)
{
  const gc_tensor *y;
  if (gcn_style_forward (n, x, cls, a, &y) < 0)
    return NAN;
  double s = 0;
  for (size_t i = 0; i < gc_tensor_size (y); i++)
    s += (double) y->data[i] * probe->data[i];
  return s;
}

/* Compare d loss / d v at one float against a central difference.
 * Returns 1 when checked, 0 when skipped near a ReLU kink. */
static int
check_entry (float *v, double analytic, gcn_style *n, const gc_tensor *x,
    const int *cls, const gc_tensor *probe, gcn_style_acts *a,
    const char *what, size_t k, double *worst)
{
  const float eps = 1e-3f;
  float keep = *v;
  *v = keep + eps;
  double lp = gen_loss (n, x, cls, probe, a);
  *v = keep - eps;
  double lm = gen_loss (n, x, cls, probe, a);
  *v = keep + eps / 2;
  double lp2 = gen_loss (n, x, cls, probe, a);
  *v = keep - eps / 2;
  double lm2 = gen_loss (n, x, cls, probe, a);
  *v = keep;
  double num = (lp - lm) / (2 * eps), num2 = (lp2 - lm2) / eps;
  /* a kink inside the interval shows as disagreement between step sizes */
  if (!close_enough (num, num2, 0.02, 2e-3))
    return 0;
  double err = fabs (num - analytic) / (fabs (num) + fabs (analytic) + 1e-2);
  if (err > *worst)
    *worst = err;
  CHECK (close_enough (num, analytic, 0.03, 3e-3),
      "%s[%zu]: numeric %.6f analytic %.6f", what, k, num, analytic);
  return 1;
}

static void
test_generator_gradients (int head)
{
  gc_rng r;
  gc_rng_seed (&r, 11);
  gcn_style_config cfg;
  style_config (&cfg, 3, 4, 8, 1, head);
  gcn_style n;
  CHECK (gcn_style_init (&n, &cfg, &r) == 0, "init: %s", gc_last_error ());
  set_lab_targets (&n);
  perturb (&n.params, &r, 0.1f);

  gc_tensor x = GC_TENSOR_INIT, probe = GC_TENSOR_INIT, dx = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 2, 3, 16, 12);
  gc_rng_fill_uniform (&r, x.data, gc_tensor_size (&x), 0.f, 1.f);
  gc_tensor_resize (&probe, 2, 3, 16, 12);
  gc_rng_fill_normal (&r, probe.data, gc_tensor_size (&probe), 0.f, 1.f);
  int cls[2] = { 2, 0 };

  gcn_style_acts a;
  memset (&a, 0, sizeof a);
  const gc_tensor *y;
  gc_param_list_zero_grad (&n.params);
  CHECK (gcn_style_forward (&n, &x, cls, &a, &y) == 0, "forward: %s",
      gc_last_error ());
  CHECK (y->n == 2 && y->c == 3 && y->h == 16 && y->w == 12, "output shape");
  if (head == 1) {
    /* the colour transfer has no input derivative: a dx is refused */
    CHECK (gcn_style_backward (&n, &a, &probe, &dx) < 0, "head 1 gave a dx");
    gc_param_list_zero_grad (&n.params);
    CHECK (gcn_style_backward (&n, &a, &probe, NULL) == 0, "backward");
  } else {
    CHECK (gcn_style_backward (&n, &a, &probe, &dx) == 0, "backward");
    CHECK (dx.n == 2 && dx.c == 3 && dx.h == 16 && dx.w == 12, "dx shape");
  }

  /* copy the analytic gradients: the numeric passes reuse the net */
  int checked = 0, total = 0;
  double worst = 0;
  for (int i = 0; i < n.params.count; i++) {
    gc_param *p = n.params.items[i];
    float *g = malloc (p->n * sizeof *g);
    memcpy (g, p->g, p->n * sizeof *g);
    int nonzero = 0;
    for (size_t k = 0; k < p->n; k++)
      nonzero |= g[k] != 0.f;
    /* rows of style 1 get no gradient (no item uses it): that is right */
    int is_norm = strstr (p->name, "norm") != NULL;
    CHECK (nonzero, "%s: all-zero gradient", p->name);
    size_t stride = p->n > 12 ? p->n / 12 : 1;
    for (size_t k = 0; k < p->n; k += stride) {
      if (is_norm && p->shape[0] == 3 && (k / p->shape[1]) == 1) {
        CHECK (g[k] == 0.f, "%s[%zu]: unused style row has gradient",
            p->name, k);
        continue;
      }
      total++;
      checked += check_entry (&p->w[k], g[k], &n, &x, cls, &probe, &a,
          p->name, k, &worst);
    }
    free (g);
  }
  gc_tensor dxc = GC_TENSOR_INIT;
  if (head == 0)
    gc_tensor_copy (&dxc, &dx);
  for (size_t k = 0; head == 0 && k < gc_tensor_size (&x); k += 37) {
    total++;
    checked += check_entry (&x.data[k], dxc.data[k], &n, &x, cls, &probe, &a,
        "x", k, &worst);
  }
  CHECK (checked >= total * 8 / 10, "only %d of %d entries checkable",
      checked, total);
  printf ("generator gradcheck (head %d): %d/%d entries, worst rel err "
      "%.2e\n", head, checked, total, worst);

  gc_tensor_free (&dxc);
  gc_tensor_free (&x);
  gc_tensor_free (&probe);
  gc_tensor_free (&dx);
  gcn_style_acts_free (&a);
  gcn_style_free (&n);
}

/* On a larger frame single entries sit too close to ReLU kinks and float
 * noise for central differences; the derivative along one random direction
 * of all parameters and the input at once averages both out. */
static void
test_generator_directional (int head)
{
  gc_rng r;
  gc_rng_seed (&r, 23);
  gcn_style_config cfg;
  style_config (&cfg, 3, 6, 8, 2, head);
  gcn_style n;
  CHECK (gcn_style_init (&n, &cfg, &r) == 0, "init");
  set_lab_targets (&n);
  perturb (&n.params, &r, 0.1f);
  gc_tensor x = GC_TENSOR_INIT, probe = GC_TENSOR_INIT, dx = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 2, 3, 32, 24);
  gc_rng_fill_uniform (&r, x.data, gc_tensor_size (&x), 0.f, 1.f);
  gc_tensor_resize (&probe, 2, 3, 32, 24);
  gc_rng_fill_normal (&r, probe.data, gc_tensor_size (&probe), 0.f, 1.f);
  int cls[2] = { 1, 2 };
  gcn_style_acts a;
  memset (&a, 0, sizeof a);
  const gc_tensor *y;
  gc_param_list_zero_grad (&n.params);
  gcn_style_forward (&n, &x, cls, &a, &y);
  /* head 1: parameters only (no input derivative) */
  gcn_style_backward (&n, &a, &probe, head ? NULL : &dx);
  if (head)
    gc_tensor_resize (&dx, 2, 3, 32, 24), gc_tensor_zero (&dx);
  /* direction d over every parameter and the input; analytic = <grad, d> */
  size_t total = gc_tensor_size (&x);
  for (int i = 0; i < n.params.count; i++)
    total += n.params.items[i]->n;
  float *d = malloc (total * sizeof *d);
  gc_rng_fill_normal (&r, d, total, 0.f, 1.f);
  double analytic = 0;
  size_t k = 0;
  for (int i = 0; i < n.params.count; i++)
    for (size_t j = 0; j < n.params.items[i]->n; j++)
      analytic += (double) n.params.items[i]->g[j] * d[k++];
  for (size_t j = 0; j < gc_tensor_size (&x); j++)
    analytic += (double) dx.data[j] * d[k++];
  double loss[2];
  /* small: the net is strongly curved (norms over few pixels, many ReLU
   * kinks); float noise is still far below the signal at this step */
  const float eps = 1e-4f;
  for (int side = 0; side < 2; side++) {
    float step = side ? -eps : eps;
    k = 0;
    for (int i = 0; i < n.params.count; i++)
      for (size_t j = 0; j < n.params.items[i]->n; j++)
        n.params.items[i]->w[j] += step * d[k++];
    for (size_t j = 0; j < gc_tensor_size (&x); j++)
      x.data[j] += head ? 0.f : step * d[k++];
    loss[side] = gen_loss (&n, &x, cls, &probe, &a);
    k = 0;
    for (int i = 0; i < n.params.count; i++)
      for (size_t j = 0; j < n.params.items[i]->n; j++)
        n.params.items[i]->w[j] -= step * d[k++];
    for (size_t j = 0; j < gc_tensor_size (&x); j++)
      x.data[j] -= head ? 0.f : step * d[k++];
  }
  double numeric = (loss[0] - loss[1]) / (2 * eps);
  printf ("generator directional derivative (32x24, head %d): numeric %.4f "
      "analytic %.4f\n", head, numeric, analytic);
  CHECK (close_enough (numeric, analytic, 0.03, 1e-2),
      "directional derivative: numeric %f analytic %f", numeric, analytic);
  free (d);
  gc_tensor_free (&x);
  gc_tensor_free (&probe);
  gc_tensor_free (&dx);
  gcn_style_acts_free (&a);
  gcn_style_free (&n);
}

/* ---- inference against the training forward -------------------------------- */

/* What inference feeds the network: GCN_STYLE_MARGIN replicated pixels on
 * every side, then replication up to the multiple on the right/bottom. */
static int
clampi (int v, int hi)
{
  return v < 0 ? 0 : (v > hi ? hi : v);
}

static void
replicate_pad (const gc_tensor *src, int pw, int ph, gc_tensor *dst)
{
  const int m = GCN_STYLE_MARGIN;
  gc_tensor_resize (dst, 1, 3, ph, pw);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < pw; x++) {
        int sy = clampi (y - m, src->h - 1), sx = clampi (x - m, src->w - 1);
        dst->data[((size_t) c * ph + y) * pw + x] =
            src->data[((size_t) c * src->h + sy) * src->w + sx];
      }
}

static void
test_inference_matches_forward (int head)
{
  gc_rng r;
  gc_rng_seed (&r, 5);
  gcn_style_config cfg;
  style_config (&cfg, 4, 8, 16, 2, head);
  gcn_style n;
  CHECK (gcn_style_init (&n, &cfg, &r) == 0, "init");
  set_lab_targets (&n);
  perturb (&n.params, &r, 0.1f);
  static const int sizes[][2] = { { 24, 16 }, { 13, 7 }, { 1, 1 }, { 30, 9 } };
  gcn_style_work ws;
  memset (&ws, 0, sizeof ws);
  gcn_style_acts a;
  memset (&a, 0, sizeof a);
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    int w = sizes[si][0], h = sizes[si][1];
    const int m = GCN_STYLE_MARGIN;
    int pw = (w + 2 * m + 3) / 4 * 4, ph = (h + 2 * m + 3) / 4 * 4;
    gc_tensor x = GC_TENSOR_INIT, xp = GC_TENSOR_INIT;
    gc_tensor_resize (&x, 1, 3, h, w);
    gc_rng_fill_uniform (&r, x.data, gc_tensor_size (&x), 0.f, 1.f);
    replicate_pad (&x, pw, ph, &xp);
    for (int threads = 1; threads <= 2; threads++) {
      gc_set_thread_limit (threads);
      int style = (int) (si + threads) % cfg.styles;
      float mix[4] = { 0 };
      mix[style] = 1.f;
      float *out = malloc ((size_t) 3 * w * h * sizeof *out);
      CHECK (gcn_style_infer (&n, x.data, w, h, mix, out, &ws) == 0,
          "infer %dx%d: %s", w, h, gc_last_error ());
      const gc_tensor *y;
      CHECK (gcn_style_forward (&n, &xp, &style, &a, &y) == 0, "forward");
      /* the forward's output cropped, then (head 1) the palette lock */
      float *ref = malloc ((size_t) 3 * w * h * sizeof *ref);
      for (int c = 0; c < 3; c++)
        for (int yy = 0; yy < h; yy++)
          memcpy (ref + ((size_t) c * h + yy) * w,
              y->data + ((size_t) c * ph + yy + m) * pw + m, w * sizeof *ref);
      if (head == 1)
        gcn_lab_match (ref, w, h, GCN_STYLE_STATS_STEP, n.lab[style]);
      double worst = 0;
      for (size_t i = 0; i < (size_t) 3 * w * h; i++)
        worst = fmax (worst, fabs (out[i] - ref[i]));
      free (ref);
      CHECK (worst < 1e-4, "%dx%d, %d threads: inference differs from "
          "forward by %g", w, h, threads, worst);
      /* deterministic: the same frame twice gives the same output */
      float *again = malloc ((size_t) 3 * w * h * sizeof *again);
      gcn_style_infer (&n, x.data, w, h, mix, again, &ws);
      CHECK (memcmp (out, again, (size_t) 3 * w * h * sizeof *out) == 0,
          "%dx%d: same frame, different output", w, h);
      free (again);
      free (out);
    }
    gc_tensor_free (&x);
    gc_tensor_free (&xp);
  }
  gc_set_thread_limit (0);

  /* blending: 50/50 of two styles lies between them and equals neither */
  {
    int w = 20, h = 12;
    float *x = malloc ((size_t) 3 * w * h * sizeof *x);
    float *o0 = malloc ((size_t) 3 * w * h * sizeof *x);
    float *o1 = malloc ((size_t) 3 * w * h * sizeof *x);
    float *om = malloc ((size_t) 3 * w * h * sizeof *x);
    gc_rng_fill_uniform (&r, x, (size_t) 3 * w * h, 0.f, 1.f);
    float m0[4] = { 1, 0, 0, 0 }, m1[4] = { 0, 0, 0, 1 };
    float mm[4] = { 0.5f, 0, 0, 0.5f };
    gcn_style_infer (&n, x, w, h, m0, o0, &ws);
    gcn_style_infer (&n, x, w, h, m1, o1, &ws);
    gcn_style_infer (&n, x, w, h, mm, om, &ws);
    double d01 = 0, d0m = 0, d1m = 0;
    for (int i = 0; i < 3 * w * h; i++) {
      d01 += fabs (o0[i] - o1[i]);
      d0m += fabs (o0[i] - om[i]);
      d1m += fabs (o1[i] - om[i]);
    }
    CHECK (d01 > 1e-3 && d0m > 1e-4 && d1m > 1e-4,
        "styles must differ: %g %g %g", d01, d0m, d1m);
    CHECK (d0m < d01 && d1m < d01, "blend is not between the two styles");
    free (x);
    free (o0);
    free (o1);
    free (om);
  }

  /* bad input is refused, not crashed on */
  float one[3] = { 0.5f, 0.5f, 0.5f }, mix[4] = { 1, 0, 0, 0 };
  CHECK (gcn_style_infer (&n, one, 0, 1, mix, one, &ws) < 0, "w = 0 refused");
  CHECK (gcn_style_infer (&n, NULL, 1, 1, mix, one, &ws) < 0, "NULL refused");
  /* a layer broken after init is a bug of the program: abort */
  float frame[3 * 6 * 5], styled[3 * 6 * 5];
  for (int i = 0; i < 3 * 6 * 5; i++)
    frame[i] = (float) (i % 7) / 7.f;
  n.enc2.cin++;
  CHECK_ABORTS ("conv2d enc2.weight: input has 8 channels",
      gcn_style_infer (&n, frame, 6, 5, mix, styled, &ws));
  n.enc2.cin--;
  CHECK (gcn_style_infer (&n, frame, 6, 5, mix, styled, &ws) == 0,
      "inference after the layer is mended: %s", gc_last_error ());
  gc_tensor bad = GC_TENSOR_INIT;
  gc_tensor_resize (&bad, 1, 3, 6, 8);
  int cls = 0;
  CHECK (gcn_style_forward (&n, &bad, &cls, &a, NULL) < 0,
      "height 6 is not a multiple of 4");
  gc_tensor_resize (&bad, 1, 3, 8, 8);
  cls = 4;
  CHECK (gcn_style_forward (&n, &bad, &cls, &a, NULL) < 0, "style 4 of 4");
  gc_tensor_free (&bad);

  gcn_style_acts_free (&a);
  gcn_style_work_free (&ws);
  gcn_style_free (&n);
}

/* ---- model file round trip ---------------------------------------------- */

static void
test_model_roundtrip (int head)
{
  gc_rng r;
  gc_rng_seed (&r, 3);
  gcn_style_config cfg;
  style_config (&cfg, 3, 4, 8, 1, head);
  gcn_style n, m;
  gcn_style_init (&n, &cfg, &r);
  set_lab_targets (&n);
  perturb (&n.params, &r, 0.1f);
  gcn_style_set_name (&n, 0, "starry_night");
  gcn_style_set_name (&n, 1, "wave");
  gcn_style_set_name (&n, 2, "udnie");
  char *storage;
  const char **kv = gcn_style_meta (&n, &storage);
  void *buf = NULL;
  size_t size = 0;
  CHECK (kv && gc_model_save_mem (&buf, &size, &n.params, kv) == 0,
      "save: %s", gc_last_error ());
  gcn_style_meta_free (kv, storage);
  gc_model_file f;
  CHECK (gc_model_parse (&f, buf, size, "<test>") == 0, "parse: %s",
      gc_last_error ());
  CHECK (gcn_style_load (&m, &f) == 0, "load: %s", gc_last_error ());
  CHECK (m.cfg.styles == 3 && m.cfg.ch1 == 4 && m.cfg.ch2 == 8
      && m.cfg.blocks == 1 && m.cfg.skip == !head && m.cfg.head == head,
      "config round trip");
  CHECK (memcmp (m.lab, n.lab, sizeof (float) * GCN_LAB_STATS * 3) == 0
      || head == 0, "colour targets round trip");
  CHECK (gcn_style_find (&m, "wave") == 1 && gcn_style_find (&m, "udnie") == 2
      && gcn_style_find (&m, "nope") == -1, "style names round trip");
  int w = 9, h = 5;
  float x[3 * 9 * 5], a[3 * 9 * 5], b[3 * 9 * 5], mix[3] = { 0, 1, 0 };
  gc_rng_fill_uniform (&r, x, sizeof x / sizeof x[0], 0.f, 1.f);
  gcn_style_work ws;
  memset (&ws, 0, sizeof ws);
  gcn_style_infer (&n, x, w, h, mix, a, &ws);
  gcn_style_infer (&m, x, w, h, mix, b, &ws);
  CHECK (memcmp (a, b, sizeof a) == 0, "loaded model gives other output");
  gcn_style_work_free (&ws);
  gcn_style_free (&m);
  gc_model_free (&f);

  /* head 1 without (or with broken) colour targets is refused */
  if (head == 1) {
    static const char *const bad[] = { NULL, "1,2,3", "1,2,3,4,5,6,7",
      "x", "1,2,3,4,5,-6,1,2,3,4,5,6,1,2,3,4,5,6",
      "1,2,3,4,5,6,1,2,3,4,5,6,1,2,3,4,5,6,7", "nan,2,3,4,5,6,1,2,3,4,5,6,"
      "1,2,3,4,5,6" };
    free (buf);                 /* the round trip's model */
    buf = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      const char *kv2[] = { "arch", GCN_STYLE_ARCH, "styles", "3", "ch1", "4",
        "ch2", "8", "blocks", "1", "skip", "0", "head", "1",
        bad[i] ? "lab_stats" : NULL, bad[i], NULL };
      gc_model_save_mem (&buf, &size, &n.params, kv2);
      CHECK (gc_model_parse (&f, buf, size, "<bad-lab>") == 0, "parse");
      CHECK (gcn_style_load (&m, &f) < 0, "bad lab_stats %zu accepted", i);
      gc_model_free (&f);
      free (buf);
      buf = NULL;
    }
  }

  /* a model of another architecture is refused with a message */
  const char *other[] = { "arch", "something-else", NULL };
  free (buf);
  gc_model_save_mem (&buf, &size, &n.params, other);
  CHECK (gc_model_parse (&f, buf, size, "<other>") == 0, "parse other");
  CHECK (gcn_style_load (&m, &f) < 0, "wrong arch accepted");
  gc_model_free (&f);
  free (buf);
  gcn_style_free (&n);
}

/* ---- colour transfer -------------------------------------------------------- */

/* Textbook sRGB -> CIELAB (D65) in double precision. */
static void
ref_lab (double r, double g, double b, double *lab)
{
  double c[3] = { r, g, b }, l[3];
  for (int i = 0; i < 3; i++)
    l[i] = c[i] <= 0.04045 ? c[i] / 12.92 : pow ((c[i] + 0.055) / 1.055, 2.4);
  double xyz[3] = {
    (0.4124564 * l[0] + 0.3575761 * l[1] + 0.1804375 * l[2]) / 0.95047,
    0.2126729 * l[0] + 0.7151522 * l[1] + 0.0721750 * l[2],
    (0.0193339 * l[0] + 0.1191920 * l[1] + 0.9503041 * l[2]) / 1.08883 };
  double f[3];
  for (int i = 0; i < 3; i++)
    f[i] = xyz[i] > 216.0 / 24389 ? cbrt (xyz[i])
        : xyz[i] * 841.0 / 108 + 4.0 / 29;
  lab[0] = 116 * f[1] - 16;
  lab[1] = 500 * (f[0] - f[1]);
  lab[2] = 200 * (f[1] - f[2]);
}

static void
test_colour_transfer (void)
{
  gc_rng r;
  gc_rng_seed (&r, 41);
  enum { N = 4000 };
  static float px[3][N], lab[3][N], back[3][N];
  gc_rng_fill_uniform (&r, &px[0][0], 3 * N, 0.f, 1.f);
  px[0][0] = px[1][0] = px[2][0] = 0.f;         /* black and white too */
  px[0][1] = px[1][1] = px[2][1] = 1.f;
  gcn_lab_from_rgb (px[0], px[1], px[2], lab[0], lab[1], lab[2], N);
  double worst = 0, worst_rt = 0;
  for (int i = 0; i < N; i++) {
    double ref[3];
    ref_lab (px[0][i], px[1][i], px[2][i], ref);
    for (int c = 0; c < 3; c++)
      worst = fmax (worst, fabs (ref[c] - lab[c][i]));
  }
  gcn_rgb_from_lab (lab[0], lab[1], lab[2], back[0], back[1], back[2], N);
  for (int i = 0; i < N; i++)
    for (int c = 0; c < 3; c++)
      worst_rt = fmax (worst_rt, fabs (back[c][i] - px[c][i]));
  printf ("CIELAB: worst error %.2e (L/a/b units), round trip %.2e\n", worst,
      worst_rt);
  CHECK (worst < 2e-3, "CIELAB off by %g", worst);
  CHECK (worst_rt < 1e-3, "round trip off by %g", worst_rt);

  /* a transfer to the image's own statistics changes nothing; to other
   * (in-gamut) statistics it lands on them */
  float st[GCN_LAB_STATS], got[GCN_LAB_STATS];
  gcn_lab_stats (&px[0][0], N, 1, 1, st);
  gcn_lab_transfer (px[0], px[1], px[2], back[0], back[1], back[2], N, st, st);
  double id = 0;
  for (int i = 0; i < N; i++)
    for (int c = 0; c < 3; c++)
      id = fmax (id, fabs (back[c][i] - px[c][i]));
  CHECK (id < 1e-3, "identity transfer moved a pixel by %g", id);
  /* a mid-grey picture of moderate spread */
  for (int i = 0; i < N; i++)
    for (int c = 0; c < 3; c++)
      px[c][i] = 0.35f + 0.3f * px[c][i];
  gcn_lab_stats (&px[0][0], N, 1, 1, st);
  const float to[GCN_LAB_STATS] = { 45.f, 8.f, 15.f, 6.f, 4.f, 5.f };
  gcn_lab_transfer (px[0], px[1], px[2], back[0], back[1], back[2], N, st, to);
  gcn_lab_stats (&back[0][0], N, 1, 1, got);
  for (int k = 0; k < GCN_LAB_STATS; k++)
    CHECK (fabs (got[k] - to[k]) < 0.05, "stat %d: %g, wanted %g", k, got[k],
        to[k]);
  /* gcn_lab_match does the same in place, from the image's own statistics
   * (the palette lock of head 1) */
  memcpy (back, px, sizeof back);
  gcn_lab_match (&back[0][0], N, 1, 1, to);
  gcn_lab_stats (&back[0][0], N, 1, 1, got);
  for (int k = 0; k < GCN_LAB_STATS; k++)
    CHECK (fabs (got[k] - to[k]) < 0.05, "match: stat %d: %g, wanted %g", k,
        got[k], to[k]);
  /* a flat frame keeps its noise down: the gain is bounded */
  for (int i = 0; i < N; i++)
    for (int c = 0; c < 3; c++)
      px[c][i] = 0.5f + 1e-4f * (float) (i % 3);
  gcn_lab_stats (&px[0][0], N, 1, 1, st);
  const float wide[GCN_LAB_STATS] = { 50.f, 0.f, 0.f, 30.f, 30.f, 30.f };
  gcn_lab_transfer (px[0], px[1], px[2], back[0], back[1], back[2], N, st,
      wide);
  gcn_lab_stats (&back[0][0], N, 1, 1, got);
  CHECK (got[3] <= st[3] * GCN_LAB_MAX_GAIN * 1.01f + 1e-3f,
      "flat frame spread %g from %g", got[3], st[3]);
}

/* ---- critic --------------------------------------------------------------- */

static double
disc_loss (gcn_style_disc *d, const gc_tensor *x, const int *cls,
    gc_tensor *const *probe, gcn_style_disc_acts *a)
{
  gcn_style_disc_forward (d, x, cls, a);
  double s = 0;
  for (int k = 0; k < d->cfg.scales; k++)
    for (size_t i = 0; i < gc_tensor_size (&a->out[k]); i++)
      s += (double) a->out[k].data[i] * probe[k]->data[i];
  return s;
}

static void
test_disc_gradients (void)
{
  gc_rng r;
  gc_rng_seed (&r, 17);
  gcn_style_disc_config cfg = { 3, 2, 4, 0.2f };
  gcn_style_disc d;
  CHECK (gcn_style_disc_init (&d, &cfg, &r) == 0, "disc init: %s",
      gc_last_error ());
  gc_tensor x = GC_TENSOR_INIT, dx = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 2, 3, 16, 16);
  gc_rng_fill_uniform (&r, x.data, gc_tensor_size (&x), 0.f, 1.f);
  int cls[2] = { 1, 2 };
  gcn_style_disc_acts a;
  memset (&a, 0, sizeof a);
  CHECK (gcn_style_disc_forward (&d, &x, cls, &a) == 0, "disc forward: %s",
      gc_last_error ());
  gc_tensor probes[2] = { GC_TENSOR_INIT, GC_TENSOR_INIT };
  gc_tensor *pp[2] = { &probes[0], &probes[1] };
  for (int k = 0; k < 2; k++) {
    gc_tensor_resize (&probes[k], a.out[k].n, 1, a.out[k].h, a.out[k].w);
    gc_rng_fill_normal (&r, probes[k].data, gc_tensor_size (&probes[k]), 0, 1);
  }
  CHECK (a.out[0].h == 4 && a.out[1].h == 2, "patch map sizes %d %d",
      a.out[0].h, a.out[1].h);
  gc_param_list_zero_grad (&d.params);
  CHECK (gcn_style_disc_backward (&d, &a, pp, &dx) == 0, "disc backward");
  double worst = 0;
  const float eps = 1e-3f;
  int checked = 0;
  for (size_t k = 0; k < gc_tensor_size (&x); k += 29) {
    float keep = x.data[k];
    double an = dx.data[k];
    x.data[k] = keep + eps;
    double lp = disc_loss (&d, &x, cls, pp, &a);
    x.data[k] = keep - eps;
    double lm = disc_loss (&d, &x, cls, pp, &a);
    x.data[k] = keep;
    double num = (lp - lm) / (2 * eps);
    double err = fabs (num - an) / (fabs (num) + fabs (an) + 1e-2);
    if (err > worst)
      worst = err;
    checked++;
    CHECK (close_enough (num, an, 0.03, 2e-3), "disc dx[%zu]: %f vs %f", k,
        num, an);
  }
  /* a head weight of an unused style channel (0) gets no gradient, one of
   * a used style does */
  gc_param *head = &d.conv[0][3].weight;
  size_t per = head->n / 3;
  double g0 = 0, g1 = 0;
  for (size_t k = 0; k < per; k++) {
    g0 += fabs (head->g[k]);
    g1 += fabs (head->g[per + k]);
  }
  CHECK (g0 == 0 && g1 > 0, "style channels: unused %g used %g", g0, g1);
  printf ("critic gradcheck: %d entries, worst rel err %.2e\n", checked,
      worst);
  /* spectral norm keeps the weights' largest singular value near 1 */
  for (int it = 0; it < 30; it++) {
    gcn_style_disc_sn_begin (&d, 1);
    gcn_style_disc_sn_end (&d);
  }
  gcn_style_disc_sn_begin (&d, 0);
  CHECK (fabsf (d.sn[0][1].sigma) > 0 && isfinite (d.sn[0][1].sigma),
      "sigma %f", d.sn[0][1].sigma);
  gcn_style_disc_sn_end (&d);
  for (int k = 0; k < 2; k++)
    gc_tensor_free (&probes[k]);
  gc_tensor_free (&x);
  gc_tensor_free (&dx);
  gcn_style_disc_acts_free (&a);
  gcn_style_disc_free (&d);
}

int
main (void)
{
  gc_set_default_threads (2);
  test_colour_transfer ();
  for (int head = 0; head <= 1; head++) {
    test_generator_gradients (head);
    test_generator_directional (head);
    test_inference_matches_forward (head);
    test_model_roundtrip (head);
  }
  test_disc_gradients ();
  if (failures)
    fprintf (stderr, "test_style_net: %d check(s) failed\n", failures);
  else
    printf ("test_style_net: all checks passed\n");
  return failures ? 1 : 0;
}
