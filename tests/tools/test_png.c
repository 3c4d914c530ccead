/* gt_png: the files decode with an independent reader (chunk CRCs, stored
 * deflate blocks, Adler-32) to the exact pixels; gt_plot draws real curves. */
#include "tcheck.h"
#include "png_check.h"

#include "gc_base.h"
#include "gt_plot.h"
#include "gt_png.h"

#include <math.h>

static void
roundtrip (const char *dir, int w, int h)
{
  uint8_t *px = malloc ((size_t) w * h * 3);
  for (int i = 0; i < w * h * 3; i++)
    px[i] = (uint8_t) ((i * 37 + i / 7) & 0xff);
  char path[512];
  snprintf (path, sizeof path, "%s/rt_%dx%d.png", dir, w, h);
  CHECK (gt_png_write (path, w, h, px) == 0, "%s", gc_last_error ());
  size_t n = 0;
  unsigned char *d = tcheck_read_file (path, &n);
  REQUIRE (d, "cannot read %s", path);
  int rw = 0, rh = 0;
  uint8_t *rgb = NULL;
  const char *why = "";
  CHECK (png_check_decode (d, n, &rw, &rh, &rgb, &why) == 0, "%dx%d: %s", w,
      h, why);
  CHECK (rw == w && rh == h, "size %dx%d, wrote %dx%d", rw, rh, w, h);
  if (rgb)
    CHECK (!memcmp (rgb, px, (size_t) w * h * 3), "pixels differ (%dx%d)", w,
        h);
  /* Flip one byte inside a chunk: the CRC must catch it. */
  d[40] ^= 0x55;
  free (rgb);
  rgb = NULL;
  CHECK (png_check_decode (d, n, &rw, &rh, &rgb, &why) < 0,
      "a corrupted file was accepted");
  free (rgb);
  free (d);
  free (px);
}

static int
has_colour (const uint8_t *rgb, int w, int h, int r, int g, int b)
{
  int count = 0;
  for (int i = 0; i < w * h; i++)
    count += rgb[3 * i] == r && rgb[3 * i + 1] == g && rgb[3 * i + 2] == b;
  return count;
}

/* Rows of the image that contain the colour: the vertical extent of a
 * curve. */
static int
rows_with (const uint8_t *rgb, int w, int h, int r, int g, int b)
{
  int rows = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const uint8_t *p = rgb + 3 * ((size_t) y * w + x);
      if (p[0] == r && p[1] == g && p[2] == b) {
        rows++;
        break;
      }
    }
  return rows;
}

/* An L1 of 0.5 -> 0.01 next to a PSNR near 30: on a linear axis the L1
 * would be a flat line at the bottom; the log axis keeps it tall. */
static void
plot_mixed (const char *dir)
{
  enum { N = 400 };
  long steps[N];
  float vals[N * 2];
  for (int i = 0; i < N; i++) {
    steps[i] = i + 1;
    vals[2 * i] = 0.5f * expf (-i / 100.0f) + 0.01f;
    vals[2 * i + 1] = 25.0f + i / 100.0f;
  }
  const char *names[] = { "l1", "psnr" };
  char path[512];
  snprintf (path, sizeof path, "%s/mixed.png", dir);
  CHECK (gt_plot_losses (path, 2, names, steps, vals, N) == 0, "%s",
      gc_last_error ());
  size_t n = 0;
  unsigned char *d = tcheck_read_file (path, &n);
  int w, h;
  uint8_t *rgb = NULL;
  const char *why = "";
  CHECK (d && png_check_decode (d, n, &w, &h, &rgb, &why) == 0, "%s", why);
  if (rgb)
    CHECK (rows_with (rgb, w, h, 31, 119, 180) > h / 3,
        "the small loss spans only %d rows", rows_with (rgb, w, h, 31, 119,
            180));
  free (rgb);
  free (d);
}

static void
plot (const char *dir)
{
  enum { N = 500 };
  long steps[N];
  float vals[N * 2];
  for (int i = 0; i < N; i++) {
    steps[i] = i + 1;
    vals[2 * i] = 2.0f * expf (-i / 100.0f) + 0.05f * sinf (i * 1.7f);
    vals[2 * i + 1] = i == 250 ? NAN : 0.5f + i / 1000.0f;
  }
  const char *names[] = { "d_loss", "g_loss" };
  char path[512];
  snprintf (path, sizeof path, "%s/loss.png", dir);
  CHECK (gt_plot_losses (path, 2, names, steps, vals, N) == 0, "%s",
      gc_last_error ());
  size_t n = 0;
  unsigned char *d = tcheck_read_file (path, &n);
  REQUIRE (d, "no plot written");
  int w, h;
  uint8_t *rgb = NULL;
  const char *why = "";
  CHECK (png_check_decode (d, n, &w, &h, &rgb, &why) == 0, "plot: %s", why);
  if (rgb) {
    /* The two series colours (first two of the palette) draw long lines,
     * far more pixels than the legend bar alone (19x4). */
    CHECK (has_colour (rgb, w, h, 31, 119, 180) > 400, "no first curve");
    CHECK (has_colour (rgb, w, h, 255, 127, 14) > 400, "no second curve");
    CHECK (has_colour (rgb, w, h, 255, 255, 255) > w * h / 2,
        "background is not mostly white");
  }
  free (rgb);
  free (d);
  CHECK (gt_plot_losses (path, 0, names, steps, vals, N) < 0,
      "plotting nothing should fail");
}

int
main (void)
{
  /* Standard check values of both checksums. */
  CHECK (gt_crc32 (0, "123456789", 9) == 0xCBF43926u, "crc32 %08x",
      gt_crc32 (0, "123456789", 9));
  CHECK (gt_adler32 (1, "Wikipedia", 9) == 0x11E60398u, "adler32 %08x",
      gt_adler32 (1, "Wikipedia", 9));
  char *dir = tcheck_tmpdir ("png");
  REQUIRE (dir, "no temp dir");
  roundtrip (dir, 7, 5);
  roundtrip (dir, 1, 1);
  roundtrip (dir, 300, 200);    /* > 64 KiB: several stored blocks */
  uint8_t px[3] = { 1, 2, 3 };
  CHECK (gt_png_write ("/nonexistent-dir/x.png", 1, 1, px) < 0,
      "writing into a missing folder succeeded");
  CHECK (gt_png_write ("x.png", 0, 1, px) < 0, "zero width accepted");
  plot (dir);
  plot_mixed (dir);
  tcheck_rmtree (dir);
  free (dir);
  return gan_test_report ("test_png");
}
