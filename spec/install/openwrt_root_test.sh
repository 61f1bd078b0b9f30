#!/bin/sh
# openwrt_root_test.sh SRC: the OpenWrt packages as openwrt/bc260y/Makefile makes them, on
# a staged root. The Makefile's own recipes run (through openwrt_sdk/, stand-ins for the
# parts of OpenWrt's rules.mk and package.mk they use): prepare copies the checkout; CMake
# builds it with the Makefile's CMAKE_OPTIONS and installs it under /usr (as OpenWrt's
# cmake.mk does); each package's install fills a root. Checks:
# - in a checkout the Makefile builds it and rebuilds on edits (PKG_FILE_DEPENDS); alone
#   in a feed it names a git release with a hash to fill in and a maintainer placeholder;
# - every module of the sources is in lua-bc260y or lua-bc260y-sim, nothing else is;
# - OpenWrt 24.10's lua5.4 (modules under /usr/local) and master's (under /usr) each
#   require every module of a root with lua-bc260y alone, and of one with all three
#   packages (openwrt_lua_path.lua); without the /usr/local links 24.10's finds nothing;
# - the staged CLI prints its version and runs the demo on the root's own files.
set -eu
src=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset LUA_PATH LUA_CPATH LUA_PATH_5_4 LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4
# A make running ctest must not hand its jobserver or flags to the make run here.
unset MAKEFLAGS MFLAGS MAKELEVEL
passed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { echo "FAIL: $1"; echo "$passed passed, 1 failed"; exit 1; }
sdk=$src/spec/install/openwrt_sdk
owmake() { make -s --no-print-directory -C "$1" TOPDIR="$sdk" STAGING_DIR= "$@"; }
var() { owmake "$1" "print-$2" | sed "s/^$2=//"; }

# Where the sources come from.
pkg=$src/openwrt/bc260y
[ "$(var "$pkg" PKG_SOURCE_PROTO)" = "" ] || fail "in a checkout: no download"
deps=$(var "$pkg" PKG_FILE_DEPENDS)
for d in core lua cmake CMakeLists.txt; do
  case " $deps " in *" $src/$d "*) ;; *) fail "PKG_FILE_DEPENDS lacks $d: $deps" ;; esac
done
mkdir -p "$work/feed/utils"
cp -R "$pkg" "$work/feed/utils/bc260y"
alone=$work/feed/utils/bc260y
[ "$(var "$alone" PKG_SOURCE_PROTO)" = git ] || fail "alone in a feed: a git source"
[ -n "$(var "$alone" PKG_SOURCE_URL)" ] && [ "$(var "$alone" PKG_SOURCE_VERSION)" = "v$(var "$alone" PKG_VERSION)" ] \
  || fail "alone in a feed: the release's URL and tag"
grep -q "^  PKG_MIRROR_HASH:=" "$alone/Makefile" || fail "alone in a feed: a PKG_MIRROR_HASH line"
[ -z "$(var "$alone" PKG_FILE_DEPENDS)" ] || fail "alone in a feed: no PKG_FILE_DEPENDS"
owmake "$alone" prepare | grep -q "unpack the git source v" || fail "alone in a feed: prepare unpacks the download"
maintainer=$(var "$pkg" PKG_MAINTAINER)
echo "$maintainer" | grep -q "<.*@.*>" || fail "PKG_MAINTAINER has an address: $maintainer"
grep -qF "$maintainer" "$src/openwrt/README.md" || fail "openwrt/README.md tells a packager to replace '$maintainer'"
ok "sources: the checkout (rebuilt on edits) or a git release"

# Build as the SDK would: prepare, CMake with the Makefile's options, install to /usr.
owmake "$pkg" prepare PKG_BUILD_DIR="$work/build" > /dev/null
[ -f "$work/build/CMakeLists.txt" ] && [ -d "$work/build/core" ] && [ -d "$work/build/lua/bc260y" ] \
  || fail "prepare copied the sources"
options=$(var "$pkg" CMAKE_OPTIONS)
# shellcheck disable=SC2086 # the options are words, as OpenWrt's cmake.mk passes them
cmake -S "$work/build" -B "$work/build/openwrt-build" -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DCMAKE_INSTALL_PREFIX=/usr $options > "$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "configure"; }
cmake --build "$work/build/openwrt-build" -j 2 > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }
DESTDIR=$work/ipkg-install cmake --install "$work/build/openwrt-build" > "$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "install"; }
stage() { # root package...
  root=$1; shift
  for p in "$@"; do
    owmake "$pkg" "install-$p" ROOT="$root" PKG_INSTALL_DIR="$work/ipkg-install" > /dev/null || fail "install $p"
  done
}
stage "$work/base" lua-bc260y
stage "$work/full" lua-bc260y lua-bc260y-sim bc260y
ok "packages staged"

# Every module of the sources, by name; and those a root holds (its real files).
modules_of() { # dir (holding bc260y/) -> module names
  (cd "$1" && find bc260y -type f \( -name '*.lua' -o -name '*.so' \)) \
    | sed 's/\.lua$//; s/\.so$//; s|/init$||; s|/|.|g' | sort
}
{ modules_of "$src/lua"; echo bc260y.core; echo bc260y.signals; echo bc260y.sim.core; } | sort > "$work/expected"
{ modules_of "$work/full/usr/share/lua/5.4"; modules_of "$work/full/usr/lib/lua/5.4"; } | sort > "$work/full.modules"
{ modules_of "$work/base/usr/share/lua/5.4"; modules_of "$work/base/usr/lib/lua/5.4"; } | sort > "$work/base.modules"
diff "$work/expected" "$work/full.modules" || fail "the three packages hold every module, and only those"
grep -v '^bc260y\.sim\.\|^bc260y\.sim$\|^bc260y\.demo$' "$work/expected" > "$work/expected.base"
diff "$work/expected.base" "$work/base.modules" || fail "lua-bc260y holds every module but the virtual module's"
grep -q '^bc260y\.adapters\.uloop$' "$work/base.modules" || fail "lua-bc260y has the adapters"
ok "every module in a package ($(wc -l < "$work/full.modules") in all, $(wc -l < "$work/base.modules") in lua-bc260y)"

# Each release's lua5.4, from an empty directory (its ./?.lua finds nothing).
mkdir "$work/cwd"
check_path() { # root lua_root modules_file what
  (cd "$work/cwd" && lua5.4 "$src/spec/install/openwrt_lua_path.lua" "$1" "$2" $(cat "$3")) > "$work/path.out" 2>&1 \
    || { cat "$work/path.out"; fail "$4"; }
}
check_path "$work/base" /usr/local/ "$work/base.modules" "24.10's lua5.4 (/usr/local) finds lua-bc260y's modules"
check_path "$work/base" /usr/ "$work/base.modules" "master's lua5.4 (/usr) finds lua-bc260y's modules"
check_path "$work/full" /usr/local/ "$work/full.modules" "24.10's lua5.4 finds every module"
check_path "$work/full" /usr/ "$work/full.modules" "master's lua5.4 finds every module"
ok "OpenWrt 24.10's and master's lua5.4 require every module"
rm "$work/base/usr/local/share/lua/5.4/bc260y" "$work/base/usr/local/lib/lua/5.4/bc260y"
if (cd "$work/cwd" && lua5.4 "$src/spec/install/openwrt_lua_path.lua" "$work/base" /usr/local/ bc260y bc260y.core) \
  > "$work/path.out" 2>&1; then
  fail "without its links, 24.10's lua5.4 should find nothing"
fi
ok "without the /usr/local links 24.10's lua5.4 finds nothing"

# The service's files, and the CLI on the root's own modules and examples.
[ -x "$work/full/etc/init.d/bc260y" ] && sh -n "$work/full/etc/init.d/bc260y" || fail "init script"
[ "$(stat -c %a "$work/full/etc/config/bc260y")" = 600 ] || fail "config file"
[ -f "$work/full/etc/bc260y/device.lua" ] || fail "device script"
version=$(cd "$work/cwd" && lua5.4 "$work/full/usr/bin/bc260y" --version) || fail "bc260y --version"
case $version in *"$(var "$pkg" PKG_VERSION)"*) ;; *) fail "bc260y --version says $version" ;; esac
(cd "$work/cwd" && lua5.4 "$work/full/usr/bin/bc260y" demo --quiet --speed 100) > "$work/demo.out" 2>&1 \
  && grep -q "^uplinks received: 2" "$work/demo.out" || { cat "$work/demo.out"; fail "staged demo"; }
ok "staged CLI: $version, the demo runs"
echo "$passed passed, 0 failed"
