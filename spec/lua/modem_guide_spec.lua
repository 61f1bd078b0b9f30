-- modem_guide_spec: the Modem follows what the guide says the module does, against a
-- scripted peer on a pseudo-terminal: registration failures told apart by AT+NMSTATUS?
-- (REJECTED_BY_SERVER and TIMEOUT have different remedies), the session down on
-- +QLWEVTIND: -1 at any time, the firmware check (the platform commands exist from R02
-- on), and the DFOTA rule (from the first FOTA URC to the update's reboot the host sends
-- no command at all, unless the caller overrides it explicitly).
local lu = require("luaunit")
local bc260y = require("bc260y")
local peer = require("peer")

local FAST = {first_byte = 0.3, total = 0.6}

local p, m
local fixture = peer.fixture({engine = FAST, poll = 0.05}, function(p_, m_) p, m = p_, m_ end)
local setup, settle, teardown = fixture.setup, fixture.settle, fixture.teardown

local function connected()
  setup()
  p:script_connect("1.2.3.4", 5683)
  assert(m:connect({host = "1.2.3.4", port = 5683}))
  assert(p:finish())
end

---------------------------------------------------------------------------------------
-- registration failures (guide, AT+NMSTATUS notes 1 and 2)

TestRegistration = {tearDown = teardown}

function TestRegistration:test_rejected_by_server_is_its_own_code()
  setup()
  p:ok('AT+NCDPOPEN="1.2.3.4",5683'):reply("\r\n+QLWEVTIND: 1\r\n")
  p:ok("AT+NMSTATUS?", "+NMSTATUS: REJECTED_BY_SERVER")
  local r, msg, code = m:connect({host = "1.2.3.4", port = 5683})
  lu.assertNil(r)
  lu.assertEquals(code, "rejected")
  lu.assertStrContains(msg, "REJECTED_BY_SERVER")
  lu.assertStrContains(msg, "IMEI") -- the guide's remedy: is the IMEI registered?
  lu.assertTrue(p:finish())
end

function TestRegistration:test_timeout_is_its_own_code()
  setup()
  p:ok('AT+NCDPOPEN="1.2.3.4",5684,"00112233"'):reply("\r\n+QLWEVTIND: 1\r\n")
  p:ok("AT+NMSTATUS?", "+NMSTATUS: TIMEOUT")
  local r, msg, code = m:connect({host = "1.2.3.4", port = 5684, psk = "00112233"})
  lu.assertNil(r)
  lu.assertEquals(code, "timeout")
  lu.assertStrContains(msg, "TIMEOUT")
  lu.assertStrContains(msg, "PSK") -- the guide's remedy for an encrypted device
  lu.assertNotStrContains(msg, "00112233")
  lu.assertTrue(p:finish())
end

function TestRegistration:test_unreadable_state_still_fails_rejected()
  setup()
  p:ok('AT+NCDPOPEN="1.2.3.4",5683'):reply("\r\n+QLWEVTIND: 1\r\n")
  p:on("AT+NMSTATUS?", "\r\nERROR\r\n")
  local r, msg, code = m:connect({host = "1.2.3.4", port = 5683})
  lu.assertNil(r)
  lu.assertEquals(code, "rejected")
  lu.assertStrContains(msg, "+QLWEVTIND: 1")
  lu.assertTrue(p:finish())
end

function TestRegistration:test_psk_gets_a_longer_default_wait()
  -- The guide gives 126 s without DTLS and no fixed limit with it: with a PSK connect
  -- waits psk_connect_timeout (300 s by default) instead of connect_timeout.
  setup({connect_timeout = 0.1, psk_connect_timeout = 0.4})
  lu.assertEquals(require("bc260y.options").check_options({}).psk_connect_timeout, 300)
  p:ok('AT+NCDPOPEN="1.2.3.4",5684,"00112233"'):reply("\r\n+QLWEVTIND: 0\r\n")
  local r, msg, code = m:connect({host = "1.2.3.4", port = 5684, psk = "00112233"})
  lu.assertNil(r)
  lu.assertEquals(code, "timeout")
  lu.assertStrContains(msg, "0.4 s")
  p:ok('AT+NCDPOPEN="1.2.3.4",5683'):reply("\r\n+QLWEVTIND: 0\r\n")
  r, msg, code = m:connect({host = "1.2.3.4", port = 5683})
  lu.assertEquals(code, "timeout")
  lu.assertStrContains(msg, "0.1 s")
end

---------------------------------------------------------------------------------------
-- +QLWEVTIND: -1 at any time

TestSessionDown = {tearDown = teardown}

function TestSessionDown:test_connection_error_marks_the_session_down_and_send_refuses()
  connected()
  local fired = 0
  m:on("connection_error", function() fired = fired + 1 end)
  p:reply("\r\n+QLWEVTIND: -1\r\n")
  assert(p:finish())
  settle(0.05)
  lu.assertEquals(fired, 1)
  lu.assertFalse(m:state().observed)
  lu.assertFalse(m:state().registered)
  local r, msg, code = m:send("hi")
  lu.assertNil(r)
  lu.assertEquals(code, "state")
  lu.assertStrContains(msg, "+QLWEVTIND: -1")
  lu.assertEquals(p:unexpected(), {}) -- nothing reached the wire
  -- a new connect brings it back
  p:script_connect("1.2.3.4", 5683)
  lu.assertTrue(m:connect({host = "1.2.3.4", port = 5683}))
  p:ok('AT+NMGS=2,6869,0')
  lu.assertTrue(m:send("hi"))
  lu.assertTrue(p:finish())
end

function TestSessionDown:test_connection_error_fails_a_waiting_con_uplink()
  connected()
  p:ok('AT+NMGS=2,6869,100'):reply("\r\n+QLWEVTIND: -1\r\n")
  local r, _, code = m:send("hi", {con = true})
  lu.assertNil(r)
  lu.assertEquals(code, "state")
  lu.assertFalse(m:state().observed)
end

---------------------------------------------------------------------------------------
-- firmware (guide chapter 1: the platform commands exist from R02 on)

TestFirmware = {tearDown = teardown}

local function script_init_with(revision)
  p:ok("AT"):ok("ATE0"):ok("AT+CMEE=1")
  p:ok("ATI", "Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: " .. revision)
  p:ok("AT+CGSN=1", "+CGSN: 869999999999999"):ok("AT+NNMI?", "+NNMI: 1"):ok("AT+CSCON=1")
  p:ok("AT+CGPADDR?", '+CGPADDR: 0,"10.1.2.3"')
end

function TestFirmware:test_r02_is_supported()
  setup()
  script_init_with("BC260YCNAAR02A02")
  local info = assert(m:init())
  lu.assertTrue(info.firmware_supported)
end

function TestFirmware:test_r01_is_reported_and_warned_once()
  setup()
  local warnings = {}
  m:on("warning", function(msg) warnings[#warnings + 1] = msg end)
  script_init_with("BC260YCNAAR01A05")
  local info = assert(m:init())
  lu.assertFalse(info.firmware_supported)
  lu.assertStrContains(info.firmware_warning, "R02")
  script_init_with("BC260YCNAAR01A05")
  info = assert(m:init())
  lu.assertFalse(info.firmware_supported)
  settle()
  lu.assertEquals(#warnings, 1)
  lu.assertStrContains(warnings[1], "R01")
end

function TestFirmware:test_later_releases_and_unknown_revisions()
  local check = require("bc260y.modem").firmware_supported
  lu.assertTrue(check("BC260YCNAAR02A02"))
  lu.assertTrue(check("BC260YCNAAR03A01"))
  lu.assertTrue(check("BC260YCNAAR10A01"))
  lu.assertFalse(check("BC260YCNAAR01A07"))
  lu.assertNil(check("something else")) -- unknown: neither claimed nor warned about
  lu.assertNil(check(nil))
end

---------------------------------------------------------------------------------------
-- the DFOTA rule (guide 5.3.3)

TestFotaQuiet = {tearDown = teardown}

-- A connected Modem that has seen `line` (a FOTA URC).
local function fota_seen(line)
  connected()
  p:reply("\r\n" .. line .. "\r\n")
  assert(p:finish())
  settle(0.05)
end

local function assert_refused(...)
  local r, msg, code = ...
  lu.assertNil(r)
  lu.assertEquals(code, "busy")
  lu.assertStrContains(msg, "update")
end

function TestFotaQuiet:test_every_command_is_refused_from_the_first_fota_urc()
  for _, line in ipairs({'+QIND: "FOTA","DOWNLOAD START"', '+QIND: "FOTA","DOWNLOADING",512',
                         '+QIND: "FOTA","START"', '+QIND: "FOTA","UPDATING",2%,1,1'}) do
    fota_seen(line)
    assert_refused(m:at("AT"))
    assert_refused(m:at("ATI"))
    assert_refused(m:at("AT;+QRST=1"))
    assert_refused(m:at("AT+CSQ;+QRST=1"))
    assert_refused(m:status())
    assert_refused(m:send("hi"))
    assert_refused(m:init())
    assert_refused(m:sleep_mode("off"))
    assert_refused(m:queue_stats())
    assert_refused(m:set_lifetime(100))
    lu.assertEquals(p:unexpected(), {}, line)
    lu.assertEquals(m:state().busy ~= false, true)
    teardown()
  end
end

function TestFotaQuiet:test_busy_after_end_0_until_the_reboot()
  fota_seen('+QIND: "FOTA","DOWNLOAD START"')
  p:reply('\r\n+QIND: "FOTA","DOWNLOAD",0\r\n\r\n+QIND: "FOTA","START"\r\n\r\n+QIND: "FOTA","END",0\r\n')
  assert(p:finish())
  settle(0.05)
  assert_refused(m:at("AT"))
  p:reply("\r\nRDY\r\n")
  assert(p:finish())
  settle(0.05)
  lu.assertFalse(m:state().busy)
  p:ok("AT")
  lu.assertNotNil(m:at("AT"))
  lu.assertTrue(p:finish())
end

function TestFotaQuiet:test_a_download_failure_ends_the_quiet()
  fota_seen('+QIND: "FOTA","DOWNLOADING",512')
  p:reply('\r\n+QIND: "FOTA","DOWNLOAD",4\r\n')
  assert(p:finish())
  settle(0.05)
  lu.assertFalse(m:state().busy)
  p:ok("AT+CSQ", "+CSQ: 20,0")
  lu.assertNotNil(m:at("AT+CSQ"))
  lu.assertTrue(p:finish())
end

function TestFotaQuiet:test_the_explicit_override()
  fota_seen('+QIND: "FOTA","UPDATING",51%,1,1')
  p:ok("AT+CSQ", "+CSQ: 20,0")
  local r = m:at("AT+CSQ", {ignore_busy = true})
  lu.assertNotNil(r)
  lu.assertEquals(r.lines[1], "+CSQ: 20,0")
  lu.assertTrue(p:finish())
  lu.assertError(function() m:at("AT", {ignore_busy = 1}) end)
end

function TestFotaQuiet:test_set_busy_refuses_joined_commands_too()
  -- A procedure's own busy reason (set_busy) refuses data, registration, reset and
  -- sleep commands, wherever they sit in a ';'-joined line.
  setup()
  m:set_busy("a firmware update procedure runs")
  assert_refused(m:at("AT;+QRST=1"))
  assert_refused(m:at("AT+CSQ; +NMGS=1,00"))
  lu.assertEquals(p:unexpected(), {})
  p:ok("AT+CSQ", "+CSQ: 20,0")
  lu.assertNotNil(m:at("AT+CSQ"))
  m:set_busy(nil)
end

---------------------------------------------------------------------------------------
-- the guide's order: the examples follow the sessions command for command

TestGuideOrder = {tearDown = teardown}

function TestGuideOrder:test_init_can_leave_rrc_reports_and_the_address_to_the_script()
  setup()
  p:ok("AT"):ok("ATE0"):ok("AT+CMEE=1")
  p:ok("ATI", "Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: BC260YCNAAR02A02")
  p:ok("AT+CGSN=1", "+CGSN: 869999999999999"):ok("AT+NNMI?", "+NNMI: 1")
  local info = assert(m:init{rrc = false, attach = false})
  lu.assertNil(info.ip)
  lu.assertTrue(p:finish())
  lu.assertEquals(p:unexpected(), {})
  p:ok("AT+CSCON=1")
  lu.assertTrue(m:set_rrc_reports(true))
  p:ok("AT+CGPADDR?", '+CGPADDR: 0,"10.9.8.7"')
  lu.assertEquals(m:wait_ip(), "10.9.8.7")
  lu.assertTrue(p:finish())
  lu.assertError(function() m:init{attach = "no"} end)
  lu.assertError(function() m:set_rrc_reports(1) end)
end

-- The type is written even for NON RAI 0, which the guide's sessions leave out: an omitted
-- optional parameter may keep its previous value (guide 2.1.1), so a CON or RAI sent
-- before must not decide this uplink.
function TestGuideOrder:test_non_rai_0_is_sent_with_its_type()
  connected()
  p:ok("AT+NMGS=5,00454C4C4F,0")
  lu.assertTrue(m:send("\0ELLO"))
  p:ok("AT+NMGS=5,00454C4C4F,1")
  lu.assertTrue(m:send("\0ELLO", {rai = 1}))
  lu.assertTrue(p:finish())
end

function TestGuideOrder:test_leaving_indicate_mode_reads_the_buffer_only_when_it_may_hold_something()
  setup()
  p:ok("AT+NNMI=2")
  assert(m:set_receive_mode("indicate"))
  p:ok("AT+NQMGR", "BUFFERED=0,RECEIVED=1,DROPPED=0")
  assert(m:queue_stats())
  p:ok("AT+NNMI=1")
  assert(m:set_receive_mode("direct")) -- known empty, and indicate mode announces every message
  lu.assertTrue(p:finish())
  lu.assertEquals(p:unexpected(), {})
  -- an indication since the count: read what it announced
  p:ok("AT+NNMI=2")
  assert(m:set_receive_mode("indicate"))
  p:ok("AT+NQMGR", "BUFFERED=0,RECEIVED=1,DROPPED=0")
  assert(m:queue_stats())
  p:reply("\r\n+NNMI\r\n")
  assert(p:finish())
  settle(0.05)
  p:ok("AT+NNMI=1"):ok("AT+NMGR", "+NMGR: 2,AB01"):on("AT+NMGR", "\r\n+CME ERROR: 801\r\n")
  assert(m:set_receive_mode("direct"))
  lu.assertEquals(m:receive{timeout = 0.1}, "\171\1")
  lu.assertTrue(p:finish())
  -- buffer mode says nothing when a message arrives: a count taken there proves nothing
  p:ok("AT+NNMI=0")
  assert(m:set_receive_mode("buffer"))
  p:ok("AT+NQMGR", "BUFFERED=0,RECEIVED=2,DROPPED=0")
  assert(m:queue_stats())
  p:ok("AT+NNMI=2")
  assert(m:set_receive_mode("indicate"))
  p:ok("AT+NNMI=1"):on("AT+NMGR", "\r\n+CME ERROR: 801\r\n")
  assert(m:set_receive_mode("direct"))
  lu.assertTrue(p:finish())
end

---------------------------------------------------------------------------------------
-- what the guide tells the user, in the docs

TestGuideDocs = {}

local function slurp(path)
  local f = assert(io.open(os.getenv("BC260Y_SOURCE_DIR") .. "/" .. path))
  local s = f:read("a")
  f:close()
  return s
end

function TestGuideDocs:test_send_docs_say_which_type_fits_each_platform_setting()
  local api = slurp("docs/api.md")
  lu.assertStrContains(api, "| no | `{rai = 1}` (type 1)")
  lu.assertStrContains(api, "| yes (AAAA0000 by default) | `{rai = 2}` (type 2)")
  lu.assertStrContains(api, "`1**02`") -- the guide's garbled text, and what the library reads
end

function TestGuideDocs:test_the_platform_side_of_dfota_for_both_platforms()
  local how = slurp("docs/dfota.md")
  for _, word in ipairs({"omCapability", "public.pem", "ECDSA_256K1+SHA256", "group",
                         "CTWing AEP", "firmware version", "start immediately"}) do
    lu.assertStrContains(how, word)
  end
  lu.assertStrContains(slurp("README.md"), "docs/dfota.md")
  lu.assertStrContains(slurp("examples/dfota.lua"), "docs/dfota.md")
end

---------------------------------------------------------------------------------------
-- downlinks up to the module's 2560-byte receive buffer, end to end

TestBigDownlinks = {}

function TestBigDownlinks:test_2560_bytes_in_every_receive_mode_through_the_virtual_module()
  local big = {}
  for i = 1, 2560 do big[i] = string.char((i * 7) % 256) end
  big = table.concat(big)
  bc260y.run(function()
    local m = assert(bc260y.open("sim", {speed = 50, sim = {qsclk = 0}}))
    assert(m:init())
    assert(m:connect{host = "221.229.214.202", port = 5683})
    for _, mode in ipairs({"direct", "buffer", "indicate"}) do
      assert(m:set_receive_mode(mode))
      m.platform:queue_downlink(big)
      local got, msg = m:receive{timeout = 30}
      lu.assertNotNil(got, mode .. ": " .. tostring(msg))
      lu.assertEquals(#got, 2560, mode)
      lu.assertTrue(got == big, mode)
    end
    -- one more byte is more than the module's buffer holds: the platform cannot send it
    lu.assertErrorMsgContains("1..2560", m.platform.queue_downlink, m.platform, big .. "x")
    m:close({deregister = false})
  end)
end

function TestBigDownlinks:test_2560_bytes_from_a_module_on_a_pty()
  setup()
  local big = ("\171"):rep(2560)
  local hex = ("AB"):rep(2560)
  p:reply("\r\n+NNMI: 2560," .. hex .. "\r\n")
  assert(p:finish())
  lu.assertEquals(m:receive{timeout = 1}, big)
  p:ok("AT+NNMI=0")
  assert(m:set_receive_mode("buffer"))
  p:ok("AT+NMGR", "+NMGR: 2560," .. hex)
  lu.assertEquals(m:receive{timeout = 1}, big)
  lu.assertTrue(p:finish())
  teardown()
end

os.exit(lu.LuaUnit.run())
