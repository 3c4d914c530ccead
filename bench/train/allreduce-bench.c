/* allreduce-bench: the time of gan-train's gradient sum (gt_comm_sum_float,
 * the transport gan-train uses) for given sizes, run under mpirun:
 *   mpirun -np 2 build/bench/train/allreduce-bench [MB ...]
 * (BUCKET_FLOATS=n in the environment: another bucket size; 0: one call)
 * Each size is summed `reps` times after a barrier; the minimum is the
 * transfer itself, the median adds what a busy machine costs. Rank 0
 * prints ms and the bus bandwidth 2 (N-1)/N bytes / time, the figure a
 * ring allreduce needs from each link. */
#include "gt_comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  if (gt_comm_init (&argc, &argv) < 0)
    return 1;
  static const double def[] = { 0.022, 0.778, 0.945, 4.0, 16.0 };
  int n_sizes = argc > 1 ? argc - 1 : (int) (sizeof def / sizeof def[0]);
  int reps = 50, N = gt_comm_size (), me = gt_comm_rank ();
  /* BUCKET_FLOATS: gan-train's bucket (1 M floats) unless set; 0: one call */
  const char *be = getenv ("BUCKET_FLOATS");
  size_t bucket = be ? (size_t) atol (be) : (size_t) 1 << 20;
  if (me == 0)
    printf ("%d ranks (%s)\n%10s %10s %10s %12s\n", N, gt_comm_name (), "MB",
        "min ms", "median ms", "bus Gbit/s");
  for (int s = 0; s < n_sizes; s++) {
    double mb = argc > 1 ? atof (argv[s + 1]) : def[s];
    size_t n = (size_t) (mb * 1e6 / sizeof (float));
    float *x = calloc (n ? n : 1, sizeof (float));
    double *t = malloc (reps * sizeof *t);
    if (!x || !t)
      return 1;
    for (int r = 0; r < reps; r++) {
      gt_comm_barrier ();
      double t0 = now_s ();
      if (gt_comm_sum_float (x, n, bucket) < 0)
        gt_comm_abort (1);
      t[r] = now_s () - t0;
    }
    qsort (t, reps, sizeof *t, cmp);
    double bytes = (double) n * sizeof (float);
    if (me == 0)
      printf ("%10.3f %10.3f %10.3f %12.2f\n", bytes / 1e6, 1e3 * t[0],
          1e3 * t[reps / 2], 2.0 * (N - 1) / N * bytes * 8 / t[0] / 1e9);
    free (x);
    free (t);
  }
  gt_comm_finalize ();
  return 0;
}
