-- bc260y.sim.remote_platform: the virtual module's platform when it is a real server
-- (`bc260y sim --platform coap://HOST:PORT`, sim.new{platform = "coap://..."}), such as
-- `bc260y platform`. It answers the module (bc260y.sim.module) as bc260y.sim.platform
-- does, but every answer comes from the server over UDP, through the LwM2M client in
-- bc260y.sim.coap (lua/sim_coap.c): AT+NCDPOPEN registers (the endpoint name is the
-- IMEI; the host and port the script gave are not contacted: the guide's are public
-- servers), the server's observation of 19/0/0 is +QLWEVTIND: 3, an uplink is a
-- notification (CON or NON as AT+NMGS's type says), the server's write to 19/1/0 is a
-- downlink (+NNMI), the lifetime update is a registration update, AT+NCDPCLOSE
-- deregisters. The teacher's side (downlinks, DFOTA, policies) lives on the server:
-- the calls that steer the in-process platform raise here.
--
--   local p = RemotePlatform.new{url = "coap://127.0.0.1:5683"}
--   p:uplinks([imei]) p:events() p:device([imei]) p:pending_downlinks([imei])
local loop = require("bc260y.loop")
local hex_encode = require("bc260y.sim.commands").hex_encode

local RemotePlatform = {}
RemotePlatform.__index = RemotePlatform

-- The objects the module offers in its registration, as the BC260Y lists them (the data
-- object 19: uplinks on 19/0/0, downlinks on 19/1/0).
local LINKS = "</>;rt=\"oma.lwm2m\",</1/0>,</3/0>,</5/0>,</19/0/0>,</19/1/0>"
local DEFAULT_LIFETIME = 86400 -- LwM2M's, when the module has none set (AT+NCFG=0)

-- "coap://host:port" (port 5683 when left out; an IPv6 host in brackets) -> host, port
function RemotePlatform.parse_url(url)
  if type(url) ~= "string" then return nil end
  local host, port = url:match("^coap://%[([%x:%.]+)%]:?(%d*)/?$")
  if not host then host, port = url:match("^coap://([%w%.%-]+):?(%d*)/?$") end
  if not host then return nil end
  port = port == "" and 5683 or math.tointeger(tonumber(port))
  if not port or port < 1 or port > 65535 then return nil end
  return host, port
end

function RemotePlatform.new(opts)
  local host, port = RemotePlatform.parse_url(opts.url)
  if not host then
    error("platform: expected coap://HOST:PORT, got " .. tostring(opts.url), 3)
  end
  local ok, coap = pcall(require, "bc260y.sim.coap")
  if not ok then
    error("platform " .. opts.url .. ": bc260y.sim.coap is not built (it needs libcoap3-dev)", 3)
  end
  -- A host that does not resolve fails here, at start (a client resolves and opens a UDP
  -- socket; nothing is sent), not later inside the module's timers.
  local probe, err = coap.client(host, port)
  if not probe then error("platform " .. opts.url .. ": " .. tostring(err), 3) end
  probe:close()
  return setmetatable({
    url = opts.url, host = host, port = port, coap = coap, clock = opts.clock,
    devices = {},  -- imei -> {imei, state, lifetime, registrations, location}
    links = {},    -- imei -> {client, module, watch, timer, observed, pending = {callbacks}}
    up = {}, down = {}, log = {},
  }, RemotePlatform)
end

function RemotePlatform:_now() return self.clock and self.clock:now() or 0 end

function RemotePlatform:_event(what, imei, extra)
  local e = extra or {}
  e.time, e.what, e.imei = self:_now(), what, imei
  self.log[#self.log + 1] = e
  if #self.log > 10000 then table.remove(self.log, 1) end -- bounded
end

function RemotePlatform:events() return table.move(self.log, 1, #self.log, 1, {}) end

local function only(t)
  local one
  for k in pairs(t) do
    if one then error("platform: several devices: say which imei", 3) end
    one = k
  end
  return one
end

function RemotePlatform:register_device(d)
  if d.psk then
    error("platform " .. self.url .. ": an encrypted device (psk) needs DTLS, which the classroom platform does not offer", 3)
  end
  self.devices[d.imei] = {imei = d.imei, state = "created", registrations = 0}
  return self.devices[d.imei]
end

function RemotePlatform:device(imei) return self.devices[imei or only(self.devices)] end

function RemotePlatform:uplinks(imei)
  local out = {}
  for _, u in ipairs(self.up) do
    if not imei or u.imei == imei then
      out[#out + 1] = {imei = u.imei, data = u.data, con = u.con, rai = u.rai, type = u.type,
                       time = u.time, hex = u.hex}
    end
  end
  return out
end

function RemotePlatform:pending_downlinks(imei)
  local q = self.down[imei or only(self.devices)]
  return q and #q or 0
end

-- What only the in-process platform can do: here the server decides.
for _, name in ipairs({"queue_downlink", "set_registration", "set_observe", "set_con_ack",
                       "set_auto_reply", "set_ports", "cancel_observation", "create_fota_job",
                       "remove_device"}) do
  RemotePlatform[name] = function(self)
    error(("platform %s: %s is the server's to do (its web page or API)"):format(self.url, name), 2)
  end
end
function RemotePlatform:fota_jobs() return {} end

----------------------------------------------------------------------------------------
-- the UDP session of one module

function RemotePlatform:_close_link(imei)
  local link = self.links[imei]
  if not link then return end
  self.links[imei] = nil
  link.closed = true
  if link.watch then link.watch:cancel() end
  if link.timer then link.timer:cancel() end
  link.client:close()
end

function RemotePlatform:_open_link(imei, m)
  self:_close_link(imei)
  local client, err = self.coap.client(self.host, self.port)
  if not client then error("platform " .. self.url .. ": " .. tostring(err), 0) end
  local link = {imei = imei, client = client, module = m, pending = {}, observed = false}
  self.links[imei] = link
  link.watch = loop.watch(client:fd(), function() self:_pump(link) end)
  return link
end

-- libcoap's retransmissions and timeouts run on the loop's timers.
function RemotePlatform:_arm(link)
  if link.closed then return end
  if link.timer then link.timer:cancel(); link.timer = nil end
  local ms = link.client:timeout()
  if ms then
    link.timer = loop.timer(ms / 1000, function()
      link.timer = nil
      self:_pump(link)
    end)
  end
end

function RemotePlatform:_pump(link)
  if link.closed then return end
  for _, e in ipairs(link.client:process()) do
    if link.closed then return end
    self:_on(link.imei, link, e)
  end
  self:_arm(link)
end

local function decide(link, decision)
  local decided = link.decided
  link.decided = nil
  if decided then decided(decision) end
end

function RemotePlatform:_on(imei, link, e)
  local d = self.devices[imei]
  local what = e.what
  if what == "registered" then
    d.state, d.location = "registered", e.location
    d.registrations = d.registrations + 1
    self:_event("registered", imei, {location = e.location})
    decide(link, "accept")
  elseif what == "refused" or what == "no_answer" then
    self:_event(e.request .. "_" .. what, imei, {code = e.code})
    if e.request == "register" then
      d.state = what == "refused" and "rejected" or "timeout"
      decide(link, what == "refused" and "reject" or "timeout")
    end
  elseif what == "observed" then
    link.observed = true
    d.state = "observed"
    self:_event("observed", imei)
    if link.awaiting_observe then
      link.awaiting_observe = false
      link.module:_observed()
    end
  elseif what == "cancelled" then
    link.observed = false
    self:_event("observation_cancelled", imei)
  elseif what == "write" then
    local q = self.down[imei] or {}
    q[#q + 1] = e.data
    self.down[imei] = q
    self:_event("downlink_queued", imei, {data = e.data})
    link.module:_downlinks_ready()
  elseif what == "acked" or what == "failed" then
    local answered = table.remove(link.pending, 1)
    if answered then
      answered(what == "acked" and "ack" or e.reason == "rst" and "rst" or "lost")
    end
  elseif what == "deregistered" then
    self:_event("deregistered", imei)
    self:_close_link(imei)
  else
    self:_event(what, imei)
  end
end

----------------------------------------------------------------------------------------
-- What the module asks (as bc260y.sim.platform's methods of the same names).

function RemotePlatform:_register(m, req, decided)
  local d = self.devices[req.imei] or self:register_device{imei = req.imei}
  d.lifetime = req.lifetime
  -- This runs in the module's timers: a failure to send is a registration that gets no
  -- answer (the module's own limit then says TIMEOUT), never an error out of the loop.
  local ok, err = pcall(function()
    local link = self:_open_link(req.imei, m)
    link.decided = decided
    link.client:register(req.imei, (req.lifetime and req.lifetime > 0) and req.lifetime
                         or DEFAULT_LIFETIME, LINKS)
    self:_arm(link)
  end)
  if not ok then
    self:_event("unreachable", req.imei, {error = tostring(err)})
    self:_close_link(req.imei)
  end
  return nil -- the server answers later
end

function RemotePlatform:_observes(imei)
  local link = self.links[imei]
  if not link then return false end
  if link.observed then return true end
  link.awaiting_observe = true -- the module learns it when the server's request comes
  return false
end

function RemotePlatform:_lifetime_update(imei)
  local link = self.links[imei]
  self:_event("lifetime_update", imei)
  if link then
    pcall(link.client.update, link.client) -- one still waiting for its answer is enough
    self:_arm(link)
  end
end

function RemotePlatform:_deregister(imei)
  local link = self.links[imei]
  local d = self.devices[imei]
  if d then d.state = "deregistered" end
  if link and pcall(link.client.deregister, link.client) then
    self:_arm(link) -- closed when the server answers
  else
    self:_close_link(imei)
  end
end

-- The module rebooted or lost its session without telling the server (which lets the
-- registration's lifetime run out).
function RemotePlatform:_lost(imei)
  local d = self.devices[imei]
  if d and (d.state == "registered" or d.state == "observed") then d.state = "lost" end
  self:_close_link(imei)
end

function RemotePlatform:_uplink(imei, data, con, rai, typ, answered)
  self.up[#self.up + 1] = {imei = imei, data = data, con = con, rai = rai, type = typ,
                           time = self:_now(), hex = hex_encode(data)}
  if #self.up > 10000 then table.remove(self.up, 1) end
  self:_event("uplink", imei, {data = data, con = con, rai = rai})
  local link = self.links[imei]
  if not link then return "rst" end
  local ok, sent = pcall(link.client.notify, link.client, data, con)
  if not ok then -- could not be sent (or too many CON unacknowledged): never answered
    self:_event("unsent", imei, {error = tostring(sent)})
    return con and "lost" or "none"
  end
  if not sent then return "rst" end
  self:_arm(link)
  if not con then return "none" end
  link.pending[#link.pending + 1] = answered
  return nil
end

function RemotePlatform:_next_downlink(imei)
  local q = self.down[imei]
  if not q or #q == 0 then return nil end
  local data = table.remove(q, 1)
  self:_event("downlink_sent", imei, {data = data})
  return data
end

function RemotePlatform:_reply() return nil end -- replies are the server's downlinks
function RemotePlatform:_fota_due() return nil end
function RemotePlatform:_fota_awaiting() return nil end
function RemotePlatform:_fota_event(job, what, extra) self:_event("fota_" .. what, job.imei, extra) end

-- Closes every session (the sims that share it closed).
function RemotePlatform:close()
  for imei in pairs(self.links) do self:_close_link(imei) end
end

return RemotePlatform
