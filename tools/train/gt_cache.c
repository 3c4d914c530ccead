/* gan-train: decoded-media cache files (see gt_cache.h).
 * File: "GTCACHE1", u32 key length, key, u32 dtype, i64 dims[4], f64 extra,
 * then the elements, little-endian host order (the cache is local). */
#include "gt_cache.h"
#include "gt.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[8] = { 'G', 'T', 'C', 'A', 'C', 'H', 'E', '1' };

int
gt_cache_key (const char *path, const char *format, char *key, size_t n)
{
  char *abs = realpath (path, NULL);
  struct stat st;
  if (!abs || stat (abs, &st) != 0) {
    free (abs);
    return -1;
  }
  int len = snprintf (key, n, "%s|%lld|%lld.%09ld|%s", abs,
      (long long) st.st_size, (long long) st.st_mtim.tv_sec,
      (long) st.st_mtim.tv_nsec, format);
  free (abs);
  return len > 0 && (size_t) len < n ? 0 : -1;
}

size_t
gt_cache_elements (const gt_cache_blob *b)
{
  size_t e = 1;
  for (int i = 0; i < 4; i++) {
    if (b->dims[i] < 0 || (b->dims[i] && e > SIZE_MAX / (size_t) b->dims[i]))
      return 0;
    e *= (size_t) b->dims[i];
  }
  return e;
}

static size_t
elem_size (gt_cache_dtype t)
{
  return t == GT_CACHE_U8 ? 1 : 4;
}

/* FNV-1a: the file name only spreads entries; the full key inside the file
 * is compared on every hit. */
static void
entry_path (const char *dir, const char *key, char *out, size_t n)
{
  uint64_t h = 1469598103934665603ull;
  for (const char *p = key; *p; p++)
    h = (h ^ (unsigned char) *p) * 1099511628211ull;
  snprintf (out, n, "%s/%016llx.gtc", dir, (unsigned long long) h);
}

int
gt_cache_get (const char *dir, const char *key, gt_cache_blob *b)
{
  memset (b, 0, sizeof *b);
  if (!dir || !*dir)
    return -1;
  char path[PATH_MAX];
  entry_path (dir, key, path, sizeof path);
  FILE *f = fopen (path, "rb");
  if (!f)
    return -1;
  char m[8];
  uint32_t klen = 0, dtype = 0;
  size_t want_k = strlen (key);
  char *k = malloc (want_k + 1);
  int ok = k && fread (m, 1, 8, f) == 8 && !memcmp (m, magic, 8)
      && fread (&klen, 4, 1, f) == 1 && klen == want_k
      && fread (k, 1, klen, f) == klen && !memcmp (k, key, klen)
      && fread (&dtype, 4, 1, f) == 1 && dtype <= GT_CACHE_U8
      && fread (b->dims, 8, 4, f) == 4 && fread (&b->extra, 8, 1, f) == 1;
  free (k);
  size_t count = 0;
  if (ok) {
    b->dtype = dtype;
    count = gt_cache_elements (b);
    long pos = ftell (f);
    struct stat st;
    /* The size must match exactly: a truncated entry is a miss. */
    ok = count > 0 && fstat (fileno (f), &st) == 0 && pos >= 0
        && (size_t) st.st_size - (size_t) pos == count * elem_size (dtype);
  }
  if (ok) {
    b->data = malloc (count * elem_size (dtype));
    ok = b->data && fread (b->data, elem_size (dtype), count, f) == count;
  }
  fclose (f);
  if (!ok) {
    free (b->data);
    memset (b, 0, sizeof *b);
    return -1;
  }
  return 0;
}

int
gt_cache_put (const char *dir, const char *key, const gt_cache_blob *b)
{
  if (!dir || !*dir || gt_mkdirs (dir) < 0)
    return -1;
  size_t count = gt_cache_elements (b);
  if (count == 0)
    return -1;
  char path[PATH_MAX], tmp[PATH_MAX + 32];
  entry_path (dir, key, path, sizeof path);
  snprintf (tmp, sizeof tmp, "%s.%ld.tmp", path, (long) getpid ());
  FILE *f = fopen (tmp, "wb");
  if (!f)
    return -1;
  uint32_t klen = strlen (key), dtype = b->dtype;
  int ok = fwrite (magic, 1, 8, f) == 8 && fwrite (&klen, 4, 1, f) == 1
      && fwrite (key, 1, klen, f) == klen && fwrite (&dtype, 4, 1, f) == 1
      && fwrite (b->dims, 8, 4, f) == 4 && fwrite (&b->extra, 8, 1, f) == 1
      && fwrite (b->data, elem_size (b->dtype), count, f) == count;
  if (fclose (f) != 0)
    ok = 0;
  if (ok && rename (tmp, path) == 0)
    return 0;
  unlink (tmp);
  return -1;
}
