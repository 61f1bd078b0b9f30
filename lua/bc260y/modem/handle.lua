-- bc260y.modem.handle: what m:on() and the inbox return for a registered callback: h:off()
-- takes it out of its list, once (a second off() returns false).
local handle = {}

local Handle = {}
Handle.__index = Handle

function Handle:off()
  if not self.active then return false end
  self.active = false
  local list = self.list
  for i = #list, 1, -1 do
    if list[i] == self then table.remove(list, i) end
  end
  return true
end

-- Appends a new handle for fn to list and returns it.
function handle.add(list, fn)
  local h = setmetatable({fn = fn, active = true, list = list}, Handle)
  list[#list + 1] = h
  return h
end

return handle
