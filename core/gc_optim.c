/* libgancore — AdamW, its checkpoint state, gradient clipping, learning
 * rate schedules and the weight EMA. */
#include "gc_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
param_has_moments (const gc_param *p)
{
  return p->trainable && p->g && p->w;
}

int
gc_adam_init (gc_adam *o, gc_param_list *params, float lr, float beta1,
    float beta2, float weight_decay)
{
  memset (o, 0, sizeof *o);
  if (!params || !(lr >= 0.0f) || !(beta1 >= 0.0f && beta1 < 1.0f)
      || !(beta2 >= 0.0f && beta2 < 1.0f)) {
    gc_set_error ("adam: bad settings lr %g betas %g %g", lr, beta1, beta2);
    return -1;
  }
  o->lr = lr;
  o->beta1 = beta1;
  o->beta2 = beta2;
  o->eps = 1e-8f;
  o->weight_decay = weight_decay;
  o->params = params;
  int n = params->count;
  o->m = calloc (n ? n : 1, sizeof *o->m);
  o->v = calloc (n ? n : 1, sizeof *o->v);
  if (!o->m || !o->v)
    goto oom;
  for (int i = 0; i < n; i++) {
    gc_param *p = params->items[i];
    if (!param_has_moments (p))
      continue;
    o->m[i] = gc_alloc (p->n * sizeof (float));
    o->v[i] = gc_alloc (p->n * sizeof (float));
    if (!o->m[i] || !o->v[i])
      goto oom;
  }
  return 0;
oom:
  gc_adam_free (o);
  gc_set_error ("adam: out of memory");
  return -1;
}

void
gc_adam_free (gc_adam *o)
{
  if (o->params && o->m && o->v)
    for (int i = 0; i < o->params->count; i++) {
      gc_free (o->m[i]);
      gc_free (o->v[i]);
    }
  free (o->m);
  free (o->v);
  o->m = o->v = NULL;
}

/* The four arrays are separate allocations; restrict lets it vectorise. */
static void
adam_update (float *restrict w, float *restrict g, float *restrict m,
    float *restrict v, size_t n, float b1, float b2, float decay,
    float step_size, float inv_sqrt_bc2, float eps)
{
  for (size_t j = 0; j < n; j++) {
    float gj = g[j];
    m[j] = b1 * m[j] + (1.0f - b1) * gj;
    v[j] = b2 * v[j] + (1.0f - b2) * gj * gj;
    float denom = sqrtf (v[j]) * inv_sqrt_bc2 + eps;
    w[j] = w[j] * decay - step_size * m[j] / denom;
    g[j] = 0.0f;
  }
}

void
gc_adam_step (gc_adam *o)
{
  if (!o->params || !o->m)
    return;
  o->step++;
  double bc1 = 1.0 - pow (o->beta1, (double) o->step);
  double bc2 = 1.0 - pow (o->beta2, (double) o->step);
  /* lr * mhat / (sqrt(vhat) + eps) with the corrections folded in */
  float step_size = (float) (o->lr / bc1);
  float inv_sqrt_bc2 = (float) (1.0 / sqrt (bc2));
  float decay = 1.0f - o->lr * o->weight_decay;
  float b1 = o->beta1, b2 = o->beta2;
  for (int i = 0; i < o->params->count; i++) {
    gc_param *p = o->params->items[i];
    float *m = o->m[i], *v = o->v[i];
    if (!m || !v || !param_has_moments (p))
      continue;
    adam_update (p->w, p->g, m, v, p->n, b1, b2, decay, step_size,
        inv_sqrt_bc2, o->eps);
  }
}

/* ---- checkpoint state ------------------------------------------------------
 * Export copies (a snapshot): "<prefix>.m.<name>", "<prefix>.v.<name>" for
 * every trainable parameter and "<prefix>.step" = [step mod 2^20,
 * step / 2^20] (both exact in float). The caller frees each owned param
 * with gc_param_free and the array with free(). */

#define STEP_SPLIT 1048576L

static int
state_name (char *buf, const char *prefix, const char *kind, const char *name)
{
  int len = snprintf (buf, GC_MAX_NAME, "%s.%s%s%s", prefix, kind,
      name ? "." : "", name ? name : "");
  if (len < 0 || len >= GC_MAX_NAME) {
    gc_set_error ("adam state: name %s.%s.%s is too long", prefix, kind,
        name ? name : "");
    return -1;
  }
  return 0;
}

int
gc_adam_state_export (gc_adam *o, const char *prefix, gc_param_list *out,
    gc_param **owned, int *n_owned)
{
  char name[GC_MAX_NAME];
  if (!o->params || !o->m || !prefix || !out || !owned || !n_owned) {
    gc_set_error ("adam state export: bad arguments");
    return -1;
  }
  int count = o->params->count, k = 0;
  gc_param *arr = calloc (2 * count + 1, sizeof *arr);
  if (!arr) {
    gc_set_error ("adam state export: out of memory");
    return -1;
  }
  for (int i = 0; i < count; i++) {
    gc_param *p = o->params->items[i];
    if (!o->m[i])
      continue;
    for (int which = 0; which < 2; which++) {
      if (state_name (name, prefix, which ? "v" : "m", p->name) < 0
          || gc_param_init (&arr[k], name, p->ndim, p->shape) < 0)
        goto fail;
      memcpy (arr[k].w, which ? o->v[i] : o->m[i], p->n * sizeof (float));
      arr[k].trainable = 0;
      k++;
    }
  }
  int two = 2;
  if (state_name (name, prefix, "step", NULL) < 0
      || gc_param_init (&arr[k], name, 1, &two) < 0)
    goto fail;
  arr[k].w[0] = (float) (o->step % STEP_SPLIT);
  arr[k].w[1] = (float) (o->step / STEP_SPLIT);
  arr[k].trainable = 0;
  k++;
  for (int i = 0; i < k; i++)
    if (gc_param_list_add (out, &arr[i]) < 0)
      goto fail;
  *owned = arr;
  *n_owned = k;
  return 0;
fail:
  /* entries already added to out would dangle: take them back out */
  for (int i = out->count - 1; i >= 0; i--)
    if (out->items[i] >= arr && out->items[i] < arr + 2 * count + 1)
      out->items[i] = out->items[--out->count];
  for (int i = 0; i < k; i++)
    gc_param_free (&arr[i]);
  free (arr);
  return -1;
}

static const gc_param *
state_find (const gc_param_list *in, const char *prefix, const char *kind,
    const gc_param *p, size_t n)
{
  char name[GC_MAX_NAME];
  if (state_name (name, prefix, kind, p ? p->name : NULL) < 0)
    return NULL;
  const gc_param *s = gc_param_list_find (in, name);
  if (!s || !s->w || s->n != n) {
    gc_set_error ("adam state import: %s %s", name,
        s ? "has the wrong size" : "is missing");
    return NULL;
  }
  return s;
}

int
gc_adam_state_import (gc_adam *o, const char *prefix, const gc_param_list *in)
{
  if (!o->params || !o->m || !prefix || !in) {
    gc_set_error ("adam state import: bad arguments");
    return -1;
  }
  /* check everything before changing anything */
  for (int i = 0; i < o->params->count; i++) {
    gc_param *p = o->params->items[i];
    if (o->m[i] && (!state_find (in, prefix, "m", p, p->n)
            || !state_find (in, prefix, "v", p, p->n)))
      return -1;
  }
  const gc_param *st = state_find (in, prefix, "step", NULL, 2);
  if (!st)
    return -1;
  if (!(st->w[0] >= 0.0f && st->w[0] < STEP_SPLIT && st->w[1] >= 0.0f
          && st->w[1] < 1e9f)) {
    gc_set_error ("adam state import: bad step");
    return -1;
  }
  for (int i = 0; i < o->params->count; i++) {
    gc_param *p = o->params->items[i];
    if (!o->m[i])
      continue;
    memcpy (o->m[i], state_find (in, prefix, "m", p, p->n)->w,
        p->n * sizeof (float));
    memcpy (o->v[i], state_find (in, prefix, "v", p, p->n)->w,
        p->n * sizeof (float));
  }
  o->step = (long) st->w[0] + (long) st->w[1] * STEP_SPLIT;
  return 0;
}

/* ---- clipping, schedules ------------------------------------------------- */

float
gc_clip_grad_norm (gc_param_list *params, float max_norm)
{
  if (!params)
    return 0.0f;
  double sq = 0.0;
  for (int i = 0; i < params->count; i++) {
    gc_param *p = params->items[i];
    if (!p->trainable || !p->g)
      continue;
    for (size_t j = 0; j < p->n; j++)
      sq += (double) p->g[j] * p->g[j];
  }
  double norm = sqrt (sq);
  if (max_norm > 0.0f && norm > max_norm) {
    float k = (float) (max_norm / (norm + 1e-6));
    for (int i = 0; i < params->count; i++) {
      gc_param *p = params->items[i];
      if (!p->trainable || !p->g)
        continue;
      for (size_t j = 0; j < p->n; j++)
        p->g[j] *= k;
    }
  }
  return (float) norm;
}

static float
cosine_between (float base, float min, double frac)
{
  frac = frac < 0.0 ? 0.0 : frac > 1.0 ? 1.0 : frac;
  return (float) (min + (base - min) * 0.5 * (1.0 + cos (3.14159265358979323846 * frac)));
}

float
gc_lr_at (const gc_lr_schedule *s, long step)
{
  if (!s)
    return 0.0f;
  if (step < 0)
    step = 0;
  switch (s->kind) {
    case GC_LR_COSINE:
      return s->total > 0 ? cosine_between (s->base, s->min,
          (double) step / s->total) : s->base;
    case GC_LR_STEP:
      return s->step_every > 0 ? s->base * powf (s->gamma,
          (float) (step / s->step_every)) : s->base;
    case GC_LR_WARMUP_COSINE:
      if (step < s->warmup)
        return s->base * (float) (step + 1) / (float) s->warmup;
      return s->total > s->warmup ? cosine_between (s->base, s->min,
          (double) (step - s->warmup) / (s->total - s->warmup)) : s->base;
    case GC_LR_CONST:
    default:
      return s->base;
  }
}

/* ---- EMA ------------------------------------------------------------------ */

int
gc_ema_init (gc_ema *e, gc_param_list *params, float decay)
{
  memset (e, 0, sizeof *e);
  if (!params || !(decay >= 0.0f && decay <= 1.0f)) {
    gc_set_error ("ema: bad decay %g", decay);
    return -1;
  }
  e->decay = decay;
  e->params = params;
  e->shadow = calloc (params->count ? params->count : 1, sizeof *e->shadow);
  if (!e->shadow)
    goto oom;
  for (int i = 0; i < params->count; i++) {
    gc_param *p = params->items[i];
    e->shadow[i] = gc_alloc (p->n * sizeof (float));
    if (!e->shadow[i])
      goto oom;
    if (p->w)
      memcpy (e->shadow[i], p->w, p->n * sizeof (float));
  }
  return 0;
oom:
  gc_ema_free (e);
  gc_set_error ("ema: out of memory");
  return -1;
}

void
gc_ema_update (gc_ema *e)
{
  if (!e->shadow)
    return;
  float d = e->decay;
  for (int i = 0; i < e->params->count; i++) {
    gc_param *p = e->params->items[i];
    float *s = e->shadow[i];
    if (!p->w || !s)
      continue;
    /* running statistics are not averaged, they follow the live model */
    if (!p->trainable) {
      memcpy (s, p->w, p->n * sizeof (float));
      continue;
    }
    for (size_t j = 0; j < p->n; j++)
      s[j] = d * s[j] + (1.0f - d) * p->w[j];
  }
}

void
gc_ema_swap (gc_ema *e)
{
  if (!e->shadow)
    return;
  /* swap contents, not pointers: layers may hold pointers to p->w */
  for (int i = 0; i < e->params->count; i++) {
    gc_param *p = e->params->items[i];
    float *s = e->shadow[i];
    if (!p->w || !s)
      continue;
    for (size_t j = 0; j < p->n; j++) {
      float t = p->w[j];
      p->w[j] = s[j];
      s[j] = t;
    }
  }
}

void
gc_ema_free (gc_ema *e)
{
  if (e->shadow && e->params)
    for (int i = 0; i < e->params->count; i++)
      gc_free (e->shadow[i]);
  free (e->shadow);
  e->shadow = NULL;
}
