/* 16-bit PCM WAV files: the one writer of gan-train (evaluation sets), the
 * benches and the tests. Plain C, no GStreamer. */
#ifndef GT_WAV_H
#define GT_WAV_H

#include <stdint.h>

/* samples: frames * channels interleaved. Returns 0, or -1 with
 * gc_last_error () naming the file. */
int gt_wav_write_s16 (const char *path, const int16_t *samples, long frames,
    int channels, int rate);

/* Mono float samples, clipped to [-1, 1] and rounded to 16 bits (full
 * scale 32767). Returns 0 or -1 as above. */
int gt_wav_write_float (const char *path, const float *x, long n, int rate);

#endif
