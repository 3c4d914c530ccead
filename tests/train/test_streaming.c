/* Streaming equals whole-signal processing: conv1d fed in chunks of 1, 3
 * and 7 frames, and GRU steps against the sequence forward. */
#include "gradcheck.h"

static gc_rng rng;

/* Feed x (N, C, 1, T) to the stream in chunks of `chunk` frames (the last
 * one shorter) and gather the output. */
static void
stream_in_chunks (gc_conv1d *l, const gc_tensor *x, int chunk, gc_tensor *y)
{
  gc_conv1d_state st;
  gc_tensor part = GC_TENSOR_INIT, out = GC_TENSOR_INIT;
  gc_conv1d_state_init (&st, l, x->n);
  gc_tensor_resize (y, x->n, l->cout, 1, x->w);
  for (int t0 = 0; t0 < x->w; t0 += chunk) {
    int len = t0 + chunk <= x->w ? chunk : x->w - t0;
    gc_tensor_resize (&part, x->n, x->c, 1, len);
    for (int n = 0; n < x->n; n++)
      for (int c = 0; c < x->c; c++)
        memcpy (part.data + ((size_t) n * x->c + c) * len,
            x->data + ((size_t) n * x->c + c) * x->w + t0,
            len * sizeof (float));
    gc_conv1d_stream (l, &st, &part, &out);
    for (int n = 0; n < x->n; n++)
      for (int c = 0; c < l->cout; c++)
        memcpy (y->data + ((size_t) n * l->cout + c) * x->w + t0,
            out.data + ((size_t) n * l->cout + c) * len,
            len * sizeof (float));
  }
  gc_conv1d_state_free (&st);
  gc_tensor_free (&part);
  gc_tensor_free (&out);
}

static void
test_conv_stream_case (int cin, int cout, int k, int dil, int groups, int t)
{
  gc_conv1d l;
  gc_tensor x = GC_TENSOR_INIT, whole = GC_TENSOR_INIT, s = GC_TENSOR_INIT;
  gc_conv1d_init (&l, "c", cin, cout, k, 1, dil, 0, groups, 1, &rng);
  gradcheck_fill_normal (&rng, l.bias.w, cout, 0.5f);
  gc_tensor_resize (&x, 2, cin, 1, t);
  gradcheck_fill_normal (&rng, x.data, gc_tensor_size (&x), 1.0f);
  gc_conv1d_forward (&l, &x, &whole);
  static const int chunks[] = { 1, 3, 7 };
  for (int ci = 0; ci < 3; ci++) {
    stream_in_chunks (&l, &x, chunks[ci], &s);
    double worst = 0.0;
    for (size_t i = 0; i < gc_tensor_size (&whole); i++)
      worst = fmax (worst, fabs (s.data[i] - whole.data[i]));
    CHECK (worst <= 1e-6, "conv1d stream %d->%d k%d d%d g%d chunk %d: "
        "max diff %g", cin, cout, k, dil, groups, chunks[ci], worst);
    printf ("conv1d stream %2d->%-2d k%d d%d g%d chunk %d: max diff %.2g\n",
        cin, cout, k, dil, groups, chunks[ci], worst);
  }
  /* after a reset the state starts a new signal: the same input streamed
   * again in one call gives the whole-signal output again */
  gc_conv1d_state st;
  gc_conv1d_state_init (&st, &l, 2);
  gc_conv1d_stream (&l, &st, &x, &s);
  gc_conv1d_state_reset (&st);
  gc_conv1d_stream (&l, &st, &x, &s);
  double worst = 0.0;
  for (size_t i = 0; i < gc_tensor_size (&whole); i++)
    worst = fmax (worst, fabs (s.data[i] - whole.data[i]));
  CHECK (worst <= 1e-6, "conv1d stream after reset: max diff %g", worst);
  gc_conv1d_state_free (&st);
  gc_tensor_free (&x);
  gc_tensor_free (&whole);
  gc_tensor_free (&s);
  gc_conv1d_free (&l);
}

static void
test_conv_stream (void)
{
  test_conv_stream_case (3, 5, 3, 2, 1, 29);
  test_conv_stream_case (1, 7, 5, 1, 1, 31);
  test_conv_stream_case (6, 6, 3, 4, 6, 23);     /* depthwise, dilation 4 */
  test_conv_stream_case (13, 7, 1, 1, 1, 17);    /* no history at all */

  /* a symmetric stride-1 layer streams with a delay of pad frames */
  gc_conv1d l;
  gc_tensor x = GC_TENSOR_INIT, whole = GC_TENSOR_INIT, s = GC_TENSOR_INIT;
  gc_conv1d_init (&l, "sym", 3, 4, 5, 1, 1, 2, 1, 0, &rng);
  gc_tensor_resize (&x, 1, 3, 1, 20);
  gradcheck_fill_normal (&rng, x.data, 60, 1.0f);
  gc_conv1d_forward (&l, &x, &whole);
  stream_in_chunks (&l, &x, 3, &s);
  double worst = 0.0;
  for (int c = 0; c < 4; c++)
    for (int t = 2; t < 20; t++)
      worst = fmax (worst, fabs (s.data[c * 20 + t]
              - whole.data[c * 20 + t - 2]));
  CHECK (worst <= 1e-6, "symmetric stream is not a 2-frame delay: %g",
      worst);

  /* a state for another batch size or a strided layer: a bug, abort */
  gc_conv1d_state st;
  gc_conv1d_state_init (&st, &l, 2);
  CHECK_ABORTS ("conv1d stream", gc_conv1d_stream (&l, &st, &x, &s));
  gc_conv1d_state_free (&st);
  gc_conv1d_free (&l);
  gc_conv1d_init (&l, "strided", 3, 4, 3, 2, 1, 1, 1, 0, &rng);
  gc_conv1d_state_init (&st, &l, 1);
  CHECK_ABORTS ("needs stride 1", gc_conv1d_stream (&l, &st, &x, &s));
  gc_conv1d_state_free (&st);
  gc_conv1d_free (&l);
  gc_tensor_free (&x);
  gc_tensor_free (&whole);
  gc_tensor_free (&s);
}

static void
test_gru_step (void)
{
  int in = 5, hd = 7, n = 3, t = 11;
  gc_gru l;
  gc_gru_cache cache = { 0 };
  gc_tensor x = GC_TENSOR_INIT, y = GC_TENSOR_INIT;
  gc_gru_init (&l, "g", in, hd, &rng);
  gc_tensor_resize (&x, n, in, 1, t);
  gradcheck_fill_normal (&rng, x.data, gc_tensor_size (&x), 1.0f);
  float h0[3 * 7];
  gradcheck_fill_normal (&rng, h0, n * hd, 0.5f);
  gc_gru_forward (&l, &x, h0, &y, &cache);
  float h[7], xt[5], scratch[6 * 7];
  double worst = 0.0;
  for (int b = 0; b < n; b++) {
    memcpy (h, h0 + b * hd, sizeof h);
    for (int s = 0; s < t; s++) {
      for (int c = 0; c < in; c++)
        xt[c] = x.data[((size_t) b * in + c) * t + s];
      gc_gru_step (&l, xt, h, scratch);
      for (int j = 0; j < hd; j++)
        worst = fmax (worst, fabs (h[j] - y.data[((size_t) b * hd + j) * t
                    + s]));
    }
  }
  CHECK (worst <= 1e-6, "gru step vs sequence: max diff %g", worst);
  printf ("gru step vs sequence (N3 T11): max diff %.2g\n", worst);
  /* the sequence output is the cache's h_1..h_T */
  CHECK (cache.h[(size_t) t * n * hd + hd] == y.data[(size_t) hd * t + t
          - 1], "cache h_T");
  gc_gru_cache_free (&cache);
  gc_tensor_free (&x);
  gc_tensor_free (&y);
  gc_gru_free (&l);
}

int
main (void)
{
  gc_rng_seed (&rng, 99);
  test_conv_stream ();
  test_gru_step ();
  if (failures) {
    fprintf (stderr, "%d failures\n", failures);
    return 1;
  }
  printf ("streaming matches\n");
  return 0;
}
