/* gcn_resampler — Kaiser-windowed sinc resampling; see gcn_resampler.h. */
#include "gcn_resampler.h"
#include "gc_base.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RS_ZEROS 32              /* zero crossings on each side */
#define RS_BETA 8.0

struct gcn_resampler {
  int ri, ro, phases, taps, half;
  double fc, tw, i0b;       /* cutoff (cycles per input sample), half
                             * width (input samples), I0 (beta) */
  double *scratch;          /* [taps]: one phase's taps before rounding */
  float *table;             /* [phases][taps] */
  float *buf;               /* pending input, buf[0] is input index buf_start */
  long buf_len, buf_cap, buf_start;
  long next_out;            /* index of the next output sample */
};

static double
bessel_i0 (double x)
{
  double sum = 1, term = 1, q = x * x / 4;
  for (int k = 1; k < 64; k++) {
    term *= q / ((double) k * k);
    sum += term;
    if (term < sum * 1e-12)
      break;
  }
  return sum;
}

static long
gcd_long (long a, long b)
{
  while (b) {
    long t = a % b;
    a = b;
    b = t;
  }
  return a;
}

long
gcn_resample_len (long n_in, int rate_in, int rate_out)
{
  if (n_in <= 0 || rate_in <= 0 || rate_out <= 0)
    return 0;
  return (n_in * (long) rate_out + rate_in / 2) / rate_in;
}

/* The design: cutoff in cycles per sample of the lower rate, zero
 * crossings of the sinc over the window's half width, the Kaiser window's
 * beta, each phase normalised to unit DC gain or not. */
typedef struct {
  double cutoff;
  int zeros;
  double beta;
  int unit_dc;
} design;

/* cutoff at 0.47 of the lower rate: the band edge of telephone speech
 * stays clear of the aliases */
static const design voc_design = { 0.47, RS_ZEROS, RS_BETA, 0 };

/* Tables of more taps than this are not built (a ratio of two large
 * coprime rates); the one-shot path computes each output's taps instead. */
#define RS_TABLE_MAX (1 << 22)

/* The taps of output phase p into dst (r->taps). */
static void
fill_phase (const gcn_resampler *r, const design *d, int p, float *dst)
{
  double frac = (double) p / r->phases, sum = 0, *h = r->scratch;
  for (int m = 0; m < r->taps; m++) {
    /* tap m reads input ip - half + 1 + m; tau = position - input */
    double tau = frac + r->half - 1 - m;
    double u = tau / r->tw, v = 0;
    if (fabs (u) < 1.0) {
      double xs = 2.0 * r->fc * tau;
      double sinc = fabs (xs) < 1e-9 ? 1.0 : sin (M_PI * xs) / (M_PI * xs);
      v = 2.0 * r->fc * sinc * bessel_i0 (d->beta * sqrt (1 - u * u)) / r->i0b;
    }
    h[m] = v;
    sum += v;
  }
  for (int m = 0; m < r->taps; m++)
    dst[m] = (float) (d->unit_dc && sum != 0 ? h[m] / sum : h[m]);
}

/* Sets up r; table 1: build the tap table, 0: none, -1: unless it would
 * be too large, and then the one-shot path computes each output's taps. */
static int
resampler_setup (gcn_resampler *r, int ri, int ro, const design *d,
    int table)
{
  long g = gcd_long (ri, ro);
  r->ri = ri;
  r->ro = ro;
  r->phases = (int) (ro / g);
  double fc = d->cutoff * (ri < ro ? ri : ro) / ri;   /* per input sample */
  double tw = d->zeros / (2.0 * fc);  /* half width, in input samples */
  r->half = (int) ceil (tw);
  r->taps = 2 * r->half;
  r->fc = fc;
  r->tw = tw;
  r->i0b = bessel_i0 (d->beta);
  r->table = NULL;
  r->scratch = malloc (r->taps * sizeof (double));
  if (!r->scratch)
    return -1;
  if (table < 0)
    table = (double) r->phases * r->taps <= RS_TABLE_MAX;
  if (!table)
    return 0;
  r->table = malloc ((size_t) r->phases * r->taps * sizeof (float));
  if (!r->table)
    return -1;
  for (int p = 0; p < r->phases; p++)
    fill_phase (r, d, p, r->table + (size_t) p * r->taps);
  return 0;
}

static int
resample_one_shot (const float *in, long n_in, int rate_in, float *out,
    long n_out, int rate_out, const design *d)
{
  if (!in || !out || n_in < 0 || n_out < 0 || rate_in < 1 || rate_out < 1
      || rate_in > 1000000 || rate_out > 1000000) {
    gc_set_error ("resample: bad arguments");
    return -1;
  }
  gcn_resampler r;
  memset (&r, 0, sizeof r);
  long g = gcd_long (rate_in, rate_out), ri = rate_in / g, ro = rate_out / g;
  float *one = NULL;
  if (resampler_setup (&r, rate_in, rate_out, d, -1) < 0
      || (!r.table && !(one = malloc (r.taps * sizeof *one)))) {
    free (r.table);
    free (r.scratch);
    gc_set_error ("resample: out of memory");
    return -1;
  }
  for (long j = 0; j < n_out; j++) {
    long num = j * ri;
    long ip = num / ro;
    int p = (int) (num % ro);
    const float *h = r.table + (size_t) p * r.taps;
    if (!r.table) {
      fill_phase (&r, d, p, one);
      h = one;
    }
    long first = ip - r.half + 1;
    double acc = 0;
    for (int m = 0; m < r.taps; m++) {
      long i = first + m;
      if (i >= 0 && i < n_in)
        acc += h[m] * in[i];
    }
    out[j] = (float) acc;
  }
  free (r.table);
  free (r.scratch);
  free (one);
  return 0;
}

int
gcn_resample (const float *in, long n_in, int rate_in, float *out,
    long n_out, int rate_out)
{
  return resample_one_shot (in, n_in, rate_in, out, n_out, rate_out,
      &voc_design);
}

int
gcn_resample_kaiser (const float *in, long n_in, int rate_in, float *out,
    long n_out, int rate_out, double cutoff, int zeros, double beta,
    int unit_dc)
{
  if (!(cutoff > 0 && cutoff <= 0.5) || zeros < 1 || zeros > 256
      || !(beta >= 0 && beta <= 40)) {
    gc_set_error ("resample: cutoff %g (0..0.5), zero crossings %d (1..256) "
        "or beta %g (0..40) out of range", cutoff, zeros, beta);
    return -1;
  }
  design d = { cutoff, zeros, beta, unit_dc };
  return resample_one_shot (in, n_in, rate_in, out, n_out, rate_out, &d);
}

gcn_resampler *
gcn_resampler_new (int rate_in, int rate_out)
{
  if (rate_in < 1 || rate_out < 1 || rate_in > 1000000 || rate_out > 1000000)
    return NULL;
  gcn_resampler *r = calloc (1, sizeof *r);
  if (!r || resampler_setup (r, rate_in, rate_out, &voc_design, 1) < 0) {
    if (r) {
      free (r->table);
      free (r->scratch);
    }
    free (r);
    return NULL;
  }
  gcn_resampler_reset (r);
  return r;
}

void
gcn_resampler_free (gcn_resampler *r)
{
  if (!r)
    return;
  free (r->table);
  free (r->scratch);
  free (r->buf);
  free (r);
}

void
gcn_resampler_reset (gcn_resampler *r)
{
  r->buf_len = 0;
  r->buf_start = 0;
  r->next_out = 0;
}

int
gcn_resampler_latency (const gcn_resampler *r)
{
  return r->half;
}

long
gcn_resampler_max_out (const gcn_resampler *r, long n_in)
{
  return (n_in + r->taps + 2) * (long) r->ro / r->ri + 2;
}

long
gcn_resampler_push (gcn_resampler *r, const float *in, long n_in, float *out)
{
  if (n_in < 0)
    return 0;
  if (r->buf_len + n_in > r->buf_cap) {
    long cap = (r->buf_len + n_in) * 2 + 256;
    float *nb = realloc (r->buf, cap * sizeof (float));
    if (!nb)
      return 0;
    r->buf = nb;
    r->buf_cap = cap;
  }
  if (n_in)
    memcpy (r->buf + r->buf_len, in, n_in * sizeof (float));
  r->buf_len += n_in;
  long g = gcd_long (r->ri, r->ro), ri = r->ri / g, ro = r->ro / g;
  long end = r->buf_start + r->buf_len;      /* inputs received */
  long produced = 0;
  for (;;) {
    long num = r->next_out * ri;
    long ip = num / ro;
    if (ip + r->half >= end)                 /* last tap not here yet */
      break;
    int p = (int) (num % ro);
    const float *h = r->table + (size_t) p * r->taps;
    long first = ip - r->half + 1;
    double acc = 0;
    for (int m = 0; m < r->taps; m++) {
      long i = first + m - r->buf_start;
      if (i >= 0)               /* before the start: silence */
        acc += h[m] * r->buf[i];
    }
    out[produced++] = (float) acc;
    r->next_out++;
  }
  /* drop inputs no future output reads */
  long need = (r->next_out * ri) / ro - r->half + 1;
  long drop = need - r->buf_start;
  if (drop > 0) {
    if (drop > r->buf_len)
      drop = r->buf_len;
    memmove (r->buf, r->buf + drop, (r->buf_len - drop) * sizeof (float));
    r->buf_len -= drop;
    r->buf_start += drop;
  }
  return produced;
}
