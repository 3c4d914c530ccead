/* recipe_style — train the conditional style generator (gcn_style) for
 * every painting in images/styles at once.
 *
 * Losses, all without pretrained networks:
 *  - adversarial: hinge loss from a multi-scale PatchGAN conditioned on the
 *    style (gcn_style_disc), real = random crops of the painting;
 *  - style statistics: Gram matrices of a fixed random conv net at three
 *    scales plus the (centred) RGB second moments, compared with the
 *    painting's, as relative errors so every level weighs alike;
 *  - content: relative squared error of the random net's middle features
 *    of output and input;
 *  - temporal stability: the input shifted by up to one pixel plus a little
 *    noise must give the shifted output (both run in one batch).
 * The exported model is an exponential moving average of the generator.
 *
 * Settings: gt_style_settings below ("gan-train style --help"). */
#include "gt.h"
#include "gt_dist.h"
#include "recipes.h"
#include "gcn_style.h"
#include "gcn_style_disc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STYLES GCN_STYLE_MAX_STYLES
#define CONV_LEVELS 4           /* random-conv levels at 1, 1/2, 1/4, 1/8 */
#define FEAT_LEVELS (1 + CONV_LEVELS)   /* RGB + the conv levels */

/* ---- images kept as 8-bit planar RGB ------------------------------------- */

typedef struct {
  int w, h;
  unsigned char *px;            /* [3][h][w] */
} image8;

/* Halve by 2x2 averaging while still at least twice the target, then
 * bilinear to the exact size: cheap and free of aliasing enough for
 * training crops. */
static float *
resize_short_side (const float *rgb, int w, int h, int target, int *ow,
    int *oh)
{
  float *cur = malloc ((size_t) 3 * w * h * sizeof *cur);
  if (!cur)
    return NULL;
  memcpy (cur, rgb, (size_t) 3 * w * h * sizeof *cur);
  int cw = w, ch = h;
  while ((cw < ch ? cw : ch) >= 2 * target) {
    int nw = cw / 2, nh = ch / 2;
    float *nx = malloc ((size_t) 3 * nw * nh * sizeof *nx);
    if (!nx) {
      free (cur);
      return NULL;
    }
    for (int c = 0; c < 3; c++)
      for (int y = 0; y < nh; y++)
        for (int x = 0; x < nw; x++) {
          const float *s = cur + ((size_t) c * ch + 2 * y) * cw + 2 * x;
          nx[((size_t) c * nh + y) * nw + x] =
              0.25f * (s[0] + s[1] + s[cw] + s[cw + 1]);
        }
    free (cur);
    cur = nx;
    cw = nw;
    ch = nh;
  }
  double f = (double) target / (cw < ch ? cw : ch);
  int nw = (int) lround (cw * f), nh = (int) lround (ch * f);
  if (nw < 1)
    nw = 1;
  if (nh < 1)
    nh = 1;
  float *out = malloc ((size_t) 3 * nw * nh * sizeof *out);
  if (!out) {
    free (cur);
    return NULL;
  }
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < nh; y++) {
      float sy = (y + 0.5f) * ch / nh - 0.5f;
      int y0 = (int) floorf (sy);
      float fy = sy - y0;
      int ya = y0 < 0 ? 0 : y0, yb = y0 + 1 >= ch ? ch - 1 : y0 + 1;
      if (ya >= ch)
        ya = ch - 1;
      for (int x = 0; x < nw; x++) {
        float sx = (x + 0.5f) * cw / nw - 0.5f;
        int x0 = (int) floorf (sx);
        float fx = sx - x0;
        int xa = x0 < 0 ? 0 : x0, xb = x0 + 1 >= cw ? cw - 1 : x0 + 1;
        if (xa >= cw)
          xa = cw - 1;
        const float *p = cur + (size_t) c * cw * ch;
        float v = (1 - fy) * ((1 - fx) * p[ya * cw + xa] + fx * p[ya * cw + xb])
            + fy * ((1 - fx) * p[yb * cw + xa] + fx * p[yb * cw + xb]);
        out[((size_t) c * nh + y) * nw + x] = v;
      }
    }
  free (cur);
  *ow = nw;
  *oh = nh;
  return out;
}

/* Load an image and bring its short side to `target` (when min_side > 0 and
 * the image is smaller than min_side, or when it is larger than target). */
static int
load_image8 (gt_ctx *c, const char *path, int target, int min_side,
    image8 *img)
{
  float *rgb = NULL;
  int w, h;
  if (gt_load_image (c, path, &rgb, &w, &h) < 0)
    return -1;
  int s = w < h ? w : h;
  if (s > target || s < min_side) {
    int nw, nh;
    float *r = resize_short_side (rgb, w, h, s < min_side ? min_side : target,
        &nw, &nh);
    free (rgb);
    if (!r)
      return -1;
    rgb = r;
    w = nw;
    h = nh;
  }
  img->w = w;
  img->h = h;
  img->px = malloc ((size_t) 3 * w * h);
  if (!img->px) {
    free (rgb);
    return -1;
  }
  for (size_t i = 0; i < (size_t) 3 * w * h; i++) {
    float v = rgb[i] * 255.f + 0.5f;
    img->px[i] = v < 0 ? 0 : v > 255 ? 255 : (unsigned char) v;
  }
  free (rgb);
  return 0;
}

/* A random crop (with random horizontal flip) into item b of t. */
static void
random_crop (const image8 *img, gc_rng *r, gc_tensor *t, int b)
{
  int cs = t->h;
  int x0 = (int) (gc_rng_uniform (r) * (img->w - cs + 1));
  int y0 = (int) (gc_rng_uniform (r) * (img->h - cs + 1));
  int flip = gc_rng_uniform (r) < 0.5f;
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < cs; y++) {
      const unsigned char *src = img->px + ((size_t) c * img->h + y0 + y)
          * img->w + x0;
      float *dst = t->data + (((size_t) b * 3 + c) * cs + y) * cs;
      for (int x = 0; x < cs; x++)
        dst[x] = src[flip ? cs - 1 - x : x] * (1.f / 255.f);
    }
}

/* ---- fixed random feature net ------------------------------------------- */

/* Many fixed random filters at four scales: random shallow nets with
 * enough channels capture textures well (Ustyuzhaninov et al. 2017), and
 * the 1/8 level sees about 60 pixels, a brush stroke. */
typedef struct {
  gc_conv2d conv[CONV_LEVELS];
  /* activations: a0 = 2 (y - 0.5); f[l] = relu (conv (pool (f[l-1]))) */
  gc_tensor a0, z[CONV_LEVELS], p[CONV_LEVELS - 1];
  gc_tensor df[FEAT_LEVELS], g, gp;
} featnet;

static int
featnet_init (featnet *f, gc_rng *r)
{
  memset (f, 0, sizeof *f);
  static const int cin[CONV_LEVELS] = { 3, 32, 64, 96 };
  static const int cout[CONV_LEVELS] = { 32, 64, 96, 128 };
  for (int l = 0; l < CONV_LEVELS; l++) {
    char name[32];
    snprintf (name, sizeof name, "feat%d", l);
    if (gc_conv2d_init (&f->conv[l], name, cin[l], cout[l], 3, 1, 1, 1, 1, 0,
            r) < 0)
      return -1;
  }
  return 0;
}

static void
featnet_free (featnet *f)
{
  for (int l = 0; l < CONV_LEVELS; l++) {
    gc_conv2d_free (&f->conv[l]);
    gc_tensor_free (&f->z[l]);
  }
  gc_tensor_free (&f->a0);
  for (int l = 0; l < CONV_LEVELS - 1; l++)
    gc_tensor_free (&f->p[l]);
  for (int l = 0; l < FEAT_LEVELS; l++)
    gc_tensor_free (&f->df[l]);
  gc_tensor_free (&f->g);
  gc_tensor_free (&f->gp);
}

static void
relu_t (gc_tensor *t)
{
  size_t n = gc_tensor_size (t);
  for (size_t i = 0; i < n; i++)
    if (t->data[i] < 0.f)
      t->data[i] = 0.f;
}

static void
relu_mask_t (const gc_tensor *y, gc_tensor *g)
{
  size_t n = gc_tensor_size (g);
  for (size_t i = 0; i < n; i++)
    if (!(y->data[i] > 0.f))
      g->data[i] = 0.f;
}

/* Feature level l of the last forward: 0 = centred RGB. */
static const gc_tensor *
feat_level (featnet *f, int l)
{
  return l == 0 ? &f->a0 : &f->z[l - 1];
}

/* Items [b0, b0 + nb) of x, up to level `top` (1..CONV_LEVELS). */
static int
featnet_forward (featnet *f, const gc_tensor *x, int b0, int nb, int top)
{
  if (gc_tensor_resize (&f->a0, nb, 3, x->h, x->w) < 0)
    return -1;
  size_t n = gc_tensor_size (&f->a0);
  const float *src = x->data + (size_t) b0 * 3 * x->h * x->w;
  for (size_t i = 0; i < n; i++)
    f->a0.data[i] = 2.f * (src[i] - 0.5f);
  if (gc_conv2d_forward (&f->conv[0], &f->a0, &f->z[0]) < 0)
    return -1;
  relu_t (&f->z[0]);
  for (int l = 1; l < top; l++) {
    if (gc_avgpool2_forward (&f->z[l - 1], &f->p[l - 1]) < 0
        || gc_conv2d_forward (&f->conv[l], &f->p[l - 1], &f->z[l]) < 0)
      return -1;
    relu_t (&f->z[l]);
  }
  return 0;
}

/* Zero the per-level gradients (shaped like the last forward). */
static void
featnet_zero_grads (featnet *f)
{
  for (int l = 0; l < FEAT_LEVELS; l++) {
    const gc_tensor *t = feat_level (f, l);
    gc_tensor_resize (&f->df[l], t->n, t->c, t->h, t->w);
    gc_tensor_zero (&f->df[l]);
  }
}

/* Backward from f->df[] to dL/dx, added into items [b0, b0+nb) of dx. */
static int
featnet_backward (featnet *f, gc_tensor *dx, int b0)
{
  for (int l = CONV_LEVELS - 1; l >= 1; l--) {
    relu_mask_t (&f->z[l], &f->df[l + 1]);
    if (gc_conv2d_backward (&f->conv[l], &f->p[l - 1], &f->df[l + 1],
            &f->g) < 0
        || gc_avgpool2_backward (&f->z[l - 1], &f->g, &f->gp) < 0
        || gc_axpy (1.f, &f->gp, &f->df[l]) < 0)
      return -1;
  }
  relu_mask_t (&f->z[0], &f->df[1]);
  if (gc_conv2d_backward (&f->conv[0], &f->a0, &f->df[1], &f->g) < 0
      || gc_axpy (1.f, &f->g, &f->df[0]) < 0)
    return -1;
  size_t n = gc_tensor_size (&f->df[0]);
  float *d = dx->data + (size_t) b0 * 3 * dx->h * dx->w;
  for (size_t i = 0; i < n; i++)
    d[i] += 2.f * f->df[0].data[i];
  /* the feature net is fixed: drop the parameter gradients it gathered */
  for (int l = 0; l < CONV_LEVELS; l++)
    gc_param_zero_grad (&f->conv[l].weight);
  return 0;
}

/* Gram matrices G_b = F_b F_b^T / P of every item: out [n][C][C]. */
static void
gram (const gc_tensor *t, float *out)
{
  int C = t->c, P = t->h * t->w;
  for (int b = 0; b < t->n; b++) {
    const float *F = t->data + (size_t) b * C * P;
    gc_sgemm (0, 1, C, C, P, 1.f / P, F, P, F, P, 0.f, out + (size_t) b * C * C,
        C);
  }
}

/* ---- losses ---------------------------------------------------------------- */

typedef struct {
  int styles, levels;
  int ch[FEAT_LEVELS];
  float *target[MAX_STYLES][FEAT_LEVELS];   /* C x C Gram of the painting */
  float norm[MAX_STYLES][FEAT_LEVELS];      /* its squared Frobenius norm */
} style_targets;

/* Relative Gram error summed over levels (mean over items); gradient into
 * f->df. */
static float
style_loss (featnet *f, style_targets *st, const int *cls, int nb, float w,
    float *scratch)
{
  float total = 0.f;
  for (int l = 0; l < FEAT_LEVELS; l++) {
    const gc_tensor *F = feat_level (f, l);
    int C = F->c, P = F->h * F->w;
    gram (F, scratch);
    for (int b = 0; b < nb; b++) {
      float *G = scratch + (size_t) b * C * C;
      const float *T = st->target[cls[b]][l];
      float inv = 1.f / st->norm[cls[b]][l], e = 0.f;
      for (int i = 0; i < C * C; i++) {
        float d = G[i] - T[i];
        e += d * d;
        G[i] = 2.f * d * inv * w / nb;          /* now dL/dG */
      }
      total += e * inv / nb;
      /* dF = (dG + dG^T) F / P = 2 dG F / P, dG symmetric */
      gc_sgemm (0, 0, C, P, C, 2.f / P, G, C, F->data + (size_t) b * C * P, P,
          1.f, f->df[l].data + (size_t) b * C * P, P);
    }
  }
  return total;
}

/* Content: relative squared error of level-2 features vs the input's
 * (given in ref, same shape). */
static float
content_loss (featnet *f, const gc_tensor *ref, float w)
{
  const gc_tensor *F = feat_level (f, 2);
  size_t per = (size_t) F->c * F->h * F->w;
  float total = 0.f;
  for (int b = 0; b < F->n; b++) {
    const float *y = F->data + b * per, *r = ref->data + b * per;
    float *g = f->df[2].data + b * per;
    double e = 0, nr = 1e-6;
    for (size_t i = 0; i < per; i++) {
      float d = y[i] - r[i];
      e += d * d;
      nr += r[i] * r[i];
    }
    float inv = (float) (1.0 / nr);
    for (size_t i = 0; i < per; i++)
      g[i] += 2.f * (y[i] - r[i]) * inv * w / F->n;
    total += (float) (e * inv) / F->n;
  }
  return total;
}

/* The shifted copy: item b of x2 = x shifted by (sx, sy) plus noise. */
static void
make_shifted (const gc_tensor *x, int b, int sx, int sy, float noise,
    gc_rng *r, gc_tensor *x2, int b2)
{
  int H = x->h, W = x->w;
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < H; y++) {
      int yy = y - sy < 0 ? 0 : y - sy >= H ? H - 1 : y - sy;
      const float *src = x->data + (((size_t) b * 3 + c) * H + yy) * W;
      float *dst = x2->data + (((size_t) b2 * 3 + c) * H + y) * W;
      for (int i = 0; i < W; i++) {
        int xx = i - sx < 0 ? 0 : i - sx >= W ? W - 1 : i - sx;
        float v = src[xx] + noise * gc_rng_normal (r);
        dst[i] = v < 0.f ? 0.f : v > 1.f ? 1.f : v;
      }
    }
}

/* L1 between y2(p) and y1(p - s) inside a margin; gradients into dy. */
static float
temporal_loss (const gc_tensor *y, int b1, int b2, int sx, int sy, float w,
    gc_tensor *dy, float nb)
{
  int H = y->h, W = y->w, m = 4;
  double e = 0;
  size_t count = (size_t) 3 * (H - 2 * m) * (W - 2 * m);
  float gscale = w / (float) count / nb;
  for (int c = 0; c < 3; c++)
    for (int py = m; py < H - m; py++) {
      const float *r1 = y->data + (((size_t) b1 * 3 + c) * H + py - sy) * W;
      const float *r2 = y->data + (((size_t) b2 * 3 + c) * H + py) * W;
      float *g1 = dy->data + (((size_t) b1 * 3 + c) * H + py - sy) * W;
      float *g2 = dy->data + (((size_t) b2 * 3 + c) * H + py) * W;
      for (int px = m; px < W - m; px++) {
        float d = r2[px] - r1[px - sx];
        e += fabsf (d);
        float s = d > 0.f ? gscale : d < 0.f ? -gscale : 0.f;
        g2[px] += s;
        g1[px - sx] -= s;
      }
    }
  return (float) (e / count) / nb;
}

/* ---- checkpoint state ------------------------------------------------------ */

typedef struct {
  gc_param *owned[3];
  int n_owned[3];
} adam_snapshot;

static void
snapshot_free (adam_snapshot *s)
{
  for (int k = 0; k < 3; k++) {
    for (int i = 0; i < s->n_owned[k]; i++)
      gc_param_free (&s->owned[k][i]);
    free (s->owned[k]);
    s->owned[k] = NULL;
    s->n_owned[k] = 0;
  }
}

/* The three optimisers: shared generator weights, per-style rows, critic. */
typedef struct {
  gc_adam g, c, d;
} optimisers;

static int
build_state (gc_param_list *state, gcn_style *g, gcn_style *ema,
    gcn_style_disc *d, optimisers *o, adam_snapshot *snap)
{
  memset (state, 0, sizeof *state);
  for (int i = 0; i < g->params.count; i++)
    gc_param_list_add (state, g->params.items[i]);
  for (int i = 0; i < ema->params.count; i++)
    gc_param_list_add (state, ema->params.items[i]);
  for (int i = 0; i < d->params.count; i++)
    gc_param_list_add (state, d->params.items[i]);
  if (gc_adam_state_export (&o->g, "adam_g", state, &snap->owned[0],
          &snap->n_owned[0]) < 0
      || gc_adam_state_export (&o->c, "adam_c", state, &snap->owned[1],
          &snap->n_owned[1]) < 0
      || gc_adam_state_export (&o->d, "adam_d", state, &snap->owned[2],
          &snap->n_owned[2]) < 0)
    return -1;
  return 0;
}

static void
ema_update (gcn_style *ema, gcn_style *g, float decay)
{
  for (int i = 0; i < g->params.count; i++) {
    gc_param *s = ema->params.items[i], *p = g->params.items[i];
    for (size_t k = 0; k < p->n; k++)
      s->w[k] = decay * s->w[k] + (1.f - decay) * p->w[k];
  }
}

static void
swap_weights (gcn_style *a, gcn_style *b)
{
  for (int i = 0; i < a->params.count; i++) {
    float *t = a->params.items[i]->w;
    a->params.items[i]->w = b->params.items[i]->w;
    b->params.items[i]->w = t;
  }
}

/* ---- the recipe ---------------------------------------------------------- */

static char *
style_name_from_path (const char *path)
{
  const char *base = strrchr (path, '/');
  base = base ? base + 1 : path;
  char *s = strdup (base);
  if (s) {
    char *dot = strrchr (s, '.');
    if (dot)
      *dot = '\0';
    for (char *p = s; *p; p++)      /* names are comma-separated in metadata */
      if (*p == ',')
        *p = '_';
  }
  return s;
}

const gt_setting gt_style_settings[] = {
  { "crop", GT_SETTING_INT, 128, NULL, "training crop size (>= 32)" },
  { "batch", GT_SETTING_INT, 4, NULL, "crops per step (1..64, global)" },
  { "style_size", GT_SETTING_INT, 320, NULL, "paintings are scaled to this "
        "short side" },
  { "content_max", GT_SETTING_INT, 400, NULL, "photos larger than this "
        "short side are scaled down" },
  { "lr_g", GT_SETTING_FLOAT, 5e-4, NULL, "generator learning rate "
        "(cosine to a tenth)" },
  { "lr_rows", GT_SETTING_FLOAT, 5e-3, NULL, "learning rate of the "
        "per-style rows (norms, skip gain)" },
  { "lr_d", GT_SETTING_FLOAT, 2e-4, NULL, "discriminator learning rate" },
  { "w_adv", GT_SETTING_FLOAT, 0.1, NULL, "weight of the adversarial loss" },
  { "w_style", GT_SETTING_FLOAT, 1, NULL, "weight of the style statistics" },
  { "w_content", GT_SETTING_FLOAT, 1, NULL, "weight of the content loss" },
  { "w_temporal", GT_SETTING_FLOAT, 4, NULL, "weight of the temporal "
        "stability loss (0: off)" },
  { "temporal_items", GT_SETTING_INT, NAN, NULL, "items of a batch that get "
        "a shifted copy (half the batch)" },
  { "noise", GT_SETTING_FLOAT, 0.02, NULL, "noise added to the shifted "
        "copy" },
  { "ema", GT_SETTING_FLOAT, 0.998, NULL, "decay of the exported moving "
        "average of the generator" },
  { "scales", GT_SETTING_INT, 2, NULL, "discriminator scales (1..3)" },
  { "gan", GT_SETTING_STR, 0, "hinge", "GAN loss: ns, lsgan, hinge or "
        "wgan" },
  { "d_ch", GT_SETTING_INT, 16, NULL, "discriminator's first layer width" },
  { "ch1", GT_SETTING_INT, NAN, NULL, "generator channels at 1/2 "
        "resolution (gcn_style_config default)" },
  { "ch2", GT_SETTING_INT, NAN, NULL, "generator channels at 1/4 "
        "resolution (default)" },
  { "blocks", GT_SETTING_INT, NAN, NULL, "residual blocks (default)" },
  { "head", GT_SETTING_INT, NAN, NULL, "generator head (default)" },
  { "export_every", GT_SETTING_INT, 0, NULL, "also export a model every N "
        "steps (0: never)" },
  { NULL }
};

int
gt_recipe_style (gt_ctx *c)
{
  const gt_setting *tab = gt_style_settings;
  int crop = (int) gt_setting_int (c, tab, "crop");
  int batch = (int) gt_setting_int (c, tab, "batch");
  int style_size = (int) gt_setting_int (c, tab, "style_size");
  int content_max = (int) gt_setting_int (c, tab, "content_max");
  float lr_g = (float) gt_setting_float (c, tab, "lr_g");
  float lr_d = (float) gt_setting_float (c, tab, "lr_d");
  float lr_rows = (float) gt_setting_float (c, tab, "lr_rows");
  float w_adv = (float) gt_setting_float (c, tab, "w_adv");
  float w_style = (float) gt_setting_float (c, tab, "w_style");
  float w_content = (float) gt_setting_float (c, tab, "w_content");
  float w_temporal = (float) gt_setting_float (c, tab, "w_temporal");
  float noise = (float) gt_setting_float (c, tab, "noise");
  float ema_decay = (float) gt_setting_float (c, tab, "ema");
  int scales = (int) gt_setting_int (c, tab, "scales");
  const char *gan_name = gt_setting_str (c, tab, "gan");
  long steps = gt_steps (c, 12000);
  int rc = -1;

  crop = crop / 16 * 16;
  if (crop < 32 || batch < 1 || batch > 64 || scales < 1 || scales > 3) {
    gc_set_error ("style: bad crop/batch/scales");
    return -1;
  }
  int gan = gc_gan_loss_from_name (gan_name);
  if (gan < 0) {
    gc_set_error ("style: unknown gan loss %s", gan_name);
    return -1;
  }
  if (c->threads > 0)
    gc_set_default_threads (c->threads);

  /* ---- data */
  char **style_paths = NULL, **train_paths = NULL, **photo_paths = NULL;
  int n_styles = gt_list_files (c, "images/styles", ".jpg,.jpeg,.png",
      &style_paths);
  int n_train = gt_list_files (c, "images/train", ".png,.jpg,.jpeg",
      &train_paths);
  int n_photo = gt_list_files (c, "images/content", ".jpg,.jpeg,.png",
      &photo_paths);
  if (n_styles < 1 || n_styles > MAX_STYLES || n_train < 0 || n_photo < 0
      || n_train + n_photo < 1) {
    gc_set_error ("style: need 1..%d paintings and some photos: %s",
        MAX_STYLES, gc_last_error ());
    return -1;
  }
  image8 *paint = calloc (n_styles, sizeof *paint);
  image8 *photos = calloc (n_train + n_photo, sizeof *photos);
  int n_content = 0;
  for (int i = 0; i < n_styles; i++)
    if (load_image8 (c, style_paths[i], style_size, crop, &paint[i]) < 0) {
      gc_set_error ("style: %s", gc_last_error ());
      return -1;
    }
  for (int i = 0; i < n_train + n_photo; i++) {
    const char *p = i < n_train ? train_paths[i] : photo_paths[i - n_train];
    if (load_image8 (c, p, content_max, crop, &photos[n_content]) == 0)
      n_content++;
    else
      fprintf (stderr, "style: skipping %s: %s\n", p, gc_last_error ());
  }
  fprintf (stderr, "style: %d paintings, %d content images, crop %d, batch "
      "%d\n", n_styles, n_content, crop, batch);

  /* ---- networks */
  gc_rng rng, *irng = NULL;     /* irng: this rank's items' streams */
  gc_rng_seed (&rng, c->seed);
  gcn_style_config gcfg;
  gcn_style_config_default (&gcfg);
  gcfg.styles = n_styles;
  gcfg.ch1 = (int) gt_setting_int_or (c, tab, "ch1", gcfg.ch1);
  gcfg.ch2 = (int) gt_setting_int_or (c, tab, "ch2", gcfg.ch2);
  gcfg.blocks = (int) gt_setting_int_or (c, tab, "blocks", gcfg.blocks);
  gcfg.head = (int) gt_setting_int_or (c, tab, "head", gcfg.head);
  gcfg.skip = gcfg.head == 1 ? 0 : 1;
  gcn_style_disc_config dcfg;
  gcn_style_disc_config_default (&dcfg);
  dcfg.styles = n_styles;
  dcfg.scales = scales;
  dcfg.ch = (int) gt_setting_int (c, tab, "d_ch");
  gcn_style g, ema;
  gcn_style_disc d;
  featnet feat;
  gc_rng frng;
  gc_rng_seed (&frng, 12345);   /* the loss features are fixed for good */
  if (gcn_style_init (&g, &gcfg, &rng) < 0 || gcn_style_init (&ema, &gcfg,
          &rng) < 0 || gcn_style_disc_init (&d, &dcfg, &rng) < 0
      || featnet_init (&feat, &frng) < 0) {
    gc_set_error ("style: %s", gc_last_error ());
    return -1;
  }
  for (int i = 0; i < n_styles; i++) {
    char *name = style_name_from_path (style_paths[i]);
    gcn_style_set_name (&g, i, name);
    gcn_style_set_name (&ema, i, name);
    free (name);
    /* the colour-transfer target: the whole painting's CIELAB statistics */
    float st[GCN_LAB_STATS], *rgb = malloc ((size_t) 3 * paint[i].w
        * paint[i].h * sizeof *rgb);
    if (!rgb)
      return -1;
    for (size_t k = 0; k < (size_t) 3 * paint[i].w * paint[i].h; k++)
      rgb[k] = paint[i].px[k] * (1.f / 255.f);
    gcn_lab_stats (rgb, paint[i].w, paint[i].h, 1, st);
    free (rgb);
    gcn_style_set_lab (&g, i, st);
    gcn_style_set_lab (&ema, i, st);
  }
  for (int i = 0; i < g.params.count; i++)
    memcpy (ema.params.items[i]->w, g.params.items[i]->w,
        g.params.items[i]->n * sizeof (float));
  gc_param_list_prefix (&ema.params, "ema");
  /* The per-style rows (norm gamma/beta, skip gain) see 1/styles of the
   * data and start identical: they get a larger step so the styles part
   * within a short run. */
  gc_param_list shared = { 0 }, rows = { 0 };
  for (int i = 0; i < g.params.count; i++) {
    gc_param *p = g.params.items[i];
    gc_param_list_add (strstr (p->name, "norm") || !strcmp (p->name,
            "skip_gain") ? &rows : &shared, p);
  }
  optimisers opt;
  gc_adam_init (&opt.g, &shared, lr_g, 0.5f, 0.99f, 0.f);
  gc_adam_init (&opt.c, &rows, lr_rows, 0.5f, 0.99f, 0.f);
  gc_adam_init (&opt.d, &d.params, lr_d, 0.5f, 0.99f, 0.f);
  gc_lr_schedule sched_g = { GC_LR_COSINE, lr_g, lr_g * 0.1f, steps, 0, 0, 0 };
  gc_lr_schedule sched_c = { GC_LR_COSINE, lr_rows, lr_rows * 0.1f, steps, 0,
    0, 0 };
  gc_lr_schedule sched_d = { GC_LR_COSINE, lr_d, lr_d * 0.1f, steps, 0, 0, 0 };

  /* ---- metadata of exported models */
  char *meta_storage = NULL;
  const char **arch_kv = gcn_style_meta (&g, &meta_storage);
  char buf_t[32], buf_c[32], buf_s[32], buf_k[32], buf_a[32];
  snprintf (buf_t, sizeof buf_t, "%g", w_temporal);
  snprintf (buf_c, sizeof buf_c, "%d", crop);
  snprintf (buf_s, sizeof buf_s, "%g", w_style);
  snprintf (buf_k, sizeof buf_k, "%g", w_content);
  snprintf (buf_a, sizeof buf_a, "%g", w_adv);
  const char *meta[40];
  int nkv = 0;
  for (; arch_kv && arch_kv[nkv] && nkv < 28; nkv++)
    meta[nkv] = arch_kv[nkv];
  meta[nkv++] = "w_temporal";
  meta[nkv++] = buf_t;
  meta[nkv++] = "train_crop";
  meta[nkv++] = buf_c;
  meta[nkv++] = "w_style";
  meta[nkv++] = buf_s;
  meta[nkv++] = "w_content";
  meta[nkv++] = buf_k;
  meta[nkv++] = "w_adv";
  meta[nkv++] = buf_a;
  meta[nkv] = NULL;
  long export_every = gt_setting_int (c, tab, "export_every");

  /* ---- style targets: mean Gram over many crops of each painting */
  style_targets st;
  memset (&st, 0, sizeof st);
  gc_tensor xb = GC_TENSOR_INIT, x2 = GC_TENSOR_INIT, real = GC_TENSOR_INIT;
  gc_tensor dy = GC_TENSOR_INIT, ref = GC_TENSOR_INIT, dfake = GC_TENSOR_INIT;
  gc_tensor dout[GCN_STYLE_DISC_MAX_SCALES], dreal[GCN_STYLE_DISC_MAX_SCALES];
  gc_tensor *doutp[GCN_STYLE_DISC_MAX_SCALES];
  gc_tensor *drealp[GCN_STYLE_DISC_MAX_SCALES];
  for (int s = 0; s < GCN_STYLE_DISC_MAX_SCALES; s++) {
    gc_tensor z = GC_TENSOR_INIT;
    dout[s] = z;
    dreal[s] = z;
    doutp[s] = &dout[s];
    drealp[s] = &dreal[s];
  }
  gcn_style_acts acts;
  gcn_style_disc_acts da_fake, da_real;
  memset (&acts, 0, sizeof acts);
  memset (&da_fake, 0, sizeof da_fake);
  memset (&da_real, 0, sizeof da_real);
  int *cls = malloc (2 * batch * sizeof *cls);
  int *shift = malloc (2 * batch * sizeof *shift);
  int maxc = 128;
  float *scratch = malloc ((size_t) 2 * batch * maxc * maxc * sizeof (float));
  gc_tensor_resize (&real, batch, 3, crop, crop);
  for (int s = 0; s < n_styles; s++) {
    const int rounds = 8;
    for (int r = 0; r < rounds; r++) {
      for (int b = 0; b < batch; b++)
        random_crop (&paint[s], &frng, &real, b);
      if (featnet_forward (&feat, &real, 0, batch, CONV_LEVELS) < 0) {
        gc_set_error ("style: %s", gc_last_error ());
        goto out;
      }
      for (int l = 0; l < FEAT_LEVELS; l++) {
        const gc_tensor *F = feat_level (&feat, l);
        int C = F->c;
        st.ch[l] = C;
        if (!st.target[s][l])
          st.target[s][l] = calloc ((size_t) C * C, sizeof (float));
        gram (F, scratch);
        for (int b = 0; b < batch; b++)
          for (int i = 0; i < C * C; i++)
            st.target[s][l][i] += scratch[(size_t) b * C * C + i]
                / (rounds * batch);
      }
    }
    for (int l = 0; l < FEAT_LEVELS; l++) {
      double n2 = 1e-8;
      for (int i = 0; i < st.ch[l] * st.ch[l]; i++)
        n2 += (double) st.target[s][l][i] * st.target[s][l][i];
      st.norm[s][l] = (float) n2;
    }
  }

  /* ---- resume */
  long step = 0;
  if (c->resume) {
    gc_param_list state;
    adam_snapshot snap = { 0 };
    if (build_state (&state, &g, &ema, &d, &opt, &snap) < 0)
      goto out;
    step = gt_checkpoint_load (c, &state, &rng);
    if (step < 0 || (step > 0 && (gc_adam_state_import (&opt.g, "adam_g",
                    &state) < 0 || gc_adam_state_import (&opt.c, "adam_c",
                    &state) < 0 || gc_adam_state_import (&opt.d, "adam_d",
                    &state) < 0))) {
      gc_set_error ("style: resume failed: %s", gc_last_error ());
      gc_param_list_free (&state);
      snapshot_free (&snap);
      goto out;
    }
    gc_param_list_free (&state);
    snapshot_free (&snap);
    if (step > 0)
      fprintf (stderr, "style: resumed at step %ld\n", step);
  }

  /* ---- training: this rank's items [lo, hi) of each global batch, each
   * with its own random stream */
  int lo, hi, gbatch = batch;
  if (gt_dist_slice (gbatch, &lo, &hi) < 0)
    goto out;
  batch = hi - lo;
  irng = malloc ((size_t) batch * sizeof *irng);
  if (!irng)
    goto out;
  gc_tensor_resize (&real, batch, 3, crop, crop);
  gc_tensor_resize (&xb, 2 * batch, 3, crop, crop);
  gc_tensor_resize (&x2, 2 * batch, 3, crop, crop);
  static const char *const names[] = { "d_loss", "g_adv", "style", "content",
    "temporal", "d_real", "d_fake" };
  /* the stability pair costs a generator pass per item: pair up only part
   * of the batch */
  int tpairs = w_temporal > 0.f ? (int) gt_setting_int_or (c, tab,
      "temporal_items", (gbatch + 1) / 2) : 0;
  if (tpairs > gbatch)
    tpairs = gbatch;
  tpairs = tpairs > lo ? (tpairs < hi ? tpairs : hi) - lo : 0;  /* ours */
  float tdiv = (float) gt_dist_divisor (tpairs);  /* pairs in the batch */
  int nb2 = batch + tpairs;

  for (; step < steps; step++) {
    opt.g.lr = gc_lr_at (&sched_g, step);
    opt.c.lr = gc_lr_at (&sched_c, step);
    opt.d.lr = gc_lr_at (&sched_d, step);
    /* a batch of photos, each with its own style, styles taken in turn */
    gc_tensor_resize (&xb, nb2, 3, crop, crop);
    for (int b = 0; b < batch; b++) {
      gt_item_rng (&irng[b], c->seed, step, lo + b);
      int k = (int) (gc_rng_uniform (&irng[b]) * n_content);
      random_crop (&photos[k < n_content ? k : n_content - 1], &irng[b],
          &xb, b);
      cls[b] = (int) ((step * gbatch + lo + b) % n_styles);
    }
    for (int b = 0; b < tpairs; b++) {
      int sx = (int) (gc_rng_uniform (&irng[b]) * 3) - 1;
      int sy = (int) (gc_rng_uniform (&irng[b]) * 3) - 1;
      shift[2 * b] = sx;
      shift[2 * b + 1] = sy;
      make_shifted (&xb, b, sx, sy, noise * gc_rng_uniform (&irng[b]),
          &irng[b], &xb, batch + b);
      cls[batch + b] = cls[b];
    }

    /* generator forward (frames and shifted frames in one batch) */
    const gc_tensor *y;
    if (gcn_style_forward (&g, &xb, cls, &acts, &y) < 0) {
      gc_set_error ("style: %s", gc_last_error ());
      goto out;
    }
    gc_tensor_resize (&dy, y->n, 3, crop, crop);
    gc_tensor_zero (&dy);

    /* content reference: level-2 features of the input photos (after the
     * colour transfer the output is built on, so content does not pull
     * the palette back to the photo's) */
    if (featnet_forward (&feat, g.cfg.head == 1 ? &acts.ct : &xb, 0, batch,
            2) < 0) {
      gc_set_error ("style: %s", gc_last_error ());
      goto out;
    }
    gc_tensor_copy (&ref, feat_level (&feat, 2));
    /* style + content on the outputs */
    if (featnet_forward (&feat, y, 0, batch, CONV_LEVELS) < 0) {
      gc_set_error ("style: %s", gc_last_error ());
      goto out;
    }
    featnet_zero_grads (&feat);
    float l_style = style_loss (&feat, &st, cls, batch, w_style, scratch);
    float l_content = content_loss (&feat, &ref, w_content);
    if (featnet_backward (&feat, &dy, 0) < 0) {
      gc_set_error ("style: %s", gc_last_error ());
      goto out;
    }

    float l_temp = 0.f;
    for (int b = 0; b < tpairs; b++)
      l_temp += temporal_loss (y, b, batch + b, shift[2 * b],
          shift[2 * b + 1], w_temporal, &dy, tdiv);

    /* critic on fake (first half) and real crops of the same styles */
    gc_tensor_resize (&x2, batch, 3, crop, crop);
    memcpy (x2.data, y->data, (size_t) batch * 3 * crop * crop * sizeof (float));
    for (int b = 0; b < batch; b++)
      random_crop (&paint[cls[b]], &irng[b], &real, b);
    gcn_style_disc_sn_begin (&d, 1);
    if (gcn_style_disc_forward (&d, &x2, cls, &da_fake) < 0
        || gcn_style_disc_forward (&d, &real, cls, &da_real) < 0) {
      gc_set_error ("style: critic: %s", gc_last_error ());
      goto out;
    }
    float l_adv = 0.f, l_d = 0.f, d_real = 0.f, d_fake = 0.f;
    for (int s = 0; s < scales; s++) {
      gc_tensor *o = &da_fake.out[s];
      gc_tensor_resize (&dout[s], o->n, 1, o->h, o->w);
      l_adv += gc_gan_g_loss (gan, o->data, (int) gc_tensor_size (o),
          dout[s].data) / scales;
      gc_scale (&dout[s], w_adv / scales);
    }
    if (gcn_style_disc_backward (&d, &da_fake, doutp, &dfake) < 0) {
      gc_set_error ("style: critic: %s", gc_last_error ());
      goto out;
    }
    gc_param_list_zero_grad (&d.params);
    for (size_t i = 0; i < gc_tensor_size (&dfake); i++)
      dy.data[i] += dfake.data[i];

    /* generator update */
    if (gcn_style_backward (&g, &acts, &dy, NULL) < 0) {
      gc_set_error ("style: %s", gc_last_error ());
      goto out;
    }
    gt_dist_grads (c, step, &g.params);
    gc_clip_grad_norm (&g.params, 5.f);
    gc_adam_step (&opt.g);
    gc_adam_step (&opt.c);
    ema_update (&ema, &g, step < 500 ? 0.9f : ema_decay);

    /* critic update on the same real and fake passes */
    for (int s = 0; s < scales; s++) {
      gc_tensor *of = &da_fake.out[s], *orl = &da_real.out[s];
      gc_tensor_resize (&dreal[s], orl->n, 1, orl->h, orl->w);
      gc_tensor_resize (&dout[s], of->n, 1, of->h, of->w);
      int n = (int) gc_tensor_size (of);
      l_d += gc_gan_d_loss (gan, orl->data, n, of->data, n, dreal[s].data,
          dout[s].data) / scales;
      double sr = 0, sf = 0;
      for (int i = 0; i < n; i++) {
        sr += orl->data[i];
        sf += of->data[i];
      }
      d_real += (float) (sr / n) / scales;
      d_fake += (float) (sf / n) / scales;
      gc_scale (&dout[s], 1.f / scales);
      gc_scale (&dreal[s], 1.f / scales);
    }
    if (gcn_style_disc_backward (&d, &da_fake, doutp, NULL) < 0
        || gcn_style_disc_backward (&d, &da_real, drealp, NULL) < 0) {
      gc_set_error ("style: critic: %s", gc_last_error ());
      goto out;
    }
    gcn_style_disc_sn_end (&d);
    gt_dist_grads (c, step, &d.params);
    gc_adam_step (&opt.d);

    float vals[7] = { l_d, l_adv, l_style, l_content, l_temp, d_real, d_fake };
    gt_log_step (c, step + 1, 7, names, vals);
    if (!isfinite (l_style) || !isfinite (l_d)) {
      gc_set_error ("style: loss is not finite at step %ld", step + 1);
      goto out;
    }
    if (gt_checkpoint_due (c, step + 1) || step + 1 == steps) {
      gc_param_list state;
      adam_snapshot snap = { 0 };
      if (build_state (&state, &g, &ema, &d, &opt, &snap) == 0)
        gt_checkpoint_save (c, step + 1, &state, &rng);
      gc_param_list_free (&state);
      snapshot_free (&snap);
    }
    if (export_every > 0 && (step + 1) % export_every == 0
        && gt_dist_rank () == 0) {
      /* snapshots of the averaged generator, for comparisons at equal steps */
      char path[4096];
      snprintf (path, sizeof path, "%s/model-%06ld.safetensors", c->run_dir,
          step + 1);
      swap_weights (&g, &ema);
      if (gc_model_save (path, &g.params, meta) < 0)
        fprintf (stderr, "style: %s\n", gc_last_error ());
      swap_weights (&g, &ema);
    }
  }

  /* ---- export the averaged generator */
  swap_weights (&g, &ema);
  rc = gt_export (c, &g.params, meta);
  swap_weights (&g, &ema);
  if (rc < 0)
    gc_set_error ("style: export failed: %s", gc_last_error ());
  gt_finish (c);

out:
  free (irng);
  gcn_style_meta_free (arch_kv, meta_storage);
  gcn_style_acts_free (&acts);
  gcn_style_disc_acts_free (&da_fake);
  gcn_style_disc_acts_free (&da_real);
  free (cls);
  free (shift);
  gc_tensor_free (&xb);
  gc_tensor_free (&x2);
  gc_tensor_free (&real);
  gc_tensor_free (&dy);
  gc_tensor_free (&ref);
  gc_tensor_free (&dfake);
  for (int s = 0; s < GCN_STYLE_DISC_MAX_SCALES; s++) {
    gc_tensor_free (&dout[s]);
    gc_tensor_free (&dreal[s]);
  }
  free (scratch);
  for (int s = 0; s < n_styles; s++)
    for (int l = 0; l < FEAT_LEVELS; l++)
      free (st.target[s][l]);
  featnet_free (&feat);
  gcn_style_free (&g);
  gcn_style_free (&ema);
  gcn_style_disc_free (&d);
  gc_adam_free (&opt.g);
  gc_adam_free (&opt.c);
  gc_adam_free (&opt.d);
  gc_param_list_free (&shared);
  gc_param_list_free (&rows);
  for (int i = 0; i < n_styles; i++)
    free (paint[i].px);
  for (int i = 0; i < n_content; i++)
    free (photos[i].px);
  free (paint);
  free (photos);
  gt_free_list (style_paths, n_styles);
  gt_free_list (train_paths, n_train);
  gt_free_list (photo_paths, n_photo);
  return rc;
}
