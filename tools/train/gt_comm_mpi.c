/* gan-train: the transport over MPI (Open MPI in Debian: libopenmpi-dev).
 *
 * Only the main thread calls MPI (MPI_THREAD_FUNNELED); libgancore's worker
 * threads never do. Errors return to us (MPI_ERRORS_RETURN) so that a
 * failed collective prints which rank saw it before the job is aborted;
 * a rank that dies outright is noticed by mpirun, which stops the rest. */
#include "gt_comm.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int active, rank, size = 1, local_size = 1;
static char name[64] = "none";

/* Started by a launcher? Open MPI's mpirun, PMIx (Open MPI 5, srun
 * --mpi=pmix) and PMI-1/2 (srun --mpi=pmi2, MPICH) each leave a mark. */
static int
launched (void)
{
  static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
    "PMI_RANK", "PMI_SIZE", NULL };
  for (int i = 0; vars[i]; i++)
    if (getenv (vars[i]))
      return 1;
  return 0;
}

static int
check (int err, const char *what)
{
  if (err == MPI_SUCCESS)
    return 0;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string (err, msg, &len);
  fprintf (stderr, "gan-train: rank %d of %d: %s failed: %s (has another "
      "rank stopped?)\n", rank, size, what, msg);
  return -1;
}

int
gt_comm_init (int *argc, char ***argv)
{
  if (active || !launched ())
    return 0;
  int provided = 0;
  if (MPI_Init_thread (argc, argv, MPI_THREAD_FUNNELED, &provided)
      != MPI_SUCCESS) {
    fprintf (stderr, "gan-train: MPI_Init failed\n");
    return -1;
  }
  active = 1;
  MPI_Comm_set_errhandler (MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  MPI_Comm_size (MPI_COMM_WORLD, &size);
  MPI_Comm node;
  if (MPI_Comm_split_type (MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank,
          MPI_INFO_NULL, &node) == MPI_SUCCESS) {
    MPI_Comm_size (node, &local_size);
    MPI_Comm_free (&node);
  }
  char lib[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version (lib, &len);
  size_t n = strcspn (lib, ",\n");
  if (n >= sizeof name)
    n = sizeof name - 1;
  memcpy (name, lib, n);
  name[n] = '\0';
  return 0;
}

void
gt_comm_finalize (void)
{
  if (active)
    MPI_Finalize ();
  active = 0;
}

void
gt_comm_abort (int code)
{
  if (active && size > 1)
    MPI_Abort (MPI_COMM_WORLD, code);
  exit (code);
}

int
gt_comm_rank (void)
{
  return rank;
}

int
gt_comm_size (void)
{
  return size;
}

int
gt_comm_local_size (void)
{
  return local_size;
}

const char *
gt_comm_name (void)
{
  return name;
}

int
gt_comm_sum_float (float *x, size_t n, size_t bucket_floats)
{
  if (size == 1 || n == 0)
    return 0;
  if (bucket_floats == 0 || bucket_floats > INT_MAX)
    bucket_floats = INT_MAX;
  size_t nb = (n + bucket_floats - 1) / bucket_floats;
  MPI_Request *req = malloc (nb * sizeof *req);
  if (!req)
    return -1;
  /* Every bucket in flight at once: the transport pipelines them. */
  int err = MPI_SUCCESS;
  size_t posted = 0;
  for (; posted < nb && err == MPI_SUCCESS; posted++) {
    size_t off = posted * bucket_floats;
    size_t cnt = n - off < bucket_floats ? n - off : bucket_floats;
    err = MPI_Iallreduce (MPI_IN_PLACE, x + off, (int) cnt, MPI_FLOAT,
        MPI_SUM, MPI_COMM_WORLD, &req[posted]);
  }
  if (err != MPI_SUCCESS)
    posted--;
  int werr = MPI_Waitall ((int) posted, req, MPI_STATUSES_IGNORE);
  free (req);
  if (check (err, "MPI_Iallreduce") < 0)
    return -1;
  return check (werr, "MPI_Iallreduce (wait)");
}

static int
reduce (void *x, size_t n, MPI_Datatype t, MPI_Op op, const char *what)
{
  if (size == 1 || n == 0)
    return 0;
  return check (MPI_Allreduce (MPI_IN_PLACE, x, (int) n, t, op,
          MPI_COMM_WORLD), what);
}

int
gt_comm_sum_double (double *x, size_t n)
{
  return reduce (x, n, MPI_DOUBLE, MPI_SUM, "MPI_Allreduce (sum)");
}

int
gt_comm_min_u64 (uint64_t *x, size_t n)
{
  return reduce (x, n, MPI_UINT64_T, MPI_MIN, "MPI_Allreduce (min)");
}

int
gt_comm_max_u64 (uint64_t *x, size_t n)
{
  return reduce (x, n, MPI_UINT64_T, MPI_MAX, "MPI_Allreduce (max)");
}

int
gt_comm_barrier (void)
{
  if (size == 1)
    return 0;
  return check (MPI_Barrier (MPI_COMM_WORLD), "MPI_Barrier");
}

int
gt_comm_bcast (void *buf, size_t bytes)
{
  if (size == 1 || bytes == 0)
    return 0;
  unsigned char *p = buf;
  while (bytes > 0) {           /* MPI counts are ints */
    int cnt = bytes > (size_t) INT_MAX ? INT_MAX : (int) bytes;
    if (check (MPI_Bcast (p, cnt, MPI_BYTE, 0, MPI_COMM_WORLD),
            "MPI_Bcast") < 0)
      return -1;
    p += cnt;
    bytes -= (size_t) cnt;
  }
  return 0;
}
