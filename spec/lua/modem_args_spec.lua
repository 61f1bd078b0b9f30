-- modem_args_spec: bad arguments, clearly (issue 10 item 6). Every bad option raises at
-- once naming the caller's own option; unknown option keys raise in every call; a
-- timeout too small or too large for the engine raises instead of becoming the default;
-- init{timeout=} bounds the whole call, its wake-up sync included; an over-long m:at
-- command raises instead of failing "busy"; a module's error text is shown with its
-- control bytes escaped.
local lu = require("luaunit")
local bc260y = require("bc260y")
local peer = require("peer")

local p, m
local fixture = peer.fixture({engine = {first_byte = 0.3, total = 0.6}}, function(p_, m_) p, m = p_, m_ end)
local setup, settle, teardown = fixture.setup, fixture.settle, fixture.teardown

TestArgs = {tearDown = teardown}

local function raises(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  lu.assertFalse(ok, "did not raise: " .. pattern)
  lu.assertStrContains(tostring(err), pattern)
  return tostring(err)
end

function TestArgs:test_a_timeout_the_engine_cannot_hold_names_the_callers_option()
  setup()
  local err = raises("at: timeout", m.at, m, "AT", {timeout = 1e12})
  lu.assertNotStrContains(err, "first_byte")
  raises("at: timeout", m.at, m, "AT", {timeout = 0.0004}) -- not silently the default 5 s
  raises("at: timeout", m.at, m, "AT", {timeout = 0 / 0})
  raises("receive: timeout", m.receive, m, {timeout = 1e-6})
  lu.assertTrue(p:finish())
end

function TestArgs:test_unknown_option_keys_raise_in_every_call()
  setup()
  raises("at: unknown option 'timout'", m.at, m, "AT", {timout = 1})
  raises("init: unknown option 'atach'", m.init, m, {atach = false})
  raises("wait_ip: unknown option 'x'", m.wait_ip, m, {x = 1})
  raises("connect: unknown option 'pks'", m.connect, m, {host = "1.2.3.4", pks = "00"})
  raises("send: unknown option 'confirm'", m.send, m, "x", {confirm = true})
  raises("disconnect: unknown option 'x'", m.disconnect, m, {x = 1})
  raises("close: unknown option 'dereg'", m.close, m, {dereg = false})
  raises("receive: unknown option 'x'", m.receive, m, {x = 1})
  -- the valid keys still pass the check (they fail later or not at all)
  p:ok("AT")
  lu.assertNotNil(m:at("AT", {ignore_busy = false, expect = {}, text_lines = false, timeout = 1}))
  lu.assertTrue(p:finish())
end

function TestArgs:test_an_over_long_command_raises()
  setup()
  raises("at: command", m.at, m, "AT+X=" .. ("A"):rep(5000))
  lu.assertTrue(p:finish())
end

function TestArgs:test_control_bytes_in_the_modules_error_text_are_escaped()
  setup()
  p:expect("AT+X"):reply("\r\n+CME ERROR: bad\27[2Jthing\7\r\n")
  local r, msg = m:at("AT+X")
  lu.assertNil(r)
  lu.assertNotStrContains(msg, "\27")
  lu.assertNotStrContains(msg, "\7")
  lu.assertStrContains(msg, "bad\\x1B[2Jthing\\x07")
end

-- init{timeout=} bounds the whole call: a module that never answers AT fails init within
-- about the timeout, not after 10 wake-up tries of 1 s each.
-- (With 100,000 wake-up tries allowed, an unbounded sync would outlast ctest's timeout:
-- the bound is shown by the call returning at all, never early, not by a wall-clock limit.)
function TestArgs:test_init_timeout_bounds_the_sync_too()
  setup({wake_tries = 100000})
  local t0 = bc260y.now()
  local r, _, code = m:init{timeout = 1.5}
  local took = bc260y.now() - t0
  lu.assertNil(r)
  lu.assertEquals(code, "timeout")
  lu.assertTrue(took >= 1.4, ("init{timeout = 1.5} gave up early, after %.1f s"):format(took))
end

os.exit(lu.LuaUnit.run())
