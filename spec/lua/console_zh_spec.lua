-- console_zh_spec: Chinese all the way in zh (issue 25 item 3). The CLI's help texts, a
-- console session, the demo, the examples and a firmware update stage by stage run in
-- Chinese (the CLI in child processes, BC260Y_LANG=zh), and no line they print may carry
-- an English word outside AT syntax: "update 2%", "outcome: updated", "-> OK, then ...",
-- "(also when 0)" were such. The module's own lines (the console prints them as they
-- came) and the lines the person typed are not the console's to translate, and are left out.
local lu = require("luaunit")
local explain = require("bc260y.console.explain")

local src = debug.getinfo(1, "S").source:sub(2)
local ROOT = (src:match("^(.*)/spec/lua/[^/]*$") or ".")
local CLI = ROOT .. "/lua/bin/bc260y"

-- Words a Chinese text keeps as they are: units, names, the guide's own terms (its
-- Chinese chapters write "lifetime", "object 19/0/0", "Data 字段" and "Engine 异常,需
-- reboot 重启" so), the module's own syntax (ATI's "Revision:"), and what a person
-- types: the CLI's and the console's commands and the --lang values.
local KEPT = {uAh = true, mAh = true, uA = true, dB = true, dBm = true, Lua = true, Ctrl = true,
  stderr = true, Modem = true, lifetime = true, Lifetime = true, object = true, Data = true, Engine = true, reboot = true,
  Quectel = true, IoT = true, Revision = true,
  run = true, console = true, sim = true, ports = true, demo = true, check = true, platform = true, en = true, zh = true,
  help = true, explain = true, errors = true, quit = true, wait = true, lua = true}

-- The English words of a line: runs of letters with a lower-case one, standing alone (not
-- part of an identifier, an option, a path, a placeholder or AT syntax). Code in
-- backquotes (`help NMGS`, `progress = false`) and text in single quotes (what was typed,
-- quoted back) are what a person types: left out.
local function english_words(line)
  local words = {}
  line = line:gsub("`[^`]*`", " "):gsub("'[^']*'", " ")
  for token in line:gmatch("[%w_%.%-/:<>%+=?%%@~!]+") do
    local word = token:gsub("^[:=]+", ""):gsub("[:%.!?]+$", "")
    if word:match("^%a+$") and word:find("%l") and #word >= 2 and not KEPT[word] then
      words[#words + 1] = word
    end
  end
  return words
end

-- Runs the CLI in Chinese; returns what it printed (stdout and stderr) and its status.
local function cli(args, stdin)
  local input = "/dev/null"
  if stdin then
    input = os.tmpname()
    local f = assert(io.open(input, "w"))
    f:write(stdin)
    f:close()
  end
  local cmd = ("cd %q && BC260Y_LANG=zh lua5.4 %q %s <%q 2>&1; echo \"status=$?\""):format(ROOT, CLI, args, input)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  if stdin then os.remove(input) end
  return (out:gsub("status=%d+%s*$", "")), tonumber(out:match("status=(%d+)%s*$"))
end

-- A line the console shows as the module printed it, or as it was typed or sent.
local function not_ours(line)
  if line:match("^%-%-> ") or line:match("^> ") then return true end
  local meaning = explain.line(line, "en")
  return meaning ~= nil and not (meaning:find("not a line the module prints", 1, true)
    or meaning:find("malformed", 1, true) or meaning:find("echo of a command", 1, true))
end

local function english_lines(out, bad)
  bad = bad or {}
  for line in out:gmatch("[^\n]+") do
    if not not_ours(line) then
      local words = english_words(line)
      if #words > 0 then bad[#bad + 1] = line .. "   <- " .. table.concat(words, " ") end
    end
  end
  return bad
end

local function assert_chinese(out, what)
  lu.assertEquals(english_lines(out), {}, what .. ": English in the Chinese output")
end

TestChinese = {}

function TestChinese:test_the_checker_finds_english()
  lu.assertEquals(english_words("升级 update 2%"), {"update"})
  lu.assertEquals(english_words("outcome: updated"), {"outcome", "updated"})
  lu.assertEquals(english_words("-> OK, then +QLWEVTIND: 3"), {"then"})
  lu.assertEquals(english_words("5683 (also when 0)"), {"also", "when"})
  lu.assertEquals(english_words("RRC 已释放:true 4(success)"), {"true", "success"})
  lu.assertEquals(english_words("AT+NMGS=<length>,<data>[,<type>] --speed S m:status() examples/x.lua 12 uAh"), {})
  lu.assertEquals(english_words("输入 `help NMGS` 查看"), {})
end

function TestChinese:test_cli_help_texts()
  local bad = {}
  for _, args in ipairs({"--help", "run --help", "console --help", "sim --help", "ports --help",
                         "demo --help"}) do
    english_lines(cli(args), bad)
  end
  lu.assertEquals(bad, {}, "the help texts: English in the Chinese output")
end

function TestChinese:test_a_console_session()
  -- (not :lua with an error: Lua's own messages are English)
  local typed = {"help", "help errors"}
  for _, name in ipairs(require("bc260y.console.commands").names()) do typed[#typed + 1] = "help " .. name end
  for _, line in ipairs({"ATI", "AT+CSQ", "AT+CESQ", "AT+CEREG?", "AT+CGSN=1", "AT+CIMI", "AT+QCCID",
      "AT+CPSMS?", "AT+CCLK?", 'AT+NCDPOPEN="221.229.214.202",5683', ":wait 10", "AT+NMGS=3,0102",
      "AT+NMSG=1,00", "AT+NCDPOPEN", "AT+FOO", "AT+NNMI=7", "explain hello", "explain +QLWEVTIND: 3",
      "nonsense", ":lua print(m:status())", ":wait x", ":quit", ""}) do
    typed[#typed + 1] = line
  end
  local out = cli("console --speed 50", table.concat(typed, "\n"))
  lu.assertStrContains(out, "是否想输入 AT+NMGS")
  assert_chinese(out, "bc260y console")
end

function TestChinese:test_the_demo()
  local out, status = cli("demo --speed 30 --quiet")
  lu.assertEquals(status, 0, out)
  assert_chinese(out, "bc260y demo")
end

function TestChinese:test_the_examples()
  local bad = {}
  for _, example in ipairs({"telecom_iot.lua", "sensor_loop.lua", "dfota.lua"}) do
    local out, status = cli("run examples/" .. example .. " --speed 30")
    lu.assertEquals(status, 0, out)
    english_lines(out, bad)
  end
  lu.assertEquals(bad, {}, "the examples: English in the Chinese output")
end

os.exit(lu.LuaUnit.run(), true)
