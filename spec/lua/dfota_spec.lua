-- dfota_spec: bc260y.dfota against the virtual module and platform: the guide's DFOTA
-- sequences on both platforms (5.2.5 AEP: job at registration, 5.1.6.2 IoT: job after
-- uplinks), each failure the guide names (DOWNLOAD 2/4/9, END 255), power lost during the
-- update, data calls refused as "busy", the registration again with the same parameters,
-- the trigger giving up, and bad options.
local lu = require("luaunit")
local bc260y = require("bc260y")
local dfota = require("bc260y.dfota")

local SPEED = 50
local AEP = {host = "221.229.214.202", port = 5683}
local AEP_DTLS = {host = "221.229.214.202", port = 5684} -- the encrypted port
local IOT = {host = "180.101.147.115", port = 5683}

-- Runs fn(m, s, wire) with a fresh virtual module (deep sleep on after boot, as the real
-- module); wire collects every line to the module.
local function with_modem(simopts, fn)
  return bc260y.run(function()
    local wire = {}
    local m = assert(bc260y.open("sim", {speed = SPEED, sim = simopts or {},
      trace = function(dir, line) if dir == "out" then wire[#wire + 1] = line end end}))
    local s = m.sim
    local results = table.pack(pcall(fn, m, s, wire))
    m:close({deregister = false})
    if not results[1] then error(results[2], 0) end
    return table.unpack(results, 2, results.n)
  end)
end

local function opts(base, extra)
  local o = {}
  for k, v in pairs(base) do o[k] = v end
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local function stage_names(r)
  local out, last = {}, nil
  for _, st in ipairs(r.stages) do
    -- Collapse the repeated progress lines: the order of stages is what matters here.
    if st.stage ~= last then out[#out + 1] = st.stage end
    last = st.stage
  end
  return table.concat(out, ",")
end

local function values(r, stage)
  local out = {}
  for _, st in ipairs(r.stages) do
    if st.stage == stage then out[#out + 1] = st.value end
  end
  return out
end

-- Index of the first wire line matching pattern at or after `from`.
local function find_line(wire, pattern, from)
  for i = from or 1, #wire do
    if wire[i]:find(pattern) then return i end
  end
  return nil
end

TestDfotaSuccess = {}

-- Guide 5.2.5: the AEP starts the job when the device registers.
function TestDfotaSuccess:test_aep_sequence()
  with_modem({}, function(m, s, wire)
    local job = s.platform:create_fota_job{size = 2048, trigger = "register"}
    assert(m:init())
    local seen = {}
    local r = dfota.run(m, opts(AEP, {lifetime = 86400,
      on_stage = function(stage, value) seen[#seen + 1] = stage .. (value and ("=" .. tostring(value)) or "") end}))
    lu.assertTrue(r.ok, r.reason)
    lu.assertEquals(r.outcome, "updated")
    lu.assertEquals(stage_names(r), "registered,observed,download_start,downloading,downloaded,"
      .. "update_start,updating,ended,rebooted,reregistered,unobserved,done")
    lu.assertEquals(values(r, "downloading"), {512, 1024, 1536, 2048})
    lu.assertEquals(r.bytes, 2048)
    lu.assertEquals(r.percent, 100)
    lu.assertEquals(values(r, "ended"), {0})
    lu.assertEquals(seen[#seen], "done=updated")
    lu.assertEquals(r.revision_before, "BC260YCNAAR02A02")
    lu.assertEquals(r.revision_after, "BC260YCNAAR02A03")
    lu.assertEquals(job.state, "succeeded")
    for _, k in ipairs({"download", "update", "reboot", "reregister", "confirm", "total"}) do
      lu.assertTrue(r.timings[k] >= 0, k)
    end
    lu.assertTrue(r.timings.total >= r.timings.download + r.timings.update)
    -- The guide's order on the wire: QSCLK=0 before NCFG and NCDPOPEN, and the same again
    -- after the update's reboot.
    local q1 = find_line(wire, "^AT%+QSCLK=0")
    local n1 = find_line(wire, "^AT%+NCFG=0,86400", q1)
    local o1 = find_line(wire, '^AT%+NCDPOPEN="221.229.214.202",5683$', n1)
    lu.assertNotNil(o1, table.concat(wire, "\n"))
    local q2 = find_line(wire, "^AT%+QSCLK=0", o1 + 1)
    local n2 = find_line(wire, "^AT%+NCFG=0,86400", q2)
    local o2 = find_line(wire, '^AT%+NCDPOPEN="221.229.214.202",5683$', n2)
    lu.assertNotNil(o2, table.concat(wire, "\n"))
    -- Never a reset, never a data command while the job ran.
    lu.assertNil(find_line(wire, "QRST"))
    lu.assertNil(find_line(wire, "CFUN=0"))
    lu.assertNil(find_line(wire, "^AT%+NMG[SR]"))
    local d = s.platform:device()
    lu.assertEquals(d.registrations, 2)
    lu.assertEquals({d.host, d.port, d.lifetime}, {"221.229.214.202", 5683, 86400})
    -- Normal work afterwards.
    lu.assertTrue(m:send("\1\2", {con = true}))
  end)
end

-- open()'s progress option hears the download (bytes) and the update (percent), each
-- from its start line to its end line.
function TestDfotaSuccess:test_progress_of_the_download_and_the_update()
  local seen = {}
  bc260y.run(function()
    local m = assert(bc260y.open("sim", {speed = SPEED, progress = function(ev)
      if ev.what:match("^progress%.fota") then
        seen[#seen + 1] = ev.what:sub(15) .. ":" .. ev.phase .. (ev.value and ("=" .. ev.value) or "")
      end
    end}))
    m.sim.platform:create_fota_job{size = 1024, trigger = "register"}
    assert(m:init())
    local r = dfota.run(m, AEP)
    m:close({deregister = false})
    lu.assertTrue(r.ok, r.reason)
  end)
  -- (at speed 50 a timer tick may repeat the last figure: only a change counts)
  local figures = {}
  for _, e in ipairs(seen) do
    if e ~= figures[#figures] then figures[#figures + 1] = e end
  end
  lu.assertEquals({table.unpack(figures, 1, 5)},
    {"download:start", "download:tick=512", "download:tick=1024", "download:done=1024", "update:start"})
  lu.assertEquals({table.unpack(figures, #figures - 1)}, {"update:tick=100", "update:done=100"})
  lu.assertTrue(#figures > 8, "the update's percentages") -- 2, 9, ... 100
end

-- Guide 5.1.6.2: the IoT platform starts the job after uplinks; a few may be needed
-- (5.3.3). The receive mode the application chose is restored after the reboot.
function TestDfotaSuccess:test_iot_sequence_triggered_by_uplinks()
  with_modem({}, function(m, s)
    local job = s.platform:create_fota_job{size = 1024, trigger = "uplink", uplinks = 2}
    assert(m:init())
    assert(m:set_receive_mode("indicate"))
    local r = dfota.run(m, opts(IOT, {start_wait = 5,
      trigger = {data = "\0\69\76\76\79", tries = 3, wait = 10}}))
    lu.assertEquals(r.outcome, "updated", r.reason)
    lu.assertEquals(r.trigger_uplinks, 2)
    local ups = s.platform:uplinks()
    lu.assertEquals(#ups, 2)
    lu.assertEquals(ups[1].data, "\0\69\76\76\79")
    lu.assertEquals(job.state, "succeeded")
    lu.assertEquals(m:state().receive_mode, "indicate")
    lu.assertEquals(s:state().nnmi, 2)
    lu.assertEquals(s:state().qsclk, 0)
    local d = s.platform:device()
    lu.assertEquals(d.registrations, 2)
    lu.assertEquals(d.host, "180.101.147.115")
  end)
end

-- An encrypted device registers again with its psk (the platform refuses it otherwise).
function TestDfotaSuccess:test_reregistration_with_psk()
  local psk = "00112233445566778899AABBCCDDEEFF"
  with_modem({psk = psk}, function(m, s)
    s.platform:create_fota_job{size = 512}
    assert(m:init())
    local r = dfota.run(m, opts(AEP_DTLS, {psk = psk, lifetime = 3600}))
    lu.assertEquals(r.outcome, "updated", r.reason)
    lu.assertEquals(s.platform:device().registrations, 2)
    lu.assertEquals(s.platform:device().lifetime, 3600)
  end)
end

-- Already registered when the job comes (the application connected first).
function TestDfotaSuccess:test_already_connected()
  with_modem({}, function(m, s)
    assert(m:init())
    assert(m:connect(AEP))
    s.platform:create_fota_job{size = 512, trigger = "uplink"}
    local r = dfota.run(m, opts(AEP, {start_wait = 1}))
    lu.assertEquals(r.outcome, "updated", r.reason)
    lu.assertEquals(r.trigger_uplinks, 1)
  end)
end

-- The application never called init: run does (echo off, an IP) before registering.
function TestDfotaSuccess:test_without_init()
  with_modem({}, function(m, s, wire)
    s.platform:create_fota_job{size = 512}
    local r = dfota.run(m, opts(AEP))
    lu.assertEquals(r.outcome, "updated", r.reason)
    lu.assertEquals(r.revision_before, "BC260YCNAAR02A02")
    lu.assertTrue(find_line(wire, "^ATE0") < find_line(wire, "^AT%+NCDPOPEN"))
  end)
end

TestDfotaFailures = {}

local function failing(fail, outcome, code, pattern)
  with_modem({}, function(m, s)
    local job = s.platform:create_fota_job{size = 2048, fail = fail}
    assert(m:init())
    local r = dfota.run(m, opts(AEP, {result_timeout = 20}))
    lu.assertFalse(r.ok)
    lu.assertEquals(r.outcome, outcome)
    lu.assertEquals(r.code, code)
    lu.assertStrContains(r.reason, pattern)
    lu.assertEquals(job.state, "failed")
    -- Normal work resumes at once: no longer busy, still registered, data goes out.
    lu.assertFalse(m:state().busy)
    lu.assertTrue(m:send("\7", {con = true}))
    lu.assertEquals(#s.platform:uplinks(), 1)
  end)
end

function TestDfotaFailures:test_download_out_of_memory()
  failing("download_2", "download_failed", "fota", "out of memory (DOWNLOAD,2)")
end

function TestDfotaFailures:test_download_link_lost()
  failing("download_4", "download_failed", "fota", "link was lost (DOWNLOAD,4)")
end

function TestDfotaFailures:test_download_invalid_uri()
  failing("download_9", "download_failed", "fota", "invalid package URI (DOWNLOAD,9)")
end

function TestDfotaFailures:test_update_failed()
  failing("end_255", "update_failed", "fota", "update failed (END,255)")
end

-- Power lost half way through the update: no END line, the old firmware boots; the
-- device registers again so the module reports the failure and the platform closes the job.
function TestDfotaFailures:test_power_loss_during_update()
  with_modem({}, function(m, s)
    local job = s.platform:create_fota_job{size = 1024, fail = "power_loss"}
    assert(m:init())
    local r = dfota.run(m, opts(AEP, {lifetime = 86400}))
    lu.assertEquals(r.outcome, "interrupted")
    lu.assertEquals(r.code, "reboot")
    lu.assertStrContains(r.reason, "updating")
    lu.assertNil(values(r, "ended")[1])
    lu.assertEquals(stage_names(r):match("rebooted,reregistered,unobserved,done$"),
      "rebooted,reregistered,unobserved,done")
    lu.assertEquals(job.state, "failed")
    lu.assertEquals(r.revision_after, "BC260YCNAAR02A02")
    lu.assertEquals(m:status(), "REGISTERED_AND_OBSERVED")
  end)
end

-- Power lost during the download: nothing to report afterwards (no +QLWEVTIND: 9 to
-- wait for), the device registers again and normal work resumes.
function TestDfotaFailures:test_power_loss_during_download()
  with_modem({}, function(m, s)
    local job = s.platform:create_fota_job{size = 4096}
    assert(m:init())
    local cut = false
    local r = dfota.run(m, opts(AEP, {result_timeout = 1000, on_stage = function(stage)
      if stage == "downloading" and not cut then
        cut = true
        s.faults:power_loss()
      end
    end}))
    lu.assertEquals(r.outcome, "interrupted")
    lu.assertStrContains(r.reason, "downloading")
    lu.assertEquals(stage_names(r):match("rebooted,reregistered,done$"), "rebooted,reregistered,done")
    lu.assertEquals(job.state, "failed")
    lu.assertTrue(r.timings.total < 1000 / SPEED) -- did not wait for a result
    lu.assertFalse(m:state().busy)
    lu.assertTrue(m:send("\1"))
  end)
end

-- Indicate mode: downlinks announced while the module downloads cannot be read then (no
-- command may reach it); once the failed download ends the quiet, every one is read and
-- delivered, oldest first.
function TestDfotaFailures:test_downlinks_announced_during_a_failed_download_are_delivered()
  with_modem({}, function(m, s)
    s.platform:create_fota_job{size = 8192, fail = "download_4"}
    assert(m:init())
    assert(m:set_receive_mode("indicate"))
    local got = {}
    m:on("downlink", function(data) got[#got + 1] = data end)
    local queued = false
    local r = dfota.run(m, opts(AEP, {result_timeout = 20, on_stage = function(stage)
      if stage == "downloading" and not queued then
        queued = true
        for i = 1, 3 do s.platform:queue_downlink("d" .. i) end
      end
    end}))
    lu.assertTrue(queued)
    lu.assertEquals(r.outcome, "download_failed")
    m:wait_for(function() return #got == 3 end, 60)
    lu.assertEquals(got, {"d1", "d2", "d3"})
    lu.assertEquals(s.platform:pending_downlinks(), 0)
  end)
end

-- The same announced downlinks, but the update succeeds: its reboot empties the module's
-- buffer, and the three are reported lost, not forgotten.
function TestDfotaSuccess:test_downlinks_announced_before_the_updates_reboot_are_reported_lost()
  with_modem({}, function(m, s)
    s.platform:create_fota_job{size = 8192}
    assert(m:init())
    assert(m:set_receive_mode("indicate"))
    local dropped = {}
    m:on("downlink_dropped", function(info) dropped[#dropped + 1] = info end)
    local queued = false
    local r = dfota.run(m, opts(AEP, {on_stage = function(stage)
      if stage == "downloading" and not queued then
        queued = true
        for i = 1, 3 do s.platform:queue_downlink("d" .. i) end
      end
    end}))
    lu.assertTrue(r.ok)
    m:wait_for(function() return #dropped > 0 end, 60)
    lu.assertEquals(dropped[1].reason, "reboot")
    lu.assertEquals(dropped[1].count, 3)
  end)
end

-- The port hangs up in the middle of the download: the procedure ends with the port's
-- error, and the Modem is closed for good: every call says so (never "busy", which a
-- script would wait out for ever), and its state is not busy.
function TestDfotaFailures:test_port_lost_during_the_update()
  with_modem({}, function(m, s)
    s.platform:create_fota_job{size = 8192}
    assert(m:init())
    local cut = false
    local r = dfota.run(m, opts(AEP, {on_stage = function(stage)
      if stage == "downloading" and not cut then
        cut = true
        s.faults:hangup()
      end
    end}))
    lu.assertEquals(r.code, "io")
    local ok, _, code = m:at("AT")
    lu.assertNil(ok)
    lu.assertEquals(code, "io")
    ok, _, code = m:send("x")
    lu.assertNil(ok)
    lu.assertEquals(code, "io")
    local st = m:state()
    lu.assertFalse(st.busy)
    lu.assertTrue(st.closed)
  end)
end

-- A device with deep sleep on gets an update job without a procedure running (no
-- dfota.run): +QLWEVTIND: 8 says the platform prepares it, DOWNLOAD START can follow at
-- soon after, and from then on no command may reach the module. The Modem turns deep sleep
-- off by itself on +QLWEVTIND: 8, before the first FOTA line (guide 5.3.3). (The module's
-- own delay from 8 to DOWNLOAD START, one module second, is what the host has: this test
-- runs at a tenth of the others' speed so that a loaded machine still has 200 ms.)
function TestDfotaSuccess:test_deep_sleep_goes_off_when_the_platform_prepares_an_update()
  with_modem({}, function(m, s)
    s:set_speed(5)
    local seen = {}
    m:on("fota", function(stage) seen[#seen + 1] = "fota " .. stage end)
    m:on("fota_observed", function() seen[#seen + 1] = "8" end)
    s.platform:create_fota_job{size = 1024}
    assert(m:init())
    assert(m:sleep_mode("deep"))
    assert(m:connect(AEP))
    m:wait_for(function() return #seen > 0 and seen[#seen] == "fota download_start" end, 60)
    lu.assertEquals(s:state().qsclk, 0, "deep sleep still on when the download started")
  end)
end

-- The same, but the download fails: the module did not reboot, so the sleep mode the
-- device had is set back.
function TestDfotaFailures:test_a_failed_update_gives_the_sleep_mode_back()
  with_modem({}, function(m, s)
    s:set_speed(5)
    local failed = false
    m:on("fota", function(stage, value) if stage == "download" and value ~= 0 then failed = true end end)
    s.platform:create_fota_job{size = 1024, fail = "download_4"}
    assert(m:init())
    assert(m:sleep_mode("deep"))
    assert(m:connect(AEP))
    m:wait_for(function() return s:state().qsclk == 0 end, 60)
    s:set_speed(SPEED) -- the rest needs no slow module
    m:wait_for(function() return failed end, 120)
    m:wait_for(function() return s:state().qsclk == 1 end, 60)
    lu.assertEquals(s:state().qsclk, 1)
  end)
end

-- The update's reboot comes without its banner (lost on the line): the Modem finds out
-- that the module is up (an AT, 30 module seconds after END,0), starts over as after a
-- reboot, and the procedure registers again as usual. Nothing stays busy for ever.
function TestDfotaSuccess:test_an_updates_reboot_whose_banner_is_lost_is_found_out()
  with_modem({}, function(m, s)
    s.platform:create_fota_job{size = 1024}
    assert(m:init())
    local errors = {}
    m:on("error", function(msg, code) errors[#errors + 1] = code end)
    local r = dfota.run(m, opts(AEP, {on_stage = function(stage)
      if stage == "download_start" then s.faults:lose_boot_banner() end
    end}))
    lu.assertTrue(r.ok, r.reason)
    lu.assertEquals(errors, {"reboot"})
    lu.assertFalse(m:state().busy)
    lu.assertEquals(m:status(), "REGISTERED_AND_OBSERVED")
  end)
end

-- The job stalls (no FOTA line for longer than stall_timeout): give up, say so.
function TestDfotaFailures:test_stall_timeout()
  with_modem({timings = {fota_block_time = 30}}, function(m, s)
    s.platform:create_fota_job{size = 4096}
    assert(m:init())
    local r = dfota.run(m, opts(AEP, {stall_timeout = 5}))
    lu.assertEquals(r.outcome, "timeout")
    lu.assertEquals(r.code, "timeout")
    lu.assertStrContains(r.reason, "no DFOTA progress for 5 s")
  end)
end

-- The Modem is closed under the procedure: it ends at once with the Modem's error.
function TestDfotaFailures:test_modem_closed_during_the_job()
  with_modem({}, function(m, s)
    s.platform:create_fota_job{size = 4096}
    assert(m:init())
    local r = dfota.run(m, opts(AEP, {on_stage = function(stage)
      if stage == "download_start" then
        require("bc260y").spawn(function() m:close() end)
      end
    end}))
    lu.assertEquals(r.outcome, "error")
    lu.assertEquals(r.code, "closed")
  end)
end

-- Deep sleep on (the module's default) would drop the download link: run turns it off.
function TestDfotaFailures:test_deep_sleep_turned_off_first()
  with_modem({qsclk = 1}, function(m, s)
    s.platform:create_fota_job{size = 1024}
    assert(m:init())
    assert(m:sleep_mode("deep"))
    local r = dfota.run(m, opts(AEP))
    lu.assertEquals(r.outcome, "updated", r.reason)
    lu.assertEquals(s:state().qsclk, 0)
  end)
end

TestDfotaBusy = {}

-- From DOWNLOAD START to the end of the update data calls fail with "busy" and nothing
-- reaches the module; afterwards they work again.
function TestDfotaBusy:test_data_calls_refused_during_the_job()
  with_modem({}, function(m, s, wire)
    s.platform:create_fota_job{size = 2048}
    assert(m:init())
    local during = {}
    local r = dfota.run(m, opts(AEP, {on_stage = function(stage)
      if stage == "downloading" and not during.send then
        during.send = true
        bc260y.spawn(function()
          during.send = table.pack(m:send("\1\2\3"))
          during.receive_mode = table.pack(m:set_receive_mode("buffer"))
          during.disconnect = table.pack(m:disconnect())
          during.state = m:state().busy
        end)
      elseif stage == "updating" and not during.update then
        during.update = true
        bc260y.spawn(function() during.update = table.pack(m:send("\4", {con = true})) end)
      end
    end}))
    lu.assertEquals(r.outcome, "updated", r.reason)
    lu.assertEquals({during.send[1], during.send[3]}, {nil, "busy"})
    lu.assertStrContains(during.send[2], "DFOTA")
    lu.assertEquals(during.receive_mode[3], "busy")
    lu.assertEquals(during.disconnect[3], "busy")
    lu.assertEquals(during.update[3], "busy")
    lu.assertIsString(during.state)
    lu.assertNil(find_line(wire, "^AT%+NMGS"))
    lu.assertNil(find_line(wire, "^AT%+NNMI=0"))
    lu.assertNil(find_line(wire, "^AT%+NCDPCLOSE"))
    lu.assertEquals(#s.platform:uplinks(), 0)
    lu.assertFalse(m:state().busy)
    lu.assertTrue(m:send("\1\2\3"))
  end)
end

TestDfotaTrigger = {}

function TestDfotaTrigger:test_trigger_gives_up_after_n_tries()
  with_modem({qsclk = 0}, function(m, s)
    s.platform:create_fota_job{size = 512, trigger = "uplink", uplinks = 5}
    assert(m:init())
    assert(m:connect(AEP))
    local ok, msg, code = dfota.trigger(m, {tries = 2, wait = 3, data = "\9"})
    lu.assertNil(ok)
    lu.assertEquals(code, "timeout")
    lu.assertStrContains(msg, "2 uplink")
    lu.assertEquals(#s.platform:uplinks(), 2)
    -- Three more do it.
    ok, msg = dfota.trigger(m, {tries = 5, wait = 3, data = "\9"})
    lu.assertTrue(ok)
    lu.assertEquals(msg, 3)
  end)
end

function TestDfotaTrigger:test_trigger_not_connected()
  with_modem({qsclk = 0}, function(m)
    assert(m:init())
    local ok, _, code = dfota.trigger(m, {tries = 2, wait = 1})
    lu.assertNil(ok)
    lu.assertEquals(code, "state")
  end)
end

function TestDfotaTrigger:test_no_job()
  with_modem({}, function(m, s)
    assert(m:init())
    local r = dfota.run(m, opts(AEP, {start_wait = 2, trigger = {tries = 2, wait = 2}}))
    lu.assertEquals(r.outcome, "no_job")
    lu.assertEquals(r.code, "timeout")
    lu.assertEquals(#s.platform:uplinks(), 2)
    r = dfota.run(m, opts(AEP, {start_wait = 1, trigger = false}))
    lu.assertEquals(r.outcome, "no_job")
    lu.assertEquals(#s.platform:uplinks(), 2)
  end)
end

function TestDfotaTrigger:test_registration_rejected()
  with_modem({register = false}, function(m)
    assert(m:init())
    local r = dfota.run(m, opts(AEP))
    lu.assertEquals(r.outcome, "error")
    lu.assertEquals(r.code, "rejected")
  end)
end

TestDfotaOptions = {}

function TestDfotaOptions:test_bad_options_raise()
  with_modem({qsclk = 0}, function(m, _, wire)
    local n = #wire
    lu.assertErrorMsgContains("host must be", dfota.run, m, {})
    lu.assertErrorMsgContains("unknown option 'hots'", dfota.run, m, {host = "1.2.3.4", hots = 1})
    lu.assertErrorMsgContains("host must be", dfota.run, m, {host = '1.2.3.4"\r\nAT+QRST=1'})
    lu.assertErrorMsgContains("port must be", dfota.run, m, {host = "1.2.3.4", port = 70000})
    lu.assertErrorMsgContains("stall_timeout must be", dfota.run, m, {host = "1.2.3.4", stall_timeout = -1})
    lu.assertErrorMsgContains("trigger data", dfota.run, m, {host = "1.2.3.4", trigger = {data = ""}})
    lu.assertErrorMsgContains("unknown trigger option", dfota.trigger, m, {triess = 2})
    lu.assertErrorMsgContains("expects a Modem", dfota.run, nil, {host = "1.2.3.4"})
    lu.assertEquals(#wire, n) -- nothing reached the module
  end)
end

-- A job object kept for the life of a device listens all the time: what it queues between
-- runs stays bounded.
function TestDfotaOptions:test_listener_is_bounded()
  local handlers = {}
  local fake = {on = function(_, name, fn)
    handlers[name] = fn
    return {off = function() handlers[name] = nil end}
  end}
  -- the Modem's m:listen, over the fake's handlers
  function fake.listen(self, filter) return require("bc260y.modem.listener").new(self, filter, function() end) end
  local job = dfota.new(fake, {host = "1.2.3.4"})
  for i = 1, 10000 do handlers.urc("+QLWEVTIND: 4", {kind = "qlwevtind", value = i % 2 == 0 and 4 or 3}) end
  handlers.urc("+QLWEVTIND: 8", {kind = "qlwevtind", value = 8})
  local L = job.listener
  lu.assertTrue(L.tail - L.head + 1 <= 256)
  lu.assertNotNil(L:find(function(ev) return ev.kind == "qlwevtind" and ev.value == 8 end)) -- the newest is kept
  job:close()
  lu.assertNil(handlers.urc)
  lu.assertNil(handlers.reboot)
end

os.exit(lu.LuaUnit.run())
