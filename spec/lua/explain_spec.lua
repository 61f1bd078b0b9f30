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
  lu.assertNil(explain.line("Quectel_Ltd", "en"))
  lu.assertNil(explain.line(nil, "en"))
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
