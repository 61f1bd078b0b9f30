-- platform_server_spec: `bc260y platform` (platform/) as an independent client and the
-- teacher's API see it. coap-client-notls (libcoap3-bin, not this repository's code)
-- registers, updates and deregisters; a registration's lifetime runs out; the JSON API
-- refuses a bad downlink with a clear 4xx; a device of bc260y.sim.coap's (the virtual
-- module's LwM2M client, driven by hand here) is observed, and its notifications are the
-- uplinks, CON or NON, decoded by the teacher's payload description. Skipped (77) when
-- the platform is not built or coap-client-notls is missing.
local lu = require("luaunit")
local rig = require("platform_rig")

rig.skip_unless({"platform", "coap-client-notls", "python3"})

local coap = require("bc260y.sim.coap")

local server

-- coap-client-notls against the server: its status and everything it printed.
local function coap_client(method, path, links)
  local cmd = ("coap-client-notls -B 5 -m %s 'coap://127.0.0.1:%d/%s'%s 2>&1"):format(
    method, server.coap_port, path, links and (" -e '" .. links .. "'") or "")
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

local function state_of(imei)
  local d = server:device(imei)
  return d and d.state
end

TestPlatformServer = {}

function TestPlatformServer:setUp() server = rig.platform() end
function TestPlatformServer:tearDown() server:stop() end

function TestPlatformServer:test_it_listens_on_this_machine_only_by_default()
  lu.assertStrMatches(server.coap, "coap://127%.0%.0%.1:%d+")
  lu.assertStrMatches(server.http, "http://127%.0%.0%.1:%d+/")
end

function TestPlatformServer:test_coap_client_registers_and_the_api_lists_the_device()
  local ok, out = coap_client("post", "rd?ep=869453051234566&lt=300&lwm2m=1.0&b=U",
                              "</1/0>,</3/0>,</19/0/0>,</19/1/0>")
  lu.assertTrue(ok, out)
  local d = rig.wait("the registration listed", function() return server:device("869453051234566") end)
  lu.assertEquals(d.state, "registered")
  lu.assertEquals(d.lifetime, 300)
  lu.assertEquals(d.links, "</1/0>,</3/0>,</19/0/0>,</19/1/0>")
  lu.assertTrue(d.last_seen > 0)
  local status, events = server:api("GET", "/api/devices/869453051234566/events")
  lu.assertEquals(status, 200)
  lu.assertEquals(events[1].what, "register")
end

function TestPlatformServer:test_update_and_deregistration_on_the_registration_resource()
  assert(coap_client("post", "rd?ep=869453051234566&lt=300", "</19/0/0>"))
  local id = rig.wait("registered", function() return server:device("869453051234566") end).id
  local ok, out = coap_client("post", ("rd/%d?lt=600"):format(id))
  lu.assertTrue(ok, out)
  lu.assertEquals(server:device("869453051234566").lifetime, 600)
  ok, out = coap_client("delete", ("rd/%d"):format(id))
  lu.assertTrue(ok, out)
  lu.assertEquals(state_of("869453051234566"), "deregistered")
  -- a registration that is gone is not found again
  ok, out = coap_client("post", ("rd/%d"):format(id))
  lu.assertStrContains(out, "4.04")
  -- and registering again takes the same record
  assert(coap_client("post", "rd?ep=869453051234566&lt=300", "</19/0/0>"))
  lu.assertEquals(state_of("869453051234566"), "registered")
  lu.assertEquals(server:device("869453051234566").id, id)
end

function TestPlatformServer:test_a_registration_without_a_valid_endpoint_or_lifetime_is_refused()
  local _, out = coap_client("post", "rd?lt=300", "</19/0/0>")
  lu.assertStrContains(out, "4.00")
  _, out = coap_client("post", "rd?ep=bad%20name&lt=300", "</19/0/0>")
  lu.assertStrContains(out, "4.00")
  _, out = coap_client("post", "rd?ep=869453051234566&lt=0", "</19/0/0>")
  lu.assertStrContains(out, "4.00")
  local _, devices = server:api("GET", "/api/devices")
  lu.assertEquals(devices, {})
end

-- Link format is printable ASCII: a registration carrying a control byte is refused (4.00),
-- so nothing but text reaches the JSON API's links.
function TestPlatformServer:test_a_registration_with_bytes_that_are_not_link_format_is_refused()
  local _, out = coap_client("post", "rd?ep=869453051234574&lt=300", "</19/0/0>\1")
  lu.assertStrContains(out, "4.00")
  lu.assertNil(server:device("869453051234574"))
end

function TestPlatformServer:test_the_lifetime_runs_out_without_an_update()
  assert(coap_client("post", "rd?ep=869453051234567&lt=1", "</19/0/0>"))
  rig.wait("the registration expired", function() return state_of("869453051234567") == "expired" end, 10)
  local _, events = server:api("GET", "/api/devices/869453051234567/events")
  lu.assertEquals(events[#events].what, "expire")
end

function TestPlatformServer:test_the_api_refuses_bad_downlinks_with_clear_errors()
  assert(coap_client("post", "rd?ep=869453051234566&lt=300", "</19/0/0>"))
  local base = "/api/devices/869453051234566/downlinks"
  local cases = {
    {'{"hex": "zz"}', 400, "hex must hold only"},
    {'{"hex": "ABC"}', 400, "even number"},
    {'{"hex": ""}', 400, "even number"},
    {'{"hex": "' .. ("00"):rep(2561) .. '"}', 400, "at most 2560 bytes"},
    {'{"data": "00"}', 400, "missing member"},
    {'{"hex": 12}', 400, "must be a string"},
    {'not json', 400, "expected {"},
    {'{"hex": "' .. ("0"):rep(9000) .. '"}', 413, "larger than 8 KB"},
  }
  for _, c in ipairs(cases) do
    local status, answer = server:api("POST", base, c[1])
    lu.assertEquals(status, c[2], c[1]:sub(1, 40))
    lu.assertStrContains(answer.error, c[3])
  end
  -- a body another site's page could send without asking first (a "simple" cross-origin
  -- POST: text/plain, a form) is refused, so no page the teacher visits can queue a downlink
  for _, type in ipairs({"text/plain", "application/x-www-form-urlencoded"}) do
    local status, answer = server:api("POST", base, '{"hex": "0A"}', type)
    lu.assertEquals(status, 415, type)
    lu.assertStrContains(answer.error, "application/json")
  end
  lu.assertEquals(server:api("POST", base, '{"hex": "0A"}', "application/json; charset=utf-8"), 202)
  -- other members are ignored, however long their names
  local status = server:api("POST", base, '{"comment_from_the_teacher_of_class_three": "x", "hex": "0A"}')
  lu.assertEquals(status, 202)
  local answer
  status, answer = server:api("POST", "/api/devices/869453059999999/downlinks", '{"hex": "00"}')
  lu.assertEquals(status, 404)
  lu.assertStrContains(answer.error, "no such device")
  status = server:api("DELETE", "/api/devices")
  lu.assertEquals(status, 405)
  status = server:api("GET", "/api/nothing")
  lu.assertEquals(status, 404)
  -- a device that is not registered takes no downlink
  local id = server:device("869453051234566").id
  assert(coap_client("delete", ("rd/%d"):format(id)))
  status, answer = server:api("POST", base, '{"hex": "00"}')
  lu.assertEquals(status, 409)
  lu.assertStrContains(answer.error, "not registered")
end

function TestPlatformServer:test_the_web_page_is_served()
  local status, page = server:api("GET", "/")
  lu.assertEquals(status, 200)
  lu.assertStrContains(page, "<title>bc260y platform</title>")
  status = server:api("GET", "/app.js")
  lu.assertEquals(status, 200)
  status = server:api("GET", "/../CMakeLists.txt")
  lu.assertEquals(status, 404)
end

-- A device of bc260y.sim.coap's, pumped by hand: the server observes it, takes its
-- notifications as uplinks and writes a downlink to 19/1/0.
local function pump(client, events)
  local poller = require("bc260y.core").poller()
  poller:set(client:fd(), true, false)
  poller:wait(0.02, {})
  for _, e in ipairs(client:process()) do events[#events + 1] = e end
end

local function has(events, what)
  for _, e in ipairs(events) do
    if e.what == what then return e end
  end
end

function TestPlatformServer:test_notifications_are_uplinks_decoded_by_the_payload_description()
  server:stop()
  local desc = os.tmpname()
  local f = assert(io.open(desc, "w"))
  f:write("# a sensor's report\ntemperature 0 int16be 0.01\nbattery 2 uint8\ncounter 3 uint32le\n")
  f:close()
  server = rig.platform("--payload " .. desc)
  os.remove(desc)
  local client = assert(coap.client("127.0.0.1", server.coap_port))
  local events = {}
  client:register("869453051234566", 300, "</19/0/0>,</19/1/0>")
  rig.wait("registered and observed", function()
    pump(client, events)
    return has(events, "registered") and has(events, "observed")
  end)
  lu.assertEquals(has(events, "registered").location, "rd/1")
  lu.assertEquals(state_of("869453051234566"), "observed")
  assert(client:notify("\xFF\x38\x5A\x01\x00\x00\x00", false)) -- -2.00, 90, 1
  assert(client:notify("\x09\xC4", true))                    -- 25.00, the rest missing
  rig.wait("the CON acknowledged", function() pump(client, events); return has(events, "acked") end)
  local status, uplinks = server:api("GET", "/api/devices/869453051234566/uplinks")
  lu.assertEquals(status, 200)
  lu.assertEquals(#uplinks, 2)
  lu.assertEquals({uplinks[1].type, uplinks[1].hex}, {"NON", "FF385A01000000"})
  lu.assertEquals(uplinks[1].decoded, {temperature = -2, battery = 90, counter = 1})
  lu.assertEquals({uplinks[2].type, uplinks[2].hex}, {"CON", "09C4"})
  lu.assertEquals(uplinks[2].decoded, {temperature = 25})

  status = server:api("POST", "/api/devices/869453051234566/downlinks", '{"hex": "aabb01"}')
  lu.assertEquals(status, 202)
  local write = rig.wait("the write to 19/1/0", function() pump(client, events); return has(events, "write") end)
  lu.assertEquals(write.data, "\xAA\xBB\x01")
  local delivered = rig.wait("the downlink delivered", function()
    local _, downlinks = server:api("GET", "/api/devices/869453051234566/downlinks")
    pump(client, events)
    return downlinks[1].state == "delivered" and downlinks[1]
  end)
  lu.assertEquals(delivered.hex, "AABB01")
  client:close()
end

function TestPlatformServer:test_a_notification_of_an_observation_from_before_a_new_registration_gets_rst()
  local client = assert(coap.client("127.0.0.1", server.coap_port))
  local events = {}
  client:register("869453051234566", 300, "</19/0/0>")
  rig.wait("observed", function() pump(client, events); return has(events, "observed") end)
  -- the device registers again from elsewhere (as after a reboot): the platform forgets
  -- the observation, and a CON notification of it is refused (+QLWEVTIND: 10 on a module)
  assert(coap_client("post", "rd?ep=869453051234566&lt=300", "</19/0/0>"))
  assert(client:notify("\1", true))
  local failed = rig.wait("the notification refused", function()
    pump(client, events)
    return has(events, "failed")
  end)
  lu.assertEquals(failed.reason, "rst")
  local _, uplinks = server:api("GET", "/api/devices/869453051234566/uplinks")
  lu.assertEquals(uplinks, {})
  client:close()
end

function TestPlatformServer:test_the_cli_runs_the_platform_program()
  local p = io.popen(rig.CLI .. " platform --help 2>&1")
  local out = p:read("a")
  lu.assertTrue(p:close())
  lu.assertStrContains(out, "usage: bc260y platform [--coap-port N] [--http-port M]")
end

function TestPlatformServer:test_a_bad_payload_description_or_port_is_refused()
  local desc = os.tmpname()
  local f = assert(io.open(desc, "w"))
  f:write("temperature 0 float99\n")
  f:close()
  local p = io.popen(rig.PROGRAM .. " --payload " .. desc .. " 2>&1")
  local out = p:read("a")
  local _, _, code = p:close()
  os.remove(desc)
  lu.assertEquals(code, 2)
  lu.assertStrContains(out, "line 1: unknown type 'float99'")
  p = io.popen(rig.PROGRAM .. " --coap-port 70000 2>&1")
  out = p:read("a")
  _, _, code = p:close()
  lu.assertEquals(code, 2)
  lu.assertStrContains(out, "--coap-port takes a port number")
end

os.exit(lu.LuaUnit.run())
