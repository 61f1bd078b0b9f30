/* at_resync.c: after a timeout, the late answer stays the timed-out command's and the
 * next command gets its own (docs/design.md, "Late answers").
 *
 * The module answers in order, so a command that timed out still owes one final result.
 * The command moves to at->owed; its answer lines and its final, whenever they come, are
 * AT_EV_LATE events with its tag. No command is written while anything is owed: the
 * engine first writes a probe, a harmless query whose answer line (its marker) the owed
 * answer cannot contain. Everything the module prints before that marker is older than
 * the probe; the final after it is the probe's; then the next command goes out. A probe
 * that times out is owed too, and the next probe uses another marker, so that a late
 * answer to an old probe is never taken for the new one's. The command a probe went out
 * for waits no longer than its own total timeout for it: then it fails with
 * AT_RESULT_TIMEOUT, never written, and the next command's probe takes over.
 *
 * The probes come in at_config. This file calls nothing of at.c: at.c enters it only
 * while something is owed (at_resyncing) and carries out the verdict each step returns
 * (enum resync_verdict in at_internal.h).
 */
#include <string.h>

#include "at_resync.h"

/* Is the line probe k's marker? */
static int is_marker(const at_engine *at, int k, line_view *v) {
  return at_match_line(&at->cfg.probes[k].marker, v);
}

const char *at_probe_text(const at_engine *at) { return at->cfg.probes[at->probe].text; }

/* dst takes src's command; their buffers are swapped, so nothing is allocated. */
static void move_slot(slot *dst, slot *src) {
  char *buf = dst->buf;
  *dst = *src;
  src->buf = buf;
  /* dst's shapes point at dst's own copies of the prefixes */
  at_copy_matches(dst->expect, dst->expect_prefix, src->expect, src->n_expect);
  at_copy_matches(dst->finals, dst->final_prefix, src->finals, src->n_finals);
}

/* The head command timed out (or was on the wire at a reboot): it is owed. The caller
 * drops it from the queue. */
void at_debt_begin(at_engine *at, slot *head) {
  move_slot(&at->owed, head);
  at->owing = 1;
  at->idle_seen = 0;
}

void at_debt_cancel(at_engine *at) {
  at->owing = 0;
  at->n_probes_out = 0;
  at->probe = at->marked = -1;
  at->idle_seen = 0;
  at->blocked_until = NO_DEADLINE;
}

/* A reboot settles nothing: what the module read after booting it still answers, so the
 * owed command and the probes written stay owed. Only a probe not yet begun on the wire is
 * dropped. But a module that just booted is idle: a probe it kept, it answers within the
 * quiet period (stamp_idle); when none comes, the probes were lost in the reboot and are
 * forgotten. Without that, five probes lost in a reboot would leave every later command
 * waiting for them, failed unsent, for ever (spec/unit/test_at_model.c). An owed command
 * alone needs no such wait: the next probe's marker settles it. */
void at_debt_reboot(at_engine *at) {
  if (at->phase == PH_PROBE_TEXT && at->out_off == 0) at->n_probes_out--;
  at->probe = -1;
  at->idle_seen = at->n_probes_out > 0;
  at->idle_at = NO_DEADLINE;
  at->blocked_until = NO_DEADLINE;
}

static int ieq(char a, char b) {
  if (a >= 'a' && a <= 'z') a = (char)(a - 'a' + 'A');
  return a == b;
}

/* Could the owed command's answer contain probe k's marker? Then k cannot tell the two
 * apart: a command that names the probe's query (AT+CMEE?, AT+CMEE=?, a ';' chain) or
 * expects its answer line. */
static int clashes(const at_engine *at, int k) {
  if (!at->owing) return 0;
  const slot *s = &at->owed;
  for (size_t i = 0; i < s->n_expect; i++)
    if (strcmp(s->expect[i].prefix, at->cfg.probes[k].marker.prefix) == 0) return 1;
  const char *name = at->cfg.probes[k].marker.prefix;
  if (name[0] == '+') name++;
  size_t nl = strlen(name);
  for (size_t i = 0; i + nl <= s->text_len; i++) {
    size_t j = 0;
    while (j < nl && ieq(s->buf[i + j], name[j])) j++;
    if (j == nl) return 1;
  }
  return 0;
}

static int is_out(const at_engine *at, int k) {
  for (size_t i = 0; i < at->n_probes_out; i++)
    if (at->probes_out[i] == k) return 1;
  return 0;
}

/* When the quiet period after the owed final ends (stamp_idle): a probe the module kept is
 * answered by then, or it was dropped. */
static uint64_t quiet_end(const at_engine *at) {
  return at_later(at->idle_at, at->cfg.first_byte_ms);
}

void at_probe_start(at_engine *at) {
  /* The module is idle and answers the probes it kept: no new one, whose writing would
   * start the quiet period again (a module that refuses probes would then never let it
   * end). The head command waits for those answers or the end of the quiet period. */
  if (at->idle_seen) {
    at->phase = PH_BLOCKED;
    at->blocked_until = NO_DEADLINE;
    if (at->idle_at != NO_DEADLINE) at->total_deadline = quiet_end(at); /* else stamp_idle */
    return;
  }
  for (int k = 0; k < (int)at->cfg.n_probes; k++) {
    if (is_out(at, k) || clashes(at, k)) continue;
    at->probe = k;
    at->probes_out[at->n_probes_out++] = (unsigned char)k;
    at->phase = PH_PROBE_TEXT;
    at->out_off = 0;
    at->out_end = strlen(at->cfg.probes[k].text);
    return;
  }
  /* Every marker is out unanswered: the head command waits (its own total timeout at
   * most, armed at the next tick) for one of them, a late final or a reboot. */
  at->phase = PH_BLOCKED;
  at->blocked_until = NO_DEADLINE;
}

/* The probe waits as long as the command it goes out for (the head) would wait for its
 * answer. */
void at_probe_written(at_engine *at) {
  at->phase = PH_PROBE_WAIT;
  at->total_deadline = at_later(at->now, at->slots[at->head].total_ms);
}

uint64_t at_debt_deadline(const at_engine *at) {
  /* "at once" is the engine's own time: a host feeding late bytes as of just before the
   * deadline (modem_io.lua's _feed_read) then stays at or after the last time it gave */
  if (at->idle_seen && at->idle_at == NO_DEADLINE) return at->now; /* stamp it at once */
  if (at->phase == PH_PROBE_WAIT) return at->total_deadline;
  if (at->phase != PH_BLOCKED) return NO_DEADLINE;
  uint64_t d = at->idle_seen ? at->total_deadline : NO_DEADLINE;
  if (at->count) {
    uint64_t b = at->blocked_until == NO_DEADLINE ? at->now : at->blocked_until;
    if (b < d) d = b;
  }
  return d;
}

/* The module finished the owed command and answered no probe within the quiet period
 * (stamp_idle): an idle module answers a probe it kept by then, so it kept none (a module
 * that drops what it is sent while busy, or a reboot that lost them). They are not owed
 * any more. */
static void forget_probes(at_engine *at) {
  at->n_probes_out = 0;
  at->marked = -1;
  at->idle_seen = 0;
}

/* The owed final came while probes were out (at_debt_line): the module is idle from
 * then on, and answers each probe it kept within first_byte_ms of its previous answer
 * (settle_oldest starts the period again; no probe is written meanwhile: at_probe_start).
 * The period starts at the first tick after that, not at the feed's time: a host that
 * was not scheduled for a while feeds what it reads as of before the deadline that
 * passed meanwhile (modem_io.lua's _feed_read), and the final may have come long after
 * that. Dated by the feed, the period would seem over at once and a slow probe's answer
 * would complete the next command (spec/unit/test_at_model.c found it). The tick runs
 * after every byte waiting was fed: its time is the latest the final can have come. */
static void stamp_idle(at_engine *at) {
  at->idle_at = at->now;
  uint64_t end = quiet_end(at);
  if (at->phase != PH_PROBE_WAIT || end < at->total_deadline) at->total_deadline = end;
}

unsigned at_debt_timers(at_engine *at) {
  uint64_t now = at->now;
  if (at->idle_seen && at->idle_at == NO_DEADLINE) stamp_idle(at);
  if (at->phase == PH_PROBE_WAIT) {
    if (now < at->total_deadline) return 0;
    at->probe = -1;
    /* An idle module answers a probe it kept within first_byte_ms: only after that are
     * the probes taken as dropped and the head written. Before it (the head's own
     * timeout is shorter), the probe may still be answered, and its final would be taken
     * for the head's answer: the head fails unsent and the probes stay out. */
    if (at->idle_seen && now >= quiet_end(at)) {
      forget_probes(at);
      return RESYNC_COUNT_TIMEOUT | RESYNC_START_NEXT;
    }
    return RESYNC_COUNT_TIMEOUT | RESYNC_FAIL_HEAD | RESYNC_START_NEXT;
  }
  if (at->phase != PH_BLOCKED) return 0;
  if (at->idle_seen && now >= at->total_deadline) {
    forget_probes(at);
    return RESYNC_START_NEXT;
  }
  if (!at->count) return 0;
  const slot *s = &at->slots[at->head];
  if (at->blocked_until == NO_DEADLINE) {
    at->blocked_until = at_later(now, s->total_ms);
    return 0;
  }
  if (now < at->blocked_until) return 0;
  at->blocked_until = NO_DEADLINE;
  /* the head fails (the caller drops it): with nothing behind it nor probes to wait for,
   * the engine is idle */
  if (at->count == 1 && !at->idle_seen) at->phase = PH_IDLE;
  return RESYNC_FAIL_HEAD;
}

static void late_event(at_engine *at, const line_view *v, int is_final, at_result r, int code) {
  at_event *e = at_ev_line(at, &at->counters.late, AT_EV_LATE, v->s, v->n);
  if (!e) return;
  e->tag = at->owed.tag;
  e->is_final = is_final;
  e->result = r; /* AT_RESULT_OK, code 0 for an answer line */
  e->code = code;
}

/* The probe probes_out[0] is answered: settled. When it was the last one written, the debt is
 * paid and the head command goes out (RESYNC_START_NEXT). */
static unsigned settle_oldest(at_engine *at) {
  int k = at->probes_out[0];
  /* An idle module answers what it kept one after the other: the period in which the
   * next probe's answer is due starts again (stamp_idle). */
  if (at->idle_seen) at->idle_at = NO_DEADLINE;
  at->n_probes_out--;
  memmove(at->probes_out, at->probes_out + 1, at->n_probes_out);
  at->marked = -1;
  if (k == at->probe || (at->phase == PH_BLOCKED && !at_in_debt(at))) {
    at->probe = -1;
    at->idle_seen = 0;
    return RESYNC_TAKEN | RESYNC_START_NEXT;
  }
  return RESYNC_TAKEN;
}

int at_owed_expects(at_engine *at, line_view *v) {
  return at->owing && at_match_any(at->owed.expect, at->owed.n_expect, v);
}

/* A line while in debt (at_in_debt): RESYNC_NOT_MINE, or RESYNC_TAKEN with what else
 * the caller must do. */
unsigned at_debt_line(at_engine *at, line_view *v) {
  const char *l = v->s;
  size_t n = v->n;
  /* A probe's marker: everything written before that probe is settled (the module
   * answers in order), the owed final too, if it never came (the command was lost). */
  for (size_t i = 0; i < at->n_probes_out; i++) {
    if (!is_marker(at, at->probes_out[i], v)) continue;
    at->owing = 0;
    at->n_probes_out -= i;
    memmove(at->probes_out, at->probes_out + i, at->n_probes_out);
    at->marked = at->probes_out[0];
    return RESYNC_TAKEN;
  }
  at_result r;
  int code;
  if (at->marked >= 0) {
    if (!at_is_generic_final(l, n, &r, &code)) return RESYNC_NOT_MINE;
    return settle_oldest(at); /* the marked probe's own final */
  }
  if (at->owing) {
    const slot *s = &at->owed;
    if (at_final_of(s, v, &r, &code)) {
      late_event(at, v, 1, r, code);
      at->owing = 0;
      /* The module is idle now: a probe it kept is answered at once; one that is not
       * answered within first_byte_ms was dropped (see forget_probes). */
      if (at->phase == PH_PROBE_WAIT || (at->n_probes_out && at->phase != PH_PROBE_TEXT)) {
        if (at->phase != PH_PROBE_WAIT) {
          at->phase = PH_BLOCKED; /* probes out, none running: wait for their answers */
          at->blocked_until = NO_DEADLINE;
        }
        at->idle_seen = 1;
        at->idle_at = NO_DEADLINE; /* dated by the next tick (stamp_idle) */
      }
      return RESYNC_TAKEN;
    }
    if (at_match_any(s->expect, s->n_expect, v) ||
        ((s->flags & AT_CMD_TEXT_LINES) && l[0] != '+' && !at_is_echo(s, l, n))) {
      late_event(at, v, 0, AT_RESULT_OK, 0);
      return RESYNC_TAKEN;
    }
    if (at_is_echo(s, l, n)) return RESYNC_TAKEN;
  } else if (at->n_probes_out && at_is_generic_final(l, n, &r, &code)) {
    /* Nothing owed but probes, and a final before any marker: the oldest probe failed
     * (a module that refused the query). Shown, and that probe is settled. */
    at_ev_line(at, &at->counters.unknown, AT_EV_UNKNOWN, l, n);
    return settle_oldest(at);
  }
  for (size_t i = 0; i < at->n_probes_out; i++) { /* a probe's echo */
    const char *t = at->cfg.probes[at->probes_out[i]].text;
    if (n == strlen(t) - 1 && memcmp(l, t, n) == 0) return RESYNC_TAKEN;
  }
  return RESYNC_NOT_MINE;
}
