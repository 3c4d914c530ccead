/* The sr-x{2,3,4}-{fidelity,gan} models do their job: a real frame,
 * downscaled by MATLAB-style bicubic, comes back closer to the original
 * (PSNR on BT.601 luma, a border of `scale` pixels left out) than bicubic
 * upscaling brings it. An untrained net is exactly bicubic (0 dB). The
 * bounds sit about 35 % under the measured gains (in the table), so they
 * fail when a model stops adding detail, not when a retrained model
 * differs a little. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gc_core.h"
#include "gcn_resize.h"
#include "gcn_superres.h"
#include "gan_test.h"
#include "model_image.h"

/* Least gain over bicubic on either sample, dB (measured on content.png
 * and lowres.png, 320x180 frames of Big Buck Bunny). */
static const struct {
  const char *file;
  int scale;
  double min_gain;
} models[] = {
  {"sr-x2-fidelity.safetensors", 2, 0.9},       /* +1.45, +1.49 */
  {"sr-x2-gan.safetensors", 2, 0.8},    /* +1.27, +1.30 */
  {"sr-x3-fidelity.safetensors", 3, 0.5},       /* +0.78, +0.77 */
  {"sr-x3-gan.safetensors", 3, 0.4},    /* +0.64, +0.63 */
  {"sr-x4-fidelity.safetensors", 4, 0.5},       /* +0.83, +0.86 */
  {"sr-x4-gan.safetensors", 4, 0.3},    /* +0.49, +0.48 */
};

static const char *const images[2] = { "content.png", "lowres.png" };

/* BT.601 luma of planar RGB, cropped to w x h */
static float *
luma (const float *rgb, int iw, int ih, int w, int h)
{
  float *y = malloc ((size_t) w * h * sizeof (float));
  size_t plane = (size_t) iw * ih;
  for (int j = 0; j < h; j++)
    for (int i = 0; i < w; i++) {
      size_t k = (size_t) j * iw + i;
      y[(size_t) j * w + i] = gcn_luma_bt601 (rgb[k], rgb[plane + k],
          rgb[2 * plane + k]);
    }
  return y;
}

/* PSNR gain over bicubic of one model on one image, dB */
static double
gain (gcn_superres *net, int s, const float *rgb, int iw, int ih,
    const char *what, const char *img)
{
  int w = iw / s * s, h = ih / s * s, lw = w / s, lh = h / s;
  float *hr = luma (rgb, iw, ih, w, h);
  float *lr = malloc ((size_t) lw * lh * sizeof (float));
  float *bic = malloc ((size_t) w * h * sizeof (float));
  float *sr = malloc ((size_t) w * h * sizeof (float));
  double g = -INFINITY;
  if (gcn_imresize_bicubic (hr, w, h, w, lr, lw, lh, lw) == 0 &&
      gcn_imresize_bicubic (lr, lw, lh, lw, bic, w, h, w) == 0 &&
      gcn_superres_run (net, lr, lw, lh, lw, sr, w) == 0) {
    double pb = mq_psnr (bic, hr, w, h, s), ps = mq_psnr (sr, hr, w, h, s);
    g = ps - pb;
    printf ("%-28s %-12s bicubic %.2f dB, model %.2f dB (%+.2f)\n", what,
        img, pb, ps, g);
  } else
    CHECK (0, "%s: resize or run failed", what);
  free (hr);
  free (lr);
  free (bic);
  free (sr);
  return g;
}

int
main (int argc, char **argv)
{
  mq_init_decoders (&argc, &argv);
  float *rgb[2];
  int w[2], h[2];
  for (int i = 0; i < 2; i++)
    REQUIRE ((rgb[i] = mq_load_sample (images[i], &w[i], &h[i])) != NULL,
        "no %s", images[i]);
  for (unsigned m = 0; m < sizeof models / sizeof models[0]; m++) {
    char path[4096];
    gc_model_file mf;
    gcn_superres net;
    mq_path (path, sizeof path, "models", models[m].file);
    if (gc_model_load (&mf, path) || gcn_superres_load (&net, &mf,
            models[m].scale)) {
      CHECK (0, "%s: %s", path, gc_last_error ());
      gc_model_free (&mf);
      continue;
    }
    gc_model_free (&mf);
    for (int i = 0; i < 2; i++) {
      double g = gain (&net, models[m].scale, rgb[i], w[i], h[i],
          models[m].file, images[i]);
      CHECK (g >= models[m].min_gain, "%s on %s: %+.2f dB over bicubic, "
          "want at least %+.2f", models[m].file, images[i], g,
          models[m].min_gain);
    }
    gcn_superres_free (&net);
  }
  free (rgb[0]);
  free (rgb[1]);
  return gan_test_report ("test_quality_superres");
}
