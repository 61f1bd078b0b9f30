-- adapter_cqueues_spec: the library inside a cqueues controller through
-- bc260y.adapters.cqueues: init, connect, send and a downlink against the virtual module
-- with cq:loop() as the only loop, while another cqueues coroutine keeps ticking (so
-- nothing blocked the controller), and cq:loop() returning once the session is over.
local lu = require("luaunit")
local cqueues = require("cqueues")
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local adapter = require("bc260y.adapters.cqueues")
local session = require("adapter_session")

TestCqueuesAdapter = {}

function TestCqueuesAdapter:test_session_through_cq_loop()
  local cq = cqueues.new()
  local a = adapter.attach(cq)
  local ticks, finished = 0, false
  cq:wrap(function()
    while not finished do
      cqueues.sleep(0.005)
      ticks = ticks + 1
    end
  end)
  local result, err
  a:spawn(function()
    local ok, r = pcall(session.run, bc260y)
    if ok then result = r else err = r end
    finished = true
  end)
  assert(cq:loop())
  lu.assertNil(err)
  session.check(result)
  lu.assertTrue(ticks >= 3, "the other cqueues coroutine ran while the session was under way")
  lu.assertEquals(loop.tasks(), 0)
end

function TestCqueuesAdapter:test_task_spawned_from_a_cqueues_coroutine_runs()
  local cq = cqueues.new()
  local a = adapter.attach(cq)
  local done = false
  cq:wrap(function()
    cqueues.sleep(0.001)
    a:spawn(function() bc260y.sleep(0.01); done = true end)
  end)
  assert(cq:loop())
  lu.assertTrue(done)
end

-- A Modem closed and another opened in the same step get the same fd numbers: cqueues
-- must neither fail on the closed fd nor miss the new one.
function TestCqueuesAdapter:test_modem_reopened_within_one_step()
  local cq = cqueues.new()
  local a = adapter.attach(cq)
  local r
  a:spawn(function()
    r = session.reopen(bc260y)
  end)
  assert(cq:loop())
  session.check_reopen(r, "cqueues")
end

os.exit(lu.LuaUnit.run())
