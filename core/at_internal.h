/* at_internal.h: the AT engine's state and the functions its files share. Layers, each
 * calling only the ones below it: at.c (queue, timers, classification, input) on top;
 * at_resync.c (late answers after a timeout; its face to at.c is at_resync.h), entered
 * by at.c only while something is owed or settling (and at a line it would show as
 * unknown), returning a verdict that at.c carries out;
 * at_slot.c (a held command: its
 * shapes, finals, echo, deadlines), at_match.c (line shapes) and at_events.c (the event
 * ring) at the bottom. Not installed, not for callers. */
#ifndef BC260Y_AT_INTERNAL_H
#define BC260Y_AT_INTERNAL_H

#include "at.h"

#define NO_DEADLINE UINT64_MAX

typedef struct slot {
  char *buf; /* text, CR, payload, ^Z */
  size_t text_len, payload_len;
  bc_at_match expect[BC_AT_CMD_MAX_EXPECT];
  char expect_prefix[BC_AT_CMD_MAX_EXPECT][BC_AT_MATCH_MAX_PREFIX + 1];
  size_t n_expect;
  bc_at_match finals[BC_AT_CMD_MAX_FINALS];
  char final_prefix[BC_AT_CMD_MAX_FINALS][BC_AT_MATCH_MAX_PREFIX + 1];
  size_t n_finals;
  unsigned flags;
  uint32_t first_byte_ms, total_ms;
  uint64_t tag;
  uint64_t serial; /* the engine's own number for it (counters.commands when submitted) */
} slot;


enum phase {
  PH_IDLE = 0,   /* nothing on the wire */
  PH_TEXT,       /* writing "text\r" */
  PH_PROMPT,     /* text written, waiting for '>' */
  PH_PAYLOAD,    /* writing payload and ^Z */
  PH_WAIT,       /* everything written, waiting for the final result */
  PH_PROBE_TEXT, /* in debt: writing a resync probe before the head command */
  PH_PROBE_WAIT, /* in debt: the head command waits for the probes' answers */
  PH_BLOCKED     /* in debt, no probe can tell (none, or each clashes with the owed
                    command): the head command waits for the owed final */
};

/* A line being classified, with its field count cached: the count scans the whole line
 * (a +NNMI downlink is 5 KiB of hex), and several table entries share a prefix. */
typedef struct line_view {
  const char *s;
  size_t n;
  size_t fields_at; /* offset of the ':' the cached count follows; 0: none cached */
  int fields;
} line_view;

struct bc_at_engine {
  bc_at_config cfg;
  uint64_t now; /* the time of the call that is running (feed, tick, output_consumed) */
  /* line assembly */
  char *line;
  size_t line_len;
  int skipping;   /* inside an over-long line: drop bytes up to the next line end */
  int skip_space; /* just saw a prompt '>': one following space belongs to it */
  int cancel_prompt; /* a '>' came for a prompt command given up: ESC goes out first */
  /* command queue: slots[head] is the running command (or the next one, while in debt) */
  slot *slots;
  char *cmd_bufs;     /* the slots' and owed's text buffers, one block (bc_at_new) */
  size_t n_slots, head, count;
  enum phase phase;
  size_t out_off, out_end;
  int got_byte;
  uint64_t first_deadline, total_deadline;
  unsigned consecutive_timeouts;
  /* the boot banner being read: rank of its last marker and when it came (0: none) */
  int banner_rank;
  uint64_t banner_at;
  /* boot markers (bc_at_config): their lengths, and a bit per byte that starts one (most
   * lines start with none: one test) */
  size_t boot_len[BC_AT_MAX_BOOT_MARKERS];
  unsigned char boot_first[32];
  /* late answers (at_resync.c) */
  slot owed;                          /* the timed-out command that still owes its final */
  int owing;
  /* Probes written and not answered, oldest first, as runs of one marker: probes only
   * share a marker when the newest one's is reused (bc_at_probe_start), so each marker is in
   * one run at most and n_runs <= n_probes. */
  struct probe_run {
    unsigned char probe; /* index in cfg.probes */
    uint32_t n;          /* how many in a row */
  } runs[BC_AT_MAX_PROBES];
  size_t n_runs;
  int probe;           /* the probe being written or awaited; -1: none */
  int marked;          /* a probe's marker came: its final is next */
  int marked_newest;   /* ...and it may have been the newest probe's own answer */
  int stale;           /* a marker nobody waits for came: the next final is that answer's */
  unsigned answered;   /* a bit per probe whose marker the module has printed */
  unsigned char refusals[BC_AT_MAX_PROBES]; /* bare finals taken as its answer since then */
  uint64_t probe_due;     /* when the newest probe out times out; 0: it did (or a new one
                             must go out at once) */
  uint64_t head_deadline; /* when the head command gives up waiting for the resync */
  uint64_t deadline_of;   /* the serial of the head command head_deadline is for */
  /* answer of the running command */
  char *answer;
  size_t answer_len, answer_lines;
  int answer_overflow;
  /* events */
  bc_at_event *ring; /* waiting events, kept as the caller will get them: their texts point
                     into the arena, which is never moved */
  size_t ring_cap, ring_head, ring_count;
  char *arena;
  size_t arena_cap, arena_used, arena_need;
  bc_at_counters counters;
  const char *error;
};

/* at_match.c */
int bc_at_view_fields(line_view *v, size_t colon);
int bc_at_match_line(const bc_at_match *m, line_view *v);
int bc_at_match_any(const bc_at_match *m, size_t n, line_view *v);

/* at_events.c */
void bc_at_ev_reclaim(bc_at_engine *at);
int bc_at_ev_room(const bc_at_engine *at);
const char *bc_at_ev_put(bc_at_engine *at, const char *s, size_t n);
bc_at_event *bc_at_ev_push(bc_at_engine *at, bc_at_event_type type, const char *s, size_t n);
bc_at_event *bc_at_ev_line(bc_at_engine *at, uint64_t *counter, bc_at_event_type type, const char *s,
                   size_t n);

/* at_slot.c */
int bc_at_final_of(const slot *s, line_view *v, bc_at_result *r, int *code);
int bc_at_is_generic_final(const char *l, size_t n, bc_at_result *r, int *code);
int bc_at_is_echo(const slot *s, const char *l, size_t n);
int bc_at_copy_matches(bc_at_match *dst, char (*store)[BC_AT_MATCH_MAX_PREFIX + 1], const bc_at_match *src,
                    size_t n);
uint64_t bc_at_later(uint64_t now, uint32_t ms);

/* The running command, or the next one while in debt; NULL when none is queued. */
static inline slot *bc_at_head_slot(bc_at_engine *at) { return at->count ? &at->slots[at->head] : NULL; }

#endif
