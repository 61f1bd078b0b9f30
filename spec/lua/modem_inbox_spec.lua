-- modem_inbox_spec: the downlink delivery rule on its own (bc260y.modem.inbox): handlers when
-- any, else the bounded inbox; exactly once and oldest first while handlers come and go.
-- Callbacks are started through a queue the spec drains by hand, so the moments "a
-- message was delivered" and "its callback ran" can be pulled apart.
local lu = require("luaunit")
local inbox = require("bc260y.modem.inbox")

local function harness(limit)
  local h = {started = {}, dropped = {}, changes = 0}
  h.box = inbox.new({
    limit = limit,
    run = function(fn) h.started[#h.started + 1] = fn end,
    on_drop = function(info) h.dropped[#h.dropped + 1] = info end,
    on_change = function() h.changes = h.changes + 1 end,
  })
  -- Runs the callbacks started so far (and those they start), in order.
  function h.run_all()
    while #h.started > 0 do table.remove(h.started, 1)() end
  end
  return h
end

TestInbox = {}

function TestInbox:test_no_handler_keeps_messages_oldest_first()
  local h = harness()
  h.box:deliver("a")
  h.box:deliver("b")
  lu.assertEquals(h.box:count(), 2)
  lu.assertEquals(h.box:pop(), "a")
  lu.assertEquals(h.box:pop(), "b")
  lu.assertNil(h.box:pop())
  lu.assertTrue(h.changes >= 2) -- receive waiters are woken on each arrival
end

function TestInbox:test_handlers_get_every_message_and_the_inbox_none()
  local h = harness()
  local got1, got2 = {}, {}
  h.box:add_handler(function(d) got1[#got1 + 1] = d end)
  h.box:add_handler(function(d) got2[#got2 + 1] = d end)
  h.box:deliver("x")
  h.box:deliver("y")
  h.run_all()
  lu.assertEquals(got1, {"x", "y"})
  lu.assertEquals(got2, {"x", "y"})
  lu.assertEquals(h.box:count(), 0)
end

function TestInbox:test_full_inbox_drops_the_oldest_and_says_so()
  local h = harness(2)
  h.box:deliver("1")
  h.box:deliver("2")
  h.box:deliver("3")
  lu.assertEquals(#h.dropped, 1)
  lu.assertEquals(h.dropped[1].reason, "inbox full")
  lu.assertEquals(h.dropped[1].data, "1")
  lu.assertEquals(h.box:pop(), "2")
  lu.assertEquals(h.box:pop(), "3")
end

function TestInbox:test_first_handler_takes_what_waits_in_the_inbox()
  local h = harness()
  h.box:deliver("old1")
  h.box:deliver("old2")
  local got = {}
  h.box:add_handler(function(d) got[#got + 1] = d end)
  h.box:deliver("new")
  h.run_all()
  lu.assertEquals(got, {"old1", "old2", "new"})
  lu.assertEquals(h.box:count(), 0)
end

function TestInbox:test_handler_removed_before_its_callback_ran_sends_the_message_back()
  local h = harness()
  local got = {}
  local handle = h.box:add_handler(function(d) got[#got + 1] = d end)
  h.box:deliver("m1")          -- picked for the handler, callback not run yet
  handle:off()
  h.box:deliver("m2")          -- no handler now: inbox
  h.run_all()                  -- m1's callback finds its handler gone
  lu.assertEquals(got, {})
  -- m1 is back in the inbox, before the newer m2: exactly once, oldest first.
  lu.assertEquals(h.box:pop(), "m1")
  lu.assertEquals(h.box:pop(), "m2")
end

function TestInbox:test_one_of_two_handlers_removed_counts_as_delivered()
  local h = harness()
  local got = {}
  local a = h.box:add_handler(function(d) got[#got + 1] = "a:" .. d end)
  h.box:add_handler(function(d) got[#got + 1] = "b:" .. d end)
  h.box:deliver("m")
  a:off()
  h.run_all()
  lu.assertEquals(got, {"b:m"})
  lu.assertEquals(h.box:count(), 0)
end

function TestInbox:test_redelivery_goes_to_a_handler_registered_meanwhile()
  local h = harness()
  local first = h.box:add_handler(function() error("never") end)
  h.box:deliver("m")
  first:off()
  local got = {}
  h.box:add_handler(function(d) got[#got + 1] = d end)
  h.run_all()
  lu.assertEquals(got, {"m"})
  lu.assertEquals(h.box:count(), 0)
end

function TestInbox:test_a_raising_handler_still_counts_the_message_delivered()
  local h = harness()
  h.box:add_handler(function() error("boom") end)
  h.box:deliver("m")
  lu.assertErrorMsgContains("boom", h.run_all)
  lu.assertEquals(h.box:count(), 0)
  lu.assertEquals(h.box.delivered, 1)
end

function TestInbox:test_off_is_idempotent()
  local h = harness()
  local handle = h.box:add_handler(function() end)
  lu.assertTrue(handle:off())
  lu.assertFalse(handle:off())
  lu.assertFalse(h.box:has_handlers())
end

function TestInbox:test_bad_limit_is_refused()
  lu.assertErrorMsgContains("limit", inbox.new, {limit = 0})
  lu.assertErrorMsgContains("limit", inbox.new, {limit = 1.5})
end

os.exit(lu.LuaUnit.run(), true)
