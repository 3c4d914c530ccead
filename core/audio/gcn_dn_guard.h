/* gcn_dn_guard — a bound on how much of a bin a denoiser's gain may take out.
 *
 * A learned gain sometimes removes a sound that is speech (a breathy or
 * noise-like stretch of a word) from a recording with hardly any noise in
 * it. Whatever the network thinks, a frame cannot hold more noise than the
 * background the bin shows between sounds. The guard tracks that
 * background per 50 Hz bin by minimum statistics (Martin 2001, without the
 * bias correction: the margin absorbs it), or by the mean power of the
 * frames the network hears no voice in where that is higher (a noise that
 * comes and goes has a minimum far under its level), and raises any gain
 * that would take out more power than `margin` times that floor:
 *
 *   g^2 >= 1 - margin * floor / |X|^2
 *
 * In noise the floor is the noise level and the bound only bites where a
 * bin stands far above it; in a clean recording the floor is the room's
 * hiss and the gain is held near 1. The bound only holds where the
 * network hears a voice (it fades in as the voice probability goes from
 * 0.2 to 0.4), so that a noise the floor has not caught up with yet (one
 * that starts after digital silence) is not let through when no one
 * speaks. Nor does it overrule the network where that is sure a bin is
 * noise (a gain under 0.15; it fades in up to 0.3).
 *
 * Minimum window: GCN_DN_GUARD_SUBWIN frames per sub-window,
 * GCN_DN_GUARD_NSUB sub-windows (0.96 s at a 10 ms hop): a floor that
 * rises is followed within that time, a falling one at once. Longer than
 * a breathy stretch of a word (0.6 s in the case that made the guard),
 * shorter than the bursts of a noise that comes and goes: a 2 s window
 * let a low, bursty rumble through the guard (docs/denoise.md).
 */
#ifndef GCN_DN_GUARD_H
#define GCN_DN_GUARD_H

#include "gc_export.h"

GC_BEGIN_DECLS

#define GCN_DN_GUARD_SUBWIN 12
#define GCN_DN_GUARD_NSUB 8

typedef struct gcn_dn_guard gcn_dn_guard;

/* bins: complex bins per frame (at most GCN_DN_MAX_BINS). */
gcn_dn_guard *gcn_dn_guard_new (int bins);
void gcn_dn_guard_free (gcn_dn_guard *g);
void gcn_dn_guard_reset (gcn_dn_guard *g);
/* Feed the newest frame's spectrum (`bins` interleaved complex values) and
 * the network's voice probability for it. */
void gcn_dn_guard_update (gcn_dn_guard *g, const float *spec, float vad);
/* Raise gain[k] of the frame `spec` (the one the gains are for) to the
 * bound above, faded by the voice probability vad. margin: a power ratio
 * (> 0); before any floor is known nothing changes. */
void gcn_dn_guard_apply (const gcn_dn_guard *g, const float *spec,
    float margin, float vad, float *gain);
/* The tracked floor of bin k (power, the spectrum's own scale): the larger
 * of the minimum and the mean power of voiceless frames; a negative value
 * while none is known yet. */
float gcn_dn_guard_floor (const gcn_dn_guard *g, int k);

GC_END_DECLS
#endif
