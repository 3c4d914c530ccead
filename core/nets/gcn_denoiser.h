/* gcn_denoiser — a small causal speech denoiser (RNNoise spirit) for any
 * common sample rate.
 *
 * Framing: 20 ms sqrt-Hann window, 10 ms hop, n_fft = window. At every rate
 * whose value is a multiple of 100 Hz this gives bins 50 Hz apart, so a bin
 * index means the same frequency at 8 kHz and at 48 kHz: only the number of
 * bins changes (rate / 100 + 1). Bands and per-bin heads are defined on that
 * fixed 50 Hz grid up to 24 kHz; bands above the Nyquist frequency of the
 * stream are simply empty (silent), which is exactly what a band-limited
 * signal looks like, so one model serves 8 .. 48 kHz. Training draws random
 * band limits so the model has seen every case.
 *
 * Features per frame (GCN_DN_FEATS):
 *   32 triangular band log-energies (ERB-like centres, 0 .. 24 kHz)
 *   64 per-bin log-magnitudes of the lowest bins (0 .. 3.15 kHz), where
 *      harmonics are resolved and inter-harmonic noise can be removed.
 *   with cfg.phase: 2 x 64 phase-advance features of the same bins,
 *      X[t] conj(X[t-1]) / (|X[t]| |X[t-1]| + tiny): a harmonic turns by a
 *      steady angle from frame to frame, noise by a random one. They tell
 *      the gains what is periodic and give the deep filter the phase it
 *      must follow (magnitudes alone cannot).
 *   with cfg.floor: 32 band a-posteriori SNRs against minimum-statistics
 *      floors (gcn_dn_floor.h): what has been there all along.
 * Network:
 *   conv1d causal k=3 (feats -> conv_ch), tanh
 *   GRU gru1, GRU gru2 (stacked)
 *   heads on [gru1; gru2]: 32 band gains (sigmoid), 64 low-bin gains
 *   (sigmoid), 1 voice-activity probability (sigmoid), and, when
 *   df_order > 0, a deep-filter head (tanh): df_order complex taps for each
 *   of the 64 low bins.
 * Gains: bins < 64 use their own gain, higher bins the band gains
 * interpolated with the same triangles (they sum to 1 on every bin).
 * Deep filter (DeepFilterNet's idea, causal): on the low bins the output is
 *   Y[k,t] = g X[k,t] + (1 - g) sum_{i<df_order} c_i[k,t] X[k,t-i]
 * a complex correction over the current and past frames that can follow a
 * harmonic's phase inside its 50 Hz bin, which a real gain cannot. It is
 * gated by 1 - g: where the gain keeps the bin (clean speech, g -> 1) the
 * filter has no say, so its taps cannot colour clean speech (ungated, they
 * cost 15 dB of clean-speech fidelity in training runs). Zero coefficients
 * give the plain gain; only past frames are used, so the latency does not
 * change.
 * Lookahead (cfg.lookahead = L frames): the gains the network gives after
 * frame t are applied to frame t - L, so it hears L hops of what follows
 * (the onset of a word, whether a sound goes on) before it decides. The
 * deep filter then uses frames t - L and older.
 * Algorithmic latency: (1 + L) hops (10 ms, 20 ms with one frame).
 */
#ifndef GCN_DENOISER_H
#define GCN_DENOISER_H

#include "gc_export.h"
#include "gc_core.h"
#include "gcn_dn_floor.h"

GC_BEGIN_DECLS

#define GCN_DENOISER_ARCH "denoise-gru"
#define GCN_DN_BANDS 32
#define GCN_DN_FINE 64              /* per-bin gains for bins 0..63 */
#define GCN_DN_FEATS (GCN_DN_BANDS + GCN_DN_FINE)
#define GCN_DN_MAX_BINS 481         /* 24 kHz / 50 Hz + 1 */
#define GCN_DN_BIN_HZ 50
#define GCN_DN_DF_MAX 8             /* most deep-filter taps */
#define GCN_DN_LOOKAHEAD_MAX 2      /* most lookahead frames */
#define GCN_DN_PHASE_FEATS (2 * GCN_DN_FINE)
#define GCN_DN_FLOOR_FEATS GCN_DN_BANDS
#define GCN_DN_IN_MAX (GCN_DN_FEATS + GCN_DN_PHASE_FEATS + GCN_DN_FLOOR_FEATS)

/* ---- framing on the 50 Hz grid ----------------------------------------- */
/* 1 when rate is supported: a multiple of 100 within 8000 .. 48000. */
int gcn_dn_rate_ok (int rate);
static inline int gcn_dn_hop (int rate) { return rate / 100; }
static inline int gcn_dn_nfft (int rate) { return rate / 50; }
static inline int gcn_dn_bins (int rate) { return rate / 100 + 1; }

/* Band centres in bins (50 Hz units), GCN_DN_BANDS entries. */
const int *gcn_dn_band_centres (void);
/* Number of bands whose centre lies within `bins` bins. */
int gcn_dn_bands_present (int bins);

/* Features from one frame's spectrum (interleaved complex, `bins` bins, as
 * gc_stft_rfft gives for n_fft = 2 (bins - 1)). The spectrum is scaled by
 * 1 / n_fft so levels do not depend on the rate. band_energy (may be NULL)
 * receives the 32 scaled band energies (0 for absent bands). */
void gcn_dn_features (const float *spec, int bins, float *feat,
    float *band_energy);
/* The analysis/synthesis window: periodic sqrt-Hann of n samples. */
void gcn_dn_window (float *w, int n);
/* Whole-signal analysis with the stream's framing (for training): frame m
 * covers samples [(m - 1) hop, (m + 1) hop), zeros before the start;
 * frames = len / hop. fft from gc_stft_new (2 hop, 2 hop, hop, ...),
 * win from gcn_dn_window (2 hop); spec: frames * (hop + 1) * 2 floats. */
int gcn_dn_analyze (gc_stft *fft, const float *win, int hop, const float *x,
    int len, float *spec);
/* Phase-advance features (GCN_DN_PHASE_FEATS) of frame `spec` against the
 * previous frame's low bins `prev` (GCN_DN_FINE complex bins, zeros before
 * the start); same scaling as gcn_dn_features. */
void gcn_dn_phase_features (const float *spec, const float *prev, int bins,
    float *feat);
/* Log compression used for both feature kinds: (log10 (e + 1e-12) + 6) / 3 */
float gcn_dn_log_feature (float energy);
/* Triangular band energies of a power spectrum pw[bins] (no scaling). */
void gcn_dn_band_energy (const float *pw, int bins, float *band);
/* Transpose: d(band)/d(pw) applied to dband -> dpw[bins] (overwrites). */
void gcn_dn_band_energy_backward (const float *dband, int bins, float *dpw);
/* Per-bin gains from the heads: band gains interpolated above the fine
 * range, fine gains below it. */
void gcn_dn_bin_gains (const float *band_gain, const float *fine_gain,
    int bins, float *bin_gain);
/* Transpose of gcn_dn_bin_gains: accumulate d(bin_gain) into dband, dfine
 * (both overwritten). */
void gcn_dn_bin_gains_backward (const float *dbin, int bins, float *dband,
    float *dfine);

/* ---- the network ---------------------------------------------------------*/
typedef struct gcn_denoiser_config {
  int conv_ch, kernel, gru1, gru2;
  int df_order;                 /* deep-filter taps; 0: gains only */
  int phase;                    /* 1: phase-advance input features */
  int lookahead;                /* frames the gains wait for (latency) */
  int floor;                    /* 1: band floor (stationarity) features */
} gcn_denoiser_config;

/* Defaults: conv_ch 64, kernel 3, gru1 80, gru2 80, df_order 0, phase 0,
 * lookahead 0, floor 0. */
void gcn_denoiser_config_default (gcn_denoiser_config *cfg);

typedef struct gcn_denoiser {
  gcn_denoiser_config cfg;
  gc_conv1d conv;
  gc_gru gru1, gru2;
  gc_dense band_head, fine_head, vad_head;
  gc_dense df_head;             /* only when cfg.df_order > 0 */
  gc_param_list params;
} gcn_denoiser;

/* Coefficient layout of the deep-filter head, per frame:
 * [bin k < 64][tap i < df_order][re, im]. */
static inline int gcn_dn_df_size (const gcn_denoiser *net)
{
  return GCN_DN_FINE * net->cfg.df_order * 2;
}

/* Network input size per frame: GCN_DN_FEATS, + GCN_DN_PHASE_FEATS with
 * phase features, + GCN_DN_FLOOR_FEATS with floor features, in that
 * order. */
static inline int gcn_dn_floor_offset (const gcn_denoiser *net)
{
  return GCN_DN_FEATS + (net->cfg.phase ? GCN_DN_PHASE_FEATS : 0);
}
static inline int gcn_dn_in_size (const gcn_denoiser *net)
{
  return gcn_dn_floor_offset (net) + (net->cfg.floor ? GCN_DN_FLOOR_FEATS : 0);
}

/* Random weights from r (r must not be NULL); the deep-filter head starts at
 * zero, so a fresh head leaves the gains' output unchanged. Returns 0 or -1. */
int gcn_denoiser_init (gcn_denoiser *net, const gcn_denoiser_config *cfg,
    gc_rng *r);
void gcn_denoiser_free (gcn_denoiser *net);
/* Checks the arch, reads the config from the metadata, binds every tensor.
 * On failure net is left freed and gc_last_error names the source. */
int gcn_denoiser_load (gcn_denoiser *net, const gc_model_file *m);
/* Architecture metadata as NULL-terminated kv pairs for gc_model_save /
 * gt_export; free () both the returned array and *storage after use. */
const char **gcn_denoiser_meta (const gcn_denoiser *net, char **storage);

/* ---- streaming inference: one instance per channel ---------------------- */
typedef struct gcn_denoiser_state {
  const gcn_denoiser *net;
  gc_conv1d_state conv;
  float *h1, *h2, *scratch;
  float *df;                    /* last frame's deep-filter taps, or NULL */
  float *hist;                  /* noisy low bins of past frames, newest
                                 * first (deep filter, phase features) */
  int hist_frames;
  float *delay;                 /* lookahead: the noisy spectra of the last
                                 * L frames, newest first, GCN_DN_MAX_BINS
                                 * complex bins each */
  float *swap;
  float *cur, *feat;
  gcn_dn_floor floor;           /* band floors (cfg.floor) */
  gc_tensor x, y, cat, o;
  /* optional speech guard (gcn_dn_guard.h), owned by the caller: tracks
   * every frame; raises the gains when guard_margin > 0 */
  struct gcn_dn_guard *guard;
  float guard_margin;
  /* optional Wiener ceiling on the guard's floor (gcn_dn_residual.h),
   * owned by the caller, needs the guard: lowers the gains when
   * residual_on */
  struct gcn_dn_residual *residual;
  int residual_on;
} gcn_denoiser_state;

int gcn_denoiser_state_init (gcn_denoiser_state *s, const gcn_denoiser *net);
void gcn_denoiser_state_reset (gcn_denoiser_state *s);
void gcn_denoiser_state_free (gcn_denoiser_state *s);
/* One frame: feat[gcn_dn_in_size] -> band_gain[32], fine_gain[64], *vad;
 * the deep-filter taps of the frame are left in s->df. 0, or -1 with
 * gc_last_error () when a layer refuses. */
int gcn_denoiser_step (gcn_denoiser_state *s, const float *feat,
    float *band_gain, float *fine_gain, float *vad);
/* Everything a stream does to one frame's spectrum (`bins` interleaved
 * complex bins, as gc_stft_rfft gives): features, network, gains and deep
 * filter, history update. On return spec holds the enhanced spectrum of
 * the frame `lookahead` frames back (zeros before the start), and
 * bin_gain (may be NULL) that frame's per-bin gains before the attenuation
 * limit. Returns the voice-activity probability (of that frame), or -1
 * with gc_last_error () when a layer refuses (spec is then untouched).
 * Input must be finite. */
float gcn_denoiser_process_spectrum (gcn_denoiser_state *s, float *spec,
    int bins, float min_gain, float *bin_gain);

/* The per-channel bookkeeping around applying a frame's gains, shared by
 * gcn_denoiser_process_spectrum and streams that apply one network's gains
 * to several channels (gc_denoise, linked):
 * gcn_dn_delay_swap: the lookahead delay line (la frames of GCN_DN_MAX_BINS
 * complex bins, newest first): spec goes in, the frame la back comes out
 * into spec; swap is one frame of scratch.
 * gcn_dn_hist_push: cur (GCN_DN_FINE complex bins) becomes the newest of
 * the hist_frames frames of history. */
void gcn_dn_delay_swap (float *delay, float *swap, int la, float *spec,
    int bins);
void gcn_dn_hist_push (float *hist, int hist_frames, const float *cur);

/* Apply gains and deep-filter taps to one frame's spectrum, in place.
 * spec: `bins` interleaved complex bins of frame t; hist: the low bins of
 * frames t-1 .. t-(df_order-1), most recent first, GCN_DN_FINE complex bins
 * each (zeros before the stream starts); df: taps (NULL or df_order 0:
 * gains only). min_gain: the attenuation limit, a floor on |Y| / |X| per
 * bin (0: none). The training loss uses the same formula. */
void gcn_dn_apply (float *spec, int bins, const float *bin_gain,
    const float *df, int df_order, const float *hist, float min_gain);

/* A whole per-channel processor: framing, features, network, gains and
 * overlap-add. Push `hop` samples, get `hop` samples that lag the input by
 * exactly (1 + lookahead) hops (the algorithmic latency). */
typedef struct gcn_dn_stream gcn_dn_stream;
gcn_dn_stream *gcn_dn_stream_new (const gcn_denoiser *net, int rate);
void gcn_dn_stream_free (gcn_dn_stream *s);
void gcn_dn_stream_reset (gcn_dn_stream *s);
/* min_gain in (0, 1]: the attenuation limit as a linear gain floor.
 * Returns the frame's voice-activity probability, or -1 with
 * gc_last_error () when the network fails (out is then left alone). Input
 * must be finite. */
float gcn_dn_stream_process (gcn_dn_stream *s, const float *in, float *out,
    float min_gain);
int gcn_dn_stream_latency (const gcn_dn_stream *s);    /* samples */
/* Speech guard (gcn_dn_guard.h): no bin loses more power than margin_db
 * above its tracked noise floor; 0 turns it off (the default). The floor
 * is tracked either way, so switching it on mid-stream acts at once. */
void gcn_dn_stream_set_guard (gcn_dn_stream *s, float margin_db);
/* Residual suppression (gcn_dn_residual.h): 1 caps the gains where the
 * network takes noise out at the Wiener gain of the tracked floor; 0 (the
 * default) leaves the network's gains. */
void gcn_dn_stream_set_residual (gcn_dn_stream *s, int on);

/* ---- training over batches of sequences ----------------------------------
 * Frame-major layout everywhere: feat [N*T][FEATS], band [N*T][32],
 * fine [N*T][64], vad [N*T][1] (row n*T + t). */
typedef struct gcn_denoiser_acts {
  int n, t;
  gc_tensor x, conv_y, act_y, g1, g2, cat, cat_rows;
  gc_gru_cache c1, c2;
  gc_tensor band_pre, fine_pre, vad_pre, df_pre;  /* before activation */
  gc_tensor band, fine, vad, df;  /* sigmoid (tanh for df: [N*T][df size]) */
  /* backward scratch */
  gc_tensor d_rows, d_cat, d_g1, d_g2, d_g1_in, d_act, dtmp, dtmp2;
} gcn_denoiser_acts;

void gcn_denoiser_acts_init (gcn_denoiser_acts *tr);
void gcn_denoiser_acts_free (gcn_denoiser_acts *tr);
int gcn_denoiser_forward_train (gcn_denoiser *net, gcn_denoiser_acts *tr,
    const float *feat, int n, int t);
/* Gradients w.r.t. the head outputs (any may be NULL = zero; d_df is
 * ignored without a deep filter); accumulates parameter gradients. Both
 * training passes return 0, or -1 with the failing layer's message. */
int gcn_denoiser_backward_train (gcn_denoiser *net, gcn_denoiser_acts *tr,
    const float *d_band, const float *d_fine, const float *d_vad,
    const float *d_df);

GC_END_DECLS
#endif
