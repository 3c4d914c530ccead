/* Tensors, RNG and parameter lists: the reproducibility every recipe relies
 * on (same seed, same numbers), sane distributions, bad shapes refused. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gc_base.h"
#include "gan_test.h"

int
main (void)
{
  gc_rng a, b;
  gc_rng_seed (&a, 42);
  gc_rng_seed (&b, 42);
  int same = 1;
  for (int i = 0; i < 1000; i++)
    same &= gc_rng_u32 (&a) == gc_rng_u32 (&b);
  CHECK (same, "same seed gives different streams");
  gc_rng_seed (&b, 43);
  CHECK (gc_rng_u32 (&a) != gc_rng_u32 (&b), "different seeds collide");

  /* moments of the normal and uniform generators */
  double s = 0, s2 = 0, u = 0, umin = 1, umax = 0;
  const int n = 200000;
  for (int i = 0; i < n; i++) {
    float x = gc_rng_normal (&a);
    s += x;
    s2 += x * x;
    float v = gc_rng_uniform (&a);
    u += v;
    umin = v < umin ? v : umin;
    umax = v > umax ? v : umax;
    CHECK (isfinite (x), "non-finite normal");
  }
  CHECK (fabs (s / n) < 0.01, "normal mean %f", s / n);
  CHECK (fabs (s2 / n - 1.0) < 0.02, "normal variance %f", s2 / n);
  CHECK (fabs (u / n - 0.5) < 0.01 && umin >= 0 && umax < 1, "uniform");

  gc_tensor t = GC_TENSOR_INIT;
  CHECK (gc_tensor_resize (&t, 2, 3, 4, 5) == 0, "resize");
  CHECK (gc_tensor_size (&t) == 120 && ((size_t) t.data & 63) == 0, "size/align");
  CHECK (gc_tensor_resize (&t, 0, 3, 4, 5) < 0, "zero dim accepted");
  CHECK (gc_tensor_resize (&t, 1 << 30, 1 << 30, 4, 4) < 0, "overflow accepted");
  CHECK (strlen (gc_last_error ()) > 0, "no error message");
  gc_tensor_free (&t);

  gc_param p, q;
  int shape[2] = { 3, 4 };
  CHECK (gc_param_init (&p, "layer.weight", 2, shape) == 0 && p.n == 12, "param");
  CHECK (gc_param_init (&q, "layer.bias", 1, shape) == 0 && q.n == 3, "param");
  gc_param_list l = { 0 };
  gc_param_list_add (&l, &p);
  gc_param_list_add (&l, &q);
  gc_param_list_prefix (&l, "gen");
  CHECK (gc_param_list_find (&l, "gen.layer.bias") == &q, "find after prefix");
  CHECK (gc_param_list_count_floats (&l, 1) == 15, "count");
  int bad[1] = { 0 };
  gc_param r;
  CHECK (gc_param_init (&r, "bad", 1, bad) < 0, "zero-size param accepted");
  gc_param_list_free (&l);
  gc_param_free (&p);
  gc_param_free (&q);

  printf ("%s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
