-- modem_at_spec: the Modem's command path over a real pseudo-terminal against a scripted
-- peer: m:at() in blocking and task styles, answers split over writes, URCs in the middle
-- of an answer, echo turned back on, CME errors with the guide's messages, silence, a
-- reboot in the middle of a command, a hang-up, close, bad arguments, and the trace.
local lu = require("luaunit")
local bc260y = require("bc260y")
local core = require("bc260y.core")
local loop = require("bc260y.loop")
local peer = require("peer")

local FAST = {first_byte = 0.3, total = 0.6}

local p, m
local fixture = peer.fixture({engine = FAST}, function(p_, m_) p, m = p_, m_ end)
local setup, settle, teardown = fixture.setup, fixture.settle, fixture.teardown

TestAt = {tearDown = teardown}

function TestAt:test_default_timeouts_wait_the_guides_5_seconds()
  -- Every command answers within 5 s (the guide): a 2.5 s answer is slow, not lost.
  setup({engine = {}})
  p:expect("AT+NMSTATUS?"):sleep(2.5):reply("\r\n+NMSTATUS: REGISTERED\r\n\r\nOK\r\n")
  local r, msg = m:at("AT+NMSTATUS?")
  lu.assertNotNil(r, msg)
  lu.assertEquals(r.lines, {"+NMSTATUS: REGISTERED"})
end

function TestAt:test_blocking_call_returns_answer_lines_and_final()
  setup()
  p:ok("AT+CSQ", "+CSQ: 20,0")
  local r, msg, code = m:at("AT+CSQ")
  lu.assertNil(msg, msg)
  lu.assertNil(code)
  lu.assertEquals(r, {lines = {"+CSQ: 20,0"}, final = "OK"})
  lu.assertTrue(p:finish())
end

function TestAt:test_task_style_calls_interleave_and_each_gets_its_own_answer()
  setup()
  p:ok("AT+CSQ", "+CSQ: 20,0")
  p:ok("AT+CGSN=1", "+CGSN: 869999999999999")
  local a, b
  bc260y.run(function()
    bc260y.spawn(function() a = m:at("AT+CSQ") end)
    bc260y.spawn(function() b = m:at("AT+CGSN=1") end)
  end)
  lu.assertEquals(a.lines, {"+CSQ: 20,0"})
  lu.assertEquals(b.lines, {"+CGSN: 869999999999999"})
  lu.assertTrue(p:finish())
end

function TestAt:test_answer_split_over_many_writes()
  setup()
  p:on("AT+CSQ", {"\r", "\n+CS", "Q: 2", "0,0\r\n\r", "\nO", "K\r\n"}, 0.01)
  local r = assert(m:at("AT+CSQ"))
  lu.assertEquals(r.lines, {"+CSQ: 20,0"})
end

function TestAt:test_urc_in_the_middle_of_an_answer_is_an_event_not_an_answer_line()
  setup()
  local urcs, lifetime = {}, 0
  m:on("urc", function(line, d) urcs[#urcs + 1] = {line, d and d.kind} end)
  m:on("lifetime_updated", function(v) lifetime = v end)
  p:on("AT+CGPADDR?", '\r\n+CGPADDR: 0,"10.1.2.3"\r\n\r\n+QLWEVTIND: 2\r\n\r\nOK\r\n')
  local r = assert(m:at("AT+CGPADDR?"))
  lu.assertEquals(r.lines, {'+CGPADDR: 0,"10.1.2.3"'})
  settle()
  lu.assertEquals(urcs, {{"+QLWEVTIND: 2", "qlwevtind"}})
  lu.assertEquals(lifetime, 2)
end

function TestAt:test_echo_turned_back_on_is_not_an_answer_line()
  setup()
  p.echo = true
  p:ok("AT+CSQ", "+CSQ: 7,0")
  local unknown = {}
  m:on("unknown", function(line) unknown[#unknown + 1] = line end)
  local r = assert(m:at("AT+CSQ"))
  lu.assertEquals(r.lines, {"+CSQ: 7,0"})
  settle()
  lu.assertEquals(unknown, {})
end

function TestAt:test_cme_error_gives_the_number_and_the_guides_message()
  setup()
  p:on("AT+NCFG=0,5", "\r\n+CME ERROR: 3\r\n")
  local r, msg, code = m:at("AT+NCFG=0,5")
  lu.assertNil(r)
  lu.assertEquals(code, "cme") -- a code is always a string; the number is in the message
  lu.assertStrContains(msg, "+CME ERROR: 3 ")
  lu.assertStrContains(msg, core.errors[3].en)
  lu.assertStrContains(msg, "CTIOT_EB_PARAMETER_VALUE_ERROR")
  lu.assertEquals(bc260y.errors[3].name, "CTIOT_EB_PARAMETER_VALUE_ERROR")
end

function TestAt:test_unknown_cme_number_and_plain_error()
  setup()
  p:on("AT+X=1", "\r\n+CME ERROR: 4242\r\n")
  p:on("AT+X=2", "\r\nERROR\r\n")
  local r, msg, code = m:at("AT+X=1")
  lu.assertNil(r)
  lu.assertEquals(code, "cme")
  lu.assertStrContains(msg, "+CME ERROR: 4242")
  r, msg, code = m:at("AT+X=2")
  lu.assertNil(r)
  lu.assertEquals(code, "error")
  lu.assertStrContains(msg, "AT+X=2")
end

-- (The engine's own timeouts are an hour here: a call that ignored the caller's 0.3 s
-- would outlast ctest's timeout, so the call returning at all shows it, never early.)
function TestAt:test_silence_times_out_with_the_callers_timeout()
  setup({engine = {first_byte = 3600, total = 3600}})
  p:expect("AT+X")
  local t0 = bc260y.now()
  local r, msg, code = m:at("AT+X", {timeout = 0.3})
  lu.assertNil(r)
  lu.assertEquals(code, "timeout")
  lu.assertStrContains(msg, "AT+X")
  local took = bc260y.now() - t0
  lu.assertTrue(took >= 0.25, "gave up early, after " .. took)
  -- the module answers the next command as usual, once the resync probe that goes out
  -- first has shown that nothing of AT+X is still to come
  p:ok("AT+CMEE?", "+CMEE: 1")
  p:ok("AT", nil)
  lu.assertNotNil(m:at("AT"))
end

function TestAt:test_reboot_mid_command_fails_it_with_reboot_and_raises_the_event()
  setup()
  local rebooted = 0
  m:on("reboot", function() rebooted = rebooted + 1 end)
  p:on("AT+NCFG=0", "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n")
  local r, msg, code = m:at("AT+NCFG=0")
  lu.assertNil(r)
  lu.assertEquals(code, "reboot")
  lu.assertStrContains(msg, "rebooted")
  settle()
  lu.assertEquals(rebooted, 1)
  lu.assertTrue(m:state().rebooted)
  -- sending now cannot succeed: fail fast with the reason, which is not the reboot (no
  -- session was ever made: what a reboot would end)
  local ok, why, c2 = m:send("x")
  lu.assertNil(ok)
  lu.assertEquals(c2, "state")
  lu.assertStrContains(why, "connect first")
end

function TestAt:test_hangup_fails_the_running_call_with_io_and_every_later_one()
  setup()
  local errors = {}
  m:on("error", function(msg, code) errors[#errors + 1] = code end)
  p:expect("AT+CSQ"):hangup()
  local r, msg, code = m:at("AT+CSQ", {timeout = 2})
  lu.assertNil(r)
  lu.assertEquals(code, "io", msg)
  r, msg, code = m:at("AT")
  lu.assertNil(r)
  lu.assertEquals(code, "io")
  settle()
  lu.assertEquals(errors, {"io"})
end

function TestAt:test_close_fails_waiting_calls_and_later_calls_with_closed()
  setup()
  p:expect("AT+X")
  local r, code
  bc260y.run(function()
    bc260y.spawn(function() r, _, code = m:at("AT+X", {timeout = 5}) end)
    bc260y.sleep(0.05)
    lu.assertTrue(m:close())
    -- let the woken task finish inside this run (see the loop.run note in the report)
    bc260y.sleep(0.01)
  end)
  lu.assertNil(r)
  lu.assertEquals(code, "closed")
  local r2, msg2, code2 = m:at("AT")
  lu.assertNil(r2)
  lu.assertEquals(code2, "closed")
  lu.assertStrContains(msg2, "closed")
  lu.assertTrue(m:close()) -- idempotent
end

-- An answered command leaves no timer behind: an idle Modem never wakes the process.
function TestAt:test_no_timer_stays_armed_once_the_command_is_answered()
  setup()
  p:ok("AT+CSQ", "+CSQ: 20,0")
  assert(m:at("AT+CSQ"))
  lu.assertFalse(m._timer, "the engine's deadline timer outlives the command")
  lu.assertTrue(p:finish())
end

-- A Modem dropped without close() must not live on in the loop: its __gc closes the port,
-- and the next Modem on the same port gets its own answers (none read by the old one).
function TestAt:test_a_dropped_modem_is_collected_and_the_next_on_the_port_gets_its_answers()
  local pp = peer.new()
  local probe = setmetatable({}, {__mode = "v"})
  local function use_and_drop() -- in its own frame: no stack slot keeps the Modem
    local m1 = assert(bc260y.open(pp.path, {engine = FAST}))
    pp:ok("AT+CSQ", "+CSQ: 1,0")
    lu.assertEquals(assert(m1:at("AT+CSQ")).lines, {"+CSQ: 1,0"})
    probe[1] = m1
  end
  use_and_drop()
  collectgarbage()
  collectgarbage()
  lu.assertNil(probe[1], "the loop keeps a dropped Modem alive")
  local m2 = assert(bc260y.open(pp.path, {engine = FAST}))
  for i = 2, 4 do
    pp:ok("AT+CSQ", ("+CSQ: %d,0"):format(i))
    local r, msg = m2:at("AT+CSQ")
    lu.assertNotNil(r, msg)
    lu.assertEquals(r.lines, {("+CSQ: %d,0"):format(i)})
  end
  m2:close({deregister = false})
  lu.assertTrue(pp:finish())
  pp:close()
end

function TestAt:test_bad_arguments_raise_and_nothing_reaches_the_wire()
  setup()
  lu.assertErrorMsgContains("CR, LF", m.at, m, "AT\rAT+NCDPCLOSE")
  lu.assertErrorMsgContains("CR, LF", m.at, m, "AT+X\n")
  lu.assertErrorMsgContains("control characters", m.at, m, "AT\27")
  lu.assertErrorMsgContains("control characters", m.at, m, "AT+NMGS=1,01\26")
  lu.assertErrorMsgContains("must start with AT", m.at, m, "+++")
  lu.assertErrorMsgContains("must be a string", m.at, m, 42)
  lu.assertErrorMsgContains("timeout", m.at, m, "AT", {timeout = -1})
  lu.assertErrorMsgContains("must be a string", m.send, m, 12)
  lu.assertErrorMsgContains("1..1024", m.send, m, ("x"):rep(1025))
  lu.assertErrorMsgContains("1..1024", m.send, m, "")
  lu.assertErrorMsgContains("rai", m.send, m, "x", {rai = 3})
  lu.assertErrorMsgContains("quotes", m.connect, m, {host = 'a"b'})
  lu.assertErrorMsgContains("CR, LF", m.connect, m, {host = "a\r\nAT+NCDPCLOSE"})
  lu.assertErrorMsgContains("port", m.connect, m, {host = "a", port = 70000})
  lu.assertErrorMsgContains("psk", m.connect, m, {host = "a", psk = "XYZ"})
  lu.assertErrorMsgContains("lifetime", m.set_lifetime, m, -1)
  lu.assertErrorMsgContains("mode", m.set_receive_mode, m, "sometimes")
  lu.assertErrorMsgContains("mode", m.sleep_mode, m, 7)
  lu.assertErrorMsgContains("unknown event", m.on, m, "downlinks", function() end)
  lu.assertErrorMsgContains("function", m.on, m, "downlink", 1)
  lu.assertErrorMsgContains("unknown option", bc260y.open, p.path, {trace = true, traec = 1})
  lu.assertErrorMsgContains("must be a", bc260y.open, p.path, {inbox = "many"})
  settle(0.1)
  lu.assertEquals(p.lines, {}) -- not one byte was written
end

function TestAt:test_open_fails_with_io_for_a_missing_port()
  local r, msg, code = bc260y.open("/dev/does-not-exist-bc260y")
  lu.assertNil(r)
  lu.assertEquals(code, "io")
  lu.assertStrContains(msg, "does-not-exist")
end

function TestAt:test_trace_function_sees_every_line_in_and_out_without_the_psk()
  local seen = {}
  setup({trace = function(dir, line) seen[#seen + 1] = dir .. " " .. line end})
  p.echo = true
  p:on('AT+NCDPOPEN="1.2.3.4",5683,"A1B2C3D4"', "\r\n+CME ERROR: 5\r\n", 0)
  local r, msg, code = m:connect({host = "1.2.3.4", port = 5683, psk = "A1B2C3D4"})
  lu.assertNil(r)
  lu.assertEquals(code, "cme")
  lu.assertStrContains(msg, "+CME ERROR: 5 ")
  lu.assertNotStrContains(msg:upper(), "A1B2C3D4")
  lu.assertStrContains(msg, "<psk:4 bytes>")
  local all = table.concat(seen, "\n")
  lu.assertNotStrContains(all:upper(), "A1B2C3D4")
  lu.assertStrContains(all, 'out AT+NCDPOPEN="1.2.3.4",5683,<psk:4 bytes>')
  lu.assertStrContains(all, 'in AT+NCDPOPEN="1.2.3.4",5683,<psk:4 bytes>') -- the echo
  lu.assertStrContains(all, "in +CME ERROR: 5")
end

function TestAt:test_trace_true_prints_to_stderr_with_direction()
  local lines = {}
  local real = io.stderr
  io.stderr = {write = function(_, ...) lines[#lines + 1] = table.concat({...}) end}
  local ok, err = pcall(function()
    setup({trace = true})
    p:ok("AT+CSQ", "+CSQ: 1,0")
    assert(m:at("AT+CSQ"))
  end)
  io.stderr = real
  assert(ok, err)
  local all = table.concat(lines)
  lu.assertStrMatches(all, ".*%[%s*%d+%.%d%d%d%] %-%-> AT%+CSQ\n.*")
  lu.assertStrMatches(all, ".*%[%s*%d+%.%d%d%d%] <%-%- %+CSQ: 1,0\n.*")
end

function TestAt:test_a_failing_trace_function_is_reported_and_io_goes_on()
  local errs = {}
  setup({trace = function() error("trace broke") end})
  m:on("error", function(msg) errs[#errs + 1] = msg end)
  p:ok("AT", nil)
  lu.assertNotNil(m:at("AT"))
  settle()
  lu.assertEquals(#errs, 1)
  lu.assertStrContains(errs[1], "trace broke")
end

function TestAt:test_fd_and_tostring_for_embedding()
  setup()
  lu.assertEquals(math.type(m:fd()), "integer")
  lu.assertStrContains(tostring(m), "bc260y.Modem(")
end

function TestAt:test_late_answer_and_unresponsive_module_are_events()
  setup({engine = {first_byte = 0.15, total = 0.3, unresponsive_after = 2}})
  local unknown, unresponsive = {}, 0
  local late = {}
  m:on("unknown", function(line, kind) unknown[#unknown + 1] = line .. "/" .. kind end)
  m:on("late", function(info) late[#late + 1] = info end)
  m:on("unresponsive", function() unresponsive = unresponsive + 1 end)
  -- the answer comes after the command's timeout: the late answer of AT+X, an event
  p:expect("AT+X"):sleep(0.5):reply("\r\nOK\r\n")
  local r, _, code = m:at("AT+X")
  lu.assertNil(r)
  lu.assertEquals(code, "timeout")
  p:finish()
  settle(0.1)
  lu.assertEquals(unknown, {})
  lu.assertEquals(late, {{command = "AT+X", result = "ok", final = "OK", lines = {}}})
  -- the late reply showed the module alive; two silent commands in a row then make
  -- it unresponsive
  p:expect("AT+Y"):expect("AT+Z")
  lu.assertNil(m:at("AT+Y"))
  lu.assertEquals(unresponsive, 0)
  lu.assertNil(m:at("AT+Z"))
  settle(0.05)
  lu.assertEquals(unresponsive, 1)
end

-- Issue 19: a command the engine never wrote (the module had not answered the resync
-- probe in the command's time) fails "unsent", with a message saying so, and owes
-- nothing: the late answer that comes is the timed-out command's, the probe's own answer
-- is no event, and the next command gets its own answer.
function TestAt:test_a_command_never_written_fails_unsent_and_owes_nothing()
  setup({engine = {first_byte = 0.15, total = 0.3}})
  local late, unknown = {}, {}
  m:on("late", function(info) late[#late + 1] = info end)
  m:on("unknown", function(line) unknown[#unknown + 1] = line end)
  p:expect("AT+X"):expect("AT+CMEE?"):sleep(0.6)
  p:reply("\r\nOK\r\n\r\n+CMEE: 1\r\n\r\nOK\r\n")
  p:ok("AT+Z")
  local _, _, code = m:at("AT+X")
  lu.assertEquals(code, "timeout")
  local r, msg
  r, msg, code = m:at("AT+Y")
  lu.assertNil(r)
  lu.assertEquals(code, "unsent")
  lu.assertStrContains(msg, "AT+Y: not sent")
  settle(0.6)
  lu.assertEquals(late, {{command = "AT+X", result = "ok", final = "OK", lines = {}}})
  lu.assertEquals(unknown, {})
  r, msg = m:at("AT+Z")
  lu.assertNotNil(r, msg)
  lu.assertTrue(p:finish())
end

-- A refused uplink answered late is told as the late answer of that command, with its
-- lines, its code, and the PSK of a command redacted as in traces.
function TestAt:test_late_answer_names_its_command_result_and_lines()
  setup({engine = {first_byte = 0.15, total = 0.3}})
  local late = {}
  m:on("late", function(info) late[#late + 1] = info end)
  p:expect("AT+CGSN=1"):sleep(0.5):reply("\r\n+CGSN: 866818039921444\r\n\r\n+CME ERROR: 159\r\n")
  lu.assertNil(m:at("AT+CGSN=1", {expect = {"+CGSN"}}))
  p:finish()
  settle(0.1)
  lu.assertEquals(late, {{command = "AT+CGSN=1", result = "cme", code = 159,
    final = "+CME ERROR: 159", lines = {"+CGSN: 866818039921444"}}})
  late = {}
  p:expect("AT+NCDPOPEN=\"1.2.3.4\",5684,,\"0123456789abcdef\""):sleep(0.5):reply("\r\nERROR\r\n")
  lu.assertNil(m:at('AT+NCDPOPEN="1.2.3.4",5684,,"0123456789abcdef"'))
  p:finish()
  settle(0.1)
  lu.assertEquals(#late, 1)
  lu.assertEquals(late[1].result, "error")
  lu.assertNotStrContains(late[1].command, "0123456789abcdef")
  lu.assertStrContains(late[1].command, "AT+NCDPOPEN=")
end

function TestAt:test_counters_count_commands_and_bytes()
  setup()
  p:ok("AT", nil)
  assert(m:at("AT"))
  local c = m:counters()
  lu.assertEquals(c.commands, 1)
  lu.assertEquals(c.bytes_out, 3)
  lu.assertEquals(c.bytes_in, 6)
end

function TestAt:test_partial_writes_are_finished_when_the_port_drains()
  setup()
  -- A port that takes at most 3 bytes per write and every other time none at all (as a
  -- full UART would): the command must still arrive whole, once.
  local real = m.port
  local calls = 0
  m.port = {
    write = function(_, bytes)
      calls = calls + 1
      if calls % 2 == 0 then return 0 end
      return real:write(bytes:sub(1, 3))
    end,
    read = function(_, ...) return real:read(...) end,
    close = function() return real:close() end,
    fd = function() return real:fd() end,
    name = function() return real:name() end,
  }
  p:ok("AT+CGSN=1", "+CGSN: 869999999999999")
  local r = assert(m:at("AT+CGSN=1"))
  lu.assertEquals(r.lines, {"+CGSN: 869999999999999"})
  lu.assertEquals(calls, 7) -- 10 bytes: 3+0+3+0+3+0+1
  lu.assertTrue(p:finish())
  lu.assertEquals(p.lines, {"AT+CGSN=1"})
end

os.exit(lu.LuaUnit.run(), true)
