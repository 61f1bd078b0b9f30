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
  if rest:match("^<psk:%d+ bytes>") then return line end -- redacted already
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

-- Code points that print nothing yet move or reorder what follows (zero-width and bidi
-- controls, line and paragraph separators, the BOM): a line containing them can show
-- text other than its bytes.
local function invisible(cp)
  return cp == 0x061C or (cp >= 0x200B and cp <= 0x200F) or (cp >= 0x2028 and cp <= 0x202E)
      or (cp >= 0x2060 and cp <= 0x2069) or cp == 0xFEFF or (cp >= 0xFFF9 and cp <= 0xFFFB)
end

local function escape_byte(c) return ("\\x%02X"):format(c:byte()) end

-- The one rule for showing bytes that came from the module (or from anything else not
-- ours) on a terminal, in a trace, a log or an error message: printable ASCII and
-- well-formed UTF-8 text (the console's Chinese) stay; every other byte becomes \xNN:
-- control codes (ESC sequences would retitle, clear or rewrite the user's terminal), C1
-- controls, invisible and bidi code points, bytes that are not UTF-8. A line stays one
-- line unless keep_newlines (the console's own multi-line texts: newlines and tabs stay).
function trace.printable(s, keep_newlines)
  s = tostring(s)
  if not s:find("[^\32-\126]") then return s end
  local out, i, n = {}, 1, #s
  while i <= n do
    local c = s:byte(i)
    if (c >= 0x20 and c <= 0x7E) or ((c == 10 or c == 9) and keep_newlines) then
      local j = s:find(keep_newlines and "[^\9\10\32-\126]" or "[^\32-\126]", i) or n + 1
      out[#out + 1] = s:sub(i, j - 1)
      i = j
    else
      local ok, cp = false, nil
      if c >= 0xC2 then ok, cp = pcall(utf8.codepoint, s, i) end
      if ok and cp >= 0xA0 and not invisible(cp) then
        local len = #utf8.char(cp)
        out[#out + 1] = s:sub(i, i + len - 1)
        i = i + len
      else
        out[#out + 1] = escape_byte(s:sub(i, i))
        i = i + 1
      end
    end
  end
  return table.concat(out)
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
