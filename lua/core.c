/* core.c: the Lua 5.4 binding bc260y.core: luaopen_bc260y_core and the clock. The
 * binding wraps the C core (port, AT engine, module tables) and nothing more: C never
 * yields and never calls back into Lua while parsing. e:feed() runs the engine to
 * completion and returns the events as an array of tables; the Lua side dispatches them
 * afterwards (the cqueues rule).
 *
 * Files: core.c (this: module, now), core_port.c (Port, open_port, list_ports),
 * core_engine.c (Engine), core_decode.c (decode, errors, hex, command builders),
 * core_poller.c (Poller: the loop's epoll wait), core_util.c (the helpers they all
 * share). core.c calls each file's registration; the files call only core_util.c: no
 * circle. bc260y.sim.core (sim_core.c, pseudo-terminals and signals for the virtual
 * module) is a module of its own.
 *
 * Conventions:
 *   - I/O methods (p:read, p:write) return nil, msg, code ("closed" | "io") on failure and
 *     also on a Port that was closed; every other method on a closed object raises.
 *   - Bad arguments raise (luaL_argerror), so nothing malformed reaches the wire.
 *   - Times are seconds (float) on the Lua side, milliseconds (uint64) in the engine.
 */

#include "core.h"

#ifndef BC260Y_VERSION
#error "BC260Y_VERSION comes from CMakeLists.txt (project VERSION)"
#endif

/* ---- core.now ------------------------------------------------------------------------ */

static int l_now(lua_State *L) {
  lua_pushnumber(L, core_now());
  return 1;
}

#define CORE_FUNCS(X) X(now, l_now)
DEFINE_FUNCS(core_funcs, CORE_FUNCS);

/* ---- module ---------------------------------------------------------------------------- */

int luaopen_bc260y_core(lua_State *L);
int luaopen_bc260y_core(lua_State *L) {
  luaL_checkversion(L);
  lua_newtable(L);
  set_funcs(L, FUNCS(core_funcs));
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
