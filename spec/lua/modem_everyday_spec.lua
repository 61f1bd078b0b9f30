-- modem_everyday_spec: the typed calls for the everyday questions (bc260y.modem.everyday):
-- m:identity(), m:signal(), m:network() and m:clock(), each one call for a script, with
-- the values 3GPP TS 27.007 defines converted (dBm and dB, seconds from the timer bits,
-- UTC epoch seconds and the zone from quarter hours). On the virtual module, whose values
-- are known, and against a scripted peer for what the virtual module does not print
-- ("unknown" 99/255, a zone west of Greenwich, a refused query).
local lu = require("luaunit")
local bc260y = require("bc260y")
local peer = require("peer")

local IDS = {imei = "869999051234563", imsi = "460111234567890", iccid = "89861118123456789012"}
local UTC = 1700000000

local function with_modem(simopts, fn)
  return bc260y.run(function()
    local o = {qsclk = 0}
    for k, v in pairs(simopts) do o[k] = v end
    local m = assert(bc260y.open("sim", {speed = 50, sim = o}))
    local results = table.pack(pcall(fn, m, m.sim))
    m:close({deregister = false})
    if not results[1] then error(results[2], 0) end
    return table.unpack(results, 2, results.n)
  end)
end

TestOnTheVirtualModule = {}

function TestOnTheVirtualModule:test_identity()
  with_modem(IDS, function(m)
    assert(m:init())
    lu.assertEquals(m:identity(), {imei = IDS.imei, imsi = IDS.imsi, iccid = IDS.iccid,
                                   revision = "BC260YCNAAR02A02"})
  end)
end

function TestOnTheVirtualModule:test_signal()
  with_modem({rssi = 25}, function(m)
    assert(m:init())
    -- CSQ 25: -113 + 2 x 25 dBm; CESQ RSRP index 67: 67 - 141 dBm; RSRQ 20: -20 + 20/2 dB
    lu.assertEquals(m:signal(), {rssi_dbm = -63, ber = 0, rsrp_dbm = -74, rsrq_db = -10})
  end)
end

function TestOnTheVirtualModule:test_network_and_the_report_level_put_back()
  with_modem({}, function(m)
    assert(m:init())
    local before = assert(m:at("AT+CEREG?")).lines[1]:match("^%+CEREG: (%d)")
    -- the default timings: 60 s Active Time, a TAU each hour; no eDRX
    lu.assertEquals(m:network(), {stat = 1, tac = "5A0F", cell = "0C2B3A67", act = 9,
                                  active_time = 60, periodic_tau = 3600, edrx = false})
    lu.assertEquals(assert(m:at("AT+CEREG?")).lines[1]:match("^%+CEREG: (%d)"), before)
    assert(m:edrx({cycle = 80}))
    lu.assertEquals(m:network().edrx, 81.92) -- what the network granted (AT+CEDRXRDP)
    assert(m:at("AT+CEREG=5"))
    lu.assertEquals(m:network().stat, 1)
    lu.assertEquals(assert(m:at("AT+CEREG?")).lines[1]:match("^%+CEREG: (%d)"), "5")
  end)
end

function TestOnTheVirtualModule:test_clock()
  with_modem({utc = UTC, tz = 32}, function(m)
    assert(m:init())
    local c = assert(m:clock())
    lu.assertEquals(c.zone, 8 * 3600)
    lu.assertTrue(c.utc >= UTC and c.utc < UTC + 3600, tostring(c.utc))
  end)
end

local p, m
local fixture = peer.fixture({engine = {first_byte = 0.3, total = 0.6}, poll = 0.05},
  function(p_, m_) p, m = p_, m_ end)
local setup, teardown = fixture.setup, fixture.teardown

TestAgainstAPeer = {tearDown = teardown}

function TestAgainstAPeer:test_unknown_signal_values_are_nil()
  setup()
  p:ok("AT+CSQ", "+CSQ:99,99")
  p:ok("AT+CESQ", "+CESQ: 99,99,255,255,255,255")
  lu.assertEquals(m:signal(), {})
  p:ok("AT+CSQ", "+CSQ: 0,7")
  p:ok("AT+CESQ", "+CESQ: 99,99,255,255,0,97")
  lu.assertEquals(m:signal(), {rssi_dbm = -113, ber = 7, rsrp_dbm = -44, rsrq_db = -20})
  lu.assertTrue(p:finish())
end

function TestAgainstAPeer:test_clock_west_of_greenwich_and_a_refused_read()
  setup()
  p:ok("AT+CCLK?", '+CCLK: "24/02/29,23:59:59-20"')
  lu.assertEquals(m:clock(), {utc = 1709269199, zone = -5 * 3600})
  p:on("AT+CCLK?", "\r\n+CME ERROR: 3\r\n")
  local r, _, code = m:clock()
  lu.assertNil(r)
  lu.assertEquals(code, "cme")
  lu.assertTrue(p:finish())
end

function TestAgainstAPeer:test_identity_without_a_sim()
  setup()
  p:ok("AT+CGSN=1", "+CGSN: 869999051234563")
  p:on("AT+CIMI", "\r\n+CME ERROR: 10\r\n")
  p:on("AT+QCCID", "\r\n+CME ERROR: 10\r\n")
  p:ok("AT+CGMR", "BC260YCNAAR02A02")
  lu.assertEquals(m:identity(), {imei = "869999051234563", revision = "BC260YCNAAR02A02"})
  lu.assertTrue(p:finish())
end

function TestAgainstAPeer:test_network_not_registered()
  setup()
  p:ok("AT+CEREG?", "+CEREG: 0,2")
  p:ok("AT+CEREG=4")
  p:ok("AT+CEREG?", "+CEREG: 4,2")
  p:ok("AT+CEREG=0")
  p:ok("AT+CEDRXRDP", "+CEDRXRDP: 0")
  lu.assertEquals(m:network(), {stat = 2, edrx = false})
  lu.assertTrue(p:finish())
end

os.exit(lu.LuaUnit.run())
