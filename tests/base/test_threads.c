/* The worker pool: every item is visited exactly once, for any thread count
 * and any n (fewer items than threads included); concurrent callers from
 * several application threads and nested calls do not deadlock; the
 * per-thread limit is honoured; a child forked while another thread holds
 * the pool can use it. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gc_threads.h"
#include "gan_test.h"

typedef struct {
  atomic_int *hits;
  atomic_int max_worker;
} visit_ctx;

static void
visit (void *p, int begin, int end, int worker)
{
  visit_ctx *c = p;
  for (int i = begin; i < end; i++)
    atomic_fetch_add (&c->hits[i], 1);
  int m = atomic_load (&c->max_worker);
  while (worker > m && !atomic_compare_exchange_weak (&c->max_worker, &m, worker))
    ;
}

static int
visit_all_once (int threads, int n)
{
  visit_ctx c = { calloc (n > 0 ? n : 1, sizeof (atomic_int)), 0 };
  gc_parallel_for (threads, n, visit, &c);
  int ok = 1;
  for (int i = 0; i < n; i++)
    if (atomic_load (&c.hits[i]) != 1)
      ok = 0;
  free (c.hits);
  return ok;
}

static void
nested_body (void *p, int begin, int end, int worker)
{
  /* a kernel calling another parallel kernel must not deadlock */
  for (int i = begin; i < end; i++)
    if (!visit_all_once (2, 17))
      atomic_fetch_add ((atomic_int *) p, 1);
}

static void *
hammer (void *arg)
{
  int bad = 0;
  for (int r = 0; r < 200; r++)
    bad += !visit_all_once (0, 1 + (r * 37) % 101);
  return (void *) (long) bad;
}

static void
limit_body (void *p, int begin, int end, int worker)
{
  visit_ctx *c = p;
  visit (c, begin, end, worker);
}

/* ---- fork while another thread is inside gc_parallel_for ---- */

static atomic_int job_running;

static void
slow_body (void *p, int begin, int end, int worker)
{
  atomic_store (&job_running, 1);
  struct timespec ts = { 0, 200 * 1000 * 1000 };
  nanosleep (&ts, NULL);
}

static void *
hold_pool (void *p)
{
  gc_parallel_for (2, 2, slow_body, NULL);
  return NULL;
}

/* The child must finish its own parallel loop; a hang (the pool's locks
 * copied while held by a thread the child does not have) ends in SIGALRM. */
static int
fork_while_pool_busy (void)
{
  pthread_t t;
  atomic_store (&job_running, 0);
  pthread_create (&t, NULL, hold_pool, NULL);
  while (!atomic_load (&job_running))
    sched_yield ();
  pid_t pid = fork ();
  if (pid == 0) {
    alarm (10);
    _exit (visit_all_once (2, 1000) && visit_all_once (0, 77) ? 0 : 1);
  }
  int st = 0;
  waitpid (pid, &st, 0);
  pthread_join (t, NULL);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0, "child %s %d",
      WIFSIGNALED (st) ? "killed by signal" : "exited with",
      WIFSIGNALED (st) ? WTERMSIG (st) : WEXITSTATUS (st));
  /* and the parent's pool still works */
  return visit_all_once (2, 1000);
}

int
main (void)
{
  int sizes[] = { 0, 1, 2, 3, 7, 64, 1001 };
  for (int t = 0; t <= 4; t++)
    for (unsigned s = 0; s < sizeof sizes / sizeof *sizes; s++)
      CHECK (visit_all_once (t, sizes[s]), "threads %d n %d", t, sizes[s]);

  atomic_int nested_bad = 0;
  gc_parallel_for (2, 8, nested_body, &nested_bad);
  CHECK (atomic_load (&nested_bad) == 0, "nested parallel_for lost items");

  pthread_t th[3];
  for (int i = 0; i < 3; i++)
    pthread_create (&th[i], NULL, hammer, NULL);
  for (int i = 0; i < 3; i++) {
    void *r;
    pthread_join (th[i], &r);
    CHECK (r == NULL, "concurrent callers lost items (%ld rounds)", (long) r);
  }

  /* thread limit 1: everything runs on the calling thread (worker 0) */
  gc_set_thread_limit (1);
  CHECK (gc_current_threads () == 1, "limit not applied");
  visit_ctx c = { calloc (100, sizeof (atomic_int)), 0 };
  gc_parallel_for (0, 100, limit_body, &c);
  CHECK (atomic_load (&c.max_worker) == 0, "limit 1 used worker %d",
      atomic_load (&c.max_worker));
  free (c.hits);
  gc_set_thread_limit (0);
  CHECK (gc_threads_clamp (0) == gc_num_cores (), "clamp(0) != cores");
  CHECK (gc_threads_clamp (100000) == gc_num_cores (), "clamp above cores");

  if (gc_num_cores () >= 2)
    CHECK (fork_while_pool_busy (), "pool broken after fork");
  else
    printf ("one core: no worker to hold the pool during fork\n");

  printf ("%s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
