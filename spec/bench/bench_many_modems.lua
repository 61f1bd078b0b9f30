-- bench_many_modems: 256 virtual modules driven from one process (issue "Many modems"):
-- every modem opens, inits, connects and sends 10 uplinks, all at once; the bench prints
-- the time that takes, the process's resident memory, and the latency of one command
-- (m:at("AT")) on modem 1 alone, with the others open and idle, and with the others
-- busy. What a modem adds to another's commands beyond its own traffic shows as the idle
-- figure minus the alone one. Figures only, no assertion (spec/bench's rule).
--
-- Usage: lua5.4 bench_many_modems.lua [MODEMS=256] [PROBES=300]. Each modem holds four
-- fds (its port; the virtual module's pty master and two slave fds it holds): when the
-- soft fd limit is too low the bench runs itself again under `ulimit -n` raised to what
-- it needs (up to the hard limit).
local MODEMS = math.tointeger(tonumber(arg[1] or 256)) or 256
local PROBES = math.tointeger(tonumber(arg[2] or 300)) or 300
local UPLINKS = 10
local SPEED = 100 -- the virtual modules' time scale: attach 15 ms, registration 15 ms

local function sh(cmd)
  local p = io.popen(cmd)
  local out = p:read("a")
  p:close()
  return out
end

-- The fd limit, raised by running again under a shell when it is too low.
local need = MODEMS * 4 + 64
local soft = tonumber(sh("ulimit -n")) or math.huge
if soft < need then
  if os.getenv("BC260Y_BENCH_RAISED") then
    io.stderr:write(("bench_many_modems: %d fds needed, the limit is %d\n"):format(need, soft))
    os.exit(1)
  end
  local hard = tonumber(sh("ulimit -Hn")) or math.huge
  if hard < need then
    io.stderr:write(("bench_many_modems: %d fds needed, the hard limit is %d: run fewer"
      .. " modems (argument 1) or raise it\n"):format(need, hard))
    os.exit(1)
  end
  local cmd = ("ulimit -n %d && BC260Y_BENCH_RAISED=1 exec %q %q %d %d"):format(
    need, arg[-1] or "lua5.4", arg[0], MODEMS, PROBES)
  print(("bench_many_modems: fd limit %d < %d needed: raising it"):format(soft, need))
  io.stdout:flush()
  local ok = os.execute(cmd)
  os.exit(ok and 0 or 1)
end

local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local now = bc260y.now

local function rss_kib()
  local f = io.open("/proc/self/status")
  if not f then return 0 end
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)")) or 0
end

local function open_modem(timings)
  local m = assert(bc260y.open("sim", {speed = SPEED, sim = {qsclk = 0, timings = timings}}))
  assert(m:init())
  assert(m:connect{host = "221.229.214.202", port = 5683})
  return m
end

-- n AT round trips on m (or until stop() is true); median and mean latency in seconds.
local function probe(m, n, stop)
  local lat = {}
  for i = 1, n do
    if stop and stop() then break end
    local t0 = now()
    assert(m:at("AT"))
    lat[i] = now() - t0
  end
  table.sort(lat)
  local sum = 0
  for _, v in ipairs(lat) do sum = sum + v end
  return lat[(#lat + 1) // 2] or 0, #lat > 0 and sum / #lat or 0, #lat
end

-- Runs fn(i) for i = from..to, each in its own task, and waits for all of them.
local function all(from, to, fn)
  local left, done = to - from + 1, loop.signal()
  if left <= 0 then return end
  for i = from, to do
    bc260y.spawn(function()
      fn(i)
      left = left - 1
      if left == 0 then done:notify() end
    end)
  end
  done:wait()
end

local us = function(s) return s * 1e6 end

bc260y.run(function()
  local rss_start = rss_kib()
  -- Modem 1 answers at once (no module processing delay): its latency is the library's
  -- path and the process's load only.
  local m1 = open_modem({response = 0})
  local rss_one = rss_kib()
  local alone_med, alone_mean = probe(m1, PROBES)

  -- All modems at once: the others open, init, connect and send their uplinks while
  -- modem 1 sends its own and then measures its command latency until they are done.
  local modems = {m1}
  local others_done = false
  local busy_med, busy_mean, busy_n
  local t0 = now()
  local t_connected
  local connected_left = MODEMS - 1
  bc260y.spawn(function()
    for k = 1, UPLINKS do assert(m1:send(("m1 uplink %d"):format(k))) end
    busy_med, busy_mean, busy_n = probe(m1, math.huge, function() return others_done end)
  end)
  all(2, MODEMS, function(i)
    local m = open_modem()
    modems[i] = m
    connected_left = connected_left - 1
    if connected_left == 0 then t_connected = now() end
    for k = 1, UPLINKS do assert(m:send(("uplink %d"):format(k))) end
  end)
  local t_all = now() - t0
  others_done = true
  while busy_n == nil do bc260y.sleep(0.001) end
  local rss_all = rss_kib()

  -- The others open and idle: what they cost modem 1 with no traffic of their own. They
  -- settle first (RRC released: 0.2 s at this speed); the lines they still receive
  -- while modem 1 measures are counted, so "idle" is checked, not assumed.
  bc260y.sleep(0.5)
  local function others_lines()
    local n = 0
    for i = 2, MODEMS do n = n + modems[i]:counters().lines end
    return n
  end
  local lines_before = others_lines()
  local idle_med, idle_mean = probe(m1, PROBES)
  local idle_lines = others_lines() - lines_before

  local t_close = now()
  all(1, MODEMS, function(i) modems[i]:close({deregister = false}) end)
  t_close = now() - t_close

  print(("bench_many_modems: %d virtual modules in one process (speed %d), each init, connect"
    .. " and %d uplinks, all at once"):format(MODEMS, SPEED, UPLINKS))
  print(("  time, all %d: %.2f s (all connected after %.2f s); closing all: %.2f s"):format(
    MODEMS, t_all, (t_connected or t0) - t0, t_close))
  print(("  RSS: %d KiB at start, %d KiB with modem 1, %d KiB with all %d open:"
    .. " %.0f KiB per modem with its virtual module"):format(
    rss_start, rss_one, rss_all, MODEMS, (rss_all - rss_one) / math.max(MODEMS - 1, 1)))
  print(("  m:at(\"AT\") latency on modem 1, median / mean (us):"))
  print(("    alone                    : %8.0f / %8.0f"):format(us(alone_med), us(alone_mean)))
  print(("    %3d others open, idle    : %8.0f / %8.0f   added %+.0f us (%+.2f us per idle modem)"):format(
    MODEMS - 1, us(idle_med), us(idle_mean), us(idle_med - alone_med),
    us(idle_med - alone_med) / math.max(MODEMS - 1, 1)))
  print(("                               (the others received %d lines meanwhile)"):format(idle_lines))
  print(("    %3d others busy          : %8.0f / %8.0f   added %+.0f us (%d commands measured)"):format(
    MODEMS - 1, us(busy_med or 0), us(busy_mean or 0), us((busy_med or 0) - alone_med), busy_n or 0))
end)
