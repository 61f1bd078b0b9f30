-- bc260y.adapters.uloop: runs the library inside OpenWrt's uloop (libubox's Lua binding,
-- package libubox-lua). UNTESTED against the real library: Debian does not package the
-- binding. spec/lua/adapter_uloop_spec.lua runs it against a stand-in of the binding's
-- API (on luv), and it shares its bookkeeping (bc260y.adapters.driver) with the luv
-- adapter, which is tested for real.
--
--   local uloop = require("uloop")
--   uloop.init()
--   local bc = require("bc260y.adapters.uloop").attach()   -- or attach{onerror = fn}
--   bc:spawn(function() local m = assert(bc260y.open("/dev/ttyUSB0")); ... end)
--   uloop.run()
--
--   adapter:spawn(fn, ...)  start a bc260y task (bc260y.spawn, then wake)
--   adapter:wake()          re-read what bc260y waits for; uloop has no hook before it
--                           blocks, so call it after using bc260y from a uloop callback
--                           (outside a bc260y task) in a way that starts a task, a timer
--                           or a watch
--   adapter:detach()        release every uloop fd and timer the adapter holds
--
-- One uloop.fd_add per fd bc260y watches (deleted and added again when the events
-- wanted change), one uloop.timer for its next deadline. uloop.run() does not end by
-- itself when bc260y is done: call uloop.cancel() from the last task.
local uloop = require("uloop")
local loop = require("bc260y.loop")
local driver = require("bc260y.adapters.driver")

local adapter = {}

local Adapter = {}
Adapter.__index = Adapter

local function events_of(mode)
  local ev = 0
  if mode:find("r", 1, true) then ev = ev | uloop.ULOOP_READ end
  if mode:find("w", 1, true) then ev = ev | uloop.ULOOP_WRITE end
  return ev
end

local function backend(on_timer)
  local timer = uloop.timer(on_timer)
  local b = {timer = timer}
  function b.watch(fd, mode, fire)
    return {fd = fd, ufd = uloop.fd_add(fd, function() fire() end, events_of(mode))}
  end
  function b.change(h, mode, fire)
    h.ufd:delete()
    h.ufd = uloop.fd_add(h.fd, function() fire() end, events_of(mode))
  end
  function b.unwatch(h) h.ufd:delete() end
  function b.set_timer(seconds)
    if seconds == nil then
      timer:cancel()
    else
      -- uloop counts whole milliseconds: round up so it never fires before the deadline
      timer:set(math.ceil(seconds * 1000))
    end
  end
  return b
end

-- adapter.attach([opts]): opts.onerror(msg) for errors of unprotected tasks.
function adapter.attach(opts)
  opts = opts or {}
  local d
  local b = backend(function() d:step() end)
  d = driver.new(b, opts.onerror)
  d:sync()
  return setmetatable({driver = d, backend = b}, Adapter)
end

function Adapter:spawn(fn, ...)
  local task = loop.spawn(fn, ...)
  self.driver:sync()
  return task
end

function Adapter:wake() self.driver:sync(true) end

function Adapter:detach()
  self.driver:detach()
  self.backend.timer:cancel()
end

return adapter
