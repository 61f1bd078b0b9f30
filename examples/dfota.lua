-- dfota.lua: a firmware update over the air (DFOTA), the guide's chapter 5.2.5 (CTWing AEP:
-- the job starts when the device registers) or 5.1.6.2 (IoT platform: the job starts after
-- an uplink). bc260y.dfota does the host's part: deep sleep off, register, trigger the job
-- with uplinks if needed, keep out of the way while the module downloads and updates, and
-- register again after its reboot so the platform can read the result. A progress bar
-- shows the download (bytes) and the update (percent) on a terminal; plain lines otherwise.
-- The job itself is created on the platform's web console (package, devices, start):
-- docs/dfota.md walks through it for both platforms.
--
--   bc260y run examples/dfota.lua [-- aep|iot]          the virtual module (it creates a job)
--   bc260y run examples/dfota.lua --port /dev/ttyUSB0 -- aep    real hardware
-- Settings: a firmware job is the one time a device pays for staying awake: deep sleep
-- is off from the registration to the end of the job (guide 5.3.3: a sleeping module
-- misses the download), and the IoT platform's trigger uplink is NON with RAI 0, because
-- the platform starts the job in answer to it and RAI 1 would release the radio first.
-- After the job a device goes back to its cheap settings (examples/sensor_loop.lua).
local bc260y = require("bc260y")
local dfota = require("bc260y.dfota")
local i18n = require("bc260y.i18n")
local progress = require("bc260y.progress")

local function say(en, zh) return i18n.pick({en = en, zh = zh}) end

local which = (...) or "aep"
-- The AEP starts a job when the device registers (5.2.5): wait 10 s for it. The IoT
-- platform starts it on the device's next uplink (5.1.6.2): send one after 1 s.
local PLATFORMS = {
  aep = {host = "221.229.214.202", port = 5683, lifetime = 86400, trigger = "register", start_wait = 10},
  iot = {host = "180.101.147.115", port = 5683, trigger = "uplink", start_wait = 1},
}
local p = PLATFORMS[which] or error("usage: dfota.lua [aep|iot]", 0)

local m = assert(bc260y.open{progress = false})  -- it shows its waits itself (show, below)
-- A terminal gets one line redrawn in place; a pipe or a log file gets plain lines.
local show = progress.new{modem = m}
local function bar(label, fraction, text) show:bar(label, fraction, text) end
local function line(text) show:line(text) end
-- The address (AT+CGPADDR?) is dfota.run's first step, where the guide asks for it.
local info = assert(m:init{attach = false})
print(say("module %s, firmware %s", "模块 %s,固件 %s"):format(info.model, info.revision))

local size -- package size, when known (the virtual platform's job; the module does not say)
if m.platform then
  local job = m.platform:create_fota_job{size = 10240, trigger = p.trigger}
  size = job.size
end

local r = dfota.run(m, {
  host = p.host, port = p.port, lifetime = p.lifetime, start_wait = p.start_wait,
  trigger = {data = "\1\5HELLO", tries = 3},
  -- (the stages' and outcomes' texts are the message catalogue's, lua/bc260y/messages.lua)
  on_stage = function(stage, value)
    if stage == "downloading" then
      bar(i18n.t("dfota.bar_download"), size and value / size or 0,
        size and i18n.t("dfota.of_bytes", value, size) or i18n.t("dfota.bytes", value))
    elseif stage == "updating" then
      bar(i18n.t("dfota.bar_update"), value / 100, ("%d%%"):format(value))
    elseif stage == "downloaded" then
      line(i18n.t("dfota.stage.downloaded"))
    elseif stage == "ended" then
      line(i18n.t("dfota.stage.ended", value))
    elseif stage ~= "done" then
      line("-> " .. i18n.t("dfota.stage." .. stage) .. (value and (" " .. tostring(value)) or ""))
    end
  end,
})

print(i18n.t("dfota.outcome", i18n.t("dfota.outcome." .. r.outcome), r.reason and say(" (" .. r.reason .. ")", "(" .. r.reason .. ")") or ""))
print(i18n.t("dfota.firmware", tostring(r.revision_before), tostring(r.revision_after or r.revision_before)))
local t = r.timings
print(i18n.t("dfota.timings", t.download or 0, t.update or 0, t.reboot or 0, t.reregister or 0, t.total))
m:close()
return r.ok and 0 or 1
