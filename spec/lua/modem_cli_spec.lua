-- modem_cli_spec: the bc260y command line (lua/bin/bc260y) and open()'s port choice:
-- `run SCRIPT --port P --trace` drives a scripted peer on a pseudo-terminal from another
-- process; --help, unknown commands and bad options give clear messages and exit codes;
-- open() with no port takes --port, then BC260Y_PORT, then "sim".
local lu = require("luaunit")
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local peer = require("peer")

local SOURCE = os.getenv("BC260Y_SOURCE_DIR") or "."
local CLI = SOURCE .. "/lua/bin/bc260y"

local function tmpname()
  local name = os.tmpname()
  return name
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- Runs the CLI in the background (so this process can play the module meanwhile) and
-- steps the loop until it exits. Returns exit status, stdout, stderr.
local function cli(args, timeout)
  local out, err, rc = tmpname(), tmpname(), tmpname()
  os.remove(rc)
  local cmd = ("( lua5.4 %s %s > %s 2> %s; echo $? > %s.tmp; mv %s.tmp %s ) &"):format(
    CLI, args, out, err, rc, rc, rc)
  assert(os.execute(cmd))
  local deadline = loop.now() + (timeout or 10)
  local status
  while loop.now() < deadline do
    status = slurp(rc)
    if status and status ~= "" then break end
    loop.step(0.02)
  end
  local o, e = slurp(out), slurp(err)
  os.remove(out); os.remove(err); os.remove(rc)
  return tonumber(status), o, e
end

TestCli = {}

function TestCli:test_help_lists_the_commands()
  local status, out = cli("--help")
  lu.assertEquals(status, 0)
  for _, word in ipairs({"run SCRIPT", "--port", "--trace", "--speed", "sim", "ports", "demo"}) do
    lu.assertStrContains(out, word)
  end
end

function TestCli:test_unknown_command_and_missing_script_exit_2_with_a_message()
  local status, _, err = cli("frobnicate")
  lu.assertEquals(status, 2)
  lu.assertStrContains(err, "unknown command 'frobnicate'")
  status, _, err = cli("run")
  lu.assertEquals(status, 2)
  lu.assertStrContains(err, "which script")
  status, _, err = cli("run x.lua --bogus")
  lu.assertEquals(status, 2)
  lu.assertStrContains(err, "unknown option --bogus")
  status, _, err = cli("run x.lua --port /dev/ttyUSB0 --speed 50")
  lu.assertEquals(status, 2)
  lu.assertStrContains(err, "--speed")
end

function TestCli:test_run_drives_the_port_given_with_trace_and_script_args()
  local p = peer.new()
  p:ok("AT+CSQ", "+CSQ: 21,0")
  local script = tmpname()
  write(script, [[
local bc260y = require("bc260y")
local m = assert(bc260y.open())
local r = assert(m:at("AT+CSQ"))
print(r.lines[1], ...)
m:close()
]])
  local status, out, err = cli(("run %s --port %s --trace -- one two"):format(script, p.path))
  os.remove(script)
  p:close()
  lu.assertEquals(status, 0, err)
  lu.assertEquals(out, "+CSQ: 21,0\tone\ttwo\n")
  lu.assertStrContains(err, "--> AT+CSQ")
  lu.assertStrContains(err, "<-- +CSQ: 21,0")
end

function TestCli:test_run_reports_a_script_error_with_status_1()
  local script = tmpname()
  write(script, 'error("script failed here")\n')
  local status, _, err = cli("run " .. script)
  os.remove(script)
  lu.assertEquals(status, 1)
  lu.assertStrContains(err, "script failed here")
end

function TestCli:test_open_without_a_port_takes_run_port_then_env_then_sim()
  local saved = bc260y.default_port
  bc260y.default_port = "/dev/pts/999"
  lu.assertEquals(bc260y.port_spec(), "/dev/pts/999")
  bc260y.default_port = saved
  local env = os.getenv("BC260Y_PORT")
  if env and env ~= "" then
    lu.assertEquals(bc260y.port_spec(), env)
  else
    lu.assertEquals(bc260y.port_spec(), "sim")
  end
end

function TestCli:test_open_sim_gives_a_modem_or_a_clear_error()
  local m, msg, code = bc260y.open("sim", {speed = 50})
  if m then
    -- the virtual module answers like the real one
    local info = assert(m:init())
    lu.assertStrContains(info.model, "BC260Y")
    m:close()
  else
    lu.assertEquals(code, "io")
    lu.assertStrContains(msg, "virtual module")
  end
end

function TestCli:test_the_build_tree_wrapper_runs_straight_after_make()
  local bin = os.getenv("BC260Y_BINARY_DIR")
  if not bin then return lu.skip("BC260Y_BINARY_DIR not set (run under ctest)") end
  local script = tmpname()
  write(script, 'print(require("bc260y").version)\n')
  -- no LUA_PATH / LUA_CPATH: the wrapper sets them itself
  local f = assert(io.popen(("env -u LUA_PATH -u LUA_CPATH %s/bin/bc260y run %s 2>&1; echo rc=$?"):format(bin, script)))
  local out = f:read("a")
  f:close()
  os.remove(script)
  lu.assertStrMatches(out, "%d+%.%d+%.%d+\nrc=0\n")
end

os.exit(lu.LuaUnit.run(), true)
