/* Model files that should load: save -> load gives back every bit of every
 * value and every metadata string; the layout is the one safetensors tools
 * expect (sorted tensors, 8-byte aligned data); arch/version checks and
 * bind accept what matches and name what does not. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "gc_modelfile.h"
#include "io_check.h"

static gc_param pa, pb, pc;
static gc_param_list list;

static void
make_params (void)
{
  gc_rng r;
  gc_rng_seed (&r, 7);
  int sa[4] = { 3, 2, 5, 7 }, sb[1] = { 13 }, sc[2] = { 1, 1 };
  gc_param_init (&pa, "gen.conv1.weight", 4, sa);
  gc_param_init (&pb, "gen.conv1.bias", 1, sb);
  gc_param_init (&pc, "alpha", 2, sc);
  gc_rng_fill_normal (&r, pa.w, pa.n, 0.0f, 3.0f);
  /* values that a lossy writer would not preserve bit for bit */
  float special[] = { -0.0f, 1e-45f, 1.17549435e-38f, 3.4028235e38f,
    -1.0f / 3.0f, 0.1f };
  for (int i = 0; i < 13; i++)
    pb.w[i] = special[i % 6] * (i < 6 ? 1.0f : -1.0f);
  pc.w[0] = 42.5f;
  gc_param_list_add (&list, &pa);
  gc_param_list_add (&list, &pb);
  gc_param_list_add (&list, &pc);
}

static const char *const kv[] = {
  "arch", "denoise-gru", "sample_rate", "48000", "scale", "2.5",
  "recipe", "quote \" backslash \\ newline \n tab \t ctl \x01 end",
  "data", "speech/ljspeech caf\xc3\xa9 \xf0\x9f\x8e\xb5", NULL
};

static void
check_same_values (const gc_model_file *m)
{
  const gc_param *ps[3] = { &pa, &pb, &pc };
  for (int i = 0; i < 3; i++) {
    const gc_model_tensor *t = gc_model_find (m, ps[i]->name);
    CHECK (t != NULL, "tensor %s missing", ps[i]->name);
    if (!t)
      continue;
    CHECK (t->ndim == ps[i]->ndim && t->n == ps[i]->n, "%s: shape", t->name);
    for (int d = 0; d < t->ndim; d++)
      CHECK (t->shape[d] == ps[i]->shape[d], "%s dim %d", t->name, d);
    CHECK (memcmp (t->data, ps[i]->w, t->n * sizeof (float)) == 0,
        "%s: values differ after the round trip", t->name);
  }
}

static void
test_round_trip_mem (void)
{
  void *buf;
  size_t size;
  CHECK (gc_model_save_mem (&buf, &size, &list, kv) == 0, "save_mem: %s",
      gc_last_error ());
  const unsigned char *b = buf;
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--)
    hlen = (hlen << 8) | b[i];
  CHECK ((8 + hlen) % 8 == 0, "data start %llu not 8-byte aligned",
      (unsigned long long) (8 + hlen));
  CHECK (size == 8 + hlen + 4 * (pa.n + pb.n + pc.n), "file size %zu", size);
  /* tensors are written sorted by name: alpha, gen.conv1.bias, .weight */
  const char *h = (const char *) b + 8;
  const char *s1 = memmem (h, hlen, "\"alpha\"", 7);
  const char *s2 = memmem (h, hlen, "\"gen.conv1.bias\"", 16);
  const char *s3 = memmem (h, hlen, "\"gen.conv1.weight\"", 18);
  CHECK (s1 && s2 && s3 && s1 < s2 && s2 < s3, "tensors not sorted by name");

  gc_model_file m;
  CHECK (gc_model_parse (&m, buf, size, "mem.safetensors") == 0, "parse: %s",
      gc_last_error ());
  CHECK (m.n_tensors == 3, "n_tensors %d", m.n_tensors);
  check_same_values (&m);
  for (int i = 0; kv[i]; i += 2)
    CHECK (gc_model_meta_get (&m, kv[i])
        && strcmp (gc_model_meta_get (&m, kv[i]), kv[i + 1]) == 0,
        "metadata %s did not survive", kv[i]);
  CHECK (strcmp (gc_model_meta_get (&m, "format"), "gst-gan") == 0, "format");
  CHECK (gc_model_meta_get_int (&m, "sample_rate", -1) == 48000, "int meta");
  CHECK (gc_model_meta_get_int (&m, "arch", -7) == -7, "non-int -> default");
  CHECK (gc_model_meta_get_int (&m, "nope", 3) == 3, "missing -> default");
  CHECK (gc_model_meta_get_float (&m, "scale", 0) == 2.5f, "float meta");
  CHECK (gc_model_meta_get_float (&m, "data", 1.5f) == 1.5f, "bad float");
  CHECK (gc_model_find (&m, "gen.conv1") == NULL, "prefix found as tensor");
  CHECK (gc_model_check_arch (&m, "denoise-gru") == 0, "arch: %s",
      gc_last_error ());
  CHECK (gc_model_check_arch (&m, NULL) == 0, "any arch");
  CHECK (gc_model_check_arch (&m, "superres") < 0, "wrong arch accepted");
  CHECK (contains (gc_last_error (), "mem.safetensors")
      && contains (gc_last_error (), "denoise-gru")
      && contains (gc_last_error (), "superres"), "arch message: %s",
      gc_last_error ());

  /* saving what was loaded gives the same bytes (deterministic writer) */
  gc_param_list again = { 0 };
  gc_param q[3];
  for (int i = 0; i < m.n_tensors; i++) {
    gc_param_init (&q[i], m.tensors[i].name, m.tensors[i].ndim,
        m.tensors[i].shape);
    gc_param_list_add (&again, &q[i]);
  }
  CHECK (gc_model_bind (&m, &again) == 0, "bind: %s", gc_last_error ());
  void *buf2;
  size_t size2;
  CHECK (gc_model_save_mem (&buf2, &size2, &again, kv) == 0, "save again");
  CHECK (size2 == size && memcmp (buf, buf2, size) == 0,
      "second save differs from the first");
  free (buf2);
  for (int i = 0; i < m.n_tensors; i++)
    gc_param_free (&q[i]);
  gc_param_list_free (&again);
  gc_model_free (&m);
  CHECK (m.n_tensors == 0 && m.tensors == NULL, "free leaves state");
  free (buf);
}

static int
count_tmp_files (const char *dir)
{
  DIR *d = opendir (dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir (d)))
    n += strstr (e->d_name, ".tmp.") != NULL;
  if (d)
    closedir (d);
  return n;
}

/* gc_model_save: new files get 0666 less the umask, like any file the
 * user creates; a temporary file whose writer died is removed by the next
 * save of that model, one of a live writer is not. */
static void
test_save_file_hygiene (const char *dir, const char *path)
{
  char stale[300], live[300];
  pid_t dead = fork ();
  if (dead == 0)
    _exit (0);
  waitpid (dead, NULL, 0);
  snprintf (stale, sizeof stale, "%s.tmp.%ld.0", path, (long) dead);
  snprintf (live, sizeof live, "%s.tmp.%ld.0", path, (long) getppid ());
  FILE *f = fopen (stale, "w");
  CHECK (f && fclose (f) == 0, "create %s", stale);
  f = fopen (live, "w");
  CHECK (f && fclose (f) == 0, "create %s", live);
  unlink (path);
  mode_t old = umask (027);
  CHECK (gc_model_save (path, &list, kv) == 0, "save: %s", gc_last_error ());
  umask (old);
  struct stat st;
  CHECK (stat (path, &st) == 0 && (st.st_mode & 0777) == 0640,
      "mode %o under umask 027", (unsigned) (st.st_mode & 0777));
  CHECK (access (stale, F_OK) != 0, "a dead writer's %s was kept", stale);
  CHECK (access (live, F_OK) == 0, "a live writer's %s was removed", live);
  unlink (live);
  CHECK (count_tmp_files (dir) == 0, "temporary file left behind");
}

static void
test_round_trip_file (void)
{
  char dir[] = "/tmp/gc_io_test_XXXXXX";
  CHECK (mkdtemp (dir) != NULL, "mkdtemp");
  char path[256];
  snprintf (path, sizeof path, "%s/model.safetensors", dir);
  CHECK (gc_model_save (path, &list, kv) == 0, "save: %s", gc_last_error ());
  /* overwrite in place: the rename replaces the old file */
  pc.w[0] = -1.25f;
  CHECK (gc_model_save (path, &list, kv) == 0, "save 2: %s", gc_last_error ());
  CHECK (count_tmp_files (dir) == 0, "temporary file left behind");
  gc_model_file m;
  CHECK (gc_model_load (&m, path) == 0, "load: %s", gc_last_error ());
  check_same_values (&m);
  CHECK (strcmp (m.source, path) == 0, "source %s", m.source);

  /* bind into fresh parameters: exact copy */
  gc_param qa, qb, qc;
  gc_param_list l2 = { 0 };
  gc_param_init (&qa, pa.name, pa.ndim, pa.shape);
  gc_param_init (&qb, pb.name, pb.ndim, pb.shape);
  gc_param_init (&qc, pc.name, pc.ndim, pc.shape);
  gc_param_list_add (&l2, &qc);
  gc_param_list_add (&l2, &qa);
  gc_param_list_add (&l2, &qb);
  CHECK (gc_model_bind (&m, &l2) == 0, "bind: %s", gc_last_error ());
  CHECK (memcmp (qa.w, pa.w, pa.n * 4) == 0 && memcmp (qb.w, pb.w, pb.n * 4)
      == 0 && qc.w[0] == -1.25f, "bound values differ");

  /* bind failures name the file and the tensor, and change nothing */
  qc.w[0] = 9.0f;
  int bad[2] = { 13, 2 };
  gc_param qx;
  gc_param_init (&qx, "gen.conv1.bias", 2, bad);
  gc_param_list l3 = { 0 };
  gc_param_list_add (&l3, &qc);
  gc_param_list_add (&l3, &qa);
  gc_param_list_add (&l3, &qx);
  CHECK (gc_model_bind (&m, &l3) < 0, "mis-shaped tensor bound");
  CHECK (contains (gc_last_error (), path)
      && contains (gc_last_error (), "gen.conv1.bias")
      && contains (gc_last_error (), "[13]")
      && contains (gc_last_error (), "[13, 2]"), "shape message: %s",
      gc_last_error ());
  CHECK (qc.w[0] == 9.0f, "failed bind modified a parameter");

  gc_param_list l4 = { 0 };
  gc_param_list_add (&l4, &qa);
  gc_param_list_add (&l4, &qc);
  CHECK (gc_model_bind (&m, &l4) < 0, "extra tensor in file accepted");
  CHECK (contains (gc_last_error (), path)
      && contains (gc_last_error (), "unexpected tensor 'gen.conv1.bias'"),
      "extra message: %s", gc_last_error ());

  gc_param qd;
  int sd[1] = { 4 };
  gc_param_init (&qd, "gen.conv2.weight", 1, sd);
  gc_param_list_add (&l2, &qd);
  CHECK (gc_model_bind (&m, &l2) < 0, "missing tensor accepted");
  CHECK (contains (gc_last_error (), path)
      && contains (gc_last_error (), "missing tensor 'gen.conv2.weight'"),
      "missing message: %s", gc_last_error ());

  gc_model_free (&m);
  test_save_file_hygiene (dir, path);
  CHECK (gc_model_load (&m, "/nonexistent/dir/x.safetensors") < 0,
      "missing file loaded");
  CHECK (contains (gc_last_error (), "/nonexistent/dir/x.safetensors"),
      "missing file message: %s", gc_last_error ());
  CHECK (gc_model_load (&m, dir) < 0, "directory loaded");
  snprintf (path, sizeof path, "%s/no/such/dir/m.safetensors", dir);
  CHECK (gc_model_save (path, &list, kv) < 0, "save into missing dir");
  CHECK (contains (gc_last_error (), path), "save message: %s",
      gc_last_error ());

  gc_param_free (&qa);
  gc_param_free (&qb);
  gc_param_free (&qc);
  gc_param_free (&qd);
  gc_param_free (&qx);
  gc_param_list_free (&l2);
  gc_param_list_free (&l3);
  gc_param_list_free (&l4);
  snprintf (path, sizeof path, "%s/model.safetensors", dir);
  unlink (path);
  rmdir (dir);
}

static void
test_save_rejects (void)
{
  void *buf;
  size_t size;
  gc_param_list dup = { 0 };
  gc_param_list_add (&dup, &pa);
  gc_param_list_add (&dup, &pa);
  CHECK (gc_model_save_mem (&buf, &size, &dup, NULL) < 0, "duplicate saved");
  CHECK (contains (gc_last_error (), "gen.conv1.weight"), "dup message: %s",
      gc_last_error ());
  gc_param_list_free (&dup);
  const char *const bad_utf8[] = { "arch", "x\xff", NULL };
  CHECK (gc_model_save_mem (&buf, &size, &list, bad_utf8) < 0,
      "invalid UTF-8 metadata saved");
  const char *const odd[] = { "arch", NULL };
  CHECK (gc_model_save_mem (&buf, &size, &list, odd) < 0, "key without value");
  /* "format" from the caller never overrides ours */
  const char *const fmt[] = { "format", "other", "arch", "a", NULL };
  CHECK (gc_model_save_mem (&buf, &size, &list, fmt) == 0, "save: %s",
      gc_last_error ());
  gc_model_file m;
  CHECK (gc_model_parse (&m, buf, size, "x") == 0, "parse");
  CHECK (gc_model_check_arch (&m, "a") == 0, "format overridden: %s",
      gc_last_error ());
  gc_model_free (&m);
  free (buf);
  /* a model the loader would refuse is not written */
  float keep = pb.w[1];
  pb.w[1] = NAN;
  CHECK (gc_model_save_mem (&buf, &size, &list, NULL) < 0, "NaN saved");
  CHECK (contains (gc_last_error (), pb.name)
      && contains (gc_last_error (), "non-finite"), "NaN message: %s",
      gc_last_error ());
  pb.w[1] = keep;
  /* empty model: still a valid file */
  gc_param_list none = { 0 };
  CHECK (gc_model_save_mem (&buf, &size, &none, NULL) == 0, "empty save");
  CHECK (gc_model_parse (&m, buf, size, "empty") == 0 && m.n_tensors == 0,
      "empty parse: %s", gc_last_error ());
  gc_model_free (&m);
  free (buf);
}

/* Hand-made file with F16 and BF16 tensors and a scalar. */
static void
test_half_types (void)
{
  const char *json = "{\"__metadata__\":{\"format\":\"gst-gan\","
      "\"format_version\":\"1\",\"arch\":\"t\"},"
      "\"h\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
      "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[12,16]},"
      "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]},"
      "\"z\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[20,20]}}";
  uint16_t h[6] = { 0x3C00, 0xC000, 0x3555, 0x0001, 0x7BFF, 0x8000 };
  float want_h[6] = { 1.0f, -2.0f, 0.333251953125f, 5.9604645e-8f, 65504.0f,
    -0.0f };
  uint16_t bf[2] = { 0x3F80, 0xC0A0 };     /* 1.0, -5.0 */
  float s = 0.75f;
  size_t hl = strlen (json);
  size_t size = 8 + hl + 20;
  unsigned char *buf = calloc (1, size);
  for (int i = 0; i < 8; i++)
    buf[i] = (unsigned char) ((uint64_t) hl >> (8 * i));
  memcpy (buf + 8, json, hl);
  unsigned char *d = buf + 8 + hl;
  for (int i = 0; i < 6; i++) {
    d[2 * i] = h[i] & 0xFF;
    d[2 * i + 1] = h[i] >> 8;
  }
  for (int i = 0; i < 2; i++) {
    d[12 + 2 * i] = bf[i] & 0xFF;
    d[12 + 2 * i + 1] = bf[i] >> 8;
  }
  memcpy (d + 16, &s, 4);
  gc_model_file m;
  CHECK (gc_model_parse (&m, buf, size, "half") == 0, "half: %s",
      gc_last_error ());
  const gc_model_tensor *t = gc_model_find (&m, "h");
  CHECK (t && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3, "h");
  for (int i = 0; t && i < 6; i++)
    CHECK (t->data[i] == want_h[i] && signbit (t->data[i])
        == signbit (want_h[i]), "F16 %d: %g != %g", i, t->data[i], want_h[i]);
  t = gc_model_find (&m, "b");
  CHECK (t && t->data[0] == 1.0f && t->data[1] == -5.0f, "BF16");
  t = gc_model_find (&m, "s");
  CHECK (t && t->ndim == 0 && t->n == 1 && t->data[0] == 0.75f, "scalar");
  t = gc_model_find (&m, "z");
  CHECK (t && t->n == 0, "empty tensor");
  gc_model_free (&m);
  free (buf);
}

int
main (void)
{
  make_params ();
  test_round_trip_mem ();
  test_round_trip_file ();
  test_save_rejects ();
  test_half_types ();
  gc_param_free (&pa);
  gc_param_free (&pb);
  gc_param_free (&pc);
  gc_param_list_free (&list);
  if (failures)
    fprintf (stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
