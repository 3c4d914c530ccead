/* gcn_pghi — phase from magnitude by real-time phase-gradient heap
 * integration (RTPGHI, Prusa & Holighaus 2017), frame by frame. The
 * vocoder starts its phase from it. */
#ifndef GCN_PGHI_H
#define GCN_PGHI_H

#include "gc_export.h"
#include <stdint.h>

GC_BEGIN_DECLS

typedef struct gcn_pghi gcn_pghi;
gcn_pghi *gcn_pghi_new (int n_fft, int hop, float lambda);
void gcn_pghi_free (gcn_pghi *p);
void gcn_pghi_reset (gcn_pghi *p);
/* One frame: log-magnitudes (bins) -> phases (bins), causal. */
void gcn_pghi_frame (gcn_pghi *p, const float *logmag, float *phase);
/* Same with the next frame's log-magnitudes known (one frame of look-ahead):
 * the time derivative becomes a central difference. */
void gcn_pghi_frame_ahead (gcn_pghi *p, const float *logmag,
    const float *next_logmag, float *phase);

GC_END_DECLS
#endif
