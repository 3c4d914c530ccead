/* superres-bench — gansuperres frames per second for the sizes the issue
 * sets bars for, with 1 and 2 threads, next to videoscale method=lanczos
 * to the same output size in the same run (interleaved rounds, median of
 * each), so the ratio holds whatever else the machine is doing.
 *
 *   superres-bench [--frames N] [--rounds R] [--format I420]
 *
 * Also prints the network alone (gcn_superres_run on a luma plane) and
 * its multiply-adds, to show where the time goes. */
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "gc_core.h"
#include "gcn_superres.h"

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static double
cpu_seconds (void)
{
  struct rusage u;
  getrusage (RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec
      + u.ru_stime.tv_usec * 1e-6;
}

/* Frames per second of one pipeline run to EOS (source cost included,
 * the same for every pipeline of a size); *cpu_fps: frames per second of
 * process CPU time, what one core would give were it not shared. */
static double
run_pipeline (const char *desc, int frames, double *cpu_fps)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  if (!p) {
    fprintf (stderr, "bad pipeline %s: %s\n", desc, err ? err->message : "?");
    g_clear_error (&err);
    return 0;
  }
  GstBus *bus = gst_element_get_bus (p);
  /* Preroll outside the timing: model loading and negotiation. */
  gst_element_set_state (p, GST_STATE_PAUSED);
  gst_element_get_state (p, NULL, NULL, GST_CLOCK_TIME_NONE);
  double t0 = now (), c0 = cpu_seconds ();
  gst_element_set_state (p, GST_STATE_PLAYING);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  double t = now () - t0, c = cpu_seconds () - c0;
  *cpu_fps = 0;
  double fps = 0;
  if (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (m, &err, NULL);
    fprintf (stderr, "%s: %s\n", desc, err->message);
    g_clear_error (&err);
  } else {
    /* the first frame was prerolled before t0 */
    fps = (frames - 1) / t;
    *cpu_fps = c > 0 ? (frames - 1) / c : 0;
  }
  if (m)
    gst_message_unref (m);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
  return fps;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The network alone on one luma plane, best of a few runs. */
static double
net_fps (int scale, int w, int h, int threads)
{
  gc_model_file m = { 0 };
  gcn_superres n;
  /* an untrained net of the shipped shape costs the same */
  int channels = 16, mid = scale == 4 ? 3 : 2;
  if (gcn_superres_init (&n, scale, channels, mid, NULL) < 0)
    return 0;
  (void) m;
  float *in = malloc (sizeof (float) * w * h);
  float *out = malloc (sizeof (float) * w * h * scale * scale);
  for (int i = 0; i < w * h; i++)
    in[i] = (float) ((i * 37) % 255) / 255.f;
  gc_set_thread_limit (threads);
  double best = 1e9;
  for (int r = 0; r < 5; r++) {
    double t0 = now ();
    gcn_superres_run (&n, in, w, h, w, out, w * scale);
    double t = now () - t0;
    best = t < best ? t : best;
  }
  gc_set_thread_limit (0);
  free (in);
  free (out);
  gcn_superres_free (&n);
  return 1.0 / best;
}

int
main (int argc, char **argv)
{
  int frames = 60, rounds = 3;
  const char *format = "I420";
  gst_init (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--frames") && i + 1 < argc)
      frames = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--rounds") && i + 1 < argc)
      rounds = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--format") && i + 1 < argc)
      format = argv[++i];
    else {
      fprintf (stderr, "usage: %s [--frames N] [--rounds R] [--format F]\n",
          argv[0]);
      return 2;
    }
  }
  if (frames < 2 || rounds < 1 || rounds > 15)
    return 2;
#ifdef GAN_PLUGIN_DIR
  if (!g_getenv ("GST_PLUGIN_PATH_1_0") && !g_getenv ("GST_PLUGIN_PATH"))
    gst_registry_scan_path (gst_registry_get (), GAN_PLUGIN_DIR);
#endif
  if (!gst_registry_find_feature (gst_registry_get (), "gansuperres",
          GST_TYPE_ELEMENT_FACTORY)) {
    fprintf (stderr, "gansuperres is not in the registry\n");
    return 1;
  }

  struct { int scale, w, h; } cases[] = { {2, 640, 360}, {4, 320, 180},
    {3, 426, 240} };
  printf ("gansuperres %s, %d frames, median of %d interleaved rounds, "
      "%d cores\n", format, frames, rounds, gc_num_cores ());
  printf ("%-22s %9s %9s %9s %11s %11s | %11s %11s\n", "case", "lanczos",
      "sr 1 thr", "sr 2 thr", "sr1/lanczos", "sr2/lanczos", "lanczos cpu",
      "sr1 cpu");
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int s = cases[c].scale, w = cases[c].w, h = cases[c].h;
    double v[3][15], cv[3][15];
    char src[256], d[3][512];
    snprintf (src, sizeof src, "videotestsrc num-buffers=%d pattern=snow ! "
        "video/x-raw,format=%s,width=%d,height=%d,framerate=30/1", frames,
        format, w, h);
    snprintf (d[0], sizeof d[0], "%s ! videoscale method=lanczos ! "
        "video/x-raw,width=%d,height=%d ! fakesink sync=false", src, w * s,
        h * s);
    for (int t = 1; t <= 2; t++)
      snprintf (d[t], sizeof d[t], "%s ! gansuperres scale=%d num-threads=%d "
          "! fakesink sync=false", src, s, t);
    for (int r = 0; r < rounds; r++)
      for (int k = 0; k < 3; k++)
        v[k][r] = run_pipeline (d[k], frames, &cv[k][r]);
    double lz = median (v[0], rounds), s1 = median (v[1], rounds),
        s2 = median (v[2], rounds);
    double lzc = median (cv[0], rounds), s1c = median (cv[1], rounds);
    char name[64];
    snprintf (name, sizeof name, "x%d %dx%d->%dx%d", s, w, h, w * s, h * s);
    printf ("%-22s %9.1f %9.1f %9.1f %11.2f %11.2f | %11.1f %11.1f\n", name,
        lz, s1, s2, lz > 0 ? s1 / lz : 0, lz > 0 ? s2 / lz : 0, lzc, s1c);
  }
  printf ("(fps: wall clock; cpu: frames per second of process CPU time, "
      "i.e. one unshared core)\n");
  printf ("\nnetwork alone (luma plane, best of 5):\n");
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int s = cases[c].scale, w = cases[c].w, h = cases[c].h;
    gcn_superres n;
    gcn_superres_init (&n, s, 16, s == 4 ? 3 : 2, NULL);
    long macs = gcn_superres_macs_per_pixel (&n);
    gcn_superres_free (&n);
    double f1 = net_fps (s, w, h, 1), f2 = net_fps (s, w, h, 2);
    printf ("x%d %dx%d: %ld MAC/px, %.1f fps (%.1f GMAC/s) 1 thread, "
        "%.1f fps 2 threads\n", s, w, h, macs, f1,
        f1 * macs * w * h / 1e9, f2);
  }
  return 0;
}
