/* libgancore — 1-D convolution (causal or symmetric padding, stride,
 * dilation, groups) by im2col + GEMM, and its streaming form. */
#include "gc_layers.h"
#include "gc_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
gc_conv1d_init (gc_conv1d *l, const char *name, int cin, int cout, int k,
    int stride, int dilation, int pad, int groups, int causal, gc_rng *r)
{
  char pname[GC_MAX_NAME];
  memset (l, 0, sizeof *l);
  if (cin <= 0 || cout <= 0 || k <= 0 || stride <= 0 || dilation <= 0
      || pad < 0 || groups <= 0 || cin % groups || cout % groups) {
    gc_set_error ("conv1d %s: bad configuration cin %d cout %d k %d stride %d "
        "dilation %d pad %d groups %d", name, cin, cout, k, stride, dilation,
        pad, groups);
    return -1;
  }
  l->cin = cin;
  l->cout = cout;
  l->k = k;
  l->stride = stride;
  l->dilation = dilation;
  l->pad = causal ? 0 : pad;
  l->groups = groups;
  l->causal = causal ? 1 : 0;
  int wshape[3] = { cout, cin / groups, k };
  snprintf (pname, sizeof pname, "%s.weight", name);
  if (gc_param_init (&l->weight, pname, 3, wshape) < 0)
    return -1;
  snprintf (pname, sizeof pname, "%s.bias", name);
  if (gc_param_init (&l->bias, pname, 1, &cout) < 0) {
    gc_param_free (&l->weight);
    return -1;
  }
  if (r)
    gc_init_kaiming (&l->weight, cin / groups * k, 0.0f, r);
  return 0;
}

void
gc_conv1d_free (gc_conv1d *l)
{
  gc_param_free (&l->weight);
  gc_param_free (&l->bias);
}

void
gc_conv1d_params (gc_conv1d *l, gc_param_list *pl)
{
  gc_param_list_add (pl, &l->weight);
  gc_param_list_add (pl, &l->bias);
}

/* Geometry of one call: input length tin, padding on the left, output
 * length tout. Output t reads input t*stride - pad_left + k*dilation. */
typedef struct {
  int tin, pad_left, tout;
} conv1d_geom;

static int
conv1d_geometry (const gc_conv1d *l, const gc_tensor *x, conv1d_geom *g)
{
  GC_CHECK_SHAPE (x && x->data && l->weight.w,
      "conv1d: no input, or a layer with no weights");
  GC_CHECK_SHAPE (x->c == l->cin && x->h == 1,
      "conv1d: input %dx%dx%dx%d, expected %d channels and h 1",
      x->n, x->c, x->h, x->w, l->cin);
  int span = l->dilation * (l->k - 1);
  g->tin = x->w;
  g->pad_left = l->causal ? span : l->pad;
  int right = l->causal ? 0 : l->pad;
  long num = (long) x->w + g->pad_left + right - span - 1;
  GC_CHECK_SHAPE (num >= 0,
      "conv1d: input of %d frames is shorter than the kernel", x->w);
  g->tout = (int) (num / l->stride + 1);
  return 0;
}

/* True when the input itself is the column matrix (pointwise conv). */
static int
conv1d_is_pointwise (const gc_conv1d *l, const conv1d_geom *g)
{
  return l->k == 1 && l->stride == 1 && g->pad_left == 0 && g->tout == g->tin;
}

/* Outputs t in [lo, hi) read inside the input at t*stride + off; the rest
 * fall into the zero padding. */
static void
valid_range (const gc_conv1d *l, const conv1d_geom *g, int off, int *lo,
    int *hi)
{
  int s = l->stride;
  int a = off >= 0 ? 0 : (-off + s - 1) / s;         /* first t with ti >= 0 */
  int b = g->tin - off <= 0 ? 0 : (g->tin - off + s - 1) / s;  /* ti < tin */
  if (a > g->tout)
    a = g->tout;
  if (b > g->tout)
    b = g->tout;
  if (b < a)
    b = a;
  *lo = a;
  *hi = b;
}

/* Scratch that the caller overwrites completely: no need to zero it. */
static float *
scratch_floats (size_t n)
{
  void *p = NULL;
  if (posix_memalign (&p, 64, (n ? n : 1) * sizeof (float)) != 0)
    return NULL;
  return p;
}

/* col [cin*K][tout] from one item's x [cin][tin]. */
static void
conv1d_im2col (const gc_conv1d *l, const conv1d_geom *g, const float *x,
    float *col)
{
  for (int ci = 0; ci < l->cin; ci++)
    for (int k = 0; k < l->k; k++) {
      float *row = col + ((size_t) ci * l->k + k) * g->tout;
      const float *src = x + (size_t) ci * g->tin;
      int off = k * l->dilation - g->pad_left, lo, hi;
      valid_range (l, g, off, &lo, &hi);
      memset (row, 0, lo * sizeof (float));
      if (l->stride == 1)
        memcpy (row + lo, src + lo + off, (hi - lo) * sizeof (float));
      else
        for (int t = lo; t < hi; t++)
          row[t] = src[t * l->stride + off];
      memset (row + hi, 0, (g->tout - hi) * sizeof (float));
    }
}

/* dx [cin][tin] += scatter of dcol [cin*K][tout]. */
static void
conv1d_col2im (const gc_conv1d *l, const conv1d_geom *g, const float *dcol,
    float *dx)
{
  for (int ci = 0; ci < l->cin; ci++)
    for (int k = 0; k < l->k; k++) {
      const float *row = dcol + ((size_t) ci * l->k + k) * g->tout;
      float *dst = dx + (size_t) ci * g->tin;
      int off = k * l->dilation - g->pad_left, lo, hi;
      valid_range (l, g, off, &lo, &hi);
      for (int t = lo; t < hi; t++)
        dst[t * l->stride + off] += row[t];
    }
}

/* y [cout][tout] = W col + b (b = 0 for the tangent) for one item. */
static void
conv1d_item_forward (const gc_conv1d *l, const conv1d_geom *g,
    const float *x, float *col, float *y, int with_bias)
{
  int cig = l->cin / l->groups, cog = l->cout / l->groups;
  int kk = cig * l->k;
  const float *b = x;
  if (!conv1d_is_pointwise (l, g)) {
    conv1d_im2col (l, g, x, col);
    b = col;
  }
  for (int co = 0; co < l->cout; co++)
    for (int t = 0; t < g->tout; t++)
      y[(size_t) co * g->tout + t] = with_bias ? l->bias.w[co] : 0.0f;
  for (int gr = 0; gr < l->groups; gr++)
    gc_sgemm (0, 0, cog, g->tout, kk, 1.0f,
        l->weight.w + (size_t) gr * cog * kk, kk,
        b + (size_t) gr * kk * g->tout, g->tout, 1.0f,
        y + (size_t) gr * cog * g->tout, g->tout);
}

static int
conv1d_forward (gc_conv1d *l, const gc_tensor *x, gc_tensor *y,
    int with_bias)
{
  conv1d_geom g;
  GC_CHECK_SHAPE (y && y != x, "conv1d: output missing or aliasing the input");
  if (conv1d_geometry (l, x, &g) < 0
      || gc_tensor_resize (y, x->n, l->cout, 1, g.tout) < 0)
    return -1;
  float *col = scratch_floats ((size_t) l->cin * l->k * g.tout);
  GC_CHECK_ALLOC (col, "conv1d: out of memory");
  for (int n = 0; n < x->n; n++)
    conv1d_item_forward (l, &g, x->data + (size_t) n * l->cin * g.tin, col,
        y->data + (size_t) n * l->cout * g.tout, with_bias);
  gc_free (col);
  return 0;
}

int
gc_conv1d_forward (gc_conv1d *l, const gc_tensor *x, gc_tensor *y)
{
  return conv1d_forward (l, x, y, 1);
}

int
gc_conv1d_jvp (gc_conv1d *l, const gc_tensor *dx, gc_tensor *dy)
{
  /* the layer is affine: its tangent is the same convolution, no bias */
  return conv1d_forward (l, dx, dy, 0);
}

int
gc_conv1d_backward (gc_conv1d *l, const gc_tensor *x, const gc_tensor *dy,
    gc_tensor *dx)
{
  conv1d_geom g;
  if (conv1d_geometry (l, x, &g) < 0)
    return -1;
  GC_CHECK_SHAPE (dy && dy->data
      && gc_tensor_size (dy) == (size_t) x->n * l->cout * g.tout,
      "conv1d backward: dy does not match the forward's output");
  GC_CHECK_SHAPE (dx != x && dx != dy,
      "conv1d backward: dx aliasing x or dy");
  if (dx) {
    if (gc_tensor_resize (dx, x->n, x->c, 1, x->w) < 0)
      return -1;
    gc_tensor_zero (dx);
  }
  int cig = l->cin / l->groups, cog = l->cout / l->groups;
  int kk = cig * l->k;
  size_t colsz = (size_t) l->cin * l->k * g.tout;
  float *col = scratch_floats (2 * colsz);
  GC_CHECK_ALLOC (col, "conv1d: out of memory");
  float *dcol = col + colsz;
  int pointwise = conv1d_is_pointwise (l, &g);
  for (int n = 0; n < x->n; n++) {
    const float *xs = x->data + (size_t) n * l->cin * g.tin;
    const float *gy = dy->data + (size_t) n * l->cout * g.tout;
    if (l->bias.g)
      for (int co = 0; co < l->cout; co++) {
        const float *row = gy + (size_t) co * g.tout;
        float s = 0.0f;
        for (int t = 0; t < g.tout; t++)
          s += row[t];
        l->bias.g[co] += s;
      }
    const float *b = xs;
    if (!pointwise) {
      conv1d_im2col (l, &g, xs, col);
      b = col;
    }
    /* a pointwise conv writes dx directly: its columns are the input */
    float *dc = pointwise && dx ? dx->data + (size_t) n * l->cin * g.tin
        : dcol;
    for (int gr = 0; gr < l->groups; gr++) {
      const float *wg = l->weight.w + (size_t) gr * cog * kk;
      const float *dyg = gy + (size_t) gr * cog * g.tout;
      if (l->weight.g)
        gc_sgemm (0, 1, cog, kk, g.tout, 1.0f, dyg, g.tout,
            b + (size_t) gr * kk * g.tout, g.tout, 1.0f,
            l->weight.g + (size_t) gr * cog * kk, kk);
      if (dx)
        gc_sgemm (1, 0, kk, g.tout, cog, 1.0f, wg, kk, dyg, g.tout, 0.0f,
            dc + (size_t) gr * kk * g.tout, g.tout);
    }
    if (dx && !pointwise)
      conv1d_col2im (l, &g, dcol, dx->data + (size_t) n * l->cin * g.tin);
  }
  gc_free (col);
  return 0;
}

/* ---- streaming ------------------------------------------------------------ */

int
gc_conv1d_state_init (gc_conv1d_state *s, const gc_conv1d *l, int n)
{
  memset (s, 0, sizeof *s);
  if (n <= 0 || l->cin <= 0) {
    gc_set_error ("conv1d state: bad batch %d", n);
    return -1;
  }
  s->n = n;
  s->cin = l->cin;
  s->len = (l->k - 1) * l->dilation;
  s->hist = gc_alloc ((size_t) n * l->cin * (s->len ? s->len : 1)
      * sizeof (float));
  if (!s->hist) {
    gc_set_error ("conv1d state: out of memory");
    return -1;
  }
  return 0;
}

void
gc_conv1d_state_reset (gc_conv1d_state *s)
{
  if (s->hist)
    memset (s->hist, 0, (size_t) s->n * s->cin * s->len * sizeof (float));
}

void
gc_conv1d_state_free (gc_conv1d_state *s)
{
  gc_free (s->hist);
  gc_free (s->scratch);
  s->hist = s->scratch = NULL;
  s->scratch_cap = 0;
}

/* Each call convolves [history | new frames] without padding, so a causal
 * layer gives exactly the whole-signal output. A symmetric stride-1 layer
 * streamed this way yields the whole-signal output delayed by pad frames. */
int
gc_conv1d_stream (gc_conv1d *l, gc_conv1d_state *s, const gc_tensor *x,
    gc_tensor *y)
{
  GC_CHECK_SHAPE (x && x->data && s && s->hist && l->weight.w && y && y != x,
      "conv1d stream: missing input, state or weights, or an output "
      "aliasing the input");
  GC_CHECK_SHAPE (l->stride == 1 && x->n == s->n && x->c == l->cin
      && x->h == 1 && s->cin == l->cin
      && s->len == (l->k - 1) * l->dilation,
      "conv1d stream: needs stride 1 and a state for %d x %d channels, got "
      "input %dx%dx%dx%d", s->n, s->cin, x->n, x->c, x->h, x->w);
  int t = x->w, len = s->len, tin = len + t;
  if (gc_tensor_resize (y, x->n, l->cout, 1, t) < 0)
    return -1;
  /* ext and col in the state's scratch, each 64-byte aligned; it only
   * grows, so a stream of same-sized calls (real-time audio) allocates
   * nothing after the first */
  size_t next = ((size_t) l->cin * tin + 15) & ~(size_t) 15;
  size_t need = next + (size_t) l->cin * l->k * t;
  if (s->scratch_cap < need) {
    gc_free (s->scratch);
    s->scratch = scratch_floats (need);
    s->scratch_cap = s->scratch ? need : 0;
    GC_CHECK_ALLOC (s->scratch, "conv1d stream: out of memory");
  }
  float *ext = s->scratch, *col = s->scratch + next;
  conv1d_geom g = { tin, 0, t };
  for (int n = 0; n < x->n; n++) {
    float *hist = s->hist + (size_t) n * l->cin * len;
    const float *xs = x->data + (size_t) n * l->cin * t;
    for (int c = 0; c < l->cin; c++) {
      memcpy (ext + (size_t) c * tin, hist + (size_t) c * len,
          len * sizeof (float));
      memcpy (ext + (size_t) c * tin + len, xs + (size_t) c * t,
          t * sizeof (float));
    }
    conv1d_item_forward (l, &g, ext, col,
        y->data + (size_t) n * l->cout * t, 1);
    for (int c = 0; c < l->cin; c++)
      memcpy (hist + (size_t) c * len, ext + (size_t) c * tin + t,
          len * sizeof (float));
  }
  return 0;
}
