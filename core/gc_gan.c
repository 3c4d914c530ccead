/* libgancore — GAN objectives on critic scores, and the coefficients of
 * gradient penalties (WGAN-GP, R1). */
#include "gc_train.h"
#include "gc_sigmoid.h"

#include <math.h>
#include <string.h>

/* log(1 + e^a) without overflow or loss of precision for large |a|. */
static inline double
softplus (double a)
{
  return a > 0.0 ? a + log1p (exp (-a)) : log1p (exp (a));
}

/* Mean of one term over n scores. sign +1: the score should be high
 * (real for D, fake for G), -1: low. */
static double
gan_term (gc_gan_loss t, const float *d, int n, int want_high, float *g)
{
  if (!d || n <= 0)
    return 0.0;
  double sum = 0.0;
  float inv = 1.0f / (float) n;
  for (int i = 0; i < n; i++) {
    float s = d[i], gi = 0.0f;
    switch (t) {
      case GC_GAN_NS:
        /* -log σ(s) = softplus(-s) ; -log(1 - σ(s)) = softplus(s) */
        if (want_high) {
          sum += softplus (-s);
          gi = -gc_sigmoidf (-s);
        } else {
          sum += softplus (s);
          gi = gc_sigmoidf (s);
        }
        break;
      case GC_GAN_LSGAN:{
        float e = want_high ? s - 1.0f : s;
        sum += (double) e * e;
        gi = 2.0f * e;
        break;
      }
      case GC_GAN_HINGE:
        if (want_high) {
          if (s < 1.0f) {
            sum += 1.0 - s;
            gi = -1.0f;
          }
        } else if (s > -1.0f) {
          sum += 1.0 + s;
          gi = 1.0f;
        }
        break;
      case GC_GAN_WGAN:
      default:
        sum += want_high ? -s : s;
        gi = want_high ? -1.0f : 1.0f;
        break;
    }
    if (g)
      g[i] = gi * inv;
  }
  return sum / n;
}

float
gc_gan_d_loss (gc_gan_loss t, const float *d_real, int n_real,
    const float *d_fake, int n_fake, float *g_real, float *g_fake)
{
  double l = gan_term (t, d_real, n_real, 1, g_real);
  l += gan_term (t, d_fake, n_fake, 0, g_fake);
  return (float) l;
}

float
gc_gan_g_loss (gc_gan_loss t, const float *d_fake, int n, float *g_fake)
{
  /* hinge and WGAN generators both maximise the raw score */
  gc_gan_loss gt = t == GC_GAN_HINGE ? GC_GAN_WGAN : t;
  return (float) gan_term (gt, d_fake, n, 1, g_fake);
}

int
gc_gan_loss_from_name (const char *name)
{
  static const struct { const char *name; gc_gan_loss t; } names[] = {
    { "ns", GC_GAN_NS }, { "lsgan", GC_GAN_LSGAN },
    { "hinge", GC_GAN_HINGE }, { "wgan", GC_GAN_WGAN },
  };
  if (!name)
    return -1;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp (name, names[i].name) == 0)
      return names[i].t;
  return -1;
}

float
gc_gp_coef (const float *g, int n, int dim, float target, float *coef_u)
{
  if (!g || n <= 0 || dim <= 0)
    return 0.0f;
  double sum = 0.0;
  for (int i = 0; i < n; i++) {
    const float *gi = g + (size_t) i * dim;
    double sq = 0.0;
    for (int j = 0; j < dim; j++)
      sq += (double) gi[j] * gi[j];
    double norm = sqrt (sq), e = norm - target;
    sum += e * e;
    if (coef_u) {
      /* at g = 0 the norm has no gradient: take 0 (a subgradient) */
      double k = norm > 0.0 ? 2.0 * e / norm / n : 0.0;
      for (int j = 0; j < dim; j++)
        coef_u[(size_t) i * dim + j] = (float) (k * gi[j]);
    }
  }
  return (float) (sum / n);
}

float
gc_r1_coef (const float *g, int n, int dim, float gamma, float *coef_u)
{
  if (!g || n <= 0 || dim <= 0)
    return 0.0f;
  double sum = 0.0;
  for (size_t i = 0; i < (size_t) n * dim; i++) {
    sum += (double) g[i] * g[i];
    if (coef_u)
      coef_u[i] = gamma * g[i] / n;
  }
  return (float) (0.5 * gamma * sum / n);
}
