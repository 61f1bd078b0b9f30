/* sim_core.c: bc260y.sim.core, the C part of the virtual module (lua/bc260y/sim/): what
 * only the virtual module, its CLI (`bc260y sim`) and the specs need, kept out of
 * bc260y.core so that a router's core.so does not carry it. Built always, installed with
 * the virtual module only (BC260Y_INSTALL_SIM).
 *   open_pty() -> Port, slave path | nil, msg, "io"   a pseudo-terminal pair: the master
 *                                   end as a bc260y.core Port, the path a client opens
 *   signal_fd(names) -> fd | nil, msg, "io"          names: {"INT", "TERM", "HUP", "QUIT"}
 *   read_signal(fd) -> name | nil                    nil when none is pending
 *   open_private(path) -> file | nil, msg, "io"      a log only its owner reads (private_file.c)
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core.h"
#include "port.h"

static int l_open_pty(lua_State *L) {
  char slave[BC_PORT_ERR_MAX] = "";
  char err[BC_PORT_ERR_MAX] = "";
  bc_port *p = bc_port_open_pty(slave, sizeof slave, err);
  if (!p) return push_fail(L, err[0] ? err : "cannot open a pseudo-terminal", "io");
  core_push_port(L, p);
  lua_pushstring(L, slave);
  return 2;
}

/* ---- signal_fd, read_signal ----------------------------------------------------------- */
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

/* signal_fd({"INT", "TERM"}) -> fd | nil, msg, "io". The fd lives as long as the
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

/* read_signal(fd) -> "INT" | "TERM" | ... | nil when none is pending. */
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

static const luaL_Reg sim_core_funcs[] = {{"open_pty", l_open_pty},
                                          {"signal_fd", l_signal_fd},
                                          {"read_signal", l_read_signal},
                                          {NULL, NULL}};

int luaopen_bc260y_sim_core(lua_State *L);
int luaopen_bc260y_sim_core(lua_State *L) {
  /* The Port class open_pty's master end belongs to. */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "bc260y.core");
  lua_call(L, 1, 0);
  luaL_newlib(L, sim_core_funcs);
  private_file_register(L);
  return 1;
}
