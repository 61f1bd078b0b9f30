/* core_poller.c: bc260y.Poller (core.poller()): the readiness wait of bc260y.loop, on
 * epoll. The loop registers an fd once, when its first watcher comes, and a wait costs
 * what is ready, not what is watched: an idle modem adds nothing to another's commands
 * (poll(2) would scan every watched fd at every wait, and the loop would build the fd
 * list again each time).
 *
 *   p:set(fd, read, write) -> true | nil, msg, code   the interest in fd (both false:
 *                          none); code "unpollable" for an fd epoll refuses (a regular
 *                          file, a closed fd: poll(2) calls them ready at once, and the
 *                          loop treats them so itself)
 *   p:wait(timeout, out)  -> n                       waits up to timeout seconds (nil:
 *                          no limit; rounded up to the millisecond) and
 *                          puts n ready fds into out[1..2n] as fd, flags pairs: flags 1
 *                          readable, 2 writable, 3 both. A hang-up or an error counts as
 *                          both, so the reader or writer calls read/write and sees it.
 *   p:close()
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core.h"

#define POLLER_MT "bc260y.Poller"
#define POLLER_BATCH 64 /* ready fds taken per wait; the rest stay ready for the next */

typedef struct poller_handle {
  char mark[8]; /* POLLER_CLASS's (check_object) */
  int epfd;
} poller_handle;

static const core_class POLLER_CLASS = {"Poller", sizeof(poller_handle), POLLER_MT};

static poller_handle *to_poller(lua_State *L) { return check_object(L, 1, &POLLER_CLASS); }

static poller_handle *check_poller(lua_State *L) {
  poller_handle *poller = to_poller(L);
  if (poller->epfd < 0) luaL_error(L, "%s is closed", POLLER_MT);
  return poller;
}

static int l_poller(lua_State *L) {
  poller_handle *poller = new_object(L, &POLLER_CLASS);
  poller->epfd = -1;
  poller->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (poller->epfd < 0) return push_fail(L, strerror(errno), "io");
  return 1;
}

static int poller_set(lua_State *L) {
  poller_handle *poller = check_poller(L);
  int fd = check_int(L, 2);
  luaL_argcheck(L, fd >= 0, 2, "not a file descriptor");
  int r = lua_toboolean(L, 3), w = lua_toboolean(L, 4);
  struct epoll_event ev = {(r ? EPOLLIN : 0) | (w ? EPOLLOUT : 0), {.fd = fd}};
  int rc;
  if (!r && !w) {
    /* Gone already (closed behind the loop's back, which removes it from epoll): fine. */
    rc = epoll_ctl(poller->epfd, EPOLL_CTL_DEL, fd, &ev);
    if (rc < 0 && (errno == ENOENT || errno == EBADF)) rc = 0;
  } else {
    /* ADD first: an fd number the loop knew may have been closed and opened again, and
     * only ADD registers the new file. */
    rc = epoll_ctl(poller->epfd, EPOLL_CTL_ADD, fd, &ev);
    if (rc < 0 && errno == EEXIST) rc = epoll_ctl(poller->epfd, EPOLL_CTL_MOD, fd, &ev);
  }
  /* EPERM: a file epoll cannot watch (a regular file); EBADF: an fd already closed.
   * poll(2) calls both ready at once; the loop does the same with them. */
  int e = errno;
  if (rc < 0) return push_fail(L, strerror(e), e == EPERM || e == EBADF ? "unpollable" : "io");
  lua_pushboolean(L, 1);
  return 1;
}

static int poller_wait(lua_State *L) {
  poller_handle *poller = check_poller(L);
  int timeout_ms = -1;
  if (!lua_isnoneornil(L, 2)) {
    lua_Number s = luaL_checknumber(L, 2);
    luaL_argcheck(L, s == s, 2, "timeout is NaN");
    if (s <= 0) timeout_ms = 0;
    else if (s * 1000.0 >= (lua_Number)INT_MAX) timeout_ms = INT_MAX;
    /* Round up: waking a fraction of a millisecond before a deadline makes the loop spin.
     * (By hand, not ceil(): one libm import less in the flash build.) */
    else {
      timeout_ms = (int)(s * 1000.0);
      if ((lua_Number)timeout_ms < s * 1000.0) timeout_ms++;
    }
  }
  luaL_argexpected(L, lua_istable(L, 3), 3, "table");
  struct epoll_event evs[POLLER_BATCH];
  int n = epoll_wait(poller->epfd, evs, POLLER_BATCH, timeout_ms);
  if (n < 0) {
    if (errno != EINTR) return luaL_error(L, "epoll_wait: %s", strerror(errno));
    n = 0;
  }
  for (int i = 0; i < 2 * n; i++) { /* out[2k+1] = fd, out[2k+2] = flags */
    uint32_t e = evs[i / 2].events;
    int flags = ((e & (EPOLLIN | EPOLLPRI | EPOLLHUP | EPOLLERR)) != 0) |
                ((e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) << 1;
    lua_pushinteger(L, i & 1 ? flags : evs[i / 2].data.fd);
    lua_rawseti(L, 3, i + 1);
  }
  lua_pushinteger(L, n);
  return 1;
}

static int poller_close(lua_State *L) {
  poller_handle *poller = to_poller(L);
  if (poller->epfd >= 0) {
    close(poller->epfd);
    poller->epfd = -1;
  }
  return 0;
}

#define POLLER_METHODS(X) X(set, poller_set) X(wait, poller_wait) X(close, poller_close)
DEFINE_FUNCS(poller_methods, POLLER_METHODS);

#define POLLER_META(X) X(__gc, poller_close)
DEFINE_FUNCS(poller_meta, POLLER_META);

#define POLLER_FUNCS(X) X(poller, l_poller)
DEFINE_FUNCS(poller_funcs, POLLER_FUNCS);

void core_poller_register(lua_State *L) {
  new_class(L, POLLER_MT, FUNCS(poller_meta), FUNCS(poller_methods));
  set_funcs(L, FUNCS(poller_funcs));
}
