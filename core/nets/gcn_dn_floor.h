/* gcn_dn_floor — the denoiser's stationarity input: how far each band
 * stands above the background it has shown lately.
 *
 * A network that only sees the current spectrum (and what its GRUs make of
 * the last frames) must learn for itself that a hum, a running tap or a
 * field of crickets has been there all along. Trained on a few hours of
 * noise it learns that for the noises it heard, not for a machine it never
 * met. Minimum statistics (Martin 2001) tell it directly: per band, the
 * minimum of the smoothed band energy over the last GCN_DN_FLOOR_SUBWIN x
 * GCN_DN_FLOOR_NSUB frames (1.28 s at a 10 ms hop) is the floor, and the
 * feature is the a-posteriori SNR log10 (E / floor) / 2, clamped to
 * [-0.5, 2] (-10 .. +40 dB). Steady noise sits near 0 whatever its
 * spectrum; speech rises above it. The feature is level-free (a ratio) and
 * rate-free (the band energies are), and empty bands above the stream's
 * Nyquist frequency give 0.
 *
 * Plain data, no allocation: the streaming state embeds one per channel,
 * and the training recipe runs the same code over each item (after a
 * warm-up stretch, as a stream that has been running) so both see the same
 * numbers.
 */
#ifndef GCN_DN_FLOOR_H
#define GCN_DN_FLOOR_H

#include "gc_export.h"

GC_BEGIN_DECLS

#define GCN_DN_FLOOR_BANDS 32       /* = GCN_DN_BANDS */
#define GCN_DN_FLOOR_SUBWIN 16
#define GCN_DN_FLOOR_NSUB 8
#define GCN_DN_FLOOR_ALPHA 0.8f     /* smoothing of the band energies */

typedef struct gcn_dn_floor {
  float smooth[GCN_DN_FLOOR_BANDS];
  float cur_min[GCN_DN_FLOOR_BANDS];        /* this sub-window's minimum */
  float sub_min[GCN_DN_FLOOR_NSUB][GCN_DN_FLOOR_BANDS];
  int pos;                      /* frames into the current sub-window */
  int head;                     /* next sub_min row to overwrite */
  int filled;                   /* sub_min rows holding a minimum */
  int started;                  /* smooth holds a value */
} gcn_dn_floor;

void gcn_dn_floor_reset (gcn_dn_floor *f);
/* Feed one frame's band energies (gcn_dn_features' band_energy: scaled,
 * 0 for absent bands) and write its GCN_DN_FLOOR_BANDS features. Input
 * must be finite and non-negative. */
void gcn_dn_floor_features (gcn_dn_floor *f, const float *band, float *feat);

GC_END_DECLS
#endif
