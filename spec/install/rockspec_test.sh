#!/bin/sh
# rockspec_test.sh: `luarocks make` of bc260y-scm-1.rockspec, offline, into a fresh tree,
# then `require "bc260y"` and the installed CLI from that tree. Runs in a copy of the
# sources so the checkout gets no build.luarocks directory.
set -eu
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
(cd "$src" && tar --exclude=./build --exclude='./build-*' --exclude=./.git -cf - .) | (cd "$work/src" && tar -xf -)
cd "$work/src"
luarocks --lua-version 5.4 make --tree "$work/tree" bc260y-scm-1.rockspec > "$work/make.log" 2>&1 || { cat "$work/make.log"; exit 1; }
eval "$(luarocks --lua-version 5.4 path --tree "$work/tree")"
cd /
out=$(lua5.4 -e 'local b = require("bc260y"); local c = require("bc260y.core"); print(b.version, c.hex_encode("\1\254"))')
echo "require: $out"
[ "$out" = "$(printf '0.1.0\t01FE')" ] || { echo "unexpected: $out"; exit 1; }
"$work/tree/bin/bc260y" --help | head -1
echo "1 passed, 0 failed"
