/* at.c: the AT engine (see at.h). Bytes and time come from the caller; this file only
 * splits lines, classifies them, runs the command queue and its timers, and recognises
 * reboots. Line shapes are in at_match.c, the event ring in at_events.c, a held command's
 * finals and echo in at_slot.c, what happens after a timeout (late answers, resync
 * probes) in at_resync.c, which this file enters only while something is owed and whose
 * verdicts it carries out. It names no module string: the URC table, the boot markers
 * and the probes come in bc_at_config. All memory is taken in
 * bc_at_new(): the line buffer, the answer buffer, the command slots (text, payload and
 * expected shapes are copied in), the event ring and the arena that holds the texts of
 * waiting events.
 */
#include "at_resync.h"

#include <stdlib.h>
#include <string.h>

#define OVERFLOW_HEAD 64 /* bytes of an over-long line kept in its overflow event */
#define SIZE_LIMIT ((size_t)1 << 28) /* refuse configs whose sizes would overflow */
/* Boot markers that follow each other in boot order within this time are one banner,
 * one reboot (a module prints its markers within a few seconds of each other). */
#define BOOT_BANNER_MS 10000

/* ---- configuration ---------------------------------------------------------------- */

void bc_at_config_defaults(bc_at_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->line_max = BC_AT_LINE_MIN;
  cfg->answer_max = 8192;
  cfg->queue_max = 16;
  cfg->cmd_max = 4096;
  cfg->event_max = 64;
  cfg->first_byte_ms = 2000;
  cfg->total_ms = 5000;
  cfg->unresponsive_after = 3;
}

static int config_ok(const bc_at_config *c) {
  if (c->line_max < BC_AT_LINE_MIN || c->line_max > SIZE_LIMIT) return 0;
  if (c->answer_max < 1 || c->answer_max > SIZE_LIMIT) return 0;
  if (c->queue_max < 1 || c->queue_max > 4096) return 0;
  if (c->cmd_max < 1 || c->cmd_max > SIZE_LIMIT) return 0;
  if (c->event_max < 4 || c->event_max > 65536) return 0;
  if (c->n_urcs && !c->urcs) return 0;
  for (size_t i = 0; i < c->n_urcs; i++)
    if (!c->urcs[i].prefix || !c->urcs[i].prefix[0]) return 0;
  if (c->n_boot_markers > BC_AT_MAX_BOOT_MARKERS || (c->n_boot_markers && !c->boot_markers))
    return 0;
  for (size_t i = 0; i < c->n_boot_markers; i++)
    if (!c->boot_markers[i] || !c->boot_markers[i][0]) return 0;
  if (c->n_probes > BC_AT_MAX_PROBES || (c->n_probes && !c->probes)) return 0;
  for (size_t i = 0; i < c->n_probes; i++) {
    const bc_at_probe *p = &c->probes[i];
    size_t tl = p->text ? strlen(p->text) : 0;
    if (tl < 2 || p->text[tl - 1] != '\r' || !p->marker.prefix) return 0;
  }
  return 1;
}

bc_at_engine *bc_at_new(const bc_at_config *cfg) {
  bc_at_config def;
  if (!cfg) {
    bc_at_config_defaults(&def);
    cfg = &def;
  }
  if (!config_ok(cfg)) return NULL;
  bc_at_engine *at = calloc(1, sizeof *at);
  if (!at) return NULL;
  at->cfg = *cfg;
  if (!at->cfg.first_byte_ms) at->cfg.first_byte_ms = 2000;
  if (!at->cfg.total_ms) at->cfg.total_ms = 5000;
  at->n_slots = cfg->queue_max;
  at->slots = calloc(at->n_slots, sizeof *at->slots);
  at->line = malloc(cfg->line_max + 1);
  at->answer = malloc(cfg->answer_max);
  /* Invariant: waiting events + pending commands <= ring_cap, i.e. every command not yet
   * answered has a ring slot kept for its answer. An answer (response) takes the slot its
   * command kept; only other events (URC, unknown, late, overflow, reboot, unresponsive)
   * need new room, and feeding/ticking raises at most one of them per step, and only while
   * at most event_max are waiting (room()). So a step ends with at most
   * event_max + queue_max + 1 events, and bc_at_submit() refuses a command that would push
   * events + pending past ring_cap. bc_at_abort_all() only answers pending commands: always
   * room. */
  at->ring_cap = cfg->event_max + cfg->queue_max + 1;
  at->ring = calloc(at->ring_cap, sizeof *at->ring);
  /* Texts: one line plus one full answer per processed line, with slack for the events
   * already waiting. */
  at->arena_need = cfg->line_max + cfg->answer_max + 2 * OVERFLOW_HEAD + 8;
  at->arena_cap = 2 * at->arena_need + cfg->event_max * (OVERFLOW_HEAD + 8);
  at->arena = malloc(at->arena_cap);
  /* Each slot's command text, and one more for a timed-out command while it owes its
   * final (at_resync.c): one block, since the slots swap these buffers among themselves. */
  size_t stride = cfg->cmd_max + 2;
  at->cmd_bufs = malloc((at->n_slots + 1) * stride);
  int ok = at->slots && at->line && at->answer && at->ring && at->arena && at->cmd_bufs;
  for (size_t i = 0; ok && i <= at->n_slots; i++)
    (i < at->n_slots ? &at->slots[i] : &at->owed)->buf = at->cmd_bufs + i * stride;
  if (!ok) {
    bc_at_free(at);
    return NULL;
  }
  for (size_t i = 0; i < cfg->n_boot_markers; i++) {
    unsigned char first = (unsigned char)cfg->boot_markers[i][0];
    at->boot_len[i] = strlen(cfg->boot_markers[i]);
    at->boot_first[first >> 3] |= (unsigned char)(1u << (first & 7));
  }
  at->phase = PH_IDLE;
  at->first_deadline = at->total_deadline = at->head_deadline = NO_DEADLINE;
  at->probe = -1;
  at->error = "";
  return at;
}

void bc_at_free(bc_at_engine *at) {
  if (!at) return;
  void *own[] = {at->slots, at->cmd_bufs, at->line, at->answer, at->ring, at->arena, at};
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) free(own[i]);
}

const char *bc_at_error(const bc_at_engine *at) { return at ? at->error : "no engine"; }
size_t bc_at_pending(const bc_at_engine *at) { return at->count; }
const bc_at_counters *bc_at_get_counters(const bc_at_engine *at) { return &at->counters; }

/* ---- the command queue ------------------------------------------------------------ */

static int running(const bc_at_engine *at) { return at->phase >= PH_TEXT && at->phase <= PH_WAIT; }

static void reset_answer(bc_at_engine *at) {
  at->answer_len = 0;
  at->answer_lines = 0;
  at->answer_overflow = 0;
}

/* Puts the next thing on the wire: the head command, or while a timed-out command's
 * answer is owed, a resync probe first (at_resync.c). */
static void bc_at_start_next(bc_at_engine *at) {
  at->first_deadline = at->total_deadline = NO_DEADLINE;
  at->got_byte = 0;
  reset_answer(at);
  at->out_off = at->out_end = 0;
  if (!at->count) {
    at->phase = PH_IDLE;
    return;
  }
  if (bc_at_in_debt(at)) {
    bc_at_probe_start(at);
    return;
  }
  at->phase = PH_TEXT;
  at->out_end = bc_at_head_slot(at)->text_len + 1;
}

static void bc_at_drop_head(bc_at_engine *at) {
  at->head = (at->head + 1) % at->n_slots;
  at->count--;
}

/* The answer of the head command: final (NULL: none) is its text, the answer lines so
 * far its lines when with_answer. */
static void bc_at_respond(bc_at_engine *at, bc_at_result r, int code, const char *final, size_t final_len,
                       int with_answer) {
  bc_at_event *e = bc_at_ev_push(at, BC_AT_EV_RESPONSE, final, final_len);
  if (!e) return;
  e->tag = bc_at_head_slot(at)->tag;
  e->result = r;
  e->code = code;
  if (with_answer && at->answer_lines) {
    e->lines = bc_at_ev_put(at, at->answer, at->answer_len ? at->answer_len - 1 : 0);
    e->n_lines = e->lines ? at->answer_lines : 0;
  }
}

/* The running command got its final line. */
static void complete(bc_at_engine *at, bc_at_result r, int code, const char *line, size_t len) {
  if (at->answer_overflow && (r == BC_AT_RESULT_OK || r == BC_AT_RESULT_FINAL))
    r = BC_AT_RESULT_OVERFLOW;
  bc_at_respond(at, r, code, line, len, 1);
  bc_at_drop_head(at);
  bc_at_start_next(at);
}

/* Every command still queued fails with r, never written. */
static void fail_queued(bc_at_engine *at, bc_at_result r) {
  while (at->count) {
    bc_at_respond(at, r, 0, NULL, 0, 0);
    bc_at_drop_head(at);
  }
  bc_at_start_next(at);
}

/* Has the module seen any byte of the head command? */
static int written(const bc_at_engine *at) {
  return running(at) && !(at->phase == PH_TEXT && at->out_off == 0);
}

/* Reboot: every pending command fails with BC_AT_RESULT_REBOOT, the running one with the boot
 * marker as its final. A module that booted still answers what it read after booting, so
 * the command written before the marker becomes owed like a timed-out one, and what was
 * owed stays owed: the resync probe settles it (docs/design.md, "Late answers"). */
static void fail_rebooted(bc_at_engine *at, const char *line, size_t len) {
  if (bc_at_resyncing(at)) bc_at_debt_reboot(at);
  if (at->count && written(at)) {
    bc_at_respond(at, BC_AT_RESULT_REBOOT, 0, line, len, 1);
    bc_at_debt_begin(at, bc_at_head_slot(at));
    bc_at_drop_head(at);
  }
  fail_queued(at, BC_AT_RESULT_REBOOT);
}

int bc_at_submit(bc_at_engine *at, const bc_at_cmd *cmd) {
  bc_at_ev_reclaim(at);
  if (!cmd || !cmd->text) return at->error = "no command text", -1;
  size_t pending = bc_at_pending(at);
  if (pending >= at->cfg.queue_max) return at->error = "queue full", -1;
  /* Keep a ring slot for this command's answer (see bc_at_new): otherwise a caller that
   * submits and aborts without popping would have answers dropped. */
  if (at->ring_count + pending + 1 > at->ring_cap)
    return at->error = "events waiting: pop them first", -1;
  if (cmd->len == 0) return at->error = "empty command", -1;
  if (cmd->len > at->cfg.cmd_max || cmd->payload_len > at->cfg.cmd_max - cmd->len)
    return at->error = "command too long", -1;
  for (size_t i = 0; i < cmd->len; i++) {
    unsigned char c = (unsigned char)cmd->text[i];
    /* A CR would end the command early and start a second one: AT injection. */
    if (c < 0x20 || c == 0x7f) return at->error = "control character in command", -1;
  }
  if (cmd->payload_len && !(cmd->flags & BC_AT_CMD_PROMPT))
    return at->error = "payload without BC_AT_CMD_PROMPT", -1;
  if (cmd->payload_len && !cmd->payload) return at->error = "payload is NULL", -1;
  if (cmd->payload_len && (memchr(cmd->payload, 0x1a, cmd->payload_len) ||
                           memchr(cmd->payload, 0x1b, cmd->payload_len)))
    return at->error = "^Z or ESC in payload", -1;
  if (cmd->n_expect > BC_AT_CMD_MAX_EXPECT || (cmd->n_expect && !cmd->expect))
    return at->error = "too many expected shapes", -1;
  if (cmd->n_finals > BC_AT_CMD_MAX_FINALS || (cmd->n_finals && !cmd->finals))
    return at->error = "too many finals", -1;
  size_t idx = (at->head + at->count) % at->n_slots;
  slot *s = &at->slots[idx];
  if (!bc_at_copy_matches(s->expect, s->expect_prefix, cmd->expect, cmd->n_expect) ||
      !bc_at_copy_matches(s->finals, s->final_prefix, cmd->finals, cmd->n_finals))
    return at->error = "bad or too long prefix", -1;
  s->n_expect = cmd->n_expect;
  s->n_finals = cmd->n_finals;
  memcpy(s->buf, cmd->text, cmd->len);
  s->buf[cmd->len] = '\r';
  s->text_len = cmd->len;
  s->payload_len = cmd->payload_len;
  if (cmd->payload_len) memcpy(s->buf + cmd->len + 1, cmd->payload, cmd->payload_len);
  s->buf[cmd->len + 1 + cmd->payload_len] = 0x1a;
  s->flags = cmd->flags;
  s->first_byte_ms = cmd->first_byte_ms ? cmd->first_byte_ms : at->cfg.first_byte_ms;
  s->total_ms = cmd->total_ms ? cmd->total_ms : at->cfg.total_ms;
  s->tag = cmd->tag;
  at->count++;
  s->serial = ++at->counters.commands;
  if (at->phase == PH_IDLE) bc_at_start_next(at);
  at->error = "";
  return 0;
}

void bc_at_abort_all(bc_at_engine *at) {
  bc_at_ev_reclaim(at);
  /* nothing is owed any more: the caller starts afresh (a new port, a closed one) */
  if (bc_at_resyncing(at)) bc_at_debt_cancel(at);
  if (at->count && running(at)) {
    bc_at_respond(at, BC_AT_RESULT_ABORTED, 0, NULL, 0, 0);
    bc_at_drop_head(at);
  }
  fail_queued(at, BC_AT_RESULT_ABORTED);
  at->line_len = 0;
  at->skipping = 0;
  at->skip_space = 0;
  at->cancel_prompt = 0;
}

/* ---- output ---------------------------------------------------------------------- */

const uint8_t *bc_at_output(const bc_at_engine *at, size_t *len) {
  static const uint8_t esc = 0x1b;
  if (at->cancel_prompt) { /* before anything else: the module reads it as the payload */
    *len = 1;
    return &esc;
  }
  *len = 0;
  if (at->out_off >= at->out_end) return NULL;
  if (at->phase == PH_PROBE_TEXT) {
    *len = at->out_end - at->out_off;
    return (const uint8_t *)bc_at_probe_text(at) + at->out_off;
  }
  if (at->phase == PH_TEXT || at->phase == PH_PAYLOAD) {
    *len = at->out_end - at->out_off;
    return (const uint8_t *)at->slots[at->head].buf + at->out_off;
  }
  return NULL;
}

static void arm_timers(bc_at_engine *at, const slot *s, uint64_t now) {
  at->got_byte = 0;
  at->first_deadline = bc_at_later(now, s->first_byte_ms);
  at->total_deadline = bc_at_later(now, s->total_ms);
}

void bc_at_output_consumed(bc_at_engine *at, size_t n, uint64_t now_ms) {
  if (at->cancel_prompt) { /* bc_at_output gave the ESC alone */
    if (n) at->cancel_prompt = 0, at->counters.bytes_out++;
    return;
  }
  if (at->phase != PH_TEXT && at->phase != PH_PAYLOAD && at->phase != PH_PROBE_TEXT) return;
  at->now = now_ms;
  size_t left = at->out_end - at->out_off;
  if (n > left) n = left;
  /* a probe is owed from its first byte on: the module may read and answer it */
  if (at->phase == PH_PROBE_TEXT && at->out_off == 0 && n) bc_at_probe_begun(at);
  at->out_off += n;
  at->counters.bytes_out += n;
  if (at->out_off < at->out_end) return;
  if (at->phase == PH_PROBE_TEXT) {
    bc_at_probe_written(at);
    return;
  }
  slot *s = bc_at_head_slot(at);
  if (at->phase == PH_TEXT && (s->flags & BC_AT_CMD_PROMPT)) {
    at->phase = PH_PROMPT;
  } else {
    at->phase = PH_WAIT;
  }
  /* Timers run from "completely written": for a prompt command again once the payload
   * is out, since only then does the module start working on it. */
  arm_timers(at, s, now_ms);
}

/* ---- timers ----------------------------------------------------------------------- */

uint64_t bc_at_next_deadline(const bc_at_engine *at) {
  if (at->phase == PH_PROMPT || at->phase == PH_WAIT || at->phase == PH_PAYLOAD) {
    uint64_t d = at->total_deadline;
    if (!at->got_byte && at->first_deadline < d) d = at->first_deadline;
    return d;
  }
  return bc_at_debt_deadline(at); /* a query: NO_DEADLINE unless resyncing */
}

/* A timeout of the running command or of a probe: UNRESPONSIVE once enough came in a row
 * (any received line resets the count). */
static void bc_at_count_timeout(bc_at_engine *at) {
  if (++at->consecutive_timeouts == at->cfg.unresponsive_after)
    bc_at_ev_push(at, BC_AT_EV_UNRESPONSIVE, NULL, 0);
}

/* The head command gave up waiting for the resync: it fails, never written (a retry
 * cannot send anything twice: its own result says so). */
static void fail_head_unsent(bc_at_engine *at) {
  bc_at_respond(at, BC_AT_RESULT_UNSENT, 0, NULL, 0, 0);
  bc_at_drop_head(at);
}

/* Carries out what the resync decided, in the order of enum resync_verdict. */
static void follow(bc_at_engine *at, unsigned verdict) {
  if (verdict & RESYNC_COUNT_TIMEOUT) {
    at->counters.timeouts++;
    bc_at_count_timeout(at);
  }
  if (verdict & RESYNC_FAIL_HEAD) fail_head_unsent(at);
  if (verdict & RESYNC_START_NEXT) bc_at_start_next(at);
}

static void run_timers(bc_at_engine *at, uint64_t now) {
  at->now = now;
  if (at->phase != PH_PROMPT && at->phase != PH_WAIT && at->phase != PH_PAYLOAD) {
    if (bc_at_resyncing(at)) follow(at, bc_at_debt_timers(at));
    return;
  }
  if (now < at->total_deadline && (at->got_byte || now < at->first_deadline)) return;
  bc_at_respond(at, BC_AT_RESULT_TIMEOUT, 0, NULL, 0, 1);
  at->counters.timeouts++;
  bc_at_count_timeout(at);
  /* The module still owes this command its final result, however late: it is reported
   * as the command's late answer, never taken as the next command's (docs/design.md,
   * "Late answers"). */
  bc_at_debt_begin(at, bc_at_head_slot(at));
  bc_at_drop_head(at);
  bc_at_start_next(at);
}

void bc_at_tick(bc_at_engine *at, uint64_t now_ms) {
  bc_at_ev_reclaim(at);
  /* A timer raises an answer and at most one other event (see bc_at_new); when the caller
   * has not popped, the timer waits (its deadline stays in the past, so the next tick
   * fires it). */
  if (bc_at_ev_room(at)) run_timers(at, now_ms);
}

/* ---- line classification --------------------------------------------------------- */

static void append_answer(bc_at_engine *at, const char *l, size_t n) {
  if (at->answer_overflow || at->cfg.answer_max - at->answer_len < n + 1) {
    /* Never a silently short answer: the response will say BC_AT_RESULT_OVERFLOW. */
    if (!at->answer_overflow) at->counters.overflows++;
    at->answer_overflow = 1;
    return;
  }
  memcpy(at->answer + at->answer_len, l, n);
  at->answer[at->answer_len + n] = '\0';
  at->answer_len += n + 1;
  at->answer_lines++;
}

/* The rank of a boot marker (bc_at_config.boot_markers: 1 for the first printed), 0 for
 * any other line. A marker matches the line exactly, or without the space after its
 * colon ("+X:1" for "+X: 1"). */
static int boot_rank(const bc_at_engine *at, const char *l, size_t n) {
  unsigned char first = (unsigned char)l[0];
  if (!(at->boot_first[first >> 3] & (1u << (first & 7)))) return 0;
  for (size_t i = 0; i < at->cfg.n_boot_markers; i++) {
    const char *m = at->cfg.boot_markers[i];
    size_t ml = at->boot_len[i];
    if (m[0] != l[0] || (n != ml && n + 1 != ml)) continue;
    if (n == ml) {
      if (memcmp(l, m, n) == 0) return (int)i + 1;
      continue;
    }
    const char *colon = memchr(m, ':', ml);
    size_t c = colon ? (size_t)(colon - m) + 1 : ml; /* bytes up to the colon */
    if (c < ml && m[c] == ' ' && memcmp(l, m, c) == 0 && memcmp(l + c, m + c + 1, ml - c - 1) == 0)
      return (int)i + 1;
  }
  return 0;
}

/* A boot marker nobody asked for is a reboot: every pending command fails with
 * BC_AT_RESULT_REBOOT, nothing is owed any more, BC_AT_EV_REBOOT is raised. Markers that follow
 * it in boot order within BOOT_BANNER_MS belong to the same reboot: they are reported as
 * ordinary lines (URCs), not as more reboots. Returns 1 when the line was the reboot. */
static int reboot(bc_at_engine *at, const char *l, size_t n, line_view *v) {
  int rank = boot_rank(at, l, n);
  if (!rank) return 0;
  /* A marker after the first may also answer a query (the state it reports): a line the
   * running (or the timed-out) command expects is its answer. */
  slot *s = bc_at_head_slot(at);
  if (rank > 1 && ((at->phase >= PH_PROMPT && at->phase <= PH_WAIT &&
                    bc_at_match_any(s->expect, s->n_expect, v)) ||
                   bc_at_owed_expects(at, v)))
    return 0;
  int same_banner = at->banner_rank && rank > at->banner_rank &&
                    at->now - at->banner_at <= BOOT_BANNER_MS;
  at->banner_rank = rank;
  at->banner_at = at->now;
  if (same_banner) return 0;
  at->counters.reboots++;
  fail_rebooted(at, l, n);
  bc_at_ev_push(at, BC_AT_EV_REBOOT, NULL, 0);
  return 1;
}

static void classify(bc_at_engine *at, const char *l, size_t n) {
  line_view v = {l, n, 0, 0};
  at->counters.lines++;
  at->consecutive_timeouts = 0;
  if (reboot(at, l, n, &v)) return;
  /* After a timeout, until the debt is settled (at_resync.c). */
  if (bc_at_resyncing(at)) {
    unsigned verdict = bc_at_debt_line(at, &v); /* a line settles, it never fails a command */
    if (verdict & RESYNC_START_NEXT) bc_at_start_next(at);
    if (verdict) return;
  }
  slot *s = bc_at_head_slot(at);
  bc_at_result r;
  int code;
  if (at->phase >= PH_PROMPT && at->phase <= PH_WAIT) {
    /* Only a completely written command can be answered (Zephyr PR #67527). */
    if (bc_at_final_of(s, &v, &r, &code)) {
      complete(at, r, code, l, n);
      return;
    }
    if (bc_at_match_any(s->expect, s->n_expect, &v)) {
      append_answer(at, l, n);
      return;
    }
  }
  if (bc_at_match_any(at->cfg.urcs, at->cfg.n_urcs, &v)) {
    /* A URC between answer lines stays a URC (TinyGSM #682). */
    bc_at_ev_line(at, &at->counters.urcs, BC_AT_EV_URC, l, n);
    return;
  }
  /* Echo of the running command: echo is on after every reboot, even after ATE0. */
  if (s && running(at) && bc_at_is_echo(s, l, n)) return;
  if (bc_at_is_generic_final(l, n, &r, &code)) { /* nobody's: not the running command's */
    bc_at_event *e = bc_at_ev_line(at, &at->counters.unknown, BC_AT_EV_UNOWED, l, n);
    if (e) e->result = r, e->code = code;
    return;
  }
  /* A probe's answer nobody waits for: its final will come next (at_resync.c). Any other
   * line after a command was completely written is its answer, whatever its shape
   * (docs/design.md, "Whole answers"). */
  if (!bc_at_stray_marker(at, &v) && at->phase >= PH_PROMPT && at->phase <= PH_WAIT) {
    append_answer(at, l, n);
    return;
  }
  bc_at_ev_line(at, &at->counters.unknown, BC_AT_EV_UNKNOWN, l, n);
}

static void overflow_line(bc_at_engine *at) {
  bc_at_ev_line(at, &at->counters.overflows, BC_AT_EV_OVERFLOW, at->line, OVERFLOW_HEAD);
  /* The lost line may have been the running command's answer: say so in its result. */
  if (at->phase >= PH_PROMPT && at->phase <= PH_WAIT) at->answer_overflow = 1;
  at->line_len = 0;
}

/* ---- input ------------------------------------------------------------------------ */

size_t bc_at_feed(bc_at_engine *at, const uint8_t *buf, size_t n, uint64_t now_ms) {
  if (!buf || !n) { /* nothing received: a tick */
    bc_at_tick(at, now_ms);
    return 0;
  }
  bc_at_ev_reclaim(at);
  /* No timer runs here: bytes fed before bc_at_tick() count as received in time, however
   * late the caller got to read them (a stalled host must not invent timeouts). */
  at->now = now_ms;
  const uint8_t *p = buf, *end = buf + n;
  /* Next CR and next LF at or after p, or end; recomputed only once p passes them, so
   * each byte is scanned by memchr about twice at most instead of tested one by one. */
  const uint8_t *ncr = NULL, *nlf = NULL;
  while (p < end) {
    if (!bc_at_ev_room(at)) break;
    if (!ncr || ncr < p) {
      ncr = memchr(p, '\r', (size_t)(end - p));
      if (!ncr) ncr = end;
    }
    if (!nlf || nlf < p) {
      nlf = memchr(p, '\n', (size_t)(end - p));
      if (!nlf) nlf = end;
    }
    const uint8_t *eol = ncr < nlf ? ncr : nlf;
    if (at->skipping) {
      if (eol == end) {
        p = end;
        break;
      }
      at->skipping = 0;
      p = eol + 1;
      continue;
    }
    if (at->line_len == 0) {
      uint8_t c = *p;
      if (c == '\r' || c == '\n' || c == 0) { /* empty lines, CRCRLF, NUL padding */
        p++;
        continue;
      }
      if (at->skip_space && c == ' ') {
        at->skip_space = 0;
        p++;
        continue;
      }
      at->skip_space = 0;
      /* The prompt of a command given up before it came (owed, docs/design.md "Late
       * answers"): the module now waits for a payload that will never be sent and would
       * take whatever is written next for it. ESC cancels the prompt, as modules expect;
       * what the module then prints is the owed command's late answer. */
      if (c == '>' && at->phase != PH_PROMPT && at->owing && (at->owed.flags & BC_AT_CMD_PROMPT)) {
        at->cancel_prompt = 1;
        at->skip_space = 1;
        p++;
        continue;
      }
      if (c == '>' && at->phase == PH_PROMPT) {
        at->phase = PH_PAYLOAD;
        slot *s = bc_at_head_slot(at);
        at->out_off = s->text_len + 1;
        at->out_end = at->out_off + s->payload_len + 1;
        at->skip_space = 1;
        p++;
        continue;
      }
    }
    size_t seg = (size_t)(eol - p);
    if (seg > at->cfg.line_max - at->line_len) {
      /* Longer than line_max: report its head, drop the rest up to the line end. */
      size_t keep = at->cfg.line_max - at->line_len;
      memcpy(at->line + at->line_len, p, keep);
      at->line_len += keep;
      overflow_line(at);
      at->skipping = 1;
      p += keep;
      continue;
    }
    if (at->line_len == 0 && eol != end && !memchr(p, 0, seg)) {
      /* The whole line lies in the caller's buffer: classify it there, no copy. */
      const char *l = (const char *)p;
      p = eol + 1;
      classify(at, l, seg);
      continue;
    }
    char *dst = at->line + at->line_len;
    memcpy(dst, p, seg);
    if (seg && memchr(dst, 0, seg)) { /* NUL bytes inside a line: drop them */
      size_t k = 0;
      for (size_t i = 0; i < seg; i++)
        if (dst[i]) dst[k++] = dst[i];
      seg = k;
    }
    at->line_len += seg;
    p = eol;
    if (eol == end) break; /* partial line: wait for more bytes */
    p = eol + 1;
    if (at->line_len) {
      at->line[at->line_len] = '\0';
      size_t len = at->line_len;
      at->line_len = 0;
      classify(at, at->line, len);
    }
  }
  size_t used = (size_t)(p - buf);
  at->counters.bytes_in += used;
  /* Any byte after the command is out counts as the module's first sign of life. */
  if (used && at->phase >= PH_PROMPT && at->phase <= PH_WAIT) at->got_byte = 1;
  return used;
}
