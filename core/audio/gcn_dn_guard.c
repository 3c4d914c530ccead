/* gcn_dn_guard — minimum-statistics noise floor and the gain bound it
 * gives; see gcn_dn_guard.h. */
#include "gcn_dn_guard.h"
#include "gcn_denoiser.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* Power smoothing before the minimum (about 45 ms at a 10 ms hop): the
 * minimum of a raw periodogram would sit far below the noise's mean. */
#define SMOOTH 0.8f
/* A frame whose whole power is below this (digital silence: samples of
 * 1e-9 and less) says nothing about the background and is not tracked. */
#define SILENT_POWER 1e-12f
/* Frames the smoothing runs before its values count: one raw periodogram
 * would put the floor far under the background for a whole window. */
#define SETTLE 10
/* The background between words: power averaged over the frames the
 * network hears no voice in (about 2 s; a plain mean until that many have
 * been seen). A noise that comes and goes (wind, a running tap) has a
 * minimum far below its level; this average is not fooled by that. A
 * geometric mean, or a 0.5 s one, let more of such noise through on the
 * development set (docs/denoise.md). */
#define PAUSE_AVG 0.995f
#define PAUSE_SETTLE 200
#define PAUSE_VAD 0.5f
/* The voice probability fades the bound in between these two: a network
 * unsure of a voice (0.3 .. 0.9 on breathy, low or distant speech) must
 * not cap the gain at that probability. */
#define VOICE_LO 0.2f
#define VOICE_HI 0.4f
/* Where the network is sure a bin is noise (gain under GAIN_LO, more than
 * 16 dB out) the guard does not overrule it; it fades in up to GAIN_HI.
 * Bursts of a noise that comes and goes stand above the floor, and the
 * network knows them; the speech the guard is for got gains of 0.3 and
 * more. */
#define GAIN_LO 0.15f
#define GAIN_HI 0.3f

struct gcn_dn_guard {
  int bins;
  int pos;                      /* frames in the current sub-window */
  int sub;                      /* next sub-window slot */
  int seen;                     /* frames tracked since the reset, up to
                                 * SETTLE + 1 */
  float *smooth;                /* smoothed power per bin */
  float *cur_min;               /* minimum in the current sub-window */
  float *sub_min;               /* [NSUB][bins] finished sub-windows */
  float *past_min;              /* minimum over sub_min */
  float *pause;                 /* power averaged over voiceless frames */
  int pauses;                   /* voiceless frames since the reset, up to
                                 * PAUSE_SETTLE */
};

gcn_dn_guard *
gcn_dn_guard_new (int bins)
{
  if (bins < 1 || bins > GCN_DN_MAX_BINS)
    return NULL;
  gcn_dn_guard *g = calloc (1, sizeof (*g));
  if (!g)
    return NULL;
  g->bins = bins;
  g->smooth = gc_alloc ((size_t) bins * sizeof (float));
  g->cur_min = gc_alloc ((size_t) bins * sizeof (float));
  g->past_min = gc_alloc ((size_t) bins * sizeof (float));
  g->sub_min = gc_alloc ((size_t) GCN_DN_GUARD_NSUB * bins * sizeof (float));
  g->pause = gc_alloc ((size_t) bins * sizeof (float));
  if (!g->smooth || !g->cur_min || !g->past_min || !g->sub_min || !g->pause) {
    gcn_dn_guard_free (g);
    return NULL;
  }
  gcn_dn_guard_reset (g);
  return g;
}

void
gcn_dn_guard_free (gcn_dn_guard *g)
{
  if (!g)
    return;
  gc_free (g->smooth);
  gc_free (g->cur_min);
  gc_free (g->past_min);
  gc_free (g->sub_min);
  gc_free (g->pause);
  free (g);
}

void
gcn_dn_guard_reset (gcn_dn_guard *g)
{
  g->pos = g->sub = g->seen = g->pauses = 0;
  for (int k = 0; k < g->bins; k++) {
    g->smooth[k] = 0.f;
    g->pause[k] = 0.f;
    g->cur_min[k] = FLT_MAX;
    g->past_min[k] = FLT_MAX;
  }
  for (int i = 0; i < GCN_DN_GUARD_NSUB * g->bins; i++)
    g->sub_min[i] = FLT_MAX;
}

void
gcn_dn_guard_update (gcn_dn_guard *g, const float *spec, float vad)
{
  float total = 0.f;
  for (int k = 0; k < g->bins; k++)
    total += spec[2 * k] * spec[2 * k] + spec[2 * k + 1] * spec[2 * k + 1];
  if (!(total >= SILENT_POWER))
    return;
  if (vad < PAUSE_VAD) {
    float a = g->pauses < PAUSE_SETTLE ?
        (float) g->pauses / (g->pauses + 1) : PAUSE_AVG;
    for (int k = 0; k < g->bins; k++) {
      float p = spec[2 * k] * spec[2 * k] + spec[2 * k + 1] * spec[2 * k + 1];
      g->pause[k] = a * g->pause[k] + (1.f - a) * p;
    }
    if (g->pauses < PAUSE_SETTLE)     /* counts saturate: streams run for months */
      g->pauses++;
  }
  for (int k = 0; k < g->bins; k++) {
    float p = spec[2 * k] * spec[2 * k] + spec[2 * k + 1] * spec[2 * k + 1];
    float s = g->seen ? SMOOTH * g->smooth[k] + (1.f - SMOOTH) * p : p;
    g->smooth[k] = s;
    if (g->seen >= SETTLE && s < g->cur_min[k])
      g->cur_min[k] = s;
  }
  int was = g->seen;
  if (g->seen <= SETTLE)
    g->seen++;
  if (was < SETTLE)
    return;
  if (++g->pos < GCN_DN_GUARD_SUBWIN)
    return;
  /* the sub-window is full: it replaces the oldest one */
  float *slot = g->sub_min + (size_t) g->sub * g->bins;
  for (int k = 0; k < g->bins; k++) {
    slot[k] = g->cur_min[k];
    g->cur_min[k] = FLT_MAX;
  }
  g->sub = (g->sub + 1) % GCN_DN_GUARD_NSUB;
  g->pos = 0;
  for (int k = 0; k < g->bins; k++) {
    float m = FLT_MAX;
    for (int i = 0; i < GCN_DN_GUARD_NSUB; i++) {
      float v = g->sub_min[(size_t) i * g->bins + k];
      m = v < m ? v : m;
    }
    g->past_min[k] = m;
  }
}

float
gcn_dn_guard_floor (const gcn_dn_guard *g, int k)
{
  if (g->seen <= SETTLE || k < 0 || k >= g->bins)
    return -1.f;
  float m = g->past_min[k] < g->cur_min[k] ? g->past_min[k] : g->cur_min[k];
  if (g->pauses >= SETTLE && g->pause[k] > m)
    m = g->pause[k];
  return m;
}

void
gcn_dn_guard_apply (const gcn_dn_guard *g, const float *spec, float margin,
    float vad, float *gain)
{
  float weight = (vad - VOICE_LO) / (VOICE_HI - VOICE_LO);
  if (g->seen <= SETTLE || !(margin > 0.f) || !(weight > 0.f))
    return;
  if (weight > 1.f)
    weight = 1.f;
  for (int k = 0; k < g->bins; k++) {
    float p = spec[2 * k] * spec[2 * k] + spec[2 * k + 1] * spec[2 * k + 1];
    if (!(p > 0.f))
      continue;
    float b2 = 1.f - margin * gcn_dn_guard_floor (g, k) / p;
    if (b2 <= 0.f)
      continue;
    float b = weight * sqrtf (b2);
    float sure = (gain[k] - GAIN_LO) / (GAIN_HI - GAIN_LO);
    if (!(sure > 0.f))
      continue;
    if (sure < 1.f)
      b *= sure;
    if (gain[k] < b)
      gain[k] = b;
  }
}
