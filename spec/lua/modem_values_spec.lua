-- modem_values_spec: honest values (docs/api.md, "Values outside the guide's tables").
-- A state, event or stage the guide's tables do not have (a firmware's own NMSTATUS
-- word, a new +QLWEVTIND code, a new FOTA stage) is passed through as text with its
-- kind: status() returns it, the `unknown_value` event reports it, and what the Modem
-- believes of the module stays as it was. The module family's spelling variants (no
-- space after the colon, trailing spaces, lower-case hex) are read like the guide's.
-- Against a scripted peer on a pseudo-terminal.
local lu = require("luaunit")
local peer = require("peer")

local p, m
local fixture = peer.fixture({engine = {first_byte = 0.3, total = 0.6}, poll = 0.05},
  function(p_, m_) p, m = p_, m_ end)
local setup, settle, teardown = fixture.setup, fixture.settle, fixture.teardown

local function connected()
  setup()
  p:script_connect("1.2.3.4", 5683)
  assert(m:connect({host = "1.2.3.4", port = 5683}))
  assert(p:finish())
end

local function record(event)
  local seen = {}
  m:on(event, function(...) seen[#seen + 1] = {...} end)
  return seen
end

TestUnknownValues = {tearDown = teardown}

function TestUnknownValues:test_status_returns_an_unknown_state_and_keeps_the_belief()
  connected()
  local seen = record("unknown_value")
  p:ok("AT+NMSTATUS?", "+NMSTATUS: INIITIALISING")
  lu.assertEquals(m:status(), "INIITIALISING")
  p:ok("AT+NMSTATUS?", "+NMSTATUS:NO_UE_IP")
  lu.assertEquals(m:status(), "NO_UE_IP")
  settle()
  lu.assertEquals(seen, {{"nmstatus", "INIITIALISING", "+NMSTATUS: INIITIALISING"},
                         {"nmstatus", "NO_UE_IP", "+NMSTATUS:NO_UE_IP"}})
  lu.assertTrue(m:state().registered)
  lu.assertTrue(m:state().observed)
  lu.assertTrue(p:finish())
end

function TestUnknownValues:test_unknown_event_code_changes_nothing()
  connected()
  local seen, urcs = record("unknown_value"), record("urc")
  p:reply("\r\n+QLWEVTIND: 11\r\n")
  assert(p:finish())
  settle(0.05)
  lu.assertEquals(seen, {{"qlwevtind", 11, "+QLWEVTIND: 11"}})
  lu.assertEquals(urcs[1][2], {kind = "qlwevtind", value = 11, unknown = "value"})
  lu.assertTrue(m:state().observed)
  p:ok("AT+NMGS=2,6869,0")
  lu.assertTrue(m:send("hi"))
  lu.assertTrue(p:finish())
end

function TestUnknownValues:test_unknown_fota_stage_does_not_start_the_quiet()
  setup()
  local seen, fota = record("unknown_value"), record("fota")
  p:reply('\r\n+QIND: "FOTA","VERIFYING"\r\n')
  assert(p:finish())
  settle(0.05)
  lu.assertEquals(seen, {{"fota", "VERIFYING", '+QIND: "FOTA","VERIFYING"'}})
  lu.assertEquals(fota, {})
  lu.assertFalse(m:state().busy)
  p:ok("AT")
  lu.assertNotNil(m:at("AT"))
  lu.assertTrue(p:finish())
end

TestVariants = {tearDown = teardown}

function TestVariants:test_no_space_trailing_spaces_and_lower_case_hex()
  setup()
  local observed, rrc, downlinks = record("observed"), record("rrc"), record("downlink")
  p:ok('AT+NCDPOPEN="1.2.3.4",5683')
  p:reply("\r\n+QLWEVTIND:0\r\n")
  p:reply("\r\n+QLWEVTIND:3  \r\n")
  assert(m:connect({host = "1.2.3.4", port = 5683}))
  p:reply("\r\n+CSCON:1\r\n\r\n+NNMI:2,beef\r\n")
  assert(p:finish())
  settle(0.05)
  lu.assertEquals(#observed, 1)
  lu.assertEquals(rrc, {{"connected", 1}})
  lu.assertEquals(downlinks, {{"\190\239"}})
  p:ok("AT+NMSTATUS?", "+NMSTATUS:REGISTERED_AND_OBSERVED ")
  lu.assertEquals(m:status(), "REGISTERED_AND_OBSERVED")
  lu.assertTrue(p:finish())
end

os.exit(require("luaunit").LuaUnit.run())
