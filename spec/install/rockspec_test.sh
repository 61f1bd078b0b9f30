#!/bin/sh
# rockspec_test.sh SRC: `luarocks make` of bc260y-scm-1.rockspec, offline, into a fresh tree,
# run in a copy of the checkout (with a stale build.luarocks/ from an older LuaRocks build
# in it, as a checkout may have). Then: require "bc260y" works from that tree, the tree's
# `bc260y demo` runs (the examples came with the rock), and the copy is left with no
# build directory of its own (a leftover CMake cache broke `make test` before).
set -eu
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset LUA_PATH LUA_CPATH LUA_PATH_5_4 LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4
mkdir "$work/src"
(cd "$src" && tar --exclude=./build --exclude='./build-*' --exclude='./build.*' --exclude=./.git -cf - .) \
  | (cd "$work/src" && tar -xf -)
cd "$work/src"
mkdir build.luarocks && echo "CMAKE_HOME_DIRECTORY:INTERNAL=/elsewhere" > build.luarocks/CMakeCache.txt
luarocks --lua-version 5.4 make --tree "$work/tree" bc260y-scm-1.rockspec > "$work/make.log" 2>&1 \
  || { cat "$work/make.log"; echo "0 passed, 1 failed"; exit 1; }
left=$(ls -d build-* 2>/dev/null || true)
[ -z "$left" ] || { echo "luarocks make left $left in the checkout"; echo "0 passed, 1 failed"; exit 1; }
cd /
eval "$(luarocks --lua-version 5.4 path --tree "$work/tree")"
out=$(lua5.4 -e 'local b = require("bc260y"); local c = require("bc260y.core"); print(b.version, c.hex_encode("\1\254"))')
echo "require: $out"
[ "$out" = "$(printf '0.1.0\t01FE')" ] || { echo "unexpected: $out"; echo "0 passed, 1 failed"; exit 1; }
"$work/tree/bin/bc260y" demo --quiet --speed 100 > "$work/demo.out" 2>&1 \
  || { cat "$work/demo.out"; echo "the tree's bc260y demo failed"; echo "1 passed, 1 failed"; exit 1; }
grep -q "^uplinks received: 2" "$work/demo.out" || { cat "$work/demo.out"; echo "1 passed, 1 failed"; exit 1; }
echo "demo from the tree: $(grep '^uplinks received' "$work/demo.out")"
echo "2 passed, 0 failed"
