-- adapter_session: the session every event-loop adapter spec runs inside its loop, from
-- a bc260y task: init, connect, a CON uplink and a downlink against the virtual module.
local lu = require("luaunit")

local session = {}

-- Runs the session; returns what check() verifies. Must run in a bc260y task.
function session.run(bc260y)
  local m = assert(bc260y.open("sim", {speed = 50, sim = {qsclk = 0}}))
  local s = m.sim
  local r = {}
  r.imei, r.sim_imei = assert(m:init()).imei, s.imei
  assert(m:connect{host = "221.229.214.202", port = 5683})
  r.status = m:status()
  assert(m:send("\1\5HELLO", {con = true}))
  r.uplink = s.platform:uplinks()[1].data
  s.platform:queue_downlink("\170\187")
  r.downlink = m:receive{timeout = 60} -- returns when it comes; 60 module s leave valgrind room
  m:close({deregister = false})
  return r
end

function session.check(r)
  lu.assertNotNil(r, "the session finished")
  lu.assertEquals(r.imei, r.sim_imei)
  lu.assertEquals(r.status, "REGISTERED_AND_OBSERVED")
  lu.assertEquals(r.uplink, "\1\5HELLO")
  lu.assertEquals(r.downlink, "\170\187")
end

-- A Modem closed and another opened with no yield between: the second reuses the first's
-- fd number, which an outer loop must not take for the old registration. Runs in a bc260y
-- task; returns what check_reopen() verifies (never raises).
function session.reopen(bc260y)
  local r = {fds = {}}
  local ok, e = pcall(function()
    local m = assert(bc260y.open("sim", {speed = 50}))
    assert(m:init())
    r.fds[1] = m:fd()
    m:close({deregister = false})
    m = assert(bc260y.open("sim", {speed = 50})) -- no yield between close and open
    r.fds[2] = m:fd()
    r.info = m:init({timeout = 5})
    m:close({deregister = false})
  end)
  if not ok then r.err = e end
  return r
end

function session.check_reopen(r, loop_name)
  lu.assertNil(r.err)
  lu.assertEquals(r.fds[2], r.fds[1], "the second modem reuses the first one's fd number")
  lu.assertNotNil(r.info, "the second modem answered through " .. loop_name)
end

return session
