/* gan-train: the transport of a single process (no MPI in this build, or
 * a program that only links the training frame). Sums over one rank are
 * the values themselves. */
#include "gt_comm.h"

#include <stdlib.h>

int
gt_comm_init (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  return 0;
}

void
gt_comm_finalize (void)
{
}

void
gt_comm_abort (int code)
{
  exit (code);
}

int
gt_comm_rank (void)
{
  return 0;
}

int
gt_comm_size (void)
{
  return 1;
}

int
gt_comm_local_size (void)
{
  return 1;
}

const char *
gt_comm_name (void)
{
  return "none";
}

int
gt_comm_sum_float (float *x, size_t n, size_t bucket_floats)
{
  (void) x;
  (void) n;
  (void) bucket_floats;
  return 0;
}

int
gt_comm_sum_double (double *x, size_t n)
{
  (void) x;
  (void) n;
  return 0;
}

int
gt_comm_min_u64 (uint64_t *x, size_t n)
{
  (void) x;
  (void) n;
  return 0;
}

int
gt_comm_max_u64 (uint64_t *x, size_t n)
{
  (void) x;
  (void) n;
  return 0;
}

int
gt_comm_barrier (void)
{
  return 0;
}

int
gt_comm_bcast (void *buf, size_t bytes)
{
  (void) buf;
  (void) bytes;
  return 0;
}
