/* gan-train: terminal progress, run_dir/log.csv and run_dir/loss.png.
 *
 * The columns are the union of the loss names seen so far: a recipe may
 * change what it logs between phases (say a fidelity warm-up, then GAN
 * training); a new name adds a column, the file is rewritten once with the
 * wider header, and steps that lack a value leave the cell empty. */
#include "gt.h"
#include "gt_comm.h"
#include "gt_dist.h"
#include "gt_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct gt_log {
  int ncol;                     /* loss columns */
  char **names;
  FILE *csv;
  long *steps;                  /* every logged step, for the plot */
  double *times;                /* elapsed seconds at each step */
  float *vals;                  /* [count][ncol], NAN where absent */
  int count, cap;
  double time_offset;           /* elapsed time of the rows kept on resume */
  double *acc;                  /* [ncol] sums since the last progress line */
  int *acc_n;
  long last_step;
  double last_time;
  int tty;
  int csv_failed;               /* do not retry a file we cannot write */
} gt_log;

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A loss name as a CSV header cell: no separators, bounded length. */
static const char *
clean_name (const char *in, char *buf, size_t n)
{
  snprintf (buf, n, "%s", in && *in ? in : "loss");
  for (char *q = buf; *q; q++)
    if (*q == ',' || *q == '\n' || *q == '\r' || *q == '"')
      *q = '_';
  return buf;
}

static int
find_col (gt_log *l, const char *name)
{
  for (int i = 0; i < l->ncol; i++)
    if (!strcmp (l->names[i], name))
      return i;
  return -1;
}

/* Append a column (NAN in the rows so far). */
static int
add_col (gt_log *l, const char *name)
{
  int nc = l->ncol + 1;
  char **names = realloc (l->names, nc * sizeof *names);
  if (!names)
    return -1;
  l->names = names;
  double *acc = realloc (l->acc, nc * sizeof *acc);
  int *acc_n = realloc (l->acc_n, nc * sizeof *acc_n);
  if (acc)
    l->acc = acc;
  if (acc_n)
    l->acc_n = acc_n;
  float *vals = l->cap ? malloc ((size_t) l->cap * nc * sizeof *vals) : NULL;
  char *dup = strdup (name);
  if (!acc || !acc_n || (l->cap && !vals) || !dup) {
    free (vals);
    free (dup);
    return -1;
  }
  for (int r = 0; r < l->count; r++) {
    memcpy (vals + (size_t) r * nc, l->vals + (size_t) r * l->ncol,
        l->ncol * sizeof *vals);
    vals[(size_t) r * nc + l->ncol] = NAN;
  }
  if (l->cap) {
    free (l->vals);
    l->vals = vals;
  }
  l->names[l->ncol] = dup;
  l->acc[l->ncol] = 0;
  l->acc_n[l->ncol] = 0;
  l->ncol = nc;
  return 0;
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
    float *x = realloc (l->vals, (size_t) cap * (l->ncol ? l->ncol : 1)
        * sizeof *x);
    if (x)
      l->vals = x;
    if (!s || !tm || !x)
      return -1;
    l->cap = cap;
  }
  l->steps[l->count] = step;
  l->times[l->count] = t;
  memcpy (l->vals + (size_t) l->count * l->ncol, v, l->ncol * sizeof *v);
  l->count++;
  return 0;
}

static void
write_header (FILE *f, gt_log *l)
{
  fprintf (f, "step,time_s");
  for (int i = 0; i < l->ncol; i++)
    fprintf (f, ",%s", l->names[i]);
  fprintf (f, "\n");
}

static void
write_row (FILE *f, gt_log *l, long step, double t, const float *v)
{
  fprintf (f, "%ld,%.3f", step, t);
  for (int i = 0; i < l->ncol; i++) {
    if (isnan (v[i]))
      fprintf (f, ",");         /* absent in this step */
    else
      fprintf (f, ",%.9g", v[i]);       /* %.9g: floats survive the round trip */
  }
  fprintf (f, "\n");
}

/* Write every row to a new file, then append from there: a crash mid-run
 * leaves a valid file. */
static void
rewrite_csv (gt_ctx *c, gt_log *l)
{
  char path[4200], tmp[4300];
  snprintf (path, sizeof path, "%s/log.csv", c->run_dir);
  snprintf (tmp, sizeof tmp, "%s.tmp", path);
  if (l->csv)
    fclose (l->csv);
  l->csv = NULL;
  FILE *f = fopen (tmp, "w");
  if (f) {
    write_header (f, l);
    for (int r = 0; r < l->count; r++)
      write_row (f, l, l->steps[r], l->times[r], l->vals + (size_t) r * l->ncol);
    if (fclose (f) == 0 && rename (tmp, path) == 0)
      l->csv = fopen (path, "a");
  }
  if (!l->csv) {
    l->csv_failed = 1;
    if (!c->quiet)
      fprintf (stderr, "gan-train: warning: cannot write %s\n", path);
  }
}

/* On resume keep the rows up to the checkpoint's step (later rows belong to
 * steps that will be run again). */
static void
reload_csv (gt_ctx *c, gt_log *l)
{
  char path[4200];
  snprintf (path, sizeof path, "%s/log.csv", c->run_dir);
  FILE *f = fopen (path, "r");
  if (!f)
    return;
  char *line = NULL;
  size_t cap = 0;
  int ok = getline (&line, &cap, f) > 0
      && !strncmp (line, "step,time_s", 11);
  if (ok) {
    line[strcspn (line, "\r\n")] = '\0';
    for (char *tok = strtok (line + 11, ","); tok && ok;
        tok = strtok (NULL, ","))
      ok = add_col (l, tok) == 0;
  }
  float *v = malloc ((l->ncol ? l->ncol : 1) * sizeof *v);
  while (ok && v && getline (&line, &cap, f) > 0) {
    char *p = line, *end;
    long step = strtol (p, &end, 10);
    if (end == p || *end != ',' || step > c->start_step)
      break;
    double t = strtod (end + 1, &end);
    int good = 1;
    for (int i = 0; i < l->ncol && good; i++) {
      if (*end != ',') {
        good = 0;
        break;
      }
      p = end + 1;
      if (*p == ',' || *p == '\n' || *p == '\r' || *p == '\0') {
        v[i] = NAN;
        end = p;
      } else
        v[i] = strtof (p, &end);
    }
    if (!good || push_row (l, step, t, v) < 0)
      break;
    l->time_offset = t;
  }
  free (v);
  free (line);
  fclose (f);
  if (!ok && !c->quiet)
    fprintf (stderr, "gan-train: %s is not a gan-train log; starting anew\n",
        path);
}

static gt_log *
log_open (gt_ctx *c)
{
  gt_log *l = calloc (1, sizeof *l);
  if (!l)
    return NULL;
  l->tty = isatty (2);
  if (c->t_start == 0)
    c->t_start = now_s ();
  l->last_time = now_s ();
  l->last_step = c->start_step;
  gt_mkdirs (c->run_dir);
  if (c->resume && c->start_step > 0)
    reload_csv (c, l);
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
  char buf[2048];
  int off = snprintf (buf, sizeof buf, "[%s] step %ld/%ld", c->recipe, step,
      c->steps);
  for (int i = 0; i < l->ncol && off < (int) sizeof buf; i++)
    if (l->acc_n[i])
      off += snprintf (buf + off, sizeof buf - off, "  %s %.4g", l->names[i],
          l->acc[i] / l->acc_n[i]);
  if (off < (int) sizeof buf)
    snprintf (buf + off, sizeof buf - off, "  %.1f steps/s  ETA %s", rate,
        eta);
  if (l->tty)
    fprintf (stderr, "\r\033[K%s%s", buf, step >= c->steps ? "\n" : "");
  else
    fprintf (stderr, "%s\n", buf);
  l->last_time = t;
  l->last_step = step;
  for (int i = 0; i < l->ncol; i++) {
    l->acc[i] = 0;
    l->acc_n[i] = 0;
  }
}

static void
log_step (gt_ctx *c, long step, int n, const char *const *names,
    const float *values)
{
  gt_log *l = c->log;
  if (!l && !(l = c->log = log_open (c)))
    return;
  int grew = !l->csv && !l->csv_failed;
  char nm_buf[64];
  for (int i = 0; i < n; i++) {
    const char *nm = clean_name (names[i], nm_buf, sizeof nm_buf);
    if (find_col (l, nm) < 0) {
      if (add_col (l, nm) < 0)
        return;
      grew = 1;
    }
  }
  if (grew)
    rewrite_csv (c, l);
  float *row = malloc (l->ncol * sizeof *row);
  if (!row)
    return;
  for (int i = 0; i < l->ncol; i++)
    row[i] = NAN;
  for (int i = 0; i < n; i++) {
    int k = find_col (l, clean_name (names[i], nm_buf, sizeof nm_buf));
    row[k] = values[i];
    l->acc[k] += values[i];
    l->acc_n[k]++;
  }
  double elapsed = l->time_offset + now_s () - c->t_start;
  push_row (l, step, elapsed, row);
  if (l->csv)
    write_row (l->csv, l, step, elapsed, row);
  free (row);
  if ((c->log_every > 0 && step % c->log_every == 0) || step >= c->steps) {
    if (l->csv)
      fflush (l->csv);
    if (!c->quiet)
      print_progress (c, l, step);
  }
}

/* With several ranks the row is the mean over the global batch (every
 * rank takes part in that sum) and rank 0 alone keeps the log. */
void
gt_log_step (gt_ctx *c, long step, int n, const char *const *names,
    const float *values)
{
  if (n <= 0 || !values || !names)
    return;
  if (gt_dist_size () == 1) {
    log_step (c, step, n, names, values);
    return;
  }
  float *mean = malloc ((size_t) n * sizeof *mean);
  if (!mean) {
    fprintf (stderr, "gan-train: out of memory\n");
    gt_comm_abort (1);
  }
  memcpy (mean, values, (size_t) n * sizeof *mean);
  if (gt_dist_mean (mean, n) < 0) {
    fprintf (stderr, "gan-train: rank %d: the logged values could not be "
        "summed over the ranks; stopping\n", gt_dist_rank ());
    gt_comm_abort (3);
  }
  if (gt_dist_rank () == 0)
    log_step (c, step, n, names, mean);
  free (mean);
}

int
gt_log_plot (gt_ctx *c)
{
  gt_log *l = c->log;
  if (!l || l->count == 0 || l->ncol == 0)
    return 0;
  if (l->csv)
    fflush (l->csv);
  char path[4200];
  snprintf (path, sizeof path, "%s/loss.png", c->run_dir);
  return gt_plot_losses (path, l->ncol, (const char *const *) l->names,
      l->steps, l->vals, l->count);
}

void
gt_finish (gt_ctx *c)
{
  gt_log *l = c->log;
  if (gt_dist_rank () != 0)
    return;                     /* rank 0 reports for the job */
  if (gt_log_plot (c) < 0)
    fprintf (stderr, "gan-train: %s\n", gc_last_error ());
  gt_opts_warn_unused (c);
  if (!c->quiet && c->t_start > 0)
    fprintf (stderr, "[%s] finished step %ld in %.1f s\n", c->recipe,
        l && l->count ? l->steps[l->count - 1] : c->start_step,
        now_s () - c->t_start);
  long ran = l && l->count ? l->steps[l->count - 1] - c->start_step : 0;
  gt_dist_stats ds;
  gt_dist_get_stats (&ds);
  if (!c->quiet && ran > 0 && ds.calls > 0) {
    /* a step's time from the log, past the first step (start-up) */
    double step_s = l->count > 1 ? (l->times[l->count - 1] - l->times[0])
        / (l->steps[l->count - 1] - l->steps[0]) : 0;
    fprintf (stderr, "[%s] %d ranks: gradient sums %.3f MB and %.2f ms per "
        "step of %.2f ms", c->recipe, gt_dist_size (), ds.bytes / ran / 1e6,
        1e3 * ds.seconds / ran, 1e3 * step_s);
    if (ds.wait_seconds > 0)
      fprintf (stderr, " (%.2f ms of it waiting for the slowest rank)",
          1e3 * ds.wait_seconds / ran);
    fprintf (stderr, "\n");
  }
  if (!l)
    return;
  if (l->csv)
    fclose (l->csv);
  for (int i = 0; i < l->ncol; i++)
    free (l->names[i]);
  free (l->names);
  free (l->steps);
  free (l->times);
  free (l->vals);
  free (l->acc);
  free (l->acc_n);
  free (l);
  c->log = NULL;
}
