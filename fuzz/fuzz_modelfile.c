/* libFuzzer target for the model loader: any bytes must be rejected with a
 * message or parsed into a consistent model. On success the model is also
 * checked, bound and re-saved, and the re-saved file must parse back to the
 * same tensors (a round-trip invariant, so logic bugs crash too, not only
 * memory errors). The JSON reader also sees the raw input on its own. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gc_json.h"
#include "gc_modelfile.h"

static void
check (int cond)
{
  if (!cond)
    abort ();
}

static void
round_trip (const gc_model_file *m)
{
  gc_param *ps = calloc (m->n_tensors ? m->n_tensors : 1, sizeof *ps);
  gc_param_list list = { 0 };
  int ok = 1;
  for (int i = 0; i < m->n_tensors && ok; i++) {
    const gc_model_tensor *t = &m->tensors[i];
    /* parameters have 1..4 positive dims; other tensors cannot round trip */
    if (t->ndim < 1 || t->n == 0 || t->n > (1u << 20)) {
      ok = 0;
      break;
    }
    ok = gc_param_init (&ps[i], t->name, t->ndim, t->shape) == 0
        && gc_param_list_add (&list, &ps[i]) == 0;
  }
  if (ok) {
    check (gc_model_bind (m, &list) == 0);
    const char **kv = calloc (2 * m->n_meta + 1, sizeof *kv);
    int n = 0;
    for (int i = 0; i < m->n_meta; i++) {
      kv[n++] = m->meta[i].key;
      kv[n++] = m->meta[i].value;
    }
    void *buf;
    size_t size;
    check (gc_model_save_mem (&buf, &size, &list, kv) == 0);
    gc_model_file again;
    check (gc_model_parse (&again, buf, size, "resaved") == 0);
    check (again.n_tensors == m->n_tensors);
    for (int i = 0; i < m->n_tensors; i++) {
      const gc_model_tensor *a = &m->tensors[i], *b = &again.tensors[i];
      check (strcmp (a->name, b->name) == 0 && a->n == b->n);
      check (memcmp (a->data, b->data, a->n * sizeof (float)) == 0);
    }
    for (int i = 0; i < m->n_meta; i++) {
      const char *v = gc_model_meta_get (&again, m->meta[i].key);
      if (strcmp (m->meta[i].key, "format") && strcmp (m->meta[i].key,
              "format_version"))
        check (v && strcmp (v, m->meta[i].value) == 0);
    }
    gc_model_free (&again);
    free (buf);
    free (kv);
  }
  for (int i = 0; i < m->n_tensors; i++)
    gc_param_free (&ps[i]);
  free (ps);
  gc_param_list_free (&list);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char err[160];
  gc_json *j = gc_json_parse ((const char *) data, size, err, sizeof err);
  gc_json_free (j);

  gc_model_file m;
  if (gc_model_parse (&m, data, size, "fuzz") < 0) {
    check (strncmp (gc_last_error (), "fuzz: ", 6) == 0);
    return 0;
  }
  for (int i = 0; i < m.n_tensors; i++) {
    const gc_model_tensor *t = &m.tensors[i];
    size_t n = 1;
    for (int d = 0; d < t->ndim; d++)
      n *= (size_t) t->shape[d];
    check (n == t->n && gc_model_find (&m, t->name) == t);
  }
  gc_model_check_arch (&m, "unit");
  gc_model_meta_get_int (&m, "seed", 0);
  gc_model_meta_get_float (&m, "scale", 1.0f);
  round_trip (&m);
  gc_model_free (&m);
  return 0;
}
