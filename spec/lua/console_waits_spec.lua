-- console_waits_spec: the console's waits (bc260y.console.waits) start and end on what the
-- C decoder makes of a line (core.decode), in either spacing the module prints, and a
-- line the decoder refuses settles nothing; a wait with a limit gives up once the limit
-- has passed with no result.
local lu = require("luaunit")
local waits = require("bc260y.console.waits")

-- A tracker on a clock that stands still; its events as "what phase" strings.
local function tracker()
  local seen = {}
  local w = waits.new(function(ev) seen[#seen + 1] = ev.what .. " " .. ev.phase end, function() return 0 end)
  return w, seen
end

TestWaits = {}

function TestWaits:test_registration_ends_on_the_decoded_event_in_either_spacing()
  for _, line in ipairs({"+QLWEVTIND: 3", "+QLWEVTIND:3"}) do
    local w, seen = tracker()
    w:command_ok("AT+NCDPOPEN=1.2.3.4,5683")
    w:line("+QLWEVTIND: 0")
    w:line(line)
    lu.assertEquals(seen, {"progress.registration start", "progress.registration done"}, line)
  end
  local w, seen = tracker()
  w:command_ok("AT+NCDPOPEN=1.2.3.4,5683")
  w:line("+QLWEVTIND: -1")
  lu.assertEquals(seen, {"progress.registration start", "progress.registration failed"})
end

function TestWaits:test_a_line_the_decoder_refuses_settles_nothing()
  local w, seen = tracker()
  w:command_ok("AT+NMGS=2,AABB,100")
  for _, line in ipairs({"+QLWEVTIND: 4x", "+QLWEVTIND: 44", '+QIND: "FOTA","START",1'}) do w:line(line) end
  lu.assertEquals(seen, {"progress.con_ack start"})
  w:line("+QLWEVTIND: 4")
  lu.assertEquals(seen, {"progress.con_ack start", "progress.con_ack done"})
  w:stop()
end

function TestWaits:test_fota_waits_start_on_the_stage_and_end_on_its_result()
  local w, seen = tracker()
  w:line('+QIND: "FOTA","DOWNLOAD START"')
  w:line('+QIND: "FOTA","DOWNLOADING",512')
  w:line('+QIND: "FOTA","DOWNLOAD",4')
  w:line('+QIND:"FOTA","START"')
  w:line('+QIND: "FOTA","END",0')
  lu.assertEquals(seen, {"progress.fota_download start", "progress.fota_download failed",
                         "progress.fota_update start", "progress.fota_update done"})
end

-- (issue 25: "430 s (up to 126 s)" went on for ever; the clock here is the module's, set
-- by the test, and the tracker's once-a-second timer sees it)
function TestWaits:test_a_wait_with_no_result_gives_up_after_its_limit()
  local loop = require("bc260y.loop")
  local core = require("bc260y.core")
  local t, seen = 0, {}
  local w = waits.new(function(ev) seen[#seen + 1] = ev.what .. " " .. ev.phase end, function() return t end)
  loop.run(function()
    w:command_ok('AT+NCDPOPEN="1.2.3.4",5683')
    t = 126 -- at the limit: the module's own verdict may still come
    local deadline = core.now() + 20
    while #seen < 2 and core.now() < deadline do loop.sleep(0.05) end
    lu.assertEquals(seen, {"progress.registration start", "progress.registration tick"})
    t = 128
    while seen[#seen] == "progress.registration tick" and core.now() < deadline do loop.sleep(0.05) end
    w:stop()
  end)
  lu.assertEquals(seen[#seen], "progress.registration gave_up")
end

os.exit(lu.LuaUnit.run(), true)
