-- Lab 10, DFOTA stage by stage: what bc260y.dfota.run does (lab 6), done by hand. The
-- platform's job starts at registration (+QLWEVTIND: 8: it observes /5/0/3); the module
-- downloads (+QIND: "FOTA","DOWNLOAD START", "DOWNLOADING",<bytes>, "DOWNLOAD",0),
-- updates ("START", "UPDATING",<percent>, "END",0) and restarts; the device then registers
-- again so that the platform reads the result (+QLWEVTIND: 9). From DOWNLOAD START to the
-- reboot the script sends nothing: a data command, a reset or a power-off there breaks
-- the update (guide 5.3.3).
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local explain = require("bc260y.console.explain")
local say = require("bc260y.i18n").pick       -- the line in the reader's language

local HOST = {host = "221.229.214.202", port = 5683}
local m = assert(bc260y.open())
local before = assert(m:init()).revision
local speed = m.sim and m.sim.clock.speed or 1 -- module seconds per real second

-- Task 1: deep sleep off for the whole job (5.3.3), and the job on the platform.
assert(m:sleep_mode("off"))                   -- AT+QSCLK=0
if m.platform then m.platform:create_fota_job{size = 2048, trigger = "register"} end

-- Task 2: every stage once, with its meaning (the progress lines are counted, not printed).
local last, steps = nil, 0
m:on("fota", function(stage, value)
  if stage == last then steps = steps + 1; return end
  last = stage
  local line = ({download_start = '+QIND: "FOTA","DOWNLOAD START"',
                 downloading = '+QIND: "FOTA","DOWNLOADING",' .. tostring(value),
                 download = '+QIND: "FOTA","DOWNLOAD",' .. tostring(value),
                 start = '+QIND: "FOTA","START"',
                 updating = '+QIND: "FOTA","UPDATING",' .. tostring(value),
                 ["end"] = '+QIND: "FOTA","END",' .. tostring(value)})[stage]
  print(("%s = %s"):format(stage, line and explain.line(line) or "?"))
end)
local rebooted, result_read = loop.future(), loop.future()
m:on("fota_observed", function() print(say{en = "the platform observes /5/0/3: a job is coming",
                                           zh = "平台观察 /5/0/3:升级任务即将开始"}) end)
m:on("reboot", function() rebooted:set(true) end)
m:on("fota_unobserved", function() result_read:set(true) end)

assert(m:connect(HOST))                       -- the job starts at this registration
-- Task 3: hands off until the update's reboot (at most 300 module seconds).
assert(rebooted:get(300 / speed), "no reboot")
print(say{en = "rebooted after %d progress lines: register again", zh = "已重启(中间有 %d 行进度):重新注册"}:format(steps))
local after = assert(m:init()).revision
assert(m:connect(HOST)) -- after the reboot
print(say{en = "the platform read the result: %s", zh = "平台已读取升级结果:%s"}
  :format(tostring(result_read:get(60 / speed) == true)))
-- Task 4: the firmware before and after.
print(say{en = "firmware %s -> %s", zh = "固件 %s -> %s"}:format(before, after))
assert(m:close())
