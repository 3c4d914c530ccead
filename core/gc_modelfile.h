/* libgancore — the model file: safetensors with our metadata.
 *
 * Layout: u64 LE header length, JSON header
 *   { "__metadata__": { "format": "gst-gan", "format_version": "1",
 *                       "arch": "...", "<hyper-param>": "...",
 *                       "sample_rate"/"scale": "...", "recipe": "...",
 *                       "data": "...", "steps": "...", "seed": "..." },
 *     "<tensor name>": { "dtype": "F32", "shape": [..],
 *                        "data_offsets": [begin, end] }, ... }
 * then the raw little-endian tensor bytes.
 *
 * Everything is validated: header length cap, JSON syntax, dtype, shapes,
 * offsets inside the data area, contiguous and not overlapping; errors name
 * the file and the problem (gc_last_error ()).
 */
#ifndef GC_MODELFILE_H
#define GC_MODELFILE_H

#include "gc_export.h"
#include "gc_base.h"

GC_BEGIN_DECLS

#define GC_MODEL_FORMAT_VERSION 1
#define GC_MODEL_MAX_HEADER (100u * 1024u * 1024u)

typedef struct gc_model_tensor {
  char name[GC_MAX_NAME];
  int ndim;
  int shape[4];
  size_t n;
  float *data;              /* owned, converted to host float32 */
} gc_model_tensor;

typedef struct gc_model_meta {
  char *key, *value;
} gc_model_meta;

typedef struct gc_model_file {
  char *source;             /* file name or "<memory>" for messages */
  gc_model_tensor *tensors;
  int n_tensors;
  gc_model_meta *meta;
  int n_meta;
} gc_model_file;

/* Parse from memory (for embedded models) or from a file. Returns 0 or -1.
 * `source` names the data in messages. Accepts dtype F32 (and F16/BF16,
 * converted to float32). */
int gc_model_parse (gc_model_file *m, const void *data, size_t size,
    const char *source);
int gc_model_load (gc_model_file *m, const char *path);
void gc_model_free (gc_model_file *m);

const char *gc_model_meta_get (const gc_model_file *m, const char *key);
int gc_model_meta_get_int (const gc_model_file *m, const char *key, int def);
float gc_model_meta_get_float (const gc_model_file *m, const char *key,
    float def);
const gc_model_tensor *gc_model_find (const gc_model_file *m,
    const char *name);

/* Check format/version and that "arch" equals `arch` (NULL: any). */
int gc_model_check_arch (const gc_model_file *m, const char *arch);

/* Copy every parameter of `params` from the file: each must exist with the
 * same shape; tensors in the file that the architecture does not have are an
 * error too. Messages name the file and the tensor. */
int gc_model_bind (const gc_model_file *m, gc_param_list *params);

/* Writer: metadata as NULL-terminated key/value pairs
 * (const char *kv[] = {"arch", "x", "seed", "1", NULL}). "format" and
 * "format_version" are added. Writes atomically (temp file + rename). */
int gc_model_save (const char *path, const gc_param_list *params,
    const char *const *kv);
/* Same into a malloc'ed buffer. */
int gc_model_save_mem (void **out, size_t *out_size,
    const gc_param_list *params, const char *const *kv);

GC_END_DECLS
#endif
