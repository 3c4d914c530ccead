/* style_image — image helpers shared by the ganstyle bench tools: decode
 * any image GStreamer reads to packed RGB, and fit it to a frame size. */
#ifndef STYLE_IMAGE_H
#define STYLE_IMAGE_H

#include <gst/gst.h>

/* Decode an image to packed RGB at its own size (malloc'ed; NULL on
 * failure). gst_init must have run. */
guint8 *style_decode_image (const char *path, int *w, int *h);
/* Centre crop to cw:ch and box-filter down (or bilinear up) to planar float
 * RGB [3][ch][cw] in [0, 1]. */
void style_fit_cell (const guint8 *rgb, int w, int h, int cw, int ch,
    float *out);

#endif
