/* core_port.c: bc260y.Port and core.open_port, core.list_ports: the Lua face of
 * core/port.h (bc260y.sim.core opens pseudo-terminals as Ports too). Reads and writes
 * never raise on I/O: they return nil, msg, "closed" on a hang-up (the caller
 * reconnects) and nil, msg, "io" on a fault (the caller reports it).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "port.h"

#define BC_PORT_MT "bc260y.Port"
#define READ_DEFAULT 4096
#define READ_MAX (1024 * 1024) /* one read never allocates more than this */

/* ---- Port --------------------------------------------------------------------------- */

/* A bc260y.Port: the port (NULL once closed) and its name, kept after close for messages
 * and __tostring. */
typedef struct bc_port_handle {
  char mark[8]; /* BC_PORT_CLASS's (check_object) */
  bc_port *p;
  char name[BC_PORT_ERR_MAX];
} bc_port_handle;

/* The Port at arg, open or closed. */
static const core_class BC_PORT_CLASS = {"Port", sizeof(bc_port_handle), BC_PORT_MT};

static bc_port_handle *to_port_handle(lua_State *L, int arg) {
  return check_object(L, arg, &BC_PORT_CLASS);
}

static bc_port_handle *check_port_handle(lua_State *L) { return to_port_handle(L, 1); }

bc_port *core_check_port(lua_State *L, int arg) {
  bc_port_handle *h = to_port_handle(L, arg);
  if (!h->p) luaL_error(L, "bc260y.Port(%s) is closed", h->name);
  return h->p;
}

static bc_port *check_open_port(lua_State *L) { return core_check_port(L, 1); }

void core_push_port(lua_State *L, bc_port *p) {
  bc_port_handle *h = new_object(L, &BC_PORT_CLASS);
  h->p = p;
  snprintf(h->name, sizeof h->name, "%s", bc_port_name(p)); /* p is an open port: it has one */
}


/* A failed bc_port_read / bc_port_write: nil, msg, "closed" for a hang-up (the caller
 * reconnects), nil, msg, "io" for a fault (the caller reports it). */
static int bc_port_fail(lua_State *L, long rc, const char *err) {
  return push_fail(L, err, rc == BC_PORT_CLOSED ? "closed" : "io");
}

static int l_open_port(lua_State *L) {
  size_t len;
  const char *spec = check_string(L, 1, &len);
  luaL_argcheck(L, strlen(spec) == len, 1, "contains a NUL byte");
  lua_Integer baud = lua_isnoneornil(L, 2) ? 0 : luaL_checkinteger(L, 2);
  luaL_argcheck(L, baud >= 0 && baud <= 4000000, 2, "baud rate out of range");
  /* 3rd argument exclusive (default true): false opens the device without the lock */
  unsigned flags = !lua_isnoneornil(L, 3) && !lua_toboolean(L, 3) ? BC_PORT_SHARED : 0;
  char err[BC_PORT_ERR_MAX]; /* the callee sets it */
  bc_port *p = bc_port_open_with(spec, (int)baud, flags, err);
  if (!p) return push_fail(L, err, "io"); /* bc_port_open_with says why, always */
  core_push_port(L, p);
  return 1;
}

static int l_list_ports(lua_State *L) {
  char err[BC_PORT_ERR_MAX]; /* the callee sets it */
  int cap = 64;
  bc_port_info *infos = NULL;
  int n;
  for (;;) {
    infos = lua_newuserdatauv(L, (size_t)cap * sizeof *infos, 0);
    n = bc_port_list(infos, cap, err);
    if (n < 0) return push_fail(L, err, "io"); /* bc_port_list says why, always */
    if (n <= cap || cap >= 4096) break;
    lua_pop(L, 1);
    cap = n < 4096 ? n : 4096; /* ports may appear meanwhile: the loop checks again */
  }
  if (n > cap) n = cap;
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    const bc_port_info *o = &infos[i]; /* bc_port_list ends both strings with a NUL */
    lua_createtable(L, 0, 4);
    set_str(L, "name", o->name, strlen(o->name));
    if (o->description[0]) set_str(L, "description", o->description, strlen(o->description));
    if (o->usb_vid >= 0) set_int(L, "vid", o->usb_vid);
    if (o->usb_pid >= 0) set_int(L, "pid", o->usb_pid);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int bc_port_fd_m(lua_State *L) {
  lua_pushinteger(L, bc_port_fd(check_open_port(L)));
  return 1;
}

static int bc_port_read_m(lua_State *L) {
  bc_port_handle *h = check_port_handle(L);
  lua_Integer max = lua_isnoneornil(L, 2) ? READ_DEFAULT : luaL_checkinteger(L, 2);
  luaL_argcheck(L, max > 0 && max <= READ_MAX, 2, "read size must be 1..1048576");
  if (!h->p) return push_fail(L, "port closed", "closed");
  char err[BC_PORT_ERR_MAX];
  /* The common read (the default size) goes through the C stack: no Lua buffer box per
   * call on the loop's hot path. */
  char small[READ_DEFAULT];
  luaL_Buffer b;
  char *buf = (size_t)max <= sizeof small ? small : luaL_buffinitsize(L, &b, (size_t)max);
  long n = bc_port_read(h->p, buf, (size_t)max, err);
  if (n < 0) return bc_port_fail(L, n, err);
  if (buf == small) lua_pushlstring(L, small, (size_t)n);
  else luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

static int bc_port_write_m(lua_State *L) {
  bc_port_handle *h = check_port_handle(L);
  size_t len;
  const char *s = check_string(L, 2, &len);
  if (!h->p) return push_fail(L, "port closed", "closed");
  char err[BC_PORT_ERR_MAX];
  long n = bc_port_write(h->p, s, len, err);
  if (n < 0) return bc_port_fail(L, n, err);
  lua_pushinteger(L, n);
  return 1;
}

/* close, __gc and __close: idempotent. */
static int bc_port_close_m(lua_State *L) {
  bc_port_handle *h = check_port_handle(L);
  if (h->p) {
    bc_port_close(h->p);
    h->p = NULL;
  }
  return 0;
}

static int bc_port_kind_m(lua_State *L) {
  static const char kinds[][7] = {"?", "serial", "tty", "tcp", "pty"}; /* no relocations */
  bc_port_kind k = bc_port_get_kind(check_open_port(L));
  lua_pushstring(L, (k >= BC_PORT_SERIAL && k <= BC_PORT_PTY_MASTER) ? kinds[k] : "?");
  return 1;
}

static int bc_port_name_m(lua_State *L) {
  lua_pushstring(L, check_port_handle(L)->name);
  return 1;
}

static int bc_port_closed_m(lua_State *L) {
  lua_pushboolean(L, check_port_handle(L)->p == NULL);
  return 1;
}

static int bc_port_tostring(lua_State *L) {
  bc_port_handle *h = check_port_handle(L);
  lua_pushfstring(L, "bc260y.Port(%s%s)", h->name, h->p ? "" : ", closed");
  return 1;
}

#define BC_PORT_METHODS(X)                                                                  \
  X(fd, bc_port_fd_m) X(read, bc_port_read_m) X(write, bc_port_write_m) X(close, bc_port_close_m)    \
  X(kind, bc_port_kind_m) X(name, bc_port_name_m) X(closed, bc_port_closed_m)
DEFINE_FUNCS(bc_port_methods, BC_PORT_METHODS);

#define BC_PORT_META(X) X(__gc, bc_port_close_m) X(__close, bc_port_close_m) X(__tostring, bc_port_tostring)
DEFINE_FUNCS(bc_port_meta, BC_PORT_META);

#define BC_PORT_FUNCS(X) X(open_port, l_open_port) X(list_ports, l_list_ports)
DEFINE_FUNCS(bc_port_funcs, BC_PORT_FUNCS);

void core_port_register(lua_State *L) {
  new_class(L, BC_PORT_MT, FUNCS(bc_port_meta), FUNCS(bc_port_methods));
  set_funcs(L, FUNCS(bc_port_funcs));
}
