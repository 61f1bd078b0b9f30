-- bc260y.modem_urc: what the Modem believes of the module (part of the Modem class, mixed
-- in by bc260y.modem). It is the one writer of those fields (registered, observed,
-- sleeping, rebooted, receive_mode, ip, _fota_busy, _dropped_seen, _indicated): URCs
-- update them here, and the calls that learn something from an answer report it through
-- the _learn_* methods below. URCs also settle the connect/send call waiting for them and
-- fire the matching events.
local M = {}
local Modem = {}
M.methods = Modem

local QLWEVTIND = require("bc260y.modem_events").QLWEVTIND

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

-- What each kind of URC does, keyed by the decoded kind (bc260y.core.decode); kinds with
-- no row only fire the `urc` event.
local ON_URC = {
  qlwevtind = function(self, d) self:_on_qlwevtind(d.value) end,
  nnmi_data = function(self, d, line)
    if d.data then
      self.inbox:deliver(d.data)
    else
      self:_downlink_dropped({reason = "bad hex", count = 1, line = line})
    end
  end,
  nnmi_indication = function(self)
    self._indicated = true
    if self.inbox:has_handlers() then self:_kick_drain() end
    self:_state_changed()
  end,
  nnmi_buff_full = function(self)
    self._dropped_seen = self._dropped_seen + 1
    self:_downlink_dropped({reason = "buff full", count = 1})
  end,
  fota = function(self, d) self:_on_fota(d) end,
  qnbiotevent = function(self, d)
    if d.value == "ENTER DEEPSLEEP" then
      self.sleeping = true
      self:_emit("deepsleep")
    else
      self.sleeping = false
      self:_emit("wakeup")
    end
  end,
  cscon = function(self, d) self:_emit("rrc", d.value == 1 and "connected" or "idle", d.value) end,
  ip = function(self, d)
    self.ip = d.value
    self:_state_changed()
  end,
}

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
  local on = ON_URC[d.kind]
  if on then on(self, d, line) end
end

---------------------------------------------------------------------------------------
-- What answers tell (not URCs): the calls that read them report here, so the module's
-- believed state has one writer.

function Modem:_learn_registration(registered, observed)
  self.registered, self.observed = registered, observed
end
function Modem:_learn_ip(ip) self.ip = ip end
function Modem:_learn_receive_mode(n) self.receive_mode = n end
function Modem:_learn_initialised() self.rebooted = false end
function Modem:_learn_awake() self.sleeping = false end

-- The module's DROPPED counter (AT+NQMGR) -> how many drops were not reported yet. A
-- smaller total than seen means the counter restarted (a reboot).
function Modem:_learn_dropped_total(total)
  local new = math.max(total - self._dropped_seen, 0)
  self._dropped_seen = total
  return new
end

-- Whether an indication (+NNMI, indicate mode) came since the last call; clears it.
function Modem:_take_indication()
  local indicated = self._indicated
  self._indicated = false
  return indicated
end

function Modem:_downlink_dropped(info)
  self:_emit("downlink_dropped", info)
end
return M
