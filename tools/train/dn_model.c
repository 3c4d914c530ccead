/* gan-train denoise: checkpoints, starting from (and widening) a trained
 * model, export. */
#include "dn_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
free_owned (gc_param *owned, int n)
{
  for (int i = 0; i < n; i++)
    gc_param_free (&owned[i]);
  free (owned);
}

/* Everything a resume needs: weights of G and D and both optimizers. */
int
dn_save_ckpt (gt_ctx *c, long step, gcn_denoiser *net, dn_disc *D, gc_adam *og,
    gc_adam *od, gc_rng *rng)
{
  gc_param_list st = { 0 };
  gc_param *o1 = NULL, *o2 = NULL;
  int n1 = 0, n2 = 0, ret = -1;
  for (int i = 0; i < net->params.count; i++)
    gc_param_list_add (&st, net->params.items[i]);
  for (int i = 0; i < D->params.count; i++)
    gc_param_list_add (&st, D->params.items[i]);
  if (gc_adam_state_export (og, "opt_g", &st, &o1, &n1) == 0 &&
      gc_adam_state_export (od, "opt_d", &st, &o2, &n2) == 0)
    ret = gt_checkpoint_save (c, step, &st, rng);
  gc_param_list_free (&st);
  free_owned (o1, n1);
  free_owned (o2, n2);
  return ret;
}

long
dn_load_ckpt (gt_ctx *c, gcn_denoiser *net, dn_disc *D, gc_adam *og,
    gc_adam *od, gc_rng *rng)
{
  gc_param_list st = { 0 };
  gc_param *o1 = NULL, *o2 = NULL;
  int n1 = 0, n2 = 0;
  long step = -1;
  for (int i = 0; i < net->params.count; i++)
    gc_param_list_add (&st, net->params.items[i]);
  for (int i = 0; i < D->params.count; i++)
    gc_param_list_add (&st, D->params.items[i]);
  if (gc_adam_state_export (og, "opt_g", &st, &o1, &n1) == 0 &&
      gc_adam_state_export (od, "opt_d", &st, &o2, &n2) == 0) {
    step = gt_checkpoint_load (c, &st, rng);
    if (step > 0 && (gc_adam_state_import (og, "opt_g", &st) < 0 ||
            gc_adam_state_import (od, "opt_d", &st) < 0))
      step = -1;
  }
  gc_param_list_free (&st);
  free_owned (o1, n1);
  free_owned (o2, n2);
  return step;
}

/* Widening (--set gru1=/gru2= above the init model's): where a unit of
 * the old network sits in a tensor of the wider one. GRU rows are three
 * gate blocks (r, z, n) of `hidden` units; the heads read [gru1 | gru2]. */
typedef struct dn_widen {
  int h1o, h2o, h1n, h2n;
} dn_widen;

static int
widen_row (const char *name, int r, const dn_widen *w)
{
  if (strncmp (name, "gru1.", 5) == 0)
    return r / w->h1o * w->h1n + r % w->h1o;
  if (strncmp (name, "gru2.", 5) == 0)
    return r / w->h2o * w->h2n + r % w->h2o;
  return r;                     /* head outputs keep their places */
}

static int
widen_col (const char *name, int c, const dn_widen *w)
{
  if (strncmp (name, "gru", 3) == 0)
    return c;                   /* input or hidden units: a prefix */
  return c < w->h1o ? c : w->h1n + (c - w->h1o);        /* [gru1 | gru2] */
}

/* Copies an old GRU or head tensor into its wider counterpart. The old
 * units keep their weights; new units keep their fresh random rows (so
 * they can learn); every weight from a new unit into an old unit or a
 * head is zero, so the wider network computes what the old one did. */
static int
widen_tensor (gc_param *p, const gc_model_tensor *t, const dn_widen *w)
{
  int grurow = strncmp (p->name, "gru", 3) == 0;
  int head = !grurow && (strstr (p->name, ".weight") || strstr (p->name,
          ".bias")) && strncmp (p->name, "conv.", 5) != 0;
  if ((!grurow && !head) || p->ndim != t->ndim || p->ndim < 1 || p->ndim > 2)
    return -1;
  int ro = t->shape[0], rn = p->shape[0];
  int co = p->ndim == 2 ? t->shape[1] : 1, cn = p->ndim == 2 ? p->shape[1] : 1;
  for (int r = 0; r < ro; r++) {
    int nr = widen_row (p->name, r, w);
    if (nr < 0 || nr >= rn)
      return -1;
    memset (p->w + (size_t) nr * cn, 0, (size_t) cn * sizeof (float));
    for (int c = 0; c < co; c++) {
      int nc = p->ndim == 2 ? widen_col (p->name, c, w) : 0;
      if (nc < 0 || nc >= cn)
        return -1;
      p->w[(size_t) nr * cn + nc] = t->data[(size_t) r * co + c];
    }
  }
  return 0;
}

/* Warm start (--set init=MODEL): copy every tensor the model file shares
 * with this network (a deep filter added to a gains-only model starts at
 * zero, so the run begins exactly where that model ended). A network with
 * wider GRUs than the model is widened without changing what it computes
 * (widen_tensor). */
int
dn_init_from_model (gcn_denoiser *net, const char *path)
{
  gc_model_file m;
  if (gc_model_load (&m, path) < 0)
    return -1;
  dn_widen w = { gc_model_meta_get_int (&m, "gru1", net->cfg.gru1),
    gc_model_meta_get_int (&m, "gru2", net->cfg.gru2), net->cfg.gru1,
    net->cfg.gru2 };
  int widen = w.h1o != w.h1n || w.h2o != w.h2n;
  if (w.h1o > w.h1n || w.h2o > w.h2n || w.h1o < 1 || w.h2o < 1 ||
      gc_model_meta_get_int (&m, "conv_ch", net->cfg.conv_ch) !=
      net->cfg.conv_ch) {
    gc_set_error ("%s: GRUs %d/%d, conv %d channels: this network can only "
        "widen its GRUs (%d/%d, conv %d)", path, w.h1o, w.h2o,
        gc_model_meta_get_int (&m, "conv_ch", 0), w.h1n, w.h2n,
        net->cfg.conv_ch);
    gc_model_free (&m);
    return -1;
  }
  int copied = 0, fresh = 0;
  for (int i = 0; i < net->params.count; i++) {
    gc_param *p = net->params.items[i];
    const gc_model_tensor *t = gc_model_find (&m, p->name);
    if (t && t->n == p->n) {    /* widening never keeps a size and moves units */
      memcpy (p->w, t->data, p->n * sizeof (float));
      copied++;
    } else if (t && widen && widen_tensor (p, t, &w) == 0) {
      copied++;
    } else if (t && p->ndim == 3 && t->ndim == 3 && t->shape[0] == p->shape[0]
        && t->shape[1] < p->shape[1] && t->shape[2] == p->shape[2]) {
      /* a conv that gained input channels (phase features): the old ones
       * keep their weights, the new ones start at zero */
      int co = p->shape[0], ci = p->shape[1], k = p->shape[2];
      int ti = t->shape[1];
      memset (p->w, 0, p->n * sizeof (float));
      for (int o = 0; o < co; o++)
        memcpy (p->w + ((size_t) o * ci) * k, t->data + ((size_t) o * ti) * k,
            (size_t) ti * k * sizeof (float));
      copied++;
    } else if (t) {
      gc_set_error ("%s: tensor %s has %zu values, this network %zu",
          path, p->name, t->n, p->n);
      gc_model_free (&m);
      return -1;
    } else {
      fresh++;
    }
  }
  fprintf (stderr, "denoise: %d tensors from %s, %d new\n", copied, path,
      fresh);
  gc_model_free (&m);
  return 0;
}

/* With export_df 0 the network goes out without its deep-filter head (the
 * gains it learnt alongside the filter, run on their own). */
int
dn_export_model (gt_ctx *c, gcn_denoiser *net, const char *path)
{
  if (!dn_opt_export_df && net->cfg.df_order > 0) {
    gcn_denoiser lean;
    gcn_denoiser_config cfg = net->cfg;
    gc_rng r;
    gc_rng_seed (&r, 1);
    cfg.df_order = 0;
    if (gcn_denoiser_init (&lean, &cfg, &r) < 0)
      return -1;
    for (int i = 0; i < lean.params.count; i++) {
      gc_param *p = lean.params.items[i];
      gc_param *q = gc_param_list_find (&net->params, p->name);
      if (!q || q->n != p->n) {
        gc_set_error ("denoise: export: %s missing", p->name);
        gcn_denoiser_free (&lean);
        return -1;
      }
      memcpy (p->w, q->w, p->n * sizeof (float));
    }
    dn_opt_export_df = 1;
    int ret = dn_export_model (c, &lean, path);
    dn_opt_export_df = 0;
    gcn_denoiser_free (&lean);
    return ret;
  }
  char *storage = NULL;
  const char **kv = gcn_denoiser_meta (net, &storage);
  const char *saved = c->out_path;
  if (path)
    c->out_path = path;
  int ret = kv ? gt_export (c, &net->params, kv) : -1;
  c->out_path = saved;
  free (kv);
  free (storage);
  return ret;
}
