/* payload.h: the teacher's description of a product's uplink bytes (--payload FILE), and
 * the decoded view of an uplink it gives. The file has one field a line:
 *     # name        offset  type     [scale]
 *     temperature   0       int16be  0.01
 *     battery       2       uint8
 * types: uint8 int8, (u)int16be (u)int16le, (u)int32be (u)int32le; a value is
 * raw * scale (default 1). A field past the end of an uplink is left out. */
#ifndef BC260Y_PLATFORM_PAYLOAD_H
#define BC260Y_PLATFORM_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define PAYLOAD_MAX_FIELDS 64

struct payload_field {
  char name[32];
  size_t offset;
  int size;       /* bytes: 1, 2 or 4 */
  int is_signed;
  int big_endian;
  double scale;
};

struct payload {
  struct payload_field fields[PAYLOAD_MAX_FIELDS];
  int n;
};

/* Reads the description; on error returns -1 with a message (line number) in err. */
int payload_load(struct payload *p, const char *path, char *err, size_t errsz);
/* Appends the decoded uplink as a JSON object ({"temperature": 21.5, ...}). */
void payload_decode(const struct payload *p, const uint8_t *data, size_t len, struct buf *out);

#endif
