-- Lab 2, receive modes and the buffer's limits: in buffer mode with indications
-- (AT+NNMI=2) the module keeps downlinks until AT+NMGR reads them, at most 8 messages or
-- 2560 bytes; one more is dropped with +NNMI: "recv",buff full. In direct mode
-- (AT+NNMI=1) each downlink arrives at once as +NNMI: <length>,<data>.
local bc260y = require("bc260y")
local explain = require("bc260y.console.explain")

local say = require("bc260y.i18n").pick       -- the line in the reader's language
local m = assert(bc260y.open())
assert(m:init())
assert(m:set_receive_mode("indicate"))        -- AT+NNMI=2
assert(m:connect{host = "180.101.147.115", port = 5683})

local full = 0
m:on("urc", function(line)
  if line:find("buff full", 1, true) then full = full + 1 end
end)

if m.platform then                            -- the platform sends 10 commands of 100 bytes
  for i = 1, 10 do m.platform:queue_downlink(string.char(i):rep(100)) end
end
-- Wait until the platform has delivered them all (buffered or dropped).
local q
for _ = 1, 200 do
  q = assert(m:queue_stats())                 -- AT+NQMGR
  if q.received >= 10 then break end
  bc260y.sleep(0.05)
end
print(("BUFFERED=%d RECEIVED=%d DROPPED=%d"):format(q.buffered, q.received, q.dropped))
print(say{en = '+NNMI: "recv",buff full seen %d times = %s', zh = '+NNMI: "recv",buff full 出现 %d 次 = %s'}:format(full,
  explain.line('+NNMI: "recv",buff full')))

local n = 0
while true do
  local data = m:receive{timeout = 1}         -- AT+NMGR, oldest first
  if not data then break end
  n = n + 1
  print(say{en = "read %d: %d bytes of 0x%02X", zh = "读出 %d:%d 字节的 0x%02X"}:format(n, #data, data:byte(1)))
end
q = assert(m:queue_stats())
print(("BUFFERED=%d RECEIVED=%d DROPPED=%d"):format(q.buffered, q.received, q.dropped))

assert(m:set_receive_mode("direct"))          -- AT+NNMI=1
if m.platform then m.platform:queue_downlink("\2\1ON") end
local data = assert(m:receive{timeout = 30})  -- came as +NNMI: 4,02014F4E
print(say{en = "direct: %d bytes %q", zh = "直吐:%d 字节 %q"}:format(#data, data))
assert(m:close())
