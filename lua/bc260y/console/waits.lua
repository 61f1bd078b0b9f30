-- bc260y.console.waits: what the module is now busy with after a line in the console, so
-- a person sees what is awaited and for how long: a registration after AT+NCDPOPEN (up to
-- the guide's 126 s), a CON acknowledgement after AT+NMGS with type 100..102, a firmware
-- download and update after their +QIND: "FOTA" start lines. The wait ends on the line
-- that settles it (+QLWEVTIND: 3, 4, DOWNLOAD,<err>, END,<err>...). A wait with a limit (the
-- guide's: 126 s for a registration, 93 s for a CON acknowledgement) gives up once the limit
-- has passed with no result.
--
--   local w = waits.new(function(ev) ... end)   ev: {what=, phase=, elapsed=, limit=},
--     the events of bc260y.progress, and phase "gave_up" when the limit passed unsettled
--   w:command_ok(cmd)   a command the module accepted    w:line(line)   a line it printed
--   w:stop()
local loop = require("bc260y.loop")
local decode = require("bc260y.core").decode

local waits = {}

-- A decoded line (bc260y.core.decode) that is the given +QLWEVTIND code, or the given FOTA
-- stage (with the given value; any value when nil).
local function event(...)
  local codes = {...}
  return function(d)
    if d.kind ~= "qlwevtind" then return false end
    for _, code in ipairs(codes) do
      if d.value == code then return true end
    end
    return false
  end
end
local function fota(stage, value)
  return function(d) return d.kind == "fota" and d.stage == stage and (value == nil or d.value == value) end
end

-- A wait starts on a command the module accepted (command: a pattern of what was typed) or
-- on a line it printed (starts); it ends on the first line that is done, else failed.
local RULES = {
  {command = "^AT%+NCDPOPEN=", what = "progress.registration", limit = 126,
   done = event(3), failed = event(1, -1)},
  {command = "^AT%+NMGS=%d+,[^,]*,10[012]$", what = "progress.con_ack", limit = 93,
   done = event(4), failed = event(5, 10)},
  {starts = fota("download_start"), what = "progress.fota_download",
   done = fota("download", 0), failed = fota("download")},
  {starts = fota("start"), what = "progress.fota_update",
   done = fota("end", 0), failed = fota("end")},
}

local Tracker = {}
Tracker.__index = Tracker

function waits.new(report, clock)
  return setmetatable({report = report, clock = clock or loop.now}, Tracker)
end

function Tracker:_event(phase)
  local a = self.active
  self.report{what = a.rule.what, phase = phase, elapsed = self.clock() - a.t0, limit = a.rule.limit}
end

function Tracker:_start(rule)
  self:stop()
  self.active = {rule = rule, t0 = self.clock()}
  self:_event("start")
  local function tick()
    self.timer = loop.timer(1, function()
      if not self.active then return end
      -- (a second's grace: the module's own verdict at the limit, +QLWEVTIND: 1 at 126 s,
      -- settles the wait rather than the giving up)
      if rule.limit and self.clock() - self.active.t0 > rule.limit + 1 then
        self.timer = nil
        return self:_finish("gave_up")
      end
      self:_event("tick")
      tick()
    end)
  end
  tick()
end

function Tracker:_finish(phase)
  if self.timer then self.timer:cancel(); self.timer = nil end
  self:_event(phase)
  self.active = nil
end

-- Stops showing a wait (a new one starts, the console closes) without a verdict.
function Tracker:stop()
  if self.timer then self.timer:cancel(); self.timer = nil end
  self.active = nil
end

function Tracker:command_ok(cmd)
  local upper = cmd:upper()
  for _, rule in ipairs(RULES) do
    if rule.command and upper:find(rule.command) then return self:_start(rule) end
  end
end

-- A line the module printed: what it is comes from the C decoder (a line it refuses
-- settles nothing).
function Tracker:line(line)
  local d = decode(line)
  if not (d and d.kind) then return end
  local a = self.active
  if a then
    -- done before failed: failed may be wider (DOWNLOAD,<n> includes 0)
    if a.rule.done(d) then return self:_finish("done") end
    if a.rule.failed(d) then return self:_finish("failed") end
  end
  for _, rule in ipairs(RULES) do
    if rule.starts and rule.starts(d) then return self:_start(rule) end
  end
end

return waits
