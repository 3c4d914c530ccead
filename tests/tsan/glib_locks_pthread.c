/* LD_PRELOAD shim for ThreadSanitizer runs: GLib implements GMutex and
 * GCond with raw futexes on Linux, which TSan cannot see, so every field
 * guarded by GST_OBJECT_LOCK would be reported as a race. This library
 * re-implements them on pthread mutexes and condition variables (which TSan
 * intercepts); a GMutex or GCond keeps a pointer to its pthread object in
 * its first word, created on first use (statically allocated ones are
 * zero). Used by the `tsan` test setup (scripts/tsan.sh) only. */
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static void *
lazy (gpointer * slot, gboolean cond)
{
  void *p = __atomic_load_n (slot, __ATOMIC_ACQUIRE);
  if (p)
    return p;
  void *n;
  if (cond) {
    pthread_condattr_t a;
    pthread_condattr_init (&a);
    pthread_condattr_setclock (&a, CLOCK_MONOTONIC);
    n = malloc (sizeof (pthread_cond_t));
    pthread_cond_init (n, &a);
    pthread_condattr_destroy (&a);
  } else {
    n = malloc (sizeof (pthread_mutex_t));
    pthread_mutex_init (n, NULL);
  }
  void *expected = NULL;
  if (__atomic_compare_exchange_n (slot, &expected, n, FALSE,
          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return n;
  if (cond)
    pthread_cond_destroy (n);
  else
    pthread_mutex_destroy (n);
  free (n);
  return expected;
}

#define MUTEX(m) ((pthread_mutex_t *) lazy (&(m)->p, FALSE))
#define COND(c) ((pthread_cond_t *) lazy (&(c)->p, TRUE))

void
g_mutex_init (GMutex * m)
{
  m->p = NULL;
}

void
g_mutex_clear (GMutex * m)
{
  if (m->p) {
    pthread_mutex_destroy (m->p);
    free (m->p);
  }
  m->p = NULL;
}

void
g_mutex_lock (GMutex * m)
{
  pthread_mutex_lock (MUTEX (m));
}

void
g_mutex_unlock (GMutex * m)
{
  pthread_mutex_unlock (MUTEX (m));
}

gboolean
g_mutex_trylock (GMutex * m)
{
  return pthread_mutex_trylock (MUTEX (m)) == 0;
}

void
g_cond_init (GCond * c)
{
  c->p = NULL;
}

void
g_cond_clear (GCond * c)
{
  if (c->p) {
    pthread_cond_destroy (c->p);
    free (c->p);
  }
  c->p = NULL;
}

void
g_cond_wait (GCond * c, GMutex * m)
{
  pthread_cond_wait (COND (c), MUTEX (m));
}

/* end_time: g_get_monotonic_time () microseconds */
gboolean
g_cond_wait_until (GCond * c, GMutex * m, gint64 end_time)
{
  struct timespec ts = { end_time / 1000000, (end_time % 1000000) * 1000 };
  return pthread_cond_timedwait (COND (c), MUTEX (m), &ts) == 0;
}

void
g_cond_signal (GCond * c)
{
  pthread_cond_signal (COND (c));
}

void
g_cond_broadcast (GCond * c)
{
  pthread_cond_broadcast (COND (c));
}
