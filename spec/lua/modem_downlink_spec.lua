-- modem_downlink_spec: every downlink the module reports reaches the application exactly
-- once, oldest first (README.md): direct URCs, AT+NMGR drained on the +NNMI indication
-- (mode 2) and by polling (mode 0); handlers if any, else the inbox; handlers coming and
-- going while messages arrive; a full inbox; the module's buffer full and DROPPED counts.
local lu = require("luaunit")
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local peer = require("peer")

local FAST = {first_byte = 0.3, total = 0.6}

local p, m
local fixture = peer.fixture({engine = FAST, poll = 0.05}, function(p_, m_) p, m = p_, m_ end)
local setup, settle, teardown = fixture.setup, fixture.settle, fixture.teardown

local function nnmi(hex) return ("\r\n+NNMI: %d,%s\r\n"):format(#hex // 2, hex) end
local function nmgr(hex) return ("\r\n+NMGR: %d,%s\r\n\r\nOK\r\n"):format(#hex // 2, hex) end

-- Puts the modem in a receive mode over the wire.
local function mode(n)
  p:ok("AT+NNMI=" .. n)
  assert(m:set_receive_mode(n))
end

TestDownlink = {tearDown = teardown}

function TestDownlink:test_direct_mode_receive_returns_raw_bytes_oldest_first()
  setup()
  p:reply(nnmi("AAAA0000") .. nnmi("0102"))
  lu.assertEquals(m:receive({timeout = 1}), "\xAA\xAA\0\0")
  lu.assertEquals(m:receive({timeout = 1}), "\1\2")
  local r, msg, code = m:receive({timeout = 0.05})
  lu.assertNil(r)
  lu.assertEquals(code, "timeout")
  lu.assertStrContains(msg, "downlink")
end

function TestDownlink:test_receive_waits_in_a_task_until_a_downlink_arrives()
  setup()
  p:sleep(0.1):reply(nnmi("CAFE"))
  local got = bc260y.run(function() return m:receive({timeout = 2}) end)
  lu.assertEquals(got, "\xCA\xFE")
end

function TestDownlink:test_handlers_take_downlinks_and_receive_refuses()
  setup()
  local got = {}
  m:on("downlink", function(data) got[#got + 1] = data end)
  p:reply(nnmi("01") .. nnmi("02"))
  p:finish()
  settle()
  lu.assertEquals(got, {"\1", "\2"})
  local r, _, code = m:receive({timeout = 0.05})
  lu.assertNil(r)
  lu.assertEquals(code, "state")
end

function TestDownlink:test_handler_going_and_coming_while_messages_arrive_loses_nothing()
  setup()
  local got = {}
  local h
  h = m:on("downlink", function(data)
    got[#got + 1] = "h:" .. data
    h:off() -- the first message makes the handler leave
  end)
  -- three messages in one write: the first was picked for the handler, the others arrive
  -- when no handler is left
  p:reply(nnmi("01") .. nnmi("02") .. nnmi("03"))
  p:finish()
  settle()
  lu.assertEquals(got, {"h:\1"})
  lu.assertEquals(m:receive({timeout = 0.5}), "\2")
  -- a new handler takes what still waits in the inbox, then the new ones
  m:on("downlink", function(data) got[#got + 1] = "g:" .. data end)
  p:reply(nnmi("04"))
  p:finish()
  settle()
  lu.assertEquals(got, {"h:\1", "g:\3", "g:\4"})
end

function TestDownlink:test_full_inbox_drops_the_oldest_with_an_event()
  setup({inbox = 2})
  local drops = {}
  m:on("downlink_dropped", function(info) drops[#drops + 1] = info end)
  p:reply(nnmi("01") .. nnmi("02") .. nnmi("03"))
  p:finish()
  settle()
  lu.assertEquals(drops, {{reason = "inbox full", count = 1, data = "\1"}})
  lu.assertEquals(m:receive({timeout = 0.1}), "\2")
  lu.assertEquals(m:receive({timeout = 0.1}), "\3")
end

function TestDownlink:test_buffer_full_urc_is_a_dropped_event()
  setup()
  local drops = {}
  m:on("downlink_dropped", function(info) drops[#drops + 1] = info end)
  p:reply('\r\n+NNMI: "recv",buff full\r\n')
  p:finish()
  settle()
  lu.assertEquals(drops, {{reason = "buff full", count = 1}})
  -- NQMGR then reports that same drop: not counted twice
  p:ok("AT+NQMGR", "BUFFERED=8,RECEIVED=9,DROPPED=1")
  assert(m:queue_stats())
  settle()
  lu.assertEquals(#drops, 1)
end

function TestDownlink:test_indicate_mode_receive_reads_one_message_per_call()
  setup()
  mode(2)
  p:ok("AT+NMGR")                       -- receive asks: empty
  p:sleep(0.05):reply("\r\n+NNMI\r\n")  -- then the indication
  p:on("AT+NMGR", nmgr("AAAA0000"))     -- receive reads exactly one
  p:on("AT+NMGR", nmgr("0102"))         -- the next receive, the next one
  lu.assertEquals(m:receive({timeout = 2}), "\xAA\xAA\0\0")
  lu.assertEquals(m:receive({timeout = 2}), "\1\2")
  lu.assertTrue(p:finish())
end

function TestDownlink:test_indicate_mode_with_a_handler_drains_on_the_indication()
  setup()
  mode(2)
  local got = {}
  m:on("downlink", function(data) got[#got + 1] = data end)
  -- registering the handler looked into the module's buffer at once
  p:ok("AT+NMGR")
  p:reply("\r\n+NNMI\r\n")
  p:on("AT+NMGR", nmgr("01"))
  p:on("AT+NMGR", nmgr("02"))
  p:ok("AT+NMGR")
  lu.assertTrue(p:finish())
  settle()
  lu.assertEquals(got, {"\1", "\2"})
end

function TestDownlink:test_buffer_mode_receive_polls_the_module()
  setup()
  mode(0)
  p:ok("AT+NMGR"):ok("AT+NMGR"):on("AT+NMGR", nmgr("BEEF"))
  lu.assertEquals(m:receive({timeout = 2}), "\xBE\xEF")
  lu.assertTrue(p:finish())
end

function TestDownlink:test_buffer_mode_with_a_handler_polls_in_the_background()
  setup()
  mode(0)
  local got = {}
  p:ok("AT+NMGR")                 -- the drain started by registering the handler
  p:on("AT+NMGR", nmgr("11"))     -- a later poll finds a message
  p:ok("AT+NMGR")
  m:on("downlink", function(data) got[#got + 1] = data end)
  lu.assertTrue(p:finish(3))
  settle()
  lu.assertEquals(got, {"\x11"})
end

function TestDownlink:test_no_recv_data_error_counts_as_empty()
  setup()
  mode(2)
  p:on("AT+NMGR", "\r\n+CME ERROR: 801\r\n")
  local r, _, code = m:receive({timeout = 0.1})
  lu.assertNil(r)
  lu.assertEquals(code, "timeout")
end

function TestDownlink:test_leaving_a_buffer_mode_moves_the_modules_buffer_to_the_inbox()
  setup()
  mode(2)
  p:ok("AT+NNMI=1"):on("AT+NMGR", nmgr("05")):ok("AT+NMGR")
  lu.assertTrue(m:set_receive_mode("direct"))
  lu.assertEquals(m:receive({timeout = 0.1}), "\5")
end

function TestDownlink:test_a_malformed_downlink_is_reported_not_lost_silently()
  setup()
  local drops = {}
  m:on("downlink_dropped", function(info) drops[#drops + 1] = info end)
  p:reply("\r\n+NNMI: 2,ZZZZ\r\n\r\n+NNMI: 3,AABB\r\n")
  p:finish()
  settle()
  lu.assertEquals(drops, {
    {reason = "malformed", count = 1, line = "+NNMI: 2,ZZZZ"},
    {reason = "malformed", count = 1, line = "+NNMI: 3,AABB"},
  })
  lu.assertNil(m:receive({timeout = 0.05}))
end

function TestDownlink:test_indicate_mode_receive_asks_the_module_once_without_an_indication()
  setup()
  mode(2)
  p:ok("AT+NMGR")
  local r, _, code = m:receive({timeout = 0.15})
  lu.assertNil(r)
  lu.assertEquals(code, "timeout")
  lu.assertTrue(p:finish())
  -- no further AT+NMGR: a sleeping module is not woken for nothing
  lu.assertEquals(p:unexpected(), {})
end

function TestDownlink:test_indicate_mode_receive_during_a_firmware_download_waits_without_spinning()
  setup()
  mode(2)
  -- a download starts (data commands are off limits), then a downlink is indicated
  p:reply('\r\n+QIND: "FOTA","DOWNLOAD START"\r\n\r\n+NNMI\r\n')
  p:finish()
  settle()
  local ticks, r, code = 0, nil, nil
  bc260y.run(function()
    local ticker = true
    bc260y.spawn(function()
      while ticker do ticks = ticks + 1; loop.sleep(0.01) end
    end)
    r, _, code = m:receive({timeout = 0.3})
    ticker = false
  end)
  lu.assertNil(r)
  lu.assertEquals(code, "timeout")
  lu.assertTrue(ticks >= 10, "other tasks ran only " .. ticks .. " times during receive")
  lu.assertEquals(p:unexpected(), {}) -- no AT+NMGR while busy
  -- when the download fails the module is free again: a waiting receive reads the message
  p:sleep(0.05):reply('\r\n+QIND: "FOTA","DOWNLOAD",4\r\n')
  p:on("AT+NMGR", nmgr("0A0B"))
  lu.assertEquals(m:receive({timeout = 2}), "\10\11")
  lu.assertTrue(p:finish())
end

function TestDownlink:test_a_late_nmgr_answer_still_delivers_its_message()
  -- The module removed the message from its buffer when it answered: an answer that
  -- comes after the command timed out must not be lost.
  setup()
  mode(2)
  p:expect("AT+NMGR"):sleep(0.8):reply(nmgr("0C0D"))
  local r, _, code = m:receive({timeout = 2})
  lu.assertNil(r)
  lu.assertEquals(code, "timeout")
  lu.assertTrue(p:finish())
  settle(0.05)
  lu.assertEquals(m:receive({timeout = 0.5}), "\12\13")
end

function TestDownlink:test_a_downlink_line_too_long_for_the_engine_is_a_dropped_event()
  setup()
  local drops, overflows = {}, 0
  m:on("downlink_dropped", function(info) drops[#drops + 1] = info.reason end)
  m:on("overflow", function() overflows = overflows + 1 end)
  p:reply("\r\n+NNMI: 4000," .. ("AB"):rep(4000) .. "\r\n" .. nnmi("01"))
  p:finish()
  settle(0.05)
  lu.assertEquals(overflows, 1)
  lu.assertEquals(drops, {"overflow"})
  lu.assertEquals(m:receive({timeout = 0.5}), "\1") -- the next message is intact
end

os.exit(lu.LuaUnit.run(), true)
