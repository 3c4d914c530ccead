/* gan-train media loading: a WAV and a PNG written here decode to the
 * expected samples and pixels, a tiny AVI to its frames; the second load
 * comes from the cache, and a changed file or format decodes again; bad
 * files fail cleanly. */
#include "tcheck.h"
#include "png_check.h"
#include "gt_wav.h"

#include "gt.h"
#include "gt_png.h"

#include <fcntl.h>
#include <gst/gst.h>
#include <math.h>
#include <sys/stat.h>

static void
write_wav (const char *path, const int16_t *lr, int frames, int rate)
{
  REQUIRE (gt_wav_write_s16 (path, lr, frames, 2, rate) == 0, "cannot write %s",
      path);
}

static long
hits (void)
{
  long h;
  gt_media_cache_stats (&h, NULL);
  return h;
}

static long
misses (void)
{
  long m;
  gt_media_cache_stats (NULL, &m);
  return m;
}

static void
test_audio (gt_ctx *c, const char *dir)
{
  enum { FRAMES = 4000, RATE = 8000 };
  static int16_t lr[2 * FRAMES];
  for (int i = 0; i < FRAMES; i++) {
    lr[2 * i] = (int16_t) lround (8000 * sin (2 * M_PI * 500.0 * i / RATE));
    lr[2 * i + 1] = (int16_t) ((i * 37) % 2000 - 1000);
  }
  char path[512];
  snprintf (path, sizeof path, "%s/tone.wav", dir);
  write_wav (path, lr, FRAMES, RATE);

  float *x = NULL;
  long n = 0, h0 = hits (), m0 = misses ();
  REQUIRE (gt_load_audio (c, path, RATE, &x, &n) == 0, "%s", gc_last_error ());
  CHECK (misses () == m0 + 1 && hits () == h0, "first load must decode");
  CHECK (n == FRAMES, "%ld samples, wrote %d", n, FRAMES);
  double err = 0;
  for (long i = 0; i < n && i < FRAMES; i++) {
    /* mono = mean of the channels, int16 scaled by 1/32768 */
    double want = (lr[2 * i] + lr[2 * i + 1]) / 2.0 / 32768.0;
    err = fmax (err, fabs (x[i] - want));
  }
  CHECK (err < 1e-6, "samples differ by up to %.3g", err);

  float *x2 = NULL;
  long n2 = 0;
  REQUIRE (gt_load_audio (c, path, RATE, &x2, &n2) == 0, "%s",
      gc_last_error ());
  CHECK (hits () == h0 + 1 && misses () == m0 + 1, "second load not cached");
  CHECK (n2 == n && !memcmp (x, x2, n * sizeof *x), "cached data differ");
  free (x2);

  /* Another rate is another entry: decoded and resampled. */
  REQUIRE (gt_load_audio (c, path, 16000, &x2, &n2) == 0, "%s",
      gc_last_error ());
  CHECK (misses () == m0 + 2, "a new rate must decode again");
  CHECK (labs (n2 - 2 * FRAMES) <= 8, "resampled length %ld", n2);
  free (x2);

  /* A newer mtime invalidates the entry. */
  struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1700000000, 0 } };
  utimensat (AT_FDCWD, path, ts, 0);
  REQUIRE (gt_load_audio (c, path, RATE, &x2, &n2) == 0, "%s",
      gc_last_error ());
  CHECK (misses () == m0 + 3, "a touched file must decode again");
  CHECK (n2 == n && !memcmp (x, x2, n * sizeof *x), "redecoded data differ");
  free (x2);

  /* A damaged cache entry is a miss, not a crash or wrong data. */
  char cmd[1024];
  snprintf (cmd, sizeof cmd, "for f in '%s'/*.gtc; do truncate -s 100 \"$f\";"
      " done", c->cache_dir);
  CHECK (system (cmd) == 0, "truncate failed");
  REQUIRE (gt_load_audio (c, path, RATE, &x2, &n2) == 0, "%s",
      gc_last_error ());
  CHECK (misses () == m0 + 4, "a truncated entry must decode again");
  CHECK (n2 == n && !memcmp (x, x2, n * sizeof *x), "data after damage");
  free (x2);
  free (x);

  /* Relative paths resolve against data_dir. */
  const char *saved = c->data_dir;
  c->data_dir = dir;
  CHECK (gt_load_audio (c, "tone.wav", RATE, &x2, &n2) == 0 && n2 == n,
      "relative path: %s", gc_last_error ());
  free (x2);
  c->data_dir = saved;
}

static void
test_image (gt_ctx *c, const char *dir)
{
  enum { W = 5, H = 4 };
  uint8_t px[W * H * 3];
  for (int i = 0; i < W * H * 3; i++)
    px[i] = (uint8_t) (i * 11 + 3);
  char path[512];
  snprintf (path, sizeof path, "%s/tiny.png", dir);
  REQUIRE (gt_png_write (path, W, H, px) == 0, "%s", gc_last_error ());
  for (int pass = 0; pass < 2; pass++) {
    float *rgb = NULL;
    int w = 0, h = 0;
    long h0 = hits ();
    REQUIRE (gt_load_image (c, path, &rgb, &w, &h) == 0, "%s",
        gc_last_error ());
    CHECK (hits () == h0 + pass, "pass %d: cache hit expected %d", pass, pass);
    CHECK (w == W && h == H, "size %dx%d", w, h);
    double err = 0;
    for (int y = 0; y < H && w == W && h == H; y++)
      for (int x = 0; x < W; x++)
        for (int ch = 0; ch < 3; ch++)
          err = fmax (err, fabs (rgb[ch * W * H + y * W + x]
                  - px[(y * W + x) * 3 + ch] / 255.0));
    CHECK (err < 1e-6, "pixels differ by %.3g", err);
    free (rgb);
  }
}

static void
test_video (gt_ctx *c, const char *dir)
{
  char path[512], desc[1024];
  snprintf (path, sizeof path, "%s/clip.avi", dir);
  /* Solid red, raw BGR in AVI: lossless, so the colour is exact. */
  snprintf (desc, sizeof desc, "videotestsrc num-buffers=6 pattern=solid-color"
      " foreground-color=0xffff0000 ! video/x-raw,format=BGR,width=32,"
      "height=24,framerate=10/1 ! avimux ! filesink location=\"%s\"", path);
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  REQUIRE (p, "cannot build the AVI writer: %s", err ? err->message : "?");
  gst_element_set_state (p, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  REQUIRE (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS, "AVI not written");
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);

  float *rgb = NULL;
  int w, h, frames;
  double fps;
  REQUIRE (gt_load_video (c, path, 0, &rgb, &w, &h, &frames, &fps) == 0,
      "%s", gc_last_error ());
  CHECK (w == 32 && h == 24 && frames == 6, "%dx%d x %d", w, h, frames);
  CHECK (fabs (fps - 10) < 1e-9, "fps %g", fps);
  size_t plane = (size_t) w * h;
  CHECK (rgb[0] == 1.0f && rgb[plane] == 0.0f && rgb[2 * plane] == 0.0f
      && rgb[(frames - 1) * 3 * plane + 7] == 1.0f, "not red");
  free (rgb);
  REQUIRE (gt_load_video (c, path, 3, &rgb, &w, &h, &frames, &fps) == 0,
      "%s", gc_last_error ());
  CHECK (frames == 3, "max_frames 3 gave %d", frames);
  free (rgb);
}

static void
test_lists_and_errors (gt_ctx *c, const char *dir)
{
  char path[512];
  snprintf (path, sizeof path, "%s/sub", dir);
  mkdir (path, 0777);
  snprintf (path, sizeof path, "%s/sub/b.WAV", dir);
  fclose (fopen (path, "w"));
  snprintf (path, sizeof path, "%s/sub/c.txt", dir);
  fclose (fopen (path, "w"));
  char **list = NULL;
  int n = gt_list_files (c, dir, ".wav,.flac", &list);
  CHECK (n == 2, "listed %d files", n);
  if (n == 2) {
    CHECK (list[0][0] == '/' && strstr (list[0], "/sub/b.WAV")
        && strstr (list[1], "/tone.wav"), "order or paths: %s %s", list[0],
        list[1]);
  }
  gt_free_list (list, n);
  CHECK (gt_list_files (c, "/nonexistent-gst-gan", ".wav", &list) < 0,
      "listing a missing folder succeeded");

  float *x = NULL;
  long nx;
  CHECK (gt_load_audio (c, "/nonexistent-gst-gan/a.wav", 16000, &x, &nx) < 0
      && strstr (gc_last_error (), "/nonexistent-gst-gan/a.wav"),
      "missing file: %s", gc_last_error ());
  CHECK (gt_load_audio (c, path, 10, &x, &nx) < 0, "rate 10 accepted");
  /* Garbage bytes: must fail, not hang or crash. */
  snprintf (path, sizeof path, "%s/junk.wav", dir);
  FILE *f = fopen (path, "wb");
  for (int i = 0; i < 5000; i++)
    fputc ((i * 7919) & 0xff, f);
  fclose (f);
  CHECK (gt_load_audio (c, path, 16000, &x, &nx) < 0, "junk decoded");
  float *rgb;
  int w, h;
  CHECK (gt_load_image (c, path, &rgb, &w, &h) < 0, "junk image decoded");
  /* The empty file from above. */
  snprintf (path, sizeof path, "%s/sub/b.WAV", dir);
  CHECK (gt_load_audio (c, path, 16000, &x, &nx) < 0, "empty file decoded");
}

int
main (int argc, char **argv)
{
  tcheck_use_system_plugins (argv[0], "registry-system.bin");
  gst_init (&argc, &argv);

  char *dir = tcheck_tmpdir ("media");
  REQUIRE (dir, "no temp dir");
  char cache[600];
  snprintf (cache, sizeof cache, "%s/cache", dir);
  gt_ctx c;
  memset (&c, 0, sizeof c);
  c.cache_dir = cache;
  test_audio (&c, dir);
  test_image (&c, dir);
  test_video (&c, dir);
  test_lists_and_errors (&c, dir);
  tcheck_rmtree (dir);
  free (dir);
  return gan_test_report ("test_media");
}
