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
local SOURCE = os.getenv("BC260Y_SOURCE_DIR") or "."

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
-- once an hour until it is stopped. With the argument "stubborn" its on_stop handler never
-- returns, and the stop would wait an hour for it.
local DEVICE = [[
local bc260y = require("bc260y")
local stubborn = ... == "stubborn"
if stubborn then
  local shutdown = require("bc260y.shutdown")
  shutdown.HANDLERS_BOUND, shutdown.BOUND = 3600, 3600
end
local m = assert(bc260y.open{progress = false})
assert(m:init())
assert(m:connect{host = "127.0.0.1"})
bc260y.on_stop(function(why)
  print("stopping on " .. why)
  io.stdout:flush()
  if stubborn then bc260y.sleep(3600) end
end)
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
  self.runs = {}
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
  -- A failed check leaves its device script running: end it, or closing its pipe (at the
  -- latest when the spec exits) would wait for it for ever.
  for _, run in ipairs(self.runs) do
    if io.type(run.p) == "file" then os.execute("kill -KILL " .. run.pid .. " 2>/dev/null"); run.p:close() end
  end
  os.execute("kill -TERM " .. self.sim_pid)
  self.sim:read("a")
  self.sim:close()
  os.execute("rm -rf " .. self.dir)
end

-- Starts the device script; returns once it registered (it prints so; a failed start
-- ends the process, and the read then fails the test instead of waiting).
function TestServiceStop:start(args, shell_first)
  local err = self.dir .. "/run.err"
  -- (the shell io.popen starts becomes the CLI: its close tells how the CLI ended)
  local p = assert(io.popen(("echo $$; %s exec %s run %s --port %s %s 2>%s")
    :format(shell_first or "", CLI, self.script, self.path, args or "", err), "r"))
  local run = {p = p, pid = p:read("l"), err = err}
  self.runs[#self.runs + 1] = run
  local line = p:read("l")
  lu.assertEquals(line, "registered", "the start did not register: " .. slurp(err))
  return run
end

-- The shipped device script (examples/sensor_loop.lua, OpenWrt's /etc/bc260y/device.lua),
-- reporting once an hour for ever; returns once its first report is sent (NON with RAI 1:
-- nothing to acknowledge), with what it printed until then.
function TestServiceStop:start_shipped()
  local err = self.dir .. "/run.err"
  local p = assert(io.popen(("echo $$; exec %s run %s/examples/sensor_loop.lua --port %s -- 0 3600 2>%s")
    :format(CLI, SOURCE, self.path, err), "r"))
  local run = {p = p, pid = p:read("l"), err = err}
  self.runs[#self.runs + 1] = run
  local out = {}
  repeat
    local line = p:read("l")
    lu.assertNotNil(line, "the script ended before its first report: " .. table.concat(out, "\n") .. slurp(err))
    out[#out + 1] = line
  until line:match("^report 1: ")
  lu.assertStrMatches(out[#out], "report 1: .*, sent")
  return run, table.concat(out, "\n")
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

-- The done-when of the issue, with the device script OpenWrt ships: stopped by procd
-- (SIGTERM) it deregisters; killed, the next start still registers at its first attempt.
function TestServiceStop:test_the_shipped_device_script_restarts()
  local run, out = self:start_shipped()
  local how, status = stop(run, "TERM")
  lu.assertEquals({how, status}, {"signal", 15})
  lu.assertEquals(closes(slurp(self.sim_err)), 1)
  run, out = self:start_shipped()
  lu.assertNotStrContains(out, "connect attempt")
  how, status = stop(run, "KILL")
  lu.assertEquals({how, status}, {"signal", 9})
  run, out = self:start_shipped()
  lu.assertNotStrContains(out, "connect attempt")
  stop(run, "TERM")
  lu.assertEquals(closes(slurp(self.sim_err)), 3) -- the killed run's session, and this run's
end

-- Ctrl-C twice: the second signal ends the process at once, in the middle of the stop
-- (here while the on_stop handler still runs, before any AT+NCDPCLOSE; without it the stop
-- would last an hour).
function TestServiceStop:test_a_second_signal_ends_the_stop_at_once()
  local run = self:start("-- stubborn")
  os.execute("kill -INT " .. run.pid)
  lu.assertEquals(run.p:read("l"), "stopping on INT")
  local how, status = stop(run, "INT")
  lu.assertEquals({how, status}, {"signal", 2})
  lu.assertEquals(closes(slurp(self.sim_err)), 0)
end

-- A signal the parent set to be ignored (nohup's SIGHUP) stays ignored: the script goes on,
-- and the next signal that is not ignored stops it.
function TestServiceStop:test_an_ignored_signal_stays_ignored()
  local run = self:start(nil, "trap '' HUP;")
  os.execute("kill -HUP " .. run.pid)
  local how, status, out = stop(run, "TERM")
  lu.assertEquals({how, status}, {"signal", 15})
  lu.assertStrContains(out, "stopping on TERM")
  lu.assertNotStrContains(out, "stopping on HUP")
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
    bc260y.on_stop(function() seen = "a handler taken off" end):off()
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

-- connect on whatever state a previous host left the module in: one Modem plays the run
-- that died (closed without a word more to the module), the next one must register at
-- once. Returns what the next one sent from its AT+NCDPOPEN on, and the +CME errors it got,
-- a poll repeated shown once. timings: the virtual module's (module seconds, at speed 20),
-- long enough that the state the dead run left lasts until the next one connects.
TestConnectOnAnyState = {}

local function after_a_run_that_left(setup, timings)
  local sim = require("bc260y.sim")
  local lines = {}
  local ok, msg
  bc260y.run(function()
    local s = sim.new{speed = 20, timings = timings}
    local before = assert(bc260y.open(s.path, {progress = false}))
    assert(before:init())
    setup(before)
    before:close{deregister = false}
    local m = assert(bc260y.open(s.path, {progress = false, trace = function(dir, line)
      if (dir == "out" or line:match("^%+CME")) and line ~= lines[#lines] then lines[#lines + 1] = line end
    end}))
    assert(m:init())
    ok, msg = m:connect{host = "127.0.0.1"}
    if ok then lu.assertEquals(s:state().status, "REGISTERED_AND_OBSERVED") end
    m:close{deregister = false}
    s:close()
  end)
  lu.assertTrue(ok, msg)
  local from = 1
  while lines[from] and not lines[from]:match("^AT%+NCDPOPEN") do from = from + 1 end
  return {table.unpack(lines, from)}
end

-- what connect sends after the refusal: the session closed, then its own
local function closed_then_opened(refusal)
  return {'AT+NCDPOPEN="127.0.0.1"', refusal, "AT+NMSTATUS?", "AT+NCDPCLOSE", "AT+NMSTATUS?",
          'AT+NCDPOPEN="127.0.0.1"'}
end

function TestConnectOnAnyState:test_registered()
  local sent = after_a_run_that_left(function(m) assert(m:connect{host = "127.0.0.1"}) end)
  lu.assertEquals(sent, closed_then_opened("+CME ERROR: 959"))
end

function TestConnectOnAnyState:test_registering()
  -- killed right after its AT+NCDPOPEN: the registration is under way (60 s: 3 s real);
  -- connect waits for its result (AT+NCDPCLOSE before it is refused), then closes it
  local sent = after_a_run_that_left(function(m) assert(m:at('AT+NCDPOPEN="127.0.0.1"')) end,
    {register = 60})
  lu.assertEquals(sent, closed_then_opened("+CME ERROR: 955"))
end

function TestConnectOnAnyState:test_deregistering()
  -- killed right after its AT+NCDPCLOSE: the module still deregisters (60 s: 3 s real)
  local sent = after_a_run_that_left(function(m)
    assert(m:connect{host = "127.0.0.1"})
    assert(m:at("AT+NCDPCLOSE"))
  end, {deregister = 60})
  lu.assertEquals(sent, closed_then_opened("+CME ERROR: 959"))
end

os.exit(lu.LuaUnit.run(), true)
