-- bc260y.modem_events: the Modem's event hub (part of the Modem class, mixed in by
-- bc260y.modem). m:on registers a callback and returns its handle; _emit runs every
-- active handler of an event in its own protected task, so a callback may call the
-- module, and an error in it goes to the `error` event (or stderr) instead of stopping
-- the loop. _changed is the signal that wakes calls waiting for the module's state.
local loop = require("bc260y.loop")
local handle = require("bc260y.handle")
local listener = require("bc260y.listener")

local now = loop.now

local M = {}
local Modem = {}
M.methods = Modem

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
  rrc = true, reboot = true, urc = true, unknown = true, late = true, overflow = true, error = true,
  unresponsive = true, warning = true,
}
for _, name in pairs(QLWEVTIND) do EVENTS[name] = true end
M.EVENTS = EVENTS -- every event name m:on accepts (docs/api.md is checked against it)

-- Reports an error of a callback (or of a trace function) through the `error` event;
-- an error inside an `error` handler, or an error with no handler, goes to stderr.
function Modem:_callback_error(msg)
  local list = self._handlers.error
  if list and #list > 0 then
    for _, h in ipairs({table.unpack(list)}) do
      loop.spawn_protected(function(m2)
        io.stderr:write("bc260y: error in an 'error' handler: ", tostring(m2), "\n")
      end, h.fn, msg, "callback")
    end
  else
    io.stderr:write("bc260y: error in a callback: ", tostring(msg), "\n")
  end
end

function Modem:_spawn_callback(fn, ...)
  loop.spawn_protected(function(msg) self:_callback_error(msg) end, fn, ...)
end

function Modem:_emit(name, ...)
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

function Modem:on(name, fn)
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
function Modem:_state_changed()
  self._changes = self._changes + 1
  self._changed:notify()
end

-- A predicate for _wait_until: true once anything changed after this call.
function Modem:_changed_since_now()
  local seen = self._changes
  return function() return self._changes ~= seen end
end

-- The one wait of the Modem: until pred() returns a true value (returned), the real-time
-- deadline (loop.now() seconds; nil: none) passes (nil, "timed out", "timeout") or the
-- modem closes (its closed error). pred is asked again after every state change.
function Modem:_wait_until(pred, deadline)
  while true do
    local v = pred()
    if v then return v end
    if self.closed then return self:_closed_error() end
    local left = deadline and deadline - now()
    if left and left <= 0 then return nil, "timed out", "timeout" end
    self._changed:wait(left)
  end
end

-- m:wait_for(pred, [timeout]): the same with a timeout in module seconds.
function Modem:wait_for(pred, timeout)
  if type(pred) ~= "function" then error("wait_for: predicate must be a function", 2) end
  if timeout ~= nil and (type(timeout) ~= "number" or not (timeout >= 0)) then
    error("wait_for: timeout must be a number >= 0 (module seconds)", 2)
  end
  return self:_wait_until(pred, timeout and now() + self:_real(timeout))
end

-- m:listen([filter]): a queue of this modem's URCs and reboots (bc260y.listener).
function Modem:listen(filter)
  return listener.new(self, filter, function() self:_state_changed() end)
end

return M
