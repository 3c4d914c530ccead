/* gc_model_load on what a path can name besides a model: a FIFO or a
 * directory is refused without being opened (opening a FIFO blocks until a
 * writer comes), and a huge file whose first bytes are bad is refused after
 * reading only those bytes. "Bytes read" is the process's own count of
 * bytes that read(2)/pread(2) returned (/proc/self/io rchar), which also
 * counts reading /proc/self/io itself (SLACK). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gc_modelfile.h"
#include "io_check.h"

#define SLACK 512

static long long
bytes_read (void)
{
  FILE *f = fopen ("/proc/self/io", "r");
  long long v = -1;
  char line[128];
  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "rchar: %lld", &v) == 1)
      break;
  if (f)
    fclose (f);
  return v;
}

static void
expect_refused (const char *path, const char *what, long long max_read)
{
  gc_model_file m;
  long long before = bytes_read ();
  int rc = gc_model_load (&m, path);
  long long used = bytes_read () - before;
  CHECK (rc < 0, "%s: accepted", path);
  if (rc == 0) {
    gc_model_free (&m);
    return;
  }
  CHECK (contains (gc_last_error (), path), "message lacks the path: %s",
      gc_last_error ());
  CHECK (contains (gc_last_error (), what), "message '%s' lacks '%s'",
      gc_last_error (), what);
  CHECK (before >= 0 && used <= max_read + SLACK, "%s: read %lld bytes to refuse it "
      "(at most %lld expected)", path, used, max_read);
}

/* A sparse file of `size` bytes starting with `head` (no disk space used). */
static void
write_sparse (const char *path, const void *head, size_t len, off_t size)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK (fd >= 0, "create %s: %s", path, strerror (errno));
  if (fd < 0)
    return;
  CHECK (write (fd, head, len) == (ssize_t) len, "write %s", path);
  CHECK (ftruncate (fd, size) == 0, "truncate %s", path);
  close (fd);
}

int
main (void)
{
  /* a hang is a failure, not a stuck test run */
  alarm (30);
  char dir[] = "/tmp/gc-modelpaths-XXXXXX";
  if (!mkdtemp (dir)) {
    fprintf (stderr, "no temp dir\n");
    return 1;
  }
  char fifo[128], big[128], tail[128], good[128];
  snprintf (fifo, sizeof fifo, "%s/model.fifo", dir);
  snprintf (big, sizeof big, "%s/big.safetensors", dir);
  snprintf (tail, sizeof tail, "%s/tail.safetensors", dir);
  snprintf (good, sizeof good, "%s/good.safetensors", dir);

  /* FIFO and directory: refused from their type alone */
  CHECK (mkfifo (fifo, 0600) == 0, "mkfifo: %s", strerror (errno));
  expect_refused (fifo, "not a regular file", 0);
  expect_refused (dir, "not a regular file", 0);

  /* 512 MiB whose header length is 0: refused on its first 8 bytes */
  const off_t huge = 512ll << 20;
  unsigned char zero8[8] = { 0 };
  write_sparse (big, zero8, sizeof zero8, huge);
  expect_refused (big, "header length 0 too small", 4096);

  /* a valid header declaring 4 bytes of data, then 512 MiB of nothing:
   * refused from the header, before any of the data is read */
  const char *json = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],"
      "\"data_offsets\":[0,4]}}";
  unsigned char head[128];
  size_t hl = strlen (json);
  for (int i = 0; i < 8; i++)
    head[i] = (unsigned char) ((uint64_t) hl >> (8 * i));
  memcpy (head + 8, json, hl);
  write_sparse (tail, head, 8 + hl, huge);
  expect_refused (tail, "trailing bytes", 4096);

  /* a good file is read once: header and data, nothing more */
  float one = 1.f;
  memcpy (head + 8 + hl, &one, 4);
  write_sparse (good, head, 8 + hl + 4, (off_t) (8 + hl + 4));
  gc_model_file m;
  long long before = bytes_read ();
  CHECK (gc_model_load (&m, good) == 0, "good file: %s", gc_last_error ());
  long long used = bytes_read () - before;
  CHECK (used >= (long long) (8 + hl + 4)
      && used <= (long long) (8 + hl + 4) + SLACK, "good file: read %lld bytes of "
      "%zu", used, 8 + hl + 4);
  CHECK (m.n_tensors == 1 && m.tensors[0].data[0] == 1.f, "good file content");
  gc_model_free (&m);

  unlink (fifo);
  unlink (big);
  unlink (tail);
  unlink (good);
  rmdir (dir);
  if (failures)
    fprintf (stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
