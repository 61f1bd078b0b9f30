-- helpers.lua: small shared helpers for the LuaUnit specs (pty pairs, reading with a
-- deadline, picking events out of an engine's event array).
local core = require("bc260y.core")
local sim_core = require("bc260y.sim.core")

local helpers = {}

-- One epoll instance (core.poller, as bc260y.loop waits) for the specs' own waits.
local poller = assert(core.poller())
local ready = {}

-- Waits up to timeout seconds until fd is readable (mode "r") or writable ("w"); true
-- when it is. An fd epoll refuses (closed) counts as ready, as the loop treats it.
function helpers.wait_fd(fd, mode, timeout)
  if not poller:set(fd, mode == "r", mode == "w") then return true end
  local n = poller:wait(timeout, ready)
  poller:set(fd, false, false)
  return n > 0
end

-- Sleeps s seconds (no fd to wait for).
function helpers.sleep(s)
  poller:wait(s, ready)
end

-- Reads from port until `want` bytes arrived or `timeout` seconds passed; returns what
-- arrived (possibly less), or nil, msg, code from the port.
function helpers.read_for(port, want, timeout)
  local deadline = core.now() + (timeout or 1)
  local got = {}
  local n = 0
  while n < want do
    local left = deadline - core.now()
    if left <= 0 then break end
    helpers.wait_fd(port:fd(), "r", left)
    local s, msg, code = port:read()
    if not s then
      if n > 0 then return table.concat(got) end
      return nil, msg, code
    end
    got[#got + 1] = s
    n = n + #s
  end
  return table.concat(got)
end

-- Writes all of s (polling for writability); returns true or nil, msg, code.
function helpers.write_all(port, s, timeout)
  local deadline = core.now() + (timeout or 1)
  local off = 1
  while off <= #s do
    local n, msg, code = port:write(s:sub(off))
    if not n then return nil, msg, code end
    off = off + n
    if off <= #s then
      if core.now() > deadline then return nil, "timeout", "timeout" end
      helpers.wait_fd(port:fd(), "w", 0.05)
    end
  end
  return true
end

-- Reads from port, appending to got, until got holds text (plain) or timeout seconds
-- passed; returns got and whether it holds text.
function helpers.read_until(port, got, text, timeout)
  local deadline = core.now() + timeout
  while not got:find(text, 1, true) and core.now() < deadline do
    helpers.wait_fd(port:fd(), "r", 0.05)
    got = got .. (port:read() or "")
  end
  return got, got:find(text, 1, true) ~= nil
end

-- A pty master and the slave end opened as a tty Port.
function helpers.pty_pair()
  local master, path = assert(sim_core.open_pty())
  local slave = assert(core.open_port(path))
  return master, slave, path
end

-- The events of a given type, in order.
function helpers.of_type(events, t)
  local out = {}
  for _, ev in ipairs(events) do
    if ev.type == t then out[#out + 1] = ev end
  end
  return out
end

-- The types of an event array, as one string ("urc,response"), for readable asserts.
function helpers.types(events)
  local t = {}
  for i, ev in ipairs(events) do t[i] = ev.type end
  return table.concat(t, ",")
end

return helpers
