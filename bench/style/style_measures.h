/* style_measures — how close a stylised frame is to a painting, and what
 * it did to the photo. Four measures, none of them a training loss:
 *
 *  - texture: statistics of an oriented multi-scale filter pyramid on luma
 *    (4 scales x 4 orientations of quadrature Gabor pairs: log subband
 *    energies, magnitude autocorrelation at 2 and 4 pixels, correlation
 *    across orientations, skewness and kurtosis of each band-pass level),
 *    compared as a weighted distance;
 *  - colour: sliced Wasserstein distance between CIELAB pixel clouds
 *    (64 fixed directions, 4096 pixels each);
 *  - grid: the strongest isolated peak of the high band (above 0.2
 *    cycles/pixel) of the luma power spectrum, in dB above its 7x7
 *    neighbourhood median, and the share of high-band power in peaks
 *    (more than 6 dB over the neighbourhood) the photo does not have;
 *  - content: SSIM between the blurred gradient-magnitude maps of output
 *    and photo.
 *
 * Images are planar float RGB [3][h][w] in [0, 1]. */
#ifndef STYLE_MEASURES_H
#define STYLE_MEASURES_H

#define SM_TEX_DIM 112          /* length of a texture statistics vector */

/* Texture statistics of an image (w, h >= 64). */
void sm_texture_stats (const float *rgb, int w, int h, double *f);
/* Distance between two statistics vectors. */
double sm_texture_dist (const double *a, const double *b);

/* Sliced Wasserstein distance in CIELAB. */
double sm_colour_swd (const float *a, int aw, int ah, const float *b, int bw,
    int bh);

/* Grid: peak dB of out minus that of photo (same size, w, h >= 256), and
 * the share of out's high-band power in peaks new to it. */
void sm_grid (const float *out, const float *photo, int w, int h,
    double *peak_db, double *new_share);

/* Edge-map SSIM of out against photo (same size). */
double sm_edge_ssim (const float *out, const float *photo, int w, int h);

#endif
