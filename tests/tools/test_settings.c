/* The recipes' settings tables (gt_setting, gt.h) against the real
 * gan-train binary (argv[1]):
 *  - each table is well formed: unique keys, help for every key, a
 *    default of the key's type;
 *  - "gan-train RECIPE --help" lists every key of the table once, with a
 *    default that reads back as the table's (or * when computed) and the
 *    table's help text, and no key the table lacks;
 *  - gt_settings_check accepts every key at its printed default and
 *    refuses an unknown key and a value of the wrong type;
 *  - gan-train refuses an unknown --set key, a key of another recipe and a
 *    bad value with exit status 2 and a message naming them, before the
 *    run starts (no run folder, no data read). */
#include "tcheck.h"

#include "gt.h"
#include "recipes.h"

#include <errno.h>
#include <math.h>
#include <sys/stat.h>

static const struct {
  const char *name;
  const gt_setting *table;
} recipes[] = {
  { "ring", gt_ring_settings },
  { "denoise", gt_denoise_settings },
  { "superres", gt_superres_settings },
  { "style", gt_style_settings },
  { "vocoder", gt_vocoder_settings },
};
#define N_RECIPES (sizeof recipes / sizeof recipes[0])

static const char *gan_train;
static const char *tmp;

/* Run gan-train with args (NULL-terminated); stdout and stderr to files
 * under tmp. The exit status, or -1. */
static int
run (const char *const *args, const char *out_path, const char *err_path)
{
  const char *argv[64];
  int argc = 0;
  argv[argc++] = gan_train;
  for (int i = 0; args[i] && argc < 63; i++)
    argv[argc++] = args[i];
  argv[argc] = NULL;
  extern char **environ;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 1, out_path,
      O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen (&fa, 2, err_path,
      O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  int rc = posix_spawn (&pid, argv[0], &fa, NULL, (char **) argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  return tcheck_wait (rc == 0 ? pid : -1);
}

static char *
read_text (const char *path)
{
  size_t n = 0;
  unsigned char *d = tcheck_read_file (path, &n);
  REQUIRE (d, "cannot read %s", path);
  char *s = realloc (d, n + 1);
  REQUIRE (s, "out of memory");
  s[n] = '\0';
  return s;
}

/* Runs of spaces as one, none at the ends (the help is wrapped). */
static void
squeeze (char *s)
{
  char *w = s;
  for (char *r = s; *r; r++)
    if (*r != ' ' || (w > s && w[-1] != ' '))
      *w++ = *r;
  while (w > s && w[-1] == ' ')
    w--;
  *w = '\0';
}

static void
check_table (const char *name, const gt_setting *t)
{
  int n = 0;
  for (const gt_setting *s = t; s->key; s++, n++) {
    CHECK (s->key[0] && strspn (s->key, "abcdefghijklmnopqrstuvwxyz"
            "0123456789_") == strlen (s->key), "%s: key '%s' is not a plain "
        "name", name, s->key);
    CHECK (s->help && s->help[0], "%s: %s has no help", name, s->key);
    CHECK (s->type == GT_SETTING_INT || s->type == GT_SETTING_FLOAT
        || s->type == GT_SETTING_STR, "%s: %s has type %d", name, s->key,
        (int) s->type);
    if (s->type == GT_SETTING_INT && !isnan (s->def))
      CHECK (s->def == floor (s->def), "%s: integer %s defaults to %g", name,
          s->key, s->def);
    for (const gt_setting *o = t; o < s; o++)
      CHECK (strcmp (o->key, s->key) != 0, "%s: %s twice", name, s->key);
  }
  CHECK (n > 0, "%s: empty table", name);
}

/* The default as the help should show it, and whether the shown one reads
 * back as that default. */
static int
default_matches (const gt_setting *s, const char *shown)
{
  if (s->type == GT_SETTING_STR)
    return !strcmp (shown, s->def_str ? s->def_str : "-");
  if (isnan (s->def))
    return !strcmp (shown, "*");
  char *end;
  errno = 0;
  if (s->type == GT_SETTING_INT) {
    long v = strtol (shown, &end, 0);
    return !errno && end != shown && !*end && (double) v == s->def;
  }
  double v = strtod (shown, &end);
  return !errno && end != shown && !*end && v == s->def;
}

/* The help's settings section: "  key=default  help" lines, the help
 * wrapped onto lines indented by 24 columns. */
static void
check_help (const char *name, const gt_setting *t)
{
  char out[700], err[700];
  snprintf (out, sizeof out, "%s/help-%s.txt", tmp, name);
  snprintf (err, sizeof err, "%s/help-%s.err", tmp, name);
  const char *args[] = { name, "--help", NULL };
  CHECK (run (args, out, err) == 0, "%s --help failed", name);
  char *text = read_text (out);
  char header[128];
  snprintf (header, sizeof header, "\n%s settings (", name);
  char *sec = strstr (text, header);
  REQUIRE (sec, "%s --help has no settings section:\n%s", name, text);
  sec = strchr (sec + 1, '\n');
  REQUIRE (sec, "%s: nothing after the settings header", name);

  int n_table = 0;
  for (const gt_setting *s = t; s->key; s++)
    n_table++;
  int *seen = calloc (n_table + 1, sizeof *seen), listed = 0;
  REQUIRE (seen, "out of memory");
  char *line = sec + 1;
  while (line && *line) {
    char *next = strchr (line, '\n');
    if (next)
      *next++ = '\0';
    if (strncmp (line, "  ", 2) != 0 || line[2] == ' ') {
      CHECK (0, "%s --help: stray line '%s'", name, line);
      line = next;
      continue;
    }
    /* "  key=default" then the help, on this line and the indented ones */
    char *kv = line + 2, *eq = strchr (kv, '=');
    REQUIRE (eq, "%s --help: no key=default in '%s'", name, line);
    *eq = '\0';
    char *def = eq + 1, *sp = strchr (def, ' ');
    char help[4096] = "";
    if (sp) {
      *sp = '\0';
      snprintf (help, sizeof help, "%s", sp + 1);
    }
    while (next && !strncmp (next, "                        ", 24)) {
      char *end = strchr (next, '\n');
      if (end)
        *end++ = '\0';
      size_t l = strlen (help);
      snprintf (help + l, sizeof help - l, " %s", next + 24);
      next = end;
    }
    squeeze (help);
    listed++;
    int k = 0;
    const gt_setting *s = t;
    while (s->key && strcmp (s->key, kv) != 0)
      s++, k++;
    if (!s->key) {
      CHECK (0, "%s --help lists '%s', which is not in the table", name, kv);
    } else {
      seen[k]++;
      CHECK (default_matches (s, def), "%s --help: %s=%s, the table says "
          "%g / %s", name, kv, def, s->def, s->def_str ? s->def_str : "-");
      char want[4096];
      snprintf (want, sizeof want, "%s", s->help);
      squeeze (want);
      CHECK (!strcmp (help, want), "%s --help: %s's help reads '%s', the "
          "table's is '%s'", name, kv, help, want);
    }
    line = next;
  }
  for (int k = 0; k < n_table; k++)
    CHECK (seen[k] == 1, "%s --help lists %s %d times", name, t[k].key,
        seen[k]);
  CHECK (listed == n_table, "%s --help: %d settings, the table has %d", name,
      listed, n_table);
  free (seen);
  free (text);
}

/* The check gan-train runs, in process: every key at the default the help
 * shows passes, and each kind of mistake fails. */
static int
check_args (const gt_setting *t, const char *name, const char *const *sets,
    int n)
{
  char *argv[256];
  int argc = 0;
  argv[argc++] = "gan-train";
  argv[argc++] = (char *) name;
  for (int i = 0; i < n && argc < 254; i++) {
    argv[argc++] = "--set";
    argv[argc++] = (char *) sets[i];
  }
  argv[argc] = NULL;
  gt_ctx c;
  REQUIRE (gt_parse_args (&c, argc, argv) == 0, "%s: --set rejected", name);
  /* the refusals it prints are expected here: not into the test's log */
  fflush (stderr);
  int saved = dup (2), null = open ("/dev/null", O_WRONLY);
  REQUIRE (saved >= 0 && null >= 0 && dup2 (null, 2) == 2, "no /dev/null");
  int rc = gt_settings_check (&c, t);
  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  close (null);
  gt_ctx_clear (&c);
  return rc;
}

static void
check_in_process (const char *name, const gt_setting *t)
{
  char buf[128][96];
  const char *sets[128];
  int n = 0;
  for (const gt_setting *s = t; s->key && n < 128; s++, n++) {
    if (s->type == GT_SETTING_STR)
      snprintf (buf[n], sizeof buf[n], "%s=%s", s->key,
          s->def_str ? s->def_str : "x");
    else if (isnan (s->def))
      snprintf (buf[n], sizeof buf[n], "%s=%s", s->key,
          s->type == GT_SETTING_INT ? "3" : "0.5");
    else if (s->type == GT_SETTING_INT)
      snprintf (buf[n], sizeof buf[n], "%s=%ld", s->key, (long) s->def);
    else
      snprintf (buf[n], sizeof buf[n], "%s=%.17g", s->key, s->def);
    sets[n] = buf[n];
  }
  CHECK (check_args (t, name, sets, n) == 0, "%s: its own keys refused",
      name);
  const char *unknown[] = { "no_such_setting=1" };
  CHECK (check_args (t, name, unknown, 1) < 0, "%s: unknown key passed",
      name);
  for (const gt_setting *s = t; s->key; s++) {
    char bad[128];
    if (s->type == GT_SETTING_STR)
      continue;
    /* a float for an integer, a word for either */
    snprintf (bad, sizeof bad, "%s=%s", s->key,
        s->type == GT_SETTING_INT ? "1.5" : "1.5x");
    const char *one[] = { bad };
    CHECK (check_args (t, name, one, 1) < 0, "%s: --set %s passed", name,
        bad);
    snprintf (bad, sizeof bad, "%s=", s->key);
    CHECK (check_args (t, name, one, 1) < 0, "%s: --set %s passed", name,
        bad);
  }
}

/* gan-train itself: refused with status 2, the message naming what, and
 * nothing run (no run folder). */
static void
check_refused (const char *what, const char *const *args, const char *run_dir,
    const char *want1, const char *want2)
{
  char out[700], err[700];
  snprintf (out, sizeof out, "%s/refused.out", tmp);
  snprintf (err, sizeof err, "%s/refused.err", tmp);
  int rc = run (args, out, err);
  char *msg = read_text (err);
  CHECK (rc == 2, "%s: exit status %d, want 2 (%s)", what, rc, msg);
  CHECK (strstr (msg, want1) && strstr (msg, want2), "%s: the message does "
      "not name '%s' and '%s': %s", what, want1, want2, msg);
  CHECK (!strchr (msg, '\n') || strchr (msg, '\n')[1] == '\0',
      "%s: more than one line: %s", what, msg);
  struct stat st;
  CHECK (stat (run_dir, &st) != 0, "%s: the run started (%s exists)", what,
      run_dir);
  tcheck_rmtree (run_dir);      /* so the next check starts without it */
  free (msg);
}

static void
check_command_line (void)
{
  char run_dir[600], model[700], data[700];
  snprintf (run_dir, sizeof run_dir, "%s/run", tmp);
  snprintf (model, sizeof model, "%s/m.safetensors", run_dir);
  snprintf (data, sizeof data, "%s/no-data", tmp);
#define RING(...) ((const char *const[]) { "ring", "--run-dir", run_dir,     \
      "--out", model, "--steps", "3", "--threads", "1", "--quiet",           \
      __VA_ARGS__, NULL })
  check_refused ("unknown key", RING ("--set", "bacth=8"), run_dir,
      "'bacth'", "ring --help");
  check_refused ("another recipe's key", RING ("--set", "batch=8",
          "--set", "lowvoice=2"), run_dir, "'lowvoice'", "'ring'");
  check_refused ("word for an integer", RING ("--set", "batch=eight"),
      run_dir, "batch=eight", "not an integer");
  check_refused ("float for an integer", RING ("--set", "hidden=3.5"),
      run_dir, "hidden=3.5", "not an integer");
  check_refused ("word for a float", RING ("--set", "lr=fast"), run_dir,
      "lr=fast", "not a number");
  /* before the data: the settings are refused, not the missing folder */
  check_refused ("denoise, bad value", ((const char *const[]) { "denoise",
          "--data", data, "--run-dir", run_dir, "--quiet", "--set",
          "lowvoice=loud", NULL }), run_dir, "lowvoice=loud", "not a number");
  check_refused ("denoise, unknown key", ((const char *const[]) { "denoise",
          "--data", data, "--run-dir", run_dir, "--quiet", "--set",
          "snr=5", NULL }), run_dir, "'snr'", "'denoise'");

  /* The control: the same command line with good settings runs. */
  char out[700], err[700];
  snprintf (out, sizeof out, "%s/ok.out", tmp);
  snprintf (err, sizeof err, "%s/ok.err", tmp);
  int rc = run (RING ("--set", "batch=8", "--set", "hidden=8", "--set",
          "lr=0x1p-7", "--set", "loss=hinge"), out, err);
  char *msg = read_text (err);
  CHECK (rc == 0, "good settings: exit status %d: %s", rc, msg);
  CHECK (access (model, F_OK) == 0, "good settings: no model written");
  free (msg);
#undef RING
}

int
main (int argc, char **argv)
{
  REQUIRE (argc >= 2, "usage: test_settings GAN_TRAIN");
  gan_train = argv[1];
  char *dir = tcheck_tmpdir ("settings");
  REQUIRE (dir, "no temp dir");
  tmp = dir;
  for (size_t i = 0; i < N_RECIPES; i++) {
    check_table (recipes[i].name, recipes[i].table);
    check_help (recipes[i].name, recipes[i].table);
    check_in_process (recipes[i].name, recipes[i].table);
  }
  check_command_line ();
  tcheck_rmtree (dir);
  free (dir);
  return gan_test_report ("test_settings");
}
