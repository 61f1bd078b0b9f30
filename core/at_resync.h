/* at_resync.h: the resync's face to at.c (at_resync.c): the verdicts it returns and the
 * steps at.c enters it for, only while bc_at_resyncing(). Not installed. */
#ifndef BC260Y_AT_RESYNC_H
#define BC260Y_AT_RESYNC_H

#include "at_internal.h"

/* Does the module still owe something: the timed-out command's final, or a probe's
 * answer? Then no command is written. */
static inline int bc_at_in_debt(const bc_at_engine *at) { return at->owing || at->n_runs; }

/* In debt, or a final still to come that is not the running command's (a probe's after
 * its marker, a stale answer's), or a probe or a blocked head command on the way out.
 * Only then does at.c enter the resync's steps (bc_at_debt_deadline, a pure query, says
 * NO_DEADLINE otherwise); and at a line it would show as unknown (bc_at_stray_marker). */
static inline int bc_at_resyncing(const bc_at_engine *at) {
  return bc_at_in_debt(at) || at->marked || at->stale || at->phase >= PH_PROBE_TEXT;
}

/* What at.c must do next, in this order, after a resync step (bc_at_debt_line returns only
 * RESYNC_NOT_MINE, or RESYNC_TAKEN with RESYNC_START_NEXT or not: a line settles a debt,
 * it never fails a command): */
enum resync_verdict {
  RESYNC_NOT_MINE = 0,          /* bc_at_debt_line: the line is classified as usual */
  RESYNC_TAKEN = 1 << 0,        /* the line was the debt's (late answer, probe, echo) */
  RESYNC_COUNT_TIMEOUT = 1 << 1, /* a probe timed out: count it (bc_at_count_timeout) */
  RESYNC_FAIL_HEAD = 1 << 2,    /* the head command gave up waiting: fail it unsent */
  RESYNC_START_NEXT = 1 << 3    /* put the next thing on the wire (bc_at_start_next) */
};
void bc_at_debt_begin(bc_at_engine *at, slot *head);
void bc_at_debt_cancel(bc_at_engine *at);
void bc_at_debt_reboot(bc_at_engine *at);
void bc_at_probe_start(bc_at_engine *at);
const char *bc_at_probe_text(const bc_at_engine *at);
void bc_at_probe_begun(bc_at_engine *at);
void bc_at_probe_written(bc_at_engine *at);
uint64_t bc_at_debt_deadline(const bc_at_engine *at);
unsigned bc_at_debt_timers(bc_at_engine *at);
unsigned bc_at_debt_line(bc_at_engine *at, line_view *v);
int bc_at_owed_expects(bc_at_engine *at, line_view *v);
int bc_at_stray_marker(bc_at_engine *at, line_view *v);

#endif
