/* gan-train: the message transport under data-parallel training.
 *
 * Two implementations, one linked into each program: gt_comm_mpi.c (Open
 * MPI, only gan-train built with the `mpi` feature) and gt_comm_single.c
 * (one process; tests and tools that link the training frame). Before
 * gt_comm_init, and whenever the program was not started by an MPI
 * launcher, there is one rank and every call below is a cheap no-op. */
#ifndef GT_COMM_H
#define GT_COMM_H

#include <stddef.h>
#include <stdint.h>

/* Join the job when started by mpirun/srun (detected from the launcher's
 * environment); a plain start stays a single process without touching
 * MPI. Returns 0 or -1 (message printed). */
int gt_comm_init (int *argc, char ***argv);
void gt_comm_finalize (void);
/* Stop every rank of the job now (after an error on this one). */
void gt_comm_abort (int code);

int gt_comm_rank (void);
int gt_comm_size (void);
/* Ranks on this machine (to share its cores between them). */
int gt_comm_local_size (void);
/* "Open MPI v4.1.4" or "none": for messages and metadata. */
const char *gt_comm_name (void);

/* In-place sums over all ranks. The float sum is split into buckets of at
 * most bucket_floats that are all in flight at once (0: one call). */
int gt_comm_sum_float (float *x, size_t n, size_t bucket_floats);
int gt_comm_sum_double (double *x, size_t n);
/* In-place minimum and maximum of n 64-bit words. */
int gt_comm_min_u64 (uint64_t *x, size_t n);
int gt_comm_max_u64 (uint64_t *x, size_t n);
/* Wait for every rank. */
int gt_comm_barrier (void);
/* Rank 0's bytes to every rank. */
int gt_comm_bcast (void *buf, size_t bytes);

#endif
