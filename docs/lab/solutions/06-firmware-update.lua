-- Lab 6, a firmware update (DFOTA): the platform drives it; the device keeps deep sleep
-- off, stays registered, keeps its hands off the module from DOWNLOAD START until the
-- update's reboot (no data commands, no reset, no power-off) and registers again after
-- the reboot so that the platform can read the result (+QLWEVTIND: 9 ends it).
local bc260y = require("bc260y")
local dfota = require("bc260y.dfota")
local explain = require("bc260y.console.explain")

local m = assert(bc260y.open())
local info = assert(m:init())
-- On the virtual platform the job is created here; on a real one, on its web console.
if m.platform then m.platform:create_fota_job{size = 2048, trigger = "register"} end

local last
local r = dfota.run(m, {
  host = "221.229.214.202", port = 5683, lifetime = 86400,
  on_stage = function(stage, value)
    -- one line per stage (the many downloading/updating steps are counted, not printed)
    if stage ~= last then print("stage " .. stage) end
    last = stage
  end,
})
print(("outcome %s, %d bytes downloaded"):format(r.outcome, r.bytes or 0))
print(("firmware %s -> %s"):format(info.revision, tostring(r.revision_after)))
print('+QIND: "FOTA","END",0 = ' .. explain.line('+QIND: "FOTA","END",0'))
print('+QIND: "FOTA","DOWNLOAD",4 = ' .. explain.line('+QIND: "FOTA","DOWNLOAD",4'))
m:close()
