-- modem_progress_spec: open()'s progress option against the virtual module: the events of
-- init's wait for an address, a connect and a receive (start, ticks about once a real
-- second, done or failed; elapsed and limit in module seconds), no tick timer left armed
-- after a wait, a callback that raises; and the library's messages in the chosen language
-- (a +CME ERROR and a timeout: Chinese text with BC260Y_LANG=zh, English with en, the
-- same code).
local lu = require("luaunit")
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local i18n = require("bc260y.i18n")

local SPEED = 10 -- module seconds per real second

local events, m

-- The events of one wait kind, as "phase" strings, and the events themselves.
local function of(what)
  local phases, list = {}, {}
  for _, ev in ipairs(events) do
    if ev.what == what then phases[#phases + 1] = ev.phase; list[#list + 1] = ev end
  end
  return phases, list
end

local function open(opts)
  events = {}
  opts = opts or {}
  opts.speed = SPEED
  if opts.progress == nil then opts.progress = function(ev) events[#events + 1] = ev end end
  m = assert(bc260y.open("sim", opts))
  return m
end

-- The timers the Modem arms while fn runs: after it, every one must be spent (fired and
-- not armed again) or cancelled.
local function timers_during(fn, ...)
  local armed, real = {}, loop.timer
  loop.timer = function(delay, f)
    local h = real(delay, f)
    armed[#armed + 1] = h
    return h
  end
  local r = table.pack(pcall(fn, ...))
  loop.timer = real
  assert(r[1], r[2])
  return armed, table.unpack(r, 2, r.n)
end

TestProgress = {}

function TestProgress:tearDown()
  i18n.set(nil)
  if m then m:close({deregister = false}) end
  m = nil
end

function TestProgress:test_init_and_connect_report_the_network_and_registration_waits()
  open()
  assert(m:init())
  lu.assertEquals(of("progress.network"), {"start", "done"})
  lu.assertEquals(select(2, of("progress.network"))[1].limit, 60)
  assert(m:connect{host = "221.229.214.202", port = 5683})
  local phases, list = of("progress.registration")
  lu.assertEquals(phases[1], "start")
  lu.assertEquals(phases[#phases], "done")
  for i = 2, #phases - 1 do lu.assertEquals(phases[i], "tick") end
  lu.assertEquals(list[1].limit, 136) -- connect_timeout, module seconds
  lu.assertEquals(list[1].elapsed, 0)
  lu.assertTrue(list[#list].elapsed > 0) -- module seconds: registration takes some
end

function TestProgress:test_a_receive_ticks_while_it_waits_and_fails_at_its_timeout()
  open()
  assert(m:init())
  assert(m:connect{host = "221.229.214.202", port = 5683})
  events = {}
  -- 15 module seconds at speed 10: 1.5 real seconds, one tick
  local armed, data, msg, code = timers_during(m.receive, m, {timeout = 15})
  lu.assertNil(data)
  lu.assertEquals(code, "timeout", msg)
  local phases, list = of("progress.downlink")
  lu.assertEquals(phases, {"start", "tick", "failed"})
  lu.assertEquals(list[1].limit, 15)
  -- (module seconds: the tick never early and before the end, the end never early; how
  -- late either comes is the host's business)
  lu.assertTrue(list[2].elapsed >= 5 and list[2].elapsed <= list[3].elapsed, "tick at " .. list[2].elapsed)
  lu.assertTrue(list[3].elapsed >= 15, "ended at " .. list[3].elapsed)
  local now = loop.now()
  for _, t in ipairs(armed) do
    lu.assertTrue(t.cancelled or t.at <= now, "a timer stays armed after the wait")
  end

  -- a downlink that comes: done
  events = {}
  m.platform:queue_downlink("\170\187")
  lu.assertEquals(m:receive{timeout = 30}, "\170\187")
  lu.assertEquals(of("progress.downlink"), {"start", "done"})
end

function TestProgress:test_a_callback_that_raises_goes_to_the_error_event_and_the_wait_goes_on()
  local errors = {}
  open({progress = function() error("boom") end})
  m:on("error", function(msg) errors[#errors + 1] = msg end)
  local info = m:init()
  lu.assertNotNil(info)
  bc260y.run(function() bc260y.sleep(0.05) end) -- the error handlers' tasks
  lu.assertTrue(#errors >= 2)
  lu.assertStrContains(errors[1], "boom")
end

function TestProgress:test_false_or_no_progress_reports_nothing()
  open({progress = false})
  assert(m:init())
  lu.assertEquals(#events, 0)
end

-- The language of the library's messages: the code never changes.
function TestProgress:test_messages_follow_the_language_and_codes_do_not()
  open()
  assert(m:init())
  local function failures()
    local _, cme_msg, cme_code = m:at("AT+NMGS=3,0102")
    local _, t_msg, t_code = m:receive{timeout = 1}
    return cme_msg, cme_code, t_msg, t_code
  end
  i18n.set("zh")
  local zc, zcc, zt, ztc = failures()
  i18n.set("en")
  local ec, ecc, et, etc = failures()
  lu.assertEquals(zcc, "cme")
  lu.assertEquals(ecc, "cme")
  lu.assertStrContains(zc, "参数值错误")
  lu.assertStrContains(zc, "+CME ERROR: 3")
  lu.assertStrContains(ec, "wrong parameter value")
  lu.assertEquals(ztc, "timeout")
  lu.assertEquals(etc, "timeout")
  lu.assertStrContains(zt, "规定时间内没有下行数据")
  lu.assertEquals(et, "no downlink in time")
end

os.exit(lu.LuaUnit.run(), true)
