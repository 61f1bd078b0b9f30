/* test_at_answers.c: whole answers for any command (docs/design.md, "Whole answers"):
 * every line between a command's write and its final result is the command's answer
 * unless it is a known URC, its echo, a reboot or a resync probe's marker; whatever its
 * shape (bare text, an unknown +X: prefix, several lines). Commands get their shapes
 * from bc_expect_for, as the library submits them. */
#include "at_harness.h"

static int submit_as_library(bc_at_engine *at, const char *text, uint64_t tag) {
  bc_expect e;
  bc_expect_for(text, strlen(text), &e);
  return submit(at, text, e.match, e.n, 0, tag);
}

static void short_timeouts(bc_at_config *c) {
  c->first_byte_ms = 100;
  c->total_ms = 300;
}

/* AT+CIMI's IMSI is a bare line: the answer, not an unknown event. */
static void test_bare_text_answer(void) {
  bc_at_engine *at = mk(NULL);
  CHECK_EQ_INT(submit_as_library(at, "AT+CIMI", 1), 0);
  write_out(at, "AT+CIMI\r", 0);
  feed(at, "AT+CIMI\r\r\n460001234567890\r\n\r\nOK\r\n", 10);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_STR(evs[0].lines, "460001234567890");
  CHECK_EQ_INT(bc_at_get_counters(at)->unknown, 0);
  bc_at_free(at);
}

/* Several lines of any shape, an unknown prefix among them, and a set command's answer
 * (which expects nothing): all the command's, in order. */
static void test_lines_of_any_shape(void) {
  bc_at_engine *at = mk(NULL);
  submit_as_library(at, "AT+QFOO?", 1);
  write_out(at, "AT+QFOO?\r", 0);
  feed(at, "\r\n+QBAR: 1,\"a,b\"\r\nsome text\r\n+QFOO:2\r\n\r\nOK\r\n", 10);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_STR(evs[0].lines, "+QBAR: 1,\"a,b\"|some text|+QFOO:2");
  n_evs = 0;
  submit_as_library(at, "AT+QCFG=\"x\"", 2);
  write_out(at, "AT+QCFG=\"x\"\r", 20);
  feed(at, "\r\n+QCFG: \"x\",1\r\n\r\nOK\r\n", 30);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_STR(evs[0].lines, "+QCFG: \"x\",1");
  bc_at_free(at);
}

/* A known URC inside an answer stays a URC, a same-prefix URC too ("+CSCON: 1" while
 * AT+CSCON? waits for "+CSCON: <n>,<mode>"), and the echo is dropped. */
static void test_urcs_inside_an_answer(void) {
  bc_at_engine *at = mk(NULL);
  submit_as_library(at, "AT+CIMI", 1);
  write_out(at, "AT+CIMI\r", 0);
  feed(at, "AT+CIMI\r\r\n+QLWEVTIND: 3\r\n460001234567890\r\n+CSCON:1\r\n\r\nOK\r\n", 10);
  CHECK_EQ_INT(n_evs, 3);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_URC);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_URC);
  CHECK_EQ_STR(evs[1].text, "+CSCON:1");
  CHECK_EQ_STR(evs[2].lines, "460001234567890");
  n_evs = 0;
  submit_as_library(at, "AT+CSCON?", 2);
  write_out(at, "AT+CSCON?\r", 20);
  feed(at, "\r\n+CSCON: 1\r\n+CSCON: 1,0\r\n\r\nOK\r\n", 30);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_URC);
  CHECK_EQ_STR(evs[1].lines, "+CSCON: 1,0");
  bc_at_free(at);
}

/* With nothing running, or before the command is completely written, a line nobody
 * claims stays an unknown event: only a written command can be answered. */
static void test_unknown_without_a_command(void) {
  bc_at_engine *at = mk(NULL);
  feed(at, "\r\n460001234567890\r\n+QNEW: 1\r\n", 0);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_UNKNOWN);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_UNKNOWN);
  n_evs = 0;
  submit_as_library(at, "AT+CIMI", 1);
  size_t len;
  bc_at_output(at, &len);
  bc_at_output_consumed(at, 3, 5); /* "AT+" of "AT+CIMI\r" */
  feed(at, "\r\nearly\r\n", 6);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_UNKNOWN);
  bc_at_free(at);
}

/* A resync probe's marker nobody waits for is not taken into an answer: the final after
 * it is that old answer's, not the running command's (at_resync.c, stray marker). */
static void test_stray_marker_is_not_an_answer(void) {
  bc_at_engine *at = mk(NULL);
  submit_as_library(at, "AT+CIMI", 1);
  write_out(at, "AT+CIMI\r", 0);
  feed(at, "\r\n+CMEE: 1\r\n\r\nOK\r\n", 10);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_UNKNOWN);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_UNOWED);
  feed(at, "\r\n460001234567890\r\n\r\nOK\r\n", 20);
  CHECK_EQ_INT(n_evs, 3);
  CHECK_EQ_STR(evs[2].lines, "460001234567890");
  bc_at_free(at);
}

/* After a timeout, a bare line is the owed command's late answer line, with its tag, and
 * the next command gets its own answer after the resync. */
static void test_late_bare_answer(void) {
  bc_at_engine *at = mk(short_timeouts);
  submit_as_library(at, "AT+CIMI", 1);
  write_out(at, "AT+CIMI\r", 0);
  bc_at_tick(at, 400);
  feed(at, "\r\n460001234567890\r\n\r\nOK\r\n", 500);
  CHECK_EQ_INT(n_evs, 3);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_TIMEOUT);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_LATE);
  CHECK_EQ_INT(evs[1].tag, 1);
  CHECK_EQ_INT(evs[1].is_final, 0);
  CHECK_EQ_STR(evs[1].text, "460001234567890");
  CHECK_EQ_INT(evs[2].is_final, 1);
  n_evs = 0;
  submit_as_library(at, "AT+CGMR", 2);
  write_out(at, "AT+CGMR\r", 600);
  feed(at, "\r\nRevision: BC260YCNAAR02A02\r\n\r\nOK\r\n", 610);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_STR(evs[0].lines, "Revision: BC260YCNAAR02A02");
  bc_at_free(at);
}

/* A late bare line while a probe is out: still the owed command's (it was written first,
 * and the module answers in order); the probe's marker then settles everything. */
static void test_late_bare_line_before_the_probe(void) {
  bc_at_engine *at = mk(short_timeouts);
  submit_as_library(at, "AT+CIMI", 1);
  write_out(at, "AT+CIMI\r", 0);
  bc_at_tick(at, 400);
  submit_as_library(at, "AT", 2);
  write_out(at, "AT+CMEE?\r", 410);
  feed(at, "\r\n460001234567890\r\nAT+CMEE?\r\r\n+CMEE: 1\r\n\r\nOK\r\n", 420);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_LATE);
  CHECK_EQ_STR(evs[1].text, "460001234567890");
  write_out(at, "AT\r", 430);
  feed(at, "\r\nOK\r\n", 440);
  CHECK_EQ_INT(n_evs, 3);
  CHECK_EQ_INT(evs[2].tag, 2);
  CHECK_EQ_INT(evs[2].result, BC_AT_RESULT_OK);
  bc_at_free(at);
}

/* BC_AT_CMD_TEXT_LINES is retired: accepted, and the answer is the same without it. */
static void test_text_lines_flag_accepted(void) {
  bc_at_engine *at = mk(NULL);
  CHECK_EQ_INT(submit(at, "ATI", NULL, 0, BC_AT_CMD_TEXT_LINES, 1), 0);
  write_out(at, "ATI\r", 0);
  feed(at, "\r\nQuectel_Ltd\r\nQuectel_BC260Y-CN\r\n\r\nOK\r\n", 10);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_STR(evs[0].lines, "Quectel_Ltd|Quectel_BC260Y-CN");
  bc_at_free(at);
}

int main(void) {
  test_bare_text_answer();
  test_lines_of_any_shape();
  test_urcs_inside_an_answer();
  test_unknown_without_a_command();
  test_stray_marker_is_not_an_answer();
  test_late_bare_answer();
  test_late_bare_line_before_the_probe();
  test_text_lines_flag_accepted();
  return CHECK_DONE();
}
