/* test_at_late.c: a late answer never completes a later command (docs/design.md, "Late
 * answers"), and a stalled host does not invent timeouts.
 *
 * A small fake module plays the other end: it answers every command it reads in order,
 * but is busy with the timed-out command for `delay` ms after the engine gave up on it.
 * While busy it either keeps what the host writes and answers it afterwards (buffering)
 * or loses it (discarding). The fake knows the resync probes only as ordinary queries of
 * the module (AT+CMEE?, AT+CSCON?, ...): the test does not care which one the engine
 * sends, only that every answer lands where it belongs.
 */
#include "at_harness.h"

static const bc_at_match EXP_CGSN[] = {{"+CGSN", 1, 1}};
static const bc_at_match EXP_CMEE[] = {{"+CMEE", 1, 1}};

#define IMEI_LATE "+CGSN: 866818039921444"
#define IMEI_NEXT "+CGSN: 866818039921555"

/* The answer an idle module gives to a line the host wrote ("" for a line it does not
 * know: the test then fails on the missing answer). */
static const char *module_answer(const char *cmd) {
  if (strcmp(cmd, "AT+CMEE?") == 0) return "\r\n+CMEE: 1\r\n\r\nOK\r\n";
  if (strcmp(cmd, "AT+CSCON?") == 0) return "\r\n+CSCON: 1,0\r\n\r\nOK\r\n";
  if (strcmp(cmd, "AT+QSCLK?") == 0) return "\r\n+QSCLK: 0\r\n\r\nOK\r\n";
  if (strcmp(cmd, "AT+CSQ") == 0) return "\r\n+CSQ: 24,0\r\n\r\nOK\r\n";
  if (strcmp(cmd, "AT+NMSTATUS?") == 0) return "\r\n+NMSTATUS: REGISTERED\r\n\r\nOK\r\n";
  if (strcmp(cmd, "AT+CGSN=1") == 0) return "\r\n" IMEI_NEXT "\r\n\r\nOK\r\n";
  return "";
}

typedef struct scenario {
  const char *first;       /* the command that times out */
  const bc_at_match *expect;  /* its answer shapes */
  size_t n_expect;
  const char *late;        /* what the module finally prints for it */
  const char *late_lines;  /* its info lines as the late events carry them, '|'-joined */
  const char *late_final;  /* its final line */
  bc_at_result late_result;
  int late_code;
} scenario;

static const scenario SCENARIOS[] = {
    {"AT+NMGS=2,AA00", NULL, 0, "\r\nOK\r\n", "", "OK", BC_AT_RESULT_OK, 0},
    {"AT+NMGS=2,AA00", NULL, 0, "\r\nERROR\r\n", "", "ERROR", BC_AT_RESULT_ERROR, 0},
    {"AT+NMGS=2,AA00", NULL, 0, "\r\n+CME ERROR: 159\r\n", "", "+CME ERROR: 159",
     BC_AT_RESULT_CME, 159},
    {"AT+CGSN=1", EXP_CGSN, 1, "\r\n" IMEI_LATE "\r\n\r\n+QLWEVTIND: 3\r\n\r\nOK\r\n",
     IMEI_LATE, "OK", BC_AT_RESULT_OK, 0},
    /* the timed-out command is itself one of the probes' queries */
    {"AT+CMEE?", EXP_CMEE, 1, "\r\n+CMEE: 1\r\n\r\nOK\r\n", "+CMEE: 1", "OK", BC_AT_RESULT_OK, 0},
};

/* Runs one scenario: `first` (tag 1) times out; at once a caller sends AT+CGSN=1 (tag 2)
 * and sends it again (tags 3, 4, ...) each time it fails unsent; the module answers
 * `first` delay ms after the timeout. The late answer must be reported as tag 1's, every
 * later command must get its own answer or a timeout without having been written, and
 * the last one its own answer. */
static void run(const scenario *sc, uint64_t delay, int buffering, int echo) {
  bc_at_engine *at = mk(NULL);
  CHECK_EQ_INT(submit(at, sc->first, sc->expect, sc->n_expect, 0, 1), 0);
  char want[64];
  snprintf(want, sizeof want, "%s\r", sc->first);
  write_out(at, want, 0);
  uint64_t t = bc_at_next_deadline(at);
  bc_at_tick(at, t);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].tag, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_TIMEOUT);
  uint64_t tag = 2;
  CHECK_EQ_INT(submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, tag), 0);

  uint64_t busy_until = t + delay;
  char kept[16][64]; /* lines a buffering module holds until it is done */
  size_t n_kept = 0, seen = 1;
  int late_sent = 0, answered = 0;
  uint64_t written = 0; /* the tag of the AT+CGSN=1 last written */
  for (int steps = 0; steps < 400 && !answered; steps++) {
    size_t len = 0;
    const uint8_t *out = bc_at_output(at, &len);
    if (len) {
      char line[64];
      CHECK(len < sizeof line && out[len - 1] == '\r');
      if (len >= sizeof line) break;
      memcpy(line, out, len - 1);
      line[len - 1] = '\0';
      bc_at_output_consumed(at, len, t);
      if (!strcmp(line, "AT+CGSN=1")) written = tag;
      if (!late_sent) {
        if (buffering && n_kept < 16) snprintf(kept[n_kept++], sizeof kept[0], "%s", line);
        continue;
      }
      t += 10;
      if (echo) {
        feed(at, line, t);
        feed(at, "\r", t);
      }
      feed(at, module_answer(line), t);
    } else if (!late_sent && bc_at_next_deadline(at) >= busy_until) {
      t = busy_until;
      feed(at, sc->late, t);
      for (size_t i = 0; i < n_kept; i++) feed(at, module_answer(kept[i]), t);
      late_sent = 1;
    } else {
      uint64_t d = bc_at_next_deadline(at);
      if (d == UINT64_MAX) break;
      if (d > t) t = d;
      bc_at_tick(at, t);
      pop_all(at);
    }
    for (; seen < n_evs; seen++) {
      const ev *e = &evs[seen];
      if (e->type != BC_AT_EV_RESPONSE) continue;
      CHECK_EQ_INT(e->tag, tag);
      if (e->result == BC_AT_RESULT_UNSENT) { /* gave up waiting for the resync */
        CHECK(written != tag);
        CHECK_EQ_INT(e->n_lines, 0);
        tag++;
        CHECK_EQ_INT(submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, tag), 0);
      } else {
        CHECK_EQ_INT(e->result, BC_AT_RESULT_OK);
        CHECK_EQ_STR(e->lines, IMEI_NEXT);
        CHECK_EQ_INT(written, tag);
        answered = 1;
      }
    }
  }
  CHECK(late_sent);
  CHECK(answered);

  /* The late answer: its lines and its final, each an BC_AT_EV_LATE of tag 1, in order. */
  char late_lines[256] = "";
  int finals = 0;
  for (size_t i = 1; i < n_evs; i++) {
    const ev *e = &evs[i];
    if (e->type == BC_AT_EV_LATE) {
      CHECK_EQ_INT(e->tag, 1);
      if (e->is_final) {
        finals++;
        CHECK_EQ_STR(e->text, sc->late_final);
        CHECK_EQ_INT(e->result, sc->late_result);
        CHECK_EQ_INT(e->code, sc->late_code);
      } else {
        CHECK_EQ_INT(finals, 0); /* lines come before the final */
        if (late_lines[0]) strcat(late_lines, "|");
        strncat(late_lines, e->text, sizeof late_lines - strlen(late_lines) - 1);
      }
    } else if (e->type == BC_AT_EV_URC) {
      CHECK_EQ_STR(e->text, "+QLWEVTIND: 3");
    } else if (e->type != BC_AT_EV_RESPONSE && e->type != BC_AT_EV_UNRESPONSIVE) {
      fprintf(stderr, "unexpected event %d '%s'\n", (int)e->type, e->text);
      CHECK(!"no other event");
    }
  }
  if (finals != 1 || !answered || strcmp(late_lines, sc->late_lines) != 0)
    fprintf(stderr, "  in: %s, late %s after %llu ms, %s module%s\n", sc->first, sc->late_final,
            (unsigned long long)delay, buffering ? "buffering" : "discarding",
            echo ? ", echo on" : "");
  CHECK_EQ_INT(finals, 1);
  CHECK_EQ_STR(late_lines, sc->late_lines);
  CHECK_EQ_INT(bc_at_pending(at), 0);
  /* 0.5 s and 3 s: the first caller waits and gets its answer from a module that kept
   * the probe; one that dropped it owes that probe for ever, and the next caller's probe
   * (a free marker) settles it (no timer forgets a probe: issue 19) */
  if (delay < 5000 /* the default total timeout */) CHECK(buffering ? tag == 2 : tag <= 3);
  bc_at_free(at);
}

static void test_late_answers(void) {
  static const uint64_t DELAYS[] = {500, 3000, 30000};
  for (size_t s = 0; s < sizeof SCENARIOS / sizeof SCENARIOS[0]; s++)
    for (size_t d = 0; d < 3; d++)
      for (int buffering = 0; buffering <= 1; buffering++)
        for (int echo = 0; echo <= 1; echo++) run(&SCENARIOS[s], DELAYS[d], buffering, echo);
}

/* Nothing queued: a late answer, however late, is still the timed-out command's, and the
 * next command then goes out at once, with no probe (the debt is paid). */
static void test_late_while_idle(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+NMGS=2,AA00", NULL, 0, 0, 1);
  write_out(at, "AT+NMGS=2,AA00\r", 0);
  bc_at_tick(at, 2000);
  feed(at, "\r\n+CME ERROR: 159\r\n", 600000);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_LATE);
  CHECK_EQ_INT(evs[1].tag, 1);
  CHECK(evs[1].is_final);
  CHECK_EQ_INT(evs[1].code, 159);
  n_evs = 0;
  submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, 2);
  write_out(at, "AT+CGSN=1\r", 600010);
  feed(at, "\r\n" IMEI_NEXT "\r\n\r\nOK\r\n", 600020);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].tag, 2);
  CHECK_EQ_STR(evs[0].lines, IMEI_NEXT);
  bc_at_free(at);
}

/* The timed-out command never reached the module (its final is lost for good): the
 * probe's answer settles the debt and the next command gets its own answer. */
static void test_lost_command(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+NMGS=2,AA00", NULL, 0, 0, 1);
  write_out(at, "AT+NMGS=2,AA00\r", 0);
  bc_at_tick(at, 2000);
  submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, 2);
  size_t len;
  const uint8_t *out = bc_at_output(at, &len);
  CHECK(len > 3 && memcmp(out, "AT+", 3) == 0 && memcmp(out, "AT+CGSN", 7) != 0);
  char probe[32];
  snprintf(probe, sizeof probe, "%.*s", (int)len - 1, (const char *)out);
  bc_at_output_consumed(at, len, 2010);
  feed(at, module_answer(probe), 2020);
  write_out(at, "AT+CGSN=1\r", 2030);
  feed(at, "\r\n" IMEI_NEXT "\r\n\r\nOK\r\n", 2040);
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[1].tag, 2);
  CHECK_EQ_INT(evs[1].result, BC_AT_RESULT_OK);
  CHECK_EQ_STR(evs[1].lines, IMEI_NEXT);
  /* the debt is gone: a late OK now would be nobody's, and the next goes out directly */
  n_evs = 0;
  submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, 3);
  write_out(at, "AT+CGSN=1\r", 2050);
  bc_at_free(at);
}

/* The owed final comes while a probe is out, and the module answers the probe slowly:
 * after the waiting command's own short timeout, but well within the first-byte time in
 * which an idle module answers a probe it kept. The command then fails unsent; it is not
 * written with the probe still unanswered (the probe's OK would be taken for its answer:
 * seen in spec/peer/fault_soak_spec.lua, every later answer shifted by one). */
static void test_slow_probe_after_the_owed_final(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+NMGS=2,AA00", NULL, 0, 0, 1);
  write_out(at, "AT+NMGS=2,AA00\r", 0);
  bc_at_tick(at, 2000);
  pop_all(at);
  bc_at_cmd c;
  memset(&c, 0, sizeof c);
  c.text = "AT+CGSN=1";
  c.len = strlen(c.text);
  c.expect = EXP_CGSN;
  c.n_expect = 1;
  c.total_ms = 300;
  c.first_byte_ms = 300;
  c.tag = 2;
  CHECK_EQ_INT(bc_at_submit(at, &c), 0);
  write_out(at, "AT+CMEE?\r", 2100);
  n_evs = 0;
  feed(at, "\r\nOK\r\n", 2200); /* the owed final */
  bc_at_tick(at, 2400);                 /* the waiting command's own timeout */
  pop_all(at);
  write_out(at, "", 2410);           /* not written */
  feed(at, "\r\n+CMEE: 1\r\n\r\nOK\r\n", 2900); /* the slow probe's answer */
  CHECK_EQ_INT(n_evs, 2);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_LATE);
  CHECK_EQ_INT(evs[0].tag, 1);
  CHECK_EQ_INT(evs[1].type, BC_AT_EV_RESPONSE);
  CHECK_EQ_INT(evs[1].tag, 2);
  CHECK_EQ_INT(evs[1].result, BC_AT_RESULT_UNSENT);
  n_evs = 0;
  submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, 3);
  write_out(at, "AT+CGSN=1\r", 3000); /* settled: no probe */
  feed(at, "\r\n" IMEI_NEXT "\r\n\r\nOK\r\n", 3100);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].tag, 3);
  CHECK_EQ_STR(evs[0].lines, IMEI_NEXT);
  bc_at_free(at);
}

/* A module that never answers again: the waiting command fails with a timeout after its
 * own timeout once the probes are used up; it never hangs and never gets an answer. */
static void test_silent_module(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT", NULL, 0, 0, 1);
  write_out(at, "AT\r", 0);
  submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, 2);
  uint64_t t = 0;
  int steps = 0;
  while (bc_at_pending(at) && steps++ < 50) {
    size_t len;
    if (bc_at_output(at, &len)) {
      CHECK(memcmp(bc_at_output(at, &len), "AT+CGSN", 7) != 0); /* never written */
      bc_at_output_consumed(at, len, t);
      continue;
    }
    uint64_t d = bc_at_next_deadline(at);
    CHECK(d != UINT64_MAX);
    if (d == UINT64_MAX) break;
    if (d > t) t = d;
    bc_at_tick(at, t);
    pop_all(at);
  }
  CHECK_EQ_INT(bc_at_pending(at), 0);
  int got2 = 0;
  for (size_t i = 0; i < n_evs; i++)
    if (evs[i].type == BC_AT_EV_RESPONSE && evs[i].tag == 2) {
      got2 = 1;
      CHECK_EQ_INT(evs[i].result, BC_AT_RESULT_UNSENT);
    }
  CHECK(got2);
  bc_at_free(at);
}

/* A reboot settles nothing: a module that booted still answers a command it read after
 * booting. The timed-out command's answer after the banner is its late answer; when none
 * comes, the probe's answer line says nothing is owed. */
static void test_reboot_keeps_debt(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+NMGS=2,AA00", NULL, 0, 0, 1);
  write_out(at, "AT+NMGS=2,AA00\r", 0);
  bc_at_tick(at, 2000);
  feed(at, "\r\nRDY\r\n", 2500);
  n_evs = 0;
  feed(at, "\r\n+CME ERROR: 159\r\n", 2550);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].type, BC_AT_EV_LATE);
  CHECK_EQ_INT(evs[0].tag, 1);
  CHECK_EQ_INT(evs[0].code, 159);
  n_evs = 0;
  submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, 2);
  write_out(at, "AT+CGSN=1\r", 2600); /* paid: no probe */
  feed(at, "\r\n" IMEI_NEXT "\r\n\r\nOK\r\n", 2700);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].tag, 2);
  CHECK_EQ_STR(evs[0].lines, IMEI_NEXT);
  bc_at_free(at);
  /* nothing comes after the banner: the probe settles it */
  at = mk(NULL);
  submit(at, "AT+NMGS=2,AA00", NULL, 0, 0, 1);
  write_out(at, "AT+NMGS=2,AA00\r", 0);
  bc_at_tick(at, 2000);
  feed(at, "\r\nRDY\r\n", 2500);
  n_evs = 0;
  submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, 2);
  write_out(at, "AT+CMEE?\r", 2600);
  feed(at, "\r\n+CMEE: 1\r\n\r\nOK\r\n", 2650);
  write_out(at, "AT+CGSN=1\r", 2700);
  feed(at, "\r\nOK\r\n", 2800); /* its own (bare) answer */
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].tag, 2);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  bc_at_free(at);
}

/* Issue 10 item 2: a host that was not scheduled reads the bytes that waited in the
 * kernel after the deadline passed. Fed before the tick, they are the answer. */
static void test_stalled_host(void) {
  bc_at_engine *at = mk(NULL);
  submit(at, "AT+NMGS=2,AA00", NULL, 0, 0, 1);
  write_out(at, "AT+NMGS=2,AA00\r", 0);
  CHECK_EQ_INT(bc_at_next_deadline(at), 2000);
  feed(at, "\r\nOK\r\n", 9000); /* read at 9 s, long after both deadlines */
  bc_at_tick(at, 9000);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].tag, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_OK);
  CHECK_EQ_INT(bc_at_get_counters(at)->timeouts, 0);
  /* a partial answer fed late is kept too: the tick then fires the timeout */
  n_evs = 0;
  submit(at, "AT+CGSN=1", EXP_CGSN, 1, 0, 2);
  write_out(at, "AT+CGSN=1\r", 10000);
  feed(at, "\r\n" IMEI_NEXT "\r\n", 20000);
  bc_at_tick(at, 20000);
  pop_all(at);
  CHECK_EQ_INT(n_evs, 1);
  CHECK_EQ_INT(evs[0].result, BC_AT_RESULT_TIMEOUT);
  CHECK_EQ_STR(evs[0].lines, IMEI_NEXT);
  bc_at_free(at);
}

int main(void) {
  test_late_answers();
  test_late_while_idle();
  test_lost_command();
  test_silent_module();
  test_slow_probe_after_the_owed_final();
  test_reboot_keeps_debt();
  test_stalled_host();
  return CHECK_DONE();
}
