/* Shared by the tests in tests/io: CHECK (gan_test.h) and a substring
 * test for error messages. */
#ifndef IO_CHECK_H
#define IO_CHECK_H

#include <string.h>

#include "gan_test.h"

static inline int
contains (const char *haystack, const char *needle)
{
  return haystack && needle && strstr (haystack, needle) != NULL;
}

#endif
