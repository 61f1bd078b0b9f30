-- telecom_iot.lua: the guide's chapter 4.1.2 session with China Telecom's IoT platform,
-- step by step and in the guide's order (spec/peer plays that session against it): buffer
-- mode with indications (AT+NNMI=2), the IP address (AT+CGPADDR?), register with
-- 180.101.147.115:5683, an uplink answered by the platform (AAAA0000 with "response to
-- uplink" on), the buffer counters (AT+NQMGR) before and after draining it (AT+NMGR),
-- deep sleep and wake-up, then direct mode and a CON uplink with its delivery status.
--
--   bc260y run examples/telecom_iot.lua                  the virtual module
--   bc260y run examples/telecom_iot.lua --port /dev/ttyUSB0 --trace   real hardware
-- Settings: this example plays the guide's session command for command (spec/peer checks
-- it), so its choices are the guide's rather than the cheapest: the first uplink is NON
-- with no RAI (RAI 0), because the platform's answer (AAAA0000) must still find the radio
-- up; RAI 1 would release it before the answer came (docs/battery.md: RAI 0 costs about
-- three times RAI 1 when nothing answers). The CON uplink shows the delivery status, and
-- deep sleep is on again at the end. A device that only reports: examples/sensor_loop.lua.
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local i18n = require("bc260y.i18n")
local progress = require("bc260y.progress")

-- The steps read in English or Chinese (--lang, BC260Y_LANG, LANG).
local function say(en, zh) return i18n.pick({en = en, zh = zh}) end

local function hex(s)
  return (s:gsub(".", function(c) return ("%02X"):format(c:byte()) end))
end

local function step(en, zh) print("== " .. say(en, zh)) end
-- A yes/no answer in the language read (tostring's true/false in English).
local function yes(ok) return say(tostring(ok), ok and "是" or "否") end
-- The CON status's name (AT+QLWULDATASTATUS?, guide 2.3.8) in Chinese.
local CON_STATUS_ZH = {[0] = "未发送", "已发送,等待平台响应", "发送失败", "超时", "成功", "收到 RESET 消息"}

local function show_counters(m)
  local q = assert(m:queue_stats())        -- AT+NQMGR
  print(("   BUFFERED=%d RECEIVED=%d DROPPED=%d"):format(q.buffered, q.received, q.dropped))
  return q
end

local m = assert(bc260y.open{progress = false})  -- it shows its waits itself (show, below)
local show = progress.new{modem = m}       -- each wait: what, how long, the guide's limit
-- AT, ATE0, AT+CMEE=1, ATI, AT+CGSN=1, AT+NNMI?, AT+CSCON=1; the address comes below,
-- where the guide asks for it.
local info = assert(m:init{attach = false})
print(say("module %s %s, IMEI %s", "模块 %s %s,IMEI %s"):format(info.model, info.revision, info.imei))
-- The platform answers every uplink with AAAA0000 when "response to uplink" is on;
-- the virtual platform is told so here (a real one is configured on its web console).
if m.platform then m.platform:set_auto_reply(true) end

step("buffer mode with indications, register with the IoT platform", "带指示的缓存模式,连接电信 IoT 平台")
assert(m:set_receive_mode("indicate"))     -- AT+NNMI=2
print("   IP " .. assert(show:during(progress.NETWORK, 60, m.wait_ip, m)))  -- AT+CGPADDR? until attached
assert(show:during(progress.REGISTRATION, 126, m.connect, m, {host = "180.101.147.115", port = 5683}))

step("uplink; the answer waits in the module's buffer", "上行数据;平台的回复缓存在模块中")
local indicated = loop.future()
local h = m:on("urc", function(line) if line == "+NNMI" then indicated:set(true) end end)
assert(m:send("\0ELLO"))                   -- AT+NMGS=5,00454C4C4F (NON, RAI 0: no type)
print(say("   +NNMI indication: ", "   +NNMI 指示:") .. yes(indicated:get(30) == true))
h:off()
show_counters(m)
local data = assert(m:receive{timeout = 30})   -- AT+NMGR
print(("   +NMGR: %d,%s"):format(#data, hex(data)))
show_counters(m)

step("deep sleep, then wake up", "深休眠,然后唤醒")
local asleep = loop.future()
h = m:on("deepsleep", function() asleep:set(true) end)
assert(m:sleep_mode("deep"))               -- AT+QSCLK=1
print(say("   entered deep sleep: ", "   已进入深休眠:") ..
  yes(show:during(progress.DEEPSLEEP, 180, asleep.get, asleep, 180) == true))
h:off()
h = m:on("resumed", function() print(say("   session restored (+QLWEVTIND: 6)", "   会话已恢复(+QLWEVTIND: 6)")) end)
assert(show:during(progress.WAKE, nil, m.sleep_mode, m, "off"))  -- wakes the module, then AT+QSCLK=0
h:off()

step("direct mode, CON uplink", "直吐模式,CON 数据")
assert(m:set_receive_mode("direct"))       -- AT+NNMI=1
assert(show:during(progress.CON_ACK, 100, m.send, m, "\1\5HELLO", {con = true}))  -- AT+NMGS=7,010548454C4C4F,100; +QLWEVTIND: 4
data = m:receive{timeout = 30}             -- +NNMI: 4,AAAA0000
print(say("   downlink: ", "   下行数据:") .. (data and hex(data) or say("none", "无")))
local status, name = assert(m:uplink_status())  -- AT+QLWULDATASTATUS?
print(say("   CON status %d (%s)", "   CON 发送状态 %d(%s)"):format(status, say(name, CON_STATUS_ZH[status] or name)))
assert(m:sleep_mode("deep"))

assert(show:during(progress.DEREGISTER, 124, m.close, m))
print(say("done", "完成"))
