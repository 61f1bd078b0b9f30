/* private_file.c: open_private(path) of bc260y.sim.core (the tools' C module, not the
 * router's core.so, whose flash it would cost: only the console's --log needs it), a file
 * opened to append that only its owner can read, for logs that may hold what a session
 * typed. Lua's io.open
 * can do none of what that needs: create the file 0600, refuse a symbolic link at the path
 * (appending would write to whatever it points to), and refuse a FIFO or a device (a FIFO
 * would block the open). Returns a Lua file handle, so the caller writes with the io
 * library as usual, or nil, msg, "io". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

/* The handle's close: the io library calls it with the handle it checked at index 1. */
static int close_private(lua_State *L) {
  luaL_Stream *s = (luaL_Stream *)lua_touserdata(L, 1);
  return luaL_fileresult(L, fclose(s->f) == 0, NULL);
}

static int l_open_private(lua_State *L) {
  const char *path = check_string(L, 1, NULL);
  const char *why = "not a regular file";
  /* The handle exists before the descriptor: a failing allocation cannot leak it. */
  luaL_Stream *s = (luaL_Stream *)lua_newuserdatauv(L, sizeof *s, 0);
  s->closef = NULL; /* a closed handle until the FILE exists */
  luaL_setmetatable(L, LUA_FILEHANDLE);
  /* O_NONBLOCK: opening a FIFO for writing would otherwise wait for a reader. */
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK,
                0600);
  struct stat st;
  if (fd < 0) {
    /* ENXIO: a FIFO with no reader (or a device that is not there). */
    if (errno == ELOOP) why = "is a symbolic link";
    else if (errno != ENXIO) why = strerror(errno);
  } else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    /* A log kept from before may be readable by others: it holds the same kind of text. */
    if (((st.st_mode & 077) == 0 || fchmod(fd, 0600) == 0) && (s->f = fdopen(fd, "a")) != NULL) {
      s->closef = close_private;
      return 1;
    }
    why = strerror(errno);
  }
  if (fd >= 0) close(fd);
  lua_pushfstring(L, "%s: %s", path, why);
  return push_fail(L, lua_tostring(L, -1), "io");
}

#define FILE_FUNCS(X) X(open_private, l_open_private)
DEFINE_FUNCS(file_funcs, FILE_FUNCS);

void private_file_register(lua_State *L) { set_funcs(L, FUNCS(file_funcs)); }
