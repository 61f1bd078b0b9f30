-- bc260y.sim.transcript: replays a host/module transcript (spec/transcripts/*.txt: "> " the
-- host sends, "< " the module answers) as a host, against anything that can send a line
-- and return the module's lines one by one: the virtual module through its pty, the pure
-- state machine, or real hardware. Used by the specs to check that the virtual module
-- reproduces the guide's sessions line for line, modulo addresses, values and timing:
--   * IPv4 addresses in quotes, DOWNLOADING byte counts and UPDATING percentages are
--     values; spaces after commas are not significant;
--   * consecutive expected lines that only differ by such values (the guide's "..."
--     elisions) match a run of one or more lines;
--   * the echo of the command just sent is skipped (echo is on after every boot);
--   * boot banner lines the guide leaves out (RDY, +CFUN: 1, +IP: ...) are skipped, and
--     after +CPIN: READY the host waits for +IP: before it sends, as a real host waits
--     for the network.
--
-- transcript.parse(text) -> steps {{dir=">"|"<", text=}, ...}
-- transcript.replay(steps, wire, opts) -> true | nil, message
--   wire.send(line), wire.recv(timeout) -> line | nil; opts.timeout (per expected line),
--   opts.before_expect(expected_text) hook (e.g. pull PSM_EINT before EXIT DEEPSLEEP),
--   opts.log (function(dir, line)) to trace.
local transcript = {}

function transcript.parse(text)
  local steps = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    line = line:gsub("\r$", "")
    local dir, rest = line:match("^([<>]) (.*)$")
    if dir then steps[#steps + 1] = {dir = dir, text = rest} end
  end
  return steps
end

function transcript.load(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("a")
  f:close()
  return transcript.parse(text)
end

function transcript.normalise(line)
  line = line:gsub("^%s+", ""):gsub("%s+$", "")
  line = line:gsub(",%s+", ",")
  line = line:gsub('"%d+%.%d+%.%d+%.%d+"', '"<ip>"')
  line = line:gsub('^%+IP: .*$', "+IP: <ip>")
  line = line:gsub('"DOWNLOADING",%d+', '"DOWNLOADING",<n>')
  line = line:gsub('"UPDATING",%d+%%', '"UPDATING",<n>%%')
  return line
end

local BANNER = {["RDY"] = true, ["+CFUN: 1"] = true, ["+IP: <ip>"] = true}

function transcript.replay(steps, wire, opts)
  opts = opts or {}
  local timeout = opts.timeout or 5
  local log = opts.log or function() end
  local pushed = {}
  local last_sent
  local wait_ip = false
  local function next_line(t)
    if #pushed > 0 then return table.remove(pushed) end
    local l = wire.recv(t)
    if l then log("<", l) end
    return l
  end

  -- group expected lines into runs
  local plan = {}
  for _, s in ipairs(steps) do
    local prev = plan[#plan]
    if s.dir == "<" and prev and prev.dir == "<" and prev.norm == transcript.normalise(s.text)
       and s.text ~= prev.text then
      prev.run = true
    else
      plan[#plan + 1] = {dir = s.dir, text = s.text,
                         norm = s.dir == "<" and transcript.normalise(s.text) or nil}
    end
  end

  for i, step in ipairs(plan) do
    if step.dir == ">" then
      if wait_ip then
        repeat
          local l = next_line(timeout)
          if not l then return nil, ("step %d: no +IP: after the boot banner"):format(i) end
          local n = transcript.normalise(l)
          if not (n == "+IP: <ip>" or BANNER[n] or l == last_sent) then
            return nil, ("step %d: while waiting for +IP: got %q"):format(i, l)
          end
        until n == "+IP: <ip>"
        wait_ip = false
      end
      log(">", step.text)
      wire.send(step.text)
      last_sent = step.text
    else
      if opts.before_expect then opts.before_expect(step.text) end
      while true do
        local l = next_line(timeout)
        if not l then
          return nil, ("step %d: expected %q, got nothing within %gs"):format(i, step.text, timeout)
        end
        local n = transcript.normalise(l)
        if n == step.norm then break end
        if not (l == last_sent or BANNER[n]) then
          return nil, ("step %d: expected %q, got %q"):format(i, step.text, l)
        end
      end
      if step.run then
        while true do
          local l = next_line(timeout)
          if not l then break end
          if transcript.normalise(l) ~= step.norm then pushed[#pushed + 1] = l; break end
        end
      end
      if step.norm == "+CPIN: READY" then wait_ip = true end
      if step.norm == "+IP: <ip>" then wait_ip = false end
    end
  end
  return true
end

return transcript
