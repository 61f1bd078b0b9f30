-- bc260y.modem.command: the command path (part of the Modem class, mixed in by
-- bc260y.modem). One function runs a command, _command, for m:at, every typed call and
-- the wake-up's AT: it refuses what the module must not get now (the DFOTA rule), wakes
-- the module if it may be asleep (_ensure_awake: wake hook, then AT until OK), runs the
-- round trip (the fast path, e:exchange, when the process may block on the port alone;
-- else _submit_and_wait) and returns the answer or nil, message, code (_answer, _result).
-- Also the busy state DFOTA sets, the error of a closed modem, and module time -> real
-- time.
local core = require("bc260y.core")
local i18n = require("bc260y.i18n")
local loop = require("bc260y.loop")
local trace = require("bc260y.trace")

local now = loop.now
local exclusive = loop.exclusive

local M = {}
local Command = {} -- methods of the Modem class (bc260y.modem mixes them in)
M.methods = Command

-- m:at's options when it is given none: the engine's defaults, and the answer without
-- decoded lines (one table for every such call).
local AT_DEFAULTS = {decode = false}
M.AT_DEFAULTS = AT_DEFAULTS

-- A command's text as shown in a message: no PSK, and not 2 KiB of hex.
local function shown(text)
  text = trace.redact(text)
  if #text > 48 then text = text:sub(1, 45) .. "..." end
  return text
end

-- The engine refused the command (e:submit, e:exchange): "queue full" and the like.
local function refused(text, err)
  return nil, ("%s: %s"):format(shown(text), tostring(err)), "busy"
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

-- (A closed Modem is not busy: every call says it is closed, and nobody waits for a busy
-- reason that can no longer clear.)
function Command:_busy_reason()
  if self.closed then return nil end
  return self._busy or self._fota_busy
end

-- m:set_busy(reason): while a reason is set (a procedure such as bc260y.dfota runs), data
-- calls fail with code "busy" and that reason. nil clears it.
function Command:set_busy(reason)
  if reason ~= nil and type(reason) ~= "string" then error("set_busy: reason must be a string or nil", 2) end
  self._busy = reason or false
  if not reason then self:_quiet_ended() end -- bc260y.modem.downlink
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

-- The failure a response event reports (result neither "ok" nor "final"): nil, message,
-- code.
function Command:_result(ev, text)
  local r = ev.result
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
    -- ignore_busy: the command this wakes the module for got past the DFOTA rule already
    local r, msg, code = self:_command("AT", {nowake = true, ignore_busy = true,
      first_byte = math.min(0.5, left), total = math.min(1, left)})
    if r then
      self:_learn_awake()
      return true
    end
    -- closed, or the engine refused: no retry helps
    if code == "closed" or code == "io" or code == "busy" then return nil, msg, code end
    last_msg, last_code = msg, code
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

-- +QLWEVTIND: 8 with a sleep mode on (bc260y.modem.urc): the platform prepares an update,
-- and the download must run with deep sleep off (guide 5.3.3). AT+QSCLK=0 goes out at
-- once, in a task of its own (a URC handler must not wait): it is written before any
-- FOTA line the host has seen (after one, the quiet rule refuses it, and the refusal is
-- reported). The mode is set back if the update ends without the module rebooting.
-- Both go through sleep_mode, in a task, a failure reported with its message.
local function sleep_mode_in_task(self, mode, failed, on_ok)
  self:_spawn_callback(function()
    local ok, msg = self:sleep_mode(mode)
    if ok then
      if on_ok then on_ok() end
    else
      self:_callback_error(i18n.t(failed, tostring(msg)))
    end
  end)
end

function Command:_sleep_off_for_update()
  local mode = self._sleep
  sleep_mode_in_task(self, 0, "lib.sleep_off_for_update_failed",
    function() self._sleep_before_update = mode end)
end

function Command:_restore_sleep_after_update()
  local mode = self._sleep_before_update
  if not mode or self.closed then return end
  self._sleep_before_update = nil
  sleep_mode_in_task(self, mode, "lib.sleep_restore_failed")
end

local DECODE = {decode = true}
local NO_OPTS = {}

-- The one command path: m:at, every typed call and the wake-up's AT run their commands
-- here. opts: first_byte, total, expect (the engine's submit options),
-- ignore_busy (past the DFOTA rule), nowake (no wake-up first), decode (false: the answer
-- without decoded lines, as m:at returns it). Returns the answer, {lines =, final =,
-- decoded =}, or nil, message, code.
--
-- When nothing is in the engine and the process may block on this port alone
-- (loop.exclusive says so, and gives limit: the loop's next timer), the fast path: the
-- whole round trip is one C call, e:exchange (lua/core_engine.c over
-- core/at_exchange.c). Anything but this command's response alone hands over
-- (_exchange_handed_over). Otherwise, or when the engine holds other commands, the
-- general path: _submit_and_wait.
function Command:_command(text, opts)
  opts = opts or NO_OPTS
  if self.closed then return self:_closed_error() end
  if self._busy or self._fota_busy then
    local refused = self:_refusal(text, opts) -- the DFOTA rule (bc260y.modem.urc)
    if refused then return nil, refused, "busy" end
  end
  -- (sleeping or a sleep mode set: only then can the module be asleep)
  if (self.sleeping or self._sleep) and not opts.nowake then
    local ok, msg, code = self:_ensure_awake()
    if not ok then return nil, msg, code end
  end
  local tag = self._tag + 1
  self._tag = tag
  local alone, limit = false, nil
  if self._inflight == 0 and not self._writer then alone, limit = exclusive(self.fdnum) end
  if alone then
    local tracer = self._tracer
    -- e:exchange's options: none for m:at without options, which has none to look at
    local exchange_opts
    if opts ~= AT_DEFAULTS or tracer then
      exchange_opts = opts.decode ~= false and DECODE or nil
      if opts.first_byte or opts.total or opts.expect or tracer then
        exchange_opts = {first_byte = opts.first_byte, total = opts.total, expect = opts.expect,
          decode = opts.decode ~= false, trace = tracer and true}
      end
    end
    local how, t, written, read = self.engine:exchange(self.port, text, tag, limit, exchange_opts)
    if tracer then self:_trace_bytes(written, read) end
    if how == "answered" then
      -- (last_rx matters only once a sleep mode is set, _may_be_asleep: the common case,
      -- with none, skips the call)
      if self._sleep then self:_heard() end
      -- the engine's deadlines: one of an earlier command may be gone
      if self._timer then self:_pump() end
      return t
    elseif how == "failed" then
      if t.result ~= "timeout" then self:_heard() end
      -- after a failure (a timeout leaves an answer owed, docs/design.md "Late answers")
      -- the engine may have a deadline
      self:_pump()
      return self:_result(t, text)
    elseif how then
      return self:_exchange_handed_over(t, read, text, tag, opts)
    end
    return refused(text, t)
  end
  self:_take_turn()
  local answer, msg, code, cme -- (cme: _result's fourth value, the CME number)
  if self.closed then -- while this caller waited its turn
    answer, msg, code = self:_closed_error()
  else
    answer, msg, code, cme = self:_submit_and_wait(text, tag, opts)
  end
  self:_end_turn()
  return answer, msg, code, cme
end

-- e:exchange handed over (handover: its table, read: the bytes it read when tracing): the
-- command is in the engine; the events met meanwhile go to the dispatch, and the caller
-- waits for the response the general way, holding an engine slot as _take_turn's.
function Command:_exchange_handed_over(handover, read, text, tag, opts)
  self._inflight = self._inflight + 1
  local fut = loop.future()
  self._waiting[tag] = fut
  if read then self:_heard() end
  if handover.error then
    self:_fail_io(handover.error)
  else
    if handover.events then self:_dispatch(handover.events) end
    self:_pump()
  end
  local ev = fut:get()
  self:_end_turn()
  return self:_answer(ev, text, opts)
end

-- The general path: submits the command to the engine, which the I/O pump (bc260y.modem.io)
-- then writes, and waits for its response event.
function Command:_submit_and_wait(text, tag, opts)
  local fut = loop.future()
  self._waiting[tag] = fut
  local ok, err = self.engine:submit(text, {tag = tag, first_byte = opts.first_byte,
    total = opts.total, expect = opts.expect})
  if not ok then
    self._waiting[tag] = nil
    return refused(text, err)
  end
  self:_pump()
  return self:_answer(fut:get(), text, opts)
end

-- A response event as the API returns it: the answer (as e:exchange gives it), or nil,
-- message, code.
function Command:_answer(ev, text, opts)
  local r = ev.result
  if r == "ok" or r == "final" then
    return {lines = ev.lines, final = ev.final,
            decoded = opts.decode ~= false and ev.decoded or nil}
  end
  return self:_result(ev, text)
end

-- The first answer line of the given kind in an answer (_command's), or nil: the lines
-- come decoded from the engine (bc260y.options sets its decode option).
local function find_kind(r, kind)
  for _, d in ipairs(r.decoded) do
    if d and d.kind == kind then return d end
  end
  return nil
end
M.find_kind = find_kind

-- Runs a query and returns its decoded answer line of the given kind, or nil, message,
-- code (the command's failure, or "error" when the answer lacks that line). A value
-- outside the guide's tables (d.unknown) is returned as printed and reported by the
-- `unknown_value` event; the caller leaves what the Modem believes as it was.
function Command:_query(text, kind)
  local r, msg, code = self:_command(text)
  if not r then return nil, msg, code end
  for i, d in ipairs(r.decoded) do
    if d and d.kind == kind then
      if d.unknown then self:_emit("unknown_value", kind, d[d.unknown], r.lines[i]) end
      return d
    end
  end
  return nil, i18n.t("lib.no_line", text, kind), "error"
end

return M
