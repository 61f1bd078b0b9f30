/* core.h: what the files of the Lua binding bc260y.core share (internal, not installed):
 * argument checks, table setters, the I/O failure convention, class registration, and
 * each file's registration function, which core.c's luaopen_bc260y_core calls. The
 * helpers live in core_util.c. */
#ifndef BC260Y_LUA_CORE_H
#define BC260Y_LUA_CORE_H

#include <stddef.h>

#include "lauxlib.h"
#include "lua.h"
#include "port.h"

/* Shared between the binding's files but not exported from core.so, where only
 * luaopen_bc260y_core is public (generic names like set_int must not reach other modules). */
#define CORE_INTERNAL __attribute__((visibility("hidden")))

/* Strictly a string: numbers are not silently turned into command text or payload. */
CORE_INTERNAL const char *check_string(lua_State *L, int arg, size_t *len);
CORE_INTERNAL int check_int(lua_State *L, int arg);
/* t[key] = v on the table at the top of the stack. */
CORE_INTERNAL void set_int(lua_State *L, const char *key, lua_Integer v);
CORE_INTERNAL void set_str(lua_State *L, const char *key, const char *s, size_t len);
/* Pushes nil, msg, code and returns 3: how every fallible binding function fails. Codes:
 * "closed" (the other side hung up), "io" (any other I/O fault), "refused" (the engine
 * refused a command: e:submit), "invalid" (bad input data: core.hex_decode). */
CORE_INTERNAL int push_fail(lua_State *L, const char *msg, const char *code);
/* A list of Lua functions: their names in one string ("a\0b\0", in order) and an array
 * of their C functions, both static, handed over as two arguments. A luaL_Reg holds two
 * pointers per function, each relocated when core.so loads (8 bytes of relocation on
 * MIPS), and a struct holding the two arrays' addresses would add two more per list; this
 * relocates one pointer per function, and the names stay contiguous text. Written from an
 * X-macro list so that each name stays beside its function:
 *   #define PORT_FUNCS(X) X(open_port, l_open_port) X(list_ports, l_list_ports)
 *   DEFINE_FUNCS(port_funcs, PORT_FUNCS);
 *   set_funcs(L, FUNCS(port_funcs)); */
#define FUNC_NAME_(name, fn) #name "\0"
#define FUNC_PTR_(name, fn) fn,
#define DEFINE_FUNCS(var, list)                                                          \
  static const char var##_names[] = list(FUNC_NAME_);                                    \
  static const lua_CFunction var##_fns[] = {list(FUNC_PTR_)}
#define FUNCS(var) var##_names, var##_fns
/* t[name] = function for each of a list's, on the table at the top of the stack. */
CORE_INTERNAL void set_funcs(lua_State *L, const char *names, const lua_CFunction *fns);
/* Registers a metatable name with a list of metamethods and one of methods (as __index):
 * new_class(L, name, FUNCS(meta), FUNCS(methods)). */
CORE_INTERNAL void new_class(lua_State *L, const char *name, const char *meta_names,
                             const lua_CFunction *meta_fns, const char *method_names,
                             const lua_CFunction *method_fns);
/* An object of a class: a full userdata that begins with the class's mark, an 8-byte
 * constant (its name, "Engine\0\0"...). new_object pushes one with the class's metatable
 * (registered by new_class under the class's name); check_object returns the object at
 * arg or raises "<name> expected" as luaL_checkudata does. Why not luaL_checkudata: it
 * looks the metatable up by name in the registry at every call, which costs a command's
 * round trip 5% of its instructions; and a metatable address kept in a C global instead
 * would be one Lua state's (after that state closed, another could reuse the address for
 * a foreign class's metatable: spec/embed). The mark is a value, not an address: the same
 * in every state and in bc260y.sim.core's copy of core_port.c, and no other object has
 * it at the same size. */
typedef struct core_class {
  char mark[8];
  size_t size; /* of the userdata, mark included */
  const char *name; /* the metatable's: "bc260y.Engine"... */
} core_class;
CORE_INTERNAL void *new_object(lua_State *L, const core_class *c);
CORE_INTERNAL void *check_object(lua_State *L, int arg, const core_class *c);

/* Each adds its functions (and classes) to the module table at the top of the stack. */
CORE_INTERNAL void core_port_register(lua_State *L);   /* core_port.c: Port, open_* */
CORE_INTERNAL void core_engine_register(lua_State *L); /* core_engine.c: Engine */
CORE_INTERNAL void core_decode_register(lua_State *L); /* core_decode.c: decode, build... */
CORE_INTERNAL void core_poller_register(lua_State *L); /* core_poller.c: Poller */
/* private_file.c: open_private, registered by bc260y.sim.core (sim_core.c), not core.so */
CORE_INTERNAL void private_file_register(lua_State *L);

/* core_port.c: the port of the open Port at arg (raises on anything else or a closed one). */
CORE_INTERNAL bc_port *core_check_port(lua_State *L, int arg);
/* core_port.c: pushes a new Port that owns p (bc260y.core's Port class, which must be
 * registered: bc260y.sim.core requires bc260y.core first). */
CORE_INTERNAL void core_push_port(lua_State *L, bc_port *p);
/* core_util.c: the loop's clock (CLOCK_MONOTONIC), in seconds, as core.now gives it. */
CORE_INTERNAL double core_now(void);

/* core_decode.c: pushes core.decode(line): a table, or nil for a line it does not know
 * (the engine attaches it to URC events). */
CORE_INTERNAL void push_decoded(lua_State *L, const char *line, size_t len);

#endif
