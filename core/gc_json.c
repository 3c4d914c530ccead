/* libgancore — strict JSON reader for safetensors headers, writer helpers.
 * Recursive descent over a bounded byte range; every read checks the end. */
#include "gc_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const unsigned char *p, *end, *start;
  char *err;
  size_t err_size;
  int failed;
  size_t values;
} json_reader;

static void
fail (json_reader *r, const char *what)
{
  if (r->failed)
    return;
  r->failed = 1;
  snprintf (r->err, r->err_size, "byte %zu: %s",
      (size_t) (r->p - r->start), what);
}

static void
skip_space (json_reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n'
          || *r->p == '\r'))
    r->p++;
}

static int
expect_literal (json_reader *r, const char *lit)
{
  size_t n = strlen (lit);
  if ((size_t) (r->end - r->p) < n || memcmp (r->p, lit, n) != 0) {
    fail (r, "invalid literal");
    return -1;
  }
  r->p += n;
  return 0;
}

/* ---- strings ----------------------------------------------------------- */

typedef struct {
  char *d;
  size_t len, cap;
} str_buf;

static int
sb_push (str_buf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 32;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *d = realloc (b->d, cap);
    if (!d)
      return -1;
    b->d = d;
    b->cap = cap;
  }
  memcpy (b->d + b->len, s, n);
  b->len += n;
  b->d[b->len] = '\0';
  return 0;
}

static int
hex4 (json_reader *r, unsigned *out)
{
  if (r->end - r->p < 4) {
    fail (r, "truncated \\u escape");
    return -1;
  }
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = r->p[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else {
      fail (r, "invalid hex digit in \\u escape");
      return -1;
    }
    v = v * 16 + d;
  }
  r->p += 4;
  *out = v;
  return 0;
}

static size_t
utf8_encode (unsigned cp, char *o)
{
  if (cp < 0x80) {
    o[0] = (char) cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char) (0xC0 | (cp >> 6));
    o[1] = (char) (0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char) (0xE0 | (cp >> 12));
    o[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char) (0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char) (0xF0 | (cp >> 18));
  o[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char) (0x80 | (cp & 0x3F));
  return 4;
}

/* Length of the valid UTF-8 sequence at p (raw bytes in a string), 0 if
 * invalid: overlongs, surrogates and code points past U+10FFFF refused. */
static size_t
utf8_valid_len (const unsigned char *p, const unsigned char *end)
{
  unsigned c = p[0];
  size_t n;
  unsigned cp;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else
    return 0;
  if ((size_t) (end - p) < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))
      || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

int
gc_json_utf8_valid (const char *s)
{
  const unsigned char *p = (const unsigned char *) s, *end = p + strlen (s);
  while (p < end) {
    size_t n = utf8_valid_len (p, end);
    if (n == 0)
      return 0;
    p += n;
  }
  return 1;
}

static int
parse_string (json_reader *r, char **out, size_t *out_len)
{
  str_buf b = { 0 };
  r->p++;                       /* opening quote */
  if (sb_push (&b, "", 0) < 0)
    goto oom;
  for (;;) {
    if (r->p >= r->end) {
      fail (r, "unterminated string");
      goto error;
    }
    unsigned c = *r->p;
    if (c == '"') {
      r->p++;
      break;
    }
    if (c < 0x20) {
      fail (r, "control character in string");
      goto error;
    }
    if (c == '\\') {
      r->p++;
      if (r->p >= r->end) {
        fail (r, "unterminated escape");
        goto error;
      }
      char e = (char) *r->p++, o[4];
      size_t n = 1;
      switch (e) {
        case '"': o[0] = '"'; break;
        case '\\': o[0] = '\\'; break;
        case '/': o[0] = '/'; break;
        case 'b': o[0] = '\b'; break;
        case 'f': o[0] = '\f'; break;
        case 'n': o[0] = '\n'; break;
        case 'r': o[0] = '\r'; break;
        case 't': o[0] = '\t'; break;
        case 'u': {
          unsigned cp, lo;
          if (hex4 (r, &cp) < 0)
            goto error;
          if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail (r, "lone low surrogate in \\u escape");
            goto error;
          }
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u') {
              fail (r, "high surrogate without a low surrogate");
              goto error;
            }
            r->p += 2;
            if (hex4 (r, &lo) < 0)
              goto error;
            if (lo < 0xDC00 || lo > 0xDFFF) {
              fail (r, "high surrogate without a low surrogate");
              goto error;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          n = utf8_encode (cp, o);
          break;
        }
        default:
          r->p--;
          fail (r, "invalid escape in string");
          goto error;
      }
      if (sb_push (&b, o, n) < 0)
        goto oom;
      continue;
    }
    size_t n = utf8_valid_len (r->p, r->end);
    if (n == 0) {
      fail (r, "invalid UTF-8 in string");
      goto error;
    }
    if (sb_push (&b, (const char *) r->p, n) < 0)
      goto oom;
    r->p += n;
  }
  *out = b.d;
  *out_len = b.len;
  return 0;
oom:
  fail (r, "out of memory");
error:
  free (b.d);
  return -1;
}

/* ---- numbers ----------------------------------------------------------- */

static int
parse_number (json_reader *r, gc_json *v)
{
  const unsigned char *s = r->p;
  int neg = 0, integral = 1;
  uint64_t u = 0;
  int exact = 1;
  if (r->p < r->end && *r->p == '-') {
    neg = 1;
    r->p++;
  }
  if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
    fail (r, "invalid number");
    return -1;
  }
  if (*r->p == '0') {
    r->p++;
    if (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
      fail (r, "leading zero in number");
      return -1;
    }
  } else {
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
      unsigned d = *r->p++ - '0';
      if (u > (GC_JSON_MAX_EXACT_INT - d) / 10)
        exact = 0;
      else
        u = u * 10 + d;
    }
  }
  if (r->p < r->end && *r->p == '.') {
    integral = 0;
    r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
      fail (r, "digit expected after decimal point");
      return -1;
    }
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
      r->p++;
  }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
    integral = 0;
    r->p++;
    if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
      r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
      fail (r, "digit expected in exponent");
      return -1;
    }
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
      r->p++;
  }
  /* strtod needs a NUL-terminated copy: the input range is not one */
  size_t n = (size_t) (r->p - s);
  char tmp[64], *buf = tmp;
  if (n >= sizeof tmp && !(buf = malloc (n + 1))) {
    fail (r, "out of memory");
    return -1;
  }
  memcpy (buf, s, n);
  buf[n] = '\0';
  v->number = strtod (buf, NULL);
  if (buf != tmp)
    free (buf);
  v->type = GC_JSON_NUMBER;
  v->is_uint = integral && exact && !(neg && u != 0) ? 1 : 0;
  v->uint = v->is_uint ? u : 0;
  return 0;
}

/* ---- values ------------------------------------------------------------ */

static int parse_value (json_reader *r, gc_json *v, int depth);

static int
grow_children (json_reader *r, gc_json *v, size_t *cap, int with_keys)
{
  if (v->count < *cap)
    return 0;
  size_t ncap = *cap ? *cap * 2 : 4;
  gc_json *items = realloc (v->items, ncap * sizeof *items);
  if (!items)
    goto oom;
  v->items = items;
  if (with_keys) {
    char **keys = realloc (v->keys, ncap * sizeof *keys);
    if (!keys)
      goto oom;
    v->keys = keys;
    size_t *kl = realloc (v->key_lens, ncap * sizeof *kl);
    if (!kl)
      goto oom;
    v->key_lens = kl;
  }
  *cap = ncap;
  return 0;
oom:
  fail (r, "out of memory");
  return -1;
}

static int
parse_array (json_reader *r, gc_json *v, int depth)
{
  size_t cap = 0;
  v->type = GC_JSON_ARRAY;
  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == ']') {
    r->p++;
    return 0;
  }
  for (;;) {
    if (grow_children (r, v, &cap, 0) < 0)
      return -1;
    gc_json *item = &v->items[v->count];
    memset (item, 0, sizeof *item);
    v->count++;
    if (parse_value (r, item, depth + 1) < 0)
      return -1;
    skip_space (r);
    if (r->p >= r->end) {
      fail (r, "unterminated array");
      return -1;
    }
    if (*r->p == ']') {
      r->p++;
      return 0;
    }
    if (*r->p != ',') {
      fail (r, "',' or ']' expected in array");
      return -1;
    }
    r->p++;
  }
}

static int
parse_object (json_reader *r, gc_json *v, int depth)
{
  size_t cap = 0;
  v->type = GC_JSON_OBJECT;
  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == '}') {
    r->p++;
    return 0;
  }
  for (;;) {
    skip_space (r);
    if (r->p >= r->end || *r->p != '"') {
      fail (r, "string key expected in object");
      return -1;
    }
    if (grow_children (r, v, &cap, 1) < 0)
      return -1;
    size_t i = v->count;
    gc_json *item = &v->items[i];
    memset (item, 0, sizeof *item);
    v->keys[i] = NULL;
    v->key_lens[i] = 0;
    v->count++;
    if (parse_string (r, &v->keys[i], &v->key_lens[i]) < 0)
      return -1;
    skip_space (r);
    if (r->p >= r->end || *r->p != ':') {
      fail (r, "':' expected after object key");
      return -1;
    }
    r->p++;
    if (parse_value (r, item, depth + 1) < 0)
      return -1;
    skip_space (r);
    if (r->p >= r->end) {
      fail (r, "unterminated object");
      return -1;
    }
    if (*r->p == '}') {
      r->p++;
      return 0;
    }
    if (*r->p != ',') {
      fail (r, "',' or '}' expected in object");
      return -1;
    }
    r->p++;
  }
}

static int
parse_value (json_reader *r, gc_json *v, int depth)
{
  if (depth > GC_JSON_MAX_DEPTH) {
    fail (r, "nesting too deep");
    return -1;
  }
  if (++r->values > GC_JSON_MAX_VALUES) {
    fail (r, "too many values");
    return -1;
  }
  skip_space (r);
  if (r->p >= r->end) {
    fail (r, "value expected");
    return -1;
  }
  switch (*r->p) {
    case '{':
      return parse_object (r, v, depth);
    case '[':
      return parse_array (r, v, depth);
    case '"':
      v->type = GC_JSON_STRING;
      return parse_string (r, &v->str, &v->str_len);
    case 't':
      v->type = GC_JSON_BOOL;
      v->boolean = 1;
      return expect_literal (r, "true");
    case 'f':
      v->type = GC_JSON_BOOL;
      return expect_literal (r, "false");
    case 'n':
      v->type = GC_JSON_NULL;
      return expect_literal (r, "null");
    default:
      if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
        return parse_number (r, v);
      fail (r, "unexpected character");
      return -1;
  }
}

static void
free_contents (gc_json *v)
{
  free (v->str);
  for (size_t i = 0; i < v->count; i++) {
    free_contents (&v->items[i]);
    if (v->keys)
      free (v->keys[i]);
  }
  free (v->items);
  free (v->keys);
  free (v->key_lens);
}

void
gc_json_free (gc_json *v)
{
  if (!v)
    return;
  free_contents (v);
  free (v);
}

gc_json *
gc_json_parse (const char *text, size_t len, char *err, size_t err_size)
{
  static char dummy[1];
  json_reader r = { (const unsigned char *) text,
    (const unsigned char *) text + len, (const unsigned char *) text,
    err ? err : dummy, err ? err_size : sizeof dummy, 0, 0 };
  gc_json *v = calloc (1, sizeof *v);
  if (!text && len) {
    fail (&r, "no input");
    free (v);
    return NULL;
  }
  if (!v) {
    fail (&r, "out of memory");
    return NULL;
  }
  if (parse_value (&r, v, 0) == 0) {
    skip_space (&r);
    if (r.p != r.end)
      fail (&r, "trailing characters after the JSON value");
  }
  if (r.failed) {
    gc_json_free (v);
    return NULL;
  }
  return v;
}

const gc_json *
gc_json_get (const gc_json *obj, const char *key)
{
  if (!obj || obj->type != GC_JSON_OBJECT)
    return NULL;
  size_t n = strlen (key);
  for (size_t i = 0; i < obj->count; i++)
    if (obj->key_lens[i] == n && memcmp (obj->keys[i], key, n) == 0)
      return &obj->items[i];
  return NULL;
}

/* ---- writer ------------------------------------------------------------ */

void
gc_jbuf_append (gc_jbuf *b, const char *s, size_t n)
{
  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *d = realloc (b->data, cap);
    if (!d) {
      b->failed = 1;
      return;
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy (b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void
gc_jbuf_puts (gc_jbuf *b, const char *s)
{
  gc_jbuf_append (b, s, strlen (s));
}

void
gc_jbuf_printf (gc_jbuf *b, const char *fmt, ...)
{
  char tmp[256];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (tmp, sizeof tmp, fmt, ap);
  va_end (ap);
  if (n < 0 || (size_t) n >= sizeof tmp) {
    b->failed = 1;              /* only short numeric pieces go through here */
    return;
  }
  gc_jbuf_append (b, tmp, (size_t) n);
}

void
gc_jbuf_put_string (gc_jbuf *b, const char *s)
{
  gc_jbuf_append (b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    char esc[8];
    switch (*p) {
      case '"': gc_jbuf_append (b, "\\\"", 2); break;
      case '\\': gc_jbuf_append (b, "\\\\", 2); break;
      case '\n': gc_jbuf_append (b, "\\n", 2); break;
      case '\r': gc_jbuf_append (b, "\\r", 2); break;
      case '\t': gc_jbuf_append (b, "\\t", 2); break;
      default:
        if (*p < 0x20) {
          snprintf (esc, sizeof esc, "\\u%04x", *p);
          gc_jbuf_append (b, esc, 6);
        } else
          gc_jbuf_append (b, (const char *) p, 1);
    }
  }
  gc_jbuf_append (b, "\"", 1);
}

void
gc_jbuf_free (gc_jbuf *b)
{
  free (b->data);
  memset (b, 0, sizeof *b);
}
