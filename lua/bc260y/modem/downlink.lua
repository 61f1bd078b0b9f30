-- bc260y.modem.downlink: downlinks the module keeps in its buffer (part of the Modem
-- class, mixed in by bc260y.modem). In the buffer (0) and indicate (2) receive modes
-- messages are read with AT+NMGR: by receive(), or, when downlink handlers are
-- registered, by a drain task that an indication starts and, in buffer mode, a poll
-- timer. In direct mode (1) the module prints them and bc260y.modem.urc delivers them.
local core = require("bc260y.core")
local loop = require("bc260y.loop")
local i18n = require("bc260y.i18n")
local options = require("bc260y.options")
local find_kind = require("bc260y.modem.command").find_kind

local check_table, check_timeout = options.check_table, options.check_timeout
local now = loop.now

local M = {}
local Downlink = {} -- methods of the Modem class (bc260y.modem mixes them in)
M.methods = Downlink

local RECEIVE_MODES = {buffer = 0, direct = 1, indicate = 2}

---------------------------------------------------------------------------------------
-- Every downlink's bytes reach the inbox here, and every loss is reported here (the
-- `downlink_dropped` event), whichever line or answer carried them.

function Downlink:_deliver_downlink(data)
  self.inbox:deliver(data)
end

-- info: {reason =, count =[, line =]} (docs/api.md, "Events").
function Downlink:_downlink_dropped(info)
  self:_emit("downlink_dropped", info)
end

-- A +NNMI: <length>,<hex> URC (direct mode), decoded (bc260y.core.decode).
function Downlink:_on_direct_downlink(d, line)
  if d.data then
    self:_deliver_downlink(d.data)
  else
    self:_downlink_dropped({reason = "bad hex", count = 1, line = line})
  end
end

-- A URC the decoder refused. No kind says what it was, so its prefix must: a +NNMI with
-- a length whose data cannot be delivered (length and hex disagree, bad hex) is a lost
-- downlink, visibly.
function Downlink:_on_refused_urc(line)
  if line:find("^%+NNMI:%s*%d") then
    self:_downlink_dropped({reason = "malformed", count = 1, line = line})
  end
end

-- A line too long for the engine (overflow, never decoded): a downlink line's bytes are
-- lost, visibly.
function Downlink:_on_overflow_line(line)
  if line:find("+NNMI:", 1, true) == 1 or line:find("+NMGR:", 1, true) == 1 then
    self:_downlink_dropped({reason = "overflow", count = 1, line = line})
  end
end

function Downlink:set_receive_mode(mode)
  local n = RECEIVE_MODES[mode] or mode
  if math.type(n) ~= "integer" or n < 0 or n > 2 then
    error("set_receive_mode: mode must be \"buffer\", \"direct\", \"indicate\" or 0, 1, 2", 2)
  end
  local cmd = core.build.nnmi(n)
  if self.closed then return self:_closed_error() end
  if self:_busy_reason() then return nil, self:_busy_reason(), "busy" end
  local previous = self.receive_mode
  local r, msg, code = self:_command(cmd)
  local known_empty = previous == 2 and self._buffer_empty -- before the mode change forgets it
  if not r then return nil, msg, code end
  self:_learn_receive_mode(n)
  if n ~= 1 then
    if self.inbox:has_handlers() then self:_kick_drain() end
    self:_schedule_poll()
  elseif previous ~= 1 and not known_empty then
    -- Leaving a buffer mode: what the module still holds must not stay behind (unless it
    -- is known empty: indicate mode announces every message, and none came since).
    self:_drain_all()
  end
  self:_state_changed()
  return true
end

-- One AT+NMGR: the oldest buffered message, or false when the buffer is empty.
function Downlink:_nmgr()
  local r, msg, code, cme = self:_command("AT+NMGR")
  if not r then
    if cme == 801 then -- CTIOT_EB_NO_RECV_DATA: nothing buffered
      self:_learn_buffered(0)
      return false
    end
    return nil, msg, code
  end
  local d = find_kind(r, "nmgr")
  if not d then
    self:_learn_buffered(0)
    return false
  end
  self:_learn_buffered(nil)
  if not d.data then
    self:_downlink_dropped({reason = "bad hex", count = 1, line = r.lines[1]})
    return nil, i18n.t("lib.invalid_hex"), "error"
  end
  return d.data
end

-- Reads the module's buffer into the delivery rule until it is empty (only one drain runs
-- at a time; an indication during a drain makes it go round once more).
function Downlink:_drain_all()
  if self._draining then
    self._drain_again = true
    return
  end
  self._draining = true
  repeat
    self._drain_again = false
    self:_take_indication()
    while not self.closed and not self:_busy_reason() do
      local data, msg, code = self:_nmgr()
      if data == nil and not self.closed then
        -- The message stays in the module's buffer; say why it could not be read.
        self:_emit("error", i18n.t("lib.buffer_read_failed", tostring(msg)), code)
      end
      if not data then break end
      self:_deliver_downlink(data)
    end
  until not self._drain_again or self.closed
  self._draining = false
end

-- The same in its own task, for handlers in the buffer modes (always, when `announced`:
-- messages the module announced are read into the inbox even with no handler yet).
function Downlink:_kick_drain(announced)
  if self._draining then
    self._drain_again = true
    return
  end
  self:_spawn_callback(function()
    if announced or self.inbox:has_handlers() then self:_drain_all() end
  end)
end

-- Commands may reach the module again (bc260y.modem.urc's _quiet_ended): what the module
-- announced meanwhile could not be read then, and nothing else would read it now.
function Downlink:_drain_announced()
  if self.closed or self:_busy_reason() or self.receive_mode == 1 then return end
  if self._announced > 0 or self._indicated then self:_kick_drain(true) end
end

-- Whether the module is awake anyway, so that a command the library sends on its own
-- account wakes nobody: not asleep, and with RRC reports (init's AT+CSCON=1) connected;
-- without them, only a module that cannot sleep (no sleep mode set, or "off"). A
-- downlink reaches the module only over an RRC connection (paged in idle, or after an
-- uplink), so polling while connected, and once more as it ends, misses none.
function Downlink:_awake_anyway()
  if self.sleeping then return false end
  if self.rrc_connected ~= nil then return self.rrc_connected end
  return not self._sleep or self._sleep == 0
end

-- Buffer mode (0) prints nothing when a downlink arrives: with handlers, poll for it
-- every opts.poll module seconds while the module is awake anyway; while it may sleep
-- only on the schedule the script asked for (opts.poll_asleep, which wakes it), or never.
function Downlink:_schedule_poll()
  if self._poll_timer or self.closed or self.receive_mode ~= 0 or not self.inbox:has_handlers() then
    return
  end
  local awake = self:_awake_anyway()
  local every = awake and self.opts.poll or self.opts.poll_asleep
  if not every then return end
  self._poll_asleep = not awake
  self._poll_timer = loop.timer(self:_real_seconds(every), function()
    self._poll_timer = nil
    if self.closed or self.receive_mode ~= 0 or not self.inbox:has_handlers() then return end
    if self:_awake_anyway() or self.opts.poll_asleep then self:_kick_drain() end
    self:_schedule_poll()
  end)
end

function Downlink:_stop_poll()
  if self._poll_timer then self._poll_timer:cancel() end
  self._poll_timer = nil
end

-- The module fell asleep or woke (bc260y.modem.urc): the poll's pace follows.
function Downlink:_sleep_changed()
  if self._poll_timer and self._poll_asleep == self:_awake_anyway() then
    self:_stop_poll()
    self:_schedule_poll()
  end
end

-- A +CSCON URC (bc260y.modem.urc; was: the state before it). Connected: poll. Released:
-- one last read, for a message that came just before (the module is still awake: T3324
-- runs), then the poll's pace follows.
function Downlink:_rrc_changed(was)
  if self.receive_mode == 0 and self.inbox:has_handlers() and was and not self.rrc_connected
     and not self.closed then
    self:_kick_drain()
  end
  self:_sleep_changed()
  self:_schedule_poll()
end

function Downlink:receive(opts)
  opts = check_table(opts, "receive", 2, {"timeout"})
  local timeout = check_timeout(opts.timeout, "receive", nil, 2)
  -- (a downlink already in the inbox is no wait)
  if self.inbox:count() > 0 then return self:_receive(timeout) end
  return self:_watched("progress.downlink", timeout, self._receive, self, timeout)
end

-- receive's wait for a downlink (timeout: module seconds or nil).
function Downlink:_receive(timeout)
  local deadline = timeout and now() + self:_real_seconds(timeout)
  local first = true
  while true do
    local data = self.inbox:pop()
    if data then return data end
    if self.closed then return self:_closed_error() end
    if self.inbox:has_handlers() then
      return nil, i18n.t("lib.handlers"), "state"
    end
    if not first and deadline and now() >= deadline then
      return nil, i18n.t("lib.no_downlink"), "timeout"
    end
    -- The buffer modes: take the oldest message from the module, only as asked: at the
    -- first look, after an indication (mode 2), and at every poll (mode 0).
    local mode = self.receive_mode
    if mode ~= 1 and not self:_busy_reason() and (first or mode == 0 or self._indicated) then
      self:_take_indication()
      local got, msg, code = self:_nmgr()
      if got then return got end
      if got == nil then return nil, msg, code end
    end
    first = false
    if self.inbox:count() == 0 then
      local left = deadline and deadline - now()
      if left and left <= 0 then return nil, i18n.t("lib.no_downlink"), "timeout" end
      local wait = left
      if mode == 0 then wait = math.min(left or math.huge, self:_real_seconds(self.opts.poll)) end
      -- An indication makes the next round read at once, unless the module is busy
      -- (DFOTA): then wait, or this loop would spin and starve the reader.
      -- (The loop's top says why it woke: a downlink, the modem closed, the deadline.)
      if not (mode == 2 and self._indicated and not self:_busy_reason()) then
        self:_wait_until(self:_changed_since_now(), wait and now() + wait)
      end
    end
  end
end

return M
