/* PNG encoder with stored (uncompressed) deflate blocks; see gt_png.h. */
#include "gt_png.h"

#include "gc_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint32_t
gt_crc32 (uint32_t crc, const void *data, size_t n)
{
  static uint32_t table[256];
  static int ready;
  if (!ready) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    ready = 1;
  }
  const uint8_t *p = data;
  crc = ~crc;
  for (size_t i = 0; i < n; i++)
    crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t
gt_adler32 (uint32_t adler, const void *data, size_t n)
{
  const uint8_t *p = data;
  uint32_t a = adler & 0xffff, b = adler >> 16;
  for (size_t i = 0; i < n; i++) {
    a = (a + p[i]) % 65521u;
    b = (b + a) % 65521u;
  }
  return (b << 16) | a;
}

static void
put_be32 (uint8_t *p, uint32_t v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static int
write_chunk (FILE *f, const char *type, const uint8_t *data, size_t n)
{
  uint8_t hdr[8];
  put_be32 (hdr, (uint32_t) n);
  memcpy (hdr + 4, type, 4);
  uint32_t crc = gt_crc32 (0, type, 4);
  crc = gt_crc32 (crc, data, n);
  uint8_t tail[4];
  put_be32 (tail, crc);
  return fwrite (hdr, 1, 8, f) == 8 && (n == 0 || fwrite (data, 1, n, f) == n)
      && fwrite (tail, 1, 4, f) == 4 ? 0 : -1;
}

/* The zlib stream of the filtered scanlines (filter 0 = none on each row). */
static uint8_t *
zlib_stored (int w, int h, const uint8_t *rgb, size_t *out_n)
{
  size_t row = (size_t) w * 3 + 1, raw_n = row * h;
  size_t blocks = (raw_n + 65534) / 65535;
  if (blocks == 0)
    blocks = 1;
  uint8_t *raw = malloc (raw_n ? raw_n : 1);
  uint8_t *z = malloc (2 + blocks * 5 + raw_n + 4);
  if (!raw || !z) {
    free (raw);
    free (z);
    return NULL;
  }
  for (int y = 0; y < h; y++) {
    raw[y * row] = 0;
    memcpy (raw + y * row + 1, rgb + (size_t) y * w * 3, (size_t) w * 3);
  }
  uint8_t *p = z;
  *p++ = 0x78;                  /* deflate, 32 K window */
  *p++ = 0x01;                  /* no dictionary, fastest; (0x7801 % 31 == 0) */
  size_t off = 0;
  for (size_t b = 0; b < blocks; b++) {
    size_t len = raw_n - off > 65535 ? 65535 : raw_n - off;
    *p++ = b + 1 == blocks;     /* BFINAL, BTYPE = 00 (stored) */
    p[0] = len & 0xff;
    p[1] = len >> 8;
    p[2] = ~len & 0xff;
    p[3] = (~len >> 8) & 0xff;
    p += 4;
    memcpy (p, raw + off, len);
    p += len;
    off += len;
  }
  put_be32 (p, gt_adler32 (1, raw, raw_n));
  p += 4;
  free (raw);
  *out_n = p - z;
  return z;
}

int
gt_png_write (const char *path, int w, int h, const uint8_t *rgb)
{
  if (w <= 0 || h <= 0 || w > 16384 || h > 16384) {
    gc_set_error ("%s: bad PNG size %dx%d", path, w, h);
    return -1;
  }
  size_t zn;
  uint8_t *z = zlib_stored (w, h, rgb, &zn);
  if (!z) {
    gc_set_error ("%s: out of memory", path);
    return -1;
  }
  size_t plen = strlen (path);
  char *tmp = malloc (plen + 16);
  if (!tmp) {
    free (z);
    gc_set_error ("%s: out of memory", path);
    return -1;
  }
  snprintf (tmp, plen + 16, "%s.tmp%ld", path, (long) getpid ());
  FILE *f = fopen (tmp, "wb");
  int rc = -1;
  if (f) {
    static const uint8_t sig[8] = { 137, 'P', 'N', 'G', 13, 10, 26, 10 };
    uint8_t ihdr[13];
    put_be32 (ihdr, w);
    put_be32 (ihdr + 4, h);
    ihdr[8] = 8;                /* bit depth */
    ihdr[9] = 2;                /* colour type RGB */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    rc = fwrite (sig, 1, 8, f) == 8
        && write_chunk (f, "IHDR", ihdr, 13) == 0
        && write_chunk (f, "IDAT", z, zn) == 0
        && write_chunk (f, "IEND", NULL, 0) == 0 ? 0 : -1;
    if (fclose (f) != 0)
      rc = -1;
    if (rc == 0 && rename (tmp, path) != 0)
      rc = -1;
    if (rc < 0)
      unlink (tmp);
  }
  if (rc < 0)
    gc_set_error ("%s: cannot write PNG", path);
  free (tmp);
  free (z);
  return rc;
}
