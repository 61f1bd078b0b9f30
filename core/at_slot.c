/* at_slot.c: a command as the engine holds it: the copies of its expected shapes and
 * finals, whether a line is its final result or its echo, and its deadlines, counted from
 * when it was written. Shared by the queue (at.c) and the resync (at_resync.c). */
#include <string.h>

#include "at_internal.h"

/* Copies n shapes into dst, their prefixes into store (a slot keeps its own copies).
 * 0 when a prefix is missing, empty or too long. */
int bc_at_copy_matches(bc_at_match *dst, char (*store)[BC_AT_MATCH_MAX_PREFIX + 1],
                        const bc_at_match *src, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!src[i].prefix) return 0;
    size_t pl = strlen(src[i].prefix);
    if (pl == 0 || pl > BC_AT_MATCH_MAX_PREFIX) return 0;
    memcpy(store[i], src[i].prefix, pl + 1);
    dst[i] = src[i];
    dst[i].prefix = store[i];
  }
  return 1;
}

static int parse_code(const char *s, size_t n) {
  const char *end = s + n;
  while (s < end && *s == ' ') s++;
  int neg = s < end && *s == '-';
  s += neg;
  if (s == end) return -1;
  long v = 0;
  for (; s < end; s++) {
    if (*s < '0' || *s > '9') return -1; /* verbose text (CMEE=2) */
    v = v * 10 + (*s - '0');
    if (v > 1000000) return -1;
  }
  return (int)(neg ? -v : v);
}

/* Generic final results. Returns 1 with *r and *code set. */
int bc_at_is_generic_final(const char *l, size_t n, bc_at_result *r, int *code) {
  if (n == 2 && l[0] == 'O' && l[1] == 'K') {
    *r = BC_AT_RESULT_OK, *code = 0;
    return 1;
  }
  if (n == 5 && memcmp(l, "ERROR", 5) == 0) {
    *r = BC_AT_RESULT_ERROR, *code = 0;
    return 1;
  }
  if (n >= 11 && l[0] == '+' && (memcmp(l, "+CME ERROR:", 11) == 0 ||
                                 memcmp(l, "+CMS ERROR:", 11) == 0)) {
    *r = l[3] == 'E' ? BC_AT_RESULT_CME : BC_AT_RESULT_CMS;
    *code = parse_code(l + 11, n - 11);
    return 1;
  }
  return 0;
}

int bc_at_final_of(const slot *s, line_view *v, bc_at_result *r, int *code) {
  if (bc_at_is_generic_final(v->s, v->n, r, code)) return 1;
  if (bc_at_match_any(s->finals, s->n_finals, v)) {
    *r = BC_AT_RESULT_FINAL, *code = 0;
    return 1;
  }
  return 0;
}

int bc_at_is_echo(const slot *s, const char *l, size_t n) {
  return n == s->text_len && memcmp(l, s->buf, n) == 0;
}

/* The caller's clock is arbitrary: a deadline past UINT64_MAX is "never", not a wrap.
 * Not inlined: 64-bit arithmetic is long on a 32-bit router, and every timer uses it. */
__attribute__((noinline)) uint64_t bc_at_later(uint64_t now, uint32_t ms) {
  return now > NO_DEADLINE - ms ? NO_DEADLINE : now + ms;
}
