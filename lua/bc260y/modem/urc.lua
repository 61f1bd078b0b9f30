-- bc260y.modem.urc: what the Modem believes of the module (part of the Modem class, mixed
-- in by bc260y.modem). It is the one writer of those fields (registered, observed,
-- sleeping, rebooted, receive_mode, ip, _sleep, _down_reason, _had_session, _fota_busy, _dropped_seen,
-- _indicated, _announced, _buffer_empty): URCs update them here, and the calls that learn something from an answer
-- report it through the _learn_* methods below. URCs also settle the connect/send call
-- waiting for them and fire the matching events. It also decides which commands the
-- module must not get now (_refusal): the guide's DFOTA rule.
local M = {}
local Urc = {} -- methods of the Modem class (bc260y.modem mixes them in)
M.methods = Urc
-- Messages in the reader's language (bc260y.i18n); the catalogue keeps the English.
local i18n = require("bc260y.i18n")
local loop = require("bc260y.loop")

local QLWEVTIND = require("bc260y.modem.events").QLWEVTIND

function Urc:_on_reboot()
  self:_stop_reboot_watch()
  self.registered, self.observed, self.sleeping = false, false, false
  self.rrc_connected = nil -- AT+CSCON=1 is not kept across a reboot
  self.rebooted = true
  self.receive_mode = 1 -- AT+NNMI is not kept across a reboot
  self._fota_busy = nil -- the update's reboot ends the quiet (guide 5.3.2.2)
  self._down_reason = self._had_session and i18n.t("lib.down_rebooted") or nil
  self._indicated = false -- an indication from before the reboot says nothing now
  -- The module's buffer is RAM: what it announced and nobody read is gone.
  local lost = self._announced
  self._announced = 0
  if lost > 0 then self:_downlink_dropped({reason = "reboot", count = lost}) end
  self._buffer_empty = false
  self._dropped_seen = 0 -- the module's DROPPED counter starts again
  self.ip = nil
  if self._connecting then self._connecting.failed = {i18n.t("lib.reboot_connecting"), "reboot"} end
  if self._con_ack then self._con_ack.failed = {i18n.t("lib.reboot_con"), "reboot"} end
  self:_emit("reboot")
  self:_state_changed()
end

-- The session is down (registered and observed false) and why, for send's message.
local function session_down(self, why)
  self.registered, self.observed = false, false
  self._down_reason = why
end

function Urc:_on_qlwevtind(v)
  local attempt = self._connecting
  if v == 0 then
    self.registered = true
    if attempt then attempt.registered = true end
  elseif v == 1 then
    session_down(self, i18n.t("lib.down_register_failed"))
    -- connect reads AT+NMSTATUS? to tell REJECTED_BY_SERVER from TIMEOUT.
    if attempt then
      attempt.failed = {i18n.t("lib.rejected"), "rejected"}
      attempt.register_failed = true
    end
  elseif v == 3 then
    self.registered, self.observed, self._had_session = true, true, true
    self._down_reason = nil
    if attempt then attempt.observed = true end
  elseif v == -1 then
    -- At any time, not only while connecting: the session is gone until a new connect.
    session_down(self, i18n.t("lib.down_broke"))
    if attempt then attempt.failed = {i18n.t("lib.connection_error"), "error"} end
    if self._con_ack then
      self._con_ack.failed = {i18n.t("lib.broke_before_con"), "state"}
    end
  elseif v == 4 then
    if self._con_ack then self._con_ack.ok = true end
  elseif v == 5 then
    if self._con_ack then self._con_ack.failed = {i18n.t("lib.con_failed"), "error"} end
  elseif v == 6 then
    self:_learn_awake()
  elseif v == 7 then
    -- The session could not be restored after deep sleep: register again.
    session_down(self, i18n.t("lib.down_not_restored"))
  elseif v == 8 then
    -- The platform prepares an update: the download may start at any moment, and from
    -- its first line no command may reach the module. Deep sleep must be off for it
    -- (guide 5.3.3), so turn it off now, not when a script gets round to it.
    if self._sleep and self._sleep ~= 0 then self:_sleep_off_for_update() end
  elseif v == 10 then
    -- A RST answered an uplink: the device must reconnect before it can send again.
    self.observed = false
    self._down_reason = i18n.t("lib.observe_reset")
    if self._con_ack then self._con_ack.failed = {i18n.t("lib.observe_reset"), "state"} end
  end
  local name = QLWEVTIND[v]
  if name then self:_emit(name, v) end
  self:_state_changed()
end

-- The guide's DFOTA rule (5.3.1, 5.3.3): from the first FOTA URC of a job (DOWNLOAD
-- START, or DOWNLOADING/DOWNLOAD/START/UPDATING when that is the first one seen) the host
-- sends no command at all, until the update's reboot (after END,0 the module restarts by
-- itself), a download failure (DOWNLOAD,<err>) or a failed update (END,<err>).
local FOTA_RUNNING = {
  download_start = "lib.fota_downloading", downloading = "lib.fota_downloading",
  start = "lib.fota_installing", updating = "lib.fota_installing",
}

function Urc:_on_fota(d)
  local stage, value = d.stage, d.value
  local was_quiet = self._fota_busy
  if FOTA_RUNNING[stage] then
    self._fota_busy = i18n.t(FOTA_RUNNING[stage])
  elseif stage == "download" then
    if value == 0 then self._fota_busy = i18n.t("lib.fota_downloaded")
    else self._fota_busy = nil end
  elseif stage == "end" then
    if value == 0 then
      self._fota_busy = i18n.t("lib.fota_ended")
      self:_watch_for_the_updates_reboot()
    else
      self._fota_busy = nil
    end
  end
  self:_emit("fota", stage, value, d)
  if was_quiet and not self._fota_busy then self:_quiet_ended() end -- bc260y.modem.downlink
  self:_state_changed() -- a call waiting for the module to be free again must hear it
end

-- After END,0 the module restarts by itself, and its boot banner ends the quiet. A banner
-- lost on the line (a UART glitch) must not leave every call "busy" for ever: when none
-- came REBOOT_UNSEEN module seconds after END,0, an AT (the one command the quiet lets
-- through here) asks whether the module is up. An answer means it rebooted unseen: the
-- Modem starts over as at a banner. No answer: it may still be booting; ask again later.
local REBOOT_UNSEEN = 30

function Urc:_watch_for_the_updates_reboot()
  self:_stop_reboot_watch()
  self._reboot_watch = loop.timer(self:_real_seconds(REBOOT_UNSEEN), function()
    self._reboot_watch = nil
    if self.closed or not self._fota_busy then return end
    self:_spawn_callback(function()
      local up = self:_command("AT", {ignore_busy = true, nowake = true})
      if not self._fota_busy or self.closed then return end -- a banner came meanwhile
      if up then
        self:_emit("error", i18n.t("lib.reboot_unseen"), "reboot")
        self:_on_reboot()
      else
        self:_watch_for_the_updates_reboot()
      end
    end)
  end)
end

function Urc:_stop_reboot_watch()
  if self._reboot_watch then self._reboot_watch:cancel() end
  self._reboot_watch = nil
end

-- Commands may reach the module again: a failed download or update ended the guide's
-- quiet (not a reboot: that starts the module over), or a procedure cleared its busy
-- reason. What waited for that is done now.
function Urc:_quiet_ended()
  self:_drain_announced() -- bc260y.modem.downlink
  self:_restore_sleep_after_update() -- bc260y.modem.command
end

-- What set_busy (a procedure's own reason) keeps from the module: data transfer,
-- registration, reset, radio off and sleep on, wherever they sit in a ';'-joined line.
local BUSY_REFUSED = {"^%+NMGS", "^%+NMGR", "^%+NCDPOPEN", "^%+NCDPCLOSE", "^%+QRST",
  "^%+CFUN=0", "^%+QSCLK=[12]"}

local function touches_refused(cmd)
  local upper = cmd:upper():gsub("^AT", "", 1)
  for part in (upper .. ";"):gmatch("([^;]*);") do
    part = part:gsub("^%s+", ""):gsub("^AT", "", 1)
    for _, pattern in ipairs(BUSY_REFUSED) do
      if part:find(pattern) then return true end
    end
  end
  return false
end

-- Why the command text must not reach the module now, or nil. During a firmware update
-- every command is refused; opts.ignore_busy (m:at's documented override) lets one
-- through. The command path calls this before anything reaches the wire.
function Urc:_refusal(text, opts)
  if (opts and opts.ignore_busy) or self.closed then return nil end -- closed: the call says so
  if self._fota_busy then return self._fota_busy end
  if self._busy and text and touches_refused(text) then return self._busy end
  return nil
end

-- What each kind of URC does, keyed by the decoded kind (bc260y.core.decode); kinds with
-- no row only fire the `urc` event.
local ON_URC = {
  qlwevtind = function(self, d) self:_on_qlwevtind(d.value) end,
  nnmi_data = function(self, d, line) self:_on_direct_downlink(d, line) end,
  nnmi_indication = function(self)
    self._indicated = true
    self._announced = self._announced + 1
    self._buffer_empty = false
    if self.inbox:has_handlers() then self:_kick_drain() end
    self:_state_changed()
  end,
  nnmi_buff_full = function(self)
    self._dropped_seen = self._dropped_seen + 1
    self:_downlink_dropped({reason = "buff full", count = 1}) -- bc260y.modem.downlink
  end,
  fota = function(self, d) self:_on_fota(d) end,
  qnbiotevent = function(self, d)
    if d.value == "ENTER DEEPSLEEP" then
      self.sleeping = true
      if self.rrc_connected then self.rrc_connected = false end -- (nil: still not reported)
      self:_sleep_changed() -- bc260y.modem.downlink: no poll wakes it now
      self:_emit("deepsleep")
    else
      self:_learn_awake()
      self:_emit("wakeup")
    end
  end,
  cscon = function(self, d)
    local was = self.rrc_connected
    self.rrc_connected = d.value == 1
    -- A downlink reaches the module only over a connection: the buffer-mode poll follows
    -- it, and reads once more when it ends (bc260y.modem.downlink).
    self:_rrc_changed(was)
    self:_emit("rrc", d.value == 1 and "connected" or "idle", d.value)
  end,
  ip = function(self, d)
    self.ip = d.value
    self:_state_changed()
  end,
}

function Urc:_on_urc(line, d)
  self:_emit("urc", line, d)
  if not d then return self:_on_refused_urc(line) end
  -- a value outside the guide's tables: reported, and nothing believed changes on it
  if d.unknown then return self:_emit("unknown_value", d.kind, d[d.unknown], line) end
  local on = ON_URC[d.kind]
  if on then on(self, d, line) end
end

---------------------------------------------------------------------------------------
-- What answers tell (not URCs): the calls that read them report here, so the module's
-- believed state has one writer.

function Urc:_learn_registration(registered, observed)
  self.registered, self.observed = registered, observed
  if observed then self._down_reason, self._had_session = nil, true end
end
function Urc:_learn_ip(ip) self.ip = ip end
function Urc:_learn_receive_mode(n)
  if n ~= self.receive_mode then self._buffer_empty = false end
  self.receive_mode = n
end

-- How many messages the module's buffer holds (AT+NQMGR, or 0 when AT+NMGR found none;
-- nil after a read: unknown). Only in indicate mode does it stay true until the next
-- +NNMI: in buffer mode a message arrives without a word.
-- A read took one message (n nil) or found none (0): one announced message fewer, or
-- none left.
function Urc:_learn_buffered(n)
  self._buffer_empty = n == 0 and self.receive_mode == 2
  self._announced = n == 0 and 0 or math.max(self._announced - 1, 0)
end
-- set_rrc_reports(false): no +CSCON URC tells the RRC state any more.
function Urc:_learn_rrc_unreported()
  self.rrc_connected = nil
  self:_sleep_changed() -- bc260y.modem.downlink
end
function Urc:_learn_initialised() self.rebooted = false end
function Urc:_learn_awake()
  if self.sleeping then
    self.sleeping = false
    self:_sleep_changed() -- bc260y.modem.downlink
  end
end

-- The module's DROPPED counter (AT+NQMGR) -> how many drops were not reported yet. A
-- smaller total than seen means the counter restarted (a reboot).
function Urc:_learn_dropped_total(total)
  local new = math.max(total - self._dropped_seen, 0)
  self._dropped_seen = total
  return new
end

-- Whether an indication (+NNMI, indicate mode) came since the last call; clears it.
function Urc:_take_indication()
  local indicated = self._indicated
  self._indicated = false
  return indicated
end

-- sleep_mode() set AT+QSCLK mode n (0 off, 1 deep, 2 light): whether the module may sleep.
function Urc:_learn_sleep_mode(n) self._sleep = n end

return M
