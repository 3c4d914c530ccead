/* The style evaluation measures (bench/style/style_measures.c) on images
 * with known answers: an image against itself scores zero distance and
 * full SSIM, a period-2 pattern added to a photo-like image is a grid peak
 * that the image itself does not have, blurring lowers the edge SSIM, and
 * the texture distance grows with a change of texture. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gc_core.h"
#include "style_measures.h"
#include "gan_test.h"

enum { W = 320, H = 256 };

/* Smooth random blobs plus mild noise: photo-like, no periodic structure. */
static void
make_photo (gc_rng *r, float *img)
{
  float cx[12], cy[12], rad[12], col[12][3];
  for (int k = 0; k < 12; k++) {
    cx[k] = gc_rng_uniform (r) * W;
    cy[k] = gc_rng_uniform (r) * H;
    rad[k] = 20 + 60 * gc_rng_uniform (r);
    for (int c = 0; c < 3; c++)
      col[k][c] = gc_rng_uniform (r);
  }
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++) {
        float v = 0.3f, wsum = 1.f;
        for (int k = 0; k < 12; k++) {
          float d2 = ((x - cx[k]) * (x - cx[k]) + (y - cy[k]) * (y - cy[k]))
              / (rad[k] * rad[k]);
          float wgt = 4.f / (1.f + d2 * d2 * d2);
          v += wgt * col[k][c];
          wsum += wgt;
        }
        img[((size_t) c * H + y) * W + x] = v / wsum + 0.01f * gc_rng_normal (r);
      }
}

int
main (void)
{
  gc_rng r;
  gc_rng_seed (&r, 9);
  size_t n = (size_t) 3 * W * H;
  float *a = malloc (n * sizeof *a), *b = malloc (n * sizeof *b);
  make_photo (&r, a);

  double fa[SM_TEX_DIM], fb[SM_TEX_DIM];
  sm_texture_stats (a, W, H, fa);
  CHECK (sm_texture_dist (fa, fa) == 0.0, "texture distance to itself");
  CHECK (sm_colour_swd (a, W, H, a, W, H) < 1e-9, "colour distance to itself");
  CHECK (fabs (sm_edge_ssim (a, a, W, H) - 1.0) < 1e-6, "SSIM to itself");
  double db, share;
  sm_grid (a, a, W, H, &db, &share);
  CHECK (db == 0.0 && share == 0.0, "grid of itself: %g dB, %g", db, share);

  /* a checkerboard of amplitude 0.03: periods 2 in x and y */
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        size_t i = ((size_t) c * H + y) * W + x;
        b[i] = a[i] + (((x + y) & 1) ? 0.03f : -0.03f);
      }
  sm_grid (b, a, W, H, &db, &share);
  printf ("checkerboard: grid peak %+.1f dB, new-peak power %.1f %%\n", db,
      100 * share);
  CHECK (db > 10.0 && share > 0.05, "checkerboard not found: %g dB, %g", db,
      share);
  sm_texture_stats (b, W, H, fb);
  CHECK (sm_texture_dist (fa, fb) > 0.05, "texture change not seen");

  /* a shift of colour is a colour distance, and the edges stay */
  for (size_t i = 0; i < n; i++)
    b[i] = a[i] + (i < n / 3 ? 0.1f : 0.f);
  CHECK (sm_colour_swd (a, W, H, b, W, H) > 2.0, "red shift not seen");
  CHECK (sm_edge_ssim (b, a, W, H) > 0.99, "a colour shift moved the edges");
  /* a flat grey image has none of the photo's edges */
  for (size_t i = 0; i < n; i++)
    b[i] = 0.5f;
  CHECK (sm_edge_ssim (b, a, W, H) < 0.2, "flat image keeps edges: %g",
      sm_edge_ssim (b, a, W, H));
  free (a);
  free (b);
  if (failures)
    fprintf (stderr, "test_style_measures: %d check(s) failed\n", failures);
  else
    printf ("test_style_measures: all checks passed\n");
  return failures ? 1 : 0;
}
