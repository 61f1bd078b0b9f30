-- host_stall_spec.lua: a stalled host does not invent timeouts. spec/peer/peer.py (calm
-- chaos mode, its own process) answers every command within 0.2 s; meanwhile the host
-- process is blocked (os.execute("sleep ...")) past the command's deadline, as on a busy
-- router or in a long callback. When the host runs again the answer is already waiting
-- in the kernel: it must be taken, not reported as a timeout; an uplink the module
-- accepted in time must be reported sent (a retrying script would send it twice).
local lu = require("luaunit")
local bc260y = require("bc260y")
local peer = require("peer_process")

local function with_peer(fn)
  local log = os.tmpname()
  local p = peer.start({"chaos", "--seed", "1", "--log", log, "--latency", "0.2", "--timeout", "60"})
  local results = {}
  bc260y.run(function()
    local m = assert(bc260y.open(p.path))
    assert(m:init())
    assert(m:connect{host = "10.0.0.1", port = 5683})
    fn(m, results)
    m:close{deregister = false}
  end)
  local ok, msg = p:finish()
  os.remove(log)
  lu.assertEquals(msg, "")
  lu.assertTrue(ok)
  return results
end

-- The command is written, then the whole process stops for longer than its timeout.
local function stalled(m, results, seconds, call)
  local done = bc260y.spawn(function() results.r = table.pack(call()) end)
  bc260y.sleep(0.02)        -- the command reaches the wire
  os.execute("sleep " .. seconds) -- the host is not scheduled; the answer comes at 0.2 s
  while not results.r do bc260y.sleep(0.05) end
  return done
end

function test_an_answer_that_came_in_time_is_taken()
  local res = with_peer(function(m, results)
    stalled(m, results, 1.5, function()
      return m:at("AT+QECHO=7", {timeout = 1, expect = {"+QECHO"}})
    end)
  end)
  local r, msg, code = res.r[1], res.r[2], res.r[3]
  lu.assertNotNil(r, ("the answer waited in the kernel but the call says: %s (%s)"):format(
    tostring(msg), tostring(code)))
  lu.assertEquals(r.lines, {"+QECHO: 7"})
end

function test_an_uplink_accepted_in_time_is_reported_sent()
  -- The NMGS waits 5 s for its first byte: the host stalls 6 s; the OK came at 0.2 s.
  local res = with_peer(function(m, results)
    stalled(m, results, 6, function() return m:send("\1\2\3\4") end)
  end)
  local ok, msg, code = res.r[1], res.r[2], res.r[3]
  lu.assertTrue(ok == true, ("the module accepted the uplink in time but send says: %s (%s)"):format(
    tostring(msg), tostring(code)))
end

os.exit(lu.LuaUnit.run())
