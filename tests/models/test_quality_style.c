/* style-8 does its job on a real frame, for each of its eight paintings:
 *  - colour: the output's CIELAB statistics are much closer to the
 *    painting's (kept in the model) than the frame's are;
 *  - structure: the edges of the frame are kept (edge-map SSIM of
 *    bench/style's measures);
 *  - texture: the network adds something of its own on top of the plain
 *    colour transfer it builds on (a model whose network stopped working
 *    would give that transfer alone).
 * The bounds sit about a third away from the worst measured values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gc_core.h"
#include "gcn_style.h"
#include "gcn_style_colour.h"
#include "style_measures.h"
#include "gan_test.h"
#include "model_image.h"

/* Most colour distance left (out / frame; measured 0.18 .. 0.47 over the
 * styles and both samples), least edge SSIM (measured 0.63 .. 0.81), least
 * mean |out - colour transfer| per RGB value (measured 0.110 .. 0.180; 0
 * for a network that adds nothing). */
#define MAX_COLOUR_LEFT 0.65
#define MIN_EDGE_SSIM 0.45
#define MIN_TEXTURE 0.07

/* Euclidean distance between two sets of CIELAB statistics */
static double
lab_dist (const float *a, const float *b)
{
  double d = 0;
  for (int k = 0; k < GCN_LAB_STATS; k++)
    d += ((double) a[k] - b[k]) * ((double) a[k] - b[k]);
  return sqrt (d);
}

static void
check_style (gcn_style *net, int s, const float *rgb, int w, int h,
    const char *img, gcn_style_work *ws)
{
  size_t plane = (size_t) w * h;
  float *out = malloc (3 * plane * sizeof (float));
  float *ct = malloc (3 * plane * sizeof (float));
  float mix[GCN_STYLE_MAX_STYLES] = { 0 };
  mix[s] = 1.f;
  if (gcn_style_infer (net, rgb, w, h, mix, out, ws) < 0) {
    CHECK (0, "style %d: %s", s, gc_last_error ());
    goto done;
  }
  float st_in[GCN_LAB_STATS], st_out[GCN_LAB_STATS];
  gcn_lab_stats (rgb, w, h, 1, st_in);
  gcn_lab_stats (out, w, h, 1, st_out);
  double left = lab_dist (st_out, net->lab[s]) /
      lab_dist (st_in, net->lab[s]);
  double ssim = sm_edge_ssim (out, rgb, w, h);
  gcn_lab_transfer (rgb, rgb + plane, rgb + 2 * plane, ct, ct + plane,
      ct + 2 * plane, plane, st_in, net->lab[s]);
  double tex = 0;
  for (size_t i = 0; i < 3 * plane; i++)
    tex += fabs ((double) out[i] - fminf (fmaxf (ct[i], 0.f), 1.f));
  tex /= 3.0 * plane;
  printf ("%-12s style %d (%s): colour distance left %.3f, edge SSIM %.3f, "
      "network adds %.4f\n", img, s, net->names[s] ? net->names[s] : "?",
      left, ssim, tex);
  CHECK (left <= MAX_COLOUR_LEFT, "%s, style %d: colour distance left %.3f",
      img, s, left);
  CHECK (ssim >= MIN_EDGE_SSIM, "%s, style %d: edge SSIM %.3f", img, s, ssim);
  CHECK (tex >= MIN_TEXTURE, "%s, style %d: the network adds %.4f", img, s,
      tex);
done:
  free (out);
  free (ct);
}

int
main (int argc, char **argv)
{
  static const char *const images[] = { "content.png", "lowres.png" };
  mq_init_decoders (&argc, &argv);
  char path[4096];
  gcn_style net;
  mq_path (path, sizeof path, "models", "style-8.safetensors");
  REQUIRE (gcn_style_load_path (&net, path) == 0, "%s: %s", path,
      gc_last_error ());
  CHECK (net.cfg.styles == 8, "%d styles", net.cfg.styles);
  gcn_style_work ws = { 0 };
  for (int i = 0; i < 2; i++) {
    int w, h;
    float *rgb = mq_load_sample (images[i], &w, &h);
    REQUIRE (rgb != NULL, "no %s", images[i]);
    for (int s = 0; s < net.cfg.styles; s++)
      check_style (&net, s, rgb, w, h, images[i], &ws);
    free (rgb);
  }
  gcn_style_work_free (&ws);
  gcn_style_free (&net);
  return gan_test_report ("test_quality_style");
}
