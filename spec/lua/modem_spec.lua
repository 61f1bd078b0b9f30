-- modem_spec: the README.md example session end to end (task style, then blocking style)
-- against a scripted peer on a pseudo-terminal. CMake also runs this spec under valgrind
-- memcheck: the whole Lua API path over the C module with no leak or invalid access.
local lu = require("luaunit")
local bc260y = require("bc260y")
local peer = require("peer")

local function script_session(p)
  p:script_init()
  p:ok("AT+NCFG=0,86400")
  p:ok("AT+NNMI=1")
  p:script_connect("221.229.214.202", 5683)
  -- CON uplink, acknowledged, and the platform's AAAA0000 answer in the same write
  p:ok("AT+NMGS=7,010548454C4C4F,102")
  p:reply("\r\n+QLWEVTIND: 4\r\n\r\n+NNMI: 4,AAAA0000\r\n")
  p:ok("AT+NMSTATUS?", "+NMSTATUS: REGISTERED_AND_OBSERVED")
  p:ok("AT+NCDPCLOSE")
  p:ok("AT+NMSTATUS?", "+NMSTATUS: DEREGISTERED")
end

TestModem = {}

function TestModem:test_the_design_example_in_a_task()
  local p = peer.new()
  script_session(p)
  local seen = {}
  bc260y.run(function()
    local m = assert(bc260y.open(p.path, {poll = 0.05}))
    local info = assert(m:init())
    lu.assertEquals(info.model, "Quectel_BC260Y-CN")
    assert(m:set_lifetime(86400))
    assert(m:set_receive_mode("direct"))
    local h = m:on("downlink", function(data) seen[#seen + 1] = data end)
    assert(m:connect({host = "221.229.214.202", port = 5683}))
    assert(m:send("\1\5HELLO", {con = true, rai = 2}))
    bc260y.sleep(0.02)
    lu.assertEquals(seen, {"\xAA\xAA\0\0"})
    h:off()
    lu.assertEquals(m:status(), "REGISTERED_AND_OBSERVED")
    assert(m:close())
  end)
  lu.assertTrue(p:finish())
  p:close()
end

function TestModem:test_a_port_open_in_another_modem_is_refused_unless_shared()
  local p = peer.new()
  local m = assert(bc260y.open(p.path))
  local m2, msg, code = bc260y.open(p.path)
  lu.assertNil(m2)
  lu.assertStrContains(msg, p.path)
  lu.assertStrContains(msg, "already open")
  lu.assertEquals(code, "io")
  lu.assertErrorMsgContains("option 'exclusive' must be a boolean", bc260y.open, p.path,
    {exclusive = "no"})
  m2 = assert(bc260y.open(p.path, {exclusive = false}))
  m2:close()
  m:close()
  m = assert(bc260y.open(p.path)) -- closed: free again
  m:close()
  p:close()
end

function TestModem:test_the_design_example_blocking_with_receive()
  local p = peer.new()
  script_session(p)
  local m = assert(bc260y.open(p.path, {poll = 0.05}))
  assert(m:init())
  assert(m:set_lifetime(86400))
  assert(m:set_receive_mode("direct"))
  assert(m:connect({host = "221.229.214.202", port = 5683}))
  assert(m:send("\1\5HELLO", {con = true, rai = 2}))
  lu.assertEquals(m:receive({timeout = 2}), "\xAA\xAA\0\0")
  lu.assertEquals(m:status(), "REGISTERED_AND_OBSERVED")
  assert(m:close())
  lu.assertTrue(p:finish())
  p:close()
end

os.exit(lu.LuaUnit.run(), true)
