-- modem_wake_spec: a module that may be asleep loses the first bytes it is sent. Before a
-- command the Modem then runs the wake hook (a GPIO pulse on PSM_EINT) and syncs with AT
-- retries; a module that stays silent fails the call with "timeout"; several calls at
-- once share one wake-up.
local lu = require("luaunit")
local bc260y = require("bc260y")
local peer = require("peer")

local FAST = {first_byte = 0.2, total = 0.4}

local p, m
local fixture = peer.fixture({engine = FAST}, function(p_, m_) p, m = p_, m_ end)
local setup, settle, teardown = fixture.setup, fixture.settle, fixture.teardown

local function fall_asleep()
  p:reply('\r\n+QNBIOTEVENT: "ENTER DEEPSLEEP"\r\n')
  p:finish()
  settle()
  assert(m:state().sleeping)
end

TestWake = {tearDown = teardown}

function TestWake:test_after_deep_sleep_the_hook_runs_then_at_until_ok()
  local hooks = 0
  setup({wake = function(modem)
    hooks = hooks + 1
    assert(modem == m)
    bc260y.sleep(0.01) -- a GPIO pulse takes time: the hook may wait
  end})
  local deepsleep = 0
  m:on("deepsleep", function() deepsleep = deepsleep + 1 end)
  fall_asleep()
  p:expect("AT")                 -- lost in the wake-up: no answer
  p:ok("AT+CMEE?", "+CMEE: 1")   -- the resync before the retry (nothing of it is owed)
  p:ok("AT")                     -- the retry is answered
  p:ok("AT+CSQ", "+CSQ: 12,0")
  local r = assert(m:at("AT+CSQ"))
  lu.assertEquals(r.lines, {"+CSQ: 12,0"})
  lu.assertEquals(hooks, 1)
  lu.assertEquals(deepsleep, 1)
  lu.assertFalse(m:state().sleeping)
  lu.assertTrue(p:finish())
  -- awake now: the next command goes straight out
  p:ok("AT+CSQ", "+CSQ: 13,0")
  assert(m:at("AT+CSQ"))
  lu.assertEquals(hooks, 1)
  lu.assertTrue(p:finish())
end

function TestWake:test_a_module_that_never_answers_fails_with_timeout()
  setup({wake_tries = 2})
  fall_asleep()
  p:expect("AT"):expect("AT+CMEE?") -- the retry waits for the resync, which is not answered
  local r, msg, code = m:at("AT+CSQ")
  lu.assertNil(r)
  lu.assertEquals(code, "timeout")
  lu.assertStrContains(msg, "does not answer")
  lu.assertTrue(p:finish())
  -- AT+CSQ itself never went out; only probes did (one per probe timeout, the engine's
  -- total, while the retry waited: issue 19)
  for _, line in ipairs(p:unexpected()) do
    lu.assertTrue(line == "AT+CSCON?" or line == "AT+QSCLK?" or line == "AT+NMSTATUS?", line)
  end
end

function TestWake:test_a_failing_hook_fails_the_call_with_error()
  setup({wake = function() error("gpio busy") end})
  fall_asleep()
  local r, msg, code = m:at("AT+CSQ")
  lu.assertNil(r)
  lu.assertEquals(code, "error")
  lu.assertStrContains(msg, "gpio busy")
end

function TestWake:test_calls_at_once_share_one_wake_up()
  local hooks = 0
  setup({wake = function() hooks = hooks + 1 end})
  fall_asleep()
  p:ok("AT"):ok("AT+CSQ", "+CSQ: 1,0"):ok("AT+CGSN=1", "+CGSN: 869999999999999")
  local a, b
  bc260y.run(function()
    bc260y.spawn(function() a = m:at("AT+CSQ") end)
    bc260y.spawn(function() b = m:at("AT+CGSN=1") end)
  end)
  lu.assertNotNil(a)
  lu.assertNotNil(b)
  lu.assertEquals(hooks, 1)
  lu.assertTrue(p:finish())
end

function TestWake:test_wakeup_urc_means_no_sync_is_needed()
  setup()
  local woke, resumed = 0, 0
  m:on("wakeup", function() woke = woke + 1 end)
  m:on("resumed", function() resumed = resumed + 1 end)
  fall_asleep()
  p:reply('\r\n+QNBIOTEVENT: "EXIT DEEPSLEEP"\r\n\r\n+QLWEVTIND: 6\r\n')
  p:finish()
  settle()
  lu.assertEquals(woke, 1)
  lu.assertEquals(resumed, 1)
  p:ok("AT+CSQ", "+CSQ: 3,0")
  assert(m:at("AT+CSQ"))
  lu.assertTrue(p:finish())
end

function TestWake:test_sleep_enabled_and_idle_means_it_may_sleep()
  setup({sleep_guard = 0.05})
  p:ok("AT+QSCLK=1")
  assert(m:sleep_mode(1))
  settle(0.1) -- silent longer than the guard
  p:ok("AT"):ok("AT+CSQ", "+CSQ: 4,0")
  assert(m:at("AT+CSQ"))
  lu.assertTrue(p:finish())
  -- sleep off: no sync any more
  p:ok("AT+QSCLK=0")
  assert(m:sleep_mode("off"))
  settle(0.1)
  p:ok("AT+CSQ", "+CSQ: 4,0")
  assert(m:at("AT+CSQ"))
  lu.assertTrue(p:finish())
end

os.exit(lu.LuaUnit.run(), true)
