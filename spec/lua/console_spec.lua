-- console_spec: `bc260y console` in a real terminal (a tmux pane on a private server), as a
-- student would use it: ATI answers; after AT+NCDPOPEN the +QLWEVTIND: 0 and 3 lines carry
-- their meaning; AT+NMGS=3,0102 shows +CME ERROR: 3 with its meaning; help NMGS shows the
-- syntax, the 1024-byte limit and RAI; in Chinese and in English; the wait for the
-- registration shows in the prompt. Also Tab completion, history (Up), :lua with m bound
-- to the Modem, and the session log. Issue 25, in both languages: `:wait S` counts module
-- seconds and is in `help`; a wake-up shows while it lasts, and the wake-up AT and the
-- resync the console's Modem sends are explained; the log writes each line sent once;
-- the lines of the 27.007 commands, the ATI lines and garbage are explained; an error
-- names its cause; the registration indicator gives up at the module's limit; the reboot
-- after a firmware update says to register again.
local lu = require("luaunit")
local core = require("bc260y.core")
local h = require("helpers")

local BINARY = os.getenv("BC260Y_BINARY_DIR") or "build"
local CLI = BINARY .. "/bin/bc260y"
-- A private tmux server per test (a server being killed must not meet the next one).
local SOCKET_BASE = "bc260y_console_spec_" .. tostring(os.time()) .. "_" .. tostring(math.random(1e6))
local SOCKET, servers = SOCKET_BASE, 0

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1", "r"))
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local function tmux(args) return sh("tmux -L " .. SOCKET .. " -f /dev/null " .. args) end

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function screen() return (tmux("capture-pane -p -J -S -500 -t console")) end

-- Plain-text occurrences of text in s.
local function count(s, text)
  local n, at = 0, 1
  while true do
    local i, j = s:find(text, at, true)
    if not i then return n end
    n, at = n + 1, j + 1
  end
end

-- Waits until the screen contains every string of want (plain text), each at least
-- `times` times (default once: text already on the screen from an earlier step counts,
-- so a step that repeats an answer must ask for the new total); returns the screen.
-- The deadline only bounds a failure: a passing run returns as soon as the text is there.
local function wait_for(want, seconds, times)
  local deadline = core.now() + (seconds or 20)
  local s
  repeat
    s = screen()
    local all = true
    for _, w in ipairs(want) do
      if count(s, w) < (times or 1) then all = false; break end
    end
    if all then return s end
    h.sleep(0.1)
  until core.now() > deadline
  lu.fail("the console never showed " .. table.concat(want, " | ") .. " " .. (times or 1)
          .. " time(s); screen:\n" .. s)
end

local function type_line(text) tmux("send-keys -t console -l -- " .. q(text)); tmux("send-keys -t console Enter") end

local function start(lang, extra)
  servers = servers + 1
  SOCKET = SOCKET_BASE .. "_" .. servers
  local cmd = ("env LANG=C.UTF-8 %s console --lang %s --speed 20 %s"):format(CLI, lang, extra or "")
  local out, ok = tmux("new-session -d -s console -x 220 -y 50 " .. q(cmd))
  lu.assertTrue(ok, out)
  wait_for({"> "})
end

local function stop()
  tmux("kill-server")
end

local HAVE_TMUX = select(2, sh("command -v tmux")) == true

TestConsole = {}

function TestConsole:setUp()
  lu.skipIf(not HAVE_TMUX, "tmux is not installed")
end
function TestConsole:tearDown() stop() end

local function done_when(lang, meanings)
  start(lang)
  type_line("ATI")
  wait_for({"Quectel_BC260Y-CN", "Revision:"})
  type_line('AT+NCDPOPEN="221.229.214.202",5683')
  local s = wait_for({"+QLWEVTIND: 0", "+QLWEVTIND: 3", meanings.registered})
  lu.assertStrContains(s, "+QLWEVTIND: 0\n    ↳ " .. meanings[0])
  lu.assertStrContains(s, "+QLWEVTIND: 3\n    ↳ " .. meanings[3])
  type_line("AT+NMGS=3,0102")
  -- (the explanation is printed after the line: wait for both, or the screen may be read
  -- between them)
  s = wait_for({"+CME ERROR: 3", meanings.cme3})
  lu.assertStrContains(s, "+CME ERROR: 3\n    ↳ CTIOT_EB_PARAMETER_VALUE_ERROR: " .. meanings.cme3)
  type_line("help NMGS")
  s = wait_for({"AT+NMGS=<length>,<data>[,<type>]", meanings.limit, "RAI"})
  type_line(":quit")
end

function TestConsole:test_done_when_in_chinese()
  done_when("zh", {[0] = "模块已连接", [3] = "object 19/0/0 已订阅", cme3 = "参数值错误",
                   limit = "最大值 1024", registered = "注册结果(+QLWEVTIND: 0 和 3):完成,用时"})
end

function TestConsole:test_done_when_in_english()
  done_when("en", {[0] = "registered", [3] = "object 19/0/0 observed", cme3 = "wrong parameter value",
                   limit = "at most 1024", registered = "registration (+QLWEVTIND: 0 and 3): done after"})
end

function TestConsole:test_a_long_wait_shows_in_the_prompt_and_ends_on_a_line()
  start("en")
  type_line(':lua m.platform:set_registration("timeout")')
  type_line('AT+NCDPOPEN="221.229.214.202",5683')
  wait_for({"[waiting for registration (+QLWEVTIND: 0 and 3)  ", " s (up to 126 s)] > "})
  local s = wait_for({"+QLWEVTIND: 1", "registration (+QLWEVTIND: 0 and 3): failed after"}, 30)
  lu.assertStrContains(s, "    ↳ registration rejected by the server, or it timed out")
  type_line(":quit")
end

function TestConsole:test_tab_completes_and_up_recalls_and_lua_sees_the_modem()
  local log = os.tmpname()
  start("en", "--log " .. log)
  tmux("send-keys -t console -l 'AT+NQM'")
  tmux("send-keys -t console Tab")
  wait_for({"> AT+NQMGR"})
  tmux("send-keys -t console Enter")
  wait_for({"BUFFERED=0,RECEIVED=0,DROPPED=0", "0 dropped"})
  tmux("send-keys -t console -l 'help NCDPO'")
  tmux("send-keys -t console Tab Enter")
  wait_for({"AT+NCDPOPEN - connect", "126 s"})
  type_line(":lua m:status()")
  wait_for({"UNINITIALISED\n"})
  tmux("send-keys -t console Up Enter") -- :lua m:status() again
  -- The first answer is on the screen already: wait for the second (a slow machine,
  -- such as the mipsel run under qemu, shows it well after the keys were sent).
  -- (each answer on a line of its own: "\nUNINITIALISED\n", not a prompt's tail)
  local s = wait_for({"\nUNINITIALISED\n", ":lua m:status()"}, nil, 2)
  lu.assertEquals(count(s, "\nUNINITIALISED\n"), 2, s)
  type_line(":quit")
  local deadline = core.now() + 10
  while tmux("has-session -t console"):find("^$") and core.now() < deadline do h.sleep(0.1) end
  local f = assert(io.open(log))
  local text = f:read("a")
  f:close()
  os.remove(log)
  lu.assertStrMatches(text, ".*%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d%.%d%d%d %-%-> AT%+NQMGR\n.*")
  lu.assertStrContains(text, "<-- BUFFERED=0,RECEIVED=0,DROPPED=0")
end

-- The texts each issue-25 check waits for, per language.
local ISSUE25 = {
  en = {
    help_wait = ":wait S", wait_done = "100 s of the module's time to pass (:wait): done after",
    wake = "    ↳ wake-up: the module may be in deep sleep", resync = "    ↳ resync: an earlier command got no answer",
    wake_done = "the module to wake from deep sleep: done after", maker = "    ↳ the maker (ATI, AT+CGMI)",
    csq = "    ↳ signal strength: RSSI", garbage = "not a line the module prints",
    near = "did you mean AT+NMGS?", ncdpopen = "AT+NCDPOPEN has no execution (no parameters) form",
    foo = "AT+FOO is not implemented by the virtual module", nmgs = "<length> is 3 but <data> holds 2 byte(s)",
    unknown = "unknown command", gave_up = "registration (+QLWEVTIND: 0 and 3): no result within the module's limit of 126 s",
    updated = "    ↳ rebooted after the firmware update: register again",
    queued = "(waits its turn: the console is still running ':wait 20')",
    sent_queued = "--> AT+CGATT?\n    ↳ typed earlier, sent now",
  },
  zh = {
    help_wait = ":wait S", wait_done = "模块时间经过 100 秒(:wait):完成,用时",
    wake = "    ↳ 唤醒:模块可能处于深休眠", resync = "    ↳ 重新同步:之前的一条命令没有应答",
    wake_done = "模块从深休眠唤醒:完成,用时", maker = "    ↳ 厂商(ATI、AT+CGMI)",
    csq = "    ↳ 信号强度:RSSI", garbage = "这不是模块会输出的行",
    near = "是否想输入 AT+NMGS?", ncdpopen = "AT+NCDPOPEN 没有执行(无参数)形式",
    foo = "虚拟模块未实现 AT+FOO", nmgs = "<length> 为 3,但 <data> 只有 2 字节",
    unknown = "未知命令", gave_up = "注册结果(+QLWEVTIND: 0 和 3):已超过模块的时限 126 秒仍无结果",
    updated = "    ↳ 固件升级后模块已重启:请重新注册",
    queued = "(排队等待:控制台仍在执行 ':wait 20')",
    sent_queued = "--> AT+CGATT?\n    ↳ 之前输入的命令现在才发送",
  },
}

local function read_log(path)
  local deadline = core.now() + 10
  while tmux("has-session -t console"):find("^$") and core.now() < deadline do h.sleep(0.1) end
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  os.remove(path)
  return text
end

-- :wait in module seconds (100 of them at --speed 20: 5 real seconds, where real seconds
-- would outlast wait_for), listed in help; then the module has slept, and a typed command
-- waits for the wake-up, shown with the lines the Modem sends and why.
local function wait_and_wake(lang)
  local x = ISSUE25[lang]
  local log = os.tmpname()
  start(lang, "--log " .. log)
  type_line("help")
  wait_for({x.help_wait})
  type_line('AT+NCDPOPEN="221.229.214.202",5683')
  wait_for({"+QLWEVTIND: 3"})
  type_line(":wait 100")
  wait_for({x.wait_done}, 15)
  type_line("AT+NMSTATUS?")
  local s = wait_for({"--> AT\n" .. x.wake, x.resync, x.wake_done, "+NMSTATUS: REGISTERED_AND_OBSERVED"})
  lu.assertStrMatches(s, ".*%-%-> AT%+%u+%??\n" .. x.resync:gsub("[%(%)%+%-%?%.]", "%%%0") .. ".*")
  type_line(":quit")
  local text = read_log(log)
  lu.assertNotStrContains(text, "--> -->")
  lu.assertStrContains(text, ">  AT+NMSTATUS?\n") -- typed
  lu.assertEquals(select(2, text:gsub("%-%-> AT%+NMSTATUS%?\n", "")), 1, text) -- sent once
  lu.assertStrContains(text, x.resync)
end

function TestConsole:test_wait_counts_module_seconds_and_the_wake_up_is_explained_in_english()
  wait_and_wake("en")
end
function TestConsole:test_wait_counts_module_seconds_and_the_wake_up_is_explained_in_chinese()
  wait_and_wake("zh")
end

-- Lines outside the guide's tables and the causes of errors.
local function lines_and_causes(lang)
  local x = ISSUE25[lang]
  start(lang)
  type_line("ATI")
  wait_for({"Quectel_Ltd\n" .. x.maker})
  type_line("AT+CSQ")
  wait_for({x.csq})
  type_line("--> AT+CSQ") -- pasted from the screen: sent without the mark
  wait_for({x.csq}, nil, 2)
  type_line("explain hello")
  wait_for({x.garbage})
  type_line("AT+NMSG=1,00")
  wait_for({x.near})
  type_line("AT+NCDPOPEN")
  local s = wait_for({x.ncdpopen})
  lu.assertNotStrContains(s, x.unknown)
  lu.assertNotStrContains(s, "CMEE=0")
  type_line("AT+FOO")
  wait_for({x.foo})
  type_line("AT+NMGS=3,0102")
  wait_for({x.nmgs})
  -- a line typed while the console waits says so, and shows again when it goes out
  type_line(":wait 20")
  type_line("AT+CGATT?")
  wait_for({x.queued})
  wait_for({x.sent_queued, "+CGATT: 1"})
  type_line(":quit")
end

function TestConsole:test_lines_and_causes_are_explained_in_english() lines_and_causes("en") end
function TestConsole:test_lines_and_causes_are_explained_in_chinese() lines_and_causes("zh") end

-- No +QLWEVTIND: 3 ever comes (the platform never observes): the indicator gives up at
-- the guide's 126 s instead of counting on ("430 s (up to 126 s)").
local function gives_up(lang)
  start(lang)
  type_line(":lua m.platform:set_observe(false)")
  type_line('AT+NCDPOPEN="221.229.214.202",5683')
  wait_for({"+QLWEVTIND: 0", ISSUE25[lang].gave_up}, 30)
  type_line(":quit")
end

function TestConsole:test_the_registration_indicator_gives_up_in_english() gives_up("en") end
function TestConsole:test_the_registration_indicator_gives_up_in_chinese() gives_up("zh") end

-- A firmware update ends with the module's reboot: that line says to register again.
local function reboot_after_update(lang)
  start(lang)
  type_line(':lua m.platform:create_fota_job{size = 1024, trigger = "register"}')
  type_line("AT+QSCLK=0")
  type_line('AT+NCDPOPEN="221.229.214.202",5683')
  wait_for({'+QIND: "FOTA","END",0', "+CPIN: READY\n" .. ISSUE25[lang].updated}, 30)
  type_line(":quit")
end

function TestConsole:test_the_reboot_after_an_update_says_register_again_in_english() reboot_after_update("en") end
function TestConsole:test_the_reboot_after_an_update_says_register_again_in_chinese() reboot_after_update("zh") end

os.exit(lu.LuaUnit.run(), true)
