/* The LADSPA and LV2 plugins called through their descriptors, as a host
 * under load calls them:
 *  - output with 128-, 1024-frame and odd, changing host blocks (1, 7,
 *    333, 4097, ...) equals the one-block output: no frame dropped or
 *    repeated, whatever the host does;
 *  - that output is gandenoise's (channel-mode=linked), sample for
 *    sample, late by the latency port's value, and that value is the
 *    element's LATENCY answer;
 *  - rates the denoiser does not run at are refused at instantiate.
 * usage: test_plugin_blocks LADSPA_SO LV2_SO
 *        test_plugin_blocks --latency RATE CHANNELS   (prints the LADSPA
 *        plugin's latency port value, for test-hosts.sh) */
#include <dlfcn.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <ladspa.h>
#include <lv2/core/lv2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gan_test.h"

#define N_CTL 5                 /* attenuation, threshold, hold, gate, guard */

/* One plugin instance behind either API. */
typedef struct {
  const LADSPA_Descriptor *ld;
  const LV2_Descriptor *vd;
  void *h;
  int ch;
  float ctl[N_CTL], latency;
} Plug;

static const float defaults[N_CTL] = { 20.f, 0.5f, 300.f, 0.f, 10.f };

static int
plug_open (Plug * p, void *lib, int lv2, int ch, int rate)
{
  memset (p, 0, sizeof (*p));
  p->ch = ch;
  memcpy (p->ctl, defaults, sizeof (defaults));
  if (lv2) {
    LV2_Descriptor_Function f = (LV2_Descriptor_Function) dlsym (lib,
        "lv2_descriptor");
    p->vd = f ? f (ch == 2 ? 1 : 0) : NULL;
    if (!p->vd)
      return -1;
    const LV2_Feature *none[] = { NULL };
    p->h = p->vd->instantiate (p->vd, rate, "", none);
  } else {
    LADSPA_Descriptor_Function f = (LADSPA_Descriptor_Function) dlsym (lib,
        "ladspa_descriptor");
    p->ld = f ? f (ch == 2 ? 1 : 0) : NULL;
    if (!p->ld)
      return -1;
    p->h = p->ld->instantiate (p->ld, rate);
  }
  if (!p->h)
    return -1;
  for (int k = 0; k < N_CTL; k++) {
    if (p->vd)
      p->vd->connect_port (p->h, 2 * ch + k, &p->ctl[k]);
    else
      p->ld->connect_port (p->h, 2 * ch + k, &p->ctl[k]);
  }
  if (p->vd) {
    p->vd->connect_port (p->h, 2 * ch + N_CTL, &p->latency);
    p->vd->activate (p->h);
  } else {
    p->ld->connect_port (p->h, 2 * ch + N_CTL, &p->latency);
    p->ld->activate (p->h);
  }
  return 0;
}

static void
plug_close (Plug * p)
{
  if (p->h) {
    if (p->vd)
      p->vd->cleanup (p->h);
    else
      p->ld->cleanup (p->h);
  }
}

/* Run over planar in -> planar out in blocks of sizes[] (cycled); the
 * host's buffers are moved around between blocks as hosts do. */
static void
plug_run (Plug * p, float **in, float **out, long n, const int *sizes,
    int n_sizes)
{
  if (p->vd)
    p->vd->activate (p->h);
  else
    p->ld->activate (p->h);
  for (long i = 0, k = 0; i < n; k++) {
    long b = sizes[k % n_sizes];
    b = b > n - i ? n - i : b;
    for (int c = 0; c < p->ch; c++) {
      if (p->vd) {
        p->vd->connect_port (p->h, c, in[c] + i);
        p->vd->connect_port (p->h, p->ch + c, out[c] + i);
      } else {
        p->ld->connect_port (p->h, c, in[c] + i);
        p->ld->connect_port (p->h, p->ch + c, out[c] + i);
      }
    }
    if (p->vd)
      p->vd->run (p->h, (uint32_t) b);
    else
      p->ld->run (p->h, (unsigned long) b);
    i += b;
  }
}

static float **
planes (int ch, long n)
{
  float **x = calloc (ch, sizeof (float *));
  for (int c = 0; c < ch; c++)
    x[c] = calloc (n, sizeof (float));
  return x;
}

static void
free_planes (float **x, int ch)
{
  for (int c = 0; c < ch; c++)
    free (x[c]);
  free (x);
}

/* noisy voice-like test signal, a different one per channel */
static float **
make_input (int rate, int ch, long n)
{
  float **x = planes (ch, n);
  unsigned s = 1;
  for (long i = 0; i < n; i++) {
    double t = (double) i / rate, v = 0;
    for (int k = 1; k <= 8 && 170 * k < rate / 2; k++)
      v += sin (2 * M_PI * 170 * k * t + k) / k;
    v *= 0.5 + 0.5 * sin (2 * M_PI * 2.5 * t);
    for (int c = 0; c < ch; c++) {
      s = s * 1103515245u + 12345u;
      x[c][i] = (float) (0.1 * v * (c ? 0.6 : 1.0) +
          0.04 * ((s >> 8) / 16777216.0 - 0.5));
    }
  }
  return x;
}

/* gandenoise channel-mode=linked on the same input (one buffer, EOS);
 * interleaved output, and its LATENCY answer. */
static float *
element_output (float **x, int rate, int ch, long n, GstClockTime * lat)
{
  GstHarness *h = gst_harness_new_parse ("gandenoise channel-mode=linked");
  gchar *caps = g_strdup_printf ("audio/x-raw, format=F32LE, "
      "layout=interleaved, rate=%d, channels=%d", rate, ch);
  gst_harness_set_src_caps_str (h, caps);
  gst_harness_set_sink_caps_str (h, caps);
  g_free (caps);
  GstBuffer *b = gst_buffer_new_allocate (NULL, n * ch * 4, NULL);
  GstMapInfo m;
  gst_buffer_map (b, &m, GST_MAP_WRITE);
  for (long i = 0; i < n; i++)
    for (int c = 0; c < ch; c++)
      ((float *) m.data)[i * ch + c] = x[c][i];
  gst_buffer_unmap (b, &m);
  GST_BUFFER_PTS (b) = 0;
  gst_harness_push (h, b);
  gst_harness_push_event (h, gst_event_new_eos ());
  float *y = calloc (n * ch, sizeof (float));
  long got = 0;
  GstBuffer *o;
  while ((o = gst_harness_try_pull (h))) {
    gst_buffer_map (o, &m, GST_MAP_READ);
    long k = m.size / (4 * ch);
    if (got + k <= n)
      memcpy (y + got * ch, m.data, m.size);
    got += k;
    gst_buffer_unmap (o, &m);
    gst_buffer_unref (o);
  }
  CHECK (got == n, "element gave %ld frames for %ld", got, n);
  *lat = gst_harness_query_latency (h);
  gst_harness_teardown (h);
  return y;
}

static void
check_plugin (void *lib, int lv2, int rate, int ch)
{
  static const int one[] = { 1 << 30 }, b128[] = { 128 }, b1024[] = { 1024 };
  static const int odd[] = { 1, 7, 333, 4097, 2, 1023, 129, 5 };
  const int *sets[] = { b128, b1024, odd };
  const int lens[] = { 1, 1, 8 };
  const char *api = lv2 ? "LV2" : "LADSPA";
  long n = rate + 77;
  Plug p;
  if (plug_open (&p, lib, lv2, ch, rate)) {
    CHECK (0, "%s %d Hz %d ch: cannot instantiate", api, rate, ch);
    return;
  }
  float **x = make_input (rate, ch, n), **ref = planes (ch, n);
  plug_run (&p, x, ref, n, one, 1);
  int d = (int) p.latency;
  CHECK (d > 0 && d == p.latency, "%s: latency port %g", api, p.latency);
  for (int s = 0; s < 3; s++) {
    float **y = planes (ch, n);
    plug_run (&p, x, y, n, sets[s], lens[s]);
    long bad = 0;
    for (int c = 0; c < ch; c++)
      for (long i = 0; i < n; i++)
        bad += y[c][i] != ref[c][i];
    CHECK (bad == 0, "%s %d Hz %d ch, block set %d: %ld samples differ from "
        "one block", api, rate, ch, s, bad);
    free_planes (y, ch);
  }
  GstClockTime lat;
  float *e = element_output (x, rate, ch, n, &lat);
  CHECK (lat == gst_util_uint64_scale_int (d, GST_SECOND, rate),
      "%s %d Hz: plugin latency %d frames, element %" GST_TIME_FORMAT, api,
      rate, d, GST_TIME_ARGS (lat));
  long bad = 0, lead = 0;
  for (int c = 0; c < ch; c++)
    for (long i = 0; i < n; i++) {
      if (i < d)
        lead += ref[c][i] != 0.f;
      else
        bad += ref[c][i] != e[(i - d) * ch + c];
    }
  CHECK (bad == 0 && lead == 0, "%s %d Hz %d ch: %ld samples differ from the "
      "element, %ld non-zero in the lead-in", api, rate, ch, bad, lead);
  free (e);
  free_planes (x, ch);
  free_planes (ref, ch);
  plug_close (&p);
}

int
main (int argc, char **argv)
{
  if (argc == 4 && !strcmp (argv[1], "--latency")) {
    /* the LADSPA plugin next to this test's build dir */
    const char *so = getenv ("GAN_LADSPA_SO");
    void *lib = so ? dlopen (so, RTLD_NOW) : NULL;
    Plug p;
    if (!lib || plug_open (&p, lib, 0, atoi (argv[3]), atoi (argv[2]))) {
      fprintf (stderr, "cannot open the LADSPA plugin (GAN_LADSPA_SO)\n");
      return 1;
    }
    float **x = planes (p.ch, 64), **y = planes (p.ch, 64);
    plug_run (&p, x, y, 64, (int[]) {64}, 1);
    printf ("%d\n", (int) p.latency);
    plug_close (&p);
    return 0;
  }
  if (argc != 3) {
    fprintf (stderr, "usage: test_plugin_blocks LADSPA_SO LV2_SO\n");
    return 2;
  }
  gst_init (NULL, NULL);
  for (int lv2 = 0; lv2 <= 1; lv2++) {
    void *lib = dlopen (argv[1 + lv2], RTLD_NOW | RTLD_LOCAL);
    CHECK (lib != NULL, "dlopen %s: %s", argv[1 + lv2], dlerror ());
    if (!lib)
      continue;
    static const int rates[] = { 16000, 44100, 48000 };
    for (int ri = 0; ri < 3; ri++)
      for (int ch = 1; ch <= 2; ch++)
        check_plugin (lib, lv2, rates[ri], ch);
    Plug p;
    CHECK (plug_open (&p, lib, lv2, 1, 96000) != 0, "96 kHz accepted");
    CHECK (plug_open (&p, lib, lv2, 2, 22050) != 0, "22050 Hz accepted");
    dlclose (lib);
  }
  if (failures)
    fprintf (stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
