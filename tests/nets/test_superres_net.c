/* The super-resolution generator: backward against central differences,
 * streaming inference against the training forward (odd sizes, 1 and 2
 * threads), the untrained skip against MATLAB bicubic, model round trip. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_resize.h"
#include "gcn_superres.h"
#include "gan_test.h"

/* Loss = sum (hr * probe): its gradient w.r.t. hr is the probe. */
static double
probe_loss (gcn_superres *n, const gc_tensor *lr, const gc_tensor *probe,
    gcn_superres_acts *c)
{
  gc_tensor hr = GC_TENSOR_INIT;
  gcn_superres_forward (n, lr, &hr, c);
  double s = 0;
  for (size_t i = 0; i < gc_tensor_size (&hr); i++)
    s += (double) hr.data[i] * probe->data[i];
  gc_tensor_free (&hr);
  return s;
}

static void
gradcheck (void)
{
  gc_rng r;
  gc_rng_seed (&r, 7);
  gcn_superres n;
  CHECK (gcn_superres_init (&n, 2, 3, 1, &r) == 0, "init");
  /* Perturb everything so no gradient is trivially zero. */
  for (int i = 0; i < n.params.count; i++) {
    gc_param *p = n.params.items[i];
    for (size_t k = 0; k < p->n; k++)
      p->w[k] += 0.3f * gc_rng_normal (&r);
  }
  gc_tensor lr = GC_TENSOR_INIT, probe = GC_TENSOR_INIT, hr = GC_TENSOR_INIT;
  gc_tensor_resize (&lr, 2, 1, 5, 4);
  gc_rng_fill_uniform (&r, lr.data, gc_tensor_size (&lr), 0.f, 1.f);
  gc_tensor_resize (&probe, 2, 1, 10, 8);
  gc_rng_fill_normal (&r, probe.data, gc_tensor_size (&probe), 0.f, 1.f);
  gcn_superres_acts c = { 0 };
  gc_param_list_zero_grad (&n.params);
  gcn_superres_forward (&n, &lr, &hr, &c);
  CHECK (hr.n == 2 && hr.c == 1 && hr.h == 10 && hr.w == 8, "hr shape");
  gcn_superres_backward (&n, &c, &probe);

  int checked = 0, kinks = 0;
  double worst = 0;
  for (int i = 0; i < n.params.count; i++) {
    gc_param *p = n.params.items[i];
    /* a few entries of every parameter */
    for (size_t k = 0; k < p->n; k += 1 + p->n / 4) {
      float keep = p->w[k];
      double num[2];
      for (int e = 0; e < 2; e++) {
        float eps = e ? 5e-3f : 1e-2f;
        p->w[k] = keep + eps;
        double lp = probe_loss (&n, &lr, &probe, &c);
        p->w[k] = keep - eps;
        double lm = probe_loss (&n, &lr, &probe, &c);
        p->w[k] = keep;
        num[e] = (lp - lm) / (2 * eps);
      }
      /* Two step sizes disagreeing means a PReLU kink lies within the
       * step: the difference quotient is meaningless there. */
      if (fabs (num[0] - num[1]) > 1e-2 * fmax (1.0, fabs (num[1]))) {
        kinks++;
        continue;
      }
      double ana = p->g[k];
      double err = fabs (num[1] - ana) / fmax (1.0, fabs (num[1]));
      worst = fmax (worst, err);
      CHECK (err < 1e-2, "%s[%zu]: numeric %g analytic %g", p->name, k,
          num[1], ana);
      checked++;
    }
  }
  CHECK (checked > 20 && kinks * 5 < checked, "only %d entries checked, %d "
      "skipped", checked, kinks);
  fprintf (stderr, "gradcheck: %d entries (%d at kinks skipped), worst "
      "relative error %.2e\n", checked, kinks, worst);
  gcn_superres_acts_free (&c);
  gc_tensor_free (&lr);
  gc_tensor_free (&probe);
  gc_tensor_free (&hr);
  gcn_superres_free (&n);
}

/* gcn_superres_run equals the batch forward on odd sizes, any threads. */
static void
run_matches_forward (int scale, int w, int h, int threads)
{
  gc_rng r;
  gc_rng_seed (&r, 100 + scale);
  gcn_superres n;
  CHECK (gcn_superres_init (&n, scale, 5, 2, &r) == 0, "init");
  for (size_t k = 0; k < n.tail.weight.n; k++)
    n.tail.weight.w[k] += 0.2f * gc_rng_normal (&r);
  for (int i = 0; i < 2; i++)
    for (size_t k = 0; k < n.mid[i].bias.n; k++)
      n.mid[i].bias.w[k] = 0.1f * gc_rng_normal (&r);
  gc_tensor lr = GC_TENSOR_INIT, hr = GC_TENSOR_INIT;
  gc_tensor_resize (&lr, 1, 1, h, w);
  gc_rng_fill_uniform (&r, lr.data, gc_tensor_size (&lr), 0.f, 1.f);
  gcn_superres_acts c = { 0 };
  gcn_superres_forward (&n, &lr, &hr, &c);

  int W = w * scale, H = h * scale, stride = W + 3;
  float *out = calloc ((size_t) stride * H, sizeof (float));
  gc_set_thread_limit (threads);
  CHECK (gcn_superres_run (&n, lr.data, w, h, w, out, stride) == 0, "run");
  gc_set_thread_limit (0);
  double worst = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      worst = fmax (worst, fabs (out[(size_t) y * stride + x]
              - hr.data[(size_t) y * W + x]));
  CHECK (worst < 1e-5, "x%d %dx%d threads %d: run differs from forward by %g",
      scale, w, h, threads, worst);
  free (out);
  gcn_superres_acts_free (&c);
  gc_tensor_free (&lr);
  gc_tensor_free (&hr);
  gcn_superres_free (&n);
}

/* With the body silenced the net is exactly MATLAB's bicubic upscale. */
static void
skip_is_bicubic (int scale)
{
  gcn_superres n;
  CHECK (gcn_superres_init (&n, scale, 4, 1, NULL) == 0, "init");
  memset (n.tail.weight.w, 0, sizeof (float) * n.tail.weight.n);
  int w = 9, h = 6, W = w * scale, H = h * scale;
  float in[9 * 6], *a = malloc (sizeof (float) * W * H),
      *b = malloc (sizeof (float) * W * H);
  for (int i = 0; i < w * h; i++)
    in[i] = (float) ((i * 37) % 11) / 10.f;
  CHECK (gcn_superres_run (&n, in, w, h, w, a, W) == 0, "run");
  CHECK (gcn_imresize_bicubic (in, w, h, w, b, W, H, W) == 0, "resize");
  double worst = 0;
  for (int i = 0; i < W * H; i++)
    worst = fmax (worst, fabs (a[i] - b[i]));
  CHECK (worst < 1e-5, "x%d: untrained net differs from bicubic by %g", scale,
      worst);
  free (a);
  free (b);
  gcn_superres_free (&n);
}

/* The 8-bit entry point is the float one with the conversions fused. */
static void
u8_matches_float (void)
{
  gc_rng r;
  gc_rng_seed (&r, 21);
  gcn_superres n;
  CHECK (gcn_superres_init (&n, 3, 8, 1, &r) == 0, "init");
  for (size_t k = 0; k < n.tail.weight.n; k++)
    n.tail.weight.w[k] += 0.02f * gc_rng_normal (&r);
  int w = 11, h = 6, W = 33, H = 18, ss = 13, ds = 35;
  uint8_t in[13 * 6], out[35 * 18];
  float fin[11 * 6], fout[33 * 18];
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      in[y * ss + x] = (uint8_t) ((x * 53 + y * 97) % 256);
      fin[y * w + x] = in[y * ss + x] / 255.f;
    }
  CHECK (gcn_superres_run_u8 (&n, in, w, h, ss, out, ds) == 0, "run_u8");
  CHECK (gcn_superres_run (&n, fin, w, h, w, fout, W) == 0, "run");
  int bad = 0, clipped = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      float v = fout[y * W + x] * 255.f;
      int want = v <= 0.f ? 0 : v >= 255.f ? 255 : (int) (v + 0.5f);
      bad += out[y * ds + x] != want;
      clipped += want == 0 || want == 255;
    }
  CHECK (bad == 0, "%d of %d pixels differ", bad, W * H);
  CHECK (clipped < W * H / 2, "test image saturates (%d)", clipped);
  CHECK (gcn_superres_run_u8 (&n, in, w, h, ss, out, 20) < 0,
      "short output stride accepted");
  gcn_superres_free (&n);
}

static void
model_roundtrip (void)
{
  gc_rng r;
  gc_rng_seed (&r, 3);
  gcn_superres a, b;
  CHECK (gcn_superres_init (&a, 3, 6, 2, &r) == 0, "init");
  const char *kv[16];
  char buf[64];
  gcn_superres_meta (&a, kv, buf);
  void *mem = NULL;
  size_t size = 0;
  CHECK (gc_model_save_mem (&mem, &size, &a.params, kv) == 0, "save: %s",
      gc_last_error ());
  gc_model_file m = { 0 };
  CHECK (gc_model_parse (&m, mem, size, "roundtrip.safetensors") == 0,
      "parse: %s", gc_last_error ());
  CHECK (gcn_superres_load (&b, &m, 2) < 0, "wrong scale accepted");
  CHECK (strstr (gc_last_error (), "roundtrip.safetensors")
      && strstr (gc_last_error (), "scale"), "message: %s", gc_last_error ());
  CHECK (gcn_superres_load (&b, &m, 3) == 0, "load: %s",
      gc_last_error ());
  CHECK (b.channels == 6 && b.n_mid == 2 && b.scale == 3, "arch");
  CHECK (memcmp (a.tail.weight.w, b.tail.weight.w,
          sizeof (float) * a.tail.weight.n) == 0, "weights differ");
  gc_model_free (&m);
  gcn_superres_free (&b);
  gcn_superres_free (&a);
  free (mem);

  /* Bad architectures are refused with a message. */
  CHECK (gcn_superres_init (&a, 5, 8, 1, NULL) < 0, "scale 5 accepted");
  CHECK (gcn_superres_init (&a, 2, 8, 99, NULL) < 0, "99 layers accepted");
}

int
main (void)
{
  gradcheck ();
  int sizes[][2] = { { 13, 7 }, { 1, 1 }, { 2, 5 }, { 31, 4 } };
  for (int s = 2; s <= 4; s++)
    for (int i = 0; i < 4; i++)
      for (int t = 1; t <= 2; t++)
        run_matches_forward (s, sizes[i][0], sizes[i][1], t);
  for (int s = 2; s <= 4; s++)
    skip_is_bicubic (s);
  u8_matches_float ();
  model_roundtrip ();
  if (failures)
    fprintf (stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
