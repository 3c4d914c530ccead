/* libgancore (private) — a small strict JSON reader and writer helpers,
 * enough for safetensors headers.
 *
 * The reader takes a byte range (not NUL-terminated), never reads past it,
 * limits nesting depth and rejects anything RFC 8259 does not allow
 * (trailing commas, leading zeros, control characters in strings, lone
 * surrogates, invalid UTF-8, trailing garbage). Duplicate object keys are
 * kept: the caller decides what a duplicate means.
 */
#ifndef GC_JSON_H
#define GC_JSON_H

#include <stddef.h>
#include <stdint.h>

#define GC_JSON_MAX_DEPTH 64
/* Bounds the tree's memory (~80 bytes a value) whatever the input size:
 * 2M values is 200k tensors' worth of safetensors header. */
#define GC_JSON_MAX_VALUES (1u << 21)
/* Integers are exact up to 2^53, like every JSON reader backed by doubles. */
#define GC_JSON_MAX_EXACT_INT 9007199254740992ull

typedef enum {
  GC_JSON_NULL, GC_JSON_BOOL, GC_JSON_NUMBER, GC_JSON_STRING,
  GC_JSON_ARRAY, GC_JSON_OBJECT
} gc_json_type;

typedef struct gc_json gc_json;
struct gc_json {
  gc_json_type type;
  int boolean;
  double number;
  int is_uint;              /* number is a non-negative integer <= 2^53 */
  uint64_t uint;            /* its exact value when is_uint */
  char *str;                /* decoded UTF-8, NUL-terminated */
  size_t str_len;           /* may be < strlen if it holds "\u0000" */
  /* arrays and objects: children; for objects keys[i] names items[i] */
  gc_json *items;
  char **keys;
  size_t *key_lens;
  size_t count;
};

/* Parse text[0..len). Returns a tree to free with gc_json_free, or NULL
 * with a message ("byte N: problem") in err. */
gc_json *gc_json_parse (const char *text, size_t len, char *err,
    size_t err_size);
void gc_json_free (gc_json *v);

/* Member of an object by key (first match), or NULL. */
const gc_json *gc_json_get (const gc_json *obj, const char *key);

/* 1 if the NUL-terminated s is valid UTF-8 (what the reader accepts). */
int gc_json_utf8_valid (const char *s);

/* ---- writer: a growable byte buffer ------------------------------------ */
typedef struct gc_jbuf {
  char *data;
  size_t len, cap;
  int failed;               /* an allocation failed: the content is invalid */
} gc_jbuf;

void gc_jbuf_append (gc_jbuf *b, const char *s, size_t n);
void gc_jbuf_puts (gc_jbuf *b, const char *s);
void gc_jbuf_printf (gc_jbuf *b, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__ ((format (printf, 2, 3)))
#endif
    ;
/* A JSON string literal with quotes and the escapes JSON needs. */
void gc_jbuf_put_string (gc_jbuf *b, const char *s);
void gc_jbuf_free (gc_jbuf *b);

#endif
