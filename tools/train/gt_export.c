/* gan-train: the final model file with its metadata. */
#include "gt.h"
#include "gt_dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef GST_GAN_VERSION
#define GST_GAN_VERSION "unknown"
#endif

static int
has_key (const char *const *kv, const char *key)
{
  for (int i = 0; kv && kv[i] && kv[i + 1]; i += 2)
    if (!strcmp (kv[i], key))
      return 1;
  return 0;
}

/* UTC, ISO 8601; SOURCE_DATE_EPOCH (reproducible builds) wins over the
 * clock so an export can be made byte-identical on purpose. */
static void
format_date (char *buf, size_t n)
{
  time_t t = time (NULL);
  const char *sde = getenv ("SOURCE_DATE_EPOCH");
  if (sde && *sde) {
    char *end;
    long long v = strtoll (sde, &end, 10);
    if (!*end && v >= 0)
      t = (time_t) v;
  }
  struct tm tm;
  gmtime_r (&t, &tm);
  strftime (buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
gt_export (gt_ctx *c, gc_param_list *params, const char *const *kv)
{
  if (gt_dist_rank () != 0)
    return 0;                   /* rank 0 writes the job's model */
  char steps[32], seed[32], date[64], ranks[32];
  snprintf (ranks, sizeof ranks, "%d", gt_dist_size ());
  snprintf (steps, sizeof steps, "%ld", c->steps);
  snprintf (seed, sizeof seed, "%llu", (unsigned long long) c->seed);
  format_date (date, sizeof date);
  const char *frame[] = {
    "recipe", c->recipe, "data", c->data_dir ? c->data_dir : "",
    "steps", steps, "seed", seed, "ranks", ranks,
    "command_line", c->cmdline ? c->cmdline : "",
    "date", date, "gst_gan_version", GST_GAN_VERSION,
  };
  int n_recipe = 0;
  while (kv && kv[n_recipe] && kv[n_recipe + 1])
    n_recipe += 2;
  int n_frame = sizeof frame / sizeof frame[0];
  const char **all = calloc (n_recipe + n_frame + 1, sizeof *all);
  if (!all) {
    gc_set_error ("out of memory");
    return -1;
  }
  int k = 0;
  for (int i = 0; i < n_recipe; i++)
    all[k++] = kv[i];
  /* The recipe knows best (it may describe its data subset itself). */
  for (int i = 0; i < n_frame; i += 2)
    if (!has_key (kv, frame[i])) {
      all[k++] = frame[i];
      all[k++] = frame[i + 1];
    }
  all[k] = NULL;

  /* Create the folder of the output file. */
  char *dir = strdup (c->out_path ? c->out_path : "");
  char *slash = dir ? strrchr (dir, '/') : NULL;
  if (slash && slash != dir) {
    *slash = '\0';
    gt_mkdirs (dir);
  }
  free (dir);
  int rc = -1;
  if (!c->out_path || !*c->out_path)
    gc_set_error ("no output path");
  else
    rc = gc_model_save (c->out_path, params, all);
  free (all);
  if (rc == 0 && !c->quiet)
    fprintf (stderr, "[%s] model written to %s (%zu parameters)\n", c->recipe,
        c->out_path, gc_param_list_count_floats (params, 0));
  return rc;
}
