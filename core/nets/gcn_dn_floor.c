/* gcn_dn_floor — minimum-statistics band floors as network inputs (see
 * gcn_dn_floor.h). */
#include "gcn_dn_floor.h"

#include <float.h>
#include <math.h>
#include <string.h>

void
gcn_dn_floor_reset (gcn_dn_floor *f)
{
  memset (f, 0, sizeof (*f));
  for (int b = 0; b < GCN_DN_FLOOR_BANDS; b++)
    f->cur_min[b] = FLT_MAX;
}

void
gcn_dn_floor_features (gcn_dn_floor *f, const float *band, float *feat)
{
  const float a = GCN_DN_FLOOR_ALPHA;
  for (int b = 0; b < GCN_DN_FLOOR_BANDS; b++) {
    float e = band[b];
    float p = f->started ? a * f->smooth[b] + (1.f - a) * e : e;
    f->smooth[b] = p;
    if (p < f->cur_min[b])
      f->cur_min[b] = p;
    float floor = f->cur_min[b];
    for (int i = 0; i < f->filled; i++)
      if (f->sub_min[i][b] < floor)
        floor = f->sub_min[i][b];
    /* 1e-12: the features' own floor (gcn_dn_log_feature), so silence and
     * absent bands give 0 */
    float v = 0.5f * log10f ((e + 1e-12f) / (floor + 1e-12f));
    feat[b] = v < -0.5f ? -0.5f : v > 2.f ? 2.f : v;
  }
  f->started = 1;
  if (++f->pos == GCN_DN_FLOOR_SUBWIN) {
    /* the sub-window is full: its minimum replaces the oldest one */
    memcpy (f->sub_min[f->head], f->cur_min, sizeof (f->cur_min));
    f->head = (f->head + 1) % GCN_DN_FLOOR_NSUB;
    if (f->filled < GCN_DN_FLOOR_NSUB)
      f->filled++;
    for (int b = 0; b < GCN_DN_FLOOR_BANDS; b++)
      f->cur_min[b] = FLT_MAX;
    f->pos = 0;
  }
}
