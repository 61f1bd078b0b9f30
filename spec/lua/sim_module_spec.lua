-- sim_module_spec: the virtual BC260Y-CN's command interpreter and states, and the virtual
-- platform, driven directly (no pty) with a virtual clock, so every timing (126 s
-- registration timeout, RRC release, deep sleep, DFOTA) is checked exactly and instantly.
-- The same behaviour through the pty is sim_pty_spec; transcripts also replay there.
local lu = require("luaunit")
local platform = require("bc260y.sim.platform")
local module = require("bc260y.sim.module")
local transcript = require("bc260y.sim.transcript")

local sim_rig = require("sim_rig")
local rig, ready, registered = sim_rig.rig, sim_rig.ready, sim_rig.registered

local SRC = os.getenv("BC260Y_SOURCE_DIR") or "."

local function contains(list, item)
  for _, v in ipairs(list) do if v == item then return true end end
  return false
end

TestBoot = {}

function TestBoot:test_banner_order_and_echo_on_after_every_boot()
  local r = rig{boot = false}
  lu.assertEquals(r.lines(0.4), {}) -- still booting
  lu.assertEquals(r.lines(3), {"RDY", "+CFUN: 1", "+CPIN: READY", "+IP: 10.46.118.23"})
  lu.assertEquals(r.raw(0), "")
  r.send("AT")
  lu.assertEquals(r.raw(0.1), "AT\r\r\nOK\r\n")
  lu.assertEquals(r.cmd("ATE0"), {"ATE0", "OK"})
  lu.assertEquals(r.cmd("AT"), {"OK"})
  lu.assertEquals(r.cmd("AT+QRST=1", 3), {"OK", "RDY", "+CFUN: 1", "+CPIN: READY", "+IP: 10.46.118.23"})
  lu.assertEquals(r.cmd("AT"), {"AT", "OK"}) -- echo back on
  lu.assertEquals(r.cmd("ATE1"), {"ATE1", "OK"})
end

function TestBoot:test_bytes_sent_while_booting_are_lost()
  local r = rig{boot = false}
  r.send("AT")
  lu.assertEquals(r.lines(3), {"RDY", "+CFUN: 1", "+CPIN: READY", "+IP: 10.46.118.23"})
end

function TestBoot:test_default_imei_has_a_valid_luhn_digit()
  local r = ready()
  lu.assertTrue(module.valid_imei(r.m.imei))
  lu.assertFalse(module.valid_imei("869453051234567"))
  lu.assertEquals(r.cmd("AT+CGSN=1"), {"+CGSN: " .. r.m.imei, "OK"})
  lu.assertErrorMsgContains("15 digits", module.new, {clock = r.c, platform = r.p,
                            out = print, imei = "123"})
end

TestCommands = {}

function TestCommands:test_identification()
  local r = ready()
  lu.assertEquals(r.cmd("ATI"), {"Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: BC260YCNAAR02A02", "OK"})
  lu.assertEquals(r.cmd("AT+CGMM"), {"BC260Y-CN", "OK"})
  lu.assertEquals(r.cmd("AT+CGMR"), {"Revision: BC260YCNAAR02A02", "OK"})
  lu.assertEquals(r.cmd("AT+CGMI"), {"Quectel_Ltd", "OK"})
  local imei = r.m.imei
  lu.assertEquals(r.cmd("AT+CGSN=0"), {r.m.sn, "OK"})
  lu.assertEquals(r.cmd("AT+CGSN"), {r.m.sn, "OK"})
  lu.assertEquals(r.cmd("AT+CGSN=2"), {"+CGSN: " .. imei:sub(1, 14) .. "01", "OK"})
  lu.assertEquals(r.cmd("AT+CGSN=3"), {"+CGSN: 01", "OK"})
  lu.assertEquals(r.cmd("AT+CGSN=4"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+CGSN=?"), {"+CGSN: (0-3)", "OK"})
end

function TestCommands:test_lower_case_prefix_backspace_and_noise_lines()
  local r = ready()
  lu.assertEquals(r.cmd("at+cgmm"), {"BC260Y-CN", "OK"})
  lu.assertEquals(r.cmd("AT+CSX\bQ"), {"+CSQ: 25,0", "OK"})
  lu.assertEquals(r.cmd("hello"), {}) -- not a command: no answer
  r.m:input("AT\r\n")
  lu.assertEquals(r.lines(0.1), {"OK"}) -- CR LF line end: one command
  lu.assertEquals(r.cmd(("A"):rep(5000)), {"ERROR"}) -- over 4096 bytes: bounded, answered
  lu.assertEquals(r.cmd("AT"), {"OK"})
end

function TestCommands:test_cmee_modes_and_unknown_commands()
  local r = ready()
  lu.assertEquals(r.cmd("AT+CMEE?"), {"+CMEE: 1", "OK"}) -- default: numeric
  lu.assertEquals(r.cmd("AT+NNMI=7"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+CMEE=0"), {"OK"})
  lu.assertEquals(r.cmd("AT+NNMI=7"), {"ERROR"})
  lu.assertEquals(r.cmd("AT+CMEE=2"), {"OK"})
  lu.assertEquals(r.cmd("AT+NNMI=7"), {"+CME ERROR: wrong parameter value"})
  lu.assertEquals(r.cmd("AT+CMEE=1"), {"OK"})
  lu.assertEquals(r.cmd("AT+BOGUS"), {"ERROR"})
  lu.assertEquals(r.cmd("AT+BOGUS=?"), {"ERROR"})
  lu.assertEquals(r.cmd("AT+NMGS?"), {"ERROR"}) -- a form the command does not have
  lu.assertEquals(r.cmd("AT+CMEE=3"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+CMEE=?"), {"+CMEE: (0-2)", "OK"})
end

function TestCommands:test_test_forms()
  local r = ready()
  local expect = {
    ["AT+NCDPOPEN=?"] = {"OK"}, ["AT+NCDPCLOSE=?"] = {"OK"}, ["AT+NMGS=?"] = {"OK"},
    ["AT+NMGR=?"] = {"OK"}, ["AT+NNMI=?"] = {"+NNMI: (0-2)", "OK"},
    ["AT+NCFG=?"] = {"+NCFG: 0,(0-2592000)", "OK"}, ["AT+NMSTATUS=?"] = {"OK"},
    ["AT+QLWULDATASTATUS=?"] = {"OK"}, ["AT+NQMGR=?"] = {"OK"},
    ["AT+QSCLK=?"] = {"+QSCLK: (0-2)", "OK"}, ["AT+CSCON=?"] = {"+CSCON: (0,1)", "OK"},
    ["AT+CEREG=?"] = {"+CEREG: (0-5)", "OK"}, ["AT+QRST=?"] = {"+QRST: 1", "OK"},
    ["AT+CFUN=?"] = {"+CFUN: (0,1),(0)", "OK"}, ["AT+CSQ=?"] = {"+CSQ: (0-31,99),(99)", "OK"},
    ["AT+CPIN=?"] = {"OK"},
  }
  for cmd, want in pairs(expect) do lu.assertEquals(r.cmd(cmd), want, cmd) end
end

function TestCommands:test_network_queries_follow_attach()
  local r = rig{boot = false}
  r.lines(0.7) -- RDY, +CFUN, +CPIN: READY; not attached yet
  r.cmd("ATE0")
  lu.assertEquals(r.cmd("AT+CGPADDR?"), {"OK"})
  lu.assertEquals(r.cmd("AT+CSQ"), {"+CSQ: 99,99", "OK"})
  lu.assertEquals(r.cmd("AT+CEREG?"), {"+CEREG: 0,2", "OK"}) -- 2: attaching (27.007)
  lu.assertEquals(r.cmd("AT+CEREG=1"), {"OK"})
  lu.assertEquals(r.lines(2), {"+IP: 10.46.118.23", "+CEREG: 1"})
  lu.assertEquals(r.cmd("AT+CGPADDR?"), {'+CGPADDR: 0,"10.46.118.23"', "OK"})
  lu.assertEquals(r.cmd("AT+CGPADDR=0"), {'+CGPADDR: 0,"10.46.118.23"', "OK"})
  lu.assertEquals(r.cmd("AT+CSQ"), {"+CSQ: 25,0", "OK"})
  lu.assertEquals(r.cmd("AT+CEREG?"), {"+CEREG: 1,1", "OK"})
  lu.assertEquals(r.cmd("AT+CPIN?"), {"+CPIN: READY", "OK"})
  lu.assertEquals(r.cmd("AT+CFUN?"), {"+CFUN: 1", "OK"})
  lu.assertEquals(r.cmd("AT+CFUN=0"), {"+CEREG: 0", "OK"})
  lu.assertEquals(r.cmd("AT+CGPADDR?"), {"OK"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4"'), {"+CME ERROR: 957"})
  lu.assertEquals(r.cmd("AT+CFUN=1", 2), {"+CEREG: 2", "OK", "+IP: 10.46.118.23", "+CEREG: 1"})
end

function TestCommands:test_cereg_2_urc_and_query_carry_the_cell()
  local r = ready()
  lu.assertEquals(r.cmd("AT+CEREG=2"), {"OK"})
  lu.assertEquals(r.cmd("AT+CEREG?"), {'+CEREG: 2,1,"5A0F","0C2B3A67",9', "OK"})
  lu.assertEquals(r.cmd("AT+CFUN=0"), {"+CEREG: 0", "OK"})
  lu.assertEquals(r.cmd("AT+CFUN=1", 2), {"+CEREG: 2", "OK", "+IP: 10.46.118.23",
                                          '+CEREG: 1,"5A0F","0C2B3A67",9'})
  lu.assertEquals(r.cmd("AT+CEREG=6"), {"+CME ERROR: 3"})
end

function TestCommands:test_cscon_urc_and_rrc_release_after_traffic()
  local r = registered()
  lu.assertEquals(r.cmd("AT+CSCON=1"), {"OK"})
  lu.assertEquals(r.cmd("AT+CSCON?"), {"+CSCON: 1,1", "OK"})
  lu.assertEquals(r.lines(17), {})
  lu.assertEquals(r.lines(5), {"+CSCON:0"}) -- 20 s after the registration's traffic
  lu.assertEquals(r.cmd("AT+CSCON?"), {"+CSCON: 1,0", "OK"})
  lu.assertEquals(r.cmd("AT+NMGS=1,01", 1), {"OK", "+CSCON:1"})
  lu.assertEquals(r.lines(19), {})
  lu.assertEquals(r.lines(1), {"+CSCON:0"})
  -- RAI 1: released right after the uplink
  lu.assertEquals(r.cmd("AT+NMGS=1,01,1", 1.5), {"OK", "+CSCON:1", "+CSCON:0"})
  -- CON with RAI 2: after the acknowledgement (4.2.2)
  lu.assertEquals(r.cmd("AT+NMGS=1,01,102", 2), {"OK", "+CSCON:1", "+QLWEVTIND: 4", "+CSCON:0"})
end

TestConnect = {}

function TestConnect:test_default_port_and_states()
  local r = ready()
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: UNINITIALISED", "OK"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="180.101.147.115"'), {"OK"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: REGISTERING", "OK"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="180.101.147.115"'), {"+CME ERROR: 955"})
  lu.assertEquals(r.cmd("AT+NCDPCLOSE"), {"ERROR"}) -- the guide: before the result, ERROR
  lu.assertEquals(r.cmd("AT+NMGS=1,01"), {"+CME ERROR: 955"})
  lu.assertEquals(r.lines(1.1), {"+QLWEVTIND: 0"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: REGISTERED", "OK"})
  lu.assertEquals(r.lines(0.3), {"+QLWEVTIND: 3"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: REGISTERED_AND_OBSERVED", "OK"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="180.101.147.115"'), {"+CME ERROR: 959"})
  local d = r.p:device()
  lu.assertEquals(d.port, 5683)
  lu.assertEquals(d.host, "180.101.147.115")
  lu.assertEquals(d.state, "observed")
  lu.assertEquals(r.cmd("AT+NCDPCLOSE", 2), {"OK"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: DEREGISTERED", "OK"})
  lu.assertEquals(r.p:device().state, "deregistered")
  lu.assertEquals(r.cmd("AT+NCDPCLOSE"), {"+CME ERROR: 958"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="180.101.147.115",0', 3), {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3"})
  lu.assertEquals(r.p:device().port, 5683) -- port 0 means 5683
  lu.assertEquals(r.p:device().registrations, 2)
end

function TestConnect:test_parameter_errors()
  local r = ready()
  lu.assertEquals(r.cmd("AT+NCDPOPEN="), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4",70000'), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4",5684,"abc"'), {"+CME ERROR: 5"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4",5684,"zz"'), {"+CME ERROR: 5"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4",5684,"' .. ("00"):rep(257) .. '"'), {"+CME ERROR: 5"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4",1,2,3'), {"+CME ERROR: 2"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4'), {"+CME ERROR: 3"}) -- unterminated quote
end

function TestConnect:test_unknown_imei_is_rejected()
  local r = ready{register = false}
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4"', 2), {"OK", "+QLWEVTIND: 1"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: REJECTED_BY_SERVER", "OK"})
  lu.assertEquals(r.p:events()[1].what, "register_rejected")
end

function TestConnect:test_reject_policy()
  local r = ready()
  r.p:set_registration("reject")
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4"', 2), {"OK", "+QLWEVTIND: 1"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: REJECTED_BY_SERVER", "OK"})
  lu.assertErrorMsgContains("accept", r.p.set_registration, r.p, "maybe")
end

function TestConnect:test_timeout_after_126_seconds()
  local r = ready()
  r.p:set_registration("timeout")
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4"'), {"OK"})
  lu.assertEquals(r.lines(125.5), {})
  lu.assertEquals(r.lines(0.5), {"+QLWEVTIND: 1"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: TIMEOUT", "OK"})
  r.p:set_registration("accept")
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4"', 3), {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3"})
end

function TestConnect:test_psk_device()
  local r = ready{psk = "00112233445566778899AABBCCDDEEFF"}
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4",5684,"0011"', 130), {"OK", "+QLWEVTIND: 1"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: TIMEOUT", "OK"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4",5684,"00112233445566778899aabbccddeeff"', 4),
                  {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3"})
  lu.assertEquals(r.cmd("AT+NCDPCLOSE", 2), {"OK"})
  -- no psk at all, on the plain port: the server refuses an encrypted device there
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4",5683', 3), {"OK", "+QLWEVTIND: 1"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: REJECTED_BY_SERVER", "OK"})
end

-- The guide, note 2 of AT+NCDPOPEN: an encrypted device must use the platform's encrypted
-- port (and its psk); the plain port refuses it, and the encrypted port a plain device.
function TestConnect:test_encrypted_device_on_the_plain_port_and_the_reverse()
  local PSK = "00112233445566778899AABBCCDDEEFF"
  local r = ready{psk = PSK}
  lu.assertEquals(r.cmd(('AT+NCDPOPEN="1.2.3.4",5683,"%s"'):format(PSK), 3), {"OK", "+QLWEVTIND: 1"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: REJECTED_BY_SERVER", "OK"})
  local e = r.p:events()
  lu.assertEquals(e[#e].reason, "encrypted device on the plain port")
  r.cmd("AT+NCDPCLOSE")
  lu.assertEquals(r.cmd(('AT+NCDPOPEN="1.2.3.4",5684,"%s"'):format(PSK), 3),
                  {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3"})
  local plain = ready()
  lu.assertEquals(plain.cmd('AT+NCDPOPEN="1.2.3.4",5684', 3), {"OK", "+QLWEVTIND: 1"})
  lu.assertEquals(plain.cmd("AT+NMSTATUS?"), {"+NMSTATUS: REJECTED_BY_SERVER", "OK"})
  e = plain.p:events()
  lu.assertEquals(e[#e].reason, "plain device on the encrypted port")
  -- a platform with other ports
  plain.cmd("AT+NCDPCLOSE")
  plain.p:set_ports(5700, 5701)
  lu.assertEquals(plain.cmd('AT+NCDPOPEN="1.2.3.4",5701', 3), {"OK", "+QLWEVTIND: 1"})
  plain.cmd("AT+NCDPCLOSE")
  lu.assertEquals(plain.cmd('AT+NCDPOPEN="1.2.3.4",5700', 3), {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3"})
  lu.assertErrorMsgContains("differ", plain.p.set_ports, plain.p, 5683, 5683)
  lu.assertErrorMsgContains("1..65535", plain.p.set_ports, plain.p, 0, 5684)
end

TestSend = {}

function TestSend:test_all_six_types_reach_the_platform()
  local r = registered()
  for _, ty in ipairs({0, 1, 2, 100, 101, 102}) do
    local got = r.cmd(("AT+NMGS=2,A%d0F,%d"):format(ty % 10, ty), 3)
    lu.assertEquals(got[1], "OK")
    lu.assertEquals(contains(got, "+QLWEVTIND: 4"), ty >= 100, "type " .. ty)
  end
  lu.assertEquals(r.cmd("AT+NMGS=1,ff", 1), {"OK"}) -- no type: NON, RAI 0
  local ups = r.p:uplinks()
  lu.assertEquals(#ups, 7)
  local want = {{false, 0}, {false, 1}, {false, 2}, {true, 0}, {true, 1}, {true, 2}, {false, 0}}
  for i, w in ipairs(want) do
    lu.assertEquals({ups[i].con, ups[i].rai}, w, "uplink " .. i)
  end
  lu.assertEquals(ups[1].data, "\xA0\x0F")
  lu.assertEquals(ups[7].data, "\xFF")
  lu.assertEquals(ups[7].hex, "FF")
  lu.assertTrue(ups[2].time > ups[1].time)
end

function TestSend:test_length_and_hex_checks()
  local r = registered()
  lu.assertEquals(r.cmd("AT+NMGS=2,ABC"), {"+CME ERROR: 17"})
  lu.assertEquals(r.cmd("AT+NMGS=1,ABCD"), {"+CME ERROR: 14"})
  lu.assertEquals(r.cmd("AT+NMGS=1025," .. ("00"):rep(1025)), {"+CME ERROR: 14"})
  lu.assertEquals(r.cmd("AT+NMGS=1024," .. ("00"):rep(1024), 1), {"OK"})
  lu.assertEquals(r.cmd("AT+NMGS=3,ABCD"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+NMGS=2,ABXZ"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+NMGS=0,"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+NMGS=1,AB,3"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+NMGS=1"), {"+CME ERROR: 2"})
  lu.assertEquals(r.cmd("AT+NMGS=1,AB,0,1"), {"+CME ERROR: 2"})
end

function TestSend:test_state_errors()
  local r = ready()
  lu.assertEquals(r.cmd("AT+NMGS=1,AB"), {"+CME ERROR: 954"})
  r.p:set_observe(false)
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4"', 3), {"OK", "+QLWEVTIND: 0"})
  lu.assertEquals(r.cmd("AT+NMGS=1,AB"), {"+CME ERROR: 959"})
end

function TestSend:test_con_acknowledged_and_one_at_a_time()
  local r = registered()
  lu.assertEquals(r.cmd("AT+QLWULDATASTATUS?"), {"+QLWULDATASTATUS: 0", "OK"})
  lu.assertEquals(r.cmd("AT+NMGS=1,01,100"), {"OK"})
  lu.assertEquals(r.cmd("AT+QLWULDATASTATUS?"), {"+QLWULDATASTATUS: 1", "OK"})
  lu.assertEquals(r.cmd("AT+NMGS=1,02,100"), {"+CME ERROR: 959"})
  lu.assertEquals(r.cmd("AT+NMGS=1,03,0"), {"OK"}) -- NON still allowed
  lu.assertEquals(r.lines(2), {"+QLWEVTIND: 4"})
  lu.assertEquals(r.cmd("AT+QLWULDATASTATUS?"), {"+QLWULDATASTATUS: 4", "OK"})
end

function TestSend:test_con_failure_after_retransmissions()
  local r = registered()
  r.p:set_con_ack(false)
  lu.assertEquals(r.cmd("AT+NMGS=1,01,100"), {"OK"})
  lu.assertEquals(r.lines(90), {})
  lu.assertEquals(r.lines(5), {"+QLWEVTIND: 5"})
  lu.assertEquals(r.cmd("AT+QLWULDATASTATUS?"), {"+QLWULDATASTATUS: 3", "OK"})
end

-- A CON that never leaves the module: +QLWEVTIND: 5 and status 2 (send failed), not 3.
function TestSend:test_con_that_fails_to_send_reports_status_2()
  local r = registered()
  r.m.fault.uplink_fail = true
  lu.assertEquals(r.cmd("AT+NMGS=1,01,100", 2), {"OK", "+QLWEVTIND: 5"})
  lu.assertEquals(r.cmd("AT+QLWULDATASTATUS?"), {"+QLWULDATASTATUS: 2", "OK"})
  lu.assertEquals(#r.p:uplinks(), 0)
  -- a NON that fails is simply lost; the next CON goes through
  r.m.fault.uplink_fail = true
  lu.assertEquals(r.cmd("AT+NMGS=1,02", 2), {"OK"})
  lu.assertEquals(#r.p:uplinks(), 0)
  lu.assertEquals(r.cmd("AT+NMGS=1,03,100", 2), {"OK", "+QLWEVTIND: 4"})
  lu.assertEquals(r.cmd("AT+QLWULDATASTATUS?"), {"+QLWULDATASTATUS: 4", "OK"})
  lu.assertEquals(#r.p:uplinks(), 1)
end

-- NON with RAI 2: the network releases the RRC connection after the platform's reply,
-- or, with no reply coming, after a guard time.
function TestSend:test_non_with_rai_2_released_after_the_reply()
  local r = registered()
  r.cmd("AT+CSCON=1")
  lu.assertEquals(r.lines(21), {"+CSCON:0"}) -- idle first
  lu.assertEquals(r.cmd("AT+NMGS=1,01,2", 1), {"OK", "+CSCON:1"})
  lu.assertEquals(r.lines(4.4), {})            -- no reply: held for the guard time
  lu.assertEquals(r.lines(0.2), {"+CSCON:0"})
  lu.assertEquals(r.p:uplinks()[1].rai, 2)
  lu.assertFalse(r.p:uplinks()[1].con)
  r.p:set_auto_reply(true)
  lu.assertEquals(r.cmd("AT+NMGS=1,01,2", 1.45), {"OK", "+CSCON:1", "+NNMI: 4,AAAA0000"})
  lu.assertEquals(r.lines(0.1), {"+CSCON:0"})  -- right after the reply
end

function TestSend:test_rst_cancels_observation()
  local r = registered()
  r.p:cancel_observation()
  lu.assertEquals(r.cmd("AT+NMGS=1,01,100", 2), {"OK", "+QLWEVTIND: 10"})
  lu.assertEquals(r.cmd("AT+QLWULDATASTATUS?"), {"+QLWULDATASTATUS: 5", "OK"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: REGISTERED", "OK"})
  lu.assertEquals(r.cmd("AT+NMGS=1,01"), {"+CME ERROR: 959"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4"', 3), {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3"})
  lu.assertEquals(r.cmd("AT+NMGS=1,01", 1), {"OK"})
end

TestReceive = {}

function TestReceive:test_modes_direct_buffer_indicate()
  local r = registered()
  lu.assertEquals(r.cmd("AT+NNMI?"), {"+NNMI: 1", "OK"})
  r.p:queue_downlink("\1\2")
  lu.assertEquals(r.lines(1), {"+NNMI: 2,0102"})
  lu.assertEquals(r.cmd("AT+NMGR"), {"OK"}) -- direct mode keeps nothing
  lu.assertEquals(r.cmd("AT+NNMI=0"), {"OK"})
  r.p:queue_downlink("\3")
  lu.assertEquals(r.lines(1), {})
  lu.assertEquals(r.cmd("AT+NNMI=2"), {"OK"})
  r.p:queue_downlink("\4")
  lu.assertEquals(r.lines(1), {"+NNMI"})
  lu.assertEquals(r.cmd("AT+NQMGR"), {"BUFFERED=2,RECEIVED=3,DROPPED=0", "OK"})
  lu.assertEquals(r.cmd("AT+NMGR"), {"+NMGR: 1,03", "OK"})
  lu.assertEquals(r.cmd("AT+NMGR"), {"+NMGR: 1,04", "OK"})
  lu.assertEquals(r.cmd("AT+NMGR"), {"OK"})
  lu.assertEquals(r.cmd("AT+NNMI?"), {"+NNMI: 2", "OK"})
end

function TestReceive:test_buffer_holds_8_messages()
  local r = registered()
  r.cmd("AT+NNMI=0")
  for i = 1, 9 do r.p:queue_downlink(string.char(i)) end
  lu.assertEquals(r.lines(10), {'+NNMI: "recv",buff full'})
  lu.assertEquals(r.cmd("AT+NQMGR"), {"BUFFERED=8,RECEIVED=9,DROPPED=1", "OK"})
  lu.assertEquals(r.cmd("AT+NMGR"), {"+NMGR: 1,01", "OK"}) -- oldest first
end

function TestReceive:test_buffer_holds_2560_bytes()
  local r = registered()
  r.cmd("AT+NNMI=2")
  r.p:queue_downlink(("x"):rep(1024))
  r.p:queue_downlink(("y"):rep(1024))
  r.p:queue_downlink(("z"):rep(513)) -- 2561 bytes in all: dropped
  r.p:queue_downlink(("w"):rep(512)) -- exactly 2560: kept
  lu.assertEquals(r.lines(3), {"+NNMI", "+NNMI", '+NNMI: "recv",buff full', "+NNMI"})
  lu.assertEquals(r.cmd("AT+NQMGR"), {"BUFFERED=3,RECEIVED=4,DROPPED=1", "OK"})
end

-- A downlink is limited by the 2560-byte receive buffer, not the 1024-byte uplink cap,
-- in every receive mode.
function TestReceive:test_a_2560_byte_downlink_in_every_mode()
  local big = {}
  for i = 1, 2560 do big[i] = string.char(i % 256) end
  big = table.concat(big)
  local hex = module.hex_encode(big)
  local r = registered()
  r.p:queue_downlink(big)
  lu.assertEquals(r.lines(1), {"+NNMI: 2560," .. hex})
  r.cmd("AT+NNMI=0")
  r.p:queue_downlink(big)
  lu.assertEquals(r.lines(1), {})
  lu.assertEquals(r.cmd("AT+NMGR"), {"+NMGR: 2560," .. hex, "OK"})
  r.cmd("AT+NNMI=2")
  r.p:queue_downlink(big)
  lu.assertEquals(r.lines(1), {"+NNMI"})
  lu.assertEquals(r.cmd("AT+NMGR"), {"+NMGR: 2560," .. hex, "OK"})
  lu.assertEquals(r.cmd("AT+NQMGR"), {"BUFFERED=0,RECEIVED=3,DROPPED=0", "OK"})
  lu.assertErrorMsgContains("1..2560", r.p.queue_downlink, r.p, big .. "x")
  r.p:set_auto_reply(true, big)
  lu.assertErrorMsgContains("1..2560", r.p.set_auto_reply, r.p, true, big .. "x")
end

function TestReceive:test_downlinks_wait_for_registration()
  local r = ready()
  r.p:queue_downlink("\9")
  lu.assertEquals(r.lines(2), {})
  lu.assertEquals(r.p:pending_downlinks(), 1)
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4"', 3), {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3", "+NNMI: 1,09"})
  lu.assertEquals(r.p:pending_downlinks(), 0)
end

function TestReceive:test_auto_reply()
  local r = registered()
  r.p:set_auto_reply(true)
  lu.assertEquals(r.cmd("AT+NMGS=1,01", 2), {"OK", "+NNMI: 4,AAAA0000"})
  r.p:set_auto_reply(false)
  lu.assertEquals(r.cmd("AT+NMGS=1,01", 2), {"OK"})
end

TestNcfg = {}

function TestNcfg:test_lifetime_rounding_persistence_and_effect()
  local nvram = {}
  local r = ready{nvram = nvram}
  lu.assertEquals(r.cmd("AT+NCFG=0"), {"+NCFG: 0", "OK"})
  lu.assertEquals(r.cmd("AT+NCFG=0,1"), {"OK"})
  lu.assertEquals(r.cmd("AT+NCFG=0"), {"+NCFG: 900", "OK"})
  lu.assertEquals(r.cmd("AT+NCFG=0,901"), {"OK"})
  lu.assertEquals(r.cmd("AT+NCFG=0"), {"+NCFG: 901", "OK"})
  lu.assertEquals(r.cmd("AT+NCFG=0,2592001"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+NCFG=1,100"), {"+CME ERROR: 3"})
  lu.assertEquals(r.cmd("AT+NCFG=0,900"), {"OK"})
  -- takes effect after a reboot: this registration still carries 0
  r.cmd('AT+NCDPOPEN="1.2.3.4"', 3)
  lu.assertEquals(r.p:device().lifetime, 0)
  r.cmd("AT+QRST=1", 3)
  r.cmd("ATE0")
  lu.assertEquals(r.cmd("AT+NCFG=0"), {"+NCFG: 900", "OK"})
  r.cmd('AT+NCDPOPEN="1.2.3.4"', 3)
  lu.assertEquals(r.p:device().lifetime, 900)
  -- the module updates its registration before the lifetime ends
  r.cmd("AT+QSCLK=0")
  lu.assertEquals(r.lines(815), {"+QLWEVTIND: 2"})
  lu.assertEquals(nvram.lifetime, 900)
end

TestSleep = {}

function TestSleep:test_deep_sleep_wake_by_bytes_loses_them()
  local r = registered()
  r.cmd("AT+NNMI=0")
  r.p:queue_downlink("\7")
  r.lines(1)
  lu.assertEquals(r.cmd("AT+QSCLK?"), {"+QSCLK: 1", "OK"}) -- the module's default
  lu.assertEquals(r.lines(79), {}) -- RRC inactivity 20 s, then T3324 60 s
  lu.assertEquals(r.lines(2), {'+QNBIOTEVENT: "ENTER DEEPSLEEP"'})
  lu.assertEquals(r.cmd("AT+CSQ", 1), {'+QNBIOTEVENT: "EXIT DEEPSLEEP"', "+QLWEVTIND: 6"})
  -- the host whose bytes were lost tries again: the module waits for it
  lu.assertEquals(r.lines(100), {})
  lu.assertEquals(r.cmd("AT+CSQ"), {"+CSQ: 25,0", "OK"})
  lu.assertEquals(r.cmd("AT+NNMI?"), {"+NNMI: 0", "OK"}) -- kept across deep sleep
  lu.assertEquals(r.cmd("AT+NMGR"), {"+NMGR: 1,07", "OK"}) -- buffer too
  lu.assertEquals(r.lines(59), {})
  lu.assertEquals(r.lines(2), {'+QNBIOTEVENT: "ENTER DEEPSLEEP"'}) -- T3324 after the last command
  r.m:wake("pin")
  r.lines(1)
  lu.assertEquals(r.cmd("AT+QSCLK=0"), {"OK"})
  lu.assertEquals(r.lines(200), {})
end

function TestSleep:test_stray_bytes_do_not_keep_it_awake_forever()
  local r = registered()
  r.lines(81)
  r.m:input("x")
  lu.assertEquals(r.lines(1), {'+QNBIOTEVENT: "EXIT DEEPSLEEP"', "+QLWEVTIND: 6"})
  lu.assertEquals(r.lines(179), {})
  lu.assertEquals(r.lines(2), {'+QNBIOTEVENT: "ENTER DEEPSLEEP"'})
end

function TestSleep:test_pin_wake_and_resume_failure()
  local r = registered()
  r.lines(81)
  lu.assertTrue(r.m:state().asleep)
  r.m.fault.resume_fail = true
  r.m:wake("pin")
  lu.assertEquals(r.lines(1), {'+QNBIOTEVENT: "EXIT DEEPSLEEP"', "+QLWEVTIND: 7"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: RESUMPTION_FAILED", "OK"})
  lu.assertEquals(r.cmd("AT+NMGS=1,01"), {"+CME ERROR: 954"})
end

function TestSleep:test_light_sleep_only_never_sleeps_deep()
  local r = registered()
  r.cmd("AT+QSCLK=2")
  lu.assertEquals(r.lines(200), {})
end

TestFota = {}

local function fota_lines(r, dt)
  local got = r.lines(dt or 200)
  local kinds = {}
  for _, l in ipairs(got) do
    local k = l:gsub('"DOWNLOADING",%d+', '"DOWNLOADING",n'):gsub('"UPDATING",%d+%%', '"UPDATING",n%%')
    if kinds[#kinds] ~= k then kinds[#kinds + 1] = k end
  end
  return kinds, got
end

function TestFota:test_success_at_registration()
  local r = ready{qsclk = 0}
  local job = r.p:create_fota_job{size = 2000, trigger = "register"}
  r.cmd("AT+NCFG=0,86400")
  lu.assertEquals(r.cmd('AT+NCDPOPEN="221.229.214.202",5683', 2.5), {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3"})
  local kinds, got = fota_lines(r, 100)
  lu.assertEquals(kinds, {
    "+QLWEVTIND: 8", '+QIND: "FOTA","DOWNLOAD START"', '+QIND: "FOTA","DOWNLOADING",n',
    '+QIND: "FOTA","DOWNLOAD",0', '+QIND: "FOTA","START"', '+QIND: "FOTA","UPDATING",n%,1,1',
    '+QIND: "FOTA","END",0', "+CPIN: READY", "+IP: 10.46.118.23"})
  lu.assertTrue(contains(got, '+QIND: "FOTA","DOWNLOADING",512'))
  lu.assertTrue(contains(got, '+QIND: "FOTA","DOWNLOADING",2000'))
  lu.assertTrue(contains(got, '+QIND: "FOTA","UPDATING",2%,1,1'))
  lu.assertTrue(contains(got, '+QIND: "FOTA","UPDATING",100%,1,1'))
  lu.assertEquals(job.state, "rebooting")
  lu.assertEquals(r.cmd("AT"), {"AT", "OK"}) -- a boot: echo is on again
  r.cmd("ATE0")
  lu.assertEquals(r.cmd("AT+CGMR"), {"Revision: BC260YCNAAR02A03", "OK"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="221.229.214.202",5683', 4),
                  {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3", "+QLWEVTIND: 9"})
  lu.assertEquals(job.state, "succeeded")
end

function TestFota:test_trigger_at_uplink_and_data_commands_refused()
  local r = registered{qsclk = 0}
  local job = r.p:create_fota_job{size = 5120, trigger = "uplink", uplinks = 2}
  lu.assertEquals(r.cmd("AT+NMGS=1,01", 5), {"OK"})
  lu.assertEquals(job.state, "pending")
  lu.assertEquals(r.cmd("AT+NMGS=1,01", 2.0), {"OK", "+QLWEVTIND: 8"})
  lu.assertEquals(r.lines(1.5), {'+QIND: "FOTA","DOWNLOAD START"', '+QIND: "FOTA","DOWNLOADING",512'})
  for _, c in ipairs({"AT+NMGS=1,01", "AT+NMGR", 'AT+NCDPOPEN="1.2.3.4"', "AT+NCDPCLOSE"}) do
    lu.assertEquals(r.cmd(c, 0.05), {"+CME ERROR: 959"}, c)
  end
  lu.assertEquals(r.cmd("AT+NMSTATUS?", 0.05), {"+NMSTATUS: REGISTERED_AND_OBSERVED", "OK"})
  fota_lines(r, 100)
  lu.assertEquals(job.state, "rebooting")
end

local function failing(fail, qsclk)
  local r = registered{qsclk = qsclk or 0}
  local job = r.p:create_fota_job{size = 4096, trigger = "uplink", fail = fail}
  r.cmd("AT+NMGS=1,01", 0.1)
  return r, job
end

function TestFota:test_download_failures_return_to_idle()
  for _, case in ipairs({{"download_2", 2}, {"download_4", 4}, {"download_9", 9}}) do
    local r, job = failing(case[1])
    local kinds = fota_lines(r, 60)
    lu.assertEquals(kinds[#kinds], ('+QIND: "FOTA","DOWNLOAD",%d'):format(case[2]), case[1])
    lu.assertEquals(job.state, "failed")
    lu.assertEquals(job.result, case[1])
    lu.assertEquals(r.cmd("AT+NMGS=1,01", 1), {"OK"}, case[1]) -- business resumes
  end
end

function TestFota:test_deep_sleep_on_breaks_the_download()
  local r, job = failing(nil, 1)
  local kinds = fota_lines(r, 25)
  lu.assertEquals(kinds[#kinds], '+QIND: "FOTA","DOWNLOAD",4')
  lu.assertEquals(job.result, "download_4")
end

function TestFota:test_end_255()
  local r, job = failing("end_255")
  local kinds = fota_lines(r, 100)
  lu.assertEquals(kinds[#kinds], '+QIND: "FOTA","END",255')
  lu.assertEquals(job.state, "failed")
  lu.assertEquals(r.cmd("AT+CGMR"), {"Revision: BC260YCNAAR02A02", "OK"})
end

function TestFota:test_power_loss_during_update()
  local r, job = failing("power_loss")
  local kinds = fota_lines(r, 100)
  lu.assertFalse(contains(kinds, '+QIND: "FOTA","END",0'))
  lu.assertEquals(kinds[#kinds], "+IP: 10.46.118.23")
  lu.assertEquals(job.state, "rebooting")
  r.cmd("ATE0")
  lu.assertEquals(r.cmd("AT+CGMR"), {"Revision: BC260YCNAAR02A02", "OK"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4"', 4), {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3", "+QLWEVTIND: 9"})
  lu.assertEquals(job.state, "failed")
  lu.assertEquals(job.result, "power_loss")
end

function TestFota:test_host_reset_during_download_fails_the_job()
  local r, job = failing(nil)
  r.lines(3)
  lu.assertEquals(job.state, "downloading")
  r.cmd("AT+QRST=1", 3)
  lu.assertEquals(job.state, "failed")
  lu.assertEquals(job.result, "interrupted")
end

function TestFota:test_bad_job_arguments_raise()
  local p = platform.new{}
  lu.assertErrorMsgContains("trigger", p.create_fota_job, p, {trigger = "soon"})
  lu.assertErrorMsgContains("unknown failure", p.create_fota_job, p, {fail = "meteor"})
  lu.assertErrorMsgContains("size", p.create_fota_job, p, {size = -1})
  lu.assertErrorMsgContains("15 digits", p.register_device, p, {imei = "12"})
  lu.assertErrorMsgContains("psk", p.register_device, p, {imei = "869453051234566", psk = "xyz"})
  lu.assertErrorMsgContains("1..2560", p.queue_downlink, p, "")
end

TestModuleFaults = {}

function TestModuleFaults:test_urc_inside_next_response()
  local r = ready()
  r.m.fault.urc_inside = "+QLWEVTIND: 4"
  lu.assertEquals(r.cmd("ATI"), {"Quectel_Ltd", "+QLWEVTIND: 4", "Quectel_BC260Y-CN",
                                 "Revision: BC260YCNAAR02A02", "OK"})
  lu.assertEquals(r.cmd("ATI"), {"Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: BC260YCNAAR02A02", "OK"})
end

function TestModuleFaults:test_reboot_during_next_command()
  local r = registered()
  r.m.fault.reboot_next = true
  lu.assertEquals(r.cmd("AT+NQMGR", 3), {"RDY", "+CFUN: 1", "+CPIN: READY", "+IP: 10.46.118.23"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"AT+NMSTATUS?", "+NMSTATUS: UNINITIALISED", "OK"})
  lu.assertEquals(r.p:device().state, "lost")
end

function TestModuleFaults:test_connection_error()
  local r = registered()
  r.m:_connection_error()
  lu.assertEquals(r.lines(0.1), {"+QLWEVTIND: -1"})
  lu.assertEquals(r.cmd("AT+NMSTATUS?"), {"+NMSTATUS: DEREGISTERED", "OK"})
  lu.assertEquals(r.cmd("AT+NMGS=1,01"), {"+CME ERROR: 954"})
  lu.assertEquals(r.cmd('AT+NCDPOPEN="1.2.3.4"', 3), {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3"})
end

TestTranscripts = {}

-- A wire over the pure module: recv advances the virtual clock until a line is there.
local function vwire(r)
  local queue = {}
  return {
    send = function(line) r.send(line) end,
    recv = function(timeout)
      local waited = 0
      while #queue == 0 do
        for _, l in ipairs(r.lines(0)) do queue[#queue + 1] = l end
        if #queue > 0 then break end
        if waited >= timeout then return nil end
        r.c:advance(0.05)
        waited = waited + 0.05
      end
      return table.remove(queue, 1)
    end,
  }
end

local function replay(name, r, opts)
  local steps = assert(transcript.load(SRC .. "/spec/transcripts/" .. name))
  opts = opts or {}
  opts.timeout = opts.timeout or 200
  opts.before_expect = function(text)
    if text:find("EXIT DEEPSLEEP", 1, true) then r.m:wake("pin") end
  end
  local ok, err = transcript.replay(steps, vwire(r), opts)
  lu.assertTrue(ok, err)
end

function TestTranscripts:test_4_1_2_iot_platform()
  local r = ready()
  r.p:set_auto_reply(true)
  replay("4_1_2_iot.txt", r)
end

function TestTranscripts:test_4_2_2_aep()
  local r = rig{boot = false}
  replay("4_2_2_aep.txt", r)
end

function TestTranscripts:test_5_2_5_dfota_aep()
  local r = ready()
  r.p:create_fota_job{size = 1536, trigger = "register"}
  r.m:power_on() -- the guide's session starts from a boot
  replay("5_2_5_dfota_aep.txt", r)
end

function TestTranscripts:test_5_1_6_2_dfota_iot()
  local r = registered{qsclk = 0}
  r.p:create_fota_job{size = 1536, trigger = "uplink"}
  -- The guide's page starts after the uplink that triggered the job.
  lu.assertEquals(r.cmd("AT+NMGS=1,01", 3.0), {"OK", "+QLWEVTIND: 8", '+QIND: "FOTA","DOWNLOAD START"'})
  replay("5_1_6_2_dfota_iot.txt", r)
end

function TestTranscripts:test_replayer_reports_a_mismatch()
  local r = ready()
  local steps = transcript.parse("> AT+CGMR\n< Revision: SOMETHING_ELSE\n< OK\n")
  local ok, err = transcript.replay(steps, vwire(r), {timeout = 1})
  lu.assertNil(ok)
  lu.assertStrContains(err, "SOMETHING_ELSE")
end

os.exit(lu.LuaUnit.run(), true)
