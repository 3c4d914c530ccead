/* Shared by the tests in tests/io: a CHECK that counts failures and keeps
 * going, so one run reports every broken expectation. */
#ifndef IO_CHECK_H
#define IO_CHECK_H

#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
  fprintf (stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
  fprintf (stderr, __VA_ARGS__); fputc ('\n', stderr); } } while (0)

static inline int
contains (const char *haystack, const char *needle)
{
  return haystack && needle && strstr (haystack, needle) != NULL;
}

#endif
