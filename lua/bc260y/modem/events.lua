-- bc260y.modem.events: the Modem's event hub (part of the Modem class, mixed in by
-- bc260y.modem). m:on registers a callback and returns its handle; _emit runs every
-- active handler of an event in its own protected task, so a callback may call the
-- module, and an error in it goes to the `error` event (or stderr) instead of stopping
-- the loop. _changed is the signal that wakes calls waiting for the module's state.
local loop = require("bc260y.loop")
local handle = require("bc260y.modem.handle")
local listener = require("bc260y.modem.listener")
local i18n = require("bc260y.i18n")

local now = loop.now

local M = {}
local Events = {} -- methods of the Modem class (bc260y.modem mixes them in)
M.methods = Events

-- +QLWEVTIND codes -> event names (guide chapter 3).
local QLWEVTIND = {
  [-1] = "connection_error", [0] = "registered", [1] = "register_failed",
  [2] = "lifetime_updated", [3] = "observed", [4] = "con_ok", [5] = "con_failed",
  [6] = "resumed", [7] = "resume_failed", [8] = "fota_observed", [9] = "fota_unobserved",
  [10] = "observe_reset",
}
M.QLWEVTIND = QLWEVTIND

local EVENTS = {
  downlink = true, downlink_dropped = true, fota = true, deepsleep = true, wakeup = true,
  rrc = true, reboot = true, urc = true, unknown = true, unknown_value = true, late = true,
  overflow = true, error = true,
  unresponsive = true, warning = true,
}
for _, name in pairs(QLWEVTIND) do EVENTS[name] = true end
M.EVENTS = EVENTS -- every event name m:on accepts (docs/api.md is checked against it)

-- Reports an error of a callback (or of a trace function) through the `error` event;
-- an error inside an `error` handler, or an error with no handler, goes to stderr.
function Events:_callback_error(msg)
  local list = self._handlers.error
  if list and #list > 0 then
    for _, h in ipairs({table.unpack(list)}) do
      loop.spawn_protected(function(handler_error)
        io.stderr:write("bc260y: ", i18n.t("lib.error_handler_failed", tostring(handler_error)), "\n")
      end, h.fn, msg, "callback")
    end
  else
    io.stderr:write("bc260y: ", i18n.t("lib.callback_failed", tostring(msg)), "\n")
  end
end

function Events:_spawn_callback(fn, ...)
  loop.spawn_protected(function(msg) self:_callback_error(msg) end, fn, ...)
end

function Events:_emit(name, ...)
  if name == "error" then
    -- Errors of the module itself (I/O): the same path as callback errors, with a code.
    local list = self._handlers.error
    if not list or #list == 0 then
      io.stderr:write("bc260y: ", tostring((...)), "\n")
      return
    end
  end
  local list = self._handlers[name]
  if not list or #list == 0 then return end
  for _, h in ipairs({table.unpack(list)}) do
    self:_spawn_callback(function(...)
      if h.active then return h.fn(...) end
    end, ...)
  end
end

function Events:on(name, fn)
  if not EVENTS[name] then
    error(("on: unknown event '%s'"):format(tostring(name)), 2)
  end
  if type(fn) ~= "function" then error("on: callback must be a function", 2) end
  if name == "downlink" then
    local h = self.inbox:add_handler(fn)
    -- Messages may wait in the module's buffer: now someone wants them.
    if self.receive_mode ~= 1 and not self.closed then
      self:_kick_drain()
      self:_schedule_poll()
    end
    return h
  end
  local list = self._handlers[name] or {}
  self._handlers[name] = list
  return handle.add(list, fn)
end

-- The module's state or the inbox changed: wakes every wait (connect, send, receive,
-- wait_for, listeners).
function Events:_state_changed()
  self._changes = self._changes + 1
  self._changed:notify()
end

-- A predicate for _wait_until: true once anything changed after this call.
function Events:_changed_since_now()
  local seen = self._changes
  return function() return self._changes ~= seen end
end

-- The one wait of the Modem: until pred() returns a true value (returned), the real-time
-- deadline (loop.now() seconds; nil: none) passes (nil, "timed out", "timeout") or the
-- modem closes (its closed error). pred is asked again after every state change.
function Events:_wait_until(pred, deadline)
  while true do
    local v = pred()
    if v then return v end
    if self.closed then return self:_closed_error() end
    local left = deadline and deadline - now()
    if left and left <= 0 then return nil, i18n.t("lib.timed_out"), "timeout" end
    self._changed:wait(left)
  end
end

-- Progress of a wait a person may sit through (open()'s progress option): the callback
-- gets {what=, phase="start"|"tick"|"done"|"failed", elapsed=, limit=, value=} when the
-- wait starts, about once a real second while it lasts and when it ends (elapsed and
-- limit in module seconds, the guide's unit). The tick timer exists only during the
-- wait: an idle Modem arms nothing. A callback that raises goes to the `error` event.
local Watch = {}
Watch.__index = Watch

function Watch:_report(phase)
  local m = self.m
  local elapsed = phase == "start" and 0 or (now() - self.t0) * m:time_scale()
  local ev = {what = self.what, phase = phase, elapsed = elapsed,
              limit = self.limit, value = self.value}
  local ok, err = pcall(self.fn, ev)
  if not ok then m:_callback_error(i18n.t("lib.progress_failed", tostring(err))) end
end

function Watch:_arm()
  self.timer = loop.timer(1, function()
    if self.ended then return end
    self:_report("tick")
    if not self.ended then self:_arm() end
  end)
end

-- A new value (DFOTA bytes or percent) reported at once as a tick.
function Watch:update(value)
  if self.ended then return end
  self.value = value
  self:_report("tick")
end

function Watch:finish(ok)
  if self.ended then return end
  self.ended = true
  if self.timer then self.timer:cancel() end
  self.timer = nil
  self:_report(ok and "done" or "failed")
end

-- m:progress_watch(what, [limit]): the watch of one wait (what: a progress.* key; limit:
-- module seconds or nil) that reports to open()'s progress option, or nil when nobody asked
-- for progress. w:update(value) reports a figure, w:finish(ok) ends it. For procedures
-- (bc260y.dfota) whose waits the Modem does not run itself.
function Events:progress_watch(what, limit)
  local fn = self.opts.progress
  if type(fn) ~= "function" then return nil end
  local w = setmetatable({m = self, fn = fn, what = what, limit = limit, t0 = now()}, Watch)
  w:_report("start")
  if not w.ended then w:_arm() end
  return w
end

-- Runs fn(...) (a wait of the Modem: _wait_until, or a loop of them) under a watch;
-- a first result of nil or false ends it as failed. Returns fn's results.
function Events:_watched(what, limit, fn, ...)
  local w = self:progress_watch(what, limit)
  if not w then return fn(...) end
  local r = table.pack(pcall(fn, ...))
  w:finish(r[1] and r[2] ~= nil and r[2] ~= false)
  if not r[1] then error(r[2], 0) end
  return table.unpack(r, 2, r.n)
end

-- m:wait_for(pred, [timeout]): the same with a timeout in module seconds.
function Events:wait_for(pred, timeout)
  if type(pred) ~= "function" then error("wait_for: predicate must be a function", 2) end
  if timeout ~= nil and (type(timeout) ~= "number" or not (timeout >= 0)) then
    error("wait_for: timeout must be a number >= 0 (module seconds)", 2)
  end
  return self:_wait_until(pred, timeout and now() + self:_real_seconds(timeout))
end

-- m:listen([filter]): a queue of this modem's URCs and reboots (bc260y.modem.listener).
function Events:listen(filter)
  if filter ~= nil and type(filter) ~= "function" then error("listen: filter must be a function", 2) end
  local queue = listener.new(self, filter, function() self:_state_changed() end)
  return queue
end

return M
