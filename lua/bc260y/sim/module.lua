-- bc260y.sim.module: the virtual BC260Y-CN as a state machine. Bytes from the host go in
-- with m:input(bytes); everything the module says leaves through opts.out(bytes); time
-- passes through a bc260y.sim.clock. No I/O of its own, so it is tested with a virtual
-- clock and no pty (bc260y.sim wires it to a pseudo-terminal).
--
-- Behaviour (guide chapters 2-5), with the choices the guide leaves open:
-- * Lines start with AT/at (any case) and end with CR; LF and NUL are ignored, backspace
--   edits. Lines that do not start with AT get no answer. Lines over 4096 bytes: ERROR.
-- * Echo is on after every boot (ATE0/ATE1); the echo is the line and CR, sent when the CR
--   arrives. Answers: CR LF <line> CR LF ... CR LF OK CR LF, after a short latency.
-- * AT+CMEE defaults to 1 (numeric +CME ERROR: <n>, as the guide's examples and the
--   error table assume); 0 gives ERROR, 2 the English text. Unknown commands and
--   unsupported forms always answer plain ERROR.
-- * Wrong parameter count: 2; bad value: 3; NMGS odd hex: 17, longer than 1024 bytes or
--   than <length>: 14; bad psk: 5; not attached: 957; a second NCDPOPEN while
--   registering: 955, while registered: 959; NMGS while registering: 955, registered but
--   not observed (or after a RST): 959, not registered: 954; a second CON while one is
--   unacknowledged: 959; data commands (NMGS, NMGR, NCDPOPEN, NCDPCLOSE) during DFOTA:
--   959; NCDPCLOSE while registering: ERROR (the guide's words), with no session: 958.
-- * Deep sleep (AT+QSCLK=1, the default): once RRC is idle and nothing is pending for
--   the granted Active Time (timings.psm_active until AT+CPSMS requests one),
--   +QNBIOTEVENT: "ENTER DEEPSLEEP"; the granted periodic TAU wakes it. Bytes from the
--   host wake it but are lost (until the wake-up completes), as are bytes sent while it
--   boots; after such a wake it stays up until the host's next command (at most 3 x the
--   Active Time).
--   Waking prints EXIT DEEPSLEEP and, with a session, +QLWEVTIND: 6 (7 when the
--   resume fault is armed, NMSTATUS then reads RESUMPTION_FAILED).
-- * AT+NCFG lifetime lives in NVRAM (opts.nvram, shared across reboots) and, as the guide
--   says, takes effect at the next boot: the registration carries the lifetime loaded at boot.
-- * A RST from the platform (+QLWEVTIND: 10) leaves NMSTATUS at REGISTERED without the
--   observation; NMGS is refused until AT+NCDPOPEN registers again (allowed then).
-- * AT+CFUN=0 and AT+CGATT=0 detach: no IP, RRC idle, a registration in progress
--   stopped, the platform session lost (NMSTATUS DEREGISTERED), CEREG stat 0; AT+CFUN=1
--   and AT+CGATT=1 attach again (stat 2, then +IP and stat 1). Deep sleep also needs PSM
--   (AT+CPSMS mode 1, the default). Volatile across a reboot: echo, CMEE, CEREG and CSCON
--   report levels, CFUN, the attach; in NVRAM: NCFG lifetime, CPSMS, CEDRXS, CGDCONT.
-- The command handlers themselves are in bc260y.sim.commands (the 27.007 ones in
-- bc260y.sim.commands_3gpp); this file parses the lines, answers, and keeps the state
-- they act on.
local fota = require("bc260y.sim.fota")
local commands = require("bc260y.sim.commands")
local c3gpp = require("bc260y.sim.commands_3gpp")
local timers = require("bc260y.timers3gpp")
local energy = require("bc260y.sim.energy")

local Module = {}
Module.__index = Module

local LINE_MAX = 4096

-- Module seconds. Scaled by the clock's speed.
Module.DEFAULT_TIMINGS = {
  response = 0.02,         -- command processing latency
  boot = 0.5,              -- reset to RDY
  sim_ready = 0.1,         -- RDY/+CFUN to +CPIN: READY
  attach = 1.5,            -- +CPIN to network attach (+IP)
  register = 1.5,          -- NCDPOPEN to +QLWEVTIND: 0 (or 1 when rejected)
  dtls = 1.0,              -- extra for an encrypted connection
  observe = 0.3,           -- +QLWEVTIND: 0 to 3
  register_timeout = 126,  -- the guide's maximum for an unencrypted connection
  deregister = 1.0,        -- NCDPCLOSE to DEREGISTERED
  rrc_setup = 0.2,         -- RRC connection setup (+CSCON:1)
  uplink = 0.3,            -- NMGS to the platform receiving it
  con_ack = 0.5,           -- platform receipt to +QLWEVTIND: 4
  con_timeout = 93,        -- CoAP retransmissions (2+4+8+16+32 s, +ACK wait) give up: 5
  reply = 0.7,             -- platform receipt to the auto reply's +NNMI
  downlink = 0.4,          -- a queued downlink to its +NNMI
  rrc_inactivity = 20,     -- network releases RRC after this long without traffic
  rai_release = 0.3,       -- ... and this soon with RAI
  rai2_guard = 5,          -- RAI 2 with no reply coming: released anyway
  psm_active = 60,         -- RRC idle to deep sleep (T3324)
  wake = 0.1,              -- wake-up time; bytes arriving meanwhile are lost too
  tau = 3600,              -- deep sleep ends by itself (periodic TAU)
  lifetime_update = 2,     -- lifetime update exchange (+QLWEVTIND: 2)
  fota_observe = 1,        -- trigger to +QLWEVTIND: 8
  fota_uri = 1,            -- 8 to DOWNLOAD START
  fota_block = 512,        -- bytes per DOWNLOADING line
  fota_block_time = 1,     -- seconds per block
  fota_verify = 2,         -- DOWNLOAD,0 to START
  fota_update_step = 7,    -- percent per UPDATING line
  fota_update_time = 1,    -- seconds per UPDATING line
  fota_reboot = 1,         -- END,0 to the reboot
}

-- AT+CMEE=2's verbose texts: the guide's error table, the one the library explains with.
local CME = require("bc260y.core").errors

local STATUS_SESSION = commands.STATUS_SESSION
local COMMANDS = commands.COMMANDS
local hex_encode, hex_decode = commands.hex_encode, commands.hex_decode

-- Luhn check digit for the first 14 digits of an IMEI.
function Module.luhn_digit(body)
  local sum = 0
  for i = #body, 1, -1 do
    local d = tonumber(body:sub(i, i))
    if (#body - i) % 2 == 0 then
      d = d * 2
      if d > 9 then d = d - 9 end
    end
    sum = sum + d
  end
  return tostring((10 - sum % 10) % 10)
end

function Module.valid_imei(imei)
  return type(imei) == "string" and imei:match("^%d+$") ~= nil and #imei == 15
    and Module.luhn_digit(imei:sub(1, 14)) == imei:sub(15)
end

-- The guide's module: the IMEI of a virtual module with the in-process platform (so that
-- printed sessions, the lab's expected outputs among them, stay the same from run to run).
Module.DEFAULT_IMEI = "86945305123456" .. Module.luhn_digit("86945305123456")

-- A virtual module that registers with a real server (bc260y platform) gets an IMEI of
-- its own unless it is given one, so that a class's modules, in many processes, are told
-- apart there: the BC260Y's TAC (86945305, as on the guide's module), a serial number
-- that starts somewhere different in every process and counts up within it, and the
-- Luhn digit.
local imei_serial
function Module.fresh_imei()
  if not imei_serial then
    local address = tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0
    imei_serial = (os.time() * 7919 + math.floor(os.clock() * 1e6) + address // 16) % 1000000
  end
  imei_serial = (imei_serial + 1) % 1000000
  local body = ("86945305%06d"):format(imei_serial)
  return body .. Module.luhn_digit(body)
end

-- The card's identities follow the IMEI so that several virtual modules differ: China
-- Telecom's MCC 460 MNC 11 and a 10-digit MSIN; an ICCID of 19 digits (89 86 11: telecom,
-- China, China Telecom) and its Luhn check digit.
local function default_imsi(imei) return "46011" .. imei:sub(5, 14) end
local function default_iccid(imei)
  local body = "89861120" .. imei:sub(4, 14)
  return body .. Module.luhn_digit(body)
end

local function digits(v, lo, hi)
  return type(v) == "string" and v:match("^%d+$") ~= nil and #v >= lo and #v <= hi
end

function Module.new(opts)
  assert(opts.clock and opts.platform and opts.out, "module.new: clock, platform and out needed")
  local t = {}
  for k, v in pairs(Module.DEFAULT_TIMINGS) do t[k] = v end
  for k, v in pairs(opts.timings or {}) do
    if Module.DEFAULT_TIMINGS[k] == nil then error("sim: unknown timing " .. tostring(k), 3) end
    if type(v) ~= "number" or v < 0 then error("sim: timing " .. k .. " must be >= 0", 3) end
    t[k] = v
  end
  local imei = opts.imei or Module.DEFAULT_IMEI
  if type(imei) ~= "string" or not imei:match("^%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d$") then
    error("sim: imei must be 15 digits, got " .. tostring(imei), 3)
  end
  local cmee = opts.cmee or 1
  local qsclk = opts.qsclk or 1
  local imsi, iccid = opts.imsi or default_imsi(imei), opts.iccid or default_iccid(imei)
  if not digits(imsi, 15, 15) then error("sim: imsi must be 15 digits, got " .. tostring(imsi), 3) end
  if not digits(iccid, 19, 20) then error("sim: iccid must be 19 or 20 digits, got " .. tostring(iccid), 3) end
  local utc, tz = opts.utc or os.time(), opts.tz or 32
  if type(utc) ~= "number" or utc < 0 then error("sim: utc must be epoch seconds >= 0", 3) end
  if math.type(tz) ~= "integer" or tz < -96 or tz > 96 then
    error("sim: tz must be an integer of quarter hours, -96..96", 3)
  end
  if cmee ~= 0 and cmee ~= 1 and cmee ~= 2 then error("sim: cmee must be 0, 1 or 2", 3) end
  if qsclk ~= 0 and qsclk ~= 1 and qsclk ~= 2 then error("sim: qsclk must be 0, 1 or 2", 3) end
  local self = setmetatable({
    clock = opts.clock, platform = opts.platform, out = opts.out, t = t,
    imei = imei, imsi = imsi, iccid = iccid,
    utc = utc, tz = tz,       -- AT+CCLK?: the wall time at module second 0, the zone
    sn = opts.sn or "D1E21N2J" .. imei:sub(9, 14),
    ip = opts.ip or "10.46.118.23",
    rssi = opts.rssi or 25,
    revision = opts.revision or "BC260YCNAAR02A02",
    nvram = opts.nvram or {},
    default_cmee = cmee, default_qsclk = qsclk,
    timers = {}, named = {},
    phase = "off",
    fault = {},
    reboots = 0,
    wakeups = {},             -- deep sleep left, by cause (wake's why): never reset
    sleeps = 0,               -- deep sleeps entered
    on_line = opts.on_line,   -- optional hook(line) for tracing what the host sent
  }, Module)
  local nv = self.nvram
  nv.lifetime = nv.lifetime or 0
  nv.contexts = nv.contexts or {[0] = {type = "IP", apn = "ctnb"}}
  local psm = self:_psm_default()
  nv.psm = nv.psm or {mode = 1, tau = psm.tau, active = psm.active}
  nv.edrx = nv.edrx or {mode = 0, value = c3gpp.EDRX_DEFAULT}
  self.energy = energy.new(self.clock, opts.power_profile)
  self:_edrx_changed()
  return self
end

----------------------------------------------------------------------------------------
-- the energy account (bc260y.sim.energy): every change of power state is told there
function Module:_power_changed()
  local state
  if self.phase == "off" then state = "off"
  elseif self.phase == "booting" or self.sleep_state == "waking" then state = "booting"
  elseif self.sleep_state == "asleep" then state = "psm"
  elseif self.rrc == 1 then state = "connected"
  else state = "idle" end
  self.energy:enter(state)
end

-- AT+CEDRXS changed (or the module started): idle pages at the eDRX cycle when it is on.
function Module:_edrx_changed()
  local e = self.nvram.edrx
  self.energy:set_edrx(e.mode == 1 and timers.decode_edrx(e.value) or nil)
end

-- s:energy(): {uah =, seconds = {state = s}, wakeups =, average_ua =, elapsed =}.
function Module:energy_report() return self.energy:report() end

-- How long a downlink's reception keeps the receiver busy (module seconds; an ESTIMATE).
local RX_BURST = 0.1

----------------------------------------------------------------------------------------
-- timers: all die with a reboot
function Module:after(delay, fn)
  local h
  h = self.clock:after(delay, function()
    self.timers[h] = nil
    fn()
  end)
  self.timers[h] = true
  return h
end

function Module:_named(name, delay, fn)
  local old = self.named[name]
  if old then old:cancel(); self.timers[old] = nil end
  if delay then
    self.named[name] = self:after(delay, function() self.named[name] = nil; fn() end)
  else
    self.named[name] = nil
  end
end

function Module:_cancel_all()
  for h in pairs(self.timers) do h:cancel() end
  self.timers, self.named = {}, {}
end

----------------------------------------------------------------------------------------
-- output
function Module:_emit(s) self.out(s) end
function Module:_urc(line) self:_emit("\r\n" .. line .. "\r\n") end

function Module:_final_error(code)
  if code == "ERROR" or self.cmee == 0 then return "ERROR" end
  if self.cmee == 2 then return "+CME ERROR: " .. (CME[code] and CME[code].en or tostring(code)) end
  return "+CME ERROR: " .. code
end

function Module:_respond(lines, final)
  local parts = {}
  local inject = self.fault.urc_inside
  self.fault.urc_inside = nil
  for i, l in ipairs(lines or {}) do
    parts[#parts + 1] = "\r\n" .. l .. "\r\n"
    if i == 1 and inject then parts[#parts + 1] = "\r\n" .. inject .. "\r\n"; inject = nil end
  end
  if inject then parts[#parts + 1] = "\r\n" .. inject .. "\r\n" end
  parts[#parts + 1] = "\r\n" .. final .. "\r\n"
  self:_emit(table.concat(parts))
end

----------------------------------------------------------------------------------------
-- power and boot
function Module:_reset_volatile()
  self.echo = true
  self.cmee = self.default_cmee
  self.cscon_n, self.cereg_n = 0, 0
  self.cereg_stat = 0 -- 0 not registered, 2 attaching, 1 registered (home), 3 denied
  self.reject_cause = nil -- the EMM cause of the last denial (stat 3)
  self.qsclk = self.default_qsclk
  self.nnmi = 1
  self.buffer, self.buffer_bytes = {}, 0
  self.received, self.dropped = 0, 0
  self.status = "UNINITIALISED"
  self.observe_reset = false
  self.uldata = 0
  self.con_pending = false
  self.rrc = 0
  self.attached = false
  self.cfun = 1
  self.sleep_state = nil
  self.acc, self.overflow = "", false
  self.lines, self.busy = {}, false
  self.dl_timer = nil
  self.uart_woken = false
  self.deregistering = false
  self.lifetime = self.nvram.lifetime -- NCFG takes effect after a reboot
  self.session = nil
end

function Module:power_on()
  self:_reboot("power_on")
end

-- Every reboot: reset, power loss, DFOTA's own, a fault. The banner follows after boot s:
-- RDY, +CFUN: 1, then +CPIN: READY; after a DFOTA update's own reboot only +CPIN: READY,
-- as the guide's sessions print it (5.1.6.2 and 5.2.5: END,0 then "+CPIN: READY").
function Module:_reboot(why)
  self:_cancel_all()
  if self.session then self.platform:_lost(self.imei) end
  if self.fota then fota.interrupted(self, why) end
  self:_reset_volatile()
  self.phase = "booting"
  self:_power_changed()
  self.reboots = self.reboots + 1
  local t = self.t
  -- faults:lose_boot_banner(): this boot's banner never reaches the host (a UART glitch)
  local lose_banner = self.fault.lose_banner
  self.fault.lose_banner = nil
  self:after(t.boot, function()
    self.phase = "ready"
    self:_power_changed()
    if why ~= "fota" and not lose_banner then
      self:_urc("RDY")
      self:_urc("+CFUN: 1")
    end
    self:after(t.sim_ready, function()
      if not lose_banner then self:_urc("+CPIN: READY") end
      self:_start_attach()
    end)
  end)
end

----------------------------------------------------------------------------------------
-- attach and registration (AT+CFUN, AT+CGATT, AT+CEREG: bc260y.sim.commands_3gpp)
function Module:_start_attach()
  if self.cfun ~= 1 or self.phase ~= "ready" or self.attached then return end
  if not self.nvram.contexts[0] then self.nvram.contexts[0] = {type = "IP", apn = "ctnb"} end
  self:_cereg_set(2)
  self:_named("attach", self.t.attach, function() self:_attach() end)
end

function Module:_attach()
  if self.cfun ~= 1 or self.phase ~= "ready" then return end
  local cause = self.fault.attach_reject
  if cause then
    -- The network refuses: registration denied with this EMM cause, no address; the host
    -- tries again with AT+CGATT=1 (or AT+CFUN=0/1, a reboot).
    self.fault.attach_reject = nil
    self.reject_cause = cause
    return self:_cereg_set(3)
  end
  self.attached = true
  self:_urc("+IP: " .. self.ip)
  self:_cereg_set(1)
  self:_rrc_up() -- the attach itself is signalling: RRC connected until inactivity
  self:_idle_check()
end

-- AT+CFUN=0 and AT+CGATT=0: no IP, RRC idle, the platform session lost (NMSTATUS
-- DEREGISTERED), not registered.
function Module:_detach()
  self:_named("attach", nil)
  self:_named("rrc", nil)
  self.attached = false
  if self.rrc == 1 then
    self.rrc = 0
    self:_power_changed()
    if self.cscon_n == 1 then self:_urc("+CSCON:0") end
  end
  if self.status ~= "UNINITIALISED" then
    if self.session then self.platform:_lost(self.imei) end
    self.session = nil
    self.status = "DEREGISTERED"
    self.con_pending = false
    self.deregistering = false
    self:_named("register", nil)
    self:_named("observe", nil)
    self:_named("lifetime", nil)
    self:_named("deregister", nil)
  end
  self:_cereg_set(0)
end

-- The requested (and granted) PSM timers by default: the ones this module sleeps by.
function Module:_psm_default()
  return {tau = c3gpp.timer3(self.t.tau), active = c3gpp.timer2(self.t.psm_active)}
end

-- The granted timers in seconds: Active Time (T3324), periodic TAU (T3412). The network
-- grants what AT+CPSMS requested (bc260y.sim.commands_3gpp); before any request the
-- module's timings, unrounded. false: deactivated (no Active Time: no deep sleep; no
-- TAU timer: no periodic wake-up).
function Module:_active_time()
  local p = self.nvram.psm
  if p.requested then return timers.decode_active(p.active) end
  return self.t.psm_active
end
function Module:_tau()
  local p = self.nvram.psm
  if p.requested then return timers.decode_tau(p.tau) end
  return self.t.tau
end

-- A new registration status: +CEREG URC when it changed and AT+CEREG=1..5 asked for it.
function Module:_cereg_set(stat)
  if stat == self.cereg_stat then return end
  self.cereg_stat = stat
  if self.cereg_n > 0 then self:_urc("+CEREG: " .. self:_cereg_fields(self.cereg_n)) end
end

-- The fields of the +CEREG URC for report level n (1..5): <stat>, then while registered
-- or denied and n >= 2 <tac>,<ci>,<AcT>; denied, n=3 and 5 add <cause_type> 0 (EMM) and
-- the <reject_cause>; registered, n=4 and 5 add the (empty) cause fields and the granted
-- Active Time and periodic TAU.
function Module:_cereg_fields(n)
  local stat = self.cereg_stat
  if n < 2 or (stat ~= 1 and stat ~= 3) then return tostring(stat) end
  local f = ('%d,"%s","%s",9'):format(stat, c3gpp.TAC, c3gpp.CELL)
  if stat == 3 then return (n == 3 or n == 5) and f .. ",0," .. self.reject_cause or f end
  if n < 4 then return f end
  local p = self.nvram.psm
  local active = p.requested and p.active or c3gpp.timer2(self.t.psm_active)
  return ('%s,,,"%s","%s"'):format(f, p.mode == 1 and active or c3gpp.DEACTIVATED,
                                   p.requested and p.tau or c3gpp.timer3(self.t.tau))
end

----------------------------------------------------------------------------------------
-- RRC and deep sleep
function Module:_rrc_up()
  if not self.attached then return end
  if self.rrc == 0 then
    self.rrc = 1
    self:_power_changed()
    if self.cscon_n == 1 then self:_urc("+CSCON:1") end
  end
  self:_named("sleep", nil)
  self:_rrc_release_in(self.t.rrc_inactivity)
end

function Module:_rrc_release_in(delay)
  self:_named("rrc", delay, function()
    if self.rrc == 1 then
      self.rrc = 0
      self:_power_changed()
      if self.cscon_n == 1 then self:_urc("+CSCON:0") end
    end
    self:_idle_check()
  end)
end

function Module:_busy()
  return self.status == "REGISTERING" or self.con_pending or self.fota ~= nil
    or self.deregistering or self.dl_timer ~= nil or #self.lines > 0 or self.busy
end

function Module:_idle_check()
  if self.sleep_state or self.uart_woken then return end
  if self.qsclk == 1 and self.nvram.psm.mode == 1 and self:_active_time()
     and self.phase == "ready" and self.attached and self.rrc == 0 and not self:_busy() then
    self:_named("sleep", self:_active_time(), function() self:_enter_sleep() end)
  else
    self:_named("sleep", nil)
  end
end

function Module:_enter_sleep()
  if self.qsclk ~= 1 or self.nvram.psm.mode ~= 1 or not self:_active_time() or self.rrc ~= 0
     or self:_busy() then return end
  self:_urc('+QNBIOTEVENT: "ENTER DEEPSLEEP"')
  self.sleep_state = "asleep"
  self:_power_changed()
  self.sleeps = self.sleeps + 1
  self.acc, self.overflow = "", false
  -- (a TAU timer deactivated: no periodic wake-up)
  local tau = self:_tau()
  if tau then self:_named("tau", tau, function() self:wake("tau") end) end
end

-- Leaves deep sleep (bytes on the UART, the PSM_EINT pin, the TAU timer, a lifetime
-- update). then(): what to do once awake.
function Module:wake(why, after_wake)
  if self.sleep_state ~= "asleep" then
    if after_wake and not self.sleep_state then after_wake() end
    return false
  end
  self.sleep_state = "waking"
  self:_power_changed()
  self.energy:woke()
  self.wakeups[why] = (self.wakeups[why] or 0) + 1
  self:_named("tau", nil)
  self:after(self.t.wake, function()
    self.sleep_state = nil
    self:_power_changed()
    self.acc, self.overflow = "", false
    self:_urc('+QNBIOTEVENT: "EXIT DEEPSLEEP"')
    if STATUS_SESSION[self.status] then
      if self.fault.resume_fail then
        self.fault.resume_fail = nil
        self.status = "RESUMPTION_FAILED"
        self.platform:_lost(self.imei)
        self.session = nil
        self:_urc("+QLWEVTIND: 7")
      else
        self:_urc("+QLWEVTIND: 6")
      end
    end
    if after_wake then after_wake() end
    self:_downlinks_ready()
    if why == "uart" then
      -- Woken by a host whose bytes were lost: it will try again, so stay awake until
      -- its next command arrives (or, for stray bytes, three T3324s).
      self.uart_woken = true
      self:_named("sleep", 3 * (self:_active_time() or self.t.psm_active), function()
        self.uart_woken = false
        self:_enter_sleep() -- checks that nothing is pending; activity re-arms otherwise
      end)
    else
      self:_idle_check()
    end
  end)
  return true
end

----------------------------------------------------------------------------------------
-- input: bytes -> lines -> commands
function Module:input(bytes)
  if self.phase ~= "ready" then return end -- booting: lost
  if self.sleep_state == "asleep" then self:wake("uart"); return end
  if self.sleep_state == "waking" then return end
  local acc = self.acc .. bytes
  while true do
    local cr = acc:find("\r", 1, true)
    if not cr then break end
    local line = acc:sub(1, cr - 1)
    acc = acc:sub(cr + 1)
    if self.overflow then
      self.overflow = false
      self:_line_done(nil)
    else
      self:_line_done(line)
    end
  end
  if #acc > LINE_MAX then
    self.overflow = true
    acc = ""
  end
  self.acc = acc
end

local function clean(line)
  line = line:gsub("[%z\n]", "")
  local prev
  repeat prev = line; line = line:gsub("[^\b\127][\b\127]", "", 1) until line == prev
  return (line:gsub("[\b\127]", ""))
end

function Module:_line_done(raw)
  if raw == nil then -- overflowed line
    self.lines[#self.lines + 1] = {overflow = true}
  else
    local line = clean(raw)
    if line == "" then return end
    if self.echo then self:_emit(line .. "\r") end
    if #line > LINE_MAX then
      self.lines[#self.lines + 1] = {overflow = true}
    else
      self.lines[#self.lines + 1] = {text = line}
    end
    if #self.lines > 64 then table.remove(self.lines, 1) end -- a flood is bounded
  end
  self.uart_woken = false
  self:_named("sleep", nil)
  self:_pump()
end

function Module:_pump()
  if self.busy or #self.lines == 0 then return end
  self.busy = true
  self:after(self.t.response, function()
    local item = table.remove(self.lines, 1)
    self.busy = false
    if item then self:_execute(item) end
    if self.phase == "ready" then
      self:_pump()
      self:_idle_check()
    end
  end)
end

local function split_args(s)
  local args, cur, inq = {}, {}, false
  for i = 1, #s do
    local c = s:sub(i, i)
    if c == '"' then
      inq = not inq
      cur[#cur + 1] = c
    elseif c == "," and not inq then
      args[#args + 1] = table.concat(cur)
      cur = {}
    else
      cur[#cur + 1] = c
    end
  end
  if inq then return nil end
  args[#args + 1] = table.concat(cur)
  return args
end

function Module:_execute(item)
  if self.on_line and item.text then self.on_line(item.text) end
  if item.overflow then return self:_respond(nil, "ERROR") end
  local line = item.text
  if not line:sub(1, 2):upper():match("^AT$") then return end -- not a command: ignored
  if self.fault.reboot_next then
    -- A reboot in the middle of the command: the echo went out, no answer does.
    self.fault.reboot_next = nil
    return self:_reboot("fault")
  end
  local rest = line:sub(3)
  local up = rest:upper()
  local lines, final
  if rest == "" then
    lines = {}
  elseif up == "E0" or up == "E" then
    self.echo = false; lines = {}
  elseif up == "E1" then
    self.echo = true; lines = {}
  elseif up == "I" or up == "I0" then
    lines = {"Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: " .. self.revision}
  else
    local name, tail = up:match("^%+(%u[%u%d]*)(.*)$")
    local h = name and COMMANDS[name]
    if not h then return self:_respond(nil, "ERROR") end
    local form, args
    tail = rest:sub(#name + 2)
    if tail == "=?" then form = "test"
    elseif tail == "?" then form = "read"
    elseif tail == "" then form = "exec"
    elseif tail:sub(1, 1) == "=" then
      form = "set"
      args = split_args(tail:sub(2))
      if not args then return self:_respond(nil, self:_final_error(3)) end
    end
    local fn = form and h[form]
    if not fn then return self:_respond(nil, "ERROR") end
    if form == "test" and type(fn) == "string" then
      lines = fn ~= "" and {fn} or {}
    else
      lines, final = fn(self, args)
    end
  end
  if final == nil then
    self:_respond(lines, "OK")
  else
    self:_respond(nil, self:_final_error(final))
  end
end

----------------------------------------------------------------------------------------
-- the platform session: registration, uplinks, downlinks (the commands that start them
-- are in bc260y.sim.commands)
function Module:_start_registration(host, port, psk)
  local t = self.t
  self.status = "REGISTERING"
  self.observe_reset = false
  self.session = nil
  self:_named("lifetime", nil)
  self:_rrc_up()
  local delay = t.register + (psk and t.dtls or 0)
  local function decided(decision)
    self:_rrc_up()
    if decision == "accept" then
      self.status = "REGISTERED"
      self.session = {host = host, port = port}
      self:_urc("+QLWEVTIND: 0")
      self:_named("observe", t.observe, function() self:_observed() end)
      self:_schedule_lifetime_update()
    elseif decision == "reject" then
      self.status = "REJECTED_BY_SERVER"
      self:_urc("+QLWEVTIND: 1")
      self:_idle_check()
    else
      self:_named("register", math.max(t.register_timeout - delay, 0), function()
        self.status = "TIMEOUT"
        self:_urc("+QLWEVTIND: 1")
        self:_idle_check()
      end)
    end
  end
  self:_named("register", delay, function()
    -- The in-process platform decides at once; a remote one (bc260y.sim.remote_platform)
    -- answers when its server does, unless the module has moved on meanwhile.
    local decision = self.platform:_register(self, {imei = self.imei, host = host, port = port,
                                                    psk = psk, lifetime = self.lifetime},
                                             function(later)
                                               if self.status == "REGISTERING" then decided(later) end
                                             end)
    if decision then decided(decision) end
  end)
end

function Module:_observed()
  if self.status ~= "REGISTERED" then return end
  if not self.platform:_observes(self.imei) then return end
  self.status = "REGISTERED_AND_OBSERVED"
  self:_urc("+QLWEVTIND: 3")
  local done = self.platform:_fota_awaiting(self.imei)
  if done then
    self:after(self.t.fota_observe, function()
      self:_urc("+QLWEVTIND: 9")
      done.state = done.result == "ok" and "succeeded" or "failed"
      self.platform:_fota_event(done, done.state, {result = done.result})
    end)
  else
    local job = self.platform:_fota_due(self.imei, "register")
    if job then fota.start(self, job) end
  end
  self:_downlinks_ready()
end

function Module:_schedule_lifetime_update()
  if not self.lifetime or self.lifetime <= 0 then return end
  self:_named("lifetime", self.lifetime * 0.9, function()
    self:wake("lifetime", function()
      if not STATUS_SESSION[self.status] then return end
      self:_rrc_up()
      self:after(self.t.lifetime_update, function()
        if not STATUS_SESSION[self.status] then return end
        self.platform:_lifetime_update(self.imei)
        self:_urc("+QLWEVTIND: 2")
        self:_schedule_lifetime_update()
      end)
    end)
  end)
end

function Module:_uplink(data, con, rai, ty)
  local t = self.t
  if con then self.uldata, self.con_pending = 1, true end
  local setup = self.rrc == 1 and 0 or t.rrc_setup
  self:after(setup, function() self:_rrc_up() end)
  self:after(setup + t.uplink, function()
    if self.status ~= "REGISTERED_AND_OBSERVED" then return end
    if self.fault.uplink_fail then
      -- The uplink never leaves the module (radio link failure): the platform sees
      -- nothing; a CON reports the failure (+QLWEVTIND: 5, QLWULDATASTATUS 2 "send
      -- failed", not 3 "timeout": nothing was waited for).
      self.fault.uplink_fail = nil
      if con then
        self.uldata, self.con_pending = 2, false
        self:_urc("+QLWEVTIND: 5")
      end
      self:_idle_check()
      return
    end
    self.energy:burst("tx", t.uplink)
    -- The in-process platform answers at once; a remote one when its server does (nil
    -- now), unless the session is gone by then.
    local answer = self.platform:_uplink(self.imei, data, con, rai, ty, function(later)
      if STATUS_SESSION[self.status] then self:_uplink_answered(later, con, rai) end
    end)
    if answer then self:_uplink_answered(answer, con, rai) end
  end)
end

-- What the platform answered to an uplink: "ack" (CON acknowledged), "none" (NON, or a
-- CON never acknowledged: the module retransmits until it gives up), "lost" (a CON whose
-- retransmissions already gave up, on a real network) or "rst" (the observation is gone).
function Module:_uplink_answered(answer, con, rai)
  local t = self.t
  if answer == "rst" then
    if con then self.uldata, self.con_pending = 5, false end
    self.status = "REGISTERED"
    self.observe_reset = true
    self:_urc("+QLWEVTIND: 10")
    self:_idle_check()
    return
  end
  local reply = self.platform:_reply()
  local job = self.platform:_fota_due(self.imei, "uplink")
  local function released() -- RAI: the network lets go as soon as the exchange is done
    if rai == 1 or (rai == 2 and (con or not reply)) then
      self:_rrc_release_in(rai == 2 and not con and t.rai2_guard or t.rai_release)
    end
  end
  if con then
    if answer == "ack" then
      self:after(t.con_ack, function()
        self.uldata, self.con_pending = 4, false
        self:_urc("+QLWEVTIND: 4")
        released()
        self:_idle_check()
      end)
    elseif answer == "lost" then
      self.uldata, self.con_pending = 3, false
      self:_urc("+QLWEVTIND: 5")
      self:_idle_check()
    else
      self:after(t.con_timeout, function()
        self.uldata, self.con_pending = 3, false
        self:_urc("+QLWEVTIND: 5")
        self:_idle_check()
      end)
    end
  else
    released()
  end
  if reply then
    self:after(t.reply, function()
      if not STATUS_SESSION[self.status] then return end
      self.platform:_event("reply", self.imei, {data = reply})
      self:_rrc_up()
      self:_receive(reply)
      if rai == 2 then self:_rrc_release_in(t.rai_release) end
    end)
  end
  if job then fota.start(self, job) end
end

function Module:_can_receive()
  return self.phase == "ready" and self.attached and not self.sleep_state
    and STATUS_SESSION[self.status] and not self.deregistering
    and not (self.fota and self.fota.job.state == "updating")
end

-- The platform has downlinks queued: take them one at a time while we can receive.
function Module:_downlinks_ready()
  if self.dl_timer or not self:_can_receive() then return end
  if self.platform:pending_downlinks(self.imei) == 0 then return end
  self.dl_timer = self:after(self.t.downlink, function()
    self.dl_timer = nil
    if not self:_can_receive() then return end
    local data = self.platform:_next_downlink(self.imei)
    if data then
      self:_rrc_up()
      self:_receive(data)
    end
    self:_downlinks_ready()
    self:_idle_check()
  end)
end

-- A downlink reached the module: the receive mode decides what the host sees.
function Module:_receive(data)
  self.received = self.received + 1
  self.energy:burst("rx", RX_BURST)
  if self.nnmi == 1 then
    self:_urc(("+NNMI: %d,%s"):format(#data, hex_encode(data)))
    return
  end
  if #self.buffer >= 8 or self.buffer_bytes + #data > 2560 then
    self.dropped = self.dropped + 1
    self:_urc('+NNMI: "recv",buff full')
    return
  end
  self.buffer[#self.buffer + 1] = data
  self.buffer_bytes = self.buffer_bytes + #data
  if self.nnmi == 2 then self:_urc("+NNMI") end
end

-- The session breaks under the module (a fault): +QLWEVTIND: -1.
function Module:_connection_error()
  if self.phase ~= "ready" then return end
  if self.session or self.status == "REGISTERING" then
    self.platform:_lost(self.imei)
    self.session = nil
    self:_named("register", nil)
    self:_named("observe", nil)
    self:_named("lifetime", nil)
    self.status = "DEREGISTERED"
    self.con_pending = false
  end
  self:_urc("+QLWEVTIND: -1")
  self:_idle_check()
end

----------------------------------------------------------------------------------------
-- for scripts and tests
function Module:state()
  return {
    phase = self.phase, status = self.status, echo = self.echo, cmee = self.cmee,
    qsclk = self.qsclk, nnmi = self.nnmi, rrc = self.rrc, attached = self.attached,
    cfun = self.cfun, cereg = self.cereg_stat, psm = self.nvram.psm.mode,
    asleep = self.sleep_state ~= nil, buffered = #self.buffer, received = self.received,
    dropped = self.dropped, uldata = self.uldata, lifetime = self.lifetime,
    revision = self.revision, reboots = self.reboots, fota = self.fota and self.fota.job.state,
  }
end

Module.hex_encode, Module.hex_decode = hex_encode, hex_decode

return Module
