-- adapter_luv_spec: the library inside a luv (libuv) event loop through
-- bc260y.adapters.luv: init, connect, send and a downlink against the virtual module
-- with uv.run() as the only loop, while a libuv timer keeps ticking (so nothing blocked
-- libuv), and uv.run() returning once the session is over.
local lu = require("luaunit")
local uv = require("luv")
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local adapter = require("bc260y.adapters.luv")
local session = require("adapter_session")

TestLuvAdapter = {}

function TestLuvAdapter:test_session_through_uv_run()
  local a = adapter.attach()
  local ticks = 0
  local ticker = uv.new_timer()
  ticker:start(5, 5, function() ticks = ticks + 1 end)
  local result, err
  a:spawn(function()
    local ok, r = pcall(session.run, bc260y)
    if ok then result = r else err = r end
    ticker:stop()
    ticker:close()
  end)
  uv.run()
  a:detach()
  lu.assertNil(err)
  session.check(result)
  lu.assertTrue(ticks >= 3, "libuv's own timer ran while the session was under way")
  lu.assertEquals(loop.tasks(), 0)
end

function TestLuvAdapter:test_task_spawned_from_a_luv_callback_runs()
  local a = adapter.attach()
  local done = false
  local t = uv.new_timer()
  t:start(1, 0, function()
    t:close()
    -- spawned outside any bc260y task: the prepare handle picks it up before libuv waits
    loop.spawn(function() bc260y.sleep(0.01); done = true end)
  end)
  uv.run()
  a:detach()
  lu.assertTrue(done)
end

-- A Modem closed and another opened in the same step get the same fd numbers; libuv must
-- not go on believing the old registration stands (the kernel dropped it at close).
function TestLuvAdapter:test_modem_reopened_within_one_step()
  local a = adapter.attach()
  local r
  a:spawn(function()
    r = session.reopen(bc260y)
  end)
  uv.run()
  a:detach()
  session.check_reopen(r, "libuv")
end

os.exit(lu.LuaUnit.run())
