/* Minimal test helpers for tests/tools: CHECK, temp dirs, file reading. */
#ifndef TCHECK_H
#define TCHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tcheck_failures;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
      fprintf (stdout, "%s:%d: CHECK (%s) failed: ", __FILE__, __LINE__, \
          #cond); \
      fprintf (stdout, __VA_ARGS__); \
      fprintf (stdout, "\n"); \
      tcheck_failures++; \
    } \
  } while (0)

/* Stop the test when continuing makes no sense. */
#define REQUIRE(cond, ...) do { \
    if (!(cond)) { \
      fprintf (stdout, "%s:%d: REQUIRE (%s) failed: ", __FILE__, __LINE__, \
          #cond); \
      fprintf (stdout, __VA_ARGS__); \
      fprintf (stdout, "\n"); \
      exit (1); \
    } \
  } while (0)

static int
tcheck_rm_entry (const char *p, const struct stat *sb, int flag,
    struct FTW *ftw)
{
  (void) sb; (void) flag; (void) ftw;
  return remove (p);
}

static inline void
tcheck_rmtree (const char *dir)
{
  nftw (dir, tcheck_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under $TMPDIR (or /tmp); caller frees and removes. */
static inline char *
tcheck_tmpdir (const char *tag)
{
  const char *base = getenv ("TMPDIR");
  char *p;
  if (asprintf (&p, "%s/gst-gan-%s-XXXXXX", base && *base ? base : "/tmp",
          tag) < 0)
    return NULL;
  if (!mkdtemp (p)) {
    free (p);
    return NULL;
  }
  return p;
}

static inline unsigned char *
tcheck_read_file (const char *path, size_t *n)
{
  FILE *f = fopen (path, "rb");
  if (!f)
    return NULL;
  fseek (f, 0, SEEK_END);
  long len = ftell (f);
  fseek (f, 0, SEEK_SET);
  unsigned char *d = malloc (len > 0 ? len : 1);
  if (d && fread (d, 1, len, f) != (size_t) len) {
    free (d);
    d = NULL;
  }
  fclose (f);
  if (d)
    *n = len;
  return d;
}

static inline int
tcheck_done (const char *name)
{
  if (tcheck_failures) {
    fprintf (stdout, "%s: %d check(s) failed\n", name, tcheck_failures);
    return 1;
  }
  printf ("%s: all checks passed\n", name);
  return 0;
}

#endif
