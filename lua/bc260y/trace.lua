-- bc260y.trace: the line trace of a Modem (every line in and out, with a timestamp and
-- a direction) and the redaction that keeps a PSK out of traces and error messages.
-- A PSK travels in AT+NCDPOPEN's third field (and in its echo): that field becomes
-- "<psk:N bytes>". An echo damaged by line noise no longer parses as such a line, so a
-- Modem that knows its PSK also masks every run of hex digits sharing a piece with it.
local trace = {}

-- Replaces the PSK field of an AT+NCDPOPEN line (command or echo), quote-aware:
-- AT+NCDPOPEN="1.2.3.4",5683,"00AB..." -> AT+NCDPOPEN="1.2.3.4",5683,<psk:N bytes>
function trace.redact(line)
  local upper = line:upper()
  local at = upper:find("NCDPOPEN=", 1, true)
  if not at then return line end
  local i, commas, quoted = at + 9, 0, false
  while i <= #line do
    local c = line:sub(i, i)
    if c == '"' then
      quoted = not quoted
    elseif c == "," and not quoted then
      commas = commas + 1
      if commas == 2 then break end
    end
    i = i + 1
  end
  if commas < 2 then return line end
  local rest = line:sub(i + 1)
  -- The PSK ends at the line's end (or a closing quote): count its hex digits.
  local digits = #(rest:gsub('"', ""):gsub("[^%x]", ""))
  return line:sub(1, i) .. ("<psk:%d bytes>"):format(digits // 2)
end

-- Removes every occurrence of secret (a PSK in hex) from a message.
function trace.scrub(msg, secret)
  msg = tostring(msg)
  if not secret or secret == "" then return msg end
  local out, start = {}, 1
  local lower_msg, lower_secret = msg:lower(), secret:lower()
  while true do
    local s, e = lower_msg:find(lower_secret, start, true)
    if not s then break end
    out[#out + 1] = msg:sub(start, s - 1)
    out[#out + 1] = ("<psk:%d bytes>"):format(#secret // 2)
    start = e + 1
  end
  out[#out + 1] = msg:sub(start)
  return table.concat(out)
end

-- Masks every run of 6 or more hex digits that shares 6 consecutive digits with secret
-- (case-insensitive): what is left of a PSK in a line damaged by noise. A run this short
-- cannot carry more than 5 digits of it.
local PIECE = 6
function trace.mask_pieces(line, secret)
  if not secret or #secret < PIECE then return line end
  local upper_secret = secret:upper()
  return (line:gsub("%x+", function(run)
    if #run < PIECE then return nil end
    local upper = run:upper()
    for i = 1, #upper - PIECE + 1 do
      if upper_secret:find(upper:sub(i, i + PIECE - 1), 1, true) then return "<psk?>" end
    end
    return nil
  end))
end

-- Shows bytes a terminal cannot print as \xNN, so a trace line is always one line.
function trace.printable(s)
  return (s:gsub("[^\32-\126]", function(c) return ("\\x%02X"):format(c:byte()) end))
end

-- A line splitter for one direction: feed(bytes) returns the complete lines (CR, LF or
-- both end a line; empty lines are skipped). A partial line longer than `max` is cut and
-- returned marked with a trailing "..." so that memory stays bounded.
local Splitter = {}
Splitter.__index = Splitter

function trace.splitter(max)
  return setmetatable({buf = "", max = max or 8192}, Splitter)
end

function Splitter:feed(bytes)
  local lines = {}
  local buf = self.buf .. bytes
  local start = 1
  while true do
    local s, e = buf:find("[\r\n]+", start)
    if not s then break end
    if s > start then lines[#lines + 1] = buf:sub(start, s - 1) end
    start = e + 1
  end
  buf = buf:sub(start)
  -- The prompt "> " of AT+NMGS-style commands never gets a line end: show it at once.
  if buf == ">" or buf == "> " then
    lines[#lines + 1] = buf
    buf = ""
  end
  if #buf > self.max then
    lines[#lines + 1] = buf:sub(1, self.max) .. "..."
    buf = ""
  end
  self.buf = buf
  return lines
end

-- A trace sink from open()'s `trace` option: true prints to stderr, a function receives
-- (direction, line) with direction "in" (from the module) or "out" (to the module).
-- Returns nil when tracing is off. `clock` gives the seconds shown in the timestamp.
function trace.sink(option, clock)
  if not option then return nil end
  if type(option) == "function" then return option end
  local t0 = clock()
  return function(dir, line) io.stderr:write(trace.format(clock() - t0, dir, line), "\n") end
end

-- One trace line: "[   seconds] --> line" to the module ("out"), "<--" from it ("in").
function trace.format(seconds, dir, line)
  return ("[%10.3f] %s %s"):format(seconds, dir == "out" and "-->" or "<--", trace.printable(line))
end

-- A tracer: in(bytes) and out(bytes) split into lines, redact (trace.redact unless a
-- redact function is given), and call the sink.
function trace.new(sink, redact)
  redact = redact or trace.redact
  local inbound, outbound = trace.splitter(), trace.splitter()
  local t = {}
  function t.input(bytes)
    for _, line in ipairs(inbound:feed(bytes)) do sink("in", redact(line)) end
  end
  function t.output(bytes)
    for _, line in ipairs(outbound:feed(bytes)) do sink("out", redact(line)) end
  end
  return t
end

return trace
