/* core.c: the Lua 5.4 binding bc260y.core: luaopen_bc260y_core, the clock, poll and
 * signals. The binding wraps the C core (port, AT engine, module tables) and nothing more: C never yields and never calls back into Lua
 * while parsing. e:feed() runs the engine to completion and returns the events as an
 * array of tables; the Lua side dispatches them afterwards (the cqueues rule).
 *
 * Files: core.c (this: module, now, poll, signal_fd/read_signal), core_port.c (Port,
 * open_port, open_pty, list_ports), core_engine.c (Engine), core_decode.c (decode, errors,
 * hex, command builders), core_poller.c (Poller: the loop's epoll wait), core_util.c (the helpers they all share). core.c calls each
 * file's registration; the files call only core_util.c: no circle.
 *
 * Conventions:
 *   - I/O methods (p:read, p:write) return nil, msg, code ("closed" | "io") on failure and
 *     also on a Port that was closed; every other method on a closed object raises.
 *   - Bad arguments raise (luaL_argerror), so nothing malformed reaches the wire.
 *   - Times are seconds (float) on the Lua side, milliseconds (uint64) in the engine.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

#ifndef BC260Y_VERSION
#error "BC260Y_VERSION comes from CMakeLists.txt (project VERSION)"
#endif

/* ---- core.now, core.poll ------------------------------------------------------------- */

static int l_now(lua_State *L) {
  lua_pushnumber(L, core_now());
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
    /* Round up: waking a fraction of a millisecond before a deadline makes the loop spin.
     * (By hand, not ceil(): one libm import less in the flash build.) */
    else {
      timeout_ms = (int)(s * 1000.0);
      if ((lua_Number)timeout_ms < s * 1000.0) timeout_ms++;
    }
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

/* ---- core.signal_fd, core.read_signal --------------------------------------------------- */
/* A long-running process (`bc260y sim`) must end cleanly on SIGINT and SIGTERM, and Lua
 * has no signal API. The signals are blocked and delivered through a signalfd instead,
 * which the loop watches like any other fd: no handler ever runs inside the interpreter. */

static const struct {
  char name[5]; /* in place, not a pointer: no relocation to load */
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
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return push_fail(L, strerror(errno), "io");
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return push_fail(L, strerror(errno), "io");
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

static const luaL_Reg core_funcs[] = {{"now", l_now},
                                      {"poll", l_poll},
                                      {"signal_fd", l_signal_fd},
                                      {"read_signal", l_read_signal},
                                      {NULL, NULL}};

/* ---- module ---------------------------------------------------------------------------- */

int luaopen_bc260y_core(lua_State *L);
int luaopen_bc260y_core(lua_State *L) {
  luaL_newlib(L, core_funcs);
  core_port_register(L);
  core_engine_register(L);
  core_decode_register(L);
  core_poller_register(L);
#ifdef BC260Y_WITH_LIBSERIALPORT
  lua_pushboolean(L, 1);
#else
  lua_pushboolean(L, 0);
#endif
  lua_setfield(L, -2, "with_libserialport");
  lua_pushliteral(L, BC260Y_VERSION);
  lua_setfield(L, -2, "version");
  return 1;
}
