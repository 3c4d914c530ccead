/* gc_denoise's real-time promise: after creation (and one warm-up call),
 * process, push, drain, reset and the setters allocate nothing. The
 * allocator functions are interposed here (the executable's definitions
 * win over libc's for the shared libgancore too) and count calls while
 * `counting` is set. Mono and linked stereo, mask mode, the shipped
 * model and a deep-filter model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define GAN_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GAN_SANITIZED 1
#endif

#ifdef GAN_SANITIZED
/* A sanitizer owns the allocator: interposing it here would fight it. */
int
main (void)
{
  fprintf (stderr, "SKIP: allocation counting needs the plain allocator\n");
  return 77;
}
#else

#include "gc_core.h"
#include "gc_denoise.h"
#include "gcn_denoiser.h"
#include "shipped_denoiser.h"

extern void *__libc_malloc (size_t);
extern void *__libc_calloc (size_t, size_t);
extern void *__libc_realloc (void *, size_t);
extern void *__libc_memalign (size_t, size_t);

static volatile int counting;
static volatile long allocs;

void *
malloc (size_t n)
{
  if (counting)
    allocs++;
  return __libc_malloc (n);
}

void *
calloc (size_t a, size_t b)
{
  if (counting)
    allocs++;
  return __libc_calloc (a, b);
}

void *
realloc (void *p, size_t n)
{
  if (counting)
    allocs++;
  return __libc_realloc (p, n);
}

int
posix_memalign (void **p, size_t align, size_t n)
{
  if (counting)
    allocs++;
  *p = __libc_memalign (align, n);
  return *p ? 0 : 12;
}

void *
aligned_alloc (size_t align, size_t n)
{
  if (counting)
    allocs++;
  return __libc_memalign (align, n);
}

static int failures;

static void
check (const gcn_denoiser *net, int rate, int ch, const char *what)
{
  long n = rate;
  float *x = malloc (sizeof (float) * n * ch), *y = malloc (sizeof (float) *
      (n + 64 * rate / 100) * ch);
  for (long i = 0; i < n * ch; i++)
    x[i] = (float) ((i * 7919 % 2000) - 1000) * 1e-4f;
  gc_denoise *d = gc_denoise_new (net, NULL, rate, ch, GC_DENOISE_LINKED);
  gc_denoise_set_speech_guard (d, 10.f);
  gc_denoise_process (d, x, y, rate / 10);      /* warm up */
  gc_denoise_reset (d);
  counting = 1;
  allocs = 0;
  gc_denoise_set_attenuation_limit (d, 12.f);
  gc_denoise_set_vad (d, 0.4, 200.);
  gc_denoise_set_gate (d, 1);
  for (long i = 0; i < n; i += 333)
    gc_denoise_process (d, x + i * ch, y + i * ch, (int) (n - i < 333 ? n - i :
            333));
  gc_denoise_set_attenuation_limit (d, 0.f);    /* bypass path */
  gc_denoise_process (d, x, y, rate / 5);
  gc_denoise_reset (d);
  int hop = gc_denoise_hop (d), k = 0;
  for (long i = 0; i + hop <= n; i += hop)
    k = gc_denoise_push_hops (d, x + i * ch, 1, y);
  k = gc_denoise_drain (d, x, hop / 2, y);
  counting = 0;
  (void) k;
  if (allocs) {
    fprintf (stderr, "FAIL %s: %ld allocations while streaming\n", what,
        allocs);
    failures++;
  }
  gc_denoise_free (d);
  free (x);
  free (y);
}

int
main (void)
{
  gcn_denoiser net;
  if (load_shipped_denoiser (&net))
    return 1;
  check (&net, 48000, 1, "shipped, 48 kHz mono");
  check (&net, 48000, 2, "shipped, 48 kHz linked stereo");
  check (&net, 16000, 2, "shipped, 16 kHz linked stereo");
  gcn_denoiser_free (&net);

  gcn_denoiser_config cfg = { 8, 3, 8, 8, 3, 1, 2 };
  gc_rng r;
  gc_rng_seed (&r, 3);
  if (gcn_denoiser_init (&net, &cfg, &r) == 0) {
    check (&net, 44100, 2, "deep filter, lookahead 2, 44.1 kHz stereo");
    gcn_denoiser_free (&net);
  }
  /* the counter works */
  counting = 1;
  allocs = 0;
  void *p = malloc (10);
  counting = 0;
  free (p);
  if (allocs != 1) {
    fprintf (stderr, "FAIL: the allocation counter does not count\n");
    failures++;
  }
  return failures ? 1 : 0;
}
#endif
