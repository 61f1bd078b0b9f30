-- bc260y.modem.io: the Modem's I/O pump (part of the Modem class, mixed in by
-- bc260y.modem). Bytes read from the port are fed to the engine, the engine's events
-- are dispatched after feed returns (the C side never calls Lua), its output is written
-- back (partial writes finish in a writer task) and its timer is armed. Also the trace
-- of the bytes, and _release, which stops all of it when the modem closes or the port
-- fails.
local loop = require("bc260y.loop")
local trace = require("bc260y.trace")
local i18n = require("bc260y.i18n")

local now = loop.now
local WEAK = {__mode = "v"}

local M = {}
local Io = {} -- methods of the Modem class (bc260y.modem mixes them in)
M.methods = Io

-- Starts the trace (the trace option) and watching the port.
function Io:_start_io()
  self._trace_sink = trace.sink(self.opts.trace, now)
  if self._trace_sink then
    self._tracer = trace.new(function(dir, line) self:_trace(dir, line) end,
      function(line) return self:_redact(line) end)
  end
  -- The loop holds the watch, and the watch holds the Modem only weakly: a Modem dropped
  -- without close() is collected instead of living on and reading the answers meant for
  -- the next Modem on the same port. A command in flight keeps it alive through its
  -- caller. The watch holds the Port itself strongly: its fd stays open as long as the
  -- loop watches it, and the two go together (the Modem's __gc hands both to the loop's
  -- next step), so no loop, ours or an outer one, is ever left watching a closed fd.
  local ref = setmetatable({self}, WEAK)
  self._weak_self = ref -- the engine's timer holds the Modem the same way
  local port = self.port
  local watch
  watch = loop.watch(self.fdnum, function()
    local m = ref[1]
    if m then
      m:_on_readable()
    else
      watch:cancel()
      port:close()
    end
  end)
  self._watch = watch
end

---------------------------------------------------------------------------------------
-- tracing

-- A line as it may be shown (trace, unknown and overflow events): the PSK field of an
-- AT+NCDPOPEN line becomes <psk:N bytes>, and once connect() was given a PSK, what is
-- left of it in a line damaged by noise is masked too.
function Io:_redact(line)
  line = trace.redact(line)
  if self._psk then line = trace.mask_pieces(trace.scrub(line, self._psk), self._psk) end
  return line
end

function Io:_trace(dir, line)
  local ok, err = pcall(self._trace_sink, dir, line)
  if not ok then
    -- A broken trace function must not break the I/O path: report it once and stop.
    self._trace_sink, self._tracer = nil, false
    self:_callback_error(i18n.t("lib.trace_failed", tostring(err)))
  end
end

-- Bytes the fast path (e:exchange) wrote and read, for the trace.
function Io:_trace_bytes(written, read)
  if not self._tracer then return end
  if written then self._tracer.output(written) end
  if read then self._tracer.input(read) end
end

---------------------------------------------------------------------------------------
-- I/O: read -> feed -> dispatch -> write -> arm the engine's timer

-- The module sent bytes (at t, default now): the one writer of last_rx, which the sleep
-- guess reads (bc260y.modem.command, _may_be_asleep).
function Io:_heard(t)
  self.last_rx = t or now()
end

function Io:_on_readable()
  if self.closed then return end
  local data, msg = self.port:read()
  if not data then return self:_fail_io(msg or i18n.t("lib.read_failed")) end
  if data == "" then return end
  self:_feed_read(data)
  self:_pump()
end

-- Feeds bytes just read from the kernel. They were there by now, perhaps long before: a
-- host that was not scheduled for a while (a busy router, a long callback) reads them
-- late, and the engine must not let a deadline that passed meanwhile fire ahead of them
-- (an answer that arrived in time would become a timeout, an accepted uplink a failure a
-- script retries). So they are fed as of just before the engine's next deadline when
-- that is past; the deadline fires afterwards, in _tick, if they did not settle it.
function Io:_feed_read(data)
  local t = now()
  self:_heard(t)
  if self._tracer then self._tracer.input(data) end
  local d = self.engine:deadline()
  if d and t >= d then t = math.max(d - 0.001, 0) end
  self:_dispatch(self.engine:feed(data, t))
end

-- The engine's deadline: first what the kernel already holds (read now, whatever the
-- loop's last poll said), then the timers.
function Io:_tick()
  if self.closed then return end
  local data, msg = self.port:read()
  if not data then return self:_fail_io(msg or i18n.t("lib.read_failed")) end
  if data ~= "" then self:_feed_read(data) end
  if self.closed then return end
  self:_dispatch(self.engine:tick(now()))
  self:_pump()
end

-- Writes what the engine has to say and arms its timer.
function Io:_pump()
  if self.closed then return end
  self:_flush()
  self:_arm()
end

function Io:_flush()
  if self.closed or self._writer then return end
  local out = self.engine:output()
  while #out > 0 do
    local n, msg = self.port:write(out)
    if not n then return self:_fail_io(msg or i18n.t("lib.write_failed")) end
    if n > 0 then
      if self._tracer then self._tracer.output(out:sub(1, n)) end
      self.engine:consumed(n, now())
    end
    if n < #out then
      -- The port is full: finish in a task that waits until it drains.
      self._writer = loop.spawn_protected(function(err) self:_fail_io(err) end, function()
        local ok = loop.wait_writable(self.fdnum, self.opts.write_timeout)
        self._writer = false
        if self.closed then return end
        if not ok then
          return self:_fail_io(i18n.t("lib.write_stalled", self.opts.write_timeout))
        end
        self:_pump()
      end)
      return
    end
    out = self.engine:output()
  end
end

-- The engine's deadline moves at every command; a timer that fires early is harmless
-- (tick does nothing and re-arms), so a timer is replaced only when the deadline comes
-- sooner. That keeps the loop's timer heap from filling with cancelled timers. With no
-- deadline left (the last command answered) the timer goes: an idle Modem never wakes
-- the process.
function Io:_arm()
  if self.closed then return end
  local d = self.engine:deadline()
  if not d then
    if self._timer then
      self._timer:cancel()
      self._timer, self._timer_at = false, nil
    end
    return
  end
  if self._timer_at and self._timer_at <= d then return end
  if self._timer then self._timer:cancel() end
  self._timer_at = d
  local ref = self._weak_self
  self._timer = loop.timer(math.max(d - now(), 0), function()
    local m = ref[1]
    if not m then return end
    m._timer, m._timer_at = false, nil
    m:_tick()
  end)
end

-- A hang-up ("closed" from the port) and any other fault both close the Modem with code
-- "io": the user did not close it (docs/design.md, "The contract").
function Io:_fail_io(msg)
  if self.closed then return end
  msg = tostring(msg)
  self:_release("io", msg)
  self:_emit("error", i18n.t("lib.port_error", msg), "io")
end

-- Stops everything and fails every waiting call with "closed" (or "io").
function Io:_release(code, msg)
  if self.closed then return end
  self.closed = true
  self.close_code = code or "closed"
  self.close_msg = msg
  if self._watch then self._watch:cancel() end
  if self._timer then self._timer:cancel() end
  self._timer = false
  self:_stop_poll()
  self:_stop_reboot_watch() -- bc260y.modem.urc
  local evs = self.engine:abort()
  self:_dispatch(evs)
  self.port:close()
  if self._on_close then pcall(self._on_close) end
  self:_state_changed()
end

---------------------------------------------------------------------------------------
-- dispatch of engine events

function Io:_dispatch(evs)
  for i = 1, #evs do
    local ev = evs[i]
    local t = ev.type
    if t == "response" then
      self:_on_response(ev)
    elseif t == "urc" then
      self:_on_urc(ev.line, ev.decoded)
    elseif t == "unowed" then
      -- a final result no command owes (a stale or doubled answer): shown as such
      self:_emit("unknown", self:_redact(ev.line), t)
    elseif t == "unknown" or t == "late" then
      -- An AT+NMGR answer after its command timed out: the module has already removed
      -- the message from its buffer, so this line is its only copy.
      local d = ev.decoded
      if d and d.kind == "nmgr" and d.data then
        self:_deliver_downlink(d.data)
      elseif t == "late" then
        self:_on_late(ev)
      else
        -- redact: an echo of AT+NCDPOPEN nobody claimed would carry the PSK
        self:_emit("unknown", self:_redact(ev.line), t)
      end
    elseif t == "overflow" then
      local line = self:_redact(ev.line)
      self:_emit("overflow", line)
      self:_on_overflow_line(line)
    elseif t == "reboot" then
      self:_on_reboot()
    elseif t == "unresponsive" then
      self:_emit("unresponsive")
    end
  end
end


return M
