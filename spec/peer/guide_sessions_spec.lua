-- guide_sessions_spec.lua: the guide's four example sessions (spec/transcripts, as
-- printed) drive the Lua API. spec/peer/peer.py plays the module's side of a session on
-- a pty, and the matching example (which runs the Modem, or dfota.run for DFOTA) runs
-- against it as its own process, under a time limit. A session passes when the example
-- completes (exit 0) and the peer saw exactly the session's host lines in order: any
-- other command at any point fails it, and so does any command while the session's
-- module is still printing (for DFOTA: from the first FOTA URC to the reboot).
-- The host's setup and teardown, which the guide does not print (AT, ATE0, ATI, ...;
-- AT+NCDPCLOSE), are answered from spec/peer/books/setup.txt before the session's first
-- host line and after its last.
--
-- One session by hand (from the build directory):
--   ctest -R guide_4_1_2 -V        or
--   lua5.4 ../spec/peer/guide_sessions_spec.lua -v -p test_4_1_2   (with the spec env)
local lu = require("luaunit")
local peer = require("peer_process")

local LIMIT = 60 -- seconds for the whole session, host and peer alike

local function run_session(transcript, peer_args, example, example_args)
  local args = {"session", peer.SOURCE .. "/spec/transcripts/" .. transcript,
                "--book", peer.SOURCE .. "/spec/peer/books/setup.txt", "--timeout", tostring(LIMIT)}
  for _, a in ipairs(peer_args) do args[#args + 1] = a end
  local p = peer.start(args)
  lu.assertNotNil(p.path, "the peer did not start")
  local log = os.tmpname()
  local cmd = ("timeout %d %s run %s --port %s --trace %s > %s 2>&1"):format(
    LIMIT + 5, peer.quote(peer.BINARY .. "/bin/bc260y"),
    peer.quote(peer.SOURCE .. "/examples/" .. example), peer.quote(p.path),
    example_args or "", peer.quote(log))
  local host_ok, _, host_code = os.execute(cmd)
  local peer_ok, peer_msg = p:finish()
  local f = io.open(log)
  local host_out = f:read("a")
  f:close()
  os.remove(log)
  if not (host_ok and peer_ok) then
    print(("---- %s: the host's side (last lines)"):format(example))
    local lines = {}
    for l in host_out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    print(table.concat(lines, "\n", math.max(1, #lines - 25)))
  end
  lu.assertEquals(peer_msg, "", "the session as printed was not followed")
  lu.assertTrue(host_ok, ("%s did not complete (exit %s%s)"):format(example, tostring(host_code),
    host_code == 124 and ": killed after the time limit" or ""))
  lu.assertTrue(peer_ok, "the peer did not finish the session")
end

-- 4.1.2: IoT platform, buffer mode with indications, then direct mode and a CON uplink.
function test_4_1_2()
  run_session("4_1_2_iot.txt", {}, "telecom_iot.lua")
end

-- 4.2.2: CTWing AEP from power-on (the boot banner comes first), RAI 1 and 2.
function test_4_2_2()
  -- The session has no command from the platform at the end: wait 3 s for it, not 30.
  run_session("4_2_2_aep.txt", {"--start", "first-byte"}, "ctwing_aep.lua", "-- 3")
end

-- 5.1.6.2: IoT platform DFOTA; the guide begins at DOWNLOADING,512 after the uplink that
-- triggered it (registration and that uplink: books/5_1_6_2_before.txt). After END,0 the
-- module prints only +CPIN: READY, and the host must register again.
function test_5_1_6_2()
  run_session("5_1_6_2_dfota_iot.txt",
    {"--book", peer.SOURCE .. "/spec/peer/books/5_1_6_2_before.txt", "--start", "after:AT+NMGS"},
    "dfota.lua", "-- iot")
end

-- 5.2.5: AEP DFOTA from registration; again only +CPIN: READY after END,0.
function test_5_2_5()
  run_session("5_2_5_dfota_aep.txt", {"--start", "first-byte"}, "dfota.lua", "-- aep")
end

os.exit(lu.LuaUnit.run())
