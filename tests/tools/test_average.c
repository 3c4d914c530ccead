/* gan-average end to end (argv[1]): the output is the weighted average of
 * the inputs tensor by tensor, keeps the first input's metadata and says
 * what was averaged; inputs of another shape or architecture, bad weights
 * and missing files are refused with an error exit and no output file. */
#include "tcheck.h"

#include "gc_core.h"

#include <math.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *gan_average;

static int
run (const char *args)
{
  char cmd[4096];
  snprintf (cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", gan_average, args);
  int st = system (cmd);
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

/* A two-tensor model: "net.w" [rows, 3] = base + index, "net.b" [rows] = -base. */
static void
write_model (const char *path, int rows, float base, const char *lookahead,
    const char *seed)
{
  gc_param w, b;
  gc_param_list l = { 0 };
  REQUIRE (gc_param_init (&w, "net.w", 2, (int[]) { rows, 3 }) == 0
      && gc_param_init (&b, "net.b", 1, (int[]) { rows }) == 0, "init");
  for (size_t i = 0; i < w.n; i++)
    w.w[i] = base + (float) i;
  for (size_t i = 0; i < b.n; i++)
    b.w[i] = -base;
  gc_param_list_add (&l, &w);
  gc_param_list_add (&l, &b);
  const char *kv[] = { "arch", "test-net", "lookahead", lookahead, "seed",
    seed, "steps", "100", "command_line", "gan-train test", "note", seed,
    NULL };
  REQUIRE (gc_model_save (path, &l, kv) == 0, "save %s", path);
  gc_param_list_free (&l);
  gc_param_free (&w);
  gc_param_free (&b);
}

/* The negation of write_model (path, rows, 1, ...)'s model: averaged 1:1
 * with it, every weight is zero. */
static void
write_negated (const char *path, int rows)
{
  gc_param w, b;
  gc_param_list l = { 0 };
  REQUIRE (gc_param_init (&w, "net.w", 2, (int[]) { rows, 3 }) == 0
      && gc_param_init (&b, "net.b", 1, (int[]) { rows }) == 0, "init");
  for (size_t i = 0; i < w.n; i++)
    w.w[i] = -(1.f + (float) i);
  for (size_t i = 0; i < b.n; i++)
    b.w[i] = 1.f;
  gc_param_list_add (&l, &w);
  gc_param_list_add (&l, &b);
  const char *kv[] = { "arch", "test-net", "lookahead", "1", NULL };
  REQUIRE (gc_model_save (path, &l, kv) == 0, "save %s", path);
  gc_param_list_free (&l);
  gc_param_free (&w);
  gc_param_free (&b);
}

static int
exists (const char *p)
{
  struct stat st;
  return stat (p, &st) == 0;
}

int
main (int argc, char **argv)
{
  REQUIRE (argc > 1, "usage: test_average PATH-TO-gan-average");
  gan_average = argv[1];
  char *dir = tcheck_tmpdir ("average");
  REQUIRE (dir, "no temp dir");
  char a[600], b[600], c[600], wide[600], other[600], neg[600], out[600],
      args[4096];
  snprintf (a, sizeof a, "%s/a.safetensors", dir);
  snprintf (b, sizeof b, "%s/b.safetensors", dir);
  snprintf (c, sizeof c, "%s/c.safetensors", dir);
  snprintf (wide, sizeof wide, "%s/wide.safetensors", dir);
  snprintf (other, sizeof other, "%s/other.safetensors", dir);
  snprintf (out, sizeof out, "%s/out.safetensors", dir);
  snprintf (neg, sizeof neg, "%s/neg.safetensors", dir);
  write_model (a, 4, 1.f, "1", "7");
  write_model (b, 4, 5.f, "1", "8");
  write_model (c, 4, -3.f, "1", "9");
  write_model (wide, 5, 1.f, "1", "7");
  write_model (other, 4, 1.f, "0", "7");
  write_negated (neg, 4);

  /* 3 : 1 -> 0.75 a + 0.25 b */
  snprintf (args, sizeof args, "'%s' 3 '%s' 1 '%s'", out, a, b);
  REQUIRE (run (args) == 0, "3:1 average failed");
  gc_model_file m;
  REQUIRE (gc_model_load (&m, out) == 0, "%s", gc_last_error ());
  const gc_model_tensor *tw = gc_model_find (&m, "net.w");
  const gc_model_tensor *tb = gc_model_find (&m, "net.b");
  REQUIRE (tw && tb && tw->n == 12 && tb->n == 4, "tensors");
  for (size_t i = 0; i < tw->n; i++)
    CHECK (fabsf (tw->data[i] - (0.75f * (1 + i) + 0.25f * (5 + i))) < 1e-5f,
        "w[%zu] = %g", i, tw->data[i]);
  for (size_t i = 0; i < tb->n; i++)
    CHECK (fabsf (tb->data[i] - (0.75f * -1 + 0.25f * -5)) < 1e-6f,
        "b[%zu] = %g", i, tb->data[i]);
  const char *v = gc_model_meta_get (&m, "seed");
  CHECK (v && !strcmp (v, "7"), "first model's seed kept: %s", v ? v : "-");
  v = gc_model_meta_get (&m, "arch");
  CHECK (v && !strcmp (v, "test-net"), "arch");
  v = gc_model_meta_get (&m, "average");
  CHECK (v && strstr (v, "0.75 x a.safetensors (steps 100, seed 7)")
      && strstr (v, "0.25 x b.safetensors (steps 100, seed 8)"),
      "average: %s", v ? v : "-");
  v = gc_model_meta_get (&m, "average.2.note");
  CHECK (v && !strcmp (v, "8"), "second model's note: %s", v ? v : "-");
  CHECK (gc_model_meta_get (&m, "average.2.command_line") != NULL,
      "second model's command line");
  gc_model_free (&m);

  /* three inputs; an averaged file can be averaged again */
  snprintf (args, sizeof args, "'%s' 1 '%s' 1 '%s' 2 '%s'", out, a, b, c);
  REQUIRE (run (args) == 0, "three inputs failed");
  REQUIRE (gc_model_load (&m, out) == 0, "%s", gc_last_error ());
  tw = gc_model_find (&m, "net.w");
  CHECK (tw && fabsf (tw->data[0] - (0.25f * 1 + 0.25f * 5 + 0.5f * -3))
      < 1e-6f, "three inputs: w[0] = %g", tw ? tw->data[0] : NAN);
  gc_model_free (&m);
  char again[600];
  snprintf (again, sizeof again, "%s/again.safetensors", dir);
  snprintf (args, sizeof args, "'%s' 1 '%s' 1 '%s'", again, out, a);
  CHECK (run (args) == 0, "averaging an average");

  /* refusals: nothing written */
  struct { const char *what; char args[4096]; } bad[12];
  int nb = 0;
  snprintf (bad[nb].args, sizeof bad[nb].args, "'%s.x' 1 '%s' 1 '%s'", out,
      a, wide);
  bad[nb++].what = "another shape";
  snprintf (bad[nb].args, sizeof bad[nb].args, "'%s.x' 1 '%s' 1 '%s'", out,
      a, other);
  bad[nb++].what = "another lookahead";
  snprintf (bad[nb].args, sizeof bad[nb].args, "'%s.x' 0 '%s' 1 '%s'", out,
      a, b);
  bad[nb++].what = "zero weight";
  snprintf (bad[nb].args, sizeof bad[nb].args, "'%s.x' -1 '%s' 1 '%s'", out,
      a, b);
  bad[nb++].what = "negative weight";
  snprintf (bad[nb].args, sizeof bad[nb].args, "'%s.x' nan '%s' 1 '%s'",
      out, a, b);
  bad[nb++].what = "NaN weight";
  snprintf (bad[nb].args, sizeof bad[nb].args, "'%s.x' 1 '%s' 1 '%s/none'",
      out, a, dir);
  bad[nb++].what = "missing file";
  snprintf (bad[nb].args, sizeof bad[nb].args, "'%s.x' 1 '%s' 1 '%s'", out,
      a, __FILE__);
  bad[nb++].what = "not a model";
  snprintf (bad[nb].args, sizeof bad[nb].args, "'%s.x' 1 '%s'", out, a);
  bad[nb++].what = "one input";
  snprintf (bad[nb].args, sizeof bad[nb].args, "'%s.x' 1e308 '%s' 1e308 "
      "'%s'", out, a, b);
  bad[nb++].what = "weights whose sum overflows";
  snprintf (bad[nb].args, sizeof bad[nb].args, "'%s.x' 1 '%s' 1 '%s'", out,
      a, neg);
  bad[nb++].what = "an all-zero average";
  char refused[700];
  snprintf (refused, sizeof refused, "%s.x", out);
  for (int i = 0; i < nb; i++) {
    CHECK (run (bad[i].args) != 0, "%s accepted", bad[i].what);
    CHECK (!exists (refused), "%s left a file", bad[i].what);
    remove (refused);
  }
  CHECK (run ("--help") == 0, "--help");

  tcheck_rmtree (dir);
  free (dir);
  return gan_test_report ("test_average");
}
