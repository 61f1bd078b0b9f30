-- bc260y.console.lineedit: line input for the console that runs inside bc260y.loop, so lines from
-- the module can be printed while a person types. On a terminal it edits the line itself
-- (no readline library needed): history (Up/Down), Left/Right/Home/End, Backspace/Delete,
-- Ctrl-A/E/U, Tab completion, Ctrl-C drops the line, Ctrl-D on an empty line is the end.
-- Anything else on stdin (a pipe, a file) is read line by line.
--
--   local ed = lineedit.new{prompt = "> ", complete = function(line) -> {candidates}}
--   ed:start(on_line, on_eof)   ed:print(text)   ed:set_prompt(p)   ed:stop()
local loop = require("bc260y.loop")

local lineedit = {}
local Editor = {}
Editor.__index = Editor

local function is_tty(fd) return os.execute("test -t " .. fd) == true end

-- Display width of a UTF-8 string: CJK and full-width characters take two columns.
local function width(s)
  local w = 0
  for _, cp in utf8.codes(s, true) do
    if cp >= 0x1100 and (cp <= 0x115F or (cp >= 0x2E80 and cp <= 0xA4CF) or
        (cp >= 0xAC00 and cp <= 0xD7A3) or (cp >= 0xF900 and cp <= 0xFAFF) or
        (cp >= 0xFE30 and cp <= 0xFE4F) or (cp >= 0xFF00 and cp <= 0xFF60) or
        (cp >= 0xFFE0 and cp <= 0xFFE6)) then
      w = w + 2
    else
      w = w + 1
    end
  end
  return w
end
lineedit.width = width

function lineedit.new(opts)
  opts = opts or {}
  return setmetatable({
    prompt = opts.prompt or "> ", complete = opts.complete, out = opts.out or io.stdout,
    tty = opts.tty, history = {}, buf = "", pos = 0, esc = nil, active = false,
  }, Editor)
end

function Editor:_redraw()
  if not self.tty or not self.active then return end
  local tail = self.buf:sub(self.pos + 1)
  self.out:write("\r\27[K", self.prompt, self.buf)
  local back = width(tail)
  if back > 0 then self.out:write(("\27[%dD"):format(back)) end
  self.out:flush()
end

-- A new prompt (the console shows what it waits for in it), drawn at once.
function Editor:set_prompt(prompt)
  self.prompt = prompt
  self:_redraw()
end

-- Prints text on lines of its own above the line being typed, then shows that line again.
function Editor:print(text)
  if self.tty and self.active then self.out:write("\r\27[K") end
  self.out:write(text, "\n")
  self:_redraw()
  self.out:flush()
end

local function common_prefix(list)
  local p = list[1] or ""
  for _, s in ipairs(list) do
    while s:sub(1, #p):upper() ~= p:upper() do p = p:sub(1, -2) end
  end
  return p
end

function Editor:_complete()
  if not self.complete or self.pos ~= #self.buf then return end
  local matches = self.complete(self.buf)
  if #matches == 0 then return end
  local prefix = common_prefix(matches)
  if #prefix > #self.buf then
    self.buf = prefix
    self.pos = #prefix
    self:_redraw()
  elseif #matches > 1 then
    self:print(table.concat(matches, "  "))
  end
end

function Editor:_set(buf)
  self.buf, self.pos = buf, #buf
  self:_redraw()
end

function Editor:_history_move(delta)
  local n = #self.history
  if n == 0 then return end
  local i = (self.hist_index or n + 1) + delta
  if i < 1 then i = 1 end
  if i > n then self.hist_index = nil; return self:_set(self.saved or "") end
  if not self.hist_index then self.saved = self.buf end
  self.hist_index = i
  self:_set(self.history[i])
end

-- Moves the cursor over one whole UTF-8 character.
local function prev_char(s, pos)
  local p = pos
  repeat p = p - 1 until p <= 0 or (s:byte(p + 1) & 0xC0) ~= 0x80
  return math.max(p, 0)
end
local function next_char(s, pos)
  local p = pos + 1
  while p < #s and (s:byte(p + 1) & 0xC0) == 0x80 do p = p + 1 end
  return math.min(p, #s)
end

function Editor:_enter()
  local line = self.buf
  self.out:write("\r\27[K", self.prompt, line, "\n")
  self.out:flush()
  if line:match("%S") and self.history[#self.history] ~= line then self.history[#self.history + 1] = line end
  self.buf, self.pos, self.hist_index, self.saved = "", 0, nil, nil
  self.on_line(line)
  self:_redraw()
end

local KEYS_CSI = {A = "up", B = "down", C = "right", D = "left", H = "home", F = "end",
                  ["3~"] = "delete", ["1~"] = "home", ["4~"] = "end"}

function Editor:_key(c)
  if self.esc then
    self.esc = self.esc .. c
    if self.esc == "\27[" or self.esc == "\27O" or self.esc:match("^\27%[%d+$") then return end
    local name = KEYS_CSI[self.esc:sub(3)]
    self.esc = nil
    if name == "up" then return self:_history_move(-1) end
    if name == "down" then return self:_history_move(1) end
    if name == "left" then self.pos = prev_char(self.buf, self.pos)
    elseif name == "right" then if self.pos < #self.buf then self.pos = next_char(self.buf, self.pos) end
    elseif name == "home" then self.pos = 0
    elseif name == "end" then self.pos = #self.buf
    elseif name == "delete" and self.pos < #self.buf then
      self.buf = self.buf:sub(1, self.pos) .. self.buf:sub(next_char(self.buf, self.pos) + 1)
    end
    return self:_redraw()
  end
  local b = c:byte()
  if c == "\27" then self.esc = c
  elseif c == "\r" or c == "\n" then self:_enter()
  elseif c == "\t" then self:_complete()
  elseif b == 127 or b == 8 then
    if self.pos > 0 then
      local p = prev_char(self.buf, self.pos)
      self.buf = self.buf:sub(1, p) .. self.buf:sub(self.pos + 1)
      self.pos = p
      self:_redraw()
    end
  elseif b == 1 then self.pos = 0; self:_redraw()
  elseif b == 5 then self.pos = #self.buf; self:_redraw()
  elseif b == 21 then self:_set("")
  elseif b == 3 then -- Ctrl-C: drop the line
    self.out:write("^C\n")
    self:_set("")
  elseif b == 4 then -- Ctrl-D
    if self.buf == "" then self.out:write("\n"); return self:_eof() end
  elseif b >= 32 then
    self.buf = self.buf:sub(1, self.pos) .. c .. self.buf:sub(self.pos + 1)
    self.pos = self.pos + 1
    -- only redraw once a UTF-8 character is complete
    if utf8.len(self.buf:sub(1, self.pos)) then self:_redraw() end
  end
end

function Editor:_eof()
  if self.done then return end
  self.done = true
  self:stop()
  self.on_eof()
end

function Editor:start(on_line, on_eof)
  self.on_line, self.on_eof = on_line, on_eof
  if self.tty == nil then self.tty = is_tty(0) and is_tty(1) end
  io.stdin:setvbuf("no") -- one read(2) per byte: poll(2) on fd 0 then tells the truth
  if self.tty then
    local p = io.popen("stty -g", "r")
    self.saved_tty = p and p:read("l")
    if p then p:close() end
    -- no canonical mode, no echo, no signals: Ctrl-C edits instead of killing the process
    -- and leaving the terminal without echo
    os.execute("stty -icanon -echo -isig min 1 time 0")
  end
  self.active = true
  self.watch = loop.watch(0, function()
    if self.tty then
      local c = io.stdin:read(1)
      if not c then return self:_eof() end
      self:_key(c)
    else
      local line = io.stdin:read("l")
      if not line then return self:_eof() end
      self.on_line((line:gsub("\r$", "")))
    end
  end)
  self:_redraw()
end

function Editor:stop()
  if not self.active then return end
  self.active = false
  if self.watch then self.watch:cancel() end
  if self.tty and self.saved_tty and self.saved_tty:match("^[%w:]+$") then
    os.execute("stty " .. self.saved_tty)
  end
end

return lineedit
