/* Test helpers for tests/tools: temp dirs, file reading, child programs
 * (CHECK and REQUIRE come from gan_test.h). */
#ifndef TCHECK_H
#define TCHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gan_test.h"

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

/* Decoding needs GStreamer's system plugins, which the suite's environment
 * hides (for our own plugin's tests): show them again, with a registry of
 * the test's own beside its program (before gst_init). */
static inline void
tcheck_use_system_plugins (const char *argv0, const char *registry)
{
  char path[4096], *self = strdup (argv0);
  unsetenv ("GST_PLUGIN_SYSTEM_PATH_1_0");
  snprintf (path, sizeof path, "%s/%s", dirname (self), registry);
  free (self);
  setenv ("GST_REGISTRY_1_0", path, 1);
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

/* Start argv[0] with argv, stdout to /dev/null (progress goes to stderr)
 * and stderr to err_path when given. The pid, or -1. */
static inline pid_t
tcheck_spawn (const char *const *argv, const char *err_path)
{
  extern char **environ;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 1, "/dev/null", O_WRONLY, 0);
  if (err_path)
    posix_spawn_file_actions_addopen (&fa, 2, err_path,
        O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  int rc = posix_spawn (&pid, argv[0], &fa, NULL, (char **) argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  return rc == 0 ? pid : -1;
}

/* Wait for pid: its exit status, or -1 when it did not exit (a signal). */
static inline int
tcheck_wait (pid_t pid)
{
  int st;
  if (pid < 0 || waitpid (pid, &st, 0) != pid)
    return -1;
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

#endif
