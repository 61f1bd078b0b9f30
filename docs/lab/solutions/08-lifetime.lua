-- Lab 8, the registration's lifetime: AT+NCFG=0,<lifetime> sets how long the platform
-- keeps the device registered without hearing from it (900 s at least: a smaller value
-- is raised to 900; 0 means the platform's default). It lives in NVRAM and counts from
-- the next boot. Before it runs out (at 90 % of it here) the module updates the
-- registration by itself and says +QLWEVTIND: 2; the host has nothing to do.
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local explain = require("bc260y.console.explain")
local say = require("bc260y.i18n").pick       -- the line in the reader's language

local HOST = {host = "221.229.214.202", port = 5683}
local m = assert(bc260y.open())
assert(m:init())
-- Module seconds: the virtual module's clock runs --speed times faster than the host's.
local speed = m.sim and m.sim.clock.speed or 1

-- Task 1: ask for 300 s and read back what the module keeps.
assert(m:set_lifetime(300))                   -- AT+NCFG=0,300
print(say{en = "asked 300 s, the module keeps %d s", zh = "设置 300 秒,模块保存为 %d 秒"}
  :format(assert(m:get_lifetime())))          -- AT+NCFG=0 -> +NCFG: 900

-- Task 2: the value counts from the next boot; reboot, then register.
local booted = loop.future()
local hb = m:on("reboot", function() booted:set(true) end)
m:at("AT+QRST=1")                             -- the module restarts at once
assert(booted:get(30 / speed), "no reboot")   -- its boot banner
hb:off()
assert(m:init())
assert(m:connect(HOST))
local t0 = bc260y.now()
if m.platform then
  print(say{en = "the platform registered the device for %d s", zh = "平台登记的生命周期为 %d 秒"}
    :format(m.platform:device().lifetime))
end

-- Task 3: wait (at most 1000 module seconds) for the module's own update.
local updated = loop.future()
local h = m:on("lifetime_updated", function() updated:set(true) end)
local seen = updated:get(1000 / speed) == true
h:off()
local minutes = (bc260y.now() - t0) * speed / 60
print(say{en = "+QLWEVTIND: 2 seen: %s, after about %d minutes", zh = "收到 +QLWEVTIND: 2:%s,约 %d 分钟后"}
  :format(tostring(seen), math.floor(minutes + 0.5)))
print("+QLWEVTIND: 2 = " .. explain.line("+QLWEVTIND: 2"))
print(say{en = "status: ", zh = "状态:"} .. assert(m:status()))

-- Task 4: close, and give the module its default back for the next exercise.
assert(m:set_lifetime(0))
assert(m:close())
