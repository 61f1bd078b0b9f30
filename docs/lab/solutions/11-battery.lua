-- Lab 11, what a choice costs the battery. Part 1 weighs one uplink on the virtual
-- module's energy account (m.sim:energy()): the charge from the send until the module is
-- back in deep sleep, with RAI 0 and with RAI 1. Part 2 builds three rows of the table of
-- docs/battery.md with the function that makes it (bc260y.sim.battery_table.measure: a
-- virtual clock, six hours of hourly uplinks in a moment, the same figures every run).
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local battery_table = require("bc260y.sim.battery_table")
local energy = require("bc260y.sim.energy")
local timers = require("bc260y.timers3gpp")
local say = require("bc260y.i18n").pick       -- the line in the reader's language

-- Part 1 (tasks 1-2): µAh from one NON uplink with this RAI to the next deep sleep.
local function one_uplink(rai)
  local m = assert(bc260y.open())
  assert(m:init())
  assert(m:psm{tau = 3600, active = 60})      -- AT+CPSMS: TAU 1 h, active time 60 s
  assert(m:sleep_mode("deep"))                -- AT+QSCLK=1
  assert(m:connect{host = "221.229.214.202", port = 5683})
  local asleep = loop.future()
  local h = m:on("deepsleep", function() asleep:set(true) end)
  local before = m.sim:energy()
  assert(m:send("\1\2", {rai = rai}))         -- AT+NMGS=2,0102,<rai>
  assert(asleep:get(300 / m.sim.clock.speed), "never slept")
  h:off()
  local uah = m.sim:energy().uah - before.uah
  assert(m:close())
  return uah
end
local rai0, rai1 = one_uplink(0), one_uplink(1)
print(say{en = "one uplink with RAI 1 costs less than with RAI 0: %s", zh = "RAI 1 的一次上行比 RAI 0 省电:%s"}
  :format(tostring(rai1 < rai0)))

-- Part 2 (task 3): three rows, as docs/battery.md measures them (NMGS type, AT+QSCLK, PSM).
local psm = {3600, 60}
for _, row in ipairs({{"NON, RAI 0", 0, 1, psm}, {"NON, RAI 1", 1, 1, psm},
                      {"NON, RAI 1, deep sleep off", 1, 0, psm}}) do
  local ua = battery_table.measure(row[2], row[3], row[4])
  print(("| %s | %.1f | %.1f |"):format(row[1], ua, energy.battery_years(2400, ua)))
end
-- What AT+CPSMS asked for those timers: T3412 extended and T3324 bits.
print(('AT+CPSMS=1,,,"%s","%s"'):format(timers.encode_tau(psm[1]), timers.encode_active(psm[2])))
