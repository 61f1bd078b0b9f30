#!/bin/sh
# make_install_test.sh BUILD SRC CC: what `make install DESTDIR=...` gives a user. The build
# is installed into a scratch DESTDIR (prefix /usr/local), then, run from elsewhere with no
# LUA_PATH: the staged CLI's demo runs on the staged modules; stock lua5.4's own path finds
# them at a default install's places; the tree still runs once moved; the C example builds
# against the staged libbc260y through bc260y.pc (shared and static) and sends its uplink
# through the staged virtual module; uninstall leaves nothing behind.
set -eu
build=$1
src=$2
cc=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset LUA_PATH LUA_CPATH LUA_PATH_5_4 LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4
passed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { echo "FAIL: $1"; echo "$passed passed, 1 failed"; exit 1; }

DESTDIR=$work/stage cmake --install "$build" --prefix /usr/local > "$work/install.log" \
  || { cat "$work/install.log"; fail "cmake --install"; }
prefix=$work/stage/usr/local
cd /

# The staged CLI's demo, on the staged modules and C module.
"$prefix/bin/bc260y" demo --quiet --speed 100 > "$work/demo.out" 2>&1 || { cat "$work/demo.out"; fail "staged demo"; }
grep -q "^uplinks received: 2" "$work/demo.out" || { cat "$work/demo.out"; fail "staged demo's summary"; }
cat > "$work/where.lua" <<'LUA'
print(debug.getinfo(require("bc260y").open, "S").source:sub(2))
print(package.searchpath("bc260y.core", package.cpath))
LUA
"$prefix/bin/bc260y" run "$work/where.lua" > "$work/where.out" 2>&1 || { cat "$work/where.out"; fail "run"; }
[ "$(grep -c "^$prefix/bin/\.\./" "$work/where.out")" = 2 ] || { cat "$work/where.out"; fail "modules from the stage"; }
ok "staged demo on staged modules"

# Stock lua5.4 (Debian's): its compiled-in path, with /usr/local pointed at the stage.
lua5.4 -e "
  package.path = package.path:gsub('/usr/local/', '$prefix/')
  package.cpath = package.cpath:gsub('/usr/local/', '$prefix/')
  local b = require('bc260y'); require('bc260y.core')
  assert(debug.getinfo(b.open, 'S').source:find('$prefix', 1, true), 'not the staged module')
  assert(package.searchpath('bc260y.core', package.cpath):find('$prefix', 1, true))" \
  || fail "stock lua5.4 finds a default install"
ok "stock lua5.4 path"

# A moved tree still runs: nothing in it names its prefix.
mv "$prefix" "$work/moved"
"$work/moved/bin/bc260y" demo --quiet --speed 100 > "$work/demo2.out" 2>&1 || { cat "$work/demo2.out"; fail "moved demo"; }
ok "moved tree"

# The C example against the moved libbc260y, found through its relocatable bc260y.pc.
export PKG_CONFIG_PATH="$work/moved/lib/pkgconfig"
cflags=$(pkg-config --cflags bc260y) && libs=$(pkg-config --libs bc260y) || fail "pkg-config bc260y"
static_libs=$(pkg-config --static --libs bc260y | sed 's/-lbc260y/-l:libbc260y.a/')
"$cc" -std=c99 -Wall -Wextra -Werror $cflags "$src/examples/uplink.c" $libs -o "$work/uplink_shared" \
  || fail "build the C example (shared)"
"$cc" -std=c99 -Wall -Wextra -Werror $cflags "$src/examples/uplink.c" $static_libs -o "$work/uplink_static" \
  || fail "build the C example (static)"
LD_LIBRARY_PATH="$work/moved/lib" ldd "$work/uplink_shared" | grep -q "libbc260y.so.0 => $work/moved/lib/" \
  || fail "shared example links libbc260y.so"
! ldd "$work/uplink_static" | grep -q libbc260y || fail "static example needs no libbc260y.so"
LD_LIBRARY_PATH="$work/moved/lib" sh "$src/spec/install/c_example_test.sh" "$work/moved/bin/bc260y" \
  "$work/uplink_shared" > "$work/c1.out" 2>&1 || { cat "$work/c1.out"; fail "C example (shared)"; }
sh "$src/spec/install/c_example_test.sh" "$work/moved/bin/bc260y" "$work/uplink_static" > "$work/c2.out" 2>&1 \
  || { cat "$work/c2.out"; fail "C example (static)"; }
ok "C example, shared and static"

# make uninstall (a build directory relative to the sources, as make passes it) removes
# every file and the bc260y directories.
mv "$work/moved" "$prefix"
make -C "$src" uninstall BUILD="$(realpath --relative-to="$src" "$build")" DESTDIR="$work/stage" \
  > "$work/uninstall.log" 2>&1 || { cat "$work/uninstall.log"; fail "make uninstall"; }
left=$(find "$work/stage" -type f -o -name '*bc260y*' -print)
[ -z "$left" ] || { echo "$left"; fail "uninstall left files"; }
ok "uninstall"
echo "$passed passed, 0 failed"
