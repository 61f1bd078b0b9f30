-- bc260y.modem_command: the command path (part of the Modem class, mixed in by
-- bc260y.modem). _command wakes the module if it may be asleep (wake hook, then AT
-- until OK), submits the command to the engine, waits for its response event and maps
-- it to the API's result: the answer, or nil, message, code. Also the busy state DFOTA
-- sets, the error of a closed modem, and module time -> real time.
local core = require("bc260y.core")
local loop = require("bc260y.loop")
local trace = require("bc260y.trace")

local now = loop.now

local M = {}
local Modem = {}
M.methods = Modem

-- A command's text as shown in a message: no PSK, and not 2 KiB of hex.
local function shown(text)
  text = trace.redact(text)
  if #text > 48 then text = text:sub(1, 45) .. "..." end
  return text
end

local function cme_message(code)
  local e = core.errors[code]
  if e then return ("%s (+CME ERROR: %d %s)"):format(e.en, code, e.name) end
  return ("+CME ERROR: %d"):format(code)
end

function Modem:_closed_error()
  if self.close_code == "io" then
    return nil, "the port failed: " .. tostring(self.close_msg), "io"
  end
  return nil, "the modem is closed", "closed"
end

function Modem:_is_busy() return self._busy or self._fota_busy end

-- m:set_busy(reason): while a reason is set (a procedure such as bc260y.dfota runs), data
-- calls fail with code "busy" and that reason. nil clears it.
function Modem:set_busy(reason)
  if reason ~= nil and type(reason) ~= "string" then error("set_busy: reason must be a string or nil", 2) end
  self._busy = reason
  self:_state_changed()
end

-- Submits a command and waits for its response event (no wake handling).
function Modem:_exec(text, opts)
  if self.closed then return self:_closed_error() end
  self._tag = self._tag + 1
  local tag = self._tag
  local fut = loop.future()
  self._waiting[tag] = fut
  local ok, err = self.engine:submit(text, {
    tag = tag, first_byte = opts.first_byte, total = opts.total, expect = opts.expect,
    text_lines = opts.text_lines,
  })
  if not ok then
    self._waiting[tag] = nil
    return nil, ("%s: %s"):format(shown(text), tostring(err)), "busy"
  end
  self:_pump()
  return fut:get()
end

-- The answer of a response event as the API returns it.
function Modem:_result(ev, text)
  local r = ev.result
  if r == "ok" or r == "final" then return {lines = ev.lines, final = ev.final, decoded = ev.decoded} end
  local what = shown(text)
  if r == "cme" then
    if ev.code then return nil, ("%s: %s"):format(what, cme_message(ev.code)), ev.code end
    return nil, ("%s: %s"):format(what, trace.printable(ev.final or "+CME ERROR")), "error"
  elseif r == "error" then
    return nil, ("%s: ERROR"):format(what), "error"
  elseif r == "cms" then
    return nil, ("%s: %s"):format(what, trace.printable(ev.final or "+CMS ERROR")), "error"
  elseif r == "timeout" then
    self:_may_owe(ev.tag, text)
    return nil, ("%s: no answer in time"):format(what), "timeout"
  elseif r == "reboot" then
    self:_may_owe(ev.tag, text)
    return nil, ("%s: the module rebooted"):format(what), "reboot"
  elseif r == "aborted" then
    return self:_closed_error()
  elseif r == "overflow" then
    return nil, ("%s: the answer was too long"):format(what), "error"
  end
  return nil, ("%s: unexpected result %s"):format(what, tostring(r)), "error"
end

-- Seconds of module time as seconds of real time. Waits for the module's own doings
-- (registration, CON acknowledgement, deregistration, downlinks, polling) follow the
-- in-process virtual module's time scale, so a 126 s registration timeout at speed 1000
-- lasts 0.126 s; on real hardware the scale is 1.
function Modem:_real(seconds)
  return seconds / self:time_scale()
end

-- m:time_scale(): module seconds per real second (open() gives it; 1 on hardware).
function Modem:time_scale()
  return self._time_scale and self._time_scale() or 1
end

function Modem:_may_be_asleep()
  if self.sleeping then return true end
  return self._sleep ~= nil and self._sleep ~= 0
    and now() - self.last_rx > self:_real(self.opts.sleep_guard)
end

-- Runs the wake hook, then AT until OK (the first bytes after deep sleep can be lost),
-- at most `tries` times and, when given, not past `deadline` (loop.now() seconds).
function Modem:_sync(tries, deadline)
  if self._wake_hook then
    local ok, err = pcall(self._wake_hook, self)
    if not ok then return nil, "the wake hook failed: " .. tostring(err), "error" end
  end
  local last_msg, last_code, tried = "no time left", "timeout", 0
  for _ = 1, tries do
    local left = deadline and deadline - now() or 1
    if left < 0.001 then break end
    tried = tried + 1
    local ev, msg, code = self:_exec("AT", {first_byte = math.min(0.5, left), total = math.min(1, left)})
    if not ev then return nil, msg, code end
    if ev.result == "ok" then
      self:_learn_awake()
      return true
    end
    if ev.result == "aborted" then return self:_closed_error() end
    last_msg, last_code = select(2, self:_result(ev, "AT"))
  end
  return nil, ("the module does not answer AT after %d tries (%s)"):format(tried,
    tostring(last_msg)), last_code == "reboot" and "timeout" or (last_code or "timeout")
end

function Modem:_ensure_awake()
  if not self:_may_be_asleep() then return true end
  if self._waking then return self._waking:get() end
  local f = loop.future()
  self._waking = f
  local ok, msg, code = self:_sync(self.opts.wake_tries)
  self._waking = nil
  f:set(ok, msg, code)
  return ok, msg, code
end

-- A command as the public calls use it: wake if needed, run, map the result.
function Modem:_command(text, opts)
  opts = opts or {}
  if self.closed then return self:_closed_error() end
  local refused = self:_refusal(text, opts) -- the DFOTA rule (modem_urc.lua)
  if refused then return nil, refused, "busy" end
  if not opts.nowake then
    local ok, msg, code = self:_ensure_awake()
    if not ok then return nil, msg, code end
  end
  local ev, msg, code = self:_exec(text, opts)
  if not ev then return nil, msg, code end
  return self:_result(ev, text)
end

-- The first answer line of a result (_result) of the given kind, or nil: the lines come
-- decoded from the engine (bc260y.options sets its decode option).
local function find_kind(r, kind)
  for _, d in ipairs(r.decoded) do
    if d and d.kind == kind then return d end
  end
  return nil
end
M.find_kind = find_kind

-- Runs a query and returns its decoded answer line of the given kind, or nil, message,
-- code (the command's failure, or "error" when the answer lacks that line).
function Modem:_query(text, kind)
  local r, msg, code = self:_command(text)
  if not r then return nil, msg, code end
  local d = find_kind(r, kind)
  if not d then return nil, ("%s: no %s line in the answer"):format(text, kind), "error" end
  return d
end

return M
