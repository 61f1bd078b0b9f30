/* bc260y_build.c: command builders for the commands that carry caller data. Whatever a
 * caller passes, the result is exactly one well-formed command line: anything that could
 * end the line (CR, LF), start another command (';'), break out of a quoted string ('"')
 * or shift a parameter (',') is refused with a static message, never escaped or dropped. */
#include <stdio.h>
#include <string.h>

#include "bc260y.h"

#define BC_HOST_MAX 253 /* longest DNS name; an IPv6 literal is far shorter */

static int fail(const char **err, const char *msg) {
  if (err) *err = msg;
  return -1;
}

/* snprintf into buf, -1 when it does not fit (a truncated command must never be sent). */
static int finish(char *buf, size_t cap, int n, const char **err) {
  if (n < 0 || (size_t)n >= cap) {
    buf[0] = '\0'; /* no truncated command left behind for a careless caller */
    return fail(err, "output buffer too small");
  }
  return n;
}

/* AT+NCDPOPEN="<host>",<port>[,"<psk>"]
 * - host is quoted: real firmware and every example of the guide quote it.
 * - port: 0 means "the default" (the guide: 0 or absent = 5683) and is omitted, so the
 *   module applies its own default: AT+NCDPOPEN="<host>". With a psk the port field must
 *   be there to reach the third parameter, so 0 is then written as 5683.
 * - psk: the guide's type for it is "十六进制字符串型" (hex string), the same words it
 *   uses for NCDPOPEN's quoted <ip_addr> ("字符串型"), and Quectel's string parameters
 *   are quoted, so it is written quoted. Even length, 1..256 bytes (2..512 digits). */
int bc_build_ncdpopen(char *buf, size_t cap, const char *host, long port,
                      const char *psk_hex, const char **err) {
  if (err) *err = NULL;
  if (!buf || cap == 0) return fail(err, "output buffer too small");
  if (!host) return fail(err, "host is missing");
  size_t hl = strlen(host);
  if (hl == 0) return fail(err, "host is empty");
  if (hl > BC_HOST_MAX) return fail(err, "host longer than 253 characters");
  for (size_t i = 0; i < hl; i++) {
    unsigned char c = (unsigned char)host[i];
    if (c == '\r' || c == '\n') return fail(err, "host contains CR or LF");
    if (c == '"') return fail(err, "host contains a quote");
    if (c == ';') return fail(err, "host contains a semicolon");
    if (c == ',') return fail(err, "host contains a comma");
    if (c == ' ') return fail(err, "host contains a space");
    if (c < 0x21 || c > 0x7e) return fail(err, "host contains a non-printable byte");
  }
  if (port < 0 || port > 65535) return fail(err, "port out of range 0..65535");
  if (psk_hex) {
    if (port == 0) port = 5683;
    size_t pl = strlen(psk_hex);
    if (pl == 0) return fail(err, "psk is empty");
    for (size_t i = 0; i < pl; i++)
      if (bc_hex_value((unsigned char)psk_hex[i]) < 0) return fail(err, "psk is not hex digits");
    if (pl % 2) return fail(err, "psk has an odd number of hex digits");
    if (pl > 2 * BC_MAX_PSK) return fail(err, "psk longer than 256 bytes");
  }
  /* One format for the three shapes: port 0 (only without a psk) writes no port field,
   * as %.0ld writes nothing for 0. */
  int q = psk_hex != NULL; /* the psk field: ,"<psk>" */
  return finish(buf, cap,
                snprintf(buf, cap, "AT+NCDPOPEN=\"%s\"%.*s%.0ld%.*s%s%.*s", host, port != 0, ",",
                         port, 2 * q, ",\"", q ? psk_hex : "", q, "\""),
                err);
}

/* AT+NMGS=<len>,<HEX>,<type>
 * The hex is unquoted and upper case: the command table's syntax and the first example
 * (AT+NMGS=5,00454c4c4f) write it bare, which BC95/BC28/BC260Y firmware all accept. The
 * type is always written, so the module's default never decides NON vs CON. */
int bc_build_nmgs(char *buf, size_t cap, const uint8_t *data, size_t len, int type,
                  const char **err) {
  if (err) *err = NULL;
  if (!buf || cap == 0) return fail(err, "output buffer too small");
  if (len == 0 || !data) return fail(err, "data is empty");
  if (len > BC_MAX_PAYLOAD) return fail(err, "data longer than 1024 bytes");
  if (!(type == 0 || type == 1 || type == 2 || type == 100 || type == 101 || type == 102))
    return fail(err, "type must be 0, 1, 2, 100, 101 or 102");
  /* One format, the hex's place held by 2*len zeros that the hex then overwrites. */
  int n = snprintf(buf, cap, "AT+NMGS=%zu,%0*d,%d", len, (int)(2 * len), 0, type);
  if (finish(buf, cap, n, err) < 0) return -1;
  /* after the first comma; it fits: no NUL written (memchr: one import less than strchr) */
  bc_hex_encode(data, len, (char *)memchr(buf, ',', (size_t)n) + 1, 2 * len);
  return n;
}

/* AT+<command>=<n> for one number n in 0..max (the format writes it with %ld). */
static int build_number(char *buf, size_t cap, const char *format, long n, long max,
                        const char *range_msg, const char **err) {
  if (err) *err = NULL;
  if (!buf || cap == 0) return fail(err, "output buffer too small");
  if (n < 0 || n > max) return fail(err, range_msg);
  return finish(buf, cap, snprintf(buf, cap, format, n), err);
}

/* AT+NCFG=0,<lifetime>: 0..2592000 s (1..900 is raised to 900 by the module itself). */
int bc_build_ncfg_lifetime(char *buf, size_t cap, long lifetime, const char **err) {
  return build_number(buf, cap, "AT+NCFG=0,%ld", lifetime, BC_LIFETIME_MAX,
                      "lifetime out of range 0..2592000", err);
}

int bc_build_nnmi(char *buf, size_t cap, int mode, const char **err) {
  return build_number(buf, cap, "AT+NNMI=%ld", mode, 2, "mode out of range 0..2", err);
}

int bc_build_qsclk(char *buf, size_t cap, int mode, const char **err) {
  return build_number(buf, cap, "AT+QSCLK=%ld", mode, 2, "mode out of range 0..2", err);
}
