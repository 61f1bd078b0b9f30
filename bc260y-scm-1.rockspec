-- bc260y-scm-1.rockspec: builds the C core and bc260y.core with the project's CMake build
-- and installs them with the Lua modules and the CLI into a LuaRocks tree. Works offline
-- (`luarocks --lua-version 5.4 make --tree /tmp/t` in a checkout): the only dependency is
-- Lua itself, and libserialport comes from the system.
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
  license = "MIT",
  labels = {"iot", "nb-iot", "serial", "at-commands", "lwm2m"},
}

dependencies = {
  "lua >= 5.4",
}

external_dependencies = {
  LIBSERIALPORT = {
    header = "libserialport.h",
    library = "serialport",
  },
}

build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    -- The install rules put bc260y/core.so and the Lua files where LuaRocks wants them.
    BC260Y_LUA_CDIR = "$(LIBDIR)",
    BC260Y_LUA_DIR = "$(LUADIR)",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    -- Tests need LuaUnit and ptys: not part of an install.
    BC260Y_TESTS = "OFF",
  },
}
