-- bc260y.sim.cli: `bc260y sim`, the virtual module as a process of its own for any serial
-- tool (tio, minicom, screen, pyserial). Prints the pty path on the first line, serves
-- until SIGINT (Ctrl-C) or SIGTERM, then closes the pty and exits 0.
--
--   bc260y sim [--imei N] [--speed S] [--seed N] [--auto-reply] [--psk HEX]
--              [--script FILE] [--trace] [--platform coap://HOST:PORT]
--   --platform     registers with that LwM2M server (bc260y platform) instead of the
--                  in-process platform (bc260y.sim.remote_platform)
--   --script FILE  runs FILE as a task with the sim as its argument (`local s = ...`):
--                  queue downlinks, create DFOTA jobs, inject faults while a tool is attached.
--   --trace        logs every line in both directions on stderr, as a Modem's trace does:
--                  [seconds] --> line (to the module), <-- line (from it).
local cli = {}

local i18n = require("bc260y.i18n")

local USAGE = {
  en = [[
usage: bc260y sim [--imei N] [--speed S] [--seed N] [--auto-reply] [--psk HEX]
                  [--script FILE] [--trace] [--battery MAH] [--platform coap://HOST:PORT]
Starts a virtual BC260Y-CN behind a pseudo-terminal, prints its path on the first line
and serves until interrupted (Ctrl-C or SIGTERM).
  --imei N       the module's IMEI (15 digits; default 869453051234566, with
                 --platform one of its own, valid, new for every module)
  --speed S      time scale: 1 is real time (default), 10 runs ten times faster
  --seed N       seed for the noise fault
  --auto-reply   the platform answers every uplink with AAAA0000
  --psk HEX      the device's PSK on the platform (an encrypted device)
  --script FILE  Lua run as a task with the sim as its argument (local s = ...)
  --trace        log every line on stderr: [seconds] --> to the module, <-- from it
  --battery MAH  at exit, the energy account's line on stderr gives the life on this
                 cell (default 2400)
  --platform URL register with this LwM2M server (bc260y platform) over UDP instead of
                 the in-process platform: coap://127.0.0.1:5683; without it no packet
                 leaves the process
]],
  zh = [[
用法: bc260y sim [--imei N] [--speed S] [--seed N] [--auto-reply] [--psk HEX]
                 [--script FILE] [--trace] [--battery MAH] [--platform coap://HOST:PORT]
在伪终端上启动虚拟 BC260Y-CN,第一行打印其路径,一直服务到被中断(Ctrl-C 或 SIGTERM)。
  --imei N       模块的 IMEI(15 位数字;默认 869453051234566,使用 --platform 时
                 每个模块各自新生成一个有效的 IMEI)
  --speed S      时间倍率:1 为实时(默认),10 为快十倍
  --seed N       噪声故障的随机种子
  --auto-reply   平台对每条上行数据回复 AAAA0000
  --psk HEX      设备在平台上的 PSK(加密设备)
  --script FILE  以任务方式运行的 Lua 脚本,参数为虚拟模块(`local s = ...`)
  --trace        在 stderr 上记录每一行:[秒] --> 发往模块,<-- 来自模块
  --battery MAH  退出时在 stderr 上打印能耗,并按此容量估算电池寿命(默认 2400)
  --platform URL 通过 UDP 向该 LwM2M 服务器(bc260y platform)注册,而不是进程内的平台:
                 coap://127.0.0.1:5683;不加此选项时不会有任何数据包离开本进程
]],
}

local function parse(argv)
  local o = {}
  local i = 1
  local function value(name)
    i = i + 1
    local v = argv[i]
    if v == nil then error(i18n.t("cli.needs_value", name), 0) end
    return v
  end
  while i <= #argv do
    local a = argv[i]
    if a == "--imei" then
      o.imei = value(a)
      if not o.imei:match("^%d+$") or #o.imei ~= 15 then error(i18n.t("sim.imei"), 0) end
    elseif a == "--battery" then
      o.battery = math.tointeger(tonumber(value(a)))
      if not o.battery or o.battery <= 0 then error(i18n.t("cli.battery"), 0) end
    elseif a == "--speed" then
      o.speed = tonumber(value(a))
      if not o.speed or o.speed <= 0 or o.speed ~= o.speed or o.speed == math.huge then
        error(i18n.t("cli.speed"), 0)
      end
    elseif a == "--seed" then
      o.seed = math.tointeger(tonumber(value(a)))
      if not o.seed then error(i18n.t("sim.seed"), 0) end
    elseif a == "--psk" then
      o.psk = value(a)
    elseif a == "--platform" then
      o.platform = value(a)
      if not require("bc260y.sim.remote_platform").parse_url(o.platform) then
        error(i18n.t("sim.platform_url"), 0)
      end
    elseif a == "--auto-reply" then
      o.auto_reply = true
    elseif a == "--script" then
      o.script = value(a)
    elseif a == "--trace" then
      o.trace = true
    elseif a == "-h" or a == "--help" then
      o.help = true
    else
      error(i18n.t("cli.unknown_option", "sim", a, "sim"), 0)
    end
    i = i + 1
  end
  return o
end

-- Returns the process exit status.
function cli.main(argv, out, err)
  out, err = out or io.stdout, err or io.stderr
  local okp, o = pcall(parse, argv or {})
  if not okp then
    err:write("bc260y sim: ", tostring(o), "\n")
    return 2
  end
  if o.help then out:write(i18n.pick(USAGE)); return 0 end
  local loop = require("bc260y.loop")
  local sim = require("bc260y.sim")
  local energy = require("bc260y.sim.energy")
  local trace
  if o.trace then
    -- The library's readable form, seen from the host: "-->" is what the host wrote to
    -- the module (the sim's "in"), "<--" what the module answered.
    local tracing = require("bc260y.trace")
    local t0 = loop.now()
    local lines = tracing.new(function(dir, line)
      err:write(tracing.format(loop.now() - t0, dir, line), "\n")
      err:flush()
    end)
    trace = function(dir, bytes)
      if dir == "in" then lines.output(bytes) else lines.input(bytes) end
    end
  end
  if o.platform and o.auto_reply then
    err:write("bc260y sim: ", i18n.t("sim.platform_auto_reply"), "\n")
    return 2
  end
  local okn, s = pcall(sim.new, {imei = o.imei, speed = o.speed, seed = o.seed, psk = o.psk,
                                 trace = trace, platform = o.platform})
  if not okn then
    err:write("bc260y sim: ", tostring(s), "\n")
    return 1
  end
  if o.auto_reply then s.platform:set_auto_reply(true) end
  out:write(s.path, "\n")
  out:flush()
  if o.script then
    local chunk, lerr = loadfile(o.script)
    if not chunk then
      err:write("bc260y sim: ", lerr, "\n")
      s:close()
      return 1
    end
    loop.spawn_protected(function(msg) err:write("bc260y sim: ", i18n.t("sim.script_failed", msg), "\n") end, chunk, s)
  end
  -- SIGINT and SIGTERM arrive through an fd the loop watches (bc260y.signals), so the pty
  -- is closed properly and the process exits 0 either way.
  local signals = require("bc260y.signals")
  local sigfd = assert(signals.catch({"INT", "TERM"}))
  local stopped = false
  loop.watch(sigfd, function()
    if signals.take() then stopped = true end
  end)
  local status = 0
  while not s.closed and not stopped do
    local okstep, e = pcall(loop.step, nil)
    if not okstep then
      err:write("bc260y sim: ", tostring(e), "\n")
      status = 1
      break
    end
  end
  if s.error then
    err:write("bc260y sim: ", s.error, "\n")
    status = 1
  end
  -- what the session cost the module's battery (bc260y.sim.energy)
  err:write("bc260y sim: ", energy.summary(s:energy(), o.battery), "\n")
  s:close()
  return status
end

return cli
