/* core_engine.c: bc260y.Engine (core.engine): the Lua face of the AT engine (core/at.h).
 * Times are seconds on the Lua side, milliseconds in the engine; every method that runs the
 * engine (feed, tick, abort) pops all its events and returns them as an array of tables,
 * so the engine's event ring is empty whenever Lua submits (at_submit never answers
 * "events waiting" here).
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "at.h"
#include "bc260y.h"
#include "core.h"
#include "port.h"

#define ENGINE_MT "bc260y.Engine"

/* Seconds (>= 0, < 1.8e16) to milliseconds, rounded to the nearest. Not inlined: one
 * copy serves every caller. Two 32-bit halves, each converted exactly: a direct double to
 * uint64_t conversion pulls a libgcc routine into the flash build on 32-bit targets. */
__attribute__((noinline)) static uint64_t to_ms(lua_Number s) {
  double ms = s * 1000.0 + 0.5;
  uint32_t hi = (uint32_t)(ms / 4294967296.0);
  return (uint64_t)hi << 32 | (uint32_t)(ms - (double)hi * 4294967296.0);
}

/* Seconds (>= 0, finite) to engine milliseconds. */
static uint64_t check_now_ms(lua_State *L, int arg) {
  lua_Number s = luaL_checknumber(L, arg);
  luaL_argcheck(L, s >= 0 && s < 1.8e16, arg, "time out of range");
  return to_ms(s);
}

/* An optional duration (the value at idx, in seconds; nil leaves *out alone) as
 * milliseconds for a uint32 engine field; key names it in the error. */
static void ms_value(lua_State *L, int idx, const char *key, uint32_t *out) {
  if (lua_isnoneornil(L, idx)) return;
  int isnum;
  lua_Number s = lua_tonumberx(L, idx, &isnum);
  if (!isnum || !(s >= 0) || s * 1000.0 > (lua_Number)UINT32_MAX)
    luaL_error(L, "option '%s' must be a number of seconds from 0 to %d", key,
               (int)(UINT32_MAX / 1000));
  *out = (uint32_t)to_ms(s);
}


/* ---- Engine ------------------------------------------------------------------------ */

typedef struct lengine {
  at_engine *at;
  int decode;       /* option decode: answer lines and unclaimed lines carry `decoded` */
  size_t queue_max; /* commands the engine holds (at_config.queue_max) */
} lengine;

static lengine *check_lengine(lua_State *L) { return luaL_checkudata(L, 1, ENGINE_MT); }

static lengine *check_open_engine(lua_State *L) {
  lengine *le = check_lengine(L);
  if (!le->at) luaL_error(L, "bc260y.Engine is closed");
  return le;
}

/* The engine's options, checked in this order, into at_config's fields: sizes (positive
 * integers, size_t), durations (ms_value, uint32_t), a count (a positive integer, unsigned). */
enum { OPT_SIZE, OPT_MS, OPT_COUNT };
static const struct {
  char key[19]; /* in place, not a pointer: no relocation per row */
  unsigned char kind, offset;
} engine_options[] = {
    {"line_max", OPT_SIZE, offsetof(at_config, line_max)},
    {"answer_max", OPT_SIZE, offsetof(at_config, answer_max)},
    {"queue_max", OPT_SIZE, offsetof(at_config, queue_max)},
    {"cmd_max", OPT_SIZE, offsetof(at_config, cmd_max)},
    {"event_max", OPT_SIZE, offsetof(at_config, event_max)},
    {"first_byte", OPT_MS, offsetof(at_config, first_byte_ms)},
    {"total", OPT_MS, offsetof(at_config, total_ms)},
    {"unresponsive_after", OPT_COUNT, offsetof(at_config, unresponsive_after)},
};

static int l_engine(lua_State *L) {
  at_config cfg;
  at_config_defaults(&cfg);
  int decode = 0;
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    for (size_t i = 0; i < sizeof engine_options / sizeof engine_options[0]; i++) {
      const char *key = engine_options[i].key;
      int kind = engine_options[i].kind;
      char *field = (char *)&cfg + engine_options[i].offset;
      lua_getfield(L, 1, key);
      if (kind == OPT_MS) {
        ms_value(L, -1, key, (uint32_t *)(void *)field);
      } else if (!lua_isnil(L, -1)) {
        int isint;
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        if (!isint || v <= 0 || (kind == OPT_SIZE && (uint64_t)v > (uint64_t)SIZE_MAX / 4))
          luaL_error(L, "option '%s' must be a positive integer", key);
        if (kind == OPT_SIZE) {
          size_t sz = (size_t)v;
          memcpy(field, &sz, sizeof sz);
        } else {
          luaL_argcheck(L, v <= UINT_MAX, 1, "unresponsive_after too large");
          cfg.unresponsive_after = (unsigned)v;
        }
      }
      lua_pop(L, 1);
    }
    lua_getfield(L, 1, "decode");
    decode = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  bc_engine_config(&cfg);
  /* The userdata exists before the engine so that a failing lua_newuserdatauv cannot
   * leak it. */
  lengine *le = lua_newuserdatauv(L, sizeof *le, 0);
  le->at = NULL;
  le->decode = decode;
  le->queue_max = cfg.queue_max;
  luaL_setmetatable(L, ENGINE_MT);
  le->at = at_new(&cfg);
  if (!le->at)
    return luaL_error(L, "cannot create engine: invalid options (line_max >= %d, sizes > 0) "
                         "or out of memory", AT_LINE_MIN);
  return 1;
}

/* A result's name ("ok", "cme"...), and its code (nil unless a numbered CME/CMS error;
 * code -1 is a verbose "+CME ERROR: text", whose text is in the final line). */
static void push_result_name(lua_State *L, const at_event *ev) {
  static const char names[][9] = {"ok",      "error",  "cme",     "cms",      "final",
                                  "timeout", "reboot", "aborted", "overflow", "unsent"};
  unsigned r = (unsigned)ev->result;
  lua_pushstring(L, r < sizeof names / sizeof names[0] ? names[r] : "?");
}

static void push_result_code(lua_State *L, const at_event *ev) {
  if ((ev->result == AT_RESULT_CME || ev->result == AT_RESULT_CMS) && ev->code >= 0)
    lua_pushinteger(L, ev->code);
  else
    lua_pushnil(L);
}

/* Sets t.result and t.code on the table at the top. */
static void set_result(lua_State *L, const at_event *ev) {
  push_result_name(L, ev);
  lua_setfield(L, -2, "result");
  push_result_code(L, ev);
  lua_setfield(L, -2, "code");
}

/* t.line = the event's text, t.decoded = its decoded table when decode. */
static void set_line(lua_State *L, const at_event *ev, int decode) {
  set_str(L, "line", ev->text, ev->len);
  if (decode) {
    push_decoded(L, ev->text ? ev->text : "", ev->text ? ev->len : 0);
    lua_setfield(L, -2, "decoded");
  }
}

/* A table of a response's answer lines, or with decoded of their decoded tables (false for
 * a line bc_decode does not know): every line is decoded once, here, like a URC. */
static void push_lines(lua_State *L, const at_event *ev, int decoded) {
  lua_createtable(L, (int)ev->n_lines, 0);
  const char *line = ev->lines;
  for (size_t i = 0; i < ev->n_lines; i++) {
    size_t n = strlen(line);
    if (!decoded) lua_pushlstring(L, line, n);
    else push_decoded(L, line, n);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_pushboolean(L, 0);
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
    line += n + 1;
  }
}

/* With the engine's decode option, t.decoded = the decoded lines (push_lines). */
static void push_decoded_lines(lua_State *L, const at_event *ev) {
  if (ev->n_lines == 0) {
    /* Nothing decoded: the empty lines table serves (one table fewer per plain OK). */
    lua_getfield(L, -1, "lines");
    lua_setfield(L, -2, "decoded");
    return;
  }
  push_lines(L, ev, 1);
  lua_setfield(L, -2, "decoded");
}

static void push_event(lua_State *L, const at_event *ev, int decode) {
  static const char types[][13] = {"?", "response", "urc", "unknown", "late", "overflow",
                                   "reboot", "unresponsive", "unowed"};
  unsigned t = (unsigned)ev->type;
  lua_createtable(L, 0, 6);
  lua_pushstring(L, t < sizeof types / sizeof types[0] ? types[t] : "?");
  lua_setfield(L, -2, "type");
  /* a late event: the timed-out command's tag, its result on the final */
  int response = t == AT_EV_RESPONSE, late = t == AT_EV_LATE, unowed = t == AT_EV_UNOWED;
  if (response || late) set_int(L, "tag", (lua_Integer)ev->tag);
  if (response || unowed || (late && ev->is_final)) set_result(L, ev);
  if (response) {
    if (ev->text) set_str(L, "final", ev->text, ev->len);
    push_lines(L, ev, 0);
    lua_setfield(L, -2, "lines");
    if (decode) push_decoded_lines(L, ev);
  } else if (t == AT_EV_URC || late || unowed || t == AT_EV_UNKNOWN || t == AT_EV_OVERFLOW) {
    set_line(L, ev, decode || t == AT_EV_URC); /* a URC: always decoded */
  } /* reboot, unresponsive: the type says it all */
}

/* Pops every queued event into the array at index arr, which holds n. Returns how many
 * it holds then. */
static size_t drain_events(lua_State *L, const lengine *le, int arr, size_t n) {
  at_event ev;
  while (at_next_event(le->at, &ev)) {
    push_event(L, &ev, le->decode);
    lua_rawseti(L, arr, (lua_Integer)++n);
  }
  return n;
}



/* Reads an expect-like list: { "+FOO" | {"+NNMI", min, max}, ... } at index list (a
 * table, else it raises naming key) into m[]. The prefix strings stay referenced by the
 * options table on the stack until at_submit returns. */
static size_t read_match_list(lua_State *L, int list, const char *key, at_match *m) {
  if (!lua_istable(L, list)) luaL_error(L, "option '%s' must be a table", key);
  lua_Integer len = luaL_len(L, list);
  if (len > AT_CMD_MAX_EXPECT)
    luaL_error(L, "option '%s' has %d entries (at most %d)", key, (int)len, AT_CMD_MAX_EXPECT);
  int n = len > 0 ? (int)len : 0;
  for (int i = 1; i <= n; i++) {
    int t = lua_geti(L, list, i);
    int nested = t == LUA_TTABLE;
    if (nested) t = lua_geti(L, -1, 1); /* the string stays alive: the entry holds it */
    const char *prefix = t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    const char *bad = NULL;
    int f[2] = {0, -1}; /* min, max; 128 for any count out of range */
    for (int j = 0; nested && j < 2 && !bad; j++) {
      int isint = 1;
      if (lua_geti(L, -2, j + 2) != LUA_TNIL) {
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        f[j] = v < -1 || v > 127 ? 128 : (int)v;
      }
      lua_pop(L, 1);
      if (!isint) bad = j ? ": max fields must be an integer" : ": min fields must be an integer";
    }
    int lo = f[0], hi = f[1];
    if (!bad && (!prefix || !prefix[0])) bad = " must be a prefix string or {prefix, min, max}";
    if (!bad && (lo < 0 || lo > 127 || hi < -1 || hi > 127 || (hi >= 0 && hi < lo)))
      bad = ": field counts out of range";
    if (bad) luaL_error(L, "option '%s'[%d]%s", key, i, bad);
    m[i - 1].prefix = prefix;
    m[i - 1].min_fields = (int8_t)lo;
    m[i - 1].max_fields = (int8_t)hi;
    lua_pop(L, 1 + nested);
  }
  return (size_t)n;
}

/* The first key of the table at tbl that is not one of the n names (each size bytes
 * apart from names): the key, or for a key that is no string its type's name, left on the
 * stack top; NULL when every key is known. */
static const char *unknown_key(lua_State *L, int tbl, const char *names, size_t size, size_t n) {
  lua_pushnil(L);
  while (lua_next(L, tbl)) {
    lua_pop(L, 1); /* the value */
    if (lua_type(L, -1) != LUA_TSTRING) return luaL_typename(L, -1);
    const char *k = lua_tostring(L, -1);
    size_t i = 0;
    while (i < n && strcmp(k, names + i * size) != 0) i++;
    if (i == n) return k;
  }
  return NULL;
}

/* Raises on a key of the submit options the engine would not use: a typo (or a removed
 * option) must not be silently ignored. */
/* The submit options, in the order of their stack slots (from 4) in e:submit: the first
 * four as e:exchange's arguments 5 to 8 (set_timing_shapes). */
static const char submit_keys[][11] = {"first_byte", "total",  "expect", "text_lines",
                                       "finals",     "tag",    "prompt"};

static void check_submit_keys(lua_State *L, int tbl) {
  const char *k = unknown_key(L, tbl, submit_keys[0], sizeof submit_keys[0],
                              sizeof submit_keys / sizeof submit_keys[0]);
  if (k) /* the key is on the stack top */
    luaL_error(L, lua_type(L, -1) == LUA_TSTRING ? "unknown option '%s'" : "unknown option (a %s key)", k);
}

/* The command's timeouts and answer shapes from the values at base: first_byte and total
 * (ms_value), expect: a list (as submit's expect option), or when nil those bc_expect_for
 * gives cmd->text; text_lines: a boolean that sets or clears AT_CMD_TEXT_LINES (nil: as the
 * shapes say). */
static void set_timing_shapes(lua_State *L, int base, at_cmd *cmd, bc_expect *ex,
                              at_match *expect) {
  ms_value(L, base, "first_byte", &cmd->first_byte_ms);
  ms_value(L, base + 1, "total", &cmd->total_ms);
  int expect_idx = base + 2, tl_idx = base + 3;
  if (lua_isnoneornil(L, expect_idx)) {
    bc_expect_for(cmd->text, cmd->len, ex);
    cmd->expect = ex->match;
    cmd->n_expect = ex->n;
    cmd->flags |= ex->flags;
  } else {
    cmd->n_expect = read_match_list(L, expect_idx, "expect", expect);
    cmd->expect = cmd->n_expect ? expect : NULL;
  }
  if (!lua_isnoneornil(L, tl_idx)) {
    if (lua_toboolean(L, tl_idx)) cmd->flags |= AT_CMD_TEXT_LINES;
    else cmd->flags &= ~(unsigned)AT_CMD_TEXT_LINES;
  }
}

/* at_submit: 0 when the engine took the command, else nil, msg, "refused" pushed (3). */
static int submit(lua_State *L, at_engine *at, const at_cmd *cmd) {
  if (at_submit(at, cmd) == 0) return 0;
  return push_fail(L, at_error(at) ? at_error(at) : "command refused", "refused");
}

/* e:submit(text, opts): opts.tag, first_byte, total, expect, finals, text_lines, prompt as in
 * the contract; any other key raises. The command's timers start once its bytes are written
 * (e:consumed(n, now)), so submit takes no time. */
static int engine_submit(lua_State *L) {
  at_engine *at = check_open_engine(L)->at;
  at_cmd cmd;
  memset(&cmd, 0, sizeof cmd);
  cmd.text = check_string(L, 2, &cmd.len);
  enum { N_KEYS = sizeof submit_keys / sizeof submit_keys[0] };
  if (lua_isnoneornil(L, 3)) { /* no options: all of them nil */
    lua_settop(L, 3 + N_KEYS);
  } else {
    luaL_checktype(L, 3, LUA_TTABLE);
    check_submit_keys(L, 3);
    lua_settop(L, 3);
    /* 4...: the options table keeps their strings alive */
    for (size_t i = 0; i < N_KEYS; i++) lua_getfield(L, 3, submit_keys[i]);
  }
  bc_expect ex;
  at_match expect[AT_CMD_MAX_EXPECT], finals[AT_CMD_MAX_FINALS];
  set_timing_shapes(L, 4, &cmd, &ex, expect);
  cmd.n_finals = lua_isnil(L, 8) ? 0 : read_match_list(L, 8, "finals", finals);
  cmd.finals = cmd.n_finals ? finals : NULL;
  if (!lua_isnil(L, 9)) {
    int isint;
    lua_Integer tag = lua_tointegerx(L, 9, &isint);
    if (!isint) luaL_error(L, "option 'tag' must be an integer");
    cmd.tag = (uint64_t)tag;
  }
  if (!lua_isnil(L, 10)) {
    if (lua_type(L, 10) != LUA_TSTRING) luaL_error(L, "option 'prompt' must be a string");
    cmd.payload = lua_tolstring(L, 10, &cmd.payload_len);
    cmd.flags |= AT_CMD_PROMPT;
  }
  if (submit(L, at, &cmd)) return 3;
  lua_pushboolean(L, 1);
  return 1;
}

/* e:feed(bytes, now), e:tick(now), e:abort(): each runs the engine and returns its events
 * (an array); mode is how many arguments it takes after e. */
enum { RUN_ABORT, RUN_TICK, RUN_FEED };

static int engine_run(lua_State *L, int mode) {
  lengine *le = check_open_engine(L);
  at_engine *at = le->at;
  size_t len = 0;
  const char *bytes = mode == RUN_FEED ? check_string(L, 2, &len) : NULL;
  uint64_t now = mode == RUN_ABORT ? 0 : check_now_ms(L, mode + 1);
  int arr = mode + 2;
  lua_settop(L, arr - 1);
  lua_newtable(L);
  if (mode == RUN_TICK) at_tick(at, now);
  else if (mode == RUN_ABORT) at_abort_all(at);
  size_t off = 0, n = 0;
  /* The engine stops early only when its event queue is full: pop, then go on. */
  for (;;) {
    size_t used = mode == RUN_FEED ? at_feed(at, (const uint8_t *)bytes + off, len - off, now) : 0;
    size_t before = n;
    n = drain_events(L, le, arr, n);
    off += used;
    if (off >= len) break;
    if (used == 0 && n == before) return luaL_error(L, "engine refused input without events");
  }
  return 1;
}

static int engine_feed(lua_State *L) { return engine_run(L, RUN_FEED); }
static int engine_tick(lua_State *L) { return engine_run(L, RUN_TICK); }
static int engine_abort(lua_State *L) { return engine_run(L, RUN_ABORT); }

static int engine_deadline(lua_State *L) {
  uint64_t d = at_next_deadline(check_open_engine(L)->at);
  /* in two 32-bit halves: exact below 2^53, and no 64-bit conversion to link in */
  if (d == UINT64_MAX) lua_pushnil(L);
  else lua_pushnumber(L, ((lua_Number)(uint32_t)(d >> 32) * 4294967296.0 + (uint32_t)d) / 1000.0);
  return 1;
}

static int engine_output(lua_State *L) {
  size_t len = 0;
  const uint8_t *out = at_output(check_open_engine(L)->at, &len);
  lua_pushlstring(L, len ? (const char *)out : "", len);
  return 1;
}

static int engine_consumed(lua_State *L) {
  at_engine *at = check_open_engine(L)->at;
  lua_Integer n = luaL_checkinteger(L, 2);
  uint64_t now = check_now_ms(L, 3);
  size_t pending = 0;
  at_output(at, &pending);
  luaL_argcheck(L, n >= 0 && (uint64_t)n <= pending, 2, "more than the pending output");
  at_output_consumed(at, (size_t)n, now);
  return 0;
}


static int engine_pending(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)at_pending(check_open_engine(L)->at));
  return 1;
}

/* e:queue_max(): how many commands the engine holds, the running one included (its
 * queue_max option); a caller with more to say waits its turn (bc260y.modem_command). */
static int engine_queue_max(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)check_open_engine(L)->queue_max);
  return 1;
}

static int engine_counters(lua_State *L) {
  /* at_counters' fields, in order */
  static const char names[][10] = {"bytes_in", "bytes_out", "lines",    "urcs",     "unknown",
                                   "late",     "overflows", "timeouts", "commands", "reboots"};
  uint64_t c[sizeof names / sizeof names[0]];
  _Static_assert(sizeof c == sizeof(at_counters), "a name for each counter");
  memcpy(c, at_get_counters(check_open_engine(L)->at), sizeof c);
  lua_createtable(L, 0, 10);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) set_int(L, names[i], (lua_Integer)c[i]);
  return 1;
}

static int engine_close(lua_State *L) {
  lengine *le = check_lengine(L);
  if (le->at) {
    at_free(le->at);
    le->at = NULL;
  }
  return 0;
}

static int engine_tostring(lua_State *L) {
  lengine *le = check_lengine(L);
  if (!le->at) lua_pushliteral(L, "bc260y.Engine(closed)");
  else lua_pushfstring(L, "bc260y.Engine(%d pending)", (int)at_pending(le->at));
  return 1;
}

/* ---- e:exchange: one command as one C call ---------------------------------------------
 * The fast path of a command (bc260y.modem_command uses it when the loop says the process
 * may block on the port alone, loop.exclusive): submit, write, wait for the answer (a
 * blocking read: core_port_wait_read), feed, and the response's fields returned as values,
 * with no Lua in between and no table but the answer lines. Whatever else happens hands
 * over to the general path (the loop, the Modem's dispatch) with the command already in
 * the engine: another command still in the engine, a partial write, any event but this
 * command's response (a URC, an unknown line...), the loop's next timer due first, a
 * port failure.
 *
 * e:exchange(port, text, tag, first_byte, total, expect, text_lines, limit, traced, decode)
 *   first_byte, total: seconds or nil (the engine's defaults); expect: a list as submit's,
 *   or nil (the command's shapes from bc_expect_for); text_lines: nil or a boolean;
 *   limit: the loop's next timer (core.now() seconds) or nil; traced: also return the
 *   bytes written and read; decode: return the answer lines decoded (the engine's decode
 *   option applies only when this is true).
 * -> result, lines, final|nil, code|nil, decoded|nil [, written, read]
 *      the response (result as a response event's; decoded nil when there are no lines),
 *      and nothing else happened
 * -> false, events|nil, msg|nil, code|nil, nil, written, read
 *      handed over: dispatch events (the response may be among them); msg and code: the
 *      port failed ("closed" for a hang-up, "io"); neither: wait the general way
 * -> nil, msg, "refused"                          as e:submit
 * Bytes read once a deadline passed are fed as of just before it (a host that was not
 * scheduled does not turn an answer that came in time into a timeout), and a deadline
 * first reads what the kernel holds. */

static uint64_t now_ms(void) { return to_ms(core_now()); }

/* Appends len bytes to the string (or nil) at index idx. */
static void append_at(lua_State *L, int idx, const char *bytes, size_t len) {
  if (lua_isnil(L, idx)) {
    lua_pushlstring(L, bytes, len);
  } else {
    lua_pushvalue(L, idx);
    lua_pushlstring(L, bytes, len);
    lua_concat(L, 2);
  }
  lua_replace(L, idx);
}

/* Stack slots of exchange's results, above its 11 arguments. */
enum { X_EVENTS = 12, X_OUT, X_IN };

/* An exchange's engine and how many events it has handed over (in X_EVENTS, made when
 * the first one comes). */
typedef struct {
  lengine *le;
  size_t n_events;
} exchange_state;

/* Appends the n events ev[] already popped, then every waiting event, to the events
 * array. */
static void exchange_keep(lua_State *L, exchange_state *xs, const at_event *ev, int n) {
  if (!xs->n_events) {
    lua_newtable(L);
    lua_replace(L, X_EVENTS);
  }
  for (int i = 0; i < n; i++) {
    push_event(L, &ev[i], xs->le->decode);
    lua_rawseti(L, X_EVENTS, (lua_Integer)++xs->n_events);
  }
  xs->n_events = drain_events(L, xs->le, X_EVENTS, xs->n_events);
}

/* Feeds bytes just read; deadline: the engine's next one before the read. */
static void exchange_feed(lua_State *L, exchange_state *xs, const char *buf, size_t n,
                          uint64_t deadline, int traced) {
  lengine *le = xs->le;
  if (traced) append_at(L, X_IN, buf, n);
  uint64_t t = now_ms();
  if (t >= deadline) t = deadline ? deadline - 1 : 0; /* none: UINT64_MAX, never reached */
  size_t off = 0;
  for (;;) {
    off += at_feed(le->at, (const uint8_t *)buf + off, n - off, t);
    if (off >= n) break;
    /* the engine's event ring is full: hand everything over, then feed on */
    exchange_keep(L, xs, NULL, 0);
  }
}

/* false, events, msg, code, nil, written, read: the written and read bytes in the same
 * places as an answer's (exchange_answer). */
static int exchange_handover(lua_State *L, const char *msg, const char *code) {
  lua_pushboolean(L, 0);
  lua_pushvalue(L, X_EVENTS);
  lua_pushstring(L, msg); /* nil for NULL */
  lua_pushstring(L, code);
  lua_pushnil(L);
  lua_pushvalue(L, X_OUT);
  lua_pushvalue(L, X_IN);
  return 7;
}

/* The response's fields as values (see e:exchange). */
static int exchange_answer(lua_State *L, const at_event *ev, int decode, int traced) {
  push_result_name(L, ev);
  push_lines(L, ev, 0);
  if (ev->text) lua_pushlstring(L, ev->text, ev->len);
  else lua_pushnil(L);
  push_result_code(L, ev);
  if (decode && ev->n_lines > 0) push_lines(L, ev, 1);
  else lua_pushnil(L);
  if (!traced) return 5;
  lua_pushvalue(L, X_OUT);
  lua_pushvalue(L, X_IN);
  return 7;
}

static int engine_exchange(lua_State *L) {
  lengine *le = check_open_engine(L);
  at_engine *at = le->at;
  lport *lp = core_check_lport(L, 2);
  port *p = core_lport_port(lp);
  size_t len;
  const char *text = check_string(L, 3, &len);
  at_cmd cmd;
  memset(&cmd, 0, sizeof cmd);
  cmd.text = text;
  cmd.len = len;
  cmd.tag = (uint64_t)luaL_checkinteger(L, 4);
  at_match expect[AT_CMD_MAX_EXPECT];
  bc_expect ex;
  set_timing_shapes(L, 5, &cmd, &ex, expect);
  uint64_t limit = UINT64_MAX;
  if (!lua_isnoneornil(L, 9)) {
    lua_Number s = luaL_checknumber(L, 9);
    limit = s <= 0 ? 0 : s >= 1.8e16 ? UINT64_MAX : to_ms(s);
  }
  int traced = lua_toboolean(L, 10);
  exchange_state xs = {le, 0};
  int decode = le->decode && lua_toboolean(L, 11);
  lua_settop(L, X_IN); /* X_EVENTS, X_OUT, X_IN: nil */

  size_t out_len = 0;
  at_output(at, &out_len);
  int alone = at_pending(at) == 0 && out_len == 0;
  if (submit(L, at, &cmd)) return 3;

  char buf[4096];
  char err[PORT_ERR_MAX];
  const char *failed = NULL; /* the port failed: what it was doing */
  long n = 0;
  /* every break hands over */
  while (alone) {
    err[0] = '\0';
    /* what the engine has to say */
    const uint8_t *out = at_output(at, &out_len);
    if (out_len) {
      n = port_write(p, out, out_len, err);
      if (n < 0) {
        failed = "write failed";
        break;
      }
      if (n > 0) {
        if (traced) append_at(L, X_OUT, (const char *)out, (size_t)n);
        at_output_consumed(at, (size_t)n, now_ms());
      }
      if ((size_t)n < out_len) break; /* the port is full */
    }
    /* what happened: this command's response alone, or anything else */
    at_event ev[2];
    if (at_next_event(at, &ev[0])) {
      int more = at_next_event(at, &ev[1]);
      if (!more && ev[0].type == AT_EV_RESPONSE && ev[0].tag == cmd.tag && !xs.n_events)
        return exchange_answer(L, &ev[0], decode, traced);
      exchange_keep(L, &xs, ev, more ? 2 : 1);
      break;
    }
    if (xs.n_events) break;
    /* wait, until the engine's deadline or the loop's next timer */
    uint64_t deadline = at_next_deadline(at);
    uint64_t t = now_ms();
    if (limit < deadline && t >= limit) break;
    uint64_t until = deadline < limit ? deadline : limit;
    /* at the deadline (no wait), first what the kernel already holds */
    uint64_t wait = t >= until ? 0 : until - t;
    n = core_port_wait_read(lp, buf, sizeof buf, wait > INT_MAX ? INT_MAX : (int)wait, err);
    if (n > 0) exchange_feed(L, &xs, buf, (size_t)n, deadline, traced);
    else if (n == 0 && !wait) at_tick(at, now_ms());
    else if (n < 0) {
      failed = "read failed";
      break;
    }
  }
  if (!failed) return exchange_handover(L, NULL, NULL);
  return exchange_handover(L, err[0] ? err : failed, n == PORT_CLOSED ? "closed" : "io");
}

/* ---- core.check_at: m:at's argument checks -------------------------------------------
 * core.check_at(cmd, opts) -> timeout|nil, expect|nil, text_lines, ignore_busy: the checks of
 * m:at (lua/bc260y/modem/init.lua) in one C call, with its messages, raised at m:at's caller
 * (the level error(msg, 2) gives in m:at). A command must be a string starting with AT
 * with no control character: a CR or LF would end it early and start a second command. */

/* Raises "at: " .. msg with one position, m:at's caller's (as error(msg, 2) in m:at). */
static int at_arg_error(lua_State *L, const char *msg) {
  luaL_where(L, 2); /* 0: this function, 1: m:at, 2: m:at's caller */
  lua_pushfstring(L, "%sat: %s", lua_tostring(L, -1), msg);
  return lua_error(L); /* not luaL_error: it would put m:at's own position in front */
}

static int l_check_at(lua_State *L) {
  const char *bad = "command must be a string"; /* what at_arg_error raises at fail */
  if (lua_type(L, 1) != LUA_TSTRING) goto fail;
  size_t len;
  const unsigned char *cmd = (const unsigned char *)lua_tolstring(L, 1, &len);
  bad = "command must not contain control characters (CR, LF, NUL, ESC...)";
  for (size_t i = 0; i < len; i++)
    if (cmd[i] < 0x20 || cmd[i] == 0x7f) goto fail;
  bad = "command must start with AT";
  if (len < 2 || (cmd[0] | 0x20) != 'a' || (cmd[1] | 0x20) != 't') goto fail;
  if (lua_isnoneornil(L, 2)) return 0;
  bad = "options must be a table";
  if (!lua_istable(L, 2)) goto fail;
  /* A key m:at does not know is a typo, not something to ignore (as in open()). */
  static const char known[][12] = {"ignore_busy", "expect", "text_lines", "timeout"};
  const char *k = unknown_key(L, 2, known[0], sizeof known[0], sizeof known / sizeof known[0]);
  if (k) {
    bad = lua_pushfstring(L, "unknown option '%s'", k);
    goto fail;
  }
  int t = lua_getfield(L, 2, "ignore_busy");
  bad = "ignore_busy must be a boolean";
  if (t != LUA_TNIL && t != LUA_TBOOLEAN) goto fail;
  lua_pop(L, 1);
  t = lua_getfield(L, 2, "timeout");
  /* The engine counts whole milliseconds in 32 bits, and 0 ms means its default: the
   * range of bc260y.options' TIMEOUT_MIN and TIMEOUT_MAX, with its message. */
  lua_Number s = lua_tonumber(L, -1);
  bad = "timeout must be a number of seconds from 0.001 to 4294967";
  if (t != LUA_TNIL && (t != LUA_TNUMBER || !(s >= 0.001) || !(s <= 4294967))) goto fail;
  t = lua_getfield(L, 2, "expect");
  bad = "expect must be a table";
  if (t != LUA_TNIL && t != LUA_TTABLE) goto fail;
  lua_getfield(L, 2, "text_lines");
  lua_getfield(L, 2, "ignore_busy");
  return 4;
fail:
  return at_arg_error(L, bad);
}

#define ENGINE_METHODS(X)                                                                \
  X(submit, engine_submit) X(feed, engine_feed) X(tick, engine_tick)                     \
  X(deadline, engine_deadline) X(output, engine_output) X(consumed, engine_consumed)     \
  X(abort, engine_abort) X(pending, engine_pending) X(counters, engine_counters)         \
  X(queue_max, engine_queue_max) X(exchange, engine_exchange) X(close, engine_close)
static const funcs engine_methods = FUNCS(ENGINE_METHODS);

#define ENGINE_META(X) X(__gc, engine_close) X(__close, engine_close) X(__tostring, engine_tostring)
static const funcs engine_meta = FUNCS(ENGINE_META);

#define ENGINE_FUNCS(X) X(engine, l_engine) X(check_at, l_check_at)
static const funcs engine_funcs = FUNCS(ENGINE_FUNCS);

void core_engine_register(lua_State *L) {
  new_class(L, ENGINE_MT, &engine_meta, &engine_methods);
  set_funcs(L, &engine_funcs);
}
