-- roundtrip_client.lua: the Lua side of bench_roundtrip (spec/bench/bench_roundtrip.c
-- execs it): opens a Modem on the pty slave path given, reports the resident memory of
-- this process with one modem open, then times N m:at("AT") round trips through the full
-- API (engine, loop, futures) in blocking style. Output: key=value lines for the C side.
local path, count = arg[1], tonumber(arg[2] or "20000")
assert(path, "usage: roundtrip_client.lua PTY_PATH [N]")

local bc260y = require("bc260y")

local function rss_kib()
  local f = io.open("/proc/self/status")
  if not f then return 0 end
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)")) or 0
end

local m = assert(bc260y.open(path))
collectgarbage()
print(("rss_open_kib=%d"):format(rss_kib()))

-- warm-up: the same share of extra trips as the C baseline gets
for _ = 1, count // 10 + 1 do assert(m:at("AT")) end

local t0 = bc260y.now()
for _ = 1, count do
  local r, msg = m:at("AT")
  if not r then error(msg) end
end
local rate = count / (bc260y.now() - t0)
print(("lua_rate=%.1f"):format(rate))
print(("rss_after_kib=%d"):format(rss_kib()))
m:close({deregister = false})
