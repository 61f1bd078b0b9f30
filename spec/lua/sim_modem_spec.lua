-- sim_modem_spec: the virtual module and platform driven through the library's Modem API
-- (bc260y.open("sim")): a full session, and every fault of bc260y.sim.faults with the
-- outcome the Modem must give (an error code, an event, recovery), never a hang or crash.
local lu = require("luaunit")
local bc260y = require("bc260y")

local SPEED = 50

-- Runs fn(m, s) in a task with a fresh virtual module; returns fn's results.
local function with_modem(simopts, fn)
  simopts = simopts or {}
  if simopts.qsclk == nil then simopts.qsclk = 0 end
  return bc260y.run(function()
    local m = assert(bc260y.open("sim", {speed = SPEED, sim = simopts}))
    local s = m.sim
    local results = table.pack(pcall(fn, m, s))
    m:close({deregister = false})
    if not results[1] then error(results[2], 0) end
    return table.unpack(results, 2, results.n)
  end)
end

local function connected(m)
  assert(m:init())
  assert(m:connect{host = "221.229.214.202", port = 5683})
end

TestModemSession = {}

function TestModemSession:test_init_connect_send_receive()
  with_modem({}, function(m, s)
    local info = assert(m:init())
    lu.assertEquals(info.imei, s.imei)
    lu.assertEquals(info.revision, "BC260YCNAAR02A02")
    lu.assertEquals(info.ip, "10.46.118.23")
    assert(m:connect{host = "221.229.214.202", port = 5683})
    lu.assertEquals(m:status(), "REGISTERED_AND_OBSERVED")
    assert(m:send("\1\5HELLO", {con = true, rai = 2}))
    local ups = s.platform:uplinks()
    lu.assertEquals(#ups, 1)
    lu.assertEquals({ups[1].data, ups[1].con, ups[1].rai}, {"\1\5HELLO", true, 2})
    s.platform:queue_downlink("\170\187")
    lu.assertEquals(m:receive{timeout = 2}, "\170\187")
  end)
end

function TestModemSession:test_rejected_and_unknown_imei()
  with_modem({register = false}, function(m)
    assert(m:init())
    local ok, _, code = m:connect{host = "1.2.3.4"}
    lu.assertNil(ok)
    lu.assertEquals(code, "rejected")
  end)
end

function TestModemSession:test_con_without_acknowledgement()
  with_modem({}, function(m, s)
    connected(m)
    s.platform:set_con_ack(false)
    local ok, _, code = m:send("\1", {con = true})
    lu.assertNil(ok)
    lu.assertEquals(code, "error") -- +QLWEVTIND: 5 after ~93 module seconds
  end)
end

function TestModemSession:test_module_time_waits_follow_the_time_scale()
  -- A registration that times out on the platform: the module reports +QLWEVTIND: 1
  -- after its own 126 s, which at speed 50 is 2.5 s, not two minutes.
  with_modem({}, function(m, s)
    assert(m:init())
    s.platform:set_registration("timeout")
    -- Checked on the module's clock, not the wall's: a loaded host makes every real
    -- duration longer, but a wait in module seconds ends by the module's clock.
    local t0 = s.clock:now()
    local ok, msg, code = m:connect{host = "221.229.214.202", port = 5683, timeout = 200}
    lu.assertNil(ok)
    lu.assertEquals(code, "timeout") -- AT+NMSTATUS? says TIMEOUT, not REJECTED_BY_SERVER
    lu.assertStrContains(msg, "(TIMEOUT)")
    lu.assertTrue(s.clock:now() - t0 >= 126, "module seconds " .. (s.clock:now() - t0))
    -- receive's timeout is module time too: it ends once 30 module seconds have passed
    -- (0.6 s at speed 50), not 30 real ones.
    t0 = s.clock:now()
    local real0 = bc260y.now()
    local data, _, rcode = m:receive{timeout = 30}
    lu.assertNil(data)
    lu.assertEquals(rcode, "timeout")
    lu.assertTrue(s.clock:now() - t0 >= 30 * 0.99, "module seconds " .. (s.clock:now() - t0))
    lu.assertTrue(bc260y.now() - real0 < 30, "waited 30 real seconds, not module ones")
  end)
end

-- connect's default wait outlasts the module's own 126 s: the module's verdict (TIMEOUT,
-- with its remedy) is what the user sees, not a bare "no registration result" that an
-- immediate retry would turn into +CME ERROR: 955.
function TestModemSession:test_connect_waits_for_the_modules_own_verdict()
  with_modem({}, function(m, s)
    assert(m:init())
    s.platform:set_registration("timeout")
    local ok, msg, code = m:connect{host = "221.229.214.202", port = 5683}
    lu.assertNil(ok)
    lu.assertEquals(code, "timeout")
    lu.assertStrContains(msg, "(TIMEOUT)")
  end)
end

-- send's refusal says what is true: before any session, connect first (the power-on
-- banner is no reason); after a session the module's reboot ended, the reboot.
function TestModemSession:test_send_says_why_it_cannot_send()
  with_modem({}, function(m, s)
    local ok, msg, code = m:send("x")
    lu.assertNil(ok)
    lu.assertEquals(code, "state")
    lu.assertStrContains(msg, "connect first")
    connected(m)
    s:power_cycle()
    m:wait_for(function() return m:state().rebooted end, 30)
    ok, msg, code = m:send("x")
    lu.assertNil(ok)
    lu.assertEquals(code, "state")
    lu.assertStrContains(msg, "the module rebooted")
  end)
end

TestModemFaults = {}

function TestModemFaults:test_garbage_is_an_unknown_line_and_the_module_still_answers()
  with_modem({}, function(m, s)
    assert(m:init())
    local seen = {}
    m:on("unknown", function(line) seen[#seen + 1] = line end)
    s.faults:garbage("\r\n#@!garbage\r\n")
    bc260y.sleep(0.05)
    lu.assertEquals(seen, {"#@!garbage"})
    lu.assertEquals(m:at("AT+CGMR").lines, {"Revision: BC260YCNAAR02A02"})
  end)
end

function TestModemFaults:test_split_writes_give_whole_answers()
  with_modem({}, function(m, s)
    assert(m:init())
    s.faults:split_writes(true, 0.0005)
    local r = assert(m:at("ATI", {timeout = 5}))
    lu.assertEquals(r.lines, {"Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: BC260YCNAAR02A02"})
  end)
end

function TestModemFaults:test_urc_inside_a_response_is_not_part_of_it()
  with_modem({}, function(m, s)
    assert(m:init())
    local urcs = {}
    m:on("urc", function(line) urcs[#urcs + 1] = line end)
    s.faults:urc_inside_next_response("+QLWEVTIND: 2")
    local r = assert(m:at("AT+CGSN=1"))
    lu.assertEquals(r.lines, {"+CGSN: " .. s.imei})
    bc260y.sleep(0.01)
    lu.assertEquals(urcs, {"+QLWEVTIND: 2"})
  end)
end

function TestModemFaults:test_reboot_in_the_middle_of_a_command()
  with_modem({}, function(m, s)
    assert(m:init())
    local reboots = 0
    m:on("reboot", function() reboots = reboots + 1 end)
    s.faults:reboot_during_next_command()
    local ok, _, code = m:at("AT+CSQ", {timeout = 2})
    lu.assertNil(ok)
    lu.assertEquals(code, "reboot")
    bc260y.sleep(0.05)
    lu.assertEquals(reboots, 1)
    assert(m:init()) -- echo is back on after the reboot: init copes
    lu.assertEquals(m:at("AT+CSQ").lines, {"+CSQ: 25,0"})
  end)
end

function TestModemFaults:test_silence_times_out_then_recovers()
  with_modem({}, function(m, s)
    assert(m:init())
    s.faults:silence()
    local ok, _, code = m:at("AT", {timeout = 0.3})
    lu.assertNil(ok)
    lu.assertEquals(code, "timeout")
    s.faults:silence(0)
    bc260y.sleep(0.05)
    assert(m:at("AT", {timeout = 1}))
  end)
end

function TestModemFaults:test_hangup_fails_calls_with_closed_or_io()
  with_modem({}, function(m, s)
    assert(m:init())
    s.faults:hangup()
    bc260y.sleep(0.05)
    local ok, _, code = m:at("AT", {timeout = 1})
    lu.assertNil(ok)
    lu.assertTrue(code == "closed" or code == "io", tostring(code))
  end)
end

function TestModemFaults:test_noise_never_breaks_the_modem()
  with_modem({seed = 42}, function(m, s)
    assert(m:init())
    s.faults:noise(0.02)
    local good, failed = 0, 0
    for _ = 1, 30 do
      local r, _, code = m:at("AT+CGMR", {timeout = 0.3})
      if r and r.lines[1] == "Revision: BC260YCNAAR02A02" then
        good = good + 1
      else
        failed = failed + 1
        lu.assertTrue(r ~= nil or type(code) == "string")
      end
    end
    lu.assertTrue(good > 0, "no answer got through 2% noise")
    s.faults:clear()
    assert(m:init())
  end)
end

function TestModemFaults:test_deep_sleep_loses_bytes_and_the_modem_wakes_it()
  with_modem({qsclk = 1}, function(m)
    connected(m)
    local slept = false
    m:on("deepsleep", function() slept = true end)
    bc260y.sleep(2) -- 80 module seconds of quiet: RRC released, then T3324: deep sleep
    lu.assertTrue(slept)
    local st, msg = m:status()
    lu.assertEquals(st, "REGISTERED_AND_OBSERVED", msg)
  end)
end

function TestModemFaults:test_data_refused_during_dfota()
  with_modem({}, function(m, s)
    connected(m)
    s.platform:create_fota_job{size = 20480, trigger = "uplink"}
    assert(m:send("\1"))
    local started = false
    m:on("fota", function(stage) if stage == "download_start" then started = true end end)
    bc260y.sleep(0.1)
    lu.assertTrue(started)
    local ok, _, code = m:send("\2")
    lu.assertNil(ok)
    lu.assertTrue(code == "busy" or code == "cme", tostring(code))
  end)
end

-- open("sim") owns its virtual module: closing the Modem, or dropping it and letting the
-- collector have it, releases the module's pty, the descriptors and its timers.
TestModemRelease = {}

-- The descriptors this process has open: /proc/self/fdinfo/N exists exactly while N is
-- open. (Not by listing /proc/PID/fd from a child: popen's child may list its own pipe's
-- other end before the parent has closed it.)
local function open_fds()
  local n = 0
  for fd = 0, 4095 do
    local f = io.open("/proc/self/fdinfo/" .. fd)
    if f then
      n = n + 1
      f:close()
    end
  end
  return n
end

-- A full collection, then two steps of the loop: a Modem's finalizer hands its release to
-- the loop, which runs it at the start of its next step (the first sleep(0) may resume in
-- the step that was running when the collector ran).
local function collect()
  collectgarbage()
  collectgarbage()
  bc260y.sleep(0)
  bc260y.sleep(0)
end

function TestModemRelease:test_closed_and_dropped_virtual_modules_are_released()
  local loop = require("bc260y.loop")
  bc260y.run(function()
    collect()
    local fds, timers = open_fds(), loop.timers_held()
    for _ = 1, 1000 do assert(bc260y.open("sim", {speed = SPEED})):close() end
    lu.assertEquals(open_fds(), fds)
    local held = {}
    for i = 1, 100 do held[i] = assert(bc260y.open("sim", {speed = SPEED})) end
    lu.assertTrue(open_fds() > fds + 100, "the modules are open")
    held = nil -- dropped, none closed
    collect()
    lu.assertEquals(open_fds(), fds)
    lu.assertTrue(loop.timers_held() <= timers, "timers held: " .. loop.timers_held())
  end)
end

os.exit(lu.LuaUnit.run(), true)
