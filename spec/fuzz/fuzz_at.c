/* fuzz_at.c: libFuzzer target for the AT engine. The input is a little program: submit a
 * command, feed module bytes (arbitrary), let time pass, write some output, pop events,
 * abort. Invariants checked: no crash (ASan/UBSan), event texts within their bounds and
 * NUL-terminated, answers within answer_max, the queue within queue_max, bc_at_feed never
 * claims more than it was given, and every accepted command answered exactly once.
 * Saved crash inputs (spec/fuzz/regressions/fuzz_at-*) are replayed first (replay.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "at.h"
#include "bc260y.h"
#include "replay.h"

static const bc_at_match urcs[] = {
    {"+QLWEVTIND", 1, 1}, {"+NNMI", 0, 0},   {"+NNMI", 2, 2},        {"+QIND", 2, 5},
    {"+CSCON", 1, 1},     {"+CEREG", 1, 1},  {"+QNBIOTEVENT", 1, 1}, {"+CPIN", 1, 1},
    {"+IP", BC_AT_MATCH_ANY_TEXT, -1},
};

static const bc_at_match exp_cgpaddr[] = {{"+CGPADDR", 1, 2}};
static const bc_at_match exp_nnmi[] = {{"+NNMI", 1, 1}};
static const bc_at_match exp_cscon[] = {{"+CSCON", 2, 2}};
static const bc_at_match exp_nq[] = {{"BUFFERED=", 0, -1}};
static const bc_at_match fin_send[] = {{"SEND OK", 0, 0}, {"SEND FAIL", 0, 0}};

#define MAX_TAGS 4096
static unsigned char answered[MAX_TAGS];
static unsigned submitted_ok;
static unsigned answered_n;

#define FAIL(msg)                                                       \
  do {                                                                  \
    fprintf(stderr, "invariant broken: %s (line %d)\n", msg, __LINE__); \
    abort();                                                            \
  } while (0)

static void drain(bc_at_engine *at, const bc_at_config *cfg, size_t max) {
  bc_at_event e;
  while (max-- && bc_at_next_event(at, &e)) {
    if (e.type < BC_AT_EV_RESPONSE || e.type > BC_AT_EV_UNOWED) FAIL("event type");
    if (e.text) {
      if (e.len > cfg->line_max) FAIL("text longer than line_max");
      if (e.text[e.len] != '\0') FAIL("text not NUL-terminated");
    } else if (e.len) {
      FAIL("len without text");
    }
    if (e.type == BC_AT_EV_URC || e.type == BC_AT_EV_UNKNOWN || e.type == BC_AT_EV_LATE) {
      if (!e.text || e.len == 0) FAIL("line event without a line");
      if (memchr(e.text, '\r', e.len) || memchr(e.text, '\n', e.len)) FAIL("line end in line");
    }
    if (e.type == BC_AT_EV_RESPONSE) {
      if (e.result > BC_AT_RESULT_UNSENT) FAIL("result");
      if (e.tag >= MAX_TAGS || answered[e.tag]) FAIL("tag answered twice or unknown");
      answered[e.tag] = 1;
      answered_n++;
      size_t total = 0;
      for (size_t i = 0; i < e.n_lines; i++) {
        const char *l = bc_at_event_line(&e, i);
        if (!l) FAIL("missing answer line");
        total += strlen(l) + 1;
      }
      if (total > cfg->answer_max) FAIL("answer beyond answer_max");
      if (bc_at_event_line(&e, e.n_lines) != NULL) FAIL("line past n_lines");
    }
  }
}

REPLAY_REGRESSIONS("fuzz_at")

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  bc_at_config cfg;
  bc_at_config_defaults(&cfg);
  bc_engine_config(&cfg); /* the module's boot markers and probes, a URC table of its own */
  cfg.urcs = urcs;
  cfg.n_urcs = sizeof urcs / sizeof urcs[0];
  /* Small limits so that queue-full, answer overflow and back-pressure are reachable. */
  cfg.queue_max = 1 + (data[0] & 3);
  cfg.event_max = 4 + ((data[0] >> 2) & 7);
  cfg.answer_max = (data[0] & 0x20) ? 64 : 8192;
  cfg.unresponsive_after = 2;
  cfg.first_byte_ms = 200;
  cfg.total_ms = 1000;
  bc_at_engine *at = bc_at_new(&cfg);
  if (!at) FAIL("bc_at_new");
  memset(answered, 0, sizeof answered);
  submitted_ok = answered_n = 0;
  uint64_t now = 0, tag = 0;
  size_t i = 1;
  while (i < size) {
    uint8_t op = data[i++];
    uint8_t arg = i < size ? data[i] : 0;
    switch (op % 7) {
    case 0: { /* submit one of a few command kinds */
      i++;
      bc_at_cmd c;
      memset(&c, 0, sizeof c);
      static const char *texts[] = {"AT+CGPADDR?", "AT+NNMI?", "AT+CSCON?", "AT+NQMGR",
                                    "ATI", "AT+QISEND=0,3", "AT", "AT\rX"};
      c.text = texts[arg & 7];
      c.len = strlen(c.text);
      switch (arg & 7) {
      case 0: c.expect = exp_cgpaddr, c.n_expect = 1; break;
      case 1: c.expect = exp_nnmi, c.n_expect = 1; break;
      case 2: c.expect = exp_cscon, c.n_expect = 1; break;
      case 3: c.expect = exp_nq, c.n_expect = 1; break;
      case 4: c.flags = BC_AT_CMD_TEXT_LINES; break;
      case 5:
        c.flags = BC_AT_CMD_PROMPT;
        c.payload = "abc";
        c.payload_len = 3;
        c.finals = fin_send;
        c.n_finals = 2;
        break;
      default: break;
      }
      if (arg & 0x80) c.first_byte_ms = 50;
      c.tag = tag;
      if (bc_at_submit(at, &c) == 0) {
        submitted_ok++;
        if ((arg & 7) == 7) FAIL("CR accepted in a command");
        tag++;
        if (tag >= MAX_TAGS) goto done;
      }
      if (bc_at_pending(at) > cfg.queue_max) FAIL("queue beyond queue_max");
      break;
    }
    case 1:
    case 2: { /* feed arg bytes of module output */
      i++;
      size_t n = arg;
      if (n > size - i) n = size - i;
      size_t off = 0;
      int spins = 0;
      while (off < n && spins++ < 64) {
        size_t used = bc_at_feed(at, data + i + off, n - off, now);
        if (used > n - off) FAIL("feed consumed more than given");
        off += used;
        drain(at, &cfg, SIZE_MAX);
      }
      if (off != n) FAIL("feed made no progress with an empty event queue");
      i += n;
      break;
    }
    case 3: /* time passes */
      i++;
      now += (uint64_t)arg * 7;
      if (bc_at_next_deadline(at) <= now || (arg & 1)) bc_at_tick(at, now);
      break;
    case 4: { /* the port took some of the output */
      i++;
      size_t len;
      const uint8_t *out = bc_at_output(at, &len);
      if (len && !out) FAIL("output length without output");
      if (out && len && memchr(out, '\n', len)) FAIL("LF in output");
      bc_at_output_consumed(at, (arg & 1) ? len : arg % (len + 1), now);
      break;
    }
    case 5: /* pop a few events (leaving some queued exercises back-pressure) */
      i++;
      drain(at, &cfg, arg & 3);
      break;
    case 6:
      if (arg == 0xAB) bc_at_abort_all(at);
      i++;
      break;
    }
  }
done:
  /* Every accepted command gets exactly one answer, even the ones still queued. */
  drain(at, &cfg, SIZE_MAX);
  bc_at_abort_all(at);
  drain(at, &cfg, SIZE_MAX);
  if (answered_n != submitted_ok) FAIL("a command was never answered");
  bc_at_free(at);
  return 0;
}
