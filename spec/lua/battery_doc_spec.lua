-- battery_doc_spec: docs/battery.md and docs/battery.zh.md hold exactly the table that
-- bc260y.sim.battery_table measures on the virtual module (issue 21, item 4), and the
-- table says what the choices are for: RAI 1 and PSM cost least.
local lu = require("luaunit")
local battery_table = require("bc260y.sim.battery_table")

local SOURCE = os.getenv("BC260Y_SOURCE_DIR") or "."

local function table_in(path)
  local f = assert(io.open(SOURCE .. "/" .. path))
  local text = f:read("a")
  f:close()
  return text:match("<!%-%- battery_table begin %-%->\n(.-)\n<!%-%- battery_table end %-%->")
end

TestBatteryDoc = {}

function TestBatteryDoc:test_the_pages_hold_the_generated_table()
  lu.assertEquals(table_in("docs/battery.md"), battery_table.markdown("en"))
  lu.assertEquals(table_in("docs/battery.zh.md"), battery_table.markdown("zh"))
end

function TestBatteryDoc:test_rai_1_and_psm_cost_least()
  local rai0 = battery_table.measure(0, 1, {3600, 60})
  local rai1 = battery_table.measure(1, 1, {3600, 60})
  local no_psm = battery_table.measure(1, 1, false)
  local no_sleep = battery_table.measure(1, 0, {3600, 60})
  lu.assertTrue(rai1 < rai0)
  lu.assertTrue(rai1 < no_psm)
  lu.assertTrue(rai1 < no_sleep)
end

os.exit(lu.LuaUnit.run())
