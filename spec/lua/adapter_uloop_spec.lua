-- adapter_uloop_spec: bc260y.adapters.uloop against a stand-in of OpenWrt's uloop binding
-- (uloop_standin: its documented API on top of luv, since Debian has no libubox-lua):
-- the session (init, connect, send, a downlink) with uloop.run() as the only loop, and a
-- Modem closed and opened again within one step. This checks the adapter's code, not the
-- real libubox: on OpenWrt the adapter remains untested.
package.preload["uloop"] = function() return require("uloop_standin") end
local lu = require("luaunit")
local uloop = require("uloop")
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local adapter = require("bc260y.adapters.uloop")
local session = require("adapter_session")

TestUloopAdapter = {}

function TestUloopAdapter:test_session_through_uloop_run()
  uloop.init()
  local a = adapter.attach()
  local ticks, finished = 0, false
  local ticker
  ticker = uloop.timer(function()
    ticks = ticks + 1
    if not finished then ticker:set(5) end
  end, 5)
  local result, err
  a:spawn(function()
    local ok, r = pcall(session.run, bc260y)
    if ok then result = r else err = r end
    finished = true
    uloop.cancel()
  end)
  uloop.run()
  a:detach()
  lu.assertNil(err)
  session.check(result)
  lu.assertTrue(ticks >= 3, "uloop's own timer ran while the session was under way")
  lu.assertEquals(loop.tasks(), 0)
end

function TestUloopAdapter:test_modem_reopened_within_one_step()
  uloop.init()
  local a = adapter.attach()
  local r
  a:spawn(function()
    r = session.reopen(bc260y)
    uloop.cancel()
  end)
  uloop.run()
  a:detach()
  session.check_reopen(r, "uloop")
end

os.exit(lu.LuaUnit.run())
