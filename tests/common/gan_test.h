/* The checks every test program uses (header only).
 *
 * CHECK counts a failure and goes on, so one run reports every broken
 * expectation; REQUIRE stops the program where going on makes no sense;
 * gan_test_report gives main () its exit status. */
#ifndef GAN_TEST_H
#define GAN_TEST_H

#include <stdio.h>
#include <stdlib.h>

/* Failures of this test program. */
static int failures;

#define CHECK(cond, ...) do {                                        \
    if (!(cond)) {                                                   \
      failures++;                                                    \
      fprintf (stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
      fprintf (stderr, __VA_ARGS__);                                 \
      fputc ('\n', stderr);                                          \
    }                                                                \
  } while (0)

#define REQUIRE(cond, ...) do {                                      \
    if (!(cond)) {                                                   \
      fprintf (stderr, "FAIL %s:%d: (%s) ", __FILE__, __LINE__, #cond); \
      fprintf (stderr, __VA_ARGS__);                                 \
      fputc ('\n', stderr);                                          \
      exit (1);                                                      \
    }                                                                \
  } while (0)

/* Exit status for main (): 0 when every check passed. */
static inline int
gan_test_report (const char *program)
{
  if (failures)
    fprintf (stderr, "%s: %d check(s) failed\n", program, failures);
  else
    printf ("%s: all checks passed\n", program);
  return failures ? 1 : 0;
}

#endif
