/* Resampling: known values (PyTorch's channel order for pixel shuffle,
 * half-pixel bilinear weights), shuffle/unshuffle as inverses, and every
 * backward vs central finite differences on odd sizes, 1 and 2 threads. */
#include "gc_layers.h"
#include "gc_threads.h"
#include "gradcheck.h"

#include <string.h>

typedef int (*fwd_fn) (int r, const gc_tensor *x, gc_tensor *y);
typedef int (*bwd_fn) (int r, const gc_tensor *dy, gc_tensor *dx);

typedef struct {
  fwd_fn fwd;
  int r;
  gc_tensor *x, *y, *w;
} loss_ctx;

static double
op_loss (void *p)
{
  loss_ctx *c = p;
  if (c->fwd (c->r, c->x, c->y) < 0)
    return NAN;
  return gradcheck_dot (c->y->data, c->w->data, gc_tensor_size (c->y));
}

static int
avgpool_fwd (int r, const gc_tensor *x, gc_tensor *y)
{
  return gc_avgpool2_forward (x, y);
}

static const gc_tensor *avgpool_x;

static int
avgpool_bwd (int r, const gc_tensor *dy, gc_tensor *dx)
{
  return gc_avgpool2_backward (avgpool_x, dy, dx);
}

static void
check_resample_op (const char *name, fwd_fn fwd, bwd_fn bwd, int r, int n,
    int c,
    int h, int w, int threads)
{
  char what[160];
  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT, wt = GC_TENSOR_INIT;
  gc_tensor dx = GC_TENSOR_INIT, yp = GC_TENSOR_INIT;
  gc_tensor_resize (&x, n, c, h, w);
  gradcheck_fill (x.data, gc_tensor_size (&x), h * 13 + w, -1, 1);
  gc_set_thread_limit (threads);
  snprintf (what, sizeof what, "%s r%d %dx%dx%dx%d t%d", name, r, n, c, h, w,
      threads);
  REQUIRE (fwd (r, &x, &y) == 0, "%s: forward failed: %s", what,
      gc_last_error ());
  gc_tensor_resize (&wt, y.n, y.c, y.h, y.w);
  gradcheck_fill (wt.data, gc_tensor_size (&wt), c * 7 + r, -1, 1);
  avgpool_x = &x;
  REQUIRE (bwd (r, &wt, &dx) == 0, "%s: backward failed: %s", what,
      gc_last_error ());
  snprintf (what, sizeof what, "%s r%d %dx%dx%dx%d t%d: dx shape", name, r, n,
      c, h, w, threads);
  CHECK (dx.n == x.n && dx.c == x.c && dx.h == x.h && dx.w == x.w, "%s",
      what);
  loss_ctx lc = { fwd, r, &x, &yp, &wt };
  snprintf (what, sizeof what, "%s r%d %dx%dx%dx%d t%d: dx", name, r, n, c, h,
      w, threads);
  gradcheck_entries (what, x.data, gc_tensor_size (&x), dx.data, op_loss, &lc,
      1e-2f, 2e-3, 1e-4, 150);
  gc_set_thread_limit (0);
  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_tensor_free (&wt);
  gc_tensor_free (&dx);
  gc_tensor_free (&yp);
}

static void
check_known_values (void)
{
  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT, z = GC_TENSOR_INIT;

  /* pixel shuffle r=2 of 4 channels 1x1: channel i*2+j lands at (i, j) */
  gc_tensor_resize (&x, 1, 4, 1, 1);
  for (int i = 0; i < 4; i++)
    x.data[i] = (float) (i + 1);
  gc_pixel_shuffle_forward (2, &x, &y);
  CHECK (y.c == 1 && y.h == 2 && y.w == 2 && y.data[0] == 1
      && y.data[1] == 2 && y.data[2] == 3 && y.data[3] == 4,
      "pixel shuffle order: %g %g %g %g", y.data[0], y.data[1], y.data[2],
      y.data[3]);

  /* shuffle then unshuffle is the identity */
  gc_tensor_resize (&x, 2, 18, 5, 7);
  gradcheck_fill (x.data, gc_tensor_size (&x), 5, -1, 1);
  gc_pixel_shuffle_forward (3, &x, &y);
  CHECK (y.c == 2 && y.h == 15 && y.w == 21, "pixel shuffle r3 shape");
  gc_pixel_unshuffle_forward (3, &y, &z);
  CHECK (z.c == 18 && z.h == 5 && z.w == 7, "pixel unshuffle r3 shape");
  gradcheck_compare ("unshuffle (shuffle (x)) == x", z.data, x.data,
      gc_tensor_size (&x), 0, 0);

  /* bilinear x2 of [0, 1] (half-pixel, clamped): 0, .25, .75, 1 */
  gc_tensor_resize (&x, 1, 1, 1, 2);
  x.data[0] = 0;
  x.data[1] = 1;
  gc_upsample_bilinear_forward (2, &x, &y);
  float want[4] = { 0.0f, 0.25f, 0.75f, 1.0f };
  CHECK (y.h == 2 && y.w == 4, "bilinear shape %dx%d", y.h, y.w);
  gradcheck_compare ("bilinear x2 row", y.data, want, 4, 1e-6, 1e-7);
  gradcheck_compare ("bilinear x2 second row", y.data + 4, want, 4, 1e-6,
      1e-7);
  /* x3 of [0, 3]: sources -1/3 (clamped), 0, 1/3, 2/3, 1, 4/3 (clamped) */
  x.data[1] = 3;
  gc_upsample_bilinear_forward (3, &x, &y);
  float want3[6] = { 0, 0, 1, 2, 3, 3 };
  gradcheck_compare ("bilinear x3 row", y.data, want3, 6, 1e-5, 1e-6);

  /* nearest and avgpool undo each other on constant 2x2 blocks */
  gc_tensor_resize (&x, 1, 3, 5, 7);
  gradcheck_fill (x.data, gc_tensor_size (&x), 9, -1, 1);
  gc_upsample_nearest_forward (2, &x, &y);
  CHECK (y.h == 10 && y.w == 14, "nearest shape");
  CHECK (y.data[0] == x.data[0] && y.data[1] == x.data[0]
      && y.data[14] == x.data[0] && y.data[2] == x.data[1],
      "nearest copies each pixel into a 2x2 block");
  gc_avgpool2_forward (&y, &z);
  gradcheck_compare ("avgpool2 (nearest x2 (x)) == x", z.data, x.data,
      gc_tensor_size (&x), 1e-6, 1e-7);

  /* odd avgpool input drops the last row and column */
  gc_tensor_resize (&x, 1, 1, 3, 3);
  for (int i = 0; i < 9; i++)
    x.data[i] = (float) i;
  gc_avgpool2_forward (&x, &y);
  CHECK (y.h == 1 && y.w == 1 && y.data[0] == 2.0f,
      "avgpool2 of 3x3: got %dx%d value %g", y.h, y.w, y.data[0]);

  /* bad shapes are a bug of the caller: abort (check_refusals) */
  gc_tensor bad = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 1, 3, 4, 4);
  CHECK_ABORTS ("pixel_shuffle", gc_pixel_shuffle_forward (2, &x, &bad));
  CHECK_ABORTS ("pixel_unshuffle", gc_pixel_unshuffle_forward (3, &x, &bad));
  CHECK_ABORTS ("upsample_nearest", gc_upsample_nearest_forward (0, &x, &bad));
  CHECK_ABORTS ("upsample_bilinear",
      gc_upsample_bilinear_forward (2, &x, NULL));
  CHECK_ABORTS ("alias", gc_pixel_shuffle_forward (1, &x, &x));
  CHECK_ABORTS ("alias", gc_avgpool2_forward (&x, &x));

  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_tensor_free (&z);
}

/* Each op aborts on a shape no valid call produces, with an error that
 * names the op. */
#define EXPECT_ABORT(op, ...) CHECK_ABORTS (op, __VA_ARGS__)

static void
check_refusals (void)
{
  gc_tensor x = GC_TENSOR_INIT, odd = GC_TENSOR_INIT, tiny = GC_TENSOR_INIT;
  gc_tensor y = GC_TENSOR_INIT, dy = GC_TENSOR_INIT;
  gc_tensor_resize (&x, 1, 3, 4, 4);
  gc_tensor_resize (&odd, 1, 4, 5, 5);
  gc_tensor_resize (&tiny, 1, 2, 1, 3);
  gc_tensor_resize (&dy, 1, 3, 3, 3);

  EXPECT_ABORT ("pixel_shuffle", gc_pixel_shuffle_forward (2, &x, &y));
  EXPECT_ABORT ("pixel_shuffle backward",
      gc_pixel_shuffle_backward (2, &odd, &y));
  EXPECT_ABORT ("pixel_unshuffle", gc_pixel_unshuffle_forward (2, &odd, &y));
  EXPECT_ABORT ("pixel_unshuffle backward",
      gc_pixel_unshuffle_backward (2, &x, &y));
  EXPECT_ABORT ("upsample_nearest", gc_upsample_nearest_forward (0, &x, &y));
  EXPECT_ABORT ("upsample_nearest backward",
      gc_upsample_nearest_backward (2, &odd, &y));
  EXPECT_ABORT ("upsample_bilinear",
      gc_upsample_bilinear_forward (2, &x, &x));
  EXPECT_ABORT ("upsample_bilinear backward",
      gc_upsample_bilinear_backward (2, &odd, &y));
  EXPECT_ABORT ("avgpool2", gc_avgpool2_forward (&tiny, &y));
  EXPECT_ABORT ("avgpool2 backward", gc_avgpool2_backward (&x, &dy, &y));
  EXPECT_ABORT ("avgpool2 backward", gc_avgpool2_backward (&x, NULL, &y));

  gc_tensor_free (&x);
  gc_tensor_free (&odd);
  gc_tensor_free (&tiny);
  gc_tensor_free (&y);
  gc_tensor_free (&dy);
}

int
main (void)
{
  check_known_values ();
  check_refusals ();
  for (int t = 1; t <= 2; t++) {
    check_resample_op ("pixel_shuffle", gc_pixel_shuffle_forward,
        gc_pixel_shuffle_backward, 2, 2, 12, 5, 7, t);
    check_resample_op ("pixel_unshuffle", gc_pixel_unshuffle_forward,
        gc_pixel_unshuffle_backward, 3, 2, 1, 9, 6, t);
    check_resample_op ("upsample_nearest", gc_upsample_nearest_forward,
        gc_upsample_nearest_backward, 3, 2, 3, 5, 7, t);
    check_resample_op ("upsample_bilinear", gc_upsample_bilinear_forward,
        gc_upsample_bilinear_backward, 2, 2, 3, 5, 7, t);
    check_resample_op ("upsample_bilinear", gc_upsample_bilinear_forward,
        gc_upsample_bilinear_backward, 3, 1, 7, 4, 3, t);
    check_resample_op ("avgpool2", avgpool_fwd, avgpool_bwd, 1, 2, 3, 9, 11, t);
  }
  /* big enough to be spread over the pool */
  check_resample_op ("upsample_bilinear", gc_upsample_bilinear_forward,
      gc_upsample_bilinear_backward, 2, 2, 8, 40, 48, 2);
  check_resample_op ("avgpool2", avgpool_fwd, avgpool_bwd, 1, 2, 8, 81, 99, 2);
  return gan_test_report ("test-resample");
}
