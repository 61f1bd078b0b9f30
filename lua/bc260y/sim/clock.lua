-- bc260y.sim.clock: the virtual module's sense of time.
--
-- Every delay in the virtual module and platform is written in module seconds (the real
-- module's timings: a 126 s registration timeout, a 20 s RRC inactivity timer...). A clock
-- turns them into something that runs:
--   clock.scaled(speed)  real time through bc260y.loop, divided by speed (speed 1 = real
--                        time for demos, speed 1000 runs a 126 s timeout in 0.126 s);
--   clock.virtual()      no real time at all: advance(dt) fires what is due, in order, so
--                        the module's state machine is testable without a loop or a pty.
-- Both offer c:now() (module seconds since the clock was made) and c:after(delay, fn) ->
-- handle with :cancel().
local clock = {}

local Scaled = {}
Scaled.__index = Scaled

function clock.scaled(speed, loop)
  speed = speed or 1
  if type(speed) ~= "number" or speed <= 0 or speed ~= speed or speed == math.huge then
    error("sim: speed must be a positive number, got " .. tostring(speed), 2)
  end
  loop = loop or require("bc260y.loop")
  local self = setmetatable({speed = speed, loop = loop}, Scaled)
  -- Module time is piecewise: changing the speed must not make now() jump.
  self.base_real, self.base_module = loop.now(), 0
  return self
end

function Scaled:now()
  return self.base_module + (self.loop.now() - self.base_real) * self.speed
end

function Scaled:set_speed(speed)
  if type(speed) ~= "number" or speed <= 0 or speed ~= speed or speed == math.huge then
    error("sim: speed must be a positive number, got " .. tostring(speed), 2)
  end
  self.base_module = self:now()
  self.base_real = self.loop.now()
  self.speed = speed
end

-- Real seconds for a module delay (used for things that are not module behaviour, such
-- as the gap between the bytes of a split write).
function Scaled:real(delay) return delay / self.speed end

function Scaled:after(delay, fn)
  return self.loop.timer(math.max(delay, 0) / self.speed, fn)
end

local Virtual = {}
Virtual.__index = Virtual

function clock.virtual()
  return setmetatable({t = 0, seq = 0, pending = {}, speed = 1}, Virtual)
end

function Virtual:now() return self.t end
function Virtual:real(delay) return delay end
function Virtual:set_speed(speed) self.speed = speed end

local Handle = {}
Handle.__index = Handle
function Handle:cancel() self.cancelled = true end

function Virtual:after(delay, fn)
  self.seq = self.seq + 1
  local h = setmetatable({at = self.t + math.max(delay, 0), seq = self.seq, fn = fn}, Handle)
  self.pending[#self.pending + 1] = h
  return h
end

-- Runs every timer due within dt (including those the timers themselves schedule), in
-- deadline order, then leaves the clock at now + dt.
function Virtual:advance(dt)
  local target = self.t + (dt or 0)
  while true do
    local best, bi
    for i, h in ipairs(self.pending) do
      if not h.cancelled and h.at <= target and
         (not best or h.at < best.at or (h.at == best.at and h.seq < best.seq)) then
        best, bi = h, i
      end
    end
    if not best then break end
    table.remove(self.pending, bi)
    self.t = math.max(self.t, best.at)
    best.fn()
  end
  -- drop cancelled ones so long runs do not accumulate them
  local keep = {}
  for _, h in ipairs(self.pending) do
    if not h.cancelled then keep[#keep + 1] = h end
  end
  self.pending = keep
  self.t = target
end

return clock
