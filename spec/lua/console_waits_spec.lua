-- console_waits_spec: the console's waits (bc260y.console.waits) start and end on what the
-- C decoder makes of a line (core.decode), in either spacing the module prints, and a
-- line the decoder refuses settles nothing.
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

os.exit(lu.LuaUnit.run(), true)
