#!/bin/sh
# openwrt_init_test.sh SRC: the procd init script openwrt/bc260y/files/bc260y.init, run
# against stand-ins for OpenWrt's rc.common/procd/UCI shell functions that record what it
# asks procd for. Checks: an enabled section becomes one instance running
# `bc260y run SCRIPT --port PORT -- ARGS` with BC260Y_BAUD, respawn, stdout/stderr to
# syslog; trace adds --trace; each script_args entry is one argument, as written, even
# with spaces, quotes or $(...) in it (nothing runs it); env entries reach the
# environment, malformed ones are refused; respawn off sets none; a disabled section starts
# nothing; an invalid section or one without a port starts nothing and says why. The
# shipped /etc/config/bc260y, read the same way, runs the device script forever.
set -eu
init=$1/openwrt/bc260y/files/bc260y.init
sh -n "$init"
passed=0
failed=0

# run_init "name=value ..." [script_args list] [env list] -> what procd was asked, one call
# a line (then "rc=N"); each procd argument is shown in brackets, so its bounds show. A list
# is one value a line. The stand-ins behave as OpenWrt's /lib/functions.sh and procd.sh
# do where the script relies on them: config_list_foreach hands each value to the function
# as one argument, and procd takes each argument as one JSON string.
run_init() {
  sh -c '
    for kv in $1; do eval "CFG_$kv"; done
    CFG_VALID=${CFG_VALID:-0}
    LIST_script_args=$3 LIST_env=$4
    config_load() { :; }
    config_foreach() { fn=$1; shift 2; "$fn" main "$@"; }
    config_list_foreach() {
      eval "values=\${LIST_$2}"; fn=$3; shift 3
      [ -z "$values" ] && return 0
      printf "%s\n" "$values" | { while IFS= read -r v; do "$fn" "$v" "$@"; done; }
    }
    uci_load_validate() {
      section=$3 callback=$4; shift 4
      for rule in "$@"; do
        name=${rule%%:*} rest=${rule#*:}
        case $rest in *:*) default=${rest##*:} ;; *) default= ;; esac
        eval "value=\${CFG_$name-\$default}"
        eval "$name=\$value"
      done
      "$callback" "$section" "$CFG_VALID"
    }
    procd_open_instance() { echo "open $*"; }
    procd_set_param() { echo "set $*"; }
    procd_append_param() { type=$1; shift; printf "append %s" "$type"; printf " [%s]" "$@"; echo; }
    procd_close_instance() { echo "close"; }
    . "$2"
    start_service; echo "rc=$?"
  ' sh "$1" "$init" "${2:-}" "${3:-}" 2>&1
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
check "enabled: one instance" "$out" "open main" "append command [--trace]"
check "enabled: arguments after --" "$out" "append command [--]"
check "enabled: default baud" "$(run_init "enabled=1 port=/dev/ttyS1 script=/s.lua")" "set env BC260Y_BAUD=9600"
check "trace" "$(run_init "enabled=1 port=/dev/ttyS1 script=/s.lua trace=1")" "append command [--trace]"
check "respawn off" "$(run_init "enabled=1 port=/dev/ttyS1 script=/s.lua respawn=0")" "close" "set respawn"
check "disabled" "$(run_init "enabled=0 port=/dev/ttyS1 script=/s.lua")" "rc=0" "open"
check "disabled by default" "$(run_init "port=/dev/ttyS1 script=/s.lua")" "rc=0" "open"
out=$(run_init "enabled=1 script=/s.lua port=")
check "no port: said" "$out" "bc260y: section 'main' needs a port and a script" "open"
out=$(run_init "enabled=1 port=/dev/ttyS1 script=/s.lua VALID=1")
check "invalid: said" "$out" "bc260y: section 'main' of /etc/config/bc260y is invalid" "open"

# script_args: one argument each, in order, after "--", untouched by any shell.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args='0
600
two words
$(touch '"$work"'/ran) `touch '"$work"'/ran`; touch '"$work"'/ran
--trace
'"'it''s'"' "quoted"'
out=$(run_init "enabled=1 port=/dev/ttyS1 script=/s.lua" "$args")
check "script_args: in order" "$out" "append command [0]"
check "script_args: second" "$out" "append command [600]"
check "script_args: spaces kept in one argument" "$out" "append command [two words]"
check "script_args: command substitution passed as text" "$out" \
  "append command [\$(touch $work/ran) \`touch $work/ran\`; touch $work/ran]"
check "script_args: an option-like argument stays the script's" "$out" "append command [--trace]"
check "script_args: quotes kept" "$out" "append command ['it''s' \"quoted\"]"
if [ -e "$work/ran" ]; then failed=$((failed + 1)); echo "FAIL: a script argument was run"; else passed=$((passed + 1)); fi
# The "--" comes before the first script argument, so bc260y parses none of them.
order=$(printf "%s\n" "$out" | grep -n "^append command" | head -2 | tr '\n' ' ')
case $order in *"[--]"*"[0]"*) passed=$((passed + 1)) ;; *) failed=$((failed + 1)); echo "FAIL: -- not first: $order" ;; esac

# env: NAME=VALUE entries reach the environment as they are; others are refused and said.
out=$(run_init "enabled=1 port=/dev/ttyS1 script=/s.lua" "" 'BC260Y_LANG=zh
PLATFORM_KEY=a b;$(x)
not a name=1
=nothing
NOEQUALS')
check "env: passed" "$out" "append env [BC260Y_LANG=zh]"
check "env: value kept as written" "$out" "append env [PLATFORM_KEY=a b;\$(x)]"
check "env: bad name refused" "$out" "bc260y: env entry 'not a name=1' of section 'main' is not NAME=VALUE; left out" "append env [not a name"
check "env: empty name refused" "$out" "bc260y: env entry '=nothing' of section 'main' is not NAME=VALUE; left out" "append env [=nothing"
check "env: no = refused" "$out" "bc260y: env entry 'NOEQUALS' of section 'main' is not NAME=VALUE; left out" "append env [NOEQUALS"
check "env: the instance still starts" "$out" "close"

# The shipped config, read as UCI would: the device script runs forever (REPORTS 0).
conf=$1/openwrt/bc260y/files/bc260y.config
shipped_list() { sed -n "s/^[[:space:]]*list $1 '\(.*\)'\$/\1/p" "$conf"; }
shipped_opt() { sed -n "s/^[[:space:]]*option $1 '\(.*\)'\$/\1/p" "$conf"; }
[ "$(shipped_list script_args | head -1)" = 0 ] && passed=$((passed + 1)) \
  || { failed=$((failed + 1)); echo "FAIL: the shipped config does not run the script forever"; }
out=$(run_init "enabled=1 port=$(shipped_opt port) script=$(shipped_opt script) baud=$(shipped_opt baud)" \
  "$(shipped_list script_args)" "$(shipped_list env)")
check "shipped config" "$out" "set command /usr/bin/bc260y run /etc/bc260y/device.lua --port /dev/ttyUSB0"
check "shipped config: reports forever" "$out" "append command [0]"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
