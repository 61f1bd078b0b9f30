-- bc260y.sim.battery_table: the table of docs/battery.md and docs/battery.zh.md, measured
-- on the virtual module (issue 21, item 4). One uplink an hour, each row a choice (NON or
-- CON, RAI 0/1/2, deep sleep on or off, three PSM settings); each cell the average current
-- from the energy account (bc260y.sim.energy's default profile) and the years it gives a
-- 2,400 mAh cell. Runs on a virtual clock: no pty, no real time, the same figures every run.
--   lua5.4 -e 'print(require("bc260y.sim.battery_table").markdown("en"))'
-- spec/lua/battery_doc_spec.lua checks the pages hold exactly what this prints.
local clock = require("bc260y.sim.clock")
local Platform = require("bc260y.sim.platform")
local Module = require("bc260y.sim.module")
local energy = require("bc260y.sim.energy")

local M = {}

M.CELL_MAH = 2400
local HOURS = 6 -- measured after the first hour (the attach and the registration left out)

-- The rows: {label, NMGS type (0..2 NON RAI n, 100..102 CON RAI n), AT+QSCLK, PSM}. PSM:
-- {tau, active} seconds (AT+CPSMS=1 with those timers), or false (AT+CPSMS=0).
M.ROWS = {
  {"NON, RAI 0", 0, 1, {3600, 60}},
  {"NON, RAI 1", 1, 1, {3600, 60}},
  {"NON, RAI 2", 2, 1, {3600, 60}},
  {"CON, RAI 0", 100, 1, {3600, 60}},
  {"CON, RAI 2", 102, 1, {3600, 60}},
  {"NON, RAI 1, PSM active 10 s", 1, 1, {3600, 10}},
  {"NON, RAI 1, PSM active 6 min", 1, 1, {3600, 360}},
  {"NON, RAI 1, PSM off", 1, 1, false},
  {"NON, RAI 1, deep sleep off", 1, 0, {3600, 60}},
}

local timers = require("bc260y.timers3gpp")

-- The average µA of one row over HOURS hours of hourly uplinks.
function M.measure(ty, qsclk, psm)
  local c = clock.virtual()
  local p = Platform.new{clock = c}
  local m = Module.new{clock = c, platform = p, out = function() end}
  p:register_device{imei = m.imei}
  m:power_on()
  c:advance(5)
  local function cmd(line, dt)
    m:input(line .. "\r")
    c:advance(dt or 1)
  end
  cmd("ATE0")
  cmd("AT+QSCLK=" .. qsclk)
  if psm then
    cmd(('AT+CPSMS=1,,,"%s","%s"'):format(timers.encode_tau(psm[1]), timers.encode_active(psm[2])))
  else
    cmd("AT+CPSMS=0")
  end
  cmd('AT+NCDPOPEN="221.229.214.202",5683', 5)
  local function an_hour()
    -- (a sleeping module loses the first bytes: the PSM_EINT pin wakes it first)
    if m.sleep_state == "asleep" then m:wake("pin"); c:advance(1) end
    cmd(("AT+NMGS=2,0102,%d"):format(ty))
    c:advance(3600 - 1 - c:now() % 3600)
  end
  an_hour()
  local before = m:energy_report()
  for _ = 1, HOURS do an_hour() end
  local after = m:energy_report()
  return (after.uah - before.uah) * 3600 / (after.elapsed - before.elapsed)
end

local HEAD = {
  en = {"| one uplink an hour | average µA | years on 2,400 mAh |", "|---|---:|---:|"},
  zh = {"| 每小时一次上行 | 平均电流 µA | 2400 mAh 电池可用年数 |", "|---|---:|---:|"},
}

-- The table as markdown lines joined by "\n" (lang "en" or "zh": the header's language).
function M.markdown(lang)
  local out = {table.unpack(HEAD[lang or "en"])}
  for _, row in ipairs(M.ROWS) do
    local ua = M.measure(row[2], row[3], row[4])
    out[#out + 1] = ("| %s | %.1f | %.1f |"):format(row[1], ua, energy.battery_years(M.CELL_MAH, ua))
  end
  return table.concat(out, "\n")
end

return M
