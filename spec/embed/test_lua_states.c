/* test_lua_states: bc260y.core in a program that embeds Lua and runs several Lua states,
 * one after another or side by side (a host that gives each script or request a state of
 * its own). A class's methods must refuse an object of another class in every state,
 * whatever the states that came and went before.
 *
 * The case it guards: state B loads bc260y.core, state A loads it after B, A is closed,
 * and B allocates a table where A's Engine metatable used to be. A type check that
 * compared metatable addresses with one kept in a C global (the last state's) took an
 * object carrying that table for an Engine, and the method then read the wrong memory.
 *
 * Exits 0 on success, 1 on a failure, 77 (skipped) when B never reuses the address (a
 * sanitizer's quarantine holds freed memory back). Usage: test_lua_states <dir holding
 * bc260y/core.so>. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fresh state with the standard libraries and bc260y.core as the global `core`. */
static lua_State *state_with_core(const char *module_dir) {
  lua_State *L = luaL_newstate();
  if (!L) exit(1);
  luaL_openlibs(L);
  lua_pushstring(L, module_dir);
  lua_setglobal(L, "module_dir");
  if (luaL_dostring(L, "package.cpath = module_dir .. '/?.so'; core = require('bc260y.core')")) {
    fprintf(stderr, "cannot load bc260y.core: %s\n", lua_tostring(L, -1));
    exit(1);
  }
  return L;
}

/* In B: allocates tables until one sits at the address `target` of a closed state's
 * metatable, gives that table to a Poller as its metatable, and calls each class's
 * method on the Poller. Returns "reused" and one error message per class, or "never". */
static const char *const probe_in_b =
    "local keep = {}\n"
    "for i = 1, 100000 do\n"
    "  local t = {}\n"
    "  if string.format('%p', t) == target then\n"
    "    local impostor = core.poller()\n"
    "    debug.setmetatable(impostor, t)\n"
    "    local reg = debug.getregistry()\n"
    "    local _, engine_err = pcall(reg['bc260y.Engine'].__index.feed, impostor)\n"
    "    local _, bc_port_err = pcall(reg['bc260y.Port'].__index.name, impostor)\n"
    "    return 'reused', tostring(engine_err), tostring(bc_port_err)\n"
    "  end\n"
    "  keep[i] = t\n"
    "end\n"
    "return 'never'\n";

/* The address of class's metatable in L, as %p prints it. */
static void metatable_address(lua_State *L, const char *class, char *out, size_t cap) {
  lua_pushstring(L, class);
  lua_setglobal(L, "class");
  if (luaL_dostring(L, "return string.format('%p', debug.getregistry()[class])")) exit(1);
  snprintf(out, cap, "%s", lua_tostring(L, -1));
  lua_pop(L, 1);
}

static int expect_refused(const char *what, const char *err, const char *want) {
  if (strstr(err, want)) return 0;
  fprintf(stderr, "FAIL: %s took an impostor: got \"%s\", expected \"%s\"\n", what, err, want);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_lua_states <dir holding bc260y/core.so>\n");
    return 1;
  }
  int failed = 0, tried = 0;
  static const char *const classes[] = {"bc260y.Engine", "bc260y.Port"};
  for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
    lua_State *b = state_with_core(argv[1]);
    lua_State *a = state_with_core(argv[1]);
    char target[64];
    metatable_address(a, classes[c], target, sizeof target);
    lua_pushstring(b, target);
    lua_setglobal(b, "target");
    /* Compiled before A is closed, so that what the compiler allocates and keeps does
     * not take the freed address before the probe's tables can. */
    if (luaL_loadstring(b, probe_in_b)) return 1;
    lua_close(a);
    if (lua_pcall(b, 0, LUA_MULTRET, 0)) {
      fprintf(stderr, "FAIL: %s\n", lua_tostring(b, -1));
      return 1;
    }
    if (strcmp(lua_tostring(b, 1), "reused") == 0) {
      tried++;
      failed += expect_refused("an Engine method", lua_tostring(b, 2), "bc260y.Engine expected");
      failed += expect_refused("a Port method", lua_tostring(b, 3), "bc260y.Port expected");
    }
    /* B's own objects still work after A came and went. */
    if (luaL_dostring(b, "local e = core.engine(); assert(e:pending() == 0); e:close()")) {
      fprintf(stderr, "FAIL: B's own Engine: %s\n", lua_tostring(b, -1));
      failed++;
    }
    lua_close(b);
  }
  if (failed) return 1;
  if (!tried) {
    printf("skipped: no state reused a closed state's metatable address\n");
    return 77;
  }
  printf("ok: %d reuse(s) of a closed state's metatable address, each impostor refused\n", tried);
  return 0;
}
