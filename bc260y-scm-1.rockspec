-- bc260y-scm-1.rockspec: builds the C core and bc260y.core with the project's CMake build,
-- driven by LuaRocks' own settings (LUA_INCDIR, LUA_LIBDIR, CFLAGS, LIBFLAG), and installs
-- the Lua modules, the CLI and the examples (so the installed `bc260y demo` runs) into a
-- LuaRocks tree. Works offline (`luarocks --lua-version 5.4 make --tree /tmp/t` in a
-- checkout): the only dependency is Lua itself. libserialport is used when CMake finds
-- it, else ports open with termios alone. The build directory is removed once installed:
-- a checkout is left as it was.
rockspec_format = "3.0"
package = "bc260y"
version = "scm-1"

source = {
  url = "git+https://github.com/bc260y/bc260y.git",
}

description = {
  summary = "Quectel BC260Y-CN NB-IoT module and China Telecom IoT platforms, from Lua",
  detailed = [[
A small C core for the serial I/O and the AT/URC parsing, wrapped by a Lua 5.4 module with
coroutine-friendly calls and event callbacks: connect to the China Telecom IoT platform or
CTWing AEP, send and receive data, follow DFOTA updates. A virtual module lets everything
run with no hardware.]],
  homepage = "https://github.com/bc260y/bc260y",
  issues_url = "https://github.com/bc260y/bc260y/issues",
  maintainer = "The bc260y maintainers (https://github.com/bc260y/bc260y/issues)",
  license = "MIT",
  labels = {"iot", "nb-iot", "serial", "at-commands", "lwm2m"},
}

dependencies = {
  "lua >= 5.4, < 5.5",
}

build = {
  type = "command",
  -- CFLAGS decide the optimisation (Release adds only -DNDEBUG); the modules, the CLI and
  -- share/bc260y/examples go into the rock's own directories, from where LuaRocks deploys.
  build_command = [[
rm -rf build-luarocks && "$(CMAKE)" -S . -B build-luarocks \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE=-DNDEBUG \
  -DCMAKE_C_COMPILER="$(CC)" -DCMAKE_C_FLAGS="$(CFLAGS)" -DCMAKE_MODULE_LINKER_FLAGS="$(LIBFLAG)" \
  -DLUA_INCLUDE_DIR="$(LUA_INCDIR)" -DLUA_LIBDIR="$(LUA_LIBDIR)" \
  -DBC260Y_TESTS=OFF -DBC260Y_INSTALL_C=OFF \
  -DCMAKE_INSTALL_PREFIX="$(PREFIX)" -DBC260Y_LUA_DIR="$(LUADIR)" -DBC260Y_LUA_CDIR="$(LIBDIR)" \
  && "$(CMAKE)" --build build-luarocks]],
  install_command = [["$(CMAKE)" --install build-luarocks && rm -rf build-luarocks]],
}

-- `luarocks test`: the LuaUnit specs (spec/lua) against a fresh build with the tests on;
-- they need LuaUnit on Lua's path (Debian: lua-unit; else `luarocks install luaunit`).
test = {
  type = "command",
  command = "sh spec/install/rock_specs.sh",
}
