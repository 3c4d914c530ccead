/* style-eval — score a style model on held-out photos with the four
 * measures of style_measures.h, next to the no-network baseline (per-channel
 * CIELAB mean/std colour transfer to the painting).
 *
 * usage: style-eval --model FILE --styles DIR [--size WxH] IMAGE...
 * Every photo is centre-cropped and scaled to WxH (default 640x360);
 * paintings (DIR/<style name>.jpg) are scaled to a short side of H.
 * Texture and colour are progress from the photo (0) to the painting (1):
 * (d(photo, painting) - d(output, painting)) / d(photo, painting), the
 * mean over photos. Grid: output peak dB minus the photo's, and the share
 * of high-band power in new peaks, means over photos. Content: edge SSIM. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gcn_style.h"
#include "style_image.h"
#include "style_measures.h"

#define MAX_PHOTOS 64

typedef struct {
  double tex, col, peak, share, ssim;
} scores;

static void
score (const float *out, const float *photo, int w, int h,
    const double *tex_photo, const double *tex_paint, double col_photo,
    const float *paint, int pw, int ph, scores *s)
{
  double f[SM_TEX_DIM];
  sm_texture_stats (out, w, h, f);
  double dp = sm_texture_dist (tex_photo, tex_paint);
  s->tex += (dp - sm_texture_dist (f, tex_paint)) / dp;
  s->col += (col_photo - sm_colour_swd (out, w, h, paint, pw, ph)) / col_photo;
  double db, share;
  sm_grid (out, photo, w, h, &db, &share);
  s->peak += db;
  s->share += share;
  s->ssim += sm_edge_ssim (out, photo, w, h);
}

static void
print_row (const char *name, const scores *s, int n)
{
  printf ("%-24s %8.3f %8.3f %8.2f %8.2f%% %8.3f\n", name, s->tex / n,
      s->col / n, s->peak / n, 100 * s->share / n, s->ssim / n);
}

int
main (int argc, char **argv)
{
  const char *model = NULL, *dir = NULL, *photos[MAX_PHOTOS];
  int w = 640, h = 360, n = 0;

  gst_init (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--model") && i + 1 < argc)
      model = argv[++i];
    else if (!strcmp (argv[i], "--styles") && i + 1 < argc)
      dir = argv[++i];
    else if (!strcmp (argv[i], "--size") && i + 1 < argc)
      sscanf (argv[++i], "%dx%d", &w, &h);
    else if (argv[i][0] != '-' && n < MAX_PHOTOS)
      photos[n++] = argv[i];
    else {
      fprintf (stderr, "usage: %s --model FILE --styles DIR [--size WxH] "
          "IMAGE...\n", argv[0]);
      return 2;
    }
  }
  if (!model || !dir || !n || w < 256 || h < 256 || w > 4096 || h > 4096) {
    fprintf (stderr, "need --model, --styles and photos; size at least "
        "256x256\n");
    return 2;
  }
  gcn_style net;
  if (gcn_style_load_path (&net, model) < 0) {
    fprintf (stderr, "%s\n", gc_last_error ());
    return 1;
  }
  int S = net.cfg.styles;
  size_t fsz = (size_t) 3 * w * h;
  float **ph = calloc (n, sizeof *ph);
  double (*tex_ph)[SM_TEX_DIM] = calloc (n, sizeof *tex_ph);
  for (int i = 0; i < n; i++) {
    int iw, ih;
    guint8 *rgb = style_decode_image (photos[i], &iw, &ih);
    if (!rgb) {
      fprintf (stderr, "could not decode %s\n", photos[i]);
      return 1;
    }
    ph[i] = malloc (fsz * sizeof (float));
    style_fit_cell (rgb, iw, ih, w, h, ph[i]);
    free (rgb);
    sm_texture_stats (ph[i], w, h, tex_ph[i]);
  }
  float *out = malloc (fsz * sizeof *out), *base = malloc (fsz * sizeof *base);
  gcn_style_work ws;
  memset (&ws, 0, sizeof ws);
  scores all_m = { 0 }, all_b = { 0 };
  printf ("%-24s %8s %8s %8s %9s %8s\n", "style", "texture", "colour",
      "grid dB", "new peak", "edgeSSIM");
  for (int s = 0; s < S; s++) {
    char path[4096];
    const char *name = net.names[s] ? net.names[s] : "?";
    snprintf (path, sizeof path, "%s/%s.jpg", dir, name);
    int iw, ih;
    guint8 *rgb = style_decode_image (path, &iw, &ih);
    if (!rgb) {
      fprintf (stderr, "could not decode %s\n", path);
      return 1;
    }
    int pw = iw < ih ? h : (int) lround ((double) iw * h / ih);
    int phh = iw < ih ? (int) lround ((double) ih * h / iw) : h;
    float *paint = malloc ((size_t) 3 * pw * phh * sizeof *paint);
    style_fit_cell (rgb, iw, ih, pw, phh, paint);
    free (rgb);
    double tex_p[SM_TEX_DIM];
    float lab_pf[GCN_LAB_STATS], lab_f[GCN_LAB_STATS];
    sm_texture_stats (paint, pw, phh, tex_p);
    gcn_lab_stats (paint, pw, phh, 1, lab_pf);
    scores m = { 0 }, b = { 0 };
    float mix[GCN_STYLE_MAX_STYLES] = { 0 };
    mix[s] = 1.f;
    for (int i = 0; i < n; i++) {
      double col_ph = sm_colour_swd (ph[i], w, h, paint, pw, phh);
      if (gcn_style_infer (&net, ph[i], w, h, mix, out, &ws) < 0) {
        fprintf (stderr, "%s\n", gc_last_error ());
        return 1;
      }
      score (out, ph[i], w, h, tex_ph[i], tex_p, col_ph, paint, pw, phh, &m);
      size_t plane = (size_t) w * h;
      gcn_lab_stats (ph[i], w, h, 1, lab_f);
      gcn_lab_transfer (ph[i], ph[i] + plane, ph[i] + 2 * plane, base,
          base + plane, base + 2 * plane, plane, lab_f, lab_pf);
      score (base, ph[i], w, h, tex_ph[i], tex_p, col_ph, paint, pw, phh, &b);
    }
    print_row (name, &m, n);
    char bname[64];
    snprintf (bname, sizeof bname, "  LAB transfer");
    print_row (bname, &b, n);
    fflush (stdout);
#define ACC(a, x) a.tex += x.tex / n; a.col += x.col / n; a.peak += x.peak / n; \
    a.share += x.share / n; a.ssim += x.ssim / n
    ACC (all_m, m);
    ACC (all_b, b);
#undef ACC
    free (paint);
  }
  print_row ("mean (model)", &all_m, S);
  print_row ("mean (LAB transfer)", &all_b, S);
  gcn_style_work_free (&ws);
  gcn_style_free (&net);
  for (int i = 0; i < n; i++)
    free (ph[i]);
  free (ph);
  free (tex_ph);
  free (out);
  free (base);
  return 0;
}
