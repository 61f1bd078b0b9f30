-- Lab 3, CON versus NON, and RAI: a NON message is sent and forgotten; a CON message is
-- acknowledged by the platform (+QLWEVTIND: 4) or reported failed (5). RAI tells the
-- network what comes next: 0 nothing said, 1 nothing more (release the radio at once),
-- 2 one reply expected (release after it). +CSCON shows the radio connection.
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local explain = require("bc260y.console.explain")

local say = require("bc260y.i18n").pick       -- the line in the reader's language
local m = assert(bc260y.open())
assert(m:init())                              -- also AT+CSCON=1: the rrc event
assert(m:connect{host = "221.229.214.202", port = 5683})

-- Sends one message, waits (at most 30 s) for the radio to be released, returns how long.
local function send_and_watch(data, opts)
  local idle = loop.future()
  local h = m:on("rrc", function(state) if state == "idle" then idle:set(true) end end)
  local t0 = bc260y.now()
  assert(m:send(data, opts))
  idle:get(30)
  h:off()
  return bc260y.now() - t0
end

local t_rai0 = send_and_watch("A", {rai = 0})
local t_rai1 = send_and_watch("B", {rai = 1})
print(say{en = "NON RAI 1 releases the radio sooner than RAI 0: ", zh = "NON RAI 1 比 RAI 0 更早释放无线连接:"} .. tostring(t_rai1 < t_rai0))

assert(m:send("C", {con = true, rai = 2}))    -- AT+NMGS=1,43,102; returns on +QLWEVTIND: 4
local code, name = assert(m:uplink_status())  -- AT+QLWULDATASTATUS?
print(say{en = "CON status %d (%s) = %s", zh = "CON 发送状态 %d(%s)= %s"}:format(code, name, explain.line("+QLWULDATASTATUS: " .. code)))

if m.platform then
  m.platform:set_con_ack(false)               -- the platform stops acknowledging
  local ok, msg, why = m:send("D", {con = true})
  print(say{en = "CON without acknowledgement: %s, %s, code %s", zh = "CON 未被确认:%s,%s,代码 %s"}:format(tostring(ok), msg, tostring(why)))
  code = assert(m:uplink_status())
  print(say{en = "CON status %d = %s", zh = "CON 发送状态 %d = %s"}:format(code, explain.line("+QLWULDATASTATUS: " .. code)))
  for i, u in ipairs(m.platform:uplinks()) do
    print(say{en = "uplink %d: %s %s RAI %d", zh = "上行 %d:%s %s RAI %d"}:format(i, u.hex, u.con and "CON" or "NON", u.rai))
  end
end
assert(m:close())
