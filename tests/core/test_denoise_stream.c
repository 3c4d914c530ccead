/* gc_denoise, the streaming denoiser every host calls:
 *  - process () gives exactly the push/drain output, late by latency ()
 *    (lag + one hop) with zeros before, for any host block sizes
 *    (1, 128, 1024, odd ones, one block);
 *  - linked stereo: identical channels give the mono output on both,
 *    a channel that is half the other stays exactly half (one gain for
 *    both), which independent channels do not;
 *  - the gate mutes when no voice is heard and the VAD reports it;
 *  - NaN / Inf input gives finite output.
 * Small random networks with and without lookahead, deep filter and phase
 * features, and the shipped model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_core.h"
#include "gc_denoise.h"
#include "gcn_denoiser.h"
#include "shipped_denoiser.h"
#include "gan_test.h"

/* voice-like harmonics with a syllable envelope plus noise; channel c
 * gets its own noise */
static float *
make_signal (int rate, int ch, long n, unsigned seed)
{
  gc_rng r;
  gc_rng_seed (&r, seed);
  float *x = malloc (sizeof (float) * n * ch);
  for (long i = 0; i < n; i++) {
    double t = (double) i / rate, v = 0;
    double env = 0.5 + 0.5 * sin (2 * M_PI * 3 * t);
    for (int k = 1; k <= 10 && k * 160 < rate / 2; k++)
      v += sin (2 * M_PI * 160 * k * t) / k;
    for (int c = 0; c < ch; c++)
      x[i * ch + c] = (float) (0.1 * env * v + 0.03 * gc_rng_normal (&r));
  }
  return x;
}

/* process () over the whole signal in blocks of the sizes in `sizes`
 * (cycled); returns n frames of output */
static float *
run_blocks (gc_denoise *d, const float *x, long n, const int *sizes,
    int n_sizes)
{
  int ch = gc_denoise_channels (d);
  float *y = malloc (sizeof (float) * n * ch);
  gc_denoise_reset (d);
  for (long i = 0, k = 0; i < n; k++) {
    long b = sizes[k % n_sizes];
    b = b > n - i ? n - i : b;
    gc_denoise_process (d, x + i * ch, y + i * ch, (int) b);
    i += b;
  }
  return y;
}

/* The push interface: whole hops, then drain; frames out == frames in. */
static float *
run_push (gc_denoise *d, const float *x, long n)
{
  int ch = gc_denoise_channels (d), hop = gc_denoise_hop (d);
  float *y = malloc (sizeof (float) * n * ch);
  float *tmp = malloc (sizeof (float) * gc_denoise_max_out (d, 8) * ch);
  long got = 0, i = 0;
  gc_denoise_reset (d);
  for (; i + hop <= n; i += hop) {
    int k = gc_denoise_push_hops (d, x + i * ch, 1, tmp);
    CHECK (got + k <= n, "push gave too much");
    memcpy (y + got * ch, tmp, sizeof (float) * k * ch);
    got += k;
  }
  int k = gc_denoise_drain (d, x + i * ch, (int) (n - i), tmp);
  CHECK (got + k == n, "push + drain: %ld frames for %ld", got + k, n);
  memcpy (y + got * ch, tmp, sizeof (float) * k * ch);
  free (tmp);
  return y;
}

static void
check_blocks_and_push (const gcn_denoiser *net, int rate, int ch,
    gc_denoise_link link, const char *what)
{
  static const int one[] = { 1 }, b128[] = { 128 }, b1024[] = { 1024 };
  static const int odd[] = { 7, 441, 1, 1000, 13, 333 };
  long n = rate / 2 + 123;
  float *x = make_signal (rate, ch, n, 5);
  gc_denoise *d = gc_denoise_new (net, NULL, rate, ch, link);
  CHECK (d != NULL, "%s: new: %s", what, gc_last_error ());
  if (!d)
    return;
  gc_denoise_set_speech_guard (d, 10.f);
  int lat = gc_denoise_latency (d);
  CHECK (lat == gc_denoise_lag (d) + rate / 100, "%s: latency", what);
  int whole[] = { (int) n };
  float *ref = run_blocks (d, x, n, whole, 1);
  const int *sets[] = { one, b128, b1024, odd };
  const int lens[] = { 1, 1, 1, 6 };
  for (int s = 0; s < 4; s++) {
    float *y = run_blocks (d, x, n, sets[s], lens[s]);
    long bad = 0;
    for (long i = 0; i < n * ch; i++)
      bad += y[i] != ref[i];
    CHECK (bad == 0, "%s: block set %d differs in %ld samples", what, s, bad);
    free (y);
  }
  /* the same samples as the push interface, lat frames later */
  float *p = run_push (d, x, n);
  long bad = 0, nz = 0;
  for (long i = 0; i < n; i++)
    for (int c = 0; c < ch; c++) {
      float want = i < lat ? 0.f : p[(i - lat) * ch + c];
      bad += ref[i * ch + c] != want;
      nz += ref[i * ch + c] != 0.f;
    }
  CHECK (bad == 0, "%s: process != push delayed by %d (%ld samples)", what,
      lat, bad);
  CHECK (nz > n / 2, "%s: output is mostly zero", what);
  free (p);
  free (ref);
  free (x);
  gc_denoise_free (d);
}

/* Linked stereo: one gain for both channels. */
static void
check_linked (const gcn_denoiser *net, int rate)
{
  long n = rate / 2;
  float *m = make_signal (rate, 1, n, 9);
  float *st = malloc (sizeof (float) * 2 * n), *y = malloc (sizeof (float) *
      2 * n), *ym = malloc (sizeof (float) * n);
  gc_denoise *mono = gc_denoise_new (net, NULL, rate, 1, GC_DENOISE_LINKED);
  gc_denoise *lk = gc_denoise_new (net, NULL, rate, 2, GC_DENOISE_LINKED);
  gc_denoise *ind = gc_denoise_new (net, NULL, rate, 2,
      GC_DENOISE_INDEPENDENT);
  gc_denoise_process (mono, m, ym, (int) n);

  /* identical channels: the mono output on both */
  for (long i = 0; i < n; i++)
    st[2 * i] = st[2 * i + 1] = m[i];
  gc_denoise_process (lk, st, y, (int) n);
  long bad = 0;
  for (long i = 0; i < n; i++)
    bad += y[2 * i] != ym[i] || y[2 * i + 1] != ym[i];
  CHECK (bad == 0, "%d Hz linked, identical channels: %ld differ from mono",
      rate, bad);

  /* right = left / 2: linked keeps the ratio exactly, independent not */
  for (long i = 0; i < n; i++)
    st[2 * i] = m[i], st[2 * i + 1] = 0.5f * m[i];
  gc_denoise_reset (lk);
  gc_denoise_process (lk, st, y, (int) n);
  bad = 0;
  for (long i = 0; i < n; i++)
    bad += y[2 * i + 1] != 0.5f * y[2 * i];
  CHECK (bad == 0, "%d Hz linked: right != left / 2 in %ld samples", rate,
      bad);
  gc_denoise_process (ind, st, y, (int) n);
  bad = 0;
  for (long i = 0; i < n; i++)
    bad += fabsf (y[2 * i + 1] - 0.5f * y[2 * i]) > 1e-6f;
  CHECK (bad > n / 10, "%d Hz independent: the ratio should wander", rate);
  gc_denoise_free (mono);
  gc_denoise_free (lk);
  gc_denoise_free (ind);
  free (m);
  free (st);
  free (y);
  free (ym);
}

/* The gate: with it on, a signal the network calls voiceless (VAD
 * threshold 1.01 can never be reached) comes out silent after the hold;
 * with threshold 0 every hop is voice and the gate changes nothing. */
static void
check_gate (const gcn_denoiser *net)
{
  int rate = 16000;
  long n = rate;
  float *x = make_signal (rate, 1, n, 3);
  float *y0 = malloc (sizeof (float) * n), *y1 = malloc (sizeof (float) * n);
  gc_denoise *d = gc_denoise_new (net, NULL, rate, 1, GC_DENOISE_INDEPENDENT);
  gc_denoise_process (d, x, y0, (int) n);
  gc_denoise_reset (d);
  gc_denoise_set_gate (d, 1);
  gc_denoise_set_vad (d, 0.0, 100.);
  gc_denoise_process (d, x, y1, (int) n);
  long bad = 0;
  /* the first hop fades in from shut */
  for (long i = gc_denoise_latency (d) + gc_denoise_hop (d); i < n; i++)
    bad += y0[i] != y1[i];
  CHECK (bad == 0, "gate with voice everywhere changed %ld samples", bad);
  CHECK (gc_denoise_voice (d) == 1, "voice should be on");
  gc_denoise_reset (d);
  gc_denoise_set_vad (d, 1.01, 100.);
  gc_denoise_process (d, x, y1, (int) n);
  bad = 0;
  for (long i = 0; i < n; i++)
    bad += y1[i] != 0.f;
  CHECK (bad == 0, "gate without voice let %ld samples through", bad);
  CHECK (gc_denoise_voice (d) == 0, "voice should be off");
  gc_denoise_free (d);
  free (x);
  free (y0);
  free (y1);
}

static void
check_hostile (const gcn_denoiser *net)
{
  int rate = 48000;
  long n = rate / 4;
  float *x = make_signal (rate, 2, n, 4), *y = malloc (sizeof (float) * 2 * n);
  for (long i = 0; i < 2 * n; i += 97)
    x[i] = (i / 97) % 3 == 0 ? NAN : (i / 97) % 3 == 1 ? INFINITY : 1e30f;
  gc_denoise *d = gc_denoise_new (net, NULL, rate, 2, GC_DENOISE_LINKED);
  gc_denoise_process (d, x, y, (int) n);
  long bad = 0;
  for (long i = 0; i < 2 * n; i++)
    bad += !isfinite (y[i]);
  CHECK (bad == 0, "%ld non-finite outputs", bad);
  gc_denoise_free (d);
  CHECK (gc_denoise_new (net, NULL, 22050, 1, GC_DENOISE_LINKED) == NULL,
      "22050 Hz should be refused");
  CHECK (gc_denoise_new (net, NULL, 48000, 0, GC_DENOISE_LINKED) == NULL,
      "0 channels should be refused");
  free (x);
  free (y);
}

/* A network broken after the processors are made (a head's width) is a
 * bug of the program: push, drain and process abort with the layer's
 * file and line. Mended, the same object runs. */
static void
check_layer_failure (gcn_denoiser *net, int ch, gc_denoise_link link)
{
  int rate = 16000;
  gc_denoise *d = gc_denoise_new (net, NULL, rate, ch, link);
  REQUIRE (d != NULL, "new: %s", gc_last_error ());
  int hop = gc_denoise_hop (d);
  long n = 12L * hop;
  float *x = make_signal (rate, ch, n, 6);
  float *y = malloc (sizeof (float) * ch * (n + gc_denoise_max_out (d, 8)));

  net->band_head.in++;
  CHECK_ABORTS ("gc_dense.c:", gc_denoise_push_hops (d, x, 2, y));
  CHECK_ABORTS ("dense: input", gc_denoise_drain (d, x, hop / 2, y));
  CHECK_ABORTS ("dense: input", gc_denoise_process (d, x, y, (int) n));
  net->band_head.in--;
  const char *what = link == GC_DENOISE_LINKED ? "linked" : "independent";
  CHECK (gc_denoise_push_hops (d, x, 2, y) >= 0, "%s push: %s", what,
      gc_last_error ());
  gc_denoise_reset (d);
  CHECK (gc_denoise_process (d, x, y, (int) n) == 0, "%s process: %s", what,
      gc_last_error ());
  long loud = 0;
  for (long i = 0; i < ch * n; i++)
    loud += y[i] != 0.f;
  CHECK (loud > 0, "%s process: all silent", what);
  gc_denoise_free (d);
  free (x);
  free (y);
}

int
main (void)
{
  static const struct {
    gcn_denoiser_config cfg;
    const char *name;
  } nets[] = {
    {{8, 3, 8, 8, 0, 0, 0}, "plain"},
    {{8, 3, 8, 8, 3, 1, 1}, "deep filter, phase, lookahead 1"},
    {{8, 3, 12, 6, 2, 1, 2}, "lookahead 2"},
  };
  static const int rates[] = { 8000, 16000, 44100, 48000 };
  for (unsigned k = 0; k < sizeof nets / sizeof nets[0]; k++) {
    gcn_denoiser net;
    gc_rng r;
    gc_rng_seed (&r, 30 + k);
    if (gcn_denoiser_init (&net, &nets[k].cfg, &r)) {
      CHECK (0, "init");
      continue;
    }
    for (unsigned ri = 0; ri < sizeof rates / sizeof rates[0]; ri++)
      for (int ch = 1; ch <= 2; ch++)
        for (int lk = 0; lk <= 1; lk++) {
          char what[128];
          snprintf (what, sizeof what, "%s, %d Hz, %d ch, %s", nets[k].name,
              rates[ri], ch, lk ? "linked" : "independent");
          check_blocks_and_push (&net, rates[ri], ch, lk, what);
        }
    check_linked (&net, 16000);
    check_linked (&net, 44100);
    check_layer_failure (&net, 2, GC_DENOISE_LINKED);
    check_layer_failure (&net, 1, GC_DENOISE_INDEPENDENT);
    gcn_denoiser_free (&net);
  }

  /* the shipped model */
  gcn_denoiser net;
  if (load_shipped_denoiser (&net)) {
    CHECK (0, "no shipped model");
  } else {
    check_blocks_and_push (&net, 48000, 2, GC_DENOISE_LINKED, "shipped 48k");
    check_blocks_and_push (&net, 16000, 1, GC_DENOISE_LINKED, "shipped 16k");
    check_linked (&net, 48000);
    check_gate (&net);
    check_hostile (&net);
    gcn_denoiser_free (&net);
  }
  if (failures)
    fprintf (stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
