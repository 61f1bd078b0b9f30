-- Lab 9, the 2560-byte limit of the receive buffer: in buffer mode the module keeps at
-- most 8 downlinks and at most 2560 bytes (guide 2.3.5, note 3). Lab 2 met the 8; here
-- large commands meet the bytes first: a downlink that does not fit whole is dropped
-- (+NNMI: "recv",buff full), even when the buffer has room for part of it.
local bc260y = require("bc260y")
local say = require("bc260y.i18n").pick       -- the line in the reader's language

local m = assert(bc260y.open())
assert(m:init())
assert(m:set_receive_mode("indicate"))        -- AT+NNMI=2: buffer, and say +NNMI
assert(m:connect{host = "180.101.147.115", port = 5683})

-- Waits until the module has taken n downlinks in all (kept or dropped), prints AT+NQMGR.
local function counters(n)
  local q
  for _ = 1, 200 do
    q = assert(m:queue_stats())               -- AT+NQMGR
    if q.received >= n then break end
    bc260y.sleep(0.05)
  end
  print(("BUFFERED=%d RECEIVED=%d DROPPED=%d"):format(q.buffered, q.received, q.dropped))
end

-- Reads the buffer empty, prints the sizes.
local function read_all()
  local sizes = {}
  while true do
    local data = m:receive{timeout = 1}       -- AT+NMGR, oldest first
    if not data then break end
    sizes[#sizes + 1] = #data
  end
  print(say{en = "read: ", zh = "读出:"} .. table.concat(sizes, " + ") .. say{en = " bytes", zh = " 字节"})
end

-- Task 2: three commands of 1000 bytes: the third does not fit (2000 + 1000 > 2560).
if m.platform then for i = 1, 3 do m.platform:queue_downlink(string.char(i):rep(1000)) end end
counters(3)
-- Task 3: read them, then exactly 2560 bytes in two commands, and one byte more.
read_all()
if m.platform then
  m.platform:queue_downlink(("\4"):rep(1280))
  m.platform:queue_downlink(("\5"):rep(1280))
  m.platform:queue_downlink("\6")
end
counters(6)
-- Task 4: read everything and close.
read_all()
assert(m:close())
