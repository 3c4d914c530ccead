/* gcn_vocoder — a frame-rate GAN vocoder (Vocos / iSTFTNet style).
 *
 * Log-mel features in, waveform out. A small causal network (conv1d with
 * dilation, a GRU) runs once per STFT frame and predicts each frame's
 * log-magnitude plus a phase correction (atan2 of two outputs); the phase it
 * corrects comes from real-time phase-gradient heap integration (RTPGHI) of
 * the predicted magnitudes, so the network starts from a consistent phase
 * instead of having to learn it from nothing. An inverse STFT (FFTW,
 * Hann, 75 % overlap) turns frames into samples: no upsampling stack, hence
 * cheap on a CPU.
 *
 * Two tasks share the network:
 *  - COPY: mel of 16 kHz speech -> 16 kHz speech (resynthesis).
 *  - NB2WB: the input is a band-limited signal (8 kHz speech upsampled to
 *    16 kHz); bins below lowband_hz are passed through from the input STFT
 *    and the band above is generated: magnitude from the network, phase
 *    translated from the low band (a shift by a multiple of n_fft/hop bins,
 *    which keeps frames consistent) plus the learned correction.
 *
 * Framing (whole signal and streaming agree exactly): frame t covers input
 * samples [(t+1) hop - n_fft, (t+1) hop) (zeros before the start); output
 * frames are overlap-added on the same span, so y has the time axis of x and
 * a stream is late by n_fft - hop samples (frames still to come).
 */
#ifndef GCN_VOCODER_H
#define GCN_VOCODER_H

#include "gc_export.h"
#include "gc_core.h"
#include "gcn_pghi.h"
#include "gcn_resampler.h"

GC_BEGIN_DECLS

#define GCN_VOCODER_ARCH "vocoder"

typedef enum {
  GCN_VOCODER_COPY = 0,
  GCN_VOCODER_NB2WB = 1
} gcn_vocoder_task;

typedef struct gcn_vocoder_config {
  int sample_rate;          /* model (output) rate: 16000 */
  int n_fft;                /* window = FFT size: 512 */
  int hop;                  /* 128 (75 % overlap) */
  int n_mels;               /* 80 */
  int channels;             /* hidden width: 96 */
  int task;                 /* gcn_vocoder_task */
  float fmin, fmax;         /* mel range: 0 .. sample_rate / 2 */
  float lowband_hz;         /* NB2WB: input passed through below this ... */
  float fade_hz;            /* ... with a linear cross-fade this wide */
  /* COPY: streaming phase refinement (RTISI-LA toward the input mel, see
   * gcn_vocoder_set_refine). 0 iterations: off (the default, and what
   * training uses). */
  int refine_lookahead;     /* frames of look-ahead: latency + hop each */
  int refine_iters;         /* passes over the look-ahead frames per hop */
  float refine_momentum;    /* fast Griffin-Lim momentum, 0 .. 0.95 */
} gcn_vocoder_config;

void gcn_vocoder_config_default (gcn_vocoder_config *cfg, int task);

typedef struct gcn_vocoder {
  gcn_vocoder_config cfg;
  int bins;                 /* n_fft / 2 + 1 */
  gc_conv1d conv_in;        /* n_mels -> C, causal k 3 */
  gc_conv1d res_a[2];       /* C -> C, causal k 3, dilation 1, 2 */
  gc_conv1d res_b[2];       /* C -> C, 1x1 */
  gc_gru gru;               /* C -> C */
  gc_conv1d conv_out;       /* C -> 3 bins, 1x1: log-mag, cos-ish, sin-ish */
  gc_param_list params;
  /* fixed, derived from the config */
  gc_filterbank mel;
  float *mel_to_bin;        /* [bins][n_mels]: log-mel spread back to bins */
  float *window;            /* Hann, n_fft */
  float *fade;              /* [bins]: 0 = input bin, 1 = generated bin */
  int *src_bin;             /* [bins]: NB2WB phase source bin (or -1) */
  gc_stft *fft;             /* FFT helper of size n_fft */
  float pghi_lambda;        /* Gaussian-equivalent window width^2 */
} gcn_vocoder;

/* Build an untrained vocoder (weights from seed). Returns 0 or -1. */
int gcn_vocoder_init (gcn_vocoder *v, const gcn_vocoder_config *cfg,
    uint64_t seed);
void gcn_vocoder_free (gcn_vocoder *v);

/* Load from a model file / memory (metadata gives the config). Errors name
 * the source (gc_last_error ()). */
int gcn_vocoder_load (gcn_vocoder *v, const gc_model_file *m);
int gcn_vocoder_load_file (gcn_vocoder *v, const char *path);
int gcn_vocoder_load_mem (gcn_vocoder *v, const void *data, size_t size,
    const char *source);
/* NULL-terminated key/value metadata describing the config (for export);
 * strings live in `store` (at least 512 bytes). */
void gcn_vocoder_meta (const gcn_vocoder *v, const char **kv, int max_kv,
    char *store, size_t store_size);

/* Algorithmic latency of the streaming vocoder, samples at the model rate
 * (includes the refinement look-ahead). */
int gcn_vocoder_latency (const gcn_vocoder *v);

/* Copy synthesis: refine the phase of the synthesised frames while they are
 * still in a look-ahead of `lookahead` frames, `iters` passes per hop (each
 * frame: re-analyse the output being built, rescale the magnitudes so their
 * mel equals the input features, keep the phase, resynthesise; with fast
 * Griffin-Lim momentum), then commit the oldest. The output's own re-analysed
 * mel then follows the features much more closely, at lookahead * hop more
 * latency and about (lookahead + 1) * iters FFT pairs per hop. Model files
 * carry the setting (refine_lookahead, refine_iters, refine_momentum);
 * this overrides it. iters 0 turns it off. Applies to streams created
 * afterwards and to gcn_vocoder_forward (train with it off: the backward
 * pass does not differentiate it). Ignored by NB2WB models. Returns 0, or
 * -1 for values out of range (lookahead 0..16, iters 0..16, momentum
 * 0..0.95). */
int gcn_vocoder_set_refine (gcn_vocoder *v, int lookahead, int iters,
    float momentum);

/* ---- features ----------------------------------------------------------- */
/* Log-mel of one frame's magnitudes (bins) -> n_mels values. Use it to feed
 * gcn_vocoder_stream_push_features from your own STFT (n_fft, Hann,
 * unnormalised FFT, at the model rate). */
void gcn_vocoder_mel_from_mag (const gcn_vocoder *v, const float *mag,
    float *logmel);
/* Whole signal: frames = len / hop (len rounded down), features
 * [frames][n_mels] and (optional) complex spectra [frames][bins][2]. */
int gcn_vocoder_frames (const gcn_vocoder *v, int len);
void gcn_vocoder_analyze (gcn_vocoder *v, const float *x, int len,
    float *logmel, float *spec);

/* ---- training: batched forward / backward over whole signals ------------ */
typedef struct gcn_vocoder_acts {
  int batch, frames, len;
  gc_tensor feat;           /* (B, n_mels, 1, T) */
  gc_tensor h0, u[2], v[2], w[2], z[2], a[3];
  gc_tensor gin, gout, hsum, hact, out;
  gc_gru_cache gcache;
  float *spec_in;           /* [B][T][bins][2] input spectra */
  float *base;              /* [B][T][bins] log-mag base from the mel */
  float *logmag;            /* [B][T][bins] predicted (clamped use) */
  float *phase;             /* [B][T][bins] total phase used */
  float *spec_out;          /* [B][T][bins][2] synthesized spectra */
  float *d_out;             /* [B][T][3 bins] gradient w.r.t. out */
  float *d_logmag;          /* [B][T][bins] extra gradient (mag loss) */
  /* scratch */
  gc_tensor dtmp, dtmp2, dtmp3;
  float *frame;             /* n_fft + 2 * bins */
  float *logmel;            /* [B][T][n_mels] input features (refinement) */
} gcn_vocoder_acts;

void gcn_vocoder_acts_free (gcn_vocoder_acts *a);
/* x: B signals of len samples (len a multiple of hop) -> y (B, len).
 * COPY: x is the speech to resynthesise; NB2WB: x is the band-limited
 * signal at the model rate. Returns 0 or -1. */
int gcn_vocoder_forward (gcn_vocoder *v, const float *x, int batch, int len,
    float *y, gcn_vocoder_acts *a);
/* L1 between predicted log-magnitudes of generated bins and those of the
 * target signals (B, len), frames from t0 on; adds weight * gradient to the
 * pending gradient. Returns the loss. */
float gcn_vocoder_mag_loss (gcn_vocoder *v, gcn_vocoder_acts *a,
    const float *target, int t0, float weight);
/* dy: dL/dy (B, len). Accumulates parameter gradients (adjoint of the
 * inverse STFT = a forward FFT of the windowed gradient). 0, or -1 with
 * gc_last_error () when a layer refuses. */
int gcn_vocoder_backward (gcn_vocoder *v, gcn_vocoder_acts *a,
    const float *dy);

/* ---- streaming inference ------------------------------------------------ */
typedef struct gcn_vocoder_stream gcn_vocoder_stream;

gcn_vocoder_stream *gcn_vocoder_stream_new (gcn_vocoder *v);
void gcn_vocoder_stream_free (gcn_vocoder_stream *s);
void gcn_vocoder_stream_reset (gcn_vocoder_stream *s);
/* Push hop samples at the model rate (COPY: speech; NB2WB: band-limited
 * speech upsampled to the model rate), get hop output samples, late by
 * gcn_vocoder_latency (). */
int gcn_vocoder_stream_process (gcn_vocoder_stream *s, const float *in_hop,
    float *out_hop);
/* Push one frame of log-mel features (from gcn_vocoder_mel_from_mag), get
 * hop output samples (COPY models; for gandenoise mode=resynth). Both
 * return 0, or -1 with gc_last_error () when a layer refuses (out_hop is
 * then left alone). */
int gcn_vocoder_stream_push_features (gcn_vocoder_stream *s,
    const float *logmel, float *out_hop);
/* Analysis only: push hop samples at the model rate into the stream's
 * window and get that frame's magnitudes (bins). For resynthesis of
 * processed speech: analyse the noisy input, apply gains to the
 * magnitudes, gcn_vocoder_mel_from_mag, then push_features. Unmodified,
 * analyze + mel_from_mag + push_features is gcn_vocoder_stream_process. */
void gcn_vocoder_stream_analyze (gcn_vocoder_stream *s, const float *in_hop,
    float *mag);

GC_END_DECLS
#endif
