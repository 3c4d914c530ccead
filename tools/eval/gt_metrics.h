/* Quality metrics shared by gan-eval, the benches and the tests.
 * Pure C (libm only): no GStreamer, no FFT library. */
#ifndef GT_METRICS_H
#define GT_METRICS_H

#include <stddef.h>

/* ---- images: planar float [3][h][w] in [0, 1] ---------------------------- */

/* PSNR in dB with peak `peak` over n values (+inf when identical). */
double gm_psnr (const float *a, const float *b, size_t n, double peak);

/* Luma Y of BT.601 in the "studio" convention SR papers use
 * (MATLAB rgb2ycbcr): Y = 16 + 65.481 R + 128.553 G + 24.966 B, range 16..235
 * for R, G, B in [0, 1]. y: [h][w]. */
void gm_rgb_to_y (const float *rgb, int w, int h, float *y);

/* SSIM of two single-channel images with values in [0, peak]: 11x11
 * Gaussian window (sigma 1.5), K1 0.01, K2 0.03, mean over the valid
 * region (Wang et al. 2004 reference). Returns NAN when smaller than 11x11. */
double gm_ssim (const float *a, const float *b, int w, int h, double peak);

/* The usual SR evaluation: shave `shave` pixels at each border, then
 * PSNR and SSIM on Y (use_y, values 0..255) or on RGB (mean over channels,
 * values 0..1). Returns 0, or -1 when the shaved image is empty. */
int gm_image_quality (const float *a, const float *b, int w, int h,
    int shave, int use_y, double *psnr, double *ssim);

/* Gradient energy: mean of squared central differences of the luma (0..1)
 * over the interior. Higher is sharper. */
double gm_gradient_energy (const float *rgb, int w, int h);

/* ---- audio ---------------------------------------------------------------- */

/* Scale-invariant SDR in dB (Le Roux et al. 2019), both signals made
 * zero-mean first. */
double gm_si_sdr (const float *ref, const float *est, size_t n);

/* Band-limited resampling with a Kaiser-windowed sinc. out must hold
 * gm_resample_len (n, from, to) values; returns that count. */
size_t gm_resample_len (size_t n, int from, int to);
size_t gm_resample (const float *x, size_t n, int from, int to, float *out);

/* STOI (Taal et al. 2011), following the reference implementation:
 * resampling to 10 kHz, removal of frames 40 dB below the loudest clean
 * frame, 256-sample Hann frames with 50 % overlap zero-padded to a 512-point
 * FFT, 15 one-third-octave bands from 150 Hz, 30-frame segments, clipping
 * at -15 dB SDR. Returns the score, about 0..1; 1e-5 (as pystoi) when
 * fewer than 30 frames remain; NAN on bad input. */
double gm_stoi (const float *clean, const float *test, size_t n, int rate);

#endif
