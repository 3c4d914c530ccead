/* gan-wavcmp REF TEST DELAY [QUANT]: is TEST (a plugin host's output) the
 * element's output REF, DELAY frames later, sample for sample?
 *
 * Both are WAV files (16- or 32-bit PCM, or 32-bit float). REF is read as
 * float; with QUANT it is first brought to the sample format TEST was
 * written in the way that host does it:
 *   s16    lrintf (v * 32768), clipped (gandenoise's S16LE, GStreamer)
 *   s16floor  floorf (v * 32768), clipped (applyplugin)
 *   s32trunc  v * 2^31 rounded toward zero, clipped (sox's 32-bit
 *             samples, from its float-to-sample conversion)
 * QUANT "near" is for a live graph that does not promise bit-exactness
 * (PipeWire): the offset where TEST best matches REF is searched, and it
 * must be DELAY, with the error at it under 1 % of REF's energy.
 * Otherwise TEST frames before DELAY must be silent; frames after REF's end are not
 * compared (a host stops with its input, so the last DELAY frames of the
 * element's drained tail never come out of it). Exit 0 when every
 * compared sample is equal and at least half of REF was compared; prints
 * what it found. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int ch, bits, is_float;
  long frames;
  double *x;                    /* as read: integers stay integers */
} Wav;

static uint32_t
le32 (const unsigned char *p)
{
  return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t) p[3] << 24;
}

static int
read_wav (const char *path, Wav *w)
{
  FILE *f = fopen (path, "rb");
  if (!f) {
    fprintf (stderr, "%s: cannot open\n", path);
    return -1;
  }
  fseek (f, 0, SEEK_END);
  long size = ftell (f);
  fseek (f, 0, SEEK_SET);
  unsigned char *b = malloc (size);
  if (!b || fread (b, 1, size, f) != (size_t) size || size < 12 ||
      memcmp (b, "RIFF", 4) || memcmp (b + 8, "WAVE", 4)) {
    fprintf (stderr, "%s: not a WAV file\n", path);
    fclose (f);
    free (b);
    return -1;
  }
  fclose (f);
  int fmt = 0;
  memset (w, 0, sizeof (*w));
  for (long p = 12; p + 8 <= size;) {
    uint32_t len = le32 (b + p + 4);
    if (len > (uint32_t) (size - p - 8))
      len = (uint32_t) (size - p - 8);  /* streamed: length unknown */
    if (!memcmp (b + p, "fmt ", 4) && len >= 16) {
      fmt = b[p + 8] | b[p + 9] << 8;
      w->ch = b[p + 10] | b[p + 11] << 8;
      w->bits = b[p + 22] | b[p + 23] << 8;
      if (fmt == 0xFFFE && len >= 26)
        fmt = b[p + 32] | b[p + 33] << 8;     /* extensible: sub-format */
    } else if (!memcmp (b + p, "data", 4) && w->ch > 0) {
      int bps = w->bits / 8;
      w->is_float = fmt == 3;
      if ((fmt != 1 && fmt != 3) || (bps != 2 && bps != 4)) {
        fprintf (stderr, "%s: format %d, %d bits not handled\n", path, fmt,
            w->bits);
        free (b);
        return -1;
      }
      w->frames = len / (bps * w->ch);
      w->x = malloc (sizeof (double) * w->frames * w->ch + 1);
      const unsigned char *d = b + p + 8;
      for (long i = 0; i < w->frames * w->ch; i++) {
        if (bps == 2)
          w->x[i] = (int16_t) (d[2 * i] | d[2 * i + 1] << 8);
        else if (w->is_float) {
          uint32_t u = le32 (d + 4 * i);
          float v;
          memcpy (&v, &u, 4);
          w->x[i] = v;
        } else
          w->x[i] = (int32_t) le32 (d + 4 * i);
      }
      free (b);
      return 0;
    }
    p += 8 + len + (len & 1);
  }
  fprintf (stderr, "%s: no data\n", path);
  free (b);
  return -1;
}

static double
quant (double v, const char *q)
{
  if (!q)
    return v;
  if (!strcmp (q, "s16")) {
    float s = (float) v * 32768.f;
    s = s > 32767.f ? 32767.f : s < -32768.f ? -32768.f : s;
    return (double) lrintf (s);
  }
  if (!strcmp (q, "s16floor")) {
    float s = floorf ((float) v * 32768.f);
    return s > 32767.f ? 32767.f : s < -32768.f ? -32768.f : s;
  }
  if (!strcmp (q, "s32trunc")) {
    double s = v * 2147483648.0;
    s = s > 2147483647.0 ? 2147483647.0 : s < -2147483648.0 ? -2147483648.0 : s;
    return trunc (s);
  }
  fprintf (stderr, "unknown QUANT %s\n", q);
  exit (2);
}

/* error energy of TEST shifted by d against REF, over REF frames [a, b) */
static double
sse (const Wav *r, const Wav *t, long d, long a, long b, double *ref_e)
{
  double e = 0, s = 0;
  for (long j = a; j < b; j++)
    for (int c = 0; c < r->ch; c++) {
      long i = j + d;
      double y = i >= 0 && i < t->frames ? t->x[i * t->ch + c] : 0;
      double x = r->x[j * r->ch + c];
      e += (y - x) * (y - x);
      s += x * x;
    }
  if (ref_e)
    *ref_e = s;
  return e;
}

static int
near (const Wav *r, const Wav *t, long delay)
{
  /* up to TEST's last sound: a live graph stops with its input, so the
   * tail the element drains never comes out of it */
  long last = t->frames - 1;
  while (last > 0 && t->x[last * t->ch] == 0)
    last--;
  long best = -1, n = r->frames < last + 1 - delay ? r->frames :
      last + 1 - delay;
  double be = 1e300, s;
  /* a window in the middle picks the offset */
  long a = n / 2, b = a + (n / 8 < 4800 ? n / 8 : 4800);
  for (long d = 0; d <= 4 * delay + 8192; d++) {
    double e = sse (r, t, d, a, b, NULL);
    if (e < be)
      be = e, best = d;
  }
  double e = sse (r, t, best, 0, n, &s);
  printf ("best offset %ld (reported latency %ld), error %.3g of the "
      "reference's energy over %ld frames\n", best, delay, e / (s + 1e-30), n);
  return best == delay && e < 0.01 * s && n * 2 >= r->frames ? 0 : 1;
}

int
main (int argc, char **argv)
{
  Wav r, t;
  if (argc < 4) {
    fprintf (stderr, "usage: gan-wavcmp REF TEST DELAY [s16|s16floor|s32trunc|near]\n");
    return 2;
  }
  long delay = atol (argv[3]);
  const char *q = argc > 4 ? argv[4] : NULL;
  if (read_wav (argv[1], &r) || read_wav (argv[2], &t))
    return 2;
  if (r.ch != t.ch) {
    fprintf (stderr, "channels differ: %d vs %d\n", r.ch, t.ch);
    return 1;
  }
  if (q && !strcmp (q, "near"))
    return near (&r, &t, delay);
  long bad = 0, lead = 0, n = 0, first_bad = -1;
  double worst = 0;
  for (long i = 0; i < t.frames; i++)
    for (int c = 0; c < t.ch; c++) {
      double y = t.x[i * t.ch + c];
      if (i < delay) {
        lead += y != 0;
        continue;
      }
      long j = i - delay;
      if (j >= r.frames)
        continue;
      double want = quant (r.x[j * r.ch + c], q);
      n++;
      if (y != want) {
        if (first_bad < 0)
          first_bad = j;
        bad++;
        worst = fmax (worst, fabs (y - want));
      }
    }
  long compared = n / t.ch;
  printf ("%ld frames compared (delay %ld), %ld samples differ (first at "
      "frame %ld, largest difference %g), %ld non-silent lead-in samples\n",
      compared, delay, bad, first_bad, worst, lead);
  return bad == 0 && lead == 0 && compared * 2 >= r.frames ? 0 : 1;
}
