/* The super-resolution generator: construction, model binding, training
 * passes and the streaming row-by-row inference. */
#include "gcn_superres.h"
#include "gcn_resize.h"
#include "gc_threads.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- construction -------------------------------------------------------- */

static int
mirror_index (int i, int n)
{
  int period = 2 * n;
  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - 1 - i;
}

/* Set the skip to MATLAB's bicubic upscale by r: output phase (i, j) of
 * low-res pixel p reads taps p-2..p+2 with cubic weights at
 * (phase + 0.5) / r - 0.5 - d. */
static void
skip_init_bicubic (gcn_superres *n)
{
  int r = n->scale;
  float tap[4][5];
  for (int ph = 0; ph < r; ph++) {
    double off = (ph + 0.5) / r - 0.5;
    double sum = 0.0;
    for (int d = -2; d <= 2; d++) {
      double x = fabs (off - d), v;
      if (x <= 1.0)
        v = 1.5 * x * x * x - 2.5 * x * x + 1.0;
      else if (x <= 2.0)
        v = -0.5 * x * x * x + 2.5 * x * x - 4.0 * x + 2.0;
      else
        v = 0.0;
      tap[ph][d + 2] = (float) v;
      sum += v;
    }
    for (int k = 0; k < 5; k++)
      tap[ph][k] /= (float) sum;
  }
  float *w = n->skip.weight.w;
  for (int i = 0; i < r; i++)
    for (int j = 0; j < r; j++)
      for (int ky = 0; ky < 5; ky++)
        for (int kx = 0; kx < 5; kx++)
          w[((i * r + j) * 5 + ky) * 5 + kx] = tap[i][ky] * tap[j][kx];
  if (n->skip.has_bias)
    memset (n->skip.bias.w, 0, sizeof (float) * n->skip.bias.n);
}

int
gcn_superres_init (gcn_superres *n, int scale, int channels, int n_mid,
    gc_rng *r)
{
  memset (n, 0, sizeof (*n));
  if (scale < 2 || scale > 4 || channels < 1 || channels > 64 || n_mid < 0
      || n_mid > GCN_SUPERRES_MAX_MID) {
    gc_set_error ("superres: unsupported architecture scale=%d channels=%d "
        "mid=%d", scale, channels, n_mid);
    return -1;
  }
  gc_rng local;
  if (!r) {
    gc_rng_seed (&local, 1);
    r = &local;
  }
  n->scale = scale;
  n->channels = channels;
  n->n_mid = n_mid;
  int rr = scale * scale;
  char name[GC_MAX_NAME];
  if (gc_conv2d_init (&n->head, "head", 1, channels, 3, 1, 0, 1, 1, 1, r)
      || gc_prelu_init (&n->head_act, "head_act", channels, 0.25f))
    goto fail;
  for (int i = 0; i < n_mid; i++) {
    snprintf (name, sizeof (name), "mid%d", i);
    if (gc_conv2d_init (&n->mid[i], name, channels, channels, 3, 1, 1, 1, 1,
            1, r))
      goto fail;
    snprintf (name, sizeof (name), "mid%d_act", i);
    if (gc_prelu_init (&n->mid_act[i], name, channels, 0.25f))
      goto fail;
  }
  if (gc_conv2d_init (&n->tail, "tail", channels, rr, 3, 1, 1, 1, 1, 1, r)
      || gc_conv2d_init (&n->skip, "skip", 1, rr, 5, 1, 0, 1, 1, 1, r))
    goto fail;

  /* Kaiming for the PReLU layers, a small tail: training starts at
   * bicubic and the residual grows from there. */
  gc_init_kaiming (&n->head.weight, 9, 0.25f, r);
  gc_init_const (&n->head.bias, 0.f);
  for (int i = 0; i < n_mid; i++) {
    gc_init_kaiming (&n->mid[i].weight, 9 * channels, 0.25f, r);
    gc_init_const (&n->mid[i].bias, 0.f);
  }
  gc_init_kaiming (&n->tail.weight, 9 * channels, 1.f, r);
  for (size_t i = 0; i < n->tail.weight.n; i++)
    n->tail.weight.w[i] *= 0.1f;
  gc_init_const (&n->tail.bias, 0.f);
  skip_init_bicubic (n);

  gc_conv2d_params (&n->head, &n->params);
  gc_prelu_params (&n->head_act, &n->params);
  for (int i = 0; i < n_mid; i++) {
    gc_conv2d_params (&n->mid[i], &n->params);
    gc_prelu_params (&n->mid_act[i], &n->params);
  }
  gc_conv2d_params (&n->tail, &n->params);
  gc_conv2d_params (&n->skip, &n->params);
  return 0;

fail:
  gcn_superres_free (n);
  return -1;
}

void
gcn_superres_free (gcn_superres *n)
{
  gc_conv2d_free (&n->head);
  gc_prelu_free (&n->head_act);
  for (int i = 0; i < GCN_SUPERRES_MAX_MID; i++) {
    gc_conv2d_free (&n->mid[i]);
    gc_prelu_free (&n->mid_act[i]);
  }
  gc_conv2d_free (&n->tail);
  gc_conv2d_free (&n->skip);
  gc_param_list_free (&n->params);
  memset (n, 0, sizeof (*n));
}

int
gcn_superres_load (gcn_superres *n, const gc_model_file *m,
    int want_scale)
{
  memset (n, 0, sizeof (*n));
  const char *src = m && m->source ? m->source : "<model>";
  if (!m || gc_model_check_arch (m, GCN_SUPERRES_ARCH) < 0) {
    gc_set_error ("%s: not a super-resolution model (arch %s expected)",
        src, GCN_SUPERRES_ARCH);
    return -1;
  }
  int scale = gc_model_meta_get_int (m, "scale", 0);
  int channels = gc_model_meta_get_int (m, "channels", 0);
  int n_mid = gc_model_meta_get_int (m, "mid", -1);
  if (want_scale > 0 && scale != want_scale) {
    gc_set_error ("%s: model is for scale %d, not %d", src, scale,
        want_scale);
    return -1;
  }
  if (gcn_superres_init (n, scale, channels, n_mid, NULL) < 0) {
    gc_set_error ("%s: bad architecture (scale=%d channels=%d mid=%d)", src,
        scale, channels, n_mid);
    return -1;
  }
  if (gc_model_bind (m, &n->params) < 0) {
    gcn_superres_free (n);
    return -1;
  }
  return 0;
}

int
gcn_superres_meta (const gcn_superres *n, const char **kv, char *buf)
{
  snprintf (buf, 64, "%d%c%d%c%d", n->scale, 0, n->channels, 0, n->n_mid);
  char *scale = buf;
  char *channels = scale + strlen (scale) + 1;
  char *mid = channels + strlen (channels) + 1;
  int i = 0;
  kv[i++] = "arch";
  kv[i++] = GCN_SUPERRES_ARCH;
  kv[i++] = "scale";
  kv[i++] = scale;
  kv[i++] = "channels";
  kv[i++] = channels;
  kv[i++] = "mid";
  kv[i++] = mid;
  kv[i] = NULL;
  return i;
}

long
gcn_superres_macs_per_pixel (const gcn_superres *n)
{
  long c = n->channels, rr = (long) n->scale * n->scale;
  return 9 * c + n->n_mid * 9 * c * c + 9 * c * rr + 25 * rr;
}

/* ---- training -------------------------------------------------------------- */

void
gcn_superres_pad_mirror (const gc_tensor *x, int p, gc_tensor *y)
{
  int h = x->h, w = x->w, ph = h + 2 * p, pw = w + 2 * p;
  if (gc_tensor_resize (y, x->n, x->c, ph, pw) < 0)
    return;
  for (int nc = 0; nc < x->n * x->c; nc++) {
    const float *src = x->data + (size_t) nc * h * w;
    float *dst = y->data + (size_t) nc * ph * pw;
    for (int yy = 0; yy < ph; yy++) {
      const float *row = src + (size_t) mirror_index (yy - p, h) * w;
      for (int xx = 0; xx < pw; xx++)
        dst[(size_t) yy * pw + xx] = row[mirror_index (xx - p, w)];
    }
  }
}

void
gcn_superres_acts_free (gcn_superres_acts *c)
{
  gc_tensor_free (&c->xp2);
  gc_tensor_free (&c->xp1);
  for (int i = 0; i <= GCN_SUPERRES_MAX_MID; i++) {
    gc_tensor_free (&c->z[i]);
    gc_tensor_free (&c->a[i]);
  }
  gc_tensor_free (&c->tail_out);
  gc_tensor_free (&c->skip_out);
  gc_tensor_free (&c->dsum);
  gc_tensor_free (&c->da);
  gc_tensor_free (&c->dz);
}

int
gcn_superres_forward (gcn_superres *n, const gc_tensor *lr, gc_tensor *hr,
    gcn_superres_acts *c)
{
  gcn_superres_pad_mirror (lr, 2, &c->xp2);
  gcn_superres_pad_mirror (lr, 1, &c->xp1);
  if (gc_conv2d_forward (&n->head, &c->xp1, &c->z[0]) < 0
      || gc_prelu_forward (&n->head_act, &c->z[0], &c->a[0]) < 0)
    return -1;
  for (int i = 0; i < n->n_mid; i++)
    if (gc_conv2d_forward (&n->mid[i], &c->a[i], &c->z[i + 1]) < 0
        || gc_prelu_forward (&n->mid_act[i], &c->z[i + 1], &c->a[i + 1]) < 0)
      return -1;
  if (gc_conv2d_forward (&n->tail, &c->a[n->n_mid], &c->tail_out) < 0
      || gc_conv2d_forward (&n->skip, &c->xp2, &c->skip_out) < 0
      || gc_axpy (1.f, &c->skip_out, &c->tail_out) < 0)
    return -1;
  return gc_pixel_shuffle_forward (n->scale, &c->tail_out, hr);
}

int
gcn_superres_backward (gcn_superres *n, gcn_superres_acts *c,
    const gc_tensor *dhr)
{
  if (gc_pixel_shuffle_backward (n->scale, dhr, &c->dsum) < 0
      || gc_conv2d_backward (&n->skip, &c->xp2, &c->dsum, NULL) < 0
      || gc_conv2d_backward (&n->tail, &c->a[n->n_mid], &c->dsum, &c->da) < 0)
    return -1;
  for (int i = n->n_mid; i >= 1; i--)
    if (gc_prelu_backward (&n->mid_act[i - 1], &c->z[i], &c->da, &c->dz) < 0
        || gc_conv2d_backward (&n->mid[i - 1], &c->a[i - 1], &c->dz,
            &c->da) < 0)
      return -1;
  if (gc_prelu_backward (&n->head_act, &c->z[0], &c->da, &c->dz) < 0)
    return -1;
  return gc_conv2d_backward (&n->head, &c->xp1, &c->dz, NULL);
}

/* ---- inference ------------------------------------------------------------
 * Each worker owns a band of output rows and keeps, per hidden layer, a
 * ring of its last three output rows. A row of layer l is computed when
 * layer l+1 first needs it, so every row of every layer is computed once
 * per band and the working set stays in cache.
 *
 * Rows are stored pixel-major ([w + 2][C], zero pixels at both ends for the
 * hidden layers' zero padding): then the taps of one kernel row over all
 * input channels are contiguous, and a convolution is a small direct
 * kernel — broadcast one input value, multiply-add it into 8 output
 * channels at a time — with no im2col copy and no GEMM packing, which cost
 * more than the arithmetic at these channel counts. */

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define SR_SIMD 1
#endif

#define SR_LANES 8

static inline int
round_lanes (int c)
{
  return (c + SR_LANES - 1) / SR_LANES * SR_LANES;
}

/* One convolution row: for pixels [0, w)
 *   out[px][co] = init + sum_{ky < k, j < kc} rows[ky][px cin + j] wt[ky kc + j][co]
 * with kc = k cin (the taps of one kernel row, contiguous), co < cp.
 * init is bias[co] (bias != NULL) or out's own value (accumulate).
 * slope != NULL applies a PReLU. */
typedef struct {
  const float *const *rows;
  int k, cin, cp, w;
  const float *wt, *bias, *slope;
  float *out;
  int pstride, kc;          /* 0: cin and k cin (see the paired tail) */
} conv_row_args;

static void
conv_row_scalar (const conv_row_args *a, int px0)
{
  int kc = a->kc, ps = a->pstride;
  for (int px = px0; px < a->w; px++) {
    float *o = a->out + (size_t) px * a->cp;
    for (int co = 0; co < a->cp; co++) {
      float acc = a->bias ? a->bias[co] : o[co];
      for (int ky = 0; ky < a->k; ky++) {
        const float *x = a->rows[ky] + (size_t) px * ps;
        const float *wk = a->wt + (size_t) ky * kc * a->cp + co;
        for (int j = 0; j < kc; j++)
          acc += x[j] * wk[(size_t) j * a->cp];
      }
      if (a->slope && acc < 0.f)
        acc *= a->slope[co];
      o[co] = acc;
    }
  }
}

#ifdef SR_SIMD
/* P pixels x NB groups of 8 output channels held in registers. */
static inline __attribute__ ((always_inline)) void
conv_block (const conv_row_args *a, const int NB, const int P, int px)
{
  __m256 acc[8][4];
  int kc = a->kc, cp = a->cp, ps = a->pstride;
  for (int p = 0; p < P; p++)
    for (int nb = 0; nb < NB; nb++)
      acc[p][nb] = a->bias ? _mm256_loadu_ps (a->bias + nb * 8)
          : _mm256_loadu_ps (a->out + (size_t) (px + p) * cp + nb * 8);
  for (int ky = 0; ky < a->k; ky++) {
    const float *x = a->rows[ky] + (size_t) px * ps;
    const float *wk = a->wt + (size_t) ky * kc * cp;
    for (int j = 0; j < kc; j++) {
      __m256 wv[4];
      for (int nb = 0; nb < NB; nb++)
        wv[nb] = _mm256_loadu_ps (wk + (size_t) j * cp + nb * 8);
      for (int p = 0; p < P; p++) {
        __m256 xb = _mm256_broadcast_ss (x + p * ps + j);
        for (int nb = 0; nb < NB; nb++)
          acc[p][nb] = _mm256_fmadd_ps (xb, wv[nb], acc[p][nb]);
      }
    }
  }
  for (int nb = 0; nb < NB; nb++) {
    __m256 s = a->slope ? _mm256_loadu_ps (a->slope + nb * 8)
        : _mm256_set1_ps (1.f);
    __m256 zero = _mm256_setzero_ps ();
    for (int p = 0; p < P; p++) {
      __m256 v = acc[p][nb];
      if (a->slope)
        v = _mm256_add_ps (_mm256_max_ps (v, zero),
            _mm256_mul_ps (s, _mm256_min_ps (v, zero)));
      _mm256_storeu_ps (a->out + (size_t) (px + p) * cp + nb * 8, v);
    }
  }
}

/* Register budget: P * NB accumulators + NB weights <= 16 ymm. */
#define SR_ROW_KERNEL(NB, P) \
  static void conv_row_##NB (const conv_row_args *a) { \
    int px = 0; \
    for (; px + P <= a->w; px += P) \
      conv_block (a, NB, P, px); \
    for (; px < a->w; px++) \
      conv_block (a, NB, 1, px); \
  }
SR_ROW_KERNEL (1, 8)
SR_ROW_KERNEL (2, 6)
SR_ROW_KERNEL (3, 4)
SR_ROW_KERNEL (4, 3)
#endif

static void
conv_row (conv_row_args *a)
{
  if (!a->pstride)
    a->pstride = a->cin;
  if (!a->kc)
    a->kc = a->k * a->cin;
#ifdef SR_SIMD
  switch (a->cp) {
    case 8: conv_row_1 (a); return;
    case 16: conv_row_2 (a); return;
    case 24: conv_row_3 (a); return;
    case 32: conv_row_4 (a); return;
    default: break;
  }
#endif
  conv_row_scalar (a, 0);
}

typedef struct {
  gcn_superres *n;
  const float *pad;         /* input mirrored by 2: (w+4) x (h+4) */
  int w, h, pw;
  float *dst;               /* float output, or NULL ... */
  uint8_t *dst_u8;          /* ... 8-bit output */
  int dst_stride;
  int ct;                   /* tail channels rounded up to the lanes */
  /* Packed weights [(ky k + kx) cin + ci][cout]: */
  float *head_w;            /* [9][C] */
  float *mid_w[GCN_SUPERRES_MAX_MID];   /* [9 C][C] */
  float *tail_w, *skip_w, *tail_b;      /* [9 C][ct], [25][ct], [ct] */
  /* x2 (4 phases): two output pixels per 8 lanes, see pack_paired. */
  int paired;
  float *tail_w2, *skip_w2, *tail_b2;   /* [3][4 C][8], [5][6][8], [8] */
  int bands;
  int failed;
} run_ctx;

typedef struct {
  const run_ctx *ctx;
  float *ring[GCN_SUPERRES_MAX_MID + 1];
  int next[GCN_SUPERRES_MAX_MID + 1];
  float *zero_row;          /* (w+3) x C zeros: rows outside the image */
  float *out;               /* tail output of one row: w x ct */
} band_state;

static inline float *
ring_row (band_state *b, int l, int q)
{
  const run_ctx *x = b->ctx;
  if (q < 0 || q >= x->h)
    return b->zero_row;
  size_t row = (size_t) x->n->channels * (x->w + 3);
  return b->ring[l] + (q % 3) * row;
}

/* Row pointers of the mirrored input for a k x k kernel around row q. */
static void
input_rows (const run_ctx *x, int q, int k, const float **rows)
{
  int off = 2 - k / 2;
  for (int ky = 0; ky < k; ky++)
    rows[ky] = x->pad + (size_t) (q + off + ky) * x->pw + off;
}

static void ensure_row (band_state *b, int l, int q);

static void
compute_row (band_state *b, int l, int q)
{
  const run_ctx *x = b->ctx;
  gcn_superres *n = x->n;
  int c = n->channels;
  const float *rows[3];
  conv_row_args a = { rows, 3, c, c, x->w, NULL, NULL, NULL,
    ring_row (b, l, q) + c };
  if (l == 0) {
    input_rows (x, q, 3, rows);
    a.cin = 1;
    a.wt = x->head_w;
    a.bias = n->head.bias.w;
    a.slope = n->head_act.slope.w;
  } else {
    ensure_row (b, l - 1, q + 1);
    for (int ky = 0; ky < 3; ky++)
      rows[ky] = ring_row (b, l - 1, q - 1 + ky);
    a.wt = x->mid_w[l - 1];
    a.bias = n->mid[l - 1].bias.w;
    a.slope = n->mid_act[l - 1].slope.w;
  }
  conv_row (&a);
}

static void
ensure_row (band_state *b, int l, int q)
{
  if (q >= b->ctx->h)
    q = b->ctx->h - 1;
  while (b->next[l] <= q) {
    compute_row (b, l, b->next[l]);
    b->next[l]++;
  }
}

static void
run_band (void *vctx, int begin, int end, int worker)
{
  run_ctx *x = vctx;
  gcn_superres *n = x->n;
  int w = x->w, c = n->channels, r = n->scale, ct = x->ct;
  int layers = n->n_mid + 1;
  /* One zero pixel left, two right: the paired tail reads one past w + 1. */
  size_t row_floats = (size_t) c * (w + 3);
  band_state b = { .ctx = x };
  /* calloc-like: the end pixels of every ring row stay zero. */
  float *mem = gc_alloc (sizeof (float) * (row_floats * (3 * layers + 1)
          + (size_t) ct * (w + 1)));
  if (!mem) {
    x->failed = 1;
    return;
  }
  for (int l = 0; l < layers; l++)
    b.ring[l] = mem + 3 * row_floats * l;
  b.zero_row = mem + 3 * row_floats * layers;
  b.out = b.zero_row + row_floats;

  for (int band = begin; band < end; band++) {
    int y0 = (int) ((long) x->h * band / x->bands);
    int y1 = (int) ((long) x->h * (band + 1) / x->bands);
    for (int l = 0; l < layers; l++) {
      int first = y0 - (layers - l);
      b.next[l] = first > 0 ? first : 0;
    }
    for (int y = y0; y < y1; y++) {
      ensure_row (&b, layers - 1, y + 1);
      const float *rows[5];
      for (int ky = 0; ky < 3; ky++)
        rows[ky] = ring_row (&b, layers - 1, y - 1 + ky);
      int pairs = (w + 1) / 2, step = ct;
      if (x->paired) {
        conv_row_args tail = { rows, 3, c, 8, pairs, x->tail_w2, x->tail_b2,
          NULL, b.out, 2 * c, 4 * c };
        conv_row (&tail);
        input_rows (x, y, 5, rows);
        conv_row_args skip = { rows, 5, 1, 8, pairs, x->skip_w2, NULL, NULL,
          b.out, 2, 6 };
        conv_row (&skip);
        step = 4;
      } else {
        conv_row_args tail = { rows, 3, c, ct, w, x->tail_w, x->tail_b, NULL,
          b.out, 0, 0 };
        conv_row (&tail);
        input_rows (x, y, 5, rows);
        conv_row_args skip = { rows, 5, 1, ct, w, x->skip_w, NULL, NULL,
          b.out, 0, 0 };
        conv_row (&skip);
      }
      /* Pixel shuffle: phase (i, j) of pixel xx lands at (y r + i, xx r + j). */
      for (int i = 0; i < r; i++) {
        if (x->dst_u8) {
          uint8_t *dst = x->dst_u8 + (size_t) (y * r + i) * x->dst_stride;
          for (int xx = 0; xx < w; xx++) {
            const float *src = b.out + (size_t) xx * step + i * r;
            for (int j = 0; j < r; j++) {
              float v = src[j] * 255.f;
              dst[xx * r + j] = v <= 0.f ? 0 : v >= 255.f ? 255
                  : (uint8_t) (v + 0.5f);
            }
          }
          continue;
        }
        float *dst = x->dst + (size_t) (y * r + i) * x->dst_stride;
        for (int xx = 0; xx < w; xx++) {
          const float *src = b.out + (size_t) xx * step + i * r;
          for (int j = 0; j < r; j++)
            dst[xx * r + j] = src[j];
        }
      }
    }
  }
  gc_free (mem);
}

/* weight [cout][cin][k][k] -> packed [(ky k + kx) cin + ci][cp], zero
 * columns beyond cout. */
static void
pack_weights (const gc_conv2d *l, int cp, float *dst)
{
  int k = l->kh, cin = l->cin;
  memset (dst, 0, sizeof (float) * (size_t) k * k * cin * cp);
  for (int co = 0; co < l->cout; co++)
    for (int ci = 0; ci < cin; ci++)
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
          dst[((size_t) (ky * k + kx) * cin + ci) * cp + co] =
              l->weight.w[((size_t) (co * cin + ci) * k + ky) * k + kx];
}

/* x2 has 4 output phases, half of an 8-lane vector. Two neighbouring
 * pixels p, p+1 together read k+1 input columns, contiguous in the
 * pixel-major rows, so one kernel pass with (k+1) cin taps fills lanes 0-3
 * with pixel p (taps kx = 0..k-1) and lanes 4-7 with p+1 (kx = 1..k): 3/4
 * of the multiply-adds are useful instead of 1/2. */
static void
pack_paired (const gc_conv2d *l, float *dst)
{
  int k = l->kh, cin = l->cin, kc = (k + 1) * cin;
  memset (dst, 0, sizeof (float) * (size_t) k * kc * 8);
  for (int ky = 0; ky < k; ky++)
    for (int kx2 = 0; kx2 <= k; kx2++)
      for (int ci = 0; ci < cin; ci++)
        for (int ph = 0; ph < 4; ph++) {
          float *d = dst + ((size_t) ky * kc + kx2 * cin + ci) * 8;
          if (kx2 < k)
            d[ph] = l->weight.w[((size_t) (ph * cin + ci) * k + ky) * k
                + kx2];
          if (kx2 >= 1)
            d[4 + ph] = l->weight.w[((size_t) (ph * cin + ci) * k + ky) * k
                + kx2 - 1];
        }
}

static int
superres_run (gcn_superres *n, const float *src, const uint8_t *src_u8,
    int w, int h, int src_stride, float *dst, uint8_t *dst_u8,
    int dst_stride)
{
  if (!n || n->scale < 2 || (!src && !src_u8) || (!dst && !dst_u8) || w < 1
      || h < 1 || src_stride < w || dst_stride < w * n->scale) {
    gc_set_error ("superres: bad arguments to gcn_superres_run");
    return -1;
  }
  int c = n->channels, rr = n->scale * n->scale, ct = round_lanes (rr);
  /* mirrored by 2 each side, plus one column the paired skip may read */
  int pw = w + 5, ph = h + 4;
  size_t wfloats = (size_t) 9 * c + (size_t) n->n_mid * 9 * c * c
      + (size_t) 9 * c * ct + 25 * ct + ct
      + (size_t) 3 * 4 * c * 8 + 5 * 6 * 8 + 8;
  float *pad = gc_alloc (sizeof (float) * (size_t) pw * ph);
  float *wmem = gc_alloc (sizeof (float) * wfloats);
  if (!pad || !wmem) {
    gc_free (pad);
    gc_free (wmem);
    gc_set_error ("superres: out of memory");
    return -1;
  }
  for (int yy = 0; yy < ph; yy++) {
    float *out = pad + (size_t) yy * pw;
    size_t row = (size_t) mirror_index (yy - 2, h) * src_stride;
    if (src_u8) {
      for (int xx = 0; xx < w; xx++)
        out[xx + 2] = src_u8[row + xx] * (1.f / 255.f);
    } else {
      memcpy (out + 2, src + row, sizeof (float) * w);
    }
    out[0] = out[2 + mirror_index (-2, w)];
    out[1] = out[2 + mirror_index (-1, w)];
    out[w + 2] = out[2 + mirror_index (w, w)];
    out[w + 3] = out[2 + mirror_index (w + 1, w)];
    out[w + 4] = out[w + 3];
  }

  run_ctx ctx = { .n = n, .pad = pad, .w = w, .h = h, .pw = pw, .dst = dst,
    .dst_u8 = dst_u8, .dst_stride = dst_stride, .ct = ct };
  float *p = wmem;
  ctx.head_w = p;
  pack_weights (&n->head, c, p);
  p += 9 * c;
  for (int i = 0; i < n->n_mid; i++) {
    ctx.mid_w[i] = p;
    pack_weights (&n->mid[i], c, p);
    p += (size_t) 9 * c * c;
  }
  ctx.tail_w = p;
  pack_weights (&n->tail, ct, p);
  p += (size_t) 9 * c * ct;
  ctx.skip_w = p;
  pack_weights (&n->skip, ct, p);
  p += 25 * ct;
  ctx.tail_b = p;
  for (int o = 0; o < ct; o++)
    p[o] = o < rr ? n->tail.bias.w[o] + n->skip.bias.w[o] : 0.f;
  p += ct;
  ctx.paired = rr == 4;
  if (ctx.paired) {
    ctx.tail_w2 = p;
    pack_paired (&n->tail, p);
    p += (size_t) 3 * 4 * c * 8;
    ctx.skip_w2 = p;
    pack_paired (&n->skip, p);
    p += 5 * 6 * 8;
    ctx.tail_b2 = p;
    for (int o = 0; o < 8; o++)
      p[o] = n->tail.bias.w[o & 3] + n->skip.bias.w[o & 3];
  }

  int threads = gc_current_threads ();
  /* One band per worker; more would only add halo rows. */
  ctx.bands = threads < h ? threads : h;
  gc_parallel_for (threads, ctx.bands, run_band, &ctx);
  gc_free (pad);
  gc_free (wmem);
  if (ctx.failed) {
    gc_set_error ("superres: out of memory");
    return -1;
  }
  return 0;
}

int
gcn_superres_run (gcn_superres *n, const float *src, int w, int h,
    int src_stride, float *dst, int dst_stride)
{
  return superres_run (n, src, NULL, w, h, src_stride, dst, NULL,
      dst_stride);
}

int
gcn_superres_run_u8 (gcn_superres *n, const uint8_t *src, int w, int h,
    int src_stride, uint8_t *dst, int dst_stride)
{
  return superres_run (n, NULL, src, w, h, src_stride, NULL, dst,
      dst_stride);
}
