/* See png_check.h. CRC-32 and Adler-32 are written out again here on
 * purpose, so the test does not trust the writer's own helpers. */
#include "png_check.h"

#include <stdlib.h>
#include <string.h>

static uint32_t
crc32_bitwise (const unsigned char *p, size_t n, uint32_t crc)
{
  crc = ~crc;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

static uint32_t
be32 (const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8
      | p[3];
}

int
png_check_decode (const unsigned char *d, size_t n, int *w, int *h,
    uint8_t **rgb, const char **why)
{
  static const unsigned char sig[8] = { 137, 'P', 'N', 'G', 13, 10, 26, 10 };
  *rgb = NULL;
  if (n < 8 || memcmp (d, sig, 8)) {
    *why = "bad signature";
    return -1;
  }
  unsigned char *z = NULL;
  size_t zn = 0, pos = 8;
  int seen_ihdr = 0, seen_iend = 0;
  while (pos + 12 <= n && !seen_iend) {
    uint32_t len = be32 (d + pos);
    if (len > n - pos - 12) {
      *why = "chunk runs past the end";
      goto fail;
    }
    const unsigned char *type = d + pos + 4, *body = d + pos + 8;
    if (crc32_bitwise (type, len + 4, 0) != be32 (body + len)) {
      *why = "chunk CRC mismatch";
      goto fail;
    }
    if (!memcmp (type, "IHDR", 4)) {
      if (len != 13 || body[8] != 8 || body[9] != 2 || body[12] != 0) {
        *why = "IHDR is not 8-bit RGB, non-interlaced";
        goto fail;
      }
      *w = (int) be32 (body);
      *h = (int) be32 (body + 4);
      seen_ihdr = 1;
    } else if (!memcmp (type, "IDAT", 4)) {
      unsigned char *nz = realloc (z, zn + len + 1);
      if (!nz) {
        *why = "out of memory";
        goto fail;
      }
      z = nz;
      memcpy (z + zn, body, len);
      zn += len;
    } else if (!memcmp (type, "IEND", 4))
      seen_iend = 1;
    pos += 12 + len;
  }
  if (!seen_ihdr || !seen_iend || !z || zn < 6) {
    *why = "missing IHDR, IDAT or IEND";
    goto fail;
  }
  if (((z[0] << 8) | z[1]) % 31 != 0 || (z[0] & 0x0f) != 8) {
    *why = "bad zlib header";
    goto fail;
  }
  size_t row = (size_t) *w * 3 + 1, raw_n = row * *h, got = 0, zp = 2;
  unsigned char *raw = malloc (raw_n ? raw_n : 1);
  if (!raw) {
    *why = "out of memory";
    goto fail;
  }
  int final = 0;
  while (!final) {
    if (zp + 5 > zn || (z[zp] & 6) != 0) {
      *why = "not a stored deflate block";
      free (raw);
      goto fail;
    }
    final = z[zp] & 1;
    unsigned len = z[zp + 1] | z[zp + 2] << 8;
    unsigned nlen = z[zp + 3] | z[zp + 4] << 8;
    zp += 5;
    if ((len ^ 0xffff) != nlen || zp + len > zn || got + len > raw_n) {
      *why = "bad stored block length";
      free (raw);
      goto fail;
    }
    memcpy (raw + got, z + zp, len);
    got += len;
    zp += len;
  }
  uint32_t a = 1, b = 0;
  for (size_t i = 0; i < got; i++) {
    a = (a + raw[i]) % 65521;
    b = (b + a) % 65521;
  }
  if (got != raw_n || zp + 4 > zn || be32 (z + zp) != (b << 16 | a)) {
    *why = got != raw_n ? "wrong amount of pixel data" : "Adler-32 mismatch";
    free (raw);
    goto fail;
  }
  *rgb = malloc ((size_t) *w * *h * 3 + 1);
  for (int y = 0; *rgb && y < *h; y++) {
    if (raw[y * row] != 0) {
      *why = "unexpected filter type";
      free (*rgb);
      *rgb = NULL;
      break;
    }
    memcpy (*rgb + (size_t) y * *w * 3, raw + y * row + 1, row - 1);
  }
  free (raw);
  free (z);
  return *rgb ? 0 : -1;
fail:
  free (z);
  return -1;
}
