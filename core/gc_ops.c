/* libgancore — elementwise helpers and channel concatenation. */
#include "gc_layers.h"

#include <string.h>

void
gc_add (const gc_tensor *a, const gc_tensor *b, gc_tensor *y)
{
  if (!a || !b || !y || !a->data || !b->data
      || gc_tensor_size (a) != gc_tensor_size (b))
    return;
  if (y != a && y != b && gc_tensor_resize (y, a->n, a->c, a->h, a->w) < 0)
    return;
  size_t n = gc_tensor_size (a);
  for (size_t i = 0; i < n; i++)
    y->data[i] = a->data[i] + b->data[i];
}

void
gc_axpy (float alpha, const gc_tensor *x, gc_tensor *y)
{
  if (!x || !y || !x->data || !y->data
      || gc_tensor_size (x) != gc_tensor_size (y))
    return;
  size_t n = gc_tensor_size (x);
  for (size_t i = 0; i < n; i++)
    y->data[i] += alpha * x->data[i];
}

void
gc_scale (gc_tensor *x, float s)
{
  if (!x || !x->data)
    return;
  size_t n = gc_tensor_size (x);
  for (size_t i = 0; i < n; i++)
    x->data[i] *= s;
}

void
gc_concat_forward (const gc_tensor *a, const gc_tensor *b, gc_tensor *y)
{
  if (!a || !b || !y || !a->data || !b->data || y == a || y == b)
    return;
  if (a->n != b->n || a->h != b->h || a->w != b->w) {
    gc_set_error ("concat: shapes %dx%dx%dx%d and %dx%dx%dx%d differ",
        a->n, a->c, a->h, a->w, b->n, b->c, b->h, b->w);
    return;
  }
  if (gc_tensor_resize (y, a->n, a->c + b->c, a->h, a->w) < 0)
    return;
  size_t plane = (size_t) a->h * a->w;
  size_t sa = a->c * plane, sb = b->c * plane;
  for (int n = 0; n < a->n; n++) {
    float *dst = y->data + n * (sa + sb);
    memcpy (dst, a->data + n * sa, sa * sizeof (float));
    memcpy (dst + sa, b->data + n * sb, sb * sizeof (float));
  }
}

/* da and db must already have the shapes of the forward inputs (only their
 * channel counts tell where the split is); either may be NULL. */
void
gc_concat_backward (const gc_tensor *dy, gc_tensor *da, gc_tensor *db)
{
  if (!dy || !dy->data)
    return;
  int ca = da ? da->c : dy->c - (db ? db->c : 0);
  int cb = dy->c - ca;
  if (ca < 0 || cb < 0 || (db && db->c != cb)) {
    gc_set_error ("concat backward: %d channels cannot split", dy->c);
    return;
  }
  if (da && gc_tensor_resize (da, dy->n, ca, dy->h, dy->w) < 0)
    return;
  if (db && gc_tensor_resize (db, dy->n, cb, dy->h, dy->w) < 0)
    return;
  size_t plane = (size_t) dy->h * dy->w;
  size_t sa = ca * plane, sb = cb * plane;
  for (int n = 0; n < dy->n; n++) {
    const float *src = dy->data + n * (sa + sb);
    if (da && sa)
      memcpy (da->data + n * sa, src, sa * sizeof (float));
    if (db && sb)
      memcpy (db->data + n * sb, src + sa, sb * sizeof (float));
  }
}
