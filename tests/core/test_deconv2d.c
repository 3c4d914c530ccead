/* Transposed conv2d: forward vs the naive scatter reference (1 and 2
 * threads), backward vs central finite differences for dx, weight, bias,
 * on odd shapes, output padding, groups and a single channel. */
#include "gc_layers.h"
#include "gc_threads.h"
#include "gradcheck.h"

typedef struct {
  int cin, cout, k, stride, pad, opad, groups, bias;
  int n, h, w;
} deconv_case;

typedef struct {
  gc_deconv2d *l;
  gc_tensor *x, *y, *r;
} loss_ctx;

static double
deconv_loss (void *p)
{
  loss_ctx *c = p;
  gc_deconv2d_forward (c->l, c->x, c->y);
  return gradcheck_dot (c->y->data, c->r->data, gc_tensor_size (c->y));
}

static void
name_case (char *buf, size_t len, const deconv_case *c, const char *what)
{
  snprintf (buf, len, "deconv2d %d->%d k%d s%d p%d op%d g%d b%d on %dx%dx%d: %s",
      c->cin, c->cout, c->k, c->stride, c->pad, c->opad, c->groups, c->bias,
      c->n, c->h, c->w, what);
}

static void
run_case (const deconv_case *cs)
{
  char what[200];
  gc_rng rng;
  gc_rng_seed (&rng, 99 + cs->cin * 7 + cs->cout);
  gc_deconv2d l;
  int rc = gc_deconv2d_init (&l, "d", cs->cin, cs->cout, cs->k, cs->stride,
      cs->pad, cs->opad, cs->groups, cs->bias, &rng);
  name_case (what, sizeof what, cs, "init");
  CHECK (rc == 0, "%s: %s", what, gc_last_error ());
  if (rc)
    return;
  if (cs->bias)
    gc_rng_fill_uniform (&rng, l.bias.w, l.bias.n, -0.5f, 0.5f);

  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT, yref = GC_TENSOR_INIT;
  gc_tensor r = GC_TENSOR_INIT, dx = GC_TENSOR_INIT, yp = GC_TENSOR_INIT;
  gc_tensor_resize (&x, cs->n, cs->cin, cs->h, cs->w);
  gc_rng_fill_uniform (&rng, x.data, gc_tensor_size (&x), -1, 1);

  gc_deconv2d_forward_ref (&l, &x, &yref);
  int oh = (cs->h - 1) * cs->stride - 2 * cs->pad + cs->k + cs->opad;
  int ow = (cs->w - 1) * cs->stride - 2 * cs->pad + cs->k + cs->opad;
  name_case (what, sizeof what, cs, "reference shape");
  CHECK (yref.n == cs->n && yref.c == cs->cout && yref.h == oh
      && yref.w == ow, "%s: got %dx%d want %dx%d", what, yref.h, yref.w, oh,
      ow);
  for (int threads = 1; threads <= 2; threads++) {
    gc_set_thread_limit (threads);
    gc_deconv2d_forward (&l, &x, &y);
    name_case (what, sizeof what, cs, threads == 1 ? "forward vs ref t1"
        : "forward vs ref t2");
    CHECK (y.n == yref.n && y.c == yref.c && y.h == yref.h
        && y.w == yref.w, "%s: shape", what);
    gradcheck_compare (what, y.data, yref.data, gc_tensor_size (&yref), 1e-4,
        1e-5);
  }

  gc_tensor_resize (&r, y.n, y.c, y.h, y.w);
  gc_rng_fill_uniform (&rng, r.data, gc_tensor_size (&r), -1, 1);
  gc_set_thread_limit (2);
  gc_deconv2d_backward (&l, &x, &r, &dx);
  name_case (what, sizeof what, cs, "dx shape");
  CHECK (dx.n == x.n && dx.c == x.c && dx.h == x.h && dx.w == x.w,
      "%s", what);
  loss_ctx lc = { &l, &x, &yp, &r };
  name_case (what, sizeof what, cs, "dx");
  gradcheck_entries (what, x.data, gc_tensor_size (&x), dx.data, deconv_loss,
      &lc, 1e-2f, 2e-3, 1e-3, 60);
  name_case (what, sizeof what, cs, "dweight");
  gradcheck_entries (what, l.weight.w, l.weight.n, l.weight.g, deconv_loss,
      &lc, 1e-2f, 2e-3, 1e-3, 60);
  if (cs->bias) {
    name_case (what, sizeof what, cs, "dbias");
    gradcheck_entries (what, l.bias.w, l.bias.n, l.bias.g, deconv_loss, &lc,
        1e-2f, 2e-3, 1e-3, 60);
  }
  gc_set_thread_limit (0);

  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_tensor_free (&yref);
  gc_tensor_free (&r);
  gc_tensor_free (&dx);
  gc_tensor_free (&yp);
  gc_deconv2d_free (&l);
}

int
main (void)
{
  static const deconv_case cases[] = {
    /* cin cout k s p op g bias n h w */
    { 3, 7, 4, 2, 1, 0, 1, 1, 2, 5, 7 },     /* the usual 2x upsampler */
    { 7, 3, 3, 2, 1, 1, 1, 0, 3, 5, 7 },     /* output padding */
    { 13, 7, 3, 1, 1, 0, 1, 1, 1, 9, 11 },   /* stride 1 */
    { 3, 7, 3, 1, 1, 0, 1, 1, 2, 5, 7 },     /* stride 1, few inputs: plane */
    { 2, 5, 5, 1, 0, 0, 1, 0, 1, 6, 9 },     /* stride 1, no padding */
    { 7, 1, 5, 3, 2, 2, 1, 1, 2, 4, 5 },     /* one output channel, stride 3 */
    { 1, 3, 4, 2, 1, 0, 1, 1, 2, 5, 7 },     /* one input channel */
    { 6, 9, 4, 2, 1, 0, 3, 1, 2, 5, 7 },     /* grouped */
    { 7, 7, 3, 2, 1, 1, 7, 0, 2, 5, 7 },     /* depthwise */
    { 16, 8, 4, 2, 1, 0, 1, 1, 1, 24, 32 },  /* larger, several bands */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    run_case (&cases[i]);

  gc_deconv2d l;
  CHECK (gc_deconv2d_init (&l, "bad", 4, 4, 3, 2, 1, 2, 1, 1, NULL) < 0,
      "init accepts output_pad >= stride");
  CHECK (gc_deconv2d_init (&l, "ok", 4, 4, 3, 2, 1, 1, 1, 1, NULL) == 0,
      "init rejects a valid layer");
  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 1, 3, 4, 4);
  gc_tensor_zero (&x);
  CHECK_ABORTS ("input has 3 channels, layer expects 4",
      gc_deconv2d_forward (&l, &x, &y));
  gc_tensor_free (&x);
  gc_deconv2d_free (&l);
  return gan_test_report ("test-deconv2d");
}
