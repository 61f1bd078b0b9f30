-- Lab 1, first uplink: attach, register with CTWing AEP, send one NON message and look
-- at it from the platform's side (the virtual platform keeps every uplink).
local bc260y = require("bc260y")
local explain = require("bc260y.console.explain")

local say = require("bc260y.i18n").pick       -- the line in the reader's language
local m = assert(bc260y.open())
local info = assert(m:init())                 -- AT, ATE0, AT+CMEE=1, ATI, ... AT+CGPADDR?
print(say{en = "model %s, IMEI %s, IP %s", zh = "型号 %s,IMEI %s,IP %s"}:format(info.model, info.imei, info.ip))
print(say{en = "before connect: ", zh = "连接前:"} .. assert(m:status()))  -- AT+NMSTATUS?

assert(m:connect{host = "221.229.214.202", port = 5683})  -- +QLWEVTIND: 0, then 3
local status = assert(m:status())
print(say{en = "after connect: ", zh = "连接后:"} .. status .. " = " .. explain.line("+NMSTATUS: " .. status))

assert(m:send("hello"))                       -- AT+NMGS=5,68656C6C6F
if m.platform then                            -- the virtual platform only
  -- OK means the module took the message; it reaches the platform a moment later.
  for _ = 1, 100 do
    if #m.platform:uplinks() > 0 then break end
    bc260y.sleep(0.02)
  end
  for i, u in ipairs(m.platform:uplinks()) do
    print(say{en = "uplink %d: %s, %s, RAI %d, %d bytes", zh = "上行 %d:%s,%s,RAI %d,%d 字节"}:format(i, u.hex, u.con and "CON" or "NON", u.rai, #u.data))
  end
end
assert(m:close())                             -- AT+NCDPCLOSE, until DEREGISTERED
print(say{en = "closed", zh = "已关闭"})
