/* core_port.c: bc260y.Port and core.open_port, core.list_ports: the Lua face of
 * core/port.h (bc260y.sim.core opens pseudo-terminals as Ports too). Reads and writes
 * never raise on I/O: they return nil, msg, "closed" on a hang-up (the caller
 * reconnects) and nil, msg, "io" on a fault (the caller reports it).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core.h"
#include "port.h"

#define PORT_MT "bc260y.Port"
#define READ_DEFAULT 4096
#define READ_MAX (1024 * 1024) /* one read never allocates more than this */

/* ---- Port --------------------------------------------------------------------------- */

/* The blocking descriptor of a port (wait_read below): not opened yet, or none to have. */
#define BFD_UNTRIED (-1)
#define BFD_NONE (-2)

struct lport {
  port *p;
  int bfd; /* a second, blocking descriptor of the same tty, or BFD_UNTRIED / BFD_NONE */
  char name[PORT_ERR_MAX]; /* kept after close for messages and __tostring */
};

/* The Port at arg, open or closed. */
static lport *to_lport(lua_State *L, int arg) { return luaL_checkudata(L, arg, PORT_MT); }

static lport *check_lport(lua_State *L) { return to_lport(L, 1); }

lport *core_check_lport(lua_State *L, int arg) {
  lport *lp = to_lport(L, arg);
  if (!lp->p) luaL_error(L, "bc260y.Port(%s) is closed", lp->name);
  return lp;
}

port *core_lport_port(lport *lp) { return lp->p; }

/* ---- waiting for bytes without poll --------------------------------------------------
 * A command's round trip waits for the answer. The cheapest wait is a blocking read, as a
 * hand-written client does: one syscall instead of poll then read. The loop needs the
 * port's descriptor non-blocking, and O_NONBLOCK belongs to the open file, so a tty gets
 * a second descriptor of its own (the same device opened again, blocking) whose reads are
 * bounded by the line's VTIME: VMIN 0, VTIME 1 makes a read return at the first byte or
 * after 0.1 s with 0. The loop's non-blocking descriptor still answers EAGAIN when idle
 * (VTIME > 0) and 0 on a hang-up, as with VMIN 1. A read that returns 0 is told apart
 * (0.1 s gone, or a hang-up) by one non-blocking read. Waits shorter than 0.1 s, and
 * ports with no second descriptor (TCP, a pty master, a device that refuses a second
 * open), use poll and a non-blocking read. */

static int blocking_fd(lport *lp) {
  if (lp->bfd != BFD_UNTRIED) return lp->bfd;
  lp->bfd = BFD_NONE;
  port_kind k = port_get_kind(lp->p);
  if (k != PORT_TTY && k != PORT_SERIAL) return BFD_NONE;
  int main_fd = port_fd(lp->p);
  /* O_NONBLOCK for the open itself only: a tty without CLOCAL would wait for carrier. */
  int fd = open(port_name(lp->p), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return BFD_NONE;
  struct stat a, b;
  struct termios t;
  int fl = fcntl(fd, F_GETFL);
  /* The same device (the path could name another by now), made blocking, VMIN 0 VTIME 1. */
  if (fstat(fd, &a) != 0 || fstat(main_fd, &b) != 0 || !S_ISCHR(a.st_mode) ||
      a.st_rdev != b.st_rdev || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0 ||
      tcgetattr(main_fd, &t) != 0) {
    close(fd);
    return BFD_NONE;
  }
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 1;
  if (tcsetattr(main_fd, TCSANOW, &t) != 0) {
    close(fd);
    return BFD_NONE;
  }
  lp->bfd = fd;
  return fd;
}

long core_port_wait_read(lport *lp, char *buf, size_t cap, int timeout_ms,
                         char err[PORT_ERR_MAX]) {
  if (!lp->p) {
    snprintf(err, PORT_ERR_MAX, "closed");
    return PORT_CLOSED;
  }
  int bfd = timeout_ms >= 100 ? blocking_fd(lp) : BFD_NONE;
  if (bfd >= 0) {
    ssize_t n;
    do n = read(bfd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n > 0) return (long)n;
    /* 0: the 0.1 s passed or the line hung up; an error: the port's own read says which
     * failure it is, in its words. Either way the non-blocking read decides. */
  } else if (timeout_ms > 0) {
    struct pollfd pfd = {port_fd(lp->p), POLLIN, 0};
    int r = poll(&pfd, 1, timeout_ms);
    if (r < 0 && errno != EINTR) {
      snprintf(err, PORT_ERR_MAX, "%.200s: poll: %.40s", lp->name, strerror(errno));
      return PORT_ERROR;
    }
    if (r <= 0) return 0;
  }
  return port_read(lp->p, buf, cap, err);
}

static port *check_open_port(lua_State *L) { return core_check_lport(L, 1)->p; }

void core_push_port(lua_State *L, port *p) {
  lport *lp = lua_newuserdatauv(L, sizeof *lp, 0);
  lp->p = p;
  lp->bfd = BFD_UNTRIED;
  snprintf(lp->name, sizeof lp->name, "%s", port_name(p) ? port_name(p) : "?");
  luaL_setmetatable(L, PORT_MT);
}


/* A failed port_read / port_write: nil, msg, "closed" for a hang-up (the caller
 * reconnects), nil, msg, "io" for a fault (the caller reports it). */
static int port_fail(lua_State *L, long rc, const char *err) {
  return push_fail(L, err, rc == PORT_CLOSED ? "closed" : "io");
}

static int l_open_port(lua_State *L) {
  size_t len;
  const char *spec = check_string(L, 1, &len);
  luaL_argcheck(L, strlen(spec) == len, 1, "contains a NUL byte");
  lua_Integer baud = luaL_optinteger(L, 2, 0);
  luaL_argcheck(L, baud >= 0 && baud <= 4000000, 2, "baud rate out of range");
  /* 3rd argument exclusive (default true): false opens the device without the lock */
  unsigned flags = !lua_isnoneornil(L, 3) && !lua_toboolean(L, 3) ? PORT_SHARED : 0;
  char err[PORT_ERR_MAX] = "";
  port *p = port_open_with(spec, (int)baud, flags, err);
  if (!p) return push_fail(L, err[0] ? err : "cannot open port", "io");
  core_push_port(L, p);
  return 1;
}

static int l_list_ports(lua_State *L) {
  char err[PORT_ERR_MAX] = "";
  int cap = 64;
  port_info *infos = NULL;
  int n;
  for (;;) {
    infos = lua_newuserdatauv(L, (size_t)cap * sizeof *infos, 0);
    n = port_list(infos, cap, err);
    if (n < 0) return push_fail(L, err[0] ? err : "cannot list ports", "io");
    if (n <= cap || cap >= 4096) break;
    lua_pop(L, 1);
    cap = n < 4096 ? n : 4096; /* ports may appear meanwhile: the loop checks again */
  }
  if (n > cap) n = cap;
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    const port_info *o = &infos[i]; /* port_list ends both strings with a NUL */
    lua_createtable(L, 0, 4);
    set_str(L, "name", o->name, strlen(o->name));
    if (o->description[0]) set_str(L, "description", o->description, strlen(o->description));
    if (o->usb_vid >= 0) set_int(L, "vid", o->usb_vid);
    if (o->usb_pid >= 0) set_int(L, "pid", o->usb_pid);
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
  if (!lp->p) return push_fail(L, "port closed", "closed");
  char err[PORT_ERR_MAX];
  /* The common read (the default size) goes through the C stack: no Lua buffer box per
   * call on the loop's hot path. */
  char small[READ_DEFAULT];
  luaL_Buffer b;
  char *buf = (size_t)max <= sizeof small ? small : luaL_buffinitsize(L, &b, (size_t)max);
  long n = port_read(lp->p, buf, (size_t)max, err);
  if (n < 0) return port_fail(L, n, err);
  if (buf == small) lua_pushlstring(L, small, (size_t)n);
  else luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

static int port_write_m(lua_State *L) {
  lport *lp = check_lport(L);
  size_t len;
  const char *s = check_string(L, 2, &len);
  if (!lp->p) return push_fail(L, "port closed", "closed");
  char err[PORT_ERR_MAX];
  long n = port_write(lp->p, s, len, err);
  if (n < 0) return port_fail(L, n, err);
  lua_pushinteger(L, n);
  return 1;
}

/* close, __gc and __close: idempotent. */
static int port_close_m(lua_State *L) {
  lport *lp = check_lport(L);
  if (lp->bfd >= 0) close(lp->bfd);
  lp->bfd = BFD_NONE;
  if (lp->p) {
    port_close(lp->p);
    lp->p = NULL;
  }
  return 0;
}

static int port_kind_m(lua_State *L) {
  static const char kinds[][7] = {"?", "serial", "tty", "tcp", "pty"}; /* no relocations */
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

#define PORT_METHODS(X)                                                                  \
  X(fd, port_fd_m) X(read, port_read_m) X(write, port_write_m) X(close, port_close_m)    \
  X(kind, port_kind_m) X(name, port_name_m) X(closed, port_closed_m)
static const funcs port_methods = FUNCS(PORT_METHODS);

#define PORT_META(X) X(__gc, port_close_m) X(__close, port_close_m) X(__tostring, port_tostring)
static const funcs port_meta = FUNCS(PORT_META);

#define PORT_FUNCS(X) X(open_port, l_open_port) X(list_ports, l_list_ports)
static const funcs port_funcs = FUNCS(PORT_FUNCS);

void core_port_register(lua_State *L) {
  new_class(L, PORT_MT, &port_meta, &port_methods);
  set_funcs(L, &port_funcs);
}
