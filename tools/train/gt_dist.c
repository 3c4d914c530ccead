/* gan-train: data-parallel training, the part that is the same whatever
 * the transport (gt_comm.h). See gt_dist.h. */
#include "gt_dist.h"
#include "gt_comm.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Gradients go out in buckets of 1 M floats (4 MB), all in flight at once,
 * so a large model streams through the transport rather than waiting for
 * one huge message. */
#define GRAD_BUCKET_FLOATS (1u << 20)

static double share = 1.0;
static gt_dist_stats stats;
static int profile = -1;        /* GAN_TRAIN_DIST_PROFILE, read once */

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void
gt_dist_get_stats (gt_dist_stats *s)
{
  *s = stats;
}

static uint64_t
splitmix64 (uint64_t z)
{
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void
gt_item_rng (gc_rng *r, uint64_t seed, long step, long item)
{
  uint64_t h = splitmix64 (seed);
  h = splitmix64 (h ^ (uint64_t) step);
  h = splitmix64 (h ^ ((uint64_t) item * 0xD1B54A32D192ED03ull));
  gc_rng_seed (r, h);
}

int
gt_dist_rank (void)
{
  return gt_comm_rank ();
}

int
gt_dist_size (void)
{
  return gt_comm_size ();
}

int
gt_dist_slice (int n, int *lo, int *hi)
{
  int r = gt_comm_rank (), s = gt_comm_size ();
  if (n < s) {
    gc_set_error ("a global batch of %d items cannot be split over %d ranks",
        n, s);
    return -1;
  }
  *lo = (int) ((long long) n * r / s);
  *hi = (int) ((long long) n * (r + 1) / s);
  share = (double) (*hi - *lo) / n;
  return 0;
}

uint64_t
gt_dist_hash_params (const gc_param_list *pl)
{
  uint64_t h = 0xcbf29ce484222325ull;
  for (int i = 0; i < pl->count; i++) {
    const gc_param *p = pl->items[i];
    const unsigned char *b = (const unsigned char *) p->name;
    for (; *b; b++)
      h = (h ^ *b) * 0x100000001b3ull;
    h = (h ^ (uint64_t) p->n) * 0x100000001b3ull;
    b = (const unsigned char *) p->w;
    for (size_t k = 0; k < p->n * sizeof (float); k++)
      h = (h ^ b[k]) * 0x100000001b3ull;
  }
  return h;
}

int
gt_dist_check_weights (gc_param_list *pl, long step)
{
  if (gt_comm_size () == 1)
    return 0;
  uint64_t mine = gt_dist_hash_params (pl), lo = mine, hi = mine;
  if (gt_comm_min_u64 (&lo, 1) < 0 || gt_comm_max_u64 (&hi, 1) < 0) {
    gc_set_error ("the weight check could not reach the other ranks");
    return -1;
  }
  if (lo != hi) {
    gc_set_error ("the weights from '%s' on differ between ranks at step %ld "
        "(this rank's hash %016" PRIx64 ", lowest %016" PRIx64 ", highest %016"
        PRIx64 ")", pl->count ? pl->items[0]->name : "?", step, mine, lo, hi);
    return -1;
  }
  return 0;
}

static void
fail (const char *what)
{
  fprintf (stderr, "gan-train: rank %d of %d: %s; stopping all ranks\n",
      gt_comm_rank (), gt_comm_size (), what);
  gt_comm_abort (3);
}

void
gt_dist_grads (gt_ctx *c, long step, gc_param_list *pl)
{
  if (gt_comm_size () == 1)
    return;
  if (c->check_every > 0 && step % c->check_every == 0
      && gt_dist_check_weights (pl, step) < 0)
    fail (gc_last_error ());
  size_t n = 0, n_fixed = 0;
  for (int i = 0; i < pl->count; i++) {
    const gc_param *p = pl->items[i];
    if (p->trainable && p->g)
      n += p->n;
    else
      n_fixed += p->n;
  }
  float *buf = malloc ((n + n_fixed) * sizeof (float) + 1);
  if (!buf)
    fail ("out of memory for the gradient buffer");
  float *fixed = buf + n, k = (float) share;
  size_t o = 0, of = 0;
  for (int i = 0; i < pl->count; i++) {
    const gc_param *p = pl->items[i];
    if (p->trainable && p->g) {
      for (size_t j = 0; j < p->n; j++)
        buf[o + j] = k * p->g[j];
      o += p->n;
    } else {
      memcpy (fixed + of, p->w, p->n * sizeof (float));
      of += p->n;
    }
  }
  if (profile < 0) {
    const char *e = getenv ("GAN_TRAIN_DIST_PROFILE");
    profile = e && *e && strcmp (e, "0") != 0;
  }
  double t0 = now_s ();
  if (profile && gt_comm_barrier () < 0)
    fail ("the gradient sum failed");
  double t1 = now_s ();
  if (gt_comm_sum_float (buf, n, GRAD_BUCKET_FLOATS) < 0
      || gt_comm_bcast (fixed, n_fixed * sizeof (float)) < 0)
    fail ("the gradient sum failed");
  double t2 = now_s ();
  stats.calls++;
  stats.bytes += (double) (n + n_fixed) * sizeof (float);
  stats.seconds += t2 - t0;
  if (profile)
    stats.wait_seconds += t1 - t0;
  o = of = 0;
  for (int i = 0; i < pl->count; i++) {
    gc_param *p = pl->items[i];
    if (p->trainable && p->g) {
      memcpy (p->g, buf + o, p->n * sizeof (float));
      o += p->n;
    } else {
      memcpy (p->w, fixed + of, p->n * sizeof (float));
      of += p->n;
    }
  }
  free (buf);
}

int
gt_dist_mean (float *v, int n)
{
  if (gt_comm_size () == 1 || n <= 0)
    return 0;
  double *d = malloc ((size_t) n * sizeof *d);
  if (!d)
    return -1;
  for (int i = 0; i < n; i++)
    d[i] = share * v[i];
  int rc = gt_comm_sum_double (d, (size_t) n);
  if (rc == 0)
    for (int i = 0; i < n; i++)
      v[i] = (float) d[i];
  free (d);
  return rc;
}

double
gt_dist_divisor (double local_count)
{
  if (gt_comm_size () == 1)
    return local_count;
  double total = local_count;
  if (gt_comm_sum_double (&total, 1) < 0)
    fail ("the loss normaliser could not be summed over the ranks");
  return share * total;
}

int
gt_dist_bcast_params (gc_param_list *pl)
{
  for (int i = 0; i < pl->count; i++)
    if (gt_comm_bcast (pl->items[i]->w, pl->items[i]->n * sizeof (float)) < 0)
      return -1;
  return 0;
}
