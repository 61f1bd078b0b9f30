-- bc260y.console.sent: why a line went to the module that the person did not type just
-- then, so the console can say so under it. The Modem sends lines of its own: the wake-up
-- AT (after deep sleep the module loses the first bytes, so the library repeats AT until
-- it answers OK; the Modem's progress.wake events bracket it) and the resync probe (a
-- command went unanswered, and before the next one goes out the engine writes a harmless
-- query whose answer line the lost answer cannot contain: core/at_resync.c). Lines of a
-- :lua call and a typed line that waited in the queue are told apart too.
--
--   local s = sent.new()
--   s:waking(true | false)       the Modem's wake-up starts / ends (progress.wake)
--   s:timed_out()                a typed command got no answer in time: its answer is owed
--   s:final()                    a final result (OK, ERROR, +CME ERROR) came in
--   s:classify(line, typed, in_lua) -> "typed" | "wake" | "resync" | "lua" | "library"
local sent = {}

local Sent = {}
Sent.__index = Sent

function sent.new() return setmetatable({wake = false, owed = false, probe_out = false}, Sent) end

-- The wake-up settles what is owed: AT is answered only once the module hears again, and
-- the probes before it were answered first (the module answers in order).
function Sent:waking(active)
  self.wake = active
  if not active then self.owed, self.probe_out = false, false end
end

function Sent:timed_out() self.owed = true end

-- A final settles the debt: the probe's own, or the owed command's late one (then no
-- probe is needed). During a wake-up the AT's OK ends the wake-up itself (waking(false)).
function Sent:final()
  if not self.wake then self.owed, self.probe_out = false, false end
end

function Sent:classify(line, typed, in_lua)
  if self.wake then
    if line:upper() == "AT" then return "wake" end
    return "resync" -- the wake-up's AT went unanswered: nothing else goes out meanwhile
  end
  if self.owed and not self.probe_out then
    self.probe_out = true
    return "resync"
  end
  if typed and line == typed then return "typed" end
  if in_lua then return "lua" end
  return "library"
end

return sent
