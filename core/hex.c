/* hex.c: the hex payload coding of AT+NMGS / +NNMI / +NMGR. The module takes and prints
 * hex digits; the library hands raw bytes to its users. Encoding writes upper case (as the
 * module prints), decoding accepts either case (BC95/BC28 firmware and the guide's own
 * examples use lower case). */
#include <limits.h>

#include "bc260y.h"

int bc_hex_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

long bc_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap) {
  static const char digits[] = "0123456789ABCDEF";
  /* 2*len must fit cap and the returned long (checked without computing 2*len). */
  if (len > cap / 2 || len > (size_t)(LONG_MAX / 2)) return -1;
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  if (len * 2 < cap) out[len * 2] = '\0';
  return (long)(len * 2);
}

long bc_hex_decode(const char *in, size_t len, uint8_t *out, size_t cap) {
  if (len % 2) return -1;
  /* Validate everything first so that a bad digit is -1 whatever cap is, and so that a
   * caller never sees a half-written buffer paired with an error it might ignore. */
  for (size_t i = 0; i < len; i++)
    if (bc_hex_value((unsigned char)in[i]) < 0) return -1;
  if (len / 2 > cap) return -2;
  for (size_t i = 0; i < len / 2; i++)
    out[i] = (uint8_t)(bc_hex_value((unsigned char)in[2 * i]) << 4 | bc_hex_value((unsigned char)in[2 * i + 1]));
  return (long)(len / 2);
}
