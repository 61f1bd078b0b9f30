-- core_spec.lua: the bc260y.core binding: ports and ptys, poll, the AT engine with real
-- event tables, decoders, the error table, hex and the command builders, and object life
-- cycle (close, __close, __gc, use after close, bad arguments).
local lu = require("luaunit")
local core = require("bc260y.core")
local h = require("helpers")
local pty = require("bc260y.sim.core")

local function raises(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  lu.assertFalse(ok, "expected an error matching " .. pattern)
  lu.assertStrContains(tostring(err), pattern, false)
  return err
end

-- ---------------------------------------------------------------------------------------
TestClock = {}

-- Reading and writing a port whose peer (or itself) is gone give nil, msg, "closed".
local function assert_io_says_closed(port)
  local data, msg, code = port:read()
  lu.assertNil(data)
  lu.assertEquals(code, "closed", msg)
  local n
  n, msg, code = port:write("AT\r")
  lu.assertNil(n)
  lu.assertEquals(code, "closed", msg)
end

function TestClock.test_now_is_monotonic_seconds()
  local a = core.now()
  lu.assertEquals(math.type(a), "float")
  h.sleep(0.02)
  local b = core.now()
  lu.assertTrue(b - a >= 0.019, "20 ms wait advanced the clock by " .. (b - a))
  -- seconds, not milliseconds (which would read 20 or more); no bound on a slow machine
  lu.assertTrue(b - a < 19, "the clock counts milliseconds: " .. (b - a))
end

function TestClock.test_module_flags()
  lu.assertEquals(type(core.with_libserialport), "boolean")
end

-- ---------------------------------------------------------------------------------------
-- core.poller: the loop's readiness wait (bc260y.loop has no other).
TestPoller = {}

function TestPoller.test_timeout_reports_nothing()
  local p = assert(core.poller())
  local out = {}
  local t0 = core.now()
  lu.assertEquals(p:wait(0.05, out), 0)
  local dt = core.now() - t0
  lu.assertEquals(out, {})
  -- Never early (a loaded machine may make it late: how late is the benchmarks' business).
  lu.assertTrue(dt >= 0.045, "waited " .. dt)
  -- A zero timeout returns with nothing ready; were it to block, nothing would wake it
  -- and ctest's timeout would fail the test.
  lu.assertEquals(p:wait(0, out), 0)
  lu.assertEquals(out, {})
  p:close()
end

function TestPoller.test_readiness()
  local m, s = h.pty_pair()
  local p = assert(core.poller())
  assert(p:set(m:fd(), true, false))
  assert(p:set(s:fd(), false, true))
  local out = {}
  lu.assertEquals(p:wait(0, out), 1)
  lu.assertEquals({out[1], out[2]}, {s:fd(), 2}, "a fresh pty is writable; nothing written yet")
  assert(p:set(s:fd(), true, false))
  assert(h.write_all(s, "x"))
  lu.assertEquals(p:wait(1, out), 1)
  lu.assertEquals({out[1], out[2]}, {m:fd(), 1})
  assert(p:set(m:fd(), false, false))
  lu.assertEquals(p:wait(0, out), 0, "no interest, no report")
  p:close()
  m:close()
  s:close()
end

-- The module side (pty master) going away hangs up the client's tty: the wait must wake
-- the reader (a hang-up alone, no input) and read must say "closed".
function TestPoller.test_hangup_counts_as_readable()
  local m, s = h.pty_pair()
  local p = assert(core.poller())
  assert(p:set(s:fd(), true, false))
  m:close()
  local out = {}
  lu.assertEquals(p:wait(1, out), 1, "the reader must wake up to see the hang-up")
  lu.assertEquals(out[1], s:fd())
  lu.assertEquals(out[2] & 1, 1)
  assert_io_says_closed(s)
  p:close()
  s:close()
end

-- An fd that is no longer open is "unpollable": the loop then calls it ready at every
-- step, as poll(2) would, so its reader runs and finds out.
function TestPoller.test_closed_fd_is_unpollable()
  local p = assert(core.poller()) -- first: it would take the closed fd's number
  local m = assert(pty.open_pty())
  local fd = m:fd()
  m:close()
  local ok, msg, code = p:set(fd, true, false)
  lu.assertNil(ok)
  lu.assertEquals(code, "unpollable", msg)
  lu.assertTrue(p:set(fd, false, false), "removing a closed fd is fine")
  p:close()
end

function TestPoller.test_bad_arguments_raise()
  local p = assert(core.poller())
  raises("not a file descriptor", p.set, p, -1, true, false)
  raises("number expected", p.set, p, "x", true, false)
  raises("number expected", p.wait, p, "soon", {})
  raises("timeout is NaN", p.wait, p, 0 / 0, {})
  raises("table expected", p.wait, p, 0, nil)
  p:close()
  raises("closed", p.wait, p, 0, {})
end

-- ---------------------------------------------------------------------------------------
TestPort = {}

function TestPort.test_pty_pair_bytes_both_ways()
  local m, path = pty.open_pty()
  lu.assertNotNil(m, path)
  lu.assertStrMatches(path, "/dev/pts/%d+")
  lu.assertEquals(m:kind(), "pty")
  local s = assert(core.open_port(path, 9600))
  lu.assertEquals(s:kind(), "tty")
  lu.assertEquals(s:name(), path)
  lu.assertEquals(m:read(), "", "nothing available yet")
  lu.assertEquals(s:read(), "", "an idle tty is not a hang-up")
  -- Binary-safe (raw mode): NUL, CR, LF and 0xFF pass unchanged.
  local down = "AT+CGSN=1\r\0\255\n"
  assert(h.write_all(m, down))
  lu.assertEquals(h.read_for(s, #down), down)
  lu.assertEquals(s:read(), "", "still not a hang-up after data")
  lu.assertEquals(s:read(), "")
  local up = "\r\n+CGSN: 869999999999999\r\n\r\nOK\r\n"
  assert(h.write_all(s, up))
  lu.assertEquals(h.read_for(m, #up), up)
  -- read(max) never returns more than max.
  assert(h.write_all(s, "abcdef"))
  h.wait_fd(m:fd(), "r", 1)
  lu.assertEquals(#m:read(2), 2)
  lu.assertEquals(h.read_for(m, 4), "cdef")
  -- A read larger than the default goes through a Lua buffer instead of the C stack.
  local blob = string.rep("z", 6000)
  assert(h.write_all(s, blob))
  local got = ""
  local deadline = core.now() + 1
  while #got < #blob and core.now() < deadline do
    h.wait_fd(m:fd(), "r", 0.1)
    got = got .. assert(m:read(65536))
  end
  lu.assertEquals(got, blob)
  s:close()
  m:close()
end

function TestPort.test_large_write_is_partial_not_blocking()
  local m, s = h.pty_pair()
  local big = string.rep("x", 1 << 20)
  local total = 0
  for _ = 1, 64 do
    local n = assert(m:write(big))
    lu.assertTrue(n >= 0 and n <= #big)
    if n == 0 then break end
    total = total + n
  end
  lu.assertTrue(total < 64 * #big, "the pty buffer is finite: write must stop short")
  lu.assertEquals(m:write(""), 0)
  s:close()
  m:close()
end

-- A port has one owner: a second open fails at once naming the port, unless the caller
-- passes exclusive = false; once the owner closes, the port opens again.
function TestPort.test_second_open_of_a_port_fails_unless_shared()
  local m, path = pty.open_pty()
  local a = assert(core.open_port(path))
  local b, msg, code = core.open_port(path)
  lu.assertNil(b)
  lu.assertEquals(msg, path .. ": already open (by this or another process)")
  lu.assertEquals(code, "io")
  lu.assertNil(core.open_port(path, 9600, true))
  local shared = assert(core.open_port(path, 9600, false))
  shared:close()
  a:close()
  assert(core.open_port(path)):close()
  m:close()
end

function TestPort.test_open_port_errors_name_port_and_reason()
  local p, msg, code = core.open_port("/dev/ttyUSB_does_not_exist_9")
  lu.assertNil(p)
  lu.assertEquals(code, "io")
  lu.assertStrContains(msg, "/dev/ttyUSB_does_not_exist_9")
  lu.assertStrContains(msg, "No such file")
  p, msg, code = core.open_port("/etc/hostname")
  lu.assertNil(p, "a regular file is not a port")
  lu.assertEquals(code, "io")
  lu.assertStrContains(msg, "/etc/hostname")
end

function TestPort.test_tcp_errors()
  local p, msg, code = core.open_port("tcp://127.0.0.1:1")
  lu.assertNil(p)
  lu.assertEquals(code, "io")
  lu.assertStrContains(msg, "tcp://127.0.0.1:1")
  p, msg, code = core.open_port("tcp://127.0.0.1")
  lu.assertNil(p)
  lu.assertEquals(code, "io")
  lu.assertStrContains(msg, "port")
end

function TestPort.test_open_port_bad_arguments_raise()
  raises("string expected", core.open_port, nil)
  raises("string expected", core.open_port, 42)
  raises("NUL", core.open_port, "/dev/pts/0\0x")
  raises("baud", core.open_port, "/dev/null", -5)
  raises("number expected", core.open_port, "/dev/null", "fast")
end

function TestPort.test_tostring_close_and_use_after_close()
  local m, path = assert(pty.open_pty())
  lu.assertStrMatches(tostring(m), "bc260y%.Port%(.+%)")
  local s = assert(core.open_port(path))
  lu.assertEquals(tostring(s), "bc260y.Port(" .. path .. ")")
  local fd = s:fd()
  lu.assertEquals(math.type(fd), "integer")
  lu.assertFalse(s:closed())
  s:close()
  s:close() -- idempotent
  lu.assertTrue(s:closed())
  lu.assertStrContains(tostring(s), "closed")
  lu.assertEquals(s:name(), path, "the name stays known for messages")
  raises("closed", s.fd, s)
  raises("closed", s.kind, s)
  assert_io_says_closed(s)
  m:close()
end

function TestPort.test_to_be_closed_variable()
  local kept
  do
    local m <close>, path = assert(pty.open_pty())
    lu.assertNotNil(path)
    kept = m
    lu.assertFalse(kept:closed())
  end
  lu.assertTrue(kept:closed())
  kept:close() -- still idempotent after __close
end

function TestPort.test_gc_closes_the_fd()
  local fds = {}
  for i = 1, 50 do
    local m = assert(pty.open_pty())
    fds[i] = m:fd()
  end
  collectgarbage()
  collectgarbage()
  -- With every master collected, a new pty reuses a low fd instead of growing.
  local m = assert(pty.open_pty())
  lu.assertTrue(m:fd() <= fds[1], "fd " .. m:fd() .. " after collecting 50 ptys")
  m:close()
end

function TestPort.test_methods_check_self()
  local m = assert(pty.open_pty())
  raises("bc260y.Port expected", m.read, {})
  raises("string expected", m.write, m, 42)
  raises("string expected", m.write, m, nil)
  raises("read size", m.read, m, 0)
  m:close()
end

function TestPort.test_list_ports()
  local list, msg = core.list_ports()
  lu.assertNotNil(list, msg)
  for _, p in ipairs(list) do
    lu.assertEquals(type(p.name), "string")
    if p.vid then lu.assertEquals(math.type(p.vid), "integer") end
  end
end

-- ---------------------------------------------------------------------------------------
-- The engine, driven with explicit times (seconds).
TestPrivateFile = {}

-- open_private (bc260y.sim.core): a file to append that only its owner reads, written and closed with
-- the io library; a file kept from before loses its group and other bits; a path that
-- cannot be opened fails as nil, msg, "io" with the system's reason.
function TestPrivateFile.test_append_owner_only_close()
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write("old\n")
  f:close()
  assert(os.execute("chmod 644 " .. path))
  local tools = require("bc260y.sim.core")
  f = assert(tools.open_private(path))
  lu.assertEquals(io.type(f), "file")
  f:write("new\n")
  lu.assertTrue(f:close())
  lu.assertEquals(io.type(f), "closed file")
  lu.assertEquals(io.popen("stat -c %a " .. path):read("l"), "600")
  local r = assert(io.open(path))
  lu.assertEquals(r:read("a"), "old\nnew\n")
  r:close()
  os.remove(path)
  local ok, msg, code = tools.open_private(path .. ".d/none/log")
  lu.assertNil(ok)
  lu.assertStrContains(msg, path .. ".d/none/log: ")
  lu.assertStrContains(msg, "No such file")
  lu.assertEquals(code, "io")
end

TestEngine = {}

-- Submits text and marks its bytes written at time t (the timers start then); returns
-- the bytes.
local function send(e, text, opts, t)
  assert(e:submit(text, opts))
  local out = e:output()
  e:consumed(#out, t or 0)
  return out
end

function TestEngine.test_response_with_lines()
  local e = core.engine()
  lu.assertEquals(e:output(), "")
  lu.assertNil(e:deadline(), "idle engine has no deadline")
  local out = send(e, "AT+CGSN=1", { tag = 7 })
  lu.assertEquals(out, "AT+CGSN=1\r")
  lu.assertEquals(e:pending(), 1)
  lu.assertEquals(tostring(e), "bc260y.Engine(1 pending)")
  local evs = e:feed("\r\n+CGSN: 869999999999999\r\n\r\nOK\r\n", 0.1)
  lu.assertEquals(evs, { {
    type = "response", tag = 7, result = "ok", final = "OK",
    lines = { "+CGSN: 869999999999999" },
  } })
  lu.assertEquals(e:pending(), 0)
  lu.assertEquals(e:output(), "")
end

-- With the decode option each answer line (and a line nobody claimed) comes decoded by
-- the same decoder as URCs, so the Modem never decodes it again.
function TestEngine.test_decode_option()
  local e = core.engine({ decode = true })
  local evs = e:feed("\r\nJUNK\r\n", 0)
  lu.assertEquals(evs[1].type, "unknown") -- nothing running: nobody's
  lu.assertNil(evs[1].decoded) -- JUNK: nothing to decode
  send(e, "AT+CSQ", { tag = 3 })
  evs = e:feed("\r\n+CSQ: 20,0\r\nJUNK\r\nOK\r\n", 0.1)
  local r = evs[#evs]
  lu.assertEquals(#evs, 1)
  lu.assertEquals(r.lines, { "+CSQ: 20,0", "JUNK" }) -- the command's whole answer
  lu.assertEquals(r.decoded, { core.decode("+CSQ: 20,0"), false })
  lu.assertEquals(r.decoded[1].rssi, 20)
  evs = e:feed("+NMGR: 2,AABB\r\n", 0.2)
  lu.assertEquals(evs[1].decoded.data, "\170\187") -- an unclaimed downlink line, decoded
end

function TestEngine.test_urc_in_the_middle_of_a_response()
  local e = core.engine()
  send(e, "AT+CGSN=1", { tag = 1 })
  local evs = e:feed("\r\n+CGSN: 869999999999999\r\n\r\n+QLWEVTIND: 3\r\n\r\nOK\r\n", 0.1)
  lu.assertEquals(h.types(evs), "urc,response")
  lu.assertEquals(evs[1].line, "+QLWEVTIND: 3")
  lu.assertEquals(evs[1].decoded, { kind = "qlwevtind", value = 3 })
  lu.assertEquals(evs[2].lines, { "+CGSN: 869999999999999" }, "the URC is not in the answer")
end

function TestEngine.test_nnmi_answer_vs_urc()
  local e = core.engine()
  send(e, "AT+NNMI?", { tag = 2 })
  local evs = e:feed("\r\n+NNMI: 4,AAAA0000\r\n+NNMI: 1\r\n\r\nOK\r\n", 0.1)
  lu.assertEquals(h.types(evs), "urc,response")
  lu.assertEquals(evs[1].decoded.kind, "nnmi_data")
  lu.assertEquals(evs[1].decoded.data, "\170\170\0\0")
  lu.assertEquals(evs[2].lines, { "+NNMI: 1" })
end

function TestEngine.test_split_bytes_and_explicit_expect()
  local e = core.engine()
  send(e, "AT+FOO", { tag = 3, expect = { { "+BAR", 1, 1 } } })
  local all = {}
  local reply = "\r\n+BAR: 5\r\n+BAR: 1,2\r\nOK\r\n"
  for i = 1, #reply do
    for _, ev in ipairs(e:feed(reply:sub(i, i), 0.1)) do all[#all + 1] = ev end
  end
  -- the two-field line is not the expected shape, but no URC either: the answer's too
  lu.assertEquals(h.types(all), "response")
  lu.assertEquals(all[1].lines, { "+BAR: 5", "+BAR: 1,2" })
end

function TestEngine.test_cme_error_and_text_lines()
  local e = core.engine()
  send(e, "AT+NMGS=1,00", { tag = 4 })
  local evs = e:feed("\r\n+CME ERROR: 954\r\n", 0.1)
  lu.assertEquals(evs, { { type = "response", tag = 4, result = "cme", code = 954,
    final = "+CME ERROR: 954", lines = {} } })
  send(e, "AT+NQMGR", { tag = 5 }, 1)
  evs = e:feed("\r\nBUFFERED=0,RECEIVED=3,DROPPED=0\r\n\r\nOK\r\n", 1.1)
  lu.assertEquals(evs[1].lines, { "BUFFERED=0,RECEIVED=3,DROPPED=0" })
  send(e, "ATI", { tag = 6 }, 2)
  evs = e:feed("\r\nQuectel_Ltd\r\nQuectel_BC260Y-CN\r\nRevision: BC260YCNAAR02A02\r\n\r\nOK\r\n", 2.1)
  lu.assertEquals(evs[1].lines, { "Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: BC260YCNAAR02A02" })
end

function TestEngine.test_text_lines_and_finals_options()
  local e = core.engine()
  send(e, "AT+QVER", { tag = 1, text_lines = true })
  local evs = e:feed("\r\nV1.2\r\n+QVER: x\r\nOK\r\n", 0.1)
  lu.assertEquals(evs[1].lines, { "V1.2", "+QVER: x" })
  -- text_lines is retired (accepted, no effect): a bare line is the answer's all the same
  send(e, "AT+QVER", { tag = 2, expect = {}, text_lines = false }, 1)
  evs = e:feed("\r\nV1.2\r\nOK\r\n", 1.1)
  lu.assertEquals(h.types(evs), "response")
  lu.assertEquals(evs[1].lines, { "V1.2" })
  send(e, "AT+XSEND=1", { tag = 3, finals = { "SEND OK", "SEND FAIL" } }, 2)
  evs = e:feed("\r\nSEND FAIL\r\n", 2.1)
  lu.assertEquals(evs, { { type = "response", tag = 3, result = "final", final = "SEND FAIL", lines = {} } })
end

function TestEngine.test_prompt_payload()
  local e = core.engine()
  assert(e:submit("AT+SEND=3", { tag = 9, prompt = "abc" }))
  local out = e:output()
  lu.assertEquals(out, "AT+SEND=3\r")
  e:consumed(#out, 0)
  lu.assertEquals(e:feed("\r\n> ", 0.1), {})
  lu.assertEquals(e:output(), "abc\26")
end

function TestEngine.test_queue_one_in_flight()
  local e = core.engine()
  assert(e:submit("AT", { tag = 1 }))
  assert(e:submit("AT+CSQ", { tag = 2 }))
  lu.assertEquals(e:pending(), 2)
  lu.assertEquals(e:output(), "AT\r", "the second waits for the first")
  e:consumed(3, 0)
  local evs = e:feed("\r\nOK\r\n", 0.1)
  lu.assertEquals(evs[1].tag, 1)
  lu.assertEquals(e:output(), "AT+CSQ\r")
end

function TestEngine.test_timeout_deadline_and_late()
  local e = core.engine()
  send(e, "AT+CSQ", { tag = 11, first_byte = 1, total = 2 }, 10)
  local d = e:deadline()
  lu.assertNotNil(d)
  lu.assertAlmostEquals(d, 11, 0.001)
  lu.assertEquals(e:tick(10.5), {})
  local evs = e:tick(11)
  lu.assertEquals(evs, { { type = "response", tag = 11, result = "timeout", lines = {} } })
  -- however late, the final is the timed-out command's (its tag), never the next one's
  evs = e:feed("\r\nOK\r\n", 40)
  lu.assertEquals(evs, { { type = "late", line = "OK", tag = 11, result = "ok" } })
  local c = e:counters()
  lu.assertEquals(c.timeouts, 1)
  lu.assertEquals(c.late, 1)
end

-- The second timeout is the resync probe's that goes out before the next command; a
-- probe times out like a command with the engine's total timeout. The command it went
-- out for fails unsent at its own, shorter, timeout: never written, not a timeout of the
-- module (issue 19). The next command waiting sees the probe time out.
function TestEngine.test_unresponsive_after_consecutive_timeouts()
  local e = core.engine({ unresponsive_after = 2, total = 1 })
  local seen = {}
  local function tick(t)
    for _, ev in ipairs(e:tick(t)) do seen[#seen + 1] = ev.type .. (ev.result and ":" .. ev.result or "") end
  end
  send(e, "AT", { tag = 1, first_byte = 0.1, total = 0.2 }, 0)
  tick(1)
  assert(e:submit("AT", { tag = 2, first_byte = 0.1, total = 0.2 }))
  local probe = e:output()
  lu.assertStrContains(probe, "AT+")
  e:consumed(#probe, 1)
  tick(1.5)
  assert(e:submit("AT", { tag = 3, first_byte = 5, total = 5 }))
  tick(2.1)
  lu.assertEquals(table.concat(seen, ","), "response:timeout,response:unsent,unresponsive")
end

function TestEngine.test_reboot_fails_running_and_queued()
  local e = core.engine()
  send(e, "AT+CGSN=1", { tag = 1 })
  assert(e:submit("AT", { tag = 2 }))
  local evs = e:feed("\r\nRDY\r\n", 0.5)
  local resp = h.of_type(evs, "response")
  lu.assertEquals(#resp, 2)
  lu.assertEquals(resp[1].result, "reboot")
  lu.assertEquals(resp[2].result, "reboot")
  lu.assertEquals(#h.of_type(evs, "reboot"), 1)
  lu.assertEquals(e:pending(), 0)
  lu.assertEquals(e:counters().reboots, 1)
end

function TestEngine.test_abort()
  local e = core.engine()
  send(e, "AT", { tag = 1 })
  assert(e:submit("AT+CSQ", { tag = 2 }))
  local evs = e:abort()
  lu.assertEquals(#evs, 2)
  for i, ev in ipairs(evs) do
    lu.assertEquals(ev.type, "response")
    lu.assertEquals(ev.result, "aborted")
    lu.assertEquals(ev.tag, i)
  end
  lu.assertEquals(e:pending(), 0)
  lu.assertEquals(e:abort(), {})
end

function TestEngine.test_unknown_overflow_and_counters()
  local e = core.engine()
  local evs = e:feed("garbage\r\n" .. string.rep("A", 7000) .. "\r\n+CSCON: 1\r\n", 1)
  lu.assertEquals(h.types(evs), "unknown,overflow,urc")
  lu.assertEquals(evs[1].line, "garbage")
  lu.assertEquals(evs[2].line:sub(1, 4), "AAAA")
  lu.assertTrue(#evs[2].line < 7000)
  lu.assertEquals(evs[3].decoded, { kind = "cscon", value = 1 })
  local c = e:counters()
  lu.assertEquals(c.unknown, 1)
  lu.assertEquals(c.overflows, 1)
  lu.assertEquals(c.urcs, 1)
  lu.assertEquals(c.bytes_in, 9 + 7002 + 11)
  for _, k in ipairs({ "lines", "late", "timeouts", "commands", "reboots", "bytes_out" }) do
    lu.assertEquals(math.type(c[k]), "integer", k)
  end
end

function TestEngine.test_feed_handles_back_pressure()
  local e = core.engine({ event_max = 4 })
  local burst = string.rep("+QLWEVTIND: 3\r\n", 200)
  local evs = e:feed(burst, 1)
  lu.assertEquals(#evs, 200, "every URC comes out although the engine holds only 4")
  lu.assertEquals(evs[200].decoded.value, 3)
end

function TestEngine.test_submit_refusals()
  local e = core.engine({ queue_max = 2 })
  local ok, msg = e:submit("AT\r\nAT+NCDPCLOSE")
  lu.assertNil(ok, "CR/LF in a command must be refused")
  lu.assertNotNil(msg)
  ok, msg = e:submit("AT\rX")
  lu.assertNil(ok)
  ok, msg = e:submit("AT\nX")
  lu.assertNil(ok)
  ok = e:submit("")
  lu.assertNil(ok, "empty command")
  ok, msg = e:submit("AT+" .. string.rep("X", 10000))
  lu.assertNil(ok, "too long")
  assert(e:submit("AT"))
  assert(e:submit("AT"))
  ok, msg = e:submit("AT")
  lu.assertNil(ok, "queue full")
  lu.assertEquals(type(msg), "string")
  lu.assertEquals(e:pending(), 2)
  lu.assertEquals(e:output(), "AT\r", "nothing refused reached the output")
end

function TestEngine.test_bad_arguments_raise()
  local e = core.engine()
  raises("string expected", e.submit, e, 42)
  raises("string expected", e.submit, e, nil)
  raises("table expected", e.submit, e, "AT", "opts")
  raises("tag", e.submit, e, "AT", { tag = "x" })
  raises("expect", e.submit, e, "AT", { expect = "+X" })
  raises("expect", e.submit, e, "AT", { expect = { 5 } })
  raises("expect", e.submit, e, "AT", { expect = { "+A", "+B", "+C", "+D", "+E" } })
  raises("first_byte", e.submit, e, "AT", { first_byte = -1 })
  raises("prompt", e.submit, e, "AT", { prompt = 5 })
  -- an option the engine would not use is an error, not silently ignored (a typo, or the
  -- old opts.now: the timers start when the command is written, see e:consumed)
  raises("unknown option 'now'", e.submit, e, "AT", { now = 0 })
  raises("unknown option 'frist_byte'", e.submit, e, "AT", { frist_byte = 1 })
  raises("unknown option", e.submit, e, "AT", { "AT" })
  raises("number expected", e.feed, e, "OK\r\n")
  raises("string expected", e.feed, e, nil, 1)
  raises("time out of range", e.feed, e, "", -1)
  raises("number expected", e.tick, e)
  raises("pending output", e.consumed, e, 5, 0)
  raises("line_max", core.engine, { line_max = "big" })
  raises("cannot create engine", core.engine, { line_max = 100 })
  raises("table expected", core.engine, 5)
  raises("bc260y.Engine expected", e.pending, {})
  lu.assertEquals(e:pending(), 0, "nothing was queued by the failed calls")
end

function TestEngine.test_close_and_use_after_close()
  local e = core.engine()
  assert(e:submit("AT"))
  e:close()
  e:close()
  lu.assertEquals(tostring(e), "bc260y.Engine(closed)")
  raises("closed", e.submit, e, "AT")
  raises("closed", e.feed, e, "", 0)
  raises("closed", e.pending, e)
  local kept
  do
    local e2 <close> = core.engine()
    kept = e2
  end
  lu.assertEquals(tostring(kept), "bc260y.Engine(closed)")
end

-- The whole path: engine output written to a real tty, the module's answer read back from
-- it, URC and answer separated.
function TestEngine.test_through_a_pty()
  local module, client = h.pty_pair()
  local e = core.engine()
  assert(e:submit("AT+CSCON?", { tag = 42 }))
  local out = e:output()
  local n = assert(client:write(out))
  e:consumed(n, core.now())
  lu.assertEquals(h.read_for(module, #out), "AT+CSCON?\r")
  assert(h.write_all(module, "\r\n+CSCON: 1\r\n+CSCON: 0,1\r\n\r\nOK\r\n"))
  local evs = {}
  while #h.of_type(evs, "response") == 0 do
    lu.assertTrue(h.wait_fd(client:fd(), "r", 1), "the answer arrives")
    for _, ev in ipairs(e:feed(assert(client:read()), core.now())) do evs[#evs + 1] = ev end
  end
  lu.assertEquals(h.types(evs), "urc,response")
  lu.assertEquals(evs[1].decoded, { kind = "cscon", value = 1 })
  lu.assertEquals(evs[2].lines, { "+CSCON: 0,1" })
  lu.assertEquals(core.decode(evs[2].lines[1]), { kind = "cscon_answer", n = 0, value = 1 })
  lu.assertEquals(e:counters().bytes_out, #out)
  e:close()
  client:close()
  module:close()
end

-- e:exchange, a round trip in one call (docs/design.md, "The fast path"): it returns a
-- status and one table. The module's words are written before the call (the engine takes
-- them as the answer once the command is written), so nothing depends on timing.
function TestEngine.test_exchange_answers_fails_and_hands_over()
  local module, client = h.pty_pair()
  local e = core.engine({ decode = true })
  assert(h.write_all(module, "\r\n+CSQ: 20,0\r\n\r\nOK\r\n"))
  local how, answer, written, read = e:exchange(client, "AT+CSQ", 1, nil, { decode = true, trace = true })
  lu.assertEquals(how, "answered")
  lu.assertEquals(answer, { lines = { "+CSQ: 20,0" }, final = "OK", decoded = { core.decode("+CSQ: 20,0") } })
  lu.assertEquals(written, "AT+CSQ\r")
  lu.assertEquals(read, "\r\n+CSQ: 20,0\r\n\r\nOK\r\n")
  lu.assertEquals(h.read_for(module, #written), written)
  -- without options: the answer alone, undecoded (what m:at returns)
  assert(h.write_all(module, "\r\nOK\r\n"))
  lu.assertEquals(table.pack(e:exchange(client, "AT", 2)), { n = 2, "answered", { lines = {}, final = "OK" } })
  -- a failure: the response event, as e:feed gives it
  assert(h.write_all(module, "\r\n+CME ERROR: 159\r\n"))
  how, answer = e:exchange(client, "AT+NMGS=1,00", 3)
  lu.assertEquals(how, "failed")
  lu.assertEquals(answer, { type = "response", tag = 3, result = "cme", code = 159,
                            final = "+CME ERROR: 159", lines = {}, decoded = {} })
  -- anything else hands over: here a URC first; the events go to the caller
  h.read_for(module, 64)
  assert(h.write_all(module, "\r\n+CSCON: 1\r\n\r\nOK\r\n"))
  how, answer = e:exchange(client, "AT", 4)
  lu.assertEquals(how, "handed_over")
  lu.assertEquals(h.types(answer.events), "urc,response")
  lu.assertEquals(answer.events[2].tag, 4)
  lu.assertNil(answer.error)
  -- the loop's timer due (limit in the past): handed over, the command in the engine
  how, answer = e:exchange(client, "AT", 5, core.now() - 1)
  lu.assertEquals(how, "handed_over")
  lu.assertEquals(answer, {})
  lu.assertEquals(e:pending(), 1)
  e:abort()
  -- the port hung up
  module:close()
  how, answer = e:exchange(client, "AT", 6)
  lu.assertEquals(how, "handed_over")
  lu.assertEquals(answer.code, "closed")
  lu.assertEquals(answer.error, "closed")
  e:abort()
  -- arguments: the tag is an argument; options as e:submit's, plus decode and trace
  raises("tag", e.exchange, e, client, "AT", 7, nil, { tag = 7 })
  raises("unknown option 'limit'", e.exchange, e, client, "AT", 7, nil, { limit = 1 })
  raises("number expected", e.exchange, e, client, "AT", "x")
  raises("bc260y.Port expected", e.exchange, e, {}, "AT", 7)
  e:close()
  client:close()
end

-- ---------------------------------------------------------------------------------------
TestDecode = {}

local decode_cases = {
  { "+QLWEVTIND: 3", { kind = "qlwevtind", value = 3 } },
  { "+QLWEVTIND:-1", { kind = "qlwevtind", value = -1 } },
  { "+NNMI: 4,AAAA0000", { kind = "nnmi_data", length = 4, data = "\170\170\0\0", hex = "AAAA0000" } },
  { "+NNMI:2,0aff", { kind = "nnmi_data", length = 2, data = "\10\255", hex = "0aff" } },
  { "+NNMI", { kind = "nnmi_indication" } },
  { '+NNMI: "recv",buff full', { kind = "nnmi_buff_full" } },
  { "+NNMI: 1", { kind = "nnmi_mode", value = 1 } },
  { "+NMGR: 3,414243", { kind = "nmgr", length = 3, data = "ABC", hex = "414243" } },
  { '+QIND: "FOTA","DOWNLOAD START"', { kind = "fota", stage = "download_start" } },
  { '+QIND: "FOTA","DOWNLOADING",512', { kind = "fota", stage = "downloading", value = 512 } },
  { '+QIND: "FOTA","DOWNLOAD",0', { kind = "fota", stage = "download", value = 0 } },
  { '+QIND: "FOTA","START"', { kind = "fota", stage = "start" } },
  { '+QIND: "FOTA","UPDATING",2%,1,1',
    { kind = "fota", stage = "updating", value = 2, total = 1, current = 1 } },
  { '+QIND: "FOTA","END",255', { kind = "fota", stage = "end", value = 255 } },
  { '+QIND: "FOTA","UPDATING",50%', { kind = "fota", stage = "updating", value = 50 } },
  { "+CGPADDR: 0", { kind = "cgpaddr", cid = 0 } },
  { "+NMSTATUS: REGISTERED_AND_OBSERVED", { kind = "nmstatus", value = "REGISTERED_AND_OBSERVED" } },
  { "+QLWULDATASTATUS: 4", { kind = "qlwuldatastatus", value = 4 } },
  { "BUFFERED=1,RECEIVED=5,DROPPED=2", { kind = "nqmgr", buffered = 1, received = 5, dropped = 2 } },
  { "+NCFG: 86400", { kind = "ncfg", value = 86400 } },
  { "+CSCON: 0", { kind = "cscon", value = 0 } },
  { "+CSCON:0,1", { kind = "cscon_answer", n = 0, value = 1 } },
  { "+CEREG: 5", { kind = "cereg", value = 5 } },
  { "+CEREG: 1,1", { kind = "cereg_answer", n = 1, value = 1 } },
  { '+CGPADDR: 0,"10.1.2.3"', { kind = "cgpaddr", cid = 0, ip = "10.1.2.3" } },
  { "+CGSN: 869999999999999", { kind = "cgsn", value = "869999999999999" } },
  { "+CSQ: 23,0", { kind = "csq", rssi = 23, ber = 0 } },
  { '+QNBIOTEVENT: "ENTER DEEPSLEEP"', { kind = "qnbiotevent", value = "ENTER DEEPSLEEP" } },
  { '+QNBIOTEVENT: "EXIT DEEPSLEEP"', { kind = "qnbiotevent", value = "EXIT DEEPSLEEP" } },
  { "+CFUN: 1", { kind = "cfun", value = 1 } },
  { "+CPIN: READY", { kind = "cpin", value = "READY" } },
  { "+IP: 10.1.2.3", { kind = "ip", value = "10.1.2.3" } },
  { "RDY", { kind = "rdy" } },
  { "+CME ERROR: 954", { kind = "cme_error", value = 954 } },
  { "Quectel_Ltd", { kind = "ati_manufacturer", value = "Quectel_Ltd" } },
  { "Quectel_BC260Y-CN", { kind = "ati_model", value = "Quectel_BC260Y-CN" } },
  { "Revision: BC260YCNAAR02A02", { kind = "ati_revision", value = "BC260YCNAAR02A02" } },
}

function TestDecode.test_each_kind()
  for _, case in ipairs(decode_cases) do
    lu.assertEquals(core.decode(case[1]), case[2], case[1])
  end
end

-- A value outside the guide's tables comes with its kind, as printed, and unknown names
-- its field.
function TestDecode.test_values_outside_the_tables()
  lu.assertEquals(core.decode("+QLWEVTIND: 99"), { kind = "qlwevtind", value = 99, unknown = "value" })
  lu.assertEquals(core.decode("+NMSTATUS:NO_UE_IP"), { kind = "nmstatus", value = "NO_UE_IP", unknown = "value" })
  lu.assertEquals(core.decode('+QIND: "FOTA","VERIFYING"'), { kind = "fota", stage = "VERIFYING", unknown = "stage" })
  lu.assertEquals(core.decode("+NMSTATUS: REGISTERED  "), { kind = "nmstatus", value = "REGISTERED" })
end

function TestDecode.test_unknown_and_malformed_give_nil()
  lu.assertNil(core.decode("hello"))
  lu.assertNil(core.decode(""))
  lu.assertNil(core.decode("+NNMI: 4,ZZ"))
  lu.assertNil(core.decode("+QLWEVTIND: x"))
  -- a line with a known shape (the engine takes it for that URC) but a bad body says so
  for _, line in ipairs({ "+NNMI: 4,AA", "+NNMI: 3,AAAA0000", "+QLWEVTIND: x" }) do
    lu.assertEquals({ core.decode(line) }, { nil, "malformed line", "malformed" }, line)
  end
  -- a shape nobody prints is unknown, as to the engine (not a URC)
  lu.assertEquals(select("#", core.decode('+QIND: "FOTA","UPDATING",50%,1')), 1)
  lu.assertEquals(select("#", core.decode("hello")), 1)
  raises("string expected", core.decode, nil)
  raises("string expected", core.decode, 5)
end

-- Random bytes through the engine and the decoder: every event is well formed, nothing
-- raises, and every byte is counted.
function TestDecode.test_random_input_is_handled()
  math.randomseed(260)
  local alphabet = "+:,\"\r\n0123456789ABCDEFabcdef NMIQLWEVTDRY>\0\255"
  local known = { response = true, urc = true, unknown = true, late = true, overflow = true,
    reboot = true, unresponsive = true }
  local e = core.engine({ event_max = 8 })
  local total = 0
  for i = 1, 300 do
    local t = {}
    for j = 1, math.random(0, 120) do
      local k = math.random(#alphabet)
      t[j] = alphabet:sub(k, k)
    end
    local s = table.concat(t)
    local d = core.decode(s)
    lu.assertTrue(d == nil or type(d.kind) == "string")
    -- (commands wait for a resync after a timeout: keep the queue short)
    if i % 10 == 0 and e:pending() < 4 then assert(e:submit("AT+NNMI?")) end
    local out = e:output()
    e:consumed(#out, i)
    for _, ev in ipairs(e:feed(s, i + 0.5)) do
      lu.assertTrue(known[ev.type], tostring(ev.type))
      if ev.line then lu.assertEquals(type(ev.line), "string") end
    end
    e:tick(i + 0.9)
    total = total + #s
  end
  lu.assertEquals(e:counters().bytes_in, total)
end

-- ---------------------------------------------------------------------------------------
TestErrors = {}

function TestErrors.test_table()
  lu.assertEquals(core.errors[954].name, "CTIOT_EA_NOT_LOGIN")
  lu.assertEquals(core.errors[8].name, "CTIOT_EA_PARAM_NOT_INTIALIZED")
  lu.assertEquals(core.errors[14].name, "CTIOT_EB_DATA_LENGTH_OVERRRUN")
  lu.assertEquals(core.errors[303].name, "CTIOT_EE_OPERATOR_NOT_SUPPORTED")
  lu.assertEquals(core.errors[5].name, "CTIOT_ED_PSK_ERROR")
  lu.assertStrContains(core.errors[954].zh, "未登录")
  lu.assertEquals(type(core.errors[954].en), "string")
  lu.assertNil(core.errors[4242])
  local n = 0
  for code, info in pairs(core.errors) do
    lu.assertEquals(math.type(code), "integer")
    lu.assertTrue(#info.name > 0 and #info.en > 0 and #info.zh > 0)
    lu.assertStrMatches(info.name, "CTIOT_E[A-Z]_[A-Z0-9_]+") -- the whole symbol
    n = n + 1
  end
  lu.assertTrue(n >= 20, "the guide lists 20 codes, found " .. n)
end

-- ---------------------------------------------------------------------------------------
TestHex = {}

function TestHex.test_round_trip()
  local all = {}
  for i = 0, 255 do all[#all + 1] = string.char(i) end
  local bytes = table.concat(all)
  local hex = core.hex_encode(bytes)
  lu.assertEquals(#hex, 512)
  lu.assertEquals(hex:sub(1, 8), "00010203")
  lu.assertEquals(hex:sub(-4), "FEFF", "upper case")
  lu.assertEquals(core.hex_decode(hex), bytes)
  lu.assertEquals(core.hex_decode(hex:lower()), bytes)
  lu.assertEquals(core.hex_encode(""), "")
  lu.assertEquals(core.hex_decode(""), "")
end

function TestHex.test_bad_hex()
  local v, msg = core.hex_decode("ABC")
  lu.assertNil(v)
  lu.assertStrContains(msg, "odd")
  v, msg = core.hex_decode("ABCG")
  lu.assertNil(v)
  lu.assertStrContains(msg, "position 4")
  v = core.hex_decode("AB\0\0")
  lu.assertNil(v)
  raises("string expected", core.hex_decode, 1234)
  raises("string expected", core.hex_encode, nil)
end

-- ---------------------------------------------------------------------------------------
TestBuild = {}

function TestBuild.test_ncdpopen()
  local b = core.build
  lu.assertStrMatches(b.ncdpopen("221.229.214.202", 5683), 'AT%+NCDPOPEN="221%.229%.214%.202",?5?6?8?3?')
  local plain = b.ncdpopen("180.101.147.115")
  lu.assertStrContains(plain, 'AT+NCDPOPEN="180.101.147.115"')
  lu.assertStrContains(b.ncdpopen("1.2.3.4", 5684, "0011AABB"), "0011AABB")
  raises("bad argument #1 to 'ncdpopen' (host", b.ncdpopen, "1.2.3.4\r\nAT+QRST=1")
  raises("bad argument #1 to 'ncdpopen'", b.ncdpopen, "1.2.3.4\n")
  raises("bad argument #1 to 'ncdpopen'", b.ncdpopen, '1.2.3.4",1;AT')
  raises("bad argument #1 to 'ncdpopen'", b.ncdpopen, "1.2.3.4;AT")
  -- Argument checks done by the binding itself name the function from the call site.
  raises("bad argument #1 to 'ncdpopen' (host contains a NUL", function() b.ncdpopen("1.2.3.4\0\r\nAT") end)
  raises("bad argument #1 to 'ncdpopen'", b.ncdpopen, "")
  raises("bad argument #2 to 'ncdpopen'", b.ncdpopen, "1.2.3.4", 70000)
  raises("bad argument #2 to 'ncdpopen'", b.ncdpopen, "1.2.3.4", -1)
  raises("bad argument #2 to 'ncdpopen' (number expected", function() b.ncdpopen("1.2.3.4", "5683x") end)
  raises("bad argument #3 to 'ncdpopen'", b.ncdpopen, "1.2.3.4", 5684, "XYZ")
  raises("bad argument #3 to 'ncdpopen'", b.ncdpopen, "1.2.3.4", 5684, "AB\r\n")
  raises("bad argument #3 to 'ncdpopen'", b.ncdpopen, "1.2.3.4", 5684, string.rep("AA", 257))
  raises("string expected", b.ncdpopen, 1234)
end

function TestBuild.test_nmgs()
  local b = core.build
  lu.assertStrMatches(b.nmgs("\1\5HELLO", 0), "AT%+NMGS=7,010548454C4C4F,?0?")
  lu.assertEquals(b.nmgs("\r\n", 100), "AT+NMGS=2,0D0A,100") -- CR/LF data travels as hex
  lu.assertStrContains(b.nmgs(string.rep("\0", 1024), 102), "AT+NMGS=1024,")
  raises("bad argument #1 to 'nmgs'", b.nmgs, "", 0)
  raises("bad argument #1 to 'nmgs'", b.nmgs, string.rep("x", 1025), 0)
  raises("bad argument #2 to 'nmgs'", b.nmgs, "x", 3)
  raises("bad argument #2 to 'nmgs'", b.nmgs, "x", 103)
  raises("number expected", b.nmgs, "x", "con")
  raises("string expected", b.nmgs, 12, 0)
  raises("string expected", b.nmgs, nil, 0)
end

function TestBuild.test_ncfg_nnmi_qsclk()
  local b = core.build
  lu.assertEquals(b.ncfg(86400), "AT+NCFG=0,86400")
  lu.assertEquals(b.ncfg(2592000), "AT+NCFG=0,2592000")
  raises("bad argument #1 to 'ncfg'", b.ncfg, 2592001)
  raises("bad argument #1 to 'ncfg'", b.ncfg, -1)
  raises("number has no integer representation", b.ncfg, 1.5)
  lu.assertEquals(b.nnmi(1), "AT+NNMI=1")
  raises("bad argument #1 to 'nnmi'", b.nnmi, 3)
  raises("bad argument #1 to 'nnmi' (out of range)", function() b.nnmi(1 << 40) end)
  lu.assertEquals(b.qsclk(0), "AT+QSCLK=0")
  raises("bad argument #1 to 'qsclk'", b.qsclk, -1)
  raises("number expected", b.qsclk, "0\r\nAT+QRST=1")
end

function TestBuild.test_built_commands_go_through_the_engine()
  local e = core.engine()
  send(e, core.build.nmgs(string.rep("\255", 1024), 100), { tag = 1 })
  local evs = e:feed("\r\nOK\r\n", 0.1)
  lu.assertEquals(evs[1].result, "ok")
end

-- close = true: the state is closed, so every __gc runs and valgrind sees real leaks only.
os.exit(lu.LuaUnit.run(), true)
