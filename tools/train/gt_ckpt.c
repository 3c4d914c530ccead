/* gan-train: checkpoints with exact resume.
 *
 * A checkpoint is an ordinary model file (gc_model_save, atomic) holding
 * every tensor in the recipe's `state` plus two of the frame's own:
 *   __ckpt__.rng   [8]  the four 32-bit RNG words as 16-bit halves
 *   __ckpt__.step  [3]  the step as three 21-bit parts
 * Splitting keeps every value an exactly representable small float, so the
 * round trip is exact whatever the loader does with float bit patterns.
 *
 * With several ranks they agree on a stop at every gt_checkpoint_due,
 * rank 0 alone writes, and on resume rank 0 reads the file and sends its
 * tensors to the others, so the number of ranks may change between runs
 * (the data of step t does not depend on it, see gt_dist.h). */
#include "gt.h"
#include "gt_comm.h"
#include "gt_dist.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CKPT_ARCH "gan-train-checkpoint"

static volatile sig_atomic_t stop_requested;

void
gt_request_stop (void)
{
  stop_requested = 1;
}

int
gt_stop_requested (void)
{
  return stop_requested != 0;
}

static void
ckpt_path (gt_ctx *c, char *buf, size_t n)
{
  snprintf (buf, n, "%s/ckpt.safetensors", c->run_dir);
}

int
gt_checkpoint_due (gt_ctx *c, long step)
{
  if (gt_comm_size () > 1) {    /* a signal may reach only some ranks */
    uint64_t any = stop_requested != 0;
    if (gt_comm_max_u64 (&any, 1) < 0)
      gt_comm_abort (3);
    if (any)
      stop_requested = 1;
  }
  if (stop_requested)
    return 1;
  if (c->steps > 0 && step >= c->steps)
    return 1;
  return c->ckpt_every > 0 && step > 0 && step % c->ckpt_every == 0;
}

static int
save_file (gt_ctx *c, long step, gc_param_list *state, const gc_rng *rng,
    char *path, size_t path_n)
{
  gc_param p_rng, p_step;
  int shape_rng[1] = { 8 }, shape_step[1] = { 3 };
  memset (&p_rng, 0, sizeof p_rng);
  memset (&p_step, 0, sizeof p_step);
  if (gc_param_init (&p_rng, "__ckpt__.rng", 1, shape_rng) < 0
      || gc_param_init (&p_step, "__ckpt__.step", 1, shape_step) < 0) {
    gc_param_free (&p_rng);
    gc_param_free (&p_step);
    return -1;
  }
  for (int i = 0; i < 4; i++) {
    uint32_t s = rng ? rng->s[i] : 0;
    p_rng.w[2 * i] = (float) (s >> 16);
    p_rng.w[2 * i + 1] = (float) (s & 0xffff);
  }
  uint64_t us = step < 0 ? 0 : (uint64_t) step;
  p_step.w[0] = (float) ((us >> 42) & 0x1fffff);
  p_step.w[1] = (float) ((us >> 21) & 0x1fffff);
  p_step.w[2] = (float) (us & 0x1fffff);

  gc_param_list all = { 0 };
  int rc = 0;
  for (int i = 0; state && i < state->count && rc == 0; i++)
    rc = gc_param_list_add (&all, state->items[i]);
  if (rc == 0)
    rc = gc_param_list_add (&all, &p_rng);
  if (rc == 0)
    rc = gc_param_list_add (&all, &p_step);

  char step_s[32], seed_s[32], ranks_s[32];
  snprintf (step_s, sizeof step_s, "%ld", step);
  snprintf (seed_s, sizeof seed_s, "%llu", (unsigned long long) c->seed);
  snprintf (ranks_s, sizeof ranks_s, "%d", gt_dist_size ());
  const char *kv[] = { "arch", CKPT_ARCH, "recipe", c->recipe, "step", step_s,
    "seed", seed_s, "ranks", ranks_s, NULL };
  ckpt_path (c, path, path_n);
  if (rc == 0 && gt_mkdirs (c->run_dir) < 0) {
    gc_set_error ("%s: cannot create the run directory", c->run_dir);
    rc = -1;
  }
  if (rc == 0)
    rc = gc_model_save (path, &all, kv);
  gc_param_list_free (&all);
  gc_param_free (&p_rng);
  gc_param_free (&p_step);
  /* Keep the plot as fresh as the checkpoint; a plot failure is harmless. */
  gt_log_plot (c);
  return rc;
}

int
gt_checkpoint_save (gt_ctx *c, long step, gc_param_list *state,
    const gc_rng *rng)
{
  char path[4200] = "";
  int rc = 0;
  if (gt_comm_rank () == 0)
    rc = save_file (c, step, state, rng, path, sizeof path);
  if (gt_comm_size () > 1) {    /* every rank returns rank 0's result */
    int32_t r = rc;
    if (gt_comm_bcast (&r, sizeof r) < 0)
      gt_comm_abort (3);
    rc = r;
    if (rc < 0 && gt_comm_rank () != 0)
      gc_set_error ("rank 0 could not write the checkpoint");
  }
  if (rc == 0 && stop_requested) {
    if (gt_comm_rank () == 0)
      fprintf (stderr, "\n[%s] interrupted: checkpoint at step %ld in %s; "
          "continue with --resume\n", c->recipe, step, path);
    gt_comm_finalize ();
    exit (130);
  }
  return rc;
}

static int
small_int (float v, long max)
{
  return v >= 0 && v <= max && v == (float) (long) v;
}

static long
load_file (gt_ctx *c, gc_param_list *state, gc_rng *rng)
{
  char path[4200];
  ckpt_path (c, path, sizeof path);
  struct stat st;
  if (stat (path, &st) != 0)
    return 0;                   /* nothing to resume: a fresh run */
  gc_model_file m;
  memset (&m, 0, sizeof m);
  if (gc_model_load (&m, path) < 0)
    return -1;
  long result = -1;
  const char *recipe = gc_model_meta_get (&m, "recipe");
  if (gc_model_check_arch (&m, CKPT_ARCH) < 0)
    goto out;
  if (!recipe || strcmp (recipe, c->recipe) != 0) {
    gc_set_error ("%s: checkpoint of recipe '%s', not '%s'", path,
        recipe ? recipe : "?", c->recipe);
    goto out;
  }
  const gc_model_tensor *t_rng = gc_model_find (&m, "__ckpt__.rng");
  const gc_model_tensor *t_step = gc_model_find (&m, "__ckpt__.step");
  if (!t_rng || t_rng->n != 8 || !t_step || t_step->n != 3) {
    gc_set_error ("%s: no RNG state or step in the checkpoint", path);
    goto out;
  }
  for (int i = 0; i < 8; i++)
    if (!small_int (t_rng->data[i], 0xffff)) {
      gc_set_error ("%s: damaged RNG state", path);
      goto out;
    }
  for (int i = 0; i < 3; i++)
    if (!small_int (t_step->data[i], 0x1fffff)) {
      gc_set_error ("%s: damaged step", path);
      goto out;
    }
  /* Check every tensor before copying any, so a failure changes nothing. */
  for (int i = 0; state && i < state->count; i++) {
    const gc_param *p = state->items[i];
    const gc_model_tensor *t = gc_model_find (&m, p->name);
    if (!t) {
      gc_set_error ("%s: tensor '%s' is missing", path, p->name);
      goto out;
    }
    int same = t->n == p->n && t->ndim == p->ndim;
    for (int d = 0; same && d < p->ndim; d++)
      same = t->shape[d] == p->shape[d];
    if (!same) {
      gc_set_error ("%s: tensor '%s' has another shape", path, p->name);
      goto out;
    }
  }
  for (int i = 0; state && i < state->count; i++) {
    gc_param *p = state->items[i];
    memcpy (p->w, gc_model_find (&m, p->name)->data, p->n * sizeof (float));
  }
  if (rng)
    for (int i = 0; i < 4; i++)
      rng->s[i] = ((uint32_t) t_rng->data[2 * i] << 16)
          | (uint32_t) t_rng->data[2 * i + 1];
  uint64_t step = ((uint64_t) t_step->data[0] << 42)
      | ((uint64_t) t_step->data[1] << 21) | (uint64_t) t_step->data[2];
  c->start_step = (long) step;
  result = (long) step;
out:
  gc_model_free (&m);
  return result;
}

long
gt_checkpoint_load (gt_ctx *c, gc_param_list *state, gc_rng *rng)
{
  c->start_step = 0;
  if (!c->resume)
    return 0;
  if (gt_comm_size () == 1)
    return load_file (c, state, rng);
  /* Rank 0 reads; the others receive the step (or the error), then the
   * tensors and the RNG. */
  int64_t step = gt_comm_rank () == 0 ? load_file (c, state, rng) : 0;
  char err[512] = "";
  if (gt_comm_bcast (&step, sizeof step) < 0)
    return -1;
  if (step < 0) {
    snprintf (err, sizeof err, "%s", gc_last_error ());
    if (gt_comm_bcast (err, sizeof err) < 0)
      return -1;
    gc_set_error ("%s", err);
    return -1;
  }
  if (step > 0) {
    gc_rng tmp = { { 0 } };
    if (rng)
      tmp = *rng;
    if ((state && gt_dist_bcast_params (state) < 0)
        || gt_comm_bcast (tmp.s, sizeof tmp.s) < 0) {
      gc_set_error ("the checkpoint could not be sent to every rank");
      return -1;
    }
    if (rng)
      *rng = tmp;
  }
  c->start_step = (long) step;
  return (long) step;
}
