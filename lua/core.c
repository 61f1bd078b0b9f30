/* core.c: the Lua 5.4 binding bc260y.core. It wraps the C core (port, AT engine, module
 * tables) and nothing more: C never yields and never calls back into Lua while parsing.
 * e:feed() runs the engine to completion and returns the events as an array of tables;
 * the Lua side dispatches them afterwards (the cqueues rule).
 *
 * Conventions:
 *   - I/O methods (p:read, p:write) return nil, msg, code ("closed" | "io") on failure and
 *     also on a Port that was closed; every other method on a closed object raises.
 *   - Bad arguments raise (luaL_argerror), so nothing malformed reaches the wire.
 *   - Times are seconds (float) on the Lua side, milliseconds (uint64) in the engine.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "lauxlib.h"
#include "lua.h"

#include "at.h"
#include "bc260y.h"
#include "port.h"

#define PORT_MT "bc260y.Port"
#define ENGINE_MT "bc260y.Engine"
#define READ_DEFAULT 4096
#define READ_MAX (1024 * 1024) /* one read never allocates more than this */
#define BUILD_CAP 4096         /* an NMGS of 1024 bytes is ~2070 characters */

/* ---- helpers ------------------------------------------------------------------------ */

/* Strictly a string: numbers are not silently turned into command text or payload. */
static const char *check_string(lua_State *L, int arg, size_t *len) {
  luaL_argexpected(L, lua_type(L, arg) == LUA_TSTRING, arg, "string");
  return lua_tolstring(L, arg, len);
}

static long check_long(lua_State *L, int arg) {
  lua_Integer v = luaL_checkinteger(L, arg);
  luaL_argcheck(L, v >= LONG_MIN && v <= LONG_MAX, arg, "out of range");
  return (long)v;
}

static int check_int(lua_State *L, int arg) {
  lua_Integer v = luaL_checkinteger(L, arg);
  luaL_argcheck(L, v >= INT_MIN && v <= INT_MAX, arg, "out of range");
  return (int)v;
}

/* Seconds (>= 0, finite) to engine milliseconds. */
static uint64_t check_now_ms(lua_State *L, int arg) {
  lua_Number s = luaL_checknumber(L, arg);
  luaL_argcheck(L, s >= 0 && s < 1.8e16, arg, "time out of range");
  return (uint64_t)llround(s * 1000.0);
}

static double monotonic_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An optional duration field of an options table, in seconds, as milliseconds for a
 * uint32 engine field. Absent leaves *out alone. */
static void opt_ms_field(lua_State *L, int tbl, const char *key, uint32_t *out) {
  if (lua_getfield(L, tbl, key) != LUA_TNIL) {
    int isnum;
    lua_Number s = lua_tonumberx(L, -1, &isnum);
    if (!isnum || !(s >= 0) || s * 1000.0 > (lua_Number)UINT32_MAX)
      luaL_error(L, "option '%s' must be a number of seconds from 0 to %d", key,
                 (int)(UINT32_MAX / 1000));
    *out = (uint32_t)llround(s * 1000.0);
  }
  lua_pop(L, 1);
}

static void opt_size_field(lua_State *L, int tbl, const char *key, size_t *out) {
  if (lua_getfield(L, tbl, key) != LUA_TNIL) {
    int isint;
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    if (!isint || v <= 0 || (uint64_t)v > (uint64_t)SIZE_MAX / 4)
      luaL_error(L, "option '%s' must be a positive integer", key);
    *out = (size_t)v;
  }
  lua_pop(L, 1);
}

static void set_int(lua_State *L, const char *key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}

static void set_str(lua_State *L, const char *key, const char *s, size_t len) {
  lua_pushlstring(L, s ? s : "", s ? len : 0);
  lua_setfield(L, -2, key);
}

/* ---- core.now, core.poll ------------------------------------------------------------- */

static int l_now(lua_State *L) {
  lua_pushnumber(L, monotonic_seconds());
  return 1;
}

/* Reads an array of fds at arg (nil = none) into pfds[*n...], events ev. */
static void collect_fds(lua_State *L, int arg, struct pollfd *pfds, size_t *n, short ev) {
  if (lua_isnoneornil(L, arg)) return;
  /* Raw length and raw reads: the count must match the one the buffer was sized with. */
  size_t len = lua_rawlen(L, arg);
  for (size_t i = 1; i <= len; i++) {
    lua_rawgeti(L, arg, (lua_Integer)i);
    int isint;
    lua_Integer fd = lua_tointegerx(L, -1, &isint);
    if (!isint || fd < 0 || fd > INT_MAX)
      luaL_argerror(L, arg, lua_pushfstring(L, "entry %d is not a file descriptor", (int)i));
    lua_pop(L, 1);
    pfds[*n].fd = (int)fd;
    pfds[*n].events = ev;
    pfds[*n].revents = 0;
    (*n)++;
  }
}

static int l_poll(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TTABLE);
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  int timeout_ms = -1; /* nil: wait forever */
  if (!lua_isnoneornil(L, 3)) {
    lua_Number s = luaL_checknumber(L, 3);
    luaL_argcheck(L, s == s, 3, "timeout is NaN");
    if (s <= 0) timeout_ms = 0;
    else if (s * 1000.0 >= (lua_Number)INT_MAX) timeout_ms = INT_MAX;
    /* Round up: waking a fraction of a millisecond before a deadline makes the loop spin. */
    else timeout_ms = (int)ceil(s * 1000.0);
  }
  size_t nr = lua_isnoneornil(L, 1) ? 0 : lua_rawlen(L, 1);
  size_t nw = lua_isnoneornil(L, 2) ? 0 : lua_rawlen(L, 2);
  luaL_argcheck(L, nr + nw <= 65536, 1, "too many file descriptors");
  /* A userdata rather than malloc: freed by the GC even if collect_fds raises. */
  struct pollfd *pfds = lua_newuserdatauv(L, (nr + nw ? nr + nw : 1) * sizeof *pfds, 0);
  size_t n = 0;
  collect_fds(L, 1, pfds, &n, POLLIN);
  size_t n_read = n;
  collect_fds(L, 2, pfds, &n, POLLOUT);
  int rc = poll(pfds, (nfds_t)n, timeout_ms);
  if (rc < 0 && errno != EINTR) return luaL_error(L, "poll: %s", strerror(errno));
  lua_newtable(L);
  int rset = lua_gettop(L);
  lua_newtable(L);
  int wset = lua_gettop(L);
  if (rc > 0) {
    for (size_t i = 0; i < n; i++) {
      short re = pfds[i].revents;
      if (!re) continue;
      /* A hang-up or error counts as ready so the reader (or writer) calls read/write and
       * sees it: poll may report POLLHUP/POLLERR/POLLNVAL without POLLIN (a pipe whose
       * writer left, a pty master with no slave, an fd closed behind the loop's back),
       * and a loop that waited for POLLIN alone would spin or sleep forever. */
      int hit = (i < n_read) ? (re & (POLLIN | POLLPRI | POLLHUP | POLLERR | POLLNVAL)) != 0
                             : (re & (POLLOUT | POLLHUP | POLLERR | POLLNVAL)) != 0;
      if (!hit) continue;
      lua_pushboolean(L, 1);
      lua_rawseti(L, i < n_read ? rset : wset, pfds[i].fd);
    }
  }
  return 2;
}

/* ---- Port --------------------------------------------------------------------------- */

typedef struct lport {
  port *p;
  char name[PORT_ERR_MAX]; /* kept after close for messages and __tostring */
} lport;

static lport *check_lport(lua_State *L) { return luaL_checkudata(L, 1, PORT_MT); }

static port *check_open_port(lua_State *L) {
  lport *lp = check_lport(L);
  if (!lp->p) luaL_error(L, "bc260y.Port(%s) is closed", lp->name);
  return lp->p;
}

static void push_port(lua_State *L, port *p) {
  lport *lp = lua_newuserdatauv(L, sizeof *lp, 0);
  lp->p = p;
  snprintf(lp->name, sizeof lp->name, "%s", port_name(p) ? port_name(p) : "?");
  luaL_setmetatable(L, PORT_MT);
}

static int io_fail(lua_State *L, const char *msg, const char *code) {
  lua_pushnil(L);
  lua_pushstring(L, msg);
  lua_pushstring(L, code);
  return 3;
}

/* A failed port_read / port_write: nil, msg, "closed" for a hang-up (the caller
 * reconnects), nil, msg, "io" for a fault (the caller reports it). */
static int port_fail(lua_State *L, long rc, const char *err, const char *fallback) {
  return io_fail(L, err[0] ? err : fallback, rc == PORT_CLOSED ? "closed" : "io");
}

static int l_open_port(lua_State *L) {
  size_t len;
  const char *spec = check_string(L, 1, &len);
  luaL_argcheck(L, strlen(spec) == len, 1, "contains a NUL byte");
  lua_Integer baud = luaL_optinteger(L, 2, 0);
  luaL_argcheck(L, baud >= 0 && baud <= 4000000, 2, "baud rate out of range");
  char err[PORT_ERR_MAX] = "";
  port *p = port_open(spec, (int)baud, err);
  if (!p) return io_fail(L, err[0] ? err : "cannot open port", "io");
  push_port(L, p);
  return 1;
}

static int l_open_pty(lua_State *L) {
  char slave[PORT_ERR_MAX] = "";
  char err[PORT_ERR_MAX] = "";
  port *p = port_open_pty(slave, sizeof slave, err);
  if (!p) return io_fail(L, err[0] ? err : "cannot open a pseudo-terminal", "io");
  push_port(L, p);
  lua_pushstring(L, slave);
  return 2;
}

static int l_list_ports(lua_State *L) {
  char err[PORT_ERR_MAX] = "";
  int cap = 64;
  port_info *infos = NULL;
  int n;
  for (;;) {
    infos = lua_newuserdatauv(L, (size_t)cap * sizeof *infos, 0);
    n = port_list(infos, cap, err);
    if (n < 0) {
      lua_pushnil(L);
      lua_pushstring(L, err[0] ? err : "cannot list ports");
      return 2;
    }
    if (n <= cap || cap >= 4096) break;
    lua_pop(L, 1);
    cap = n < 4096 ? n : 4096; /* ports may appear meanwhile: the loop checks again */
  }
  if (n > cap) n = cap;
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_createtable(L, 0, 4);
    infos[i].name[sizeof infos[i].name - 1] = '\0';
    infos[i].description[sizeof infos[i].description - 1] = '\0';
    lua_pushstring(L, infos[i].name);
    lua_setfield(L, -2, "name");
    if (infos[i].description[0]) {
      lua_pushstring(L, infos[i].description);
      lua_setfield(L, -2, "description");
    }
    if (infos[i].usb_vid >= 0) set_int(L, "vid", infos[i].usb_vid);
    if (infos[i].usb_pid >= 0) set_int(L, "pid", infos[i].usb_pid);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int port_fd_m(lua_State *L) {
  lua_pushinteger(L, port_fd(check_open_port(L)));
  return 1;
}

static int port_read_m(lua_State *L) {
  lport *lp = check_lport(L);
  lua_Integer max = luaL_optinteger(L, 2, READ_DEFAULT);
  luaL_argcheck(L, max > 0 && max <= READ_MAX, 2, "read size must be 1..1048576");
  if (!lp->p) return io_fail(L, "port closed", "closed");
  char err[PORT_ERR_MAX] = "";
  /* The common read (the default size) goes through the C stack: no Lua buffer box per
   * call on the loop's hot path. */
  char small[READ_DEFAULT];
  luaL_Buffer b;
  char *buf = (size_t)max <= sizeof small ? small : luaL_buffinitsize(L, &b, (size_t)max);
  long n = port_read(lp->p, buf, (size_t)max, err);
  if (n < 0) return port_fail(L, n, err, "read failed");
  if (buf == small) lua_pushlstring(L, small, (size_t)n);
  else luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

static int port_write_m(lua_State *L) {
  lport *lp = check_lport(L);
  size_t len;
  const char *s = check_string(L, 2, &len);
  if (!lp->p) return io_fail(L, "port closed", "closed");
  if (len == 0) {
    lua_pushinteger(L, 0);
    return 1;
  }
  char err[PORT_ERR_MAX] = "";
  long n = port_write(lp->p, s, len, err);
  if (n < 0) return port_fail(L, n, err, "write failed");
  lua_pushinteger(L, n);
  return 1;
}

/* close, __gc and __close: idempotent. */
static int port_close_m(lua_State *L) {
  lport *lp = check_lport(L);
  if (lp->p) {
    port_close(lp->p);
    lp->p = NULL;
  }
  return 0;
}

static int port_kind_m(lua_State *L) {
  static const char *const kinds[] = {"?", "serial", "tty", "tcp", "pty"};
  port_kind k = port_get_kind(check_open_port(L));
  lua_pushstring(L, (k >= PORT_SERIAL && k <= PORT_PTY_MASTER) ? kinds[k] : "?");
  return 1;
}

static int port_name_m(lua_State *L) {
  lua_pushstring(L, check_lport(L)->name);
  return 1;
}

static int port_closed_m(lua_State *L) {
  lua_pushboolean(L, check_lport(L)->p == NULL);
  return 1;
}

static int port_tostring(lua_State *L) {
  lport *lp = check_lport(L);
  lua_pushfstring(L, "bc260y.Port(%s%s)", lp->name, lp->p ? "" : ", closed");
  return 1;
}

static const luaL_Reg port_methods[] = {
    {"fd", port_fd_m},       {"read", port_read_m},     {"write", port_write_m},
    {"close", port_close_m}, {"kind", port_kind_m},     {"name", port_name_m},
    {"closed", port_closed_m}, {NULL, NULL}};

static const luaL_Reg port_meta[] = {{"__gc", port_close_m},
                                     {"__close", port_close_m},
                                     {"__tostring", port_tostring},
                                     {NULL, NULL}};

/* ---- decode ----------------------------------------------------------------------- */

/* Pushes hex and data (raw bytes) fields for a hex payload. */
static void set_hex_data(lua_State *L, const char *hex, size_t len) {
  set_str(L, "hex", hex, len);
  luaL_Buffer b;
  uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, len / 2 + 1);
  long n = hex ? bc_hex_decode(hex, len, out, len / 2 + 1) : -1;
  if (n >= 0) {
    luaL_pushresultsize(&b, (size_t)n);
  } else {
    luaL_pushresultsize(&b, 0);
    lua_pop(L, 1);
    lua_pushnil(L); /* the decoder let through bad hex: no data rather than wrong data */
  }
  lua_setfield(L, -2, "data");
}

/* Pushes the decoded table of a line, or nil when bc_decode does not know it. */
static void push_decoded(lua_State *L, const char *line, size_t len) {
  bc_decoded d;
  memset(&d, 0, sizeof d);
  bc_kind k = bc_decode(line, len, &d);
  const char *kind = NULL;
  switch (k) {
  case BC_NONE: lua_pushnil(L); return;
  case BC_QLWEVTIND: kind = "qlwevtind"; break;
  case BC_NNMI_DATA: kind = "nnmi_data"; break;
  case BC_NNMI_INDICATION: kind = "nnmi_indication"; break;
  case BC_NNMI_BUFF_FULL: kind = "nnmi_buff_full"; break;
  case BC_NNMI_MODE: kind = "nnmi_mode"; break;
  case BC_NMGR: kind = "nmgr"; break;
  case BC_FOTA: kind = "fota"; break;
  case BC_NMSTATUS: kind = "nmstatus"; break;
  case BC_QLWULDATASTATUS: kind = "qlwuldatastatus"; break;
  case BC_NQMGR: kind = "nqmgr"; break;
  case BC_NCFG: kind = "ncfg"; break;
  case BC_CSCON: kind = "cscon"; break;
  case BC_CSCON_ANSWER: kind = "cscon_answer"; break;
  case BC_CEREG: kind = "cereg"; break;
  case BC_CEREG_ANSWER: kind = "cereg_answer"; break;
  case BC_CGPADDR: kind = "cgpaddr"; break;
  case BC_CGSN: kind = "cgsn"; break;
  case BC_CSQ: kind = "csq"; break;
  case BC_QNBIOTEVENT: kind = "qnbiotevent"; break;
  case BC_CFUN: kind = "cfun"; break;
  case BC_CPIN: kind = "cpin"; break;
  case BC_IP: kind = "ip"; break;
  case BC_RDY: kind = "rdy"; break;
  case BC_CME_ERROR: kind = "cme_error"; break;
  case BC_ATI_MANUFACTURER: kind = "ati_manufacturer"; break;
  case BC_ATI_MODEL: kind = "ati_model"; break;
  case BC_ATI_REVISION: kind = "ati_revision"; break;
  }
  if (!kind) { /* a kind added to bc260y.h but not here yet */
    lua_pushnil(L);
    return;
  }
  lua_createtable(L, 0, 5);
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  switch (k) {
  case BC_QLWEVTIND: case BC_NNMI_MODE: case BC_QLWULDATASTATUS: case BC_NCFG:
  case BC_CSCON: case BC_CEREG: case BC_CFUN: case BC_CME_ERROR:
    set_int(L, "value", d.value);
    break;
  case BC_NNMI_DATA: case BC_NMGR:
    set_int(L, "length", d.value);
    set_hex_data(L, d.text, d.text_len);
    break;
  case BC_FOTA: {
    const char *stage = bc_fota_stage_name(d.stage);
    lua_pushstring(L, stage ? stage : "?");
    lua_setfield(L, -2, "stage");
    /* DOWNLOAD START and START carry no number. */
    if (d.stage != BC_FOTA_DOWNLOAD_START && d.stage != BC_FOTA_START) set_int(L, "value", d.value);
    if (d.stage == BC_FOTA_UPDATING && d.n >= 0) set_int(L, "total", d.n);
    if (d.stage == BC_FOTA_UPDATING && d.m >= 0) set_int(L, "current", d.m);
    break;
  }
  case BC_NMSTATUS: case BC_CGSN: case BC_CPIN: case BC_IP: case BC_ATI_MANUFACTURER:
  case BC_ATI_MODEL: case BC_ATI_REVISION:
    set_str(L, "value", d.text, d.text_len);
    break;
  case BC_NQMGR:
    set_int(L, "buffered", d.buffered);
    set_int(L, "received", d.received);
    set_int(L, "dropped", d.dropped);
    break;
  case BC_CSCON_ANSWER: case BC_CEREG_ANSWER:
    set_int(L, "n", d.n);
    set_int(L, "value", d.value);
    break;
  case BC_CGPADDR:
    set_int(L, "cid", d.n);
    if (d.text_len) set_str(L, "ip", d.text, d.text_len); /* none before attach */
    break;
  case BC_CSQ:
    set_int(L, "rssi", d.value);
    set_int(L, "ber", d.n);
    break;
  case BC_QNBIOTEVENT:
    lua_pushstring(L, d.value ? "ENTER DEEPSLEEP" : "EXIT DEEPSLEEP");
    lua_setfield(L, -2, "value");
    break;
  default: break; /* nnmi_indication, nnmi_buff_full, rdy: the kind says it all */
  }
}

static int l_decode(lua_State *L) {
  size_t len;
  const char *line = check_string(L, 1, &len);
  push_decoded(L, line, len);
  return 1;
}

/* ---- Engine ------------------------------------------------------------------------ */

typedef struct lengine {
  at_engine *at;
} lengine;

static lengine *check_lengine(lua_State *L) { return luaL_checkudata(L, 1, ENGINE_MT); }

static at_engine *check_open_engine(lua_State *L) {
  lengine *le = check_lengine(L);
  if (!le->at) luaL_error(L, "bc260y.Engine is closed");
  return le->at;
}

static int l_engine(lua_State *L) {
  at_config cfg;
  at_config_defaults(&cfg);
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    opt_size_field(L, 1, "line_max", &cfg.line_max);
    opt_size_field(L, 1, "answer_max", &cfg.answer_max);
    opt_size_field(L, 1, "queue_max", &cfg.queue_max);
    opt_size_field(L, 1, "cmd_max", &cfg.cmd_max);
    opt_size_field(L, 1, "event_max", &cfg.event_max);
    opt_ms_field(L, 1, "first_byte", &cfg.first_byte_ms);
    opt_ms_field(L, 1, "total", &cfg.total_ms);
    opt_ms_field(L, 1, "settle", &cfg.settle_ms);
    size_t ua = cfg.unresponsive_after;
    opt_size_field(L, 1, "unresponsive_after", &ua);
    luaL_argcheck(L, ua <= UINT_MAX, 1, "unresponsive_after too large");
    cfg.unresponsive_after = (unsigned)ua;
  }
  cfg.urcs = bc_urc_table;
  cfg.n_urcs = bc_urc_table_len;
  /* The userdata exists before the engine so that a failing lua_newuserdatauv cannot
   * leak it. */
  lengine *le = lua_newuserdatauv(L, sizeof *le, 0);
  le->at = NULL;
  luaL_setmetatable(L, ENGINE_MT);
  le->at = at_new(&cfg);
  if (!le->at)
    return luaL_error(L, "cannot create engine: invalid options (line_max >= 4096, sizes > 0) "
                         "or out of memory");
  return 1;
}

static const char *result_name(at_result r) {
  switch (r) {
  case AT_RESULT_OK: return "ok";
  case AT_RESULT_ERROR: return "error";
  case AT_RESULT_CME: return "cme";
  case AT_RESULT_CMS: return "cms";
  case AT_RESULT_FINAL: return "final";
  case AT_RESULT_TIMEOUT: return "timeout";
  case AT_RESULT_REBOOT: return "reboot";
  case AT_RESULT_ABORTED: return "aborted";
  case AT_RESULT_OVERFLOW: return "overflow";
  }
  return "?";
}

static void push_event(lua_State *L, const at_event *ev) {
  switch (ev->type) {
  case AT_EV_RESPONSE:
    lua_createtable(L, 0, 6);
    lua_pushliteral(L, "response");
    lua_setfield(L, -2, "type");
    set_int(L, "tag", (lua_Integer)ev->tag);
    lua_pushstring(L, result_name(ev->result));
    lua_setfield(L, -2, "result");
    /* code -1: a verbose "+CME ERROR: text"; the text is in final. */
    if ((ev->result == AT_RESULT_CME || ev->result == AT_RESULT_CMS) && ev->code >= 0)
      set_int(L, "code", ev->code);
    if (ev->text) set_str(L, "final", ev->text, ev->len);
    lua_createtable(L, (int)ev->n_lines, 0);
    for (size_t i = 0; i < ev->n_lines; i++) {
      const char *line = at_event_line(ev, i);
      lua_pushstring(L, line ? line : "");
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "lines");
    return;
  case AT_EV_URC:
    lua_createtable(L, 0, 3);
    lua_pushliteral(L, "urc");
    lua_setfield(L, -2, "type");
    set_str(L, "line", ev->text, ev->len);
    push_decoded(L, ev->text ? ev->text : "", ev->text ? ev->len : 0);
    lua_setfield(L, -2, "decoded");
    return;
  case AT_EV_UNKNOWN:
  case AT_EV_LATE:
  case AT_EV_OVERFLOW:
    lua_createtable(L, 0, 2);
    lua_pushstring(L, ev->type == AT_EV_UNKNOWN ? "unknown"
                      : ev->type == AT_EV_LATE  ? "late"
                                                : "overflow");
    lua_setfield(L, -2, "type");
    set_str(L, "line", ev->text, ev->len);
    return;
  case AT_EV_REBOOT:
  case AT_EV_UNRESPONSIVE:
    lua_createtable(L, 0, 1);
    lua_pushstring(L, ev->type == AT_EV_REBOOT ? "reboot" : "unresponsive");
    lua_setfield(L, -2, "type");
    return;
  }
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "?");
  lua_setfield(L, -2, "type");
}

/* Pops every queued event into the array at index arr. Returns how many. */
static size_t drain_events(lua_State *L, at_engine *at, int arr) {
  at_event ev;
  size_t n = 0;
  while (at_next_event(at, &ev)) {
    push_event(L, &ev);
    lua_rawseti(L, arr, luaL_len(L, arr) + 1);
    n++;
  }
  return n;
}

/* Reads an expect-like list: { "+FOO" | {"+NNMI", min, max}, ... } into m[]. The prefix
 * strings stay referenced by the options table on the stack until at_submit returns. */
static size_t read_matches(lua_State *L, int tbl, const char *key, at_match *m) {
  if (lua_getfield(L, tbl, key) == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (!lua_istable(L, -1)) luaL_error(L, "option '%s' must be a table", key);
  int list = lua_gettop(L);
  lua_Integer n = luaL_len(L, list);
  if (n > AT_CMD_MAX_EXPECT)
    luaL_error(L, "option '%s' has %d entries (at most %d)", key, (int)n, AT_CMD_MAX_EXPECT);
  for (lua_Integer i = 1; i <= n; i++) {
    int t = lua_geti(L, list, i);
    const char *prefix = NULL;
    lua_Integer lo = 0, hi = -1;
    if (t == LUA_TSTRING) {
      prefix = lua_tostring(L, -1);
    } else if (t == LUA_TTABLE) {
      lua_geti(L, -1, 1);
      prefix = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
      lua_pop(L, 1); /* the string stays alive: the entry table holds it */
      int isint = 1;
      if (lua_geti(L, -1, 2) != LUA_TNIL) lo = lua_tointegerx(L, -1, &isint);
      lua_pop(L, 1);
      if (!isint) luaL_error(L, "option '%s'[%d]: min fields must be an integer", key, (int)i);
      if (lua_geti(L, -1, 3) != LUA_TNIL) hi = lua_tointegerx(L, -1, &isint);
      lua_pop(L, 1);
      if (!isint) luaL_error(L, "option '%s'[%d]: max fields must be an integer", key, (int)i);
    }
    if (!prefix || !prefix[0])
      luaL_error(L, "option '%s'[%d] must be a prefix string or {prefix, min, max}", key, (int)i);
    if (lo < 0 || lo > 127 || hi < -1 || hi > 127 || (hi >= 0 && hi < lo))
      luaL_error(L, "option '%s'[%d]: field counts out of range", key, (int)i);
    m[i - 1].prefix = prefix;
    m[i - 1].min_fields = (int8_t)lo;
    m[i - 1].max_fields = (int8_t)hi;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return (size_t)n;
}

/* Raises on a key of the submit options the engine would not use: a typo (or a removed
 * option) must not be silently ignored. */
static void check_submit_keys(lua_State *L, int tbl) {
  static const char *const known[] = {"tag",   "first_byte", "total",  "expect",
                                      "finals", "text_lines", "prompt", NULL};
  lua_pushnil(L);
  while (lua_next(L, tbl)) {
    lua_pop(L, 1); /* the value */
    const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    size_t i = 0;
    while (k && known[i] && strcmp(k, known[i]) != 0) i++;
    if (!k || !known[i]) {
      if (k) luaL_error(L, "unknown option '%s'", k);
      luaL_error(L, "unknown option (a %s key)", luaL_typename(L, -1));
    }
  }
}

/* e:submit(text, opts): opts.tag, first_byte, total, expect, finals, text_lines, prompt as in
 * the contract; any other key raises. The command's timers start once its bytes are written
 * (e:consumed(n, now)), so submit takes no time. */
static int engine_submit(lua_State *L) {
  at_engine *at = check_open_engine(L);
  size_t len;
  const char *text = check_string(L, 2, &len);
  int has_opts = !lua_isnoneornil(L, 3);
  if (has_opts) {
    luaL_checktype(L, 3, LUA_TTABLE);
    check_submit_keys(L, 3);
  }
  at_cmd cmd;
  memset(&cmd, 0, sizeof cmd);
  cmd.text = text;
  cmd.len = len;
  bc_expect ex;
  at_match expect[AT_CMD_MAX_EXPECT], finals[AT_CMD_MAX_EXPECT];
  size_t n_expect = 0;
  int explicit_expect = 0;
  if (has_opts) {
    lua_getfield(L, 3, "expect");
    explicit_expect = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (explicit_expect) n_expect = read_matches(L, 3, "expect", expect);
    cmd.n_finals = read_matches(L, 3, "finals", finals);
    cmd.finals = cmd.n_finals ? finals : NULL;
    if (lua_getfield(L, 3, "tag") != LUA_TNIL) {
      int isint;
      lua_Integer tag = lua_tointegerx(L, -1, &isint);
      if (!isint) luaL_error(L, "option 'tag' must be an integer");
      cmd.tag = (uint64_t)tag;
    }
    lua_pop(L, 1);
    opt_ms_field(L, 3, "first_byte", &cmd.first_byte_ms);
    opt_ms_field(L, 3, "total", &cmd.total_ms);
    if (lua_getfield(L, 3, "prompt") != LUA_TNIL) {
      if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "option 'prompt' must be a string");
      cmd.payload = lua_tolstring(L, -1, &cmd.payload_len);
      cmd.flags |= AT_CMD_PROMPT;
    }
    lua_pop(L, 1); /* the options table still holds the payload string */
  }
  if (!explicit_expect) {
    bc_expect_for(text, len, &ex);
    cmd.expect = ex.match;
    cmd.n_expect = ex.n;
    cmd.flags |= ex.flags;
  } else {
    cmd.expect = n_expect ? expect : NULL;
    cmd.n_expect = n_expect;
  }
  if (has_opts) {
    int t = lua_getfield(L, 3, "text_lines");
    if (t != LUA_TNIL) {
      if (lua_toboolean(L, -1)) cmd.flags |= AT_CMD_TEXT_LINES;
      else cmd.flags &= ~(unsigned)AT_CMD_TEXT_LINES;
    }
    lua_pop(L, 1);
  }
  if (at_submit(at, &cmd, 0) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, at_error(at) ? at_error(at) : "command refused");
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int engine_feed(lua_State *L) {
  at_engine *at = check_open_engine(L);
  size_t len;
  const char *bytes = check_string(L, 2, &len);
  uint64_t now = check_now_ms(L, 3);
  lua_newtable(L);
  int arr = lua_gettop(L);
  size_t off = 0;
  /* The engine stops early only when its event queue is full: pop, then go on. */
  for (;;) {
    size_t used = at_feed(at, (const uint8_t *)bytes + off, len - off, now);
    size_t popped = drain_events(L, at, arr);
    off += used;
    if (off >= len) break;
    if (used == 0 && popped == 0) return luaL_error(L, "engine refused input without events");
  }
  return 1;
}

static int engine_tick(lua_State *L) {
  at_engine *at = check_open_engine(L);
  uint64_t now = check_now_ms(L, 2);
  lua_newtable(L);
  at_tick(at, now);
  drain_events(L, at, lua_gettop(L));
  return 1;
}

static int engine_deadline(lua_State *L) {
  uint64_t d = at_next_deadline(check_open_engine(L));
  if (d == UINT64_MAX) lua_pushnil(L);
  else lua_pushnumber(L, (lua_Number)d / 1000.0);
  return 1;
}

static int engine_output(lua_State *L) {
  size_t len = 0;
  const uint8_t *out = at_output(check_open_engine(L), &len);
  lua_pushlstring(L, len ? (const char *)out : "", len);
  return 1;
}

static int engine_consumed(lua_State *L) {
  at_engine *at = check_open_engine(L);
  lua_Integer n = luaL_checkinteger(L, 2);
  uint64_t now = check_now_ms(L, 3);
  size_t pending = 0;
  at_output(at, &pending);
  luaL_argcheck(L, n >= 0 && (uint64_t)n <= pending, 2, "more than the pending output");
  at_output_consumed(at, (size_t)n, now);
  return 0;
}

static int engine_abort(lua_State *L) {
  at_engine *at = check_open_engine(L);
  lua_newtable(L);
  at_abort_all(at);
  drain_events(L, at, lua_gettop(L));
  return 1;
}

static int engine_pending(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)at_pending(check_open_engine(L)));
  return 1;
}

static int engine_counters(lua_State *L) {
  const at_counters *c = at_get_counters(check_open_engine(L));
  lua_createtable(L, 0, 10);
  set_int(L, "bytes_in", (lua_Integer)c->bytes_in);
  set_int(L, "bytes_out", (lua_Integer)c->bytes_out);
  set_int(L, "lines", (lua_Integer)c->lines);
  set_int(L, "urcs", (lua_Integer)c->urcs);
  set_int(L, "unknown", (lua_Integer)c->unknown);
  set_int(L, "late", (lua_Integer)c->late);
  set_int(L, "overflows", (lua_Integer)c->overflows);
  set_int(L, "timeouts", (lua_Integer)c->timeouts);
  set_int(L, "commands", (lua_Integer)c->commands);
  set_int(L, "reboots", (lua_Integer)c->reboots);
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

static const luaL_Reg engine_methods[] = {
    {"submit", engine_submit},     {"feed", engine_feed},     {"tick", engine_tick},
    {"deadline", engine_deadline}, {"output", engine_output}, {"consumed", engine_consumed},
    {"abort", engine_abort},       {"pending", engine_pending}, {"counters", engine_counters},
    {"close", engine_close},       {NULL, NULL}};

static const luaL_Reg engine_meta[] = {{"__gc", engine_close},
                                       {"__close", engine_close},
                                       {"__tostring", engine_tostring},
                                       {NULL, NULL}};

/* ---- hex ---------------------------------------------------------------------------- */

static int l_hex_encode(lua_State *L) {
  size_t len;
  const char *s = check_string(L, 1, &len);
  luaL_argcheck(L, len <= (size_t)LONG_MAX / 2, 1, "too long");
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, 2 * len + 1);
  long n = bc_hex_encode((const uint8_t *)s, len, out, 2 * len + 1);
  if (n < 0) return luaL_error(L, "hex_encode failed");
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

static int l_hex_decode(lua_State *L) {
  size_t len;
  const char *s = check_string(L, 1, &len);
  if (len % 2) {
    lua_pushnil(L);
    lua_pushfstring(L, "odd number of hex digits (%d)", (int)len);
    return 2;
  }
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      lua_pushnil(L);
      lua_pushfstring(L, "not a hex digit at position %d", (int)i + 1);
      return 2;
    }
  }
  luaL_Buffer b;
  uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, len / 2 + 1);
  long n = bc_hex_decode(s, len, out, len / 2 + 1);
  if (n < 0) {
    luaL_pushresultsize(&b, 0);
    lua_pushnil(L);
    lua_pushliteral(L, "invalid hex");
    return 2;
  }
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

/* ---- builders ------------------------------------------------------------------------- */

/* A builder's refusal becomes "bad argument #arg to 'name' (message)". The name is given
 * rather than taken from the call site (luaL_argerror), which says '?' under pcall or an
 * alias. */
static int build_result(lua_State *L, int rc, const char *buf, const char *err, int arg,
                        const char *name) {
  if (rc < 0) return luaL_error(L, "bad argument #%d to '%s' (%s)", arg, name, err ? err : "refused");
  lua_pushlstring(L, buf, (size_t)rc);
  return 1;
}

/* Which argument a builder message is about: the first of names (checked in order) that
 * the message mentions, else the first argument. */
static int arg_of(const char *err, const char *const *names, const int *args, int n) {
  if (!err) return 1;
  for (int i = 0; i < n; i++)
    for (const char *s = err; *s; s++)
      if (strncasecmp(s, names[i], strlen(names[i])) == 0) return args[i];
  return 1;
}

static int l_build_ncdpopen(lua_State *L) {
  size_t hlen, plen = 0;
  const char *host = check_string(L, 1, &hlen);
  /* The C builder sees a C string: an embedded NUL would silently cut the host short. */
  luaL_argcheck(L, strlen(host) == hlen, 1, "host contains a NUL byte");
  long portno = lua_isnoneornil(L, 2) ? 0 : check_long(L, 2);
  const char *psk = NULL;
  if (!lua_isnoneornil(L, 3)) {
    psk = check_string(L, 3, &plen);
    luaL_argcheck(L, strlen(psk) == plen, 3, "psk contains a NUL byte");
  }
  char buf[BUILD_CAP];
  const char *err = NULL;
  int rc = bc_build_ncdpopen(buf, sizeof buf, host, portno, psk, &err);
  static const char *const names[] = {"psk", "port"};
  static const int args[] = {3, 2};
  return build_result(L, rc, buf, err, arg_of(err, names, args, 2), "ncdpopen");
}

static int l_build_nmgs(lua_State *L) {
  size_t len;
  const char *data = check_string(L, 1, &len);
  int type = lua_isnoneornil(L, 2) ? 0 : check_int(L, 2);
  char buf[BUILD_CAP];
  const char *err = NULL;
  int rc = bc_build_nmgs(buf, sizeof buf, (const uint8_t *)data, len, type, &err);
  static const char *const names[] = {"type"};
  static const int args[] = {2};
  return build_result(L, rc, buf, err, arg_of(err, names, args, 1), "nmgs");
}

static int l_build_ncfg(lua_State *L) {
  long lifetime = check_long(L, 1);
  char buf[128];
  const char *err = NULL;
  int rc = bc_build_ncfg_lifetime(buf, sizeof buf, lifetime, &err);
  return build_result(L, rc, buf, err, 1, "ncfg");
}

static int l_build_nnmi(lua_State *L) {
  int mode = check_int(L, 1);
  char buf[64];
  const char *err = NULL;
  int rc = bc_build_nnmi(buf, sizeof buf, mode, &err);
  return build_result(L, rc, buf, err, 1, "nnmi");
}

static int l_build_qsclk(lua_State *L) {
  int mode = check_int(L, 1);
  char buf[64];
  const char *err = NULL;
  int rc = bc_build_qsclk(buf, sizeof buf, mode, &err);
  return build_result(L, rc, buf, err, 1, "qsclk");
}

static const luaL_Reg build_funcs[] = {{"ncdpopen", l_build_ncdpopen},
                                       {"nmgs", l_build_nmgs},
                                       {"ncfg", l_build_ncfg},
                                       {"nnmi", l_build_nnmi},
                                       {"qsclk", l_build_qsclk},
                                       {NULL, NULL}};

/* ---- module ---------------------------------------------------------------------------- */

static void push_errors(lua_State *L) {
  lua_createtable(L, 0, (int)bc_errors_len);
  for (size_t i = 0; i < bc_errors_len; i++) {
    lua_createtable(L, 0, 3);
    lua_pushstring(L, bc_errors[i].name ? bc_errors[i].name : "");
    lua_setfield(L, -2, "name");
    lua_pushstring(L, bc_errors[i].en ? bc_errors[i].en : "");
    lua_setfield(L, -2, "en");
    lua_pushstring(L, bc_errors[i].zh ? bc_errors[i].zh : "");
    lua_setfield(L, -2, "zh");
    lua_rawseti(L, -2, bc_errors[i].code);
  }
}

/* ---- core.signal_fd, core.read_signal --------------------------------------------------- */
/* A long-running process (`bc260y sim`) must end cleanly on SIGINT and SIGTERM, and Lua
 * has no signal API. The signals are blocked and delivered through a signalfd instead,
 * which the loop watches like any other fd: no handler ever runs inside the interpreter. */

static const struct {
  const char *name;
  int signo;
} signal_names[] = {{"INT", SIGINT}, {"TERM", SIGTERM}, {"HUP", SIGHUP}, {"QUIT", SIGQUIT}};

static int signo_of(const char *name) {
  for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
    if (strcmp(signal_names[i].name, name) == 0) return signal_names[i].signo;
  return 0;
}

/* core.signal_fd({"INT", "TERM"}) -> fd | nil, msg, "io". The fd lives as long as the
 * process: the CLI needs it until exit. */
static int l_signal_fd(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  sigset_t set;
  sigemptyset(&set);
  lua_Integer n = luaL_len(L, 1);
  if (n < 1) return luaL_argerror(L, 1, "no signal named");
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, 1, i);
    const char *name = lua_tostring(L, -1);
    int signo = name ? signo_of(name) : 0;
    if (!signo) return luaL_argerror(L, 1, "signals are \"INT\", \"TERM\", \"HUP\" or \"QUIT\"");
    sigaddset(&set, signo);
    lua_pop(L, 1);
  }
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return io_fail(L, strerror(errno), "io");
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return io_fail(L, strerror(errno), "io");
  lua_pushinteger(L, fd);
  return 1;
}

/* core.read_signal(fd) -> "INT" | "TERM" | ... | nil when none is pending. */
static int l_read_signal(lua_State *L) {
  int fd = check_int(L, 1);
  struct signalfd_siginfo info;
  ssize_t got = read(fd, &info, sizeof info);
  if (got != (ssize_t)sizeof info) return 0;
  for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++) {
    if ((int)info.ssi_signo == signal_names[i].signo) {
      lua_pushstring(L, signal_names[i].name);
      return 1;
    }
  }
  return 0;
}

static void new_class(lua_State *L, const char *name, const luaL_Reg *meta,
                      const luaL_Reg *methods) {
  luaL_newmetatable(L, name);
  luaL_setfuncs(L, meta, 0);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

static const luaL_Reg core_funcs[] = {{"now", l_now},
                                      {"poll", l_poll},
                                      {"open_port", l_open_port},
                                      {"open_pty", l_open_pty},
                                      {"list_ports", l_list_ports},
                                      {"engine", l_engine},
                                      {"decode", l_decode},
                                      {"hex_encode", l_hex_encode},
                                      {"hex_decode", l_hex_decode},
                                      {"signal_fd", l_signal_fd},
                                      {"read_signal", l_read_signal},
                                      {NULL, NULL}};

int luaopen_bc260y_core(lua_State *L);
int luaopen_bc260y_core(lua_State *L) {
  new_class(L, PORT_MT, port_meta, port_methods);
  new_class(L, ENGINE_MT, engine_meta, engine_methods);
  luaL_newlib(L, core_funcs);
  luaL_newlib(L, build_funcs);
  lua_setfield(L, -2, "build");
  push_errors(L);
  lua_setfield(L, -2, "errors");
#ifdef BC260Y_WITH_LIBSERIALPORT
  lua_pushboolean(L, 1);
#else
  lua_pushboolean(L, 0);
#endif
  lua_setfield(L, -2, "with_libserialport");
  lua_pushliteral(L, "0.1.0");
  lua_setfield(L, -2, "version");
  return 1;
}
