/* libgancore — errors, tensors, random numbers, parameters. */
#include "gc_base.h"
#include "gc_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char gc_error_buf[1024];

const char *
gc_last_error (void)
{
  return gc_error_buf[0] ? gc_error_buf : "no error";
}

void
gc_set_error (const char *fmt, ...)
{
  /* Formatted aside first: the arguments may be gc_last_error () itself
   * (a caller adding context to the message below it). */
  char msg[sizeof gc_error_buf];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  memcpy (gc_error_buf, msg, sizeof msg);
}

void
gc_check_failed_ (const char *file, int line, const char *fmt, ...)
{
  char msg[sizeof gc_error_buf];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  gc_set_error ("%s:%d: %s", file, line, msg);
}

void
gc_check_abort_ (const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  fprintf (stderr, "%s:%d: ", file, line);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  abort ();
}

void *
gc_alloc (size_t bytes)
{
  void *p = NULL;
  if (bytes == 0)
    bytes = 64;
  bytes = (bytes + 63) & ~(size_t) 63;
  if (posix_memalign (&p, 64, bytes) != 0)
    return NULL;
  memset (p, 0, bytes);
  return p;
}

void
gc_free (void *p)
{
  free (p);
}

int
gc_tensor_resize (gc_tensor *t, int n, int c, int h, int w)
{
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) {
    gc_set_error ("invalid tensor shape %dx%dx%dx%d", n, c, h, w);
    return -1;
  }
  size_t need = (size_t) n * c * h * w;
  if (need / (size_t) n / (size_t) c / (size_t) h != (size_t) w) {
    gc_set_error ("tensor shape overflows");
    return -1;
  }
  if (need > t->cap) {
    float *d = gc_alloc (need * sizeof (float));
    if (!d) {
      gc_set_error ("out of memory allocating %zu floats", need);
      return -1;
    }
    gc_free (t->data);
    t->data = d;
    t->cap = need;
  }
  t->n = n;
  t->c = c;
  t->h = h;
  t->w = w;
  return 0;
}

int
gc_tensor_copy (gc_tensor *dst, const gc_tensor *src)
{
  if (gc_tensor_resize (dst, src->n, src->c, src->h, src->w) < 0)
    return -1;
  memcpy (dst->data, src->data, gc_tensor_size (src) * sizeof (float));
  return 0;
}

void
gc_tensor_zero (gc_tensor *t)
{
  if (t->data)
    memset (t->data, 0, gc_tensor_size (t) * sizeof (float));
}

void
gc_tensor_free (gc_tensor *t)
{
  gc_free (t->data);
  t->data = NULL;
  t->cap = 0;
  t->n = t->c = t->h = t->w = 1;
}

/* ---- xoshiro128+ ------------------------------------------------------- */

static inline uint32_t
rotl (uint32_t x, int k)
{
  return (x << k) | (x >> (32 - k));
}

void
gc_rng_seed (gc_rng *r, uint64_t seed)
{
  /* splitmix64 to spread the seed over the state */
  for (int i = 0; i < 2; i++) {
    uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    r->s[2 * i] = (uint32_t) z;
    r->s[2 * i + 1] = (uint32_t) (z >> 32);
  }
  if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
    r->s[0] = 1;
}

uint32_t
gc_rng_u32 (gc_rng *r)
{
  uint32_t *s = r->s;
  const uint32_t result = s[0] + s[3];
  const uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 11);
  return result;
}

float
gc_rng_uniform (gc_rng *r)
{
  return (gc_rng_u32 (r) >> 8) * (1.0f / 16777216.0f);
}

float
gc_rng_normal (gc_rng *r)
{
  /* Box-Muller; u1 in (0, 1] so the log is finite */
  float u1 = ((gc_rng_u32 (r) >> 8) + 1) * (1.0f / 16777216.0f);
  float u2 = gc_rng_uniform (r);
  return sqrtf (-2.0f * logf (u1)) * cosf (6.28318530718f * u2);
}

void
gc_rng_fill_normal (gc_rng *r, float *x, size_t n, float mean, float std)
{
  for (size_t i = 0; i < n; i++)
    x[i] = mean + std * gc_rng_normal (r);
}

void
gc_rng_fill_uniform (gc_rng *r, float *x, size_t n, float lo, float hi)
{
  for (size_t i = 0; i < n; i++)
    x[i] = lo + (hi - lo) * gc_rng_uniform (r);
}

/* ---- parameters -------------------------------------------------------- */

int
gc_param_init (gc_param *p, const char *name, int ndim, const int *shape)
{
  memset (p, 0, sizeof *p);
  if (ndim < 1 || ndim > 4) {
    gc_set_error ("parameter %s: ndim %d out of range", name, ndim);
    return -1;
  }
  snprintf (p->name, sizeof p->name, "%s", name);
  p->ndim = ndim;
  p->n = 1;
  for (int i = 0; i < 4; i++)
    p->shape[i] = i < ndim ? shape[i] : 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] <= 0) {
      gc_set_error ("parameter %s: dimension %d is %d", name, i, shape[i]);
      return -1;
    }
    p->n *= (size_t) shape[i];
  }
  p->w = gc_alloc (p->n * sizeof (float));
  p->g = gc_alloc (p->n * sizeof (float));
  p->trainable = 1;
  if (!p->w || !p->g) {
    gc_param_free (p);
    gc_set_error ("parameter %s: out of memory", name);
    return -1;
  }
  return 0;
}

void
gc_param_free (gc_param *p)
{
  gc_free (p->w);
  gc_free (p->g);
  p->w = p->g = NULL;
  p->n = 0;
}

void
gc_param_zero_grad (gc_param *p)
{
  if (p->g)
    memset (p->g, 0, p->n * sizeof (float));
}

int
gc_param_list_add (gc_param_list *l, gc_param *p)
{
  if (l->count == l->cap) {
    int cap = l->cap ? 2 * l->cap : 16;
    gc_param **it = realloc (l->items, cap * sizeof *it);
    if (!it) {
      gc_set_error ("out of memory");
      return -1;
    }
    l->items = it;
    l->cap = cap;
  }
  l->items[l->count++] = p;
  return 0;
}

void
gc_param_list_free (gc_param_list *l)
{
  free (l->items);
  l->items = NULL;
  l->count = l->cap = 0;
}

void
gc_param_list_zero_grad (gc_param_list *l)
{
  for (int i = 0; i < l->count; i++)
    gc_param_zero_grad (l->items[i]);
}

gc_param *
gc_param_list_find (const gc_param_list *l, const char *name)
{
  for (int i = 0; i < l->count; i++)
    if (strcmp (l->items[i]->name, name) == 0)
      return l->items[i];
  return NULL;
}

size_t
gc_param_list_count_floats (const gc_param_list *l, int trainable_only)
{
  size_t n = 0;
  for (int i = 0; i < l->count; i++)
    if (!trainable_only || l->items[i]->trainable)
      n += l->items[i]->n;
  return n;
}

void
gc_param_list_prefix (gc_param_list *l, const char *prefix)
{
  char tmp[GC_MAX_NAME];
  for (int i = 0; i < l->count; i++) {
    /* names come from code, not input: one too long is a programmer error
     * that would make two tensors' names collide in a model file */
    if (snprintf (tmp, sizeof tmp, "%s.%s", prefix, l->items[i]->name)
        >= (int) sizeof tmp) {
      fprintf (stderr, "%s:%d: parameter name %s.%s is longer than %d\n",
          __FILE__, __LINE__, prefix, l->items[i]->name, GC_MAX_NAME - 1);
      abort ();
    }
    memcpy (l->items[i]->name, tmp, sizeof tmp);
  }
}

void
gc_init_kaiming (gc_param *p, int fan_in, float leaky_slope, gc_rng *r)
{
  float gain = sqrtf (2.0f / (1.0f + leaky_slope * leaky_slope));
  float std = gain / sqrtf ((float) (fan_in > 0 ? fan_in : 1));
  gc_rng_fill_normal (r, p->w, p->n, 0.0f, std);
}

void
gc_init_xavier (gc_param *p, int fan_in, int fan_out, gc_rng *r)
{
  float a = sqrtf (6.0f / (float) (fan_in + fan_out));
  gc_rng_fill_uniform (r, p->w, p->n, -a, a);
}

void
gc_init_const (gc_param *p, float v)
{
  for (size_t i = 0; i < p->n; i++)
    p->w[i] = v;
}
