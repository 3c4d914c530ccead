/* libgancore (internal, not installed) — how a core function refuses a
 * call.
 *
 * Tensors of a shape no valid call produces (wrong channel count, an input
 * shorter than the kernel, a gradient that does not match the forward, an
 * output aliasing its input) are a bug of the calling code: GC_CHECK_SHAPE
 * prints "file:line: message" to stderr and aborts, as assert () would,
 * but in release builds too. No input of a program may reach one: model
 * files are checked when they are loaded, and frame sizes, stream lengths
 * and caps by the net's entry point (which returns -1 with gc_set_error).
 *
 * Running out of memory is not a bug: GC_CHECK_ALLOC reports it through
 * gc_set_error with the file and line of the check and makes the function
 * return -1, leaving its outputs alone. Callers pass the -1 on, so
 * training stops with the message instead of going on with stale
 * tensors. */
#ifndef GC_CHECK_H
#define GC_CHECK_H

#include "gc_base.h"

#ifdef __FILE_NAME__
#define GC_CHECK_FILE_ __FILE_NAME__
#else
#define GC_CHECK_FILE_ __FILE__
#endif

/* Prints "file:line: " + the printf-style message to stderr and aborts. */
void gc_check_abort_ (const char *file, int line, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__ ((format (printf, 3, 4), noreturn, cold))
#endif
    ;
/* Sets the error "file:line: " + the printf-style message. */
void gc_check_failed_ (const char *file, int line, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__ ((format (printf, 3, 4)))
#endif
    ;

/* GC_CHECK_SHAPE (cond, "conv1d: input of %d frames ...", x->w) */
#define GC_CHECK_SHAPE(cond, ...) \
  do { \
    if (!(cond)) \
      gc_check_abort_ (GC_CHECK_FILE_, __LINE__, __VA_ARGS__); \
  } while (0)

/* GC_CHECK_ALLOC (col, "conv1d: out of memory"): ok is a pointer that must
 * not be NULL, or a condition. */
#define GC_CHECK_ALLOC(ok, ...) \
  do { \
    if (!(ok)) { \
      gc_check_failed_ (GC_CHECK_FILE_, __LINE__, __VA_ARGS__); \
      return -1; \
    } \
  } while (0)

#endif
