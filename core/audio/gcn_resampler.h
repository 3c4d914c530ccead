/* gcn_resampler — band-limited audio resampling with a Kaiser-windowed
 * sinc, any rational ratio: whole signals and streams. */
#ifndef GCN_RESAMPLER_H
#define GCN_RESAMPLER_H

#include "gc_export.h"
#include <stdint.h>

GC_BEGIN_DECLS

/* Whole signal, zero delay: n_out = round (n_in * rate_out / rate_in). */
long gcn_resample_len (long n_in, int rate_in, int rate_out);
int gcn_resample (const float *in, long n_in, int rate_in, float *out,
    long n_out, int rate_out);
/* The same with another design: cutoff in cycles per sample of the lower
 * rate (gcn_resample: 0.47), zero crossings of the sinc on each side of
 * the window (32), the Kaiser window's beta (8.0), and with unit_dc each
 * output phase's taps normalised to sum to one (0). Rates 1 .. 1000000.
 * Returns 0 or -1 (gc_last_error ()). */
int gcn_resample_kaiser (const float *in, long n_in, int rate_in, float *out,
    long n_out, int rate_out, double cutoff, int zeros, double beta,
    int unit_dc);

typedef struct gcn_resampler gcn_resampler;
gcn_resampler *gcn_resampler_new (int rate_in, int rate_out);
void gcn_resampler_free (gcn_resampler *r);
void gcn_resampler_reset (gcn_resampler *r);
/* Delay in input samples (output sample j lines up with input j*ri/ro). */
int gcn_resampler_latency (const gcn_resampler *r);
/* Push n_in samples; writes the outputs that became available (at most
 * gcn_resampler_max_out (r, n_in)) and returns their count. */
long gcn_resampler_max_out (const gcn_resampler *r, long n_in);
long gcn_resampler_push (gcn_resampler *r, const float *in, long n_in,
    float *out);

GC_END_DECLS
#endif
