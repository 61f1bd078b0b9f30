/* core.c: the Lua 5.4 binding bc260y.core: luaopen_bc260y_core, the clock and
 * signals. The binding wraps the C core (port, AT engine, module tables) and nothing more: C never yields and never calls back into Lua
 * while parsing. e:feed() runs the engine to completion and returns the events as an
 * array of tables; the Lua side dispatches them afterwards (the cqueues rule).
 *
 * Files: core.c (this: module, now, signal_fd/read_signal), core_port.c (Port,
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

/* ---- core.now ------------------------------------------------------------------------ */

static int l_now(lua_State *L) {
  lua_pushnumber(L, core_now());
  return 1;
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
