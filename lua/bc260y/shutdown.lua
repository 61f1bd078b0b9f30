-- bc260y.shutdown: the orderly stop (docs/design.md, "Stopping"). SIGTERM (procd's stop),
-- SIGINT (Ctrl-C), SIGHUP, or bc260y.stop() from a script: the on_stop handlers run, every
-- open Modem closes (deregistering: AT+NCDPCLOSE), all within BOUND real seconds, and a
-- signal then ends the process as its default action would have, so that a shell or procd
-- sees the status it expects (128 + the signal's number in a shell).
--
--   shutdown.run(fn, ...)     bc260y.run: loop.run with the signals caught meanwhile
--   shutdown.stop([reason])   the stop itself; true once done, false when one already ran
--   shutdown.stopping()       the stop's reason (a signal's name: "TERM") or nil
--   shutdown.on_stop(fn)      fn(reason) in its own task when a stop begins; :off()
--   shutdown.BOUND, shutdown.HANDLERS_BOUND   the stop's limits, real seconds (below)
local loop = require("bc260y.loop")
local modem = require("bc260y.modem")
local i18n = require("bc260y.i18n")
local handle = require("bc260y.modem.handle")

local shutdown = {}

-- procd sends SIGKILL 5 s after SIGTERM (its default term_timeout): the handlers and the
-- deregistration get 4 s of it, and the last second is for closing and exiting.
shutdown.BOUND = 4
-- The handlers' share of BOUND: the Modems close once every handler has returned or after
-- this long, whichever comes first (a handler's last uplink needs a second at most).
shutdown.HANDLERS_BOUND = 1

local SIGNALS = {"TERM", "INT", "HUP"}

local reason = nil       -- the stop's reason once one began
local finished = loop.future() -- set when the stop's closes are done
local handlers = {}      -- on_stop's handles, in the order they were added

function shutdown.stopping() return reason end

-- (the handle is m:on's: h:off() takes it out of the list)
function shutdown.on_stop(fn)
  if type(fn) ~= "function" then error("on_stop: fn must be a function", 2) end
  return handle.add(handlers, fn)
end

local function report(msg)
  io.stderr:write("bc260y: ", i18n.t("lib.stop_handler", msg), "\n")
end

-- Runs every fn in its own protected task and waits until all returned or the deadline
-- (loop.now() seconds) passed.
local function all_within(fns, deadline)
  local left, done = #fns, loop.signal()
  for _, fn in ipairs(fns) do
    loop.spawn_protected(function(msg) report(msg); left = left - 1; done:notify() end, function()
      fn()
      left = left - 1
      done:notify()
    end)
  end
  while left > 0 do
    local wait = deadline - loop.now()
    if wait <= 0 then return false end
    done:wait(wait)
  end
  return true
end

-- The stop: handlers, then the open Modems' closes, each bounded; a Modem whose close did
-- not end in time is closed without a word more to the module.
local function run_stop(why)
  local t0 = loop.now()
  local calls = {}
  for _, h in ipairs(handlers) do calls[#calls + 1] = function() h.fn(why) end end
  all_within(calls, t0 + shutdown.HANDLERS_BOUND)
  local open = modem.open_modems()
  calls = {}
  for _, m in ipairs(open) do calls[#calls + 1] = function() m:_close_for_stop() end end
  all_within(calls, t0 + shutdown.BOUND)
  for _, m in ipairs(open) do m:close{deregister = false} end
  finished:set(true)
end

function shutdown.stop(why)
  if reason then
    finished:get()
    return false
  end
  reason = why or "stop"
  if loop.current() then
    run_stop(reason)
  else
    loop.run(run_stop, reason)
  end
  return true
end

-- A signal: the stop, then the signal's own default action. A second one while the stop
-- runs ends the process at once (Ctrl-C twice).
local function on_signal(signals, name)
  if reason then signals.die(name) end
  io.stderr:write("bc260y: ", i18n.t("lib.stopping", name), "\n")
  loop.spawn(function()
    shutdown.stop(name)
    signals.die(name)
  end)
end

-- bc260y.run: loop.run, and outside any task the stop signals caught while it runs (where
-- bc260y.signals is installed: without it signals keep their default action).
function shutdown.run(fn, ...)
  if loop.current() then return fn(...) end
  local ok, signals = pcall(require, "bc260y.signals")
  local fd = ok and signals.catch(SIGNALS)
  if not fd then return loop.run(fn, ...) end
  local watch = loop.watch_background(fd, function()
    local name = signals.take()
    if name then on_signal(signals, name) end
  end)
  local results = table.pack(pcall(loop.run, fn, ...))
  watch:cancel()
  signals.release()
  -- A signal that came as the last task ended was caught but not taken: it still stops.
  local late = signals.take()
  if late then
    loop.run(function() shutdown.stop(late) end)
    signals.die(late)
  end
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

return shutdown
