-- ctwing_aep.lua: the guide's chapter 4.2.2 session with China Telecom's CTWing AEP,
-- step by step: deep sleep off, RRC state reports, direct receive mode, lifetime 86400,
-- register with 221.229.214.202:5683, a NON uplink with RAI 1 (the network releases the
-- RRC connection at once), deep sleep and wake-up, a CON uplink with RAI 2 and its
-- delivery status, deep sleep on again. At the end it waits a moment for a command
-- from the platform (on the virtual module the script queues one itself).
--
--   bc260y run examples/ctwing_aep.lua                  the virtual module
--   bc260y run examples/ctwing_aep.lua --port /dev/ttyUSB0 --trace   real hardware
local bc260y = require("bc260y")
local loop = require("bc260y.loop")

-- Waits (at most timeout seconds) for the next `name` event; true when it came.
local function wait_for(m, name, timeout)
  local f = loop.future()
  local h = m:on(name, function(...) f:set(true, ...) end)
  local ok = f:get(timeout)
  h:off()
  return ok == true
end

local function step(what) print("== " .. what) end

local m = assert(bc260y.open())
local info = assert(m:init())              -- AT, ATE0, CMEE=1, ATI, CGSN, CSCON=1, CGPADDR?
print(("module %s %s, IMEI %s, IP %s"):format(info.model, info.revision, info.imei, info.ip))
m:on("rrc", function(state) print("   RRC " .. state) end)

step("deep sleep off, direct receive mode, lifetime 86400 s")
assert(m:sleep_mode("off"))                -- AT+QSCLK=0
assert(m:set_receive_mode("direct"))       -- AT+NNMI=1: downlinks come as +NNMI: <len>,<hex>
assert(m:set_lifetime(86400))              -- AT+NCFG=0,86400 (used from the next boot)

step("register with the AEP")
assert(m:connect{host = "221.229.214.202", port = 5683})  -- +QLWEVTIND: 0, then 3
print("   " .. assert(m:status()))

step("NON uplink with RAI 1: the network lets go of the RRC connection at once")
local idle = loop.future()
local h = m:on("rrc", function(state) if state == "idle" then idle:set(true) end end)
assert(m:send("\1\5HELLO", {rai = 1}))     -- AT+NMGS=7,"010548454C4C4F",1
print("   RRC released: " .. tostring(idle:get(30) == true))
h:off()

step("deep sleep")
local asleep = loop.future()
h = m:on("deepsleep", function() asleep:set(true) end)
assert(m:sleep_mode("deep"))               -- AT+QSCLK=1
-- The module sleeps once RRC is idle and T3324 runs out (about a minute on the network).
print("   entered deep sleep: " .. tostring(asleep:get(180) == true))
h:off()

step("wake up and send a CON uplink with RAI 2")
local resumed = m:on("resumed", function() print("   session restored (+QLWEVTIND: 6)") end)
assert(m:sleep_mode("off"))                -- the Modem wakes the module first
assert(m:send("\1\5HELLO", {con = true, rai = 2}))  -- returns on +QLWEVTIND: 4
resumed:off()
local status, name = assert(m:uplink_status())      -- AT+QLWULDATASTATUS?
print(("   CON status %d (%s)"):format(status, name))
assert(m:sleep_mode("deep"))

step("a command from the platform")
if m.platform then m.platform:queue_downlink("\2\1ON") end  -- the virtual platform only
local data = m:receive{timeout = 30}
if data then
  print(("   downlink of %d bytes: %s"):format(#data, (data:gsub(".", function(c)
    return ("%02X"):format(c:byte()) end))))
else
  print("   no downlink within 30 s")
end

assert(m:close())                          -- AT+NCDPCLOSE, until DEREGISTERED
print("done")
