-- ctwing_aep.lua: the guide's chapter 4.2.2 session with China Telecom's CTWing AEP,
-- step by step and in the guide's order (spec/peer plays that session against it): deep
-- sleep off, RRC state reports, direct receive mode, lifetime 86400,
-- register with 221.229.214.202:5683, a NON uplink with RAI 1 (the network releases the
-- RRC connection at once), deep sleep and wake-up, a CON uplink with RAI 2 and its
-- delivery status, deep sleep on again. At the end it waits a moment for a command
-- from the platform (on the virtual module the script queues one itself).
--
--   bc260y run examples/ctwing_aep.lua                  the virtual module
--   bc260y run examples/ctwing_aep.lua --port /dev/ttyUSB0 --trace   real hardware
--   bc260y run examples/ctwing_aep.lua -- 5             wait 5 s (not 30) for the command
-- Settings: this example plays the guide's session command for command (spec/peer checks
-- it), so its choices are the guide's, and they are already the cheap ones for what each
-- step shows (docs/battery.md measures them): NON with RAI 1 for the plain report (the
-- network releases the radio at once), CON with RAI 2 where the delivery status is the
-- point (released right after the acknowledgement), deep sleep on between the steps and at
-- the end. Deep sleep is off only while the session's first steps are set up, as the guide
-- has it. A device that only reports: examples/sensor_loop.lua.
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local i18n = require("bc260y.i18n")
local progress = require("bc260y.progress")

-- Waits show what is awaited and for how long (a line redrawn on a terminal, plain lines
-- in a pipe); the steps read in English or Chinese (--lang, BC260Y_LANG, LANG).
local function say(en, zh) return i18n.pick({en = en, zh = zh}) end

-- Waits (at most timeout seconds) for the next `name` event; true when it came.
local function wait_for(m, name, timeout)
  local f = loop.future()
  local h = m:on(name, function(...) f:set(true, ...) end)
  local ok = f:get(timeout)
  h:off()
  return ok == true
end

local function step(en, zh) print("== " .. say(en, zh)) end
-- A yes/no answer in the language read (tostring's true/false in English).
local function yes(ok) return say(tostring(ok), ok and "是" or "否") end
-- The CON status's name (AT+QLWULDATASTATUS?, guide 2.3.8) in Chinese.
local CON_STATUS_ZH = {[0] = "未发送", "已发送,等待平台响应", "发送失败", "超时", "成功", "收到 RESET 消息"}

local command_wait = tonumber((...)) or 30

local m = assert(bc260y.open{progress = false})  -- it shows its waits itself (show, below)
local show = progress.new{modem = m}       -- module seconds, like the guide's limits
-- AT, ATE0, AT+CMEE=1, ATI, AT+CGSN=1, AT+NNMI?; RRC reports and the address come below,
-- where the guide asks for them.
local info = assert(m:init{rrc = false, attach = false})
print(say("module %s %s, IMEI %s", "模块 %s %s,IMEI %s"):format(info.model, info.revision, info.imei))
m:on("rrc", function(state) print("   RRC " .. say(state, state == "idle" and "空闲" or "已连接")) end)

step("deep sleep off, RRC reports, direct receive mode, lifetime 86400 s (from the next boot: this registration keeps the lifetime set before)",
  "关闭深休眠,RRC 状态上报,直吐模式,lifetime 86400 秒(下次开机起生效:本次注册仍使用之前设置的生命周期)")
assert(m:sleep_mode("off"))                -- AT+QSCLK=0
assert(m:set_rrc_reports(true))            -- AT+CSCON=1: the `rrc` event
assert(m:set_receive_mode("direct"))       -- AT+NNMI=1: downlinks come as +NNMI: <len>,<hex>
print("   IP " .. assert(show:during(progress.NETWORK, 60, m.wait_ip, m)))  -- AT+CGPADDR? until attached
assert(m:set_lifetime(86400))              -- AT+NCFG=0,86400 (used from the next boot)

step("register with the AEP", "连接 AEP 平台")
assert(show:during(progress.REGISTRATION, 126, m.connect, m,
  {host = "221.229.214.202", port = 5683}))  -- +QLWEVTIND: 0, then 3
print(say("   registered and observed", "   已注册并已订阅"))

step("NON uplink with RAI 1: the network lets go of the RRC connection at once",
  "发送 RAI 为 1 的 NON 数据:网络立即释放 RRC 连接")
local idle = loop.future()
local h = m:on("rrc", function(state) if state == "idle" then idle:set(true) end end)
assert(m:send("\1\5HELLO", {rai = 1}))     -- AT+NMGS=7,"010548454C4C4F",1
print(say("   RRC released: ", "   RRC 已释放:") .. yes(idle:get(30) == true))
h:off()

step("deep sleep", "深休眠")
local asleep = loop.future()
h = m:on("deepsleep", function() asleep:set(true) end)
assert(m:sleep_mode("deep"))               -- AT+QSCLK=1
-- The module sleeps once RRC is idle and T3324 runs out (about a minute on the network).
print(say("   entered deep sleep: ", "   已进入深休眠:") ..
  yes(show:during(progress.DEEPSLEEP, 180, asleep.get, asleep, 180) == true))
h:off()

step("wake up and send a CON uplink with RAI 2", "唤醒后发送 RAI 为 2 的 CON 数据")
local resumed = m:on("resumed", function()
  print(say("   session restored (+QLWEVTIND: 6)", "   会话已恢复(+QLWEVTIND: 6)"))
end)
assert(show:during(progress.WAKE, nil, m.sleep_mode, m, "off"))  -- the Modem wakes the module first
assert(show:during(progress.CON_ACK, 100, m.send, m, "\1\5HELLO", {con = true, rai = 2}))  -- +QLWEVTIND: 4
resumed:off()
local status, name = assert(m:uplink_status())      -- AT+QLWULDATASTATUS?
print(say("   CON status %d (%s)", "   CON 发送状态 %d(%s)"):format(status, say(name, CON_STATUS_ZH[status] or name)))
assert(m:sleep_mode("deep"))

step("a command from the platform", "平台下发的命令")
if m.platform then m.platform:queue_downlink("\2\1ON") end  -- the virtual platform only
local data = show:during(progress.DOWNLINK, command_wait, m.receive, m, {timeout = command_wait})
if data then
  print(say("   downlink of %d bytes: %s", "   下行数据 %d 字节:%s"):format(#data, (data:gsub(".", function(c)
    return ("%02X"):format(c:byte()) end))))
else
  print(say("   no downlink within %g s", "   %g 秒内没有下行数据"):format(command_wait))
end

assert(show:during(progress.DEREGISTER, 124, m.close, m))  -- AT+NCDPCLOSE, until DEREGISTERED
print(say("done", "完成"))
