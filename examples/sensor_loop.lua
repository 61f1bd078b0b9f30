-- sensor_loop.lua: a small but realistic device. Every INTERVAL seconds it reports a
-- reading as a NON uplink with RAI 1 and lets the module deep-sleep in between, with the
-- cheapest settings that still do the job (docs/battery.md measures each choice):
--   NON, not CON: a reading is superseded by the next one, so an acknowledgement buys
--     nothing worth the radio time it costs (and CON's retransmissions cost more);
--   RAI 1: nothing more is expected, so the network releases the radio at once instead
--     of after its inactivity timer (RAI 0: about three times the average current);
--   deep sleep on, PSM via m:psm{tau = 3600, active = 20}: the module sleeps at a few µA
--     between reports; TAU 1 h, since the reports themselves tell the network the device
--     is alive; an active time of 20 s is the window in which the platform's commands
--     reach the device after a report (shorter saves a little, commands then wait longer).
-- Commands from the platform
-- are applied as they come: 01 <u16 seconds> sets the report interval, 02 <00|01> switches
-- the output. When the module reboots (power glitch, watchdog) or the platform answers an
-- uplink with RST (+QLWEVTIND: 10), the device registers again and goes on. When the
-- platform starts a firmware update (+QLWEVTIND: 8), bc260y.dfota takes over until the
-- update is done and reports wait.
-- Uplink format: 10 <i16 temperature in 0.1 C> <u16 sequence number>.
--
--   bc260y run examples/sensor_loop.lua [-- REPORTS [INTERVAL]]      the virtual module
--   bc260y run examples/sensor_loop.lua --port /dev/ttyUSB0 -- 0 600  hardware, forever
-- On the virtual module the script also plays the platform's part: it queues two
-- commands, reboots the module once, makes the platform forget the device once and
-- starts a firmware update.
local bc260y = require("bc260y")
local dfota = require("bc260y.dfota")
local i18n = require("bc260y.i18n")
local progress = require("bc260y.progress")

-- What it prints reads in English or Chinese (--lang, BC260Y_LANG, LANG).
local function say(en, zh) return i18n.pick({en = en, zh = zh}) end

local REPORTS = tonumber((select(1, ...))) or 8       -- 0: forever
local interval = tonumber((select(2, ...))) or 120    -- seconds between reports
local HOST, PORT = "221.229.214.202", 5683

local m = assert(bc260y.open{progress = false})  -- it shows its waits itself (show, below)
local sim = m.sim
local show = progress.new{modem = m}  -- what a registration waits for, and how long
-- On the virtual module time runs --speed times faster: so does this schedule.
local scale = sim and bc260y.sim_speed or 1
local function pause(seconds) bc260y.sleep(seconds / scale) end

local output_on = false
local stats = {sent = 0, failed = 0, postponed = 0, reconnects = 0, commands = 0}

-- Downlink commands (direct mode: each one arrives as +NNMI and goes to this handler).
m:on("downlink", function(data)
  local cmd = data:byte(1)
  if cmd == 1 and #data == 3 then
    interval = math.max(60, string.unpack(">I2", data, 2))
    print(say("   command: report every %d s", "   命令:每 %d 秒上报一次"):format(interval))
  elseif cmd == 2 and #data == 2 then
    output_on = data:byte(2) == 1
    print(say("   command: output ", "   命令:输出") .. (output_on and say("on", "打开") or say("off", "关闭")))
  else
    print(say("   command ignored (%d bytes)", "   忽略命令(%d 字节)"):format(#data))
    return
  end
  stats.commands = stats.commands + 1
end)
local running = false -- the boot banner at start-up is no news
m:on("reboot", function() if running then print(say("   the module rebooted", "   模块已重启")) end end)
m:on("observe_reset", function()
  print(say("   the platform answered with RST (+QLWEVTIND: 10)", "   平台回复了 RST(+QLWEVTIND: 10)"))
end)

-- Brings the module up and registers; retries with a growing pause.
local function connect()
  for attempt = 1, 5 do
    local ok, msg = m:init()
    if ok then ok, msg = m:set_receive_mode("direct") end
    if ok then ok, msg = m:psm{tau = 3600, active = 20} end  -- AT+CPSMS (see the top)
    if ok then ok, msg = show:during(progress.REGISTRATION, 126, m.connect, m, {host = HOST, port = PORT}) end
    if ok then ok, msg = m:sleep_mode("deep") end  -- sleep whenever idle
    if ok then return true end
    print(say("   connect attempt %d failed: %s", "   第 %d 次连接失败:%s"):format(attempt, msg))
    pause(30 * attempt)
  end
  return false
end

local function reading(seq)
  local temperature = 215 + math.floor(30 * math.sin(seq / 3)) -- 0.1 C
  return "\16" .. string.pack(">i2>I2", temperature, seq % 65536)
end

assert(connect(), "cannot register with the platform")
running = true

-- Firmware updates: the job object listens from now on, so it sees the update start.
local firmware = dfota.new(m, {host = HOST, port = PORT, lifetime = 86400, trigger = false})
m:on("fota_observed", function()
  print(say("   firmware update started by the platform", "   平台发起了固件升级"))
  local r = firmware:run()
  print(say("   firmware update: %s%s", "   固件升级:%s%s"):format(i18n.t("dfota.outcome." .. r.outcome),
    r.reason and say(" (" .. r.reason .. ")", "(" .. r.reason .. ")") or ""))
  m:sleep_mode("deep")  -- DFOTA needs deep sleep off; back to normal
end)
local function updating() return firmware.state ~= "idle" and firmware.state ~= "done" end

assert(m:set_lifetime(86400))
local seq = 0
while REPORTS == 0 or seq < REPORTS do
  seq = seq + 1
  -- The virtual platform's part of the story (nothing of this happens on hardware).
  if sim then
    if seq == 2 then sim.platform:queue_downlink("\1\0\90") end   -- every 90 s
    if seq == 3 then sim:power_cycle() end
    if seq == 4 then sim.platform:queue_downlink("\2\1") end
    if seq == 5 then sim.platform:cancel_observation() end
    if seq == 6 then sim.platform:create_fota_job{size = 4096, trigger = "uplink"} end
  end
  while updating() do pause(10) end -- no data commands during a firmware update
  local data = reading(seq)
  local ok, msg, code = m:send(data, {rai = 1})  -- NON, RAI 1 (see the top)
  -- Rebooted (the Modem may not have seen the banner yet: +CME ERROR 954 not logged in,
  -- 958 no session), or the platform forgot us: register again and send the reading again.
  local cme = code == "cme" and tonumber(msg:match("%+CME ERROR: (%d+)"))
  if not ok and (code == "state" or code == "reboot" or cme == 954 or cme == 958) then
    print(say("   report %d: %s", "   第 %d 次上报:%s"):format(seq, msg))
    stats.reconnects = stats.reconnects + 1
    if connect() then ok, msg, code = m:send(data, {rai = 1}) end
  end
  if ok then
    stats.sent = stats.sent + 1
    print(say("report %d: %.1f C, sent", "第 %d 次上报:%.1f ℃,已发送"):format(seq, string.unpack(">i2", data, 2) / 10))
  elseif code == "busy" then
    -- A firmware update began meanwhile: this reading is skipped.
    stats.postponed = stats.postponed + 1
    print(say("report %d: skipped, firmware update running", "第 %d 次上报:跳过,固件升级正在进行"):format(seq))
  else
    stats.failed = stats.failed + 1
    print(say("report %d: not sent (%s)", "第 %d 次上报:未发送(%s)"):format(seq, msg))
  end
  if REPORTS == 0 or seq < REPORTS then pause(interval) end
end

while updating() do pause(10) end
firmware:close()
m:close()
print(say("%d reports sent, %d not, %d skipped, %d reconnects, %d commands applied, output %s",
  "发送 %d 次上报,未发送 %d 次,跳过 %d 次,重新连接 %d 次,执行命令 %d 条,输出%s"):format(
  stats.sent, stats.failed, stats.postponed, stats.reconnects, stats.commands,
  output_on and say("on", "打开") or say("off", "关闭")))
return stats.failed == 0 and 0 or 1
