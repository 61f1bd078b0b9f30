-- Lab 7, fault injection and what a robust script does: the virtual module can misbehave
-- on purpose. A robust script checks every result, tells the failures apart by their
-- code, and recovers: registers again after a reboot or a lost session, retries what
-- timed out, and never loses track of what it still has to send.
local bc260y = require("bc260y")

local say = require("bc260y.i18n").pick       -- the line in the reader's language
local m = assert(bc260y.open())
assert(m:init())
local HOST = {host = "221.229.214.202", port = 5683}
assert(m:connect(HOST))

-- Sends data; on a failure it can recover from, recovers and tries again (3 times).
local function robust_send(data)
  for attempt = 1, 3 do
    local ok, msg, code = m:send(data, {con = true})
    if ok then return true, attempt end
    print(say{en = "  attempt %d failed: code %s", zh = "  第 %d 次尝试失败:代码 %s"}:format(attempt, tostring(code)))
    if code == "reboot" or code == "state" then
      assert(m:init())                         -- the module restarted or lost its session
      assert(m:connect(HOST))
    elseif code ~= "timeout" and code ~= "error" then
      return nil, msg, code                    -- nothing to gain by trying again
    end
  end
  return nil, "gave up after 3 attempts"
end

local faults = m.sim and m.sim.faults
local cases = {
  {{en = "the module reboots in the middle of the command", zh = "命令执行中模块重启"}, function() faults:reboot_during_next_command() end},
  {{en = "the platform cancels the observation (RST)", zh = "平台取消观察(RST)"}, function() m.platform:cancel_observation() end},
  {{en = "a URC arrives inside the answer", zh = "应答中夹带 URC"}, function() faults:urc_inside_next_response("+QLWEVTIND: 2") end},
  {{en = "garbage bytes on the line", zh = "线路上出现乱码"}, function() faults:garbage("\0\255\1junk") end},
}
for i, c in ipairs(cases) do
  print(say{en = "case %d: %s", zh = "情况 %d:%s"}:format(i, say(c[1])))
  if faults then c[2]() end
  local ok, attempts = robust_send(string.char(i))
  print(say{en = "  delivered: %s (attempts: %s)", zh = "  已送达:%s(尝试次数:%s)"}:format(tostring(ok), tostring(attempts)))
end
local n = m.platform and #m.platform:uplinks() or 0
print(say{en = "the platform received %d uplinks; the module rebooted %d time(s)", zh = "平台共收到 %d 条上行数据;模块重启 %d 次"}:format(n, m:counters().reboots - 1))
assert(m:close())
