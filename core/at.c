/* at.c: the AT engine (see at.h). Bytes and time come from the caller; this file only
 * splits lines, classifies them, runs the command queue and its timers, and hands out
 * events. All memory is taken in at_new(): the line buffer, the answer buffer, the command
 * slots (text, payload and expected shapes are copied in), the event ring and the arena
 * that holds the texts of waiting events.
 */
#include "at.h"

#include <stdlib.h>
#include <string.h>

#define OVERFLOW_HEAD 64 /* bytes of an over-long line kept in its overflow event */
#define NO_DEADLINE UINT64_MAX
#define SIZE_LIMIT ((size_t)1 << 28) /* refuse configs whose sizes would overflow */

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

typedef struct ev_rec {
  at_event_type type;
  at_result result;
  int code;
  uint64_t tag;
  size_t text_off, text_len; /* text_off SIZE_MAX: no text */
  size_t lines_off, n_lines;
} ev_rec;

enum phase {
  PH_IDLE = 0,     /* no command running */
  PH_TEXT,         /* writing "text\r" */
  PH_PROMPT,       /* text written, waiting for '>' */
  PH_PAYLOAD,      /* writing payload and ^Z */
  PH_WAIT,         /* everything written, waiting for the final result */
  PH_SETTLE        /* the head command timed out: waiting for a late reply */
};

struct at_engine {
  at_config cfg;
  /* line assembly */
  char *line;
  size_t line_len;
  int skipping;   /* inside an over-long line: drop bytes up to the next line end */
  int skip_space; /* just saw a prompt '>': one following space belongs to it */
  /* command queue: slots[head] is the running (or settling) command */
  slot *slots;
  size_t n_slots, head, count;
  enum phase phase;
  size_t out_off, out_end;
  int got_byte;
  uint64_t first_deadline, total_deadline, settle_until;
  unsigned consecutive_timeouts;
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

/* ---- configuration ---------------------------------------------------------------- */

void at_config_defaults(at_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->line_max = 4096;
  cfg->answer_max = 8192;
  cfg->queue_max = 16;
  cfg->cmd_max = 4096;
  cfg->event_max = 64;
  cfg->first_byte_ms = 2000;
  cfg->total_ms = 5000;
  cfg->settle_ms = 300;
  cfg->unresponsive_after = 3;
}

static int config_ok(const at_config *c) {
  if (c->line_max < 4096 || c->line_max > SIZE_LIMIT) return 0;
  if (c->answer_max < 1 || c->answer_max > SIZE_LIMIT) return 0;
  if (c->queue_max < 1 || c->queue_max > 4096) return 0;
  if (c->cmd_max < 1 || c->cmd_max > SIZE_LIMIT) return 0;
  if (c->event_max < 4 || c->event_max > 65536) return 0;
  if (c->n_urcs && !c->urcs) return 0;
  for (size_t i = 0; i < c->n_urcs; i++)
    if (!c->urcs[i].prefix || !c->urcs[i].prefix[0]) return 0;
  return 1;
}

at_engine *at_new(const at_config *cfg) {
  at_config def;
  if (!cfg) {
    at_config_defaults(&def);
    cfg = &def;
  }
  if (!config_ok(cfg)) return NULL;
  at_engine *at = calloc(1, sizeof *at);
  if (!at) return NULL;
  at->cfg = *cfg;
  if (!at->cfg.first_byte_ms) at->cfg.first_byte_ms = 2000;
  if (!at->cfg.total_ms) at->cfg.total_ms = 5000;
  /* One slot more than queue_max: a timed-out command keeps its slot while it settles
   * (it is answered already) without taking room from the caller's queue. */
  at->n_slots = cfg->queue_max + 1;
  at->slots = calloc(at->n_slots, sizeof *at->slots);
  at->line = malloc(cfg->line_max + 1);
  at->answer = malloc(cfg->answer_max);
  /* Invariant: waiting events + pending commands <= ring_cap, i.e. every command not yet
   * answered has a ring slot kept for its answer. An answer (response) takes the slot its
   * command kept; only other events (URC, unknown, late, overflow, reboot, unresponsive)
   * need new room, and feeding/ticking raises at most one of them per step, and only while
   * at most event_max are waiting (room()). So a step ends with at most
   * event_max + queue_max + 1 events, and at_submit() refuses a command that would push
   * events + pending past ring_cap. at_abort_all() only answers pending commands: always
   * room. */
  at->ring_cap = cfg->event_max + cfg->queue_max + 1;
  at->ring = calloc(at->ring_cap, sizeof *at->ring);
  /* Texts: one line plus one full answer per processed line, with slack for the events
   * already waiting. */
  at->arena_need = cfg->line_max + cfg->answer_max + 2 * OVERFLOW_HEAD + 8;
  at->arena_cap = 2 * at->arena_need + cfg->event_max * (OVERFLOW_HEAD + 8);
  at->arena = malloc(at->arena_cap);
  int ok = at->slots && at->line && at->answer && at->ring && at->arena;
  for (size_t i = 0; ok && i < at->n_slots; i++) {
    at->slots[i].buf = malloc(cfg->cmd_max + 2);
    if (!at->slots[i].buf) ok = 0;
  }
  if (!ok) {
    at_free(at);
    return NULL;
  }
  at->phase = PH_IDLE;
  at->first_deadline = at->total_deadline = at->settle_until = NO_DEADLINE;
  at->error = "";
  return at;
}

void at_free(at_engine *at) {
  if (!at) return;
  if (at->slots)
    for (size_t i = 0; i < at->n_slots; i++) free(at->slots[i].buf);
  free(at->slots);
  free(at->line);
  free(at->answer);
  free(at->ring);
  free(at->arena);
  free(at);
}

const char *at_error(const at_engine *at) { return at ? at->error : "no engine"; }
size_t at_pending(const at_engine *at) {
  return at->count - (at->phase == PH_SETTLE ? 1 : 0);
}
const at_counters *at_get_counters(const at_engine *at) { return &at->counters; }

/* ---- field counting and matching ------------------------------------------------- */

static size_t count_commas(const char *s, size_t n) {
  /* Quote-aware: a comma inside "..." is part of a string field. Lines without quotes
   * (hex payloads, numbers) take the memchr path. */
  size_t commas = 0;
  if (!memchr(s, '"', n)) {
    const char *p = s, *end = s + n;
    while ((p = memchr(p, ',', (size_t)(end - p))) != NULL) {
      commas++;
      p++;
    }
    return commas;
  }
  int quoted = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"')
      quoted = !quoted;
    else if (s[i] == ',' && !quoted)
      commas++;
  }
  return commas;
}

int at_count_fields(const char *line, size_t len, const char *prefix) {
  if (!line || !prefix) return -1;
  size_t pl = strlen(prefix);
  if (pl > len || memcmp(line, prefix, pl) != 0) return -1;
  if (pl == len) return 0;
  size_t i = pl;
  if (prefix[pl - 1] != '=') {
    if (line[i] != ':') return -1; /* "+NNMIX" is not "+NNMI" */
    i++;
  }
  while (i < len && line[i] == ' ') i++;
  if (i == len) return 0; /* "+X:" with nothing after it */
  size_t commas = count_commas(line + i, len - i);
  return commas >= 127 ? 127 : (int)commas + 1;
}

/* A line being classified, with its field count cached: the count scans the whole line
 * (a +NNMI downlink is 2 KiB of hex), and several table entries share a prefix. */
typedef struct line_view {
  const char *s;
  size_t n;
  size_t fields_at; /* offset of the ':' the cached count follows; 0: none cached */
  int fields;
} line_view;

static int view_fields(line_view *v, size_t colon) {
  if (v->fields_at != colon) {
    size_t i = colon + 1;
    while (i < v->n && v->s[i] == ' ') i++;
    size_t commas = i < v->n ? count_commas(v->s + i, v->n - i) : 0;
    v->fields = i == v->n ? 0 : commas >= 127 ? 127 : (int)commas + 1;
    v->fields_at = colon;
  }
  return v->fields;
}

static int match_line(const at_match *m, line_view *v) {
  const char *line = v->s;
  size_t len = v->n, pl = strlen(m->prefix);
  if (pl == 0 || pl > len || line[0] != m->prefix[0]) return 0;
  if (memcmp(line, m->prefix, pl) != 0) return 0;
  if (m->min_fields == AT_MATCH_ANY_TEXT || m->prefix[pl - 1] == '=') return 1;
  int n;
  if (pl == len)
    n = 0;
  else if (line[pl] != ':')
    return 0; /* "+NNMIX" is not "+NNMI" */
  else
    n = view_fields(v, pl);
  if (n < m->min_fields) return 0;
  return m->max_fields < 0 || n <= m->max_fields;
}

static int match_any(const at_match *m, size_t n, line_view *v) {
  for (size_t i = 0; i < n; i++)
    if (match_line(&m[i], v)) return 1;
  return 0;
}

/* ---- events ----------------------------------------------------------------------- */

/* Texts of popped events stay valid until the next call that may raise events; at that
 * call, once every event has been popped, the arena starts over. */
static void reclaim(at_engine *at) {
  if (at->ring_count == 0) at->arena_used = 0;
}

static int room(const at_engine *at) {
  return at->ring_count <= at->cfg.event_max &&
         at->arena_cap - at->arena_used >= at->arena_need;
}

static size_t arena_put(at_engine *at, const char *s, size_t n) {
  /* room() guaranteed the space; the check keeps a logic error from writing past it */
  if (at->arena_cap - at->arena_used < n + 1) return SIZE_MAX;
  size_t off = at->arena_used;
  memcpy(at->arena + off, s, n);
  at->arena[off + n] = '\0';
  at->arena_used += n + 1;
  return off;
}

static ev_rec *push_event(at_engine *at, at_event_type type) {
  /* Cannot happen: events + pending <= ring_cap (see at_new); kept so that a logic error
   * shows as a lost event in the fuzzer, not as memory corruption. */
  if (at->ring_count >= at->ring_cap) return NULL;
  ev_rec *e = &at->ring[(at->ring_head + at->ring_count) % at->ring_cap];
  at->ring_count++;
  memset(e, 0, sizeof *e);
  e->type = type;
  e->text_off = SIZE_MAX;
  e->lines_off = SIZE_MAX;
  return e;
}

static void push_text_event(at_engine *at, at_event_type type, const char *s, size_t n) {
  ev_rec *e = push_event(at, type);
  if (!e) return;
  e->text_off = arena_put(at, s, n);
  e->text_len = e->text_off == SIZE_MAX ? 0 : n;
}

int at_next_event(at_engine *at, at_event *ev) {
  if (!at || at->ring_count == 0) return 0;
  ev_rec *e = &at->ring[at->ring_head];
  at->ring_head = (at->ring_head + 1) % at->ring_cap;
  at->ring_count--;
  memset(ev, 0, sizeof *ev);
  ev->type = e->type;
  ev->tag = e->tag;
  ev->result = e->result;
  ev->code = e->code;
  if (e->text_off != SIZE_MAX) {
    ev->text = at->arena + e->text_off;
    ev->len = e->text_len;
  }
  if (e->lines_off != SIZE_MAX) {
    ev->lines = at->arena + e->lines_off;
    ev->n_lines = e->n_lines;
  }
  return 1;
}

const char *at_event_line(const at_event *ev, size_t i) {
  if (!ev || !ev->lines || i >= ev->n_lines) return NULL;
  const char *p = ev->lines;
  while (i--) p += strlen(p) + 1;
  return p;
}

/* ---- the command queue ------------------------------------------------------------ */

static slot *head_slot(at_engine *at) { return at->count ? &at->slots[at->head] : NULL; }

static void reset_answer(at_engine *at) {
  at->answer_len = 0;
  at->answer_lines = 0;
  at->answer_overflow = 0;
}

/* Makes the head of the queue the running command: its text is now output. */
static void start_next(at_engine *at) {
  at->first_deadline = at->total_deadline = at->settle_until = NO_DEADLINE;
  at->got_byte = 0;
  reset_answer(at);
  if (!at->count) {
    at->phase = PH_IDLE;
    at->out_off = at->out_end = 0;
    return;
  }
  slot *s = head_slot(at);
  at->phase = PH_TEXT;
  at->out_off = 0;
  at->out_end = s->text_len + 1;
}

static void drop_head(at_engine *at) {
  at->head = (at->head + 1) % at->n_slots;
  at->count--;
}

static void respond(at_engine *at, const slot *s, at_result r, int code, const char *final,
                    size_t final_len, int with_answer) {
  ev_rec *e = push_event(at, AT_EV_RESPONSE);
  if (!e) return;
  e->tag = s->tag;
  e->result = r;
  e->code = code;
  if (final) {
    e->text_off = arena_put(at, final, final_len);
    e->text_len = e->text_off == SIZE_MAX ? 0 : final_len;
  }
  if (with_answer && at->answer_lines) {
    e->lines_off = arena_put(at, at->answer, at->answer_len ? at->answer_len - 1 : 0);
    e->n_lines = e->lines_off == SIZE_MAX ? 0 : at->answer_lines;
  }
}

/* The running command got its final line. */
static void complete(at_engine *at, at_result r, int code, const char *line, size_t len) {
  slot *s = head_slot(at);
  if (at->answer_overflow && (r == AT_RESULT_OK || r == AT_RESULT_FINAL))
    r = AT_RESULT_OVERFLOW;
  respond(at, s, r, code, line, len, 1);
  drop_head(at);
  start_next(at);
}

static void fail_all(at_engine *at, at_result r, const char *line, size_t len) {
  if (at->phase == PH_SETTLE) { /* answered already by its timeout */
    drop_head(at);
  } else if (at->count) {
    respond(at, head_slot(at), r, 0, line, len, r != AT_RESULT_ABORTED);
    drop_head(at);
  }
  while (at->count) {
    respond(at, head_slot(at), r, 0, NULL, 0, 0);
    drop_head(at);
  }
  start_next(at);
}

static int copy_matches(at_match *dst, char (*store)[AT_MATCH_MAX_PREFIX + 1],
                        const at_match *src, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!src[i].prefix) return 0;
    size_t pl = strlen(src[i].prefix);
    if (pl == 0 || pl > AT_MATCH_MAX_PREFIX) return 0;
    memcpy(store[i], src[i].prefix, pl + 1);
    dst[i] = src[i];
    dst[i].prefix = store[i];
  }
  return 1;
}

int at_submit(at_engine *at, const at_cmd *cmd) {
  reclaim(at);
  if (!cmd || !cmd->text) return at->error = "no command text", -1;
  size_t pending = at_pending(at);
  if (pending >= at->cfg.queue_max) return at->error = "queue full", -1;
  /* Keep a ring slot for this command's answer (see at_new): otherwise a caller that
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
  if (cmd->payload_len && !(cmd->flags & AT_CMD_PROMPT))
    return at->error = "payload without AT_CMD_PROMPT", -1;
  if (cmd->payload_len && !cmd->payload) return at->error = "payload is NULL", -1;
  if (cmd->payload_len && (memchr(cmd->payload, 0x1a, cmd->payload_len) ||
                           memchr(cmd->payload, 0x1b, cmd->payload_len)))
    return at->error = "^Z or ESC in payload", -1;
  if (cmd->n_expect > AT_CMD_MAX_EXPECT || (cmd->n_expect && !cmd->expect))
    return at->error = "too many expected shapes", -1;
  if (cmd->n_finals > AT_CMD_MAX_FINALS || (cmd->n_finals && !cmd->finals))
    return at->error = "too many finals", -1;
  size_t idx = (at->head + at->count) % at->n_slots;
  slot *s = &at->slots[idx];
  if (!copy_matches(s->expect, s->expect_prefix, cmd->expect, cmd->n_expect) ||
      !copy_matches(s->finals, s->final_prefix, cmd->finals, cmd->n_finals))
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
  at->counters.commands++;
  if (at->phase == PH_IDLE) start_next(at);
  at->error = "";
  return 0;
}

void at_abort_all(at_engine *at) {
  reclaim(at);
  fail_all(at, AT_RESULT_ABORTED, NULL, 0);
  at->line_len = 0;
  at->skipping = 0;
  at->skip_space = 0;
}

/* ---- output ---------------------------------------------------------------------- */

const uint8_t *at_output(const at_engine *at, size_t *len) {
  if ((at->phase == PH_TEXT || at->phase == PH_PAYLOAD) && at->out_off < at->out_end) {
    *len = at->out_end - at->out_off;
    return (const uint8_t *)at->slots[at->head].buf + at->out_off;
  }
  *len = 0;
  return NULL;
}

/* The caller's clock is arbitrary: a deadline past UINT64_MAX is "never", not a wrap. */
static uint64_t later(uint64_t now, uint32_t ms) {
  return now > NO_DEADLINE - ms ? NO_DEADLINE : now + ms;
}

static void arm_timers(at_engine *at, const slot *s, uint64_t now) {
  at->got_byte = 0;
  at->first_deadline = later(now, s->first_byte_ms);
  at->total_deadline = later(now, s->total_ms);
}

void at_output_consumed(at_engine *at, size_t n, uint64_t now_ms) {
  if (at->phase != PH_TEXT && at->phase != PH_PAYLOAD) return;
  size_t left = at->out_end - at->out_off;
  if (n > left) n = left;
  at->out_off += n;
  at->counters.bytes_out += n;
  if (at->out_off < at->out_end) return;
  slot *s = head_slot(at);
  if (at->phase == PH_TEXT && (s->flags & AT_CMD_PROMPT)) {
    at->phase = PH_PROMPT;
  } else {
    at->phase = PH_WAIT;
  }
  /* Timers run from "completely written": for a prompt command again once the payload
   * is out, since only then does the module start working on it. */
  arm_timers(at, s, now_ms);
}

/* ---- timers ----------------------------------------------------------------------- */

uint64_t at_next_deadline(const at_engine *at) {
  if (at->phase == PH_SETTLE) return at->settle_until;
  if (at->phase == PH_PROMPT || at->phase == PH_WAIT || at->phase == PH_PAYLOAD) {
    uint64_t d = at->total_deadline;
    if (!at->got_byte && at->first_deadline < d) d = at->first_deadline;
    return d;
  }
  return NO_DEADLINE;
}

static void run_timers(at_engine *at, uint64_t now) {
  if (at->phase == PH_SETTLE) {
    if (now >= at->settle_until) {
      drop_head(at);
      start_next(at);
    }
    return;
  }
  if (at->phase != PH_PROMPT && at->phase != PH_WAIT && at->phase != PH_PAYLOAD) return;
  if (now < at->total_deadline && (at->got_byte || now < at->first_deadline)) return;
  slot *s = head_slot(at);
  respond(at, s, AT_RESULT_TIMEOUT, 0, NULL, 0, 1);
  at->counters.timeouts++;
  if (++at->consecutive_timeouts == at->cfg.unresponsive_after)
    push_event(at, AT_EV_UNRESPONSIVE);
  reset_answer(at);
  if (at->cfg.settle_ms) {
    /* esp-protocols PR #125: a reply that arrives just after the timeout must not be
     * taken as the next command's. Hold the next one back for a moment. */
    at->phase = PH_SETTLE;
    at->first_deadline = at->total_deadline = NO_DEADLINE;
    at->settle_until = later(now, at->cfg.settle_ms);
  } else {
    drop_head(at);
    start_next(at);
  }
}

void at_tick(at_engine *at, uint64_t now_ms) {
  reclaim(at);
  /* A timer raises an answer and at most one other event (see at_new); when the caller
   * has not popped, the timer waits (its deadline stays in the past, so the next tick
   * fires it). */
  if (room(at)) run_timers(at, now_ms);
}

/* ---- line classification --------------------------------------------------------- */

static int parse_code(const char *s, size_t n) {
  while (n && *s == ' ') s++, n--;
  if (!n) return -1;
  long v = 0;
  int neg = 0;
  if (*s == '-') neg = 1, s++, n--;
  if (!n) return -1;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1; /* verbose text (CMEE=2) */
    v = v * 10 + (s[i] - '0');
    if (v > 1000000) return -1;
  }
  return (int)(neg ? -v : v);
}

/* Generic final results. Returns 1 with *r and *code set. */
static int is_generic_final(const char *l, size_t n, at_result *r, int *code) {
  if (n == 2 && l[0] == 'O' && l[1] == 'K') {
    *r = AT_RESULT_OK, *code = 0;
    return 1;
  }
  if (n == 5 && memcmp(l, "ERROR", 5) == 0) {
    *r = AT_RESULT_ERROR, *code = 0;
    return 1;
  }
  if (n >= 11 && l[0] == '+' && (memcmp(l, "+CME ERROR:", 11) == 0 ||
                                 memcmp(l, "+CMS ERROR:", 11) == 0)) {
    *r = l[3] == 'E' ? AT_RESULT_CME : AT_RESULT_CMS;
    *code = parse_code(l + 11, n - 11);
    return 1;
  }
  return 0;
}

static int is_final_of(const slot *s, line_view *v, at_result *r, int *code) {
  if (is_generic_final(v->s, v->n, r, code)) return 1;
  if (match_any(s->finals, s->n_finals, v)) {
    *r = AT_RESULT_FINAL, *code = 0;
    return 1;
  }
  return 0;
}

static int is_echo(const slot *s, const char *l, size_t n) {
  return n == s->text_len && memcmp(l, s->buf, n) == 0;
}

static void append_answer(at_engine *at, const char *l, size_t n) {
  if (at->answer_overflow || at->cfg.answer_max - at->answer_len < n + 1) {
    /* Never a silently short answer: the response will say AT_RESULT_OVERFLOW. */
    if (!at->answer_overflow) at->counters.overflows++;
    at->answer_overflow = 1;
    return;
  }
  memcpy(at->answer + at->answer_len, l, n);
  at->answer[at->answer_len + n] = '\0';
  at->answer_len += n + 1;
  at->answer_lines++;
}

static void classify(at_engine *at, const char *l, size_t n) {
  line_view v = {l, n, 0, 0};
  at->counters.lines++;
  at->consecutive_timeouts = 0;
  if (n == 3 && memcmp(l, "RDY", 3) == 0) {
    at->counters.reboots++;
    fail_all(at, AT_RESULT_REBOOT, l, n);
    push_event(at, AT_EV_REBOOT);
    return;
  }
  slot *s = head_slot(at);
  at_result r;
  int code;
  if (at->phase == PH_SETTLE) {
    /* The timed-out command's own reply, late: report it, and since the module is
     * evidently done with that command, let the next one go at once. */
    if (is_final_of(s, &v, &r, &code)) {
      at->counters.late++;
      push_text_event(at, AT_EV_LATE, l, n);
      drop_head(at);
      start_next(at);
      return;
    }
    if (match_any(s->expect, s->n_expect, &v)) {
      at->counters.late++;
      push_text_event(at, AT_EV_LATE, l, n);
      return;
    }
  } else if (at->phase >= PH_PROMPT && at->phase <= PH_WAIT) {
    /* Only a completely written command can be answered (Zephyr PR #67527). */
    if (is_final_of(s, &v, &r, &code)) {
      complete(at, r, code, l, n);
      return;
    }
    if (match_any(s->expect, s->n_expect, &v) ||
        ((s->flags & AT_CMD_TEXT_LINES) && l[0] != '+' && !is_echo(s, l, n))) {
      append_answer(at, l, n);
      return;
    }
  }
  if (match_any(at->cfg.urcs, at->cfg.n_urcs, &v)) {
    /* A URC between answer lines stays a URC (TinyGSM #682). */
    at->counters.urcs++;
    push_text_event(at, AT_EV_URC, l, n);
    return;
  }
  if (s && is_echo(s, l, n)) return; /* echo of the running (or settling) command */
  at->counters.unknown++;
  push_text_event(at, AT_EV_UNKNOWN, l, n);
}

static void overflow_line(at_engine *at) {
  at->counters.overflows++;
  push_text_event(at, AT_EV_OVERFLOW, at->line, OVERFLOW_HEAD);
  /* The lost line may have been the running command's answer: say so in its result. */
  if (at->phase >= PH_PROMPT && at->phase <= PH_WAIT) at->answer_overflow = 1;
  at->line_len = 0;
}

/* ---- input ------------------------------------------------------------------------ */

size_t at_feed(at_engine *at, const uint8_t *buf, size_t n, uint64_t now_ms) {
  reclaim(at);
  if (!buf || !n) {
    if (room(at)) run_timers(at, now_ms);
    return 0;
  }
  if (room(at)) run_timers(at, now_ms);
  const uint8_t *p = buf, *end = buf + n;
  /* Next CR and next LF at or after p, or end; recomputed only once p passes them, so
   * each byte is scanned by memchr about twice at most instead of tested one by one. */
  const uint8_t *ncr = NULL, *nlf = NULL;
  while (p < end) {
    if (!room(at)) break;
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
      if (c == '>' && at->phase == PH_PROMPT) {
        at->phase = PH_PAYLOAD;
        slot *s = head_slot(at);
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
