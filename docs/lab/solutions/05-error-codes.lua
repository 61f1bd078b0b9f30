-- Lab 5, reading error codes: with AT+CMEE=1 a refused command answers +CME ERROR: <n>.
-- The failed call returns nil, a message and the code; bc260y.errors[n] holds the guide's
-- symbol and text in English and Chinese, and bc260y.console.explain says what a line means.
local bc260y = require("bc260y")
local explain = require("bc260y.console.explain")

local say = require("bc260y.i18n").pick       -- the line in the reader's language
local m = assert(bc260y.open())
assert(m:init())                              -- AT+CMEE=1 is part of init

-- Each command breaks one rule of the guide.
local tries = {
  "AT+NMGS=3,0102",                           -- <length> says 3 bytes, <data> has 2
  "AT+NMGS=2,010",                            -- hex data of odd length
  "AT+NMGS=1,01,7",                           -- <type> must be 0, 1, 2, 100, 101 or 102
  "AT+NMGS=1,01",                             -- not registered yet
  "AT+NCFG=0,2592001",                        -- lifetime beyond 2592000 s
  "AT+NMGS=1025," .. ("00"):rep(1025),        -- more than 1024 bytes
}
for _, cmd in ipairs(tries) do
  local ok, msg, code = m:at(cmd)
  if #cmd > 40 then cmd = cmd:sub(1, 24) .. "..." end
  if ok then
    print(cmd .. " -> OK")
  elseif code == "cme" then                   -- the number is in the message
    local n = tonumber(msg:match("%+CME ERROR: (%d+)"))
    local e = bc260y.errors[n]
    print(("%s -> +CME ERROR: %d %s"):format(cmd, n, e and e.name or "?"))
    print("    " .. explain.line("+CME ERROR: " .. n))
  else
    print(say{en = "%s -> code %s (%s)", zh = "%s -> 代码 %s(%s)"}:format(cmd, tostring(code), msg))
  end
end
assert(m:close())
