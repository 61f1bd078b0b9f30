-- Lab 6, a firmware update (DFOTA): the platform drives it; the device keeps deep sleep
-- off, stays registered, keeps its hands off the module from DOWNLOAD START until the
-- update's reboot (no data commands, no reset, no power-off) and registers again after
-- the reboot so that the platform can read the result (+QLWEVTIND: 9 ends it).
-- Task 4 runs two more jobs that fail on purpose and compares the outcomes.
local bc260y = require("bc260y")
local dfota = require("bc260y.dfota")
local explain = require("bc260y.console.explain")
local say = require("bc260y.i18n").pick       -- the line in the reader's language

local HOST = "221.229.214.202"
local m = assert(bc260y.open())
local info = assert(m:init())
-- On the virtual platform the job is created here; on a real one, on its web console.
if m.platform then m.platform:create_fota_job{size = 2048, trigger = "register"} end

local last
local r = dfota.run(m, {
  host = HOST, port = 5683, lifetime = 86400,
  on_stage = function(stage)
    -- one line per stage (the many downloading/updating steps are counted, not printed)
    if stage ~= last then print(say{en = "stage ", zh = "阶段 "} .. stage) end
    last = stage
  end,
})
print(say{en = "outcome %s, %d bytes downloaded", zh = "结果 %s,已下载 %d 字节"}:format(r.outcome, r.bytes or 0))
print(say{en = "firmware %s -> %s", zh = "固件 %s -> %s"}:format(info.revision, tostring(r.revision_after)))
print('+QIND: "FOTA","END",0 = ' .. explain.line('+QIND: "FOTA","END",0'))

-- Task 4: a download that loses its connection, an update that fails at the end.
for _, fail in ipairs({"download_4", "end_255"}) do
  if m.platform then m.platform:create_fota_job{size = 2048, trigger = "register", fail = fail} end
  local f = dfota.run(m, {host = HOST, port = 5683, lifetime = 86400})
  print(say{en = "fail = %s: outcome %s", zh = "fail = %s:结果 %s"}:format(fail, f.outcome))
end
print('+QIND: "FOTA","DOWNLOAD",4 = ' .. explain.line('+QIND: "FOTA","DOWNLOAD",4'))
print('+QIND: "FOTA","END",255 = ' .. explain.line('+QIND: "FOTA","END",255'))
m:close()
