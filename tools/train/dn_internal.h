/* gan-train denoise: what the recipe's files share (dn_*.c and
 * recipe_denoise.c). Not installed. Every shared function and global is
 * named dn_*: they link into one program with the other recipes and the
 * frame, and tests include the sources whole. */
#ifndef DN_INTERNAL_H
#define DN_INTERNAL_H

#include "gt_dist.h"
#include "recipes.h"
#include "gcn_denoiser.h"

#include <fftw3.h>
#include <stdint.h>

#define SR 48000
#define HOP 480
#define NFFT 960
#define BINS 481
#define RIR_LEN 24000           /* 0.5 s */
#define CONV_N 262144

typedef struct clip {
  float *x;
  long n;
  double w;                     /* draw weight per sample (1; lowvoice_) */
  uint64_t group;               /* source it came from (dn_group_of) */
} clip;

typedef struct clip_set {
  clip *c;
  int n;
  double total;
} clip_set;

typedef struct dn_data {
  clip_set speech, noise, rirs, eval_speech, eval_noise;
  clip_set wide;                /* wideband speech (shares speech's clips) */
  /* reverb by FFT convolution, one fixed size */
  fftwf_plan fwd, inv;
  float *cbuf;
  fftwf_complex *cspec, *sspec;
  fftwf_complex **rir_full, **rir_early;
} dn_data;

typedef struct dn_disc {
  gc_conv1d c[4];
  gc_param_list params;
  gc_tensor a[4], h[4];         /* pre-activation, post-activation per layer */
  gc_tensor d_h, d_a, dx;
} dn_disc;

typedef struct dn_batch {
  int n, t;                       /* items, frames scored per item */
  int la;                         /* lookahead: frames heard past the last */
  int warm;                       /* frames before the first, heard only by
                                   * the floor features (as a running
                                   * stream's) */
  float *x, *s, *nz, *tmp;        /* time signals, one item, (warm + t + la)
                                   * hops */
  float *X, *S;                   /* spectra [n][t][BINS][2] */
  float *Xf;                      /* the la noisy frames after X [n][la][..] */
  float *spec_tmp;                /* one item's warm + t + la analysed frames */
  float *Y;                       /* the enhanced spectra, same layout */
  int *bins;                      /* band limit per item */
  float *feat;                    /* [n*(t+la)][in] network inputs */
  int in;                         /* gcn_dn_in_size of the network */
  int phase, floor;               /* its input feature kinds (cfg) */
} dn_batch;

/* With lookahead L the network runs over t + L rows per item, and row
 * f + L (which has heard L frames past frame f) gives frame f's gains, as
 * a stream applies them. These are those rows, [n*t][...]. */
typedef struct dn_heads {
  float *band, *fine, *vad, *df;
  int dfs;                        /* deep-filter values per row (0: none) */
} dn_heads;

typedef struct dn_loss {
  float gain, spec, sig, vad, adv, d;
} dn_loss;

#define COMP 0.3f               /* magnitude compression of the spectral loss */
#define W_SPEC 10.f
#define W_SIG 0.5f
#define W_VAD 0.1f
#define LN10 2.302585093f

/* Settings read by more than one file: recipe_denoise.c sets them from its
 * table, gt_denoise_settings (recipes.h), before anything reads them.
 * lowvoice: low-voiced speech (scripts/denoise-data.sh: lowvoice_*.flac,
 * from codec2-examples and pocketsphinx-testdata) is drawn this many times
 * more often per second; the rest of the training speech has little power
 * under 150 Hz, where held-out male voices have much. asym: weight of a gain
 * or magnitude error that removes speech (output below the target) relative
 * to one that leaves noise; held-out speakers get lower gains than they
 * should, which costs SI-SDR and STOI more than a little residual noise. */
extern double dn_opt_lowvoice;
extern float dn_opt_speech_only, dn_opt_snr_max, dn_opt_wide;
extern float dn_opt_reverb_keep;
extern float dn_opt_gate;
extern float dn_opt_deepen;
extern int dn_opt_band;
extern float dn_opt_asym;
extern int dn_opt_export_df;

/* dn_data.c */
int dn_set_add (clip_set *s, float *x, long n);
uint64_t dn_group_of (const char *root, const char *path);
char *dn_data_root (gt_ctx *c, const char *dir);
void dn_set_balance (clip_set *s, double expo);
int dn_load_dir (gt_ctx *c, const char *dir, const char *exts, int rate,
    clip_set *train, clip_set *eval, const char *const *eval_names,
    long min_len, clip_set *wide);
void dn_set_free (clip_set *s);
int dn_load_sets (gt_ctx *c, dn_data *d, int rate, int eval_only);
int dn_data_load (gt_ctx *c, dn_data *d);
void dn_data_free (dn_data *d);
/* dn_mix.c */
double dn_power (const float *x, long n);
const clip *dn_pick_clip (const clip_set *s, gc_rng *r);
void dn_excerpt (const clip_set *s, gc_rng *r, float *out, long len);
void dn_speech_excerpt (const clip_set *s, gc_rng *r, float *out, long len);
void dn_highpass_at (float *x, long n, double f0, int rate);
int dn_make_item (dn_data *d, gc_rng *r, float *x, float *s, float *nz,
    float *tmp, long len);
/* dn_disc.c */
int dn_disc_init (dn_disc *D, gc_rng *r);
void dn_disc_free (dn_disc *D);
void dn_disc_forward (dn_disc *D, const gc_tensor *x);
void dn_disc_backward (dn_disc *D, const gc_tensor *x, const float *dscore,
    int want_dx);
/* dn_batch.c */
int dn_batch_alloc (dn_batch *b, int n, int t, int la, int warm);
void dn_batch_free (dn_batch *b);
void dn_limited_features (const float *spec, int bins, float *feat,
    float *band, float *scratch);
void dn_batch_make (dn_data *d, dn_batch *b, gc_stft *fft, const float *win,
    uint64_t seed, long step, int first);
int dn_heads_alloc (dn_heads *h, int rows, int dfs);
void dn_heads_free (dn_heads *h);
void dn_rows_scatter (const float *src, int n, int t, int la, int c,
    float *dst);
void dn_heads_gather (dn_heads *h, const gcn_denoiser_acts *tr, int n,
    int t, int la);
void dn_enhance (dn_batch *b, const dn_heads *h, int order, float *gbin);
/* dn_loss.c */
void dn_recon_losses (const dn_batch *b, const dn_heads *h, int order,
    float *d_band, float *d_fine, float *d_vad, float *d_df,
    const float *gbin, dn_loss *L);
void dn_fake_features (const dn_batch *b, float *feat);
void dn_fake_backward (const dn_batch *b, const float *gbin, const float *taps,
    int order, const float *dfeat, float *d_band, float *d_fine, float *d_df);
void dn_to_seq (const float *rows, int n, int t, int c, gc_tensor *seq);
void dn_to_rows (const gc_tensor *seq, float *rows);
/* dn_evalset.c */
int dn_make_eval (gt_ctx *c, const char *dir);
int dn_make_eval_lso (gt_ctx *c, const char *dir, const char *speech_dir,
    const char *noise_dir);
/* dn_model.c */
int dn_save_ckpt (gt_ctx *c, long step, gcn_denoiser *net, dn_disc *D,
    gc_adam *og, gc_adam *od, gc_rng *rng);
long dn_load_ckpt (gt_ctx *c, gcn_denoiser *net, dn_disc *D, gc_adam *og,
    gc_adam *od, gc_rng *rng);
int dn_init_from_model (gcn_denoiser *net, const char *path);
int dn_export_model (gt_ctx *c, gcn_denoiser *net, const char *path);

/* d(loss)/dY of one deep-filtered bin -> d(bin gain) and d(taps), for
 * Y = g X + (1 - g) F with F = sum c_j X[t-j] (gcn_dn_apply). */
static inline float
df_backward_bin (const dn_batch *b, const float *taps, float g, int row,
    int t, int k, int order, float dyr, float dyi, float *d_df_row)
{
  const float *X = b->X + (size_t) row * BINS * 2;
  const float *c = taps + (size_t) k * order * 2;
  float *dc = d_df_row + (size_t) k * order * 2;
  float fr = 0.f, fi = 0.f, open = 1.f - g;
  for (int j = 0; j < order && t - j >= 0; j++) {
    const float *P = X - (size_t) j * BINS * 2;
    float pr = P[2 * k], pi = P[2 * k + 1];
    fr += c[2 * j] * pr - c[2 * j + 1] * pi;
    fi += c[2 * j] * pi + c[2 * j + 1] * pr;
    dc[2 * j] += open * (dyr * pr + dyi * pi);
    dc[2 * j + 1] += open * (-dyr * pi + dyi * pr);
  }
  return dyr * (X[2 * k] - fr) + dyi * (X[2 * k + 1] - fi);
}

#endif
