-- bc260y.modem.inbox: the delivery rule for downlinks (README.md, "Downlinks are delivered
-- exactly once, oldest first"). A downlink goes to the `downlink` handlers when at least
-- one is registered, otherwise into a bounded inbox that Modem:receive reads. Handlers
-- may come and go at any moment, also while messages are on their way:
--   * the handlers are picked when a message is delivered; if every one of them was
--     removed before its callback started, the message is delivered again by the same
--     rule (to the handlers of now, or back into the inbox at its place by age);
--   * when the first handler is registered, what waits in the inbox goes to it, oldest
--     first, so no message stays behind in an inbox nobody reads;
--   * a full inbox drops its oldest message and says so through on_drop.
-- The module knows nothing of tasks: `run(fn)` (given by the Modem) starts a callback.
local handle = require("bc260y.modem.handle")

local Inbox = {}
Inbox.__index = Inbox

local M = {}

-- opts: limit (messages kept, default 64), run(fn) starts fn in its own task,
-- on_drop(info) reports a dropped message, on_change() wakes whoever waits in receive.
function M.new(opts)
  opts = opts or {}
  local limit = opts.limit or 64
  assert(math.type(limit) == "integer" and limit >= 1, "inbox limit must be an integer >= 1")
  return setmetatable({
    queue = {},      -- {seq=, data=}, oldest first
    limit = limit,
    handlers = {},   -- active handler records, in registration order
    seq = 0,
    run = opts.run or function(fn) fn() end,
    on_drop = opts.on_drop or function() end,
    on_change = opts.on_change or function() end,
    delivered = 0,   -- counters, for status and the specs
    dropped = 0,
  }, Inbox)
end

function Inbox:has_handlers() return #self.handlers > 0 end
function Inbox:count() return #self.queue end

-- Keeps msg in the queue at its place by age; drops the oldest beyond the limit.
function Inbox:_store(msg)
  local q = self.queue
  local i = #q
  while i >= 1 and q[i].seq > msg.seq do i = i - 1 end
  table.insert(q, i + 1, msg)
  while #q > self.limit do
    local oldest = table.remove(q, 1)
    self.dropped = self.dropped + 1
    self.on_drop({reason = "inbox full", count = 1, data = oldest.data})
  end
  self.on_change()
end

function Inbox:_dispatch(msg)
  local snapshot = {table.unpack(self.handlers)}
  if #snapshot == 0 then return self:_store(msg) end
  local pending, taken = #snapshot, false
  for _, h in ipairs(snapshot) do
    self.run(function()
      -- Bookkeeping first, so that it happens even when the handler raises.
      pending = pending - 1
      local use = h.active
      if use then taken = true end
      if pending == 0 and not taken then self:_dispatch(msg) end
      if use then
        self.delivered = self.delivered + 1
        return h.fn(msg.data)
      end
    end)
  end
end

-- A downlink arrived (raw bytes).
function Inbox:deliver(data)
  self.seq = self.seq + 1
  self:_dispatch({seq = self.seq, data = data})
end

-- The oldest message in the inbox, or nil.
function Inbox:pop()
  local msg = table.remove(self.queue, 1)
  if msg then
    self.delivered = self.delivered + 1
    return msg.data
  end
  return nil
end

-- Registers a downlink handler; returns a handle with :off().
function Inbox:add_handler(fn)
  local h = handle.add(self.handlers, fn)
  if #self.handlers == 1 and #self.queue > 0 then
    local waiting = self.queue
    self.queue = {}
    for _, msg in ipairs(waiting) do self:_dispatch(msg) end
  end
  self.on_change() -- a receive waiting on an empty inbox must learn that handlers exist
  return h
end

return M
