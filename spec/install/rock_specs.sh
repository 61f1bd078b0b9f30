#!/bin/sh
# rock_specs.sh: the rockspec's test section (`luarocks test` in a checkout). Builds the
# project with its tests into a scratch directory and runs the LuaUnit specs
# (spec/lua/*_spec.lua) through ctest; extra arguments go to ctest. The checkout is left
# as it was.
set -eu
src=$(pwd)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DBC260Y_TESTS=ON > "$build/configure.log" 2>&1 \
  || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j 2 > "$build/build.log" 2>&1 || { cat "$build/build.log"; exit 1; }
cd "$build"
ctest --output-on-failure -R '^lua_' "$@"
