/* Writes 16-bit PCM WAV files for the tests. */
#ifndef WAV_WRITE_H
#define WAV_WRITE_H

#include <stdint.h>
#include <stdio.h>

static inline void
wav_put_le (FILE *f, uint32_t v, int bytes)
{
  for (int i = 0; i < bytes; i++)
    fputc ((v >> (8 * i)) & 0xff, f);
}

/* samples: frames * channels interleaved. Returns 0 or -1. */
static inline int
wav_write (const char *path, const int16_t *samples, int frames, int channels,
    int rate)
{
  FILE *f = fopen (path, "wb");
  if (!f)
    return -1;
  uint32_t data = (uint32_t) frames * channels * 2;
  fwrite ("RIFF", 1, 4, f);
  wav_put_le (f, 36 + data, 4);
  fwrite ("WAVEfmt ", 1, 8, f);
  wav_put_le (f, 16, 4);
  wav_put_le (f, 1, 2);         /* PCM */
  wav_put_le (f, channels, 2);
  wav_put_le (f, rate, 4);
  wav_put_le (f, rate * channels * 2, 4);
  wav_put_le (f, channels * 2, 2);
  wav_put_le (f, 16, 2);
  fwrite ("data", 1, 4, f);
  wav_put_le (f, data, 4);
  for (long i = 0; i < (long) frames * channels; i++)
    wav_put_le (f, (uint16_t) samples[i], 2);
  return fclose (f) == 0 ? 0 : -1;
}

#endif
