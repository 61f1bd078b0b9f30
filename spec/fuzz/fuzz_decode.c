/* fuzz_decode.c: libFuzzer target over the line-facing code of bc260y: bc_decode (every
 * byte string the module could print), bc_expect_for (every command a user could type),
 * the hex coding and the builders. The input is copied into an exact-size heap buffer so
 * that ASan catches any read past len. Invariants checked on every decoded line: decoded
 * text lies inside the line, payload hex decodes to exactly the announced length, values
 * sit in their documented ranges
 * unless marked outside the guide's tables (bc_decoded.unknown). Saved crash inputs (spec/fuzz/regressions/fuzz_decode-*)
 * are replayed first (replay.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bc260y.h"
#include "replay.h"

static void check(int ok) {
  if (!ok) abort();
}

static void fuzz_line(const char *line, size_t len) {
  bc_decoded d;
  bc_kind k = bc_decode(line, len, &d);
  check(d.kind == k);
  if (d.text) check(d.text >= line && d.text + d.text_len <= line + len);
  switch (k) {
  case BC_NNMI_DATA:
  case BC_NMGR: {
    uint8_t out[BC_MAX_DOWNLINK];
    check(d.value >= 1 && d.value <= BC_MAX_DOWNLINK);
    check(bc_hex_decode(d.text, d.text_len, out, sizeof out) == d.value);
    break;
  }
  /* a value outside the guide's tables only where firmware extends one, and marked */
  case BC_QLWEVTIND: check(d.unknown == 1 || (d.value >= -1 && d.value <= 10)); break;
  case BC_NNMI_MODE: check(d.value >= 0 && d.value <= 2); break;
  case BC_QLWULDATASTATUS: check(d.value >= 0 && d.value <= 5); break;
  case BC_NCFG: check(d.value >= 0 && d.value <= BC_LIFETIME_MAX); break;
  case BC_NMSTATUS:
    check(d.unknown == 1 ? d.value == -1 && d.text_len > 0 : bc_nmstatus_name((bc_nmstatus)d.value) != NULL);
    break;
  case BC_FOTA: check(d.unknown == 2 ? d.stage == 0 && d.text : bc_fota_stage_name(d.stage) != NULL); break;
  case BC_NQMGR: check(d.buffered >= 0 && d.received >= 0 && d.dropped >= 0); break;
  default: break;
  }
}

REPLAY_REGRESSIONS("fuzz_decode")

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *line = malloc(size ? size : 1);
  if (!line) return 0;
  if (size) memcpy(line, data, size);

  fuzz_line(line, size);

  bc_expect e;
  bc_expect_for(line, size, &e);
  check(e.n <= BC_AT_CMD_MAX_EXPECT);
  for (size_t i = 0; i < e.n; i++) {
    check(e.match[i].prefix != NULL);
    check(strlen(e.match[i].prefix) <= BC_AT_MATCH_MAX_PREFIX);
  }

  /* hex: decode whatever came in; encode it back and decode again to the same bytes */
  uint8_t *bin = malloc(size / 2 + 1);
  long n = bin ? bc_hex_decode(line, size, bin, size / 2 + 1) : -3;
  if (n >= 0) {
    char *hx = malloc((size_t)n * 2 + 1);
    uint8_t *back = malloc((size_t)n + 1);
    if (hx && back) {
      check(bc_hex_encode(bin, (size_t)n, hx, (size_t)n * 2 + 1) == n * 2);
      check(bc_hex_decode(hx, (size_t)n * 2, back, (size_t)n) == n);
      check(memcmp(bin, back, (size_t)n) == 0);
    }
    free(hx);
    free(back);
  }

  /* builders: the input as a host (NUL-terminated copy) and as NMGS data; any command
   * produced is one line: no CR, LF or ';', and a host never adds a quote or comma. */
  char *host = malloc(size + 1);
  if (host) {
    memcpy(host, data, size);
    host[size] = '\0';
    char cmd[2200];
    const char *err = NULL;
    int r = bc_build_ncdpopen(cmd, sizeof cmd, host, 5683, NULL, &err);
    if (r >= 0) {
      check(strpbrk(cmd, "\r\n;") == NULL);
      check(strchr(host, '"') == NULL && strchr(host, ',') == NULL);
    } else {
      check(err != NULL);
    }
    r = bc_build_ncdpopen(cmd, sizeof cmd, "1.2.3.4", 5684, host, &err);
    if (r >= 0) check(strpbrk(cmd, "\r\n;") == NULL);
    r = bc_build_nmgs(cmd, sizeof cmd, data, size, size ? data[0] % 103 : 0, &err);
    if (r >= 0) {
      check(strpbrk(cmd, "\r\n;\"") == NULL);
      check((size_t)r == strlen(cmd));
    }
    free(host);
  }
  free(bin);
  free(line);
  return 0;
}
