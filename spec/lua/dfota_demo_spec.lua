-- dfota_demo_spec: `bc260y demo` end to end (the CLI in a child process, the in-process
-- virtual module): the example runs, and the summary lists what the platform received and
-- delivered; bad arguments give a usage error, not a run. Also the summary function on
-- its own against a platform with known traffic.
local lu = require("luaunit")
local demo = require("bc260y.demo")
local Platform = require("bc260y.sim.platform")

local src = debug.getinfo(1, "S").source:sub(2)
local ROOT = (src:match("^(.*)/spec/lua/[^/]*$") or ".")
local CLI = ROOT .. "/lua/bin/bc260y"

-- Runs the CLI with the same LUA_PATH/LUA_CPATH as this spec; returns output, status.
local function cli(args)
  local p = assert(io.popen(("lua5.4 %q %s 2>&1; echo \"status=$?\""):format(CLI, args)))
  local out = p:read("a")
  p:close()
  local status = tonumber(out:match("status=(%d+)%s*$"))
  return out, status
end

TestDemo = {}

function TestDemo:test_demo_runs_the_aep_example_and_summarises()
  local out, status = cli("demo --speed 50 --quiet")
  lu.assertEquals(status, 0, out)
  lu.assertStrContains(out, "ctwing_aep.lua against the virtual module")
  lu.assertStrContains(out, "uplinks received: 2")
  lu.assertStrMatches(out, ".*NON RAI 1%s+7 bytes%s+010548454C4C4F.*")
  lu.assertStrMatches(out, ".*CON RAI 2%s+7 bytes%s+010548454C4C4F.*")
  lu.assertStrContains(out, "downlinks delivered: 1")
  lu.assertStrContains(out, "02014F4E")
  lu.assertNotStrContains(out, "-->") -- --quiet: no trace
end

function TestDemo:test_trace_is_on_by_default()
  local out, status = cli("demo --speed 50")
  lu.assertEquals(status, 0, out)
  lu.assertStrContains(out, '--> AT+NCDPOPEN="221.229.214.202",5683')
  lu.assertStrContains(out, "--> AT+NMGS=7,010548454C4C4F,102")
end

function TestDemo:test_bad_arguments()
  local out, status = cli("demo --speed nope")
  lu.assertEquals(status, 2)
  lu.assertStrContains(out, "--speed must be a number")
  out, status = cli("demo --script /nonexistent.lua")
  lu.assertEquals(status, 1)
  lu.assertStrContains(out, "nonexistent")
end

function TestDemo:test_summary_lines()
  local p = Platform.new{}
  p:register_device{imei = "869453051234566"}
  p:_uplink("869453051234566", "\1\2", true, 2, 102)
  p:_uplink("869453051234566", ("x"):rep(100), false, 0, 0)
  p:_event("downlink_sent", "869453051234566", {data = "\170\187"})
  p:_event("reply", "869453051234566", {data = "\170\170\0\0"})
  local lines = demo.summary(p)
  local text = table.concat(lines, "\n")
  lu.assertStrContains(text, "uplinks received: 2")
  lu.assertStrMatches(lines[3], "%s+1%s+t=%s+0.0%s+CON RAI 2%s+2 bytes%s+0102")
  -- Long payloads are shortened to keep the summary on one screen.
  lu.assertStrContains(lines[4], "100 bytes  7878787878")
  lu.assertStrContains(lines[4], "...")
  lu.assertTrue(#lines[4] < 80)
  lu.assertStrContains(text, "downlinks delivered: 2")
  lu.assertStrContains(text, "command     2 bytes  AABB")
  lu.assertStrContains(text, "reply       4 bytes  AAAA0000")
end

os.exit(lu.LuaUnit.run())
