-- modem_answers_spec: whole answers through the Modem on the virtual module
-- (docs/design.md, "Whole answers"): m:at returns every line a command got that is no
-- known URC, whatever its shape, with no option: bare text (AT+CIMI's IMSI, ATI,
-- AT+CGSN), several lines, a prefix the library has no row for (+QCCID).
local lu = require("luaunit")
local bc260y = require("bc260y")

local IMSI = "460111234567890"

local function with_modem(fn)
  return bc260y.run(function()
    local m = assert(bc260y.open("sim", {speed = 50, sim = {qsclk = 0, imsi = IMSI}}))
    local results = table.pack(pcall(fn, m, m.sim))
    m:close({deregister = false})
    if not results[1] then error(results[2], 0) end
    return table.unpack(results, 2, results.n)
  end)
end

TestWholeAnswers = {}

function TestWholeAnswers:test_imsi_is_the_first_line()
  with_modem(function(m)
    assert(m:init())
    local r = assert(m:at("AT+CIMI"))
    lu.assertEquals(r.lines[1], IMSI)
    lu.assertEquals(#r.lines, 1)
    lu.assertEquals(r.final, "OK")
  end)
end

function TestWholeAnswers:test_text_answers_need_no_option()
  with_modem(function(m, s)
    assert(m:init())
    lu.assertEquals(assert(m:at("ATI")).lines,
      {"Quectel_Ltd", "Quectel_BC260Y-CN", "Revision: BC260YCNAAR02A02"})
    local sn = assert(m:at("AT+CGSN")).lines -- <snt> 0: the serial number, a bare line
    lu.assertEquals(#sn, 1)
    lu.assertStrMatches(sn[1], "^%w+$")
    lu.assertEquals(assert(m:at("AT+CGSN=1")).lines, {"+CGSN: " .. s.imei})
    lu.assertStrMatches(assert(m:at("AT+QCCID")).lines[1], "^%+QCCID: %d+$")
    -- the retired option is still accepted
    lu.assertEquals(assert(m:at("AT+CGSN", {text_lines = false})).lines, sn)
  end)
end

function TestWholeAnswers:test_no_unknown_lines_left_over()
  with_modem(function(m)
    assert(m:init())
    local unknown = {}
    m:on("unknown", function(line) unknown[#unknown + 1] = line end)
    for _, cmd in ipairs({"AT+CIMI", "AT+CGMR", "AT+CGSN", "AT+CGMI", "AT+CGMM"}) do
      local r = assert(m:at(cmd))
      lu.assertTrue(#r.lines >= 1, cmd .. " has its answer")
    end
    lu.assertEquals(unknown, {})
    lu.assertEquals(m:counters().unknown, 0)
  end)
end

os.exit(lu.LuaUnit.run())
