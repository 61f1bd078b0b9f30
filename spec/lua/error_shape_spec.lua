-- error_shape_spec: one error shape (README.md, "The Lua API"). A bad argument raises with
-- one position, the line that made the call, whatever checks it (Lua, the C binding, a
-- helper of the call); the loop's waits time out as every failing call fails: nil,
-- message, code with code a string (a +CME ERROR's "cme": modem_at_spec).
local lu = require("luaunit")
local bc260y = require("bc260y")
local dfota = require("bc260y.dfota")
local loop = require("bc260y.loop")
local peer = require("peer")

local FAST = {first_byte = 0.3, total = 0.6}
local p, m
local fixture = peer.fixture({engine = FAST}, function(p_, m_) p, m = p_, m_ end)
local setup, teardown = fixture.setup, fixture.teardown

local THIS = debug.getinfo(1, "S").short_src

-- Runs call (which makes the faulty call on its first line) and returns its error message
-- and the line it must name.
local function raised(call)
  local line = debug.getinfo(call, "S").linedefined
  local ok, err = pcall(call)
  lu.assertFalse(ok, "no error raised by the call on line " .. line)
  return tostring(err), line
end

TestErrorShape = {tearDown = teardown}

function TestErrorShape:test_a_bad_argument_names_the_callers_line_once()
  setup()
  local calls = {
    function() local r = m:at("AT\r") return r end,
    function() local r = m:at("AT" .. ("X"):rep(5000)) return r end,
    function() local r = m:at("AT", {timeout = -1}) return r end,
    function() local r = m:send(5) return r end,
    function() local r = m:init({tries = 0}) return r end,
    function() local r = m:set_lifetime(-5) return r end,
    function() local r = m:connect({host = "1.2.3.4", psk = "zz"}) return r end,
    function() local r = m:connect({host = "1.2.3.4", port = 70000}) return r end,
    function() local r = m:receive({timeout = -1}) return r end,
    function() local r = m:listen(5) return r end,
    function() local r = m:on("no_such_event", print) return r end,
    function() local r = dfota.new(m, {host = "1.2.3.4", nonsense = 1}) return r end,
    function() local r = dfota.new(m, {host = "1.2.3.4", port = 70000}) return r end,
    function() local r = dfota.new(m, {host = "1.2.3.4", trigger = {wait = -1}}) return r end,
    function() local r = dfota.run(m, {host = "1.2.3.4", trigger = {data = ""}}) return r end,
    function() local r = dfota.trigger(m, {tries = 0}) return r end,
    function() local r = dfota.trigger(m, {wait = -1}) return r end,
    function() local r = m:at("AT", {expect = {"+A", "+B", "+C", "+D", "+E"}}) return r end,
    function() local r = m:at("AT", {text_lines = "yes"}) return r end,
    function() local r = m:at("AT", {expect = {5}}) return r end,
    function() local r = m:wait_for(5) return r end,
    function() local r = m:set_receive_mode("sideways") return r end,
    function() local r = loop.sleep("x") return r end,
    function() local r = loop.timer("x", print) return r end,
    function() local r = loop.spawn(5) return r end,
    function() local r = bc260y.open("sim", {engine = {bogus = 1}}) return r end,
    function() local r = bc260y.open("sim", {engine = {total = "x"}}) return r end,
    function() local r = bc260y.open("sim", {sim = {bogus = 1}}) return r end,
    function() local r = bc260y.open("sim", {sim = {timings = {bogus = 1}}}) return r end,
    function() local r = bc260y.open("sim", {inbox = "x"}) return r end,
  }
  for _, call in ipairs(calls) do
    local err, line = raised(call)
    local where = ("%s:%d: "):format(THIS, line)
    lu.assertEquals(err:sub(1, #where), where, err)
    lu.assertNil(err:sub(#where + 1):find("%.lua:%d+:"), "a second position: " .. err)
  end
  -- Called by C (pcall), the call has no caller's line to name: no position at all.
  local ok, err = pcall(m.at, m, "AT\r")
  lu.assertFalse(ok)
  lu.assertEquals(err, "at: command must not contain control characters (CR, LF, NUL, ESC...)")
end

-- Each message names the call and the option at fault.
function TestErrorShape:test_a_bad_option_is_named_with_its_call()
  setup()
  local cases = {
    {function() return m:at("AT", {expect = {"+A", "+B", "+C", "+D", "+E"}}) end, "at: option 'expect'"},
    {function() return m:at("AT", {text_lines = "yes"}) end, "at: text_lines must be a boolean"},
    {function() return bc260y.open("sim", {engine = {bogus = 1}}) end, "bc260y.open: unknown engine option 'bogus'"},
    {function() return bc260y.open("sim", {sim = {bogus = 1}}) end, "bc260y.open: option 'sim': unknown option 'bogus'"},
    {function() return bc260y.open("sim", {sim = {timings = {bogus = 1}}}) end,
     "bc260y.open: option 'sim': unknown timing 'bogus'"},
    {function() return bc260y.open("sim", {inbox = "x"}) end, "bc260y.open: option 'inbox' must be an integer"},
  }
  for _, case in ipairs(cases) do
    local err = raised(case[1])
    lu.assertStrContains(err, case[2])
  end
end

-- open() checks the engine's options itself (so that a typo raises before a port opens):
-- every key of its list is one core.engine reads (a bad value for it raises there).
function TestErrorShape:test_opens_engine_options_are_the_engines()
  local core = require("bc260y.core")
  local options = require("bc260y.options")
  local n = 0
  for key in pairs(options.ENGINE_OPTIONS) do
    n = n + 1
    local ok, err = pcall(core.engine, {[key] = -1})
    lu.assertFalse(ok, "core.engine does not read " .. key)
    lu.assertStrContains(tostring(err), key)
  end
  lu.assertEquals(n, 8)
end

function TestErrorShape:test_the_loops_waits_time_out_with_a_message_and_code()
  local values = {loop.signal():wait(0.01)}
  lu.assertEquals(#values, 3)
  lu.assertNil(values[1])
  lu.assertIsString(values[2])
  lu.assertEquals(values[3], "timeout")
end

os.exit(lu.LuaUnit.run(), true)
