-- baud_env_spec: open() takes its baud rate from opts.baud, else from BC260Y_BAUD (what a
-- service sets, e.g. OpenWrt's init script from /etc/config/bc260y), else the port's
-- default; a BC260Y_BAUD that is not a baud rate is a clear error, and no port is opened.
-- Each case runs in a child lua5.4 with its own environment and a core.open_port stand-in
-- that records the rate it was given.
local lu = require("luaunit")

local PROBE = [[
local core = require("bc260y.core")
core.open_port = function(spec, baud) print("open_port", spec, tostring(baud)); return nil, "stub", "io" end
local bc260y = require("bc260y")
print("open", select(2, bc260y.open("/dev/ttyS9", %s)))
]]

local function probe(env, opts)
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write(PROBE:format(opts or "nil"))
  f:close()
  local p = assert(io.popen(("%s lua5.4 %s 2>&1"):format(env, script)))
  local out = p:read("a")
  p:close()
  os.remove(script)
  return out
end

TestBaudEnv = {}

function TestBaudEnv.test_no_env_leaves_the_port_default()
  lu.assertStrContains(probe("env -u BC260Y_BAUD"), "open_port\t/dev/ttyS9\tnil")
end

function TestBaudEnv.test_env_sets_the_rate()
  lu.assertStrContains(probe("BC260Y_BAUD=115200"), "open_port\t/dev/ttyS9\t115200")
end

function TestBaudEnv.test_opts_baud_wins_over_env()
  lu.assertStrContains(probe("BC260Y_BAUD=115200", "{baud = 9600}"), "open_port\t/dev/ttyS9\t9600")
end

function TestBaudEnv.test_bad_env_is_an_error_and_opens_nothing()
  for _, bad in ipairs({"fast", "-9600", "96.5"}) do
    local out = probe("BC260Y_BAUD=" .. bad)
    lu.assertStrContains(out, "BC260Y_BAUD must be a baud rate, not '" .. bad .. "'")
    lu.assertNotStrContains(out, "open_port")
  end
end

-- A rate out of the port's range passes a "uinteger" check: from the environment it must be
-- an error open() returns (a service under procd would otherwise crash at every respawn).
function TestBaudEnv.test_env_out_of_range_is_returned_not_raised()
  for _, bad in ipairs({"4000001", "0", "99999999999999999999"}) do
    local out = probe("BC260Y_BAUD=" .. bad)
    lu.assertStrContains(out, "open\tBC260Y_BAUD must be a baud rate") -- returned, not raised
    lu.assertNotStrContains(out, "open_port")
  end
end

os.exit(lu.LuaUnit.run())
