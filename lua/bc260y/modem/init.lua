-- bc260y.modem: the Modem class behind bc260y.open (README.md, "The Lua API").
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
-- a string: "cme" (+CME ERROR: the number is in the message) or one of "timeout",
-- "unsent", "error", "closed", "io", "rejected", "busy", "state", "reboot". Bad arguments raise at
-- once, at the caller's line: nothing reaches the wire.
--
-- This file declares everything a Modem holds (M.new, with the unit that writes each
-- field) and holds the public calls; the machinery behind them is mixed in
-- from bc260y.modem.events (m:on and the callbacks), bc260y.modem.io (the I/O pump and
-- the dispatch of engine events), bc260y.modem.urc (what the module is believed to be: URCs and answers -> state), bc260y.modem.command
-- (the command path, wake-up, busy), bc260y.modem.downlink (receive modes, receive,
-- draining the module's buffer), bc260y.modem.late (late answers as `late` events) and
-- bc260y.modem.power (psm, edrx); bc260y.modem.everyday (identity, signal, network,
-- clock); bc260y.options checks open()'s options.
local core = require("bc260y.core")
local loop = require("bc260y.loop")
local trace = require("bc260y.trace")
local inbox = require("bc260y.modem.inbox")
local options = require("bc260y.options")
local i18n = require("bc260y.i18n")
local events = require("bc260y.modem.events")
local io_pump = require("bc260y.modem.io")
local urc = require("bc260y.modem.urc")
local command = require("bc260y.modem.command")
local downlink = require("bc260y.modem.downlink")
local late = require("bc260y.modem.late")
local power = require("bc260y.modem.power")
local everyday = require("bc260y.modem.everyday")

local check_table, check_timeout = options.check_table, options.check_timeout
local check_at = core.check_at
local find_kind, AT_DEFAULTS = command.find_kind, command.AT_DEFAULTS
local now = loop.now

local M = {}
local Modem = {}
Modem.__index = Modem
M.Modem = Modem

-- Every Modem made and not collected, for the orderly stop (bc260y.shutdown) to close;
-- weak, so that it keeps none alive.
local made = setmetatable({}, {__mode = "k"})

-- The Modems not closed yet.
function M.open_modems()
  local list = {}
  for m in pairs(made) do
    if not m.closed then list[#list + 1] = m end
  end
  return list
end

-- The methods of the other parts; a name defined twice is a mistake, not an override.
for _, part in ipairs({events, io_pump, urc, command, downlink, late, power, everyday}) do
  for name, fn in pairs(part.methods) do
    if Modem[name] ~= nil then error("bc260y.modem: " .. name .. " defined twice") end
    Modem[name] = fn
  end
end

-- The engine's longest command by default (core/at.c, at_config_defaults; the engine
-- option cmd_max changes it).
local CMD_MAX = 4096

local RECEIVE_MODE_NAMES = {[0] = "buffer", [1] = "direct", [2] = "indicate"}
local SLEEP_MODES = {off = 0, deep = 1, light = 2}
-- AT+NCDPOPEN's refusals that mean a session connect did not open (_end_foreign_session):
-- the guide's CTIOT_EA_LOGIN_PROCESSING and CTIOT_EA_OPERATION_NOT_PERMITTED.
local FOREIGN_SESSION = {[955] = true, [959] = true}
local UPLINK_STATUS = {[0] = "not_sent", [1] = "sent", [2] = "failed", [3] = "timeout",
                       [4] = "success", [5] = "reset"}

---------------------------------------------------------------------------------------
-- construction

-- Builds a Modem on an open Port. opts are checked options; host says what open() knows
-- besides the port: time_scale (function -> module seconds per real second; default 1)
-- on_close (function run once when the modem closes: open("sim") stops its virtual
-- module there) and sim (open("sim")'s virtual module, kept for scripts as m.sim and
-- m.platform). The Modem's logic knows nothing of the virtual module.
function M.new(port, opts, host)
  host = host or {}
  -- Everything a Modem holds, each with the one unit that writes it after construction
  -- (the other units read it, or ask the owner through one of its methods).
  local self = setmetatable({
    -- construction (this file); never written again
    port = port,             -- the open Port (bc260y.core)
    engine = core.engine(opts.engine), -- the AT engine: bytes in, events out
    opts = opts,             -- open()'s options, checked (bc260y.options)
    fdnum = port:fd(),       -- the port's fd, watched in bc260y.loop
    _cmd_max = opts.engine.cmd_max or CMD_MAX, -- the longest command m:at takes
    _time_scale = host.time_scale, -- function -> module seconds per real second, or nil (1)
    _on_close = host.on_close,     -- function run once when the modem closes, or nil
    _wake_hook = opts.wake,  -- the wake option: runs before AT retries when asleep
    _changed = loop.signal(),-- notified on every state or inbox change: wakes every wait
    _changes = 0,            -- how many changes so far (bc260y.modem.events: _state_changed)
    _handlers = {},          -- event name -> {handle...} (bc260y.modem.events adds to the lists)
    inbox = nil,             -- bc260y.modem.inbox: downlinks kept for receive() or handlers
    sim = host.sim,          -- open("sim"): the virtual module, for scripts (never read here)
    platform = host.sim and host.sim.platform, -- its platform, for scripts (never read here)
    -- the public calls (this file)
    _info = nil,             -- what the last init() returned
    _warned_firmware = false,-- init() warned once that the firmware predates R02
    _psk = nil,              -- connect()'s PSK, masked in traces and messages from then on
    _connecting = nil,       -- connect() running: {registered=, observed=, failed=} (bc260y.modem.urc settles it)
    _con_ack = nil,          -- a CON send() waiting for its acknowledgement: {ok=, failed=} (bc260y.modem.urc settles it)
    -- the module as we believe it, from URCs and answers (bc260y.modem.urc)
    registered = false,      -- +QLWEVTIND: 0 or NMSTATUS REGISTERED
    observed = false,        -- +QLWEVTIND: 3: the platform observes 19/0/0, data may flow
    sleeping = false,        -- ENTER DEEPSLEEP seen and no sign of waking since
    rrc_connected = nil,     -- the last +CSCON URC: true connected, false idle; nil: not reported
    rebooted = false,        -- a boot banner since the last init()
    receive_mode = 1,        -- AT+NNMI: 0 buffer, 1 direct (the boot default), 2 indicate
    ip = nil,                -- the module's IP address (AT+CGPADDR, +IP)
    _sleep = nil,            -- AT+QSCLK mode sleep_mode() set; nil: unknown
    _sleep_before_update = nil, -- the mode +QLWEVTIND: 8 turned off, set back if no reboot came
    _down_reason = nil,      -- why the session is down (+QLWEVTIND: -1, 1, 7, 10, a reboot), for send
    _had_session = false,    -- the platform observed this module since open (a reboot ends a session)
    _fota_busy = nil,        -- reason while +QIND: FOTA says an update runs (every command refused)
    _reboot_watch = nil,     -- after END,0: the timer that asks whether the module rebooted unseen
    _dropped_seen = 0,       -- module drops already reported (buff full URCs, NQMGR DROPPED)
    _indicated = false,      -- +NNMI (indicate mode) since the last AT+NMGR
    _announced = 0,          -- messages +NNMI announced (indicate mode) and not read yet
    _buffer_empty = false,   -- indicate mode: the module's buffer is known empty (no +NNMI since)
    -- the command path (bc260y.modem.command)
    _busy = false,           -- set_busy()'s reason (false: none; present, not nil: the
                             -- command path reads it at every call)
    _tag = 0,                -- the last command's tag
    _waiting = {},           -- tag -> future of the call waiting for that response (_on_response ends it)
    _inflight = 0,           -- engine slots taken (commands submitted or about to be)
    _turns = {},             -- FIFO of futures of callers waiting for an engine slot
    _waking = nil,           -- future of the wake-up running, shared by concurrent commands
    -- late answers (bc260y.modem.late)
    _owed = {},              -- {tag=, command=, lines=} of calls that failed and may still be answered
    -- downlinks in the buffer modes (bc260y.modem.downlink)
    _draining = false,       -- a drain of the module's buffer runs
    _drain_again = false,    -- an indication came during the drain: go round once more
    _poll_timer = nil,       -- buffer mode with handlers: the next AT+NMGR poll
    _poll_asleep = false,    -- that poll was timed by opts.poll_asleep (the module may sleep)
    -- I/O (bc260y.modem.io)
    closed = false,          -- closed by close() or a failed port: every call fails
    close_code = nil,        -- "closed" or "io"
    close_msg = nil,         -- the port's error when close_code is "io"
    last_rx = now(),         -- when the module last sent a byte (sleep guess; _heard writes it)
    _watch = nil,            -- the loop's watch of fdnum
    _writer = false,         -- task finishing a partial write (false, not nil: these four
                             -- are read at every command, and a present field is found
                             -- without a second lookup through the class)
    _timer = false,          -- the engine's deadline timer
    _timer_at = nil,         -- when it fires
    _trace_sink = nil,       -- trace.sink(opts.trace): where trace lines go
    _tracer = false,         -- bc260y.trace splitter of bytes into trace lines
  }, Modem)
  self.inbox = inbox.new({
    limit = opts.inbox,
    run = function(fn) self:_spawn_callback(fn) end,
    on_drop = function(info) self:_downlink_dropped(info) end,
    on_change = function() self:_state_changed() end,
  })
  self:_start_io()
  made[self] = true
  return self
end

function Modem:__tostring()
  return ("bc260y.Modem(%s%s)"):format(self.port:name(), self.closed and ", closed" or "")
end
Modem.__close = function(self) self:close({deregister = false}) end
-- A Modem dropped without close(): what the loop holds for it (its watch with the Port,
-- open("sim")'s virtual module) is released at the loop's next step, the watch first and
-- then the port (bc260y.modem.io says why in that order).
Modem.__gc = function(self)
  made[self] = nil -- (a weak key stays until the next cycle: the stop must not see it)
  if not self.closed then
    local watch, port, on_close = self._watch, self.port, self._on_close
    loop.release(function()
      if watch then watch:cancel() end
      pcall(port.close, port)
      if on_close then on_close() end
    end)
  end
end

function Modem:fd() return self.fdnum end

---------------------------------------------------------------------------------------
-- the public calls

function Modem:at(cmd, opts)
  -- The argument checks, in C (core.check_at): a round trip costs little more than C.
  -- ignore_busy: from the first FOTA URC to the update's reboot the guide forbids every
  -- command; a raw one is no way around it unless the caller says so explicitly.
  -- (text_lines is checked and retired: every line a command gets is its answer)
  local timeout, expect, _, ignore_busy = check_at(cmd, opts)
  if #cmd > self._cmd_max then
    error(("at: command must be at most %d bytes (got %d)"):format(self._cmd_max, #cmd), 2)
  end
  local o = AT_DEFAULTS
  if timeout or expect or ignore_busy then
    o = {first_byte = timeout, total = timeout, expect = expect, ignore_busy = ignore_busy,
         decode = false}
  end
  return self:_command(cmd, o) -- bc260y.modem.command
end

-- The platform commands exist from R02 firmware on (the guide's chapter 1): true for
-- R02 and later, false for R01, nil when the revision does not say.
function M.firmware_supported(revision)
  local release = type(revision) == "string" and revision:match("R(%d%d)A%d%d")
  if not release then return nil end
  return tonumber(release) >= 2
end

-- Reports the firmware check in init's result, and warns once per Modem (the `warning`
-- event, or stderr when nobody listens) when the firmware predates R02.
function Modem:_check_firmware(info)
  info.firmware_supported = M.firmware_supported(info.revision)
  if info.firmware_supported ~= false then return end
  info.firmware_warning = i18n.t("lib.firmware_old", info.revision)
  if self._warned_firmware then return end
  self._warned_firmware = true
  local list = self._handlers.warning
  if list and #list > 0 then
    self:_emit("warning", info.firmware_warning)
  else
    io.stderr:write("bc260y: ", i18n.t("lib.warning", info.firmware_warning), "\n")
  end
end

-- After +QLWEVTIND: 1 the module's state tells the two causes apart, and the guide gives
-- each its own remedy (AT+NMSTATUS notes 1 and 2).
function Modem:_registration_failure(psk)
  local d = self:_query("AT+NMSTATUS?", "nmstatus")
  local s = d and d.value
  self:_learn_registration(false, false)
  if s == "REJECTED_BY_SERVER" then
    return nil, i18n.t("lib.rejected_by_server"), "rejected"
  elseif s == "TIMEOUT" then
    return nil, i18n.t("lib.register_timeout", psk and i18n.t("lib.and_psk") or ""), "timeout"
  end
  return nil, i18n.t("lib.register_failed_status", s or i18n.t("lib.nothing")), "rejected"
end

function Modem:init(opts)
  opts = check_table(opts, "init", 2, {"attach", "rrc", "timeout", "tries"})
  local timeout = check_timeout(opts.timeout, "init", 60, 2)
  local tries = opts.tries or 10
  if math.type(tries) ~= "integer" or tries < 1 then error("init: tries must be an integer >= 1", 2) end
  for _, k in ipairs({"attach", "rrc"}) do
    if opts[k] ~= nil and type(opts[k]) ~= "boolean" then error(("init: %s must be a boolean"):format(k), 2) end
  end
  if self.closed then return self:_closed_error() end
  local refused = self:_refusal("AT")
  if refused then return nil, refused, "busy" end
  local t0 = now()
  -- timeout bounds the whole call: the sync, each command, the wait for an IP address.
  -- The wait is in module seconds; the commands are serial I/O, which a faster virtual
  -- clock does not speed up: they get the timeout in real seconds at least.
  local deadline = t0 + self:_real_seconds(timeout)
  local io_deadline = t0 + math.max(self:_real_seconds(timeout), timeout)
  local function step(cmd, o)
    o = o or {}
    o.nowake = true
    local left = io_deadline - now()
    if left < 0.001 then
      return nil, i18n.t("lib.init_no_time", cmd, timeout), "timeout"
    end
    if left < 5 then o.total, o.first_byte = left, left end
    return self:_command(cmd, o)
  end
  local ok, msg, code = self:_until_at_ok(tries, io_deadline)
  if not ok then return nil, msg, code end
  for _, cmd in ipairs({"ATE0", "AT+CMEE=1"}) do
    ok, msg, code = step(cmd)
    if not ok then return nil, msg, code end
  end
  local info = {}
  local r
  r, msg, code = step("ATI")
  if not r then return nil, msg, code end
  for _, d in ipairs(r.decoded) do
    if d and d.kind == "ati_manufacturer" then info.manufacturer = d.value
    elseif d and d.kind == "ati_model" then info.model = d.value
    elseif d and d.kind == "ati_revision" then info.revision = d.value end
  end
  self:_check_firmware(info)
  r, msg, code = step("AT+CGSN=1")
  if not r then return nil, msg, code end
  local d = find_kind(r, "cgsn")
  info.imei = d and d.value
  r, msg, code = step("AT+NNMI?")
  if not r then return nil, msg, code end
  d = find_kind(r, "nnmi_mode")
  if d then self:_learn_receive_mode(d.value) end
  info.receive_mode = RECEIVE_MODE_NAMES[self.receive_mode]
  -- RRC state URCs feed the `rrc` event; a module that refuses them still works.
  if opts.rrc ~= false then step("AT+CSCON=1") end
  self:_learn_initialised()
  if opts.attach ~= false then
    -- Wait until the module is attached (an IP address), as the guide does before NCDPOPEN.
    local ip
    ip, msg, code = self:_watched("progress.network", timeout, self._wait_ip, self, deadline, timeout)
    if not ip then return nil, msg, code end
  end
  info.ip = self.ip
  self._info = info
  return info
end

-- AT+CGPADDR? until the module has an IP address: ask every poll interval, or at once
-- when a +IP URC says it. -> ip | nil, message, code
function Modem:_wait_ip(deadline, timeout, wake)
  while true do
    local r, msg, code = self:_command("AT+CGPADDR?", {nowake = not wake})
    if not r then return nil, msg, code end
    local d = find_kind(r, "cgpaddr")
    if d and d.ip and d.ip ~= "" then self:_learn_ip(d.ip) end
    if self.ip then return self.ip end
    if now() >= deadline then
      return nil, i18n.t("lib.no_ip", timeout), "timeout"
    end
    local got
    got, msg, code = self:_wait_until(function() return self.ip end,
      math.min(now() + self:_real_seconds(self.opts.poll), deadline))
    if not got and code ~= "timeout" then return nil, msg, code end
  end
end

-- m:wait_ip([{timeout=60}]): the module's IP address once it is attached (AT+CGPADDR?,
-- the guide's step before registering), for scripts that called init{attach=false}.
function Modem:wait_ip(opts)
  opts = check_table(opts, "wait_ip", 2, {"timeout"})
  local timeout = check_timeout(opts.timeout, "wait_ip", 60, 2)
  if self.closed then return self:_closed_error() end
  return self:_watched("progress.network", timeout, self._wait_ip, self,
    now() + self:_real_seconds(timeout), timeout, true)
end

-- m:set_rrc_reports(on): AT+CSCON=1 (the `rrc` event) or AT+CSCON=0.
function Modem:set_rrc_reports(on)
  if type(on) ~= "boolean" then error("set_rrc_reports: on must be a boolean", 2) end
  local r, msg, code = self:_command(on and "AT+CSCON=1" or "AT+CSCON=0")
  if not r then return nil, msg, code end
  if not on then self:_learn_rrc_unreported() end
  return true
end

function Modem:set_lifetime(seconds)
  -- The range is the C builder's (core.build.ncfg), the one place it is checked.
  local ok, cmd = pcall(core.build.ncfg, seconds)
  if not ok then error("set_lifetime: seconds: " .. tostring(cmd), 2) end
  local r, msg, code = self:_command(cmd)
  if not r then return nil, msg, code end
  return true
end

function Modem:get_lifetime()
  local d, msg, code = self:_query("AT+NCFG=0", "ncfg")
  if not d then return nil, msg, code end
  return d.value
end

function Modem:connect(opts)
  if type(opts) ~= "table" then error("connect: expects a table {host=, port=, psk=, timeout=}", 2) end
  check_table(opts, "connect", 2, {"host", "port", "psk", "timeout"})
  local problem = options.host_problem(opts.host)
  if problem then error("connect: host " .. problem, 2) end
  local port = options.check_port(opts.port, "connect", 2)
  local psk = opts.psk
  if psk ~= nil and type(psk) ~= "string" then
    error(("connect: psk must be a string of hex digits (got %s)"):format(type(psk)), 2)
  end
  -- 126 s is the guide's limit without DTLS (the default waits 10 s more: bc260y.options);
  -- with DTLS the guide gives none (psk_connect_timeout).
  local timeout = check_timeout(opts.timeout, "connect",
    psk and self.opts.psk_connect_timeout or self.opts.connect_timeout, 2)
  -- The PSK's checks (hex digits, even, 1..256 bytes) are the C builder's, as for dfota.
  local ok, cmd = pcall(core.build.ncdpopen, opts.host, port, psk)
  if not ok then error("connect: " .. trace.scrub(cmd, psk), 2) end
  if psk then self._psk = psk end -- from now on no trace or event may show it
  if self.closed then return self:_closed_error() end
  if self:_busy_reason() then return nil, self:_busy_reason(), "busy" end
  if self._connecting then return nil, i18n.t("lib.connecting"), "state" end
  if self.observed then return nil, i18n.t("lib.connected"), "state" end
  local attempt = {}
  self._connecting = attempt
  local t0 = now()
  local r, msg, code, cme = self:_command(cmd)
  if not r and FOREIGN_SESSION[cme] then
    -- The module has a session this Modem did not open: close it, then open ours.
    r, msg, code = self:_watched("progress.deregister", self.opts.close_timeout,
      self._end_foreign_session, self, timeout)
    if r then
      attempt = {} -- what that session's URCs settled is not this registration's
      self._connecting = attempt
      t0 = now()
      r, msg, code = self:_command(cmd)
    end
  end
  if not r then
    self._connecting = nil
    return nil, trace.scrub(msg, psk), code
  end
  local settled
  settled, msg, code = self:_watched("progress.registration", timeout, self._wait_until, self,
    function() return attempt.failed or attempt.observed end, t0 + self:_real_seconds(timeout))
  self._connecting = nil
  if code == "timeout" then
    return nil, i18n.t("lib.no_registration", timeout), "timeout"
  end
  if not settled then return nil, msg, code end
  if attempt.register_failed then return self:_registration_failure(psk) end
  if attempt.failed then return nil, attempt.failed[1], attempt.failed[2] end
  return true
end

-- connect's AT+NCDPOPEN refused with +CME ERROR: 959 (the module has a session) or 955
-- (a registration runs): a previous run was killed before it could deregister, or stopped
-- while it deregistered, and the module keeps its session across the host's death. The
-- guide has no read form of AT+NCDPOPEN, so nothing tells which server, port, PSK and
-- lifetime that session was opened with: adopting it could send data elsewhere than the
-- script says. So it is closed (after its result, if it still registers: AT+NCDPCLOSE
-- answers ERROR before), and connect opens its own. -> true | nil, message, code
function Modem:_end_foreign_session(timeout)
  return self:_poll_status(now() + self:_real_seconds(timeout), timeout, function(s)
    if s == "REGISTERED" or s == "REGISTERED_AND_OBSERVED" then
      -- (a deregistration already under way answers OK and ends as its own would)
      local r, msg, code = self:_command("AT+NCDPCLOSE")
      if not r then return nil, msg, code end
      return self:_until_deregistered(now(), self.opts.close_timeout)
    elseif s ~= "REGISTERING" then
      return true
    end
  end)
end

function Modem:send(data, opts)
  if type(data) ~= "string" then error("send: data must be a string", 2) end
  if #data < 1 or #data > 1024 then error(("send: data must be 1..1024 bytes (got %d)"):format(#data), 2) end
  opts = check_table(opts, "send", 2, {"rai", "con", "timeout"})
  local rai = opts.rai or 0
  if math.type(rai) ~= "integer" or rai < 0 or rai > 2 then error("send: rai must be 0, 1 or 2", 2) end
  if opts.con ~= nil and type(opts.con) ~= "boolean" then error("send: con must be a boolean", 2) end
  local con = opts.con == true
  local timeout = check_timeout(opts.timeout, "send", self.opts.con_timeout, 2)
  -- The type is always written, 0 (NON, RAI 0) too: the guide's sessions leave it out,
  -- but an omitted parameter may keep its previous value (guide 2.1.1), so the module's
  -- memory of an earlier CON or RAI must never decide this uplink's.
  local cmd = core.build.nmgs(data, (con and 100 or 0) + rai)
  if self.closed then return self:_closed_error() end
  if self:_busy_reason() then return nil, self:_busy_reason(), "busy" end
  if not self.observed then
    -- (the power-on banner is a reboot too, but before any session it is not the reason)
    if self.rebooted and self._had_session then
      return nil, i18n.t("lib.rebooted"), "state"
    end
    if self._down_reason then
      return nil, i18n.t("lib.connect_again", self._down_reason), "state"
    end
    return nil, i18n.t("lib.not_observed"), "state"
  end
  if con and self._con_ack then
    return nil, i18n.t("lib.con_pending"), "busy"
  end
  local ack
  if con then
    ack = {}
    self._con_ack = ack
  end
  local t0 = now()
  local r, msg, code = self:_command(cmd)
  if not r then
    if con then self._con_ack = nil end
    return nil, msg, code
  end
  if not con then return true end
  local settled
  settled, msg, code = self:_watched("progress.con_ack", timeout, self._wait_until, self,
    function() return ack.failed or ack.ok end, t0 + self:_real_seconds(timeout))
  self._con_ack = nil
  if code == "timeout" then
    return nil, i18n.t("lib.no_con_ack", timeout), "timeout"
  end
  if not settled then return nil, msg, code end
  if ack.failed then return nil, ack.failed[1], ack.failed[2] end
  return true
end

function Modem:status()
  local d, msg, code = self:_query("AT+NMSTATUS?", "nmstatus")
  if not d then return nil, msg, code end
  local s = d.value
  if d.unknown then -- a state the guide does not list: as printed, nothing learnt
  elseif s == "REGISTERED_AND_OBSERVED" then
    self:_learn_registration(true, true)
  elseif s == "REGISTERED" then
    self:_learn_registration(true, false)
  elseif s ~= "REGISTERING" then
    self:_learn_registration(false, false)
  end
  return s
end

function Modem:uplink_status()
  local d, msg, code = self:_query("AT+QLWULDATASTATUS?", "qlwuldatastatus")
  if not d then return nil, msg, code end
  return d.value, UPLINK_STATUS[d.value]
end

function Modem:queue_stats()
  local d, msg, code = self:_query("AT+NQMGR", "nqmgr")
  if not d then return nil, msg, code end
  self:_learn_buffered(d.buffered)
  local n = self:_learn_dropped_total(d.dropped)
  if n > 0 then self:_downlink_dropped({reason = "module buffer", count = n}) end
  return {buffered = d.buffered, received = d.received, dropped = d.dropped}
end

function Modem:sleep_mode(mode)
  local n = SLEEP_MODES[mode] or mode
  if math.type(n) ~= "integer" or n < 0 or n > 2 then
    error("sleep_mode: mode must be \"off\", \"deep\", \"light\" or 0, 1, 2", 2)
  end
  if n ~= 0 and self:_busy_reason() then return nil, self:_busy_reason(), "busy" end -- guide 5.3.3
  local cmd = core.build.qsclk(n)
  local r, msg, code = self:_command(cmd)
  if not r then return nil, msg, code end
  self:_learn_sleep_mode(n)
  return true
end

-- AT+NCDPCLOSE, then AT+NMSTATUS? until DEREGISTERED (no URC tells it).
function Modem:disconnect(opts)
  opts = check_table(opts, "disconnect", 2, {"timeout"})
  local timeout = check_timeout(opts.timeout, "disconnect", self.opts.close_timeout, 2)
  if self.closed then return self:_closed_error() end
  if self:_busy_reason() then return nil, self:_busy_reason(), "busy" end
  if self._connecting then
    return nil, i18n.t("lib.connect_running"), "state"
  end
  local t0 = now()
  local r, msg, code = self:_command("AT+NCDPCLOSE")
  if not r then return nil, msg, code end
  self:_learn_registration(self.registered, false)
  return self:_watched("progress.deregister", timeout, self._until_deregistered, self, t0, timeout)
end

-- AT+NMSTATUS? every poll interval until settle(state) returns anything (returned), or the
-- deadline (loop.now() seconds) passes: no URC tells when a registration or a
-- deregistration ends. timeout (module seconds) is for the message.
function Modem:_poll_status(deadline, timeout, settle)
  while true do
    local s, msg, code = self:status()
    if not s then return nil, msg, code end
    local settled = table.pack(settle(s))
    if settled.n > 0 then return table.unpack(settled, 1, settled.n) end
    if now() >= deadline then
      return nil, i18n.t("lib.still_state", s, timeout), "timeout"
    end
    -- Ask again after a poll interval (or at once if the modem closes).
    local _, wmsg, wcode = self:_wait_until(function() return false end,
      math.min(now() + self:_real_seconds(self.opts.poll), deadline))
    if wcode ~= "timeout" then return nil, wmsg, wcode end
  end
end

-- AT+NMSTATUS? until DEREGISTERED (disconnect's wait).
function Modem:_until_deregistered(t0, timeout)
  return self:_poll_status(t0 + self:_real_seconds(timeout), timeout, function(s)
    if s == "DEREGISTERED" or s == "UNINITIALISED" then
      self:_learn_registration(false, false)
      return true
    end
  end)
end

function Modem:close(opts)
  opts = check_table(opts, "close", 2, {"deregister", "timeout"})
  if self.closed then return true end
  local ok, msg, code = true, nil, nil
  if opts.deregister ~= false and (self.registered or self.observed) then
    if self:_busy_reason() then
      ok, msg, code = nil, i18n.t("lib.closed_busy", self:_busy_reason()), "busy"
    else
      ok, msg, code = self:disconnect(opts)
    end
  end
  self:_release("closed")
  if not ok then return nil, msg, code end
  return true
end

-- The orderly stop's close (bc260y.shutdown, which bounds it in real time). A connect under
-- way is let finish first: AT+NCDPCLOSE before the registration's result is refused (the
-- guide's note to AT+NCDPOPEN), and a session left registered fails the next start's
-- NCDPOPEN. close() then deregisters, or, during a firmware update, sends nothing.
function Modem:_close_for_stop()
  local attempt = self._connecting
  if attempt and not self:_busy_reason() then
    self:_wait_until(function() return attempt.failed or attempt.observed end)
    -- settled: the connect call returns as it would have, and the close may deregister
    if self._connecting == attempt then self._connecting = nil end
  end
  return self:close()
end

-- The state the module is believed to be in (from URCs and answers), for scripts.
function Modem:state()
  return {
    registered = self.registered, observed = self.observed, sleeping = self.sleeping,
    rebooted = self.rebooted, busy = self:_busy_reason() or false, closed = self.closed,
    receive_mode = RECEIVE_MODE_NAMES[self.receive_mode], ip = self.ip,
    inbox = self.inbox:count(),
  }
end

function Modem:counters() return self.engine:counters() end

-- What the last successful init() read ({imei=, model=, revision=, ip=...}), or nil.
function Modem:info() return self._info end

return M
