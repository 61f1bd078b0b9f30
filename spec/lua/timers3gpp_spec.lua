-- timers3gpp_spec: the 3GPP TS 24.008 timer codings of bc260y.timers3gpp, table by table:
-- every unit both ways, the smallest coding at least the time asked for, the limits.
local lu = require("luaunit")
local timers = require("bc260y.timers3gpp")

TestTimer3 = {} -- the periodic TAU, T3412 extended (GPRS Timer 3)

function TestTimer3:test_every_unit_decodes()
  lu.assertEquals(timers.decode_tau("00000001"), 600)       -- 000: 10 min
  lu.assertEquals(timers.decode_tau("00100001"), 3600)      -- 001: 1 h
  lu.assertEquals(timers.decode_tau("01000001"), 36000)     -- 010: 10 h
  lu.assertEquals(timers.decode_tau("01100001"), 2)         -- 011: 2 s
  lu.assertEquals(timers.decode_tau("10000001"), 30)        -- 100: 30 s
  lu.assertEquals(timers.decode_tau("10100001"), 60)        -- 101: 1 min
  lu.assertEquals(timers.decode_tau("11000001"), 1152000)   -- 110: 320 h
  lu.assertEquals(timers.decode_tau("11111111"), false)     -- 111: deactivated
  lu.assertEquals(timers.decode_tau("00111111"), 31 * 3600)
  lu.assertNil(timers.decode_tau("0011111"))
  lu.assertNil(timers.decode_tau("0011111x"))
end

function TestTimer3:test_encode_takes_the_smallest_coding_at_least_as_long()
  lu.assertEquals({timers.encode_tau(3600)}, {"00000110", 3600})  -- 6 x 10 min (60 x 1 min: > 31)
  lu.assertEquals({timers.encode_tau(60)}, {"01111110", 60})      -- 30 x 2 s
  lu.assertEquals({timers.encode_tau(61)}, {"01111111", 62})      -- 31 x 2 s
  lu.assertEquals({timers.encode_tau(86400)}, {"00111000", 86400}) -- 24 x 1 h
  lu.assertEquals({timers.encode_tau(86401)}, {"00111001", 90000}) -- 25 x 1 h
  lu.assertEquals({timers.encode_tau(0)}, {"01100000", 0})
  lu.assertEquals({timers.encode_tau(31 * 1152000)}, {"11011111", 31 * 1152000})
  lu.assertNil(timers.encode_tau(31 * 1152000 + 1))
  for _, s in ipairs({1, 59, 601, 7201, 40000, 400000, 5000000}) do
    local bits, granted = timers.encode_tau(s)
    lu.assertEquals(timers.decode_tau(bits), granted)
    lu.assertTrue(granted >= s)
  end
end

TestTimer2 = {} -- the Active Time, T3324 (GPRS Timer 2)

function TestTimer2:test_every_unit_both_ways()
  lu.assertEquals(timers.decode_active("00000101"), 10)     -- 000: 2 s
  lu.assertEquals(timers.decode_active("00100101"), 300)    -- 001: 1 min
  lu.assertEquals(timers.decode_active("01000101"), 1800)   -- 010: decihours
  lu.assertEquals(timers.decode_active("01100001"), 60)     -- undefined: read as 1 min
  lu.assertEquals(timers.decode_active("11100000"), false)  -- deactivated
  lu.assertEquals({timers.encode_active(60)}, {"00011110", 60})  -- 30 x 2 s
  lu.assertEquals({timers.encode_active(63)}, {"00100010", 120}) -- 2 x 1 min
  lu.assertEquals({timers.encode_active(3600)}, {"01001010", 3600})
  lu.assertEquals({timers.encode_active(31 * 360)}, {"01011111", 11160})
  lu.assertNil(timers.encode_active(11161))
end

TestEdrx = {} -- the NB-S1 eDRX cycle (27.007 <AcT-type> 5)

function TestEdrx:test_the_table()
  local want = {["0010"] = 20.48, ["0011"] = 40.96, ["0101"] = 81.92, ["1001"] = 163.84,
    ["1010"] = 327.68, ["1011"] = 655.36, ["1100"] = 1310.72, ["1101"] = 2621.44,
    ["1110"] = 5242.88, ["1111"] = 10485.76}
  for bits, seconds in pairs(want) do
    lu.assertEquals(timers.decode_edrx(bits), seconds)
    lu.assertEquals({timers.encode_edrx(seconds)}, {bits, seconds})
  end
  lu.assertEquals(timers.decode_edrx("0000"), 20.48) -- not an NB-S1 value: read as 0010
  lu.assertEquals({timers.encode_edrx(0)}, {"0010", 20.48})
  lu.assertEquals({timers.encode_edrx(82)}, {"1001", 163.84})
  lu.assertNil(timers.encode_edrx(10486))
  lu.assertNil(timers.decode_edrx("010"))
end

os.exit(lu.LuaUnit.run())
