/* gan-eval end to end (argv[1]): on files written here, each command prints
 * the numbers the metrics define, and bad input gives an error exit. */
#include "tcheck.h"
#include "gt_wav.h"

#include "gt_png.h"

#include <math.h>
#include <sys/wait.h>

static const char *gan_eval;

/* Run gan-eval with `args`; its stdout into out, the exit status back. */
static int
run (const char *args, char *out, size_t n)
{
  char cmd[2048];
  snprintf (cmd, sizeof cmd, "'%s' %s 2>/dev/null", gan_eval, args);
  FILE *p = popen (cmd, "r");
  if (!p)
    return -1;
  size_t got = fread (out, 1, n - 1, p);
  out[got] = '\0';
  int st = pclose (p);
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

static double
value (const char *out, const char *key)
{
  char k[64];
  snprintf (k, sizeof k, "%s ", key);
  const char *p = strstr (out, k);
  return p ? strtod (p + strlen (k), NULL) : NAN;
}

int
main (int argc, char **argv)
{
  REQUIRE (argc > 1, "usage: test_eval PATH-TO-gan-eval");
  gan_eval = argv[1];
  tcheck_use_system_plugins (argv[0], "registry-system.bin");
  char *dir = tcheck_tmpdir ("eval");
  REQUIRE (dir, "no temp dir");
  char a[600], b[600], small[600], args[2048], out[4096];

  /* Images: b = a + 4/255 on every value, so PSNR (RGB) = 20 log10 (255/4). */
  enum { W = 48, H = 32 };
  static uint8_t pa[W * H * 3], pb[W * H * 3];
  for (int i = 0; i < W * H * 3; i++) {
    pa[i] = (uint8_t) (40 + (i * 7919 % 150));
    pb[i] = pa[i] + 4;
  }
  snprintf (a, sizeof a, "%s/a.png", dir);
  snprintf (b, sizeof b, "%s/b.png", dir);
  snprintf (small, sizeof small, "%s/small.png", dir);
  REQUIRE (gt_png_write (a, W, H, pa) == 0 && gt_png_write (b, W, H, pb) == 0
      && gt_png_write (small, 8, 8, pa) == 0, "cannot write PNGs");

  snprintf (args, sizeof args, "image '%s' '%s'", a, a);
  CHECK (run (args, out, sizeof out) == 0, "image A A failed");
  CHECK (isinf (value (out, "psnr_db")) && value (out, "ssim") == 1.0,
      "identical images: %s", out);
  snprintf (args, sizeof args, "image '%s' '%s' --shave 2", a, b);
  CHECK (run (args, out, sizeof out) == 0, "image A B failed");
  CHECK (fabs (value (out, "psnr_db") - 20 * log10 (255.0 / 4)) < 1e-3,
      "RGB PSNR: %s", out);
  /* On Y the offset is 4/255 * (65.481 + 128.553 + 24.966) / 255 * 255. */
  snprintf (args, sizeof args, "image '%s' '%s' --y", a, b);
  CHECK (run (args, out, sizeof out) == 0, "image --y failed");
  double dy = 4.0 / 255 * (65.481 + 128.553 + 24.966);
  CHECK (fabs (value (out, "psnr_db") - 20 * log10 (255.0 / dy)) < 1e-3,
      "Y PSNR: %s", out);
  CHECK (strstr (out, "channel y"), "channel: %s", out);

  snprintf (args, sizeof args, "image '%s' '%s'", a, small);
  CHECK (run (args, out, sizeof out) == 1, "different sizes accepted");
  snprintf (args, sizeof args, "image '%s' '%s' --shave 20", a, b);
  CHECK (run (args, out, sizeof out) == 1, "shaving everything accepted");
  snprintf (args, sizeof args, "image '%s' '%s/none.png'", a, dir);
  CHECK (run (args, out, sizeof out) == 1, "missing file accepted");
  snprintf (args, sizeof args, "image '%s' '%s' --shave x", a, b);
  CHECK (run (args, out, sizeof out) == 2, "bad --shave accepted");

  snprintf (args, sizeof args, "sharpness '%s' --ref '%s'", a, a);
  CHECK (run (args, out, sizeof out) == 0 && value (out, "ratio") == 1.0,
      "sharpness against itself: %s", out);
  CHECK (value (out, "gradient_energy") > 0, "no gradient energy: %s", out);

  /* Audio: test = 0.5 clean + an orthogonal tone with a quarter of the
   * power of 0.5 clean (clean's power is 0.16 * 0.5 * 1.125)
   * -> SI-SDR = 10 log10 (4) = 6.02 dB. */
  enum { RATE = 16000, N = 3 * RATE };
  static int16_t clean[N], test[N];
  for (int i = 0; i < N; i++) {
    double t = (double) i / RATE;
    /* Whole periods in 3 s keep the two tones orthogonal. */
    double s = 0.4 * sin (2 * M_PI * 440 * t) * (1 + 0.5 * sin (2 * M_PI * 3 * t));
    double e = 0.25 * 0.4 * sqrt (1.125) * sin (2 * M_PI * 1210 * t);
    clean[i] = (int16_t) lround (32767 * s);
    test[i] = (int16_t) lround (32767 * (0.5 * s + e));
  }
  snprintf (a, sizeof a, "%s/clean.wav", dir);
  snprintf (b, sizeof b, "%s/test.wav", dir);
  REQUIRE (gt_wav_write_s16 (a, clean, N, 1, RATE) == 0
      && gt_wav_write_s16 (b, test, N, 1, RATE) == 0, "cannot write WAVs");
  snprintf (args, sizeof args, "audio '%s' '%s'", a, a);
  CHECK (run (args, out, sizeof out) == 0 && isinf (value (out, "si_sdr_db"))
      && fabs (value (out, "stoi") - 1) < 1e-6, "clean vs clean: %s", out);
  snprintf (args, sizeof args, "audio '%s' '%s' --rate %d", a, b, RATE);
  CHECK (run (args, out, sizeof out) == 0, "audio failed");
  CHECK (fabs (value (out, "si_sdr_db") - 10 * log10 (4.0)) < 0.05,
      "SI-SDR: %s", out);
  double stoi = value (out, "stoi");
  CHECK (stoi > 0 && stoi < 1, "STOI: %s", out);
  CHECK (fabs (value (out, "seconds") - 3.0) < 1e-3, "seconds: %s", out);
  snprintf (args, sizeof args, "audio '%s' '%s' --rate 5", a, b);
  CHECK (run (args, out, sizeof out) == 2, "rate 5 accepted");

  CHECK (run ("bogus", out, sizeof out) == 2, "unknown command");
  CHECK (run ("", out, sizeof out) == 2, "no command");
  CHECK (run ("--help", out, sizeof out) == 0 && strstr (out, "usage"),
      "--help");
  tcheck_rmtree (dir);
  free (dir);
  return gan_test_report ("test_eval");
}
