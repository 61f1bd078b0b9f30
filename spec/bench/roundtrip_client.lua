-- roundtrip_client.lua: the Lua side of bench_roundtrip (spec/bench/bench_roundtrip.c
-- execs it): opens a Modem on the pty slave path given and reports the resident memory
-- of this process with one modem open; then, for each count N read on stdin, does N
-- m:at("AT") round trips through the full API (engine, loop, futures) in blocking style
-- and answers how long they took. "q" ends it. Output: key=value lines for the C side.
local path = arg[1]
assert(path, "usage: roundtrip_client.lua PTY_PATH")

local bc260y = require("bc260y")

local function rss_kib()
  local f = io.open("/proc/self/status")
  if not f then return 0 end
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)")) or 0
end

local function say(s)
  io.stdout:write(s, "\n")
  io.stdout:flush()
end

local m = assert(bc260y.open(path))
collectgarbage()
say(("rss_open_kib=%d"):format(rss_kib()))

for line in io.stdin:lines() do
  if line == "q" then break end
  local n = assert(math.tointeger(tonumber(line)), "a count or q expected")
  local t0 = bc260y.now()
  for _ = 1, n do
    local r, msg = m:at("AT")
    if not r then error(msg) end
  end
  say(("secs=%.9f"):format(bc260y.now() - t0))
end
say(("rss_after_kib=%d"):format(rss_kib()))
m:close({deregister = false})
