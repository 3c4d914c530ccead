/* gan-train: terminal progress, run_dir/log.csv and run_dir/loss.png. */
#include "gt.h"
#include "gt_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct gt_log {
  int n;                        /* losses per step */
  char **names;
  FILE *csv;
  long *steps;                  /* every logged step, for the plot */
  double *times;                /* elapsed seconds at each step */
  float *vals;                  /* [count][n] */
  int count, cap;
  double time_offset;           /* elapsed time of the rows kept on resume */
  double *acc;                  /* sums since the last progress line */
  int acc_n;
  long last_step;
  double last_time;
  int tty;
} gt_log;

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
push_row (gt_log *l, long step, double t, const float *v)
{
  if (l->count == l->cap) {
    int cap = l->cap ? l->cap * 2 : 1024;
    long *s = realloc (l->steps, cap * sizeof *s);
    if (s)
      l->steps = s;
    double *tm = realloc (l->times, cap * sizeof *tm);
    if (tm)
      l->times = tm;
    float *x = realloc (l->vals, (size_t) cap * l->n * sizeof *x);
    if (x)
      l->vals = x;
    if (!s || !tm || !x)
      return -1;
    l->cap = cap;
  }
  l->steps[l->count] = step;
  l->times[l->count] = t;
  memcpy (l->vals + (size_t) l->count * l->n, v, l->n * sizeof *v);
  l->count++;
  return 0;
}

static void
csv_path (gt_ctx *c, char *buf, size_t n)
{
  snprintf (buf, n, "%s/log.csv", c->run_dir);
}

static void
write_header (FILE *f, gt_log *l)
{
  fprintf (f, "step,time_s");
  for (int i = 0; i < l->n; i++)
    fprintf (f, ",%s", l->names[i]);
  fprintf (f, "\n");
}

static void
write_row (FILE *f, gt_log *l, long step, double t, const float *v)
{
  fprintf (f, "%ld,%.3f", step, t);
  for (int i = 0; i < l->n; i++)
    fprintf (f, ",%.9g", v[i]);   /* %.9g: floats survive the round trip */
  fprintf (f, "\n");
}

/* On resume keep the rows up to the checkpoint's step (later rows belong to
 * steps that will be run again) and rewrite the file with them. */
static void
reload_csv (gt_ctx *c, gt_log *l, const char *path)
{
  FILE *f = fopen (path, "r");
  if (!f)
    return;
  char *line = NULL;
  size_t cap = 0;
  int header_ok = 0;
  if (getline (&line, &cap, f) > 0) {
    char want[4096];
    int off = snprintf (want, sizeof want, "step,time_s");
    for (int i = 0; i < l->n && off < (int) sizeof want; i++)
      off += snprintf (want + off, sizeof want - off, ",%s", l->names[i]);
    line[strcspn (line, "\r\n")] = '\0';
    header_ok = !strcmp (line, want);
  }
  float *v = malloc (l->n * sizeof *v);
  while (header_ok && v && getline (&line, &cap, f) > 0) {
    char *p = line, *end;
    long step = strtol (p, &end, 10);
    if (end == p || *end != ',' || step > c->start_step)
      break;
    double t = strtod (end + 1, &end);
    int ok = 1;
    for (int i = 0; i < l->n && ok; i++) {
      if (*end != ',')
        ok = 0;
      else
        v[i] = strtof (end + 1, &end);
    }
    if (!ok || push_row (l, step, t, v) < 0)
      break;
    l->time_offset = t;
  }
  free (v);
  free (line);
  fclose (f);
  if (!header_ok && !c->quiet)
    fprintf (stderr, "gan-train: %s has other columns; starting a new log\n",
        path);
}

static gt_log *
log_open (gt_ctx *c, int n, const char *const *names)
{
  gt_log *l = calloc (1, sizeof *l);
  if (!l)
    return NULL;
  l->n = n;
  l->names = calloc (n, sizeof *l->names);
  l->acc = calloc (n, sizeof *l->acc);
  for (int i = 0; i < n && l->names; i++)
    l->names[i] = strdup (names[i] ? names[i] : "loss");
  l->tty = isatty (2);
  if (c->t_start == 0)
    c->t_start = now_s ();
  l->last_time = now_s ();
  l->last_step = c->start_step;

  char path[4200];
  csv_path (c, path, sizeof path);
  gt_mkdirs (c->run_dir);
  if (c->resume && c->start_step > 0)
    reload_csv (c, l, path);
  /* Rewrite what we keep, then append: a crash mid-run leaves a valid file. */
  char tmp[4300];
  snprintf (tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen (tmp, "w");
  if (f) {
    write_header (f, l);
    for (int r = 0; r < l->count; r++)
      write_row (f, l, l->steps[r], l->times[r], l->vals + (size_t) r * n);
    if (fclose (f) == 0 && rename (tmp, path) == 0)
      l->csv = fopen (path, "a");
  }
  if (!l->csv)
    fprintf (stderr, "gan-train: warning: cannot write %s\n", path);
  return l;
}

static void
format_duration (double s, char *buf, size_t n)
{
  if (!isfinite (s) || s < 0)
    snprintf (buf, n, "?");
  else if (s >= 3600)
    snprintf (buf, n, "%d:%02d:%02d", (int) (s / 3600),
        (int) fmod (s / 60, 60), (int) fmod (s, 60));
  else
    snprintf (buf, n, "%d:%02d", (int) (s / 60), (int) fmod (s, 60));
}

static void
print_progress (gt_ctx *c, gt_log *l, long step)
{
  double t = now_s ();
  double rate = (step - l->last_step) / fmax (t - l->last_time, 1e-9);
  char eta[32];
  format_duration ((c->steps - step) / rate, eta, sizeof eta);
  char buf[1024];
  int off = snprintf (buf, sizeof buf, "[%s] step %ld/%ld", c->recipe, step,
      c->steps);
  for (int i = 0; i < l->n && off < (int) sizeof buf; i++)
    off += snprintf (buf + off, sizeof buf - off, "  %s %.4g", l->names[i],
        l->acc[i] / (l->acc_n ? l->acc_n : 1));
  if (off < (int) sizeof buf)
    snprintf (buf + off, sizeof buf - off, "  %.1f steps/s  ETA %s", rate,
        eta);
  if (l->tty)
    fprintf (stderr, "\r\033[K%s%s", buf, step >= c->steps ? "\n" : "");
  else
    fprintf (stderr, "%s\n", buf);
  l->last_time = t;
  l->last_step = step;
  memset (l->acc, 0, l->n * sizeof *l->acc);
  l->acc_n = 0;
}

void
gt_log_step (gt_ctx *c, long step, int n, const char *const *names,
    const float *values)
{
  if (n <= 0 || !values)
    return;
  gt_log *l = c->log;
  if (!l) {
    l = c->log = log_open (c, n, names);
    if (!l)
      return;
  }
  if (n != l->n) {
    fprintf (stderr, "gan-train: gt_log_step: %d losses, expected %d\n", n,
        l->n);
    return;
  }
  double elapsed = l->time_offset + now_s () - c->t_start;
  push_row (l, step, elapsed, values);
  if (l->csv)
    write_row (l->csv, l, step, elapsed, values);
  for (int i = 0; i < n; i++)
    l->acc[i] += values[i];
  l->acc_n++;
  if ((c->log_every > 0 && step % c->log_every == 0) || step >= c->steps) {
    if (l->csv)
      fflush (l->csv);
    if (!c->quiet)
      print_progress (c, l, step);
  }
}

int
gt_log_plot (gt_ctx *c)
{
  gt_log *l = c->log;
  if (!l || l->count == 0)
    return 0;
  if (l->csv)
    fflush (l->csv);
  char path[4200];
  snprintf (path, sizeof path, "%s/loss.png", c->run_dir);
  return gt_plot_losses (path, l->n, (const char *const *) l->names, l->steps,
      l->vals, l->count);
}

void
gt_finish (gt_ctx *c)
{
  gt_log *l = c->log;
  if (gt_log_plot (c) < 0)
    fprintf (stderr, "gan-train: %s\n", gc_last_error ());
  gt_opts_warn_unused (c);
  if (!c->quiet && c->t_start > 0)
    fprintf (stderr, "[%s] finished step %ld in %.1f s\n", c->recipe,
        l && l->count ? l->steps[l->count - 1] : c->start_step,
        now_s () - c->t_start);
  if (!l)
    return;
  if (l->csv)
    fclose (l->csv);
  for (int i = 0; i < l->n && l->names; i++)
    free (l->names[i]);
  free (l->names);
  free (l->steps);
  free (l->times);
  free (l->vals);
  free (l->acc);
  free (l);
  c->log = NULL;
}
