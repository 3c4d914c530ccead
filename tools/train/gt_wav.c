/* 16-bit PCM WAV writer; see gt_wav.h. */
#include "gt_wav.h"
#include "gc_core.h"

#include <math.h>
#include <stdio.h>

/* Little-endian whatever the host. */
static void
put_le (FILE *f, uint32_t v, int bytes)
{
  for (int i = 0; i < bytes; i++)
    fputc ((v >> (8 * i)) & 0xff, f);
}

static FILE *
open_with_header (const char *path, long frames, int channels, int rate)
{
  FILE *f = fopen (path, "wb");
  if (!f) {
    gc_set_error ("cannot write %s", path);
    return NULL;
  }
  uint32_t data = (uint32_t) frames * channels * 2;
  fwrite ("RIFF", 1, 4, f);
  put_le (f, 36 + data, 4);
  fwrite ("WAVEfmt ", 1, 8, f);
  put_le (f, 16, 4);
  put_le (f, 1, 2);             /* PCM */
  put_le (f, channels, 2);
  put_le (f, rate, 4);
  put_le (f, (uint32_t) rate * channels * 2, 4);
  put_le (f, channels * 2, 2);
  put_le (f, 16, 2);
  fwrite ("data", 1, 4, f);
  put_le (f, data, 4);
  return f;
}

static int
finish (FILE *f, const char *path)
{
  int bad = ferror (f);
  if (fclose (f) != 0 || bad) {
    gc_set_error ("cannot write %s", path);
    return -1;
  }
  return 0;
}

int
gt_wav_write_s16 (const char *path, const int16_t *samples, long frames,
    int channels, int rate)
{
  FILE *f = open_with_header (path, frames, channels, rate);
  if (!f)
    return -1;
  for (long i = 0; i < frames * channels; i++)
    put_le (f, (uint16_t) samples[i], 2);
  return finish (f, path);
}

int
gt_wav_write_float (const char *path, const float *x, long n, int rate)
{
  FILE *f = open_with_header (path, n, 1, rate);
  if (!f)
    return -1;
  for (long i = 0; i < n; i++) {
    float v = fminf (1.f, fmaxf (-1.f, x[i])) * 32767.f;
    put_le (f, (uint16_t) (int16_t) lrintf (v), 2);
  }
  return finish (f, path);
}
