/* The WAV writer (gt_wav.h): every header field and sample byte of files
 * written by gt_wav_write_s16 (mono and stereo, odd lengths, no frames)
 * and gt_wav_write_float (clipping and rounding), the same samples read
 * back through GStreamer's wavparse, and a path that cannot be written. */
#include "tcheck.h"
#include "gt_wav.h"

#include "gc_core.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <math.h>

static uint32_t
le (const unsigned char *p, int bytes)
{
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* The canonical 44-byte header of 16-bit PCM, then the samples as written:
 * checked field by field against the file's own bytes. */
static void
check_file (const char *path, const int16_t *want, long frames, int channels,
    int rate)
{
  size_t n = 0;
  unsigned char *d = tcheck_read_file (path, &n);
  REQUIRE (d, "cannot read back %s", path);
  size_t data = (size_t) frames * channels * 2;
  CHECK (n == 44 + data, "%s: %zu bytes, want %zu", path, n, 44 + data);
  if (n < 44) {
    free (d);
    return;
  }
  CHECK (!memcmp (d, "RIFF", 4), "%s: no RIFF tag", path);
  CHECK (le (d + 4, 4) == n - 8, "%s: RIFF size %u, file %zu", path,
      le (d + 4, 4), n);
  CHECK (!memcmp (d + 8, "WAVEfmt ", 8), "%s: no WAVE/fmt tags", path);
  CHECK (le (d + 16, 4) == 16, "%s: fmt size %u", path, le (d + 16, 4));
  CHECK (le (d + 20, 2) == 1, "%s: format %u, not PCM", path, le (d + 20, 2));
  CHECK (le (d + 22, 2) == (uint32_t) channels, "%s: %u channels, want %d",
      path, le (d + 22, 2), channels);
  CHECK (le (d + 24, 4) == (uint32_t) rate, "%s: rate %u, want %d", path,
      le (d + 24, 4), rate);
  CHECK (le (d + 28, 4) == (uint32_t) rate * channels * 2,
      "%s: byte rate %u", path, le (d + 28, 4));
  CHECK (le (d + 32, 2) == (uint32_t) channels * 2, "%s: block align %u",
      path, le (d + 32, 2));
  CHECK (le (d + 34, 2) == 16, "%s: %u bits", path, le (d + 34, 2));
  CHECK (!memcmp (d + 36, "data", 4), "%s: no data tag", path);
  CHECK (le (d + 40, 4) == data, "%s: data size %u, want %zu", path,
      le (d + 40, 4), data);
  long bad = 0;
  for (long i = 0; i < frames * channels && 44 + 2 * (size_t) i + 1 < n; i++)
    if ((int16_t) le (d + 44 + 2 * i, 2) != want[i] && bad++ < 3)
      CHECK (0, "%s: sample %ld is %d, wrote %d", path, i,
          (int16_t) le (d + 44 + 2 * i, 2), want[i]);
  CHECK (bad == 0, "%s: %ld samples differ", path, bad);
  free (d);
}

/* filesrc ! wavparse ! appsink: the caps wavparse gives and every sample
 * it delivers. */
static void
check_wavparse (const char *path, const int16_t *want, long frames,
    int channels, int rate)
{
  char *desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! "
      "appsink name=out sync=false", path);
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  g_free (desc);
  REQUIRE (p && !err, "wavparse pipeline: %s", err ? err->message : "?");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "out");
  REQUIRE (gst_element_set_state (p, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE, "%s: cannot play", path);
  long got = 0, bad = 0;
  int caps_ok = 0;
  GstSample *s;
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstStructure *st = gst_caps_get_structure (gst_sample_get_caps (s), 0);
    int r = 0, ch = 0;
    gst_structure_get_int (st, "rate", &r);
    gst_structure_get_int (st, "channels", &ch);
    const char *fmt = gst_structure_get_string (st, "format");
    caps_ok = r == rate && ch == channels && fmt && !strcmp (fmt, "S16LE");
    GstMapInfo m;
    GstBuffer *b = gst_sample_get_buffer (s);
    if (gst_buffer_map (b, &m, GST_MAP_READ)) {
      const int16_t *x = (const int16_t *) m.data;
      for (size_t i = 0; i < m.size / 2; i++, got++)
        if (got >= frames * channels || x[i] != want[got])
          bad++;
      gst_buffer_unmap (b, &m);
    }
    gst_sample_unref (s);
  }
  GstMessage *msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p), 0,
      GST_MESSAGE_ERROR);
  CHECK (!msg, "%s: wavparse reported an error", path);
  if (msg)
    gst_message_unref (msg);
  CHECK (caps_ok, "%s: caps are not S16LE, %d Hz, %d channels", path, rate,
      channels);
  CHECK (got == frames * channels, "%s: wavparse gave %ld samples, want %ld",
      path, got, frames * channels);
  CHECK (bad == 0, "%s: %ld samples differ through wavparse", path, bad);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (p);
}

/* Full scale, both extremes and a ramp; frames * channels values. */
static int16_t *
pattern (long frames, int channels)
{
  int16_t *x = malloc ((frames * channels + 1) * sizeof *x);
  REQUIRE (x, "out of memory");
  for (long i = 0; i < frames * channels; i++)
    x[i] = (int16_t) (i % 3 == 0 ? (i & 1 ? -32768 : 32767)
        : (i * 2731) % 65536 - 32768);
  return x;
}

static void
test_s16 (const char *dir)
{
  static const struct {
    long frames;
    int channels, rate;
  } cases[] = {
    { 1001, 1, 16000 },         /* odd length, mono */
    { 777, 2, 22050 },          /* odd length, stereo */
    { 1, 2, 48000 },
    { 4800, 1, 48000 },
  };
  for (size_t k = 0; k < G_N_ELEMENTS (cases); k++) {
    long frames = cases[k].frames;
    int ch = cases[k].channels, rate = cases[k].rate;
    int16_t *x = pattern (frames, ch);
    char path[600];
    snprintf (path, sizeof path, "%s/s16-%zu.wav", dir, k);
    REQUIRE (gt_wav_write_s16 (path, x, frames, ch, rate) == 0, "%s",
        gc_last_error ());
    check_file (path, x, frames, ch, rate);
    check_wavparse (path, x, frames, ch, rate);
    free (x);
  }
  /* No frames: a valid header with an empty data chunk. */
  char path[600];
  snprintf (path, sizeof path, "%s/empty.wav", dir);
  int16_t none = 0;
  REQUIRE (gt_wav_write_s16 (path, &none, 0, 1, 8000) == 0, "%s",
      gc_last_error ());
  check_file (path, &none, 0, 1, 8000);
}

static void
test_float (const char *dir)
{
  /* Clipped to [-1, 1], scaled by 32767, rounded to nearest (even). */
  static const float x[] = { 0.f, 1.f, -1.f, 2.5f, -7.f, 0.5f, -0.5f,
    1.f / 32767, 0.4f / 32767, 0.6f / 32767, -0.6f / 32767, 0.25f, 1e-9f };
  enum { N = G_N_ELEMENTS (x) };
  int16_t want[N];
  for (int i = 0; i < N; i++)
    want[i] = (int16_t) lrint (fmin (1.0, fmax (-1.0, x[i])) * 32767.0);
  CHECK (want[1] == 32767 && want[2] == -32767 && want[3] == 32767
      && want[4] == -32767 && want[7] == 1 && want[8] == 0 && want[9] == 1
      && want[10] == -1, "the expected values themselves are wrong");
  char path[600];
  snprintf (path, sizeof path, "%s/float.wav", dir);
  REQUIRE (gt_wav_write_float (path, x, N, 24000) == 0, "%s",
      gc_last_error ());
  check_file (path, want, N, 1, 24000);
  check_wavparse (path, want, N, 1, 24000);
}

static void
test_errors (const char *dir)
{
  char path[600];
  snprintf (path, sizeof path, "%s/no/such/dir/x.wav", dir);
  int16_t s[2] = { 1, 2 };
  float f[2] = { 0.f, 0.f };
  CHECK (gt_wav_write_s16 (path, s, 1, 2, 8000) == -1,
      "a file in a missing folder was written");
  CHECK (strstr (gc_last_error (), path) != NULL,
      "the error does not name the file: %s", gc_last_error ());
  CHECK (gt_wav_write_float (path, f, 2, 8000) == -1,
      "a file in a missing folder was written (float)");
  CHECK (access (path, F_OK) != 0, "%s exists", path);
}

int
main (int argc, char **argv)
{
  tcheck_use_system_plugins (argv[0], "registry-wav.bin");   /* wavparse */
  gst_init (&argc, &argv);

  char *dir = tcheck_tmpdir ("wav");
  REQUIRE (dir, "no temp dir");
  test_s16 (dir);
  test_float (dir);
  test_errors (dir);
  tcheck_rmtree (dir);
  free (dir);
  return gan_test_report ("test_wav");
}
