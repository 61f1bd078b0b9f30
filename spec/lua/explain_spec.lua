-- explain_spec: every code of the guide's tables has a meaning in English and in Chinese
-- (bc260y.console.explain), every platform command has its help (bc260y.console.commands), and the
-- language comes from --lang, BC260Y_LANG or a Chinese LANG (bc260y.i18n). The codes are
-- transcribed here once from the guide, independently of the module's own tables; the
-- +CME ERROR codes come from the C core's error table, checked against chapter 6 too.
local lu = require("luaunit")
local explain = require("bc260y.console.explain")
local commands = require("bc260y.console.commands")
local i18n = require("bc260y.i18n")
local errors = require("bc260y").errors

-- The guide's tables, one line per code or form (chapters 2.3.5, 2.3.7, 2.3.8, 3, 4, 6).
local GUIDE_LINES = {
  "+QLWEVTIND: -1", "+QLWEVTIND: 0", "+QLWEVTIND: 1", "+QLWEVTIND: 2", "+QLWEVTIND: 3",
  "+QLWEVTIND: 4", "+QLWEVTIND: 5", "+QLWEVTIND: 6", "+QLWEVTIND: 7", "+QLWEVTIND: 8",
  "+QLWEVTIND: 9", "+QLWEVTIND: 10",
  "+NMSTATUS: UNINITIALISED", "+NMSTATUS: REGISTERING", "+NMSTATUS: REJECTED_BY_SERVER",
  "+NMSTATUS: TIMEOUT", "+NMSTATUS: REGISTERED", "+NMSTATUS: REGISTERED_AND_OBSERVED",
  "+NMSTATUS: DEREGISTERED", "+NMSTATUS: RESUMPTION_FAILED",
  "+QLWULDATASTATUS: 0", "+QLWULDATASTATUS: 1", "+QLWULDATASTATUS: 2", "+QLWULDATASTATUS: 3",
  "+QLWULDATASTATUS: 4", "+QLWULDATASTATUS: 5",
  "+NNMI", "+NNMI: 4,AAAA0000", '+NNMI: "recv",buff full',
  "+NNMI: 0", "+NNMI: 1", "+NNMI: 2",
  '+QIND: "FOTA","DOWNLOAD START"', '+QIND: "FOTA","DOWNLOADING",512',
  '+QIND: "FOTA","DOWNLOAD",0', '+QIND: "FOTA","DOWNLOAD",2', '+QIND: "FOTA","DOWNLOAD",4',
  '+QIND: "FOTA","DOWNLOAD",9', '+QIND: "FOTA","START"', '+QIND: "FOTA","UPDATING",2%,1,1',
  '+QIND: "FOTA","END",0', '+QIND: "FOTA","END",255',
  "+CSCON:0", "+CSCON:1", '+QNBIOTEVENT: "ENTER DEEPSLEEP"', '+QNBIOTEVENT: "EXIT DEEPSLEEP"',
}
local GUIDE_CME = {1, 2, 3, 5, 8, 14, 16, 17, 303, 801, 950, 951, 952, 953, 954, 955, 957, 958,
                   959, 960}

local function has_chinese(s) return s:find("[\228-\233][\128-\191][\128-\191]") ~= nil end

TestExplain = {}

function TestExplain:test_every_guide_line_has_a_meaning_in_both_languages()
  for _, line in ipairs(GUIDE_LINES) do
    local en, zh = explain.line(line, "en"), explain.line(line, "zh")
    lu.assertIsString(en, line)
    lu.assertIsString(zh, line)
    lu.assertNotStrContains(en, "not in the guide", false)
    lu.assertFalse(has_chinese(en), line .. ": English has Chinese in it: " .. en)
    lu.assertTrue(has_chinese(zh), line .. ": no Chinese: " .. zh)
  end
end

function TestExplain:test_codes_of_one_table_have_different_meanings()
  local seen = {}
  for _, line in ipairs(GUIDE_LINES) do
    local en = explain.line(line, "en")
    lu.assertNil(seen[en], line .. " means the same as " .. tostring(seen[en]))
    seen[en] = line
  end
end

function TestExplain:test_the_c_error_table_is_the_guides_chapter_6()
  local codes = {}
  for code in pairs(errors) do codes[#codes + 1] = code end
  table.sort(codes)
  lu.assertEquals(codes, GUIDE_CME)
end

function TestExplain:test_every_cme_code_shows_its_symbol_and_meaning()
  for _, code in ipairs(GUIDE_CME) do
    local line = "+CME ERROR: " .. code
    local en, zh = explain.line(line, "en"), explain.line(line, "zh")
    lu.assertStrContains(en, errors[code].name)
    lu.assertStrContains(en, errors[code].en)
    lu.assertStrContains(zh, errors[code].name)
    lu.assertStrContains(zh, errors[code].zh)
  end
  lu.assertStrContains(explain.line("+CME ERROR: 3", "zh"), "参数值错误")
  lu.assertStrContains(explain.line("+CME ERROR: 3", "en"), "CTIOT_EB_PARAMETER_VALUE_ERROR")
end

function TestExplain:test_a_value_outside_the_tables_is_said_so()
  lu.assertStrContains(explain.line("+CME ERROR: 4", "en"), "not in the guide's table")
  lu.assertStrContains(explain.line('+QIND: "FOTA","END",7', "zh"), "不在")
  lu.assertNil(explain.line(nil, "en"))
end

-- (issue 25: garbage used to get no word at all, and the ATI lines "no explanation")
function TestExplain:test_garbage_is_said_not_to_be_a_line_the_module_prints()
  for _, line in ipairs({"hello world", "\1\2zz", "~~~~"}) do
    lu.assertStrContains(explain.line(line, "en"), "not a line the module prints", false, line)
    lu.assertStrContains(explain.line(line, "zh"), "不是模块会输出的行", false, line)
  end
  lu.assertStrContains(explain.line("Quectel_Ltd", "en"), "maker")
  lu.assertStrContains(explain.line("Revision: BC260YCNAAR02A02", "zh"), "BC260YCNAAR02A02")
end

-- What a line is comes from the C decoder (core.decode): a line it refuses is malformed,
-- never explained from a piece of it (+NNMI's length without its data, a code out of range).
function TestExplain:test_a_line_the_decoder_refuses_is_said_to_be_malformed()
  -- (+QLWEVTIND: 42 and +NMSTATUS: SLEEPY are not refused: values outside the guide's
  -- tables, decoded with unknown set, docs/api.md)
  for _, line in ipairs({"+NNMI: 4,AA", "+NNMI: 3,AAAA0000", "+NNMI: 2,AXBB",
                         '+QNBIOTEVENT: "DOZING"'}) do
    lu.assertNil(require("bc260y.core").decode(line), line)
    lu.assertStrContains(explain.line(line, "en"), "malformed", false, line)
    lu.assertStrContains(explain.line(line, "zh"), "格式错误", false, line)
  end
  lu.assertStrContains(explain.line("+NNMI: 2,AABB", "en"), "2 bytes")
  lu.assertStrContains(explain.line("+NNMI:2,aabb", "en"), "2 bytes")
end

function TestExplain:test_values_in_a_line_reach_its_meaning()
  lu.assertStrContains(explain.line("+NNMI: 4,AAAA0000", "en"), "4 bytes")
  lu.assertStrContains(explain.line('+QIND: "FOTA","DOWNLOADING",1536', "en"), "1536 bytes")
  lu.assertStrContains(explain.line('+QIND: "FOTA","UPDATING",37%,1,1', "zh"), "37%")
  lu.assertStrContains(explain.line("BUFFERED=1,RECEIVED=3,DROPPED=2", "en"), "2 dropped")
  lu.assertEquals(explain.line("+CSCON: 1,0", "en"), "RRC reports on; now: RRC connection released: the radio is idle")
end

-- Every line the virtual module can print (lua/bc260y/sim/) has a meaning in both
-- languages, neither "malformed" nor "not a line the module prints". The lines are
-- collected by running it: every form of every command in its table (a new command's set
-- form needs a sample below, or this fails), and the scenarios that make it print each
-- URC. That the scenarios miss none is checked against the sources: every line literal
-- in lua/bc260y/sim/*.lua ("+QLWEVTIND: 7", '+NNMI: "recv",buff full', "+CGSN: " ..)
-- must have been printed, so a new line there fails this test until it is driven here
-- and explained.
TestSimLines = {}

local sim_rig = require("sim_rig")
local SIM_COMMANDS = require("bc260y.sim.commands").COMMANDS

-- Parameters for each command's set form, in the order they are tried (on one module).
local SET_SAMPLES = {
  QSCLK = {"0", "2", "1"}, QRST = {"1"}, CMEE = {"0", "2", "1"},
  NCDPOPEN = {'"221.229.214.202",5683'}, NMGS = {"2,0102", "2,0102,100"}, NNMI = {"0", "2", "1"},
  NCFG = {"0", "0,86400"}, CGSN = {"0", "1", "2", "3"}, CEREG = {"1", "2", "3", "4", "5", "0"},
  CSCON = {"1", "0"}, CGATT = {"0", "1"}, CFUN = {"0", "1"}, CGDCONT = {'1,"IP","ctnb"'},
  CGPADDR = {"0"}, CPSMS = {'1,,,"00000110","00011110"', "0", "2"}, CEDRXS = {'1,5,"0101"', "0"},
}

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- line -> the command it answered (nil for a URC); each scenario adds what it printed.
local function sim_lines()
  local seen, order = {}, {}
  local function add(lines, command)
    for _, line in ipairs(lines) do
      if seen[line] == nil then order[#order + 1] = line; seen[line] = command or false end
    end
  end
  -- boot banner, and echo (on after every boot)
  local r = sim_rig.rig{boot = false}
  add(r.lines(3))
  add(r.cmd("AT+CSQ"), "AT+CSQ")
  -- every form of every command, each command on a module of its own, registered
  for _, name in ipairs(sorted_keys(SIM_COMMANDS)) do
    local h = SIM_COMMANDS[name]
    r = sim_rig.registered()
    local function run(cmd, dt) add(r.cmd(cmd, dt or 3), cmd) end
    if h.test then run("AT+" .. name .. "=?") end
    if h.read then run("AT+" .. name .. "?") end
    if h.exec then run("AT+" .. name) end
    if h.set then
      lu.assertNotNil(SET_SAMPLES[name], "AT+" .. name .. "'s set form needs a sample in SET_SAMPLES")
      for _, args in ipairs(SET_SAMPLES[name]) do
        run("AT+" .. name .. "=" .. args)
        if h.read then run("AT+" .. name .. "?") end
      end
    end
  end
  r = sim_rig.ready()
  add(r.cmd("ATI"), "ATI")
  add(r.cmd("AT+NMGS=3,0102"), "AT+NMGS=3,0102")
  r.cmd("AT+CMEE=2")
  add(r.cmd("AT+NMGS=3,0102"), "AT+NMGS=3,0102")
  -- registration reports (AT+CEREG=1..5) through a detach, an attach and a denied attach
  for n = 1, 5 do
    r.cmd("AT+CEREG=" .. n)
    add(r.cmd("AT+CGATT=0", 1))
    add(r.cmd("AT+CSQ"), "AT+CSQ"); add(r.cmd("AT+CESQ"), "AT+CESQ")
    add(r.cmd("AT+CGATT=1", 5))
    r.m.fault.attach_reject = 15
    add(r.cmd("AT+CGATT=0", 1)); add(r.cmd("AT+CGATT=1", 5))
    add(r.cmd("AT+CEREG?"), "AT+CEREG?")
    add(r.cmd("AT+CGATT=1", 5))
  end
  -- the eDRX the network granted, once one was asked for
  r = sim_rig.registered()
  r.cmd('AT+CEDRXS=1,5,"0101"')
  add(r.cmd("AT+CEDRXRDP"), "AT+CEDRXRDP")
  -- a CON uplink, RRC, deep sleep and the wake-up, a failed resume
  r = sim_rig.registered()
  r.cmd("AT+CSCON=1")
  add(r.lines(30)) -- RRC released: the uplink sets it up again
  add(r.cmd("AT+NMGS=2,0102,101", 5))
  add(r.lines(200))
  add(r.cmd("AT", 1)); add(r.cmd("AT", 1))
  r.m.fault.resume_fail = true
  add(r.lines(200))
  add(r.cmd("AT", 1)); add(r.cmd("AT", 1))
  -- downlinks in each receive mode, a full buffer
  r = sim_rig.registered()
  r.p:queue_downlink("\1\2")
  add(r.lines(2))
  r.cmd("AT+NNMI=2")
  r.p:queue_downlink("\3\4")
  add(r.lines(2))
  add(r.cmd("AT+NMGR"), "AT+NMGR")
  r.cmd("AT+NNMI=0")
  for _ = 1, 9 do r.p:queue_downlink("\5\6") end
  add(r.lines(10))
  -- rejection, RST, a failed uplink, a broken session, the lifetime update
  r = sim_rig.ready()
  r.p:set_registration("reject")
  add(r.cmd('AT+NCDPOPEN="221.229.214.202",5683', 5))
  r = sim_rig.registered()
  r.p:cancel_observation()
  add(r.cmd("AT+NMGS=2,0102", 3))
  r = sim_rig.registered()
  r.m.fault.uplink_fail = true
  add(r.cmd("AT+NMGS=2,0102,100", 3))
  r.m:_connection_error()
  add(r.lines(1))
  r = sim_rig.ready()
  r.cmd("AT+NCFG=0,900")
  r.cmd("AT+QRST=1", 5)
  r.cmd("ATE0")
  r.cmd('AT+NCDPOPEN="221.229.214.202",5683', 3)
  r.cmd("AT+QSCLK=0")
  add(r.lines(900))
  -- a firmware update, its failures
  r = sim_rig.ready()
  r.cmd("AT+QSCLK=0") -- (deep sleep off, as guide 5.3.3 asks: else the download breaks)
  r.p:create_fota_job{size = 1024, trigger = "register"}
  add(r.cmd('AT+NCDPOPEN="221.229.214.202",5683', 3))
  add(r.lines(200))
  r.cmd("ATE0")
  add(r.cmd('AT+NCDPOPEN="221.229.214.202",5683', 10))
  for _, fail in ipairs({"download_2", "download_4", "download_9", "end_255"}) do
    r = sim_rig.ready()
    r.cmd("AT+QSCLK=0")
    r.p:create_fota_job{size = 1024, trigger = "register", fail = fail}
    add(r.cmd('AT+NCDPOPEN="221.229.214.202",5683', 3))
    add(r.lines(200))
  end
  return seen, order
end

-- The line literals of the virtual module's sources: exact lines, and prefixes of lines
-- built with a format or a concatenation. (transcript.lua prints nothing: it replays the
-- guide's sessions, and its literals are lines normalised for comparing.)
local PRINTS_NOTHING = {["transcript.lua"] = true}
local function sim_literals()
  local source = os.getenv("BC260Y_SOURCE_DIR") or "."
  local p = assert(io.popen("ls " .. source .. "/lua/bc260y/sim/*.lua"))
  local out = {}
  for path in p:lines() do
    if PRINTS_NOTHING[path:match("[^/]+$")] then goto next_file end
    local f = assert(io.open(path))
    local text = f:read("a"):gsub("%-%-[^\n]*", "")
    f:close()
    for _, pattern in ipairs({'"(%+%u[^"\n]*)"', "'(%+%u[^'\n]*)'"}) do
      for literal in text:gmatch(pattern) do out[#out + 1] = literal end
    end
    ::next_file::
  end
  p:close()
  return out
end

local MALFORMED_EN, GARBAGE_EN = "malformed", "not a line the module prints"

function TestSimLines:test_every_line_the_virtual_module_prints_is_explained()
  local seen, order = sim_lines()
  lu.assertTrue(#order > 60, #order)
  for _, line in ipairs(order) do
    local ctx = {command = seen[line] or nil, cmee = 1, sim = SIM_COMMANDS}
    local en, zh = explain.line(line, "en", ctx), explain.line(line, "zh", ctx)
    lu.assertIsString(en, line)
    lu.assertNotStrContains(en, MALFORMED_EN, false, line)
    lu.assertNotStrContains(en, GARBAGE_EN, false, line)
    lu.assertFalse(has_chinese(en), line .. ": " .. en)
    lu.assertTrue(has_chinese(zh), line .. ": " .. tostring(zh))
  end
end

function TestSimLines:test_every_line_literal_of_the_sources_was_printed()
  local _, order = sim_lines()
  local literals = sim_literals()
  lu.assertTrue(#literals > 30, #literals)
  local missing = {}
  for _, literal in ipairs(literals) do
    local prefix = literal:match("^([^%%]*)%%") or literal
    local exact = prefix == literal and not literal:match("[ :,]$")
    local found = false
    for _, line in ipairs(order) do
      if (exact and line == literal) or (not exact and line:sub(1, #prefix) == prefix) then found = true; break end
    end
    if not found then missing[#missing + 1] = literal end
  end
  lu.assertEquals(missing, {}, "lines of the virtual module that sim_lines() never makes it print")
end

-- For an error, the cause: the parameter at fault, a near name, a form or command the
-- virtual module lacks; never "unknown command, or CMEE=0" when neither is true.
TestCauses = {}

local function meaning(line, command, lang, ctx)
  ctx = ctx or {cmee = 1, sim = SIM_COMMANDS}
  ctx.command = command
  return explain.line(line, lang, ctx)
end

function TestCauses:test_the_parameter_at_fault_is_named()
  lu.assertStrContains(meaning("+CME ERROR: 3", "AT+NMGS=3,0102", "en"), "<length> is 3 but <data> holds 2 byte(s)")
  lu.assertStrContains(meaning("+CME ERROR: 3", "AT+NMGS=3,0102", "zh"), "<length> 为 3,但 <data> 只有 2 字节")
  lu.assertStrContains(meaning("+CME ERROR: 17", "AT+NMGS=2,012", "en"), "odd number of hex digits (3)")
  lu.assertStrContains(meaning("+CME ERROR: 14", "AT+NMGS=1025,00", "zh"), "1024")
  lu.assertStrContains(meaning("+CME ERROR: 3", "AT+NMGS=2,0102,7", "en"), "<type>")
  lu.assertStrContains(meaning("+CME ERROR: 3", "AT+NNMI=5", "en"), "<status> must be an integer in 0..2, not '5'")
  lu.assertStrContains(meaning("+CME ERROR: 2", "AT+NMGS=2", "en"), "takes 2..3 parameter(s)")
  lu.assertStrContains(meaning("+CME ERROR: wrong parameter value", "AT+NMGS=3,0102", "en"), "<length> is 3")
  -- a state error names no parameter: the table's meaning is the whole story
  lu.assertEquals(meaning("+CME ERROR: 954", "AT+NMGS=2,0102", "en"), explain.cme(954, "en"))
end

function TestCauses:test_a_near_name_is_suggested()
  local en = meaning("ERROR", "AT+NMSG=1,00", "en")
  lu.assertStrContains(en, "did you mean AT+NMGS?")
  lu.assertStrContains(meaning("ERROR", "AT+NMSG=1,00", "zh"), "是否想输入 AT+NMGS")
  lu.assertStrContains(meaning("ERROR", "at+ncdpopne=1.2.3.4", "en"), "did you mean AT+NCDPOPEN?")
end

function TestCauses:test_what_the_virtual_module_lacks_is_said_so()
  lu.assertStrContains(meaning("ERROR", "AT+FOO", "en"), "not implemented by the virtual module")
  lu.assertStrContains(meaning("ERROR", "AT+FOO", "zh"), "虚拟模块未实现")
  lu.assertStrContains(meaning("ERROR", 'AT+CCLK="26/01/01,00:00:00+32"', "en"), "does not implement AT+CCLK in its set")
  local without_ncfg = setmetatable({NCFG = false}, {__index = SIM_COMMANDS})
  lu.assertStrContains(meaning("ERROR", "AT+NCFG=0", "en", {cmee = 1, sim = without_ncfg}),
    "AT+NCFG is not implemented by the virtual module (the real module has it")
  -- on a real module nobody claims what the virtual one lacks
  lu.assertNotStrContains(meaning("ERROR", "AT+FOO", "en", {cmee = 1}), "virtual")
end

function TestCauses:test_an_existing_command_with_error_codes_on_is_not_called_unknown()
  for _, lang in ipairs({"en", "zh"}) do
    for _, ctx in ipairs({{cmee = 1, sim = SIM_COMMANDS}, {cmee = 1}}) do
      local text = meaning("ERROR", "AT+NCDPOPEN", lang, ctx)
      lu.assertNotStrContains(text, lang == "en" and "unknown command" or "未知命令")
      lu.assertNotStrContains(text, "CMEE=0")
      lu.assertStrContains(text, "AT+NCDPOPEN=<ip_addr>[,<port>[,<psk>]]")
    end
  end
  lu.assertStrContains(meaning("ERROR", "AT+NMGS=3,0102", "en", {cmee = 0}), "AT+CMEE=0")
end

TestCommands = {}

local GUIDE_COMMANDS = {
  NCDPOPEN = "AT+NCDPOPEN=<ip_addr>[,<port>[,<psk>]]", NCDPCLOSE = "AT+NCDPCLOSE",
  NMGS = "AT+NMGS=<length>,<data>[,<type>]", NMGR = "AT+NMGR", NNMI = "AT+NNMI=<status>",
  NCFG = "AT+NCFG=<mode>,<value>", NMSTATUS = "AT+NMSTATUS?",
  QLWULDATASTATUS = "AT+QLWULDATASTATUS?", NQMGR = "AT+NQMGR",
}

function TestCommands:test_every_platform_command_has_help_in_both_languages()
  for name, syntax in pairs(GUIDE_COMMANDS) do
    for _, lang in ipairs({"en", "zh"}) do
      local text = commands.help(name, lang)
      lu.assertIsString(text, name)
      lu.assertStrContains(text, syntax)
      lu.assertStrContains(text, "<err>")
    end
    lu.assertTrue(has_chinese(commands.help(name, "zh")), name)
    lu.assertFalse(has_chinese(commands.help(name, "en")), name)
  end
end

function TestCommands:test_help_nmgs_gives_the_limit_rai_and_when_to_send()
  for _, lang in ipairs({"en", "zh"}) do
    local text = commands.help("AT+NMGS", lang)
    lu.assertStrContains(text, "1024")
    lu.assertStrContains(text, "RAI")
    lu.assertStrContains(text, "REGISTERED_AND_OBSERVED")
    lu.assertStrContains(text, "102")
  end
  lu.assertEquals(commands.help("nmgs", "en"), commands.help("AT+NMGS=?", "en"))
  lu.assertNil(commands.help("NOSUCH", "en"))
end

function TestCommands:test_parameters_show_range_and_default()
  local en = commands.help("NCDPOPEN", "en")
  lu.assertStrMatches(en, ".*<port>%s+integer; range 0%.%.65535; default 5683.*")
  lu.assertStrContains(commands.help("NCFG", "zh"), "范围 0..2592000")
  lu.assertStrContains(commands.help("NNMI", "zh"), "默认值 1")
end

function TestCommands:test_names_complete_to_real_commands()
  local names = commands.names()
  for name in pairs(GUIDE_COMMANDS) do
    local found = false
    for _, n in ipairs(names) do if n == "AT+" .. name then found = true end end
    lu.assertTrue(found, name)
  end
end

TestI18n = {}

local function env(t) return function(k) return t[k] end end

function TestI18n:test_language_from_the_environment()
  lu.assertEquals(i18n.detect(env{}), "en")
  lu.assertEquals(i18n.detect(env{LANG = "zh_CN.UTF-8"}), "zh")
  lu.assertEquals(i18n.detect(env{LANG = "en_US.UTF-8"}), "en")
  lu.assertEquals(i18n.detect(env{LC_ALL = "C", LANG = "zh_CN.UTF-8"}), "en")
  lu.assertEquals(i18n.detect(env{BC260Y_LANG = "zh", LANG = "en_US.UTF-8"}), "zh")
  lu.assertEquals(i18n.detect(env{BC260Y_LANG = "en", LANG = "zh_CN.UTF-8"}), "en")
end

function TestI18n:test_set_wins_and_bad_languages_are_refused()
  i18n.set("zh")
  lu.assertEquals(i18n.lang(), "zh")
  lu.assertStrContains(i18n.t("cli.unknown_command", "x"), "未知命令")
  i18n.set("en")
  lu.assertStrContains(i18n.t("cli.unknown_command", "x"), "unknown command 'x'")
  i18n.set(nil)
  lu.assertErrorMsgContains("unknown language", i18n.set, "fr")
end

function TestI18n:test_every_message_has_both_languages_with_the_same_placeholders()
  for key, entry in pairs(require("bc260y.messages")) do
    lu.assertIsString(entry.en, key)
    lu.assertIsString(entry.zh, key)
    local function holes(s)
      local h = {}
      for p in s:gmatch("%%[%d%.]*[%a%%]") do h[#h + 1] = p end
      return table.concat(h, " ")
    end
    lu.assertEquals(holes(entry.zh), holes(entry.en), key)
  end
end

-- The catalogue's "lib." entries are the library's messages, each looked up by its key
-- (i18n.t("lib.x", ...)) in the library's sources: no entry is left unused.
function TestI18n:test_library_messages_match_the_library()
  local source = os.getenv("BC260Y_SOURCE_DIR") or "."
  local text = {}
  for _, name in ipairs({"modem/init", "modem/command", "modem/downlink", "modem/events", "modem/io",
                         "modem/urc", "modem/power", "dfota", "init", "shutdown"}) do
    local f = assert(io.open(source .. "/lua/bc260y/" .. name .. ".lua"))
    text[#text + 1] = f:read("a")
    f:close()
  end
  text = table.concat(text, "\n")
  local n = 0
  for key in pairs(require("bc260y.messages")) do
    if key:match("^lib%.") then
      n = n + 1
      -- dfota's DOWNLOAD/END texts are looked up as lib.fota_<kind>_<code>
      local looked_up = text:find('"' .. key .. '"', 1, true) ~= nil
        or (key:match("^lib%.fota_download_%d+$") or key:match("^lib%.fota_end_%d+$"))
          and text:find('"lib.fota_%s_%s"', 1, true) ~= nil
      lu.assertTrue(looked_up, key .. " is not looked up in the library")
    end
  end
  lu.assertTrue(n >= 20)
end

os.exit(lu.LuaUnit.run(), true)
