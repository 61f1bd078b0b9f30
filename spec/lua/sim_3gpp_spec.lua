-- sim_3gpp_spec: the virtual module's everyday 3GPP TS 27.007 commands (bc260y.sim.
-- commands_3gpp): each answer line in 27.007 form, and the values following the module's
-- state: attach and detach (CFUN, CGATT), registration reports (CEREG n=0..5), deep sleep
-- (CPSMS), a reboot (volatile settings reset, NVRAM ones kept). Driven directly on a
-- virtual clock (sim_rig); the last case goes through the pty and the library's engine,
-- which must take each query's answer as the answer and each URC as a URC.
local lu = require("luaunit")
local bc260y = require("bc260y")
local module = require("bc260y.sim.module")
local c3gpp = require("bc260y.sim.commands_3gpp")
local faults = require("bc260y.sim.faults")
local sim_rig = require("sim_rig")
local rig, ready, registered = sim_rig.rig, sim_rig.ready, sim_rig.registered

-- The default timings (60 s to deep sleep, a TAU each hour) as 27.007 timer strings:
-- 30 x 2 s and 6 x 10 min.
local ACTIVE, TAU = "00011110", "00000110"
local CELL = '"5A0F","0C2B3A67",9'

TestIdentity = {}

function TestIdentity:test_imsi_iccid_and_imei_forms()
  local r = ready()
  local imei = r.m.imei
  local imsi = r.cmd("AT+CIMI")
  lu.assertEquals(imsi, {"46011" .. imei:sub(5, 14), "OK"}) -- bare line, China Telecom
  local iccid = r.cmd("AT+QCCID")[1]:match("^%+QCCID: (%d+)$")
  lu.assertEquals(#iccid, 20)
  lu.assertEquals(iccid:sub(1, 6), "898611")
  lu.assertEquals(module.luhn_digit(iccid:sub(1, 19)), iccid:sub(20))
  lu.assertEquals(r.cmd("AT+CGSN=1"), {"+CGSN: " .. imei, "OK"})
  lu.assertEquals(r.cmd("AT+CGSN=2"), {"+CGSN: " .. imei:sub(1, 14) .. "01", "OK"})
  lu.assertEquals(r.cmd("AT+CIMI=?"), {"OK"})
  lu.assertEquals(r.cmd("AT+QCCID=?"), {"OK"})
  lu.assertEquals(r.cmd("AT+CIMI?"), {"ERROR"}) -- a form the command does not have
end

function TestIdentity:test_configured_identities_and_bad_ones()
  local r = ready{imsi = "460111234567890", iccid = "89861118123456789012"}
  lu.assertEquals(r.cmd("AT+CIMI"), {"460111234567890", "OK"})
  lu.assertEquals(r.cmd("AT+QCCID"), {"+QCCID: 89861118123456789012", "OK"})
  local base = {clock = r.c, platform = r.p, out = print}
  local function with(k, v)
    local o = {}
    for a, b in pairs(base) do o[a] = b end
    o[k] = v
    return o
  end
  lu.assertErrorMsgContains("imsi must be 15 digits", module.new, with("imsi", "46011"))
  lu.assertErrorMsgContains("iccid must be 19 or 20", module.new, with("iccid", "8986x"))
  lu.assertErrorMsgContains("tz must be", module.new, with("tz", 97))
  lu.assertErrorMsgContains("utc must be", module.new, with("utc", "now"))
end

TestSignal = {}

function TestSignal:test_csq_and_cesq_follow_attach()
  local r = ready{rssi = 25}
  lu.assertEquals(r.cmd("AT+CSQ"), {"+CSQ: 25,0", "OK"})
  -- -63 dBm RSSI; the NB-IoT cell's RSRP 11 dB less: -74 dBm = index 67; RSRQ -10 dB: 20
  lu.assertEquals(r.cmd("AT+CESQ"), {"+CESQ: 99,99,255,255,20,67", "OK"})
  lu.assertEquals(r.cmd("AT+CFUN=0"), {"OK"})
  lu.assertEquals(r.cmd("AT+CSQ"), {"+CSQ: 99,99", "OK"})
  lu.assertEquals(r.cmd("AT+CESQ"), {"+CESQ: 99,99,255,255,255,255", "OK"})
  lu.assertEquals(r.cmd("AT+CESQ=?"),
    {"+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)", "OK"})
end

TestRegistration = {}

function TestRegistration:test_cereg_levels_in_query_and_urc()
  local r = rig{boot = false}
  r.lines(0.7) -- +CPIN: READY: attaching
  r.cmd("ATE0")
  for n = 0, 5 do
    lu.assertEquals(r.cmd("AT+CEREG=" .. n), {"OK"})
    lu.assertEquals(r.cmd("AT+CEREG?"), {("+CEREG: %d,2"):format(n), "OK"}) -- 2 fields
  end
  -- n=5: the attach reports the cell, no reject cause, and the granted PSM timers
  lu.assertEquals(r.lines(2), {"+IP: 10.46.118.23",
                               ('+CEREG: 1,%s,,,"%s","%s"'):format(CELL, ACTIVE, TAU)})
  local want = {[0] = "+CEREG: 0,1", "+CEREG: 1,1", "+CEREG: 2,1," .. CELL, "+CEREG: 3,1," .. CELL,
                ('+CEREG: 4,1,%s,,,"%s","%s"'):format(CELL, ACTIVE, TAU),
                ('+CEREG: 5,1,%s,,,"%s","%s"'):format(CELL, ACTIVE, TAU)}
  for n = 0, 5 do
    r.cmd("AT+CEREG=" .. n)
    lu.assertEquals(r.cmd("AT+CEREG?"), {want[n], "OK"}, "n=" .. n)
  end
  -- URC per level on a detach and an attach
  local urc = {[0] = nil, "+CEREG: 1", "+CEREG: 1," .. CELL, "+CEREG: 1," .. CELL,
               ('+CEREG: 1,%s,,,"%s","%s"'):format(CELL, ACTIVE, TAU)}
  for n = 0, 4 do
    r.cmd("AT+CEREG=" .. n)
    local detach = r.cmd("AT+CGATT=0")
    lu.assertEquals(detach, n == 0 and {"OK"} or {"+CEREG: 0", "OK"}, "n=" .. n)
    local attach = r.cmd("AT+CGATT=1", 2)
    lu.assertEquals(attach, n == 0 and {"OK", "+IP: 10.46.118.23"}
                    or {"+CEREG: 2", "OK", "+IP: 10.46.118.23", urc[n]}, "n=" .. n)
  end
  lu.assertEquals(r.cmd("AT+CEREG=6"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+CEREG=?"), {"+CEREG: (0-5)", "OK"})
end

function TestRegistration:test_a_denied_attach_reports_its_cause_at_levels_3_and_5()
  local r = ready()
  r.cmd("AT+CEREG=3")
  lu.assertEquals(r.cmd("AT+CGATT=0"), {"+CEREG: 0", "OK"})
  faults.new({module = r.m}):attach_reject(15)
  lu.assertEquals(r.cmd("AT+CGATT=1", 2), {"+CEREG: 2", "OK", "+CEREG: 3," .. CELL .. ",0,15"})
  lu.assertEquals(r.cmd("AT+CEREG?"), {"+CEREG: 3,3," .. CELL .. ",0,15", "OK"})
  lu.assertEquals(r.cmd("AT+CGATT?"), {"+CGATT: 0", "OK"})
  lu.assertEquals(r.cmd("AT+CGPADDR"), {"OK"})
  r.cmd("AT+CEREG=5")
  lu.assertEquals(r.cmd("AT+CEREG?"), {"+CEREG: 5,3," .. CELL .. ",0,15", "OK"})
  r.cmd("AT+CEREG=4")
  lu.assertEquals(r.cmd("AT+CEREG?"), {"+CEREG: 4,3," .. CELL, "OK"})
  lu.assertEquals(r.cmd("AT+CGATT=1", 2), {"+CEREG: 2", "OK", "+IP: 10.46.118.23",
                  ('+CEREG: 1,%s,,,"%s","%s"'):format(CELL, ACTIVE, TAU)}) -- the retry passes
  lu.assertErrorMsgContains("EMM cause", faults.new({module = r.m}).attach_reject,
                            faults.new({module = r.m}), 256)
end

-- Shapes the engine tells apart (core/bc260y_urc.c): URCs have 1, 4, 6 or 8 fields, query
-- answers 2, 5, 7 or 9.
function TestRegistration:test_every_query_answer_has_one_field_more_than_a_urc()
  local function fields(line)
    local body = line:match("^%+CEREG: (.*)$")
    local n = 1
    local inq = false
    for c in body:gmatch(".") do
      if c == '"' then inq = not inq elseif c == "," and not inq then n = n + 1 end
    end
    return n
  end
  local URC = {[1] = true, [4] = true, [6] = true, [8] = true}
  local ANSWER = {[2] = true, [5] = true, [7] = true, [9] = true}
  local r = ready()
  local seen = {}
  for n = 0, 5 do
    r.cmd("AT+CEREG=" .. n)
    -- registered, detached, denied, registered again
    for _, step in ipairs({"AT+CGATT=0", "deny", "AT+CGATT=1"}) do
      local q = r.cmd("AT+CEREG?")[1]
      lu.assertTrue(ANSWER[fields(q)], q)
      seen[fields(q)] = true
      if step == "deny" then faults.new({module = r.m}):attach_reject() end
      for _, l in ipairs(r.cmd(step == "deny" and "AT+CGATT=1" or step, 2)) do
        if l:match("^%+CEREG") then lu.assertTrue(URC[fields(l)], l) end
      end
    end
  end
  lu.assertEquals(seen, ANSWER) -- every shape was there
end

function TestRegistration:test_cfun_0_detaches_everything_and_cfun_1_comes_back()
  local r = registered()
  r.cmd("AT+CSCON=1")
  lu.assertEquals(r.cmd("AT+CGATT?"), {"+CGATT: 1", "OK"})
  lu.assertEquals(r.cmd("AT+CFUN=0"), {"+CSCON:0", "OK"})
  lu.assertEquals(r.cmd("AT+CFUN?"), {"+CFUN: 0", "OK"})
  lu.assertEquals(r.cmd("AT+CEREG?"), {"+CEREG: 0,0", "OK"})
  lu.assertEquals(r.cmd("AT+CGATT?"), {"+CGATT: 0", "OK"})
  lu.assertEquals(r.cmd("AT+CGPADDR"), {"OK"})
  lu.assertEquals(r.cmd("AT+CSCON?"), {"+CSCON: 1,0", "OK"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: DEREGISTERED", "OK"})
  lu.assertEquals(r.p:device().state, "lost")
  lu.assertEquals(r.cmd("AT+CGATT=1"), {"ERROR"}) -- no attach with the radio off
  lu.assertEquals(r.lines(10), {}) -- and no deep sleep while detached
  lu.assertEquals(r.cmd("AT+CFUN=1", 2), {"OK", "+IP: 10.46.118.23", "+CSCON:1"})
  lu.assertEquals(r.cmd("AT+CEREG?"), {"+CEREG: 0,1", "OK"})
  lu.assertEquals(r.cmd("AT+CGATT?"), {"+CGATT: 1", "OK"})
end

function TestRegistration:test_cgatt_0_loses_the_session_and_cgatt_1_attaches_again()
  local r = registered()
  lu.assertEquals(r.cmd("AT+CGATT=0"), {"OK"})
  lu.assertEquals(r.cmd("AT+CFUN?"), {"+CFUN: 1", "OK"}) -- the radio stays on
  lu.assertEquals(r.cmd("AT+CEREG?"), {"+CEREG: 0,0", "OK"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: DEREGISTERED", "OK"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="221.229.214.202",5683'), {"+CME ERROR: 957"})
  lu.assertEquals(r.cmd("AT+CGATT=1"), {"OK"})
  lu.assertEquals(r.cmd("AT+CEREG?"), {"+CEREG: 0,2", "OK"}) -- attaching
  lu.assertEquals(r.cmd("AT+CGATT=1"), {"OK"}) -- already on its way: one attach
  lu.assertEquals(r.lines(2), {"+IP: 10.46.118.23"})
  lu.assertEquals(r.cmd("AT+CGATT?"), {"+CGATT: 1", "OK"})
  lu.assertEquals(r.cmd("AT+CGATT=2"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+CGATT=?"), {"+CGATT: (0,1)", "OK"})
end

-- A detach while registering ends the registration: the platform's answer must not bring
-- the session back on a module with no network.
function TestRegistration:test_detach_while_registering_stops_the_registration()
  for _, detach in ipairs({"AT+CFUN=0", "AT+CGATT=0"}) do
    local r = ready()
    lu.assertEquals(r.cmd('AT+NCDPOPEN="221.229.214.202",5683'), {"OK"})
    lu.assertEquals(r.cmd(detach), {"OK"})
    lu.assertEquals(r.lines(200), {}, detach)
    lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: DEREGISTERED", "OK"}, detach)
    lu.assertNotEquals(r.p:device().state, "registered", detach)
  end
end

function TestRegistration:test_reboot_resets_volatile_settings_and_keeps_nvram()
  local r = ready()
  for _, c in ipairs({"AT+CEREG=5", "AT+CSCON=1", 'AT+CPSMS=1,,,"00100010","00100011"',
                      'AT+CEDRXS=1,5,"0010"', 'AT+CGDCONT=1,"IP","test.apn"', "AT+CGATT=0"}) do
    local answer = r.cmd(c)
    lu.assertEquals(answer[#answer], "OK", c)
  end
  lu.assertEquals(r.cmd("AT+QRST=1", 3), {"OK", "RDY", "+CFUN: 1", "+CPIN: READY", "+IP: 10.46.118.23"})
  r.cmd("ATE0")
  lu.assertEquals(r.cmd("AT+CEREG?"), {"+CEREG: 0,1", "OK"}) -- n back to 0, attached again
  lu.assertEquals(r.cmd("AT+CSCON?"), {"+CSCON: 0,1", "OK"})
  lu.assertEquals(r.cmd("AT+CGATT?"), {"+CGATT: 1", "OK"})
  lu.assertEquals(r.cmd("AT+CPSMS?"), {'+CPSMS: 1,,,"00100010","00100011"', "OK"})
  lu.assertEquals(r.cmd("AT+CEDRXS?"), {'+CEDRXS: 5,"0010"', "OK"})
  lu.assertEquals(r.cmd("AT+CGDCONT?"), {'+CGDCONT: 0,"IP","ctnb",,0,0',
                                        '+CGDCONT: 1,"IP","test.apn",,0,0', "OK"})
  lu.assertEquals(r.cmd("AT+CFUN=0"), {"OK"})
  lu.assertEquals(r.cmd("AT+QRST=1", 3), {"OK", "RDY", "+CFUN: 1", "+CPIN: READY", "+IP: 10.46.118.23"})
  r.cmd("ATE0")
  lu.assertEquals(r.cmd("AT+CFUN?"), {"+CFUN: 1", "OK"}) -- full functionality after boot
end

TestContexts = {}

function TestContexts:test_define_read_and_refuse_while_attached()
  local r = ready()
  lu.assertEquals(r.cmd("AT+CGDCONT?"), {'+CGDCONT: 0,"IP","ctnb",,0,0', "OK"})
  lu.assertEquals(r.cmd('AT+CGDCONT=0,"IP","other"'), {"ERROR"}) -- in use by the attach
  lu.assertEquals(r.cmd('AT+CGDCONT=2,"Non-IP","nonip.apn"'), {"OK"})
  lu.assertEquals(r.cmd('AT+CGDCONT=3,"ipv4v6"'), {"OK"})
  lu.assertEquals(r.cmd("AT+CGDCONT?"), {'+CGDCONT: 0,"IP","ctnb",,0,0',
    '+CGDCONT: 2,"Non-IP","nonip.apn",,0,0', '+CGDCONT: 3,"IPV4V6","",,0,0', "OK"})
  lu.assertEquals(r.cmd("AT+CGDCONT=2"), {"OK"}) -- undefined again
  lu.assertEquals(r.cmd("AT+CGDCONT=3"), {"OK"})
  lu.assertEquals(r.cmd('AT+CGDCONT=11,"IP"'), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd('AT+CGDCONT=1,"X25"'), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd('AT+CGDCONT=1,"IP","bad apn"'), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+CFUN=0"), {"OK"})
  lu.assertEquals(r.cmd('AT+CGDCONT=0,"IP","iot.example"'), {"OK"})
  lu.assertEquals(r.cmd("AT+CFUN=1", 2), {"OK", "+IP: 10.46.118.23"})
  lu.assertEquals(r.cmd("AT+CGDCONT?"), {'+CGDCONT: 0,"IP","iot.example",,0,0', "OK"})
  lu.assertEquals(r.cmd("AT+CGPADDR"), {'+CGPADDR: 0,"10.46.118.23"', "OK"})
end

TestPowerSaving = {}

function TestPowerSaving:test_cpsms_stored_as_set_and_reset_forms()
  local r = ready()
  lu.assertEquals(r.cmd("AT+CPSMS?"), {('+CPSMS: 1,,,"%s","%s"'):format(TAU, ACTIVE), "OK"})
  lu.assertEquals(r.cmd('AT+CPSMS=1,,,"01000011","00000101"'), {"OK"})
  lu.assertEquals(r.cmd("AT+CPSMS?"), {'+CPSMS: 1,,,"01000011","00000101"', "OK"})
  lu.assertEquals(r.cmd('AT+CPSMS=1,,,"0100001","00000101"'), {"+CME ERROR: 3"}) -- 7 bits
  lu.assertEquals(r.cmd('AT+CPSMS=1,,,"01000011","0000010x"'), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+CPSMS=3"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+CPSMS=1,,,,,1"), {"+CME ERROR: 2"})
  lu.assertEquals(r.cmd("AT+CPSMS="), {"OK"}) -- 27.007: off, values to the defaults
  lu.assertEquals(r.cmd("AT+CPSMS?"), {('+CPSMS: 0,,,"%s","%s"'):format(TAU, ACTIVE), "OK"})
  r.cmd('AT+CPSMS=1,,,"01000011","00000101"')
  lu.assertEquals(r.cmd("AT+CPSMS=2"), {"OK"}) -- Quectel's spelling of the same
  lu.assertEquals(r.cmd("AT+CPSMS?"), {('+CPSMS: 0,,,"%s","%s"'):format(TAU, ACTIVE), "OK"})
  lu.assertEquals(r.cmd("AT+CPSMS=?"),
    {'+CPSMS: (0-2),,,("00000000"-"11111111"),("00000000"-"11111111")', "OK"})
end

function TestPowerSaving:test_psm_off_means_no_deep_sleep_and_no_active_time()
  local r = ready()
  r.cmd("AT+CEREG=4")
  lu.assertEquals(r.cmd("AT+CPSMS=0"), {"OK"})
  lu.assertEquals(r.cmd("AT+CEREG?"),
                  {('+CEREG: 4,1,%s,,,"11100000","%s"'):format(CELL, TAU), "OK"})
  lu.assertEquals(r.lines(300), {}) -- RRC released after 20 s, then no deep sleep
  lu.assertEquals(r.cmd("AT+CPSMS=1"), {"OK"})
  lu.assertEquals(r.lines(59), {})
  lu.assertEquals(r.lines(2), {'+QNBIOTEVENT: "ENTER DEEPSLEEP"'}) -- T3324 = 60 s
  lu.assertTrue(r.m:state().asleep)
end

function TestPowerSaving:test_granted_timers_are_the_ones_the_module_sleeps_by()
  local r = ready{timings = {psm_active = 5, tau = 86400}}
  r.cmd("AT+CEREG=5")
  -- 5 s rounds up to 3 x 2 s; a day is 24 x 1 h
  lu.assertEquals(r.cmd("AT+CEREG?"),
                  {('+CEREG: 5,1,%s,,,"00000011","00111000"'):format(CELL), "OK"})
  lu.assertEquals(c3gpp.timer2(3600), "01001010") -- 10 x 6 min
  lu.assertEquals(c3gpp.timer3(3600 * 320 * 40), "11011111") -- beyond 31 x 320 h: the most
end

-- AT+CEDRXRDP: what the network granted, the cycle requested while attached with eDRX on.
function TestPowerSaving:test_cedrxrdp_follows_the_setting_and_the_attach()
  local r = ready()
  lu.assertEquals(r.cmd("AT+CEDRXRDP"), {"+CEDRXRDP: 0", "OK"})
  r.cmd('AT+CEDRXS=1,5,"0101"')
  lu.assertEquals(r.cmd("AT+CEDRXRDP"), {'+CEDRXRDP: 5,"0101","0101","0011"', "OK"})
  r.cmd("AT+CGATT=0")
  lu.assertEquals(r.cmd("AT+CEDRXRDP"), {"+CEDRXRDP: 0", "OK"})
end

function TestPowerSaving:test_cedrxs_set_read_and_errors()
  local r = ready()
  lu.assertEquals(r.cmd("AT+CEDRXS?"), {"OK"}) -- off: no line
  lu.assertEquals(r.cmd('AT+CEDRXS=1,5,"0010"'), {"OK"})
  lu.assertEquals(r.cmd("AT+CEDRXS?"), {'+CEDRXS: 5,"0010"', "OK"})
  lu.assertEquals(r.cmd("AT+CEDRXS=0"), {"OK"})
  lu.assertEquals(r.cmd("AT+CEDRXS?"), {"OK"})
  lu.assertEquals(r.cmd("AT+CEDRXS=1,5"), {"OK"}) -- the value set before
  lu.assertEquals(r.cmd("AT+CEDRXS?"), {'+CEDRXS: 5,"0010"', "OK"})
  lu.assertEquals(r.cmd("AT+CEDRXS=3"), {"OK"}) -- off, default value
  lu.assertEquals(r.cmd("AT+CEDRXS=1"), {"OK"})
  lu.assertEquals(r.cmd("AT+CEDRXS?"), {'+CEDRXS: 5,"0101"', "OK"})
  lu.assertEquals(r.cmd('AT+CEDRXS=1,4,"0010"'), {"+CME ERROR: 3"}) -- 5 is NB-IoT
  lu.assertEquals(r.cmd('AT+CEDRXS=1,5,"01"'), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+CEDRXS=2"), {"+CME ERROR: 3"}) -- no +CEDRXP reports
  lu.assertEquals(r.cmd("AT+CEDRXS=?"), {'+CEDRXS: (0,1,3),(5),("0000"-"1111")', "OK"})
end

TestClock = {}

function TestClock:test_cclk_is_the_start_time_plus_module_seconds_in_local_time()
  -- ready() leaves the module clock at 3.1 s; the query runs 0.02 s later
  local r = ready{utc = 1700000000 - 3, qsclk = 0} -- 2023-11-14 22:13:20 UTC at the query
  lu.assertEquals(r.cmd("AT+CCLK?"), {'+CCLK: "23/11/15,06:13:20+32"', "OK"}) -- UTC+8
  r.lines(3600 * 3 - 0.1)
  lu.assertEquals(r.cmd("AT+CCLK?"), {'+CCLK: "23/11/15,09:13:20+32"', "OK"})
  local west = ready{utc = 1700000000 - 3, tz = -20}
  lu.assertEquals(west.cmd("AT+CCLK?"), {'+CCLK: "23/11/14,17:13:20-20"', "OK"})
  lu.assertEquals(r.cmd("AT+CCLK=?"), {"OK"})
  lu.assertEquals(r.cmd('AT+CCLK="23/11/15,06:13:20+32"'), {"ERROR"}) -- not settable
end

TestThroughTheEngine = {}

-- The library's engine on the pty: each query's answer is the answer, a same-prefix URC
-- arriving inside it stays a URC.
function TestThroughTheEngine:test_answers_reach_m_at()
  bc260y.run(function()
    local m = assert(bc260y.open("sim", {speed = 50, sim = {qsclk = 0}}))
    local s = m.sim
    assert(m:init())
    local function lines(cmd) return assert(m:at(cmd)).lines end
    assert(m:at("AT+CEREG=5"))
    local urcs = {}
    m:on("urc", function(line) if line:match("^%+CEREG") then urcs[#urcs + 1] = line end end)
    local urc = ('+CEREG: 1,%s,,,"%s","%s"'):format(CELL, ACTIVE, TAU)
    s.faults:urc_inside_next_response(urc)
    lu.assertEquals(lines("AT+CEREG?"), {('+CEREG: 5,1,%s,,,"%s","%s"'):format(CELL, ACTIVE, TAU)})
    lu.assertEquals(lines("AT+CGATT?"), {"+CGATT: 1"})
    lu.assertEquals(lines("AT+CESQ"), {"+CESQ: 99,99,255,255,20,67"})
    lu.assertEquals(lines("AT+CPSMS?"), {('+CPSMS: 1,,,"%s","%s"'):format(TAU, ACTIVE)})
    lu.assertEquals(lines("AT+CGDCONT?"), {'+CGDCONT: 0,"IP","ctnb",,0,0'})
    lu.assertStrMatches(lines("AT+QCCID")[1], "^%+QCCID: 898611%d+$")
    lu.assertStrMatches(lines("AT+CCLK?")[1], '^%+CCLK: "%d%d/%d%d/%d%d,%d%d:%d%d:%d%d%+32"$')
    assert(m:at('AT+CEDRXS=1,5,"0010"'))
    lu.assertEquals(lines("AT+CEDRXS?"), {'+CEDRXS: 5,"0010"'})
    -- a denial: the URC has 6 fields, the answer 7
    assert(m:at("AT+CEREG=3"))
    assert(m:at("AT+CGATT=0"))
    s.faults:attach_reject(15)
    assert(m:at("AT+CGATT=1"))
    local denied = "+CEREG: 3,3," .. CELL .. ",0,15"
    local answer
    for _ = 1, 1000 do -- until the module's attach attempt ended (1.5 module seconds)
      answer = lines("AT+CEREG?")[1]
      if answer ~= "+CEREG: 3,2" then break end
    end
    lu.assertEquals(answer, denied)
    m:close({deregister = false})
    lu.assertEquals(urcs, {urc, "+CEREG: 0", "+CEREG: 2", "+CEREG: 3," .. CELL .. ",0,15"})
  end)
end

os.exit(lu.LuaUnit.run(), true)
