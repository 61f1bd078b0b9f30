-- bc260y.modem.listener: a queue of a Modem's URCs and reboots in arrival order, for procedures
-- (bc260y.dfota) that wait for one event after another and must not miss one that came
-- between two waits. m:listen(filter) makes one.
local loop = require("bc260y.loop")

local now = loop.now

local Listener = {}
Listener.__index = Listener

-- Bounded: a listener kept for a long-running device sees every URC between two uses;
-- only the recent ones can matter.
local QUEUE_MAX = 256

local M = {}

-- Events are copies of the decoded URC tables ({kind = "fota", stage =, value =}...) and
-- {kind = "reboot"}, each with `time` (bc260y.now() at arrival). filter(ev) -> boolean
-- keeps only some (default: every event).
-- notify wakes the Modem's waits (m:wait_for) when an event is queued.
function M.new(m, filter, notify)
  -- head/tail counters, not #queue: the consumed front is nil and # of a table with holes
  -- is not the count.
  local self = setmetatable({m = m, queue = {}, head = 1, tail = 0}, Listener)
  local function push(ev)
    if filter and not filter(ev) then return end
    ev.time = now()
    self.tail = self.tail + 1
    self.queue[self.tail] = ev
    if self.tail - self.head >= QUEUE_MAX then
      self.queue[self.head] = nil
      self.head = self.head + 1
    end
    notify()
  end
  self.handles = {
    m:on("urc", function(_, d)
      if not d then return end
      local ev = {}
      for k, v in pairs(d) do ev[k] = v end
      push(ev)
    end),
    m:on("reboot", function() push({kind = "reboot"}) end),
  }
  return self
end

-- The first queued event for which pred(ev) is true, without taking it, or nil.
function Listener:find(pred)
  for i = self.head, self.tail do
    local ev = self.queue[i]
    if pred(ev) then return ev, i end
  end
  return nil
end

-- Drops the events queued before the first one for which pred(ev) is true.
function Listener:skip_to(pred)
  local ev, i = self:find(pred)
  if not ev then return end
  for j = self.head, i - 1 do self.queue[j] = nil end
  self.head = i
end

-- The next queued event, waiting at most `timeout` module seconds: ev | nil, message,
-- code ("timeout", or the closed modem's code).
function Listener:next(timeout)
  local ok, msg, code = self.m:wait_for(function() return self.head <= self.tail end, timeout)
  if not ok then return nil, msg, code end
  local ev = self.queue[self.head]
  self.queue[self.head] = nil
  self.head = self.head + 1
  return ev
end

function Listener:close()
  for _, h in ipairs(self.handles) do h:off() end
  self.handles = {}
end

return M
