-- family_variants_spec.lua: the Modem against lines of the BC260Y family that the guide
-- does not print, played by spec/peer/peer.py (an independent module: Python, its own
-- parsing) from spec/peer/sessions/family_variants.txt: answers in bare text (AT+CIMI's
-- IMSI), no space after the colon, trailing spaces, lower-case hex, NMSTATUS states and a
-- +QLWEVTIND code outside the guide's tables, a known URC inside an answer and an unknown
-- line inside another. The session fails on any command it does not list, in its order.
local lu = require("luaunit")
local bc260y = require("bc260y")
local peer = require("peer_process")

local S = peer.SOURCE

function test_the_family_s_variants()
  local p = peer.start({"session", S .. "/spec/peer/sessions/family_variants.txt",
                        "--book", S .. "/spec/peer/books/setup.txt", "--timeout", "30",
                        "--gap", "0.05"})
  lu.assertNotNil(p.path, "the peer did not start")
  local seen = {values = {}, rrc = {}, downlinks = {}, unknown = {}}
  local results = {}
  local ok, err = pcall(bc260y.run, function()
    local m = assert(bc260y.open(p.path))
    m:on("unknown_value", function(kind, value) seen.values[#seen.values + 1] = {kind, value} end)
    m:on("rrc", function(state) seen.rrc[#seen.rrc + 1] = state end)
    m:on("downlink", function(data) seen.downlinks[#seen.downlinks + 1] = data end)
    m:on("unknown", function(line) seen.unknown[#seen.unknown + 1] = line end)
    assert(m:init())
    results.imsi = assert(m:at("AT+CIMI")).lines[1]
    results.identity = assert(m:identity())
    results.status1 = m:status()
    results.status2 = m:status()
    results.state = m:state()
    results.signal = assert(m:signal())
    results.clock = assert(m:clock())
    local deadline = bc260y.now() + 10
    while #seen.downlinks == 0 and bc260y.now() < deadline do bc260y.sleep(0.02) end
    m:close({deregister = false})
  end)
  local peer_ok, peer_msg = p:finish()
  lu.assertTrue(ok, tostring(err))
  lu.assertEquals(peer_msg, "", "the session was not followed")
  lu.assertTrue(peer_ok)
  lu.assertEquals(results.imsi, "460111234567890")
  -- the unknown line inside AT+QCCID's answer is the answer's (docs/design.md, "Whole
  -- answers"); the known URC inside AT+CGMR's stays a URC
  lu.assertEquals(results.identity, {imei = "869999051234563", imsi = "460111234567890",
                                     iccid = "89861118123456789012", revision = "BC260YCNAAR02A02"})
  lu.assertEquals(results.status1, "NO_UE_IP")
  lu.assertEquals(results.status2, "INIITIALISING")
  lu.assertFalse(results.state.registered) -- believed as before: never registered here
  lu.assertEquals(results.signal, {rssi_dbm = -63, ber = 0, rsrp_dbm = -74, rsrq_db = -10})
  -- 2024-02-29 23:59:59 at UTC+8 (32 quarter hours)
  lu.assertEquals(results.clock, {utc = 1709222399, zone = 8 * 3600})
  lu.assertEquals(seen.values, {{"nmstatus", "NO_UE_IP"}, {"nmstatus", "INIITIALISING"},
                                {"qlwevtind", 11}})
  lu.assertEquals(seen.rrc, {"connected"})
  lu.assertEquals(seen.downlinks, {"\190\239"})
  lu.assertEquals(seen.unknown, {})
end

os.exit(lu.LuaUnit.run())
