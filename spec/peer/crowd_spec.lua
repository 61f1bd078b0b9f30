-- crowd_spec.lua: any number of callers wait their turn. 40 tasks each call m:at three
-- times at once against spec/peer/peer.py (calm chaos mode, its own process); every one
-- of the 120 calls completes with its own answer ("+QECHO: <token>"), none fails with
-- "queue full" (code "busy" is for DFOTA).
local lu = require("luaunit")
local bc260y = require("bc260y")
local peer = require("peer_process")

function test_40_tasks_x_3_calls_all_complete()
  local log = os.tmpname()
  local p = peer.start({"chaos", "--seed", "1", "--log", log, "--latency", "0.002", "--timeout", "60"})
  local failures, answered = {}, 0
  bc260y.run(function()
    local m = assert(bc260y.open(p.path))
    assert(m:init())
    local tasks = {}
    for t = 1, 40 do
      tasks[t] = bc260y.spawn(function()
        for c = 1, 3 do
          local token = ("%d_%d"):format(t, c)
          local r, msg, code = m:at("AT+QECHO=" .. token, {timeout = 10, expect = {"+QECHO"}})
          if r and r.lines[1] == "+QECHO: " .. token then
            answered = answered + 1
          else
            failures[#failures + 1] = ("%s: %s (%s)"):format(token,
              r and table.concat(r.lines, "|") or tostring(msg), tostring(code))
          end
        end
      end)
    end
    while answered + #failures < 120 do bc260y.sleep(0.05) end
    m:close{deregister = false}
  end)
  local ok, msg = p:finish()
  os.remove(log)
  print(("\n%d of 120 calls answered with their own token, %d failed"):format(answered, #failures))
  for i = 1, math.min(3, #failures) do print("  " .. failures[i]) end
  lu.assertEquals(msg, "")
  lu.assertTrue(ok)
  lu.assertEquals(#failures, 0)
  lu.assertEquals(answered, 120)
end

os.exit(lu.LuaUnit.run())
