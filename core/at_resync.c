/* at_resync.c: after a timeout, the late answer stays the timed-out command's and the
 * next command gets its own (docs/design.md, "Late answers").
 *
 * The module answers in order, so a command that timed out still owes one final result.
 * The command moves to at->owed; its answer lines and its final, whenever they come, are
 * BC_AT_EV_LATE events with its tag. No command is written while anything is owed: the
 * engine first writes a probe, a harmless query whose answer line (its marker) the owed
 * answer cannot contain. A probe is owed like a command until it is answered, however
 * late: never forgotten on a timer. What is owed forms one queue in write order (the
 * timed-out command, then the probes, at->runs); a marker settles everything up to the
 * earliest probe out with that marker, and the final after it is that probe's. The next
 * command goes out once nothing is owed. The command a probe went out for waits no longer
 * than its own total timeout: then it fails with BC_AT_RESULT_UNSENT, never written, and the
 * next command's probe takes over.
 *
 * The probes come in bc_at_config. This file calls nothing of at.c: at.c enters it only
 * while bc_at_resyncing() (and at a line it would show as unknown: bc_at_stray_marker) and
 * carries out the verdict each step returns (enum resync_verdict in at_resync.h).
 */
#include <string.h>

#include "at_resync.h"

/* Is the line probe k's marker? */
static int is_marker(const bc_at_engine *at, int k, line_view *v) {
  return bc_at_match_line(&at->cfg.probes[k].marker, v);
}

const char *bc_at_probe_text(const bc_at_engine *at) { return at->cfg.probes[at->probe].text; }

/* dst takes src's command; their buffers are swapped, so nothing is allocated. */
static void move_slot(slot *dst, slot *src) {
  char *buf = dst->buf;
  *dst = *src;
  src->buf = buf;
  /* dst's shapes point at dst's own copies of the prefixes */
  bc_at_copy_matches(dst->expect, dst->expect_prefix, src->expect, src->n_expect);
  bc_at_copy_matches(dst->finals, dst->final_prefix, src->finals, src->n_finals);
}

/* The head command timed out (or was on the wire at a reboot): it is owed. The caller
 * drops it from the queue. Nothing else is owed then: a command is written only once the
 * debt is settled, and probes are written only in debt. */
void bc_at_debt_begin(bc_at_engine *at, slot *head) {
  move_slot(&at->owed, head);
  at->owing = 1;
}

void bc_at_debt_cancel(bc_at_engine *at) {
  at->owing = 0;
  at->n_runs = 0;
  at->probe = -1;
  at->marked = at->stale = 0;
}

/* A reboot settles nothing: what the module read after booting it still answers, so the
 * owed command and the probes written stay owed (a probe not yet begun on the wire was
 * never owed: bc_at_probe_begun). A final that was still to come after a marker was lost in
 * the reboot. Probes that the reboot lost are settled by the next probe's answer: its
 * marker is a free one or the newest one's (next_marker), no timer needed; it goes out
 * with the next command, the module having nothing older to answer. */
void bc_at_debt_reboot(bc_at_engine *at) {
  at->probe = -1;
  at->marked = at->stale = 0;
  at->probe_due = 0; /* the next command's probe goes out at once */
}

static int ieq(char a, char b) {
  if (a >= 'a' && a <= 'z') a = (char)(a - 'a' + 'A');
  return a == b;
}

/* Could the owed command's answer contain probe k's marker? Then k cannot tell the two
 * apart: a command that names the probe's query (AT+CMEE?, AT+CMEE=?, a ';' chain) or
 * expects its answer line. */
static int clashes(const bc_at_engine *at, int k) {
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

static int is_out(const bc_at_engine *at, int k) {
  for (size_t i = 0; i < at->n_runs; i++)
    if (at->runs[i].probe == k) return 1;
  return 0;
}

/* The marker of the next probe: one no probe out uses, preferring a query the module
 * has answered with its marker before, then the one it refused least (a bare final): only
 * a marker settles probes the module lost. With every marker out, the newest probe's, so
 * that its answer settles every older one (a module deaf for a while) and the probe after
 * it finds a free marker. -1: none (no probes, or every one clashes with the owed
 * command). */
static int next_marker(const bc_at_engine *at) {
  int best = -1, best_score = 0;
  for (int k = 0; k < (int)at->cfg.n_probes; k++) {
    if (is_out(at, k) || clashes(at, k)) continue;
    int score = (at->answered & (1u << k) ? 0 : 256) + at->refusals[k];
    if (best < 0 || score < best_score) best = k, best_score = score;
  }
  if (best >= 0) return best;
  if (at->n_runs && !clashes(at, at->runs[at->n_runs - 1].probe))
    return at->runs[at->n_runs - 1].probe;
  return -1;
}

void bc_at_probe_start(bc_at_engine *at) {
  /* The newest probe out is still within its own timeout: the head command waits for
   * its answer. A probe per waiting command would pile up in a module that is slow (and
   * use up the markers); one per timeout is enough to reach a module that recovers. */
  if (at->n_runs && at->now < at->probe_due) {
    at->phase = PH_PROBE_WAIT;
    return;
  }
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
void bc_at_probe_begun(bc_at_engine *at) {
  struct probe_run *last = at->n_runs ? &at->runs[at->n_runs - 1] : NULL;
  if (last && last->probe == at->probe) {
    if (last->n < UINT32_MAX) last->n++;
    return;
  }
  if (at->n_runs == BC_AT_MAX_PROBES) return; /* cannot happen: one run per marker */
  at->runs[at->n_runs].probe = (unsigned char)at->probe;
  at->runs[at->n_runs++].n = 1;
}

static int head_armed(const bc_at_engine *at) {
  return at->deadline_of == at->slots[at->head].serial;
}

/* The head command waits for the resync no longer than its own total timeout, counted
 * from the first time it waits: later probes for it do not extend the wait. */
static void arm_head(bc_at_engine *at) {
  if (head_armed(at)) return;
  at->deadline_of = at->slots[at->head].serial;
  at->head_deadline = bc_at_later(at->now, at->slots[at->head].total_ms);
}

/* A probe times out like a command with the default total timeout (the guide's longest
 * answer time): then it stays owed and the next probe may go out. */
void bc_at_probe_written(bc_at_engine *at) {
  at->phase = PH_PROBE_WAIT;
  at->probe_due = bc_at_later(at->now, at->cfg.total_ms);
  arm_head(at);
}

static int head_waits(const bc_at_engine *at) {
  return at->count && (at->phase == PH_PROBE_WAIT || at->phase == PH_BLOCKED);
}

uint64_t bc_at_debt_deadline(const bc_at_engine *at) {
  if (!head_waits(at)) return NO_DEADLINE;
  /* "at once" is the engine's own time: arms the head's wait (bc_at_debt_timers) */
  if (!head_armed(at)) return at->now;
  uint64_t d = at->head_deadline;
  if (at->phase == PH_PROBE_WAIT && at->probe_due && at->probe_due < d) d = at->probe_due;
  return d;
}

unsigned bc_at_debt_timers(bc_at_engine *at) {
  if (!head_waits(at)) return 0;
  arm_head(at);
  unsigned verdict = 0;
  if (at->phase == PH_PROBE_WAIT && at->probe_due && at->now >= at->probe_due) {
    /* The newest probe timed out: it stays owed, and the next one goes out (a module deaf
     * meanwhile lost this one). 0: timed out and counted. */
    at->probe_due = 0;
    verdict |= RESYNC_COUNT_TIMEOUT | RESYNC_START_NEXT;
  }
  if (at->now >= at->head_deadline) verdict |= RESYNC_FAIL_HEAD | RESYNC_START_NEXT;
  return verdict;
}

static void late_event(bc_at_engine *at, const line_view *v, int is_final, bc_at_result r, int code) {
  bc_at_event *e = bc_at_ev_line(at, &at->counters.late, BC_AT_EV_LATE, v->s, v->n);
  if (!e) return;
  e->tag = at->owed.tag;
  e->is_final = is_final;
  e->result = r; /* BC_AT_RESULT_OK, code 0 for an answer line */
  e->code = code;
}

/* Is a probe out whose query the module answers with its marker? Its answer will settle
 * everything before it. */
static int good_out(const bc_at_engine *at) {
  for (size_t i = 0; i < at->n_runs; i++)
    if (at->answered & (1u << at->runs[i].probe)) return 1;
  return 0;
}

/* Is a query the module answers with its marker free for the next probe? */
static int good_free(const bc_at_engine *at) {
  int k = next_marker(at);
  return k >= 0 && !is_out(at, k) && (at->answered & (1u << k));
}

/* Something owed was settled: what next. With nothing owed, the head command goes out if
 * it was waiting (a probe of its out, or blocked, or a probe not begun yet). When the
 * answer may have been the newest probe's own while older ones are still believed out
 * (ambiguous: a marker the newest shares with older probes; or a bare final with no probe
 * out whose query the module answers with a marker, and one free), a new probe goes out
 * at once: its marker, a free one, tells (without it, a module that lost the older ones
 * would leave them owed until the probe timeout, or for ever). One new probe per such
 * answer, and its own answer, a marker, settles everything before it: no livelock. */
static unsigned settled(bc_at_engine *at, int ambiguous) {
  int waiting = at->phase == PH_PROBE_WAIT || at->phase == PH_BLOCKED ||
                (at->phase == PH_PROBE_TEXT && at->out_off == 0);
  if (!bc_at_in_debt(at)) return waiting ? RESYNC_TAKEN | RESYNC_START_NEXT : RESYNC_TAKEN;
  if (ambiguous) at->probe_due = 0; /* the next probe goes out at once */
  if ((ambiguous && at->phase == PH_PROBE_WAIT) || at->phase == PH_BLOCKED)
    return RESYNC_TAKEN | RESYNC_START_NEXT;
  return RESYNC_TAKEN;
}

/* One probe of run i is answered, and every probe before it. */
static void settle_to(bc_at_engine *at, size_t i) {
  at->runs[i].n--;
  size_t drop = i + (at->runs[i].n == 0);
  at->n_runs -= drop;
  memmove(at->runs, at->runs + drop, at->n_runs * sizeof at->runs[0]);
}

int bc_at_owed_expects(bc_at_engine *at, line_view *v) {
  return at->owing && bc_at_match_any(at->owed.expect, at->owed.n_expect, v);
}

/* A probe's marker that nobody waits for (neither a probe out nor the command, which
 * would have taken it): the module is still answering something older than what runs
 * now (a probe answered twice, or a case outside the model), so the next final is that
 * answer's, not the running command's. Returns 1 for such a marker: the line itself is
 * shown (at.c), never taken into the running command's answer. */
int bc_at_stray_marker(bc_at_engine *at, line_view *v) {
  for (int k = 0; k < (int)at->cfg.n_probes; k++)
    if (is_marker(at, k, v)) return at->stale = 1;
  return 0;
}

/* A line while bc_at_resyncing: RESYNC_NOT_MINE, or RESYNC_TAKEN with what else the caller
 * must do. */
unsigned bc_at_debt_line(bc_at_engine *at, line_view *v) {
  const char *l = v->s;
  size_t n = v->n;
  bc_at_result r;
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
    at->refusals[k] = 0;
    at->answered |= 1u << k;
    at->marked = 1;
    return RESYNC_TAKEN;
  }
  if (at->marked) { /* the final after a marker: that probe's own, consumed */
    if (!bc_at_is_generic_final(l, n, &r, &code)) return RESYNC_NOT_MINE;
    at->marked = 0;
    return settled(at, at->marked_newest);
  }
  if (at->stale && bc_at_is_generic_final(l, n, &r, &code)) { /* bc_at_stray_marker */
    at->stale = 0;
    bc_at_event *e = bc_at_ev_line(at, &at->counters.unknown, BC_AT_EV_UNOWED, l, n);
    if (e) e->result = r, e->code = code;
    return RESYNC_TAKEN;
  }
  for (size_t i = 0; i < at->n_runs; i++) { /* a probe's echo */
    const char *t = at->cfg.probes[at->runs[i].probe].text;
    if (n == strlen(t) - 1 && memcmp(l, t, n) == 0) return RESYNC_TAKEN;
  }
  if (at->owing) {
    const slot *s = &at->owed;
    if (bc_at_final_of(s, v, &r, &code)) {
      late_event(at, v, 1, r, code);
      at->owing = 0;
      return settled(at, 0);
    }
    if (bc_at_is_echo(s, l, n)) return RESYNC_TAKEN;
    /* Its answer, whatever the shape, unless a known URC (docs/design.md, "Whole
     * answers"): it was written before anything still to be answered. */
    if (bc_at_match_any(s->expect, s->n_expect, v) ||
        !bc_at_match_any(at->cfg.urcs, at->cfg.n_urcs, v)) {
      late_event(at, v, 0, BC_AT_RESULT_OK, 0);
      return RESYNC_TAKEN;
    }
  } else if (at->n_runs && bc_at_is_generic_final(l, n, &r, &code)) {
    /* Nothing owed but probes, and a final before any marker: the oldest probe's (a
     * module that refused the query; the probe answering is at or after the oldest, so
     * settling the oldest never settles too much). Shown, and that probe is settled. */
    bc_at_ev_line(at, &at->counters.unknown, BC_AT_EV_UNKNOWN, l, n);
    /* taken as the oldest one's refusal: a guess (a later probe may be the one answering)
     * that only orders the markers (next_marker) */
    if (at->refusals[at->runs[0].probe] < UINT8_MAX) at->refusals[at->runs[0].probe]++;
    settle_to(at, 0);
    return settled(at, at->n_runs && !good_out(at) && good_free(at));
  }
  return RESYNC_NOT_MINE;
}
