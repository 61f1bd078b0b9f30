-- dfota_guide_spec: bc260y.dfota against a scripted module that prints what the guide's
-- sessions print, line for line (spec/lua/peer.lua: any command the script does not
-- expect at that point fails the run): a job first seen at DOWNLOADING (its +QLWEVTIND: 8
-- and DOWNLOAD START missed, as in 5.1.6.2), no command from the first FOTA line to the
-- reboot, the reboot known from +CPIN: READY alone, then the registration again in the
-- guide's order and init once the platform has read the result.
local lu = require("luaunit")
local bc260y = require("bc260y")
local dfota = require("bc260y.dfota")
local peer = require("peer")

local FAST = {first_byte = 0.3, total = 0.6}

local p, m
local fixture = peer.fixture({engine = FAST, poll = 0.05}, function(p_, m_) p, m = p_, m_ end)
local setup, teardown = fixture.setup, fixture.teardown

local IOT = {host = "180.101.147.115", port = 5683}

local function script_init(revision)
  p:ok("AT"):ok("ATE0"):ok("AT+CMEE=1")
  p:ok("ATI", "Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: " .. revision)
  p:ok("AT+CGSN=1", "+CGSN: 869999999999999"):ok("AT+NNMI?", "+NNMI: 1"):ok("AT+CSCON=1")
  p:ok("AT+CGPADDR?", '+CGPADDR: 0,"10.1.2.3"')
end

local function lines(...)
  local out = {}
  for _, l in ipairs({...}) do out[#out + 1] = "\r\n" .. l .. "\r\n" end
  return table.concat(out)
end

-- The 5.1.6.2 session after the uplink that triggers the job, the reboot printed as `banner`.
local function script_update_from_downloading(banner)
  p:ok("AT+NMGS=1,00,0")
  p:reply(lines('+QIND: "FOTA","DOWNLOADING",512', '+QIND: "FOTA","DOWNLOADING",1024'), 0.05)
  p:reply(lines('+QIND: "FOTA","DOWNLOAD",0', '+QIND: "FOTA","START"',
    '+QIND: "FOTA","UPDATING",2%,1,1', '+QIND: "FOTA", "UPDATING", 100%, 1,1'))
  p:sleep(0.05)
  p:reply(lines('+QIND: "FOTA","END",0'))
  p:sleep(0.3) -- the module installs and restarts: the host must stay quiet meanwhile
  p:reply(lines(banner))
  -- registration again, the guide's order after the reboot
  p:ok("AT+QSCLK=0")
  p:ok("AT+CGPADDR?", '+CGPADDR: 0,"26.238.47.96"')
  p:ok('AT+NCDPOPEN="180.101.147.115",5683')
  p:reply(lines("+QLWEVTIND: 0", "+QLWEVTIND: 3"))
  p:sleep(0.05)
  p:reply(lines("+QLWEVTIND: 9"))
  script_init("BC260YCNAAR02A03")
end

TestDfotaAsPrinted = {tearDown = teardown}

function TestDfotaAsPrinted:test_a_job_first_seen_at_downloading_ends_with_cpin_ready()
  setup()
  script_init("BC260YCNAAR02A02")
  assert(m:init())
  p:ok("AT+CGPADDR?", '+CGPADDR: 0,"10.1.2.3"')
  p:ok("AT+QSCLK=0")
  p:ok('AT+NCDPOPEN="180.101.147.115",5683')
  p:reply(lines("+QLWEVTIND: 0", "+QLWEVTIND: 3"))
  script_update_from_downloading("+CPIN: READY")
  local r = bc260y.run(function()
    return dfota.run(m, {host = IOT.host, port = IOT.port, start_wait = 0.2, reboot_timeout = 5,
                         trigger = {tries = 1, wait = 2}, result_timeout = 2})
  end)
  lu.assertEquals(r.outcome, "updated", r.reason)
  lu.assertEquals(r.trigger_uplinks, 1)
  lu.assertEquals(r.revision_before, "BC260YCNAAR02A02")
  lu.assertEquals(r.revision_after, "BC260YCNAAR02A03")
  local names = {}
  for _, st in ipairs(r.stages) do
    if names[#names] ~= st.stage then names[#names + 1] = st.stage end
  end
  lu.assertEquals(table.concat(names, ","), "registered,downloading,downloaded,update_start,"
    .. "updating,ended,rebooted,reregistered,unobserved,done")
  lu.assertTrue(p:finish())
  lu.assertEquals(p:unexpected(), {})
  lu.assertFalse(m:state().busy)
end

function TestDfotaAsPrinted:test_a_job_first_seen_at_updating_keeps_the_host_quiet()
  setup()
  script_init("BC260YCNAAR02A02")
  assert(m:init())
  p:ok("AT+CGPADDR?", '+CGPADDR: 0,"10.1.2.3"')
  p:ok("AT+QSCLK=0")
  p:ok('AT+NCDPOPEN="180.101.147.115",5683')
  p:reply(lines("+QLWEVTIND: 0", "+QLWEVTIND: 3"))
  p:sleep(0.05)
  p:reply(lines('+QIND: "FOTA","UPDATING",51%,1,1'))
  p:sleep(0.3)
  p:reply(lines('+QIND: "FOTA","END",255'))
  local r = bc260y.run(function()
    return dfota.run(m, {host = IOT.host, port = IOT.port, start_wait = 5, trigger = false})
  end)
  lu.assertEquals(r.outcome, "update_failed", r.reason)
  lu.assertTrue(p:finish())
  lu.assertEquals(p:unexpected(), {}) -- not one command between UPDATING and END
end

os.exit(lu.LuaUnit.run())
