/* gcn_resynth — speech denoising by resynthesis: the denoiser's gains
 * applied to the vocoder's own spectrum, the vocoder regenerating the
 * speech (gandenoise mode=resynth).
 *
 * Per channel, at any rate the denoiser supports (8 .. 48 kHz):
 *   1. the denoiser runs on its own 10 ms hops at the stream rate exactly as
 *      gcn_dn_stream does (same gains, same mask-mode output);
 *   2. the noisy input is resampled to the vocoder rate (16 kHz); each 8 ms
 *      vocoder frame takes the denoiser gains interpolated to its centre in
 *      time and to its 31.25 Hz bins in frequency, floored, and applied to
 *      its magnitudes; log-mel -> vocoder -> clean speech at 16 kHz;
 *   3. crossover: the resampler chain back to the stream rate is the
 *      low-pass (0.47 x 16 kHz = 7.5 kHz). The output is
 *         mask + up (vocoder - down (mask))
 *      with both terms delayed to the vocoder's delay, i.e. the vocoder below
 *      ~7.5 kHz and the mask-mode output above, complementary by
 *      construction (the same filters on both sides of the difference).
 *      At 16 kHz this is the vocoder output alone.
 *
 * Timing: the resamplers are zero-phase (their lag is buffering only); the
 * content delay is the vocoder's (80 ms for vocoder-16k with its phase
 * refinement, 32 ms without). Output is read
 * from a FIFO primed so that it never runs dry for any hop pattern: the
 * total latency is a whole number of denoiser hops, found at creation by
 * running the same bookkeeping on silence (gcn_rs_stream_latency).
 * When the vocoder delay is not a whole number of stream samples (32 ms at
 * 44.1 kHz is 1411.2) the content is up to half a sample off the reported
 * latency; the shipped vocoder's 80 ms is whole at every rate.
 */
#ifndef GCN_RESYNTH_H
#define GCN_RESYNTH_H

#include "gc_export.h"
#include "gcn_denoiser.h"
#include "gcn_vocoder.h"

GC_BEGIN_DECLS

typedef struct gcn_rs_stream gcn_rs_stream;

/* voc must be a COPY vocoder; both networks must outlive the stream.
 * NULL on error (gc_last_error says why). */
gcn_rs_stream *gcn_rs_stream_new (const gcn_denoiser *dn, gcn_vocoder *voc,
    int rate);
void gcn_rs_stream_free (gcn_rs_stream *s);
void gcn_rs_stream_reset (gcn_rs_stream *s);
/* Samples of delay between input and output; a multiple of the hop. */
int gcn_rs_stream_latency (const gcn_rs_stream *s);
int gcn_rs_stream_hop (const gcn_rs_stream *s);

/* Push one hop (rate / 100) of finite samples, get one hop out, late by
 * gcn_rs_stream_latency. min_gain: gain floor of the mask (high) band;
 * feed_gain: gain floor applied to the vocoder's magnitudes (both in
 * (0, 1]). Returns the hop's voice-activity probability, or -1 with
 * gc_last_error () when a network fails (the stream is then in an
 * undefined state until gcn_rs_stream_reset). */
float gcn_rs_stream_process (gcn_rs_stream *s, const float *in, float *out,
    float min_gain, float feed_gain);

GC_END_DECLS
#endif
