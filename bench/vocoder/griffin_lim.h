/* Griffin-Lim phase reconstruction from log-mel features, the baseline the
 * vocoder is measured against. Same STFT (n_fft, hop, Hann) and mel bands as
 * the vocoder the features came from. */
#ifndef GRIFFIN_LIM_H
#define GRIFFIN_LIM_H

#include "gcn_vocoder.h"

/* Magnitudes [frames][bins] from log-mel [frames][n_mels]: non-negative
 * least squares by multiplicative updates (Lee & Seung), the usual
 * mel-to-linear inversion (librosa's mel_to_stft does NNLS too). */
void gl_mel_to_mag (const gcn_vocoder *v, const float *logmel, int frames,
    float *mag);

/* iters Griffin-Lim iterations from random phase (seeded), writes len
 * samples (frames * hop). Returns 0 or -1. */
int gl_reconstruct (gcn_vocoder *v, const float *mag, int frames, int iters,
    uint64_t seed, float *y);

#endif
