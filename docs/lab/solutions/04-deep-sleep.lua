-- Lab 4, deep sleep and wake-up: with AT+QSCLK=1 the module sleeps once the radio is idle
-- and T3324 has run out (+QNBIOTEVENT: "ENTER DEEPSLEEP"). Asleep it hears nothing: the
-- host wakes it (bytes on the UART, or the PSM_EINT pin), it says "EXIT DEEPSLEEP" and
-- restores its platform session locally (+QLWEVTIND: 6), and the next uplink goes out
-- without registering again. The Modem does the waking before its next command.
local bc260y = require("bc260y")
local loop = require("bc260y.loop")
local explain = require("bc260y.console.explain")

local say = require("bc260y.i18n").pick       -- the line in the reader's language
local m = assert(bc260y.open())
assert(m:init())
assert(m:connect{host = "221.229.214.202", port = 5683})

local seen = {}
for _, event in ipairs({"deepsleep", "wakeup", "resumed"}) do
  m:on(event, function() seen[#seen + 1] = event end)
end

local asleep = loop.future()
local h = m:on("deepsleep", function() asleep:set(true) end)
assert(m:send("\1", {rai = 1}))               -- nothing more to say: the radio goes idle
assert(m:sleep_mode("deep"))                  -- AT+QSCLK=1
print(say{en = "entered deep sleep: ", zh = "已进入深休眠:"} .. tostring(asleep:get(180) == true))
h:off()
print(say{en = "believed asleep: ", zh = "Modem 认为模块在休眠:"} .. tostring(m:state().sleeping))

assert(m:send("\2", {rai = 1}))               -- the Modem wakes the module first
print(say{en = "events: ", zh = "事件:"} .. table.concat(seen, ", "))
print("+QLWEVTIND: 6 = " .. explain.line("+QLWEVTIND: 6"))
print(say{en = "status: ", zh = "状态:"} .. assert(m:status()))
assert(m:sleep_mode("off"))                   -- AT+QSCLK=0
assert(m:close())
