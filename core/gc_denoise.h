/* gc_denoise (internal, not installed) — the streaming speech denoiser
 * every host uses.
 *
 * One object per stream: hop buffering, history, the network (mask mode)
 * or the vocoder resynthesis (resynth mode), the speech guard, voice
 * activity with a hold time, an optional mute-when-no-voice gate, and the
 * stream's latency. The GStreamer element, the LADSPA and LV2 plugins, the
 * public API and the tests all call it, so their outputs are the same by
 * construction.
 *
 * gancore.h declares the public part: gc_denoise_open (a denoiser that
 * owns the network of a model file), process, reset, the settings. This
 * header adds what the in-tree hosts need: a denoiser on networks they
 * loaded themselves, resynth mode, the push interface, the VAD callback.
 *
 * Two ways to feed it:
 *
 *  - gc_denoise_process (): any number of frames in, as many out, late by
 *    exactly gc_denoise_latency () frames (the model's lag plus one hop of
 *    buffering), whatever the block sizes. This is what a plugin host
 *    wants: constant latency, output independent of how the host splits
 *    the stream.
 *
 *  - gc_denoise_push_hops () / gc_denoise_drain (): whole hops in, the
 *    output samples that are due out, with the lead-in dropped so that
 *    output frame i is the output for input frame i. The drain pads the
 *    tail with silence, so frames out == frames in. This is what a
 *    GStreamer element wants (timestamps stay those of the input).
 *
 * Don't mix the two on one object between resets.
 *
 * Channels are interleaved. Identical channels in LINKED mode give exactly
 * the mono output; a channel that is a scaled copy of another stays that
 * scaled copy. Resynth mode always runs each channel on its own.
 *
 * Real time: everything is allocated by gc_denoise_new () and
 * gc_denoise_set_mode () (resynth streams are made on first use: they
 * cost a latency search). The setters, process, push, drain and reset do
 * no allocation, no locking and no I/O. Denormals are flushed to zero
 * while they run (the caller's mode is restored).
 */
#ifndef GC_DENOISE_H
#define GC_DENOISE_H

#include <stdint.h>

#include "gancore.h"
#include "gcn_denoiser.h"
#include "gcn_vocoder.h"

GC_BEGIN_DECLS

typedef enum {
  GC_DENOISE_MASK = 0,          /* predicted gains on the input spectrum */
  GC_DENOISE_RESYNTH = 1,       /* vocoder regenerates the speech band */
} gc_denoise_mode;

/* Called when the voice-activity state changes: voice on or off, the
 * probability of the hop that decided it, and the output frame it
 * happened at (0 = the first output frame since the last reset). */
typedef void (*gc_denoise_vad_fn) (void *user, int voice, float prob,
    uint64_t frame);

/* net (and voc, which may be NULL: resynth then cannot be used) must
 * outlive the object; voc must be a copy-synthesis vocoder. rate: one
 * gcn_dn_rate_ok accepts. Starts in mask mode with: attenuation limit
 * 20 dB, speech guard off, VAD threshold 0.5, hold 300 ms, gate off.
 * The speech guard acts in mask mode only. NULL on failure (gc_last_error
 * says why). */
gc_denoise *gc_denoise_new (const gcn_denoiser *net, gcn_vocoder *voc,
    int rate, int channels, gc_denoise_link link);

int gc_denoise_rate (const gc_denoise *d);
int gc_denoise_channels (const gc_denoise *d);

void gc_denoise_set_vad_callback (gc_denoise *d, gc_denoise_vad_fn fn,
    void *user);

/* Make `mode` the one that runs (allocates resynth streams on first use;
 * -1 with gc_last_error when that fails, the old mode keeps running).
 * Before any input it takes effect at once. Mid-stream with the push
 * interface it takes effect at the next push or drain: the new mode is
 * warmed up on the last 200 ms of input and continues the output at the
 * next frame not yet given out, so nothing repeats or goes missing. With
 * process () it takes effect at the next hop, from a fresh state, and
 * latency () changes with it. Reset keeps the mode. */
int gc_denoise_set_mode (gc_denoise *d, gc_denoise_mode mode);
gc_denoise_mode gc_denoise_get_mode (const gc_denoise *d);

/* Delay of the running mode, in frames (a whole number of hops): what
 * the push interface holds back beyond the hop being filled. */
int gc_denoise_lag (const gc_denoise *d);

/* Most frames one push or drain can give out: n_hops hops, plus what a
 * mode switch may re-make. */
int gc_denoise_max_out (const gc_denoise *d, int n_hops);
/* n_hops whole hops (NULL: silence); writes the frames that are due to
 * out and returns how many, or -1 with gc_last_error () when the network
 * failed (reset before going on). */
int gc_denoise_push_hops (gc_denoise *d, const float *in, int n_hops,
    float *out);
/* End of stream: the last n_frames (< one hop) of input, then everything
 * still held, so frames out == frames in. Returns the frames written
 * (at most gc_denoise_max_out (d, lag / hop + 2)), or -1 as
 * gc_denoise_push_hops. Reset afterwards to start a new stream. */
int gc_denoise_drain (gc_denoise *d, const float *in, int n_frames,
    float *out);

GC_END_DECLS
#endif
