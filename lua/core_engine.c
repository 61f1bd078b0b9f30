/* core_engine.c: bc260y.Engine (core.engine): the Lua face of the AT engine (core/at.h)
 * and of a command's round trip over a port (core/at_exchange.h, e:exchange). Times are
 * seconds on the Lua side, milliseconds in the engine; every method that runs the engine
 * (feed, tick, abort, exchange) pops all its events and returns them as tables, so the
 * engine's event ring is empty whenever Lua submits (bc_at_submit never answers "events
 * waiting" here).
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "at.h"
#include "at_exchange.h"
#include "bc260y.h"
#include "core.h"
#include "port.h"

#define ENGINE_MT "bc260y.Engine"

/* The message of an option of the wrong type (one format for all of them). */
#define OPTION_MUST_BE "option '%s' must be %s"

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
    luaL_error(L, OPTION_MUST_BE, key, "a number of seconds from 0 to 4294967");
  _Static_assert(UINT32_MAX / 1000 == 4294967, "the message's largest number of seconds");
  *out = (uint32_t)to_ms(s);
}


/* ---- Engine ------------------------------------------------------------------------ */

typedef struct engine_handle {
  char mark[8]; /* ENGINE_CLASS's (check_object) */
  bc_at_engine *at;
  int decode;       /* option decode: answer lines and unclaimed lines carry `decoded` */
  size_t queue_max; /* commands the engine holds (bc_at_config.queue_max) */
} engine_handle;

static const core_class ENGINE_CLASS = {"Engine", sizeof(engine_handle), ENGINE_MT};

static engine_handle *check_engine_handle(lua_State *L) {
  return check_object(L, 1, &ENGINE_CLASS);
}

static engine_handle *check_open_engine(lua_State *L) {
  engine_handle *engine = check_engine_handle(L);
  if (!engine->at) luaL_error(L, "%s is closed", ENGINE_MT);
  return engine;
}

/* The engine's options, checked in this order, into bc_at_config's fields: sizes (positive
 * integers, size_t), durations (ms_value, uint32_t), a count (a positive integer, unsigned).
 * After them the binding's own flag, decode (answer lines and URCs come decoded). open()
 * refuses a key not among them before it gets here (bc260y.options, ENGINE_OPTIONS). */
enum { OPT_SIZE, OPT_MS, OPT_COUNT };
#define ENGINE_OPTIONS(X)                                                                \
  X(line_max, OPT_SIZE, line_max) X(answer_max, OPT_SIZE, answer_max)                    \
  X(queue_max, OPT_SIZE, queue_max) X(cmd_max, OPT_SIZE, cmd_max)                        \
  X(event_max, OPT_SIZE, event_max) X(first_byte, OPT_MS, first_byte_ms)                 \
  X(total, OPT_MS, total_ms) X(unresponsive_after, OPT_COUNT, unresponsive_after)
/* Their names packed one after another (not padded to the longest), kinds and offsets. */
#define OPTION_NAME(key, kind, field) #key "\0"
#define OPTION_ROW(key, kind, field) {kind, offsetof(bc_at_config, field)},
static const char engine_option_names[] = ENGINE_OPTIONS(OPTION_NAME);
static const struct {
  unsigned char kind, offset;
} engine_options[] = {ENGINE_OPTIONS(OPTION_ROW)};
#define N_ENGINE_OPTIONS (sizeof engine_options / sizeof engine_options[0])

static int l_engine(lua_State *L) {
  bc_at_config cfg;
  bc_at_config_defaults(&cfg);
  int decode = 0;
  if (!lua_isnoneornil(L, 1)) {
    luaL_argexpected(L, lua_istable(L, 1), 1, "table");
    const char *key = engine_option_names;
    for (size_t i = 0; i < N_ENGINE_OPTIONS; i++, key += strlen(key) + 1) {
      int kind = engine_options[i].kind;
      char *field = (char *)&cfg + engine_options[i].offset;
      lua_getfield(L, 1, key);
      if (kind == OPT_MS) {
        ms_value(L, -1, key, (uint32_t *)(void *)field);
      } else if (!lua_isnil(L, -1)) {
        int isint;
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        if (!isint || v <= 0 || (kind == OPT_SIZE && (uint64_t)v > (uint64_t)SIZE_MAX / 4))
          luaL_error(L, OPTION_MUST_BE, key, "a positive integer");
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
  engine_handle *engine = new_object(L, &ENGINE_CLASS);
  engine->at = NULL;
  engine->decode = decode;
  engine->queue_max = cfg.queue_max;
  engine->at = bc_at_new(&cfg);
  if (!engine->at)
    return luaL_error(L, "cannot create engine: invalid options (line_max >= %d, sizes > 0) "
                         "or out of memory", BC_AT_LINE_MIN);
  return 1;
}

/* Sets t.result, the result's name ("ok", "cme"...), and t.code for a numbered CME/CMS
 * error (code -1 is a verbose "+CME ERROR: text", whose text is in the final line), on
 * the new event table at the top: any other result leaves code nil. */
static void set_result(lua_State *L, const bc_at_event *ev) {
  static const char names[][9] = {"ok",      "error",  "cme",     "cms",      "final",
                                  "timeout", "reboot", "aborted", "overflow", "unsent"};
  unsigned r = (unsigned)ev->result;
  lua_pushstring(L, r < sizeof names / sizeof names[0] ? names[r] : "?");
  lua_setfield(L, -2, "result");
  if ((ev->result == BC_AT_RESULT_CME || ev->result == BC_AT_RESULT_CMS) && ev->code >= 0)
    set_int(L, "code", ev->code);
}

/* t.line = the event's text, t.decoded = its decoded table when decode. */
static void set_line(lua_State *L, const bc_at_event *ev, int decode) {
  set_str(L, "line", ev->text, ev->len);
  if (decode) {
    push_decoded(L, ev->text, ev->len); /* no text: NULL, 0, which the decoder takes */
    lua_setfield(L, -2, "decoded");
  }
}

/* A table of a response's answer lines, or with decoded of their decoded tables (false for
 * a line bc_decode does not know): every line is decoded once, here, like a URC. */
static void push_lines(lua_State *L, const bc_at_event *ev, int decoded) {
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
static void push_decoded_lines(lua_State *L, const bc_at_event *ev) {
  if (ev->n_lines == 0) {
    /* Nothing decoded: the empty lines table serves (one table fewer per plain OK). */
    lua_getfield(L, -1, "lines");
    lua_setfield(L, -2, "decoded");
    return;
  }
  push_lines(L, ev, 1);
  lua_setfield(L, -2, "decoded");
}

static void push_event(lua_State *L, const bc_at_event *ev, int decode) {
  static const char types[][13] = {"?", "response", "urc", "unknown", "late", "overflow",
                                   "reboot", "unresponsive", "unowed"};
  unsigned t = (unsigned)ev->type;
  lua_createtable(L, 0, 6);
  lua_pushstring(L, t < sizeof types / sizeof types[0] ? types[t] : "?");
  lua_setfield(L, -2, "type");
  /* a late event: the timed-out command's tag, its result on the final */
  int response = t == BC_AT_EV_RESPONSE, late = t == BC_AT_EV_LATE, unowed = t == BC_AT_EV_UNOWED;
  if (response || late) set_int(L, "tag", (lua_Integer)ev->tag);
  if (response || unowed || (late && ev->is_final)) set_result(L, ev);
  if (response) {
    if (ev->text) set_str(L, "final", ev->text, ev->len);
    push_lines(L, ev, 0);
    lua_setfield(L, -2, "lines");
    if (decode) push_decoded_lines(L, ev);
  } else if (t == BC_AT_EV_URC || late || unowed || t == BC_AT_EV_UNKNOWN || t == BC_AT_EV_OVERFLOW) {
    set_line(L, ev, decode || t == BC_AT_EV_URC); /* a URC: always decoded */
  } /* reboot, unresponsive: the type says it all */
}

/* Pops every queued event into the array at index arr, which holds n. Returns how many
 * it holds then. */
static size_t drain_events(lua_State *L, const engine_handle *engine, int arr, size_t n) {
  bc_at_event ev;
  while (bc_at_next_event(engine->at, &ev)) {
    push_event(L, &ev, engine->decode);
    lua_rawseti(L, arr, (lua_Integer)++n);
  }
  return n;
}



/* Reads an expect-like list: { "+FOO" | {"+NNMI", min, max}, ... } at index list into m[]
 * and its length into *count. The prefix strings stay referenced by the options table on
 * the stack until bc_at_submit returns. Returns NULL, or what is wrong with the list (a
 * message left on the stack top): it raises nothing itself, so e:submit raises the
 * message as it is, and core.check_at as m:at's, at m:at's caller. */
static const char *read_match_list(lua_State *L, int list, const char *key, bc_at_match *m,
                                   size_t *count) {
  if (!lua_istable(L, list)) return lua_pushfstring(L, OPTION_MUST_BE, key, "a table");
  lua_Integer len = luaL_len(L, list);
  if (len > BC_AT_CMD_MAX_EXPECT)
    return lua_pushfstring(L, "option '%s' has %d entries (at most %d)", key, (int)len,
                           BC_AT_CMD_MAX_EXPECT);
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
    if (bad) return lua_pushfstring(L, "option '%s'[%d]%s", key, i, bad);
    m[i - 1].prefix = prefix;
    m[i - 1].min_fields = (int8_t)lo;
    m[i - 1].max_fields = (int8_t)hi;
    lua_pop(L, 1 + nested);
  }
  *count = (size_t)n;
  return NULL;
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

/* The options of e:submit, then those only e:exchange takes, in the order of their
 * stack slots (read_command). */
static const char command_keys[][11] = {"first_byte", "total",  "expect", "text_lines",
                                        "finals",     "tag",    "prompt", "decode",
                                        "trace"};
enum { SUBMIT_KEYS = 7, EXCHANGE_KEYS = 9 };
enum { OPT_FIRST_BYTE, OPT_TOTAL, OPT_EXPECT, OPT_TEXT_LINES, OPT_FINALS, OPT_TAG, OPT_PROMPT,
       OPT_DECODE, OPT_TRACE };

/* A command as e:submit and e:exchange read it, with the storage its shapes point into
 * (the engine copies them at bc_at_submit). */
typedef struct command {
  bc_at_cmd cmd;
  bc_expect shapes; /* the command's own answer shapes (bc_expect_for), when expect is nil */
  bc_at_match expect[BC_AT_CMD_MAX_EXPECT], finals[BC_AT_CMD_MAX_FINALS];
} command;

/* The command's answer shapes as bc_expect_for knows them from its text (one copy: two
 * callers, and flash counts). */
__attribute__((noinline)) static void use_own_shapes(command *c) {
  bc_expect_for(c->cmd.text, c->cmd.len, &c->shapes);
  c->cmd.expect = c->shapes.match;
  c->cmd.n_expect = c->shapes.n;
}

/* Reads the command text at text_idx and its options at opts, the last argument: nil, or
 * a table of the first n_keys command_keys (any other key raises, so that a typo or a
 * removed option is not silently ignored). Leaves the options' values on the stack from
 * opts + 1 on, in command_keys' order (the table keeps their strings alive), and returns
 * that index. One pass over the keys present: a command sets few of them. */
static int read_command(lua_State *L, int text_idx, int opts, size_t n_keys, command *c) {
  int base = opts + 1;
  bc_at_cmd *cmd = &c->cmd;
  memset(cmd, 0, sizeof *cmd);
  cmd->text = check_string(L, text_idx, &cmd->len);
  if (lua_isnoneornil(L, opts)) { /* no options: the command's own shapes, the defaults */
    lua_settop(L, opts + (int)n_keys);
    use_own_shapes(c);
    return base;
  }
  luaL_argexpected(L, lua_istable(L, opts), opts, "table");
  lua_settop(L, opts + (int)n_keys); /* every option nil until read */
  lua_pushnil(L);                    /* lua_next's first key */
  while (lua_next(L, opts)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      luaL_error(L, "unknown option (a %s key)", luaL_typename(L, -2));
    const char *k = lua_tostring(L, -2);
    size_t i = 0;
    while (i < n_keys && strcmp(k, command_keys[i]) != 0) i++;
    if (i == n_keys) luaL_error(L, "unknown option '%s'", k);
    lua_replace(L, base + (int)i); /* the value; the key stays for lua_next */
  }
  /* the option names for the messages: command_keys' (one copy of each) */
  ms_value(L, base + OPT_FIRST_BYTE, command_keys[OPT_FIRST_BYTE], &cmd->first_byte_ms);
  ms_value(L, base + OPT_TOTAL, command_keys[OPT_TOTAL], &cmd->total_ms);
  if (lua_isnil(L, base + OPT_EXPECT)) {
    use_own_shapes(c);
  } else {
    const char *bad = read_match_list(L, base + OPT_EXPECT, command_keys[OPT_EXPECT], c->expect,
                                      &cmd->n_expect);
    if (bad) luaL_error(L, "%s", bad);
    cmd->expect = c->expect; /* read with n_expect only (bc_at_submit) */
  }
  /* text_lines (OPT_TEXT_LINES) is read and ignored: retired, every line is an answer
   * line now (core/at.h) */
  int finals = base + OPT_FINALS, tag = base + OPT_TAG, prompt = base + OPT_PROMPT;
  cmd->n_finals = 0;
  if (!lua_isnil(L, finals)) {
    const char *bad = read_match_list(L, finals, command_keys[OPT_FINALS], c->finals, &cmd->n_finals);
    if (bad) luaL_error(L, "%s", bad);
  }
  cmd->finals = c->finals;
  if (!lua_isnil(L, tag)) {
    int isint;
    lua_Integer v = lua_tointegerx(L, tag, &isint);
    if (!isint) luaL_error(L, OPTION_MUST_BE, command_keys[OPT_TAG], "an integer");
    cmd->tag = (uint64_t)v;
  }
  if (!lua_isnil(L, prompt)) {
    if (lua_type(L, prompt) != LUA_TSTRING)
      luaL_error(L, OPTION_MUST_BE, command_keys[OPT_PROMPT], "a string");
    cmd->payload = lua_tolstring(L, prompt, &cmd->payload_len);
    cmd->flags |= BC_AT_CMD_PROMPT;
  }
  return base;
}

/* nil, msg, "refused" for a command bc_at_submit refused (3 results): bc_at_error says why
 * (at.h). */
static int push_refused(lua_State *L, const bc_at_engine *at) {
  return push_fail(L, bc_at_error(at), "refused");
}

/* e:submit(text, opts): opts.tag, first_byte, total, expect, finals, text_lines, prompt as in
 * the contract; any other key raises. The command's timers start once its bytes are written
 * (e:consumed(n, now)), so submit takes no time. */
static int engine_submit(lua_State *L) {
  bc_at_engine *at = check_open_engine(L)->at;
  command c;
  read_command(L, 2, 3, SUBMIT_KEYS, &c);
  if (bc_at_submit(at, &c.cmd) != 0) return push_refused(L, at);
  lua_pushboolean(L, 1);
  return 1;
}

/* e:feed(bytes, now), e:tick(now), e:abort(): each runs the engine and returns its events
 * (an array); mode is how many arguments it takes after e. */
enum { RUN_ABORT, RUN_TICK, RUN_FEED };

static int engine_run(lua_State *L, int mode) {
  engine_handle *engine = check_open_engine(L);
  bc_at_engine *at = engine->at;
  size_t len = 0;
  const char *bytes = mode == RUN_FEED ? check_string(L, 2, &len) : NULL;
  uint64_t now = mode == RUN_ABORT ? 0 : check_now_ms(L, mode + 1);
  int arr = mode + 2;
  lua_settop(L, arr - 1);
  lua_newtable(L);
  if (mode == RUN_TICK) bc_at_tick(at, now);
  else if (mode == RUN_ABORT) bc_at_abort_all(at);
  size_t off = 0, n = 0;
  /* The engine stops early only when its event queue is full: pop, then go on. */
  for (;;) {
    size_t used = mode == RUN_FEED ? bc_at_feed(at, (const uint8_t *)bytes + off, len - off, now) : 0;
    size_t before = n;
    n = drain_events(L, engine, arr, n);
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
  uint64_t d = bc_at_next_deadline(check_open_engine(L)->at);
  /* in two 32-bit halves: exact below 2^53, and no 64-bit conversion to link in */
  if (d == UINT64_MAX) lua_pushnil(L);
  else lua_pushnumber(L, ((lua_Number)(uint32_t)(d >> 32) * 4294967296.0 + (uint32_t)d) / 1000.0);
  return 1;
}

static int engine_output(lua_State *L) {
  size_t len = 0;
  const uint8_t *out = bc_at_output(check_open_engine(L)->at, &len);
  lua_pushlstring(L, (const char *)out, len); /* NULL with length 0: "" */
  return 1;
}

static int engine_consumed(lua_State *L) {
  bc_at_engine *at = check_open_engine(L)->at;
  lua_Integer n = luaL_checkinteger(L, 2);
  uint64_t now = check_now_ms(L, 3);
  size_t pending = 0;
  bc_at_output(at, &pending);
  luaL_argcheck(L, n >= 0 && (uint64_t)n <= pending, 2, "more than the pending output");
  bc_at_output_consumed(at, (size_t)n, now);
  return 0;
}


static int engine_pending(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)bc_at_pending(check_open_engine(L)->at));
  return 1;
}

/* e:queue_max(): how many commands the engine holds, the running one included (its
 * queue_max option); a caller with more to say waits its turn (bc260y.modem.command). */
static int engine_queue_max(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)check_open_engine(L)->queue_max);
  return 1;
}

static int engine_counters(lua_State *L) {
  /* bc_at_counters' fields, in order */
  static const char names[][10] = {"bytes_in", "bytes_out", "lines",    "urcs",     "unknown",
                                   "late",     "overflows", "timeouts", "commands", "reboots"};
  uint64_t c[sizeof names / sizeof names[0]];
  _Static_assert(sizeof c == sizeof(bc_at_counters), "a name for each counter");
  memcpy(c, bc_at_get_counters(check_open_engine(L)->at), sizeof c);
  lua_createtable(L, 0, 10);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) set_int(L, names[i], (lua_Integer)c[i]);
  return 1;
}

static int engine_close(lua_State *L) {
  engine_handle *engine = check_engine_handle(L);
  if (engine->at) {
    bc_at_free(engine->at);
    engine->at = NULL;
  }
  return 0;
}

static int engine_tostring(lua_State *L) {
  engine_handle *engine = check_engine_handle(L);
  if (!engine->at) lua_pushfstring(L, "%s(closed)", ENGINE_MT);
  else lua_pushfstring(L, "%s(%d pending)", ENGINE_MT, (int)bc_at_pending(engine->at));
  return 1;
}

/* ---- e:exchange: one command's round trip as one C call ----------------------------
 * The fast path of a command (docs/design.md, "The fast path"; bc260y.modem.command uses it
 * when the loop says the process may block on the port alone, loop.exclusive): the round
 * trip is core/at_exchange.c's, and this only converts values.
 *
 * e:exchange(port, text, tag, limit, opts)
 *   text: the command as e:submit's; tag: the caller's id for it (e:submit's opts.tag);
 *   limit: the loop's next timer (core.now() seconds; nil: none), when the call must
 *   return though the response has not come; opts: nil or e:submit's other options, and
 *   two more: decode, true to get the answer's lines decoded too (the engine's decode
 *   option applies only then); trace, true to get the bytes written and read as two more
 *   results (each nil when there were none).
 * -> "answered", {lines =, final =, decoded =}   the command succeeded (OK or one of its
 *      own finals) and nothing else happened: its answer, the one table a successful
 *      round trip builds besides the lines (decoded as a response event's, with decode)
 * -> "failed", response                         it failed (error, CME, timeout...) and
 *      nothing else happened: the response event, exactly as e:feed gives it
 * -> "handed_over", {events =, error =, code =} anything else: the command is in the
 *      engine and its response comes like any other; events (nil when none): the events
 *      met meanwhile, to dispatch (the response may be among them); error and code
 *      ("closed" for a hang-up, "io") when the port failed
 * -> nil, msg, "refused"                        as e:submit */

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

/* What the hooks of one e:exchange collect, in three stack slots: the events handed over
 * (an array, made when the first comes), the bytes written and the bytes read. */
typedef struct exchange_call {
  lua_State *L;
  int decode;
  int events, written, read; /* stack indices */
  lua_Integer n_events;
} exchange_call;

static void exchange_event(void *ctx, const bc_at_event *ev) {
  exchange_call *call = ctx;
  lua_State *L = call->L;
  if (!call->n_events) {
    lua_newtable(L);
    lua_replace(L, call->events);
  }
  push_event(L, ev, call->decode);
  lua_rawseti(L, call->events, ++call->n_events);
}

static void exchange_bytes(void *ctx, int written, const uint8_t *bytes, size_t n) {
  exchange_call *call = ctx;
  append_at(call->L, written ? call->written : call->read, (const char *)bytes, n);
}

/* A successful response as its answer: {lines =, final =, decoded =}. */
static void push_answer(lua_State *L, const bc_at_event *ev, int decode) {
  lua_createtable(L, 0, decode ? 3 : 2);
  push_lines(L, ev, 0);
  lua_setfield(L, -2, "lines");
  set_str(L, "final", ev->text, ev->len);
  if (decode) push_decoded_lines(L, ev);
}

static int engine_exchange(lua_State *L) {
  engine_handle *engine = check_open_engine(L);
  bc_port *p = core_check_port(L, 2);
  lua_Integer tag = luaL_checkinteger(L, 4);
  uint64_t limit = UINT64_MAX;
  if (!lua_isnoneornil(L, 5)) {
    lua_Number s = luaL_checknumber(L, 5);
    limit = s <= 0 ? 0 : s >= 1.8e16 ? UINT64_MAX : to_ms(s);
  }
  command c;
  int opts = read_command(L, 3, 6, EXCHANGE_KEYS, &c);
  luaL_argcheck(L, lua_isnil(L, opts + OPT_TAG), 6, "the tag is an argument of its own");
  c.cmd.tag = (uint64_t)tag;
  int decode = engine->decode && lua_toboolean(L, opts + OPT_DECODE);
  int traced = lua_toboolean(L, opts + OPT_TRACE);
  luaL_checkstack(L, 8, "exchange");
  int top = opts + EXCHANGE_KEYS - 1; /* read_command's last option slot */
  lua_settop(L, top + 3);             /* events, written, read: nil */
  exchange_call call = {L, engine->decode, top + 1, top + 2, top + 3, 0};
  bc_at_exchange_hooks hooks = {&call, exchange_event, traced ? exchange_bytes : NULL};
  bc_at_event answer;
  char err[BC_PORT_ERR_MAX];
  bc_at_exchange_result r = bc_at_exchange(engine->at, p, &c.cmd, limit, &hooks, &answer, err);
  if (r == BC_AT_EXCHANGE_REFUSED) return push_refused(L, engine->at);
  int answered = r == BC_AT_EXCHANGE_ANSWERED;
  if (answered && (answer.result == BC_AT_RESULT_OK || answer.result == BC_AT_RESULT_FINAL)) {
    lua_pushliteral(L, "answered");
    push_answer(L, &answer, decode);
  } else if (answered) {
    lua_pushliteral(L, "failed");
    push_event(L, &answer, engine->decode);
  } else {
    lua_pushliteral(L, "handed_over");
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, call.events);
    lua_setfield(L, -2, "events");
    if (r != BC_AT_EXCHANGE_HANDED_OVER) {
      set_str(L, "error", err, strlen(err));
      lua_pushstring(L, r == BC_AT_EXCHANGE_PORT_CLOSED ? "closed" : "io");
      lua_setfield(L, -2, "code");
    }
  }
  if (!traced) return 2;
  lua_pushvalue(L, call.written);
  lua_pushvalue(L, call.read);
  return 4;
}

/* ---- core.check_at: m:at's argument checks -------------------------------------------
 * core.check_at(cmd, opts) -> timeout|nil, expect|nil, text_lines, ignore_busy: the checks of
 * m:at (lua/bc260y/modem/init.lua) in one C call, with its messages, raised at m:at's caller
 * (the level error(msg, 2) gives in m:at). A command must be a string starting with AT
 * with no control character: a CR or LF would end it early and start a second command. */

/* Raises "at: " .. msg with one position, m:at's caller's (as error(msg, 2) in m:at). */
static int bc_at_arg_error(lua_State *L, const char *msg) {
  luaL_where(L, 2); /* 0: this function, 1: m:at, 2: m:at's caller */
  lua_pushfstring(L, "%sat: %s", lua_tostring(L, -1), msg);
  return lua_error(L); /* not luaL_error: it would put m:at's own position in front */
}

static int l_check_at(lua_State *L) {
  const char *bad = "command must be a string"; /* what bc_at_arg_error raises at fail */
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
  enum { IGNORE_BUSY, EXPECT, TEXT_LINES, TIMEOUT }; /* known's, named once */
  const char *k = unknown_key(L, 2, known[0], sizeof known[0], sizeof known / sizeof known[0]);
  if (k) {
    bad = lua_pushfstring(L, "unknown option '%s'", k);
    goto fail;
  }
  int t = lua_getfield(L, 2, known[IGNORE_BUSY]);
  bad = "ignore_busy must be a boolean";
  if (t != LUA_TNIL && t != LUA_TBOOLEAN) goto fail;
  lua_pop(L, 1);
  t = lua_getfield(L, 2, known[TIMEOUT]);
  /* The engine counts whole milliseconds in 32 bits, and 0 ms means its default: the
   * range of bc260y.options' TIMEOUT_MIN and TIMEOUT_MAX, with its message. */
  lua_Number s = lua_tonumber(L, -1);
  bad = "timeout must be a number of seconds from 0.001 to 4294967";
  if (t != LUA_TNIL && (t != LUA_TNUMBER || !(s >= 0.001) || !(s <= 4294967))) goto fail;
  t = lua_getfield(L, 2, known[EXPECT]);
  if (t != LUA_TNIL) {
    bc_at_match shapes[BC_AT_CMD_MAX_EXPECT];
    size_t n;
    if ((bad = read_match_list(L, lua_gettop(L), known[EXPECT], shapes, &n))) goto fail;
  }
  t = lua_getfield(L, 2, known[TEXT_LINES]);
  bad = "text_lines must be a boolean";
  if (t != LUA_TNIL && t != LUA_TBOOLEAN) goto fail;
  lua_getfield(L, 2, known[IGNORE_BUSY]);
  return 4;
fail:
  return bc_at_arg_error(L, bad);
}

#define ENGINE_METHODS(X)                                                                \
  X(submit, engine_submit) X(feed, engine_feed) X(tick, engine_tick)                     \
  X(deadline, engine_deadline) X(output, engine_output) X(consumed, engine_consumed)     \
  X(abort, engine_abort) X(pending, engine_pending) X(counters, engine_counters)         \
  X(queue_max, engine_queue_max) X(exchange, engine_exchange) X(close, engine_close)
DEFINE_FUNCS(engine_methods, ENGINE_METHODS);

#define ENGINE_META(X) X(__gc, engine_close) X(__close, engine_close) X(__tostring, engine_tostring)
DEFINE_FUNCS(engine_meta, ENGINE_META);

#define ENGINE_FUNCS(X) X(engine, l_engine) X(check_at, l_check_at)
DEFINE_FUNCS(engine_funcs, ENGINE_FUNCS);

void core_engine_register(lua_State *L) {
  new_class(L, ENGINE_MT, FUNCS(engine_meta), FUNCS(engine_methods));
  set_funcs(L, FUNCS(engine_funcs));
}
