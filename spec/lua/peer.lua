-- peer.lua: a scripted stand-in for the module on the master end of a real pseudo-terminal,
-- for the Modem specs. A script is a list of steps run in order by a task of bc260y.loop:
--   p:expect("AT+CMEE=1")              the next line the host writes must be exactly this
--   p:expect("^AT%+NMGS=", {pattern = true, timeout = 2})   ... or match this pattern
--   p:reply("\r\nOK\r\n")              write bytes
--   p:reply({"\r\nO", "K\r\n"}, 0.02)  write them as separate writes, 20 ms apart
--   p:sleep(0.1)                       wait
--   p:call(function(peer) ... end)     run code at that point (assertions, state)
--   p:hangup()                         close the master end (the host sees a hang-up)
-- With p.echo = true every line the host writes is echoed back first, as a module does
-- after a cold boot. Any mismatch or a timeout stops the script and is reported by
-- p:check(); p.lines holds every line received, in order.
local core = require("bc260y.core")
local sim_core = require("bc260y.sim.core")
local h = require("helpers")
local loop = require("bc260y.loop")

local Peer = {}
Peer.__index = Peer

local M = {}

function M.new(opts)
  opts = opts or {}
  local master, path = assert(sim_core.open_pty())
  local self = setmetatable({
    master = master,
    path = path,
    fd = master:fd(),
    steps = {},
    lines = {},          -- every line received (host -> module), in order
    pending = {},        -- received lines not yet consumed by an expect
    failures = {},
    buf = "",
    echo = opts.echo or false,
    timeout = opts.timeout or 3,
    arrived = loop.signal(),
    closed = false,
    bytes_in = 0,
  }, Peer)
  self.watch = loop.watch(self.fd, function() self:_readable() end)
  return self
end

function Peer:_readable()
  local s = self.master:read()
  if not s then
    -- The host closed the slave end: stop watching (a hung-up fd is always readable).
    self.watch:cancel()
    self.hung_up = true
    self.arrived:notify()
    return
  end
  if s == "" then return end
  self.bytes_in = self.bytes_in + #s
  local buf = self.buf .. s
  while true do
    local i = buf:find("[\r\n]")
    if not i then break end
    local line = buf:sub(1, i - 1)
    buf = buf:sub(i + 1)
    if line ~= "" then
      self.lines[#self.lines + 1] = line
      self.pending[#self.pending + 1] = line
      if self.echo then self:_write(line .. "\r") end
    end
  end
  self.buf = buf
  self.arrived:notify()
end

-- Writes all of s (waits for writability in a task; outside one, polls briefly).
function Peer:_write(s)
  if self.closed then return end
  local off = 1
  while off <= #s do
    local n = self.master:write(s:sub(off))
    if not n then return end
    off = off + n
    if off <= #s then
      if loop.current() then loop.wait_writable(self.fd, 1) else h.wait_fd(self.fd, "w", 0.05) end
    end
  end
end

function Peer:_fail(msg)
  self.failures[#self.failures + 1] = msg
  self.steps = {} -- stop: the host sees silence from here on
end

function Peer:_next_line(timeout)
  local deadline = loop.now() + timeout
  while #self.pending == 0 do
    local left = deadline - loop.now()
    if left <= 0 or self.closed then return nil end
    self.arrived:wait(left)
  end
  return table.remove(self.pending, 1)
end

function Peer:_run()
  while #self.steps > 0 do
    local step = table.remove(self.steps, 1)
    if step.kind == "expect" then
      local line = self:_next_line(step.timeout or self.timeout)
      if not line then
        self:_fail(("expected %q, got nothing in %g s"):format(step.want, step.timeout or self.timeout))
      elseif step.pattern and not line:match(step.want) then
        self:_fail(("expected a line matching %q, got %q"):format(step.want, line))
      elseif not step.pattern and line ~= step.want then
        self:_fail(("expected %q, got %q"):format(step.want, line))
      end
    elseif step.kind == "reply" then
      for i, chunk in ipairs(step.chunks) do
        if i > 1 and step.gap > 0 then loop.sleep(step.gap) end
        self:_write(chunk)
      end
    elseif step.kind == "sleep" then
      loop.sleep(step.seconds)
    elseif step.kind == "call" then
      step.fn(self)
    elseif step.kind == "hangup" then
      self:close()
    end
  end
  self.runner = nil
end

function Peer:_add(step)
  self.steps[#self.steps + 1] = step
  if not self.runner and not self.closed then
    self.runner = loop.spawn(function() self:_run() end)
  end
  return self
end

function Peer:expect(want, opts)
  opts = opts or {}
  return self:_add({kind = "expect", want = want, pattern = opts.pattern, timeout = opts.timeout})
end

function Peer:reply(bytes, gap)
  local chunks = type(bytes) == "table" and bytes or {bytes}
  return self:_add({kind = "reply", chunks = chunks, gap = gap or 0})
end

-- expect(line) then reply(bytes): the common pair.
function Peer:on(line, bytes, gap) return self:expect(line):reply(bytes, gap) end

-- An OK answer to line, with optional answer lines before it.
function Peer:ok(line, ...)
  local parts = {}
  for _, l in ipairs({...}) do parts[#parts + 1] = "\r\n" .. l .. "\r\n" end
  parts[#parts + 1] = "\r\nOK\r\n"
  return self:on(line, table.concat(parts))
end

-- The module's side of Modem:init() (guide 4.1.2: sync, echo off, numeric errors,
-- identity, receive mode, RRC URCs, attached with an address).
function Peer:script_init(o)
  o = o or {}
  self:ok("AT")
  self:ok("ATE0")
  self:ok("AT+CMEE=1")
  self:ok("ATI", "Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: BC260YCNAAR02A02")
  self:ok("AT+CGSN=1", "+CGSN: " .. (o.imei or "869999999999999"))
  self:ok("AT+NNMI?", "+NNMI: " .. (o.nnmi or 1))
  self:ok("AT+CSCON=1")
  self:ok("AT+CGPADDR?", '+CGPADDR: 0,"' .. (o.ip or "10.1.2.3") .. '"')
  return self
end

-- The module's side of a successful Modem:connect() (guide 4.2.2).
function Peer:script_connect(host, port)
  self:ok(('AT+NCDPOPEN="%s",%d'):format(host or "221.229.214.202", port or 5683))
  self:reply("\r\n+QLWEVTIND: 0\r\n")
  self:reply("\r\n+QLWEVTIND: 3\r\n")
  return self
end

function Peer:sleep(seconds) return self:_add({kind = "sleep", seconds = seconds}) end
function Peer:call(fn) return self:_add({kind = "call", fn = fn}) end
function Peer:hangup() return self:_add({kind = "hangup"}) end

-- Runs the loop until the script is done (or timeout seconds passed).
function Peer:finish(timeout)
  local deadline = loop.now() + (timeout or 5)
  while (self.runner or #self.steps > 0) and loop.now() < deadline do
    loop.step(0.05)
  end
  return self:check()
end

-- true, or nil and what went wrong (failures, steps left).
function Peer:check()
  local problems = {}
  for _, f in ipairs(self.failures) do problems[#problems + 1] = f end
  if #self.steps > 0 then
    problems[#problems + 1] = ("%d script step(s) not reached"):format(#self.steps)
  end
  if #problems > 0 then return nil, table.concat(problems, "; ") end
  return true
end

-- Lines received and not consumed by any expect (the host said more than scripted).
function Peer:unexpected() return self.pending end

function Peer:close()
  if self.closed then return end
  self.closed = true
  self.watch:cancel()
  self.master:close()
  self.arrived:notify()
end

-- The scaffolding the Modem specs share. peer.fixture(defaults, bind) returns
--   setup(opts)  a new peer and bc260y.open(peer.path, opts) on its pty, each option
--                opts leaves nil taken from defaults (e.g. a fast engine); returns p, m
--   teardown()   closes the modem (no deregistration) and the peer
--   settle(s)    lets the callbacks started by the last call run (default 0.02 s)
-- bind(p, m) is told the current pair (nil, nil after teardown), so a spec keeps p and m
-- as plain locals its tests use.
function M.fixture(defaults, bind)
  local bc260y = require("bc260y")
  local p, m
  local f = {}
  function f.setup(opts)
    p = M.new()
    bind(p, m)
    opts = opts or {}
    for k, v in pairs(defaults or {}) do
      if opts[k] == nil then opts[k] = v end
    end
    m = assert(bc260y.open(p.path, opts))
    bind(p, m)
    return p, m
  end
  function f.teardown()
    if m then m:close({deregister = false}) end
    if p then p:close() end
    p, m = nil, nil
    bind(p, m)
  end
  function f.settle(s) loop.sleep(s or 0.02) end
  return f
end

return M
