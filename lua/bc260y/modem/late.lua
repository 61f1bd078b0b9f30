-- bc260y.modem.late: late answers (part of the Modem class, mixed in by bc260y.modem).
-- A command that timed out, or was on the wire when the module rebooted, may still be
-- answered: the engine reports its lines and final as `late` events with its tag
-- (docs/design.md, "Late answers"). Here they are gathered and told once, on the final,
-- as the `late` event of that command: {command =, result =, code =, final =, lines =}.
local M = {}
local Late = {} -- methods of the Modem class (bc260y.modem mixes them in)
M.methods = Late

-- Bounds: the engine owes one command at a time (a command that failed "unsent" was
-- never written and owes nothing: it is not noted here), but one whose answer was lost
-- is never answered; and a late answer is not allowed to grow without end.
local MAX_OWED, MAX_LINES = 8, 64

-- The command `tag` failed with a timeout or a reboot: its answer may still come.
function Late:_may_owe(tag, text)
  local owed = self._owed
  owed[#owed + 1] = {tag = tag, command = self:_redact(text), lines = {}}
  if #owed > MAX_OWED then table.remove(owed, 1) end
end

local function find(owed, tag)
  for i = 1, #owed do
    if owed[i].tag == tag then return i, owed[i] end
  end
end

-- One late event of the engine: a line of the answer, or its final (ev.result set).
function Late:_on_late(ev)
  local i, entry = find(self._owed, ev.tag)
  if not entry then -- not a call of this Modem's API (or forgotten): still told
    i, entry = nil, {command = nil, lines = {}}
  end
  if not ev.result then
    if #entry.lines < MAX_LINES then entry.lines[#entry.lines + 1] = self:_redact(ev.line) end
    return
  end
  if i then table.remove(self._owed, i) end
  self:_emit("late", {command = entry.command, result = ev.result, code = ev.code,
    final = self:_redact(ev.line), lines = entry.lines})
end

return M
