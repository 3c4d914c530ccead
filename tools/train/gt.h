/* gan-train — the frame every training recipe runs in.
 *
 * A recipe (recipe_<name>.c) builds its networks from libgancore, asks the
 * frame for data, and calls back for logging, checkpoints and export. The
 * frame owns: option parsing of the common flags, media decoding through
 * GStreamer with an on-disk cache of decoded data, terminal progress, the
 * CSV log and loss-curve PNG, checkpoints with exact resume, and writing
 * the final model file with its metadata. */
#ifndef GT_H
#define GT_H

#include <stdint.h>
#include <stdio.h>
#include "gc_core.h"

/* Common options, filled from the command line before the recipe runs:
 *   gan-train RECIPE --data DIR --out MODEL.safetensors [--steps N]
 *     [--seed S] [--threads T] [--run-dir DIR] [--ckpt-every N] [--resume]
 *     [--cache DIR] [--log-every N] [--check-every N]
 *     [--set key=value ...]
 * Recipe-specific settings come as --set key=value (gt_opt_*). */
typedef struct gt_ctx {
  const char *recipe;
  const char *data_dir;     /* e.g. ../shared/data */
  const char *out_path;     /* final model file */
  const char *run_dir;      /* checkpoints, log.csv, loss.png (default runs/<recipe>) */
  const char *cache_dir;    /* decoded media cache (default cache/) */
  long steps;
  uint64_t seed;
  int threads;
  long ckpt_every, log_every;
  int resume;
  int quiet;
  int n_set;
  char **set_keys, **set_vals;
  struct gt_log *log;       /* internal */
  long start_step;          /* > 0 after a resume */
  double t_start;
  /* Added by the frame (fill with gt_parse_args; recipes may read them): */
  char *cmdline;            /* the full command line, for the export */
  int steps_given;          /* --steps was on the command line */
  unsigned char *set_used;  /* [n_set]: read by a gt_opt_* call */
  long check_every;         /* ranks compare weight hashes (gt_dist.h) */
} gt_ctx;

/* Fill *c from "gan-train RECIPE [flags]" (argv[1] is the recipe) with the
 * defaults: data ../shared/data, run_dir runs/<recipe>, cache cache/,
 * out <run_dir>/model.safetensors, steps 0 (= the recipe's default, see
 * gt_steps), seed 1, threads 0 (all cores),
 * ckpt_every 1000, log_every 50, check_every 100. Prints the problem and
 * returns -1 on bad flags. */
int gt_parse_args (gt_ctx *c, int argc, char **argv);
void gt_ctx_clear (gt_ctx *c);
/* The step count for this recipe: --steps when given, else def. Also sets
 * c->steps (0 until then). */
long gt_steps (gt_ctx *c, long def);
/* Warn (stderr) about --set keys no gt_opt_* call read; returns how many. */
int gt_opts_warn_unused (gt_ctx *c);

const char *gt_opt_str (gt_ctx *c, const char *key, const char *def);
long gt_opt_int (gt_ctx *c, const char *key, long def);
double gt_opt_float (gt_ctx *c, const char *key, double def);

/* A recipe's settings declared once, as a table ending in { NULL }: the
 * recipe reads them with gt_setting_* (the default comes from the table)
 * and "gan-train RECIPE --help" prints the table. */
typedef enum {
  GT_SETTING_INT,
  GT_SETTING_FLOAT,
  GT_SETTING_STR
} gt_setting_type;

typedef struct gt_setting {
  const char *key;
  gt_setting_type type;
  double def;               /* INT, FLOAT; NAN: computed (the help says how) */
  const char *def_str;      /* STR: the default, NULL for none */
  const char *help;
} gt_setting;

/* A key missing from the table, of another type, or read with a NAN
 * default is a programming error: these abort with the key's name. */
long gt_setting_int (gt_ctx *c, const gt_setting *t, const char *key);
double gt_setting_float (gt_ctx *c, const gt_setting *t, const char *key);
const char *gt_setting_str (gt_ctx *c, const gt_setting *t, const char *key);
/* For the settings whose default is computed (NAN in the table). */
long gt_setting_int_or (gt_ctx *c, const gt_setting *t, const char *key,
    long def);
double gt_setting_float_or (gt_ctx *c, const gt_setting *t, const char *key,
    double def);
/* Every --set key of c is in the table and its value parses as the key's
 * type (as gt_setting_* would read it)? 0, or -1 after printing the first
 * problem to stderr. gan-train checks this before a recipe starts. */
int gt_settings_check (gt_ctx *c, const gt_setting *t);
/* One line or more per setting: key, default, help. */
void gt_settings_print (FILE *f, const gt_setting *t);

/* ---- data ----------------------------------------------------------------
 * Paths are relative to ctx->data_dir unless absolute. Decoding goes
 * through GStreamer (decodebin) and the result is cached under cache_dir
 * keyed by path, size, mtime and requested format. Return 0 or -1. */

/* Any audio file -> mono float32 at `rate` (resampled, channels averaged). */
int gt_load_audio (gt_ctx *c, const char *path, int rate, float **samples,
    long *n);
/* List files under dir (recursive) whose names end with one of the
 * comma-separated extensions (".flac,.ogg,.wav"); sorted, so splits are
 * reproducible. Returns count, fills *paths (free with gt_free_list). */
int gt_list_files (gt_ctx *c, const char *dir, const char *exts,
    char ***paths);
void gt_free_list (char **paths, int n);
/* path resolved against data_dir (absolute paths and c == NULL or no
 * data_dir: unchanged). malloc'ed; NULL on allocation failure. */
char *gt_data_path (gt_ctx *c, const char *path);

/* Any image -> RGB float32 planar [3][h][w] in [0, 1]. */
int gt_load_image (gt_ctx *c, const char *path, float **rgb, int *w, int *h);
/* Video -> frames RGB planar float [frames][3][h][w] at its own size,
 * at most max_frames (0: all). */
int gt_load_video (gt_ctx *c, const char *path, int max_frames, float **rgb,
    int *w, int *h, int *frames, double *fps);
/* Decode cache counters since start (tests and progress messages). */
void gt_media_cache_stats (long *hits, long *misses);

/* ---- progress, log, checkpoints, export ---------------------------------
 * With several ranks (gt_dist.h) every rank calls these alike; rank 0
 * alone writes the progress, the CSV, the plot, checkpoints and the
 * model, and the logged values are the means over the global batch. */
/* Report one step's losses (names fixed for the run). Prints progress
 * (step, losses, steps/s, ETA) every log_every steps and appends to
 * run_dir/log.csv; at the end gt_finish draws run_dir/loss.png. */
void gt_log_step (gt_ctx *c, long step, int n, const char *const *names,
    const float *values);

/* Checkpoint = a model file (same format) holding every tensor the recipe
 * needs to resume exactly: weights, optimizer moments, EMA, RNG state,
 * step. `state` lists them all. Written every ckpt_every steps to
 * run_dir/ckpt.safetensors (atomically) and at the end. */
int gt_checkpoint_save (gt_ctx *c, long step, gc_param_list *state,
    const gc_rng *rng);
/* On --resume: load run_dir/ckpt.safetensors into state and rng, return the
 * step to continue from (0 if there is none). -1 on a bad checkpoint. */
long gt_checkpoint_load (gt_ctx *c, gc_param_list *state, gc_rng *rng);
/* True when a checkpoint is due after this step (also when a stop was
 * requested: the checkpoint saved then ends the program, see below). */
int gt_checkpoint_due (gt_ctx *c, long step);
/* Ctrl-C: gan-train's SIGINT/SIGTERM handler calls gt_request_stop; the
 * next gt_checkpoint_due is true and gt_checkpoint_save, once the file is
 * written, draws the plot and exits with status 130, so an interrupted run
 * loses nothing and continues exactly with --resume. Async-signal-safe. */
void gt_request_stop (void);
int gt_stop_requested (void);

/* Export the inference model to ctx->out_path with metadata: the recipe
 * adds its architecture keys (kv, NULL-terminated); the frame adds
 * recipe, data, steps, seed, command line and date. */
int gt_export (gt_ctx *c, gc_param_list *params, const char *const *kv);

void gt_finish (gt_ctx *c);   /* loss.png, final summary */
/* Draw run_dir/loss.png now (also done at each checkpoint). 0 or -1. */
int gt_log_plot (gt_ctx *c);
/* mkdir -p; 0 or -1. */
int gt_mkdirs (const char *path);

/* A recipe: run the whole training; return 0 on success. */
typedef int (*gt_recipe_fn) (gt_ctx *c);

#endif
