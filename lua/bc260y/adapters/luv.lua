-- bc260y.adapters.luv: runs the library inside a luv (libuv) event loop. bc260y's tasks,
-- timers and fds are driven by uv.run(); nothing blocks libuv and nothing wakes it while
-- the library is idle.
--
--   local uv = require("luv")
--   local bc = require("bc260y.adapters.luv").attach()   -- or attach{onerror = fn}
--   bc:spawn(function() local m = assert(bc260y.open(...)); ... end)
--   uv.run()   -- returns once neither luv nor bc260y has anything left to wait for
--
--   adapter:spawn(fn, ...)  start a bc260y task (bc260y.spawn, then wake)
--   adapter:wake()          re-read what bc260y waits for (after any change made outside
--                           a bc260y task; a libuv prepare handle also does it before
--                           each wait, so with luv it is never needed)
--   adapter:detach()        release every libuv handle the adapter holds
--
-- One uv_poll handle per fd bc260y watches, one uv_timer for its next deadline (or 0 when
-- a task is runnable), and an unreferenced prepare handle that re-syncs before libuv
-- blocks. The library's calls made outside a bc260y task still block (they run bc260y's
-- own loop until done): make them from tasks. Note that libuv puts the fds it polls in
-- non-blocking mode, as bc260y's own ports already are.
local uv = require("luv")
local loop = require("bc260y.loop")
local driver = require("bc260y.adapters.driver")

local adapter = {}

local Adapter = {}
Adapter.__index = Adapter

local function backend(on_timer)
  local timer = uv.new_timer()
  local b = {timer = timer}
  function b.watch(fd, mode, fire)
    local h = uv.new_poll(fd)
    h:start(mode, fire)
    return h
  end
  function b.change(h, mode, fire)
    h:stop() -- a stopped watcher is added to epoll afresh by the next start
    h:start(mode, fire)
  end
  function b.unwatch(h)
    h:stop()
    h:close()
  end
  function b.set_timer(seconds)
    if seconds == nil then
      timer:stop()
    else
      -- libuv's clock counts whole milliseconds: round up so the timer never fires
      -- before bc260y's deadline (which would only re-arm it).
      timer:start(math.ceil(seconds * 1000), 0, on_timer)
    end
  end
  return b
end

-- adapter.attach([opts]): opts.onerror(msg) for errors of unprotected tasks (default:
-- raised in the libuv callback, where luv prints it and exits the process).
function adapter.attach(opts)
  opts = opts or {}
  local d
  local b = backend(function() d:step() end)
  d = driver.new(b, opts.onerror)
  local self = setmetatable({driver = d, backend = b}, Adapter)
  self.prepare = uv.new_prepare()
  self.prepare:start(function() d:sync() end)
  self.prepare:unref() -- bc260y's own fds and timer keep uv.run() going, not this
  d:sync()
  return self
end

function Adapter:spawn(fn, ...)
  local task = loop.spawn(fn, ...)
  self.driver:sync()
  return task
end

function Adapter:wake() self.driver:sync(true) end

function Adapter:detach()
  if not self.prepare then return end
  self.driver:detach()
  self.prepare:stop()
  self.prepare:close()
  self.backend.timer:close()
  self.prepare = nil
end

return adapter
