/* libgancore nets — image resampling shared by super-resolution training,
 * evaluation and the element.
 *
 * gcn_imresize_bicubic follows MATLAB's imresize (bicubic, a = -0.5, with
 * antialiasing when shrinking, mirrored borders): the super-resolution
 * literature makes its low-resolution inputs and its "bicubic" baseline
 * with it, so our figures are only comparable when we do the same. */
#ifndef GCN_RESIZE_H
#define GCN_RESIZE_H

#include "gc_export.h"
#include <stdint.h>

GC_BEGIN_DECLS

/* Resize one float plane from sw x sh to dw x dh (strides in floats). The
 * scale of each axis is dw / sw and dh / sh, as when MATLAB is given the
 * output size. Vertical pass first, like MATLAB for equal scales.
 * Returns 0, or -1 on bad sizes or allocation failure. */
int gcn_imresize_bicubic (const float *src, int sw, int sh, int sstride,
    float *dst, int dw, int dh, int dstride);

/* The same for 8-bit planes (one channel, or interleaved with `channels`
 * components: every component is resized independently); results rounded
 * and clamped like MATLAB's uint8 output. */
int gcn_imresize_bicubic_u8 (const uint8_t *src, int sw, int sh, int sstride,
    uint8_t *dst, int dw, int dh, int dstride, int channels);

/* Bilinear resize with half-pixel centres and clamped borders (no
 * antialiasing): the cheap chroma upscaler of the element. */
void gcn_resize_bilinear (const float *src, int sw, int sh, int sstride,
    float *dst, int dw, int dh, int dstride);

/* MATLAB's rgb2ycbcr luma of 8-bit RGB, in [16/255, 235/255]:
 * the Y the PSNR-Y figures of the literature are computed on. */
static inline float
gcn_luma_bt601 (float r, float g, float b)
{
  return (16.f + 65.481f * r + 128.553f * g + 24.966f * b) / 255.f;
}

GC_END_DECLS
#endif
