-- uloop_standin: a stand-in for OpenWrt's uloop Lua binding (libubox lua/uloop.c), which
-- Debian does not package: the part of its API bc260y.adapters.uloop uses (init, run,
-- cancel, timer(cb[, ms]) with :set/:cancel, fd_add(fd, cb, events) with :delete,
-- ULOOP_READ/ULOOP_WRITE), built on luv. It checks the adapter's own logic against that
-- API as documented; it says nothing about the real library's behaviour.
local uv = require("luv")

local uloop = {ULOOP_READ = 1, ULOOP_WRITE = 2}

function uloop.init() return true end
function uloop.run() uv.run() end
function uloop.cancel() uv.stop() end

local Timer = {}
Timer.__index = Timer
function Timer:set(ms)
  assert(math.type(ms) == "integer" and ms >= 0, "uloop timer:set wants integer milliseconds")
  self.t:start(ms, 0, self.cb)
end
function Timer:cancel() self.t:stop() end

function uloop.timer(cb, ms)
  local self = setmetatable({t = uv.new_timer(), cb = cb}, Timer)
  if ms then self:set(ms) end
  return self
end

local Fd = {}
Fd.__index = Fd
function Fd:delete()
  if self.closed then return end
  self.closed = true
  self.p:stop()
  self.p:close()
end

function uloop.fd_add(fd, cb, events)
  assert(math.type(fd) == "integer", "uloop.fd_add wants an fd")
  local mode = ((events & uloop.ULOOP_READ) ~= 0 and "r" or "") ..
               ((events & uloop.ULOOP_WRITE) ~= 0 and "w" or "")
  assert(mode ~= "", "uloop.fd_add: no events")
  local self = setmetatable({p = uv.new_poll(fd)}, Fd)
  self.p:start(mode, function() cb(fd, events) end)
  return self
end

return uloop
