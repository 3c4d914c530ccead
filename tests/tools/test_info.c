/* gan-info (argv[1]) on odd arguments: "-" and unknown options get the
 * usage and exit 2, --help exits 0; a FIFO or a directory given as the
 * model is refused at once (exit 1, a message naming it) instead of
 * waiting for a writer. */
#include "tcheck.h"

#include <sys/stat.h>
#include <sys/wait.h>

static const char *gan_info;

/* Exit status of gan-info ARGS (124: it did not finish within 20 s). */
static int
run (const char *args, const char *out)
{
  char cmd[4096];
  snprintf (cmd, sizeof cmd, "timeout 20 '%s' %s >'%s' 2>&1", gan_info, args,
      out);
  int st = system (cmd);
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

static int
file_has (const char *path, const char *what)
{
  size_t n = 0;
  unsigned char *d = tcheck_read_file (path, &n);
  int found = d && memmem (d, n, what, strlen (what)) != NULL;
  free (d);
  return found;
}

int
main (int argc, char **argv)
{
  REQUIRE (argc > 1, "usage: test_info PATH-TO-gan-info");
  gan_info = argv[1];
  char *dir = tcheck_tmpdir ("info");
  REQUIRE (dir, "no temp dir");
  char out[600], fifo[600], args[1300];
  snprintf (out, sizeof out, "%s/out.txt", dir);
  snprintf (fifo, sizeof fifo, "%s/model.fifo", dir);

  CHECK (run ("-", out) == 2 && file_has (out, "usage:"), "'-'");
  CHECK (run ("-x", out) == 2 && file_has (out, "usage:"), "'-x'");
  CHECK (run ("--help", out) == 0 && file_has (out, "usage:"), "--help");

  REQUIRE (mkfifo (fifo, 0600) == 0, "mkfifo");
  snprintf (args, sizeof args, "'%s'", fifo);
  int rc = run (args, out);
  CHECK (rc == 1, "FIFO: exit %d (124: it hung)", rc);
  CHECK (file_has (out, fifo) && file_has (out, "not a regular file"),
      "FIFO message");
  snprintf (args, sizeof args, "'%s'", dir);
  CHECK (run (args, out) == 1 && file_has (out, "not a regular file"),
      "directory");

  tcheck_rmtree (dir);
  free (dir);
  return gan_test_report ("test_info");
}
