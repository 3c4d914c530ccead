/* gan-train: data-parallel training over several processes (ranks).
 *
 * `mpirun -np N gan-train RECIPE ...` runs one copy of the recipe per
 * rank. All ranks build the same networks from the same seed. At each step
 * the global batch (--set batch=B, the same B as one process) is split:
 * item i of step t is drawn from its own random stream (gt_item_rng), and
 * rank r computes the items gt_dist_slice gives it. gt_dist_grads then sums
 * the ranks' gradients, each weighted by its share of the batch, so every
 * rank holds the gradient one process would have computed on the whole
 * batch and applies the same optimizer step. A recipe needs three things:
 *
 *   int lo, hi;  gt_dist_slice (batch, &lo, &hi);     // once, n = hi - lo
 *   for (i = lo; i < hi; i++) {                       // each step
 *     gc_rng r;  gt_item_rng (&r, c->seed, step, i);  // item i's draws
 *     ...
 *   }
 *   gt_dist_grads (c, step, &params);                 // before clip + Adam
 *
 * With one rank every call is cheap and changes nothing but the draw
 * order (items no longer share one stream). */
#ifndef GT_DIST_H
#define GT_DIST_H

#include "gt.h"

/* The random stream of item `item` of step `step`'s global batch (steps
 * counted from 0), from the run seed alone: the same on every rank,
 * whichever rank draws it. Streams of different (seed, step, item) are
 * independent for all practical purposes (splitmix64 of each part). */
void gt_item_rng (gc_rng *r, uint64_t seed, long step, long item);

/* This rank's contiguous slice [*lo, *hi) = [n r / N, n (r+1) / N) of a
 * global batch of n items (rank 0 takes the first items; sizes differ by
 * at most one). It also sets the rank's share (hi - lo) / n by which
 * gt_dist_grads and the logged values are weighted. -1 with an error when
 * n is smaller than the ranks. */
int gt_dist_slice (int n, int *lo, int *hi);

/* Replace each rank's gradients of the trainable parameters of pl by the
 * share-weighted sum over all ranks (one flat buffer, bucketed); parameters
 * that are not trained (running statistics) take rank 0's values. Every
 * c->check_every steps it first checks that the weights are the same on
 * every rank. A failed transfer or a divergence prints what happened and
 * stops the whole job (gt_comm_abort). Call it on every rank, in the same
 * order, before gradient clipping and the optimizer step. */
void gt_dist_grads (gt_ctx *c, long step, gc_param_list *pl);

/* 0 when every rank holds bit-identical weights in pl, else -1 with an
 * error naming the step; -1 also when the transfer fails. */
int gt_dist_check_weights (gc_param_list *pl, long step);

/* Share-weighted sum of n values over the ranks, in place: the global
 * batch mean of per-rank means (the logged losses). */
int gt_dist_mean (float *v, int n);

/* For a loss that is a sum over this rank's items divided by a count that
 * depends on the items (not just on how many there are): the divisor to
 * use instead of local_count, so that after the share weighting the sum
 * over ranks is the global batch's mean. Returns local_count with one
 * rank. Call it on every rank alike. */
double gt_dist_divisor (double local_count);

/* Rank 0's weights of every parameter in pl to all ranks. */
int gt_dist_bcast_params (gc_param_list *pl);

/* 64-bit FNV-1a hash of the weights' bytes (names and shapes included). */
uint64_t gt_dist_hash_params (const gc_param_list *pl);

/* What the gradient sums cost so far on this rank: calls, bytes sent into
 * the sums, seconds spent in them, and of those the seconds spent waiting
 * for the slowest rank (measured only with GAN_TRAIN_DIST_PROFILE=1,
 * which puts a barrier before each sum; else 0). */
typedef struct gt_dist_stats {
  long calls;
  double bytes, seconds, wait_seconds;
} gt_dist_stats;
void gt_dist_get_stats (gt_dist_stats *s);

/* Rank of this process and the number of ranks (0 and 1 without MPI). */
int gt_dist_rank (void);
int gt_dist_size (void);

#endif
