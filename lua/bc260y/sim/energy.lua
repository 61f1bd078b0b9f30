-- bc260y.sim.energy: the virtual module's energy account. The module (bc260y.sim.module)
-- tells it each change of power state and each radio burst; it keeps the module seconds
-- spent in each state and, from a current profile, the charge drawn. An estimate for
-- comparing choices (PSM or not, RAI, eDRX, how often to send), not a measurement: only a
-- measurement of the user's own board (a power profiler on its supply) is exact, which is
-- why the profile is replaceable (s:set_power_profile).
local i18n = require("bc260y.i18n")

local M = {}

-- The default profile, in µA. Sources: Quectel's BC260Y-CN and BC26 hardware design
-- guides give the PSM current of this module class (a few µA; issue 21 cites about 4 µA);
-- every other figure is an ESTIMATE of the same order as those guides' tables for NB-IoT
-- modules of this class at 3.3 V, good enough to compare settings, not to promise a life.
M.DEFAULT_PROFILE = {
  psm = 3.5,            -- deep sleep (PSM), RTC running: the hardware designs' few µA
  idle_floor = 40,      -- ESTIMATE: light sleep between paging occasions
  paging_uc = 3,        -- ESTIMATE: µC per paging occasion (~150 mA-ms of receive)
  drx = 2.56,           -- seconds between paging occasions without eDRX (the usual NB-IoT DRX)
  connected = 6000,     -- ESTIMATE: RRC connected, neither sending nor receiving
  tx = 100000,          -- ESTIMATE: transmitting at 23 dBm (the worst coverage: more repetitions)
  rx = 20000,           -- ESTIMATE: receiving
  booting = 20000,      -- ESTIMATE: from reset to +CPIN: READY, and the wake-up from PSM
  off = 0,
}

local STATES = {"psm", "idle", "connected", "tx", "rx", "booting"}
M.STATES = STATES

local Account = {}
Account.__index = Account

-- clock: the module's (now() in module seconds).
function M.new(clock, profile)
  local self = setmetatable({clock = clock, state = "off", since = clock:now(), seconds = {},
    uc = 0, wakeups = 0, edrx = nil}, Account)
  for _, s in ipairs(STATES) do self.seconds[s] = 0 end
  self:set_profile(profile)
  return self
end

-- A profile table: the keys of DEFAULT_PROFILE (missing ones take the default's).
function Account:set_profile(profile)
  local p = {}
  for k, v in pairs(M.DEFAULT_PROFILE) do p[k] = v end
  for k, v in pairs(profile or {}) do
    if M.DEFAULT_PROFILE[k] == nil then error("sim: unknown power profile key " .. tostring(k), 3) end
    if type(v) ~= "number" or v < 0 then error("sim: power profile " .. k .. " must be >= 0", 3) end
    p[k] = v
  end
  self.profile = p
end

-- The current in a state, µA: idle pages at the DRX or the eDRX cycle.
function Account:_current(state)
  local p = self.profile
  if state == "idle" then return p.idle_floor + p.paging_uc / (self.edrx or p.drx) end
  return p[state] or 0
end

-- Books the time since the last change to the state it was in.
function Account:_book()
  local now = self.clock:now()
  local dt = now - self.since
  if dt > 0 and self.seconds[self.state] then
    self.seconds[self.state] = self.seconds[self.state] + dt
    self.uc = self.uc + dt * self:_current(self.state)
  end
  self.since = now
end

-- The module is now in `state` (one of STATES or "off").
function Account:enter(state)
  if state == self.state then return end
  self:_book()
  self.state = state
end

-- A burst of `seconds` inside the current state: "tx" or "rx" at its own current instead.
function Account:burst(kind, seconds)
  self.seconds[kind] = self.seconds[kind] + seconds
  self.uc = self.uc + seconds * (self:_current(kind) - self:_current(self.state))
  if self.seconds[self.state] then self.seconds[self.state] = self.seconds[self.state] - seconds end
end

function Account:woke() self.wakeups = self.wakeups + 1 end

-- The eDRX cycle in force (seconds), or nil for the plain DRX.
function Account:set_edrx(cycle)
  self:_book()
  self.edrx = cycle
end

-- {uah =, seconds = {state = s}, wakeups =, average_ua =, elapsed =} up to now.
function Account:report()
  self:_book()
  local seconds, total = {}, 0
  for k, v in pairs(self.seconds) do
    seconds[k] = v
    total = total + v
  end
  return {uah = self.uc / 3600, seconds = seconds, wakeups = self.wakeups, elapsed = total,
    average_ua = total > 0 and self.uc / total or 0}
end

-- Years a cell of `mah` lasts at `average_ua` (self-discharge and temperature ignored).
function M.battery_years(mah, average_ua)
  if average_ua <= 0 then return math.huge end
  return mah * 1000 / average_ua / (24 * 365)
end

-- One line for a summary (bc260y demo, bc260y sim): the charge, the average current, the
-- states, the life on a cell of `mah` (default 2400).
function M.summary(e, mah)
  mah = mah or 2400
  local parts = {}
  for _, s in ipairs(STATES) do
    if (e.seconds[s] or 0) > 0 then
      parts[#parts + 1] = i18n.t("sim.seconds", i18n.t("sim.state." .. s), e.seconds[s])
    end
  end
  return i18n.t("sim.energy", e.uah, e.elapsed, e.average_ua, table.concat(parts, i18n.t("sim.separator")),
    e.wakeups, M.battery_years(mah, e.average_ua), mah)
end

return M
