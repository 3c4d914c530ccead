/* libgancore — the process-wide worker pool.
 *
 * Workers are created lazily, at most cores - 1 of them (the caller's own
 * thread always does a share). A job is one gc_parallel_for call; jobs from
 * different application threads are serialised by job_lock so the machine is
 * never oversubscribed, and a call made from inside a job runs inline.
 *
 * fork: the child has only the forking thread, so the pool's locks must not
 * be held by another thread at that moment. pthread_atfork handlers take
 * both locks around fork (fork waits for a running job to finish) and the
 * child starts with an empty pool that grows again on first use. */
#include "gc_threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define GC_MAX_WORKERS 64

typedef struct {
  gc_range_fn fn;
  void *ctx;
  int n, chunks;
  int next;                 /* next chunk to take */
  int done;                 /* chunks finished */
  int active;               /* workers still holding a pointer to the job */
} gc_job;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_done = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static gc_job *current_job;
static long job_serial;
static int n_workers;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int cores;                 /* set once by pool_init */
static atomic_int default_threads;
static _Thread_local int thread_limit;
static _Thread_local int inside_job;

static void
before_fork (void)
{
  pthread_mutex_lock (&job_lock);
  pthread_mutex_lock (&pool_lock);
}

static void
after_fork_parent (void)
{
  pthread_mutex_unlock (&pool_lock);
  pthread_mutex_unlock (&job_lock);
}

static void
after_fork_child (void)
{
  /* the workers did not come along; their condition variables may hold
   * waiters that no longer exist */
  n_workers = 0;
  current_job = NULL;
  pthread_cond_init (&pool_wake, NULL);
  pthread_cond_init (&pool_done, NULL);
  pthread_mutex_unlock (&pool_lock);
  pthread_mutex_unlock (&job_lock);
}

static void
pool_init (void)
{
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  cores = n > 0 ? (int) (n > GC_MAX_WORKERS ? GC_MAX_WORKERS : n) : 1;
  const char *e = getenv ("GANCORE_NUM_THREADS");
  int d = e ? atoi (e) : 0;
  atomic_store (&default_threads, d <= 0 || d > cores ? cores : d);
  pthread_atfork (before_fork, after_fork_parent, after_fork_child);
}

int
gc_num_cores (void)
{
  pthread_once (&init_once, pool_init);
  return cores;
}

int
gc_threads_clamp (int n)
{
  int cores = gc_num_cores ();
  if (n <= 0 || n > cores)
    return cores;
  return n;
}

void
gc_set_default_threads (int n)
{
  atomic_store (&default_threads, gc_threads_clamp (n));
}

int
gc_get_default_threads (void)
{
  pthread_once (&init_once, pool_init);
  return atomic_load (&default_threads);
}

void
gc_set_thread_limit (int n)
{
  thread_limit = n > 0 ? gc_threads_clamp (n) : 0;
}

int
gc_current_threads (void)
{
  return thread_limit > 0 ? thread_limit : gc_get_default_threads ();
}

static void
run_chunks (gc_job *job, int worker)
{
  for (;;) {
    pthread_mutex_lock (&pool_lock);
    int c = job->next < job->chunks ? job->next++ : -1;
    pthread_mutex_unlock (&pool_lock);
    if (c < 0)
      return;
    int begin = (int) ((long) job->n * c / job->chunks);
    int end = (int) ((long) job->n * (c + 1) / job->chunks);
    inside_job = 1;
    job->fn (job->ctx, begin, end, worker);
    inside_job = 0;
    pthread_mutex_lock (&pool_lock);
    if (++job->done == job->chunks)
      pthread_cond_broadcast (&pool_done);
    pthread_mutex_unlock (&pool_lock);
  }
}

static void *
worker_main (void *arg)
{
  int id = (int) (long) arg;
  long seen = 0;
  pthread_mutex_lock (&pool_lock);
  for (;;) {
    while (job_serial == seen || !current_job)
      pthread_cond_wait (&pool_wake, &pool_lock);
    seen = job_serial;
    gc_job *job = current_job;
    job->active++;
    pthread_mutex_unlock (&pool_lock);
    run_chunks (job, id);
    pthread_mutex_lock (&pool_lock);
    /* the job lives on the caller's stack: it may return only when no
     * worker can touch it any more */
    if (--job->active == 0)
      pthread_cond_broadcast (&pool_done);
  }
  return NULL;
}

static void
ensure_workers (int want)
{
  /* called with pool_lock held */
  while (n_workers < want && n_workers < GC_MAX_WORKERS - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init (&attr);
    pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create (&t, &attr, worker_main, (void *) (long) (n_workers + 1)))
      break;
    pthread_attr_destroy (&attr);
    n_workers++;
  }
}

void
gc_parallel_for (int nthreads, int n, gc_range_fn fn, void *ctx)
{
  if (n <= 0)
    return;
  nthreads = nthreads <= 0 ? gc_current_threads () : gc_threads_clamp (nthreads);
  if (nthreads > n)
    nthreads = n;
  if (nthreads <= 1 || inside_job) {
    fn (ctx, 0, n, 0);
    return;
  }
  gc_job job = { fn, ctx, n, nthreads, 0, 0, 0 };
  pthread_mutex_lock (&job_lock);
  pthread_mutex_lock (&pool_lock);
  ensure_workers (nthreads - 1);
  if (job.chunks > n_workers + 1)
    job.chunks = n_workers + 1;
  current_job = &job;
  job_serial++;
  pthread_cond_broadcast (&pool_wake);
  pthread_mutex_unlock (&pool_lock);

  run_chunks (&job, 0);

  pthread_mutex_lock (&pool_lock);
  current_job = NULL;          /* no late worker picks it up */
  while (job.done < job.chunks || job.active > 0)
    pthread_cond_wait (&pool_done, &pool_lock);
  pthread_mutex_unlock (&pool_lock);
  pthread_mutex_unlock (&job_lock);
}
