/* On-disk cache of decoded media. An entry is keyed by the absolute path,
 * size and mtime of the source plus the requested format, so editing or
 * replacing a file, or asking for another sample rate, decodes again. */
#ifndef GT_CACHE_H
#define GT_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { GT_CACHE_F32 = 0, GT_CACHE_U8 = 1 } gt_cache_dtype;

typedef struct gt_cache_blob {
  gt_cache_dtype dtype;
  int64_t dims[4];          /* product = number of elements */
  double extra;             /* e.g. frames per second */
  void *data;               /* malloc'ed */
} gt_cache_blob;

/* Key for `path` decoded as `format` ("audio:rate=16000"); 0 or -1 when the
 * file cannot be stat'ed. */
int gt_cache_key (const char *path, const char *format, char *key, size_t n);
/* 0 on a hit (blob filled), -1 on a miss or a damaged entry. */
int gt_cache_get (const char *dir, const char *key, gt_cache_blob *b);
/* Best effort; returns 0 or -1. Written atomically. */
int gt_cache_put (const char *dir, const char *key, const gt_cache_blob *b);
size_t gt_cache_elements (const gt_cache_blob *b);

#endif
