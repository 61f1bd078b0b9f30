-- bc260y.sim.faults: what can go wrong between a host and a BC260Y-CN, on demand, so the
-- host library's handling of each is testable. s.faults is one of these:
--   f:garbage([bytes])              the module's side of the line sends junk now (default:
--                                   16 bytes of binary noise)
--   f:split_writes(on[, gap])       every byte the module sends is a write of its own, gap
--                                   real seconds apart (default 0.001): the host sees
--                                   lines arrive in fragments
--   f:urc_inside_next_response(line)  the next answer carries this URC between its first
--                                   line and the rest (or before its final result)
--   f:reboot_during_next_command()  the next command is echoed, then the module reboots
--                                   (boot banner, no final result)
--   f:silence([seconds])            the module hangs: input is lost, output is held until
--                                   it ends (module seconds; nil: until silence(0))
--   f:hangup()                      the pseudo-terminal goes away (the host reads "closed")
--   f:noise(rate[, direction])      each byte is corrupted with probability rate (one bit
--                                   flipped); direction "out" (module to host), "in" or
--                                   "both" (default); rate 0 turns it off
--   f:resume_failure()              the next wake from deep sleep fails: +QLWEVTIND: 7
--   f:power_loss()                  power goes away and comes back (a reboot; during a
--                                   DFOTA update the job fails)
--   f:uplink_send_failure()         the next uplink never leaves the module: a CON
--                                   reports +QLWEVTIND: 5 and AT+QLWULDATASTATUS? 2
--                                   (send failed); a NON is lost without a word
--   f:connection_error()            the session breaks: +QLWEVTIND: -1, NMSTATUS
--                                   DEREGISTERED, the host must connect again
--   f:attach_reject([cause])        the network denies the next attach with this EMM
--                                   cause (default 15, no suitable cells in tracking
--                                   area): CEREG stat 3 with the cause for n=3/5, no +IP;
--                                   AT+CGATT=1 (or CFUN=0 then 1, a reboot) tries again
--   f:lose_boot_banner()            the next boot's banner (RDY, +CFUN: 1, +CPIN: READY)
--                                   never reaches the host, as after a UART glitch; the
--                                   module boots and answers as usual
--   f:clear()                       every fault off
local faults = {}

local Faults = {}
Faults.__index = Faults

-- xorshift32: reproducible noise from opts.seed without touching math.random's state.
local function rng(seed)
  local x = (seed or 0x2545F491) & 0xffffffff
  if x == 0 then x = 0x2545F491 end
  return function()
    x = x ~ ((x << 13) & 0xffffffff)
    x = x ~ (x >> 17)
    x = x ~ ((x << 5) & 0xffffffff)
    return x / 4294967296.0
  end
end

function faults.new(sim, seed)
  return setmetatable({sim = sim, random = rng(seed), rate_in = 0, rate_out = 0,
                       split = false, gap = 0.001, silent_until = nil}, Faults)
end

function Faults:garbage(bytes)
  if bytes == nil then
    local t = {}
    for i = 1, 16 do t[i] = string.char(math.floor(self.random() * 256)) end
    bytes = table.concat(t)
  end
  if type(bytes) ~= "string" or #bytes == 0 or #bytes > 65536 then
    error("garbage: bytes must be a string of 1..65536 bytes", 2)
  end
  self.sim:_raw_out(bytes)
end

function Faults:split_writes(on, gap)
  if gap ~= nil and (type(gap) ~= "number" or gap < 0 or gap > 1) then
    error("split_writes: gap must be 0..1 seconds", 2)
  end
  self.split = not not on
  self.gap = gap or self.gap
end

function Faults:urc_inside_next_response(line)
  if type(line) ~= "string" or line == "" or line:find("[\r\n]") then
    error("urc_inside_next_response: one line, without CR or LF", 2)
  end
  self.sim.module.fault.urc_inside = line
end

function Faults:reboot_during_next_command()
  self.sim.module.fault.reboot_next = true
end

function Faults:silence(seconds)
  if seconds ~= nil and (type(seconds) ~= "number" or seconds < 0) then
    error("silence: seconds must be >= 0 (nil: until silence(0))", 2)
  end
  if seconds == 0 then
    self.silent_until = nil
    self.sim:_release_held()
    return
  end
  local clock = self.sim.clock
  self.silent_until = seconds and clock:now() + seconds or math.huge
  if seconds then
    if self.silence_timer then self.silence_timer:cancel() end
    self.silence_timer = clock:after(seconds, function()
      self.silence_timer = nil
      self.silent_until = nil
      self.sim:_release_held()
    end)
  end
end

function Faults:silent()
  return self.silent_until ~= nil and self.sim.clock:now() < self.silent_until
end

function Faults:hangup() self.sim:_hangup() end

function Faults:noise(rate, direction)
  if type(rate) ~= "number" or rate < 0 or rate > 1 then
    error("noise: rate must be a probability 0..1", 2)
  end
  direction = direction or "both"
  if direction ~= "in" and direction ~= "out" and direction ~= "both" then
    error('noise: direction must be "in", "out" or "both"', 2)
  end
  self.rate_in = (direction ~= "out") and rate or 0
  self.rate_out = (direction ~= "in") and rate or 0
end

function Faults:resume_failure() self.sim.module.fault.resume_fail = true end

function Faults:power_loss() self.sim:power_cycle() end
function Faults:lose_boot_banner() self.sim.module.fault.lose_banner = true end

function Faults:uplink_send_failure() self.sim.module.fault.uplink_fail = true end
function Faults:connection_error() self.sim.module:_connection_error() end

function Faults:attach_reject(cause)
  cause = cause or 15
  if math.type(cause) ~= "integer" or cause < 0 or cause > 255 then
    error("attach_reject: cause must be an EMM cause 0..255", 2)
  end
  self.sim.module.fault.attach_reject = cause
end

function Faults:clear()
  self.split, self.rate_in, self.rate_out = false, 0, 0
  self.sim.module.fault = {}
  self:silence(0)
end

-- Flips one bit in each byte picked with probability rate.
function Faults:_corrupt(bytes, rate)
  if rate <= 0 then return bytes end
  local out, changed = {}, false
  for i = 1, #bytes do
    local b = bytes:byte(i)
    if self.random() < rate then
      b = b ~ (1 << math.floor(self.random() * 8))
      changed = true
    end
    out[i] = string.char(b)
  end
  return changed and table.concat(out) or bytes
end

return faults
