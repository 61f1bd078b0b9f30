/* test_hex.c: the hex coding of payloads: upper case out, either case in, and every way
 * a hex string from the line can be wrong (odd, non-hex, too big for the buffer). */
#include <stdint.h>

#include "bc260y.h"
#include "check.h"

int main(void) {
  char out[16];
  uint8_t bin[8];
  const uint8_t aa[] = {0xAA, 0xAA, 0x00, 0x00};

  /* encode: upper case, NUL-terminated when room is left */
  memset(out, 'x', sizeof out);
  CHECK_EQ_INT(bc_hex_encode(aa, 4, out, sizeof out), 8);
  CHECK_EQ_STR(out, "AAAA0000");
  const uint8_t all[] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  char big[17];
  CHECK_EQ_INT(bc_hex_encode(all, 8, big, sizeof big), 16);
  CHECK_EQ_STR(big, "0123456789ABCDEF");
  /* exact fit: no NUL, but the digits are all there */
  memset(out, 'x', sizeof out);
  CHECK_EQ_INT(bc_hex_encode(aa, 4, out, 8), 8);
  CHECK(memcmp(out, "AAAA0000x", 9) == 0);
  /* too small: refused, nothing claimed */
  CHECK_EQ_INT(bc_hex_encode(aa, 4, out, 7), -1);
  CHECK_EQ_INT(bc_hex_encode(aa, 0, out, sizeof out), 0);
  CHECK_EQ_STR(out, "");

  /* decode: either case, mixed */
  CHECK_EQ_INT(bc_hex_decode("AAAA0000", 8, bin, sizeof bin), 4);
  CHECK(memcmp(bin, aa, 4) == 0);
  CHECK_EQ_INT(bc_hex_decode("aaaa0000", 8, bin, sizeof bin), 4);
  CHECK(memcmp(bin, aa, 4) == 0);
  CHECK_EQ_INT(bc_hex_decode("0123456789abcDEF", 16, bin, sizeof bin), 8);
  CHECK(memcmp(bin, all, 8) == 0);
  CHECK_EQ_INT(bc_hex_decode("", 0, bin, sizeof bin), 0);
  /* round trip of every byte value */
  uint8_t every[256], back[256];
  char hx[513];
  for (int i = 0; i < 256; i++) every[i] = (uint8_t)i;
  CHECK_EQ_INT(bc_hex_encode(every, 256, hx, sizeof hx), 512);
  CHECK_EQ_INT(bc_hex_decode(hx, 512, back, sizeof back), 256);
  CHECK(memcmp(every, back, 256) == 0);

  /* errors */
  CHECK_EQ_INT(bc_hex_decode("AAA", 3, bin, sizeof bin), -1);       /* odd */
  CHECK_EQ_INT(bc_hex_decode("AG", 2, bin, sizeof bin), -1);        /* not hex */
  CHECK_EQ_INT(bc_hex_decode("0x12", 4, bin, sizeof bin), -1);
  CHECK_EQ_INT(bc_hex_decode("12 4", 4, bin, sizeof bin), -1);
  CHECK_EQ_INT(bc_hex_decode("1\0" "2", 3, bin, sizeof bin), -1);
  CHECK_EQ_INT(bc_hex_decode("12\0" "4", 4, bin, sizeof bin), -1);  /* embedded NUL */
  CHECK_EQ_INT(bc_hex_decode("AAAA0000", 8, bin, 3), -2);           /* too small */
  CHECK_EQ_INT(bc_hex_decode("AAAA000G", 8, bin, 3), -1);           /* bad beats small */
  /* len is honoured: the digits after it are not read */
  CHECK_EQ_INT(bc_hex_decode("AAZZ", 2, bin, sizeof bin), 1);
  CHECK_EQ_INT(bin[0], 0xAA);
  return CHECK_DONE();
}
