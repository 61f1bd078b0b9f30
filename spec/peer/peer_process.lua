-- peer_process.lua: runs spec/peer/peer.py (the independent scripted module) as its own
-- process for the specs in this directory, and reads what it says: the pty path it
-- serves ("PATH /dev/pts/N", again after each hang-up it makes), and at the end its exit
-- status and its FAIL message.
local M = {}
local Proc = {}
Proc.__index = Proc

local SOURCE = os.getenv("BC260Y_SOURCE_DIR") or "."
M.SOURCE = SOURCE
M.BINARY = os.getenv("BC260Y_BINARY_DIR") or "build"
M.PYTHON = os.getenv("PYTHON3") or "python3"

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
M.quote = quote

-- Starts peer.py with args (a list); returns the process, its first pty path.
function M.start(args)
  local err = os.tmpname()
  local parts = {M.PYTHON, quote(SOURCE .. "/spec/peer/peer.py")}
  for _, a in ipairs(args) do parts[#parts + 1] = quote(a) end
  local cmd = table.concat(parts, " ") .. " 2>" .. quote(err)
  local h = assert(io.popen(cmd, "r"))
  local self = setmetatable({h = h, err = err, out = {}}, Proc)
  self.path = self:next_path()
  return self
end

-- The next pty path the peer announces (blocks until it does); nil when it has exited.
function Proc:next_path()
  while true do
    local line = self.h:read("l")
    if not line then return nil end
    local path = line:match("^PATH (.+)$")
    if path then self.path = path; return path end
    self.out[#self.out + 1] = line
  end
end

-- Waits for the peer to exit: ok (exit 0), its FAIL message (or ""), its other output.
function Proc:finish()
  local rest = self.h:read("a")
  local ok, _, code = self.h:close()
  local f = io.open(self.err)
  local msg = f and f:read("a") or ""
  if f then f:close() end
  os.remove(self.err)
  return ok == true and code == 0, msg, table.concat(self.out, "\n") .. rest
end

return M
