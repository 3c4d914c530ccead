/* A deterministic speech-like test signal: voiced syllables (gliding pitch,
 * harmonics shaped by three formants), fricative noise bursts and short
 * pauses, about 4 syllables per second, like read speech. */
#ifndef SPEECHLIKE_H
#define SPEECHLIKE_H

#include <math.h>
#include <stdint.h>
#include <stddef.h>

static uint64_t sl_state = 88172645463325252ull;

static inline double
sl_uniform (void)               /* xorshift64, [0, 1) */
{
  sl_state ^= sl_state << 13;
  sl_state ^= sl_state >> 7;
  sl_state ^= sl_state << 17;
  return (sl_state >> 11) * (1.0 / 9007199254740992.0);
}

static inline double
sl_normal (void)
{
  double u = sl_uniform () + 1e-12, v = sl_uniform ();
  return sqrt (-2 * log (u)) * cos (2 * M_PI * v);
}

static inline double
sl_formant_gain (double f, double f1, double f2)
{
  double g = 0;
  const double fs[3] = { f1, f2, 2600 }, bw[3] = { 90, 120, 200 },
      amp[3] = { 1.0, 0.6, 0.25 };
  for (int k = 0; k < 3; k++)
    g += amp[k] / (1 + pow ((f - fs[k]) / bw[k], 2));
  return g;
}

/* Fill x[n] at `rate` Hz; seed picks the utterance. */
static inline void
speechlike (float *x, size_t n, int rate, uint64_t seed)
{
  sl_state = 88172645463325252ull ^ (seed * 0x9E3779B97F4A7C15ull);
  for (size_t i = 0; i < n; i++)
    x[i] = (float) (1e-4 * sl_normal ());       /* faint room noise */
  size_t pos = (size_t) (0.1 * rate);
  double phase = 0, lp = 0;
  while (pos < n) {
    /* an optional fricative onset */
    if (sl_uniform () < 0.4) {
      size_t len = (size_t) ((0.04 + 0.06 * sl_uniform ()) * rate);
      for (size_t i = 0; i < len && pos < n; i++, pos++) {
        double w = sl_normal ();
        double hp = w - lp;     /* crude high-pass: hiss */
        lp = 0.7 * lp + 0.3 * w;
        x[pos] += (float) (0.05 * hp * sin (M_PI * i / len));
      }
    }
    size_t len = (size_t) ((0.12 + 0.15 * sl_uniform ()) * rate);
    double f0a = 100 + 120 * sl_uniform (), f0b = f0a * (0.8 + 0.4 * sl_uniform ());
    double f1 = 300 + 500 * sl_uniform (), f2 = 900 + 1300 * sl_uniform ();
    double level = 0.1 + 0.2 * sl_uniform ();
    for (size_t i = 0; i < len && pos < n; i++, pos++) {
      double t = (double) i / len;
      double f0 = f0a + (f0b - f0a) * t;
      phase += 2 * M_PI * f0 / rate;
      double env = sin (M_PI * t);
      double s = 0;
      for (int h = 1; h * f0 < 4000 && h * f0 < rate / 2.0; h++)
        s += sl_formant_gain (h * f0, f1, f2) * sin (h * phase) / sqrt (h);
      x[pos] += (float) (level * env * env * s * 0.3);
    }
    pos += (size_t) ((0.03 + 0.12 * sl_uniform ()) * rate);    /* pause */
  }
}

#endif
