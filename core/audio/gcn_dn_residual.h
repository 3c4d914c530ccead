/* gcn_dn_residual — a Wiener ceiling on a denoiser's gains from the
 * tracked noise floor, for the noise a network leaves in.
 *
 * A small network lowers a bin's gain where it hears noise, but often not
 * as far as the noise in that bin asks: a steady hum, rumble or running
 * water under speech comes out quieter, not gone. Where the network has
 * already taken something out of a bin (its gain is under GAIN_HI), this
 * caps the gain at the Wiener gain of that bin against the speech guard's
 * floor (gcn_dn_guard_floor), with the a-priori SNR of Ephraim and Malah's
 * decision-directed estimate (smoothing DD: a steady residual does not
 * flicker into musical noise):
 *
 *   xi = DD * |S_prev|^2 / N + (1 - DD) * max (|X|^2 / N - 1, 0)
 *   g <= max (xi / (1 + xi), CEIL_MIN)
 *
 * The cap fades in as the network's gain goes from GAIN_HI down to
 * GAIN_LO, so a bin the network keeps whole (clean speech, a word over a
 * quiet room) is never touched: removing a recording's own faint
 * background is not this stage's job. CEIL_MIN keeps it from taking more
 * than 10 dB out beyond the network, where the Wiener gain of a bin at 0 dB
 * SNR starts to eat the speech in it. The attenuation limit and the speech
 * guard still apply after it. Chosen on the development set
 * (docs/denoise.md, "Residual suppression").
 */
#ifndef GCN_DN_RESIDUAL_H
#define GCN_DN_RESIDUAL_H

#include "gc_export.h"

GC_BEGIN_DECLS

struct gcn_dn_guard;
typedef struct gcn_dn_residual gcn_dn_residual;

/* bins: complex bins per frame (at most GCN_DN_MAX_BINS). */
gcn_dn_residual *gcn_dn_residual_new (int bins);
void gcn_dn_residual_free (gcn_dn_residual *r);
void gcn_dn_residual_reset (gcn_dn_residual *r);
/* Lower gain[k] of the frame `spec` (`bins` interleaved complex values, the
 * frame the gains are for) to the ceiling above, with the floor that
 * `guard` tracks; before a floor is known nothing changes. Frames pass in
 * order; when the ceiling is switched off and on again, its speech
 * estimate is stale for the first frame only. */
void gcn_dn_residual_apply (gcn_dn_residual *r,
    const struct gcn_dn_guard *guard, const float *spec, float *gain);

GC_END_DECLS
#endif
