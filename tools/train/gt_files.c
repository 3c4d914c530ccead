/* gan-train: paths under the data directory, file lists, mkdir -p. */
#include "gt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

int
gt_mkdirs (const char *path)
{
  char buf[4096];
  if (!path || !*path || strlen (path) >= sizeof buf)
    return -1;
  strcpy (buf, path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir (buf, 0777) != 0 && errno != EEXIST)
      return -1;
    *p = '/';
  }
  if (mkdir (buf, 0777) != 0 && errno != EEXIST)
    return -1;
  return 0;
}

char *
gt_data_path (gt_ctx *c, const char *path)
{
  if (!path)
    return NULL;
  if (path[0] == '/' || !c || !c->data_dir || !c->data_dir[0])
    return strdup (path);
  size_t n = strlen (c->data_dir) + strlen (path) + 2;
  char *s = malloc (n);
  if (s)
    snprintf (s, n, "%s/%s", c->data_dir, path);
  return s;
}

typedef struct file_list {
  char **v;
  int n, cap;
} file_list;

static int
has_ext (const char *name, const char *exts)
{
  size_t ln = strlen (name);
  const char *e = exts;
  while (e && *e) {
    const char *comma = strchr (e, ',');
    size_t le = comma ? (size_t) (comma - e) : strlen (e);
    while (le && isspace ((unsigned char) *e)) {
      e++;
      le--;
    }
    if (le && le <= ln && strncasecmp (name + ln - le, e, le) == 0)
      return 1;
    e = comma ? comma + 1 : NULL;
  }
  return 0;
}

static int
list_add (file_list *l, const char *path)
{
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 64;
    char **v = realloc (l->v, cap * sizeof *v);
    if (!v)
      return -1;
    l->v = v;
    l->cap = cap;
  }
  if (!(l->v[l->n] = strdup (path)))
    return -1;
  l->n++;
  return 0;
}

static int
walk (const char *dir, const char *exts, file_list *l, int depth)
{
  if (depth > 32)               /* symlink loops */
    return 0;
  DIR *d = opendir (dir);
  if (!d)
    return depth == 0 ? -1 : 0;
  struct dirent *e;
  int rc = 0;
  char path[PATH_MAX];
  while (rc == 0 && (e = readdir (d))) {
    if (e->d_name[0] == '.')
      continue;
    if (snprintf (path, sizeof path, "%s/%s", dir, e->d_name)
        >= (int) sizeof path)
      continue;
    struct stat st;
    if (stat (path, &st) != 0)
      continue;
    if (S_ISDIR (st.st_mode))
      rc = walk (path, exts, l, depth + 1);
    else if (S_ISREG (st.st_mode) && has_ext (e->d_name, exts))
      rc = list_add (l, path);
  }
  closedir (d);
  return rc;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
gt_list_files (gt_ctx *c, const char *dir, const char *exts, char ***paths)
{
  *paths = NULL;
  char *rel = gt_data_path (c, dir);
  if (!rel)
    return -1;
  /* Absolute paths, so the entries can be handed back to the loaders. */
  char *abs = realpath (rel, NULL);
  if (!abs) {
    gc_set_error ("%s: %s", rel, strerror (errno));
    free (rel);
    return -1;
  }
  free (rel);
  file_list l = { 0 };
  int rc = walk (abs, exts, &l, 0);
  if (rc < 0) {
    gc_set_error ("%s: cannot list files", abs);
    gt_free_list (l.v, l.n);
    free (abs);
    return -1;
  }
  free (abs);
  if (l.n > 1)
    qsort (l.v, l.n, sizeof *l.v, cmp_str);
  *paths = l.v;
  return l.n;
}

void
gt_free_list (char **paths, int n)
{
  if (!paths)
    return;
  for (int i = 0; i < n; i++)
    free (paths[i]);
  free (paths);
}
