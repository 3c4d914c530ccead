/* libgancore — spectral analysis on FFTW3 (single precision):
 * STFT / inverse STFT for any window and hop, a streaming frame API for
 * real-time use, and mel / ERB filterbanks. */
#ifndef GC_SPECTRAL_H
#define GC_SPECTRAL_H

#include "gc_export.h"
#include "gc_base.h"

GC_BEGIN_DECLS

typedef enum { GC_WIN_HANN, GC_WIN_SQRT_HANN, GC_WIN_VORBIS, GC_WIN_RECT }
    gc_window;

/* Fill w[n] with the window (periodic form, suited to overlap-add). */
void gc_window_fill (gc_window kind, float *w, int n);

/* One FFT size + window + hop. n_fft >= win_length; bins = n_fft/2 + 1.
 * Frames are laid out [frame][bin] with interleaved complex (re, im). */
typedef struct gc_stft gc_stft;

gc_stft *gc_stft_new (int n_fft, int win_length, int hop, gc_window win);
void gc_stft_free (gc_stft *s);
int gc_stft_bins (const gc_stft *s);
int gc_stft_hop (const gc_stft *s);
int gc_stft_n_fft (const gc_stft *s);

/* Whole-signal STFT with centre padding (reflect) like librosa/torch:
 * frames = 1 + len / hop. out: frames * bins * 2 floats. Returns frames. */
int gc_stft_frames (const gc_stft *s, int len);
int gc_stft_forward (gc_stft *s, const float *x, int len, float *out);
/* Inverse with window-square normalisation (perfect reconstruction whenever
 * the window overlap is non-zero everywhere). Writes len samples. */
void gc_stft_inverse (gc_stft *s, const float *spec, int frames, float *y,
    int len);
/* Single-frame transforms (no windowing): real n_fft -> complex bins, and
 * back (unnormalised inverse divided by n_fft). */
void gc_stft_rfft (gc_stft *s, const float *in, float *out_complex);
void gc_stft_irfft (gc_stft *s, const float *in_complex, float *out);
/* Gradient of the magnitude spectrogram w.r.t. the input signal, for
 * spectral losses: given dL/d|X| (frames * bins), accumulate dL/dx. */
void gc_stft_mag_backward (gc_stft *s, const float *x, int len,
    const float *spec, const float *dmag, float *dx);

/* ---- streaming analysis / synthesis ------------------------------------
 * Push `hop` new samples, get one frame's spectrum (causal: the frame ends
 * at the newest sample; latency = win_length - hop samples for the
 * analysis/synthesis pair). Synthesis takes one spectrum and returns `hop`
 * finished samples (weighted overlap-add). Use GC_WIN_SQRT_HANN (or VORBIS)
 * for analysis+synthesis with 50 % overlap. */
typedef struct gc_stream_stft gc_stream_stft;
gc_stream_stft *gc_stream_stft_new (int n_fft, int win_length, int hop,
    gc_window win);
void gc_stream_stft_free (gc_stream_stft *s);
void gc_stream_stft_reset (gc_stream_stft *s);
void gc_stream_stft_analyze (gc_stream_stft *s, const float *hop_in,
    float *spec_out);
void gc_stream_stft_synthesize (gc_stream_stft *s, const float *spec_in,
    float *hop_out);
int gc_stream_stft_latency (const gc_stream_stft *s);  /* samples */

/* ---- filterbanks: triangular bands over rfft bins ----------------------
 * weights [bands][bins]; apply: out[b] = sum_k w[b][k] * in[k]. */
typedef struct gc_filterbank {
  int bands, bins;
  float *weights;
  int *first, *last;        /* non-zero bin range per band */
} gc_filterbank;

/* Slaney-style mel (HTK=0) between fmin and fmax, area-normalised or not. */
int gc_filterbank_mel (gc_filterbank *fb, int bands, int n_fft,
    float sample_rate, float fmin, float fmax, int htk, int normalize);
/* ERB-spaced bands (Glasberg & Moore) with triangular overlap, sum to 1
 * per bin over the covered range so gains can be interpolated back. */
int gc_filterbank_erb (gc_filterbank *fb, int bands, int n_fft,
    float sample_rate, float fmin, float fmax);
void gc_filterbank_free (gc_filterbank *fb);
void gc_filterbank_apply (const gc_filterbank *fb, const float *in_bins,
    float *out_bands);
/* Transpose: spread band values back onto bins (for band gains). */
void gc_filterbank_interp (const gc_filterbank *fb, const float *in_bands,
    float *out_bins);
float gc_hz_to_mel (float hz, int htk);
float gc_mel_to_hz (float mel, int htk);
float gc_hz_to_erb (float hz);
float gc_erb_to_hz (float erb);

GC_END_DECLS
#endif
