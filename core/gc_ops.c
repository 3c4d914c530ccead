/* libgancore — elementwise helpers and channel concatenation. */
#include "gc_layers.h"
#include "gc_check.h"

#include <string.h>

int
gc_add (const gc_tensor *a, const gc_tensor *b, gc_tensor *y)
{
  GC_CHECK_SHAPE (a && b && y && a->data && b->data
      && gc_tensor_size (a) == gc_tensor_size (b),
      "add: missing tensors or sizes that differ");
  if (y != a && y != b && gc_tensor_resize (y, a->n, a->c, a->h, a->w) < 0)
    return -1;
  size_t n = gc_tensor_size (a);
  for (size_t i = 0; i < n; i++)
    y->data[i] = a->data[i] + b->data[i];
  return 0;
}

int
gc_axpy (float alpha, const gc_tensor *x, gc_tensor *y)
{
  GC_CHECK_SHAPE (x && y && x->data && y->data
      && gc_tensor_size (x) == gc_tensor_size (y),
      "axpy: missing tensors or sizes that differ");
  size_t n = gc_tensor_size (x);
  for (size_t i = 0; i < n; i++)
    y->data[i] += alpha * x->data[i];
  return 0;
}

int
gc_scale (gc_tensor *x, float s)
{
  GC_CHECK_SHAPE (x && x->data, "scale: no tensor");
  size_t n = gc_tensor_size (x);
  for (size_t i = 0; i < n; i++)
    x->data[i] *= s;
  return 0;
}

int
gc_concat_forward (const gc_tensor *a, const gc_tensor *b, gc_tensor *y)
{
  GC_CHECK_SHAPE (a && b && y && a->data && b->data && y != a && y != b,
      "concat: missing tensors, or an output aliasing an input");
  GC_CHECK_SHAPE (a->n == b->n && a->h == b->h && a->w == b->w,
      "concat: shapes %dx%dx%dx%d and %dx%dx%dx%d differ",
      a->n, a->c, a->h, a->w, b->n, b->c, b->h, b->w);
  if (gc_tensor_resize (y, a->n, a->c + b->c, a->h, a->w) < 0)
    return -1;
  size_t plane = (size_t) a->h * a->w;
  size_t sa = a->c * plane, sb = b->c * plane;
  for (int n = 0; n < a->n; n++) {
    float *dst = y->data + n * (sa + sb);
    memcpy (dst, a->data + n * sa, sa * sizeof (float));
    memcpy (dst + sa, b->data + n * sb, sb * sizeof (float));
  }
  return 0;
}

/* da and db must already have the shapes of the forward inputs (only their
 * channel counts tell where the split is); either may be NULL. */
int
gc_concat_backward (const gc_tensor *dy, gc_tensor *da, gc_tensor *db)
{
  GC_CHECK_SHAPE (dy && dy->data, "concat backward: no dy");
  int ca = da ? da->c : dy->c - (db ? db->c : 0);
  int cb = dy->c - ca;
  GC_CHECK_SHAPE (ca >= 0 && cb >= 0 && !(db && db->c != cb),
      "concat backward: %d channels cannot split", dy->c);
  if (da && gc_tensor_resize (da, dy->n, ca, dy->h, dy->w) < 0)
    return -1;
  if (db && gc_tensor_resize (db, dy->n, cb, dy->h, dy->w) < 0)
    return -1;
  size_t plane = (size_t) dy->h * dy->w;
  size_t sa = ca * plane, sb = cb * plane;
  for (int n = 0; n < dy->n; n++) {
    const float *src = dy->data + n * (sa + sb);
    if (da && sa)
      memcpy (da->data + n * sa, src, sa * sizeof (float));
    if (db && sb)
      memcpy (db->data + n * sb, src + sa, sb * sizeof (float));
  }
  return 0;
}
