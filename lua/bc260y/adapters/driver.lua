-- bc260y.adapters.driver: what the adapters for handle-based event loops (luv, uloop)
-- share. It keeps the outer loop's fd watches and its one timer in step with what
-- bc260y.loop waits for (loop.pollables(), loop.ready()), and runs loop.step(0) when one
-- of them fires. A backend gives the outer loop's four primitives:
--
--   backend.watch(fd, mode, fire) -> handle   mode "r" | "w" | "rw"; fire() on readiness
--   backend.change(handle, mode, fire)        watch the same fd for another mode
--   backend.unwatch(handle)                   stop and release the watch
--   backend.set_timer(seconds | nil)          one-shot fire() after seconds; nil: none
--
-- The driver never polls itself and leaves nothing armed that bc260y does not wait for,
-- so an idle library costs the outer loop no wake-up. After each step every watch is
-- re-armed (backend.change): a step may close an fd and open another under the same
-- number (a Modem closed and opened again), which an epoll-based loop would otherwise
-- keep believing registered while the kernel has dropped it.
local loop = require("bc260y.loop")

local driver = {}

local Driver = {}
Driver.__index = Driver

-- driver.new(backend, onerror): onerror(msg) receives the error of a failed unprotected
-- task (default: raise it in the outer loop's callback).
function driver.new(backend, onerror)
  local self = setmetatable({backend = backend, watches = {}, attached = true,
                             onerror = onerror or function(msg) error(msg, 0) end}, Driver)
  self.fire = function() self:step() end
  return self
end

-- Brings the outer loop's watches and timer in line with bc260y.loop's; rearm: re-arm
-- the watches kept too (their fd may be a new one under the same number).
function Driver:sync(rearm)
  if not self.attached then return end
  local backend, watches = self.backend, self.watches
  local rfds, wfds, deadline = loop.pollables()
  local want = {}
  for _, fd in ipairs(rfds) do want[fd] = "r" end
  for _, fd in ipairs(wfds) do want[fd] = want[fd] and "rw" or "w" end
  for fd, w in pairs(watches) do
    if not want[fd] then
      backend.unwatch(w.handle)
      watches[fd] = nil
    elseif rearm or want[fd] ~= w.mode then
      backend.change(w.handle, want[fd], self.fire)
      w.mode = want[fd]
    end
  end
  for fd, mode in pairs(want) do
    if not watches[fd] then watches[fd] = {handle = backend.watch(fd, mode, self.fire), mode = mode} end
  end
  if loop.ready() then
    backend.set_timer(0)
  elseif deadline then
    backend.set_timer(math.max(deadline - loop.now(), 0))
  else
    backend.set_timer(nil)
  end
end

-- One step of bc260y.loop (it never blocks), then the watches again.
function Driver:step()
  if not self.attached then return end
  local ok, err = pcall(loop.step, 0)
  self:sync(true)
  if not ok then self.onerror(err) end
end

-- Everything the outer loop holds for bc260y released; step() and sync() do nothing.
function Driver:detach()
  if not self.attached then return end
  for fd, w in pairs(self.watches) do
    self.backend.unwatch(w.handle)
    self.watches[fd] = nil
  end
  self.backend.set_timer(nil)
  self.attached = false
end

return driver
