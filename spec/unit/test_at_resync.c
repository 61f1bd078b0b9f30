/* test_at_resync.c: the resync probes are commands like any other (docs/design.md, "Late
 * answers"; issue 19). A probe answered late, however late, is the probe's answer and
 * never completes the next command; a module deaf for any time is talked to again within
 * the stated bound once it answers; a command the engine never wrote fails with
 * BC_AT_RESULT_UNSENT, never with a timeout.
 *
 * The host side is driven by hand in simulated time: it writes what the engine wants,
 * ticks at the engine's deadlines, and submits the same command again (a new tag) each
 * time one fails unsent, as a script retrying a safe failure would.
 */
#include "at_harness.h"

static const bc_at_match EXP_CGSN[] = {{"+CGSN", 1, 1}};
#define IMEI "+CGSN: 866818039921555"

/* What the host wrote while driven, '|'-separated, CRs dropped. */
static char wrote[8192];

static void record(const uint8_t *out, size_t len) {
  size_t have = strlen(wrote);
  if (have && have < sizeof wrote - 1) wrote[have++] = '|';
  for (size_t i = 0; i < len && have < sizeof wrote - 1; i++)
    if (out[i] != '\r') wrote[have++] = (char)out[i];
  wrote[have] = '\0';
}

/* The host until time `until`: writes, ticks at deadlines, and resubmits `text` (tag
 * *tag + 1) whenever the command waiting fails unsent. Checks that a response it gets
 * meanwhile is the waiting command's, failed unsent, never written. Returns the time
 * reached (at most until). */
static uint64_t host_until(bc_at_engine *at, uint64_t t, uint64_t until, const char *text,
                           const bc_at_match *expect, size_t n_expect, uint64_t *tag) {
  for (int steps = 0; steps < 100000; steps++) {
    size_t len = 0;
    const uint8_t *out = bc_at_output(at, &len);
    if (len) {
      /* the command waits: only probes go out */
      CHECK(!(len == strlen(text) + 1 && memcmp(out, text, len - 1) == 0));
      record(out, len);
      bc_at_output_consumed(at, len, t);
      continue;
    }
    uint64_t d = bc_at_next_deadline(at);
    if (d > until) break;
    if (d > t) t = d;
    size_t seen = n_evs;
    bc_at_tick(at, t);
    pop_all(at);
    for (size_t i = seen; i < n_evs; i++) {
      if (evs[i].type != BC_AT_EV_RESPONSE) continue;
      CHECK_EQ_INT(evs[i].tag, *tag);
      CHECK_EQ_INT(evs[i].result, BC_AT_RESULT_UNSENT);
      ++*tag;
      CHECK_EQ_INT(submit(at, text, expect, n_expect, 0, *tag), 0);
    }
  }
  return until;
}

/* What the fake module answers: probes with their markers, AT+CGSN=1 with IMEI. */
static const char *answer_of(const char *line) {
  if (!strcmp(line, "AT+CMEE?")) return "\r\n+CMEE: 1\r\n\r\nOK\r\n";
  if (!strcmp(line, "AT+CSCON?")) return "\r\n+CSCON: 0,1\r\n\r\nOK\r\n";
  if (!strcmp(line, "AT+QSCLK?")) return "\r\n+QSCLK: 0\r\n\r\nOK\r\n";
  if (!strcmp(line, "AT+CSQ")) return "\r\n+CSQ: 20,0\r\n\r\nOK\r\n";
  if (!strcmp(line, "AT+NMSTATUS?")) return "\r\n+NMSTATUS: REGISTERED\r\n\r\nOK\r\n";
  if (!strcmp(line, "AT+CGSN=1")) return "\r\n" IMEI "\r\n\r\nOK\r\n";
  return "\r\nERROR\r\n";
}

/* Issue 19: module defaults; an uplink times out (the module says OK 6 s after it was
 * written); the probe written for the next uplink is answered 5.5 s after that OK. The
 * probe's +CMEE: 1 and OK are the probe's; the next uplink is written only then and gets
 * its own answer, the module's refusal (+CME ERROR: 954), not the probe's OK. */
static void test_probe_answered_late(void) {
  bc_at_engine *at = mk(NULL);
  wrote[0] = '\0';
  submit(at, "AT+NMGS=1,43", NULL, 0, 0, 1);
  write_out(at, "AT+NMGS=1,43\r", 0);
  bc_at_tick(at, 5000);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_TIMEOUT);
  uint64_t tag = 2;
  submit(at, "AT+NMGS=1,44", NULL, 0, 0, tag);
  write_out(at, "AT+CMEE?\r", 5000);
  n_evs = 0;
  uint64_t t = host_until(at, 5000, 6000, "AT+NMGS=1,44", NULL, 0, &tag);
  feed(at, "\r\nOK\r\n", t); /* the uplink's own late final */
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_LATE);
  CHECK_EQ_INT(evs[0].tag, 1);
  CHECK(evs[0].is_final);
  t = host_until(at, t, 11500, "AT+NMGS=1,44", NULL, 0, &tag);
  size_t before = n_evs;
  /* the probe's answer, 5.5 s after the OK, and then the answers of the probes written
   * meanwhile for the retries, in order: the probes', no event, no unknown line */
  feed(at, answer_of("AT+CMEE?"), t);
  for (char *p = wrote, *bar; *p; p = bar ? bar + 1 : p + strlen(p)) {
    bar = strchr(p, '|');
    if (bar) *bar = '\0';
    feed(at, answer_of(p), t);
  }
  CHECK_EQ_INT(n_evs, before);
  write_out(at, "AT+NMGS=1,44\r", t + 10);
  feed(at, "\r\n+CME ERROR: 954\r\n", t + 100);
  CHECK_EQ_INT(n_evs, before + 1);
  CHECK_EQ_INT(evs[n_evs - 1].tag, tag);
  CHECK_EQ_INT(evs[n_evs - 1].result, BC_AT_RESULT_CME);
  CHECK_EQ_INT(evs[n_evs - 1].code, 954);
  for (size_t i = 0; i < n_evs; i++) CHECK(evs[i].type != BC_AT_EV_UNKNOWN);
  CHECK_EQ_INT(bc_at_pending(at), 0);
  bc_at_free(at);
}

/* A caller sends AT+CGSN=1 again and again while the module is deaf for `silence` ms,
 * then answers everything at once (10 ms). Once it answers, the command waiting is
 * written within the bound of docs/design.md ("Liveness"): what the waiting command
 * still waits for the probe written while the module was deaf (at most its own total
 * timeout), then two probe round trips. */
static void deaf_for(uint64_t silence) {
  bc_at_engine *at = mk(NULL);
  wrote[0] = '\0';
  uint64_t tag = 1, t = 0, answered_at = 0;
  size_t bytes_deaf = 0;
  submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, tag);
  for (int steps = 0; steps < 200000 && !answered_at; steps++) {
    size_t len = 0;
    const uint8_t *out = bc_at_output(at, &len);
    if (len) {
      char line[64];
      CHECK(len < sizeof line && out[len - 1] == '\r');
      if (len >= sizeof line) break;
      memcpy(line, out, len - 1);
      line[len - 1] = '\0';
      bc_at_output_consumed(at, len, t);
      if (t < silence) {
        bytes_deaf += len;
        continue;
      }
      t += 10;
      size_t seen = n_evs;
      feed(at, answer_of(line), t);
      for (size_t i = seen; i < n_evs; i++) {
        CHECK(evs[i].type != BC_AT_EV_UNKNOWN);
        if (evs[i].type != BC_AT_EV_RESPONSE) continue;
        CHECK_EQ_INT(evs[i].tag, tag);
        CHECK_EQ_INT(evs[i].result, BC_AT_RESULT_OK);
        CHECK_EQ_STR(evs[i].lines, IMEI);
        answered_at = t;
      }
      continue;
    }
    uint64_t d = bc_at_next_deadline(at);
    CHECK(d != UINT64_MAX); /* a command waits: something is always due */
    if (d == UINT64_MAX) break;
    if (d > t) t = d;
    size_t seen = n_evs;
    bc_at_tick(at, t);
    pop_all(at);
    for (size_t i = seen; i < n_evs; i++) {
      if (evs[i].type != BC_AT_EV_RESPONSE) continue;
      CHECK_EQ_INT(evs[i].tag, tag);
      /* the first one was written and timed out; every later one was never written */
      CHECK_EQ_INT(evs[i].result, tag == 1 ? BC_AT_RESULT_TIMEOUT : BC_AT_RESULT_UNSENT);
      tag++;
      CHECK_EQ_INT(submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, tag), 0);
    }
    if (n_evs > 200) n_evs = 0; /* only the new ones matter */
  }
  if (!answered_at || answered_at - silence > 5000 + 100)
    fprintf(stderr, "  deaf for %llu s: answered %llu ms after it recovered (wrote %s)\n",
            (unsigned long long)(silence / 1000),
            (unsigned long long)(answered_at ? answered_at - silence : 0),
            strlen(wrote) > 200 ? wrote + strlen(wrote) - 200 : wrote);
  CHECK(answered_at != 0);
  /* the probe of the command waiting when the module recovered was lost (5 s at most),
   * then two probe round trips and the command's own (10 ms each) */
  CHECK(answered_at - silence <= 5000 + 3 * 10 + 10);
  /* while deaf, a probe per command: never more than one command's worth per total
   * timeout */
  CHECK(bytes_deaf <= (silence / 5000 + 2) * 16);
  bc_at_free(at);
}

static void test_deaf_module(void) {
  deaf_for(35000);
  deaf_for(120000);
  deaf_for(600000);
}

/* A probe answered twice (a case outside the model, docs/design.md): the second answer
 * comes once the command is written. Its marker is none of the running command's lines,
 * so its final is that stale answer's, reported as a final nobody owes, and the command
 * gets its own answer. */
static void test_probe_answered_twice(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+NMGS=1,43", NULL, 0, 0, 1);
  write_out(at, "AT+NMGS=1,43\r", 0);
  bc_at_tick(at, 5000);
  feed(at, "\r\nOK\r\n", 5100);
  submit(at, "AT+NMGS=1,44", NULL, 0, 0, 2);
  write_out(at, "AT+NMGS=1,44\r", 5200); /* the debt is paid */
  n_evs = 0;
  feed(at, "\r\n+CMEE: 1\r\n\r\nOK\r\n", 5300); /* an answer nobody asked for */
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_UNKNOWN);
  CHECK_EQ_STR(evs[0].text, "+CMEE: 1");
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_UNOWED);
  CHECK_EQ_STR(evs[1].text, "OK");
  feed(at, "\r\n+CME ERROR: 954\r\n", 5400);
  CHECK_EQ_INT(n_evs, 3);
  CHECK_EQ_INT(evs[2].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(evs[2].tag, 2);
  CHECK_EQ_INT(evs[2].code, 954);
  /* with nothing running, a final is nobody's too */
  feed(at, "\r\nOK\r\n", 5500);
  CHECK_EQ_INT(n_evs, 4);
  CHECK_EQ_INT(evs[3].type, BC_AT_EV_UNOWED);
  CHECK_EQ_INT(evs[3].result, BC_AT_RESULT_OK);
  bc_at_free(at);
}

int main(void) {
  test_probe_answered_late();
  test_deaf_module();
  test_probe_answered_twice();
  return CHECK_DONE();
}
