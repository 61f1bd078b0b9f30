-- bc260y.adapters.cqueues: runs the library inside a cqueues controller. One cqueues
-- coroutine drives bc260y.loop: it waits (cqueues.poll) on the fds bc260y watches, its
-- next deadline and a condition, runs loop.step(0), and ends when bc260y has nothing
-- left to wait for, so cq:loop() returns once both sides are done.
--
--   local cqueues = require("cqueues")
--   local cq = cqueues.new()
--   local bc = require("bc260y.adapters.cqueues").attach(cq)  -- or attach(cq, {onerror = fn})
--   bc:spawn(function() local m = assert(bc260y.open(...)); ... end)
--   assert(cq:loop())
--
--   adapter:spawn(fn, ...)  start a bc260y task (bc260y.spawn, then wake)
--   adapter:wake()          re-read what bc260y waits for; call it after using bc260y
--                           from a cqueues coroutine (outside a bc260y task) in a way
--                           that starts a task, a timer or a watch
--   adapter:detach()        the driving coroutine ends at its next wake-up
--
-- The library's calls made outside a bc260y task still block (they run bc260y's own loop
-- until done): make them from tasks, not from cqueues coroutines.
local cqueues = require("cqueues")
local condition = require("cqueues.condition")
local loop = require("bc260y.loop")

local adapter = {}

local Adapter = {}
Adapter.__index = Adapter

-- A pollable cqueues understands: an fd and the events wanted.
local function pollable(fd, events) return {pollfd = fd, events = events} end

-- What to wait for now: a list of pollables and a timeout (nil: none), or nil when
-- bc260y waits for nothing at all.
local function waits()
  local rfds, wfds, deadline = loop.pollables()
  local want, list = {}, {}
  for _, fd in ipairs(rfds) do want[fd] = "r" end
  for _, fd in ipairs(wfds) do want[fd] = want[fd] and "rw" or "w" end
  for fd, events in pairs(want) do list[#list + 1] = pollable(fd, events) end
  local timeout
  if loop.ready() then
    timeout = 0
  elseif deadline then
    timeout = math.max(deadline - loop.now(), 0)
  elseif #list == 0 then
    return nil
  end
  return list, timeout
end

-- cqueues keeps each fd it polled registered after the wait ends, and raises from the
-- controller ("unable to update event disposition") when that fd is closed before it
-- updates the registration, which is what closing a Modem inside a step does. So the
-- fds are released (cqueues.cancel) before every step, while they are still open, and
-- registered again by the next wait: two epoll_ctl calls per wake-up, the price of
-- not knowing which fds a step will close.
function Adapter:_release_fds()
  for fd in pairs(self.polled) do cqueues.cancel(fd) end
  self.polled = {}
end

function Adapter:_drive()
  while self.attached do
    self:_release_fds()
    local ok, err = pcall(loop.step, 0)
    if not ok then
      self.running = false -- if onerror raises, this coroutine ends: wake() starts another
      self.onerror(err)
      self.running = true
    end
    local list, timeout = waits()
    if not list then break end
    for _, p in ipairs(list) do self.polled[p.pollfd] = true end
    list[#list + 1] = self.cond
    if timeout then list[#list + 1] = timeout end
    cqueues.poll(table.unpack(list))
  end
  self:_release_fds()
  self.running = false
end

-- adapter.attach(cq[, opts]): opts.onerror(msg) for errors of unprotected tasks
-- (default: raise it, which ends cq:loop() with that error).
function adapter.attach(cq, opts)
  assert(cq and cq.wrap, "attach: a cqueues controller expected")
  opts = opts or {}
  local self = setmetatable({cq = cq, cond = condition.new(), attached = true,
                             running = false, polled = {},
                             onerror = opts.onerror or function(msg) error(msg, 0) end}, Adapter)
  self:wake()
  return self
end

function Adapter:wake()
  if not self.attached then return end
  if self.running then
    self.cond:signal()
  else
    self.running = true
    self.cq:wrap(function() self:_drive() end)
  end
end

function Adapter:spawn(fn, ...)
  local task = loop.spawn(fn, ...)
  self:wake()
  return task
end

function Adapter:detach()
  self.attached = false
  self.cond:signal()
end

return adapter
