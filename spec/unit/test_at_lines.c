/* test_at_lines.c: the engine's line limit: a line up to line_max is a line, a longer one
 * is an BC_AT_EV_OVERFLOW (and a lost answer line says so in the response), and the longest
 * legal downlink, 2560 bytes, fits in every receive mode.
 */
#include "at_harness.h"

static void test_line_overflow(void) {
  bc_at_engine *at = mk(NULL);
  size_t big = 7000;
  char *buf = malloc(big + 64);
  memcpy(buf, "+NNMI: 3494,", 12);
  memset(buf + 12, 'A', big - 12);
  memcpy(buf + big, "\r\n+QLWEVTIND: 3\r\n", 17);
  /* in pieces, to cross the limit in the middle of a feed */
  feedn(at, buf, 3000, 0);
  feedn(at, buf + 3000, big + 17 - 3000, 0);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_OVERFLOW);
  CHECK(strncmp(evs[0].text, "+NNMI: 3494,AAAA", 16) == 0);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_URC);
  CHECK_EQ_STR(evs[1].text, "+QLWEVTIND: 3");
  CHECK_EQ_INT(bc_at_get_counters(at)->overflows, 1);
  /* exactly line_max is still a line */
  n_evs = 0;
  memset(buf + 12, 'B', BC_AT_LINE_MIN - 12);
  memcpy(buf + BC_AT_LINE_MIN, "\r\n", 2);
  memcpy(buf, "+NNMI: 3066,", 12);
  feedn(at, buf, BC_AT_LINE_MIN + 2, 1);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_URC);
  /* an over-long line while a command waits: its answer may be lost, so it says so */
  n_evs = 0;
  static const bc_at_match nmgr[] = {{"+NMGR", 2, 2}};
  submit(at, "AT+NMGR", nmgr, 1, 0, 5);
  write_out(at, "AT+NMGR\r", 2);
  memcpy(buf, "+NMGR: 3494,", 12);
  memset(buf + 12, 'C', big - 12);
  memcpy(buf + big, "\r\nOK\r\n", 6);
  feedn(at, buf, big + 6, 3);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_OVERFLOW);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(evs[1].result, BC_AT_RESULT_OVERFLOW);
  CHECK_EQ_STR(evs[1].text, "OK");
  free(buf);
  bc_at_free(at);
}

/* The module's receive buffer holds 2560 bytes, and so may one downlink: 5120 hex digits
 * after "+NNMI: 2560," (AT+NNMI=1) or "+NMGR: 2560," (AT+NNMI=0 or 2, read with
 * AT+NMGR), with or without the space, quoted or not, in one feed or byte by byte. */
static void test_downlink_2560(void) {
  static const char *const heads[] = {"+NNMI: 2560,", "+NNMI:2560,", "+NMGR: 2560,",
                                      "+NMGR:2560,", "+NMGR: 2560,\""};
  static const bc_at_match nmgr[] = {{"+NMGR", 2, 2}};
  char *buf = malloc(6000);
  for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++) {
    for (int bytewise = 0; bytewise <= 1; bytewise++) {
      bc_at_engine *at = mk(NULL);
      int answer = heads[h][2] == 'M';
      size_t hl = strlen(heads[h]), n = hl;
      memcpy(buf, heads[h], hl);
      for (size_t i = 0; i < 5120; i++) buf[n++] = "0123456789ABCDEF"[(i * 7 + h) % 16];
      if (heads[h][hl - 1] == '"') buf[n++] = '"';
      size_t line_len = n;
      memcpy(buf + n, answer ? "\r\n\r\nOK\r\n" : "\r\n", answer ? 8 : 2);
      n += answer ? 8 : 2;
      if (answer) {
        submit(at, "AT+NMGR", nmgr, 1, 0, 9);
        write_out(at, "AT+NMGR\r", 0);
      }
      if (bytewise)
        for (size_t i = 0; i < n; i++) feedn(at, buf + i, 1, 1);
      else
        feedn(at, buf, n, 1);
      CHECK_EQ_INT(n_evs, 1);
      CHECK_EQ_INT(evs[0].type, answer ? BC_AT_EV_RESPONSE : BC_AT_EV_URC);
      if (answer) CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
      CHECK_EQ_INT(bc_at_get_counters(at)->overflows, 0);
      /* and the decoder takes it whole */
      bc_decoded d;
      CHECK_EQ_INT(bc_decode(buf, line_len, &d), answer ? BC_NMGR : BC_NNMI_DATA);
      CHECK_EQ_INT(d.value, 2560);
      bc_at_free(at);
    }
  }
  free(buf);
}

int main(void) {
  test_line_overflow();
  test_downlink_2560();
  return CHECK_DONE();
}
