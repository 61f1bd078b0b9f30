/* json.h: a growing text buffer and the few JSON pieces the platform writes and reads:
 * escaped strings and hex for its answers, one string member of a small object for the
 * downlink form (POST {"hex": "..."}). */
#ifndef BC260Y_PLATFORM_JSON_H
#define BC260Y_PLATFORM_JSON_H

#include <stddef.h>
#include <stdint.h>

struct buf {
  char *p;
  size_t len, cap;
  int failed; /* out of memory: the text is incomplete */
};

void buf_free(struct buf *b);
void buf_add(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
void buf_json_string(struct buf *b, const char *s);
void buf_hex(struct buf *b, const uint8_t *data, size_t len);

/* The string member `key` of the JSON object text (len bytes), unescaped into out
 * (size outsz). Returns 0; -2 when the member's value does not fit; -1 with *why set
 * when the text is not such an object or the member is missing. */
int json_string_member(const char *text, size_t len, const char *key, char *out,
                       size_t outsz, const char **why);

#endif
