-- peer_self_spec.lua: spec/peer/peer.py itself, so that a failing guide session means the
-- host, not the peer. A host that sends exactly the guide's 4.1.2 lines (raw m:at, after
-- the setup book's init) completes the session; one extra command, a missing one, or a
-- command while the peer still prints the DFOTA lines fails it with the session line.
local lu = require("luaunit")
local bc260y = require("bc260y")
local peer = require("peer_process")

local S = peer.SOURCE
local BOOK = S .. "/spec/peer/books/setup.txt"

local function session(name, extra)
  local args = {"session", S .. "/spec/transcripts/" .. name, "--book", BOOK, "--timeout", "20",
                "--gap", "0.05"}
  for _, a in ipairs(extra or {}) do args[#args + 1] = a end
  return peer.start(args)
end

-- Runs fn(m) against the peer in a task; returns the peer's verdict.
local function drive(p, fn)
  bc260y.run(function()
    local m = assert(bc260y.open(p.path))
    assert(m:init())
    fn(m)
    m:close{deregister = false}
  end)
  return p:finish()
end

local GUIDE_4_1_2 = {
  "AT+NNMI=2", "AT+CGPADDR?", 'AT+NCDPOPEN="180.101.147.115",5683', 0.3,
  "AT+NMGS=5,00454c4c4f", 0.2, "AT+NQMGR", "AT+NMGR", "AT+NQMGR", "AT+QSCLK=1", 0.4,
  "AT+QSCLK=0", "AT+NNMI=1", 'AT+NMGS=7,"010548454c4c4f",100', 0.3, "AT+QLWULDATASTATUS?",
  "AT+QSCLK=1", 0.1,
}

local function play(m, steps, skip)
  for i, s in ipairs(steps) do
    if i ~= skip then
      if type(s) == "number" then bc260y.sleep(s) else m:at(s, {timeout = 2}) end
    end
  end
end

function test_the_guide_s_own_host_passes()
  local ok, msg = drive(session("4_1_2_iot.txt"), function(m) play(m, GUIDE_4_1_2) end)
  lu.assertEquals(msg, "")
  lu.assertTrue(ok)
end

function test_an_extra_command_fails_naming_the_line()
  local ok, msg = drive(session("4_1_2_iot.txt"), function(m)
    m:at("AT+NNMI=2", {timeout = 2})
    m:at("AT+CSQ", {timeout = 2})
  end)
  lu.assertFalse(ok)
  lu.assertStrContains(msg, "host sent 'AT+CSQ'; the session expects at line 7 (host: AT+CGPADDR?)")
end

function test_a_missing_command_fails()
  local ok, msg = drive(session("4_1_2_iot.txt"), function(m) play(m, GUIDE_4_1_2, 2) end)
  lu.assertFalse(ok)
  lu.assertStrContains(msg, "line 7 (host: AT+CGPADDR?)")
end

function test_a_command_during_the_dfota_lines_fails()
  local p = session("5_2_5_dfota_aep.txt", {"--start", "first-byte"})
  local ok, msg = drive(p, function(m)
    -- init sent the session's first line, AT+CGPADDR?
    for _, c in ipairs({"AT+QSCLK=0", "AT+NCFG=0,86400",
                        'AT+NCDPOPEN="221.229.214.202",5683'}) do
      m:at(c, {timeout = 2})
    end
    bc260y.sleep(0.6) -- the peer is printing the download lines now
    -- The Modem itself refuses every command from the first FOTA line (code "busy"):
    -- only the explicit override gets one to the wire, which the peer must catch.
    lu.assertEquals(select(3, m:at("AT+CGPADDR?", {timeout = 2})), "busy")
    m:at("AT+CGPADDR?", {timeout = 2, ignore_busy = true})
  end)
  lu.assertFalse(ok)
  lu.assertStrContains(msg, "host sent 'AT+CGPADDR?' during DFOTA")
end

os.exit(lu.LuaUnit.run())
