/* An independent PNG reader for the tests: walks the chunks, verifies each
 * CRC, inflates *stored* deflate blocks (what gt_png writes), verifies the
 * Adler-32 and returns the RGB pixels. */
#ifndef PNG_CHECK_H
#define PNG_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* 0 on success (*rgb malloc'ed, packed RGB), else -1 with a reason. */
int png_check_decode (const unsigned char *data, size_t n, int *w, int *h,
    uint8_t **rgb, const char **why);

#endif
