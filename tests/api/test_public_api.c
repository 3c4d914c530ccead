/* The public API (gancore.h) as an outside program uses it: open a
 * denoiser from the shipped model file or its bytes, stream a tone in
 * noise through it in odd block sizes, and check what gancore.h promises:
 * as many frames out as in, zeros for the latency, finite output the same
 * whatever the blocks, reset and the file/buffer constructors equivalent,
 * errors reported through gc_last_error ().
 *
 *   test_public_api DENOISE_MODEL.safetensors */
#include <gancore.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan_test.h"

#define RATE 48000
#define N_FRAMES (RATE / 2)

static float *
read_file (const char *path, size_t *size)
{
  FILE *f = fopen (path, "rb");
  REQUIRE (f, "cannot open %s", path);
  fseek (f, 0, SEEK_END);
  *size = (size_t) ftell (f);
  rewind (f);
  float *buf = malloc (*size);
  REQUIRE (buf && fread (buf, 1, *size, f) == *size, "cannot read %s", path);
  fclose (f);
  return buf;
}

/* A 440 Hz tone in white noise, interleaved, every channel alike. */
static float *
tone_in_noise (int channels)
{
  float *x = malloc ((size_t) N_FRAMES * channels * sizeof (float));
  unsigned s = 1;
  for (int i = 0; i < N_FRAMES; i++) {
    s = s * 1664525u + 1013904223u;
    float noise = ((s >> 8) / 16777216.f - 0.5f) * 0.1f;
    float v = 0.3f * sinf (2.f * (float) M_PI * 440.f * i / RATE) + noise;
    for (int c = 0; c < channels; c++)
      x[(size_t) i * channels + c] = v;
  }
  return x;
}

/* The whole signal through d in blocks of `block` frames. */
static float *
run (gc_denoise *d, const float *x, int channels, int block)
{
  float *y = malloc ((size_t) N_FRAMES * channels * sizeof (float));
  for (int i = 0; i < N_FRAMES; i += block) {
    int n = N_FRAMES - i < block ? N_FRAMES - i : block;
    CHECK (gc_denoise_process (d, x + (size_t) i * channels,
            y + (size_t) i * channels, n) == 0, "process: %s",
        gc_last_error ());
  }
  return y;
}

static void
test_errors (const char *model)
{
  CHECK (gc_denoise_open (NULL, RATE, 1, GC_DENOISE_INDEPENDENT) == NULL,
      "a NULL model path is refused");
  CHECK (strstr (gc_last_error (), "no model") != NULL, "error: %s",
      gc_last_error ());
  CHECK (gc_denoise_open ("/nonexistent/dn.safetensors", RATE, 1,
          GC_DENOISE_INDEPENDENT) == NULL, "a missing file is refused");
  CHECK (strstr (gc_last_error (), "/nonexistent/dn.safetensors") != NULL,
      "the error names the file: %s", gc_last_error ());
  CHECK (gc_denoise_open (model, 44101, 1, GC_DENOISE_INDEPENDENT) == NULL,
      "an unsupported rate is refused");
  CHECK (strstr (gc_last_error (), "44101") != NULL, "error: %s",
      gc_last_error ());
  CHECK (gc_denoise_open (model, RATE, GC_DENOISE_MAX_CHANNELS + 1,
          GC_DENOISE_INDEPENDENT) == NULL, "too many channels are refused");
  CHECK (gc_denoise_open_buffer ("not a model", 11, RATE, 1,
          GC_DENOISE_INDEPENDENT) == NULL, "garbage bytes are refused");
}

static void
test_stream (const char *model, int channels, gc_denoise_link link)
{
  size_t size;
  float *bytes = read_file (model, &size);
  gc_denoise *a = gc_denoise_open (model, RATE, channels, link);
  gc_denoise *b = gc_denoise_open_buffer (bytes, size, RATE, channels, link);
  free (bytes);
  REQUIRE (a && b, "open: %s", gc_last_error ());
  CHECK (gc_denoise_hop (a) == RATE / 100, "hop %d", gc_denoise_hop (a));
  int lat = gc_denoise_latency (a);
  CHECK (lat >= gc_denoise_hop (a) && lat % gc_denoise_hop (a) == 0
      && lat < N_FRAMES / 4, "latency %d", lat);

  float *x = tone_in_noise (channels);
  float *y1 = run (a, x, channels, N_FRAMES);
  float *y2 = run (b, x, channels, 137);
  size_t n = (size_t) N_FRAMES * channels;
  CHECK (memcmp (y1, y2, n * sizeof (float)) == 0,
      "output depends on the block size or on the constructor");
  int finite = 1, lead_zero = 1;
  double e_in = 0., e_out = 0.;
  for (size_t i = 0; i < n; i++) {
    finite &= isfinite (y1[i]);
    if (i < (size_t) lat * channels)
      lead_zero &= y1[i] == 0.f;
    else
      e_out += (double) y1[i] * y1[i];
    e_in += (double) x[i] * x[i];
  }
  CHECK (finite, "output not finite");
  CHECK (lead_zero, "output before the latency is not silence");
  CHECK (e_out > 1e-6 * e_in && e_out < 1.01 * e_in,
      "output energy %g for input energy %g", e_out, e_in);

  gc_denoise_reset (a);
  float *y3 = run (a, x, channels, 480);
  CHECK (memcmp (y1, y3, n * sizeof (float)) == 0,
      "a reset object differs from a fresh one");

  /* settings are plain stores any time between calls */
  gc_denoise_set_attenuation_limit (a, 0.f);
  gc_denoise_set_speech_guard (a, 10.f);
  gc_denoise_set_residual_suppression (a, 1);
  gc_denoise_set_vad (a, 0.6, 200.);
  gc_denoise_set_gate (a, 0);
  gc_denoise_reset (a);
  float *y4 = run (a, x, channels, 333);
  for (size_t i = (size_t) lat * channels; i < n; i++)
    if (y4[i] != x[i - (size_t) lat * channels]) {
      CHECK (0, "attenuation limit 0 does not pass the input through "
          "(frame %zu)", i / channels);
      break;
    }
  float p = gc_denoise_vad_prob (a);
  CHECK (p >= 0.f && p <= 1.f, "voice probability %g", p);
  CHECK (gc_denoise_voice (a) == 0 || gc_denoise_voice (a) == 1, "voice");

  gc_denoise_free (a);
  gc_denoise_free (b);
  free (x);
  free (y1);
  free (y2);
  free (y3);
  free (y4);
}

int
main (int argc, char **argv)
{
  REQUIRE (argc == 2, "usage: %s DENOISE_MODEL", argv[0]);
  CHECK (strcmp (gc_version (), EXPECTED_VERSION) == 0, "version %s",
      gc_version ());
  test_errors (argv[1]);
  test_stream (argv[1], 1, GC_DENOISE_INDEPENDENT);
  test_stream (argv[1], 2, GC_DENOISE_LINKED);
  return gan_test_report ("test_public_api");
}
