-- sim_energy_spec: the virtual module's energy account (issue 21, item 3, bc260y.sim.energy):
-- the time in each power state adds up, and the charge falls with each cheaper choice: RAI
-- 1 instead of RAI 0, PSM instead of staying idle, eDRX instead of the plain DRX. Driven
-- on a virtual clock (sim_rig): an hour with one uplink in a moment.
local lu = require("luaunit")
local energy = require("bc260y.sim.energy")
local sim_rig = require("sim_rig")

-- An hour after one NON uplink with `rai`, after the setup commands given.
local function an_hour(rai, setup)
  local r = sim_rig.registered()
  for _, cmd in ipairs(setup or {}) do lu.assertEquals(r.cmd(cmd), {"OK"}) end
  local before = r.m:energy_report()
  lu.assertEquals(r.cmd("AT+NMGS=2,0102," .. rai), {"OK"})
  for _ = 1, 60 do r.lines(60) end
  local after = r.m:energy_report()
  local d = {uah = after.uah - before.uah, wakeups = after.wakeups - before.wakeups, seconds = {}}
  for k, v in pairs(after.seconds) do d.seconds[k] = v - (before.seconds[k] or 0) end
  return d, after
end

TestEnergy = {}

function TestEnergy:test_the_states_add_up_to_the_elapsed_time()
  local _, e = an_hour(1)
  local sum = 0
  for _, s in ipairs(energy.STATES) do sum = sum + e.seconds[s] end
  lu.assertAlmostEquals(sum, e.elapsed, 1e-6)
  lu.assertTrue(e.seconds.psm > 3000)          -- asleep most of the hour
  lu.assertTrue(e.seconds.tx > 0)
  lu.assertTrue(e.seconds.booting > 0)
  lu.assertAlmostEquals(e.average_ua, e.uah * 3600 / e.elapsed, 1e-9)
end

function TestEnergy:test_rai_1_costs_less_than_rai_0()
  local rai0, rai1 = an_hour(0), an_hour(1)
  lu.assertTrue(rai1.uah < rai0.uah, ("RAI 1 %.2f uAh, RAI 0 %.2f uAh"):format(rai1.uah, rai0.uah))
  lu.assertTrue(rai1.seconds.connected < rai0.seconds.connected)
end

function TestEnergy:test_psm_costs_less_than_staying_idle()
  local psm, idle = an_hour(1), an_hour(1, {"AT+CPSMS=0"})
  lu.assertTrue(psm.uah < idle.uah, ("PSM %.2f uAh, idle %.2f uAh"):format(psm.uah, idle.uah))
  lu.assertEquals(idle.seconds.psm, 0)
end

function TestEnergy:test_edrx_costs_less_than_drx_in_idle()
  local drx = an_hour(1, {"AT+CPSMS=0"})
  local edrx = an_hour(1, {"AT+CPSMS=0", 'AT+CEDRXS=1,5,"1101"'})
  lu.assertTrue(edrx.uah < drx.uah, ("eDRX %.2f uAh, DRX %.2f uAh"):format(edrx.uah, drx.uah))
end

function TestEnergy:test_the_profile_is_replaceable()
  local r = sim_rig.registered()
  r.m.energy:set_profile({psm = 0, idle_floor = 0, paging_uc = 0, connected = 0, tx = 0, rx = 0,
    booting = 0})
  local before = r.m:energy_report().uah
  r.cmd("AT+NMGS=2,0102,1")
  for _ = 1, 10 do r.lines(60) end
  lu.assertAlmostEquals(r.m:energy_report().uah, before, 1e-9)
  lu.assertErrorMsgContains("unknown power profile key", r.m.energy.set_profile, r.m.energy, {psn = 1})
end

function TestEnergy:test_battery_years()
  lu.assertAlmostEquals(energy.battery_years(2400, 10), 2400000 / 10 / 8760, 1e-9)
  lu.assertStrContains(energy.summary({uah = 1, elapsed = 3600, average_ua = 1, wakeups = 2,
    seconds = {psm = 3600}}, 2400), "years on 2400 mAh")
end

os.exit(lu.LuaUnit.run())
