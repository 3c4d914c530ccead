/* gan-average: the weighted average of the weights of models of one
 * architecture ("model soup": two fine-tunings of one network, or a
 * fine-tuning and the model it started from, averaged weight by weight).
 *
 * usage: gan-average OUT.safetensors W1 MODEL1 W2 MODEL2 [W3 MODEL3 ...]
 *
 * Every input passes the loader's full validation and must have the same
 * tensors (names and shapes) and the same architecture metadata as the
 * first; a weight must be a positive number (weights are normalised to sum
 * to 1). The output keeps the first model's metadata (its recipe, data,
 * steps, seed and command line) and adds `average` (each input's weight,
 * file name, steps and seed) and `average.N.command_line` and
 * `average.N.note` for the other inputs, so the file still says how to remake it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* asprintf */
#endif
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"

/* Metadata that says where a file came from, not what network it holds:
 * the only keys allowed to differ between the inputs. */
static const char *const provenance_keys[] = { "recipe", "data", "steps",
  "seed", "command_line", "date", "gst_gan_version", "note", "average",
  NULL };

static int
is_provenance (const char *key)
{
  for (int i = 0; provenance_keys[i]; i++)
    if (!strcmp (key, provenance_keys[i]))
      return 1;
  return !strncmp (key, "average.", 8);
}

static const char *
meta_or (const gc_model_file *m, const char *key, const char *def)
{
  const char *v = gc_model_meta_get (m, key);
  return v ? v : def;
}

static const char *
base_name (const char *path)
{
  const char *s = strrchr (path, '/');
  return s ? s + 1 : path;
}

/* Same tensors and architecture as the first model, or an error naming
 * the file and what differs. */
static int
check_same (const gc_model_file *a, const gc_model_file *b)
{
  if (a->n_tensors != b->n_tensors) {
    fprintf (stderr, "gan-average: %s has %d tensors, %s has %d\n",
        b->source, b->n_tensors, a->source, a->n_tensors);
    return -1;
  }
  for (int i = 0; i < a->n_tensors; i++) {
    const gc_model_tensor *ta = &a->tensors[i];
    const gc_model_tensor *tb = gc_model_find (b, ta->name);
    int same = tb && tb->ndim == ta->ndim;
    for (int d = 0; same && d < ta->ndim; d++)
      same = tb->shape[d] == ta->shape[d];
    if (!same) {
      fprintf (stderr, "gan-average: %s: tensor %s %s than in %s\n",
          b->source, ta->name, tb ? "has another shape" : "is missing",
          a->source);
      return -1;
    }
  }
  for (int pass = 0; pass < 2; pass++) {
    const gc_model_file *x = pass ? b : a, *y = pass ? a : b;
    for (int i = 0; i < x->n_meta; i++) {
      const char *k = x->meta[i].key;
      if (is_provenance (k))
        continue;
      const char *v = gc_model_meta_get (y, k);
      if (!v || strcmp (v, x->meta[i].value)) {
        fprintf (stderr, "gan-average: %s and %s differ in \"%s\" (%s / %s)\n",
            a->source, b->source, k, meta_or (a, k, "absent"),
            meta_or (b, k, "absent"));
        return -1;
      }
    }
  }
  return 0;
}

static int
usage (FILE *f, const char *argv0, int rc)
{
  fprintf (f, "usage: %s OUT.safetensors W1 MODEL1 W2 MODEL2 "
      "[W MODEL ...]\n", argv0);
  return rc;
}

int
main (int argc, char **argv)
{
  if (argc == 2 && !strcmp (argv[1], "--help"))
    return usage (stdout, argv[0], 0);
  if (argc < 6 || (argc - 2) % 2 != 0)
    return usage (stderr, argv[0], 2);
  const char *out = argv[1];
  int n = (argc - 2) / 2, rc = 1;
  gc_model_file *m = calloc (n, sizeof *m);
  double *w = calloc (n, sizeof *w), wsum = 0;
  gc_param_list params = { 0 };
  gc_param *p = NULL;
  const char **kv = NULL;
  char *desc = NULL, **lines = NULL;
  if (!m || !w)
    goto done;

  for (int i = 0; i < n; i++) {
    const char *ws = argv[2 + 2 * i];
    char *end;
    errno = 0;
    w[i] = strtod (ws, &end);
    if (errno || end == ws || *end || !(w[i] > 0) || !isfinite (w[i])) {
      fprintf (stderr, "gan-average: weight '%s' is not a positive number\n",
          ws);
      goto done;
    }
    wsum += w[i];
    if (gc_model_load (&m[i], argv[3 + 2 * i]) < 0
        || gc_model_check_arch (&m[i], NULL) < 0) {
      fprintf (stderr, "gan-average: %s\n", gc_last_error ());
      goto done;
    }
    if (i > 0 && check_same (&m[0], &m[i]) < 0)
      goto done;
  }
  /* finite weights can still overflow their sum (1e308 + 1e308); each
   * w / wsum would then be 0 and the "average" all zeros */
  if (!isfinite (wsum)) {
    fprintf (stderr, "gan-average: the weights' sum overflows; use smaller "
        "weights (only their ratios matter)\n");
    goto done;
  }

  /* the average, tensor by tensor, in the first model's order */
  p = calloc (m[0].n_tensors, sizeof *p);
  if (!p)
    goto done;
  for (int t = 0; t < m[0].n_tensors; t++) {
    const gc_model_tensor *ta = &m[0].tensors[t];
    if (gc_param_init (&p[t], ta->name, ta->ndim, ta->shape) < 0
        || gc_param_list_add (&params, &p[t]) < 0)
      goto done;
    for (int i = 0; i < n; i++) {
      const gc_model_tensor *ti = gc_model_find (&m[i], ta->name);
      float k = (float) (w[i] / wsum);
      for (size_t j = 0; j < ta->n; j++)
        p[t].w[j] += k * ti->data[j];
    }
  }
  /* what comes out must be a usable model: finite, and not all zeros
   * (inputs that cancel out, or weights that underflowed) */
  int nonzero = 0;
  for (int t = 0; t < m[0].n_tensors; t++)
    for (size_t j = 0; j < p[t].n; j++) {
      if (!isfinite (p[t].w[j])) {
        fprintf (stderr, "gan-average: the average of %s is not finite "
            "(overflow); nothing written\n", p[t].name);
        goto done;
      }
      nonzero |= p[t].w[j] != 0.f;
    }
  if (!nonzero) {
    fprintf (stderr, "gan-average: the average is all zeros; nothing "
        "written\n");
    goto done;
  }

  /* metadata: the first model's, plus what was averaged */
  size_t len = 1;
  for (int i = 0; i < n; i++)
    len += strlen (argv[3 + 2 * i]) + strlen (meta_or (&m[i], "steps", "?"))
        + strlen (meta_or (&m[i], "seed", "?")) + 64;
  desc = malloc (len);
  lines = calloc (2 * n, sizeof *lines);
  kv = calloc (2 * (m[0].n_meta + 2 * n + 1) + 1, sizeof *kv);
  if (!desc || !lines || !kv)
    goto done;
  desc[0] = 0;
  for (int i = 0; i < n; i++)
    snprintf (desc + strlen (desc), len - strlen (desc),
        "%s%.6g x %s (steps %s, seed %s)", i ? " + " : "", w[i] / wsum,
        base_name (argv[3 + 2 * i]), meta_or (&m[i], "steps", "?"),
        meta_or (&m[i], "seed", "?"));
  int k = 0;
  for (int i = 0; i < m[0].n_meta; i++) {
    const char *key = m[0].meta[i].key;
    if (!strcmp (key, "format") || !strcmp (key, "format_version")
        || !strcmp (key, "average") || !strncmp (key, "average.", 8))
      continue;
    kv[k++] = key;
    kv[k++] = m[0].meta[i].value;
  }
  kv[k++] = "average";
  kv[k++] = desc;
  for (int i = 1; i < n; i++)
    for (int j = 0; j < 2; j++) {
      const char *key = j ? "note" : "command_line";
      const char *v = gc_model_meta_get (&m[i], key);
      if (!v)
        continue;
      if (asprintf (&lines[2 * i + j], "average.%d.%s", i + 1, key) < 0) {
        lines[2 * i + j] = NULL;
        goto done;
      }
      kv[k++] = lines[2 * i + j];
      kv[k++] = v;
    }
  kv[k] = NULL;
  if (gc_model_save (out, &params, kv) < 0) {
    fprintf (stderr, "gan-average: %s\n", gc_last_error ());
    goto done;
  }
  printf ("%s: %s\n", out, desc);
  rc = 0;

done:
  if (p)
    for (int t = 0; t < m[0].n_tensors; t++) {
      gc_param_free (&p[t]);
    }
  free (p);
  gc_param_list_free (&params);
  for (int i = 0; lines && i < 2 * n; i++)
    free (lines[i]);
  free (lines);
  free (kv);
  free (desc);
  for (int i = 0; m && i < n; i++)
    if (m[i].source)
      gc_model_free (&m[i]);
  free (m);
  free (w);
  return rc;
}
