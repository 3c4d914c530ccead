/* gan-train option parsing: defaults, both flag forms, --set handling and
 * rejection of bad input with an error instead of a silent default. */
#include "tcheck.h"

#include "gt.h"

#include <sys/wait.h>

static int
parse (gt_ctx *c, char **argv)
{
  int argc = 0;
  while (argv[argc])
    argc++;
  return gt_parse_args (c, argc, argv);
}

/* Run fn in a child and return its exit status (bad --set values exit). */
static int
exit_status_of (void (*fn) (gt_ctx *), gt_ctx *c)
{
  fflush (NULL);
  pid_t pid = fork ();
  if (pid == 0) {
    freopen ("/dev/null", "w", stderr);
    fn (c);
    _exit (0);
  }
  int st = 0;
  waitpid (pid, &st, 0);
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

static void
read_bad_int (gt_ctx *c)
{
  gt_opt_int (c, "batch", 1);
}

static void
read_bad_float (gt_ctx *c)
{
  gt_opt_float (c, "lr", 1);
}

int
main (void)
{
  gt_ctx c;
  char *defaults[] = { "gan-train", "ring", NULL };
  REQUIRE (parse (&c, defaults) == 0, "defaults rejected");
  CHECK (!strcmp (c.recipe, "ring"), "recipe %s", c.recipe);
  CHECK (!strcmp (c.run_dir, "runs/ring"), "run_dir %s", c.run_dir);
  CHECK (!strcmp (c.out_path, "runs/ring/model.safetensors"), "out %s",
      c.out_path);
  CHECK (!strcmp (c.cache_dir, "cache"), "cache %s", c.cache_dir);
  CHECK (c.seed == 1 && c.threads == 0 && !c.resume && !c.steps_given
      && c.steps == 0,
      "seed %llu threads %d", (unsigned long long) c.seed, c.threads);
  CHECK (gt_steps (&c, 777) == 777 && c.steps == 777,
      "recipe default steps not applied: %ld", c.steps);
  gt_ctx_clear (&c);

  char *full[] = { "gan-train", "ring", "--data", "/d", "--out=/o/m.st",
    "--steps", "42", "--seed=9", "--threads", "1", "--run-dir", "/r",
    "--ckpt-every", "10", "--resume", "--log-every=5", "--quiet",
    "--set", "lr=0.5", "--set=batch=8", "--set", "lr=0.25",
    "--set", "note=two words", "--no-cache", NULL };
  REQUIRE (parse (&c, full) == 0, "full command line rejected");
  CHECK (!strcmp (c.data_dir, "/d") && !strcmp (c.out_path, "/o/m.st")
      && !strcmp (c.run_dir, "/r"), "paths");
  CHECK (c.steps == 42 && c.steps_given && gt_steps (&c, 777) == 42,
      "steps %ld", c.steps);
  CHECK (c.seed == 9 && c.threads == 1 && c.ckpt_every == 10
      && c.log_every == 5 && c.resume && c.quiet, "numbers");
  CHECK (c.cache_dir[0] == '\0', "--no-cache kept '%s'", c.cache_dir);
  CHECK (gt_opt_float (&c, "lr", 1.0) == 0.25, "last --set wins");
  CHECK (gt_opt_int (&c, "batch", 1) == 8, "batch");
  CHECK (gt_opt_int (&c, "missing", 3) == 3, "default int");
  CHECK (!strcmp (gt_opt_str (&c, "missing", "x"), "x"), "default str");
  CHECK (gt_opts_warn_unused (&c) == 1, "only 'note' is unused");
  CHECK (strstr (c.cmdline, "'note=two words'") != NULL,
      "command line not quoted: %s", c.cmdline);
  CHECK (strstr (c.cmdline, "--steps 42") != NULL, "cmdline %s", c.cmdline);
  gt_ctx_clear (&c);

  char *bad_set[] = { "gan-train", "ring", "--set", "batch=eight",
    "--set", "lr=fast", NULL };
  REQUIRE (parse (&c, bad_set) == 0, "parsing defers --set values");
  CHECK (exit_status_of (read_bad_int, &c) == 2, "bad integer not fatal");
  CHECK (exit_status_of (read_bad_float, &c) == 2, "bad float not fatal");
  gt_ctx_clear (&c);

  /* Each of these must be refused (and not crash). */
  char *bad[][5] = {
    { "gan-train", "ring", "--steps", "0", NULL },
    { "gan-train", "ring", "--steps", "12x", NULL },
    { "gan-train", "ring", "--seed", "-1", NULL },
    { "gan-train", "ring", "--bogus", NULL, NULL },
    { "gan-train", "ring", "--set", "novalue", NULL },
    { "gan-train", "ring", "--set", "=v", NULL },
    { "gan-train", "ring", "--data", NULL, NULL },
    { "gan-train", "--steps", "5", NULL, NULL },
    { "gan-train", NULL, NULL, NULL, NULL },
  };
  freopen ("/dev/null", "w", stderr);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK (parse (&c, bad[i]) < 0, "case %zu accepted", i);
    gt_ctx_clear (&c);
  }
  return gan_test_report ("test_opts");
}
