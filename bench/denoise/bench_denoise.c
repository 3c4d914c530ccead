/* bench-denoise — CPU cost of gandenoise at 48 kHz mono (mode=mask and
 * mode=resynth), and of RNNoise on the same audio in the same run, as
 * real-time factors (CPU seconds per second of audio; 0.03 = 3 % of one
 * core) and their ratios.
 *
 * usage: bench-denoise [--seconds S] [--model FILE] [--rate R]
 * gandenoise runs through GstHarness in this thread (CPU time of the
 * process while buffers of 10 ms are pushed and pulled). RNNoise runs in
 * node (scripts/denoise-rnnoise.mjs, which times its own processing loop);
 * it needs node and RNNOISE_WASM_DIR, else it is skipped with a message.
 * Stereo at the same rate: the element with channel-mode=independent and
 * linked, and the streaming API the LADSPA/LV2 plugins run (gc_denoise,
 * 256-frame host blocks), each as a ratio to the element in mono measured
 * in the same run. */
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gc_core.h"
#include "gc_denoise.h"
#include "gt_wav.h"

static double
cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Speech-like test audio: gliding harmonics with syllable envelope, plus
 * pink-ish noise. Content barely matters for cost, but it is realistic. */
static void
make_audio (float *x, long n, int rate)
{
  gc_rng r;
  double lp = 0, ph = 0;
  gc_rng_seed (&r, 1);
  for (long i = 0; i < n; i++) {
    double t = (double) i / rate, f0 = 120 + 60 * sin (2 * M_PI * 0.3 * t);
    ph += 2 * M_PI * f0 / rate;
    double v = 0;
    for (int k = 1; k <= 20 && k * f0 < rate / 2; k++)
      v += sin (k * ph) / k;
    double env = fmax (0, sin (2 * M_PI * 2.5 * t));
    lp = 0.97 * lp + 0.03 * gc_rng_normal (&r);
    x[i] = (float) (0.08 * env * v + 0.1 * lp);
  }
}

/* x: n interleaved frames of ch channels */
static double
bench_element (const float *x, long n, int rate, const char *model,
    const char *mode, int ch, const char *channel_mode)
{
  GstHarness *h = gst_harness_new ("gandenoise");
  if (!h)
    return -1;
  gst_util_set_object_arg (G_OBJECT (h->element), "mode", mode);
  gst_util_set_object_arg (G_OBJECT (h->element), "channel-mode",
      channel_mode);
  if (model)
    g_object_set (h->element, "model", model, NULL);
  gchar *caps = g_strdup_printf ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=%d, channels=%d", rate, ch);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  int hop = rate / 100;
  gsize hb = (gsize) hop * ch * sizeof (float);
  /* warm up (first buffers allocate) */
  for (int i = 0; i < 10; i++) {
    GstBuffer *b = gst_buffer_new_memdup (x + (gsize) i * hop * ch, hb);
    gst_harness_push (h, b);
    GstBuffer *o;
    while ((o = gst_harness_try_pull (h)))
      gst_buffer_unref (o);
  }
  double t0 = cpu_now ();
  for (long i = 0; i + hop <= n; i += hop) {
    GstBuffer *b = gst_buffer_new_memdup (x + (gsize) i * ch, hb);
    gst_harness_push (h, b);
    GstBuffer *o;
    while ((o = gst_harness_try_pull (h)))
      gst_buffer_unref (o);
  }
  double cpu = cpu_now () - t0;
  gst_harness_teardown (h);
  return cpu;
}

static double
bench_gandenoise (const float *x, long n, int rate, const char *model,
    const char *mode)
{
  return bench_element (x, n, rate, model, mode, 1, "independent");
}

/* The plugins' path: gc_denoise_process in 256-frame host blocks, linked
 * stereo, the model from a file (the plugins embed the same one). */
static double
bench_plugin_api (const float *x, long n, int rate, const char *model)
{
  gchar *def = NULL;
  if (!model) {
    const char *root = g_getenv ("GAN_SOURCE_ROOT");
    def = g_build_filename (root ? root : ".", "models",
        "denoise-48k.safetensors", NULL);
    model = def;
  }
  gc_model_file mf;
  gcn_denoiser net;
  double cpu = -1;
  if (gc_model_load (&mf, model) == 0 && gcn_denoiser_load (&net, &mf) == 0) {
    gc_denoise *d = gc_denoise_new (&net, NULL, rate, 2, GC_DENOISE_LINKED);
    float *y = g_new (float, 2 * 256);
    gc_denoise_set_speech_guard (d, 10.f);
    gc_denoise_process (d, x, y, 256);  /* warm up */
    double t0 = cpu_now ();
    for (long i = 0; i < n; i += 256)
      gc_denoise_process (d, x + 2 * i, y, (int) MIN (256, n - i));
    cpu = cpu_now () - t0;
    g_free (y);
    gc_denoise_free (d);
    gcn_denoiser_free (&net);
  } else
    printf ("plugin API: skipped (%s)\n", gc_last_error ());
  gc_model_free (&mf);
  g_free (def);
  return cpu;
}

/* RNNoise's CPU seconds for the audio, or -1 when it cannot run. */
static double
bench_rnnoise (const float *x, long n, int rate)
{
  const char *dir = g_getenv ("RNNOISE_WASM_DIR");
  const char *root = g_getenv ("GAN_SOURCE_ROOT");
  if (!dir || !*dir) {
    printf ("rnnoise: skipped (set RNNOISE_WASM_DIR to the npm package "
        "@echogarden/rnnoise-wasm)\n");
    return -1;
  }
  if (rate != 48000) {
    printf ("rnnoise: skipped (48 kHz only)\n");
    return -1;
  }
  gchar *tmp = g_dir_make_tmp ("bench-denoise-XXXXXX", NULL);
  gchar *in = g_build_filename (tmp, "in.wav", NULL);
  gchar *out = g_build_filename (tmp, "out.wav", NULL);
  gchar *script = g_build_filename (root ? root : ".", "scripts",
      "denoise-rnnoise.mjs", NULL);
  double cpu = -1;
  if (gt_wav_write_float (in, x, n, rate) == 0) {
    gchar *cmd = g_strdup_printf ("node '%s' '%s' '%s' 2>&1", script, in, out);
    FILE *p = popen (cmd, "r");
    char line[512];
    while (p && fgets (line, sizeof line, p)) {
      double c, a, rtf;
      if (sscanf (line, "rnnoise cpu_s %lf audio_s %lf rtf %lf", &c, &a,
              &rtf) == 3)
        cpu = c;
      else
        fputs (line, stdout);
    }
    if (p && pclose (p) != 0)
      cpu = -1;
    if (cpu < 0)
      printf ("rnnoise: skipped (node could not run %s)\n", script);
    g_free (cmd);
  }
  g_unlink (in);
  g_unlink (out);
  g_rmdir (tmp);
  g_free (in);
  g_free (out);
  g_free (script);
  g_free (tmp);
  return cpu;
}

int
main (int argc, char **argv)
{
  double seconds = 20;
  int rate = 48000;
  const char *model = NULL;

  gst_init (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--seconds") && i + 1 < argc)
      seconds = atof (argv[++i]);
    else if (!strcmp (argv[i], "--model") && i + 1 < argc)
      model = argv[++i];
    else if (!strcmp (argv[i], "--rate") && i + 1 < argc)
      rate = atoi (argv[++i]);
    else {
      fprintf (stderr, "usage: bench-denoise [--seconds S] [--model FILE] "
          "[--rate R]\n");
      return 2;
    }
  }
  if (seconds < 1)
    seconds = 1;
  long n = (long) (seconds * rate);
  float *x = g_new (float, n);
  make_audio (x, n, rate);

  double audio = (double) (n / (rate / 100) * (rate / 100)) / rate;
  double gd = bench_gandenoise (x, n, rate, model, "mask");
  if (gd < 0) {
    fprintf (stderr, "bench-denoise: gandenoise not found (GST_PLUGIN_PATH?)\n");
    return 1;
  }
  printf ("gandenoise: %.1f s of %d Hz mono audio in %.3f CPU s: rtf %.4f "
      "(%.2f %% of one core)\n", audio, rate, gd, gd / audio,
      100 * gd / audio);
  double rs = bench_gandenoise (x, n, rate, model, "resynth");
  if (rs > 0) {
    printf ("gandenoise mode=resynth: %.3f CPU s: rtf %.4f (%.2f %% of one "
        "core), %.1f x mode=mask\n", rs, rs / audio, 100 * rs / audio,
        rs / gd);
  }
  /* stereo: the right channel a quieter, delayed copy with its own noise */
  float *st = g_new (float, 2 * n);
  gc_rng r;
  gc_rng_seed (&r, 9);
  for (long i = 0; i < n; i++) {
    st[2 * i] = x[i];
    st[2 * i + 1] = 0.7f * (i >= 37 ? x[i - 37] : 0.f) +
        0.01f * gc_rng_normal (&r);
  }
  double si = bench_element (st, n, rate, model, "mask", 2, "independent");
  double sl = bench_element (st, n, rate, model, "mask", 2, "linked");
  double sp = bench_plugin_api (st, n, rate, model);
  printf ("stereo %d Hz, element independent: rtf %.4f (%.2f %% of one "
      "core), %.2f x mono\n", rate, si / audio, 100 * si / audio, si / gd);
  printf ("stereo %d Hz, element linked:      rtf %.4f (%.2f %% of one "
      "core), %.2f x mono\n", rate, sl / audio, 100 * sl / audio, sl / gd);
  if (sp > 0)
    printf ("stereo %d Hz, plugin API linked:   rtf %.4f (%.2f %% of one "
        "core), %.2f x mono element\n", rate, sp / (n / (double) rate),
        100 * sp / (n / (double) rate), (sp / (n / (double) rate)) /
        (gd / audio));
  g_free (st);
  double rn = bench_rnnoise (x, n, rate);
  if (rn > 0) {
    printf ("rnnoise:    %.1f s of audio in %.3f CPU s: rtf %.4f (%.2f %% of "
        "one core)\n", seconds, rn, rn / seconds, 100 * rn / seconds);
    printf ("ratio gandenoise / rnnoise CPU: %.2f\n",
        (gd / audio) / (rn / seconds));
  }
  printf ("bar: rtf <= 0.03 -> %s\n", gd / audio <= 0.03 ? "met" : "NOT met");
  if (rs > 0)
    printf ("bar: resynth rtf <= 0.10 -> %s\n", rs / audio <= 0.10 ? "met" :
        "NOT met");
  g_free (x);
  return 0;
}
