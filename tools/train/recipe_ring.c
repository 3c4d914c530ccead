/* gan-train recipe "ring": the 8-Gaussian ring toy GAN.
 *
 * Real data: 8 Gaussians (std 0.02) evenly spaced on a circle of radius 2.
 * G: z (4) -> 64 -> ReLU -> 64 -> ReLU -> 2;  D: 2 -> 64 -> LReLU -> 64
 * -> LReLU -> 1. Seconds per few hundred steps, so it is the CI smoke run
 * and the exact-resume test of the frame. Besides the two GAN losses it
 * logs `dist`, the mean distance of a fake batch to its nearest mode: the
 * one number that shows the generator really learned the ring.
 *
 * Settings: gt_ring_settings below ("gan-train ring --help"). With the
 * defaults the mean distance
 * of fakes to the nearest mode falls from about 1.1 to 0.3 in 800 steps and
 * to 0.1 in 3000 (seeds 1-6). */
#include "gt.h"
#include "gt_dist.h"
#include "recipes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING_MODES 8
#define RING_RADIUS 2.0f
#define RING_STD 0.02f

typedef struct mlp {
  gc_dense l1, l2, l3;
  gc_tensor h1, a1, h2, a2, out;    /* activations of the last forward */
  gc_act_type act;
  float slope;
} mlp;

static int
mlp_init (mlp *m, const char *name, int in, int hidden, int out,
    gc_act_type act, gc_rng *r)
{
  char n[GC_MAX_NAME];
  memset (m, 0, sizeof *m);
  gc_tensor zero = GC_TENSOR_INIT;
  m->h1 = m->a1 = m->h2 = m->a2 = m->out = zero;
  m->act = act;
  m->slope = act == GC_ACT_LEAKY_RELU ? 0.2f : 0.0f;
  snprintf (n, sizeof n, "%s.fc1", name);
  if (gc_dense_init (&m->l1, n, in, hidden, r) < 0)
    return -1;
  snprintf (n, sizeof n, "%s.fc2", name);
  if (gc_dense_init (&m->l2, n, hidden, hidden, r) < 0)
    return -1;
  snprintf (n, sizeof n, "%s.fc3", name);
  return gc_dense_init (&m->l3, n, hidden, out, r);
}

static void
mlp_free (mlp *m)
{
  gc_dense_free (&m->l1);
  gc_dense_free (&m->l2);
  gc_dense_free (&m->l3);
  gc_tensor_free (&m->h1);
  gc_tensor_free (&m->a1);
  gc_tensor_free (&m->h2);
  gc_tensor_free (&m->a2);
  gc_tensor_free (&m->out);
}

static void
mlp_params (mlp *m, gc_param_list *pl)
{
  gc_dense_params (&m->l1, pl);
  gc_dense_params (&m->l2, pl);
  gc_dense_params (&m->l3, pl);
}

static void
mlp_forward (mlp *m, const gc_tensor *x)
{
  gc_dense_forward (&m->l1, x, &m->h1);
  gc_act_forward (m->act, m->slope, &m->h1, &m->a1);
  gc_dense_forward (&m->l2, &m->a1, &m->h2);
  gc_act_forward (m->act, m->slope, &m->h2, &m->a2);
  gc_dense_forward (&m->l3, &m->a2, &m->out);
}

/* Backward of the last forward (x must be that forward's input). */
static void
mlp_backward (mlp *m, const gc_tensor *x, const gc_tensor *dout,
    gc_tensor *dx, gc_tensor *t1, gc_tensor *t2)
{
  gc_dense_backward (&m->l3, &m->a2, dout, t1);
  gc_act_backward (m->act, m->slope, &m->h2, &m->a2, t1, t1);
  gc_dense_backward (&m->l2, &m->a1, t1, t2);
  gc_act_backward (m->act, m->slope, &m->h1, &m->a1, t2, t2);
  gc_dense_backward (&m->l1, x, t2, dx);
}

/* Item i's draws, all from its own stream: a real point, then z for the
 * discriminator's fake and z for the generator's pass. */
static void
sample_item (gc_rng *r, int i, int zdim, gc_tensor *real, gc_tensor *zd,
    gc_tensor *zg)
{
  int k = (int) (gc_rng_u32 (r) % RING_MODES);
  float a = 2.0f * (float) M_PI * k / RING_MODES;
  real->data[2 * i] = RING_RADIUS * cosf (a) + RING_STD * gc_rng_normal (r);
  real->data[2 * i + 1] = RING_RADIUS * sinf (a) + RING_STD * gc_rng_normal (r);
  gc_rng_fill_normal (r, zd->data + (size_t) i * zdim, zdim, 0.0f, 1.0f);
  gc_rng_fill_normal (r, zg->data + (size_t) i * zdim, zdim, 0.0f, 1.0f);
}

static float
mean_mode_distance (const gc_tensor *x)
{
  double sum = 0;
  for (int i = 0; i < x->n; i++) {
    float best = INFINITY;
    for (int k = 0; k < RING_MODES; k++) {
      float a = 2.0f * (float) M_PI * k / RING_MODES;
      float dx = x->data[2 * i] - RING_RADIUS * cosf (a);
      float dy = x->data[2 * i + 1] - RING_RADIUS * sinf (a);
      best = fminf (best, sqrtf (dx * dx + dy * dy));
    }
    sum += best;
  }
  return (float) (sum / x->n);
}

/* Everything a checkpoint must hold: both nets and both optimisers. */
typedef struct ring_state {
  gc_param_list list;
  gc_param *owned_g, *owned_d;
  int n_owned_g, n_owned_d;
} ring_state;

static int
state_build (ring_state *s, gc_param_list *gp, gc_param_list *dp,
    gc_adam *og, gc_adam *od)
{
  memset (s, 0, sizeof *s);
  for (int i = 0; i < gp->count; i++)
    if (gc_param_list_add (&s->list, gp->items[i]) < 0)
      return -1;
  for (int i = 0; i < dp->count; i++)
    if (gc_param_list_add (&s->list, dp->items[i]) < 0)
      return -1;
  if (gc_adam_state_export (og, "opt_g", &s->list, &s->owned_g,
          &s->n_owned_g) < 0)
    return -1;
  return gc_adam_state_export (od, "opt_d", &s->list, &s->owned_d,
      &s->n_owned_d);
}

static void
state_free (ring_state *s)
{
  for (int i = 0; i < s->n_owned_g; i++)
    gc_param_free (&s->owned_g[i]);
  for (int i = 0; i < s->n_owned_d; i++)
    gc_param_free (&s->owned_d[i]);
  free (s->owned_g);
  free (s->owned_d);
  gc_param_list_free (&s->list);
  memset (s, 0, sizeof *s);
}

const gt_setting gt_ring_settings[] = {
  { "batch", GT_SETTING_INT, 128, NULL, "samples per step" },
  { "lr", GT_SETTING_FLOAT, 5e-3, NULL, "Adam learning rate of G and D" },
  { "loss", GT_SETTING_STR, 0, "ns", "GAN loss: ns, lsgan, hinge or wgan" },
  { "hidden", GT_SETTING_INT, 64, NULL, "hidden units of G and D" },
  { "zdim", GT_SETTING_INT, 4, NULL, "latent dimensions" },
  { NULL }
};

int
gt_recipe_ring (gt_ctx *c)
{
  const gt_setting *tab = gt_ring_settings;
  int batch = (int) gt_setting_int (c, tab, "batch");
  int hidden = (int) gt_setting_int (c, tab, "hidden");
  int zdim = (int) gt_setting_int (c, tab, "zdim");
  float lr = (float) gt_setting_float (c, tab, "lr");
  const char *loss_name = gt_setting_str (c, tab, "loss");
  int loss = gc_gan_loss_from_name (loss_name);
  if (loss < 0) {
    gc_set_error ("ring: unknown loss '%s' (ns, lsgan, hinge, wgan)",
        loss_name);
    return -1;
  }
  if (batch < 1 || batch > 65536 || hidden < 1 || hidden > 4096 || zdim < 1
      || zdim > 1024 || !(lr > 0)) {
    gc_set_error ("ring: batch, hidden, zdim and lr must be positive");
    return -1;
  }
  long steps = gt_steps (c, 2000);
  int lo, hi;                   /* this rank's items of the global batch */
  if (gt_dist_slice (batch, &lo, &hi) < 0)
    return -1;
  batch = hi - lo;

  gc_rng rng;
  gc_rng_seed (&rng, c->seed);
  mlp g, d;
  gc_param_list gp = { 0 }, dp = { 0 };
  gc_adam og, od;
  memset (&og, 0, sizeof og);
  memset (&od, 0, sizeof od);
  ring_state st = { 0 };
  gc_tensor z = GC_TENSOR_INIT, real = GC_TENSOR_INIT, fake = GC_TENSOR_INIT;
  gc_tensor zg = GC_TENSOR_INIT;
  gc_tensor both = GC_TENSOR_INIT;
  gc_tensor ddx = GC_TENSOR_INIT, t1 = GC_TENSOR_INIT, t2 = GC_TENSOR_INIT;
  gc_tensor gdx = GC_TENSOR_INIT;
  int rc = -1;

  memset (&g, 0, sizeof g);
  memset (&d, 0, sizeof d);
  if (mlp_init (&g, "gen", zdim, hidden, 2, GC_ACT_RELU, &rng) < 0
      || mlp_init (&d, "disc", 2, hidden, 1, GC_ACT_LEAKY_RELU, &rng) < 0)
    goto out;
  mlp_params (&g, &gp);
  mlp_params (&d, &dp);
  if (gc_adam_init (&og, &gp, lr, 0.5f, 0.999f, 0.0f) < 0
      || gc_adam_init (&od, &dp, lr, 0.5f, 0.999f, 0.0f) < 0)
    goto out;

  long start = 0;
  if (c->resume) {
    if (state_build (&st, &gp, &dp, &og, &od) < 0)
      goto out;
    start = gt_checkpoint_load (c, &st.list, &rng);
    if (start < 0 || gc_adam_state_import (&og, "opt_g", &st.list) < 0
        || gc_adam_state_import (&od, "opt_d", &st.list) < 0)
      goto out;
    state_free (&st);
  }

  static const char *const names[] = { "d_loss", "g_loss", "dist" };
  for (long step = start; step < steps; step++) {
    /* Discriminator: one pass over [real; detached fake]. */
    gc_tensor_resize (&real, batch, 2, 1, 1);
    gc_tensor_resize (&z, batch, zdim, 1, 1);
    gc_tensor_resize (&zg, batch, zdim, 1, 1);
    for (int i = 0; i < batch; i++) {
      gc_rng ir;
      gt_item_rng (&ir, c->seed, step, lo + i);
      sample_item (&ir, i, zdim, &real, &z, &zg);
    }
    mlp_forward (&g, &z);
    gc_tensor_resize (&both, 2 * batch, 2, 1, 1);
    memcpy (both.data, real.data, 2 * batch * sizeof (float));
    memcpy (both.data + 2 * batch, g.out.data, 2 * batch * sizeof (float));
    gc_param_list_zero_grad (&dp);
    mlp_forward (&d, &both);
    gc_tensor_resize (&ddx, 2 * batch, 1, 1, 1);
    float d_loss = gc_gan_d_loss (loss, d.out.data, batch,
        d.out.data + batch, batch, ddx.data, ddx.data + batch);
    mlp_backward (&d, &both, &ddx, NULL, &t1, &t2);
    gt_dist_grads (c, step, &dp);
    gc_adam_step (&od);

    /* Generator: fresh z, gradient through D into G. */
    gc_tensor_copy (&z, &zg);
    mlp_forward (&g, &z);
    gc_tensor_copy (&fake, &g.out);
    mlp_forward (&d, &fake);
    gc_tensor_resize (&ddx, batch, 1, 1, 1);
    float g_loss = gc_gan_g_loss (loss, d.out.data, batch, ddx.data);
    mlp_backward (&d, &fake, &ddx, &gdx, &t1, &t2);
    gc_param_list_zero_grad (&dp);  /* D is not trained by this pass */
    gc_param_list_zero_grad (&gp);
    mlp_backward (&g, &z, &gdx, NULL, &t1, &t2);
    gt_dist_grads (c, step, &gp);
    gc_adam_step (&og);

    float vals[3] = { d_loss, g_loss, mean_mode_distance (&fake) };
    gt_log_step (c, step + 1, 3, names, vals);
    if (gt_checkpoint_due (c, step + 1)) {
      if (state_build (&st, &gp, &dp, &og, &od) < 0
          || gt_checkpoint_save (c, step + 1, &st.list, &rng) < 0)
        goto out;
      state_free (&st);
    }
  }

  char zs[16], hs[16];
  snprintf (zs, sizeof zs, "%d", zdim);
  snprintf (hs, sizeof hs, "%d", hidden);
  const char *kv[] = { "arch", "ring-mlp", "z_dim", zs, "hidden", hs,
    "gan_loss", loss_name, NULL };
  if (gt_export (c, &gp, kv) < 0)
    goto out;
  gt_finish (c);
  rc = 0;
out:
  state_free (&st);
  gc_adam_free (&og);
  gc_adam_free (&od);
  gc_param_list_free (&gp);
  gc_param_list_free (&dp);
  mlp_free (&g);
  mlp_free (&d);
  gc_tensor_free (&z);
  gc_tensor_free (&zg);
  gc_tensor_free (&real);
  gc_tensor_free (&fake);
  gc_tensor_free (&both);
  gc_tensor_free (&ddx);
  gc_tensor_free (&t1);
  gc_tensor_free (&t2);
  gc_tensor_free (&gdx);
  return rc;
}
