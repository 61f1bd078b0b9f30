-- bc260y.sim: a virtual BC260Y-CN behind a pseudo-terminal, and the virtual China Telecom
-- platform it talks to. The host opens s.path like any serial port (bc260y.open, tio,
-- minicom, pyserial) and talks AT to it through the kernel, exactly as to the module on a
-- USB-UART. It runs inside bc260y.loop (a watcher on the pty master, timers for every
-- delay), so it shares the process with the host code; `bc260y sim` runs it on its own.
--
--   local s = require("bc260y.sim").new{imei = "869453051234566", speed = 100}
--   s.path                  the pty slave path to open ("/dev/pts/7")
--   s.imei                  the module's IMEI (15 digits with a valid Luhn digit; the default
--                           is the guide's, or with a platform URL one of its own for every
--                           module: Module.fresh_imei)
--   s.platform              the virtual platform (bc260y.sim.platform):
--       :register_device{imei=, psk=} :remove_device(imei) :device([imei]) :set_ports(p, e)
--       :set_registration("accept"|"reject"|"timeout") :set_observe(bool) :set_con_ack(bool)
--       :set_auto_reply(bool[, bytes]) :uplinks() :queue_downlink(bytes) :pending_downlinks()
--       :cancel_observation() :create_fota_job{size=, trigger="register"|"uplink",
--        uplinks=1, fail=nil|"download_2"|"download_4"|"download_9"|"end_255"|"power_loss",
--        version=} :fota_jobs() :events()
--   s.faults                fault injection (bc260y.sim.faults): :garbage([bytes])
--       :split_writes(on[, gap]) :urc_inside_next_response(line) :reboot_during_next_command()
--       :silence([seconds]) :hangup() :noise(rate[, "in"|"out"|"both"]) :resume_failure()
--       :power_loss() :uplink_send_failure() :connection_error() :attach_reject([cause])
--       :clear()
--   s:wake()                pulse PSM_EINT: leave deep sleep without losing bytes
--   s:energy()              the energy account: {uah=, seconds={state=s}, wakeups=, average_ua=}
--   s:set_power_profile(t)  replace the current profile (bc260y.sim.energy, µA)
--   s:power_cycle()         power off and on (boot banner; echo back on)
--   s:set_speed(speed)      change the time scale
--   s:state()               {status=, echo=, qsclk=, nnmi=, rrc=, asleep=, buffered=, ...}
--   s:close()               stop (idempotent); the host then reads "closed"
--
-- sim.new(opts): imei, speed (time scale: every module delay is divided by it; default 1,
-- real time), register (default true: the platform knows this IMEI), psk (the device's
-- psk on the platform), platform (share one Platform between several modules; or a
-- "coap://HOST:PORT" URL: the module registers with that LwM2M server over UDP, such as
-- `bc260y platform`, through bc260y.sim.remote_platform), nvram
-- (a table kept across sims: NCFG lifetime), timings (module seconds, see
-- bc260y.sim.module DEFAULT_TIMINGS), imsi (AT+CIMI, 15 digits; default 46011 and ten
-- digits of the IMEI), iccid (AT+QCCID, 19 or 20 digits; default 8986 11..., 20 digits with
-- a Luhn check digit), utc (the wall time AT+CCLK? reads at module second 0, epoch
-- seconds; default now), tz (its zone in quarter hours, default 32: UTC+8), ip, rssi
-- (AT+CSQ 0..31; AT+CESQ follows it), revision, cmee (default after boot, 1),
-- qsclk (default after boot, 1 as on the real module), echo (false: echo off after
-- boot, unlike the real module), seed (noise), trace (function(dir, bytes)), out_max
-- (bytes held for a host that does not read, default 65536; older output is dropped as
-- a real UART drops it).
local core = require("bc260y.core")
local sim_core = require("bc260y.sim.core") -- pseudo-terminals (lua/sim_core.c)
local loop = require("bc260y.loop")
local clock = require("bc260y.sim.clock")
local Platform = require("bc260y.sim.platform")
local Module = require("bc260y.sim.module")
local faults = require("bc260y.sim.faults")

local sim = {}

local Sim = {}
Sim.__index = Sim

local RETRY = 0.005 -- real seconds between write attempts while the pty is full

-- The options sim.new takes (the list above): any other key is a typo and raises.
local OPTIONS = {}
for name in ("imei speed register psk platform nvram timings imsi iccid utc tz ip rssi revision "
             .. "cmee qsclk echo seed trace out_max"):gmatch("%S+") do OPTIONS[name] = true end

-- Raises at `level` on an options table that is not one or holds a key sim.new does not
-- know; `what` names the caller ("sim.new", "bc260y.open: option 'sim'").
function sim.check_options(opts, what, level)
  if opts == nil then return end
  if type(opts) ~= "table" then error(what .. ": options must be a table", level + 1) end
  for k in pairs(opts) do
    if not OPTIONS[k] then error(("%s: unknown option '%s'"):format(what, tostring(k)), level + 1) end
  end
  for k in pairs(opts.timings or {}) do
    if Module.DEFAULT_TIMINGS[k] == nil then
      error(("%s: unknown timing '%s'"):format(what, tostring(k)), level + 1)
    end
  end
end

function sim.new(opts)
  sim.check_options(opts, "sim.new", 2)
  opts = opts or {}
  local c = clock.scaled(opts.speed or 1, loop)
  local platform = opts.platform or Platform.new{clock = c}
  local imei = opts.imei
  if type(platform) == "string" then
    platform = require("bc260y.sim.remote_platform").new{url = platform, clock = c}
  end
  if platform.url then -- a real server (bc260y.sim.remote_platform), shared with others
    if opts.psk then error("sim.new: psk: the platform " .. platform.url .. " serves no DTLS", 2) end
    imei = imei or Module.fresh_imei()
  end
  if not platform.clock then platform.clock = c end
  local master, path = sim_core.open_pty()
  if not master then error("sim.new: cannot open a pseudo-terminal: " .. tostring(path), 2) end
  -- Keep the slave open ourselves: with no slave open the master reports a hang-up on
  -- every poll, and a client that closes and reopens the port must find the module alive.
  -- (shared: the client that opens the path takes the port's lock)
  local keeper, kmsg = core.open_port(path, nil, false)
  if not keeper then
    master:close()
    error("sim.new: cannot open " .. path .. ": " .. tostring(kmsg), 2)
  end
  local self = setmetatable({
    path = path, clock = c, platform = platform, master = master, keeper = keeper,
    out = {}, out_bytes = 0, out_max = opts.out_max or 65536, lost_bytes = 0,
    held = {}, trace = opts.trace, closed = false,
  }, Sim)
  self.faults = faults.new(self, opts.seed)
  local ok, m = pcall(Module.new, {
    clock = c, platform = platform, imei = imei, imsi = opts.imsi, iccid = opts.iccid,
    utc = opts.utc, tz = opts.tz, ip = opts.ip, rssi = opts.rssi,
    revision = opts.revision, nvram = opts.nvram, timings = opts.timings, cmee = opts.cmee,
    qsclk = opts.qsclk, out = function(bytes) self:_out(bytes) end,
  })
  if not ok then
    master:close(); keeper:close()
    error(m, 2)
  end
  self.module = m
  self.imei = m.imei
  if opts.echo == false then
    local reset = m._reset_volatile
    m._reset_volatile = function(mod) reset(mod); mod.echo = false end
  end
  if opts.register ~= false and not platform.devices[m.imei] then
    platform:register_device{imei = m.imei, psk = opts.psk}
  end
  self.watch = loop.watch(master:fd(), function() self:_readable() end)
  m:power_on()
  return self
end

-- bytes from the host
function Sim:_readable()
  if self.closed then return end
  while true do
    local data, msg, code = self.master:read(4096)
    if data == nil then
      -- The keeper holds the slave open, so even "closed" means the pty is gone.
      self.error = msg .. " (" .. tostring(code) .. ")"
      return self:close()
    end
    if data == "" then return end
    if self.trace then self.trace("in", data) end
    if not self.faults:silent() then
      data = self.faults:_corrupt(data, self.faults.rate_in)
      self.module:input(data)
    end
  end
end

-- bytes to the host (the module's output)
function Sim:_out(bytes)
  if self.closed then return end
  if self.faults:silent() then
    -- A hung module's output waits, bounded like the line itself.
    self.held[#self.held + 1] = bytes
    self.held_bytes = (self.held_bytes or 0) + #bytes
    while self.held_bytes > self.out_max and #self.held > 1 do
      local dropped = table.remove(self.held, 1)
      self.held_bytes = self.held_bytes - #dropped
      self.lost_bytes = self.lost_bytes + #dropped
    end
    return
  end
  self:_raw_out(self.faults:_corrupt(bytes, self.faults.rate_out))
end

function Sim:_release_held()
  local held = self.held
  self.held, self.held_bytes = {}, 0
  for _, b in ipairs(held) do self:_out(b) end
end

function Sim:_raw_out(bytes)
  if self.closed then return end
  if self.trace then self.trace("out", bytes) end
  self.out[#self.out + 1] = bytes
  self.out_bytes = self.out_bytes + #bytes
  while self.out_bytes > self.out_max and #self.out > 1 do
    local dropped = table.remove(self.out, 1)
    self.out_bytes = self.out_bytes - #dropped
    self.lost_bytes = self.lost_bytes + #dropped
  end
  self:_drain()
end

-- Writes what the pty takes; the rest waits for a retry timer (never blocks the loop).
function Sim:_drain()
  if self.closed or self.drain_timer then return end
  while #self.out > 0 do
    local chunk = self.out[1]
    local piece = self.faults.split and chunk:sub(1, 1) or chunk
    local n, msg = self.master:write(piece)
    if n == nil then
      self.error = msg
      return self:close()
    end
    if n < #chunk then
      self.out[1] = chunk:sub(n + 1)
    else
      table.remove(self.out, 1)
    end
    self.out_bytes = self.out_bytes - n
    if n < #piece or (self.faults.split and #self.out > 0) then
      local delay = n < #piece and RETRY or self.faults.gap
      self.drain_timer = loop.timer(delay, function()
        self.drain_timer = nil
        self:_drain()
      end)
      return
    end
  end
end

function Sim:_hangup()
  self:close()
end

function Sim:wake() return self.module:wake("pin") end

-- The energy account (bc260y.sim.energy): {uah =, seconds = {psm =, idle =, connected =,
-- tx =, rx =, booting =}, wakeups =, average_ua =, elapsed =} since the module started.
function Sim:energy() return self.module:energy_report() end

-- Replaces the current profile (keys of bc260y.sim.energy's DEFAULT_PROFILE, µA); the
-- charge drawn so far stays as it was booked.
function Sim:set_power_profile(profile) self.module.energy:set_profile(profile) end

function Sim:power_cycle()
  if self.closed then error("sim: closed", 2) end
  self.module:_reboot("power")
end

function Sim:set_speed(speed) self.clock:set_speed(speed) end

function Sim:state()
  local st = self.module:state()
  st.lost_bytes = self.lost_bytes
  st.closed = self.closed
  return st
end

function Sim:close()
  if self.closed then return end
  self.closed = true
  if self.watch then self.watch:cancel() end
  if self.drain_timer then self.drain_timer:cancel() end
  self.module:_cancel_all()
  self.module.phase = "off"
  self.platform:_lost(self.module.imei)
  self.master:close()
  self.keeper:close()
end

Sim.__close = Sim.close
function Sim:__tostring()
  return ("bc260y.sim(%s, %s%s)"):format(self.path, self.imei, self.closed and ", closed" or "")
end

sim.Platform = Platform
sim.Module = Module
sim.DEFAULT_IMEI = Module.DEFAULT_IMEI

return sim
