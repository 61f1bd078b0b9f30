/* test_at_exchange.c: a command's whole round trip (core/at_exchange.h) against a
 * pseudo-terminal pair. The test plays the module on the master end; what the module
 * says is written there before the round trip starts (the engine takes an answer only
 * once the command is written, so it is read as the answer all the same), so nothing
 * depends on how fast either side runs. Checks: a lone answer is ANSWERED with the bytes
 * written and read reported; any other event hands over with every event given to the
 * caller; a command behind another hands over at once; the caller's limit hands over
 * with the command still in the engine; a timeout is the command's own response; a port
 * that hung up is BC_PORT_CLOSED. */
#include "at_exchange.h"
#include "at_harness.h"
#include "port.h"

static char written[256], read_in[256];

static void on_bytes(void *ctx, int was_written, const uint8_t *bytes, size_t n) {
  (void)ctx;
  char *to = was_written ? written : read_in;
  strncat(to, (const char *)bytes, n < 255 - strlen(to) ? n : 255 - strlen(to));
}

static void on_event(void *ctx, const bc_at_event *e) {
  (void)ctx;
  keep_event(e);
}

static const bc_at_exchange_hooks hooks = {NULL, on_event, on_bytes};

/* The module's end and the host's end of a fresh pty pair. */
static int open_pair(bc_port **module, bc_port **host) {
  char slave[128], err[BC_PORT_ERR_MAX];
  *module = bc_port_open_pty(slave, sizeof slave, err);
  *host = *module ? bc_port_open(slave, 0, err) : NULL;
  CHECK(*host != NULL);
  if (!*host) {
    fprintf(stderr, "pty: %s\n", err);
    bc_port_close(*module);
    return 0;
  }
  return 1;
}

static void module_says(bc_port *module, const char *text) {
  char err[BC_PORT_ERR_MAX];
  CHECK_EQ_INT(bc_port_write(module, text, strlen(text), err), (long)strlen(text));
}

static bc_at_cmd command(const char *text, uint64_t tag) {
  bc_at_cmd c;
  memset(&c, 0, sizeof c);
  c.text = text;
  c.len = strlen(text);
  c.tag = tag;
  return c;
}

static void reset(void) {
  n_evs = 0;
  written[0] = read_in[0] = '\0';
}

static void test_answered(void) {
  bc_port *module, *host;
  if (!open_pair(&module, &host)) return;
  bc_at_engine *at = mk(NULL);
  char err[BC_PORT_ERR_MAX];
  bc_at_event answer;
  static const bc_at_match csq[] = {{"+CSQ", 2, 2}};
  bc_at_cmd c = command("AT+CSQ", 7);
  c.expect = csq;
  c.n_expect = 1;
  reset();
  module_says(module, "\r\n+CSQ: 12,99\r\n\r\nOK\r\n");
  CHECK_EQ_INT(bc_at_exchange(at, host, &c, UINT64_MAX, &hooks, &answer, err), BC_AT_EXCHANGE_ANSWERED);
  CHECK_EQ_INT(answer.type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(answer.tag, 7);
  CHECK_EQ_INT(answer.result, BC_AT_RESULT_OK);
  CHECK_EQ_INT(answer.n_lines, 1);
  CHECK_EQ_STR(bc_at_event_line(&answer, 0), "+CSQ: 12,99");
  CHECK_EQ_INT(n_evs, 0);
  CHECK_EQ_STR(written, "AT+CSQ\r");
  CHECK_EQ_STR(read_in, "\r\n+CSQ: 12,99\r\n\r\nOK\r\n");
  CHECK_EQ_INT(bc_at_pending(at), 0);
  char wire[32];
  long n = bc_port_read(module, wire, sizeof wire - 1, err);
  CHECK_EQ_INT(n, 7);
  wire[n > 0 ? n : 0] = '\0';
  CHECK_EQ_STR(wire, "AT+CSQ\r");
  bc_at_free(at);
  bc_port_close(host);
  bc_port_close(module);
}

/* A bare text answer (AT+CIMI's IMSI) is the command's own: the round trip stays on the
 * fast path, nothing handed over (docs/design.md, "Whole answers"). */
static void test_text_answer_stays_on_the_fast_path(void) {
  bc_port *module, *host;
  if (!open_pair(&module, &host)) return;
  bc_at_engine *at = mk(NULL);
  char err[BC_PORT_ERR_MAX];
  bc_at_event answer;
  bc_expect e;
  bc_expect_for("AT+CIMI", 7, &e);
  bc_at_cmd c = command("AT+CIMI", 8);
  c.expect = e.match;
  c.n_expect = e.n;
  reset();
  module_says(module, "\r\n460111234567890\r\n\r\nOK\r\n");
  CHECK_EQ_INT(bc_at_exchange(at, host, &c, UINT64_MAX, &hooks, &answer, err), BC_AT_EXCHANGE_ANSWERED);
  CHECK_EQ_INT(answer.n_lines, 1);
  CHECK_EQ_STR(bc_at_event_line(&answer, 0), "460111234567890");
  CHECK_EQ_INT(n_evs, 0);
  bc_at_free(at);
  bc_port_close(host);
  bc_port_close(module);
}

/* A URC before the answer: every event goes to the caller, the response among them. */
static void test_urc_hands_over(void) {
  bc_port *module, *host;
  if (!open_pair(&module, &host)) return;
  bc_at_engine *at = mk(NULL);
  char err[BC_PORT_ERR_MAX];
  bc_at_event answer;
  bc_at_cmd c = command("AT", 8);
  reset();
  module_says(module, "\r\n+CSCON: 1\r\n\r\nOK\r\n");
  CHECK_EQ_INT(bc_at_exchange(at, host, &c, UINT64_MAX, &hooks, &answer, err),
               BC_AT_EXCHANGE_HANDED_OVER);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_URC);
  CHECK_EQ_STR(evs[0].text, "+CSCON: 1");
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(evs[1].tag, 8);
  CHECK_EQ_INT(bc_at_pending(at), 0);
  bc_at_free(at);
  bc_port_close(host);
  bc_port_close(module);
}

/* Behind another command, and past the caller's limit: handed over, the command in the
 * engine; its answer then comes the general way. */
static void test_not_alone_and_limit_hand_over(void) {
  bc_port *module, *host;
  if (!open_pair(&module, &host)) return;
  bc_at_engine *at = mk(NULL);
  char err[BC_PORT_ERR_MAX];
  bc_at_event answer;
  reset();
  CHECK_EQ_INT(submit(at, "AT+CGSN=1", NULL, 0, 0, 1), 0);
  bc_at_cmd c = command("AT", 2);
  CHECK_EQ_INT(bc_at_exchange(at, host, &c, UINT64_MAX, &hooks, &answer, err),
               BC_AT_EXCHANGE_HANDED_OVER);
  CHECK_EQ_INT(bc_at_pending(at), 2);
  CHECK_EQ_STR(written, ""); /* nothing was written: the loop writes the first command */
  bc_at_free(at);

  at = mk(NULL);
  reset();
  c = command("AT", 3);
  uint64_t limit = bc_port_now_ms() + 20;
  CHECK_EQ_INT(bc_at_exchange(at, host, &c, limit, &hooks, &answer, err), BC_AT_EXCHANGE_HANDED_OVER);
  CHECK(bc_port_now_ms() >= limit);
  CHECK_EQ_INT(n_evs, 0);
  CHECK_EQ_INT(bc_at_pending(at), 1);
  CHECK_EQ_STR(written, "AT\r");
  feed(at, "\r\nOK\r\n", bc_port_now_ms());
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(evs[0].tag, 3);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  bc_at_free(at);
  bc_port_close(host);
  bc_port_close(module);
}

/* No answer: the command's own timeout is its response, answered in the call. */
static void test_timeout_is_the_response(void) {
  bc_port *module, *host;
  if (!open_pair(&module, &host)) return;
  bc_at_engine *at = mk(NULL);
  char err[BC_PORT_ERR_MAX];
  bc_at_event answer;
  bc_at_cmd c = command("AT", 4);
  c.first_byte_ms = c.total_ms = 30;
  reset();
  uint64_t start = bc_port_now_ms();
  CHECK_EQ_INT(bc_at_exchange(at, host, &c, UINT64_MAX, &hooks, &answer, err), BC_AT_EXCHANGE_ANSWERED);
  CHECK_EQ_INT(answer.result, BC_AT_RESULT_TIMEOUT);
  CHECK_EQ_INT(answer.tag, 4);
  CHECK(bc_port_now_ms() >= start + 30);
  bc_at_free(at);
  bc_port_close(host);
  bc_port_close(module);
}

/* The module's side hung up: BC_PORT_CLOSED, "closed", the command left in the engine. */
static void test_hangup(void) {
  bc_port *module, *host;
  if (!open_pair(&module, &host)) return;
  bc_at_engine *at = mk(NULL);
  char err[BC_PORT_ERR_MAX];
  bc_at_event answer;
  bc_at_cmd c = command("AT", 5);
  reset();
  bc_port_close(module);
  CHECK_EQ_INT(bc_at_exchange(at, host, &c, UINT64_MAX, &hooks, &answer, err),
               BC_AT_EXCHANGE_PORT_CLOSED);
  CHECK_EQ_STR(err, "closed");
  CHECK_EQ_INT(bc_at_pending(at), 1);
  bc_at_free(at);
  bc_port_close(host);
}

static void test_refused(void) {
  bc_port *module, *host;
  if (!open_pair(&module, &host)) return;
  bc_at_engine *at = mk(NULL);
  char err[BC_PORT_ERR_MAX];
  bc_at_event answer;
  bc_at_cmd c = command("", 6);
  CHECK_EQ_INT(bc_at_exchange(at, host, &c, UINT64_MAX, &hooks, &answer, err), BC_AT_EXCHANGE_REFUSED);
  CHECK(bc_at_error(at) != NULL);
  bc_at_free(at);
  bc_port_close(host);
  bc_port_close(module);
}

int main(void) {
  test_answered();
  test_text_answer_stays_on_the_fast_path();
  test_urc_hands_over();
  test_not_alone_and_limit_hand_over();
  test_timeout_is_the_response();
  test_hangup();
  test_refused();
  return CHECK_DONE();
}
