-- platform_browser_spec: the teacher's page of `bc260y platform` in a real browser
-- (Debian's Chromium, headless). A virtual module registers with the platform (the Lua
-- `sim` option), sends an uplink and takes a downlink, then another sent with the page's
-- form (spec/platform/browser_form.py types it in and submits it); the page, as Chromium
-- renders it after running its script, lists the device and shows the uplink, the
-- downlink and the session's timeline picture. Skipped (77) when the platform is not built or Chromium is
-- missing.
local lu = require("luaunit")
local rig = require("platform_rig")

rig.skip_unless({"platform", "python3", "chromium"})

local bc260y = require("bc260y")
local loop = require("bc260y.loop")

local server

-- The page's DOM once its script has run (--dump-dom after the virtual time budget,
-- which covers the script's requests to the API).
local function rendered(url)
  local profile = os.tmpname()
  os.remove(profile)
  local root = io.popen("id -u"):read("l") == "0"
  -- (not under the sanitizer build's preloaded runtime, meant for lua5.4; no background
  -- networking, and no host name resolves: the test's traffic stays on 127.0.0.1)
  local p = assert(io.popen(("env -u LD_PRELOAD -u ASAN_OPTIONS chromium --headless --disable-gpu %s --user-data-dir=%s " ..
    "--disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-default-apps --disable-domain-reliability --no-pings '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' " ..
    "--virtual-time-budget=3000 --dump-dom '%s' 2>/dev/null"):format(
    root and "--no-sandbox" or "", profile, url)))
  local dom = p:read("a")
  p:close()
  os.execute("rm -rf " .. profile)
  return dom
end

TestPlatformBrowser = {}

function TestPlatformBrowser:setUp() server = rig.platform() end
function TestPlatformBrowser:tearDown() server:stop() end

function TestPlatformBrowser:test_the_page_shows_a_registered_device_its_uplink_and_downlink()
  local imei
  loop.run(function()
    local m = assert(bc260y.open("sim", {progress = false, sim = {platform = server.coap, speed = 20}}))
    imei = assert(m:init()).imei
    assert(m:sleep_mode("off")) -- a module in deep sleep would take the downlink at its next TAU
    local got
    m:on("downlink", function(bytes) got = bytes end)
    assert(m:connect{host = "127.0.0.1"})
    assert(m:send("hello", {con = true}))
    lu.assertEquals(server:api("POST", "/api/devices/" .. imei .. "/downlinks", '{"hex": "C0FFEE"}'), 202)
    rig.wait("the downlink received", function() return got end, 30, loop.sleep)
    rig.wait("the downlink delivered", function()
      local _, downlinks = server:api("GET", "/api/devices/" .. imei .. "/downlinks")
      return downlinks[1].state == "delivered"
    end, 30, loop.sleep)
    -- The page's form, filled in and submitted in the browser, sends one too.
    got = nil
    local p = assert(io.popen(("python3 %s/spec/platform/browser_form.py '%s#%s' BEEF01 2>&1"):format(
      os.getenv("BC260Y_SOURCE_DIR") or ".", server.http, imei)))
    local said = p:read("a")
    p:close()
    lu.assertEquals(said, "queued\n")
    rig.wait("the form's downlink received", function() return got end, 30, loop.sleep)
    lu.assertEquals(got, "\xBE\xEF\x01")
    m:close()
  end)
  -- The device list, on the page itself.
  local dom = rig.wait("the page listing the device", function()
    local d = rendered(server.http)
    return d:find('data-imei="' .. imei .. '"', 1, true) and d
  end, 60)
  lu.assertStrContains(dom, "<td>" .. imei .. "</td>")
  lu.assertStrContains(dom, 'id="no-devices" hidden')
  -- The device's page: its uplink, downlink and timeline.
  dom = rig.wait("the device's uplinks on its page", function()
    local d = rendered(server.http .. "#" .. imei)
    return d:find('<td class="hex">68656C6C6F</td>', 1, true) and d
  end, 60)
  lu.assertStrContains(dom, '<span id="device-imei">' .. imei .. "</span>")
  lu.assertStrMatches(dom, '.*<tr class="uplink"><td>[^<]*</td><td>CON</td><td class="hex">68656C6C6F</td>.*')
  lu.assertStrMatches(dom, '.*<tr class="downlink"><td>[^<]*</td><td class="hex">C0FFEE</td><td>delivered</td>.*')
  lu.assertStrContains(dom, 'aria-label="session timeline"')
  lu.assertStrContains(dom, 'class="event register"')
  lu.assertStrContains(dom, 'class="event uplink"')
  lu.assertStrContains(dom, 'class="event delivered"')
end

os.exit(lu.LuaUnit.run(), true)
