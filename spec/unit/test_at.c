/* test_at.c: the AT engine's rules, one test per rule of core/at.h and docs/design.md: line
 * ends, classification order, same-prefix shapes, echo, prompt, timeouts, reboot,
 * overflow, back-pressure and the failure catalogue (TinyGSM #682, Zephyr PR #67527).
 * Late answers after a timeout (esp-protocols PR #125): test_at_late.c; boot markers:
 * test_at_boot.c; line lengths: test_at_lines.c.
 */
#include "at_harness.h"

static const bc_at_match EXP_CGPADDR[] = {{"+CGPADDR", 1, -1}};
static const bc_at_match EXP_NNMI_Q[] = {{"+NNMI", 1, 1}};
static const bc_at_match EXP_CSCON_Q[] = {{"+CSCON", 2, 2}};

static void test_count_fields(void) {
  CHECK_EQ_INT(bc_at_count_fields("+NNMI", 5, "+NNMI"), 0);
  CHECK_EQ_INT(bc_at_count_fields("+NNMI: 1", 8, "+NNMI"), 1);
  CHECK_EQ_INT(bc_at_count_fields("+NNMI:1", 7, "+NNMI"), 1);
  CHECK_EQ_INT(bc_at_count_fields("+NNMI: 4,AAAA0000", 17, "+NNMI"), 2);
  CHECK_EQ_INT(bc_at_count_fields("+NNMI:4,AAAA0000", 16, "+NNMI"), 2);
  const char *q = "+QIND: \"FOTA\",\"DOWNLOADING\",512";
  CHECK_EQ_INT(bc_at_count_fields(q, strlen(q), "+QIND"), 3);
  const char *q2 = "+QIND: \"FO,TA\",\"a,b,c\",512";
  CHECK_EQ_INT(bc_at_count_fields(q2, strlen(q2), "+QIND"), 3);
  const char *q3 = "+QIND: \"FOTA\", \"UPDATING\", 100%, 1,1";
  CHECK_EQ_INT(bc_at_count_fields(q3, strlen(q3), "+QIND"), 5);
  CHECK_EQ_INT(bc_at_count_fields("+NNMIX: 1", 9, "+NNMI"), -1);
  CHECK_EQ_INT(bc_at_count_fields("+CSCON", 6, "+NNMI"), -1);
  CHECK_EQ_INT(bc_at_count_fields("+NN", 3, "+NNMI"), -1);
  CHECK_EQ_INT(bc_at_count_fields("+NNMI:", 6, "+NNMI"), 0);
  const char *b = "BUFFERED=1,RECEIVED=1,DROPPED=0";
  CHECK_EQ_INT(bc_at_count_fields(b, strlen(b), "BUFFERED="), 3);
}

static void test_config(void) {
  bc_at_config cfg;
  bc_at_config_defaults(&cfg);
  CHECK_EQ_INT(cfg.line_max, BC_AT_LINE_MIN);
  CHECK_EQ_INT(cfg.total_ms, 5000);
  cfg.line_max = 5131; /* a 2560-byte downlink is 5120 hex digits plus "+NNMI: 2560," */
  CHECK(bc_at_new(&cfg) == NULL);
  bc_at_config_defaults(&cfg);
  cfg.queue_max = 0;
  CHECK(bc_at_new(&cfg) == NULL);
  bc_at_config_defaults(&cfg);
  cfg.n_urcs = 2; /* but no table */
  CHECK(bc_at_new(&cfg) == NULL);
}

static void test_simple_response(void) {
  bc_at_engine *at = mk(NULL);
  CHECK_EQ_INT(submit(at, "AT+CGPADDR?", EXP_CGPADDR, 1, 0, 7), 0);
  CHECK_EQ_INT(bc_at_pending(at), 1);
  write_out(at, "AT+CGPADDR?\r", 0);
  feed(at, "\r\n+CGPADDR: 0,\"11.168.11.169\"\r\n\r\nOK\r\n", 10);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(evs[0].tag, 7);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  CHECK_EQ_STR(evs[0].text, "OK");
  CHECK_EQ_STR(evs[0].lines, "+CGPADDR: 0,\"11.168.11.169\"");
  CHECK_EQ_INT(bc_at_pending(at), 0);
  /* the no-space spelling is the same answer */
  n_evs = 0;
  submit(at, "AT+CGPADDR?", EXP_CGPADDR, 1, 0, 8);
  write_out(at, "AT+CGPADDR?\r", 20);
  feed(at, "\r\n+CGPADDR:0,\"1.2.3.4\"\r\nOK\r\n", 30);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_STR(evs[0].lines, "+CGPADDR:0,\"1.2.3.4\"");
  bc_at_free(at);
}

static void test_nnmi_shapes(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+NNMI?", EXP_NNMI_Q, 1, 0, 1);
  write_out(at, "AT+NNMI?\r", 0);
  feed(at, "\r\n+NNMI: 4,AAAA0000\r\n\r\n+NNMI: 1\r\n\r\n+NNMI\r\n\r\n+NNMI:2,BBBB\r\n\r\nOK\r\n", 5);
  CHECK_EQ_INT(n_evs, 4);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_URC);
  CHECK_EQ_STR(evs[0].text, "+NNMI: 4,AAAA0000");
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_URC);
  CHECK_EQ_STR(evs[1].text, "+NNMI");
  CHECK_EQ_INT(evs[2].type, BC_AT_EV_URC);
  CHECK_EQ_STR(evs[2].text, "+NNMI:2,BBBB");
  CHECK_EQ_INT(evs[3].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(evs[3].n_lines, 1);
  CHECK_EQ_STR(evs[3].lines, "+NNMI: 1");
  /* with no command running, "+NNMI: 1" matches no URC shape: unknown, not dropped */
  n_evs = 0;
  feed(at, "\r\n+NNMI: 1\r\n", 6);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_UNKNOWN);
  bc_at_free(at);
}

static void test_cscon_shapes(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+CSCON?", EXP_CSCON_Q, 1, 0, 1);
  write_out(at, "AT+CSCON?\r", 0);
  feed(at, "\r\n+CSCON:0\r\n\r\n+CSCON: 0,1\r\n\r\n+CSCON: 1\r\n\r\nOK\r\n", 1);
  CHECK_EQ_INT(n_evs, 3);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_URC);
  CHECK_EQ_STR(evs[0].text, "+CSCON:0");
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_URC);
  CHECK_EQ_STR(evs[1].text, "+CSCON: 1");
  CHECK_EQ_INT(evs[2].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_STR(evs[2].lines, "+CSCON: 0,1");
  bc_at_free(at);
}

static void test_quoted_urc(void) {
  bc_at_engine *at = mk(NULL);
  feed(at, "\r\n+QIND: \"FOTA\",\"DOWNLOADING\",512\r\n", 0);
  /* a comma inside quotes must not add a field: 2 fields is in the table's 2..5 */
  feed(at, "\r\n+QIND: \"FOTA,X\",\"START\"\r\n", 0);
  /* 6 fields is no known shape */
  feed(at, "\r\n+QIND: 1,2,3,4,5,6\r\n", 0);
  CHECK_EQ_INT(n_evs, 3);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_URC);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_URC);
  CHECK_EQ_INT(evs[2].type, BC_AT_EV_UNKNOWN);
  CHECK_EQ_STR(evs[2].text, "+QIND: 1,2,3,4,5,6");
  bc_at_free(at);
}

static void test_line_ends(void) {
#define V(x) {x, sizeof(x) - 1}
  static const struct {
    const char *s;
    size_t n;
  } variants[] = {
      V("+QLWEVTIND: 0\r+QLWEVTIND: 3\r"),
      V("+QLWEVTIND: 0\n+QLWEVTIND: 3\n"),
      V("\r\n+QLWEVTIND: 0\r\n\r\n+QLWEVTIND: 3\r\n"),
      V("+QLWEVTIND: 0\r\r\n+QLWEVTIND: 3\r\r\n"),
      V("\0\r\n+QLWEVT\0IND: 0\r\n\0\0\r\n\n\n+QLWEVTIND: 3\r\n\0"),
  };
#undef V
  for (size_t v = 0; v < 5; v++) {
    bc_at_engine *at = mk(NULL);
    feedn(at, variants[v].s, variants[v].n, 0);
    CHECK_EQ_INT(n_evs, 2);
    CHECK_EQ_INT(evs[0].type, BC_AT_EV_URC);
    CHECK_EQ_STR(evs[0].text, "+QLWEVTIND: 0");
    CHECK_EQ_INT(evs[1].type, BC_AT_EV_URC);
    CHECK_EQ_STR(evs[1].text, "+QLWEVTIND: 3");
    CHECK_EQ_INT(bc_at_get_counters(at)->lines, 2);
    bc_at_free(at);
  }
}

/* Zephyr PR #67527: an answer or a final before the command is completely written
 * belongs to something else. */
static void test_not_before_written(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+CGPADDR?", EXP_CGPADDR, 1, 0, 1);
  feed(at, "\r\n+CGPADDR: 0,\"9.9.9.9\"\r\n\r\nOK\r\n", 0); /* nothing written yet */
  size_t len;
  bc_at_output(at, &len);
  bc_at_output_consumed(at, len - 1, 1); /* all but the CR */
  feed(at, "\r\nOK\r\n", 2);
  CHECK_EQ_INT(n_evs, 3);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_UNKNOWN);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_UNOWED); /* a final nobody owes (issue 19, item 3) */
  CHECK_EQ_INT(evs[2].type, BC_AT_EV_UNOWED);
  CHECK_EQ_INT(bc_at_pending(at), 1);
  CHECK_EQ_INT(bc_at_next_deadline(at), UINT64_MAX); /* timers start once written */
  bc_at_output_consumed(at, 1, 3);
  CHECK_EQ_INT(bc_at_next_deadline(at), 3 + 2000);
  feed(at, "\r\n+CGPADDR: 0,\"1.1.1.1\"\r\n\r\nOK\r\n", 4);
  CHECK_EQ_INT(n_evs, 4);
  CHECK_EQ_INT(evs[3].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_STR(evs[3].lines, "+CGPADDR: 0,\"1.1.1.1\"");
  bc_at_free(at);
}

/* TinyGSM #682: a URC between answer lines is a URC, never part of the answer. */
static void test_urc_between_answer_lines(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+CGPADDR?", EXP_CGPADDR, 1, 0, 1);
  write_out(at, "AT+CGPADDR?\r", 0);
  feed(at, "\r\n+CGPADDR: 0,\"1.1.1.1\"\r\n\r\n+QLWEVTIND: 3\r\n"
           "\r\n+CGPADDR: 1,\"2.2.2.2\",\"::1\"\r\n\r\nOK\r\n", 1);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_URC);
  CHECK_EQ_STR(evs[0].text, "+QLWEVTIND: 3");
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(evs[1].n_lines, 2);
  CHECK_EQ_STR(evs[1].lines, "+CGPADDR: 0,\"1.1.1.1\"|+CGPADDR: 1,\"2.2.2.2\",\"::1\"");
  bc_at_free(at);
}

static void test_echo(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+CGPADDR?", EXP_CGPADDR, 1, 0, 1);
  write_out(at, "AT+CGPADDR?\r", 0);
  feed(at, "AT+CGPADDR?\r\r\n+CGPADDR: 0,\"1.1.1.1\"\r\n\r\nOK\r\n", 1);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(evs[0].n_lines, 1);
  /* after a reboot the module echoes again even though the host sent ATE0 before */
  n_evs = 0;
  feed(at, "\r\nRDY\r\n", 2);
  submit(at, "AT+QSCLK=0", NULL, 0, 0, 2);
  write_out(at, "AT+QSCLK=0\r", 3);
  feed(at, "AT+QSCLK=0\r\r\nOK\r\n", 4);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_REBOOT);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(evs[1].result, BC_AT_RESULT_OK);
  CHECK_EQ_INT(evs[1].n_lines, 0);
  /* an echo of something that is not running is not silently dropped */
  n_evs = 0;
  feed(at, "AT+QSCLK=0\r\n", 5);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_UNKNOWN);
  bc_at_free(at);
}

static void test_reboot(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+CGPADDR?", EXP_CGPADDR, 1, 0, 1);
  submit(at, "AT+NNMI?", EXP_NNMI_Q, 1, 0, 2);
  submit(at, "AT+CSCON?", EXP_CSCON_Q, 1, 0, 3);
  write_out(at, "AT+CGPADDR?\r", 0);
  feed(at, "\r\n+CGPADDR: 0,\"1.1.1.1\"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n", 1);
  CHECK_EQ_INT(n_evs, 6);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(evs[0].tag, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_REBOOT);
  CHECK_EQ_STR(evs[0].text, "RDY");
  CHECK_EQ_STR(evs[0].lines, "+CGPADDR: 0,\"1.1.1.1\"");
  CHECK_EQ_INT(evs[1].tag, 2);
  CHECK_EQ_INT(evs[1].result, BC_AT_RESULT_REBOOT);
  CHECK_EQ_INT(evs[2].tag, 3);
  CHECK_EQ_INT(evs[2].result, BC_AT_RESULT_REBOOT);
  CHECK_EQ_INT(evs[3].type, BC_AT_EV_REBOOT);
  CHECK_EQ_INT(evs[4].type, BC_AT_EV_URC);
  CHECK_EQ_INT(evs[5].type, BC_AT_EV_URC);
  CHECK_EQ_INT(bc_at_pending(at), 0);
  size_t len;
  CHECK(bc_at_output(at, &len) == NULL && len == 0);
  CHECK_EQ_INT(bc_at_get_counters(at)->reboots, 1);
  bc_at_free(at);
}

static void test_errors(void) {
  bc_at_engine *at = mk(NULL);
  const char *finals[] = {"\r\n+CME ERROR: 959\r\n", "\r\n+CMS ERROR:500\r\n", "\r\nERROR\r\n",
                          "\r\n+CME ERROR: operation not allowed\r\n"};
  bc_at_result want[] = {BC_AT_RESULT_CME, BC_AT_RESULT_CMS, BC_AT_RESULT_ERROR, BC_AT_RESULT_CME};
  int codes[] = {959, 500, 0, -1};
  for (int i = 0; i < 4; i++) {
    n_evs = 0;
    submit(at, "AT+NMGS=1,00", NULL, 0, 0, (uint64_t)i);
    write_out(at, "AT+NMGS=1,00\r", 0);
    feed(at, finals[i], 1);
    CHECK_EQ_INT(n_evs, 1);
    CHECK_EQ_INT(evs[0].type, BC_AT_EV_RESPONSE);
    CHECK_EQ_INT(evs[0].result, want[i]);
    CHECK_EQ_INT(evs[0].code, codes[i]);
  }
  bc_at_free(at);
}

static void test_command_finals(void) {
  bc_at_engine *at = mk(NULL);
  static const bc_at_match fin[] = {{"SEND OK", 0, 0}, {"SEND FAIL", 0, 0}};
  bc_at_cmd c;
  memset(&c, 0, sizeof c);
  c.text = "AT+QISEND=0,5";
  c.len = strlen(c.text);
  c.finals = fin;
  c.n_finals = 2;
  c.flags = BC_AT_CMD_PROMPT;
  c.payload = "hello";
  c.payload_len = 5;
  c.tag = 9;
  CHECK_EQ_INT(bc_at_submit(at, &c), 0);
  write_out(at, "AT+QISEND=0,5\r", 0);
  size_t len;
  CHECK(bc_at_output(at, &len) == NULL); /* nothing until the prompt */
  feed(at, "AT+QISEND=0,5\r\r\n> ", 1);
  write_out(at, "hello\x1a", 2);
  feed(at, "\r\nSEND OK\r\n", 3);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_FINAL);
  CHECK_EQ_STR(evs[0].text, "SEND OK");
  CHECK_EQ_INT(evs[0].tag, 9);
  bc_at_free(at);
}

static void test_prompt_forms(void) {
  const char *prompts[] = {">", "> ", "\r\n>", "\r\n> ", "\r\n>\r\n"};
  for (int i = 0; i < 5; i++) {
    bc_at_engine *at = mk(NULL);
    bc_at_cmd c;
    memset(&c, 0, sizeof c);
    c.text = "AT+SEND=3";
    c.len = 9;
    c.flags = BC_AT_CMD_PROMPT;
    c.payload = "abc";
    c.payload_len = 3;
    bc_at_submit(at, &c);
    write_out(at, "AT+SEND=3\r", 0);
    feed(at, prompts[i], 1);
    write_out(at, "abc\x1a", 2);
    feed(at, "\r\nOK\r\n", 3);
    CHECK_EQ_INT(n_evs, 1);
    CHECK_EQ_INT(evs[0].type, BC_AT_EV_RESPONSE);
    CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
    bc_at_free(at);
  }
  /* a '>' for a command that wants no prompt is a line like any other: its answer */
  bc_at_engine *at = mk(NULL);
  submit(at, "AT", NULL, 0, 0, 1);
  write_out(at, "AT\r", 0);
  feed(at, "> \r\nOK\r\n", 1);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_STR(evs[0].lines, "> ");
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  /* the timers restart once the payload is written */
  n_evs = 0;
  bc_at_cmd c;
  memset(&c, 0, sizeof c);
  c.text = "AT+SEND=1";
  c.len = 9;
  c.flags = BC_AT_CMD_PROMPT;
  c.payload = "x";
  c.payload_len = 1;
  c.first_byte_ms = 100;
  c.total_ms = 1000;
  bc_at_submit(at, &c);
  write_out(at, "AT+SEND=1\r", 10);
  CHECK_EQ_INT(bc_at_next_deadline(at), 110);
  feed(at, "> ", 50);
  CHECK_EQ_INT(bc_at_next_deadline(at), 1010);
  write_out(at, "x\x1a", 900);
  CHECK_EQ_INT(bc_at_next_deadline(at), 1000);
  bc_at_tick(at, 999);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 0);
  bc_at_tick(at, 1000);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_TIMEOUT);
  bc_at_free(at);
}

/* A prompt command given up before its '>' (issue 26, item 5): when the prompt comes
 * late, the module waits for a payload the engine will never send, and would swallow
 * whatever is written next (the resync's probe, the next command) as that payload. The
 * engine cancels the prompt with ESC, as modules expect, and talks on normally. */
static void test_late_prompt_is_cancelled(void) {
  bc_at_engine *at = mk(NULL);
  bc_at_cmd c;
  memset(&c, 0, sizeof c);
  c.text = "AT+SEND=3";
  c.len = 9;
  c.flags = BC_AT_CMD_PROMPT;
  c.payload = "abc";
  c.payload_len = 3;
  c.first_byte_ms = 100;
  c.total_ms = 1000;
  c.tag = 1;
  bc_at_submit(at, &c);
  write_out(at, "AT+SEND=3\r", 0);
  bc_at_tick(at, 100); /* no prompt in time */
  pop_all(at);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_TIMEOUT);
  n_evs = 0;
  feed(at, "> ", 200); /* the prompt, late */
  size_t len;
  const uint8_t *out = bc_at_output(at, &len);
  CHECK(out != NULL);
  CHECK_EQ_INT(len, 1);
  CHECK_EQ_INT(out[0], 0x1b); /* ESC, before anything else is written */
  bc_at_output_consumed(at, 1, 201);
  /* the module drops the send; its final is the given-up command's late answer */
  feed(at, "\r\nERROR\r\n", 250);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_LATE);
  CHECK_EQ_INT(evs[0].tag, 1);
  /* and the next command goes out as usual */
  n_evs = 0;
  submit(at, "AT", NULL, 0, 0, 2);
  write_out(at, "AT\r", 300);
  feed(at, "\r\nOK\r\n", 310);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].tag, 2);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  bc_at_free(at);
}

static void test_timeouts(void) {
  bc_at_engine *at = mk(NULL);
  /* first byte: silence */
  bc_at_cmd c;
  memset(&c, 0, sizeof c);
  c.text = "AT";
  c.len = 2;
  c.first_byte_ms = 100;
  c.total_ms = 1000;
  c.tag = 1;
  bc_at_submit(at, &c);
  CHECK_EQ_INT(bc_at_next_deadline(at), UINT64_MAX);
  write_out(at, "AT\r", 10);
  CHECK_EQ_INT(bc_at_next_deadline(at), 110);
  bc_at_tick(at, 109);
  CHECK_EQ_INT(n_evs, 0);
  bc_at_tick(at, 110);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_TIMEOUT);
  CHECK(!evs[0].has_text);
  CHECK_EQ_INT(bc_at_get_counters(at)->timeouts, 1);
  bc_at_free(at);
  /* total: the module talks (a URC) but never answers */
  at = mk(NULL);
  c.tag = 2;
  bc_at_submit(at, &c);
  write_out(at, "AT\r", 200);
  feed(at, "\r\n+CSCON:1\r\n", 250);
  CHECK_EQ_INT(bc_at_next_deadline(at), 1200);
  bc_at_tick(at, 1199);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 1);
  bc_at_tick(at, 1200);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[1].tag, 2);
  CHECK_EQ_INT(evs[1].result, BC_AT_RESULT_TIMEOUT);
  CHECK_EQ_INT(bc_at_pending(at), 0);
  bc_at_free(at);
}

static void short_timeouts(bc_at_config *c) {
  c->first_byte_ms = 100;
  c->total_ms = 500;
}

/* Drives the engine against a silent module: takes every output, ticks to every deadline,
 * until `timeouts` deadlines have passed. */
static uint64_t run_silent(bc_at_engine *at, uint64_t t, int timeouts) {
  for (int step = 0; step < 40 && timeouts > 0; step++) {
    size_t len;
    if (bc_at_output(at, &len)) {
      bc_at_output_consumed(at, len, t);
      continue;
    }
    t = bc_at_next_deadline(at);
    if (t == UINT64_MAX) break;
    bc_at_tick(at, t);
    pop_all(at);
    timeouts--;
  }
  CHECK_EQ_INT(timeouts, 0);
  return t;
}

static size_t count_type(bc_at_event_type type) {
  size_t k = 0;
  for (size_t i = 0; i < n_evs; i++) k += evs[i].type == type;
  return k;
}

/* Timeouts in a row, resync probes included (tags 2 and 3 wait for one each, and fail
 * unsent with it), raise BC_AT_EV_UNRESPONSIVE once, at the third; any received line starts
 * the count again. */
static void test_unresponsive(void) {
  bc_at_engine *at = mk(NULL);
  for (uint64_t tag = 1; tag <= 3; tag++) submit(at, "AT", NULL, 0, 0, tag);
  uint64_t t = run_silent(at, 0, 2);
  CHECK_EQ_INT(count_type(BC_AT_EV_RESPONSE), 2);
  CHECK_EQ_INT(count_type(BC_AT_EV_UNRESPONSIVE), 0);
  t = run_silent(at, t, 1);
  CHECK_EQ_INT(count_type(BC_AT_EV_RESPONSE), 3);
  CHECK_EQ_INT(count_type(BC_AT_EV_UNRESPONSIVE), 1);
  /* the first timed out; tags 2 and 3 were never written */
  for (size_t i = 0; i < n_evs; i++)
    if (evs[i].type == BC_AT_EV_RESPONSE)
      CHECK_EQ_INT(evs[i].result, evs[i].tag == 1 ? BC_AT_RESULT_TIMEOUT : BC_AT_RESULT_UNSENT);
  feed(at, "\r\n+CSCON:0\r\n", t); /* any line: the module is alive again */
  n_evs = 0;
  for (uint64_t tag = 4; tag <= 5; tag++) submit(at, "AT", NULL, 0, 0, tag);
  run_silent(at, t, 2);
  CHECK_EQ_INT(count_type(BC_AT_EV_RESPONSE), 2);
  CHECK_EQ_INT(count_type(BC_AT_EV_UNRESPONSIVE), 0);
  bc_at_free(at);
}

static void small_answer(bc_at_config *c) { c->answer_max = 40; }

static void test_answer_overflow(void) {
  bc_at_engine *at = mk(small_answer);
  submit(at, "AT+CGPADDR?", EXP_CGPADDR, 1, 0, 1);
  write_out(at, "AT+CGPADDR?\r", 0);
  feed(at, "\r\n+CGPADDR: 0,\"1.1.1.1\"\r\n\r\n+CGPADDR: 1,\"2.2.2.2\"\r\n\r\nOK\r\n", 1);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OVERFLOW);
  CHECK_EQ_INT(evs[0].n_lines, 1); /* what fitted, and a result that says it is partial */
  /* an error stays an error */
  n_evs = 0;
  submit(at, "AT+CGPADDR?", EXP_CGPADDR, 1, 0, 2);
  write_out(at, "AT+CGPADDR?\r", 2);
  feed(at, "\r\n+CGPADDR: 0,\"1.1.1.1\"\r\n\r\n+CGPADDR: 1,\"2.2.2.2\"\r\n\r\n+CME ERROR: 1\r\n", 3);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_CME);
  /* and the next command starts clean */
  n_evs = 0;
  submit(at, "AT+CGPADDR?", EXP_CGPADDR, 1, 0, 3);
  write_out(at, "AT+CGPADDR?\r", 4);
  feed(at, "\r\n+CGPADDR: 0,\"1.1.1.1\"\r\nOK\r\n", 5);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  bc_at_free(at);
}

static void few_events(bc_at_config *c) { c->event_max = 4; }

static void test_back_pressure(void) {
  bc_at_engine *at = mk(few_events);
  char buf[2000] = "";
  for (int i = 0; i < 40; i++) strcat(buf, "\r\n+QLWEVTIND: 3\r\n");
  size_t n = strlen(buf);
  size_t used = bc_at_feed(at, (const uint8_t *)buf, n, 0);
  CHECK(used > 0 && used < n);
  size_t first = 0;
  bc_at_event e;
  while (bc_at_next_event(at, &e)) first++;
  CHECK(first >= 4 && first <= 5 + 16 + 3);
  n_evs = 0;
  feedn(at, buf + used, n - used, 0);
  CHECK_EQ_INT(first + n_evs, 40); /* nothing lost */
  CHECK_EQ_INT(bc_at_get_counters(at)->urcs, 40);
  CHECK_EQ_INT(bc_at_get_counters(at)->bytes_in, n);
  bc_at_free(at);
}

/* A caller that submits and aborts again and again without popping (fuzz_at found it,
 * spec/fuzz/regressions/fuzz_at-03efd6c...): every abort answers a command, and the answers
 * pile up in the event ring. Each accepted command must still be answered exactly once:
 * once the waiting events leave no room for the answers the engine may owe, bc_at_submit
 * refuses and says why; popping makes room again. */
static void few_events_short_queue(bc_at_config *c) {
  c->event_max = 4;
  c->queue_max = 2;
}

static void test_answers_never_dropped(void) {
  bc_at_engine *at = mk(few_events_short_queue);
  /* Events the caller has not popped yet: bc_at_feed stops once event_max are waiting. */
  char buf[400] = "";
  for (int i = 0; i < 10; i++) strcat(buf, "+QLWEVTIND: 3\r\n");
  CHECK(bc_at_feed(at, (const uint8_t *)buf, strlen(buf), 0) < strlen(buf));
  int accepted = 0, refused = 0;
  for (uint64_t tag = 0; tag < 200; tag++) {
    if (submit(at, "AT", NULL, 0, 0, tag) == 0) {
      accepted++;
    } else {
      refused++;
      CHECK_EQ_STR(bc_at_error(at), "events waiting: pop them first");
    }
    if (tag % 2 == 1) bc_at_abort_all(at); /* two answers owed at once, then none */
  }
  bc_at_abort_all(at);
  CHECK(accepted > 0);
  CHECK(refused > 0);
  n_evs = 0;
  pop_all(at);
  int responses = 0, aborted = 0;
  for (size_t i = 0; i < n_evs; i++)
    if (evs[i].type == BC_AT_EV_RESPONSE) {
      responses++;
      if (evs[i].result == BC_AT_RESULT_ABORTED) aborted++;
    }
  CHECK_EQ_INT(responses, accepted); /* none lost */
  CHECK_EQ_INT(aborted, accepted);
  /* popped: the engine takes commands again */
  CHECK_EQ_INT(submit(at, "AT", NULL, 0, 0, 999), 0);
  write_out(at, "AT\r", 1);
  n_evs = 0;
  feed(at, "\r\nOK\r\n", 2);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].tag, 999);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  bc_at_free(at);
}

static void test_submit_rules(void) {
  bc_at_engine *at = mk(NULL);
  CHECK_EQ_INT(submit(at, "AT\r+CFUN=0", NULL, 0, 0, 0), -1);
  CHECK(strstr(bc_at_error(at), "control") != NULL);
  CHECK_EQ_INT(submit(at, "AT\n", NULL, 0, 0, 0), -1);
  CHECK_EQ_INT(submit(at, "", NULL, 0, 0, 0), -1);
  bc_at_cmd c;
  memset(&c, 0, sizeof c);
  c.text = "AT";
  c.len = 5000;
  CHECK_EQ_INT(bc_at_submit(at, &c), -1);
  CHECK(strstr(bc_at_error(at), "long") != NULL);
  c.len = 2;
  c.payload = "a\x1a" "b";
  c.payload_len = 3;
  c.flags = BC_AT_CMD_PROMPT;
  CHECK_EQ_INT(bc_at_submit(at, &c), -1);
  static const bc_at_match longp[] = {{"+A_PREFIX_LONGER_THAN_32_BYTES_XXXX", 1, 1}};
  c.payload_len = 0;
  c.flags = 0;
  c.expect = longp;
  c.n_expect = 1;
  CHECK_EQ_INT(bc_at_submit(at, &c), -1);
  CHECK_EQ_INT(bc_at_pending(at), 0);
  size_t len;
  CHECK(bc_at_output(at, &len) == NULL); /* nothing refused reached the wire */
  /* the engine copies: the caller's text and prefixes may change right after */
  char text[16], prefix[16];
  strcpy(text, "AT+NNMI?");
  strcpy(prefix, "+NNMI");
  bc_at_match m = {prefix, 1, 1};
  c.text = text;
  c.len = strlen(text);
  c.expect = &m;
  c.n_expect = 1;
  c.tag = 77;
  CHECK_EQ_INT(bc_at_submit(at, &c), 0);
  memset(text, 'X', sizeof text - 1);
  memset(prefix, 'Y', sizeof prefix - 1);
  write_out(at, "AT+NNMI?\r", 0);
  feed(at, "\r\n+NNMI: 2\r\nOK\r\n", 1);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_STR(evs[0].lines, "+NNMI: 2");
  /* queue full at queue_max */
  for (int i = 0; i < 16; i++) CHECK_EQ_INT(submit(at, "AT", NULL, 0, 0, 0), 0);
  CHECK_EQ_INT(submit(at, "AT", NULL, 0, 0, 0), -1);
  CHECK_EQ_STR(bc_at_error(at), "queue full");
  bc_at_free(at);
}

static void test_abort(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+CGPADDR?", EXP_CGPADDR, 1, 0, 1);
  submit(at, "AT", NULL, 0, 0, 2);
  write_out(at, "AT+CGPADDR?\r", 0);
  feed(at, "\r\n+CGPADDR: 0,\"1.1.1.1\"\r\n+QLWEV", 1); /* a half line too */
  bc_at_abort_all(at);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_ABORTED);
  CHECK_EQ_INT(evs[0].tag, 1);
  CHECK_EQ_INT(evs[1].result, BC_AT_RESULT_ABORTED);
  CHECK_EQ_INT(evs[1].tag, 2);
  CHECK_EQ_INT(bc_at_pending(at), 0);
  CHECK_EQ_INT(bc_at_next_deadline(at), UINT64_MAX);
  /* a new port: the half line is gone, the engine works */
  n_evs = 0;
  feed(at, "TIND: 3\r\n+QLWEVTIND: 3\r\n", 2);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_UNKNOWN);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_URC);
  bc_at_free(at);
}

static void test_counters(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT", NULL, 0, 0, 1);
  write_out(at, "AT\r", 0);
  feed(at, "\r\n+QLWEVTIND: 3\r\n\r\nhello\r\n\r\nOK\r\n", 1);
  const bc_at_counters *k = bc_at_get_counters(at);
  CHECK_EQ_INT(k->bytes_out, 3);
  CHECK_EQ_INT(k->bytes_in, 17 + 9 + 6);
  CHECK_EQ_INT(k->lines, 3);
  CHECK_EQ_INT(k->urcs, 1);
  CHECK_EQ_INT(k->unknown, 0); /* "hello" is AT's answer (docs/design.md, "Whole answers") */
  CHECK_EQ_INT(k->commands, 1);
  bc_at_free(at);
}

/* A command with text lines (ATI, AT+NQMGR): non-'+' lines are its answer, a URC in
 * between is not, and its echo is not an answer line. */
static void test_text_lines(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+NQMGR", NULL, 0, BC_AT_CMD_TEXT_LINES, 1);
  write_out(at, "AT+NQMGR\r", 0);
  feed(at, "AT+NQMGR\r\r\n+CSCON:0\r\nBUFFERED=1,RECEIVED=1,DROPPED=0\r\n\r\nOK\r\n", 1);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_URC);
  CHECK_EQ_STR(evs[1].lines, "BUFFERED=1,RECEIVED=1,DROPPED=0");
  bc_at_free(at);
}

static const bc_at_match plain_urcs[] = {{"+IP", BC_AT_MATCH_ANY_TEXT, -1}, {"STATE=", 0, 0}};
static void plain_table(bc_at_config *c) {
  c->urcs = plain_urcs;
  c->n_urcs = 2;
}

/* A prefix ending in '=' or with BC_AT_MATCH_ANY_TEXT matches by plain start. */
static void test_plain_prefixes(void) {
  bc_at_engine *at = mk(plain_table);
  feed(at, "\r\n+IP: 10.0.0.1, \"x,y\"\r\n\r\n+IP\r\n\r\nSTATE=1,2,3\r\n\r\n+IPX: 1\r\n", 0);
  CHECK_EQ_INT(n_evs, 4);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_URC);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_URC);
  CHECK_EQ_INT(evs[2].type, BC_AT_EV_URC);
  CHECK_EQ_INT(evs[3].type, BC_AT_EV_URC); /* plain start: "+IPX" starts with "+IP" */
  bc_at_free(at);
}

/* After a timeout, the command's late echo is dropped and a late ERROR is its late final. */
static void test_late_echo_error(void) {
  bc_at_engine *at = mk(short_timeouts);
  submit(at, "AT+NNMI?", EXP_NNMI_Q, 1, 0, 1);
  write_out(at, "AT+NNMI?\r", 0);
  bc_at_tick(at, 100);
  feed(at, "AT+NNMI?\r\r\nERROR\r\n", 120);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_TIMEOUT);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_LATE);
  CHECK_EQ_STR(evs[1].text, "ERROR");
  CHECK_EQ_INT(evs[1].tag, 1);
  CHECK(evs[1].is_final);
  CHECK_EQ_INT(evs[1].result, BC_AT_RESULT_ERROR);
  CHECK_EQ_INT(bc_at_pending(at), 0);
  CHECK_EQ_INT(bc_at_next_deadline(at), UINT64_MAX);
  bc_at_free(at);
}

/* A clock near its end does not wrap a deadline into the past. */
static void test_clock_end(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT", NULL, 0, 0, 1);
  write_out(at, "AT\r", UINT64_MAX - 10);
  bc_at_tick(at, UINT64_MAX - 5);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 0);
  CHECK_EQ_INT(bc_at_pending(at), 1);
  bc_at_free(at);
}

/* A longer name that starts like a known prefix is not that prefix. */
static void test_prefix_boundary(void) {
  bc_at_engine *at = mk(NULL);
  feed(at, "\r\n+NNMIX: 4,AAAA\r\n\r\n+QLWEVTINDX: 3\r\n", 0);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_UNKNOWN);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_UNKNOWN);
  bc_at_free(at);
}

/* A reboot while a timed-out command owes its final: the timed-out one was answered
 * already (no second answer), the queued one fails with the reboot. */
static void test_reboot_while_owed(void) {
  bc_at_engine *at = mk(short_timeouts);
  submit(at, "AT", NULL, 0, 0, 1);
  submit(at, "AT", NULL, 0, 0, 2);
  write_out(at, "AT\r", 0);
  bc_at_tick(at, 100);
  feed(at, "\r\nRDY\r\n", 150);
  CHECK_EQ_INT(n_evs, 3);
  CHECK_EQ_INT(evs[0].tag, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_TIMEOUT);
  CHECK_EQ_INT(evs[1].tag, 2);
  CHECK_EQ_INT(evs[1].result, BC_AT_RESULT_REBOOT);
  CHECK(!evs[1].has_text); /* it never ran: the banner is not its final line */
  CHECK_EQ_INT(evs[2].type, BC_AT_EV_REBOOT);
  CHECK_EQ_INT(bc_at_pending(at), 0);
  bc_at_free(at);
}

/* An over-long line that spans many feeds is skipped across all of them. */
static void test_overflow_many_feeds(void) {
  bc_at_engine *at = mk(NULL);
  char chunk[1000];
  memset(chunk, 'Z', sizeof chunk);
  for (int i = 0; i < 20; i++) feedn(at, chunk, sizeof chunk, 0);
  feed(at, "tail of it\r\n+QLWEVTIND: 3\r\n", 0);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_OVERFLOW);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_URC);
  CHECK_EQ_INT(bc_at_get_counters(at)->bytes_in, 20000 + 12 + 15);
  bc_at_free(at);
}

int main(void) {
  test_count_fields();
  test_config();
  test_simple_response();
  test_nnmi_shapes();
  test_cscon_shapes();
  test_quoted_urc();
  test_line_ends();
  test_not_before_written();
  test_urc_between_answer_lines();
  test_echo();
  test_reboot();
  test_errors();
  test_command_finals();
  test_prompt_forms();
  test_timeouts();
  test_late_prompt_is_cancelled();
  test_unresponsive();
  test_answer_overflow();
  test_back_pressure();
  test_submit_rules();
  test_answers_never_dropped();
  test_abort();
  test_counters();
  test_text_lines();
  test_plain_prefixes();
  test_late_echo_error();
  test_clock_end();
  test_prefix_boundary();
  test_reboot_while_owed();
  test_overflow_many_feeds();
  return CHECK_DONE();
}
