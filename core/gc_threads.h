/* libgancore — one process-wide worker pool.
 *
 * Why one pool: two elements in one process (say gandenoise and
 * gansuperres) must not each start N threads plus OpenBLAS' own N.
 * The pool has at most as many workers as the machine has cores; each
 * caller asks for the number of threads it may use (its element's
 * num-threads property) per call. OpenBLAS is kept single-threaded and
 * our kernels split their GEMMs across the pool instead.
 */
#ifndef GC_THREADS_H
#define GC_THREADS_H

#include "gc_export.h"

GC_BEGIN_DECLS

/* Body of a parallel loop: handle items [begin, end). */
typedef void (*gc_range_fn) (void *ctx, int begin, int end, int worker);

/* Run fn over [0, n) split into at most nthreads contiguous chunks
 * (nthreads <= 0 means "all cores"). Blocks until done. Safe to call from
 * several application threads at once (calls are serialised on the pool
 * when they would oversubscribe it; nested calls run inline). */
void gc_parallel_for (int nthreads, int n, gc_range_fn fn, void *ctx);

/* Number of online cores (cached). */
int gc_num_cores (void);

/* Default thread count used by code that is not told one (tools, tests);
 * initial value: env GANCORE_NUM_THREADS, else all cores. */
void gc_set_default_threads (int n);
int gc_get_default_threads (void);

/* Per calling thread override of the default (thread-local): an element
 * calls this in its streaming thread with its num-threads property, and every
 * kernel run from that thread then uses at most n workers. 0 clears it. */
void gc_set_thread_limit (int n);
/* The count kernels use: the thread limit if set, else the default. */
int gc_current_threads (void);

/* Clamp a requested count to [1, cores]; 0 or negative means all cores. */
int gc_threads_clamp (int n);

GC_END_DECLS
#endif
