/* bench-vocoder: CPU cost of the streaming vocoder at 16 kHz output.
 *
 *   bench-vocoder [MODEL.safetensors ...] [--seconds S] [--refine L,I,M]
 *                 [--repeat N]
 *
 * --refine overrides copy models' phase refinement (look-ahead frames,
 * passes, momentum; 0,0,0: off) to price its settings.
 *
 * For each model: stream S seconds of a speech-like signal hop by hop
 * (with the 8 -> 16 kHz resampler in front for band-extension models, as
 * the element runs it) and report thread CPU time as a share of one core
 * (100 * cpu / audio seconds; the bar is <= 5 %), next to the same
 * run's baseline, a bare STFT analysis + overlap-add synthesis of the same
 * audio, as a ratio. The stream runs N times (5) from a reset; the least
 * CPU time counts, the median is printed beside it. CPU time of this thread only, so other load on the
 * machine does not inflate the numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gc_core.h"
#include "gcn_vocoder.h"

static double
cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
make_speechlike (float *x, long n, int rate)
{
  gc_rng r;
  gc_rng_seed (&r, 5);
  double ph = 0;
  for (long i = 0; i < n; i++) {
    double t = (double) i / rate;
    double f0 = 120 + 50 * sin (2 * M_PI * 0.9 * t);
    ph += 2 * M_PI * f0 / rate;
    double v = 0;
    for (int k = 1; k * f0 < rate / 2.0 && k < 30; k++)
      v += sin (k * ph) / k;
    x[i] = (float) (0.2 * (0.5 + 0.5 * sin (2 * M_PI * 2.5 * t)) * v
        + 0.005 * gc_rng_normal (&r));
  }
}

/* Baseline: analysis + synthesis with the core's streaming STFT. */
static double
bench_stft (const float *x, long n, int n_fft, int hop)
{
  gc_stream_stft *s = gc_stream_stft_new (n_fft, n_fft, hop, GC_WIN_HANN);
  float *spec = malloc ((n_fft + 2) * sizeof (float)), out[4096];
  double t0 = cpu_now ();
  for (long i = 0; i + hop <= n; i += hop) {
    gc_stream_stft_analyze (s, x + i, spec);
    gc_stream_stft_synthesize (s, spec, out);
  }
  double dt = cpu_now () - t0;
  gc_stream_stft_free (s);
  free (spec);
  return dt;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static int
bench_model (const char *path, double seconds, const char *refine,
    int repeats)
{
  gcn_vocoder v;
  if (gcn_vocoder_load_file (&v, path) < 0) {
    fprintf (stderr, "bench-vocoder: %s\n", gc_last_error ());
    return -1;
  }
  int rl, ri;
  float rm;
  if (refine && v.cfg.task == GCN_VOCODER_COPY && (sscanf (refine,
              "%d,%d,%f", &rl, &ri, &rm) != 3
          || gcn_vocoder_set_refine (&v, rl, ri, rm) < 0)) {
    fprintf (stderr, "bench-vocoder: bad --refine '%s'\n", refine);
    gcn_vocoder_free (&v);
    return -1;
  }
  int rate = v.cfg.sample_rate, hop = v.cfg.hop;
  int nb = v.cfg.task == GCN_VOCODER_NB2WB;
  long n = (long) (seconds * rate) / hop * hop;
  float *x = malloc (n * sizeof (float)), *y = malloc (hop * sizeof (float));
  make_speechlike (x, n, rate);
  long n8 = gcn_resample_len (n, rate, 8000);
  float *x8 = malloc (n8 * sizeof (float));
  float *up = malloc ((n + 4096) * sizeof (float));
  gcn_resample (x, n, rate, x8, n8, 8000);

  gcn_vocoder_stream *s = gcn_vocoder_stream_new (&v);
  gcn_resampler *rs = nb ? gcn_resampler_new (8000, rate) : NULL;
  double e = 0, runs[32];
  for (int rep = 0; rep < repeats; rep++) {
    gcn_vocoder_stream_reset (s);
    if (rs)
      gcn_resampler_reset (rs);
    double t0 = cpu_now ();
    if (nb) {
      /* 8 ms of 8 kHz input at a time, as a live source would give it */
      long have = 0, used = 0;
      for (long i = 0; i < n8; i += 64) {
        int m = i + 64 <= n8 ? 64 : (int) (n8 - i);
        have += gcn_resampler_push (rs, x8 + i, m, up + have);
        for (; used + hop <= have; used += hop) {
          gcn_vocoder_stream_process (s, up + used, y);
          e += y[0] * (double) y[0];
        }
      }
    } else {
      for (long i = 0; i + hop <= n; i += hop) {
        gcn_vocoder_stream_process (s, x + i, y);
        e += y[0] * (double) y[0];
      }
    }
    runs[rep] = cpu_now () - t0;
  }
  /* the least disturbed run is the best estimate of the cost; the median
   * shows how much other load added */
  qsort (runs, repeats, sizeof (double), cmp_double);
  double dt = runs[0], med = runs[repeats / 2];
  double base = bench_stft (x, n, v.cfg.n_fft, hop);
  double audio = (double) n / rate;
  size_t params = gc_param_list_count_floats (&v.params, 1);
  printf ("%-40s %s  %zu params\n", path, nb ? "nb2wb (8 -> 16 kHz)"
      : "copy (16 kHz)", params);
  if (!nb)
    printf ("  phase refinement: look-ahead %d, passes %d, momentum %g; "
        "latency %.1f ms\n", v.cfg.refine_lookahead, v.cfg.refine_iters,
        v.cfg.refine_momentum, 1000.0 * gcn_vocoder_latency (&v) / rate);
  printf ("  vocoder: %.3f s CPU for %.1f s audio = %.2f %% of one core "
      "(real-time factor %.4f; least of %d runs, median %.2f %%)\n", dt,
      audio, 100 * dt / audio, dt / audio, repeats, 100 * med / audio);
  printf ("  baseline STFT analysis+synthesis: %.3f s = %.2f %% of one core; "
      "vocoder / baseline = %.1f x\n", base, 100 * base / audio, dt / base);
  printf ("  bar <= 5 %% of one core: %s\n", 100 * dt / audio <= 5.0 ? "PASS"
      : "FAIL");
  if (!isfinite (e))
    printf ("  warning: non-finite output\n");
  gcn_vocoder_stream_free (s);
  gcn_resampler_free (rs);
  gcn_vocoder_free (&v);
  free (x);
  free (y);
  free (x8);
  free (up);
  return 0;
}

int
main (int argc, char **argv)
{
  double seconds = 20;
  const char *refine = NULL;
  int repeats = 5;
  const char *defaults[] = { "models/vocoder-16k.safetensors",
    "models/vocoder-nb2wb.safetensors" };
  const char *paths[16];
  int n = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--seconds") && i + 1 < argc)
      seconds = atof (argv[++i]);
    else if (!strcmp (argv[i], "--refine") && i + 1 < argc)
      refine = argv[++i];
    else if (!strcmp (argv[i], "--repeat") && i + 1 < argc) {
      repeats = atoi (argv[++i]);
      repeats = repeats < 1 ? 1 : repeats > 32 ? 32 : repeats;
    }
    else if (n < 16)
      paths[n++] = argv[i];
  }
  if (n == 0) {
    paths[0] = defaults[0];
    paths[1] = defaults[1];
    n = 2;
  }
  gc_set_default_threads (1);
  gc_set_thread_limit (1);
  int rc = 0;
  for (int i = 0; i < n; i++)
    rc |= bench_model (paths[i], seconds, refine, repeats) != 0;
  return rc;
}
