/* at.h: the AT engine. No I/O of its own: the caller feeds received bytes and the
 * current time, takes the bytes to write, and pops events. One command in flight, the
 * rest queued. Every buffer is sized once in bc_at_new(); nothing is allocated per byte,
 * per line or per command afterwards.
 *
 * Line classification, in this order (docs/design.md):
 *   1. a boot marker (bc_at_config.boot_markers) that no command expects: a reboot.
 *      It fails the running command (BC_AT_RESULT_REBOOT), fails every queued one the same
 *      way and raises BC_AT_EV_REBOOT; the command on the wire becomes owed, like a
 *      timed-out one (a module answers what it read after booting). The markers that
 *      follow it in boot order within a few seconds are the same reboot (ordinary lines);
 *   2. while a timed-out command still owes its final result (docs/design.md, "Late
 *      answers"): its answer lines (any line but a URC, as in 7) and its final (BC_AT_EV_LATE, with its tag), the answer
 *      of a resync probe (consumed), their echoes (dropped); the final of a probe's
 *      answer that nobody owes any more (BC_AT_EV_UNOWED, after its marker);
 *   3. final result of the running command: OK, ERROR, +CME ERROR: n, +CMS ERROR: n,
 *      or one of the command's own finals;
 *   4. a line the running command expects (prefix AND shape), only once the command has
 *      been completely written;
 *   5. a URC from the table given in bc_at_config (prefix AND shape);
 *   6. the echo of the running command (dropped);
 *   7. once the running command is completely written, any other line but a resync
 *      probe's marker: its answer, whatever its shape (bare text, an unknown +X: prefix;
 *      docs/design.md, "Whole answers");
 *   8. otherwise BC_AT_EV_UNKNOWN (BC_AT_EV_UNOWED for a final result). No line is ever
 *      dropped silently.
 *
 * After a timeout the module still owes the command its final result. No command is
 * written until that debt is settled: before the next command the engine writes a probe
 * (bc_at_config.probes: a harmless query) whose answer line the owed answer cannot contain;
 * once that line and its final are in, the next command goes out. A probe is owed like a
 * command until it is answered, however late. A command whose probe is not answered
 * within its own total timeout fails with BC_AT_RESULT_UNSENT, never written.
 *
 * The engine knows no module: its URC table, boot markers and probes come in bc_at_config
 * (the BC260Y-CN's: bc_engine_config in bc260y.h).
 */
#ifndef BC260Y_AT_H
#define BC260Y_AT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A line shape: a prefix and how many comma-separated fields follow its colon.
 * "+NNMI" {0,0} is the bare indication, {1,1} the AT+NNMI? answer, {2,2} the data URC.
 * The colon may be followed by spaces or not ("+X: v" and "+X:v"); commas inside double
 * quotes do not separate fields. After the prefix the line must end or go on with ':'
 * ("+NNMI" does not match "+NNMIX: 1").
 * A prefix ending in '=' ("BUFFERED=") or with min_fields BC_AT_MATCH_ANY_TEXT matches by
 * plain start, whatever follows. */
typedef struct bc_at_match {
  const char *prefix; /* "+CSCON", "BUFFERED=", "RDY" */
  int8_t min_fields;  /* fields after "prefix:"; 0 means the bare prefix */
  int8_t max_fields;  /* -1: no upper bound */
} bc_at_match;

#define BC_AT_LINE_MIN 6144 /* the shortest line_max: a 2560-byte downlink is 5120 hex digits
                            plus its "+NNMI: 2560," or "+NMGR: 2560," prefix */
#define BC_AT_MATCH_ANY_TEXT (-1)  /* min_fields: any line starting with prefix */
#define BC_AT_MATCH_MAX_PREFIX 32 /* longest prefix a queued command may expect */
#define BC_AT_CMD_MAX_EXPECT 4    /* expected shapes per command */
#define BC_AT_CMD_MAX_FINALS 4    /* extra final shapes per command */

enum bc_at_cmd_flags {
  BC_AT_CMD_TEXT_LINES = 1u << 0, /* retired, no effect: every line a written command gets
                                    that is no URC is its answer (rule 7 above); kept so
                                    that callers setting it still build */
  BC_AT_CMD_PROMPT = 1u << 1,     /* wait for '>' then write the payload and Ctrl-Z */
};

/* What a caller submits. The engine copies everything it needs: the caller's memory can
 * go away right after bc_at_submit() returns. */
typedef struct bc_at_cmd {
  const char *text; /* without the trailing CR; no control characters (CR, LF, NUL, ^Z...) */
  size_t len;
  const bc_at_match *expect; /* answer line shapes; may be NULL with n_expect 0 */
  size_t n_expect;
  const bc_at_match *finals; /* extra final result lines for this command, e.g. "SEND OK" */
  size_t n_finals;
  unsigned flags;
  const char *payload; /* for BC_AT_CMD_PROMPT; must not contain ^Z (0x1A) or ESC (0x1B) */
  size_t payload_len;
  uint32_t first_byte_ms; /* from fully written to the first received byte; 0: default.
                             For a prompt command both timers restart once the payload
                             is written. */
  uint32_t total_ms;      /* from fully written to the final result; 0: default */
  uint64_t tag;           /* the caller's id, returned in the response event */
} bc_at_cmd;

#define BC_AT_MAX_PROBES 8       /* resync probes in bc_at_config */
#define BC_AT_MAX_BOOT_MARKERS 8 /* boot markers in bc_at_config */

/* A resync probe: a query that changes nothing, answered at once by one line whose shape
 * (marker) no other command of the module prints and no URC has. The marker's prefix
 * after its '+' is the command name: a timed-out command naming it could answer that line
 * too, so the probe is not used for it. */
typedef struct bc_at_probe {
  const char *text; /* "AT+CMEE?\r": written as it is, so with its CR */
  bc_at_match marker;  /* {"+CMEE", 1, 1} */
} bc_at_probe;

typedef enum bc_at_result {
  BC_AT_RESULT_OK = 0,
  BC_AT_RESULT_ERROR,   /* plain ERROR */
  BC_AT_RESULT_CME,     /* +CME ERROR: code (code -1 when the text is verbose) */
  BC_AT_RESULT_CMS,     /* +CMS ERROR: code */
  BC_AT_RESULT_FINAL,   /* one of the command's own finals */
  BC_AT_RESULT_TIMEOUT, /* first-byte or total timeout */
  BC_AT_RESULT_REBOOT,  /* the module rebooted (a boot marker) while the command ran or waited */
  BC_AT_RESULT_ABORTED, /* bc_at_abort_all(): the caller closed the port */
  BC_AT_RESULT_OVERFLOW, /* an answer larger than answer_max; the answer is incomplete */
  BC_AT_RESULT_UNSENT   /* never written: it waited for the resync (a probe's answer) longer
                        than its own total timeout; the module never saw it */
} bc_at_result;

typedef enum bc_at_event_type {
  BC_AT_EV_RESPONSE = 1, /* a command finished: tag, result, code, final, lines */
  BC_AT_EV_URC,          /* a line from the URC table: text */
  BC_AT_EV_UNKNOWN,      /* a line nobody claimed: text */
  BC_AT_EV_LATE,         /* a line of a command's answer after it timed out: tag, text;
                         is_final, result and code for its final result */
  BC_AT_EV_OVERFLOW,     /* a line longer than line_max was skipped; text: its first bytes */
  BC_AT_EV_REBOOT,       /* the module rebooted (the first boot marker of a banner) */
  BC_AT_EV_UNRESPONSIVE, /* unresponsive_after consecutive timeouts */
  BC_AT_EV_UNOWED        /* a final result no command owes (a stale or doubled answer, or one
                         with nothing running): text, result, code */
} bc_at_event_type;

/* An event. Its pointers stay valid until the next call to bc_at_feed(), bc_at_tick(),
 * bc_at_submit() or bc_at_abort_all() (events are popped between those calls). Texts are
 * NUL-terminated. A response without a final line (timeout, aborted, queued command
 * failed by a reboot) has text NULL and len 0; a reboot of the running command has the
 * boot marker line as its text. BC_AT_RESULT_OVERFLOW replaces OK or a command's own final when
 * an answer line was lost (answer_max exceeded, or a line longer than line_max while the
 * command was waiting): text is then still the final line. */
typedef struct bc_at_event {
  bc_at_event_type type;
  uint64_t tag;      /* BC_AT_EV_RESPONSE, BC_AT_EV_LATE (the timed-out command's) */
  bc_at_result result;  /* BC_AT_EV_RESPONSE, BC_AT_EV_UNOWED; BC_AT_EV_LATE when is_final */
  int code;          /* BC_AT_EV_RESPONSE, BC_AT_EV_UNOWED, BC_AT_EV_LATE when is_final: CME/CMS
                        number */
  const char *text;  /* the line (URC, unknown, late), or the final line of a response */
  size_t len;        /* length of text */
  const char *lines; /* BC_AT_EV_RESPONSE: answer lines, each NUL-terminated, back to back */
  size_t n_lines;
  int is_final;      /* BC_AT_EV_LATE: this line is the timed-out command's final result
                        (result and code say which); 0 for its answer lines */
} bc_at_event;

typedef struct bc_at_config {
  size_t line_max;          /* longest line kept (>= BC_AT_LINE_MIN, the default) */
  size_t answer_max;        /* bytes of answer lines per command (default 8192) */
  size_t queue_max;         /* queued commands, the running one included (default 16) */
  size_t cmd_max;           /* longest command text + payload (default 4096) */
  size_t event_max;         /* events held between pops (default 64, at least 4); bc_at_feed
                               stops consuming once this many are waiting */
  uint32_t first_byte_ms;   /* default first-byte timeout (default 2000) */
  uint32_t total_ms;        /* default total timeout (default 5000: the guide's maximum) */
  unsigned unresponsive_after; /* consecutive timeouts before BC_AT_EV_UNRESPONSIVE (3) */
  const bc_at_match *urcs;     /* the URC table (static; the engine keeps the pointer) */
  size_t n_urcs;
  /* Boot markers in the order the module prints them after a reset ("RDY", "+CFUN: 1"):
   * a line equal to one, or to one without the space after its colon ("+CFUN:1"), is a
   * reboot (static; the engine keeps the pointer). None: no reboot is recognised. */
  const char *const *boot_markers;
  size_t n_boot_markers;
  /* Resync probes, tried in this order (static; the engine keeps the pointer). None:
   * after a timeout, the next commands wait for the owed final and fail unsent
   * meanwhile. */
  const struct bc_at_probe *probes;
  size_t n_probes;
} bc_at_config;

typedef struct bc_at_counters {
  uint64_t bytes_in, bytes_out, lines, urcs, unknown, late, overflows, timeouts,
      commands, reboots;
} bc_at_counters;

typedef struct bc_at_engine bc_at_engine;

/* Fills the defaults above into *cfg (no URC table, boot markers or probes). */
void bc_at_config_defaults(bc_at_config *cfg);
/* NULL when out of memory or when cfg is invalid (line_max < BC_AT_LINE_MIN...). */
bc_at_engine *bc_at_new(const bc_at_config *cfg);
void bc_at_free(bc_at_engine *at);

/* Queues a command. Returns 0, or -1 when the queue is full, when too many events are
 * waiting ("events waiting: pop them first") or when the command is invalid (too long,
 * empty, contains CR/LF/NUL, prefix too long); bc_at_error() says which.
 * Every accepted command is answered by exactly one BC_AT_EV_RESPONSE, whatever the caller
 * does: the event ring always keeps a slot for the answer of each pending command, and
 * bc_at_submit() refuses a command it could not keep one for. A caller that pops every
 * waiting event before submitting is never refused for that reason. Submitting takes no
 * time: a command's timers start once its bytes are written (bc_at_output_consumed). */
int bc_at_submit(bc_at_engine *at, const bc_at_cmd *cmd);
const char *bc_at_error(const bc_at_engine *at);

/* Feeds received bytes. Returns how many were consumed: fewer than n only when the event
 * queue is full; pop every waiting event, then feed the rest. No timer runs here, only in
 * bc_at_tick(): a caller that was not scheduled for a while must read and feed every byte
 * waiting on the port before it ticks, so that an answer that arrived in time is taken as
 * the answer and not as a late one. n 0 is a tick. */
size_t bc_at_feed(bc_at_engine *at, const uint8_t *buf, size_t n, uint64_t now_ms);
/* Runs the timers: call at (or after) bc_at_next_deadline(), after feeding every byte
 * already received. */
void bc_at_tick(bc_at_engine *at, uint64_t now_ms);
/* The next time bc_at_tick() has work (at or before the last time the engine was given: at
 * once), or UINT64_MAX when none. */
uint64_t bc_at_next_deadline(const bc_at_engine *at);

/* Bytes waiting to be written; *len 0 when none. */
const uint8_t *bc_at_output(const bc_at_engine *at, size_t *len);
/* The caller wrote n of them. */
void bc_at_output_consumed(bc_at_engine *at, size_t n, uint64_t now_ms);

/* Pops the oldest event into *ev; returns 0 when there is none. */
int bc_at_next_event(bc_at_engine *at, bc_at_event *ev);
/* The answer lines of a response, one by one: i from 0 to n_lines-1. */
const char *bc_at_event_line(const bc_at_event *ev, size_t i);

/* Fails the running and queued commands with BC_AT_RESULT_ABORTED (port closed; their
 * partial answers are not returned) and forgets a partly received line. */
void bc_at_abort_all(bc_at_engine *at);
/* Commands queued, the running one included. */
size_t bc_at_pending(const bc_at_engine *at);
const bc_at_counters *bc_at_get_counters(const bc_at_engine *at);

/* Field helpers shared with the decoders: number of quote-aware comma-separated fields
 * after "prefix:" (0 for a bare prefix, -1 when line does not start with prefix). */
int bc_at_count_fields(const char *line, size_t len, const char *prefix);

#ifdef __cplusplus
}
#endif

#endif
