/* libgancore — multi-resolution STFT loss (Parallel WaveGAN, Yamamoto et
 * al. 2020): per resolution, spectral convergence
 *   || |Y| - |X| ||_F / || |Y| ||_F
 * plus the mean absolute difference of log magnitudes, with magnitudes
 * sqrt (max (power, 1e-7)) and a Hann window; the sum of both terms is
 * averaged over resolutions and signals. The gradient w.r.t. the predicted
 * signal is analytic: d/d|X| by hand, then gc_stft_mag_backward.
 */
#include "gc_spectral.h"
#include "gc_threads.h"
#include "gc_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAG_FLOOR_POWER 1e-7f

/* What one thread needs: its own transforms (FFTW plans may run in
 * parallel, but each gc_stft has scratch buffers) and spectra. */
typedef struct {
  gc_stft **stft;           /* one per resolution */
  float *spec_x, *spec_y, *mag_x, *mag_y, *dmag;
  size_t spec_cap, mag_cap;
} mr_slot;

struct gc_mrstft {
  int n_res;
  int *fft, *hop, *win;
  mr_slot *slots;
  int n_slots;
  double *per_signal;       /* batch losses, summed in order afterwards */
  int per_signal_cap;
};

static void
slot_clear (gc_mrstft *m, mr_slot *s)
{
  for (int r = 0; s->stft && r < m->n_res; r++)
    gc_stft_free (s->stft[r]);
  free (s->stft);
  free (s->spec_x);
  free (s->spec_y);
  free (s->mag_x);
  free (s->mag_y);
  free (s->dmag);
  memset (s, 0, sizeof *s);
}

static int
slot_init (gc_mrstft *m, mr_slot *s)
{
  memset (s, 0, sizeof *s);
  s->stft = calloc (m->n_res, sizeof *s->stft);
  if (!s->stft) {
    gc_set_error ("mrstft: out of memory");
    return -1;
  }
  for (int r = 0; r < m->n_res; r++)
    if (!(s->stft[r] = gc_stft_new (m->fft[r], m->win[r], m->hop[r],
                GC_WIN_HANN))) {
      slot_clear (m, s);
      return -1;
    }
  return 0;
}

gc_mrstft *
gc_mrstft_new (int n_res, const int *fft_sizes, const int *hops,
    const int *win_lengths)
{
  if (n_res < 1 || !fft_sizes || !hops) {
    gc_set_error ("mrstft: need at least one resolution");
    return NULL;
  }
  gc_mrstft *m = calloc (1, sizeof *m);
  if (!m || !(m->fft = calloc (n_res, sizeof (int)))
      || !(m->hop = calloc (n_res, sizeof (int)))
      || !(m->win = calloc (n_res, sizeof (int)))
      || !(m->slots = calloc (1, sizeof *m->slots))) {
    gc_mrstft_free (m);
    gc_set_error ("mrstft: out of memory");
    return NULL;
  }
  m->n_res = n_res;
  for (int r = 0; r < n_res; r++) {
    m->fft[r] = fft_sizes[r];
    m->hop[r] = hops[r];
    m->win[r] = win_lengths ? win_lengths[r] : fft_sizes[r];
  }
  /* the first slot checks the sizes now rather than at the first loss */
  if (slot_init (m, &m->slots[0]) < 0) {
    gc_mrstft_free (m);
    return NULL;
  }
  m->n_slots = 1;
  return m;
}

void
gc_mrstft_free (gc_mrstft *m)
{
  if (!m)
    return;
  for (int i = 0; i < m->n_slots; i++)
    slot_clear (m, &m->slots[i]);
  free (m->slots);
  free (m->fft);
  free (m->hop);
  free (m->win);
  free (m->per_signal);
  free (m);
}

static int
ensure_slots (gc_mrstft *m, int n)
{
  if (n <= m->n_slots)
    return 0;
  mr_slot *s = realloc (m->slots, n * sizeof *s);
  if (!s)
    return -1;
  m->slots = s;
  for (; m->n_slots < n; m->n_slots++)
    if (slot_init (m, &m->slots[m->n_slots]) < 0)
      return -1;
  return 0;
}

static int
grow (float **p, size_t n)
{
  float *q = realloc (*p, n * sizeof (float));
  if (!q)
    return -1;
  *p = q;
  return 0;
}

static int
ensure_scratch (gc_mrstft *m, mr_slot *s, int len)
{
  size_t mag = 0;
  for (int r = 0; r < m->n_res; r++) {
    size_t cells = (size_t) gc_stft_frames (s->stft[r], len)
        * gc_stft_bins (s->stft[r]);
    if (cells > mag)
      mag = cells;
  }
  if (2 * mag > s->spec_cap) {
    if (grow (&s->spec_x, 2 * mag) < 0 || grow (&s->spec_y, 2 * mag) < 0)
      return -1;
    s->spec_cap = 2 * mag;
  }
  if (mag > s->mag_cap) {
    if (grow (&s->mag_x, mag) < 0 || grow (&s->mag_y, mag) < 0
        || grow (&s->dmag, mag) < 0)
      return -1;
    s->mag_cap = mag;
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
loss_one (mr_slot *m, gc_stft *stft, const float *x, const float *y,
    int len, float weight, float *grad)
{
  int bins = gc_stft_bins (stft);
  int frames = gc_stft_forward (stft, x, len, m->spec_x);
  gc_stft_forward (stft, y, len, m->spec_y);
  size_t cells = (size_t) frames * bins;
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
    gc_stft_mag_backward (stft, x, len, m->spec_x, m->dmag, grad);
  }
  return sc + lm;
}

typedef struct {
  gc_mrstft *m;
  const float *pred, *target;
  int batch, len, n_slots;
  float weight;
  float *grad;
} loss_job;

/* Slot i handles signals i, i + n_slots, ...: each slot's scratch is used
 * by one thread, and each gradient row is written by one thread. */
static void
loss_range (void *ctx, int begin, int end, int worker)
{
  loss_job *j = ctx;
  for (int i = begin; i < end; i++) {
    mr_slot *slot = &j->m->slots[i];
    for (int b = i; b < j->batch; b += j->n_slots) {
      const float *x = j->pred + (size_t) b * j->len;
      const float *y = j->target + (size_t) b * j->len;
      float *g = j->grad ? j->grad + (size_t) b * j->len : NULL;
      double sum = 0;
      for (int r = 0; r < j->m->n_res; r++)
        sum += loss_one (slot, slot->stft[r], x, y, j->len, j->weight, g);
      j->m->per_signal[b] = sum;
    }
  }
}

float
gc_mrstft_loss (gc_mrstft *m, const float *pred, const float *target,
    int batch, int len, float *grad)
{
  if (!m || !pred || !target || batch < 1 || len < 1) {
    gc_set_error ("mrstft: invalid input (batch %d, length %d)", batch, len);
    return NAN;
  }
  int n_slots = gc_current_threads ();
  n_slots = n_slots < 1 ? 1 : n_slots > batch ? batch : n_slots;
  if (ensure_slots (m, n_slots) < 0)
    return NAN;
  for (int i = 0; i < n_slots; i++)
    if (ensure_scratch (m, &m->slots[i], len) < 0) {
      gc_set_error ("mrstft: out of memory");
      return NAN;
    }
  if (batch > m->per_signal_cap) {
    double *p = realloc (m->per_signal, batch * sizeof (double));
    if (!p) {
      gc_set_error ("mrstft: out of memory");
      return NAN;
    }
    m->per_signal = p;
    m->per_signal_cap = batch;
  }
  if (grad)
    memset (grad, 0, (size_t) batch * len * sizeof (float));
  loss_job job = { m, pred, target, batch, len, n_slots,
    1.0f / ((float) m->n_res * batch), grad };
  gc_parallel_for (n_slots, n_slots, loss_range, &job);
  /* summed in signal order: the same value whatever the thread count */
  double total = 0;
  for (int b = 0; b < batch; b++)
    total += m->per_signal[b];
  return (float) (total * job.weight);
}
