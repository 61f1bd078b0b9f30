-- bc260y.progress: what a person waiting for the module sees. On a terminal one line is
-- redrawn in place ("waiting for registration ...  12 s (up to 126 s)") and a progress
-- bar for DFOTA; in a pipe or a log file, plain lines: one when a wait starts, one when
-- it ends, no control characters. Texts come from the message catalogue (en/zh).
--
--   local show = progress.new{out = io.stdout, tty = nil (detected), modem = m}
--     (modem: count module seconds on the virtual module; clock = fn to choose another)
--   show:during(what, limit, fn, ...) -> fn's results   (what: a catalogue key or text)
--   show:event{what=, phase="start"|"tick"|"done"|"failed", elapsed=, limit=}
--   show:bar(label, fraction, text)     show:line(text)
--   show:callback() -> function(ev)     progress.describe(ev) -> the text of one event
-- show:event is the form open()'s progress option hands over (one call when a
-- wait starts, one a second while it lasts, one when it ends).
local loop = require("bc260y.loop")
local i18n = require("bc260y.i18n")

local progress = {
  REGISTRATION = "progress.registration", NETWORK = "progress.network",
  CON_ACK = "progress.con_ack", WAKE = "progress.wake", DEEPSLEEP = "progress.deepsleep",
  DEREGISTER = "progress.deregister", DOWNLINK = "progress.downlink",
}

local Display = {}
Display.__index = Display

local FD = {[io.stdout] = 1, [io.stderr] = 2}

-- Module seconds, the unit of the guide's limits: the virtual module's own clock (it may
-- run faster than real time), else the loop's clock.
function progress.clock(modem)
  local sim = type(modem) == "table" and rawget(modem, "sim")
  if sim and sim.clock then return function() return sim.clock:now() end end
  return loop.now
end

function progress.new(opts)
  opts = opts or {}
  local out = opts.out or io.stdout
  local tty = opts.tty
  if tty == nil then tty = FD[out] ~= nil and os.execute("test -t " .. FD[out]) == true end
  local clock = opts.clock or progress.clock(opts.modem)
  return setmetatable({out = out, tty = tty, clock = clock, open = false}, Display)
end

local function label(what)
  local ok, text = pcall(i18n.t, what)
  return ok and text or tostring(what)
end

-- Ends a line being redrawn, so that what comes next starts on a line of its own.
function Display:_close_line()
  if self.open then self.out:write("\r\27[K"); self.open = false end
end

-- The text of an event, no control characters: "waiting for X  3 s (up to 126 s)" while
-- it lasts, "X: done after 1.8 s" (or failed) at its end.
function progress.describe(ev)
  local what = label(ev.what)
  local elapsed = ev.elapsed or 0
  if ev.phase == "start" or ev.phase == "tick" then
    local span = ev.limit and i18n.t("progress.up_to", math.floor(elapsed), math.floor(ev.limit))
      or i18n.t("progress.elapsed", math.floor(elapsed))
    local value = ev.value and ("  " .. i18n.t(ev.what == "progress.fota_update" and "progress.percent"
      or "progress.bytes", math.floor(ev.value))) or ""
    return i18n.t("progress.waiting", what) .. "  " .. span .. value
  end
  return i18n.t(ev.phase == "done" and "progress.done" or "progress.failed", what, elapsed)
end

function Display:event(ev)
  local text = progress.describe(ev)
  if ev.phase == "start" or ev.phase == "tick" then
    if self.tty then
      self.out:write("\r\27[K", text)
      self.open = true
    elseif ev.phase == "start" then
      self.out:write(text, "\n")
    end
  else
    self:_close_line()
    self.out:write(text, "\n")
  end
  self.out:flush()
end

-- The display as a function(ev), for a progress callback (open{progress = show:callback()}).
function Display:callback() return function(ev) self:event(ev) end end

-- Runs fn(...) in the current task while showing the wait; returns fn's results. A wait
-- whose first result is nil (the library's nil, msg, code) ends as failed; an error is
-- shown as failed and raised on. A function that returns nothing has done its job.
function Display:during(what, limit, fn, ...)
  local t0 = self.clock()
  self:event{what = what, phase = "start", elapsed = 0, limit = limit}
  local timer
  local function arm()
    timer = loop.timer(1, function()
      self:event{what = what, phase = "tick", elapsed = self.clock() - t0, limit = limit}
      arm()
    end)
  end
  if self.tty then arm() end
  local r = table.pack(pcall(fn, ...))
  if timer then timer:cancel() end
  local failed = not r[1] or (r.n > 1 and r[2] == nil)
  self:event{what = what, phase = failed and "failed" or "done", elapsed = self.clock() - t0, limit = limit}
  if not r[1] then error(r[2], 0) end
  return table.unpack(r, 2, r.n)
end

-- A bar redrawn in place on a terminal; a plain line elsewhere.
function Display:bar(name, fraction, text)
  if not self.tty then
    self.out:write(("%-9s %s\n"):format(name, text))
  else
    local width = 30
    local n = math.floor(math.max(0, math.min(1, fraction)) * width + 0.5)
    self.out:write(("\r\27[K%-9s [%s%s] %s"):format(name, ("#"):rep(n), ("."):rep(width - n), text))
    self.open = true
  end
  self.out:flush()
end

function Display:line(text)
  self:_close_line()
  self.out:write(text, "\n")
  self.out:flush()
end

return progress
