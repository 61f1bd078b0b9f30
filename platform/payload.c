/* payload.c: see payload.h. */
#include "payload.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  int size, is_signed, big_endian;
} TYPES[] = {
  {"uint8", 1, 0, 1},    {"int8", 1, 1, 1},
  {"uint16be", 2, 0, 1}, {"int16be", 2, 1, 1}, {"uint16le", 2, 0, 0}, {"int16le", 2, 1, 0},
  {"uint32be", 4, 0, 1}, {"int32be", 4, 1, 1}, {"uint32le", 4, 0, 0}, {"int32le", 4, 1, 0},
};

static int parse_line(struct payload *p, char *line, char *err, size_t errsz, int lineno) {
  char *hash = strchr(line, '#');
  if (hash) *hash = '\0';
  char name[64], type[16], extra[8];
  long offset;
  double scale = 1;
  int n = sscanf(line, "%63s %ld %15s %lf %7s", name, &offset, type, &scale, extra);
  if (n <= 0) return 0; /* blank or comment */
  if (n < 3 || n > 4) {
    snprintf(err, errsz, "line %d: expected: name offset type [scale]", lineno);
    return -1;
  }
  if (strlen(name) >= sizeof p->fields[0].name) {
    snprintf(err, errsz, "line %d: name longer than 31 characters", lineno);
    return -1;
  }
  if (offset < 0 || offset > 4096) {
    snprintf(err, errsz, "line %d: offset must be 0..4096", lineno);
    return -1;
  }
  if (p->n == PAYLOAD_MAX_FIELDS) {
    snprintf(err, errsz, "line %d: more than %d fields", lineno, PAYLOAD_MAX_FIELDS);
    return -1;
  }
  for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) {
    if (strcmp(type, TYPES[i].name) == 0) {
      struct payload_field *f = &p->fields[p->n++];
      memcpy(f->name, name, strlen(name) + 1); /* fits: checked above */
      f->offset = (size_t)offset;
      f->size = TYPES[i].size;
      f->is_signed = TYPES[i].is_signed;
      f->big_endian = TYPES[i].big_endian;
      f->scale = scale;
      return 0;
    }
  }
  snprintf(err, errsz, "line %d: unknown type '%s' (uint8, int8, (u)int16be/le, (u)int32be/le)",
           lineno, type);
  return -1;
}

int payload_load(struct payload *p, const char *path, char *err, size_t errsz) {
  FILE *f = fopen(path, "r");
  memset(p, 0, sizeof *p);
  if (!f) {
    snprintf(err, errsz, "cannot open %s", path);
    return -1;
  }
  char line[256];
  int lineno = 0, rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    rc = parse_line(p, line, err, errsz, lineno);
  }
  fclose(f);
  return rc;
}

void payload_decode(const struct payload *p, const uint8_t *data, size_t len, struct buf *out) {
  int first = 1;
  buf_puts(out, "{");
  for (int i = 0; i < p->n; i++) {
    const struct payload_field *f = &p->fields[i];
    if (f->offset + (size_t)f->size > len) continue;
    uint32_t raw = 0;
    for (int k = 0; k < f->size; k++) {
      int at = f->big_endian ? k : f->size - 1 - k;
      raw = (raw << 8) | data[f->offset + (size_t)at];
    }
    double v;
    if (f->is_signed) {
      int64_t sv = raw;
      if (raw & (UINT32_C(1) << (8 * f->size - 1))) sv -= (int64_t)1 << (8 * f->size);
      v = (double)sv;
    } else {
      v = (double)raw;
    }
    if (!first) buf_puts(out, ",");
    first = 0;
    buf_json_string(out, f->name);
    buf_printf(out, ":%.10g", v * f->scale);
  }
  buf_puts(out, "}");
}
