-- platform_sim_spec: virtual modules that speak to `bc260y platform` for real. Three
-- `bc260y sim --platform coap://...` processes, driven by the library over their ptys as
-- a class's device scripts would drive them, register (each with its own valid IMEI),
-- send uplinks the JSON API lists with their CON/NON type, and each receives the
-- downlink posted to the API for it as +NNMI; the Lua `sim` option does the same in
-- process, and its close deregisters. Without a platform URL the virtual module never
-- loads the network client. Skipped (77) when the platform is not built.
local lu = require("luaunit")
local rig = require("platform_rig")

rig.skip_unless({"platform", "python3"})

local bc260y = require("bc260y")
local loop = require("bc260y.loop")

local function hex(s) return (s:gsub(".", function(c) return ("%02X"):format(c:byte()) end)) end

local server, sims = nil, {}

TestPlatformSim = {}

function TestPlatformSim:setUp() server = rig.platform() end

function TestPlatformSim:tearDown()
  for _, s in ipairs(sims) do s.stop() end
  sims = {}
  server:stop()
end

function TestPlatformSim:test_three_modules_register_send_uplinks_and_receive_a_downlink_each()
  for i = 1, 3 do sims[i] = rig.sim(server.coap, "--speed 20") end
  loop.run(function()
    local modems, imeis, received = {}, {}, {}
    for i, s in ipairs(sims) do
      local m = assert(bc260y.open(s.path, {progress = false}))
      modems[i] = m
      local info = assert(m:init())
      -- Awake: a module in deep sleep takes a downlink only when it wakes, as the real one
      -- does (at its next TAU, an hour away); a slow run would leave the test waiting.
      assert(m:sleep_mode("off"))
      imeis[i] = info.imei
      m:on("downlink", function(bytes) received[i] = bytes end)
      assert(m:connect{host = "127.0.0.1", port = 5683})
      assert(m:send("up" .. i))                       -- NON
      assert(m:send("con" .. i, {con = true, rai = 1})) -- CON: returns once acknowledged
    end
    lu.assertNotEquals(imeis[1], imeis[2])
    lu.assertNotEquals(imeis[2], imeis[3])
    lu.assertNotEquals(imeis[1], imeis[3])
    for i, imei in ipairs(imeis) do
      lu.assertTrue(rig.luhn_valid(imei), imei)
      local d = rig.wait("module " .. i .. " observed with two uplinks", function()
        local d = server:device(imei)
        return d and d.state == "observed" and d.uplinks == 2 and d
      end, 30, loop.sleep)
      lu.assertEquals(d.lifetime, 86400)
      local status, uplinks = server:api("GET", "/api/devices/" .. imei .. "/uplinks")
      lu.assertEquals(status, 200)
      lu.assertEquals({uplinks[1].type, uplinks[1].hex}, {"NON", hex("up" .. i)})
      lu.assertEquals({uplinks[2].type, uplinks[2].hex}, {"CON", hex("con" .. i)})
      status = server:api("POST", "/api/devices/" .. imei .. "/downlinks",
                          ('{"hex": "%s"}'):format(hex("cmd" .. i)))
      lu.assertEquals(status, 202)
    end
    rig.wait("a downlink on every module", function()
      return received[1] and received[2] and received[3]
    end, 30, loop.sleep)
    for i, imei in ipairs(imeis) do
      lu.assertEquals(received[i], "cmd" .. i)
      local _, downlinks = server:api("GET", "/api/devices/" .. imei .. "/downlinks")
      lu.assertEquals(downlinks[1].state, "delivered")
      modems[i]:close()
    end
  end)
end

function TestPlatformSim:test_the_lua_sim_option_registers_in_process_and_close_deregisters()
  loop.run(function()
    local m = assert(bc260y.open("sim", {progress = false, sim = {platform = server.coap, speed = 20}}))
    local info = assert(m:init())
    lu.assertTrue(rig.luhn_valid(info.imei))
    lu.assertNotEquals(info.imei, require("bc260y.sim").DEFAULT_IMEI)
    assert(m:connect{host = "127.0.0.1"})
    assert(m:send("\1\2\3", {con = true}))
    lu.assertEquals(server:device(info.imei).state, "observed")
    lu.assertEquals(m.platform:uplinks()[1].data, "\1\2\3")
    m:close()
    rig.wait("deregistered", function()
      return server:device(info.imei).state == "deregistered"
    end, 30, loop.sleep)
    local _, events = server:api("GET", "/api/devices/" .. info.imei .. "/events")
    local seen = {}
    for _, e in ipairs(events) do seen[#seen + 1] = e.what end
    lu.assertEquals(seen, {"register", "observe", "uplink", "deregister"})
  end)
end

function TestPlatformSim:test_the_lifetime_update_renews_the_registration_on_the_server()
  loop.run(function()
    -- lifetime 900 s (AT+NCFG=0 kept in NVRAM): the module renews it after 810 module
    -- seconds, two real seconds at this speed
    local m = assert(bc260y.open("sim", {progress = false,
      sim = {platform = server.coap, speed = 400, nvram = {lifetime = 900}}}))
    local imei = assert(m:init()).imei
    local renewed = false
    m:on("lifetime_updated", function() renewed = true end)
    assert(m:connect{host = "127.0.0.1"})
    lu.assertEquals(server:device(imei).lifetime, 900)
    rig.wait("the server's update event", function()
      local _, events = server:api("GET", "/api/devices/" .. imei .. "/events")
      for _, e in ipairs(events) do
        if e.what == "update" then return true end
      end
    end, 60, loop.sleep)
    rig.wait("+QLWEVTIND: 2 on the module", function() return renewed end, 60, loop.sleep)
    lu.assertEquals(server:device(imei).state, "observed")
    m:close()
  end)
end

function TestPlatformSim:test_a_platform_that_is_gone_times_the_registration_out()
  local gone = server.coap
  server:stop()
  server = rig.platform() -- (for tearDown)
  loop.run(function()
    local m = assert(bc260y.open("sim", {progress = false, sim = {platform = gone, speed = 50}}))
    assert(m:init())
    local ok, _, code = m:connect{host = "127.0.0.1"}
    lu.assertNil(ok)
    lu.assertEquals(code, "timeout")
    lu.assertEquals(m:status(), "TIMEOUT")
    m:close()
  end)
end

function TestPlatformSim:test_modules_sharing_one_remote_platform_get_imeis_of_their_own()
  local sim = require("bc260y.sim")
  local shared = require("bc260y.sim.remote_platform").new{url = server.coap}
  local a, b = sim.new{platform = shared}, sim.new{platform = shared}
  lu.assertNotEquals(a.imei, b.imei)
  lu.assertTrue(rig.luhn_valid(a.imei) and rig.luhn_valid(b.imei))
  local given = sim.new{platform = shared, imei = "861234567890124"}
  lu.assertEquals(given.imei, "861234567890124")
  a:close()
  b:close()
  given:close()
end

function TestPlatformSim:test_a_bad_platform_url_or_a_psk_is_refused()
  local sim = require("bc260y.sim")
  lu.assertErrorMsgContains("expected coap://HOST:PORT", sim.new, {platform = "http://127.0.0.1:5683"})
  lu.assertErrorMsgContains("serves no DTLS", sim.new, {platform = server.coap, psk = "00112233"})
  local p = io.popen(rig.CLI .. " sim --platform 127.0.0.1:5683 2>&1")
  local out = p:read("a")
  local _, _, code = p:close()
  lu.assertEquals(code, 2)
  lu.assertStrContains(out, "--platform takes coap://HOST:PORT")
end

function TestPlatformSim:test_without_a_platform_url_the_network_client_is_never_loaded()
  package.loaded["bc260y.sim.coap"] = nil -- (an earlier test of this process loaded it)
  loop.run(function()
    local m = assert(bc260y.open("sim", {progress = false, sim = {speed = 50}}))
    assert(m:init())
    assert(m:connect{host = "127.0.0.1"})
    assert(m:send("x", {con = true}))
    lu.assertEquals(m.platform:uplinks()[1].data, "x")
    m:close()
  end)
  lu.assertNil(package.loaded["bc260y.sim.coap"])
end

os.exit(lu.LuaUnit.run(), true)
