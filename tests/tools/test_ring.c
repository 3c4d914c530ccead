/* The ring recipe through the real gan-train binary (argv[1]):
 *  - a smoke run writes a model gc_model_load accepts, with the frame's
 *    metadata, a complete log.csv whose `dist` shows the ring being learned,
 *    and a valid loss.png;
 *  - exact resume: 2N steps in one run equal N steps + resume for N more,
 *    bit for bit (checkpoint file, model tensors, logged losses), even when
 *    the log holds rows past the checkpoint (a crash);
 *  - Ctrl-C saves a checkpoint and exits 130, and resuming from it is
 *    exact too;
 *  - bad command lines and a damaged checkpoint fail cleanly. */
#include "tcheck.h"
#include "png_check.h"

#include "gc_core.h"

#include <math.h>
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/wait.h>

static const char *gan_train;

/* Run gan-train with a NULL-terminated list of arguments; exit status. */
static int
run (const char *first, ...)
{
  const char *argv[64];
  int argc = 0;
  argv[argc++] = gan_train;
  va_list ap;
  va_start (ap, first);
  for (const char *a = first; a && argc < 63; a = va_arg (ap, const char *))
    argv[argc++] = a;
  va_end (ap);
  argv[argc] = NULL;
  return tcheck_wait (tcheck_spawn (argv, NULL));
}

/* log.csv rows: step and the three losses (time column skipped). */
typedef struct csv_rows {
  long step[4096];
  float v[4096][3];
  int n;
  int header_ok;
} csv_rows;

static void
read_csv (const char *path, csv_rows *r)
{
  memset (r, 0, sizeof *r);
  FILE *f = fopen (path, "r");
  if (!f)
    return;
  char line[512];
  if (fgets (line, sizeof line, f))
    r->header_ok = !strcmp (line, "step,time_s,d_loss,g_loss,dist\n");
  while (r->n < 4096 && fgets (line, sizeof line, f)) {
    double t;
    if (sscanf (line, "%ld,%lf,%f,%f,%f", &r->step[r->n], &t, &r->v[r->n][0],
            &r->v[r->n][1], &r->v[r->n][2]) != 5)
      break;
    r->n++;
  }
  fclose (f);
}

static void
test_smoke (const char *dir)
{
  char run_dir[512], out[600], path[700];
  snprintf (run_dir, sizeof run_dir, "%s/smoke", dir);
  snprintf (out, sizeof out, "%s/ring.safetensors", dir);
  REQUIRE (run ("ring", "--steps", "800", "--run-dir", run_dir, "--out", out,
          "--threads", "1", "--seed", "3", "--log-every", "200",
          "--set", "loss=ns", NULL) == 0, "smoke run failed");

  gc_model_file m;
  memset (&m, 0, sizeof m);
  REQUIRE (gc_model_load (&m, out) == 0, "model rejected: %s",
      gc_last_error ());
  const char *want[][2] = { { "format", "gst-gan" }, { "arch", "ring-mlp" },
    { "recipe", "ring" }, { "steps", "800" }, { "seed", "3" },
    { "z_dim", "4" }, { "hidden", "64" } };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const char *v = gc_model_meta_get (&m, want[i][0]);
    CHECK (v && !strcmp (v, want[i][1]), "meta %s = %s, want %s", want[i][0],
        v ? v : "(none)", want[i][1]);
  }
  const char *cmd = gc_model_meta_get (&m, "command_line");
  CHECK (cmd && strstr (cmd, "ring --steps 800") && strstr (cmd, "loss=ns"),
      "command_line %s", cmd ? cmd : "(none)");
  const char *date = gc_model_meta_get (&m, "date");
  int y, mo, d, hh, mm, ss;
  CHECK (date && sscanf (date, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &hh, &mm,
          &ss) == 6 && y >= 2024, "date %s", date ? date : "(none)");
  CHECK (gc_model_meta_get (&m, "gst_gan_version")
      && gc_model_meta_get (&m, "data"), "version or data missing");
  const gc_model_tensor *t = gc_model_find (&m, "gen.fc1.weight");
  CHECK (t && t->ndim == 2 && t->shape[0] == 64 && t->shape[1] == 4,
      "gen.fc1.weight shape");
  CHECK (!gc_model_find (&m, "disc.fc1.weight"),
      "the exported model should hold the generator only");
  gc_model_free (&m);

  csv_rows r;
  snprintf (path, sizeof path, "%s/log.csv", run_dir);
  read_csv (path, &r);
  CHECK (r.header_ok, "log.csv header");
  CHECK (r.n == 800 && r.step[0] == 1 && r.step[799] == 800, "%d rows", r.n);
  double first = 0, last = 0;
  for (int i = 0; i < r.n; i++)
    for (int k = 0; k < 3; k++)
      CHECK (isfinite (r.v[i][k]), "row %d not finite", i);
  for (int i = 0; i < 20 && r.n == 800; i++) {
    first += r.v[i][2] / 20;
    last += r.v[780 + i][2] / 20;
  }
  /* Fakes start spread over the disc (distance ~1.1 to the nearest mode);
   * the generator must have pulled them onto the modes (0.23-0.35 for seeds
   * 1-6 here). */
  CHECK (last < 0.5 * first, "dist %.3f -> %.3f: not learning", first, last);
  printf ("ring: mean distance to the nearest mode %.3f -> %.3f\n", first,
      last);

  snprintf (path, sizeof path, "%s/loss.png", run_dir);
  size_t n;
  unsigned char *png = tcheck_read_file (path, &n);
  CHECK (png, "no loss.png");
  if (png) {
    int w, h;
    uint8_t *rgb = NULL;
    const char *why = "";
    CHECK (png_check_decode (png, n, &w, &h, &rgb, &why) == 0, "loss.png: %s",
        why);
    free (rgb);
    free (png);
  }
  snprintf (path, sizeof path, "%s/ckpt.safetensors", run_dir);
  memset (&m, 0, sizeof m);
  CHECK (gc_model_load (&m, path) == 0 && gc_model_find (&m, "__ckpt__.rng")
      && gc_model_find (&m, "disc.fc1.weight"), "checkpoint incomplete");
  gc_model_free (&m);
}

static int
same_file (const char *a, const char *b)
{
  size_t na, nb;
  unsigned char *da = tcheck_read_file (a, &na), *db = tcheck_read_file (b, &nb);
  int same = da && db && na == nb && !memcmp (da, db, na);
  free (da);
  free (db);
  return same;
}

static int
same_tensors (const char *a, const char *b)
{
  gc_model_file ma, mb;
  memset (&ma, 0, sizeof ma);
  memset (&mb, 0, sizeof mb);
  int same = gc_model_load (&ma, a) == 0 && gc_model_load (&mb, b) == 0
      && ma.n_tensors == mb.n_tensors && ma.n_tensors > 0;
  for (int i = 0; same && i < ma.n_tensors; i++) {
    const gc_model_tensor *tb = gc_model_find (&mb, ma.tensors[i].name);
    same = tb && tb->n == ma.tensors[i].n
        && !memcmp (tb->data, ma.tensors[i].data, tb->n * sizeof (float));
  }
  gc_model_free (&ma);
  gc_model_free (&mb);
  return same;
}

static void
test_resume (const char *dir)
{
  char a[512], b[512], pa[700], pb[700], ma[700], mb[700];
  snprintf (a, sizeof a, "%s/full", dir);
  snprintf (b, sizeof b, "%s/split", dir);
  snprintf (ma, sizeof ma, "%s/full.safetensors", dir);
  snprintf (mb, sizeof mb, "%s/split.safetensors", dir);
  REQUIRE (run ("ring", "--steps", "240", "--run-dir", a, "--out", ma,
          "--threads", "1", "--ckpt-every", "60", "--quiet", NULL) == 0,
      "2N run failed");
  REQUIRE (run ("ring", "--steps", "120", "--run-dir", b, "--out", mb,
          "--threads", "1", "--ckpt-every", "60", "--quiet", NULL) == 0,
      "N run failed");
  /* As if the first run had crashed after logging past its checkpoint. */
  snprintf (pb, sizeof pb, "%s/log.csv", b);
  FILE *f = fopen (pb, "a");
  REQUIRE (f, "no log.csv");
  fprintf (f, "121,9.9,1,2,3\n122,9.9,1,2,3\n");
  fclose (f);
  REQUIRE (run ("ring", "--steps", "240", "--run-dir", b, "--out", mb,
          "--threads", "1", "--ckpt-every", "60", "--quiet", "--resume",
          NULL) == 0, "resume failed");

  snprintf (pa, sizeof pa, "%s/ckpt.safetensors", a);
  snprintf (pb, sizeof pb, "%s/ckpt.safetensors", b);
  CHECK (same_file (pa, pb), "checkpoints after 240 steps differ");
  CHECK (same_tensors (ma, mb), "exported weights differ");

  csv_rows ra, rb;
  snprintf (pa, sizeof pa, "%s/log.csv", a);
  snprintf (pb, sizeof pb, "%s/log.csv", b);
  read_csv (pa, &ra);
  read_csv (pb, &rb);
  CHECK (ra.n == 240 && rb.n == 240, "rows %d and %d", ra.n, rb.n);
  int same = ra.n == rb.n;
  for (int i = 0; same && i < ra.n; i++)
    same = ra.step[i] == rb.step[i] && !memcmp (ra.v[i], rb.v[i],
        sizeof ra.v[i]);
  CHECK (same, "logged losses differ after resume");

  /* A resume that changes nothing more (already at 240) keeps everything. */
  CHECK (run ("ring", "--steps", "240", "--run-dir", b, "--out", mb,
          "--threads", "1", "--quiet", "--resume", NULL) == 0,
      "resume at the end failed");
  CHECK (same_tensors (ma, mb), "weights changed by an empty resume");

  /* A checkpoint of another architecture is refused, not misread. */
  CHECK (run ("ring", "--steps", "300", "--run-dir", a, "--out", ma,
          "--quiet", "--resume", "--set", "hidden=32", NULL) == 1,
      "checkpoint with other shapes accepted");
  CHECK (same_tensors (ma, mb), "a refused resume changed the model");

  /* A damaged checkpoint is refused with an error, not a crash. */
  snprintf (pb, sizeof pb, "%s/ckpt.safetensors", b);
  f = fopen (pb, "r+b");
  REQUIRE (f, "no checkpoint");
  fseek (f, 3, SEEK_SET);
  fputc (0x7f, f);
  fclose (f);
  CHECK (run ("ring", "--steps", "300", "--run-dir", b, "--out", mb,
          "--quiet", "--resume", NULL) == 1, "damaged checkpoint accepted");
}

/* Ctrl-C checkpoints and exits 130; resuming from there is still exact. */
static void
test_interrupt (const char *dir)
{
  char ri[512], rs[512], pi[700], ps[700], mi[700], ms[700];
  snprintf (ri, sizeof ri, "%s/interrupted", dir);
  snprintf (rs, sizeof rs, "%s/straight", dir);
  snprintf (mi, sizeof mi, "%s/interrupted.safetensors", dir);
  snprintf (ms, sizeof ms, "%s/straight.safetensors", dir);
  const char *argv[] = { gan_train, "ring", "--steps", "100000000",
    "--run-dir", ri, "--out", mi, "--threads", "1", "--quiet", NULL };
  pid_t pid = tcheck_spawn (argv, NULL);
  REQUIRE (pid > 0, "cannot start gan-train");
  /* The log appears after the first step, when the handler is in place. */
  snprintf (pi, sizeof pi, "%s/log.csv", ri);
  for (int i = 0; i < 500 && access (pi, F_OK) != 0; i++)
    usleep (20000);
  usleep (100000);
  kill (pid, SIGINT);
  CHECK (tcheck_wait (pid) == 130, "an interrupted run should exit 130");

  gc_model_file m;
  memset (&m, 0, sizeof m);
  snprintf (pi, sizeof pi, "%s/ckpt.safetensors", ri);
  REQUIRE (gc_model_load (&m, pi) == 0, "no checkpoint after Ctrl-C: %s",
      gc_last_error ());
  long at = gc_model_meta_get_int (&m, "step", -1);
  gc_model_free (&m);
  REQUIRE (at > 0, "checkpoint step %ld", at);
  char steps[32];
  snprintf (steps, sizeof steps, "%ld", at + 40);
  REQUIRE (run ("ring", "--steps", steps, "--run-dir", ri, "--out", mi,
          "--threads", "1", "--quiet", "--resume", NULL) == 0,
      "resume after Ctrl-C failed");
  REQUIRE (run ("ring", "--steps", steps, "--run-dir", rs, "--out", ms,
          "--threads", "1", "--quiet", NULL) == 0, "straight run failed");
  snprintf (ps, sizeof ps, "%s/ckpt.safetensors", rs);
  CHECK (same_file (pi, ps), "interrupted + resumed differs from straight "
      "(interrupted at step %ld)", at);
  CHECK (same_tensors (mi, ms), "exported weights differ");
}

static void
test_command_line (const char *dir)
{
  char rd[512];
  snprintf (rd, sizeof rd, "%s/bad", dir);
  CHECK (run ("--list", NULL) == 0, "--list");
  CHECK (run ("--help", NULL) == 0, "--help");
  CHECK (run (NULL) == 2, "no arguments");
  CHECK (run ("no-such-recipe", NULL) == 2, "unknown recipe");
  CHECK (run ("ring", "--steps", "ten", NULL) == 2, "bad --steps");
  CHECK (run ("ring", "--run-dir", rd, "--quiet", "--set", "loss=bogus",
          NULL) == 1, "unknown GAN loss accepted");
  CHECK (run ("ring", "--run-dir", rd, "--quiet", "--set", "batch=x",
          NULL) == 2, "bad --set integer accepted");
}

int
main (int argc, char **argv)
{
  REQUIRE (argc > 1, "usage: test_ring PATH-TO-gan-train");
  gan_train = argv[1];
  char *dir = tcheck_tmpdir ("ring");
  REQUIRE (dir, "no temp dir");
  /* Quiet children: their messages would drown the test's own. */
  freopen ("/dev/null", "w", stderr);
  test_smoke (dir);
  test_resume (dir);
  test_interrupt (dir);
  test_command_line (dir);
  tcheck_rmtree (dir);
  free (dir);
  return gan_test_report ("test_ring");
}
