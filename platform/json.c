/* json.c: see json.h. */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_free(struct buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

static int buf_reserve(struct buf *b, size_t more) {
  if (b->failed) return -1;
  if (b->len + more + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + more + 1) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->failed = 1;
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

void buf_add(struct buf *b, const char *s, size_t n) {
  if (buf_reserve(b, n)) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

void buf_printf(struct buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    buf_add(b, small, (size_t)n);
    return;
  }
  if (buf_reserve(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void buf_json_string(struct buf *b, const char *s) {
  buf_add(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      buf_add(b, esc, 2);
    } else if (c < 0x20) {
      buf_printf(b, "\\u%04x", c);
    } else {
      buf_add(b, (const char *)&c, 1);
    }
  }
  buf_add(b, "\"", 1);
}

void buf_hex(struct buf *b, const uint8_t *data, size_t len) {
  static const char digits[] = "0123456789ABCDEF";
  if (buf_reserve(b, len * 2)) return;
  for (size_t i = 0; i < len; i++) {
    b->p[b->len++] = digits[data[i] >> 4];
    b->p[b->len++] = digits[data[i] & 15];
  }
  b->p[b->len] = '\0';
}

/* ---- reading: a strict little scanner for {"key": "value", ...} with string values */

struct scan {
  const char *p, *end;
};

static void skip_ws(struct scan *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

/* A JSON string at s->p into out (NULL: skipped). Only \" \\ \/ and the one-letter
 * escapes; \u is refused (a hex downlink never needs it). A string that does not fit
 * is still read to its end (the scan goes on after it) and returns -2. */
static int scan_string(struct scan *s, char *out, size_t outsz, size_t *outlen) {
  size_t n = 0;
  int overflow = 0;
  if (s->p >= s->end || *s->p != '"') return -1;
  s->p++;
  while (s->p < s->end && *s->p != '"') {
    char c = *s->p++;
    if ((unsigned char)c < 0x20) return -1;
    if (c == '\\') {
      if (s->p >= s->end) return -1;
      c = *s->p++;
      switch (c) {
      case '"': case '\\': case '/': break;
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      default: return -1;
      }
    }
    if (out && !overflow) {
      if (n + 1 >= outsz) overflow = 1;
      else out[n] = c;
    }
    n++;
  }
  if (s->p >= s->end) return -1;
  s->p++;
  if (overflow) return -2;
  if (out) out[n] = '\0';
  if (outlen) *outlen = n;
  return 0;
}

int json_string_member(const char *text, size_t len, const char *key, char *out,
                       size_t outsz, const char **why) {
  struct scan s = {text, text + len};
  char name[32];
  int found = 0;
  skip_ws(&s);
  if (s.p >= s.end || *s.p != '{') goto bad;
  s.p++;
  skip_ws(&s);
  if (s.p < s.end && *s.p == '}') {
    s.p++;
  } else {
    for (;;) {
      skip_ws(&s);
      int r = scan_string(&s, name, sizeof name, NULL);
      if (r == -1) goto bad;
      int wanted = r == 0 && strcmp(name, key) == 0;
      skip_ws(&s);
      if (s.p >= s.end || *s.p != ':') goto bad;
      s.p++;
      skip_ws(&s);
      if (s.p >= s.end || *s.p != '"') {
        *why = "every member must be a string";
        return -1;
      }
      r = scan_string(&s, wanted ? out : NULL, outsz, NULL);
      if (r == -2) {
        *why = "the value is too long";
        return -2;
      }
      if (r) goto bad;
      if (wanted) found = 1;
      skip_ws(&s);
      if (s.p < s.end && *s.p == ',') { s.p++; continue; }
      if (s.p < s.end && *s.p == '}') { s.p++; break; }
      goto bad;
    }
  }
  skip_ws(&s);
  if (s.p != s.end) goto bad;
  if (!found) {
    *why = "missing member";
    return -1;
  }
  return 0;
bad:
  *why = "not a JSON object of strings";
  return -1;
}
