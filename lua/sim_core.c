/* sim_core.c: bc260y.sim.core, the C part of the virtual module (lua/bc260y/sim/): what
 * only the virtual module, its CLI (`bc260y sim`) and the specs need, kept out of
 * bc260y.core so that a router's core.so does not carry it. Built always, installed with
 * the virtual module only (BC260Y_INSTALL_SIM).
 *   open_pty() -> Port, slave path | nil, msg, "io"   a pseudo-terminal pair: the master
 *                                   end as a bc260y.core Port, the path a client opens
 *   open_private(path) -> file | nil, msg, "io"      a log only its owner reads (private_file.c)
 */
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

static const luaL_Reg sim_core_funcs[] = {{"open_pty", l_open_pty},
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
