/* A tiny PNG writer: 8-bit RGB, zlib "stored" deflate blocks, so the frame
 * needs no zlib. Files are larger than compressed ones, which does not
 * matter for a loss plot. */
#ifndef GT_PNG_H
#define GT_PNG_H

#include <stddef.h>
#include <stdint.h>

uint32_t gt_crc32 (uint32_t crc, const void *data, size_t n);   /* start 0 */
uint32_t gt_adler32 (uint32_t adler, const void *data, size_t n); /* start 1 */

/* rgb: packed h rows of w RGB triplets. Written atomically.
 * Returns 0 or -1 (gc_last_error says why). */
int gt_png_write (const char *path, int w, int h, const uint8_t *rgb);

#endif
