-- bc260y.demo: `bc260y demo` (and `make demo`). Starts the virtual module in this process,
-- runs examples/ctwing_aep.lua (the guide's chapter 4.2.2 session) against it with the
-- line trace on, then prints a one-screen summary of what the virtual platform saw:
-- every uplink (bytes, CON/NON, RAI) and every downlink it delivered.
--
--   bc260y demo [--speed S] [--script FILE] [--quiet] [--battery MAH]
--   require("bc260y.demo").main(argv) -> exit status
local bc260y = require("bc260y")
local i18n = require("bc260y.i18n")

local demo = {}

local USAGE = {
  en = [[
usage: bc260y demo [--speed S] [--script FILE] [--quiet] [--battery MAH]
  --speed S      the virtual module's time scale (default 15: readable and quick)
  --script FILE  the example to run (default examples/ctwing_aep.lua)
  --quiet        no line trace
  --battery MAH  the cell the summary's battery life is for (default 2400)
]],
  zh = [[
用法: bc260y demo [--speed S] [--script FILE] [--quiet] [--battery MAH]
  --speed S      虚拟模块的时间倍率(默认 15:既看得清又快)
  --script FILE  要运行的示例(默认 examples/ctwing_aep.lua)
  --quiet        不输出逐行跟踪
  --battery MAH  摘要中估算电池寿命所用的电池容量(默认 2400)
]],
}

local DEFAULT_SPEED = 15

-- examples/ beside the CLI: an install's share/bc260y, a rock's, or the source tree's.
local function default_script()
  local path, err = require("bc260y.paths").example("ctwing_aep.lua")
  if not path then return nil, i18n.t("demo.no_example", "examples/ctwing_aep.lua", err) end
  return path
end

local function hex(s)
  return (s:gsub(".", function(c) return ("%02X"):format(c:byte()) end))
end

local function shorten(h)
  if #h > 32 then return h:sub(1, 29) .. "..." end
  return h
end

-- The summary of one virtual platform, as lines.
function demo.summary(platform, modem, battery_mah)
  local out = {}
  local function add(fmt, ...) out[#out + 1] = fmt:format(...) end
  local ups = platform:uplinks()
  add(i18n.t("demo.summary"))
  add(i18n.t("demo.uplinks", #ups))
  for i, u in ipairs(ups) do
    add("  %2d  t=%7.1f  %s RAI %d  %4d %s  %s", i, u.time or 0, u.con and "CON" or "NON",
      u.rai or 0, #u.data, i18n.t("demo.bytes"), shorten(u.hex or hex(u.data)))
  end
  local downs = {}
  for _, e in ipairs(platform:events()) do
    if e.what == "downlink_sent" or e.what == "reply" then downs[#downs + 1] = e end
  end
  add(i18n.t("demo.downlinks", #downs))
  for i, e in ipairs(downs) do
    local kind = e.what == "reply" and i18n.t("demo.reply") or i18n.t("demo.command")
    add("  %2d  t=%7.1f  %s  %4d %s  %s", i, e.time or 0, kind .. (" "):rep(7 - utf8.len(kind)),
      #e.data, i18n.t("demo.bytes"), shorten(hex(e.data)))
  end
  if modem then
    local ok, c = pcall(modem.counters, modem)
    if ok and c then
      add(i18n.t("demo.host", c.commands or 0, c.lines or 0, c.urcs or 0, c.unknown or 0,
        c.timeouts or 0, c.reboots or 0))
    end
    -- (required here: an install may leave the virtual module out)
    if modem.sim then
      add("%s", require("bc260y.sim.energy").summary(modem.sim:energy(), battery_mah))
    end
  end
  return out
end

function demo.main(argv)
  argv = argv or {}
  local speed, script, trace, battery = DEFAULT_SPEED, nil, true, 2400
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--speed" then
      speed = tonumber(argv[i + 1])
      if not speed or speed <= 0 then
        io.stderr:write("bc260y demo: ", i18n.t("cli.speed"), "\n")
        return 2
      end
      i = i + 2
    elseif a == "--script" then
      script = argv[i + 1]
      if not script then
        io.stderr:write("bc260y demo: ", i18n.t("demo.needs_file"), "\n")
        return 2
      end
      i = i + 2
    elseif a == "--battery" then
      battery = math.tointeger(tonumber(argv[i + 1]))
      if not battery or battery <= 0 then
        io.stderr:write("bc260y demo: ", i18n.t("cli.battery"), "\n")
        return 2
      end
      i = i + 2
    elseif a == "--quiet" then
      trace = false
      i = i + 1
    elseif a == "--help" or a == "-h" then
      io.write(i18n.pick(USAGE))
      return 0
    else
      io.stderr:write("bc260y demo: ", i18n.t("demo.unknown_argument", tostring(a)), "\n")
      return 2
    end
  end
  -- An install may leave the virtual module out (BC260Y_INSTALL_SIM=OFF): say so before
  -- anything runs, not as the example's failure.
  if not pcall(require, "bc260y.sim") then
    io.stderr:write("bc260y demo: ", i18n.t("demo.no_sim"), "\n")
    return 1
  end
  if not script then
    local err
    script, err = default_script()
    if not script then
      io.stderr:write("bc260y demo: ", err, "\n")
      return 1
    end
  end
  local chunk, lerr = loadfile(script)
  if not chunk then
    io.stderr:write("bc260y demo: ", tostring(lerr), "\n")
    return 1
  end

  -- Line buffering: the example's output stays in step with the trace on stderr even
  -- through a pipe (make demo | tee).
  io.stdout:setvbuf("line")
  -- The example opens its module with bc260y.open() and no port: point that at an
  -- in-process virtual module, and keep the Modems it opens for the summary.
  local saved = {bc260y.default_port, bc260y.sim_speed, bc260y.default_trace, bc260y.open}
  bc260y.default_port, bc260y.sim_speed, bc260y.default_trace = "sim", speed, trace
  local opened = {}
  local real_open = bc260y.open
  bc260y.open = function(...)
    local m, msg, code = real_open(...)
    if m then opened[#opened + 1] = m end
    return m, msg, code
  end
  print(i18n.t("demo.intro", script:match("(examples/[^/]+)$") or script, speed) ..
    (trace and i18n.t("demo.trace_to_stderr") or ""))
  local t0 = bc260y.now()
  local ok, err = xpcall(bc260y.run, debug.traceback, chunk)
  local elapsed = bc260y.now() - t0
  bc260y.default_port, bc260y.sim_speed, bc260y.default_trace, bc260y.open = table.unpack(saved, 1, 4)

  io.stdout:flush()
  print()
  for _, m in ipairs(opened) do
    if m.platform then
      for _, line in ipairs(demo.summary(m.platform, m, battery)) do print(line) end
    end
  end
  print(i18n.t("demo.ran", elapsed) .. (ok and "" or i18n.t("demo.failed")))
  -- The CLI prints a failure as one line (the traceback with --debug).
  if not ok then error("demo: " .. tostring(err), 0) end
  return 0
end

return demo
