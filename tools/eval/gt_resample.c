/* Band-limited resampling for the metrics (STOI works at 10 kHz): the
 * core's Kaiser-windowed sinc (gcn_resampler) with the metrics' design,
 * a cutoff at 0.95 of the lower Nyquist frequency, 16 zero crossings on
 * each side, beta 8.6 and each output phase normalised to unit DC gain. */
#include "gt_metrics.h"
#include "gcn_resampler.h"

#include <stdint.h>

#define CUTOFF 0.475            /* cycles per sample of the lower rate */
#define ZERO_CROSSINGS 16
#define KAISER_BETA 8.6

size_t
gm_resample_len (size_t n, int from, int to)
{
  if (from <= 0 || to <= 0)
    return 0;
  return (size_t) ((uint64_t) n * (uint64_t) to / (uint64_t) from);
}

size_t
gm_resample (const float *x, size_t n, int from, int to, float *out)
{
  size_t on = gm_resample_len (n, from, to);
  if (on == 0)
    return 0;
  if (from == to) {
    for (size_t i = 0; i < n; i++)
      out[i] = x[i];
    return n;
  }
  if (gcn_resample_kaiser (x, (long) n, from, out, (long) on, to, CUTOFF,
          ZERO_CROSSINGS, KAISER_BETA, 1) < 0)
    return 0;
  return on;
}
