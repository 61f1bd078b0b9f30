-- bc260y.modem: the Modem class behind bc260y.open (DESIGN.md, "The Lua API").
--
-- A Modem owns a Port and a core engine. It watches the port's fd in bc260y.loop: bytes
-- read are fed to the engine, the engine's output is written back (partial writes finish
-- in a writer task), and the engine's events are dispatched after feed returns (the C
-- side never calls Lua). Responses resolve the future of the call waiting for them;
-- URCs update the module's state (registered, observed, sleeping, rebooted, busy) and
-- fire events. Every event callback runs in its own protected task, so it may call the
-- module, and an error in it goes to the `error` event instead of stopping the loop.
--
-- Every call that talks to the module returns its result or nil, message, code, with code
-- a CME number or one of "timeout", "error", "closed", "io", "rejected", "busy",
-- "state", "reboot". Bad arguments raise at once: nothing reaches the wire.
local core = require("bc260y.core")
local loop = require("bc260y.loop")
local trace = require("bc260y.trace")
local inbox = require("bc260y.inbox")
local handle = require("bc260y.handle")

local now = loop.now

local M = {}
local Modem = {}
Modem.__index = Modem
M.Modem = Modem

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
  rrc = true, reboot = true, urc = true, unknown = true, overflow = true, error = true,
  unresponsive = true,
}
for _, name in pairs(QLWEVTIND) do EVENTS[name] = true end
M.EVENTS = EVENTS

local RECEIVE_MODES = {buffer = 0, direct = 1, indicate = 2}
local RECEIVE_MODE_NAMES = {[0] = "buffer", [1] = "direct", [2] = "indicate"}
local SLEEP_MODES = {off = 0, deep = 1, light = 2}
local UPLINK_STATUS = {[0] = "not_sent", [1] = "sent", [2] = "failed", [3] = "timeout",
                       [4] = "success", [5] = "reset"}

local DEFAULTS = {
  inbox = 64,             -- downlinks kept in direct mode while nobody reads them
  poll = 1,               -- seconds between AT+NMGR polls (buffer mode) and NMSTATUS polls
  connect_timeout = 126,  -- the guide's longest registration without DTLS
  con_timeout = 100,      -- CoAP CON: 2 s initial, 4 retransmissions, doubling (~93 s)
  close_timeout = 124,    -- the guide's deregistration limit
  sleep_guard = 5,        -- seconds of silence after which a sleep-enabled module may sleep
  wake_tries = 5,         -- AT probes to wake a module that may be asleep
  write_timeout = 10,     -- a port that accepts no byte this long is dead
}

local OPTION_TYPES = {
  trace = {"boolean", "function"}, wake = {"function"}, inbox = {"integer"},
  baud = {"integer"}, speed = {"number"}, sim = {"table"}, engine = {"table"},
  poll = {"number"}, connect_timeout = {"number"}, con_timeout = {"number"},
  close_timeout = {"number"}, sleep_guard = {"number"}, wake_tries = {"integer"},
  write_timeout = {"number"},
}

local function type_of(v)
  if math.type(v) == "integer" then return "integer" end
  return type(v)
end

-- Checks open()'s options: unknown keys and wrong types raise (a typo must not be
-- silently ignored). Returns a table with the defaults filled in.
function M.check_options(opts)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then error("bc260y.open: options must be a table", 3) end
  local out = {}
  for k, v in pairs(opts) do
    local types = OPTION_TYPES[k]
    if not types then error(("bc260y.open: unknown option '%s'"):format(tostring(k)), 3) end
    local ok, t = false, type_of(v)
    for _, want in ipairs(types) do
      if t == want or (want == "number" and t == "integer") then ok = true end
    end
    if not ok then
      error(("bc260y.open: option '%s' must be a %s (got %s)"):format(k,
        table.concat(types, " or "), t), 3)
    end
    if (t == "number" or t == "integer") and not (v > 0) then
      error(("bc260y.open: option '%s' must be > 0"):format(k), 3)
    end
    out[k] = v
  end
  for k, v in pairs(DEFAULTS) do
    if out[k] == nil then out[k] = v end
  end
  -- Every command of the module answers within 5 s (the guide): the engine's own 2 s
  -- first-byte default would give up on a slow but normal answer, and a retried
  -- AT+NMGS would then send its uplink twice.
  local engine = {first_byte = 5, total = 5}
  for k, v in pairs(out.engine or {}) do engine[k] = v end
  out.engine = engine
  return out
end

local function check_table(v, what, level)
  if v == nil then return {} end
  if type(v) ~= "table" then error(what .. ": options must be a table", level + 1) end
  return v
end

local function check_timeout(v, what, default, level)
  if v == nil then return default end
  if type(v) ~= "number" or not (v > 0) then
    error(what .. ": timeout must be a number of seconds > 0", level + 1)
  end
  return v
end

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

---------------------------------------------------------------------------------------
-- construction

-- Builds a Modem on an open Port. opts are checked options; extra: sim (the simulator
-- object to close with the modem).
function M.new(port, opts, sim)
  local engine = core.engine(opts.engine)
  local self = setmetatable({
    port = port,
    engine = engine,
    opts = opts,
    sim = sim,
    platform = sim and sim.platform or nil,
    closed = false,
    close_code = nil,
    -- the module's state, from URCs and answers
    registered = false,
    observed = false,
    sleeping = false,
    rebooted = false,
    receive_mode = 1,      -- the module's default (direct) until init reads it
    _sleep = nil,          -- AT+QSCLK mode; unknown until sleep_mode() sets it
    ip = nil,
    last_rx = now(),
    _busy = nil,           -- reason set by _set_busy (DFOTA)
    _fota_busy = nil,      -- reason from +QIND FOTA URCs
    _tag = 0,
    _waiting = {},         -- tag -> future
    _handlers = {},        -- event name -> {handle, ...}
    _changed = loop.signal(), -- state changed / inbox changed: wakes connect, send, receive
    _dropped_seen = 0,     -- module drops already reported (buff full URCs, NQMGR DROPPED)
    _wake_hook = opts.wake,
  }, Modem)
  self.fdnum = port:fd()
  self._trace_sink = trace.sink(opts.trace, now)
  if self._trace_sink then
    self._tracer = trace.new(function(dir, line) self:_trace(dir, line) end,
      function(line) return self:_redact(line) end)
  end
  self.inbox = inbox.new({
    limit = opts.inbox,
    run = function(fn) self:_spawn_callback(fn) end,
    on_drop = function(info) self:_emit("downlink_dropped", info) end,
    on_change = function() self._changed:notify() end,
  })
  self._watch = loop.watch(self.fdnum, function() self:_on_readable() end)
  return self
end

function Modem:__tostring()
  return ("bc260y.Modem(%s%s)"):format(self.port:name(), self.closed and ", closed" or "")
end
Modem.__close = function(self) self:close({deregister = false}) end
Modem.__gc = function(self)
  if not self.closed then pcall(self.port.close, self.port) end
end

function Modem:fd() return self.fdnum end

---------------------------------------------------------------------------------------
-- tracing

-- A line as it may be shown (trace, unknown and overflow events): the PSK field of an
-- AT+NCDPOPEN line becomes <psk:N bytes>, and once connect() was given a PSK, what is
-- left of it in a line damaged by noise is masked too.
function Modem:_redact(line)
  line = trace.redact(line)
  if self._psk then line = trace.mask_pieces(trace.scrub(line, self._psk), self._psk) end
  return line
end

function Modem:_trace(dir, line)
  local ok, err = pcall(self._trace_sink, dir, line)
  if not ok then
    -- A broken trace function must not break the I/O path: report it once and stop.
    self._trace_sink, self._tracer = nil, nil
    self:_callback_error("trace function failed: " .. tostring(err))
  end
end

---------------------------------------------------------------------------------------
-- events

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

---------------------------------------------------------------------------------------
-- I/O: read -> feed -> dispatch -> write -> arm the engine's timer

function Modem:_on_readable()
  if self.closed then return end
  local data, msg, code = self.port:read()
  if not data then return self:_fail_io(msg or "read failed", code) end
  if data == "" then return end
  self.last_rx = now()
  if self._tracer then self._tracer.input(data) end
  self:_dispatch(self.engine:feed(data, now()))
  self:_pump()
end

function Modem:_tick()
  if self.closed then return end
  self:_dispatch(self.engine:tick(now()))
  self:_pump()
end

-- Writes what the engine has to say and arms its timer.
function Modem:_pump()
  if self.closed then return end
  self:_flush()
  self:_arm()
end

function Modem:_flush()
  if self.closed or self._writer then return end
  local out = self.engine:output()
  while #out > 0 do
    local n, msg, code = self.port:write(out)
    if not n then return self:_fail_io(msg or "write failed", code) end
    if n > 0 then
      if self._tracer then self._tracer.output(out:sub(1, n)) end
      self.engine:consumed(n, now())
    end
    if n < #out then
      -- The port is full: finish in a task that waits until it drains.
      self._writer = loop.spawn_protected(function(err) self:_fail_io(err, "io") end, function()
        local ok = loop.wait_writable(self.fdnum, self.opts.write_timeout)
        self._writer = nil
        if self.closed then return end
        if not ok then
          return self:_fail_io(("the port accepted no byte for %g s"):format(self.opts.write_timeout), "io")
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
-- sooner. That keeps the loop's timer heap from filling with cancelled timers.
function Modem:_arm()
  if self.closed then return end
  local d = self.engine:deadline()
  if not d or (self._timer_at and self._timer_at <= d) then return end
  if self._timer then self._timer:cancel() end
  self._timer, self._timer_at = nil, d
  do
    self._timer = loop.timer(math.max(d - now(), 0), function()
      self._timer, self._timer_at = nil, nil
      self:_tick()
    end)
  end
end

function Modem:_fail_io(msg)
  if self.closed then return end
  msg = tostring(msg)
  self:_release("io", msg)
  self:_emit("error", "port failed: " .. msg, "io")
end

-- Stops everything and fails every waiting call with "closed" (or "io").
function Modem:_release(code, msg)
  if self.closed then return end
  self.closed = true
  self.close_code = code or "closed"
  self.close_msg = msg
  if self._watch then self._watch:cancel() end
  if self._timer then self._timer:cancel() end
  if self._poll_timer then self._poll_timer:cancel() end
  self._timer, self._poll_timer = nil, nil
  local evs = self.engine:abort()
  self:_dispatch(evs)
  self.port:close()
  if self.sim then pcall(self.sim.close, self.sim) end
  self._changed:notify()
end

---------------------------------------------------------------------------------------
-- dispatch of engine events

function Modem:_dispatch(evs)
  for i = 1, #evs do
    local ev = evs[i]
    local t = ev.type
    if t == "response" then
      local fut = self._waiting[ev.tag]
      if fut then
        self._waiting[ev.tag] = nil
        fut:set(ev)
      end
    elseif t == "urc" then
      self:_on_urc(ev.line, ev.decoded)
    elseif t == "unknown" or t == "late" then
      -- An AT+NMGR answer after its command timed out: the module has already removed
      -- the message from its buffer, so this line is its only copy.
      local d = core.decode(ev.line)
      if d and d.kind == "nmgr" and d.data then
        self.inbox:deliver(d.data)
      else
        -- redact: an echo of AT+NCDPOPEN nobody claimed would carry the PSK
        self:_emit("unknown", self:_redact(ev.line), t)
      end
    elseif t == "overflow" then
      local line = self:_redact(ev.line)
      self:_emit("overflow", line)
      -- a downlink line too long for any legal message: its bytes are lost, visibly
      if line:match("^%+NNMI:") or line:match("^%+NMGR:") then
        self:_downlink_dropped({reason = "overflow", count = 1, line = line})
      end
    elseif t == "reboot" then
      self:_on_reboot()
    elseif t == "unresponsive" then
      self:_emit("unresponsive")
    end
  end
end

function Modem:_state_changed() self._changed:notify() end

function Modem:_on_reboot()
  self.registered, self.observed, self.sleeping = false, false, false
  self.rebooted = true
  self.receive_mode = 1 -- AT+NNMI is not kept across a reboot
  self._fota_busy = nil
  self._indicated = false -- an indication from before the reboot says nothing now
  self._dropped_seen = 0 -- the module's DROPPED counter starts again
  self.ip = nil
  if self._connecting then self._connecting.failed = {"the module rebooted while connecting", "reboot"} end
  if self._con then self._con.failed = {"the module rebooted before the CON uplink was acknowledged", "reboot"} end
  self:_emit("reboot")
  self:_state_changed()
end

function Modem:_on_qlwevtind(v)
  local rec = self._connecting
  if v == 0 then
    self.registered = true
    if rec then rec.registered = true end
  elseif v == 1 then
    self.registered, self.observed = false, false
    if rec then
      rec.failed = {"the platform rejected the registration or it timed out (+QLWEVTIND: 1)", "rejected"}
    end
  elseif v == 3 then
    self.registered, self.observed = true, true
    if rec then rec.observed = true end
  elseif v == -1 then
    if rec then rec.failed = {"connection error (+QLWEVTIND: -1)", "error"} end
  elseif v == 4 then
    if self._con then self._con.ok = true end
  elseif v == 5 then
    if self._con then self._con.failed = {"the platform did not acknowledge the CON uplink (+QLWEVTIND: 5)", "error"} end
  elseif v == 6 then
    self.sleeping = false
  elseif v == 7 then
    -- The session could not be restored after deep sleep: register again.
    self.registered, self.observed = false, false
  elseif v == 10 then
    -- A RST answered an uplink: the device must reconnect before it can send again.
    self.observed = false
    if self._con then self._con.failed = {"the platform reset the observation (+QLWEVTIND: 10)", "state"} end
  end
  local name = QLWEVTIND[v]
  if name then self:_emit(name, v) end
  self:_state_changed()
end

function Modem:_on_fota(d)
  local stage, value = d.stage, d.value
  if stage == "download_start" or stage == "downloading" then
    self._fota_busy = "a firmware download is running"
  elseif stage == "download" then
    if value == 0 then self._fota_busy = "a firmware update is running"
    else self._fota_busy = nil end
  elseif stage == "start" or stage == "updating" then
    self._fota_busy = "a firmware update is running"
  elseif stage == "end" then
    self._fota_busy = nil
  end
  self:_emit("fota", stage, value, d)
  self:_state_changed() -- a call waiting for the module to be free again must hear it
end

function Modem:_on_urc(line, d)
  self:_emit("urc", line, d)
  if not d then
    -- A downlink line the decoder refuses (length and hex disagree, bad hex): its bytes
    -- cannot be delivered, but the loss must be visible.
    if line:match("^%+NNMI:%s*%d") then
      self:_downlink_dropped({reason = "malformed", count = 1, line = line})
    end
    return
  end
  local kind = d.kind
  if kind == "qlwevtind" then
    self:_on_qlwevtind(d.value)
  elseif kind == "nnmi_data" then
    if d.data then
      self.inbox:deliver(d.data)
    else
      self:_downlink_dropped({reason = "bad hex", count = 1, line = line})
    end
  elseif kind == "nnmi_indication" then
    self._indicated = true
    if self.inbox:has_handlers() then self:_kick_drain() end
    self:_state_changed()
  elseif kind == "nnmi_buff_full" then
    self._dropped_seen = self._dropped_seen + 1
    self:_downlink_dropped({reason = "buff full", count = 1})
  elseif kind == "fota" then
    self:_on_fota(d)
  elseif kind == "qnbiotevent" then
    if d.value == "ENTER DEEPSLEEP" then
      self.sleeping = true
      self:_emit("deepsleep")
    else
      self.sleeping = false
      self:_emit("wakeup")
    end
  elseif kind == "cscon" then
    self:_emit("rrc", d.value == 1 and "connected" or "idle", d.value)
  elseif kind == "ip" then
    self.ip = d.value
    self:_state_changed()
  end
end

function Modem:_downlink_dropped(info)
  self:_emit("downlink_dropped", info)
end

---------------------------------------------------------------------------------------
-- commands

function Modem:_closed_error()
  if self.close_code == "io" then
    return nil, "the port failed: " .. tostring(self.close_msg), "io"
  end
  return nil, "the modem is closed", "closed"
end

function Modem:_is_busy() return self._busy or self._fota_busy end

-- For bc260y.dfota: while a reason is set, data calls fail with "busy". nil clears it.
function Modem:_set_busy(reason)
  if reason ~= nil and type(reason) ~= "string" then error("_set_busy: reason must be a string or nil", 2) end
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
  if r == "ok" or r == "final" then return {lines = ev.lines, final = ev.final} end
  local what = shown(text)
  if r == "cme" then
    if ev.code then return nil, ("%s: %s"):format(what, cme_message(ev.code)), ev.code end
    return nil, ("%s: %s"):format(what, ev.final or "+CME ERROR"), "error"
  elseif r == "error" then
    return nil, ("%s: ERROR"):format(what), "error"
  elseif r == "cms" then
    return nil, ("%s: %s"):format(what, ev.final or "+CMS ERROR"), "error"
  elseif r == "timeout" then
    return nil, ("%s: no answer in time"):format(what), "timeout"
  elseif r == "reboot" then
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
  local clock = self.sim and self.sim.clock
  return seconds / (clock and clock.speed or 1)
end

function Modem:_may_be_asleep()
  if self.sleeping then return true end
  return self._sleep ~= nil and self._sleep ~= 0
    and now() - self.last_rx > self:_real(self.opts.sleep_guard)
end

-- Runs the wake hook, then AT until OK (the first bytes after deep sleep can be lost).
function Modem:_sync(tries)
  if self._wake_hook then
    local ok, err = pcall(self._wake_hook, self)
    if not ok then return nil, "the wake hook failed: " .. tostring(err), "error" end
  end
  local last_msg, last_code
  for _ = 1, tries do
    local ev, msg, code = self:_exec("AT", {first_byte = 0.5, total = 1})
    if not ev then return nil, msg, code end
    if ev.result == "ok" then
      self.sleeping = false
      return true
    end
    if ev.result == "aborted" then return self:_closed_error() end
    last_msg, last_code = select(2, self:_result(ev, "AT"))
  end
  return nil, ("the module does not answer AT after %d tries (%s)"):format(tries,
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
  if not opts.nowake then
    local ok, msg, code = self:_ensure_awake()
    if not ok then return nil, msg, code end
  end
  local ev, msg, code = self:_exec(text, opts)
  if not ev then return nil, msg, code end
  return self:_result(ev, text)
end

-- The first decoded answer line of the given kind, or nil.
local function find_kind(lines, kind)
  for _, line in ipairs(lines) do
    local d = core.decode(line)
    if d and d.kind == kind then return d end
  end
  return nil
end

---------------------------------------------------------------------------------------
-- the public calls

-- Commands the module must not get during DFOTA: data transfer, registration, reset,
-- radio off, and sleep on.
local BUSY_REFUSED = {"^AT%+NMGS", "^AT%+NMGR", "^AT%+NCDPOPEN", "^AT%+NCDPCLOSE", "^AT%+QRST",
  "^AT%+CFUN=0", "^AT%+QSCLK=[12]"}
local function refused_while_busy(cmd)
  local upper = cmd:upper()
  for _, pattern in ipairs(BUSY_REFUSED) do
    if upper:find(pattern) then return true end
  end
  return false
end

function Modem:at(cmd, opts)
  if type(cmd) ~= "string" then error("at: command must be a string", 2) end
  if cmd:find("[%c\127]") then
    error("at: command must not contain control characters (CR, LF, NUL, ESC...)", 2)
  end
  if not cmd:match("^[Aa][Tt]") then error("at: command must start with AT", 2) end
  opts = check_table(opts, "at", 2)
  -- From DOWNLOAD START to the update's reboot the guide forbids data commands, resets
  -- and sleep: a raw command is no way around it.
  if self:_is_busy() and refused_while_busy(cmd) then return nil, self:_is_busy(), "busy" end
  local timeout = check_timeout(opts.timeout, "at", nil, 2)
  if opts.expect ~= nil and type(opts.expect) ~= "table" then error("at: expect must be a table", 2) end
  return self:_command(cmd, {
    total = timeout, first_byte = timeout, expect = opts.expect, text_lines = opts.text_lines,
  })
end

function Modem:init(opts)
  opts = check_table(opts, "init", 2)
  local timeout = check_timeout(opts.timeout, "init", 60, 2)
  if self.closed then return self:_closed_error() end
  local t0 = now()
  local ok, msg, code = self:_sync(opts.tries or 10)
  if not ok then return nil, msg, code end
  for _, cmd in ipairs({"ATE0", "AT+CMEE=1"}) do
    ok, msg, code = self:_command(cmd, {nowake = true})
    if not ok then return nil, msg, code end
  end
  local info = {}
  local r
  r, msg, code = self:_command("ATI", {nowake = true, text_lines = true})
  if not r then return nil, msg, code end
  for _, line in ipairs(r.lines) do
    local d = core.decode(line)
    if d and d.kind == "ati_manufacturer" then info.manufacturer = d.value
    elseif d and d.kind == "ati_model" then info.model = d.value
    elseif d and d.kind == "ati_revision" then info.revision = d.value end
  end
  r, msg, code = self:_command("AT+CGSN=1", {nowake = true})
  if not r then return nil, msg, code end
  local d = find_kind(r.lines, "cgsn")
  info.imei = d and d.value
  r, msg, code = self:_command("AT+NNMI?", {nowake = true})
  if not r then return nil, msg, code end
  d = find_kind(r.lines, "nnmi_mode")
  if d then self.receive_mode = d.value end
  info.receive_mode = RECEIVE_MODE_NAMES[self.receive_mode]
  -- RRC state URCs feed the `rrc` event; a module that refuses them still works.
  self:_command("AT+CSCON=1", {nowake = true})
  self.rebooted = false
  -- Wait until the module is attached (an IP address), as the guide does before NCDPOPEN.
  while true do
    r, msg, code = self:_command("AT+CGPADDR?", {nowake = true})
    if not r then return nil, msg, code end
    d = find_kind(r.lines, "cgpaddr")
    if d and d.ip and d.ip ~= "" then self.ip = d.ip end
    if self.ip then break end
    local left = t0 + self:_real(timeout) - now()
    if left <= 0 then
      return nil, ("no IP address after %g s (not attached to the network)"):format(timeout), "timeout"
    end
    self._changed:wait(math.min(self:_real(self.opts.poll), left))
    if self.closed then return self:_closed_error() end
  end
  info.ip = self.ip
  self.info = info
  return info
end

function Modem:set_lifetime(seconds)
  if math.type(seconds) ~= "integer" then error("set_lifetime: seconds must be an integer", 2) end
  local cmd = core.build.ncfg(seconds)
  local r, msg, code = self:_command(cmd)
  if not r then return nil, msg, code end
  return true
end

function Modem:get_lifetime()
  local r, msg, code = self:_command("AT+NCFG=0")
  if not r then return nil, msg, code end
  local d = find_kind(r.lines, "ncfg")
  if not d then return nil, "AT+NCFG=0: no +NCFG line in the answer", "error" end
  return d.value
end

function Modem:set_receive_mode(mode)
  local n = RECEIVE_MODES[mode] or mode
  if math.type(n) ~= "integer" or n < 0 or n > 2 then
    error("set_receive_mode: mode must be \"buffer\", \"direct\", \"indicate\" or 0, 1, 2", 2)
  end
  local cmd = core.build.nnmi(n)
  if self.closed then return self:_closed_error() end
  if self:_is_busy() then return nil, self:_is_busy(), "busy" end
  local previous = self.receive_mode
  local r, msg, code = self:_command(cmd)
  if not r then return nil, msg, code end
  self.receive_mode = n
  if n ~= 1 then
    if self.inbox:has_handlers() then self:_kick_drain() end
    self:_schedule_poll()
  elseif previous ~= 1 then
    -- Leaving a buffer mode: what the module still holds must not stay behind.
    self:_drain_all()
  end
  self:_state_changed()
  return true
end

local function check_host(host)
  if type(host) ~= "string" or host == "" then error("connect: host must be a non-empty string", 3) end
  if host:find('[\r\n"]') then error("connect: host must not contain CR, LF or quotes", 3) end
end

function Modem:connect(opts)
  if type(opts) ~= "table" then error("connect: expects a table {host=, port=, psk=, timeout=}", 2) end
  check_host(opts.host)
  local port = opts.port
  if port ~= nil and (math.type(port) ~= "integer" or port < 0 or port > 65535) then
    error("connect: port must be an integer 0..65535", 2)
  end
  local psk = opts.psk
  if psk ~= nil then
    if type(psk) ~= "string" or psk == "" or #psk % 2 ~= 0 or psk:find("%X") or #psk > 512 then
      error(("connect: psk must be 1..256 bytes as an even number of hex digits (got %s)"):format(
        type(psk) == "string" and ("<psk:%d characters>"):format(#psk) or type(psk)), 2)
    end
  end
  local timeout = check_timeout(opts.timeout, "connect", self.opts.connect_timeout, 2)
  local ok, cmd = pcall(core.build.ncdpopen, opts.host, port, psk)
  if not ok then error("connect: " .. trace.scrub(cmd, psk), 2) end
  if psk then self._psk = psk end -- from now on no trace or event may show it
  if self.closed then return self:_closed_error() end
  if self:_is_busy() then return nil, self:_is_busy(), "busy" end
  if self._connecting then return nil, "a connection attempt is already running", "state" end
  if self.observed then return nil, "already connected: close or disconnect first", "state" end
  local rec = {}
  self._connecting = rec
  local t0 = now()
  local r, msg, code = self:_command(cmd)
  if not r then
    self._connecting = nil
    return nil, trace.scrub(msg, psk), code
  end
  while true do
    if rec.failed then
      self._connecting = nil
      return nil, rec.failed[1], rec.failed[2]
    end
    if rec.observed then
      self._connecting = nil
      return true
    end
    if self.closed then
      self._connecting = nil
      return self:_closed_error()
    end
    local left = t0 + self:_real(timeout) - now()
    if left <= 0 then
      self._connecting = nil
      return nil, ("no registration result (+QLWEVTIND: 0 and 3) within %g s"):format(timeout), "timeout"
    end
    self._changed:wait(left)
  end
end

function Modem:send(data, opts)
  if type(data) ~= "string" then error("send: data must be a string", 2) end
  if #data < 1 or #data > 1024 then error(("send: data must be 1..1024 bytes (got %d)"):format(#data), 2) end
  opts = check_table(opts, "send", 2)
  local rai = opts.rai or 0
  if math.type(rai) ~= "integer" or rai < 0 or rai > 2 then error("send: rai must be 0, 1 or 2", 2) end
  if opts.con ~= nil and type(opts.con) ~= "boolean" then error("send: con must be a boolean", 2) end
  local con = opts.con == true
  local timeout = check_timeout(opts.timeout, "send", self.opts.con_timeout, 2)
  local cmd = core.build.nmgs(data, (con and 100 or 0) + rai)
  if self.closed then return self:_closed_error() end
  if self:_is_busy() then return nil, self:_is_busy(), "busy" end
  if not self.observed then
    if self.rebooted then
      return nil, "the module rebooted: init and connect again before sending", "state"
    end
    return nil, "not observed by the platform yet (+QLWEVTIND: 3): connect first", "state"
  end
  if con and self._con then
    return nil, "a CON uplink is still waiting for its acknowledgement", "busy"
  end
  local rec
  if con then
    rec = {}
    self._con = rec
  end
  local t0 = now()
  local r, msg, code = self:_command(cmd)
  if not r then
    if con then self._con = nil end
    return nil, msg, code
  end
  if not con then return true end
  while true do
    if rec.ok then self._con = nil; return true end
    if rec.failed then self._con = nil; return nil, rec.failed[1], rec.failed[2] end
    if self.closed then self._con = nil; return self:_closed_error() end
    local left = t0 + self:_real(timeout) - now()
    if left <= 0 then
      self._con = nil
      return nil, ("no CON acknowledgement (+QLWEVTIND: 4) within %g s"):format(timeout), "timeout"
    end
    self._changed:wait(left)
  end
end

-- One AT+NMGR: the oldest buffered message, or false when the buffer is empty.
function Modem:_nmgr()
  local r, msg, code = self:_command("AT+NMGR")
  if not r then
    if code == 801 then return false end -- CTIOT_EB_NO_RECV_DATA: nothing buffered
    return nil, msg, code
  end
  local d = find_kind(r.lines, "nmgr")
  if not d then return false end
  if not d.data then
    self:_downlink_dropped({reason = "bad hex", count = 1, line = r.lines[1]})
    return nil, "AT+NMGR: the module returned invalid hex", "error"
  end
  return d.data
end

-- Reads the module's buffer into the delivery rule until it is empty (only one drain runs
-- at a time; an indication during a drain makes it go round once more).
function Modem:_drain_all()
  if self._draining then
    self._drain_again = true
    return
  end
  self._draining = true
  repeat
    self._drain_again = false
    self._indicated = false
    while not self.closed and not self:_is_busy() do
      local data, msg, code = self:_nmgr()
      if data == nil and not self.closed then
        -- The message stays in the module's buffer; say why it could not be read.
        self:_emit("error", "reading the module's buffer failed: " .. tostring(msg), code)
      end
      if not data then break end
      self.inbox:deliver(data)
    end
  until not self._drain_again or self.closed
  self._draining = false
end

-- The same in its own task, for handlers in the buffer modes.
function Modem:_kick_drain()
  if self._draining then
    self._drain_again = true
    return
  end
  loop.spawn_protected(function(msg) self:_callback_error(msg) end, function()
    if self.inbox:has_handlers() then self:_drain_all() end
  end)
end

-- Buffer mode (0) prints nothing when a downlink arrives: with handlers, poll for it.
function Modem:_schedule_poll()
  if self._poll_timer or self.closed or self.receive_mode ~= 0 or not self.inbox:has_handlers() then
    return
  end
  self._poll_timer = loop.timer(self:_real(self.opts.poll), function()
    self._poll_timer = nil
    if self.closed or self.receive_mode ~= 0 or not self.inbox:has_handlers() then return end
    self:_kick_drain()
    self:_schedule_poll()
  end)
end

function Modem:receive(opts)
  opts = check_table(opts, "receive", 2)
  local timeout = check_timeout(opts.timeout, "receive", nil, 2)
  local deadline = timeout and now() + self:_real(timeout)
  local first = true
  while true do
    local data = self.inbox:pop()
    if data then return data end
    if self.closed then return self:_closed_error() end
    if self.inbox:has_handlers() then
      return nil, "downlink handlers are registered: downlinks go to them, not to receive", "state"
    end
    if not first and deadline and now() >= deadline then
      return nil, "no downlink in time", "timeout"
    end
    -- The buffer modes: take the oldest message from the module, only as asked: at the
    -- first look, after an indication (mode 2), and at every poll (mode 0).
    local mode = self.receive_mode
    if mode ~= 1 and not self:_is_busy() and (first or mode == 0 or self._indicated) then
      self._indicated = false
      local got, msg, code = self:_nmgr()
      if got then return got end
      if got == nil then return nil, msg, code end
    end
    first = false
    if self.inbox:count() == 0 then
      local left = deadline and deadline - now()
      if left and left <= 0 then return nil, "no downlink in time", "timeout" end
      local wait = left
      if mode == 0 then wait = math.min(left or math.huge, self:_real(self.opts.poll)) end
      -- An indication makes the next round read at once, unless the module is busy
      -- (DFOTA): then wait, or this loop would spin and starve the reader.
      if not (mode == 2 and self._indicated and not self:_is_busy()) then self._changed:wait(wait) end
    end
  end
end

function Modem:status()
  local r, msg, code = self:_command("AT+NMSTATUS?")
  if not r then return nil, msg, code end
  local d = find_kind(r.lines, "nmstatus")
  if not d then return nil, "AT+NMSTATUS?: no +NMSTATUS line in the answer", "error" end
  local s = d.value
  if s == "REGISTERED_AND_OBSERVED" then
    self.registered, self.observed = true, true
  elseif s == "REGISTERED" then
    self.registered, self.observed = true, false
  elseif s ~= "REGISTERING" then
    self.registered, self.observed = false, false
  end
  return s
end

function Modem:uplink_status()
  local r, msg, code = self:_command("AT+QLWULDATASTATUS?")
  if not r then return nil, msg, code end
  local d = find_kind(r.lines, "qlwuldatastatus")
  if not d then return nil, "AT+QLWULDATASTATUS?: no status line in the answer", "error" end
  return d.value, UPLINK_STATUS[d.value]
end

function Modem:queue_stats()
  local r, msg, code = self:_command("AT+NQMGR")
  if not r then return nil, msg, code end
  local d = find_kind(r.lines, "nqmgr")
  if not d then return nil, "AT+NQMGR: no BUFFERED= line in the answer", "error" end
  if d.dropped > self._dropped_seen then
    local n = d.dropped - self._dropped_seen
    self._dropped_seen = d.dropped
    self:_downlink_dropped({reason = "module buffer", count = n})
  elseif d.dropped < self._dropped_seen then
    self._dropped_seen = d.dropped -- the counter restarted (reboot)
  end
  return {buffered = d.buffered, received = d.received, dropped = d.dropped}
end

function Modem:sleep_mode(mode)
  local n = SLEEP_MODES[mode] or mode
  if math.type(n) ~= "integer" or n < 0 or n > 2 then
    error("sleep_mode: mode must be \"off\", \"deep\", \"light\" or 0, 1, 2", 2)
  end
  if n ~= 0 and self:_is_busy() then return nil, self:_is_busy(), "busy" end -- guide 5.3.3
  local cmd = core.build.qsclk(n)
  local r, msg, code = self:_command(cmd)
  if not r then return nil, msg, code end
  self._sleep = n
  return true
end

-- AT+NCDPCLOSE, then AT+NMSTATUS? until DEREGISTERED (no URC tells it).
function Modem:disconnect(opts)
  opts = check_table(opts, "disconnect", 2)
  local timeout = check_timeout(opts.timeout, "disconnect", self.opts.close_timeout, 2)
  if self.closed then return self:_closed_error() end
  if self:_is_busy() then return nil, self:_is_busy(), "busy" end
  if self._connecting then
    return nil, "a connection attempt is running: wait for its result first", "state"
  end
  local t0 = now()
  local r, msg, code = self:_command("AT+NCDPCLOSE")
  if not r then return nil, msg, code end
  self.observed = false
  while true do
    local s
    s, msg, code = self:status()
    if not s then return nil, msg, code end
    if s == "DEREGISTERED" or s == "UNINITIALISED" then
      self.registered, self.observed = false, false
      return true
    end
    local left = t0 + self:_real(timeout) - now()
    if left <= 0 then
      return nil, ("still %s %g s after AT+NCDPCLOSE"):format(s, timeout), "timeout"
    end
    loop.sleep(math.min(self:_real(self.opts.poll), left))
    if self.closed then return self:_closed_error() end
  end
end

function Modem:close(opts)
  opts = check_table(opts, "close", 2)
  if self.closed then return true end
  local ok, msg, code = true, nil, nil
  if opts.deregister ~= false and (self.registered or self.observed) then
    if self:_is_busy() then
      ok, msg, code = nil, "closed without deregistering: " .. self:_is_busy(), "busy"
    else
      ok, msg, code = self:disconnect(opts)
    end
  end
  self:_release("closed")
  if not ok then return nil, msg, code end
  return true
end

-- The state the module is believed to be in (from URCs and answers), for scripts.
function Modem:state()
  return {
    registered = self.registered, observed = self.observed, sleeping = self.sleeping,
    rebooted = self.rebooted, busy = self:_is_busy() or false, closed = self.closed,
    receive_mode = RECEIVE_MODE_NAMES[self.receive_mode], ip = self.ip,
    inbox = self.inbox:count(),
  }
end

function Modem:counters() return self.engine:counters() end

return M
