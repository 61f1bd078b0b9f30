/* at_resync.c: after a timeout, the late answer stays the timed-out command's and the
 * next command gets its own (docs/design.md, "Late answers").
 *
 * The module answers in order, so a command that timed out still owes one final result.
 * The command moves to at->owed; its answer lines and its final, whenever they come, are
 * AT_EV_LATE events with its tag. No command is written while anything is owed: the
 * engine first writes a probe, a harmless query whose answer line (its marker) the owed
 * answer cannot contain. A probe is owed like a command until it is answered, however
 * late: never forgotten on a timer. What is owed forms one queue in write order (the
 * timed-out command, then the probes, at->runs); a marker settles everything up to the
 * earliest probe out with that marker, and the final after it is that probe's. The next
 * command goes out once nothing is owed. The command a probe went out for waits no longer
 * than its own total timeout: then it fails with AT_RESULT_UNSENT, never written, and the
 * next command's probe takes over.
 *
 * The probes come in at_config. This file calls nothing of at.c: at.c enters it only
 * while at_resyncing() (and at a line it would show as unknown: at_stray_marker) and
 * carries out the verdict each step returns (enum resync_verdict in at_resync.h).
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
 * drops it from the queue. Nothing else is owed then: a command is written only once the
 * debt is settled, and probes are written only in debt. */
void at_debt_begin(at_engine *at, slot *head) {
  move_slot(&at->owed, head);
  at->owing = 1;
}

void at_debt_cancel(at_engine *at) {
  at->owing = 0;
  at->n_runs = 0;
  at->probe = -1;
  at->marked = at->stale = 0;
}

/* A reboot settles nothing: what the module read after booting it still answers, so the
 * owed command and the probes written stay owed (a probe not yet begun on the wire was
 * never owed: at_probe_begun). A final that was still to come after a marker was lost in
 * the reboot. Probes that the reboot lost are settled by the next probe's answer: its
 * marker is a free one or the newest one's (at_probe_start), no timer needed. */
void at_debt_reboot(at_engine *at) {
  at->probe = -1;
  at->marked = at->stale = 0;
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
  for (size_t i = 0; i < at->n_runs; i++)
    if (at->runs[i].probe == k) return 1;
  return 0;
}

/* The marker of the next probe: one no probe out uses (a query the module answered with
 * its marker before that one it answered with a bare final: only a marker settles probes
 * the module lost); with every marker out, the newest probe's, so that its answer settles
 * every older one (a module deaf for a while) and the probe after it finds a free marker.
 * -1: none (no probes, or every one clashes with the owed command). */
static int next_marker(const at_engine *at) {
  int refused = -1;
  for (int k = 0; k < (int)at->cfg.n_probes; k++) {
    if (is_out(at, k) || clashes(at, k)) continue;
    if (!(at->refused & (1u << k))) return k;
    if (refused < 0) refused = k;
  }
  if (refused >= 0) return refused;
  if (at->n_runs && !clashes(at, at->runs[at->n_runs - 1].probe))
    return at->runs[at->n_runs - 1].probe;
  return -1;
}

void at_probe_start(at_engine *at) {
  int k = next_marker(at);
  if (k < 0) {
    /* No probe can tell: the head command waits (its own total timeout at most) for the
     * owed final or a reboot. */
    at->phase = PH_BLOCKED;
    return;
  }
  at->probe = k;
  at->phase = PH_PROBE_TEXT;
  at->out_off = 0;
  at->out_end = strlen(at->cfg.probes[k].text);
}

/* The probe's first byte went out: from now on the module may answer it, so it is owed. */
void at_probe_begun(at_engine *at) {
  struct probe_run *last = at->n_runs ? &at->runs[at->n_runs - 1] : NULL;
  if (last && last->probe == at->probe) {
    if (last->n < UINT32_MAX) last->n++;
    return;
  }
  if (at->n_runs == AT_MAX_PROBES) return; /* cannot happen: one run per marker */
  at->runs[at->n_runs].probe = (unsigned char)at->probe;
  at->runs[at->n_runs++].n = 1;
}

/* The probe waits as long as the command it goes out for (the head) may wait for the
 * resync, counted from its first probe: a second probe for it does not extend the wait. */
void at_probe_written(at_engine *at) {
  const slot *h = at_head_slot(at);
  at->phase = PH_PROBE_WAIT;
  if (at->deadline_of != h->serial) {
    at->deadline_of = h->serial;
    at->head_deadline = at_later(at->now, h->total_ms);
  }
  at->total_deadline = at->head_deadline;
}

uint64_t at_debt_deadline(const at_engine *at) {
  if (at->phase == PH_PROBE_WAIT) return at->total_deadline;
  if (at->phase != PH_BLOCKED || !at->count) return NO_DEADLINE;
  /* "at once" is the engine's own time: arms the head's wait (at_debt_timers) */
  return at->deadline_of == at->slots[at->head].serial ? at->head_deadline : at->now;
}

unsigned at_debt_timers(at_engine *at) {
  uint64_t now = at->now;
  if (at->phase == PH_PROBE_WAIT) {
    if (now < at->total_deadline) return 0;
    /* The probe stays owed; the command it went out for fails unsent, and the next one
     * writes a probe of its own (a module deaf meanwhile lost this one). */
    at->probe = -1;
    return RESYNC_COUNT_TIMEOUT | RESYNC_FAIL_HEAD | RESYNC_START_NEXT;
  }
  if (at->phase != PH_BLOCKED || !at->count) return 0;
  const slot *s = at_head_slot(at);
  if (at->deadline_of != s->serial) {
    at->deadline_of = s->serial;
    at->head_deadline = at_later(now, s->total_ms);
    return 0;
  }
  if (now < at->head_deadline) return 0;
  return RESYNC_FAIL_HEAD | RESYNC_START_NEXT;
}

static void late_event(at_engine *at, const line_view *v, int is_final, at_result r, int code) {
  at_event *e = at_ev_line(at, &at->counters.late, AT_EV_LATE, v->s, v->n);
  if (!e) return;
  e->tag = at->owed.tag;
  e->is_final = is_final;
  e->result = r; /* AT_RESULT_OK, code 0 for an answer line */
  e->code = code;
}

/* Something owed was settled: what next. With nothing owed, the head command goes out if
 * it was waiting (a probe of its out, or blocked, or a probe not begun yet). When the
 * settling marker was the newest probe's and probes with it are still believed out, the
 * answer may have been the newest probe's own: a new probe, with a free marker, tells
 * (without it, a module that lost the older ones would leave them owed for ever). */
static unsigned settled(at_engine *at, int newest_ambiguous) {
  int waiting = at->phase == PH_PROBE_WAIT || at->phase == PH_BLOCKED ||
                (at->phase == PH_PROBE_TEXT && at->out_off == 0);
  if (!at_in_debt(at)) return waiting ? RESYNC_TAKEN | RESYNC_START_NEXT : RESYNC_TAKEN;
  if ((newest_ambiguous && at->phase == PH_PROBE_WAIT) || at->phase == PH_BLOCKED)
    return RESYNC_TAKEN | RESYNC_START_NEXT;
  return RESYNC_TAKEN;
}

/* One probe of run i is answered, and every probe before it. */
static void settle_to(at_engine *at, size_t i) {
  at->runs[i].n--;
  size_t drop = i + (at->runs[i].n == 0);
  at->n_runs -= drop;
  memmove(at->runs, at->runs + drop, at->n_runs * sizeof at->runs[0]);
}

int at_owed_expects(at_engine *at, line_view *v) {
  return at->owing && at_match_any(at->owed.expect, at->owed.n_expect, v);
}

/* A probe's marker that nobody waits for (neither a probe out nor the command, which
 * would have taken it): the module is still answering something older than what runs
 * now (a probe answered twice, or a case outside the model), so the next final is that
 * answer's, not the running command's. The line itself is shown (at.c). */
void at_stray_marker(at_engine *at, line_view *v) {
  for (int k = 0; k < (int)at->cfg.n_probes; k++)
    if (is_marker(at, k, v)) {
      at->stale = 1;
      return;
    }
}

/* A line while at_resyncing: RESYNC_NOT_MINE, or RESYNC_TAKEN with what else the caller
 * must do. */
unsigned at_debt_line(at_engine *at, line_view *v) {
  const char *l = v->s;
  size_t n = v->n;
  at_result r;
  int code;
  /* A probe's marker: everything written before the earliest probe out with that marker
   * is settled (the module answers in order), the owed final too, if it never came (the
   * command was lost). If a later probe with the same marker was the one answering, the
   * ones before it are settled all the same: it only stays believed out. */
  for (size_t i = 0; i < at->n_runs; i++) {
    int k = at->runs[i].probe;
    if (!is_marker(at, k, v)) continue;
    at->owing = 0;
    at->marked_newest = i == at->n_runs - 1 && at->runs[i].n > 1;
    settle_to(at, i);
    at->refused &= ~(1u << k);
    at->marked = 1;
    return RESYNC_TAKEN;
  }
  if (at->marked) { /* the final after a marker: that probe's own, consumed */
    if (!at_is_generic_final(l, n, &r, &code)) return RESYNC_NOT_MINE;
    at->marked = 0;
    return settled(at, at->marked_newest);
  }
  if (at->stale && at_is_generic_final(l, n, &r, &code)) { /* at_stray_marker */
    at->stale = 0;
    at_event *e = at_ev_line(at, &at->counters.unknown, AT_EV_UNOWED, l, n);
    if (e) e->result = r, e->code = code;
    return RESYNC_TAKEN;
  }
  if (at->owing) {
    const slot *s = &at->owed;
    if (at_final_of(s, v, &r, &code)) {
      late_event(at, v, 1, r, code);
      at->owing = 0;
      return settled(at, 0);
    }
    if (at_match_any(s->expect, s->n_expect, v) ||
        ((s->flags & AT_CMD_TEXT_LINES) && l[0] != '+' && !at_is_echo(s, l, n))) {
      late_event(at, v, 0, AT_RESULT_OK, 0);
      return RESYNC_TAKEN;
    }
    if (at_is_echo(s, l, n)) return RESYNC_TAKEN;
  } else if (at->n_runs && at_is_generic_final(l, n, &r, &code)) {
    /* Nothing owed but probes, and a final before any marker: the oldest probe's (a
     * module that refused the query; the probe answering is at or after the oldest, so
     * settling the oldest never settles too much). Shown, and that probe is settled. */
    at_ev_line(at, &at->counters.unknown, AT_EV_UNKNOWN, l, n);
    at->refused |= 1u << at->runs[0].probe;
    settle_to(at, 0);
    return settled(at, 0);
  }
  for (size_t i = 0; i < at->n_runs; i++) { /* a probe's echo */
    const char *t = at->cfg.probes[at->runs[i].probe].text;
    if (n == strlen(t) - 1 && memcmp(l, t, n) == 0) return RESYNC_TAKEN;
  }
  return RESYNC_NOT_MINE;
}
