/* AdamW against hand-computed updates, EMA, gradient clipping, learning
 * rate schedules, and the checkpoint state round trip. */
#include "gradcheck.h"

static gc_rng rng;

static void
test_adam_two_steps (void)
{
  gc_param p, frozen;
  gc_param_list pl = { 0 };
  int one = 1, three = 3;
  gc_param_init (&p, "w", 1, &one);
  gc_param_init (&frozen, "running", 1, &three);
  frozen.trainable = 0;
  gc_init_const (&frozen, 2.0f);
  gc_param_list_add (&pl, &p);
  gc_param_list_add (&pl, &frozen);
  gc_adam o;
  gc_adam_init (&o, &pl, 0.1f, 0.9f, 0.999f, 0.01f);
  /* worked by hand (see the comment): w0 = 1, g = 0.5 then -0.25
   * step 1: m = .05, v = .00025, mhat = .5, vhat = .25
   *         w = 1 * (1 - .1 * .01) - .1 * .5 / .5        = 0.899
   * step 2: m = .02, v = .00031225, mhat = .02 / .19, vhat = v / .001999
   *         w = .899 * .999 - .1 * .105263 / .395225     = 0.8714673 */
  p.w[0] = 1.0f;
  p.g[0] = 0.5f;
  frozen.g[0] = 1.0f;
  gc_adam_step (&o);
  CHECK (gradcheck_close (p.w[0], 0.899, 1e-6, 0), "adam step 1: %.7f", p.w[0]);
  CHECK (p.g[0] == 0.0f, "adam did not zero the gradient");
  p.g[0] = -0.25f;
  gc_adam_step (&o);
  CHECK (gradcheck_close (p.w[0], 0.8714673, 1e-6, 0), "adam step 2: %.7f",
      p.w[0]);
  CHECK (frozen.w[0] == 2.0f && o.step == 2, "adam touched a frozen "
      "parameter or miscounted steps");
  printf ("adam two steps: %.7f (hand: 0.8714673)\n", p.w[0]);
  gc_adam_free (&o);
  gc_param_free (&p);
  gc_param_free (&frozen);
  gc_param_list_free (&pl);
}

static void
test_clip_and_schedules (void)
{
  gc_param a, b;
  gc_param_list pl = { 0 };
  int one = 1;
  gc_param_init (&a, "a", 1, &one);
  gc_param_init (&b, "b", 1, &one);
  gc_param_list_add (&pl, &a);
  gc_param_list_add (&pl, &b);
  a.g[0] = 3.0f;
  b.g[0] = 4.0f;
  float n = gc_clip_grad_norm (&pl, 10.0f);
  CHECK (n == 5.0f && a.g[0] == 3.0f, "clip below the limit changed it");
  n = gc_clip_grad_norm (&pl, 1.0f);
  CHECK (gradcheck_close (n, 5.0, 1e-7, 0)
      && gradcheck_close (a.g[0], 0.6, 1e-5, 0)
      && gradcheck_close (b.g[0], 0.8, 1e-5, 0), "clip to 1: %g %g", a.g[0],
      b.g[0]);
  gc_param_free (&a);
  gc_param_free (&b);
  gc_param_list_free (&pl);

  gc_lr_schedule s = { GC_LR_COSINE, 1.0f, 0.1f, 100, 10, 30, 0.5f };
  CHECK (gradcheck_close (gc_lr_at (&s, 0), 1.0, 1e-6, 0)
      && gradcheck_close (gc_lr_at (&s, 50), 0.55, 1e-6, 0)
      && gradcheck_close (gc_lr_at (&s, 100), 0.1, 1e-6, 0)
      && gradcheck_close (gc_lr_at (&s, 500), 0.1, 1e-6, 0), "cosine schedule");
  s.kind = GC_LR_WARMUP_COSINE;
  CHECK (gradcheck_close (gc_lr_at (&s, 0), 0.1, 1e-6, 0)
      && gradcheck_close (gc_lr_at (&s, 9), 1.0, 1e-6, 0)
      && gradcheck_close (gc_lr_at (&s, 55), 0.55, 1e-6, 0), "warmup cosine");
  s.kind = GC_LR_STEP;
  CHECK (gc_lr_at (&s, 29) == 1.0f && gc_lr_at (&s, 30) == 0.5f
      && gc_lr_at (&s, 65) == 0.25f, "step schedule");
  s.kind = GC_LR_CONST;
  CHECK (gc_lr_at (&s, 1000) == 1.0f, "const schedule");
}

static void
test_ema (void)
{
  gc_param p;
  gc_param_list pl = { 0 };
  int two = 2;
  gc_param_init (&p, "w", 1, &two);
  gc_param_list_add (&pl, &p);
  p.w[0] = 1.0f;
  p.w[1] = -1.0f;
  gc_ema e;
  gc_ema_init (&e, &pl, 0.9f);
  p.w[0] = 2.0f;
  p.w[1] = 1.0f;
  gc_ema_update (&e);      /* .9 * 1 + .1 * 2 = 1.1 ; .9 * -1 + .1 = -.8 */
  gc_ema_update (&e);      /* .9 * 1.1 + .2 = 1.19 ; -.72 + .1 = -.62 */
  gc_ema_swap (&e);
  CHECK (gradcheck_close (p.w[0], 1.19, 1e-6, 0)
      && gradcheck_close (p.w[1], -0.62, 1e-6, 0), "ema values %g %g",
      p.w[0], p.w[1]);
  gc_ema_swap (&e);
  CHECK (p.w[0] == 2.0f && p.w[1] == 1.0f, "ema swap back");
  gc_ema_free (&e);
  gc_param_free (&p);
  gc_param_list_free (&pl);
}

/* Two copies of a small model; A trains, exports its optimiser state,
 * B imports it, and from then on both take bitwise identical steps. */
static void
test_state_round_trip (void)
{
  gc_dense la, lb;
  gc_rng ra, rb;
  gc_rng_seed (&ra, 3);
  gc_rng_seed (&rb, 3);
  gc_dense_init (&la, "net", 4, 3, &ra);
  gc_dense_init (&lb, "net", 4, 3, &rb);
  gc_param_list pa = { 0 }, pb = { 0 };
  gc_dense_params (&la, &pa);
  gc_dense_params (&lb, &pb);
  gc_adam oa, ob;
  gc_adam_init (&oa, &pa, 1e-2f, 0.5f, 0.999f, 1e-3f);
  gc_adam_init (&ob, &pb, 1e-2f, 0.5f, 0.999f, 1e-3f);
  for (int s = 0; s < 3; s++) {
    for (int i = 0; i < pa.count; i++)
      gradcheck_fill_normal (&rng, pa.items[i]->g, pa.items[i]->n, 1.0f);
    gc_adam_step (&oa);
  }
  /* B gets A's weights and optimiser state through a param list */
  for (int i = 0; i < pa.count; i++)
    memcpy (pb.items[i]->w, pa.items[i]->w, pa.items[i]->n * sizeof (float));
  gc_param_list state = { 0 };
  gc_param *owned = NULL;
  int n_owned = 0;
  CHECK (gc_adam_state_export (&oa, "opt", &state, &owned, &n_owned) == 0
      && n_owned == 5 && state.count == 5, "export: %s", gc_last_error ());
  CHECK (gc_param_list_find (&state, "opt.m.net.weight") != NULL
      && gc_param_list_find (&state, "opt.step") != NULL, "export names");
  CHECK (gc_adam_state_import (&ob, "opt", &state) == 0 && ob.step == 3,
      "import: %s", gc_last_error ());
  for (int s = 0; s < 2; s++) {
    for (int i = 0; i < pa.count; i++) {
      gradcheck_fill_normal (&rng, pa.items[i]->g, pa.items[i]->n, 1.0f);
      memcpy (pb.items[i]->g, pa.items[i]->g, pa.items[i]->n
          * sizeof (float));
    }
    gc_adam_step (&oa);
    gc_adam_step (&ob);
  }
  int same = 1;
  for (int i = 0; i < pa.count; i++)
    same &= memcmp (pa.items[i]->w, pb.items[i]->w, pa.items[i]->n
        * sizeof (float)) == 0;
  CHECK (same, "steps after import differ");
  /* a list lacking a moment is refused and leaves the optimiser as it was */
  long step = ob.step;
  gc_param_list partial = { 0 };
  for (int i = 1; i < state.count; i++)
    gc_param_list_add (&partial, state.items[i]);
  CHECK (gc_adam_state_import (&ob, "opt", &partial) < 0
      && ob.step == step, "import with a missing moment was accepted");
  CHECK (gc_adam_state_import (&ob, "other", &state) < 0,
      "import under the wrong prefix was accepted");
  gc_param_list_free (&partial);
  for (int i = 0; i < n_owned; i++)
    gc_param_free (&owned[i]);
  free (owned);
  gc_param_list_free (&state);
  gc_adam_free (&oa);
  gc_adam_free (&ob);
  gc_param_list_free (&pa);
  gc_param_list_free (&pb);
  gc_dense_free (&la);
  gc_dense_free (&lb);
}

int
main (void)
{
  gc_rng_seed (&rng, 11);
  test_adam_two_steps ();
  test_clip_and_schedules ();
  test_ema ();
  test_state_round_trip ();
  if (failures) {
    fprintf (stderr, "%d failures\n", failures);
    return 1;
  }
  printf ("optimiser ok\n");
  return 0;
}
