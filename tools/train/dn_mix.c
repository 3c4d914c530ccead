/* gan-train denoise: one training mixture: excerpts, filters, synthetic noise,
 * reverberation, gating, the noisy/clean pair. */
#include "dn_internal.h"

#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double
dn_power (const float *x, long n)
{
  double e = 0;
  for (long i = 0; i < n; i++)
    e += (double) x[i] * x[i];
  return n > 0 ? e / n : 0;
}

/* A random clip of a set, drawn in proportion to its length times its
 * weight (the source balance). */
const clip *
dn_pick_clip (const clip_set *s, gc_rng *r)
{
  double pick = gc_rng_uniform (r) * s->total;
  int i = 0;
  while (i + 1 < s->n && pick >= s->c[i].n * s->c[i].w) {
    pick -= s->c[i].n * s->c[i].w;
    i++;
  }
  return &s->c[i];
}

/* A random excerpt of len samples from a set (a clip from dn_pick_clip);
 * short clips are placed at a random offset in silence. */
void
dn_excerpt (const clip_set *s, gc_rng *r, float *out, long len)
{
  const clip *c = dn_pick_clip (s, r);
  memset (out, 0, len * sizeof (float));
  if (c->n >= len) {
    long off = (long) (gc_rng_uniform (r) * (c->n - len + 1));
    memcpy (out, c->x + off, len * sizeof (float));
  } else {
    long off = (long) (gc_rng_uniform (r) * (len - c->n + 1));
    memcpy (out + off, c->x, c->n * sizeof (float));
  }
}

/* Speech excerpt that is not (almost) silent. */
void
dn_speech_excerpt (const clip_set *s, gc_rng *r, float *out, long len)
{
  for (int tries = 0; tries < 8; tries++) {
    dn_excerpt (s, r, out, len);
    if (dn_power (out, len) > 1e-6)
      return;
  }
}

/* RBJ biquad, direct form I, in place. */
static void
biquad (float *x, long n, double b0, double b1, double b2, double a1,
    double a2)
{
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (long i = 0; i < n; i++) {
    double y = b0 * x[i] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = x[i];
    y2 = y1;
    y1 = y;
    x[i] = (float) y;
  }
}

static void
peaking (float *x, long n, double f0, double gain_db, double q)
{
  double A = pow (10, gain_db / 40), w = 2 * M_PI * f0 / SR;
  double alpha = sin (w) / (2 * q), cw = cos (w);
  double a0 = 1 + alpha / A;
  biquad (x, n, (1 + alpha * A) / a0, -2 * cw / a0, (1 - alpha * A) / a0,
      -2 * cw / a0, (1 - alpha / A) / a0);
}

void
dn_highpass_at (float *x, long n, double f0, int rate)
{
  double w = 2 * M_PI * f0 / rate, alpha = sin (w) / (2 * 0.707), cw = cos (w);
  double a0 = 1 + alpha;
  biquad (x, n, (1 + cw) / 2 / a0, -(1 + cw) / a0, (1 + cw) / 2 / a0,
      -2 * cw / a0, (1 - alpha) / a0);
}

static void
highpass (float *x, long n, double f0)
{
  dn_highpass_at (x, n, f0, SR);
}

static void
lowpass (float *x, long n, double f0)
{
  double w = 2 * M_PI * f0 / SR, alpha = sin (w) / (2 * 0.707), cw = cos (w);
  double a0 = 1 + alpha;
  biquad (x, n, (1 - cw) / 2 / a0, (1 - cw) / a0, (1 - cw) / 2 / a0,
      -2 * cw / a0, (1 - alpha) / a0);
}

/* Random colouring: one or two peaking filters, sometimes a high-pass or a
 * low-pass (microphones and rooms differ). */
static void
random_eq (float *x, long n, gc_rng *r)
{
  int bands = 1 + (gc_rng_uniform (r) < 0.5f);
  for (int i = 0; i < bands; i++)
    peaking (x, n, 100 * pow (80, gc_rng_uniform (r)),
        -9 + 18 * gc_rng_uniform (r), 0.5 + 1.5 * gc_rng_uniform (r));
  if (gc_rng_uniform (r) < 0.3f)
    highpass (x, n, 40 + 200 * gc_rng_uniform (r));
  if (gc_rng_uniform (r) < 0.2f)
    lowpass (x, n, 3000 + 15000 * gc_rng_uniform (r));
}

/* White, pink (Kellet's filter) or brown noise, unit-ish power. */
static void
coloured_noise (float *x, long n, gc_rng *r)
{
  int kind = (int) (gc_rng_uniform (r) * 3);
  double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, br = 0;
  for (long i = 0; i < n; i++) {
    double w = gc_rng_normal (r);
    if (kind == 0) {
      x[i] = (float) w;
    } else if (kind == 1) {
      b0 = 0.99886 * b0 + w * 0.0555179;
      b1 = 0.99332 * b1 + w * 0.0750759;
      b2 = 0.96900 * b2 + w * 0.1538520;
      b3 = 0.86650 * b3 + w * 0.3104856;
      b4 = 0.55000 * b4 + w * 0.5329522;
      b5 = -0.7616 * b5 - w * 0.0168980;
      x[i] = (float) (b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362);
      b6 = w * 0.115926;
    } else {
      br = 0.995 * br + 0.1 * w;
      x[i] = (float) br;
    }
  }
}

/* Reverberate s in place (full response) and write the early-response
 * version into early. */
static void
reverb (dn_data *d, int room, float *s, float *early, long len)
{
  int nb = CONV_N / 2 + 1;
  memset (d->cbuf, 0, CONV_N * sizeof (float));
  memcpy (d->cbuf, s, len * sizeof (float));
  fftwf_execute_dft_r2c (d->fwd, d->cbuf, d->sspec);
  for (int which = 0; which < 2; which++) {
    fftwf_complex *h = which ? d->rir_early[room] : d->rir_full[room];
    for (int k = 0; k < nb; k++) {
      float re = d->sspec[k][0] * h[k][0] - d->sspec[k][1] * h[k][1];
      float im = d->sspec[k][0] * h[k][1] + d->sspec[k][1] * h[k][0];
      d->cspec[k][0] = re / CONV_N;
      d->cspec[k][1] = im / CONV_N;
    }
    fftwf_execute_dft_c2r (d->inv, d->cspec, d->cbuf);
    memcpy (which ? early : s, d->cbuf, len * sizeof (float));
  }
}

/* Crackle: clicks of random size at random times over a faint hiss, as a
 * loose cable, a scratched record or a fire makes; no recording in the
 * training data has it, and it is among the first things users hear. */
static void
crackle (float *x, long n, gc_rng *r)
{
  double rate = 2 + 60 * gc_rng_uniform (r);    /* clicks per second */
  double p = rate / SR;
  float hiss = 0.02f * gc_rng_uniform (r);
  for (long i = 0; i < n; i++)
    x[i] = hiss * gc_rng_normal (r);
  for (long i = 0; i < n; i++) {
    if (gc_rng_uniform (r) >= p)
      continue;
    float a = (float) pow (10, -1.5 * gc_rng_uniform (r));
    long w = 1 + (long) (gc_rng_uniform (r) * SR / 1000);     /* up to 1 ms */
    float sign = gc_rng_uniform (r) < 0.5f ? -1.f : 1.f;
    for (long k = 0; k < w && i + k < n; k++)
      x[i + k] += sign * a * (1.f - (float) k / w) * gc_rng_normal (r);
  }
}

/* Noise of one of the kinds, len samples, unit dn_power (0 if silent). */
static void
make_noise (dn_data *d, const clip_set *noise, gc_rng *r, float *n, float *tmp,
    long len, int synthetic_ok)
{
  float kind = synthetic_ok ? gc_rng_uniform (r) : 0.f;
  if (kind < 0.6f) {
    dn_excerpt (noise, r, n, len);
    /* a second, different noise under the first: a fan and a keyboard */
    if (synthetic_ok && gc_rng_uniform (r) < 0.25f) {
      dn_excerpt (noise, r, tmp, len);
      float g = (float) (sqrt ((dn_power (n, len) + 1e-9) / (dn_power (tmp, len)
                  + 1e-9)) * pow (10, (-15 + 15 * gc_rng_uniform (r)) / 20));
      for (long i = 0; i < len; i++)
        n[i] += g * tmp[i];
    }
  } else if (kind < 0.66f) {
    crackle (n, len, r);
  } else if (kind < 0.8f) {
    coloured_noise (n, len, r);
  } else if (kind < 0.92f) {
    int talkers = 3 + (int) (gc_rng_uniform (r) * 4);
    memset (n, 0, len * sizeof (float));
    for (int t = 0; t < talkers; t++) {
      dn_speech_excerpt (&d->speech, r, tmp, len);
      float g = (float) (1.0 / sqrt (dn_power (tmp, len) + 1e-9));
      for (long i = 0; i < len; i++)
        n[i] += g * tmp[i];
    }
  } else {
    dn_excerpt (noise, r, n, len);
    coloured_noise (tmp, len, r);
    float g = (float) sqrt ((dn_power (n, len) + 1e-9) /
        (dn_power (tmp, len) + 1e-9)) * 0.3f;
    for (long i = 0; i < len; i++)
      n[i] += g * tmp[i];
  }
  if (synthetic_ok && gc_rng_uniform (r) < 0.5f)
    random_eq (n, len, r);
  double p = dn_power (n, len);
  float g = p > 1e-12 ? (float) (1.0 / sqrt (p)) : 0.f;
  for (long i = 0; i < len; i++)
    n[i] *= g;
}

/* One training mixture: x noisy, s target; returns the band limit in bins. */
/* Noise that starts or stops inside the item: on over one random span
 * (20-80 % of the item) with 10 ms ramps. Real noise comes and goes (a
 * door, a passing car, a fan switched on), and a stream meets it after
 * seconds of clean speech; noise that covers every item whole never
 * teaches the network such an onset. The caller keeps the noise's level
 * over its span, so the SNR holds where the noise is. */
static void
gate_noise (float *nz, long len, gc_rng *r)
{
  long on = (long) (len * (0.2f + 0.6f * gc_rng_uniform (r)));
  long start = (long) ((len - on) * gc_rng_uniform (r));
  long ramp = HOP;              /* 10 ms */
  for (long i = 0; i < len; i++) {
    float w = 0.f;
    if (i >= start && i < start + on) {
      long a = i - start, b = start + on - 1 - i;
      long m = a < b ? a : b;
      w = m < ramp ? (float) m / ramp : 1.f;
    }
    nz[i] *= w;
  }
}

/* Speech played 0.7-0.9 times as fast: its pitch and formants drop by
 * that factor. Most of the training speech is female or telephone prompts
 * with little power under 150 Hz (LJSpeech none), while a low male voice
 * (LibriSpeech) has a quarter of its power there; a network that never
 * hears such a fundamental takes it for rumble. tmp: len floats. */
static void
deepened_excerpt (const clip_set *set, gc_rng *r, float *s, float *tmp,
    long len)
{
  double u = 0.7 + 0.2 * gc_rng_uniform (r);
  long m = (long) (len * u) + 2;
  dn_speech_excerpt (set, r, tmp, m);
  for (long i = 0; i < len; i++) {
    double pos = i * u;
    long k = (long) pos;
    float f = (float) (pos - k);
    s[i] = tmp[k] * (1.f - f) + tmp[k + 1] * f;
  }
}

int
dn_make_item (dn_data *d, gc_rng *r, float *x, float *s, float *nz, float *tmp,
    long len)
{
  const clip_set *set = d->wide.n > 0 && gc_rng_uniform (r) < dn_opt_wide ?
      &d->wide : &d->speech;
  if (dn_opt_deepen > 0.f && gc_rng_uniform (r) < dn_opt_deepen)
    deepened_excerpt (set, r, s, tmp, len);
  else
    dn_speech_excerpt (set, r, s, len);
  /* recordings carry DC and rumble that is not speech: remove it from
   * the target, or "clean speech stays clean" cannot be learnt */
  highpass (s, len, 30);
  if (gc_rng_uniform (r) < 0.4f)
    random_eq (s, len, r);
  if (d->rirs.n > 0 && gc_rng_uniform (r) < 0.3f) {
    int room = (int) (gc_rng_uniform (r) * d->rirs.n) % d->rirs.n;
    reverb (d, room, s, tmp, len);
    /* x starts as the reverberant speech, the target is the early part,
     * or (reverb_keep) the whole reverberant speech: a noise suppressor
     * that also strips a room's reverberation changes clean speech */
    memcpy (x, s, len * sizeof (float));
    if (dn_opt_reverb_keep <= 0.f || gc_rng_uniform (r) >= dn_opt_reverb_keep)
      memcpy (s, tmp, len * sizeof (float));
  } else {
    memcpy (x, s, len * sizeof (float));
  }
  double ps = dn_power (x, len);
  float sg = ps > 1e-12 ? (float) (1.0 / sqrt (ps)) : 0.f;

  /* some items are noise only or speech only */
  float u = gc_rng_uniform (r);
  float snr_db = -5 + (dn_opt_snr_max + 5) * gc_rng_uniform (r);
  float ng = (float) pow (10, -snr_db / 20);
  if (u < 0.05f)
    sg = 0.f, ng = 1.f;
  else if (u < 0.05f + dn_opt_speech_only)
    ng = 0.f;
  make_noise (d, &d->noise, r, nz, tmp, len, 1);
  if (dn_opt_gate > 0.f && sg > 0.f && gc_rng_uniform (r) < dn_opt_gate)
    gate_noise (nz, len, r);
  for (long i = 0; i < len; i++) {
    s[i] *= sg;
    x[i] = x[i] * sg + nz[i] * ng;
  }
  /* level: mixture RMS between -45 and -6 dBFS (loud ones clip below) */
  double px = dn_power (x, len);
  float level = (float) pow (10, (-45 + 39 * gc_rng_uniform (r)) / 20);
  float lg = px > 1e-12 ? level / (float) sqrt (px) : 0.f;
  for (long i = 0; i < len; i++) {
    x[i] *= lg;
    s[i] *= lg;
  }
  if (gc_rng_uniform (r) < 0.08f) {
    float peak = 0;
    for (long i = 0; i < len; i++)
      peak = fmaxf (peak, fabsf (x[i]));
    float lim = peak * (0.2f + 0.5f * gc_rng_uniform (r));
    for (long i = 0; i < len; i++)
      x[i] = fminf (lim, fmaxf (-lim, x[i]));
  }
  /* full scale clips, as an ADC does */
  for (long i = 0; i < len; i++)
    x[i] = fminf (1.f, fmaxf (-1.f, x[i]));
  /* 8-bit mu-law (G.711): the hiss and the grain of a telephone leg */
  if (gc_rng_uniform (r) < 0.04f)
    for (long i = 0; i < len; i++) {
      float m = copysignf (log1pf (255.f * fabsf (x[i])) / logf (256.f), x[i]);
      m = roundf (m * 127.f) / 127.f;
      x[i] = copysignf ((powf (256.f, fabsf (m)) - 1.f) / 255.f, m);
    }
  static const int limits[] = { 80, 160, 240, 320, 441, 480 };
  static const float cum[] = { 0.1f, 0.35f, 0.45f, 0.55f, 0.67f, 1.f };
  if (dn_opt_band > 0)
    return dn_opt_band;
  float b = gc_rng_uniform (r);
  int i = 0;
  while (i < 5 && b > cum[i])
    i++;
  return limits[i];
}
