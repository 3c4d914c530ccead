/* Data-parallel gan-train (argv[1]) under mpirun (argv[2]); argv[3] is 1
 * when gan-train was built with MPI, else the test is skipped (77).
 *  - 2 ranks with global batch B against 1 process with batch B, on the
 *    ring recipe and on superres (tiny generated images): every tensor of
 *    the final checkpoint (weights and Adam moments) and every logged value
 *    agree within the float-summation tolerance below;
 *  - a 2-rank checkpoint resumed in 1 process, and a 1-process checkpoint
 *    resumed with 2 ranks, end where an uninterrupted run ends;
 *  - a rank killed mid-run stops the whole job with an error that names it,
 *    and the last checkpoint loads and resumes;
 *  - a batch smaller than the ranks is refused on every rank;
 *  - ranks whose weights differ stop at the first weight check.
 *
 * Tolerance. 1 process sums a batch's gradient in one pass; 2 ranks sum
 * two halves and add them, so gradients differ in the last float bits
 * (about 1e-7 relative). Adam divides by sqrt(v), which amplifies tiny
 * differences in small gradients, and a GAN feeds them back, so the
 * tolerance is on the largest difference of a tensor relative to its
 * largest value: 1e-4 after 40 steps (measured: about 1e-6). A wrong slice, a missing or
 * double-counted item, or a wrong weighting shows as 1e-2 or more from the
 * first step (checked here: 1 process with batch B/2 is far from both). */
#include "tcheck.h"

#include "gc_core.h"
#include "gt_png.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#define TOL 1e-4

static const char *gan_train, *mpirun;

/* Build "[mpirun -np N] gan-train args..." into argv. ranks 0: plain. */
static void
build_argv (const char **argv, int ranks, const char *first, va_list ap)
{
  static char np[16];
  int argc = 0;
  if (ranks > 0) {
    snprintf (np, sizeof np, "%d", ranks);
    argv[argc++] = mpirun;
    if (geteuid () == 0)
      argv[argc++] = "--allow-run-as-root";
    argv[argc++] = "--oversubscribe";
    argv[argc++] = "-np";
    argv[argc++] = np;
  }
  argv[argc++] = gan_train;
  for (const char *a = first; a && argc < 63; a = va_arg (ap, const char *))
    argv[argc++] = a;
  argv[argc] = NULL;
}

/* gan-train with `ranks` ranks (0: without mpirun); exit status. */
static int
run (int ranks, const char *first, ...)
{
  const char *argv[64];
  va_list ap;
  va_start (ap, first);
  build_argv (argv, ranks, first, ap);
  va_end (ap);
  return tcheck_wait (tcheck_spawn (argv, NULL));
}

/* Largest |a - b| / max |a| over the tensors of two model files whose
 * names start with prefix (every tensor of a must be in b, same size). */
static double
max_rel_diff (const char *pa, const char *pb, const char *prefix)
{
  gc_model_file a, b;
  memset (&a, 0, sizeof a);
  memset (&b, 0, sizeof b);
  if (gc_model_load (&a, pa) < 0 || gc_model_load (&b, pb) < 0) {
    printf ("cannot load %s or %s: %s\n", pa, pb, gc_last_error ());
    gc_model_free (&a);
    gc_model_free (&b);
    return INFINITY;
  }
  double worst = 0;
  int n = 0;
  for (int i = 0; i < a.n_tensors; i++) {
    const gc_model_tensor *ta = &a.tensors[i];
    if (strncmp (ta->name, prefix, strlen (prefix)) != 0
        || !strncmp (ta->name, "__ckpt__", 8))
      continue;
    const gc_model_tensor *tb = gc_model_find (&b, ta->name);
    if (!tb || tb->n != ta->n) {
      worst = INFINITY;
      break;
    }
    double dmax = 0, amax = 1e-30;
    for (size_t k = 0; k < ta->n; k++) {
      dmax = fmax (dmax, fabs ((double) ta->data[k] - tb->data[k]));
      amax = fmax (amax, fabs ((double) ta->data[k]));
    }
    worst = fmax (worst, dmax / amax);
    n++;
  }
  gc_model_free (&a);
  gc_model_free (&b);
  return n ? worst : INFINITY;
}

/* Largest relative difference of the logged values of two log.csv files
 * (same rows and columns required; the time column is skipped). */
static double
log_diff (const char *pa, const char *pb, int *rows)
{
  FILE *fa = fopen (pa, "r"), *fb = fopen (pb, "r");
  double worst = fa && fb ? 0 : INFINITY;
  char la[1024], lb[1024];
  *rows = 0;
  while (fa && fb && fgets (la, sizeof la, fa)) {
    if (!fgets (lb, sizeof lb, fb)) {
      worst = INFINITY;
      break;
    }
    if (*rows == 0) {           /* header */
      if (strcmp (la, lb))
        worst = INFINITY;
      (*rows)++;
      continue;
    }
    char *sa = la, *sb = lb;
    for (int col = 0; sa && sb; col++) {
      double va = strtod (sa, NULL), vb = strtod (sb, NULL);
      if (col == 0 && va != vb)
        worst = INFINITY;
      if (col >= 2)
        worst = fmax (worst, fabs (va - vb) / fmax (fabs (va), 1e-3));
      sa = strchr (sa, ',');
      sb = strchr (sb, ',');
      sa = sa ? sa + 1 : NULL;
      sb = sb ? sb + 1 : NULL;
    }
    (*rows)++;
  }
  if (fb && fgets (lb, sizeof lb, fb))
    worst = INFINITY;           /* b has more rows */
  if (fa)
    fclose (fa);
  if (fb)
    fclose (fb);
  return worst;
}

static void
path_in (char *buf, size_t n, const char *dir, const char *run,
    const char *file)
{
  snprintf (buf, n, "%s/%s/%s", dir, run, file);
}

/* The model file at path has metadata key = want. */
static int
meta_is (const char *path, const char *key, const char *want)
{
  gc_model_file m;
  memset (&m, 0, sizeof m);
  if (gc_model_load (&m, path) < 0) {
    printf ("%s: %s\n", path, gc_last_error ());
    return 0;
  }
  const char *v = gc_model_meta_get (&m, key);
  int ok = v && !strcmp (v, want);
  gc_model_free (&m);
  return ok;
}

/* 2 ranks == 1 process with the same global batch; batch/2 is not. */
static void
test_ring_equal (const char *dir)
{
  char r1[600], r2[600], rh[600], a[700], b[700], h[700];
  snprintf (r1, sizeof r1, "%s/ring1", dir);
  snprintf (r2, sizeof r2, "%s/ring2", dir);
  snprintf (rh, sizeof rh, "%s/ringhalf", dir);
  REQUIRE (run (0, "ring", "--run-dir", r1, "--steps", "40", "--threads", "1",
          "--quiet", "--set", "batch=64", NULL) == 0, "1-process ring");
  REQUIRE (run (2, "ring", "--run-dir", r2, "--steps", "40", "--threads", "1",
          "--quiet", "--check-every", "10", "--set", "batch=64", NULL) == 0,
      "2-rank ring");
  REQUIRE (run (0, "ring", "--run-dir", rh, "--steps", "40", "--threads", "1",
          "--quiet", "--set", "batch=32", NULL) == 0, "1-process batch 32");
  path_in (a, sizeof a, dir, "ring1", "ckpt.safetensors");
  path_in (b, sizeof b, dir, "ring2", "ckpt.safetensors");
  path_in (h, sizeof h, dir, "ringhalf", "ckpt.safetensors");
  double d = max_rel_diff (a, b, ""), dh = max_rel_diff (a, h, "");
  printf ("ring, 40 steps: 2 ranks vs 1 process %.2e, batch 32 vs 64 %.2e\n",
      d, dh);
  CHECK (d < TOL, "2 ranks differ from 1 process: %.3g", d);
  CHECK (dh > 10 * TOL, "the check cannot tell batches apart: %.3g", dh);
  int rows;
  path_in (a, sizeof a, dir, "ring1", "log.csv");
  path_in (b, sizeof b, dir, "ring2", "log.csv");
  double dl = log_diff (a, b, &rows);
  CHECK (rows == 41 && dl < TOL, "logs: %d rows, difference %.3g", rows, dl);
  /* Rank 0 alone wrote the model, and it says how many ranks made it. */
  path_in (b, sizeof b, dir, "ring2", "model.safetensors");
  CHECK (meta_is (b, "ranks", "2"), "model: ranks should be 2");
}

/* Resume across rank counts: 40 steps in one go (ring1, above) == 20 + 20
 * either way. */
static void
test_resume (const char *dir)
{
  char ab[600], ba[600], a[700], b[700];
  snprintf (ab, sizeof ab, "%s/resume21", dir);
  snprintf (ba, sizeof ba, "%s/resume12", dir);
  REQUIRE (run (2, "ring", "--run-dir", ab, "--steps", "20", "--threads",
          "1", "--quiet", "--set", "batch=64", NULL) == 0, "2 ranks, 20");
  path_in (a, sizeof a, dir, "resume21", "ckpt.safetensors");
  CHECK (meta_is (a, "ranks", "2"), "checkpoint: ranks should be 2");
  REQUIRE (run (0, "ring", "--run-dir", ab, "--steps", "40", "--threads",
          "1", "--quiet", "--resume", "--set", "batch=64", NULL) == 0,
      "1 process resumes");
  REQUIRE (run (0, "ring", "--run-dir", ba, "--steps", "20", "--threads",
          "1", "--quiet", "--set", "batch=64", NULL) == 0, "1 process, 20");
  REQUIRE (run (2, "ring", "--run-dir", ba, "--steps", "40", "--threads",
          "1", "--quiet", "--resume", "--set", "batch=64", NULL) == 0,
      "2 ranks resume");
  path_in (a, sizeof a, dir, "ring1", "ckpt.safetensors");
  path_in (b, sizeof b, dir, "resume21", "ckpt.safetensors");
  double d21 = max_rel_diff (a, b, "");
  path_in (b, sizeof b, dir, "resume12", "ckpt.safetensors");
  double d12 = max_rel_diff (a, b, "");
  printf ("resume: 2 ranks then 1 %.2e, 1 then 2 ranks %.2e\n", d21, d12);
  CHECK (d21 < TOL, "2 -> 1 resume differs: %.3g", d21);
  CHECK (d12 < TOL, "1 -> 2 resume differs: %.3g", d12);
  int rows;
  path_in (a, sizeof a, dir, "ring1", "log.csv");
  path_in (b, sizeof b, dir, "resume12", "log.csv");
  double dl = log_diff (a, b, &rows);
  CHECK (rows == 41 && dl < TOL, "resumed log: %d rows, %.3g", rows, dl);
}

/* Tiny textured images for superres: smooth gradients plus a few edges. */
static void
make_images (const char *dir)
{
  char sub[600], path[700];
  snprintf (sub, sizeof sub, "%s/data/images", dir);
  mkdir (sub, 0755);
  snprintf (sub, sizeof sub, "%s/data/images/train", dir);
  REQUIRE (mkdir (sub, 0755) == 0 || errno == EEXIST, "mkdir %s", sub);
  enum { W = 48, H = 40 };
  static uint8_t px[W * H * 3];
  for (int n = 0; n < 3; n++) {
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        for (int ch = 0; ch < 3; ch++) {
          double v = 128 + 60 * sin (0.2 * (n + 1) * x + 0.3 * y + ch)
              + ((x / (5 + n) + y / 7) % 2 ? 50 : -50);
          px[(y * W + x) * 3 + ch] = (uint8_t) fmin (255, fmax (0, v));
        }
    snprintf (path, sizeof path, "%s/im%d.png", sub, n);
    REQUIRE (gt_png_write (path, W, H, px) == 0, "%s", gc_last_error ());
  }
}

/* 6 steps of a tiny superres; eval_dir=train: the recipe wants something
 * to score. */
static int
run_superres (int ranks, const char *data, const char *cache,
    const char *run_dir)
{
  return run (ranks, "superres", "--data", data, "--cache", cache,
      "--run-dir", run_dir, "--steps", "6", "--threads", "1", "--quiet",
      "--check-every", "2", "--set", "batch=5", "--set", "patch=8", "--set",
      "channels=4", "--set", "mid=1", "--set", "warmup=2", "--set",
      "eval_dir=images/train", NULL);
}

static void
test_superres_equal (const char *dir)
{
  char data[600], cache[600], r1[600], r2[600], a[700], b[700];
  make_images (dir);
  snprintf (data, sizeof data, "%s/data", dir);
  snprintf (cache, sizeof cache, "%s/cache", dir);
  snprintf (r1, sizeof r1, "%s/sr1", dir);
  snprintf (r2, sizeof r2, "%s/sr2", dir);
  REQUIRE (run_superres (0, data, cache, r1) == 0, "1-process superres");
  REQUIRE (run_superres (2, data, cache, r2) == 0, "2-rank superres");
  path_in (a, sizeof a, dir, "sr1", "ckpt.safetensors");
  path_in (b, sizeof b, dir, "sr2", "ckpt.safetensors");
  double d = max_rel_diff (a, b, "");
  printf ("superres, 6 steps, batch 5 as 2 + 3: 2 ranks vs 1 process "
      "%.2e\n", d);
  CHECK (d < TOL, "superres: 2 ranks differ from 1 process: %.3g", d);
  int rows;
  path_in (a, sizeof a, dir, "sr1", "log.csv");
  path_in (b, sizeof b, dir, "sr2", "log.csv");
  /* l1 is a mean over items; psnr is the mean of the ranks' values. */
  double dl = log_diff (a, b, &rows);
  CHECK (rows == 7 && dl < 5e-2, "superres logs: %d rows, %.3g", rows, dl);
}

/* The pid of the gan-train child of `parent` that is rank `rank`. */
static pid_t
find_rank (pid_t parent, int rank)
{
  DIR *d = opendir ("/proc");
  pid_t found = -1;
  struct dirent *e;
  char want[64];
  snprintf (want, sizeof want, "OMPI_COMM_WORLD_RANK=%d", rank);
  while (d && found < 0 && (e = readdir (d))) {
    char path[300];
    pid_t pid = (pid_t) atol (e->d_name);
    if (pid <= 0)
      continue;
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = fopen (path, "r");
    if (!f)
      continue;
    int ppid = 0;
    char comm[256];
    int ok = fscanf (f, "%*d (%255[^)]) %*c %d", comm, &ppid) == 2;
    fclose (f);
    if (!ok || ppid != parent || strcmp (comm, "gan-train"))
      continue;
    /* /proc files have no size: read until the end */
    snprintf (path, sizeof path, "/proc/%d/environ", (int) pid);
    static char env[1 << 16];
    size_t n = 0, got;
    f = fopen (path, "rb");
    while (f && n < sizeof env - 1
        && (got = fread (env + n, 1, sizeof env - 1 - n, f)) > 0)
      n += got;
    if (f)
      fclose (f);
    env[n] = '\0';
    for (size_t k = 0; k < n; k += strlen (env + k) + 1)
      if (!strcmp (env + k, want))
        found = pid;
  }
  if (d)
    closedir (d);
  return found;
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Kill rank 1 after the first checkpoint: the job ends with an error
 * naming the rank; the checkpoint is whole and resumes. */
static void
test_rank_dies (const char *dir)
{
  char rd[600], ck[700], err[700];
  snprintf (rd, sizeof rd, "%s/dies", dir);
  path_in (ck, sizeof ck, dir, "dies", "ckpt.safetensors");
  snprintf (err, sizeof err, "%s/dies.err", dir);
  const char *argv[64];
  int k = 0;
  argv[k++] = mpirun;
  if (geteuid () == 0)
    argv[k++] = "--allow-run-as-root";
  const char *rest[] = { "--oversubscribe", "-np", "2", gan_train, "ring",
    "--run-dir", rd, "--steps", "1000000", "--ckpt-every", "25", "--threads",
    "1", "--quiet", "--set", "batch=16", NULL };
  for (int i = 0; rest[i]; i++)
    argv[k++] = rest[i];
  argv[k] = NULL;
  pid_t job = tcheck_spawn (argv, err);
  REQUIRE (job > 0, "spawn mpirun");
  struct stat st;
  double t0 = now_s ();
  while (stat (ck, &st) != 0 && now_s () - t0 < 60)
    usleep (20000);
  pid_t victim = find_rank (job, 1);
  CHECK (stat (ck, &st) == 0 && victim > 0, "no checkpoint or no rank 1");
  if (victim > 0)
    kill (victim, SIGKILL);
  /* The job must end by itself, quickly. */
  int status = -1, w;
  t0 = now_s ();
  while ((w = waitpid (job, &status, WNOHANG)) == 0 && now_s () - t0 < 60)
    usleep (50000);
  if (w == 0) {
    kill (job, SIGKILL);
    waitpid (job, &status, 0);
    CHECK (0, "the job kept running after rank 1 died");
  } else {
    CHECK (!(WIFEXITED (status) && WEXITSTATUS (status) == 0),
        "the job exited 0 after rank 1 died");
  }
  size_t n = 0;
  char *msg = (char *) tcheck_read_file (err, &n);
  int named = 0;
  if (msg) {
    msg = realloc (msg, n + 1);
    msg[n] = '\0';
    named = strstr (msg, "rank 1") && (strstr (msg, "signal 9")
        || strstr (msg, "Killed"));
  }
  CHECK (named, "no error naming the dead rank:\n%s", msg ? msg : "");
  free (msg);
  /* The checkpoint is whole: it loads and the run continues from it. */
  gc_model_file m;
  memset (&m, 0, sizeof m);
  CHECK (gc_model_load (&m, ck) == 0, "checkpoint damaged: %s",
      gc_last_error ());
  const char *step = gc_model_meta_get (&m, "step");
  long s = step ? atol (step) : 0;
  CHECK (s >= 25 && s % 25 == 0, "checkpoint step %s", step);
  gc_model_free (&m);
  char until[32];
  snprintf (until, sizeof until, "%ld", s + 5);
  CHECK (run (0, "ring", "--run-dir", rd, "--steps", until, "--threads", "1",
          "--quiet", "--resume", "--set", "batch=16", NULL) == 0,
      "resume after the failure");
}

/* Ranks whose weights differ (here: two seeds, one per rank, through
 * mpirun's MPMD form) are caught by the weight check at step 0. */
static void
test_divergence (const char *dir)
{
  char rd[600], err[700];
  snprintf (rd, sizeof rd, "%s/diverge", dir);
  snprintf (err, sizeof err, "%s/diverge.err", dir);
  const char *argv[64];
  int k = 0;
  argv[k++] = mpirun;
  if (geteuid () == 0)
    argv[k++] = "--allow-run-as-root";
  const char *rest[] = { "--oversubscribe", "-np", "1", gan_train, "ring",
    "--run-dir", rd, "--steps", "5", "--quiet", "--seed", "1", ":", "-np",
    "1", gan_train, "ring", "--run-dir", rd, "--steps", "5", "--quiet",
    "--seed", "2", NULL };
  for (int i = 0; rest[i]; i++)
    argv[k++] = rest[i];
  argv[k] = NULL;
  CHECK (tcheck_wait (tcheck_spawn (argv, err)) != 0,
      "ranks with different weights ran to the end");
  size_t n = 0;
  char *msg = (char *) tcheck_read_file (err, &n);
  if (msg) {
    msg = realloc (msg, n + 1);
    msg[n] = '\0';
  }
  CHECK (msg && strstr (msg, "differ between ranks at step 0"),
      "no divergence message:\n%s", msg ? msg : "");
  free (msg);
}

static void
test_batch_too_small (const char *dir)
{
  char rd[600];
  snprintf (rd, sizeof rd, "%s/small", dir);
  CHECK (run (2, "ring", "--run-dir", rd, "--steps", "5", "--quiet",
          "--set", "batch=1", NULL) != 0, "batch 1 on 2 ranks accepted");
}

int
main (int argc, char **argv)
{
  if (argc < 4) {
    fprintf (stderr, "usage: test_mpi GAN_TRAIN MPIRUN MPI_BUILT\n");
    return 2;
  }
  if (strcmp (argv[3], "1") != 0) {
    printf ("gan-train was built without MPI: skipped\n");
    return 77;
  }
  gan_train = argv[1];
  mpirun = argv[2];
  /* A container: no ssh for a local job, no ptrace for single-copy
   * shared memory, no InfiniBand; decoding needs the system plugins. */
  setenv ("OMPI_MCA_plm", "isolated", 1);
  setenv ("OMPI_MCA_btl", "self,vader", 1);
  setenv ("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 1);
  setenv ("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);
  unsetenv ("GST_PLUGIN_SYSTEM_PATH_1_0");
  char reg[4096];
  char *dir = tcheck_tmpdir ("mpi");
  REQUIRE (dir, "no temp dir");
  snprintf (reg, sizeof reg, "%s/registry.bin", dir);
  setenv ("GST_REGISTRY_1_0", reg, 1);
  char data[600];
  snprintf (data, sizeof data, "%s/data", dir);
  mkdir (data, 0755);

  test_ring_equal (dir);
  test_resume (dir);
  test_superres_equal (dir);
  test_rank_dies (dir);
  test_batch_too_small (dir);
  test_divergence (dir);
  tcheck_rmtree (dir);
  free (dir);
  return gan_test_report ("test_mpi");
}
