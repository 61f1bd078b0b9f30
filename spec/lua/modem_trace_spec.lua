-- modem_trace_spec: trace formatting and PSK redaction (bc260y.trace) on their own: a PSK
-- never shows in a trace line or an error message, lines are cut right whatever the
-- write boundaries, and memory stays bounded on a line that never ends.
local lu = require("luaunit")
local trace = require("bc260y.trace")

TestTrace = {}

function TestTrace:test_redact_replaces_the_psk_field_only()
  lu.assertEquals(trace.redact('AT+NCDPOPEN="1.2.3.4",5683,"00112233"'),
    'AT+NCDPOPEN="1.2.3.4",5683,<psk:4 bytes>')
  lu.assertEquals(trace.redact('AT+NCDPOPEN="1.2.3.4",5683,0011223344'),
    'AT+NCDPOPEN="1.2.3.4",5683,<psk:5 bytes>')
  lu.assertEquals(trace.redact('at+ncdpopen="a,b",5683,ABCD'), 'at+ncdpopen="a,b",5683,<psk:2 bytes>')
  -- no PSK: unchanged
  lu.assertEquals(trace.redact('AT+NCDPOPEN="1.2.3.4",5683'), 'AT+NCDPOPEN="1.2.3.4",5683')
  lu.assertEquals(trace.redact("AT+NMGS=2,0102"), "AT+NMGS=2,0102")
end

function TestTrace:test_scrub_removes_a_secret_in_any_case()
  lu.assertEquals(trace.scrub("bad psk abcd01 here ABCD01", "ABCD01"),
    "bad psk <psk:3 bytes> here <psk:3 bytes>")
  lu.assertEquals(trace.scrub("nothing", nil), "nothing")
end

function TestTrace:test_splitter_handles_every_line_end_and_split()
  local s = trace.splitter()
  lu.assertEquals(s:feed("\r\nO"), {})
  lu.assertEquals(s:feed("K\r"), {"OK"})
  lu.assertEquals(s:feed("\n+A: 1\r\r\n+B\n"), {"+A: 1", "+B"})
  lu.assertEquals(s:feed("> "), {"> "}) -- a prompt shows at once
end

function TestTrace:test_splitter_bounds_a_line_that_never_ends()
  local s = trace.splitter(16)
  local out = s:feed(("x"):rep(40))
  lu.assertEquals(#out, 1)
  lu.assertEquals(out[1], ("x"):rep(16) .. "...")
  lu.assertEquals(s.buf, "")
end

function TestTrace:test_tracer_redacts_a_psk_split_over_writes()
  local seen = {}
  local t = trace.new(function(dir, line) seen[#seen + 1] = dir .. " " .. line end)
  t.output('AT+NCDPOPEN="1.2.3.4",5683,00')
  t.output('112233\r')
  t.input('AT+NCDPOPEN="1.2.3.4",5683,0011')  -- the module's echo, in pieces
  t.input('2233\r\r\nOK\r\n')
  lu.assertEquals(seen, {
    'out AT+NCDPOPEN="1.2.3.4",5683,<psk:4 bytes>',
    'in AT+NCDPOPEN="1.2.3.4",5683,<psk:4 bytes>',
    "in OK",
  })
end

function TestTrace:test_sink_true_writes_timestamp_direction_and_printable_line()
  local lines = {}
  local real = io.stderr
  local fake = {write = function(_, ...) lines[#lines + 1] = table.concat({...}) end}
  io.stderr = fake
  local ok, err = pcall(function()
    local clock = 100
    local sink = trace.sink(true, function() return clock end)
    clock = 101.5
    sink("out", "AT\1")
    sink("in", "OK")
  end)
  io.stderr = real
  assert(ok, err)
  lu.assertEquals(lines[1], "[     1.500] --> AT\\x01\n")
  lu.assertEquals(lines[2], "[     1.500] <-- OK\n")
  lu.assertNil(trace.sink(false))
  local fn = function() end
  lu.assertIs(trace.sink(fn), fn)
end

os.exit(lu.LuaUnit.run(), true)
