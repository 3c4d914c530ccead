/* libgancore (internal, not installed) — how a core function refuses a
 * call.
 *
 * Tensors of a shape no valid call produces (wrong channel count, an input
 * shorter than the kernel, a gradient that does not match the forward, an
 * output aliasing its input) are an error of the calling code.
 * GC_CHECK_SHAPE reports it through gc_set_error with the file and line of
 * the check and makes the function return -1, leaving its outputs alone;
 * GC_CHECK_ALLOC does the same for an allocation that failed. Callers
 * pass the -1 on, so training stops with the message instead of going on
 * with stale tensors. */
#ifndef GC_CHECK_H
#define GC_CHECK_H

#include "gc_base.h"

#ifdef __FILE_NAME__
#define GC_CHECK_FILE_ __FILE_NAME__
#else
#define GC_CHECK_FILE_ __FILE__
#endif

/* Sets the error "file:line: " + the printf-style message. */
void gc_check_failed_ (const char *file, int line, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__ ((format (printf, 3, 4)))
#endif
    ;

/* GC_CHECK_SHAPE (cond, "conv1d: input of %d frames ...", x->w) */
#define GC_CHECK_SHAPE(cond, ...) \
  do { \
    if (!(cond)) { \
      gc_check_failed_ (GC_CHECK_FILE_, __LINE__, __VA_ARGS__); \
      return -1; \
    } \
  } while (0)

/* GC_CHECK_ALLOC (col, "conv1d: out of memory"): ok is a pointer that must
 * not be NULL, or a condition. */
#define GC_CHECK_ALLOC(ok, ...) GC_CHECK_SHAPE (ok, __VA_ARGS__)

#endif
