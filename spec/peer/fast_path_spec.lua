-- fast_path_spec.lua: the command fast path against spec/peer/peer.py (its own process,
-- so the Modem's port is the only fd this process watches). When the process may block
-- on the port alone, a command is one C call: the loop never waits (loop.waits() does not
-- move), with tracing too. Inside a step(0) another loop drives it never blocks; a timer
-- due during a command fires first; URCs, hang-ups and timeouts behave as on the general
-- path; an idle receive in direct mode is one wait.
local lu = require("luaunit")
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local peer = require("peer_process")

local function start(args)
  local all = {"chaos", "--seed", "1", "--timeout", "30"}
  for _, a in ipairs(args or {}) do all[#all + 1] = a end
  return peer.start(all)
end

local function finish(p)
  local ok, msg = p:finish()
  lu.assertEquals(msg, "")
  lu.assertTrue(ok)
end

local function echo(m, token, timeout)
  return m:at("AT+QECHO=" .. token, {timeout = timeout or 2, expect = {"+QECHO"}})
end

function test_commands_outside_a_task_and_in_the_only_task_never_wait_in_the_loop()
  local p = start()
  local m = assert(bc260y.open(p.path))
  local before = loop.waits()
  for i = 1, 20 do
    local r, msg = echo(m, i)
    lu.assertNotNil(r, msg)
    lu.assertEquals(r.lines, {"+QECHO: " .. i})
    lu.assertEquals(assert(m:at("AT")), {lines = {}, final = "OK"})
  end
  lu.assertEquals(loop.waits() - before, 0, "a command outside any task waited in the loop")
  bc260y.run(function()
    before = loop.waits()
    for i = 21, 30 do lu.assertEquals(assert(echo(m, i)).lines, {"+QECHO: " .. i}) end
    lu.assertEquals(loop.waits() - before, 0, "a command in the only task waited in the loop")
  end)
  m:close({deregister = false})
  finish(p)
end

function test_tracing_keeps_the_fast_path_and_sees_every_line()
  local p = start()
  local seen = {}
  local m = assert(bc260y.open(p.path, {trace = function(dir, line) seen[#seen + 1] = dir .. line end}))
  local before = loop.waits()
  lu.assertEquals(assert(echo(m, "t1")).lines, {"+QECHO: t1"})
  lu.assertEquals(loop.waits() - before, 0)
  local text = table.concat(seen, "\n")
  lu.assertStrContains(text, "AT+QECHO=t1")
  lu.assertStrContains(text, "+QECHO: t1")
  lu.assertStrContains(text, "OK")
  m:close({deregister = false})
  finish(p)
end

-- An outer loop (the adapters) drives bc260y with step(0): a command made in a task must
-- not block inside that step until its answer comes.
function test_inside_a_step0_a_command_does_not_block()
  local p = start({"--latency", "0.3"})
  local m = assert(bc260y.open(p.path))
  local r
  loop.spawn(function() r = echo(m, "s") end)
  loop.step(0)
  lu.assertNil(r, "the step(0) blocked until the answer came")
  local outer = assert(require("bc260y.core").poller()) -- the outer loop's own wait
  assert(outer:set(m:fd(), true, false))
  local ready = {}
  local deadline = loop.now() + 5
  while not r and loop.now() < deadline do
    loop.step(0)
    outer:wait(0.01, ready)
  end
  outer:close()
  lu.assertNotNil(r)
  lu.assertEquals(r.lines, {"+QECHO: s"})
  m:close({deregister = false})
  finish(p)
end

function test_a_timer_due_during_a_command_fires_before_the_answer()
  local p = start({"--latency", "0.3"})
  local m = assert(bc260y.open(p.path))
  local order = {}
  bc260y.run(function()
    bc260y.spawn(function()
      bc260y.sleep(0.05)
      order[#order + 1] = "timer"
    end)
    bc260y.sleep(0) -- the sleeper is waiting: its timer is armed
    local r = assert(echo(m, "late"))
    order[#order + 1] = r.lines[1]
  end)
  lu.assertEquals(order, {"timer", "+QECHO: late"})
  m:close({deregister = false})
  finish(p)
end

function test_a_downlink_during_commands_is_delivered_and_each_gets_its_own_answer()
  local p = start({"--downlink-every", "0.03"})
  -- The trace keeps its directions when a command hands over to the general path.
  local traced = {}
  local m = assert(bc260y.open(p.path, {trace = function(dir, line) traced[#traced + 1] = {dir, line} end}))
  assert(m:init())
  assert(m:connect{host = "10.0.0.1", port = 5683})
  local got = {}
  m:on("downlink", function(data) got[#got + 1] = data end)
  bc260y.run(function()
    for i = 1, 40 do
      lu.assertEquals(assert(echo(m, i)).lines, {"+QECHO: " .. i})
      if #got >= 3 and i > 20 then break end
    end
    bc260y.sleep(0.05)
  end)
  lu.assertTrue(#got >= 1, "no downlink delivered")
  for _, t in ipairs(traced) do
    -- echo is off: the host's lines are the commands, the module's never start with AT
    lu.assertEquals(t[1] == "out", t[2]:match("^AT") ~= nil, ("%s %s"):format(t[1], t[2]))
  end
  -- numbered downlinks, oldest first, none lost or doubled
  for i, d in ipairs(got) do lu.assertEquals(d, string.pack(">I4", i)) end
  assert(m:at("AT+QSTOP"))
  m:close({deregister = false})
  finish(p)
end

function test_a_command_with_no_answer_times_out_and_leaves_no_timer()
  local p = start({"--late", "1"})
  local m = assert(bc260y.open(p.path))
  local r, msg, code = echo(m, "x", 0.1)
  lu.assertNil(r)
  lu.assertEquals(code, "timeout", msg)
  lu.assertFalse(m._timer, "the engine's timer stays armed after the command")
  m:close({deregister = false})
  p:finish()
end

function test_a_hangup_during_a_command_fails_it_with_io()
  local p = start({"--hangup", "1", "--timeout", "3"})
  local m = assert(bc260y.open(p.path))
  local r, msg, code = echo(m, "h")
  lu.assertNil(r)
  lu.assertEquals(code, "io", msg)
  r, msg, code = m:at("AT")
  lu.assertNil(r)
  lu.assertEquals(code, "io", msg)
  m:close({deregister = false})
  p:finish() -- the peer waits for a host on its new pty until its own time limit
end

-- A TCP port (ser2net) has no second descriptor: the fast path waits with poll, and
-- answers and a hang-up come as on a tty.
local TCP_MODULE = [[
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); buf = b""
while True:
    d = c.recv(4096)
    if not d: break
    buf += d
    while b"\r" in buf:
        line, buf = buf.split(b"\r", 1)
        if line == b"AT+BYE": c.close(); sys.exit(0)
        if line.startswith(b"AT+QECHO="):
            c.sendall(b"\r\n+QECHO: " + line[9:] + b"\r\n\r\nOK\r\n")
        elif line: c.sendall(b"\r\nOK\r\n")
]]

function test_over_tcp_answers_and_a_hangup()
  local h = assert(io.popen(peer.PYTHON .. " -c " .. peer.quote(TCP_MODULE), "r"))
  local port = assert(math.tointeger(tonumber(h:read("l"))))
  local m = assert(bc260y.open(("tcp://127.0.0.1:%d"):format(port)))
  local before = loop.waits()
  for i = 1, 10 do lu.assertEquals(assert(echo(m, i)).lines, {"+QECHO: " .. i}) end
  lu.assertEquals(loop.waits() - before, 0)
  local r, msg, code = m:at("AT+BYE", {timeout = 2})
  lu.assertNil(r)
  lu.assertEquals(code, "io", msg)
  m:close({deregister = false})
  h:close()
end

-- README: while a script waits in receive in direct mode, the process sleeps in one wait.
function test_an_idle_receive_in_direct_mode_is_one_wait()
  local p = start()
  local m = assert(bc260y.open(p.path))
  assert(m:init())
  local before = loop.waits()
  local data, _, code = m:receive({timeout = 0.3})
  lu.assertNil(data)
  lu.assertEquals(code, "timeout")
  lu.assertEquals(loop.waits() - before, 1)
  m:close({deregister = false})
  finish(p)
end

os.exit(lu.LuaUnit.run())
