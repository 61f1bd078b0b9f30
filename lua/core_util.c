/* core_util.c: the helpers every file of the Lua binding bc260y.core shares (declared in
 * core.h): strict argument checks, table setters, the one failure shape (nil, message,
 * code), class registration and the objects' type check. It calls nothing else of the
 * binding. */
#include <limits.h>
#include <string.h>
#include <time.h>

#include "core.h"

/* Strictly a string: numbers are not silently turned into command text or payload. */
const char *check_string(lua_State *L, int arg, size_t *len) {
  luaL_argexpected(L, lua_type(L, arg) == LUA_TSTRING, arg, "string");
  return lua_tolstring(L, arg, len);
}

int check_int(lua_State *L, int arg) {
  lua_Integer v = luaL_checkinteger(L, arg);
  luaL_argcheck(L, v >= INT_MIN && v <= INT_MAX, arg, "out of range");
  return (int)v;
}

void set_int(lua_State *L, const char *key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}

void set_str(lua_State *L, const char *key, const char *s, size_t len) {
  lua_pushlstring(L, s, s ? len : 0); /* Lua 5.4 takes NULL with length 0 as "" */
  lua_setfield(L, -2, key);
}

int push_fail(lua_State *L, const char *msg, const char *code) {
  lua_pushnil(L);
  lua_pushstring(L, msg);
  lua_pushstring(L, code);
  return 3;
}

void set_funcs(lua_State *L, const char *names, const lua_CFunction *fns) {
  for (const char *name = names; *name; name += strlen(name) + 1) {
    lua_pushcfunction(L, *fns++);
    lua_setfield(L, -2, name);
  }
}

void new_class(lua_State *L, const char *name, const char *meta_names,
               const lua_CFunction *meta_fns, const char *method_names,
               const lua_CFunction *method_fns) {
  luaL_newmetatable(L, name);
  set_funcs(L, meta_names, meta_fns);
  lua_newtable(L);
  set_funcs(L, method_names, method_fns);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

void *new_object(lua_State *L, const core_class *c) {
  void *o = lua_newuserdatauv(L, c->size, 0);
  memcpy(o, c->mark, sizeof c->mark);
  luaL_setmetatable(L, c->name);
  return o;
}

void *check_object(lua_State *L, int arg, const core_class *c) {
  void *o = lua_touserdata(L, arg);
  /* a light userdata's length is 0, never a class's size */
  if (!o || lua_rawlen(L, arg) != c->size || memcmp(o, c->mark, sizeof c->mark) != 0)
    luaL_typeerror(L, arg, c->name);
  return o;
}

double core_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
