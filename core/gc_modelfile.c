/* libgancore — model files: safetensors with our __metadata__.
 *
 * The reader trusts nothing: every length, offset and shape is checked with
 * overflow-safe arithmetic before any byte of tensor data is touched, and
 * the tensors must tile the data area exactly (no holes, no overlap), as the
 * reference safetensors reader demands. Errors read "SOURCE: problem".
 */
#include "gc_modelfile.h"
#include "gc_json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { DT_F32, DT_F16, DT_BF16 };
static const char *const dtype_names[] = { "F32", "F16", "BF16" };
static const int dtype_sizes[] = { 4, 2, 2 };

/* What the header says about one tensor, before its data is read. */
typedef struct {
  const char *name;
  int dtype;
  int ndim;
  int shape[4];
  size_t n;
  uint64_t begin, end;
} tensor_entry;

/* ---- little-endian helpers (host-order independent) -------------------- */

static uint64_t
read_u64_le (const unsigned char *p)
{
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static float
bits_to_float (uint32_t u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

static float
half_to_float (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  if (exp == 0) {
    /* zero or subnormal: mant * 2^-24 is exact in float */
    float v = (float) mant * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  if (exp == 31)
    return bits_to_float (sign | 0x7F800000u | (mant << 13));
  return bits_to_float (sign | ((exp + 112) << 23) | (mant << 13));
}

static float
decode_value (const unsigned char *p, int dtype)
{
  switch (dtype) {
    case DT_F16:
      return half_to_float ((uint16_t) (p[0] | (p[1] << 8)));
    case DT_BF16:
      return bits_to_float ((uint32_t) (p[0] | (p[1] << 8)) << 16);
    default:
      return bits_to_float ((uint32_t) p[0] | ((uint32_t) p[1] << 8)
          | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24));
  }
}

/* ---- header validation ------------------------------------------------- */

static int
cmp_entry_name (const void *a, const void *b)
{
  return strcmp (((const tensor_entry *) a)->name,
      ((const tensor_entry *) b)->name);
}

static int
cmp_entry_offset (const void *a, const void *b)
{
  const tensor_entry *x = *(const tensor_entry * const *) a;
  const tensor_entry *y = *(const tensor_entry * const *) b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return 0;
}

static int
cmp_meta_key (const void *a, const void *b)
{
  return strcmp (((const gc_model_meta *) a)->key,
      ((const gc_model_meta *) b)->key);
}

static int
parse_metadata (gc_model_file *m, const gc_json *md, const char *src)
{
  if (md->type != GC_JSON_OBJECT) {
    gc_set_error ("%s: __metadata__ is not an object", src);
    return -1;
  }
  m->meta = calloc (md->count ? md->count : 1, sizeof *m->meta);
  if (!m->meta) {
    gc_set_error ("%s: out of memory", src);
    return -1;
  }
  for (size_t i = 0; i < md->count; i++) {
    const gc_json *v = &md->items[i];
    if (v->type != GC_JSON_STRING) {
      gc_set_error ("%s: metadata value of '%s' is not a string", src,
          md->keys[i]);
      return -1;
    }
    if (strlen (md->keys[i]) != md->key_lens[i]
        || strlen (v->str) != v->str_len) {
      gc_set_error ("%s: metadata entry '%s' contains a NUL character", src,
          md->keys[i]);
      return -1;
    }
    m->meta[i].key = strdup (md->keys[i]);
    m->meta[i].value = strdup (v->str);
    m->n_meta++;
    if (!m->meta[i].key || !m->meta[i].value) {
      gc_set_error ("%s: out of memory", src);
      return -1;
    }
  }
  /* duplicates: sort a copy so a huge header cannot make this quadratic */
  if (m->n_meta > 1) {
    gc_model_meta *sorted = malloc (m->n_meta * sizeof *sorted);
    if (!sorted) {
      gc_set_error ("%s: out of memory", src);
      return -1;
    }
    memcpy (sorted, m->meta, m->n_meta * sizeof *sorted);
    qsort (sorted, m->n_meta, sizeof *sorted, cmp_meta_key);
    for (int i = 1; i < m->n_meta; i++)
      if (strcmp (sorted[i - 1].key, sorted[i].key) == 0) {
        gc_set_error ("%s: duplicate metadata key '%s'", src, sorted[i].key);
        free (sorted);
        return -1;
      }
    free (sorted);
  }
  return 0;
}

static int
get_uint (const gc_json *v, uint64_t *out)
{
  if (!v || v->type != GC_JSON_NUMBER || !v->is_uint)
    return -1;
  *out = v->uint;
  return 0;
}

/* One tensor's header entry: dtype, shape, offsets; sizes checked against
 * the data area. */
static int
parse_entry (tensor_entry *e, const char *name, size_t name_len,
    const gc_json *info, uint64_t data_size, const char *src)
{
  e->name = name;
  if (name_len == 0 || strlen (name) != name_len) {
    gc_set_error ("%s: tensor name is empty or contains a NUL character", src);
    return -1;
  }
  if (name_len >= GC_MAX_NAME) {
    gc_set_error ("%s: tensor name '%.40s...' is longer than %d bytes", src,
        name, GC_MAX_NAME - 1);
    return -1;
  }
  if (info->type != GC_JSON_OBJECT) {
    gc_set_error ("%s: tensor '%s': entry is not an object", src, name);
    return -1;
  }
  for (size_t i = 0; i < info->count; i++) {
    const char *k = info->keys[i];
    if (strcmp (k, "dtype") && strcmp (k, "shape")
        && strcmp (k, "data_offsets")) {
      gc_set_error ("%s: tensor '%s': unknown field '%s'", src, name, k);
      return -1;
    }
  }
  if (info->count != 3) {
    gc_set_error ("%s: tensor '%s': needs exactly dtype, shape and "
        "data_offsets", src, name);
    return -1;
  }
  const gc_json *dt = gc_json_get (info, "dtype");
  const gc_json *shape = gc_json_get (info, "shape");
  const gc_json *offs = gc_json_get (info, "data_offsets");
  if (!dt || dt->type != GC_JSON_STRING) {
    gc_set_error ("%s: tensor '%s': dtype missing or not a string", src, name);
    return -1;
  }
  e->dtype = -1;
  for (int i = 0; i < 3; i++)
    if (strcmp (dt->str, dtype_names[i]) == 0 && strlen (dt->str) ==
        dt->str_len)
      e->dtype = i;
  if (e->dtype < 0) {
    gc_set_error ("%s: tensor '%s': unsupported dtype '%s' (expected F32, "
        "F16 or BF16)", src, name, dt->str);
    return -1;
  }
  if (!shape || shape->type != GC_JSON_ARRAY) {
    gc_set_error ("%s: tensor '%s': shape missing or not an array", src, name);
    return -1;
  }
  if (shape->count > 4) {
    gc_set_error ("%s: tensor '%s': %zu dimensions (at most 4 supported)",
        src, name, shape->count);
    return -1;
  }
  e->ndim = (int) shape->count;
  e->n = 1;
  for (int i = 0; i < 4; i++)
    e->shape[i] = 1;
  int overflow = 0;
  for (int i = 0; i < e->ndim; i++) {
    uint64_t d;
    if (get_uint (&shape->items[i], &d) < 0 || d > INT_MAX) {
      gc_set_error ("%s: tensor '%s': shape dimension %d is not an integer "
          "in [0, %d]", src, name, i, INT_MAX);
      return -1;
    }
    e->shape[i] = (int) d;
    if (d != 0 && e->n > SIZE_MAX / d)
      overflow = 1;
    else
      e->n *= (size_t) d;
  }
  if (e->n == 0)
    overflow = 0;               /* a zero dimension empties the tensor */
  uint64_t esize = (uint64_t) dtype_sizes[e->dtype];
  if (overflow || e->n > UINT64_MAX / esize) {
    gc_set_error ("%s: tensor '%s': shape is too large (element count "
        "overflows)", src, name);
    return -1;
  }
  if (!offs || offs->type != GC_JSON_ARRAY || offs->count != 2
      || get_uint (&offs->items[0], &e->begin) < 0
      || get_uint (&offs->items[1], &e->end) < 0) {
    gc_set_error ("%s: tensor '%s': data_offsets must be two non-negative "
        "integers", src, name);
    return -1;
  }
  if (e->begin > e->end || e->end > data_size) {
    gc_set_error ("%s: tensor '%s': data_offsets [%llu, %llu] out of range "
        "of the data area (%llu bytes)", src, name,
        (unsigned long long) e->begin, (unsigned long long) e->end,
        (unsigned long long) data_size);
    return -1;
  }
  if (e->end - e->begin != e->n * esize) {
    gc_set_error ("%s: tensor '%s': data_offsets span %llu bytes but %s "
        "shape needs %llu", src, name,
        (unsigned long long) (e->end - e->begin), dtype_names[e->dtype],
        (unsigned long long) (e->n * esize));
    return -1;
  }
  return 0;
}

/* The tensors must tile [0, data_size) exactly. */
static int
check_layout (tensor_entry *entries, int count, uint64_t data_size,
    const char *src)
{
  tensor_entry **by_off = malloc ((count ? count : 1) * sizeof *by_off);
  if (!by_off) {
    gc_set_error ("%s: out of memory", src);
    return -1;
  }
  for (int i = 0; i < count; i++)
    by_off[i] = &entries[i];
  qsort (by_off, count, sizeof *by_off, cmp_entry_offset);
  uint64_t pos = 0;
  const char *prev = NULL;
  int rc = 0;
  for (int i = 0; i < count && rc == 0; i++) {
    const tensor_entry *e = by_off[i];
    if (e->begin < pos) {
      gc_set_error ("%s: tensor '%s' overlaps tensor '%s' (offset %llu < "
          "%llu)", src, e->name, prev, (unsigned long long) e->begin,
          (unsigned long long) pos);
      rc = -1;
    } else if (e->begin > pos) {
      gc_set_error ("%s: hole in the data area: bytes %llu..%llu before "
          "tensor '%s' belong to no tensor", src, (unsigned long long) pos,
          (unsigned long long) e->begin, e->name);
      rc = -1;
    }
    pos = e->end;
    prev = e->name;
  }
  if (rc == 0 && pos != data_size) {
    gc_set_error ("%s: hole in the data area: %llu trailing bytes belong to "
        "no tensor", src, (unsigned long long) (data_size - pos));
    rc = -1;
  }
  free (by_off);
  return rc;
}

static int
load_tensor (gc_model_tensor *t, const tensor_entry *e,
    const unsigned char *data, const char *src)
{
  snprintf (t->name, sizeof t->name, "%s", e->name);
  t->ndim = e->ndim;
  memcpy (t->shape, e->shape, sizeof t->shape);
  t->n = e->n;
  t->data = gc_alloc (e->n * sizeof (float));
  if (!t->data) {
    gc_set_error ("%s: out of memory for tensor '%s'", src, e->name);
    return -1;
  }
  int es = dtype_sizes[e->dtype];
  const unsigned char *p = data + e->begin;
  for (size_t i = 0; i < e->n; i++) {
    float v = decode_value (p + i * es, e->dtype);
    if (!isfinite (v)) {
      gc_set_error ("%s: tensor '%s': non-finite value at index %zu", src,
          e->name, i);
      return -1;
    }
    t->data[i] = v;
  }
  return 0;
}

/* Start a model object: zeroed, with its source name for messages. */
static int
model_begin (gc_model_file *m, const char *src)
{
  if (!m) {
    gc_set_error ("%s: no model file object", src);
    return -1;
  }
  memset (m, 0, sizeof *m);
  m->source = strdup (src);
  if (!m->source) {
    gc_set_error ("%s: out of memory", src);
    return -1;
  }
  return 0;
}

/* The header length against its limits and the `avail` bytes after it. */
static int
check_header_len (uint64_t hlen, uint64_t avail, const char *src)
{
  if (hlen < 2) {
    gc_set_error ("%s: header length %llu too small (at least 2 for '{}')",
        src, (unsigned long long) hlen);
    return -1;
  }
  if (hlen > GC_MODEL_MAX_HEADER) {
    gc_set_error ("%s: header length %llu too big (limit %u)", src,
        (unsigned long long) hlen, GC_MODEL_MAX_HEADER);
    return -1;
  }
  if (hlen > avail) {
    gc_set_error ("%s: header length %llu exceeds the file size %llu "
        "(truncated file?)", src, (unsigned long long) hlen,
        (unsigned long long) (avail + 8));
    return -1;
  }
  return 0;
}

/* Parse the JSON header (metadata into m) and check that its tensors tile a
 * data area of `data_size` bytes; nothing of that area is needed yet. The
 * entries' names point into *root. */
static int
parse_header (gc_model_file *m, const char *json, size_t hlen,
    uint64_t data_size, const char *src, gc_json **root,
    tensor_entry **entries, int *count)
{
  char jerr[160];
  *count = 0;
  *entries = NULL;
  *root = gc_json_parse (json, hlen, jerr, sizeof jerr);
  if (!*root) {
    gc_set_error ("%s: bad JSON header: %s", src, jerr);
    return -1;
  }
  const gc_json *r = *root;
  if (r->type != GC_JSON_OBJECT) {
    gc_set_error ("%s: JSON header is not an object", src);
    return -1;
  }
  *entries = calloc (r->count ? r->count : 1, sizeof **entries);
  if (!*entries) {
    gc_set_error ("%s: out of memory", src);
    return -1;
  }
  tensor_entry *e = *entries;
  int n = 0, seen_meta = 0;
  for (size_t i = 0; i < r->count; i++) {
    if (r->key_lens[i] == 12 && strcmp (r->keys[i], "__metadata__") == 0) {
      if (seen_meta++) {
        gc_set_error ("%s: duplicate __metadata__", src);
        return -1;
      }
      if (parse_metadata (m, &r->items[i], src) < 0)
        return -1;
      continue;
    }
    if (parse_entry (&e[n], r->keys[i], r->key_lens[i], &r->items[i],
            data_size, src) < 0)
      return -1;
    n++;
  }
  *count = n;
  qsort (e, n, sizeof *e, cmp_entry_name);
  for (int i = 1; i < n; i++)
    if (strcmp (e[i - 1].name, e[i].name) == 0) {
      gc_set_error ("%s: duplicate tensor name '%s'", src, e[i].name);
      return -1;
    }
  return check_layout (e, n, data_size, src);
}

static int
load_tensors (gc_model_file *m, const tensor_entry *entries, int count,
    const unsigned char *area, const char *src)
{
  m->tensors = calloc (count ? count : 1, sizeof *m->tensors);
  if (!m->tensors) {
    gc_set_error ("%s: out of memory", src);
    return -1;
  }
  for (int i = 0; i < count; i++) {
    m->n_tensors = i + 1;
    if (load_tensor (&m->tensors[i], &entries[i], area, src) < 0)
      return -1;
  }
  return 0;
}

int
gc_model_parse (gc_model_file *m, const void *data, size_t size,
    const char *source)
{
  const char *src = source ? source : "<memory>";
  const unsigned char *bytes = data;
  gc_json *root = NULL;
  tensor_entry *entries = NULL;
  int count = 0;

  if (model_begin (m, src) < 0)
    return -1;
  if (!data || size < 8) {
    gc_set_error ("%s: file too short (%zu bytes) to hold the header length",
        src, data ? size : 0);
    goto error;
  }
  uint64_t hlen = read_u64_le (bytes);
  if (check_header_len (hlen, size - 8, src) < 0)
    goto error;
  if (parse_header (m, (const char *) bytes + 8, (size_t) hlen,
          size - 8 - hlen, src, &root, &entries, &count) < 0
      || load_tensors (m, entries, count, bytes + 8 + hlen, src) < 0)
    goto error;
  free (entries);
  gc_json_free (root);
  return 0;

error:
  free (entries);
  gc_json_free (root);
  gc_model_free (m);
  return -1;
}

/* Read exactly len bytes at offset off; -1 with the error set otherwise. */
static int
read_at (int fd, void *buf, size_t len, uint64_t off, const char *src)
{
  size_t done = 0;
  while (done < len) {
    ssize_t r = pread (fd, (char *) buf + done, len - done,
        (off_t) (off + done));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      gc_set_error ("%s: read error (%zu of %zu bytes%s%s)", src, done, len,
          r < 0 ? ": " : "", r < 0 ? strerror (errno) : "");
      return -1;
    }
    done += (size_t) r;
  }
  return 0;
}

/* A file is read in steps, each checked before the next is read: its type
 * and size (a FIFO or device is never opened: opening a FIFO blocks), the
 * 8-byte header length, the header, and then only the data area the header
 * declares. A huge or bogus file is refused after a few bytes. */
int
gc_model_load (gc_model_file *m, const char *path)
{
  gc_json *root = NULL;
  tensor_entry *entries = NULL;
  unsigned char *head = NULL, *area = NULL;
  int count = 0, fd = -1;

  if (m)
    memset (m, 0, sizeof *m);
  if (!m || !path) {
    gc_set_error ("%s: no model file given", path ? path : "(null)");
    return -1;
  }
  struct stat st;
  if (stat (path, &st) < 0) {
    gc_set_error ("%s: cannot open: %s", path, strerror (errno));
    return -1;
  }
  if (!S_ISREG (st.st_mode)) {
    gc_set_error ("%s: not a regular file", path);
    return -1;
  }
  /* O_NONBLOCK: should a FIFO have replaced the file since, open does not
   * wait for a writer; fstat below refuses it */
  fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    gc_set_error ("%s: cannot open: %s", path, strerror (errno));
    return -1;
  }
  if (model_begin (m, path) < 0) {
    close (fd);
    return -1;
  }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode)) {
    gc_set_error ("%s: not a regular file", path);
    goto error;
  }
  uint64_t size = (uint64_t) st.st_size;
  unsigned char len8[8];
  if (size < 8) {
    gc_set_error ("%s: file too short (%llu bytes) to hold the header "
        "length", path, (unsigned long long) size);
    goto error;
  }
  if (read_at (fd, len8, 8, 0, path) < 0)
    goto error;
  uint64_t hlen = read_u64_le (len8);
  if (check_header_len (hlen, size - 8, path) < 0)
    goto error;
  head = malloc ((size_t) hlen);
  if (!head) {
    gc_set_error ("%s: out of memory for a %llu byte header", path,
        (unsigned long long) hlen);
    goto error;
  }
  if (read_at (fd, head, (size_t) hlen, 8, path) < 0)
    goto error;
  uint64_t data_size = size - 8 - hlen;
  if (parse_header (m, (const char *) head, (size_t) hlen, data_size, path,
          &root, &entries, &count) < 0)
    goto error;
  /* the header's tensors tile exactly data_size bytes (check_layout) */
  if (data_size > SIZE_MAX || !(area = malloc (data_size ? data_size : 1))) {
    gc_set_error ("%s: out of memory reading %llu bytes", path,
        (unsigned long long) data_size);
    goto error;
  }
  if (read_at (fd, area, (size_t) data_size, 8 + hlen, path) < 0
      || load_tensors (m, entries, count, area, path) < 0)
    goto error;
  close (fd);
  free (area);
  free (head);
  free (entries);
  gc_json_free (root);
  return 0;

error:
  close (fd);
  free (area);
  free (head);
  free (entries);
  gc_json_free (root);
  gc_model_free (m);
  return -1;
}

void
gc_model_free (gc_model_file *m)
{
  if (!m)
    return;
  for (int i = 0; i < m->n_tensors; i++)
    gc_free (m->tensors[i].data);
  free (m->tensors);
  for (int i = 0; i < m->n_meta; i++) {
    free (m->meta[i].key);
    free (m->meta[i].value);
  }
  free (m->meta);
  free (m->source);
  memset (m, 0, sizeof *m);
}

/* ---- queries ----------------------------------------------------------- */

const char *
gc_model_meta_get (const gc_model_file *m, const char *key)
{
  if (!m || !key)
    return NULL;
  for (int i = 0; i < m->n_meta; i++)
    if (strcmp (m->meta[i].key, key) == 0)
      return m->meta[i].value;
  return NULL;
}

int
gc_model_meta_get_int (const gc_model_file *m, const char *key, int def)
{
  const char *s = gc_model_meta_get (m, key);
  if (!s || !*s)
    return def;
  char *end;
  errno = 0;
  long v = strtol (s, &end, 10);
  if (*end || errno || v < INT_MIN || v > INT_MAX)
    return def;
  return (int) v;
}

float
gc_model_meta_get_float (const gc_model_file *m, const char *key, float def)
{
  const char *s = gc_model_meta_get (m, key);
  if (!s || !*s)
    return def;
  char *end;
  float v = strtof (s, &end);
  if (*end || !isfinite (v))
    return def;
  return v;
}

const gc_model_tensor *
gc_model_find (const gc_model_file *m, const char *name)
{
  if (!m || !name)
    return NULL;
  /* tensors are sorted by name */
  int lo = 0, hi = m->n_tensors - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    int c = strcmp (m->tensors[mid].name, name);
    if (c == 0)
      return &m->tensors[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return NULL;
}

int
gc_model_check_arch (const gc_model_file *m, const char *arch)
{
  const char *src = m && m->source ? m->source : "<memory>";
  if (!m) {
    gc_set_error ("%s: no model", src);
    return -1;
  }
  const char *fmt = gc_model_meta_get (m, "format");
  if (!fmt) {
    gc_set_error ("%s: missing metadata 'format' (not a gst-gan model file)",
        src);
    return -1;
  }
  if (strcmp (fmt, "gst-gan") != 0) {
    gc_set_error ("%s: format '%s' is not 'gst-gan'", src, fmt);
    return -1;
  }
  const char *ver = gc_model_meta_get (m, "format_version");
  int v = gc_model_meta_get_int (m, "format_version", -1);
  if (!ver) {
    gc_set_error ("%s: missing metadata 'format_version'", src);
    return -1;
  }
  if (v < 1) {
    gc_set_error ("%s: invalid format_version '%s'", src, ver);
    return -1;
  }
  if (v > GC_MODEL_FORMAT_VERSION) {
    gc_set_error ("%s: format_version %d is newer than the supported %d "
        "(update gst-gan)", src, v, GC_MODEL_FORMAT_VERSION);
    return -1;
  }
  if (arch) {
    const char *a = gc_model_meta_get (m, "arch");
    if (!a) {
      gc_set_error ("%s: missing metadata 'arch' (expected '%s')", src, arch);
      return -1;
    }
    if (strcmp (a, arch) != 0) {
      gc_set_error ("%s: architecture '%s' does not match the expected '%s'",
          src, a, arch);
      return -1;
    }
  }
  return 0;
}

static void
format_shape (char *buf, size_t size, int ndim, const int *shape)
{
  size_t o = 0;
  o += snprintf (buf + o, size - o, "[");
  for (int i = 0; i < ndim && o < size; i++)
    o += snprintf (buf + o, size - o, i ? ", %d" : "%d", shape[i]);
  if (o < size)
    snprintf (buf + o, size - o, "]");
}

int
gc_model_bind (const gc_model_file *m, gc_param_list *params)
{
  const char *src = m && m->source ? m->source : "<memory>";
  if (!m || !params) {
    gc_set_error ("%s: nothing to bind", src);
    return -1;
  }
  /* check everything first so a failed bind leaves the weights untouched */
  for (int i = 0; i < params->count; i++) {
    const gc_param *p = params->items[i];
    if (!p || !p->w) {
      gc_set_error ("%s: parameter %d has no storage to bind into", src, i);
      return -1;
    }
    const gc_model_tensor *t = gc_model_find (m, p->name);
    char want[64], have[64];
    format_shape (want, sizeof want, p->ndim, p->shape);
    if (!t) {
      gc_set_error ("%s: missing tensor '%s' (shape %s)", src, p->name, want);
      return -1;
    }
    int same = t->ndim == p->ndim && t->n == p->n;
    for (int d = 0; same && d < p->ndim; d++)
      same = t->shape[d] == p->shape[d];
    if (!same) {
      format_shape (have, sizeof have, t->ndim, t->shape);
      gc_set_error ("%s: tensor '%s' has shape %s, expected %s", src,
          p->name, have, want);
      return -1;
    }
  }
  for (int i = 0; i < m->n_tensors; i++)
    if (!gc_param_list_find (params, m->tensors[i].name)) {
      gc_set_error ("%s: unexpected tensor '%s' (not a parameter of this "
          "architecture)", src, m->tensors[i].name);
      return -1;
    }
  for (int i = 0; i < params->count; i++) {
    gc_param *p = params->items[i];
    const gc_model_tensor *t = gc_model_find (m, p->name);
    memcpy (p->w, t->data, p->n * sizeof (float));
  }
  return 0;
}

/* ---- writer ------------------------------------------------------------ */

static int
cmp_param_name (const void *a, const void *b)
{
  return strcmp ((*(gc_param * const *) a)->name,
      (*(gc_param * const *) b)->name);
}

static int
check_param (const gc_param *p)
{
  if (!p || !p->w) {
    gc_set_error ("save: parameter without values");
    return -1;
  }
  size_t len = strnlen (p->name, GC_MAX_NAME);
  if (len == 0 || len >= GC_MAX_NAME || !gc_json_utf8_valid (p->name)
      || strcmp (p->name, "__metadata__") == 0) {
    gc_set_error ("save: invalid parameter name '%.*s'", (int) len, p->name);
    return -1;
  }
  if (p->ndim < 1 || p->ndim > 4) {
    gc_set_error ("save: parameter '%s' has %d dimensions", p->name, p->ndim);
    return -1;
  }
  size_t n = 1;
  for (int d = 0; d < p->ndim; d++) {
    if (p->shape[d] < 0) {
      gc_set_error ("save: parameter '%s' has a negative dimension", p->name);
      return -1;
    }
    n *= (size_t) p->shape[d];
  }
  if (n != p->n) {
    gc_set_error ("save: parameter '%s' holds %zu values but its shape %zu",
        p->name, p->n, n);
    return -1;
  }
  /* the loader refuses such a file: do not write one */
  for (size_t i = 0; i < n; i++)
    if (!isfinite (p->w[i])) {
      gc_set_error ("save: parameter '%s' has a non-finite value at index "
          "%zu", p->name, i);
      return -1;
    }
  return 0;
}

static int
is_reserved_key (const char *k)
{
  return strcmp (k, "format") == 0 || strcmp (k, "format_version") == 0;
}

int
gc_model_save_mem (void **out, size_t *out_size, const gc_param_list *params,
    const char *const *kv)
{
  gc_jbuf h = { 0 };
  gc_param **sorted = NULL;
  int count = params ? params->count : 0;

  if (!out || !out_size) {
    gc_set_error ("save: no output");
    return -1;
  }
  *out = NULL;
  *out_size = 0;
  sorted = malloc ((count ? count : 1) * sizeof *sorted);
  if (!sorted) {
    gc_set_error ("save: out of memory");
    return -1;
  }
  for (int i = 0; i < count; i++) {
    if (check_param (params->items[i]) < 0)
      goto error;
    sorted[i] = params->items[i];
  }
  qsort (sorted, count, sizeof *sorted, cmp_param_name);
  for (int i = 1; i < count; i++)
    if (strcmp (sorted[i - 1]->name, sorted[i]->name) == 0) {
      gc_set_error ("save: duplicate parameter name '%s'", sorted[i]->name);
      goto error;
    }

  gc_jbuf_puts (&h, "{\"__metadata__\":{\"format\":\"gst-gan\","
      "\"format_version\":");
  gc_jbuf_printf (&h, "\"%d\"", GC_MODEL_FORMAT_VERSION);
  for (int i = 0; kv && kv[i]; i += 2) {
    if (!kv[i + 1]) {
      gc_set_error ("save: metadata key '%s' has no value", kv[i]);
      goto error;
    }
    if (!gc_json_utf8_valid (kv[i]) || !gc_json_utf8_valid (kv[i + 1])) {
      gc_set_error ("save: metadata '%s' is not valid UTF-8", kv[i]);
      goto error;
    }
    if (is_reserved_key (kv[i]))
      continue;                 /* ours win: the writer decides the format */
    for (int j = 0; j < i; j += 2)
      if (strcmp (kv[j], kv[i]) == 0) {
        gc_set_error ("save: duplicate metadata key '%s'", kv[i]);
        goto error;
      }
    gc_jbuf_puts (&h, ",");
    gc_jbuf_put_string (&h, kv[i]);
    gc_jbuf_puts (&h, ":");
    gc_jbuf_put_string (&h, kv[i + 1]);
  }
  gc_jbuf_puts (&h, "}");
  uint64_t off = 0;
  for (int i = 0; i < count; i++) {
    const gc_param *p = sorted[i];
    gc_jbuf_puts (&h, ",");
    gc_jbuf_put_string (&h, p->name);
    gc_jbuf_puts (&h, ":{\"dtype\":\"F32\",\"shape\":[");
    for (int d = 0; d < p->ndim; d++)
      gc_jbuf_printf (&h, d ? ",%d" : "%d", p->shape[d]);
    gc_jbuf_printf (&h, "],\"data_offsets\":[%llu,%llu]}",
        (unsigned long long) off, (unsigned long long) (off + p->n * 4));
    off += p->n * 4;
  }
  gc_jbuf_puts (&h, "}");
  /* pad with spaces so the data starts 8-byte aligned, as safetensors does */
  while ((8 + h.len) % 8 != 0)
    gc_jbuf_puts (&h, " ");
  if (h.failed) {
    gc_set_error ("save: out of memory building the header");
    goto error;
  }

  size_t total = 8 + h.len + (size_t) off;
  unsigned char *buf = malloc (total);
  if (!buf) {
    gc_set_error ("save: out of memory (%zu bytes)", total);
    goto error;
  }
  for (int i = 0; i < 8; i++)
    buf[i] = (unsigned char) ((uint64_t) h.len >> (8 * i));
  memcpy (buf + 8, h.data, h.len);
  unsigned char *d = buf + 8 + h.len;
  for (int i = 0; i < count; i++) {
    const gc_param *p = sorted[i];
    for (size_t k = 0; k < p->n; k++) {
      uint32_t u;
      memcpy (&u, &p->w[k], 4);
      d[0] = (unsigned char) u;
      d[1] = (unsigned char) (u >> 8);
      d[2] = (unsigned char) (u >> 16);
      d[3] = (unsigned char) (u >> 24);
      d += 4;
    }
  }
  gc_jbuf_free (&h);
  free (sorted);
  *out = buf;
  *out_size = total;
  return 0;

error:
  gc_jbuf_free (&h);
  free (sorted);
  return -1;
}

/* Temporary files are "<path>.tmp.<pid>.<n>": the pid says whether the
 * writer is still alive. */
static int
create_tmp (const char *path, char **tmp_out)
{
  static atomic_uint serial;
  size_t len = strlen (path) + 48;
  char *tmp = malloc (len);
  if (!tmp) {
    errno = ENOMEM;
    return -1;
  }
  for (int tries = 0; tries < 100; tries++) {
    snprintf (tmp, len, "%s.tmp.%ld.%u", path, (long) getpid (),
        atomic_fetch_add (&serial, 1));
    /* mode 0666 less the umask, as any new file */
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      *tmp_out = tmp;
      return fd;
    }
    if (errno != EEXIST)
      break;
  }
  int err = errno;
  free (tmp);
  errno = err;
  return -1;
}

/* Remove "<path>.tmp.<pid>.*" files whose writer no longer runs. */
static void
remove_stale_tmp (const char *path)
{
  char *dir_path = strdup (path);
  if (!dir_path)
    return;
  char *slash = strrchr (dir_path, '/');
  const char *base = slash ? slash + 1 : path;
  if (slash)
    *slash = 0;
  DIR *d = opendir (slash ? (*dir_path ? dir_path : "/") : ".");
  size_t blen = strlen (base);
  struct dirent *e;
  while (d && (e = readdir (d))) {
    if (strncmp (e->d_name, base, blen) || strncmp (e->d_name + blen,
            ".tmp.", 5))
      continue;
    char *end;
    long pid = strtol (e->d_name + blen + 5, &end, 10);
    if (end == e->d_name + blen + 5 || *end != '.' || pid <= 0)
      continue;
    if (pid == (long) getpid () || kill ((pid_t) pid, 0) == 0
        || errno != ESRCH)
      continue;
    unlinkat (dirfd (d), e->d_name, 0);
  }
  if (d)
    closedir (d);
  free (dir_path);
}

static int
sync_dir_of (const char *path)
{
  char *dir_path = strdup (path);
  if (!dir_path)
    return -1;
  char *slash = strrchr (dir_path, '/');
  if (slash)
    *slash = 0;
  int fd = open (slash ? (*dir_path ? dir_path : "/") : ".",
      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free (dir_path);
  if (fd < 0)
    return -1;
  /* some file systems cannot sync a directory: not an error */
  int rc = fsync (fd) < 0 && errno != EINVAL && errno != EROFS ? -1 : 0;
  int err = errno;
  close (fd);
  errno = err;
  return rc;
}

int
gc_model_save (const char *path, const gc_param_list *params,
    const char *const *kv)
{
  void *buf;
  size_t size;
  if (!path) {
    gc_set_error ("save: no path");
    return -1;
  }
  if (gc_model_save_mem (&buf, &size, params, kv) < 0) {
    /* prefix the file name to the writer's message */
    char msg[1024];
    snprintf (msg, sizeof msg, "%s", gc_last_error ());
    gc_set_error ("%s: %s", path, msg);
    return -1;
  }
  /* write a temporary file next to the target and rename it into place, so
   * a reader never sees a half-written model; files a crashed writer left
   * are removed first */
  remove_stale_tmp (path);
  char *tmp = NULL;
  int fd = create_tmp (path, &tmp);
  if (fd < 0) {
    gc_set_error ("%s: cannot create a temporary file: %s", path,
        strerror (errno));
    free (buf);
    return -1;
  }
  int rc = 0;
  size_t done = 0;
  while (done < size) {
    ssize_t w = write (fd, (const char *) buf + done, size - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      rc = -1;
      break;
    }
    done += (size_t) w;
  }
  int err = errno;
  if (rc == 0 && fsync (fd) < 0) {
    rc = -1;
    err = errno;
  }
  if (close (fd) < 0 && rc == 0) {
    rc = -1;
    err = errno;
  }
  if (rc == 0 && rename (tmp, path) < 0) {
    rc = -1;
    err = errno;
  }
  /* the rename itself is durable only once the directory is synced */
  if (rc == 0 && sync_dir_of (path) < 0) {
    rc = -1;
    err = errno;
  }
  if (rc < 0) {
    gc_set_error ("%s: cannot write: %s", path, strerror (err));
    unlink (tmp);
  }
  free (tmp);
  free (buf);
  return rc;
}
