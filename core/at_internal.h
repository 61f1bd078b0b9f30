/* at_internal.h: the AT engine's state and the functions its files share (at.c: queue,
 * timers, classification, input; at_match.c: line shapes; at_events.c: the event ring;
 * at_resync.c: late answers after a timeout). Not installed, not for callers. */
#ifndef BC260Y_AT_INTERNAL_H
#define BC260Y_AT_INTERNAL_H

#include "at.h"

#define NO_DEADLINE UINT64_MAX
#define AT_PROBE_KINDS 5 /* resync probes, each with its own answer line (at_resync.c) */

typedef struct slot {
  char *buf; /* text, CR, payload, ^Z */
  size_t text_len, payload_len;
  at_match expect[AT_CMD_MAX_EXPECT];
  char expect_prefix[AT_CMD_MAX_EXPECT][AT_MATCH_MAX_PREFIX + 1];
  size_t n_expect;
  at_match finals[AT_CMD_MAX_FINALS];
  char final_prefix[AT_CMD_MAX_FINALS][AT_MATCH_MAX_PREFIX + 1];
  size_t n_finals;
  unsigned flags;
  uint32_t first_byte_ms, total_ms;
  uint64_t tag;
} slot;

/* A waiting event is kept as the caller will get it: its texts point into the arena,
 * which is never moved. */
typedef at_event ev_rec;

enum phase {
  PH_IDLE = 0,   /* nothing on the wire */
  PH_TEXT,       /* writing "text\r" */
  PH_PROMPT,     /* text written, waiting for '>' */
  PH_PAYLOAD,    /* writing payload and ^Z */
  PH_WAIT,       /* everything written, waiting for the final result */
  PH_PROBE_TEXT, /* in debt: writing a resync probe before the head command */
  PH_PROBE_WAIT, /* in debt: the probe is out, waiting for its answer */
  PH_BLOCKED     /* in debt, every probe out unanswered: the head command waits */
};

/* A line being classified, with its field count cached: the count scans the whole line
 * (a +NNMI downlink is 5 KiB of hex), and several table entries share a prefix. */
typedef struct line_view {
  const char *s;
  size_t n;
  size_t fields_at; /* offset of the ':' the cached count follows; 0: none cached */
  int fields;
} line_view;

struct at_engine {
  at_config cfg;
  uint64_t now; /* the time of the call that is running (feed, tick, output_consumed) */
  /* line assembly */
  char *line;
  size_t line_len;
  int skipping;   /* inside an over-long line: drop bytes up to the next line end */
  int skip_space; /* just saw a prompt '>': one following space belongs to it */
  /* command queue: slots[head] is the running command (or the next one, while in debt) */
  slot *slots;
  char *cmd_bufs;     /* the slots' and owed's text buffers, one block (at_new) */
  size_t n_slots, head, count;
  enum phase phase;
  size_t out_off, out_end;
  int got_byte;
  uint64_t first_deadline, total_deadline;
  unsigned consecutive_timeouts;
  /* the boot banner being read: rank of its last marker and when it came (0: none) */
  int banner_rank;
  uint64_t banner_at;
  /* late answers (at_resync.c) */
  slot owed;                          /* the timed-out command that still owes its final */
  int owing;
  unsigned char out[AT_PROBE_KINDS];  /* probes written and not answered, oldest first */
  size_t n_out;
  int probe;          /* the probe being written or awaited; -1: none */
  int marked;         /* the probe whose answer line came, its final next; -1: none */
  int idle_seen;      /* the owed final came while a probe waited: the module is idle */
  uint64_t idle_at;   /* when the host saw it (its next tick); NO_DEADLINE until then */
  uint64_t blocked_until; /* PH_BLOCKED: when the head command gives up; NO_DEADLINE:
                             not armed yet */
  /* answer of the running command */
  char *answer;
  size_t answer_len, answer_lines;
  int answer_overflow;
  /* events */
  ev_rec *ring;
  size_t ring_cap, ring_head, ring_count;
  char *arena;
  size_t arena_cap, arena_used, arena_need;
  at_counters counters;
  const char *error;
};

/* at_match.c */
int at_view_fields(line_view *v, size_t colon);
int at_match_line(const at_match *m, line_view *v);
int at_match_any(const at_match *m, size_t n, line_view *v);

/* at_events.c */
void at_ev_reclaim(at_engine *at);
int at_ev_room(const at_engine *at);
const char *at_ev_put(at_engine *at, const char *s, size_t n);
ev_rec *at_ev_push(at_engine *at, at_event_type type, const char *s, size_t n);
ev_rec *at_ev_line(at_engine *at, uint64_t *counter, at_event_type type, const char *s,
                   size_t n);

/* at.c, for at_resync.c */
slot *at_head_slot(at_engine *at);
void at_respond(at_engine *at, at_result r, int code, const char *final, size_t final_len,
                int with_answer);
void at_start_next(at_engine *at);
void at_drop_head(at_engine *at);
void at_count_timeout(at_engine *at);
int at_final_of(const slot *s, line_view *v, at_result *r, int *code);
int at_is_generic_final(const char *l, size_t n, at_result *r, int *code);
int at_is_echo(const slot *s, const char *l, size_t n);
int at_copy_matches(at_match *dst, char (*store)[AT_MATCH_MAX_PREFIX + 1], const at_match *src,
                    size_t n);
uint64_t at_later(uint64_t now, uint32_t ms);

/* at_resync.c */
int at_in_debt(const at_engine *at);
void at_debt_begin(at_engine *at);
void at_debt_cancel(at_engine *at);
void at_debt_reboot(at_engine *at);
void at_probe_start(at_engine *at);
const char *at_probe_text(int kind);
void at_probe_written(at_engine *at);
uint64_t at_debt_deadline(const at_engine *at);
void at_debt_timers(at_engine *at);
int at_debt_line(at_engine *at, line_view *v);
int at_owed_expects(at_engine *at, line_view *v);

#endif
