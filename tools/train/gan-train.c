/* gan-train: train a gst-gan model with one of the built-in recipes.
 *   gan-train RECIPE [common flags] [--set key=value]...
 *   mpirun -np N gan-train RECIPE ...      (data-parallel, gt_dist.h)
 *   gan-train --list | --help */
#include "gt.h"
#include "gt_comm.h"
#include "gt_dist.h"
#include "recipes.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct recipe_entry {
  const char *name;
  gt_recipe_fn fn;
  const char *what;
  const gt_setting *settings;   /* NULL: see the recipe's source */
} recipe_entry;

static const recipe_entry recipes[] = {
  { "ring", gt_recipe_ring, "8-Gaussian ring toy GAN (smoke test, seconds)",
      gt_ring_settings },
  { "denoise", gt_recipe_denoise, "speech denoiser for gandenoise",
      gt_denoise_settings },
  { "superres", gt_recipe_superres, "super-resolution for gansuperres",
      gt_superres_settings },
  { "style", gt_recipe_style, "style transfer for ganstyle",
      gt_style_settings },
  { "vocoder", gt_recipe_vocoder, "vocoder / bandwidth extension for ganvocoder",
      gt_vocoder_settings },
  { NULL, NULL, NULL, NULL }
};

static void
usage (FILE *f)
{
  fprintf (f,
      "usage: gan-train RECIPE [options] [--set key=value]...\n"
      "       gan-train --list\n"
      "\n"
      "options:\n"
      "  --data DIR        data directory (default ../shared/data)\n"
      "  --out FILE        model file to write (default RUN_DIR/model.safetensors)\n"
      "  --steps N         training steps (default: the recipe's)\n"
      "  --seed S          random seed (default 1)\n"
      "  --threads T       worker threads (default: all cores)\n"
      "  --run-dir DIR     checkpoints, log.csv, loss.png (default runs/RECIPE)\n"
      "  --ckpt-every N    checkpoint period in steps (default 1000)\n"
      "  --resume          continue from RUN_DIR/ckpt.safetensors\n"
      "  --cache DIR       decoded-media cache (default cache); --no-cache\n"
      "  --log-every N     progress line period (default 50)\n"
      "  --check-every N   under mpirun: compare the ranks' weights every N\n"
      "                    steps (default 100, 0: never)\n"
      "  --quiet           no progress output\n"
      "  --set key=value   recipe setting (repeatable)\n"
      "\n"
      "Ctrl-C saves a checkpoint and stops; --resume continues exactly.\n"
      "Under mpirun -np N the ranks split each global batch (see\n"
      "docs/training.md); rank 0 writes every file.\n");
}

static void
list_recipes (void)
{
  for (const recipe_entry *r = recipes; r->name; r++)
    printf ("%-10s %s\n", r->name, r->what);
}

/* First Ctrl-C: finish the step, checkpoint, exit. A second one kills. */
static void
on_signal (int sig)
{
  gt_request_stop ();
  signal (sig, SIG_DFL);
}

static void
install_handlers (void)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
}

static double
monotonic_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main (int argc, char **argv)
{
  if (argc < 2) {
    usage (stderr);
    return 2;
  }
  if (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h")) {
    usage (stdout);
    return 0;
  }
  if (!strcmp (argv[1], "--list")) {
    list_recipes ();
    return 0;
  }
  const recipe_entry *r = recipes;
  while (r->name && strcmp (r->name, argv[1]) != 0)
    r++;
  for (int i = 2; i < argc; i++)
    if (!strcmp (argv[i], "--help") || !strcmp (argv[i], "-h")) {
      usage (stdout);
      /* RECIPE --help: also its settings (key=default, * when computed) */
      if (r->settings) {
        printf ("\n%s settings (--set key=value; *: computed, see the "
            "text):\n", r->name);
        gt_settings_print (stdout, r->settings);
      }
      return 0;
    }
  if (!r->name) {
    fprintf (stderr, "gan-train: unknown recipe '%s'; available:\n", argv[1]);
    list_recipes ();
    return 2;
  }
  gt_ctx c;
  if (gt_parse_args (&c, argc, argv) < 0
      || (r->settings && gt_settings_check (&c, r->settings) < 0)) {
    gt_ctx_clear (&c);
    return 2;
  }
  if (gt_comm_init (&argc, &argv) < 0) {
    gt_ctx_clear (&c);
    return 1;
  }
  /* --threads 0 keeps the default (GANCORE_NUM_THREADS, else all cores);
   * ranks that share a machine share its cores. */
  if (c.threads > 0)
    gc_set_default_threads (c.threads);
  else if (gt_comm_local_size () > 1 && !getenv ("GANCORE_NUM_THREADS")) {
    int t = gc_get_default_threads () / gt_comm_local_size ();
    gc_set_default_threads (t > 1 ? t : 1);
  }
  if (gt_dist_size () > 1 && gt_dist_rank () == 0 && !c.quiet)
    fprintf (stderr, "[%s] %d ranks (%s), %d threads each\n", r->name,
        gt_dist_size (), gt_comm_name (), gc_get_default_threads ());
  c.t_start = monotonic_s ();
  install_handlers ();
  int rc = r->fn (&c);
  if (rc != 0) {
    fprintf (stderr, "gan-train: recipe '%s' failed: %s\n", r->name,
        gc_last_error ());
    if (gt_dist_size () > 1) {  /* the others wait for us: stop them */
      fprintf (stderr, "gan-train: rank %d of %d failed; stopping all "
          "ranks\n", gt_dist_rank (), gt_dist_size ());
      gt_comm_abort (1);
    }
  }
  if (c.log)                    /* the recipe stopped before gt_finish */
    gt_finish (&c);
  gt_ctx_clear (&c);
  gt_comm_finalize ();
  return rc == 0 ? 0 : 1;
}
