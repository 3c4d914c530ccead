/* The shipped style model leaves no seam along the frame's edges. The
 * stride-2 encoder sees zero padding on the left and top only, and the
 * dilated blocks carry that border into the picture unless inference pads
 * the frame far enough (GCN_STYLE_MARGIN). The test stylises a picture and
 * a crop of it: away from its edges the crop's output matches the
 * picture's (up to the small change of the frame statistics), and its edge
 * columns and rows must match about as well. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan_test.h"
#include "gc_core.h"
#include "gcn_style.h"

#define PW 400                  /* the picture */
#define PH 260
#define OFF 40                  /* the crop: PW - 2 OFF by PH - 2 OFF */
#define EDGE 4                  /* outermost columns/rows checked */
#define INNER 24                /* lines this far in are the interior */
/* in 8-bit levels, mean absolute difference of an edge line beyond that of
 * the interior. Some of it is real: past the crop's edge the picture goes
 * on, while inference replicates the edge pixels. Measured on the shipped
 * model, worst style: 14.0 with a 32-pixel margin, 11.6 with 48, 10.7 with
 * 64, and 51.0 (the left edge) with 16, where the seam showed. */
#define MAX_SEAM 18.0

/* a smooth picture with structure: a diagonal colour gradient plus soft
 * blobs, so instance norm has something to normalise */
static void
make_picture (float *rgb)
{
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < PH; y++)
      for (int x = 0; x < PW; x++) {
        float u = (float) x / PW, v = (float) y / PH;
        float b = 0.15f * sinf (6.2832f * (3.f * u + 0.3f * c))
            * cosf (6.2832f * (2.f * v - 0.2f * c));
        rgb[((size_t) c * PH + y) * PW + x] = 0.25f + 0.3f * u + 0.2f * v
            + 0.1f * c + b;
      }
}

static void
crop (const float *src, float *dst, int w, int h)
{
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      memcpy (dst + ((size_t) c * h + y) * w,
          src + ((size_t) c * PH + y + OFF) * PW + OFF, w * sizeof *dst);
}

/* mean |a - b| over the colours and one line (a column when col, else a
 * row) of two w x h frames, in 8-bit levels */
static double
line_diff (const float *a, const float *b, int w, int h, int i, int col)
{
  int n = col ? h : w;
  double s = 0;
  for (int c = 0; c < 3; c++)
    for (int k = 0; k < n; k++) {
      size_t p = (size_t) c * w * h + (col ? (size_t) k * w + i
          : (size_t) i * w + k);
      s += fabs (a[p] - b[p]);
    }
  return 255.0 * s / (3.0 * n);
}

/* the worst edge line's difference beyond the mean interior one */
static double
worst_seam (const float *a, const float *b, int w, int h, int col)
{
  int n = col ? w : h;
  double inner = 0;
  for (int i = INNER; i < n - INNER; i++)
    inner += line_diff (a, b, w, h, i, col);
  inner /= n - 2 * INNER;
  double worst = 0;
  for (int e = 0; e < EDGE; e++) {
    double d0 = line_diff (a, b, w, h, e, col) - inner;
    double d1 = line_diff (a, b, w, h, n - 1 - e, col) - inner;
    worst = fmax (worst, fmax (d0, d1));
  }
  return worst;
}

int
main (void)
{
  const char *root = getenv ("GAN_SOURCE_ROOT");
  char path[4096];
  snprintf (path, sizeof path, "%s/models/style-8.safetensors",
      root ? root : ".");
  gcn_style net;
  REQUIRE (gcn_style_load_path (&net, path) == 0, "%s: %s", path,
      gc_last_error ());
  const int w = PW - 2 * OFF, h = PH - 2 * OFF;
  float *pic = malloc ((size_t) 3 * PW * PH * sizeof *pic);
  float *pic_out = malloc ((size_t) 3 * PW * PH * sizeof *pic_out);
  float *in = malloc ((size_t) 3 * w * h * sizeof *in);
  float *out = malloc ((size_t) 3 * w * h * sizeof *out);
  float *ref = malloc ((size_t) 3 * w * h * sizeof *ref);
  gcn_style_work ws;
  memset (&ws, 0, sizeof ws);
  make_picture (pic);
  crop (pic, in, w, h);
  for (int s = 0; s < net.cfg.styles; s++) {
    float mix[GCN_STYLE_MAX_STYLES] = { 0 };
    mix[s] = 1.f;
    REQUIRE (gcn_style_infer (&net, pic, PW, PH, mix, pic_out, &ws) == 0
        && gcn_style_infer (&net, in, w, h, mix, out, &ws) == 0,
        "style %d: %s", s, gc_last_error ());
    crop (pic_out, ref, w, h);
    double cols = worst_seam (out, ref, w, h, 1);
    double rows = worst_seam (out, ref, w, h, 0);
    printf ("style %d: edge columns %.1f, edge rows %.1f levels beyond the "
        "interior\n", s, cols, rows);
    CHECK (cols <= MAX_SEAM && rows <= MAX_SEAM, "style %d: a seam along "
        "the frame's edge (columns %.1f, rows %.1f levels; at most %.1f)", s,
        cols, rows, MAX_SEAM);
  }
  gcn_style_work_free (&ws);
  gcn_style_free (&net);
  free (pic);
  free (pic_out);
  free (in);
  free (out);
  free (ref);
  return gan_test_report ("test_style_edges");
}
