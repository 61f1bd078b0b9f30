-- sim_battery_spec: the library never wakes a sleeping module on its own account (issue 21,
-- item 1). A simulated day of hourly NON RAI-1 uplinks with deep sleep on, in every
-- receive mode with a downlink handler: every byte that reaches the virtual module while
-- it sleeps, and so every wake-up, must come from the script's own calls.
local lu = require("luaunit")
local bc260y = require("bc260y")
local loop = require("bc260y.loop")

-- Speeds. While something happens (an uplink until the module sleeps again) the host's
-- lag between two lines must stay well below the module's shortest timer that matters
-- (T3324, 60 s: 60 ms real at 1000; valgrind, which CMake tells through the environment,
-- is ten times slower); while the module sleeps nothing happens, so time runs fast.
local SLOW = os.getenv("BC260Y_SPEC_VALGRIND") and 10 or 1
local SETUP_SPEED = 50 / SLOW  -- init and connect as the other sim specs run them
local ACTIVE_SPEED = 1000 / SLOW
local ASLEEP_SPEED = 50000
local HOURS = 24

-- Waits until the virtual module's clock reads `t` (module seconds): a condition on
-- module time, whatever the speed.
local function until_module_time(s, t)
  local reached = loop.future()
  s.clock:after(t - s.clock:now(), function() reached:set() end)
  reached:get()
end

-- Runs `hours` (default a day; time runs at asleep_speed while the module sleeps) in receive mode `mode` (open_opts added to
-- open's) and returns what was counted: {stray_bytes, stray_wakeups, script_wakeups, sleeps, downlinks, uplinks}.
local function a_day(mode, open_opts, hours, asleep_speed)
  hours, asleep_speed = hours or HOURS, asleep_speed or ASLEEP_SPEED
  return bc260y.run(function()
    -- The wake hook pulses PSM_EINT and returns once the module says it is awake (bytes
    -- sent while it wakes are lost, and at this speed a lost AT's retry comes too late).
    local awake
    local o = {speed = SETUP_SPEED, wake = function(modem)
      awake = loop.future()
      if modem.sim:wake() then awake:get() end
    end}
    for k, v in pairs(open_opts or {}) do o[k] = v end
    local m = assert(bc260y.open("sim", o))
    local s = m.sim
    local mod = s.module
    assert(m:init())
    assert(m:connect{host = "221.229.214.202", port = 5683})
    assert(m:set_receive_mode(mode))
    assert(m:sleep_mode("deep"))
    m:on("wakeup", function() if awake then awake:set() end end)
    local asleep
    m:on("deepsleep", function() if asleep then asleep:set(true) end end)
    local downlinks = 0
    m:on("downlink", function() downlinks = downlinks + 1 end)
    s.platform:set_auto_reply(true, "\7")

    -- What reaches the module while it sleeps, outside the script's own calls.
    local in_call, stray_bytes, stray_wakeups = false, 0, 0
    local input = mod.input
    mod.input = function(self, bytes)
      if self.sleep_state == "asleep" and not in_call then
        stray_bytes = stray_bytes + #bytes
        stray_wakeups = stray_wakeups + 1
      end
      return input(self, bytes)
    end
    local function woken()
      local n = 0
      for why, count in pairs(mod.wakeups) do
        if why ~= "tau" and why ~= "lifetime" then n = n + count end -- the network's own
      end
      return n
    end
    local wakeups_before = woken()

    local start = s.clock:now()
    local script_wakeups = 0
    for hour = 1, hours do
      s:set_speed(asleep_speed)
      until_module_time(s, start + hour * 3600)
      s:set_speed(ACTIVE_SPEED)
      local before = woken()
      in_call = true
      assert(m:send("\1\2", {rai = 1}))
      in_call = false
      script_wakeups = script_wakeups + woken() - before
      -- the reply, RRC released, T3324: asleep again, as the library heard
      asleep = loop.future()
      -- (bounded: a library that keeps it awake must fail here, not hang)
      if not m:state().sleeping then
        assert(asleep:get(60 * SLOW), ("not asleep again after hour %d"):format(hour))
      end
      asleep = nil
    end
    local result = {stray_bytes = stray_bytes, stray_wakeups = stray_wakeups,
      other_wakeups = woken() - wakeups_before - script_wakeups, script_wakeups = script_wakeups,
      sleeps = mod.sleeps, downlinks = downlinks, uplinks = #s.platform:uplinks()}
    s:set_speed(SETUP_SPEED)
    m:close({deregister = false})
    return result
  end)
end

TestBattery = {}

for _, mode in ipairs({"buffer", "direct", "indicate"}) do
  TestBattery["test_a_day_of_hourly_uplinks_in_" .. mode .. "_mode_wakes_only_for_the_script"] = function()
    local r = a_day(mode)
    lu.assertEquals(r.uplinks, HOURS)
    lu.assertEquals(r.stray_bytes, 0)       -- (a) nothing the script did not ask for
    lu.assertEquals(r.stray_wakeups, 0)
    lu.assertEquals(r.other_wakeups, 0)     -- (b) wake-ups only from the script's calls
    lu.assertTrue(r.script_wakeups <= HOURS)
    lu.assertTrue(r.sleeps >= HOURS)        -- it slept between the uplinks
    lu.assertEquals(r.downlinks, HOURS)     -- and every reply still reached the handler
  end
end

-- The schedule a script asks for: poll_asleep polls the sleeping module's buffer (and so
-- wakes it) every that many module seconds. (The slower clock throughout: these wake-ups
-- happen while the module sleeps.)
function TestBattery:test_poll_asleep_wakes_the_module_on_the_script_schedule()
  local r = a_day("buffer", {poll_asleep = 1800}, 2, ACTIVE_SPEED)
  lu.assertTrue(r.other_wakeups >= 2, "woken " .. r.other_wakeups .. " times")
  lu.assertEquals(r.downlinks, 2)
end

os.exit(lu.LuaUnit.run())
