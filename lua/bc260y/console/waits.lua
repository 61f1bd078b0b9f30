-- bc260y.console.waits: what the module is now busy with after a line in the console, so
-- a person sees what is awaited and for how long: a registration after AT+NCDPOPEN (up to
-- the guide's 126 s), a CON acknowledgement after AT+NMGS with type 100..102, a firmware
-- download and update after their +QIND: "FOTA" start lines. The wait ends on the line
-- that settles it (+QLWEVTIND: 3, 4, DOWNLOAD,<err>, END,<err>...).
--
--   local w = waits.new(function(ev) ... end)   ev: {what=, phase=, elapsed=, limit=},
--                                                 the events of bc260y.progress
--   w:command_ok(cmd)   a command the module accepted    w:line(line)   a line it printed
--   w:stop()
local loop = require("bc260y.loop")

local waits = {}

local RULES = {
  {command = "^AT%+NCDPOPEN=", what = "progress.registration", limit = 126,
   done = {"^%+QLWEVTIND:%s*3$"}, failed = {"^%+QLWEVTIND:%s*1$", "^%+QLWEVTIND:%s*%-1$"}},
  {command = "^AT%+NMGS=%d+,[^,]*,10[012]$", what = "progress.con_ack", limit = 93,
   done = {"^%+QLWEVTIND:%s*4$"}, failed = {"^%+QLWEVTIND:%s*5$", "^%+QLWEVTIND:%s*10$"}},
  {line = '^%+QIND:%s*"FOTA","DOWNLOAD START"$', what = "progress.fota_download",
   done = {'^%+QIND:%s*"FOTA","DOWNLOAD",%s*0$'}, failed = {'^%+QIND:%s*"FOTA","DOWNLOAD",%s*%d+$'}},
  {line = '^%+QIND:%s*"FOTA","START"$', what = "progress.fota_update",
   done = {'^%+QIND:%s*"FOTA","END",%s*0$'}, failed = {'^%+QIND:%s*"FOTA","END",%s*%d+$'}},
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

local function matches(line, patterns)
  for _, p in ipairs(patterns) do
    if line:find(p) then return true end
  end
  return false
end

function Tracker:line(line)
  local a = self.active
  if a then
    -- done before failed: a failed pattern may be wider (DOWNLOAD,<n> includes 0)
    if matches(line, a.rule.done) then return self:_finish("done") end
    if matches(line, a.rule.failed) then return self:_finish("failed") end
  end
  for _, rule in ipairs(RULES) do
    if rule.line and line:find(rule.line) then return self:_start(rule) end
  end
end

return waits
