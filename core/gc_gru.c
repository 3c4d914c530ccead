/* libgancore — GRU with PyTorch's gate layout (r, z, n):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)
 *   z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 - z) ⊙ n + z ⊙ h
 * The input projections of all frames are one GEMM; only the recurrent
 * product runs frame by frame. */
#include "gc_layers.h"
#include "gc_check.h"
#include "gc_sigmoid.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int
gc_gru_init (gc_gru *l, const char *name, int in, int hidden, gc_rng *r)
{
  char pname[GC_MAX_NAME];
  memset (l, 0, sizeof *l);
  if (in <= 0 || hidden <= 0) {
    gc_set_error ("gru %s: bad size %d -> %d", name, in, hidden);
    return -1;
  }
  l->in = in;
  l->hidden = hidden;
  int s_ih[2] = { 3 * hidden, in }, s_hh[2] = { 3 * hidden, hidden };
  int s_b = 3 * hidden;
  struct { gc_param *p; const char *suffix; int ndim; int *shape; } spec[4] = {
    { &l->w_ih, "weight_ih", 2, s_ih }, { &l->w_hh, "weight_hh", 2, s_hh },
    { &l->b_ih, "bias_ih", 1, &s_b }, { &l->b_hh, "bias_hh", 1, &s_b },
  };
  for (int i = 0; i < 4; i++) {
    snprintf (pname, sizeof pname, "%s.%s", name, spec[i].suffix);
    if (gc_param_init (spec[i].p, pname, spec[i].ndim, spec[i].shape) < 0) {
      gc_gru_free (l);
      return -1;
    }
  }
  if (r) {
    /* PyTorch: U(-1/sqrt(H), 1/sqrt(H)) for every tensor */
    float a = 1.0f / sqrtf ((float) hidden);
    for (int i = 0; i < 4; i++)
      gc_rng_fill_uniform (r, spec[i].p->w, spec[i].p->n, -a, a);
  }
  return 0;
}

void
gc_gru_free (gc_gru *l)
{
  gc_param_free (&l->w_ih);
  gc_param_free (&l->w_hh);
  gc_param_free (&l->b_ih);
  gc_param_free (&l->b_hh);
}

void
gc_gru_params (gc_gru *l, gc_param_list *pl)
{
  gc_param_list_add (pl, &l->w_ih);
  gc_param_list_add (pl, &l->w_hh);
  gc_param_list_add (pl, &l->b_ih);
  gc_param_list_add (pl, &l->b_hh);
}

void
gc_gru_cache_free (gc_gru_cache *c)
{
  gc_free (c->gates);
  c->gates = c->hh_n = c->h = NULL;
  c->cap = 0;
  c->n = c->t = 0;
}

/* One allocation holds gates, hh_n and h (in that order). */
static int
gru_cache_reserve (gc_gru_cache *c, int n, int t, int hdim)
{
  size_t g = (size_t) t * n * 3 * hdim, hn = (size_t) t * n * hdim;
  size_t need = g + hn + (size_t) (t + 1) * n * hdim;
  if (need > c->cap) {
    float *p = gc_alloc (need * sizeof (float));
    if (!p) {
      gc_set_error ("gru: out of memory for a %d x %d cache", n, t);
      return -1;
    }
    gc_free (c->gates);
    c->gates = p;
    c->cap = need;
  }
  c->hh_n = c->gates + g;
  c->h = c->hh_n + hn;
  c->n = n;
  c->t = t;
  return 0;
}

/* 0 or -1 (reported) */
static int
gru_check_input (const gc_gru *l, const gc_tensor *x)
{
  GC_CHECK_SHAPE (x && x->data && l->w_ih.w,
      "gru: no input, or a layer with no weights");
  GC_CHECK_SHAPE (x->c == l->in && x->h == 1,
      "gru: input %dx%dx%dx%d, expected %d channels",
      x->n, x->c, x->h, x->w, l->in);
  return 0;
}

/* gate pre-activations from the input gi[3H] and the state gh[3H] (both
 * biased) -> gates[3H] = r, z, n; hh_n = gh's n part; h updated. */
static inline void
gru_cell (int hd, const float *gi, const float *gh, const float *h_prev,
    float *gates, float *hh_n, float *h_next)
{
  for (int j = 0; j < hd; j++) {
    float r = gc_sigmoidf (gi[j] + gh[j]);
    float z = gc_sigmoidf (gi[hd + j] + gh[hd + j]);
    float nn = tanhf (gi[2 * hd + j] + r * gh[2 * hd + j]);
    gates[j] = r;
    gates[hd + j] = z;
    gates[2 * hd + j] = nn;
    if (hh_n)
      hh_n[j] = gh[2 * hd + j];
    h_next[j] = (1.0f - z) * nn + z * h_prev[j];
  }
}

int
gc_gru_forward (gc_gru *l, const gc_tensor *x, const float *h0, gc_tensor *y,
    gc_gru_cache *cache)
{
  if (gru_check_input (l, x) < 0)
    return -1;
  GC_CHECK_SHAPE (cache && y && y != x,
      "gru: no cache, or an output missing or aliasing the input");
  int n = x->n, t = x->w, hd = l->hidden, h3 = 3 * hd, rc = -1;
  if (gru_cache_reserve (cache, n, t, hd) < 0
      || gc_tensor_resize (y, n, hd, 1, t) < 0)
    return -1;
  /* xt [T][N][in] and the input projections gi [T][N][3H] */
  float *xt = gc_alloc ((size_t) t * n * l->in * sizeof (float));
  float *gi = gc_alloc ((size_t) t * n * h3 * sizeof (float));
  float *gh = gc_alloc ((size_t) n * h3 * sizeof (float));
  if (!xt || !gi || !gh) {
    gc_set_error ("gru: out of memory");
    goto out;
  }
  for (int b = 0; b < n; b++)
    for (int c = 0; c < l->in; c++)
      for (int s = 0; s < t; s++)
        xt[((size_t) s * n + b) * l->in + c] =
            x->data[((size_t) b * l->in + c) * t + s];
  for (size_t row = 0; row < (size_t) t * n; row++)
    memcpy (gi + row * h3, l->b_ih.w, h3 * sizeof (float));
  gc_sgemm (0, 1, t * n, h3, l->in, 1.0f, xt, l->in, l->w_ih.w, l->in, 1.0f,
      gi, h3);
  if (h0)
    memcpy (cache->h, h0, (size_t) n * hd * sizeof (float));
  else
    memset (cache->h, 0, (size_t) n * hd * sizeof (float));
  for (int s = 0; s < t; s++) {
    const float *hp = cache->h + (size_t) s * n * hd;
    float *hn = cache->h + (size_t) (s + 1) * n * hd;
    for (int b = 0; b < n; b++)
      memcpy (gh + (size_t) b * h3, l->b_hh.w, h3 * sizeof (float));
    gc_sgemm (0, 1, n, h3, hd, 1.0f, hp, hd, l->w_hh.w, hd, 1.0f, gh, h3);
    for (int b = 0; b < n; b++)
      gru_cell (hd, gi + ((size_t) s * n + b) * h3, gh + (size_t) b * h3,
          hp + (size_t) b * hd,
          cache->gates + ((size_t) s * n + b) * h3,
          cache->hh_n + ((size_t) s * n + b) * hd, hn + (size_t) b * hd);
    for (int b = 0; b < n; b++)
      for (int j = 0; j < hd; j++)
        y->data[((size_t) b * hd + j) * t + s] = hn[(size_t) b * hd + j];
  }
  rc = 0;
out:
  gc_free (xt);
  gc_free (gi);
  gc_free (gh);
  return rc;
}

int
gc_gru_backward (gc_gru *l, const gc_tensor *x, const gc_gru_cache *cache,
    const gc_tensor *dy, gc_tensor *dx)
{
  if (gru_check_input (l, x) < 0)
    return -1;
  GC_CHECK_SHAPE (cache && cache->gates && dy && dy->data,
      "gru backward: no cache of a forward, or no dy");
  GC_CHECK_SHAPE (dx != x && dx != dy, "gru backward: dx aliasing x or dy");
  int n = x->n, t = x->w, hd = l->hidden, h3 = 3 * hd, rc = -1;
  GC_CHECK_SHAPE (cache->n == n && cache->t == t
      && gc_tensor_size (dy) == (size_t) n * hd * t,
      "gru backward: cache or dy does not match the input");
  /* dgi/dgh [T][N][3H]: gradients of the input-side and state-side gate
   * pre-activations; dh [N][H] flows back through time. */
  float *dgi = gc_alloc ((size_t) t * n * h3 * sizeof (float));
  float *dgh = gc_alloc ((size_t) t * n * h3 * sizeof (float));
  float *dh = gc_alloc ((size_t) n * hd * sizeof (float));
  float *xt = gc_alloc ((size_t) t * n * l->in * sizeof (float));
  if (!dgi || !dgh || !dh || !xt) {
    gc_set_error ("gru backward: out of memory");
    goto out;
  }
  for (int s = t - 1; s >= 0; s--) {
    const float *hp = cache->h + (size_t) s * n * hd;
    for (int b = 0; b < n; b++) {
      const float *gt = cache->gates + ((size_t) s * n + b) * h3;
      const float *hhn = cache->hh_n + ((size_t) s * n + b) * hd;
      float *di = dgi + ((size_t) s * n + b) * h3;
      float *dhh = dgh + ((size_t) s * n + b) * h3;
      float *dhb = dh + (size_t) b * hd;
      for (int j = 0; j < hd; j++) {
        float g = dhb[j] + dy->data[((size_t) b * hd + j) * t + s];
        float r = gt[j], z = gt[hd + j], nn = gt[2 * hd + j];
        float hprev = hp[(size_t) b * hd + j];
        float dn = g * (1.0f - z) * (1.0f - nn * nn);
        float dz = g * (hprev - nn) * z * (1.0f - z);
        float dr = dn * hhn[j] * r * (1.0f - r);
        di[j] = dr;
        di[hd + j] = dz;
        di[2 * hd + j] = dn;
        dhh[j] = dr;
        dhh[hd + j] = dz;
        dhh[2 * hd + j] = dn * r;
        dhb[j] = g * z;     /* direct path; the W_hh path is added below */
      }
    }
    gc_sgemm (0, 0, n, hd, h3, 1.0f, dgh + (size_t) s * n * h3, h3,
        l->w_hh.w, hd, 1.0f, dh, hd);
  }
  /* parameter gradients for all frames at once */
  if (l->w_hh.g)
    gc_sgemm (1, 0, h3, hd, t * n, 1.0f, dgh, h3, cache->h, hd, 1.0f,
        l->w_hh.g, hd);
  for (size_t row = 0; row < (size_t) t * n; row++)
    for (int j = 0; j < h3; j++) {
      if (l->b_ih.g)
        l->b_ih.g[j] += dgi[row * h3 + j];
      if (l->b_hh.g)
        l->b_hh.g[j] += dgh[row * h3 + j];
    }
  for (int b = 0; b < n; b++)
    for (int c = 0; c < l->in; c++)
      for (int s = 0; s < t; s++)
        xt[((size_t) s * n + b) * l->in + c] =
            x->data[((size_t) b * l->in + c) * t + s];
  if (l->w_ih.g)
    gc_sgemm (1, 0, h3, l->in, t * n, 1.0f, dgi, h3, xt, l->in, 1.0f,
        l->w_ih.g, l->in);
  if (dx) {
    if (gc_tensor_resize (dx, n, l->in, 1, t) < 0)
      goto out;
    /* reuse xt as the [T][N][in] input gradient, then transpose back */
    gc_sgemm (0, 0, t * n, l->in, h3, 1.0f, dgi, h3, l->w_ih.w, l->in, 0.0f,
        xt, l->in);
    for (int b = 0; b < n; b++)
      for (int c = 0; c < l->in; c++)
        for (int s = 0; s < t; s++)
          dx->data[((size_t) b * l->in + c) * t + s] =
              xt[((size_t) s * n + b) * l->in + c];
  }
  rc = 0;
out:
  gc_free (dgi);
  gc_free (dgh);
  gc_free (dh);
  gc_free (xt);
  return rc;
}

void
gc_gru_step (const gc_gru *l, const float *x, float *h, float *scratch)
{
  if (!l->w_ih.w || !x || !h || !scratch)
    return;
  int hd = l->hidden, h3 = 3 * hd;
  float *gi = scratch, *gh = scratch + h3;
  memcpy (gi, l->b_ih.w, h3 * sizeof (float));
  memcpy (gh, l->b_hh.w, h3 * sizeof (float));
  /* same GEMM routine (and so the same summation) as the sequence path */
  gc_sgemm (0, 1, 1, h3, l->in, 1.0f, x, l->in, l->w_ih.w, l->in, 1.0f, gi,
      h3);
  gc_sgemm (0, 1, 1, h3, hd, 1.0f, h, hd, l->w_hh.w, hd, 1.0f, gh, h3);
  /* gates land in gi (consumed element by element before being overwritten) */
  for (int j = 0; j < hd; j++) {
    float r = gc_sigmoidf (gi[j] + gh[j]);
    float z = gc_sigmoidf (gi[hd + j] + gh[hd + j]);
    float nn = tanhf (gi[2 * hd + j] + r * gh[2 * hd + j]);
    h[j] = (1.0f - z) * nn + z * h[j];
  }
}
