/* signals.c: bc260y.signals, the stop signals of a long-running process (`bc260y run` under
 * procd, `bc260y sim`) as an fd the loop watches, and the signal's own death once the
 * process has closed what it must (docs/design.md, "Stopping"). Lua has no signal API.
 * Its own C module, not bc260y.core: core.so is at its flash budget (README.md, "Cross
 * builds and flash size"), and this file needs nothing of it.
 *   catch(names) -> fd | nil, msg, "io"  names: {"INT", "TERM", "HUP", "QUIT"}; from now on
 *                                        each of them is written to a pipe whose read end
 *                                        (non-blocking) is fd, the same fd at every call
 *   take() -> name | nil                 the oldest signal caught and not taken yet
 *   release()                            the signals caught get back the action they had
 *                                        before catch (what was caught stays to be taken)
 *   die(name)                            flushes C stdio and ends the process by that
 *                                        signal's default action: the status a shell or
 *                                        procd expects of a process the signal stopped
 *
 * A handler that writes to a pipe, not a signalfd: a signalfd needs the signals blocked,
 * and a blocked mask is inherited by every program the script starts (os.execute), which
 * Ctrl-C or procd could then no longer stop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

static const struct {
  char name[5]; /* in place, not a pointer: no relocation to load */
  unsigned char signo;
} signal_names[] = {{"INT", SIGINT}, {"TERM", SIGTERM}, {"HUP", SIGHUP}, {"QUIT", SIGQUIT}};
#define SIGNAL_COUNT (sizeof signal_names / sizeof signal_names[0])

static int caught[2] = {-1, -1}; /* the pipe: read end, write end */
static unsigned catching;        /* bit k: signal_names[k] has the handler */
/* What each had before (lua5.4's own SIGINT handler, while it runs a script). */
static struct sigaction before[SIGNAL_COUNT];

static void on_signal(int signo) {
  int saved = errno; /* the interrupted code may be about to read errno */
  unsigned char b = (unsigned char)signo;
  /* A full pipe drops the byte: hundreds of stops are already waiting to be taken. */
  ssize_t ignored = write(caught[1], &b, 1);
  (void)ignored;
  errno = saved;
}

/* The number of the signal named by the string at index idx; raises for any other value. */
static int signo_arg(lua_State *L, int idx, int arg) {
  const char *name = lua_tostring(L, idx);
  for (size_t k = 0; name && k < SIGNAL_COUNT; k++)
    if (strcmp(signal_names[k].name, name) == 0) return signal_names[k].signo;
  return luaL_argerror(L, arg, "signals are \"INT\", \"TERM\", \"HUP\" or \"QUIT\"");
}

static int signo_at(lua_State *L, lua_Integer i) {
  lua_geti(L, 1, i);
  int signo = signo_arg(L, -1, 1);
  lua_pop(L, 1);
  return signo;
}

static int fail(lua_State *L) {
  lua_pushnil(L);
  lua_pushstring(L, strerror(errno));
  lua_pushliteral(L, "io");
  return 3;
}

static int l_catch(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 1);
  if (n < 1) return luaL_argerror(L, 1, "no signal named");
  for (lua_Integer i = 1; i <= n; i++) signo_at(L, i); /* every name checked first */
  if (caught[0] < 0) {
    int fds[2];
    if (pipe(fds) != 0) return fail(L);
    for (int k = 0; k < 2; k++) {
      /* The handler must never block; the read end is watched, never waited on. */
      fcntl(fds[k], F_SETFL, fcntl(fds[k], F_GETFL) | O_NONBLOCK);
      fcntl(fds[k], F_SETFD, FD_CLOEXEC);
    }
    caught[0] = fds[0];
    caught[1] = fds[1];
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigfillset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; /* a read or write the signal interrupts goes on */
  for (lua_Integer i = 1; i <= n; i++) {
    int signo = signo_at(L, i);
    for (size_t k = 0; k < SIGNAL_COUNT; k++)
      if (signal_names[k].signo == signo) {
        /* A signal the parent set to be ignored stays ignored: `nohup` (SIGHUP), a
         * background job of a non-interactive shell (SIGINT). */
        struct sigaction now;
        if (!(catching & 1u << k) && sigaction(signo, NULL, &now) == 0 && now.sa_handler == SIG_IGN)
          continue;
        if (sigaction(signo, &sa, catching & 1u << k ? NULL : &before[k]) != 0) return fail(L);
        catching |= 1u << k;
      }
  }
  lua_pushinteger(L, caught[0]);
  return 1;
}

static int l_take(lua_State *L) {
  unsigned char b;
  if (caught[0] < 0 || read(caught[0], &b, 1) != 1) return 0;
  for (size_t k = 0; k < SIGNAL_COUNT; k++)
    if (signal_names[k].signo == b) {
      lua_pushstring(L, signal_names[k].name);
      return 1;
    }
  return 0;
}

static int l_release(lua_State *L) {
  (void)L;
  for (size_t k = 0; k < SIGNAL_COUNT; k++)
    if (catching & 1u << k) sigaction(signal_names[k].signo, &before[k], NULL);
  catching = 0;
  return 0;
}

static int l_die(lua_State *L) {
  int signo = signo_arg(L, 1, 1);
  fflush(NULL); /* what the script printed, which the signal's death would not write */
  signal(signo, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(signo);
  return 0; /* not reached: the default action of each of these signals ends the process */
}

static const luaL_Reg signals_funcs[] = {
    {"catch", l_catch}, {"take", l_take}, {"release", l_release}, {"die", l_die}, {NULL, NULL}};

int luaopen_bc260y_signals(lua_State *L);
int luaopen_bc260y_signals(lua_State *L) {
  luaL_newlib(L, signals_funcs);
  return 1;
}
