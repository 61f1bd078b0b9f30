/* at_match.c: line shapes: quote-aware field counting and "does this line have this
 * prefix and this many fields" (bc_at_match), with the count cached per line. */
#include <string.h>

#include "at_internal.h"

static size_t count_commas(const char *s, size_t n) {
  /* Quote-aware: a comma inside "..." is part of a string field. Lines without quotes
   * (hex payloads, numbers) take the memchr path. */
  size_t commas = 0;
  if (!memchr(s, '"', n)) {
    const char *p = s, *end = s + n;
    while ((p = memchr(p, ',', (size_t)(end - p))) != NULL) {
      commas++;
      p++;
    }
    return commas;
  }
  int quoted = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"')
      quoted = !quoted;
    else if (s[i] == ',' && !quoted)
      commas++;
  }
  return commas;
}

int bc_at_count_fields(const char *line, size_t len, const char *prefix) {
  if (!line || !prefix) return -1;
  size_t pl = strlen(prefix);
  if (pl > len || memcmp(line, prefix, pl) != 0) return -1;
  if (pl == len) return 0;
  size_t i = pl;
  if (prefix[pl - 1] != '=') {
    if (line[i] != ':') return -1; /* "+NNMIX" is not "+NNMI" */
    i++;
  }
  while (i < len && line[i] == ' ') i++;
  if (i == len) return 0; /* "+X:" with nothing after it */
  size_t commas = count_commas(line + i, len - i);
  return commas >= 127 ? 127 : (int)commas + 1;
}

int bc_at_view_fields(line_view *v, size_t colon) {
  if (v->fields_at != colon) {
    size_t i = colon + 1;
    while (i < v->n && v->s[i] == ' ') i++;
    size_t commas = i < v->n ? count_commas(v->s + i, v->n - i) : 0;
    v->fields = i == v->n ? 0 : commas >= 127 ? 127 : (int)commas + 1;
    v->fields_at = colon;
  }
  return v->fields;
}

int bc_at_match_line(const bc_at_match *m, line_view *v) {
  const char *line = v->s;
  size_t len = v->n, pl = strlen(m->prefix);
  if (pl == 0 || pl > len || line[0] != m->prefix[0]) return 0;
  if (memcmp(line, m->prefix, pl) != 0) return 0;
  if (m->min_fields == BC_AT_MATCH_ANY_TEXT || m->prefix[pl - 1] == '=') return 1;
  int n;
  if (pl == len)
    n = 0;
  else if (line[pl] != ':')
    return 0; /* "+NNMIX" is not "+NNMI" */
  else
    n = bc_at_view_fields(v, pl);
  if (n < m->min_fields) return 0;
  return m->max_fields < 0 || n <= m->max_fields;
}

int bc_at_match_any(const bc_at_match *m, size_t n, line_view *v) {
  for (size_t i = 0; i < n; i++)
    if (bc_at_match_line(&m[i], v)) return 1;
  return 0;
}

