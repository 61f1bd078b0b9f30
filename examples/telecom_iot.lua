-- telecom_iot.lua: the guide's chapter 4.1.2 session with China Telecom's IoT platform,
-- step by step: buffer mode with indications (AT+NNMI=2), register with
-- 180.101.147.115:5683, an uplink answered by the platform (AAAA0000 with "response to
-- uplink" on), the buffer counters (AT+NQMGR) before and after draining it (AT+NMGR),
-- deep sleep and wake-up, then direct mode and a CON uplink with its delivery status.
--
--   bc260y run examples/telecom_iot.lua                  the virtual module
--   bc260y run examples/telecom_iot.lua --port /dev/ttyUSB0 --trace   real hardware
local bc260y = require("bc260y")
local loop = require("bc260y.loop")

local function hex(s)
  return (s:gsub(".", function(c) return ("%02X"):format(c:byte()) end))
end

local function step(what) print("== " .. what) end

local function show_counters(m)
  local q = assert(m:queue_stats())        -- AT+NQMGR
  print(("   BUFFERED=%d RECEIVED=%d DROPPED=%d"):format(q.buffered, q.received, q.dropped))
  return q
end

local m = assert(bc260y.open())
local info = assert(m:init())              -- ... AT+CGPADDR? until the module has an IP
print(("module %s %s, IMEI %s, IP %s"):format(info.model, info.revision, info.imei, info.ip))
-- The platform answers every uplink with AAAA0000 when "response to uplink" is on;
-- the virtual platform is told so here (a real one is configured on its web console).
if m.platform then m.platform:set_auto_reply(true) end

step("buffer mode with indications, register with the IoT platform")
assert(m:set_receive_mode("indicate"))     -- AT+NNMI=2
assert(m:connect{host = "180.101.147.115", port = 5683})

step("uplink; the answer waits in the module's buffer")
local indicated = loop.future()
local h = m:on("urc", function(line) if line == "+NNMI" then indicated:set(true) end end)
assert(m:send("\0ELLO"))                   -- AT+NMGS=5,00454C4C4F
print("   +NNMI indication: " .. tostring(indicated:get(30) == true))
h:off()
show_counters(m)
local data = assert(m:receive{timeout = 30})   -- AT+NMGR
print(("   +NMGR: %d,%s"):format(#data, hex(data)))
show_counters(m)

step("deep sleep, then wake up")
local asleep = loop.future()
h = m:on("deepsleep", function() asleep:set(true) end)
assert(m:sleep_mode("deep"))               -- AT+QSCLK=1
print("   entered deep sleep: " .. tostring(asleep:get(180) == true))
h:off()
h = m:on("resumed", function() print("   session restored (+QLWEVTIND: 6)") end)
assert(m:sleep_mode("off"))                -- the Modem wakes the module, then AT+QSCLK=0
h:off()

step("direct mode, CON uplink")
assert(m:set_receive_mode("direct"))       -- AT+NNMI=1
assert(m:send("\1\5HELLO", {con = true}))  -- AT+NMGS=7,010548454C4C4F,100; +QLWEVTIND: 4
data = m:receive{timeout = 30}             -- +NNMI: 4,AAAA0000
print("   downlink: " .. (data and hex(data) or "none"))
local status, name = assert(m:uplink_status())  -- AT+QLWULDATASTATUS?
print(("   CON status %d (%s)"):format(status, name))
assert(m:sleep_mode("deep"))

assert(m:close())
print("done")
