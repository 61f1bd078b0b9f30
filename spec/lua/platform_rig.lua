-- platform_rig: what the classroom platform's specs share. It starts `bc260y platform`
-- (the program bc260y-platform, on ports the system picks) and virtual modules with
-- --platform as processes of their own, asks the platform's JSON API
-- (spec/platform/http_request.py: the specs have no HTTP client), and waits for
-- conditions by polling them, never for a fixed time. A spec whose optional parts were
-- not built (platform/CMakeLists.txt) or whose tools are missing says why and exits 77,
-- which ctest counts as skipped. Everything listens on and talks to 127.0.0.1 only.
local core = require("bc260y.core")

local rig = {}

local BINARY = os.getenv("BC260Y_BINARY_DIR") or "build"
local SOURCE = os.getenv("BC260Y_SOURCE_DIR") or "."
rig.PROGRAM = BINARY .. "/bin/bc260y-platform"
rig.CLI = BINARY .. "/bin/bc260y"

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function on_path(name)
  return os.execute("command -v " .. name .. " >/dev/null 2>&1") == true
end

-- Exits 77 (skipped) with the reason unless every need is met: "platform" (the program
-- and bc260y.sim.coap built), or a program that must be on PATH.
function rig.skip_unless(needs)
  for _, need in ipairs(needs) do
    local why
    if need == "platform" then
      if not exists(rig.PROGRAM) or not package.searchpath("bc260y.sim.coap", package.cpath) then
        why = "the classroom platform is not built (needs libcoap3-dev and libmicrohttpd-dev)"
      end
    elseif not on_path(need) then
      why = need .. " is not installed"
    end
    if why then
      io.stdout:write("SKIPPED: ", why, "\n")
      os.exit(77)
    end
  end
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- A process whose first line is its pid ("sh -c 'echo $$; exec ...'"): {pid, pipe, err}.
local function spawn(command)
  local err = os.tmpname()
  local pipe = assert(io.popen(("sh -c %s"):format(quote("echo $$; exec " .. command .. " 2>" .. err)), "r"))
  local pid = pipe:read("l")
  return {pid = pid, pipe = pipe, err = err}
end

local function finish(proc, signal)
  if not proc.pipe then return end
  os.execute("kill -" .. signal .. " " .. proc.pid .. " 2>/dev/null")
  proc.pipe:read("a") -- until it exits
  proc.pipe:close()
  proc.pipe = nil
  os.remove(proc.err)
end

local Server = {}
Server.__index = Server

-- bc260y-platform with args (a string), on free ports: server.coap ("coap://127.0.0.1:N"),
-- server.http ("http://127.0.0.1:M/"), server.coap_port.
-- BC260Y_SPEC_PLATFORM_WRAP runs it under a tool, e.g.
-- "valgrind --error-exitcode=99 --leak-check=full --log-file=/tmp/platform.%p".
function rig.platform(args)
  local wrap = os.getenv("BC260Y_SPEC_PLATFORM_WRAP") or ""
  local proc = spawn(wrap .. " " .. rig.PROGRAM .. " --coap-port 0 --http-port 0 " .. (args or ""))
  local coap, http = proc.pipe:read("l"), proc.pipe:read("l")
  if not http then
    local why = slurp(proc.err)
    finish(proc, "TERM")
    error("bc260y-platform did not start: " .. why, 2)
  end
  local self = setmetatable(proc, Server)
  self.coap, self.http = coap, http
  self.coap_port = math.tointeger(tonumber(coap:match(":(%d+)$")))
  return self
end

-- One request to the JSON API: status, the answer (JSON as Lua tables). A body goes as
-- application/json unless content_type names another type.
function Server:api(method, path, body, content_type)
  local command = ("python3 %s %s %s %s %s"):format(quote(SOURCE .. "/spec/platform/http_request.py"),
    method, quote(self.http .. path:gsub("^/", "")), body and quote(body) or "''",
    content_type and quote(content_type) or "")
  local p = assert(io.popen(command, "r"))
  local status = tonumber(p:read("l"))
  local value = p:read("a")
  p:close()
  assert(status, "no answer from " .. self.http .. path)
  return status, assert(load("return " .. value))()
end

-- The device the API lists under this IMEI, or nil.
function Server:device(imei)
  local status, devices = self:api("GET", "/api/devices")
  assert(status == 200, "GET /api/devices: " .. tostring(status))
  for _, d in ipairs(devices) do
    if d.imei == imei then return d end
  end
  return nil
end

function Server:stop() finish(self, "TERM") end

-- `bc260y sim --platform URL` with more args: {pid, path (its pty)}.
function rig.sim(url, args)
  local proc = spawn(("%s sim --platform %s %s"):format(rig.CLI, url, args or ""))
  proc.path = proc.pipe:read("l")
  if not proc.path then
    local why = slurp(proc.err)
    finish(proc, "INT")
    error("bc260y sim did not start: " .. why, 2)
  end
  proc.stop = function() finish(proc, "INT") end
  return proc
end

-- Polls cond() until it returns a true value (returned), for at most `timeout` seconds
-- (a bound for a hung run, not a pace); `pause(s)` waits between polls (inside the loop:
-- loop.sleep, so that the loop's other tasks run). Raises naming `what` otherwise.
function rig.wait(what, cond, timeout, pause)
  local deadline = core.now() + (timeout or 30)
  local poller = pause and nil or assert(core.poller())
  while true do
    local v = cond()
    if v then return v end
    if core.now() > deadline then error("never happened: " .. what, 2) end
    if pause then pause(0.02) else poller:wait(0.02, {}) end
  end
end

-- Whether the last digit of a 15-digit IMEI is its Luhn check digit.
function rig.luhn_valid(imei)
  local sum = 0
  for i = 1, 15 do
    local d = tonumber(imei:sub(i, i))
    if i % 2 == 0 then
      d = d * 2
      if d > 9 then d = d - 9 end
    end
    sum = sum + d
  end
  return sum % 10 == 0
end

return rig
