-- service_stop_spec: a device script run as a service (`bc260y run` against `bc260y sim`,
-- two processes, as procd runs it against a module) is stopped with SIGTERM, SIGINT and
-- SIGKILL; the first two deregister (AT+NCDPCLOSE on the wire) and end the process by the
-- signal, and every next start registers at once, after a SIGKILL too (connect closes the
-- session the module kept). In one process: bc260y.stop() runs the on_stop handlers and
-- closes every open Modem, but sends nothing to a module whose firmware update runs.
local lu = require("luaunit")
local bc260y = require("bc260y")

local BINARY = os.getenv("BC260Y_BINARY_DIR") or "build"
local CLI = BINARY .. "/bin/bc260y"

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

local function write_file(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

-- The device script: registers (its first connect must succeed), says so, then reports
-- once an hour until it is stopped.
local DEVICE = [[
local bc260y = require("bc260y")
local m = assert(bc260y.open{progress = false})
assert(m:init())
assert(m:connect{host = "127.0.0.1"})
bc260y.on_stop(function(why) print("stopping on " .. why) end)
print("registered")
io.stdout:flush()
local n = 0
while true do
  n = n + 1
  m:send(string.char(n % 256))
  bc260y.sleep(3600)
end
]]

-- Counts the lines of the virtual module's trace that are `--> AT+NCDPCLOSE`.
local function closes(trace)
  local n = 0
  for _ in trace:gmatch("%-%-> AT%+NCDPCLOSE\n") do n = n + 1 end
  return n
end

TestServiceStop = {}

function TestServiceStop:setUp()
  self.dir = os.tmpname()
  os.remove(self.dir)
  assert(os.execute("mkdir -m 700 " .. self.dir))
  self.script = self.dir .. "/device.lua"
  write_file(self.script, DEVICE)
  self.sim_err = self.dir .. "/sim.trace"
  -- The virtual module in its own process, like a module that outlives the host's.
  self.sim = assert(io.popen(("echo $$; exec %s sim --trace --speed 10 2>%s"):format(CLI, self.sim_err), "r"))
  self.sim_pid = self.sim:read("l")
  self.path = self.sim:read("l")
  lu.assertStrMatches(self.path or "", "/dev/.+")
end

function TestServiceStop:tearDown()
  os.execute("kill -TERM " .. self.sim_pid)
  self.sim:read("a")
  self.sim:close()
  os.execute("rm -rf " .. self.dir)
end

-- Starts the device script; returns once it registered (it prints so; a failed start
-- ends the process, and the read then fails the test instead of waiting).
function TestServiceStop:start()
  local err = self.dir .. "/run.err"
  -- (the shell io.popen starts becomes the CLI: its close tells how the CLI ended)
  local p = assert(io.popen(("echo $$; exec %s run %s --port %s 2>%s")
    :format(CLI, self.script, self.path, err), "r"))
  local run = {p = p, pid = p:read("l"), err = err}
  local line = p:read("l")
  lu.assertEquals(line, "registered", "the start did not register: " .. slurp(err))
  return run
end

-- Sends the signal; returns how the process ended (as io.popen's close tells) and what it
-- printed after registering.
local function stop(run, signal)
  os.execute(("kill -%s %s"):format(signal, run.pid))
  local out = run.p:read("a")
  local _, how, status = run.p:close()
  return how, status, out
end

function TestServiceStop:test_stop_with_term_int_and_kill_and_start_again()
  local run = self:start()
  lu.assertEquals(closes(slurp(self.sim_err)), 0)
  -- SIGTERM (procd's stop): the handlers, AT+NCDPCLOSE, then death by SIGTERM (143 in a shell).
  local how, status, out = stop(run, "TERM")
  lu.assertEquals({how, status}, {"signal", 15})
  lu.assertStrContains(out, "stopping on TERM")
  lu.assertStrContains(slurp(run.err), "SIGTERM: deregistering and stopping")
  local trace = slurp(self.sim_err)
  lu.assertEquals(closes(trace), 1, trace)
  lu.assertStrMatches(trace, ".*%-%-> AT%+NCDPCLOSE\n[^\n]*<%-%- OK\n.*")

  -- The next start registers at once; SIGINT (Ctrl-C) stops it the same way.
  run = self:start()
  how, status, out = stop(run, "INT")
  lu.assertEquals({how, status}, {"signal", 2})
  lu.assertStrContains(out, "stopping on INT")
  lu.assertEquals(closes(slurp(self.sim_err)), 2)

  -- SIGKILL: nothing can deregister; the module keeps the session.
  run = self:start()
  how, status = stop(run, "KILL")
  lu.assertEquals({how, status}, {"signal", 9})
  trace = slurp(self.sim_err)
  lu.assertEquals(closes(trace), 2)

  -- The next start still registers at once: its NCDPOPEN is refused (959: the module has
  -- a session), it closes that session and opens its own.
  run = self:start()
  trace = slurp(self.sim_err)
  lu.assertEquals(closes(trace), 3)
  lu.assertStrMatches(trace, ".*%-%-> AT%+NCDPOPEN[^\n]*\n[^\n]*<%-%- %+CME ERROR: 959\n.*")
  how, status = stop(run, "TERM")
  lu.assertEquals({how, status}, {"signal", 15})
  lu.assertEquals(closes(slurp(self.sim_err)), 4)
end

-- In one process: bc260y.stop() from a script. The handlers see the reason, every open
-- Modem closes, and a Modem whose module is updating its firmware gets no command at all
-- (the guide's rule: the host sends nothing from the download's start to the reboot).
TestStopInProcess = {}

function TestStopInProcess:test_stop_closes_every_modem_but_never_disturbs_an_update()
  local sent = {plain = {}, updating = {}}
  local function tracer(list)
    return function(dir, line) if dir == "out" then list[#list + 1] = line end end
  end
  local seen
  bc260y.run(function()
    local plain = assert(bc260y.open("sim", {speed = 20, progress = false, trace = tracer(sent.plain)}))
    local updating = assert(bc260y.open("sim", {speed = 20, progress = false, trace = tracer(sent.updating)}))
    updating.sim.platform:create_fota_job{size = 65536, trigger = "register"}
    for _, m in ipairs({plain, updating}) do
      assert(m:init())
      assert(m:connect{host = "127.0.0.1"})
    end
    assert(updating:wait_for(function() return updating:state().busy end, 60))
    bc260y.on_stop(function(why) seen = {why, bc260y.stopping()} end)
    local before = #sent.updating
    lu.assertNil(bc260y.stopping())
    lu.assertTrue(bc260y.stop("test"))
    lu.assertEquals(seen, {"test", "test"})
    lu.assertTrue(plain:state().closed)
    lu.assertTrue(updating:state().closed)
    lu.assertEquals(plain.sim:state().status, "DEREGISTERED")
    lu.assertEquals({table.unpack(sent.updating, before + 1)}, {})
    lu.assertFalse(bc260y.stop("again")) -- one stop per process
  end)
  lu.assertEquals(sent.plain[#sent.plain - 2], "AT+NCDPCLOSE")
end

os.exit(lu.LuaUnit.run(), true)
