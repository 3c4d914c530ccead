/* recipe_superres — train the gansuperres generator (gcn_superres).
 *
 * Data: every image under images/train (T91 + BSDS200), as BT.601 luma.
 * Low-resolution inputs are made the way the literature makes them, with
 * MATLAB-style bicubic imresize (gcn_resize) of the whole image, quantised
 * to 8 bits like real video; training pairs are random aligned crops with
 * random flips and transposes. Set5 (held out) is scored every checkpoint
 * for monitoring only: the exported model is the last one, not the best.
 *
 * mode=fidelity: L1 loss, Adam with warm-up and cosine decay.
 * mode=gan: starts from init=<fidelity model or its checkpoint>; adds a
 *   spectrally normalised PatchGAN on high-resolution luma (hinge loss), an
 *   L1 loss on the Laplacian (high-pass) of the output and a detail-energy
 *   loss (per-patch RMS of the Laplacian matched to the original's), which
 *   asks for as much detail as the original has without dictating it; L1
 *   keeps the PSNR near the fidelity model.
 *
 * Settings: gt_superres_settings below ("gan-train superres --help"). */
#include "gt.h"
#include "gt_dist.h"
#include "recipes.h"
#include "gcn_patchgan.h"
#include "gcn_resize.h"
#include "gcn_superres.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int w, h;                 /* high resolution, a multiple of the scale */
  float *hr, *lr;           /* luma planes */
} sr_image;

typedef struct {
  sr_image *items;
  int count;
} sr_set;

static void
sr_set_free (sr_set *s)
{
  for (int i = 0; i < s->count; i++) {
    free (s->items[i].hr);
    free (s->items[i].lr);
  }
  free (s->items);
  memset (s, 0, sizeof (*s));
}

/* Load every image of dir as luma, crop to a multiple of scale (the usual
 * "modcrop") and make its low-resolution version. */
static int
load_set (gt_ctx *c, const char *dir, int scale, sr_set *set)
{
  char **paths = NULL;
  int n = gt_list_files (c, dir, ".png,.bmp,.jpg,.jpeg", &paths);
  memset (set, 0, sizeof (*set));
  if (n <= 0) {
    gc_set_error ("superres: no images under %s", dir);
    return -1;
  }
  set->items = calloc (n, sizeof (sr_image));
  if (!set->items) {
    gc_set_error ("superres: out of memory");
    goto fail;
  }
  for (int i = 0; i < n; i++) {
    float *rgb = NULL;
    int w, h;
    if (gt_load_image (c, paths[i], &rgb, &w, &h) < 0) {
      gc_set_error ("superres: %s: %s", paths[i], gc_last_error ());
      goto fail;
    }
    int cw = w / scale * scale, ch = h / scale * scale;
    if (cw < 4 * scale || ch < 4 * scale) {
      free (rgb);
      continue;
    }
    sr_image *im = &set->items[set->count];
    im->w = cw;
    im->h = ch;
    im->hr = malloc (sizeof (float) * cw * ch);
    im->lr = malloc (sizeof (float) * (cw / scale) * (ch / scale));
    if (!im->hr || !im->lr) {
      gc_set_error ("superres: out of memory");
      free (rgb);
      free (im->hr);
      free (im->lr);
      goto fail;
    }
    size_t plane = (size_t) w * h;
    for (int y = 0; y < ch; y++)
      for (int x = 0; x < cw; x++) {
        size_t k = (size_t) y * w + x;
        im->hr[(size_t) y * cw + x] = gcn_luma_bt601 (rgb[k], rgb[plane + k],
            rgb[2 * plane + k]);
      }
    free (rgb);
    int lw = cw / scale, lh = ch / scale;
    if (gcn_imresize_bicubic (im->hr, cw, ch, cw, im->lr, lw, lh, lw) < 0) {
      free (im->hr);
      free (im->lr);
      goto fail;
    }
    for (int k = 0; k < lw * lh; k++) {
      float v = roundf (im->lr[k] * 255.f) / 255.f;
      im->lr[k] = v < 0.f ? 0.f : v > 1.f ? 1.f : v;
    }
    set->count++;
  }
  gt_free_list (paths, n);
  if (set->count == 0) {
    gc_set_error ("superres: no image under %s is at least %d pixels wide "
        "and high", dir, 4 * scale);
    return -1;
  }
  return 0;

fail:
  gt_free_list (paths, n);
  sr_set_free (set);
  return -1;
}

/* Copy a size x size crop at (x0, y0) with one of the 8 symmetries of the
 * square (bit 0: mirror x, bit 1: mirror y, bit 2: transpose). */
static void
crop_aug (const float *src, int stride, int x0, int y0, int size, int t,
    float *dst)
{
  for (int i = 0; i < size; i++)
    for (int j = 0; j < size; j++) {
      int u = i, v = j;
      if (t & 4) {
        u = j;
        v = i;
      }
      if (t & 1)
        v = size - 1 - v;
      if (t & 2)
        u = size - 1 - u;
      dst[(size_t) i * size + j] = src[(size_t) (y0 + u) * stride + x0 + v];
    }
}

/* Laplacian high-pass with zero borders: y = 4 x - (4 neighbours). Its own
 * transpose, so the backward is the same operator on the gradient. */
static void
laplacian (const float *x, int n, int h, int w, float *y)
{
  for (int b = 0; b < n; b++) {
    const float *p = x + (size_t) b * h * w;
    float *q = y + (size_t) b * h * w;
    for (int i = 0; i < h; i++)
      for (int j = 0; j < w; j++) {
        float v = 4.f * p[i * w + j];
        if (i > 0)
          v -= p[(i - 1) * w + j];
        if (i < h - 1)
          v -= p[(i + 1) * w + j];
        if (j > 0)
          v -= p[i * w + j - 1];
        if (j < w - 1)
          v -= p[i * w + j + 1];
        q[i * w + j] = v;
      }
  }
}

/* Detail energy matching: per patch, (rms (lap out) - rms (lap target))^2.
 * Unlike an L1 on the Laplacian it does not ask for the exact detail, only
 * for as much of it as the original has, which is what a blurry L1 model
 * lacks; the critic then decides whether the detail looks right.
 * lap_o, lap_t: Laplacians; grad (+=) receives dL/d(lap_o). */
static float
energy_loss (const float *lap_o, const float *lap_t, int n, int hw,
    float *grad)
{
  double loss = 0;
  for (int b = 0; b < n; b++) {
    const float *o = lap_o + (size_t) b * hw, *t = lap_t + (size_t) b * hw;
    double eo = 0, et = 0;
    for (int i = 0; i < hw; i++) {
      eo += (double) o[i] * o[i];
      et += (double) t[i] * t[i];
    }
    double so = sqrt (eo / hw + 1e-12), st = sqrt (et / hw + 1e-12);
    loss += (so - st) * (so - st) / n;
    double k = 2.0 * (so - st) / n / (so * hw);
    for (int i = 0; i < hw; i++)
      grad[(size_t) b * hw + i] = (float) (k * o[i]);
  }
  return (float) loss;
}

/* Mean squared central differences over the interior: sharpness. */
static double
gradient_energy (const float *y, int w, int h)
{
  double s = 0;
  long n = 0;
  for (int i = 1; i < h - 1; i++)
    for (int j = 1; j < w - 1; j++) {
      double gx = 0.5 * (y[i * w + j + 1] - y[i * w + j - 1]);
      double gy = 0.5 * (y[(i + 1) * w + j] - y[(i - 1) * w + j]);
      s += gx * gx + gy * gy;
      n++;
    }
  return n ? s / n : 0;
}

/* PSNR-Y (0..255, shave = scale) of the net and of bicubic on a set, and
 * the net's gradient energy relative to the original's. */
static void
evaluate (gcn_superres *g, const sr_set *set, double *psnr_net,
    double *psnr_bicubic, double *sharpness)
{
  double sharp = 0;
  int r = g->scale;
  double sn = 0, sb = 0;
  int counted = 0;
  for (int i = 0; i < set->count; i++) {
    const sr_image *im = &set->items[i];
    int lw = im->w / r, lh = im->h / r;
    float *out = malloc (sizeof (float) * im->w * im->h);
    float *bic = malloc (sizeof (float) * im->w * im->h);
    if (!out || !bic || gcn_superres_run (g, im->lr, lw, lh, lw, out, im->w)
        || gcn_imresize_bicubic (im->lr, lw, lh, lw, bic, im->w, im->h,
            im->w)) {
      free (out);
      free (bic);
      continue;
    }
    double en = 0, eb = 0;
    long cnt = 0;
    for (int y = r; y < im->h - r; y++)
      for (int x = r; x < im->w - r; x++) {
        size_t k = (size_t) y * im->w + x;
        double ref = im->hr[k] * 255.0;
        double a = roundf (fminf (fmaxf (out[k], 0.f), 1.f) * 255.f);
        double b = roundf (fminf (fmaxf (bic[k], 0.f), 1.f) * 255.f);
        en += (a - ref) * (a - ref);
        eb += (b - ref) * (b - ref);
        cnt++;
      }
    sharp += gradient_energy (out, im->w, im->h)
        / fmax (gradient_energy (im->hr, im->w, im->h), 1e-12);
    if (cnt > 0) {
      sn += 10.0 * log10 (255.0 * 255.0 / fmax (en / cnt, 1e-10));
      sb += 10.0 * log10 (255.0 * 255.0 / fmax (eb / cnt, 1e-10));
      counted++;
    }
    free (out);
    free (bic);
  }
  *psnr_net = counted ? sn / counted : 0;
  *psnr_bicubic = counted ? sb / counted : 0;
  *sharpness = counted ? sharp / counted : 0;
}

/* Everything a resume needs, as one parameter list. */
typedef struct {
  gc_param_list list;
  gc_param *owned[2];
  int n_owned[2];
} train_state;

static void
train_state_free (train_state *s)
{
  for (int k = 0; k < 2; k++) {
    for (int i = 0; i < s->n_owned[k]; i++)
      gc_param_free (&s->owned[k][i]);
    free (s->owned[k]);
  }
  gc_param_list_free (&s->list);
  memset (s, 0, sizeof (*s));
}

static int
train_state_build (train_state *s, gcn_superres *g, gcn_patchgan *d,
    gc_adam *og, gc_adam *od)
{
  memset (s, 0, sizeof (*s));
  for (int i = 0; i < g->params.count; i++)
    gc_param_list_add (&s->list, g->params.items[i]);
  if (gc_adam_state_export (og, "adam_g", &s->list, &s->owned[0],
          &s->n_owned[0]) < 0)
    return -1;
  if (d) {
    for (int i = 0; i < d->params.count; i++)
      gc_param_list_add (&s->list, d->params.items[i]);
    if (gc_adam_state_export (od, "adam_d", &s->list, &s->owned[1],
            &s->n_owned[1]) < 0)
      return -1;
  }
  return 0;
}

/* init= is an exported model, or a running fidelity job's checkpoint (so a
 * GAN fine-tune can start before the fidelity run ends): then the
 * architecture comes from the --set keys and the generator's tensors are
 * picked out by name. */
static int
init_from_file (gcn_superres *g, const gc_model_file *m, int scale,
    int channels, int n_mid)
{
  const char *arch = gc_model_meta_get (m, "arch");
  if (!arch || strcmp (arch, "gan-train-checkpoint") != 0)
    return gcn_superres_load (g, m, scale);
  if (gcn_superres_init (g, scale, channels, n_mid, NULL) < 0)
    return -1;
  for (int i = 0; i < g->params.count; i++) {
    gc_param *p = g->params.items[i];
    const gc_model_tensor *t = gc_model_find (m, p->name);
    if (!t || t->n != p->n) {
      gc_set_error ("%s: no tensor %s of %zu values", m->source, p->name,
          p->n);
      gcn_superres_free (g);
      return -1;
    }
    memcpy (p->w, t->data, sizeof (float) * p->n);
  }
  return 0;
}

const gt_setting gt_superres_settings[] = {
  { "mode", GT_SETTING_STR, 0, "fidelity", "fidelity (L1) or gan (needs "
        "init)" },
  { "init", GT_SETTING_STR, 0, NULL, "mode=gan: the fidelity model or its "
        "checkpoint to start from" },
  { "scale", GT_SETTING_INT, 2, NULL, "upscaling factor" },
  { "channels", GT_SETTING_INT, 16, NULL, "generator channels" },
  { "mid", GT_SETTING_INT, 2, NULL, "generator middle layers" },
  { "patch", GT_SETTING_INT, 32, NULL, "low-resolution crop size" },
  { "batch", GT_SETTING_INT, 16, NULL, "crops per step (global, split over "
        "the ranks)" },
  { "lr", GT_SETTING_FLOAT, NAN, NULL, "generator learning rate (fidelity "
        "1e-3, gan 1e-4)" },
  { "lr_min", GT_SETTING_FLOAT, NAN, NULL, "final learning rate (fidelity "
        "1e-5, gan 1e-4)" },
  { "warmup", GT_SETTING_INT, NAN, NULL, "warm-up steps (fidelity 300, "
        "gan 0)" },
  { "w_l1", GT_SETTING_FLOAT, 1, NULL, "weight of the L1 loss" },
  { "w_hf", GT_SETTING_FLOAT, NAN, NULL, "weight of the L1 loss on the "
        "Laplacian (fidelity 0, gan 1)" },
  { "w_energy", GT_SETTING_FLOAT, NAN, NULL, "weight of the detail-energy "
        "loss (fidelity 0, gan 1)" },
  { "w_adv", GT_SETTING_FLOAT, 0.05, NULL, "mode=gan: weight of the "
        "adversarial loss" },
  { "lr_d", GT_SETTING_FLOAT, 4e-4, NULL, "mode=gan: critic learning rate" },
  { "d_width", GT_SETTING_INT, 16, NULL, "mode=gan: critic width" },
  { "d_depth", GT_SETTING_INT, 3, NULL, "mode=gan: critic depth" },
  { "eval_dir", GT_SETTING_STR, 0, "images/eval/set5", "images scored at "
        "every checkpoint (monitoring only)" },
  { NULL }
};

int
gt_recipe_superres (gt_ctx *c)
{
  const gt_setting *tab = gt_superres_settings;
  int scale = (int) gt_setting_int (c, tab, "scale");
  int channels = (int) gt_setting_int (c, tab, "channels");
  int n_mid = (int) gt_setting_int (c, tab, "mid");
  int patch = (int) gt_setting_int (c, tab, "patch");
  int batch = (int) gt_setting_int (c, tab, "batch");
  const char *mode = gt_setting_str (c, tab, "mode");
  int gan = strcmp (mode, "gan") == 0;
  float lr = (float) gt_setting_float_or (c, tab, "lr", gan ? 1e-4 : 1e-3);
  float lr_min = (float) gt_setting_float_or (c, tab, "lr_min",
      gan ? 1e-4 : 1e-5);
  long warmup = gt_setting_int_or (c, tab, "warmup", gan ? 0 : 300);
  const char *init = gt_setting_str (c, tab, "init");
  float w_l1 = (float) gt_setting_float (c, tab, "w_l1");
  float w_hf = (float) gt_setting_float_or (c, tab, "w_hf",
      gan ? 1.0 : 0.0);
  float w_adv = (float) gt_setting_float (c, tab, "w_adv");
  float w_energy = (float) gt_setting_float_or (c, tab, "w_energy",
      gan ? 1.0 : 0.0);
  float lr_d = (float) gt_setting_float (c, tab, "lr_d");
  int d_width = (int) gt_setting_int (c, tab, "d_width");
  int d_depth = (int) gt_setting_int (c, tab, "d_depth");
  const char *eval_dir = gt_setting_str (c, tab, "eval_dir");
  long steps = gt_steps (c, 40000);
  gt_opts_warn_unused (c);

  int rc = -1;
  int P = patch * scale;
  gc_rng rng;
  gc_rng_seed (&rng, c->seed);
  gcn_superres g = { 0 };
  gcn_patchgan d = { 0 };
  gc_adam og = { 0 }, od = { 0 };
  sr_set train = { 0 }, eval = { 0 };
  gcn_superres_acts cache = { 0 };
  gcn_patchgan_acts dc_real = { 0 }, dc_fake = { 0 };
  gc_tensor xb = GC_TENSOR_INIT, yb = GC_TENSOR_INIT, out = GC_TENSOR_INIT;
  gc_tensor dout = GC_TENSOR_INIT, dfake = GC_TENSOR_INIT;
  gc_tensor logit_real = GC_TENSOR_INIT, logit_fake = GC_TENSOR_INIT;
  gc_tensor dl_real = GC_TENSOR_INIT, dl_fake = GC_TENSOR_INIT;
  float *lap_o = NULL, *lap_t = NULL, *lap_g = NULL;

  if (patch < 8 || batch < 1) {
    gc_set_error ("superres: patch must be >= 8 and batch >= 1");
    return -1;
  }
  int lo, hi;                   /* this rank's items of the global batch */
  if (gt_dist_slice (batch, &lo, &hi) < 0)
    return -1;
  int nb = hi - lo;
  if (gan && !init) {
    gc_set_error ("superres: mode=gan needs init=<fidelity model>");
    return -1;
  }
  if (init) {
    gc_model_file m = { 0 };
    if (gc_model_load (&m, init) < 0 || init_from_file (&g, &m, scale,
            channels, n_mid) < 0) {
      gc_set_error ("superres: %s", gc_last_error ());
      gc_model_free (&m);
      return -1;
    }
    gc_model_free (&m);
  } else if (gcn_superres_init (&g, scale, channels, n_mid, &rng) < 0) {
    gc_set_error ("superres: %s", gc_last_error ());
    return -1;
  }
  fprintf (stderr, "superres: x%d %s, %d channels, %d mid layers, %zu "
      "weights, %ld MAC per input pixel\n", scale, mode, g.channels, g.n_mid,
      gc_param_list_count_floats (&g.params, 1),
      gcn_superres_macs_per_pixel (&g));
  if (gan && gcn_patchgan_init (&d, 1, d_width, d_depth, &rng) < 0) {
    gc_set_error ("superres: %s", gc_last_error ());
    goto out;
  }

  if (load_set (c, "images/train", scale, &train) < 0)
    goto out;
  if (load_set (c, eval_dir, scale, &eval) < 0)
    fprintf (stderr, "%s; no evaluation images, continuing\n",
        gc_last_error ());
  long px = 0;
  for (int i = 0; i < train.count; i++)
    px += (long) train.items[i].w * train.items[i].h;
  fprintf (stderr, "superres: %d training images (%.1f Mpixel), %d eval\n",
      train.count, px / 1e6, eval.count);

  gc_adam_init (&og, &g.params, lr, 0.9f, 0.999f, 0.f);
  if (gan)
    gc_adam_init (&od, &d.params, lr_d, 0.5f, 0.999f, 0.f);
  gc_lr_schedule sched = { GC_LR_WARMUP_COSINE, lr, lr_min, steps, warmup,
    0, 1.f };

  long step = 0;
  if (c->resume) {
    train_state st;
    if (train_state_build (&st, &g, gan ? &d : NULL, &og, &od) < 0) {
      train_state_free (&st);
      goto out;
    }
    step = gt_checkpoint_load (c, &st.list, &rng);
    if (step < 0 || (step > 0 && (gc_adam_state_import (&og, "adam_g",
                    &st.list) < 0 || (gan && gc_adam_state_import (&od,
                        "adam_d", &st.list) < 0)))) {
      gc_set_error ("superres: resume failed: %s", gc_last_error ());
      train_state_free (&st);
      goto out;
    }
    train_state_free (&st);
    if (step > 0)
      fprintf (stderr, "superres: resumed at step %ld\n", step);
  }

  if (eval.count && gt_dist_rank () == 0) {    /* rank 0 reports */
    double pn, pb, sh;
    evaluate (&g, &eval, &pn, &pb, &sh);
    fprintf (stderr, "superres: eval step %ld: PSNR-Y %.3f dB (bicubic "
        "%.3f), gradient energy %.3f of the original's\n", step, pn, pb, sh);
  }

  gc_tensor_resize (&xb, nb, 1, patch, patch);
  gc_tensor_resize (&yb, nb, 1, P, P);
  gc_tensor_resize (&dout, nb, 1, P, P);
  size_t hr_n = (size_t) nb * P * P;
  lap_o = malloc (sizeof (float) * hr_n);
  lap_t = malloc (sizeof (float) * hr_n);
  lap_g = malloc (sizeof (float) * hr_n);
  if (!lap_o || !lap_t || !lap_g)
    goto out;

  static const char *const names_fid[] = { "l1", "psnr" };
  static const char *const names_gan[] = { "l1", "hf", "energy", "g_adv",
    "d_loss", "d_real", "d_fake" };

  for (; step < steps; step++) {
    /* ---- batch of aligned crops */
    for (int b = 0; b < nb; b++) {
      const sr_image *im;
      int lw, lh;
      gc_rng ir;
      gt_item_rng (&ir, c->seed, step, lo + b);
      do {
        im = &train.items[gc_rng_u32 (&ir) % train.count];
        lw = im->w / scale;
        lh = im->h / scale;
      } while (lw < patch || lh < patch);
      int x0 = (int) (gc_rng_u32 (&ir) % (uint32_t) (lw - patch + 1));
      int y0 = (int) (gc_rng_u32 (&ir) % (uint32_t) (lh - patch + 1));
      int t = (int) (gc_rng_u32 (&ir) & 7);
      crop_aug (im->lr, lw, x0, y0, patch, t, xb.data + (size_t) b * patch
          * patch);
      crop_aug (im->hr, im->w, x0 * scale, y0 * scale, P, t,
          yb.data + (size_t) b * P * P);
    }

    /* ---- generator forward and reconstruction losses */
    if (gcn_superres_forward (&g, &xb, &out, &cache) < 0) {
      gc_set_error ("superres: generator: %s", gc_last_error ());
      goto out;
    }
    float l1 = gc_loss_l1 (out.data, yb.data, hr_n, dout.data);
    gc_scale (&dout, w_l1);
    float l_hf = 0.f, l_energy = 0.f;
    if (w_hf > 0.f || w_energy > 0.f) {
      laplacian (out.data, nb, P, P, lap_o);
      laplacian (yb.data, nb, P, P, lap_t);
      l_hf = gc_loss_l1 (lap_o, lap_t, hr_n, lap_g);
      for (size_t k = 0; k < hr_n; k++)
        lap_g[k] *= w_hf;
      if (w_energy > 0.f) {
        /* lap_t is free after this: reuse it for the energy gradient */
        l_energy = energy_loss (lap_o, lap_t, nb, P * P, lap_t);
        for (size_t k = 0; k < hr_n; k++)
          lap_g[k] += w_energy * lap_t[k];
      }
      laplacian (lap_g, nb, P, P, lap_o);       /* transpose = itself */
      for (size_t k = 0; k < hr_n; k++)
        dout.data[k] += lap_o[k];
    }

    float l_adv = 0.f, l_d = 0.f, d_real = 0.f, d_fake = 0.f;
    if (gan) {
      /* ---- discriminator step: real HR crops against detached fakes */
      gcn_patchgan_sn_begin (&d, 1);
      if (gcn_patchgan_forward (&d, &yb, &logit_real, &dc_real) < 0
          || gcn_patchgan_forward (&d, &out, &logit_fake, &dc_fake) < 0) {
        gc_set_error ("superres: discriminator: %s", gc_last_error ());
        goto out;
      }
      int nl = (int) gc_tensor_size (&logit_real);
      gc_tensor_resize (&dl_real, logit_real.n, logit_real.c, logit_real.h, logit_real.w);
      gc_tensor_resize (&dl_fake, logit_fake.n, logit_fake.c, logit_fake.h, logit_fake.w);
      l_d = gc_gan_d_loss (GC_GAN_HINGE, logit_real.data, nl, logit_fake.data, nl,
          dl_real.data, dl_fake.data);
      for (int k = 0; k < nl; k++) {
        d_real += logit_real.data[k] / nl;
        d_fake += logit_fake.data[k] / nl;
      }
      if (gcn_patchgan_backward (&d, &yb, &dc_real, &logit_real, &dl_real,
              NULL) < 0 || gcn_patchgan_backward (&d, &out, &dc_fake,
              &logit_fake, &dl_fake, NULL) < 0) {
        gc_set_error ("superres: discriminator: %s", gc_last_error ());
        goto out;
      }
      gcn_patchgan_sn_end (&d);
      gt_dist_grads (c, step, &d.params);
      gc_clip_grad_norm (&d.params, 10.f);
      gc_adam_step (&od);

      /* ---- generator's adversarial gradient through the updated critic */
      gcn_patchgan_sn_begin (&d, 0);
      if (gcn_patchgan_forward (&d, &out, &logit_fake, &dc_fake) < 0) {
        gc_set_error ("superres: discriminator: %s", gc_last_error ());
        goto out;
      }
      l_adv = gc_gan_g_loss (GC_GAN_HINGE, logit_fake.data, nl, dl_fake.data);
      if (gcn_patchgan_backward (&d, &out, &dc_fake, &logit_fake, &dl_fake,
              &dfake) < 0) {
        gc_set_error ("superres: discriminator: %s", gc_last_error ());
        goto out;
      }
      gcn_patchgan_sn_end (&d);
      gc_param_list_zero_grad (&d.params);
      gc_axpy (w_adv, &dfake, &dout);
    }

    if (gcn_superres_backward (&g, &cache, &dout) < 0) {
      gc_set_error ("superres: generator: %s", gc_last_error ());
      goto out;
    }
    gt_dist_grads (c, step, &g.params);
    gc_clip_grad_norm (&g.params, 1.f);
    og.lr = gc_lr_at (&sched, step);
    gc_adam_step (&og);

    if (gan) {
      float vals[7] = { l1, l_hf, l_energy, l_adv, l_d, d_real, d_fake };
      gt_log_step (c, step + 1, 7, names_gan, vals);
    } else {
      double mse = 0;
      for (size_t k = 0; k < hr_n; k++) {
        double e = out.data[k] - yb.data[k];
        mse += e * e;
      }
      float vals[2] = { l1, (float) (10.0 * log10 (1.0 / fmax (mse / hr_n,
                      1e-12))) };
      gt_log_step (c, step + 1, 2, names_fid, vals);
    }
    if (!isfinite (l1)) {
      gc_set_error ("superres: loss is not finite at step %ld", step + 1);
      goto out;
    }
    if (gt_checkpoint_due (c, step + 1) || step + 1 == steps) {
      train_state st;
      if (train_state_build (&st, &g, gan ? &d : NULL, &og, &od) == 0)
        gt_checkpoint_save (c, step + 1, &st.list, &rng);
      train_state_free (&st);
      if (eval.count && gt_dist_rank () == 0) {
        double pn, pb, sh;
        evaluate (&g, &eval, &pn, &pb, &sh);
        fprintf (stderr, "superres: eval step %ld: PSNR-Y %.3f dB (bicubic "
            "%.3f), gradient energy %.3f of the original's\n", step + 1, pn,
            pb, sh);
      }
    }
  }

  {
    const char *kv[32];
    char buf[64], wbuf[5][32];
    int k = gcn_superres_meta (&g, kv, buf);
    snprintf (wbuf[0], sizeof wbuf[0], "%d", patch);
    snprintf (wbuf[1], sizeof wbuf[1], "%g", w_hf);
    snprintf (wbuf[2], sizeof wbuf[2], "%g", gan ? w_adv : 0.0);
    snprintf (wbuf[3], sizeof wbuf[3], "%d", batch);
    snprintf (wbuf[4], sizeof wbuf[4], "%g", gan ? w_energy : 0.0);
    kv[k++] = "model_type";
    kv[k++] = gan ? "gan" : "fidelity";
    kv[k++] = "loss";
    kv[k++] = gan ? "l1 + laplacian l1 + laplacian energy matching + hinge "
        "patchgan (spectral norm)" : "l1";
    kv[k++] = "train_patch_lr";
    kv[k++] = wbuf[0];
    kv[k++] = "train_batch";
    kv[k++] = wbuf[3];
    kv[k++] = "w_hf";
    kv[k++] = wbuf[1];
    kv[k++] = "w_adv";
    kv[k++] = wbuf[2];
    kv[k++] = "w_energy";
    kv[k++] = wbuf[4];
    kv[k++] = "lr_degradation";
    kv[k++] = "matlab bicubic imresize, 8-bit";
    kv[k++] = "init";
    kv[k++] = init ? init : "random";
    kv[k] = NULL;
    if (gt_export (c, &g.params, kv) < 0) {
      gc_set_error ("superres: export failed: %s", gc_last_error ());
      goto out;
    }
  }
  gt_finish (c);
  rc = 0;

out:
  free (lap_o);
  free (lap_t);
  free (lap_g);
  gc_tensor_free (&xb);
  gc_tensor_free (&yb);
  gc_tensor_free (&out);
  gc_tensor_free (&dout);
  gc_tensor_free (&dfake);
  gc_tensor_free (&logit_real);
  gc_tensor_free (&logit_fake);
  gc_tensor_free (&dl_real);
  gc_tensor_free (&dl_fake);
  gcn_superres_acts_free (&cache);
  gcn_patchgan_acts_free (&dc_real);
  gcn_patchgan_acts_free (&dc_fake);
  if (og.params)
    gc_adam_free (&og);
  if (od.params)
    gc_adam_free (&od);
  gcn_patchgan_free (&d);
  gcn_superres_free (&g);
  sr_set_free (&train);
  sr_set_free (&eval);
  return rc;
}
