/* gcn_dn_residual — the Wiener ceiling on the noise floor; see
 * gcn_dn_residual.h. */
#include "gcn_dn_residual.h"
#include "gcn_denoiser.h"
#include "gcn_dn_guard.h"

#include <stdlib.h>

/* Decision-directed smoothing of the a-priori SNR (10 ms hops: about
 * 100 ms; 0.98, the usual value at 32 ms hops, was no better). */
#define DD 0.9f
/* The ceiling never goes under this gain (-10 dB). */
#define CEIL_MIN 0.3f
/* The network's gain at which the ceiling starts to act, and at which it
 * acts in full. */
#define GAIN_HI 0.95f
#define GAIN_LO 0.75f

struct gcn_dn_residual {
  int bins;
  float *speech;                /* last frame's power after the ceiling */
};

gcn_dn_residual *
gcn_dn_residual_new (int bins)
{
  if (bins < 1 || bins > GCN_DN_MAX_BINS)
    return NULL;
  gcn_dn_residual *r = calloc (1, sizeof (*r));
  if (!r)
    return NULL;
  r->bins = bins;
  r->speech = gc_alloc ((size_t) bins * sizeof (float));
  if (!r->speech) {
    free (r);
    return NULL;
  }
  gcn_dn_residual_reset (r);
  return r;
}

void
gcn_dn_residual_free (gcn_dn_residual *r)
{
  if (!r)
    return;
  gc_free (r->speech);
  free (r);
}

void
gcn_dn_residual_reset (gcn_dn_residual *r)
{
  for (int k = 0; k < r->bins; k++)
    r->speech[k] = 0.f;
}

void
gcn_dn_residual_apply (gcn_dn_residual *r, const struct gcn_dn_guard *guard,
    const float *spec, float *gain)
{
  for (int k = 0; k < r->bins; k++) {
    float p = spec[2 * k] * spec[2 * k] + spec[2 * k + 1] * spec[2 * k + 1];
    float n = gcn_dn_guard_floor (guard, k);
    float fade = (GAIN_HI - gain[k]) / (GAIN_HI - GAIN_LO);
    if (n > 0.f && n < 1e30f && p > 0.f && fade > 0.f) {
      float post = p / n - 1.f;
      float xi = DD * r->speech[k] / n + (1.f - DD) * (post > 0.f ? post : 0.f);
      float w = xi / (1.f + xi);
      w = w > CEIL_MIN ? w : CEIL_MIN;
      if (fade < 1.f)
        w = 1.f - fade * (1.f - w);
      if (gain[k] > w)
        gain[k] = w;
    }
    r->speech[k] = p * gain[k] * gain[k];
  }
}
