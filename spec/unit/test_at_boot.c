/* test_at_boot.c: a reboot is recognised from any boot marker the module prints unprompted
 * (RDY, +CFUN: 1, +CPIN: READY), alone or together: a banner is one reboot. A marker the
 * running (or the timed-out) command expects is its answer, not a reboot. Echo is back
 * on after a reboot: the echo of the running command is dropped.
 */
#include "at_harness.h"

static const bc_at_match EXP_CFUN_Q[] = {{"+CFUN", 0, -1}};
static const bc_at_match EXP_CPIN_Q[] = {{"+CPIN", 0, -1}};

static size_t count(bc_at_event_type type) {
  size_t k = 0;
  for (size_t i = 0; i < n_evs; i++) k += evs[i].type == type;
  return k;
}

/* Each marker alone, with or without the space, while a command runs and one waits:
 * both fail with the reboot, the running one with the marker as its final. */
static void test_each_marker_alone(void) {
  static const char *const markers[] = {"RDY", "+CFUN: 1", "+CFUN:1", "+CPIN: READY",
                                        "+CPIN:READY"};
  for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++) {
    bc_at_engine *at = mk(NULL);
    submit(at, "AT+NMGS=2,AA00", NULL, 0, 0, 1);
    submit(at, "AT", NULL, 0, 0, 2);
    write_out(at, "AT+NMGS=2,AA00\r", 0);
    char line[32];
    snprintf(line, sizeof line, "\r\n%s\r\n", markers[i]);
    feed(at, line, 10);
    CHECK_EQ_INT(n_evs, 3);
    CHECK_EQ_INT(evs[0].tag, 1);
    CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_REBOOT);
    CHECK_EQ_STR(evs[0].text, markers[i]);
    CHECK_EQ_INT(evs[1].tag, 2);
    CHECK_EQ_INT(evs[1].result, BC_AT_RESULT_REBOOT);
    CHECK_EQ_INT(evs[2].type, BC_AT_EV_REBOOT);
    CHECK_EQ_INT(bc_at_get_counters(at)->reboots, 1);
    CHECK_EQ_INT(bc_at_pending(at), 0);
    bc_at_free(at);
  }
}

/* A banner is one reboot, whichever of its markers come; the next banner is another. */
static void test_banner_is_one_reboot(void) {
  static const char *const banners[] = {
      "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n",
      "\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n",
      "\r\nRDY\r\n\r\n+CPIN: READY\r\n",
      "\r\nRDY\r\n\r\n+CFUN:1\r\n",
  };
  for (size_t i = 0; i < sizeof banners / sizeof banners[0]; i++) {
    bc_at_engine *at = mk(NULL);
    feed(at, banners[i], 0);
    CHECK_EQ_INT(count(BC_AT_EV_REBOOT), 1);
    CHECK_EQ_INT(evs[0].type, BC_AT_EV_REBOOT);
    CHECK_EQ_INT(count(BC_AT_EV_UNKNOWN), 0);
    /* the rest of the banner is shown as lines (URCs), not dropped */
    CHECK_EQ_INT(n_evs, 1 + count(BC_AT_EV_URC));
    CHECK(n_evs >= 2);
    /* the next reboot, even a lone +CPIN: READY (the guide's DFOTA sessions), is another
     * one */
    n_evs = 0;
    feed(at, "\r\n+CPIN: READY\r\n", 30000);
    CHECK_EQ_INT(count(BC_AT_EV_REBOOT), 1);
    CHECK_EQ_INT(bc_at_get_counters(at)->reboots, 2);
    bc_at_free(at);
  }
  /* a marker later in boot order a few seconds on is the same banner (the SIM is read
   * after RDY); long after, it is a new reboot */
  bc_at_engine *at = mk(NULL);
  feed(at, "\r\nRDY\r\n", 0);
  feed(at, "\r\n+CFUN: 1\r\n", 3000);
  CHECK_EQ_INT(count(BC_AT_EV_REBOOT), 1);
  feed(at, "\r\n+CPIN: READY\r\n", 60000);
  CHECK_EQ_INT(count(BC_AT_EV_REBOOT), 2);
  bc_at_free(at);
}

/* +CFUN: 1 answers AT+CFUN?, +CPIN: READY answers AT+CPIN?: answers, not reboots. */
static void test_expected_marker_is_an_answer(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+CFUN?", EXP_CFUN_Q, 1, 0, 1);
  write_out(at, "AT+CFUN?\r", 0);
  feed(at, "\r\n+CFUN: 1\r\n\r\nOK\r\n", 10);
  submit(at, "AT+CPIN?", EXP_CPIN_Q, 1, 0, 2);
  write_out(at, "AT+CPIN?\r", 20);
  feed(at, "\r\n+CPIN: READY\r\n\r\nOK\r\n", 30);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  CHECK_EQ_STR(evs[0].lines, "+CFUN: 1");
  CHECK_EQ_INT(evs[1].result, BC_AT_RESULT_OK);
  CHECK_EQ_STR(evs[1].lines, "+CPIN: READY");
  CHECK_EQ_INT(bc_at_get_counters(at)->reboots, 0);
  /* RDY is nobody's answer */
  n_evs = 0;
  submit(at, "AT+CFUN?", EXP_CFUN_Q, 1, 0, 3);
  write_out(at, "AT+CFUN?\r", 40);
  feed(at, "\r\nRDY\r\n", 50);
  CHECK_EQ_INT(count(BC_AT_EV_REBOOT), 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_REBOOT);
  /* not written yet: not an answer either */
  n_evs = 0;
  submit(at, "AT+CPIN?", EXP_CPIN_Q, 1, 0, 4);
  feed(at, "\r\n+CPIN: READY\r\n", 20000);
  CHECK_EQ_INT(count(BC_AT_EV_REBOOT), 1);
  bc_at_free(at);
}

/* A timed-out AT+CPIN? still owes its answer: a late +CPIN: READY is that answer. */
static void test_owed_marker_is_a_late_answer(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+CPIN?", EXP_CPIN_Q, 1, 0, 1);
  write_out(at, "AT+CPIN?\r", 0);
  bc_at_tick(at, 2000);
  feed(at, "\r\n+CPIN: READY\r\n\r\nOK\r\n", 2500);
  CHECK_EQ_INT(n_evs, 3);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_LATE);
  CHECK_EQ_STR(evs[1].text, "+CPIN: READY");
  CHECK_EQ_INT(evs[2].type, BC_AT_EV_LATE);
  CHECK(evs[2].is_final);
  CHECK_EQ_INT(bc_at_get_counters(at)->reboots, 0);
  /* while a probe is out for the next command, a lone +CPIN: READY is a reboot again:
   * the waiting command fails with it; the probe may still be answered (the module read
   * it after booting), so it stays out, and the next command writes a probe of its own
   * with another marker: its answer settles both (a reboot settles nothing: issue 19) */
  n_evs = 0;
  submit(at, "AT+NMGS=2,AA00", NULL, 0, 0, 2);
  write_out(at, "AT+NMGS=2,AA00\r", 2600);
  bc_at_tick(at, 4600);
  submit(at, "AT", NULL, 0, 0, 3);
  write_out(at, "AT+CMEE?\r", 4700);
  feed(at, "\r\n+CPIN: READY\r\n", 4800);
  CHECK_EQ_INT(count(BC_AT_EV_REBOOT), 1);
  CHECK_EQ_INT(evs[n_evs - 2].tag, 3);
  CHECK_EQ_INT(evs[n_evs - 2].result, BC_AT_RESULT_REBOOT);
  write_out(at, "", 4900); /* nothing queued: nothing to write */
  submit(at, "AT", NULL, 0, 0, 4);
  write_out(at, "AT+CSCON?\r", 5000);
  n_evs = 0;
  feed(at, "\r\n+CMEE: 1\r\n\r\nOK\r\n", 5100); /* settles the owed command too */
  write_out(at, "", 5150);                            /* AT+CSCON? is still owed */
  feed(at, "\r\n+CSCON: 0,1\r\n\r\nOK\r\n", 5160);
  write_out(at, "AT\r", 5200);
  feed(at, "\r\nOK\r\n", 5300);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].tag, 4);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  bc_at_free(at);
}

/* Echo is on after a reboot: the running command's echo is dropped, its answer intact. */
static void test_echo_after_reboot(void) {
  bc_at_engine *at = mk(NULL);
  feed(at, "\r\n+CPIN: READY\r\n", 0);
  n_evs = 0;
  submit(at, "ATI", NULL, 0, BC_AT_CMD_TEXT_LINES, 1);
  write_out(at, "ATI\r", 10);
  feed(at, "ATI\r\r\nQuectel_Ltd\r\nQuectel_BC260Y-CN\r\n\r\nOK\r\n", 20);
  submit(at, "AT+CFUN?", EXP_CFUN_Q, 1, 0, 2);
  write_out(at, "AT+CFUN?\r", 30);
  feed(at, "AT+CFUN?\r\r\n+CFUN: 1\r\n\r\nOK\r\n", 40);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_STR(evs[0].lines, "Quectel_Ltd|Quectel_BC260Y-CN");
  CHECK_EQ_STR(evs[1].lines, "+CFUN: 1");
  CHECK_EQ_INT(bc_at_get_counters(at)->reboots, 1);
  bc_at_free(at);
}

/* A module that booted still answers a command it read after booting (the guide's 5.2.5
 * session: the host writes AT, the module prints +CPIN: READY, then OK). The command in
 * flight fails with the reboot but may still be answered: its OK is its late answer, and
 * the next command gets its own answer, not the shifted one. */
static void test_command_in_flight_at_reboot(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT", NULL, 0, 0, 1);
  write_out(at, "AT\r", 0);
  feed(at, "\r\n+CPIN: READY\r\n", 10);
  CHECK_EQ_INT(evs[0].tag, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_REBOOT);
  CHECK_EQ_INT(count(BC_AT_EV_REBOOT), 1);
  n_evs = 0;
  feed(at, "\r\nOK\r\n", 20); /* AT's own answer, read after the boot */
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_LATE);
  CHECK_EQ_INT(evs[0].tag, 1);
  CHECK(evs[0].is_final);
  n_evs = 0;
  submit(at, "AT+CFUN?", EXP_CFUN_Q, 1, 0, 2);
  write_out(at, "AT+CFUN?\r", 30); /* the debt is paid: no probe */
  feed(at, "\r\n+CFUN: 1\r\n\r\nOK\r\n", 40);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].tag, 2);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  CHECK_EQ_STR(evs[0].lines, "+CFUN: 1");
  bc_at_free(at);
  /* The module lost the command in the reboot: the probe's answer line comes first,
   * nothing was owed, and the next command gets its own answer. */
  at = mk(NULL);
  submit(at, "AT+NMGS=2,AA00", NULL, 0, 0, 1);
  write_out(at, "AT+NMGS=2,AA00\r", 0);
  feed(at, "\r\nRDY\r\n", 10);
  n_evs = 0;
  submit(at, "AT+CFUN?", EXP_CFUN_Q, 1, 0, 2);
  write_out(at, "AT+CMEE?\r", 20);
  feed(at, "\r\n+CMEE: 1\r\n\r\nOK\r\n", 30);
  write_out(at, "AT+CFUN?\r", 40);
  feed(at, "\r\n+CFUN: 1\r\n\r\nOK\r\n", 50);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].tag, 2);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  CHECK_EQ_STR(evs[0].lines, "+CFUN: 1");
  bc_at_free(at);
}

int main(void) {
  test_each_marker_alone();
  test_banner_is_one_reboot();
  test_expected_marker_is_an_answer();
  test_owed_marker_is_a_late_answer();
  test_echo_after_reboot();
  test_command_in_flight_at_reboot();
  return CHECK_DONE();
}
