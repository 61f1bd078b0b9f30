#!/bin/sh
# openwrt_init_test.sh SRC: the procd init script openwrt/bc260y/files/bc260y.init, run
# against stand-ins for OpenWrt's rc.common/procd/UCI shell functions that record what it
# asks procd for. Checks: an enabled section becomes one instance running
# `bc260y run SCRIPT --port PORT` with BC260Y_BAUD, respawn, stdout/stderr to syslog;
# trace adds --trace; respawn off sets none; a disabled section starts nothing; an invalid
# section or one without a port starts nothing and says why.
set -eu
init=$1/openwrt/bc260y/files/bc260y.init
sh -n "$init"
passed=0
failed=0

# run_init "name=value ..." -> what procd was asked, one call a line (then "rc=N")
run_init() {
  sh -c '
    for kv in $1; do eval "CFG_$kv"; done
    CFG_VALID=${CFG_VALID:-0}
    config_load() { :; }
    config_foreach() { fn=$1; shift 2; "$fn" main "$@"; }
    uci_load_validate() {
      section=$3 callback=$4; shift 4
      for rule in "$@"; do
        name=${rule%%:*} default=${rule##*:}
        eval "value=\${CFG_$name-\$default}"
        eval "$name=\$value"
      done
      "$callback" "$section" "$CFG_VALID"
    }
    procd_open_instance() { echo "open $*"; }
    procd_set_param() { echo "set $*"; }
    procd_append_param() { echo "append $*"; }
    procd_close_instance() { echo "close"; }
    . "$2"
    start_service; echo "rc=$?"
  ' sh "$1" "$init" 2>&1
}

check() { # name, output, expected line (grep -x), [absent line]
  if printf "%s\n" "$2" | grep -qxF -- "$3" && { [ -z "${4:-}" ] || ! printf "%s\n" "$2" | grep -qF -- "$4"; }; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAIL: $1: wanted '$3'${4:+ without '$4'} in:"; printf "%s\n" "$2"
  fi
}

out=$(run_init "enabled=1 port=/dev/ttyUSB1 baud=115200 script=/etc/bc260y/device.lua")
check "enabled: command" "$out" "set command /usr/bin/bc260y run /etc/bc260y/device.lua --port /dev/ttyUSB1"
check "enabled: baud" "$out" "set env BC260Y_BAUD=115200"
check "enabled: respawn by default" "$out" "set respawn 3600 5 0"
check "enabled: stdout to syslog" "$out" "set stdout 1"
check "enabled: stderr to syslog" "$out" "set stderr 1"
check "enabled: one instance" "$out" "open main" "append command --trace"
check "enabled: default baud" "$(run_init "enabled=1 port=/dev/ttyS1 script=/s.lua")" "set env BC260Y_BAUD=9600"
check "trace" "$(run_init "enabled=1 port=/dev/ttyS1 script=/s.lua trace=1")" "append command --trace"
check "respawn off" "$(run_init "enabled=1 port=/dev/ttyS1 script=/s.lua respawn=0")" "close" "set respawn"
check "disabled" "$(run_init "enabled=0 port=/dev/ttyS1 script=/s.lua")" "rc=0" "open"
check "disabled by default" "$(run_init "port=/dev/ttyS1 script=/s.lua")" "rc=0" "open"
out=$(run_init "enabled=1 script=/s.lua port=")
check "no port: said" "$out" "bc260y: section 'main' needs a port and a script" "open"
out=$(run_init "enabled=1 port=/dev/ttyS1 script=/s.lua VALID=1")
check "invalid: said" "$out" "bc260y: section 'main' of /etc/config/bc260y is invalid" "open"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
