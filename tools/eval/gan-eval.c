/* gan-eval: quality numbers for gst-gan outputs.
 *   gan-eval image A B [--shave N] [--y]      PSNR (dB) and SSIM
 *   gan-eval audio CLEAN TEST [--rate R]      SI-SDR (dB) and STOI
 *   gan-eval audio --list FILE [--rate R]     the same for many pairs
 *   gan-eval sharpness IMG [--ref HR]         gradient energy (and ratio)
 * Output is one "name value" pair per line, easy to read and to parse. */
#include "gt.h"
#include "gt_metrics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage (FILE *f)
{
  fprintf (f,
      "usage: gan-eval image A B [--shave N] [--y]\n"
      "       gan-eval audio CLEAN TEST [--rate R]\n"
      "       gan-eval audio --list FILE [--rate R]\n"
      "       gan-eval sharpness IMG [--ref HR]\n"
      "\n"
      "image:     PSNR and SSIM of B against A (same size), on BT.601 Y\n"
      "           with --y (as super-resolution papers), else on RGB;\n"
      "           --shave N ignores N border pixels.\n"
      "audio:     SI-SDR and STOI of TEST against CLEAN, both decoded to mono\n"
      "           at R Hz (default 16000); the longer one is cut. With --list,\n"
      "           FILE holds a pair per line (CLEAN<tab>TEST) and the output a\n"
      "           line per pair: CLEAN, TEST, SI-SDR, STOI (one process for a\n"
      "           whole evaluation set).\n"
      "sharpness: mean squared luma gradient; with --ref, also its ratio to\n"
      "           the reference's.\n");
}

static int
parse_int (const char *flag, const char *v, int lo, int hi, int *out)
{
  char *end;
  errno = 0;
  long x = v ? strtol (v, &end, 10) : 0;
  if (!v || errno || end == v || *end || x < lo || x > hi) {
    fprintf (stderr, "gan-eval: %s expects an integer in [%d, %d]\n", flag,
        lo, hi);
    return -1;
  }
  *out = (int) x;
  return 0;
}

static int
load_image (const char *path, float **rgb, int *w, int *h)
{
  if (gt_load_image (NULL, path, rgb, w, h) < 0) {
    fprintf (stderr, "gan-eval: %s\n", gc_last_error ());
    return -1;
  }
  return 0;
}

static int
cmd_image (int argc, char **argv)
{
  const char *pa = NULL, *pb = NULL;
  int shave = 0, use_y = 0;
  for (int i = 0; i < argc; i++) {
    if (!strcmp (argv[i], "--y"))
      use_y = 1;
    else if (!strcmp (argv[i], "--shave")) {
      if (parse_int ("--shave", i + 1 < argc ? argv[++i] : NULL, 0, 1 << 20,
              &shave) < 0)
        return 2;
    } else if (!pa)
      pa = argv[i];
    else if (!pb)
      pb = argv[i];
    else {
      fprintf (stderr, "gan-eval: unexpected argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (!pb) {
    usage (stderr);
    return 2;
  }
  float *a = NULL, *b = NULL;
  int wa, ha, wb, hb, rc = 1;
  if (load_image (pa, &a, &wa, &ha) < 0 || load_image (pb, &b, &wb, &hb) < 0)
    goto out;
  if (wa != wb || ha != hb) {
    fprintf (stderr, "gan-eval: sizes differ: %s is %dx%d, %s is %dx%d\n", pa,
        wa, ha, pb, wb, hb);
    goto out;
  }
  double psnr, ssim;
  if (gm_image_quality (a, b, wa, ha, shave, use_y, &psnr, &ssim) < 0) {
    fprintf (stderr, "gan-eval: nothing left after shaving %d pixels\n",
        shave);
    goto out;
  }
  printf ("psnr_db %.4f\nssim %.6f\n", psnr, ssim);
  printf ("channel %s\n", use_y ? "y" : "rgb");
  rc = 0;
out:
  free (a);
  free (b);
  return rc;
}

/* SI-SDR and STOI of TEST against CLEAN at rate; 0 or -1 (error set). */
static int
audio_pair (const char *pc, const char *pt, int rate, double *sdr,
    double *stoi, long *len)
{
  float *x = NULL, *y = NULL;
  long nx, ny;
  int rc = -1;
  if (gt_load_audio (NULL, pc, rate, &x, &nx) < 0
      || gt_load_audio (NULL, pt, rate, &y, &ny) < 0)
    goto out;
  long n = nx < ny ? nx : ny;
  if (labs (nx - ny) > rate / 100)
    fprintf (stderr, "gan-eval: warning: lengths differ (%ld and %ld "
        "samples); comparing the first %ld\n", nx, ny, n);
  *sdr = gm_si_sdr (x, y, n);
  *stoi = gm_stoi (x, y, n, rate);
  *len = n;
  rc = 0;
out:
  free (x);
  free (y);
  return rc;
}

/* Every "CLEAN<tab>TEST" line of list; a pair that cannot be read stops
 * the run with its error (a gap in an evaluation would go unnoticed). */
static int
audio_list (const char *list, int rate)
{
  FILE *f = fopen (list, "r");
  if (!f) {
    fprintf (stderr, "gan-eval: %s: %s\n", list, strerror (errno));
    return 1;
  }
  char line[8192];
  int rc = 0;
  while (rc == 0 && fgets (line, sizeof line, f)) {
    line[strcspn (line, "\r\n")] = 0;
    char *tab = strchr (line, '\t');
    if (!line[0])
      continue;
    if (!tab) {
      fprintf (stderr, "gan-eval: %s: no tab in '%s'\n", list, line);
      rc = 1;
      break;
    }
    *tab = 0;
    double sdr, stoi;
    long n;
    if (audio_pair (line, tab + 1, rate, &sdr, &stoi, &n) < 0) {
      fprintf (stderr, "gan-eval: %s\n", gc_last_error ());
      rc = 1;
      break;
    }
    printf ("%s\t%s\t%.4f\t%.6f\n", line, tab + 1, sdr, stoi);
  }
  fclose (f);
  return rc;
}

static int
cmd_audio (int argc, char **argv)
{
  const char *pc = NULL, *pt = NULL, *list = NULL;
  int rate = 16000;
  for (int i = 0; i < argc; i++) {
    if (!strcmp (argv[i], "--rate")) {
      if (parse_int ("--rate", i + 1 < argc ? argv[++i] : NULL, 1000, 384000,
              &rate) < 0)
        return 2;
    } else if (!strcmp (argv[i], "--list")) {
      if (i + 1 >= argc) {
        fprintf (stderr, "gan-eval: --list needs a file\n");
        return 2;
      }
      list = argv[++i];
    } else if (!pc)
      pc = argv[i];
    else if (!pt)
      pt = argv[i];
    else {
      fprintf (stderr, "gan-eval: unexpected argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (list && !pc)
    return audio_list (list, rate);
  if (!pt || list) {
    usage (stderr);
    return 2;
  }
  double sdr, stoi;
  long n;
  if (audio_pair (pc, pt, rate, &sdr, &stoi, &n) < 0) {
    fprintf (stderr, "gan-eval: %s\n", gc_last_error ());
    return 1;
  }
  printf ("si_sdr_db %.4f\nstoi %.6f\n", sdr, stoi);
  printf ("seconds %.3f\n", (double) n / rate);
  return 0;
}

static int
cmd_sharpness (int argc, char **argv)
{
  const char *pi = NULL, *pr = NULL;
  for (int i = 0; i < argc; i++) {
    if (!strcmp (argv[i], "--ref")) {
      if (i + 1 >= argc) {
        fprintf (stderr, "gan-eval: --ref needs a file\n");
        return 2;
      }
      pr = argv[++i];
    } else if (!pi)
      pi = argv[i];
    else {
      fprintf (stderr, "gan-eval: unexpected argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (!pi) {
    usage (stderr);
    return 2;
  }
  float *a = NULL, *r = NULL;
  int w, h, wr, hr, rc = 1;
  if (load_image (pi, &a, &w, &h) < 0)
    goto out;
  double e = gm_gradient_energy (a, w, h);
  if (isnan (e)) {
    fprintf (stderr, "gan-eval: %s is too small (%dx%d)\n", pi, w, h);
    goto out;
  }
  printf ("gradient_energy %.8g\n", e);
  if (pr) {
    if (load_image (pr, &r, &wr, &hr) < 0)
      goto out;
    double er = gm_gradient_energy (r, wr, hr);
    if (isnan (er)) {
      fprintf (stderr, "gan-eval: %s is too small (%dx%d)\n", pr, wr, hr);
      goto out;
    }
    printf ("ref_gradient_energy %.8g\nratio %.6f\n", er,
        er > 0 ? e / er : NAN);
  }
  rc = 0;
out:
  free (a);
  free (r);
  return rc;
}

int
main (int argc, char **argv)
{
  if (argc < 2 || !strcmp (argv[1], "--help") || !strcmp (argv[1], "-h")) {
    usage (argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp (argv[1], "image"))
    return cmd_image (argc - 2, argv + 2);
  if (!strcmp (argv[1], "audio"))
    return cmd_audio (argc - 2, argv + 2);
  if (!strcmp (argv[1], "sharpness"))
    return cmd_sharpness (argc - 2, argv + 2);
  fprintf (stderr, "gan-eval: unknown command '%s'\n", argv[1]);
  usage (stderr);
  return 2;
}
