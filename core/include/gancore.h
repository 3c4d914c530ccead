/* gancore.h — the public API of libgancore.
 *
 * The streaming speech denoiser of gst-gan (the one behind the gandenoise
 * element and the LADSPA/LV2 plugins), for any program:
 *
 *   gc_denoise *d = gc_denoise_open (path, 48000, 1, GC_DENOISE_INDEPENDENT);
 *   if (!d)
 *     fprintf (stderr, "%s\n", gc_last_error ());
 *   gc_denoise_process (d, in, out, n_frames);   (as often as needed)
 *   gc_denoise_free (d);
 *
 * Every type is opaque. A function that can fail returns NULL or -1 and
 * leaves a message for gc_last_error (). Calling a function with an
 * argument no valid program passes (a NULL object) is undefined.
 *
 * The models are not built into the library: the element and the desktop
 * plugins embed theirs. Pass the path of a denoiser model file, such as
 * the installed <datadir>/gst-gan/models/denoise-48k.safetensors, or the
 * file's bytes to gc_denoise_open_buffer (to embed it in a program).
 *
 * Audio is float32, interleaved, at a rate that is a multiple of 100 Hz
 * from 8000 to 48000, with 1 .. GC_DENOISE_MAX_CHANNELS channels. One
 * object per stream; the calls on one object must not overlap (different
 * objects may run on different threads).
 */
#ifndef GANCORE_H
#define GANCORE_H

#include <stddef.h>

#include "gc_export.h"

GC_BEGIN_DECLS

/* ---- library ------------------------------------------------------------ */

/* The library's version, "MAJOR.MINOR.MICRO". */
GC_API const char *gc_version (void);

/* The message of the last failure in this thread ("no error" if none). */
GC_API const char *gc_last_error (void);

/* ---- the streaming denoiser --------------------------------------------- */

#define GC_DENOISE_MAX_CHANNELS 8

typedef struct gc_denoise gc_denoise;

typedef enum {
  GC_DENOISE_INDEPENDENT = 0,   /* one network per channel */
  GC_DENOISE_LINKED = 1,        /* one gain from all channels, for each */
} gc_denoise_link;

/* A denoiser with the model in the file `model_path` (NULL is refused:
 * the library has no built-in model). LINKED runs the network once on the
 * mean of the channels and applies the same gains to every channel, so a
 * stereo image does not wander. Starts with an attenuation limit of 20 dB,
 * the speech guard off, a voice threshold of 0.5 held for 300 ms and the
 * gate off. NULL on failure (a missing or invalid file, an unsupported
 * rate or channel count, no memory). */
GC_API gc_denoise *gc_denoise_open (const char *model_path, int rate,
    int channels, gc_denoise_link link);
/* The same from a model file's bytes (not kept after the call). */
GC_API gc_denoise *gc_denoise_open_buffer (const void *data, size_t size,
    int rate, int channels, gc_denoise_link link);
GC_API void gc_denoise_free (gc_denoise *d);

/* Frames per hop (rate / 100): the network's step. */
GC_API int gc_denoise_hop (const gc_denoise *d);
/* Frames between input and output of gc_denoise_process. */
GC_API int gc_denoise_latency (const gc_denoise *d);

/* Any number of interleaved frames; out[i] is the output for in[i -
 * latency] (zeros before the start), whatever the block sizes. in and out
 * may be the same. NaN and infinite samples are read as 0. Returns 0, or
 * -1 with gc_last_error () when the network failed on a hop (that hop
 * comes out as silence). Allocates nothing, takes no lock. */
GC_API int gc_denoise_process (gc_denoise *d, const float *in, float *out,
    int n_frames);
/* Forget the stream (the next one starts from silence); keeps the
 * settings. */
GC_API void gc_denoise_reset (gc_denoise *d);

/* Settings: plain stores, to be called between process calls. */
/* Most noise reduction, dB; 0 (or less) passes the input through,
 * delayed like the processed signal. */
GC_API void gc_denoise_set_attenuation_limit (gc_denoise *d, float db);
/* Speech guard margin, dB: no gain may take out more of a bin than this
 * much above the bin's noise floor while there is voice, so breathy speech
 * in a quiet recording is kept; 0 turns it off (gandenoise uses 10). */
GC_API void gc_denoise_set_speech_guard (gc_denoise *d, float db);
/* 1: where the network takes noise out of a bin, cap its gain at the
 * Wiener gain of the bin's tracked noise floor (at most 10 dB more), for
 * the steady noise a small network leaves in; 0 turns it off (gandenoise
 * uses 1). Mask mode only. */
GC_API void gc_denoise_set_residual_suppression (gc_denoise *d, int on);
/* A hop counts as voice when its probability is >= threshold; voice ends
 * after hold_ms without one. */
GC_API void gc_denoise_set_vad (gc_denoise *d, double threshold,
    double hold_ms);
/* 1: mute the output while there is no voice (ramped over one hop). */
GC_API void gc_denoise_set_gate (gc_denoise *d, int on);

/* Voice-activity state (after the hold) and the last hop's probability. */
GC_API int gc_denoise_voice (const gc_denoise *d);
GC_API float gc_denoise_vad_prob (const gc_denoise *d);

GC_END_DECLS
#endif
