/* Model files that must be refused, each with a message that names the
 * file and the problem; truncations at every cut point and thousands of
 * random mutations must fail cleanly (or load a consistent model), never
 * crash or read out of bounds (run under ASan to see the latter). */
#include <stdint.h>
#include <stdlib.h>

#include "gc_modelfile.h"
#include "io_check.h"

#define SRC "bad.safetensors"

/* A file from a header string and `data_len` bytes of data (value 0x3f:
 * finite floats), with an explicit header length `hlen_field`. */
static unsigned char *
build (const char *json, uint64_t hlen_field, size_t data_len, size_t *size)
{
  size_t hl = strlen (json);
  *size = 8 + hl + data_len;
  unsigned char *buf = malloc (*size);
  for (int i = 0; i < 8; i++)
    buf[i] = (unsigned char) (hlen_field >> (8 * i));
  memcpy (buf + 8, json, hl);
  memset (buf + 8 + hl, 0x3f, data_len);
  return buf;
}

/* Expect rejection with a message containing the file name and `what`. */
static void
expect_reject_raw (const unsigned char *buf, size_t size, const char *what,
    const char *label)
{
  gc_model_file m;
  int rc = gc_model_parse (&m, buf, size, SRC);
  CHECK (rc < 0, "%s: accepted", label);
  if (rc == 0) {
    gc_model_free (&m);
    return;
  }
  CHECK (contains (gc_last_error (), SRC ": "), "%s: message lacks the file "
      "name: %s", label, gc_last_error ());
  CHECK (contains (gc_last_error (), what), "%s: message '%s' lacks '%s'",
      label, gc_last_error (), what);
  CHECK (m.tensors == NULL && m.meta == NULL && m.source == NULL,
      "%s: failed parse left allocations", label);
}

static void
expect_reject (const char *json, size_t data_len, const char *what)
{
  size_t size;
  unsigned char *buf = build (json, strlen (json), data_len, &size);
  expect_reject_raw (buf, size, what, json);
  free (buf);
}

static void
expect_accept (const char *json, size_t data_len)
{
  size_t size;
  unsigned char *buf = build (json, strlen (json), data_len, &size);
  gc_model_file m;
  CHECK (gc_model_parse (&m, buf, size, SRC) == 0, "rejected %s: %s", json,
      gc_last_error ());
  gc_model_free (&m);
  free (buf);
}

#define MD "\"__metadata__\":{\"format\":\"gst-gan\",\"format_version\":\"1\"," \
  "\"arch\":\"a\"}"
#define T(name, dt, shape, b, e) "\"" name "\":{\"dtype\":\"" dt "\"," \
  "\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

static void
test_header_length (void)
{
  size_t size;
  const char *json = "{" MD "," T ("w", "F32", "[2]", 0, 8) "}";
  unsigned char *buf = build (json, 1, 8, &size);
  expect_reject_raw (buf, size, "too small", "hlen 1");
  free (buf);
  buf = build (json, 0, 8, &size);
  expect_reject_raw (buf, size, "too small", "hlen 0");
  free (buf);
  buf = build (json, (uint64_t) GC_MODEL_MAX_HEADER + 1, 8, &size);
  expect_reject_raw (buf, size, "too big", "hlen cap");
  free (buf);
  buf = build (json, UINT64_MAX, 8, &size);
  expect_reject_raw (buf, size, "too big", "hlen 2^64-1");
  free (buf);
  buf = build (json, strlen (json) + 9, 8, &size);
  expect_reject_raw (buf, size, "exceeds the file size", "hlen > file");
  free (buf);
  /* a header length that cuts the JSON short */
  buf = build (json, strlen (json) - 1, 8, &size);
  expect_reject_raw (buf, size, "JSON", "hlen short");
  free (buf);
  unsigned char tiny[5] = { 2, 0, 0, 0, 0 };
  expect_reject_raw (tiny, sizeof tiny, "too short", "5-byte file");
  expect_reject_raw (NULL, 0, "too short", "no data");
}

static void
test_bad_json (void)
{
  expect_reject ("{" MD "," T ("w", "F32", "[2]", 0, 8) ",}", 8, "JSON");
  expect_reject ("{" MD " " T ("w", "F32", "[2]", 0, 8) "}", 8, "JSON");
  expect_reject ("[1,2]", 0, "not an object");
  expect_reject ("{\"w\":{\"dtype\":\"F32\",\"shape\":[02],"
      "\"data_offsets\":[0,8]}}", 8, "leading zero");
  expect_reject ("{\"w\":\"\\x\"}", 0, "escape");
  expect_reject ("{\"w\":\"\\ud800\"}", 0, "surrogate");
  expect_reject ("{\"w\":\"a\001\"}", 0, "control character");
  expect_reject ("{\"w\":\"\xc3\"}", 0, "UTF-8");
  expect_reject ("{\"w\":tru}", 0, "literal");
  expect_reject ("{} {}", 0, "trailing");
  expect_reject ("{\"a\":1e}", 0, "exponent");
  char deep[400];
  size_t n = 0;
  n += snprintf (deep + n, sizeof deep - n, "{\"a\":");
  for (int i = 0; i < 100; i++)
    deep[n++] = '[';
  for (int i = 0; i < 100; i++)
    deep[n++] = ']';
  snprintf (deep + n, sizeof deep - n, "}");
  expect_reject (deep, 0, "too deep");
  /* a header of millions of tiny values would cost ~80 bytes each: capped */
  size_t many = 2200000;
  char *big = malloc (2 * many + 16);
  n = 0;
  n += snprintf (big, 16, "{\"a\":[");
  for (size_t i = 0; i < many; i++) {
    big[n++] = '0';
    big[n++] = ',';
  }
  memcpy (big + n - 1, "]}", 3);
  expect_reject (big, 0, "too many values");
  free (big);
  /* JSON that is fine: escapes, unicode, spaces, a valid empty header */
  expect_accept ("  {\"__metadata__\":{\"k\":\"\\u00e9\\ud83c\\udfb5\\n\\/\"}}"
      "   ", 0);
  expect_accept ("{}", 0);
}

static void
test_bad_entries (void)
{
  expect_reject ("{" MD "," T ("w", "F64", "[2]", 0, 16) "}", 16,
      "unsupported dtype 'F64'");
  expect_reject ("{" MD "," T ("w", "I32", "[2]", 0, 8) "}", 8,
      "unsupported dtype");
  expect_reject ("{" MD ",\"w\":{\"dtype\":7,\"shape\":[2],"
      "\"data_offsets\":[0,8]}}", 8, "dtype");
  expect_reject ("{" MD "," T ("w", "F32", "[3]", 0, 8) "}", 8,
      "tensor 'w': data_offsets span 8 bytes but F32 shape needs 12");
  expect_reject ("{" MD "," T ("w", "F32", "[2]", 0, 8) "}", 16,
      "trailing bytes");
  expect_reject ("{" MD "," T ("w", "F32", "[-2]", 0, 8) "}", 8,
      "shape dimension 0");
  expect_reject ("{" MD "," T ("w", "F32", "[2.5]", 0, 8) "}", 8,
      "shape dimension 0");
  expect_reject ("{" MD "," T ("w", "F32", "[1,1,1,1,2]", 0, 8) "}", 8,
      "5 dimensions");
  expect_reject ("{" MD "," T ("w", "F32", "[65536,65536,65536,65536]",
          0, 8) "}", 8, "shape is too large");
  expect_reject ("{" MD "," T ("w", "F32", "[2147483647,2147483647,"
          "2147483647,2147483647]", 0, 8) "}", 8, "too large");
  expect_reject ("{" MD "," T ("w", "F32", "[2]", 8, 16) "}", 8,
      "out of range");
  expect_reject ("{" MD "," T ("w", "F32", "[2]", 8, 0) "}", 8,
      "out of range");
  expect_reject ("{" MD "," T ("w", "F32", "[2]", 0, 9007199254740993) "}",
      8, "data_offsets must be");
  expect_reject ("{" MD ",\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
      "\"data_offsets\":[0]}}", 8, "data_offsets must be");
  expect_reject ("{" MD ",\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8,
      "exactly dtype, shape and data_offsets");
  expect_reject ("{" MD ",\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
      "\"data_offsets\":[0,8],\"x\":1}}", 8, "unknown field 'x'");
  expect_reject ("{" MD ",\"w\":[1]}", 8, "not an object");
  /* layout: overlap, holes, duplicates */
  expect_reject ("{" MD "," T ("a", "F32", "[2]", 0, 8) ","
      T ("b", "F32", "[2]", 4, 12) "}", 12, "overlaps");
  expect_reject ("{" MD "," T ("a", "F32", "[2]", 0, 8) ","
      T ("b", "F32", "[2]", 0, 8) "}", 16, "overlaps");
  expect_reject ("{" MD "," T ("a", "F32", "[2]", 0, 8) ","
      T ("b", "F32", "[2]", 12, 20) "}", 20, "hole");
  expect_reject ("{" MD "," T ("a", "F32", "[2]", 4, 12) "}", 12, "hole");
  expect_reject ("{" MD "," T ("a", "F32", "[2]", 0, 8) ","
      T ("a", "F32", "[2]", 8, 16) "}", 16, "duplicate tensor name 'a'");
  expect_reject ("{" MD "," MD "}", 0, "duplicate __metadata__");
  /* metadata */
  expect_reject ("{\"__metadata__\":{\"format\":1}}", 0,
      "metadata value of 'format' is not a string");
  expect_reject ("{\"__metadata__\":[]}", 0, "__metadata__ is not an object");
  expect_reject ("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", 0,
      "duplicate metadata key 'a'");
  expect_reject ("{\"__metadata__\":{\"a\":\"x\\u0000y\"}}", 0, "NUL");
  expect_reject ("{\"__metadata__\\u0000x\":{\"format\":\"gst-gan\"}}", 0,
      "NUL");
  expect_reject ("{\"w\\u0000x\":{\"dtype\":\"F32\",\"shape\":[2],"
      "\"data_offsets\":[0,8]}}", 8, "NUL");
  char longname[300];
  snprintf (longname, sizeof longname, "{\"%0120d\":{\"dtype\":\"F32\","
      "\"shape\":[2],\"data_offsets\":[0,8]}}", 0);
  expect_reject (longname, 8, "longer than");
  /* non-finite weights are refused, naming the tensor */
  size_t size;
  unsigned char *buf = build ("{" T ("w", "F32", "[2]", 0, 8) "}", 9999, 8,
      &size);
  size_t hl = size - 16;
  for (int i = 0; i < 8; i++)
    buf[i] = (unsigned char) ((uint64_t) hl >> (8 * i));
  float inf = 1.0f / 0.0f;
  memcpy (buf + size - 4, &inf, 4);
  expect_reject_raw (buf, size, "tensor 'w': non-finite value at index 1",
      "inf");
  free (buf);
  /* what is fine: zero-sized tensors anywhere, any tensor order */
  expect_accept ("{" T ("b", "F32", "[2]", 8, 16) "," T ("a", "F32", "[2]",
          0, 8) "," T ("e", "F32", "[0]", 16, 16) "}", 16);
}

static void
test_missing_metadata (void)
{
  gc_model_file m;
  size_t size;
  const char *cases[][2] = {
    { "{" T ("w", "F32", "[2]", 0, 8) "}", "missing metadata 'format'" },
    { "{\"__metadata__\":{\"format\":\"pytorch\"}," T ("w", "F32", "[2]", 0,
          8) "}", "format 'pytorch' is not 'gst-gan'" },
    { "{\"__metadata__\":{\"format\":\"gst-gan\",\"arch\":\"a\"}," T ("w",
          "F32", "[2]", 0, 8) "}", "missing metadata 'format_version'" },
    { "{\"__metadata__\":{\"format\":\"gst-gan\",\"format_version\":\"2\","
          "\"arch\":\"a\"}," T ("w", "F32", "[2]", 0, 8) "}",
          "format_version 2 is newer than the supported 1" },
    { "{\"__metadata__\":{\"format\":\"gst-gan\",\"format_version\":\"x\","
          "\"arch\":\"a\"}}", "invalid format_version 'x'" },
    { "{\"__metadata__\":{\"format\":\"gst-gan\",\"format_version\":\"1\"}}",
          "missing metadata 'arch'" },
    { "{" MD "}", "architecture 'a' does not match the expected 'b'" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    unsigned char *buf = build (cases[i][0], strlen (cases[i][0]), 8, &size);
    if (!strstr (cases[i][0], "\"w\""))
      size -= 8;
    CHECK (gc_model_parse (&m, buf, size, SRC) == 0, "parse %s: %s",
        cases[i][0], gc_last_error ());
    CHECK (gc_model_check_arch (&m, "b") < 0, "check_arch accepted %s",
        cases[i][0]);
    CHECK (contains (gc_last_error (), SRC ": ")
        && contains (gc_last_error (), cases[i][1]),
        "check_arch message '%s' lacks '%s'", gc_last_error (), cases[i][1]);
    gc_model_free (&m);
    free (buf);
  }
}

/* A valid model file from the writer, to cut and mutate. */
static unsigned char *
valid_file (size_t *size)
{
  gc_param a, b;
  gc_param_list l = { 0 };
  int sa[2] = { 3, 4 }, sb[1] = { 5 };
  gc_param_init (&a, "net.w", 2, sa);
  gc_param_init (&b, "net.b", 1, sb);
  for (size_t i = 0; i < a.n; i++)
    a.w[i] = 0.5f * i;
  gc_param_list_add (&l, &a);
  gc_param_list_add (&l, &b);
  const char *const kv[] = { "arch", "unit", "seed", "3", NULL };
  void *buf = NULL;
  CHECK (gc_model_save_mem (&buf, size, &l, kv) == 0, "save_mem");
  gc_param_free (&a);
  gc_param_free (&b);
  gc_param_list_free (&l);
  return buf;
}

static void
test_truncations (void)
{
  size_t size;
  unsigned char *full = valid_file (&size);
  gc_model_file m;
  CHECK (gc_model_parse (&m, full, size, SRC) == 0, "valid file: %s",
      gc_last_error ());
  gc_model_free (&m);
  /* every cut point; copy to an exact-size buffer so ASan sees overreads */
  for (size_t cut = 0; cut < size; cut++) {
    unsigned char *part = malloc (cut ? cut : 1);
    memcpy (part, full, cut);
    char label[32];
    snprintf (label, sizeof label, "cut at %zu", cut);
    expect_reject_raw (part, cut, cut < 8 ? "too short" : "", label);
    free (part);
  }
  free (full);
}

static void
test_mutations (void)
{
  size_t size;
  unsigned char *full = valid_file (&size);
  gc_rng r;
  gc_rng_seed (&r, 2024);
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 4000; iter++) {
    unsigned char *mut = malloc (size);
    memcpy (mut, full, size);
    int flips = 1 + gc_rng_u32 (&r) % 4;
    for (int f = 0; f < flips; f++) {
      size_t pos = gc_rng_u32 (&r) % size;
      /* mostly in the length and header, where the parser works */
      if (gc_rng_u32 (&r) % 4)
        pos %= size - 4 * 17;
      switch (gc_rng_u32 (&r) % 3) {
        case 0: mut[pos] ^= (unsigned char) (1u << (gc_rng_u32 (&r) % 8));
          break;
        case 1: mut[pos] = (unsigned char) gc_rng_u32 (&r); break;
        default: mut[pos] = "{}[]\",:0-9e\\u "[gc_rng_u32 (&r) % 15];
      }
    }
    size_t len = size - (gc_rng_u32 (&r) % 8 == 0 ? gc_rng_u32 (&r) % size : 0);
    gc_model_file m;
    if (gc_model_parse (&m, mut, len, SRC) == 0) {
      accepted++;
      /* whatever was accepted must be self-consistent */
      for (int i = 0; i < m.n_tensors; i++) {
        size_t n = 1;
        for (int d = 0; d < m.tensors[i].ndim; d++)
          n *= (size_t) m.tensors[i].shape[d];
        CHECK (n == m.tensors[i].n, "inconsistent tensor after mutation");
        CHECK (gc_model_find (&m, m.tensors[i].name) == &m.tensors[i],
            "find after mutation");
      }
      gc_model_check_arch (&m, "unit");
      gc_model_free (&m);
    } else {
      rejected++;
      CHECK (contains (gc_last_error (), SRC ": "), "mutation message: %s",
          gc_last_error ());
    }
    free (mut);
  }
  CHECK (rejected > 1000, "only %d of 4000 mutations rejected", rejected);
  printf ("mutations: %d accepted, %d rejected\n", accepted, rejected);
  free (full);
}

int
main (void)
{
  test_header_length ();
  test_bad_json ();
  test_bad_entries ();
  test_missing_metadata ();
  test_truncations ();
  test_mutations ();
  if (failures)
    fprintf (stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
