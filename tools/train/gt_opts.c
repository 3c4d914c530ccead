/* gan-train: command-line parsing and the --set key=value settings. */
#include "gt.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
dup_or_die (const char *s)
{
  char *d = strdup (s ? s : "");
  if (!d) {
    fprintf (stderr, "gan-train: out of memory\n");
    exit (1);
  }
  return d;
}

/* Replace a string field the frame owns. */
static void
set_str (const char **field, const char *v)
{
  free ((char *) *field);
  *field = dup_or_die (v);
}

static int
parse_long (const char *flag, const char *v, long lo, long *out)
{
  char *end;
  errno = 0;
  long x = strtol (v, &end, 10);
  if (errno || end == v || *end || x < lo) {
    fprintf (stderr, "gan-train: %s expects an integer >= %ld, got '%s'\n",
        flag, lo, v);
    return -1;
  }
  *out = x;
  return 0;
}

static int
add_set (gt_ctx *c, const char *kv)
{
  const char *eq = strchr (kv, '=');
  if (!eq || eq == kv) {
    fprintf (stderr, "gan-train: --set expects key=value, got '%s'\n", kv);
    return -1;
  }
  char **k = realloc (c->set_keys, (c->n_set + 1) * sizeof *k);
  if (k)
    c->set_keys = k;
  char **v = realloc (c->set_vals, (c->n_set + 1) * sizeof *v);
  if (v)
    c->set_vals = v;
  unsigned char *u = realloc (c->set_used, c->n_set + 1);
  if (u)
    c->set_used = u;
  if (!k || !v || !u) {
    fprintf (stderr, "gan-train: out of memory\n");
    return -1;
  }
  c->set_keys[c->n_set] = strndup (kv, eq - kv);
  c->set_vals[c->n_set] = dup_or_die (eq + 1);
  c->set_used[c->n_set] = 0;
  c->n_set++;
  return 0;
}

/* The command line as one shell-readable string (quoted where needed). */
static char *
join_cmdline (int argc, char **argv)
{
  size_t cap = 1;
  for (int i = 0; i < argc; i++)
    cap += 4 * strlen (argv[i]) + 3;
  char *s = malloc (cap), *p = s;
  if (!s)
    return dup_or_die ("");
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int plain = *a != '\0';
    for (const char *q = a; *q; q++)
      if (!strchr ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
              "0123456789-_=./,:+@%", *q))
        plain = 0;
    if (i)
      *p++ = ' ';
    if (plain) {
      p = stpcpy (p, a);
      continue;
    }
    *p++ = '\'';
    for (const char *q = a; *q; q++) {
      if (*q == '\'')
        p = stpcpy (p, "'\\''");
      else
        *p++ = *q;
    }
    *p++ = '\'';
  }
  *p = '\0';
  return s;
}

int
gt_parse_args (gt_ctx *c, int argc, char **argv)
{
  memset (c, 0, sizeof *c);
  if (argc < 2 || argv[1][0] == '-') {
    fprintf (stderr, "gan-train: the first argument must be a recipe name\n");
    return -1;
  }
  c->recipe = dup_or_die (argv[1]);
  c->steps = 0;                 /* the recipe's default: gt_steps */
  c->seed = 1;
  c->ckpt_every = 1000;
  c->log_every = 50;
  c->check_every = 100;
  c->cmdline = join_cmdline (argc, argv);
  set_str (&c->data_dir, "../shared/data");
  set_str (&c->cache_dir, "cache");
  const char *run_dir = NULL, *out = NULL;

  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    /* Accept both "--flag value" and "--flag=value". */
    char flag[64];
    const char *val = NULL;
    const char *eq = strchr (a, '=');
    if (strncmp (a, "--", 2) == 0 && eq && (size_t) (eq - a) < sizeof flag) {
      memcpy (flag, a, eq - a);
      flag[eq - a] = '\0';
      val = eq + 1;
    } else {
      snprintf (flag, sizeof flag, "%s", a);
    }
    if (!strcmp (flag, "--resume")) {
      c->resume = 1;
      continue;
    }
    if (!strcmp (flag, "--quiet") || !strcmp (flag, "-q")) {
      c->quiet = 1;
      continue;
    }
    if (!strcmp (flag, "--no-cache")) {
      set_str (&c->cache_dir, "");
      continue;
    }
    static const char *const with_value[] = { "--data", "--out", "--steps",
      "--seed", "--threads", "--run-dir", "--ckpt-every", "--cache",
      "--log-every", "--check-every", "--set", NULL };
    int known = 0;
    for (int k = 0; with_value[k]; k++)
      if (!strcmp (flag, with_value[k]))
        known = 1;
    if (!known) {
      fprintf (stderr, "gan-train: unknown option '%s' (see --help)\n", a);
      return -1;
    }
    if (!val) {
      if (i + 1 >= argc) {
        fprintf (stderr, "gan-train: %s needs a value\n", flag);
        return -1;
      }
      val = argv[++i];
    }
    long x;
    if (!strcmp (flag, "--data"))
      set_str (&c->data_dir, val);
    else if (!strcmp (flag, "--out"))
      out = val;
    else if (!strcmp (flag, "--run-dir"))
      run_dir = val;
    else if (!strcmp (flag, "--cache"))
      set_str (&c->cache_dir, val);
    else if (!strcmp (flag, "--set")) {
      if (add_set (c, val) < 0)
        return -1;
    } else if (!strcmp (flag, "--seed")) {
      char *end;
      errno = 0;
      unsigned long long s = strtoull (val, &end, 0);
      if (errno || end == val || *end || val[0] == '-') {
        fprintf (stderr, "gan-train: --seed expects a non-negative integer,"
            " got '%s'\n", val);
        return -1;
      }
      c->seed = s;
    } else {
      long lo = !strcmp (flag, "--threads")
          || !strcmp (flag, "--check-every") ? 0 : 1;
      if (parse_long (flag, val, lo, &x) < 0)
        return -1;
      if (!strcmp (flag, "--steps")) {
        c->steps = x;
        c->steps_given = 1;
      } else if (!strcmp (flag, "--threads"))
        c->threads = x > INT_MAX ? INT_MAX : (int) x;
      else if (!strcmp (flag, "--ckpt-every"))
        c->ckpt_every = x;
      else if (!strcmp (flag, "--check-every"))
        c->check_every = x;
      else
        c->log_every = x;
    }
  }

  if (run_dir)
    set_str (&c->run_dir, run_dir);
  else {
    char buf[4096];
    snprintf (buf, sizeof buf, "runs/%s", c->recipe);
    set_str (&c->run_dir, buf);
  }
  if (out)
    set_str (&c->out_path, out);
  else {
    char buf[4096];
    snprintf (buf, sizeof buf, "%s/model.safetensors", c->run_dir);
    set_str (&c->out_path, buf);
  }
  return 0;
}

void
gt_ctx_clear (gt_ctx *c)
{
  free ((char *) c->recipe);
  free ((char *) c->data_dir);
  free ((char *) c->out_path);
  free ((char *) c->run_dir);
  free ((char *) c->cache_dir);
  for (int i = 0; i < c->n_set; i++) {
    free (c->set_keys[i]);
    free (c->set_vals[i]);
  }
  free (c->set_keys);
  free (c->set_vals);
  free (c->set_used);
  free (c->cmdline);
  memset (c, 0, sizeof *c);
}

long
gt_steps (gt_ctx *c, long def)
{
  if (!c->steps_given)
    c->steps = def;
  return c->steps;
}

/* The last --set of a key wins, like most command lines. */
static const char *
lookup (gt_ctx *c, const char *key)
{
  for (int i = c->n_set - 1; i >= 0; i--)
    if (!strcmp (c->set_keys[i], key)) {
      for (int j = 0; j < c->n_set; j++)
        if (!strcmp (c->set_keys[j], key) && c->set_used)
          c->set_used[j] = 1;
      return c->set_vals[i];
    }
  return NULL;
}

const char *
gt_opt_str (gt_ctx *c, const char *key, const char *def)
{
  const char *v = lookup (c, key);
  return v ? v : def;
}

/* A malformed --set value is a user error worth stopping for: silently
 * training with the default would waste hours. */
static int
parse_int (const char *key, const char *v, long *out)
{
  char *end;
  errno = 0;
  long x = strtol (v, &end, 0);
  if (errno || end == v || *end) {
    fprintf (stderr, "gan-train: --set %s=%s: not an integer\n", key, v);
    return -1;
  }
  *out = x;
  return 0;
}

static int
parse_float (const char *key, const char *v, double *out)
{
  char *end;
  errno = 0;
  double x = strtod (v, &end);
  if (errno || end == v || *end) {
    fprintf (stderr, "gan-train: --set %s=%s: not a number\n", key, v);
    return -1;
  }
  *out = x;
  return 0;
}

long
gt_opt_int (gt_ctx *c, const char *key, long def)
{
  const char *v = lookup (c, key);
  long x;
  if (!v)
    return def;
  if (parse_int (key, v, &x) < 0)
    exit (2);
  return x;
}

double
gt_opt_float (gt_ctx *c, const char *key, double def)
{
  const char *v = lookup (c, key);
  double x;
  if (!v)
    return def;
  if (parse_float (key, v, &x) < 0)
    exit (2);
  return x;
}

int
gt_opts_warn_unused (gt_ctx *c)
{
  int n = 0;
  for (int i = 0; i < c->n_set; i++)
    if (!c->set_used || !c->set_used[i]) {
      fprintf (stderr, "gan-train: warning: recipe '%s' did not use --set %s\n",
          c->recipe, c->set_keys[i]);
      n++;
    }
  return n;
}

/* ---- settings tables ------------------------------------------------------ */

static const gt_setting *
setting (const gt_setting *t, const char *key, gt_setting_type type,
    int computed)
{
  for (; t && t->key; t++)
    if (!strcmp (t->key, key)) {
      int nan_def = type != GT_SETTING_STR && isnan (t->def);
      if (t->type != type || nan_def != computed)
        break;
      return t;
    }
  fprintf (stderr, "gan-train: setting '%s' is not in the recipe's table "
      "as read here (type or default)\n", key);
  abort ();
}

long
gt_setting_int (gt_ctx *c, const gt_setting *t, const char *key)
{
  return gt_opt_int (c, key, (long) setting (t, key, GT_SETTING_INT, 0)->def);
}

double
gt_setting_float (gt_ctx *c, const gt_setting *t, const char *key)
{
  return gt_opt_float (c, key, setting (t, key, GT_SETTING_FLOAT, 0)->def);
}

const char *
gt_setting_str (gt_ctx *c, const gt_setting *t, const char *key)
{
  return gt_opt_str (c, key, setting (t, key, GT_SETTING_STR, 0)->def_str);
}

long
gt_setting_int_or (gt_ctx *c, const gt_setting *t, const char *key, long def)
{
  setting (t, key, GT_SETTING_INT, 1);
  return gt_opt_int (c, key, def);
}

double
gt_setting_float_or (gt_ctx *c, const gt_setting *t, const char *key,
    double def)
{
  setting (t, key, GT_SETTING_FLOAT, 1);
  return gt_opt_float (c, key, def);
}

/* Checked before the run: a mistyped key would otherwise train for hours
 * on the default and only be reported at the end. Reads nothing (set_used
 * stays as it is). */
int
gt_settings_check (gt_ctx *c, const gt_setting *t)
{
  for (int i = 0; i < c->n_set; i++) {
    const char *key = c->set_keys[i], *v = c->set_vals[i];
    const gt_setting *s = t;
    while (s && s->key && strcmp (s->key, key) != 0)
      s++;
    if (!s || !s->key) {
      fprintf (stderr, "gan-train: recipe '%s' has no setting '%s' "
          "(gan-train %s --help lists them)\n", c->recipe, key, c->recipe);
      return -1;
    }
    long l;
    double d;
    if ((s->type == GT_SETTING_INT && parse_int (key, v, &l) < 0)
        || (s->type == GT_SETTING_FLOAT && parse_float (key, v, &d) < 0))
      return -1;
  }
  return 0;
}

/* The help wrapped at 78 columns under a 20-column key and default. */
void
gt_settings_print (FILE *f, const gt_setting *t)
{
  for (; t && t->key; t++) {
    char def[64];
    if (t->type == GT_SETTING_STR)
      snprintf (def, sizeof def, "%s", t->def_str ? t->def_str : "-");
    else if (isnan (t->def))
      snprintf (def, sizeof def, "*");
    else
      snprintf (def, sizeof def, "%g", t->def);
    int col = fprintf (f, "  %s=%s", t->key, def);
    const char *h = t->help;
    int first = 1;
    while (*h) {
      int width = 78 - 24, n = (int) strlen (h);
      if (n > width) {
        n = width;
        while (n > 0 && h[n] != ' ')
          n--;
        if (n == 0)
          n = width;
      }
      if (first && col < 24)
        fprintf (f, "%*s", 24 - col, "");
      else
        fprintf (f, "\n%24s", "");
      fprintf (f, "%.*s", n, h);
      h += n;
      while (*h == ' ')
        h++;
      first = 0;
    }
    fputc ('\n', f);
  }
}
