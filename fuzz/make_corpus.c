/* Writes the fuzzer's seed corpus into a directory: valid model files from
 * the writer (empty, small, several tensors, escaped and non-ASCII metadata),
 * hand-made F16/BF16/scalar/zero-size files, and truncations of a valid file
 * at many cut points. usage: make_corpus DIR */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gc_modelfile.h"

static const char *dir;
static int count;

static void
emit (const void *data, size_t size)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/seed-%03d.safetensors", dir, count++);
  FILE *f = fopen (path, "wb");
  if (!f || fwrite (data, 1, size, f) != size) {
    perror (path);
    exit (1);
  }
  fclose (f);
}

static void
emit_raw (const char *json, const void *payload, size_t payload_size)
{
  size_t hl = strlen (json), size = 8 + hl + payload_size;
  unsigned char *buf = malloc (size);
  for (int i = 0; i < 8; i++)
    buf[i] = (unsigned char) ((uint64_t) hl >> (8 * i));
  memcpy (buf + 8, json, hl);
  memcpy (buf + 8 + hl, payload, payload_size);
  emit (buf, size);
  free (buf);
}

static void
emit_model (int n_params, const char *const *kv, int truncate)
{
  gc_param p[4];
  gc_param_list l = { 0 };
  const int shapes[4][4] = { { 3 }, { 2, 2 }, { 1, 2, 3 }, { 2, 1, 1, 2 } };
  const char *names[4] = { "gen.b", "gen.w", "disc.conv.weight", "x" };
  for (int i = 0; i < n_params; i++) {
    gc_param_init (&p[i], names[i], i + 1, shapes[i]);
    for (size_t k = 0; k < p[i].n; k++)
      p[i].w[k] = 0.25f * (float) k - 1.0f;
    gc_param_list_add (&l, &p[i]);
  }
  void *buf;
  size_t size;
  if (gc_model_save_mem (&buf, &size, &l, kv) < 0) {
    fprintf (stderr, "%s\n", gc_last_error ());
    exit (1);
  }
  emit (buf, size);
  for (int cut = 1; truncate && cut < 24; cut++)
    emit (buf, size * cut / 24);
  free (buf);
  for (int i = 0; i < n_params; i++)
    gc_param_free (&p[i]);
  gc_param_list_free (&l);
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  const char *const kv1[] = { "arch", "unit", "seed", "3", NULL };
  const char *const kv2[] = { "arch", "unit", "recipe", "a \"quoted\" \\ "
    "line\nbreak \x01", "data", "caf\xc3\xa9 \xf0\x9f\x8e\xb5", "scale",
    "2.5", NULL };
  emit_model (0, NULL, 0);
  emit_model (1, kv1, 0);
  emit_model (4, kv2, 1);
  emit_model (2, kv1, 1);
  const uint16_t half[4] = { 0x3C00, 0xC000, 0x0001, 0x7BFF };
  emit_raw ("{\"__metadata__\":{\"format\":\"gst-gan\",\"format_version\":"
      "\"1\",\"arch\":\"unit\"},\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],"
      "\"data_offsets\":[0,8]}}", half, sizeof half);
  emit_raw ("{\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":"
      "[0,8]},\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]},"
      "\"z\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[12,12]}}",
      "\x80\x3f\x00\x40\x00\x00\x80\xbf\x00\x00\x80\x3f", 12);
  emit_raw ("{\"__metadata__\":{\"k\":\"\\u00e9\\ud83c\\udfb5\\n\\/\"}}", "",
      0);
  emit_raw ("{}", "", 0);
  printf ("%d seed files in %s\n", count, dir);
  return 0;
}
