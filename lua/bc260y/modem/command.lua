-- bc260y.modem.command: the command path (part of the Modem class, mixed in by
-- bc260y.modem). _command wakes the module if it may be asleep (wake hook, then AT
-- until OK), submits the command to the engine, waits for its response event and maps
-- it to the API's result: the answer, or nil, message, code. Also the busy state DFOTA
-- sets, the error of a closed modem, and module time -> real time.
local core = require("bc260y.core")
local i18n = require("bc260y.i18n")
local loop = require("bc260y.loop")
local trace = require("bc260y.trace")

local now = loop.now
local exclusive = loop.exclusive

-- m:at with no options: the engine's defaults (one table for every such call).
local AT_DEFAULTS = {}
local IGNORE_BUSY = {ignore_busy = true}

local M = {}
local Command = {} -- methods of the Modem class (bc260y.modem mixes them in)
M.methods = Command

-- A command's text as shown in a message: no PSK, and not 2 KiB of hex.
local function shown(text)
  text = trace.redact(text)
  if #text > 48 then text = text:sub(1, 45) .. "..." end
  return text
end

local function cme_message(code)
  local e = core.errors[code]
  if e then return i18n.t("lib.cme", i18n.pick(e), code, e.name) end
  return ("+CME ERROR: %d"):format(code)
end

function Command:_closed_error()
  if self.close_code == "io" then
    return nil, i18n.t("lib.port_failed", tostring(self.close_msg)), "io"
  end
  return nil, i18n.t("lib.closed"), "closed"
end

-- Why data calls are refused now (set_busy's reason, or the firmware update running), or
-- a false value when they are not.
function Command:_busy_reason() return self._busy or self._fota_busy end

-- m:set_busy(reason): while a reason is set (a procedure such as bc260y.dfota runs), data
-- calls fail with code "busy" and that reason. nil clears it.
function Command:set_busy(reason)
  if reason ~= nil and type(reason) ~= "string" then error("set_busy: reason must be a string or nil", 2) end
  self._busy = reason or false
  self:_state_changed()
end

-- The engine holds engine:queue_max() commands; callers beyond wait their turn here,
-- first come first served, instead of failing "queue full". A slot passes from the
-- caller that leaves it straight to the oldest waiter, so nobody arriving meanwhile
-- can take it first.
function Command:_take_turn()
  local n = self._inflight
  if (n == 0 or n < self.engine:queue_max()) and not self._turns[1] then
    self._inflight = self._inflight + 1
    return
  end
  local turn = loop.future()
  self._turns[#self._turns + 1] = turn
  turn:get() -- set by _end_turn, which kept the slot for this caller
end

function Command:_end_turn()
  if self._turns[1] then
    table.remove(self._turns, 1):set()
  else
    self._inflight = self._inflight - 1
  end
end

-- A response event of the engine: the call waiting for it (this file's _waiting) gets it.
function Command:_on_response(ev)
  local fut = self._waiting[ev.tag]
  if fut then
    self._waiting[ev.tag] = nil
    fut:set(ev)
  end
end

-- Submits a command and waits for its response event (no wake handling).
function Command:_exec(text, opts)
  if self.closed then return self:_closed_error() end
  self:_take_turn()
  local ev, msg, code = self:_submit_and_wait(text, opts)
  self:_end_turn()
  return ev, msg, code
end

-- Runs a command through e:exchange, the fast path (lua/core_engine.c): the whole round
-- trip is one C call when the process may block on this port alone (the caller asked
-- loop.exclusive, which gives limit, the loop's next timer). Returns the response as
-- values: result, lines, final, code, decoded; or false, ev when e:exchange met anything
-- else and handed over to the general path (ev: the response that path got); or nil,
-- message, "busy" when the engine refused the command.
function Command:_exchange(text, first_byte, total, expect, text_lines, limit, decode)
  local tag = self._tag + 1
  self._tag = tag
  return self:_exchanged(tag, text, self.engine:exchange(self.port, text, tag, first_byte,
    total, expect, text_lines, limit, self._tracer, decode))
end

-- What e:exchange returned, for the Modem: the trace, the silence clock, the engine's
-- timer, and a hand-over to the general path.
function Command:_exchanged(tag, text, result, a, b, c, d, written, read)
  if result then
    if written then self:_trace_bytes(written, read) end
    if result ~= "timeout" then self:_heard() end
    -- The engine's deadlines: one of an earlier command may be gone; after a failure (a
    -- timeout leaves an answer owed, docs/design.md "Late answers") one may have come.
    if self._timer or (result ~= "ok" and result ~= "final") then self:_pump() end
    return result, a, b, c, d
  end
  if result == nil then return nil, ("%s: %s"):format(shown(text), tostring(a)), "busy" end
  -- Handed over (a: events to dispatch, b: the port's failure): the command is in the
  -- engine and its response comes through the loop like any other.
  local fut = loop.future()
  self._waiting[tag] = fut
  if written then self:_trace_bytes(written, read) end
  if read then self:_heard() end
  if b then
    self:_fail_io(b)
  else
    if a then self:_dispatch(a) end
    self:_pump()
  end
  return false, fut:get()
end

function Command:_submit_and_wait(text, opts)
  if self.closed then return self:_closed_error() end
  local alone, limit = exclusive(self.fdnum)
  if alone and not self._writer then
    local result, a, b, c, d = self:_exchange(text, opts.first_byte, opts.total, opts.expect,
      opts.text_lines, limit, true)
    if result then
      -- decoded: one entry per answer line (none: the empty lines table serves)
      return {type = "response", result = result, lines = a, final = b, code = c, decoded = d or a}
    end
    if result == false then return a end
    return nil, a, b
  end
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

-- m:at's command: the answer as m:at returns it, {lines =, final =}, or nil, message,
-- code. When nothing waits (no command in the engine, no caller queued, no wake-up to
-- do) and the loop allows it, the fast path: the answer table is the only one built.
function Command:_at_command(text, timeout, expect, text_lines, ignore_busy)
  if self._busy or self._fota_busy then
    local refused = self:_refusal(text, ignore_busy and IGNORE_BUSY or nil) -- modem_urc.lua
    if refused then return nil, refused, "busy" end
  end
  if self._inflight == 0 and not (self.closed or self.sleeping or self._sleep or self._writer) then
    local alone, limit = exclusive(self.fdnum)
    if alone then
      local tag = self._tag + 1
      self._tag = tag
      local result, a, b, c, d, written, read = self.engine:exchange(self.port, text, tag,
        timeout, timeout, expect, text_lines, limit, self._tracer, false)
      -- The common case, in as few steps as there are: an answer, nothing else to do.
      -- (No _heard here: last_rx matters only once a sleep mode is set, _may_be_asleep,
      -- and this path runs only while none is; sleep_mode's own answer is heard.)
      if result == "ok" and not written and not self._timer then
        return {lines = a, final = b}
      end
      if result == false then self._inflight = 1 end -- the slot, while the loop waits
      result, a, b, c = self:_exchanged(tag, text, result, a, b, c, d, written, read)
      if result == false then self:_end_turn() end
      if result == "ok" or result == "final" then return {lines = a, final = b} end
      local r, msg, code
      if result then
        r, msg, code = self:_result({result = result, lines = a, final = b, code = c, tag = tag}, text)
      elseif result == false then
        r, msg, code = self:_result(a, text)
      else
        return nil, a, b
      end
      if not r then return nil, msg, code end
      return {lines = r.lines, final = r.final}
    end
  end
  local opts = AT_DEFAULTS
  if timeout or expect or text_lines ~= nil or ignore_busy then
    opts = {total = timeout, first_byte = timeout, expect = expect, text_lines = text_lines,
            ignore_busy = ignore_busy}
  end
  local r, msg, code = self:_command(text, opts)
  if not r then return nil, msg, code end
  return {lines = r.lines, final = r.final}
end

-- The answer of a response event as the API returns it.
function Command:_result(ev, text)
  local r = ev.result
  -- The event itself: its lines, final and decoded are the answer.
  if r == "ok" or r == "final" then return ev end
  local what = shown(text)
  if r == "cme" then
    -- code "cme", the number in the message; the number also as a fourth value, for the
    -- library's own callers (_nmgr tells "nothing buffered" by it)
    if ev.code then return nil, ("%s: %s"):format(what, cme_message(ev.code)), "cme", ev.code end
    return nil, ("%s: %s"):format(what, trace.printable(ev.final or "+CME ERROR")), "error"
  elseif r == "error" then
    return nil, i18n.t("lib.error", what), "error"
  elseif r == "cms" then
    return nil, ("%s: %s"):format(what, trace.printable(ev.final or "+CMS ERROR")), "error"
  elseif r == "timeout" then
    self:_may_owe(ev.tag, text)
    return nil, i18n.t("lib.no_answer", what), "timeout"
  elseif r == "unsent" then -- never written: the module owes nothing, a retry is safe
    return nil, i18n.t("lib.unsent", what), "unsent"
  elseif r == "reboot" then
    self:_may_owe(ev.tag, text)
    return nil, i18n.t("lib.cmd_rebooted", what), "reboot"
  elseif r == "aborted" then
    return self:_closed_error()
  elseif r == "overflow" then
    return nil, i18n.t("lib.too_long", what), "error"
  end
  return nil, i18n.t("lib.unexpected", what, tostring(r)), "error"
end

-- Seconds of module time as seconds of real time. Waits for the module's own doings
-- (registration, CON acknowledgement, deregistration, downlinks, polling) follow the
-- in-process virtual module's time scale, so a 126 s registration timeout at speed 1000
-- lasts 0.126 s; on real hardware the scale is 1.
function Command:_real_seconds(seconds)
  return seconds / self:time_scale()
end

-- m:time_scale(): module seconds per real second (open() gives it; 1 on hardware).
function Command:time_scale()
  return self._time_scale and self._time_scale() or 1
end

function Command:_may_be_asleep()
  if self.sleeping then return true end
  return self._sleep ~= nil and self._sleep ~= 0
    and now() - self.last_rx > self:_real_seconds(self.opts.sleep_guard)
end

-- Runs the wake hook, then AT until OK (the first bytes after deep sleep can be lost),
-- at most `tries` times and, when given, not past `deadline` (loop.now() seconds).
function Command:_until_at_ok(tries, deadline)
  if self._wake_hook then
    local ok, err = pcall(self._wake_hook, self)
    if not ok then return nil, i18n.t("lib.wake_hook", tostring(err)), "error" end
  end
  local last_msg, last_code, tried = i18n.t("lib.no_time_left"), "timeout", 0
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
  -- the module did not answer: AT tries failed with a reboot or unsent (waiting for an
  -- earlier one's answer) are that too
  local silent = last_code == "reboot" or last_code == "unsent"
  return nil, i18n.t("lib.no_at", tried,
    tostring(last_msg)), silent and "timeout" or (last_code or "timeout")
end

function Command:_ensure_awake()
  if not self:_may_be_asleep() then return true end
  if self._waking then return self._waking:get() end
  local f = loop.future()
  self._waking = f
  local ok, msg, code = self:_watched("progress.wake", nil, self._until_at_ok, self, self.opts.wake_tries)
  self._waking = nil
  f:set(ok, msg, code)
  return ok, msg, code
end

-- A command as the public calls use it: wake if needed, run, map the result.
local NO_OPTS = {}

function Command:_command(text, opts)
  opts = opts or NO_OPTS
  if self.closed then return self:_closed_error() end
  local refused = self:_refusal(text, opts) -- the DFOTA rule (modem_urc.lua)
  if refused then return nil, refused, "busy" end
  -- (sleeping or a sleep mode set: only then can the module be asleep)
  if not opts.nowake and (self.sleeping or self._sleep) then
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
function Command:_query(text, kind)
  local r, msg, code = self:_command(text)
  if not r then return nil, msg, code end
  local d = find_kind(r, kind)
  if not d then return nil, i18n.t("lib.no_line", text, kind), "error" end
  return d
end

return M
