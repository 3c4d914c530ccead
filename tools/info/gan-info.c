/* gan-info: print what a gst-gan model file holds — its metadata (the
 * architecture, and the recipe, data, steps and seed that made it) and its
 * tensors — after the same validation the elements apply.
 * usage: gan-info [--tensors] MODEL.safetensors... ; exit 1 if any is bad. */
#include <stdio.h>
#include <string.h>

#include "gc_core.h"

static void
print_model (const gc_model_file *m, int tensors)
{
  size_t floats = 0;
  for (int i = 0; i < m->n_tensors; i++)
    floats += m->tensors[i].n;
  printf ("%s: %d tensors, %zu parameters\n", m->source, m->n_tensors, floats);
  for (int i = 0; i < m->n_meta; i++)
    printf ("  %-16s %s\n", m->meta[i].key, m->meta[i].value);
  if (!tensors)
    return;
  for (int i = 0; i < m->n_tensors; i++) {
    const gc_model_tensor *t = &m->tensors[i];
    printf ("  tensor %-40s [", t->name);
    for (int d = 0; d < t->ndim; d++)
      printf ("%s%d", d ? ", " : "", t->shape[d]);
    printf ("]\n");
  }
}

int
main (int argc, char **argv)
{
  int tensors = 0, bad = 0, files = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--tensors") == 0) {
      tensors = 1;
      continue;
    }
    if (argv[i][0] == '-') {
      /* "-" alone is one character long: compare whole strings only */
      int help = !strcmp (argv[i], "--help") || !strcmp (argv[i], "-h");
      fprintf (help ? stdout : stderr,
          "usage: %s [--tensors] MODEL.safetensors...\n", argv[0]);
      return help ? 0 : 2;
    }
    files++;
    gc_model_file m;
    if (gc_model_load (&m, argv[i]) < 0 || gc_model_check_arch (&m, NULL) < 0) {
      fprintf (stderr, "gan-info: %s\n", gc_last_error ());
      bad = 1;
      if (m.source)
        gc_model_free (&m);
      continue;
    }
    print_model (&m, tensors);
    gc_model_free (&m);
  }
  if (!files) {
    fprintf (stderr, "usage: %s [--tensors] MODEL.safetensors...\n", argv[0]);
    return 2;
  }
  return bad;
}
