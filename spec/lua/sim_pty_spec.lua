-- sim_pty_spec: the virtual module as a host sees it, through the kernel: the pty, the
-- guide's four sessions replayed line by line, every fault of bc260y.sim.faults as raw
-- bytes on the wire, the time scale, close/hang-up, and `bc260y sim` as a process.
local lu = require("luaunit")
local core = require("bc260y.core")
local helpers = require("helpers")
local loop = require("bc260y.loop")
local sim = require("bc260y.sim")
local transcript = require("bc260y.sim.transcript")

local SRC = os.getenv("BC260Y_SOURCE_DIR") or "."

-- A raw host on the pty: plain writes and reads, the loop stepped meanwhile (the module
-- lives in this process).
local function host(s)
  local port = assert(core.open_port(s.path))
  local h = {port = port, buf = "", reads = 0}
  function h.pump(dt)
    loop.step(dt or 0.002)
    while true do
      local data, msg, code = port:read()
      if data == nil then h.closed = code or msg; return end
      if data == "" then return end
      h.reads = h.reads + 1
      h.buf = h.buf .. data
    end
  end
  function h.write(bytes)
    local off = 1
    local deadline = core.now() + 2
    while off <= #bytes do
      local n = assert(port:write(bytes:sub(off)))
      off = off + n
      if core.now() > deadline then error("host: write timed out") end
      if off <= #bytes then h.pump() end
    end
  end
  function h.send(line) h.write(line .. "\r") end
  -- The next non-empty line, or nil after timeout real seconds.
  function h.line(timeout)
    local deadline = core.now() + (timeout or 2)
    while true do
      local l, term, rest = h.buf:match("^[\r\n]*([^\r\n]+)([\r\n])(.*)$")
      if l then
        if term == "\r" and rest:sub(1, 1) == "\n" then rest = rest:sub(2) end
        h.buf = rest
        return l
      end
      if h.closed or core.now() > deadline then return nil end
      h.pump()
    end
  end
  -- Every line that arrives within dt real seconds.
  function h.lines(dt)
    local t, deadline = {}, core.now() + dt
    while core.now() < deadline do
      local l = h.line(deadline - core.now())
      if l then t[#t + 1] = l end
    end
    return t
  end
  -- Raw bytes within dt real seconds.
  function h.raw(dt)
    local deadline = core.now() + dt
    while core.now() < deadline do h.pump() end
    local b = h.buf
    h.buf = ""
    return b
  end
  -- A command and its answer: lines up to and including the final result.
  function h.cmd(line, timeout)
    h.send(line)
    local t = {}
    while true do
      local l = h.line(timeout or 2)
      if not l then return t end
      t[#t + 1] = l
      if l == "OK" or l == "ERROR" or l:match("^%+CME ERROR") then return t end
    end
  end
  function h.until_line(want, timeout)
    local deadline = core.now() + (timeout or 2)
    local seen = {}
    while core.now() < deadline do
      local l = h.line(deadline - core.now())
      if l then
        seen[#seen + 1] = l
        if l == want then return seen end
      end
    end
    error(("host: %q did not come; got %s"):format(want, table.concat(seen, " | ")), 2)
  end
  function h.close() port:close() end
  return h
end

-- A sim, a host, the banner read and echo off.
local function booted(opts)
  opts = opts or {}
  if opts.speed == nil then opts.speed = 50 end
  -- Deep sleep (the module's default) only where a test wants it: at speed 50 it comes
  -- 0.8 s after the last traffic, which a loaded machine can reach in any test.
  if opts.qsclk == nil then opts.qsclk = 0 end
  local s = sim.new(opts)
  local h = host(s)
  h.until_line("+IP: 10.46.118.23", 2)
  lu.assertEquals(h.cmd("ATE0"), {"ATE0", "OK"})
  return s, h
end

local function cleanup(s, h)
  if h then h.close() end
  if s then s:close() end
end

TestPty = {}

function TestPty:test_banner_echo_and_answers_through_the_kernel()
  local s = sim.new{speed = 50}
  local h = host(s)
  lu.assertStrMatches(s.path, "/dev/pts/%d+")
  lu.assertEquals(h.lines(0.2), {"RDY", "+CFUN: 1", "+CPIN: READY", "+IP: 10.46.118.23"})
  h.send("AT")
  lu.assertEquals(h.raw(0.05), "AT\r\r\nOK\r\n")
  lu.assertEquals(h.cmd("ATI"), {"ATI", "Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: BC260YCNAAR02A02", "OK"})
  lu.assertEquals(h.cmd("AT+CGSN=1"), {"AT+CGSN=1", "+CGSN: " .. s.imei, "OK"})
  cleanup(s, h)
end

function TestPty:test_options_are_checked()
  lu.assertErrorMsgContains("speed", sim.new, {speed = 0})
  lu.assertErrorMsgContains("speed", sim.new, {speed = "fast"})
  lu.assertErrorMsgContains("15 digits", sim.new, {imei = "12345"})
  lu.assertErrorMsgContains("timing", sim.new, {timings = {bogus = 1}})
end

function TestPty:test_echo_option_and_platform_sharing()
  local platform = sim.Platform.new{}
  local s = sim.new{speed = 50, echo = false, platform = platform, qsclk = 0}
  local h = host(s)
  h.until_line("+IP: 10.46.118.23")
  lu.assertEquals(h.cmd("AT"), {"OK"}) -- no echo, as asked
  lu.assertNotNil(platform:device(s.imei))
  cleanup(s, h)
end

function TestPty:test_host_may_close_and_reopen_the_port()
  local s, h = booted()
  h.close()
  local h2 = host(s)
  lu.assertEquals(h2.cmd("AT+CGMM"), {"BC260Y-CN", "OK"})
  cleanup(s, h2)
end

function TestPty:test_close_is_seen_as_closed_and_is_idempotent()
  local s, h = booted()
  s:close()
  s:close()
  h.lines(0.05)
  lu.assertEquals(h.closed, "closed")
  lu.assertStrContains(tostring(s), "closed")
  h.close()
end

TestTimeScale = {}

function TestTimeScale:test_126_second_timeout_in_well_under_a_second()
  local s, h = booted{speed = 1000}
  s.platform:set_registration("timeout")
  -- The module's clock, not the wall's, says whether the 126 s were waited; real time only
  -- has to be far below them (1000 times at this speed: no loaded host comes near).
  local t0, module0 = core.now(), s.clock:now()
  lu.assertEquals(h.cmd('AT+NCDPOPEN="1.2.3.4"'), {"OK"})
  h.until_line("+QLWEVTIND: 1", 2)
  lu.assertTrue(s.clock:now() - module0 >= 126, "the 126 s were not waited")
  lu.assertTrue(core.now() - t0 < 126, "126 real seconds, not module ones")
  cleanup(s, h)
end

function TestTimeScale:test_three_minute_dfota_in_under_a_second()
  local s, h = booted{speed = 400, qsclk = 0}
  -- 60 blocks of 512 bytes at 1 s + update ~15 s + reboot: about 3 module minutes
  local job = s.platform:create_fota_job{size = 60 * 512 * 2, trigger = "register"}
  local t0 = core.now()
  h.cmd('AT+NCDPOPEN="221.229.214.202",5683')
  h.until_line('+QIND: "FOTA","END",0', 2)
  h.until_line("+IP: 10.46.118.23", 1)
  lu.assertTrue(s.clock:now() > 150, "module time " .. s.clock:now())
  lu.assertTrue(core.now() - t0 < 150, "the update ran in real seconds, not module ones")
  lu.assertEquals(job.state, "rebooting")
  cleanup(s, h)
end

function TestTimeScale:test_speed_can_change_while_running()
  local s, h = booted{speed = 50}
  s:set_speed(1000)
  s.platform:set_registration("timeout")
  h.cmd('AT+NCDPOPEN="1.2.3.4"')
  h.until_line("+QLWEVTIND: 1", 1)
  cleanup(s, h)
end

TestTranscriptsPty = {}

local function replay(name, s, h)
  local steps = assert(transcript.load(SRC .. "/spec/transcripts/" .. name))
  local ok, err = transcript.replay(steps, {send = h.send, recv = h.line}, {
    timeout = 3,
    before_expect = function(text)
      if text:find("EXIT DEEPSLEEP", 1, true) then s:wake() end
    end,
  })
  lu.assertTrue(ok, err)
end

-- Speed 60: the host's time between lines (milliseconds, but up to a few hundred under
-- valgrind on a loaded machine) stays below the module's shortest relevant timer (RRC
-- inactivity, 20 s = 0.33 s real; at 150 it was 0.13 s and valgrind runs lost the race).
local TSPEED = 60

function TestTranscriptsPty:test_4_1_2_iot_platform()
  local s, h = booted{speed = TSPEED}
  s.platform:set_auto_reply(true)
  replay("4_1_2_iot.txt", s, h)
  lu.assertEquals(#s.platform:uplinks(), 2)
  cleanup(s, h)
end

function TestTranscriptsPty:test_4_2_2_aep()
  local s = sim.new{speed = TSPEED}
  local h = host(s)
  replay("4_2_2_aep.txt", s, h)
  local ups = s.platform:uplinks()
  lu.assertEquals({ups[1].con, ups[1].rai, ups[2].con, ups[2].rai}, {false, 1, true, 2})
  lu.assertEquals(ups[2].data, "\1\5HELLO")
  cleanup(s, h)
end

function TestTranscriptsPty:test_5_2_5_dfota_aep()
  local s, h = booted{speed = TSPEED}
  local job = s.platform:create_fota_job{size = 1536, trigger = "register"}
  s:power_cycle()
  replay("5_2_5_dfota_aep.txt", s, h)
  lu.assertEquals(job.state, "succeeded")
  cleanup(s, h)
end

function TestTranscriptsPty:test_5_1_6_2_dfota_iot()
  local s, h = booted{qsclk = 0, speed = TSPEED}
  local job = s.platform:create_fota_job{size = 1536, trigger = "uplink"}
  h.cmd('AT+NCDPOPEN="180.101.147.115",5683')
  h.until_line("+QLWEVTIND: 3")
  lu.assertEquals(h.cmd("AT+NMGS=5,00454c4c4f"), {"OK"})
  h.until_line("+QLWEVTIND: 8")
  h.until_line('+QIND: "FOTA","DOWNLOAD START"')
  replay("5_1_6_2_dfota_iot.txt", s, h)
  lu.assertEquals(job.state, "succeeded")
  cleanup(s, h)
end

TestFaultsPty = {}

function TestFaultsPty:test_garbage_bytes_reach_the_host()
  local s, h = booted()
  s.faults:garbage("\0\255junk\r\n")
  lu.assertEquals(h.raw(0.05), "\0\255junk\r\n")
  s.faults:garbage()
  lu.assertEquals(#h.raw(0.05), 16)
  lu.assertEquals(h.cmd("AT"), {"OK"}) -- and the module still works
  lu.assertErrorMsgContains("bytes", s.faults.garbage, s.faults, "")
  cleanup(s, h)
end

function TestFaultsPty:test_split_writes_arrive_byte_by_byte()
  local s, h = booted()
  s.faults:split_writes(true, 0.005)
  h.reads = 0
  lu.assertEquals(h.cmd("AT+CGMR"), {"Revision: BC260YCNAAR02A02", "OK"})
  -- "\r\nRevision: BC260YCNAAR02A02\r\n\r\nOK\r\n" is 36 bytes written one by one,
  -- 5 ms apart; a loaded machine may still let a few pile up between two reads.
  lu.assertTrue(h.reads >= 18, "reads: " .. h.reads)
  s.faults:split_writes(false)
  h.reads = 0
  lu.assertEquals(h.cmd("AT+CGMR"), {"Revision: BC260YCNAAR02A02", "OK"})
  lu.assertTrue(h.reads <= 3, "reads: " .. h.reads)
  cleanup(s, h)
end

function TestFaultsPty:test_urc_inside_a_response()
  local s, h = booted()
  s.faults:urc_inside_next_response('+QIND: "FOTA","DOWNLOADING",512')
  lu.assertEquals(h.cmd("ATI"), {"Quectel_Ltd", '+QIND: "FOTA","DOWNLOADING",512',
                                 "Quectel_BC260Y-CN", "Revision: BC260YCNAAR02A02", "OK"})
  lu.assertErrorMsgContains("one line", s.faults.urc_inside_next_response, s.faults, "a\r\nb")
  cleanup(s, h)
end

function TestFaultsPty:test_reboot_in_the_middle_of_a_command()
  local s, h = booted()
  s.faults:reboot_during_next_command()
  h.send("AT+CSQ")
  lu.assertEquals(h.lines(0.2), {"RDY", "+CFUN: 1", "+CPIN: READY", "+IP: 10.46.118.23"})
  lu.assertEquals(h.cmd("AT"), {"AT", "OK"}) -- echo back on after the reboot
  cleanup(s, h)
end

function TestFaultsPty:test_silence_then_recovery()
  local s, h = booted()
  s.faults:silence(10) -- module seconds: 0.2 s at speed 50
  h.send("AT")
  lu.assertEquals(h.lines(0.1), {})
  h.lines(0.15)
  lu.assertEquals(h.cmd("AT"), {"OK"})
  s.faults:silence()
  h.send("AT")
  lu.assertEquals(h.lines(0.3), {})
  s.faults:silence(0)
  lu.assertEquals(h.cmd("AT"), {"OK"})
  cleanup(s, h)
end

function TestFaultsPty:test_urcs_are_held_during_silence()
  local s, h = booted()
  h.cmd('AT+NCDPOPEN="1.2.3.4"')
  s.faults:silence(20) -- 0.4 s real: the registration (1.5 s module) falls inside
  lu.assertEquals(h.lines(0.1), {})
  lu.assertEquals(h.lines(0.6), {"+QLWEVTIND: 0", "+QLWEVTIND: 3"})
  cleanup(s, h)
end

function TestFaultsPty:test_hangup()
  local s, h = booted()
  s.faults:hangup()
  h.lines(0.05)
  lu.assertEquals(h.closed, "closed")
  local n, _, code = h.port:write("AT\r")
  lu.assertTrue(n == nil or n == 0 or code == "closed")
  h.close()
end

function TestFaultsPty:test_noise_corrupts_at_the_given_rate()
  local s, h = booted{seed = 7}
  s.faults:noise(1, "out") -- every byte
  h.send("AT+CGMR")
  local got = h.raw(0.1)
  lu.assertEquals(#got, #"\r\nRevision: BC260YCNAAR02A02\r\n\r\nOK\r\n") -- echo off
  lu.assertNotStrContains(got, "Revision")
  s.faults:noise(0.01, "out")
  local bad, total = 0, 0
  for _ = 1, 20 do
    h.send("AT+CGMR")
    local r = h.raw(0.03)
    local want = "\r\nRevision: BC260YCNAAR02A02\r\n\r\nOK\r\n"
    total = total + #want
    for i = 1, math.min(#r, #want) do
      if r:byte(i) ~= want:byte(i) then bad = bad + 1 end
    end
  end
  lu.assertTrue(bad >= 1 and bad <= total * 0.05, ("%d of %d bytes corrupted"):format(bad, total))
  s.faults:noise(1, "in")
  h.send("AT+CGMR")
  lu.assertNotStrContains(h.raw(0.05), "Revision")
  s.faults:clear()
  -- The corrupted CR left a partial line in the module: a bare CR ends it, as a host
  -- resynchronising would send.
  h.send("")
  lu.assertEquals(h.cmd("AT+CGMR"), {"Revision: BC260YCNAAR02A02", "OK"})
  lu.assertErrorMsgContains("probability", s.faults.noise, s.faults, 2)
  cleanup(s, h)
end

function TestFaultsPty:test_deep_sleep_loses_the_first_bytes()
  local s, h = booted{qsclk = 1, speed = 200}
  h.cmd('AT+NCDPOPEN="1.2.3.4"')
  h.until_line("+QLWEVTIND: 3")
  h.until_line('+QNBIOTEVENT: "ENTER DEEPSLEEP"', 4)
  h.send("AT+CGMR")
  lu.assertEquals(h.lines(0.1), {'+QNBIOTEVENT: "EXIT DEEPSLEEP"', "+QLWEVTIND: 6"})
  lu.assertEquals(h.cmd("AT+QSCLK=0"), {"OK"})
  cleanup(s, h)
end

function TestFaultsPty:test_resume_failure_and_power_loss()
  local s, h = booted{qsclk = 1, speed = 200}
  h.cmd('AT+NCDPOPEN="1.2.3.4"')
  h.until_line('+QNBIOTEVENT: "ENTER DEEPSLEEP"', 4)
  s.faults:resume_failure()
  s:wake()
  lu.assertEquals(h.lines(0.05), {'+QNBIOTEVENT: "EXIT DEEPSLEEP"', "+QLWEVTIND: 7"})
  s.faults:power_loss()
  lu.assertEquals(h.lines(0.1), {"RDY", "+CFUN: 1", "+CPIN: READY", "+IP: 10.46.118.23"})
  cleanup(s, h)
end

TestCli = {}

-- `bc260y sim` as its own process: serve an AT session, then end cleanly on a signal.
local function serve_then_stop(signal)
  local cmd = [[sh -c 'echo $$; exec lua5.4 -e "os.exit(require(\"bc260y.sim.cli\").main({\"--speed\", \"20\", \"--imei\", \"861234567890124\"}))"' 2>&1; echo "status $?"]]
  local p = assert(io.popen(cmd, "r"))
  local pid = p:read("l")
  local path = p:read("l")
  lu.assertStrMatches(path, "/dev/pts/%d+")
  local port = assert(core.open_port(path))
  local got = helpers.read_until(port, "", "+IP:", 3)
  assert(port:write("AT+CGSN=1\r"))
  got = helpers.read_until(port, got, "OK\r\n", 2)
  lu.assertStrContains(got, "+CGSN: 861234567890124")
  port:close()
  os.execute("kill -" .. signal .. " " .. pid)
  local rest = p:read("a")
  p:close()
  lu.assertStrContains(rest, "status 0")
end

function TestCli:test_bc260y_sim_process_serves_and_stops_on_sigint()
  serve_then_stop("INT")
end

function TestCli:test_bc260y_sim_process_serves_and_stops_on_sigterm()
  serve_then_stop("TERM")
end

function TestCli:test_script_drives_the_platform()
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write('local s = ...\n s.platform:set_auto_reply(true)\n')
  f:close()
  local cmd = ([[sh -c 'echo $$; exec lua5.4 -e "os.exit(require(\"bc260y.sim.cli\").main({\"--speed\", \"50\", \"--script\", \"%s\"}))"' 2>&1]]):format(script)
  local p = assert(io.popen(cmd, "r"))
  local pid = p:read("l")
  local path = p:read("l")
  local port = assert(core.open_port(path))
  local got = ""
  local function wait_for(text, t)
    local found
    got, found = helpers.read_until(port, got, text, t)
    return found
  end
  lu.assertTrue(wait_for("+IP:", 3))
  assert(port:write('AT+NCDPOPEN="1.2.3.4"\r'))
  lu.assertTrue(wait_for("+QLWEVTIND: 3", 3))
  assert(port:write("AT+NMGS=1,01\r"))
  lu.assertTrue(wait_for("+NNMI: 4,AAAA0000", 3), got)
  port:close()
  os.execute("kill -INT " .. pid)
  p:read("a")
  p:close()
  os.remove(script)
end

function TestCli:test_bad_options()
  local cli = require("bc260y.sim.cli")
  local buf = {}
  local sink = {write = function(_, ...) for _, v in ipairs({...}) do buf[#buf + 1] = v end end,
                flush = function() end}
  lu.assertEquals(cli.main({"--speed", "-1"}, sink, sink), 2)
  lu.assertStrContains(table.concat(buf), "--speed")
  lu.assertEquals(cli.main({"--frobnicate"}, sink, sink), 2)
  lu.assertEquals(cli.main({"--help"}, sink, sink), 0)
  lu.assertStrContains(table.concat(buf), "usage: bc260y sim")
end

os.exit(lu.LuaUnit.run(), true)
