/* libgancore — spectral normalisation (Miyato et al. 2018).
 * sigma = u^T W v from power iteration; the layer runs with W / sigma.
 * The gradient treats u and v as constants, as the paper (and PyTorch) do:
 *   dL/dW = (G - <G, W/sigma> u v^T) / sigma,   G = dL/d(W/sigma).
 * Each apply/restore pair converts only the gradient accumulated between
 * them, so one layer can run several apply/forward/backward/restore rounds
 * (a discriminator on real, then on fake) in one step. */
#include "gc_layers.h"

#include <math.h>
#include <string.h>

int
gc_specnorm_init (gc_specnorm *sn, const gc_param *weight, gc_rng *r)
{
  memset (sn, 0, sizeof *sn);
  if (!weight || !weight->w || weight->n == 0 || weight->shape[0] <= 0) {
    gc_set_error ("specnorm: no weight");
    return -1;
  }
  sn->rows = weight->shape[0];
  sn->cols = (int) (weight->n / (size_t) sn->rows);
  sn->power_iters = 1;
  sn->sigma = 1.0f;
  sn->u = gc_alloc (sn->rows * sizeof (float));
  sn->v = gc_alloc (sn->cols * sizeof (float));
  sn->w_orig = gc_alloc (weight->n * sizeof (float));
  sn->g_sn = gc_alloc (weight->n * sizeof (float));
  if (!sn->u || !sn->v || !sn->w_orig || !sn->g_sn) {
    gc_specnorm_free (sn);
    gc_set_error ("specnorm: out of memory");
    return -1;
  }
  gc_rng local;
  if (!r) {
    gc_rng_seed (&local, 0x5eed);
    r = &local;
  }
  gc_rng_fill_normal (r, sn->u, sn->rows, 0.0f, 1.0f);
  gc_rng_fill_normal (r, sn->v, sn->cols, 0.0f, 1.0f);
  /* normalise u and v */
  double s = 0.0;
  for (int i = 0; i < sn->rows; i++)
    s += (double) sn->u[i] * sn->u[i];
  for (int i = 0; i < sn->rows; i++)
    sn->u[i] = (float) (sn->u[i] / (sqrt (s) + 1e-12));
  s = 0.0;
  for (int j = 0; j < sn->cols; j++)
    s += (double) sn->v[j] * sn->v[j];
  for (int j = 0; j < sn->cols; j++)
    sn->v[j] = (float) (sn->v[j] / (sqrt (s) + 1e-12));
  return 0;
}

void
gc_specnorm_free (gc_specnorm *sn)
{
  gc_free (sn->u);
  gc_free (sn->v);
  gc_free (sn->w_orig);
  gc_free (sn->g_sn);
  sn->u = sn->v = sn->w_orig = sn->g_sn = NULL;
}

static int
specnorm_matches (const gc_specnorm *sn, const gc_param *weight)
{
  if (!sn->u || !weight || !weight->w
      || weight->n != (size_t) sn->rows * sn->cols) {
    gc_set_error ("specnorm: weight does not match the %d x %d state",
        sn->rows, sn->cols);
    return 0;
  }
  return 1;
}

/* x <- x / ||x|| (eps keeps a zero matrix finite) */
static void
normalise (float *x, int n)
{
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += (double) x[i] * x[i];
  float k = (float) (1.0 / (sqrt (s) + 1e-12));
  for (int i = 0; i < n; i++)
    x[i] *= k;
}

void
gc_specnorm_apply (gc_specnorm *sn, gc_param *weight, int update_u)
{
  if (!specnorm_matches (sn, weight))
    return;
  const float *w = weight->w;
  int rows = sn->rows, cols = sn->cols;
  for (int it = 0; update_u && it < (sn->power_iters > 0 ? sn->power_iters
          : 1); it++) {
    /* v = W^T u / |.|, u = W v / |.| */
    memset (sn->v, 0, cols * sizeof (float));
    for (int i = 0; i < rows; i++) {
      float ui = sn->u[i];
      const float *wr = w + (size_t) i * cols;
      for (int j = 0; j < cols; j++)
        sn->v[j] += ui * wr[j];
    }
    normalise (sn->v, cols);
    for (int i = 0; i < rows; i++) {
      const float *wr = w + (size_t) i * cols;
      double s = 0.0;
      for (int j = 0; j < cols; j++)
        s += (double) wr[j] * sn->v[j];
      sn->u[i] = (float) s;
    }
    normalise (sn->u, rows);
  }
  double sigma = 0.0;
  for (int i = 0; i < rows; i++) {
    const float *wr = w + (size_t) i * cols;
    double s = 0.0;
    for (int j = 0; j < cols; j++)
      s += (double) wr[j] * sn->v[j];
    sigma += sn->u[i] * s;
  }
  if (!(sigma > 1e-12))
    sigma = 1e-12;   /* a zero weight stays zero instead of becoming NaN */
  sn->sigma = (float) sigma;
  memcpy (sn->w_orig, w, weight->n * sizeof (float));
  /* Set aside the gradient accumulated so far (already w.r.t. the raw W):
   * restore converts only what this forward/backward adds. */
  if (weight->g) {
    memcpy (sn->g_sn, weight->g, weight->n * sizeof (float));
    memset (weight->g, 0, weight->n * sizeof (float));
  }
  float inv = (float) (1.0 / sigma);
  for (size_t i = 0; i < weight->n; i++)
    weight->w[i] *= inv;
}

void
gc_specnorm_restore (gc_specnorm *sn, gc_param *weight)
{
  if (!specnorm_matches (sn, weight))
    return;
  int rows = sn->rows, cols = sn->cols;
  if (weight->g) {
    /* <G, W_sn>, with W_sn still in weight->w */
    double dot = 0.0;
    for (size_t i = 0; i < weight->n; i++)
      dot += (double) weight->g[i] * weight->w[i];
    float inv = 1.0f / sn->sigma, k = (float) dot;
    for (int i = 0; i < rows; i++) {
      float *gr = weight->g + (size_t) i * cols;
      float ku = k * sn->u[i];
      for (int j = 0; j < cols; j++)
        gr[j] = (gr[j] - ku * sn->v[j]) * inv;
    }
    for (size_t i = 0; i < weight->n; i++)
      weight->g[i] += sn->g_sn[i];
  }
  memcpy (weight->w, sn->w_orig, weight->n * sizeof (float));
}
