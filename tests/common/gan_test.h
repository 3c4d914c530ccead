/* The checks every test program uses (header only).
 *
 * CHECK counts a failure and goes on, so one run reports every broken
 * expectation; REQUIRE stops the program where going on makes no sense;
 * gan_test_report gives main () its exit status; CHECK_ABORTS runs a
 * call that must abort (a programmer error the core refuses) in a child
 * process, as GLib's g_test_trap_subprocess does. */
#ifndef GAN_TEST_H
#define GAN_TEST_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* CHECK_ABORTS (expect, statement): the statement, run in a forked child,
 * must die of SIGABRT having written `expect` to stderr (a programmer
 * error the core refuses with "file:line: message"). The child's stderr
 * is captured, so an expected abort prints nothing; one that hangs is
 * killed after 60 s. Thread pools do not survive fork: the statement must
 * abort before it would use one. */
#define CHECK_ABORTS(expect, ...) do {                               \
    gan_test_child child_;                                           \
    if (gan_test_fork_ (&child_)) {                                  \
      __VA_ARGS__;                                                   \
      _exit (0);                                                     \
    }                                                                \
    CHECK (gan_test_aborted_ (&child_, expect),                      \
        "%s did not abort with \"%s\"", #__VA_ARGS__, expect);      \
  } while (0)

typedef struct {
  pid_t pid;
  int fd;
} gan_test_child;

/* 1 in the child (stderr into a pipe), 0 in the parent. */
static inline int
gan_test_fork_ (gan_test_child *c)
{
  int fd[2];
  fflush (stdout);
  fflush (stderr);
  if (pipe (fd) < 0) {
    perror ("pipe");
    exit (1);
  }
  c->pid = fork ();
  if (c->pid < 0) {
    perror ("fork");
    exit (1);
  }
  if (c->pid == 0) {
    close (fd[0]);
    dup2 (fd[1], 2);
    alarm (60);
    return 1;
  }
  close (fd[1]);
  c->fd = fd[0];
  return 0;
}

/* Waits for the child: 1 when it aborted with `expect` on its stderr;
 * otherwise 0, having said what happened instead. */
static inline int
gan_test_aborted_ (gan_test_child *c, const char *expect)
{
  char msg[4096];
  size_t len = 0;
  int status = 0;
  for (ssize_t r; (r = read (c->fd, msg + len, sizeof msg - 1 - len)) > 0;)
    len += (size_t) r;
  msg[len] = '\0';
  close (c->fd);
  waitpid (c->pid, &status, 0);
  int aborted = WIFSIGNALED (status) && WTERMSIG (status) == SIGABRT;
  if (aborted && strstr (msg, expect))
    return 1;
  if (aborted)
    fprintf (stderr, "aborted with: %s", msg);
  else if (WIFSIGNALED (status))
    fprintf (stderr, "died of signal %d: %s", WTERMSIG (status), msg);
  else
    fprintf (stderr, "exited with %d: %s", WEXITSTATUS (status), msg);
  return 0;
}

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
