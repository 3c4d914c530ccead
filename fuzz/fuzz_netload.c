/* libFuzzer target for the network loaders: a model file is input, so any
 * bytes must either be refused with a message or give a net that runs. The
 * bytes are parsed as a model file and offered to every loader; a net that
 * loads runs one small inference (a few hops, a tiny image) and is freed.
 * A shape check (GC_CHECK_SHAPE) reached from here is a loader that let a
 * bad file through: it aborts, and libFuzzer reports it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gc_modelfile.h"
#include "gcn_denoiser.h"
#include "gcn_style.h"
#include "gcn_superres.h"
#include "gcn_vocoder.h"

static void
check (int cond)
{
  if (!cond)
    abort ();
}

/* A refusal must say why, naming the source. */
static void
refused (void)
{
  check (strstr (gc_last_error (), "fuzz") != NULL);
}

static void
noise (float *x, int n, uint32_t seed)
{
  for (int i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float) (int32_t) seed * (0.1f / 2147483648.0f);
  }
}

static void
run_denoiser (const gc_model_file *m, uint8_t sel)
{
  gcn_denoiser net;
  if (gcn_denoiser_load (&net, m) < 0) {
    refused ();
    return;
  }
  int rate = sel & 1 ? 48000 : 16000;
  gcn_dn_stream *s = gcn_dn_stream_new (&net, rate);
  check (s != NULL);
  int hop = rate / 100;
  float *in = malloc (hop * sizeof *in), *out = malloc (hop * sizeof *out);
  for (int i = 0; i < 3; i++) {
    noise (in, hop, sel + i);
    gcn_dn_stream_process (s, in, out, 0.1f);
  }
  free (in);
  free (out);
  gcn_dn_stream_free (s);
  gcn_denoiser_free (&net);
}

static void
run_superres (const gc_model_file *m, uint8_t sel)
{
  gcn_superres net;
  if (gcn_superres_load (&net, m, 0) < 0) {
    refused ();
    return;
  }
  enum { W = 8, H = 6 };
  int r = net.scale;
  float src[W * H];
  float *dst = malloc ((size_t) W * r * H * r * sizeof *dst);
  noise (src, W * H, sel);
  for (int i = 0; i < W * H; i++)
    src[i] += 0.5f;
  gcn_superres_run (&net, src, W, H, W, dst, W * r);
  free (dst);
  gcn_superres_free (&net);
}

static void
run_style (const gc_model_file *m, uint8_t sel)
{
  gcn_style net;
  memset (&net, 0, sizeof net);
  if (gcn_style_load (&net, m) < 0) {
    refused ();
    return;
  }
  enum { W = 8, H = 8 };
  float rgb[3 * W * H], out[3 * W * H];
  float *mix = calloc (net.cfg.styles, sizeof *mix);
  noise (rgb, 3 * W * H, sel);
  for (int i = 0; i < 3 * W * H; i++)
    rgb[i] += 0.5f;
  mix[sel % net.cfg.styles] = 1.f;
  gcn_style_work ws = { 0 };
  gcn_style_infer (&net, rgb, W, H, mix, out, &ws);
  gcn_style_work_free (&ws);
  free (mix);
  gcn_style_free (&net);
}

static void
run_vocoder (const gc_model_file *m, uint8_t sel)
{
  gcn_vocoder v;
  if (gcn_vocoder_load (&v, m) < 0) {
    refused ();
    return;
  }
  gcn_vocoder_stream *s = gcn_vocoder_stream_new (&v);
  check (s != NULL);
  int hop = v.cfg.hop;
  float *in = malloc (hop * sizeof *in), *out = malloc (hop * sizeof *out);
  for (int i = 0; i < 3; i++) {
    noise (in, hop, sel + i);
    gcn_vocoder_stream_process (s, in, out);
  }
  free (in);
  free (out);
  gcn_vocoder_stream_free (s);
  gcn_vocoder_free (&v);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gc_model_file m;
  if (gc_model_parse (&m, data, size, "fuzz") < 0)
    return 0;
  /* the last byte picks the inference's rate, style and noise */
  uint8_t sel = size ? data[size - 1] : 0;
  run_denoiser (&m, sel);
  run_superres (&m, sel);
  run_style (&m, sel);
  run_vocoder (&m, sel);
  gc_model_free (&m);
  return 0;
}
