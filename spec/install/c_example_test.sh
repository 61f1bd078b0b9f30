#!/bin/sh
# c_example_test.sh CLI UPLINK...: starts a virtual module with CLI (`bc260y sim`), runs the
# C example (examples/uplink.c built against libbc260y; UPLINK... is its command, an
# emulator first in a cross build) on its pty, and passes when the example registered and
# its CON uplink was acknowledged (exit 0, "uplink delivered").
set -eu
cli=$1
shift
work=$(mktemp -d)
sim_pid=
cleanup() { [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$cli" sim --speed 50 > "$work/sim.out" 2> "$work/sim.err" &
sim_pid=$!
tries=0
until [ -s "$work/sim.out" ]; do # its first line is the pty path
  tries=$((tries + 1))
  [ "$tries" -le 100 ] || { echo "the virtual module printed no path"; cat "$work/sim.err"; exit 1; }
  kill -0 "$sim_pid" 2>/dev/null || { echo "the virtual module exited"; cat "$work/sim.err"; exit 1; }
  sleep 0.1
done
pty=$(head -n 1 "$work/sim.out")
"$@" "$pty" > "$work/uplink.out" 2>&1 || { cat "$work/uplink.out"; echo "uplink failed"; exit 1; }
cat "$work/uplink.out"
grep -q "^uplink delivered$" "$work/uplink.out"
echo "1 passed, 0 failed"
