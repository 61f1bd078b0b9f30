-- modem_power_spec: m:psm and m:edrx (issue 21, item 2) against the virtual module: the
-- timers asked for in seconds, what the network grants read back from AT+CEREG (n=4), and a
-- module that sleeps by them.
local lu = require("luaunit")
local bc260y = require("bc260y")
local loop = require("bc260y.loop")

local SPEED = 50

local function with_modem(fn)
  return bc260y.run(function()
    local m = assert(bc260y.open("sim", {speed = SPEED}))
    local results = table.pack(pcall(fn, m, m.sim))
    m:close({deregister = false})
    if not results[1] then error(results[2], 0) end
    return table.unpack(results, 2, results.n)
  end)
end

TestPsm = {}

function TestPsm:test_psm_grants_exactly_what_was_asked_when_it_is_representable()
  with_modem(function(m)
    assert(m:init())
    lu.assertEquals(m:psm{tau = 3600, active = 60}, {tau = 3600, active = 60})
    lu.assertEquals(m:psm(), {tau = 3600, active = 60})
    lu.assertEquals(m:at("AT+CPSMS?").lines, {'+CPSMS: 1,,,"00000110","00011110"'})
    lu.assertEquals(m:at("AT+CEREG?").lines, {"+CEREG: 0,1"}) -- the report level put back
  end)
end

function TestPsm:test_the_smallest_coding_at_least_as_long_and_off()
  with_modem(function(m)
    assert(m:init())
    lu.assertEquals(m:psm{tau = 4000, active = 61}, {tau = 4200, active = 62})
    lu.assertEquals(m:psm(false), false)
    lu.assertEquals(m:psm(), {tau = 4200, active = false}) -- no Active Time: no PSM
  end)
end

function TestPsm:test_before_registration_the_request_is_pending()
  with_modem(function(m)
    assert(m:init{attach = false})
    assert(m:at("AT+CFUN=0")) -- detached, whenever the attach would have ended
    local got = assert(m:psm{tau = 7200, active = 10})
    lu.assertEquals(got, {tau = 7200, active = 10, pending = true})
    local ok, _, code = m:psm()
    lu.assertNil(ok)
    lu.assertEquals(code, "state")
  end)
end

function TestPsm:test_bad_arguments_raise()
  with_modem(function(m)
    lu.assertErrorMsgContains("psm: tau must be seconds", m.psm, m, {active = 60})
    lu.assertErrorMsgContains("psm: active must be seconds", m.psm, m, {tau = 60, active = 20000})
    lu.assertErrorMsgContains("psm: unknown option 'taux'", m.psm, m, {taux = 1})
    lu.assertErrorMsgContains("edrx: cycle must be seconds", m.edrx, m, {cycle = 20000})
  end)
end

-- The module sleeps by the granted Active Time after the RRC release, and its TAU wakes
-- it after the granted periodic TAU. What it armed is read from its own timers (the
-- delays it asked its clock for): how late a loaded machine runs them is no concern here.
function TestPsm:test_the_module_sleeps_by_the_granted_timers()
  with_modem(function(m, s)
    assert(m:init())
    assert(m:connect{host = "221.229.214.202", port = 5683})
    assert(m:psm{tau = 120, active = 10})
    local armed, at = {}, {}
    local named = s.module._named
    s.module._named = function(module, name, delay, fn)
      if delay then armed[name] = delay; at[name] = s.clock:now() end
      return named(module, name, delay, fn)
    end
    local slept, woke = loop.future(), loop.future()
    local slept_at, woke_at
    m:on("deepsleep", function() slept_at = s.clock:now(); slept:set(true) end)
    m:on("wakeup", function() woke_at = s.clock:now(); woke:set(true) end)
    assert(m:send("\1", {rai = 1}))
    assert(slept:get(30), "no deep sleep")
    lu.assertEquals(armed.sleep, 10)     -- the Active Time, from the RRC release
    lu.assertTrue(slept_at >= at.sleep + 10, "asleep before its Active Time ran out")
    assert(woke:get(30), "no TAU")
    lu.assertEquals(armed.tau, 120)      -- the periodic TAU, from the sleep
    lu.assertTrue(woke_at >= at.tau + 120, "woken before its TAU")
    lu.assertEquals(s.module.wakeups.tau, 1)
  end)
end

TestEdrx = {}

function TestEdrx:test_edrx_set_read_off()
  with_modem(function(m)
    assert(m:init{attach = false})
    lu.assertEquals(m:edrx(), false)
    lu.assertEquals(m:edrx{cycle = 80}, {cycle = 81.92})
    lu.assertEquals(m:edrx(), {cycle = 81.92})
    lu.assertEquals(m:at("AT+CEDRXS?").lines, {'+CEDRXS: 5,"0101"'})
    lu.assertEquals(m:edrx(false), false)
    lu.assertEquals(m:edrx(), false)
  end)
end

os.exit(lu.LuaUnit.run())
