/* libgancore — multi-resolution STFT loss (Parallel WaveGAN, Yamamoto et
 * al. 2020): per resolution, spectral convergence
 *   || |Y| - |X| ||_F / || |Y| ||_F
 * plus the mean absolute difference of log magnitudes, with magnitudes
 * sqrt (max (power, 1e-7)) and a Hann window; the sum of both terms is
 * averaged over resolutions and signals. The gradient w.r.t. the predicted
 * signal is analytic: d/d|X| by hand, then gc_stft_mag_backward.
 */
#include "gc_spectral.h"
#include "gc_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAG_FLOOR_POWER 1e-7f

typedef struct {
  gc_stft *stft;
  int bins;
} resolution;

struct gc_mrstft {
  int n_res;
  resolution *res;
  /* scratch, grown on demand */
  float *spec_x, *spec_y, *mag_x, *mag_y, *dmag;
  size_t spec_cap, mag_cap;
};

gc_mrstft *
gc_mrstft_new (int n_res, const int *fft_sizes, const int *hops,
    const int *win_lengths)
{
  if (n_res < 1 || !fft_sizes || !hops) {
    gc_set_error ("mrstft: need at least one resolution");
    return NULL;
  }
  gc_mrstft *m = calloc (1, sizeof *m);
  if (!m || !(m->res = calloc (n_res, sizeof *m->res))) {
    free (m);
    gc_set_error ("mrstft: out of memory");
    return NULL;
  }
  m->n_res = n_res;
  for (int r = 0; r < n_res; r++) {
    int win = win_lengths ? win_lengths[r] : fft_sizes[r];
    m->res[r].stft = gc_stft_new (fft_sizes[r], win, hops[r], GC_WIN_HANN);
    if (!m->res[r].stft) {
      gc_mrstft_free (m);
      return NULL;
    }
    m->res[r].bins = gc_stft_bins (m->res[r].stft);
  }
  return m;
}

void
gc_mrstft_free (gc_mrstft *m)
{
  if (!m)
    return;
  for (int r = 0; r < m->n_res; r++)
    gc_stft_free (m->res[r].stft);
  free (m->res);
  free (m->spec_x);
  free (m->spec_y);
  free (m->mag_x);
  free (m->mag_y);
  free (m->dmag);
  free (m);
}

static int
ensure_scratch (gc_mrstft *m, int len)
{
  size_t spec = 0, mag = 0;
  for (int r = 0; r < m->n_res; r++) {
    size_t cells = (size_t) gc_stft_frames (m->res[r].stft, len)
        * m->res[r].bins;
    if (cells > mag)
      mag = cells;
  }
  spec = 2 * mag;
  if (spec > m->spec_cap) {
    float *a = realloc (m->spec_x, spec * sizeof (float));
    if (a)
      m->spec_x = a;
    float *b = realloc (m->spec_y, spec * sizeof (float));
    if (b)
      m->spec_y = b;
    if (!a || !b)
      return -1;
    m->spec_cap = spec;
  }
  if (mag > m->mag_cap) {
    float *a = realloc (m->mag_x, mag * sizeof (float));
    if (a)
      m->mag_x = a;
    float *b = realloc (m->mag_y, mag * sizeof (float));
    if (b)
      m->mag_y = b;
    float *c = realloc (m->dmag, mag * sizeof (float));
    if (c)
      m->dmag = c;
    if (!a || !b || !c)
      return -1;
    m->mag_cap = mag;
  }
  return 0;
}

static void
magnitudes (const float *spec, float *mag, size_t cells)
{
  for (size_t i = 0; i < cells; i++) {
    float p = spec[2 * i] * spec[2 * i] + spec[2 * i + 1] * spec[2 * i + 1];
    mag[i] = sqrtf (p > MAG_FLOOR_POWER ? p : MAG_FLOOR_POWER);
  }
}

/* One signal at one resolution: returns SC + log-mag L1; if grad, adds
 * weight * d/dpred into it. */
static double
loss_one (gc_mrstft *m, resolution *res, const float *x, const float *y,
    int len, float weight, float *grad)
{
  int frames = gc_stft_forward (res->stft, x, len, m->spec_x);
  gc_stft_forward (res->stft, y, len, m->spec_y);
  size_t cells = (size_t) frames * res->bins;
  magnitudes (m->spec_x, m->mag_x, cells);
  magnitudes (m->spec_y, m->mag_y, cells);
  double diff2 = 0, ref2 = 0, logl1 = 0;
  for (size_t i = 0; i < cells; i++) {
    double d = (double) m->mag_y[i] - m->mag_x[i];
    diff2 += d * d;
    ref2 += (double) m->mag_y[i] * m->mag_y[i];
    logl1 += fabs (log (m->mag_y[i]) - log (m->mag_x[i]));
  }
  double diff = sqrt (diff2), ref = sqrt (ref2);
  double sc = diff / ref;
  double lm = logl1 / (double) cells;
  if (grad) {
    /* dSC/d|X| = (|X| - |Y|) / (||Y - X|| ||Y||);
     * dLM/d|X| = sign (log|X| - log|Y|) / (cells |X|).
     * Where the power is floored the magnitude is constant: no gradient. */
    double sc_f = diff > 0 ? 1.0 / (diff * ref) : 0.0;
    for (size_t i = 0; i < cells; i++) {
      float re = m->spec_x[2 * i], im = m->spec_x[2 * i + 1];
      if (re * re + im * im <= MAG_FLOOR_POWER) {
        m->dmag[i] = 0.0f;
        continue;
      }
      double mx = m->mag_x[i], my = m->mag_y[i];
      double g = (mx - my) * sc_f;
      if (mx != my)
        g += (mx > my ? 1.0 : -1.0) / ((double) cells * mx);
      m->dmag[i] = (float) (g * weight);
    }
    gc_stft_mag_backward (res->stft, x, len, m->spec_x, m->dmag, grad);
  }
  return sc + lm;
}

float
gc_mrstft_loss (gc_mrstft *m, const float *pred, const float *target,
    int batch, int len, float *grad)
{
  if (!m || !pred || !target || batch < 1 || len < 1) {
    gc_set_error ("mrstft: invalid input (batch %d, length %d)", batch, len);
    return NAN;
  }
  if (ensure_scratch (m, len) < 0) {
    gc_set_error ("mrstft: out of memory");
    return NAN;
  }
  if (grad)
    memset (grad, 0, (size_t) batch * len * sizeof (float));
  float weight = 1.0f / ((float) m->n_res * batch);
  double total = 0;
  for (int b = 0; b < batch; b++) {
    const float *x = pred + (size_t) b * len;
    const float *y = target + (size_t) b * len;
    for (int r = 0; r < m->n_res; r++)
      total += loss_one (m, &m->res[r], x, y, len, weight,
          grad ? grad + (size_t) b * len : NULL);
  }
  return (float) (total * weight);
}
