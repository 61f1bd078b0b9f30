-- bc260y.sim.platform: the virtual China Telecom platform (IoT platform / CTWing AEP) the
-- virtual module registers with. It is plain data and policy: the module asks it what to
-- do (accept a registration? acknowledge a CON? reply to an uplink? start a DFOTA job?)
-- and the platform keeps what it saw, so a test can assert on it. Timing belongs to the
-- module (bc260y.sim.module); the platform only timestamps with the module's clock.
--
--   p:register_device{imei=, psk=}   a device the platform knows (psk: hex string or nil;
--                                    a psk device must connect with that psk, on the
--                                    encrypted port; a plain device on the plain port)
--   p:set_ports(plain, encrypted)    the platform's ports (default 5683 and 5684); a
--                                    device on the other kind's port is rejected
--                                    (+QLWEVTIND: 1, the guide's note 2 of NCDPOPEN)
--   p:remove_device(imei)            unknown IMEIs are rejected (+QLWEVTIND: 1)
--   p:device(imei)                   its record: {imei, psk, state, lifetime, registrations,
--                                    host, port} (state: "registered", "deregistered", ...)
--   p:set_registration(mode)         "accept" (default) | "reject" | "timeout" (no answer:
--                                    the module gives up after 126 s)
--   p:set_observe(bool)              false: register but never observe 19/0/0 (no
--                                    +QLWEVTIND: 3, sending refused)
--   p:set_con_ack(bool)              false: CON uplinks are never acknowledged (the module
--                                    reports +QLWEVTIND: 5 after its retransmissions)
--   p:set_auto_reply(bool[, bytes])  answer every uplink with bytes (default AAAA0000)
--   p:uplinks([imei])                every uplink received: {imei, data, con, rai, type,
--                                    time} oldest first (a copy)
--   p:queue_downlink(bytes[, imei])  a write to /19/1/0 (1..2560 bytes: the module's
--                                    receive buffer), delivered when the device can
--                                    receive it (registered and awake), oldest first
--   p:pending_downlinks([imei])      how many are still queued
--   p:cancel_observation([imei])     the platform forgets the 19/0/0 observation: the next
--                                    uplink is answered with RST (+QLWEVTIND: 10)
--   p:create_fota_job{size=, trigger="register"|"uplink", uplinks=1, fail=nil|
--       "download_2"|"download_4"|"download_9"|"end_255"|"power_loss", version=, imei=}
--                                    -> job table; job.state walks pending -> observing ->
--                                    downloading -> downloaded -> updating -> rebooting ->
--                                    succeeded | failed (job.result says why)
--   p:fota_jobs()                    every job
--   p:events()                       a log of what happened: {time, what, imei, ...}
local hex = {}
function hex.encode(s)
  return (s:gsub(".", function(c) return ("%02X"):format(c:byte()) end))
end

local Platform = {}
Platform.__index = Platform

local FAILS = {download_2 = true, download_4 = true, download_9 = true, end_255 = true,
               power_loss = true}

local function check_imei(imei, what)
  if type(imei) ~= "string" or not imei:match("^%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d$") then
    error(what .. ": imei must be a string of 15 digits, got " .. tostring(imei), 3)
  end
end

local function check_psk(psk)
  if psk == nil then return end
  if type(psk) ~= "string" or #psk == 0 or #psk % 2 ~= 0 or #psk > 512 or psk:find("[^%x]") then
    error("register_device: psk must be an even-length hex string of at most 256 bytes", 3)
  end
end

function Platform.new(opts)
  opts = opts or {}
  local self = setmetatable({
    clock = opts.clock,
    devices = {},
    registration = "accept",
    observe = true,
    con_ack = true,
    auto_reply = false,
    reply_bytes = "\170\170\0\0",
    up = {},
    down = {},          -- imei -> FIFO of byte strings
    cancelled = {},     -- imei -> true when the observation is gone
    jobs = {},
    log = {},
    links = {},         -- imei -> module object currently talking to us
    plain_port = 5683,  -- CoAP
    encrypted_port = 5684, -- CoAP over DTLS
  }, Platform)
  return self
end

function Platform:_now() return self.clock and self.clock:now() or 0 end

function Platform:_event(what, imei, extra)
  local e = extra or {}
  e.time, e.what, e.imei = self:_now(), what, imei
  self.log[#self.log + 1] = e
  if #self.log > 10000 then table.remove(self.log, 1) end -- bounded
end

function Platform:events() return table.move(self.log, 1, #self.log, 1, {}) end

-- The one device of a single-module setup when imei is omitted.
function Platform:_imei(imei)
  if imei ~= nil then check_imei(imei, "platform"); return imei end
  local only
  for k in pairs(self.links) do
    if only then error("platform: several devices are connected: say which imei", 3) end
    only = k
  end
  if not only then
    for k in pairs(self.devices) do
      if only then error("platform: several devices are known: say which imei", 3) end
      only = k
    end
  end
  if not only then error("platform: no device known", 3) end
  return only
end

function Platform:register_device(d)
  if type(d) ~= "table" then error("register_device: expects {imei=, psk=}", 2) end
  check_imei(d.imei, "register_device")
  check_psk(d.psk)
  self.devices[d.imei] = {imei = d.imei, psk = d.psk and d.psk:upper(), state = "created",
                          registrations = 0, lifetime = nil}
  return self.devices[d.imei]
end

function Platform:remove_device(imei)
  check_imei(imei, "remove_device")
  self.devices[imei] = nil
end

function Platform:device(imei) return self.devices[self:_imei(imei)] end

function Platform:set_registration(mode)
  if mode ~= "accept" and mode ~= "reject" and mode ~= "timeout" then
    error('set_registration: "accept", "reject" or "timeout", got ' .. tostring(mode), 2)
  end
  self.registration = mode
end

function Platform:set_ports(plain, encrypted)
  for _, v in ipairs({plain, encrypted}) do
    if math.type(v) ~= "integer" or v < 1 or v > 65535 then
      error("set_ports: ports must be integers 1..65535", 2)
    end
  end
  if plain == encrypted then error("set_ports: the plain and encrypted ports must differ", 2) end
  self.plain_port, self.encrypted_port = plain, encrypted
end

function Platform:set_observe(on) self.observe = not not on end
function Platform:set_con_ack(on) self.con_ack = not not on end

function Platform:set_auto_reply(on, bytes)
  if bytes ~= nil and (type(bytes) ~= "string" or #bytes == 0 or #bytes > 2560) then
    error("set_auto_reply: reply must be 1..2560 bytes", 2)
  end
  self.auto_reply = not not on
  if bytes then self.reply_bytes = bytes end
end

function Platform:uplinks(imei)
  local out = {}
  for _, u in ipairs(self.up) do
    if not imei or u.imei == imei then
      out[#out + 1] = {imei = u.imei, data = u.data, con = u.con, rai = u.rai, type = u.type,
                       time = u.time, hex = u.hex}
    end
  end
  return out
end

function Platform:queue_downlink(bytes, imei)
  -- The guide caps uplinks at 1024 bytes, a downlink only by the 2560-byte receive buffer.
  if type(bytes) ~= "string" or #bytes == 0 or #bytes > 2560 then
    error("queue_downlink: data must be a string of 1..2560 bytes", 2)
  end
  imei = self:_imei(imei)
  local q = self.down[imei] or {}
  if #q >= 1000 then error("queue_downlink: more than 1000 downlinks queued", 2) end
  q[#q + 1] = bytes
  self.down[imei] = q
  self:_event("downlink_queued", imei, {data = bytes})
  local m = self.links[imei]
  if m then m:_downlinks_ready() end
end

function Platform:pending_downlinks(imei)
  local q = self.down[self:_imei(imei)]
  return q and #q or 0
end

function Platform:cancel_observation(imei)
  imei = self:_imei(imei)
  self.cancelled[imei] = true
  self:_event("observation_cancelled", imei)
end

function Platform:create_fota_job(j)
  if type(j) ~= "table" then error("create_fota_job: expects a table", 2) end
  local size = j.size or 10240
  if math.type(size) ~= "integer" or size < 1 or size > 16 * 1024 * 1024 then
    error("create_fota_job: size must be an integer number of bytes (1..16 MiB)", 2)
  end
  local trigger = j.trigger or "register"
  if trigger ~= "register" and trigger ~= "uplink" then
    error('create_fota_job: trigger must be "register" or "uplink"', 2)
  end
  if j.fail ~= nil and not FAILS[j.fail] then
    error("create_fota_job: unknown failure " .. tostring(j.fail), 2)
  end
  local uplinks = j.uplinks or 1
  if math.type(uplinks) ~= "integer" or uplinks < 1 then
    error("create_fota_job: uplinks must be a positive integer", 2)
  end
  local job = {id = #self.jobs + 1, imei = j.imei and self:_imei(j.imei) or nil, size = size,
               trigger = trigger, fail = j.fail, uplinks_needed = uplinks, uplinks_seen = 0,
               version = j.version or "BC260YCNAAR02A03", state = "pending", progress = 0}
  self.jobs[#self.jobs + 1] = job
  return job
end

function Platform:fota_jobs() return self.jobs end

----------------------------------------------------------------------------------------
-- What the module asks (underscore: the module's side of the wire, not for scripts).

-- A registration request. Returns "accept" | "reject" | "timeout" and the reason.
function Platform:_register(m, req)
  local d = self.devices[req.imei]
  if not d then
    self:_event("register_rejected", req.imei, {reason = "unknown imei"})
    return "reject", "unknown imei"
  end
  if self.registration ~= "accept" then
    self:_event("register_" .. (self.registration == "reject" and "rejected" or "timeout"),
                req.imei, {reason = "policy"})
    return self.registration, "policy"
  end
  -- An encrypted device must come to the encrypted port, a plain one to the plain port
  -- (the guide, note 2 of AT+NCDPOPEN): the server refuses the other.
  if d.psk and req.port ~= self.encrypted_port then
    self:_event("register_rejected", req.imei, {reason = "encrypted device on the plain port"})
    return "reject", "encrypted device on the plain port"
  end
  if not d.psk and req.port == self.encrypted_port then
    self:_event("register_rejected", req.imei, {reason = "plain device on the encrypted port"})
    return "reject", "plain device on the encrypted port"
  end
  -- DTLS: a psk device must present its psk; a psk presented to a plain device (or a
  -- wrong one) fails the handshake, which the module only sees as silence.
  local psk = req.psk and req.psk:upper()
  if (d.psk or psk) and d.psk ~= psk then
    self:_event("register_timeout", req.imei, {reason = "psk mismatch"})
    return "timeout", "psk mismatch"
  end
  d.state = "registered"
  d.registrations = d.registrations + 1
  d.lifetime, d.host, d.port = req.lifetime, req.host, req.port
  self.cancelled[req.imei] = nil
  self.links[req.imei] = m
  self:_event("registered", req.imei, {lifetime = req.lifetime, host = req.host, port = req.port})
  return "accept"
end

function Platform:_observes(imei)
  local d = self.devices[imei]
  if self.observe and d and d.state == "registered" then
    d.state = "observed"
    self:_event("observed", imei)
    return true
  end
  return false
end

function Platform:_deregister(imei)
  local d = self.devices[imei]
  if d then d.state = "deregistered" end
  self.links[imei] = nil
  self:_event("deregistered", imei)
end

-- The module renewed its registration before its lifetime ran out.
function Platform:_lifetime_update(imei) self:_event("lifetime_update", imei) end

-- The module rebooted or lost its session without telling us.
function Platform:_lost(imei)
  local d = self.devices[imei]
  if d and (d.state == "registered" or d.state == "observed") then d.state = "lost" end
  self.links[imei] = nil
end

-- An uplink arrived. Returns what the platform answers: "ack" | "none" | "rst".
function Platform:_uplink(imei, data, con, rai, typ)
  self.up[#self.up + 1] = {imei = imei, data = data, con = con, rai = rai, type = typ,
                           time = self:_now(), hex = hex.encode(data)}
  if #self.up > 10000 then table.remove(self.up, 1) end -- bounded: a long demo keeps running
  self:_event("uplink", imei, {data = data, con = con, rai = rai})
  if self.cancelled[imei] then return "rst" end
  if con and not self.con_ack then return "none" end
  return con and "ack" or "none"
end

-- The auto reply for an uplink, or nil.
function Platform:_reply() return self.auto_reply and self.reply_bytes or nil end

function Platform:_next_downlink(imei)
  local q = self.down[imei]
  if not q or #q == 0 then return nil end
  local data = table.remove(q, 1)
  self:_event("downlink_sent", imei, {data = data})
  return data
end

-- A DFOTA job for this device that should start now (trigger "register" at registration,
-- any pending job after enough uplinks), or nil.
function Platform:_fota_due(imei, why)
  for _, job in ipairs(self.jobs) do
    if job.state == "pending" and (not job.imei or job.imei == imei) then
      if why == "uplink" then
        job.uplinks_seen = job.uplinks_seen + 1
        if job.uplinks_seen >= job.uplinks_needed then return job end
      elseif why == "register" and job.trigger == "register" then
        return job
      end
    end
  end
  return nil
end

-- A job that ended in a reboot waits for the device to register again: the platform
-- then reads the result and cancels the /5/0/3 observation (+QLWEVTIND: 9).
function Platform:_fota_awaiting(imei)
  for _, job in ipairs(self.jobs) do
    if job.state == "rebooting" and (not job.imei or job.imei == imei) then return job end
  end
  return nil
end

function Platform:_fota_event(job, what, extra)
  self:_event("fota_" .. what, job.imei, extra)
end

return Platform
