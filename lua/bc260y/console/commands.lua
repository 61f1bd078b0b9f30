-- bc260y.console.commands: the AT commands as the guide documents them, for `help CMD` in the
-- console: syntax of each form, maximum response time, every parameter with its range,
-- default and meaning, and the notes (limits, RAI, when a command may be sent). The nine
-- platform commands are the guide's chapter 2; the few others appear only in its examples
-- (chapter 4), so they get a short entry that points to the AT commands manual.
--
--   commands.get(name) -> entry | nil      ("NMGS", "AT+NMGS", "at+nmgs=?" all find NMGS)
--   commands.names()   -> {"AT+NCDPOPEN", ...} for completion
--   commands.help(name[, lang]) -> text | nil      commands.list([lang]) -> text
local i18n = require("bc260y.i18n")

local commands = {}

-- Parameters: {name, kind, range, default, meaning}; kind/meaning are {en=, zh=}, range
-- and default too where they hold words. Forms: {syntax, answer}, the answer {en=, zh=}
-- where it holds words.
local INT = {en = "integer", zh = "整型"}
local STR = {en = "string", zh = "字符串型"}
local HEX = {en = "hex string", zh = "十六进制字符串型"}
local ERR = {"<err>", INT, nil, nil, {en = "error code: see `help errors`", zh = "错误码,见 `help errors`"}}
local ANSWER_ERR = "ERROR | +CME ERROR: <err>"

local C = {}
commands.table = C

C.NCDPOPEN = {
  guide = "2.3.1", max = 5,
  title = {en = "connect the module to the platform's server", zh = "模块发起连接到服务器请求"},
  forms = {
    {"AT+NCDPOPEN=?", "OK"},
    {"AT+NCDPOPEN=<ip_addr>[,<port>[,<psk>]]", {en = "OK, then +QLWEVTIND: 0 and +QLWEVTIND: 3",
                                               zh = "OK,随后上报 +QLWEVTIND: 0 和 +QLWEVTIND: 3"}},
  },
  params = {
    {"<ip_addr>", STR, nil, nil, {en = "IP address of the platform's server", zh = "平台服务器接入的 IP 地址"}},
    {"<port>", INT, "0..65535", {en = "5683 (also when 0)", zh = "5683(取 0 时也为 5683)"},
     {en = "the server's port", zh = "服务器接入的 IP 端口"}},
    {"<psk>", HEX, {en = "up to 256 bytes", zh = "最大 256 字节"}, nil,
     {en = "key of an encrypted device, generated or set when the device is registered on the platform",
      zh = "加密设备的密钥,在平台端注册加密设备时由平台生成或自主设置"}},
    ERR,
  },
  notes = {
    {en = "The device's IMEI must be registered on the platform first.", zh = "发起连接前,必须确保该设备 IMEI 号在平台端已注册。"},
    {en = "An encrypted device must connect to the platform's encrypted port with the right <psk>.",
     zh = "加密设备必须通过平台指定的加密端口及正确的 <psk> 进行连接。"},
    {en = "Wait for the connection's result URC before AT+NCDPCLOSE, or it answers ERROR.",
     zh = "发起连接后,必须等到连接结果码上报后才可执行 AT+NCDPCLOSE,否则返回 ERROR。"},
    {en = "A timeout or a refusal by the server gives +QLWEVTIND: 1.", zh = "若连接超时或被服务器拒绝,将收到 +QLWEVTIND: 1。"},
    {en = "Unencrypted, the result comes within 126 s at most; encrypted, the wait has no fixed limit.",
     zh = "非加密连接返回结果的最大超时时间为 126 秒;加密连接下最大超时时间不定。"},
  },
}

C.NCDPCLOSE = {
  guide = "2.3.2", max = 5,
  title = {en = "disconnect from the platform", zh = "模块发起断开连接请求"},
  forms = {{"AT+NCDPCLOSE", "OK"}},
  params = {ERR},
  notes = {
    {en = "The module deregisters with the platform; only when that exchange is over (124 s at most) does AT+NMSTATUS? say DEREGISTERED.",
     zh = "执行后模块与平台进行去注册交互,完成后注册状态才变为 DEREGISTERED,交互最大超时时间为 124 秒。"},
  },
}

C.NMGS = {
  guide = "2.3.3", max = 5,
  title = {en = "send data to the platform", zh = "发送数据"},
  forms = {{"AT+NMGS=<length>,<data>[,<type>]", "OK"}},
  params = {
    {"<length>", INT, "1..1024", nil, {en = "length of the data in bytes (at most 1024)", zh = "需要发送数据的长度,最大值 1024,单位:字节"}},
    {"<data>", HEX, nil, nil, {en = "the data, two hex digits per byte", zh = "要发送的数据内容"}},
    {"<type>", INT, "0 1 2 100 101 102", "0",
     {en = "0/1/2: NON with RAI 0/1/2; 100/101/102: CON with RAI 0/1/2", zh = "0/1/2:发送 NON 数据,RAI 为 0/1/2;100/101/102:发送 CON 数据,RAI 为 0/1/2"}},
    ERR,
  },
  notes = {
    {en = "At most 1024 bytes per message; send only once AT+NMSTATUS? says REGISTERED_AND_OBSERVED (after +QLWEVTIND: 3).",
     zh = "每条最多 1024 字节;只有注册状态为 REGISTERED_AND_OBSERVED(收到 +QLWEVTIND: 3)时才可以发送数据。"},
    {en = "RAI tells the core network how to release the RRC connection: 0 no indication; 1 no further uplink or downlink expected, release at once; 2 one downlink reply expected, release right after it.",
     zh = "RAI 指示核心网释放 RRC 连接的方式:0 无指示;1 该包后不期望进一步的上行或下行数据,可立即释放;2 期望有对应回复的单个下行数据包,下发后立即释放。"},
    {en = "Platform without reply to uplinks: NON type 1, CON type 102. With a reply (default AAAA0000): NON type 2, CON type 102 - but the reply may set up RRC again, so CON is better used without platform replies.",
     zh = "平台配置为数据上报无响应:NON 用 <type>=1,CON 用 102;有响应(默认 AAAA0000):NON 用 2,CON 用 102,但回复可能重新建立 RRC 连接,因此发送 CON 数据时不建议平台配置为有响应。"},
    {en = "A CON message reports its fate with +QLWEVTIND: 4 (delivered) or 5 (failed); see AT+QLWULDATASTATUS?.",
     zh = "CON 数据的结果由 +QLWEVTIND: 4(成功)或 5(失败)上报,也可用 AT+QLWULDATASTATUS? 查询。"},
  },
}

C.NMGR = {
  guide = "2.3.4", max = 5,
  title = {en = "read one buffered downlink", zh = "读取缓存数据"},
  forms = {{"AT+NMGR", {en = "+NMGR: <length>,<data> then OK; only OK when the buffer is empty",
                        zh = "+NMGR: <length>,<data>,随后 OK;缓存为空时只回 OK"}}},
  params = {
    {"<length>", INT, nil, nil, {en = "length of the received data in bytes", zh = "接收的数据长度,单位:字节"}},
    {"<data>", HEX, nil, nil, {en = "the received data", zh = "接收的数据内容"}},
    ERR,
  },
  notes = {
    {en = "One message per command, oldest first; a message read is removed from the buffer.",
     zh = "按接收顺序逐条读取,每次仅返回一条数据,读取成功后从缓存区移除。"},
    {en = "In direct mode (AT+NNMI=1) nothing is buffered: downlinks arrive as +NNMI: <length>,<data>.",
     zh = "直吐模式(AT+NNMI=1)下新数据通过 URC 直接上报,不保存在缓存区中。"},
  },
}

C.NNMI = {
  guide = "2.3.5", max = 5,
  title = {en = "choose how downlinks are received", zh = "配置数据接收模式"},
  forms = {{"AT+NNMI?", "+NNMI: <status>"}, {"AT+NNMI=<status>", "OK"}},
  params = {
    {"<status>", INT, "0 1 2", "1",
     {en = "0 buffer, no URC; 1 direct: +NNMI: <length>,<data> at once; 2 buffer with a bare +NNMI indication",
      zh = "0 缓存模式,无 URC 上报;1 直吐模式,通过 URC 立即上报;2 缓存模式,仅上报指示 URC"}},
    ERR,
  },
  notes = {
    {en = "Takes effect at once; not saved to NVRAM, but survives deep sleep.", zh = "立即生效;参数不保存到 NVRAM,但深休眠唤醒后仍有效。"},
    {en = "The buffer holds at most 2560 bytes or 8 messages; beyond that a new message is dropped with +NNMI: \"recv\",buff full.",
     zh = "缓存区最多保存 2560 字节或 8 条数据,超过时新数据被丢弃,并上报 `+NNMI: \"recv\",buff full`。"},
  },
}

C.NCFG = {
  guide = "2.3.6", max = 5,
  title = {en = "platform settings: the device's lifetime", zh = "配置命令(生命周期)"},
  forms = {{"AT+NCFG=?", "+NCFG: 0[,(0-2592000)]"}, {"AT+NCFG=<mode>", "+NCFG: <value>"},
           {"AT+NCFG=<mode>,<value>", "OK"}},
  params = {
    {"<mode>", INT, "0", nil, {en = "0: the device's lifetime on the platform (the only one)", zh = "配置目标,目前仅支持 0:设备在平台端的生命周期"}},
    {"<value>", INT, "0..2592000", "0", {en = "lifetime in seconds", zh = "生命周期,单位:秒"}},
    ERR,
  },
  notes = {
    {en = "Takes effect after a restart; saved to NVRAM, valid after deep sleep.", zh = "重启后生效;深休眠唤醒后有效,参数自动保存至 NVRAM。"},
    {en = "0: the registration carries no lifetime and the module sends no updates.", zh = "<value> 为 0 时,注册包中不包含 Lifetime,模块也不会自动发送更新包。"},
    {en = "A value from 1 to 900 counts as 900.", zh = "配置为 1 到 900 之间的值时,取值 900。"},
    {en = "Buffered downlinks are not lost in deep sleep.", zh = "缓存区中的平台数据在进入深休眠后不会丢失。"},
  },
}

C.NMSTATUS = {
  guide = "2.3.7", max = 5,
  title = {en = "registration state", zh = "查询注册状态"},
  forms = {{"AT+NMSTATUS?", "+NMSTATUS: <status>"}},
  params = {
    {"<status>", STR, "UNINITIALISED REGISTERING REJECTED_BY_SERVER TIMEOUT REGISTERED REGISTERED_AND_OBSERVED DEREGISTERED RESUMPTION_FAILED",
     nil, {en = "the state; the console explains each", zh = "注册状态,控制台会逐一解释"}},
    ERR,
  },
  notes = {
    {en = "REJECTED_BY_SERVER: check the IP address, port and that the IMEI is registered; TIMEOUT: check IP, port and the <psk>.",
     zh = "REJECTED_BY_SERVER:检查 IP 地址、端口号及 IMEI 是否已注册;TIMEOUT:检查 IP 地址、端口号及 <psk>。"},
    {en = "Data may be sent only in REGISTERED_AND_OBSERVED.", zh = "只有在 REGISTERED_AND_OBSERVED 状态时模块才可以发送数据。"},
  },
}

C.QLWULDATASTATUS = {
  guide = "2.3.8", max = 5,
  title = {en = "state of the last CON uplink", zh = "查询 CON 消息发送状态"},
  forms = {{"AT+QLWULDATASTATUS?", "+QLWULDATASTATUS: <status>"}},
  params = {
    {"<status>", INT, "0..5", nil, {en = "0 not sent, 1 waiting for the platform, 2 failed, 3 timed out, 4 delivered, 5 RESET received",
                                    zh = "0 未发送,1 已发送等待平台响应,2 发送失败,3 超时,4 成功,5 收到 RESET 消息"}},
    ERR,
  },
  notes = {},
}

C.NQMGR = {
  guide = "2.3.9", max = 5,
  title = {en = "counters of received downlinks", zh = "查询已接收消息状态"},
  forms = {{"AT+NQMGR", "BUFFERED=<buffered>,RECEIVED=<received>,DROPPED=<dropped>"}},
  params = {
    {"<buffered>", INT, nil, nil, {en = "messages waiting in the buffer", zh = "下行缓存中等待读取的消息条数"}},
    {"<received>", INT, nil, nil, {en = "messages received since start-up", zh = "UE 启动后收到的消息总数"}},
    {"<dropped>", INT, nil, nil, {en = "messages dropped since start-up", zh = "UE 启动后丢弃的消息条数"}},
    ERR,
  },
  notes = {},
}

-- Commands of the guide's examples that the AT commands manual documents.
local MANUAL = {en = "Documented in the AT commands manual; the guide uses it in its examples (chapter 4).",
                zh = "详见 AT 命令手册;本指导在第 4 章示例中使用。"}
local function manual(title, forms, notes)
  local n = {MANUAL}
  for _, x in ipairs(notes or {}) do n[#n + 1] = x end
  return {title = title, forms = forms, params = {}, notes = n}
end
C.I = manual({en = "identify the module: maker, model, firmware revision", zh = "查询模块信息:厂商、型号、固件版本"},
  {{"ATI", "Quectel_Ltd / Quectel_BC260Y-CN / Revision: ..."}},
  {{en = "Needed for DFOTA: the revision names the firmware a difference package starts from.",
    zh = "DFOTA 需要:通过 ATI 获取当前固件版本以获取差分包。"}})
C.CGPADDR = manual({en = "the IP address: attached to the network?", zh = "查询模块是否成功注网(IP 地址)"},
  {{"AT+CGPADDR?", "+CGPADDR: <cid>,<ip>"}},
  {{en = "Connect to the platform only once an address is shown.", zh = "已注网(显示 IP 地址)后才可以发起连接。"}})
C.QSCLK = manual({en = "sleep mode", zh = "休眠模式"},
  {{"AT+QSCLK=<n>", "OK"}},
  {{en = "0 no sleep, 1 light and deep sleep, 2 light sleep only. Turn sleep off (0) before a firmware update.",
    zh = "0 禁用休眠,1 启用浅休眠和深休眠,2 仅浅休眠。DFOTA 前需执行 AT+QSCLK=0 关闭深休眠。"}})
C.CSCON = manual({en = "report the RRC signalling connection", zh = "信令连接状态上报"},
  {{"AT+CSCON=<n>", "OK"}, {"AT+CSCON?", "+CSCON: <n>,<mode>"}},
  {{en = "With 1, +CSCON:1 / +CSCON:0 report RRC set up / released.", zh = "设置为 1 后,+CSCON:1 / +CSCON:0 上报 RRC 建立 / 释放。"}})
C.CMEE = manual({en = "error reports as +CME ERROR: <err>", zh = "+CME ERROR: <err> 错误码上报"},
  {{"AT+CMEE=<n>", "OK"}},
  {{en = "0 turns the error codes off (plain ERROR), 1 or 2 turns them on.", zh = "<n>=0 禁用,<n>=1 或 2 使能 +CME ERROR: <err> 上报。"}})

-- Names for completion: every command above plus the basic ones of the AT manual.
local EXTRA = {"AT", "ATE0", "ATE1", "AT+CGSN=1", "AT+CGMR", "AT+CSQ", "AT+CEREG?", "AT+CFUN?",
  "AT+CPIN?", "AT+QRST=1"}

local function key(name)
  local up = tostring(name):upper():gsub("^AT%+?", ""):gsub("[=?].*$", "")
  return up
end

function commands.get(name) return C[key(name)] end

function commands.full_name(k) return k == "I" and "ATI" or "AT+" .. k end

function commands.names()
  local out = {}
  for k in pairs(C) do out[#out + 1] = commands.full_name(k) end
  for _, n in ipairs(EXTRA) do out[#out + 1] = n end
  table.sort(out)
  return out
end

local function tr(x, lang) return i18n.pick(x, lang) end

function commands.help(name, lang)
  lang = lang or i18n.lang()
  local k = key(name)
  local c = C[k]
  if not c then return nil end
  local text = function(id) return i18n.pick(require("bc260y.messages")[id], lang) end
  local out = {}
  local function add(s) out[#out + 1] = s end
  add(("%s - %s%s"):format(commands.full_name(k), tr(c.title, lang),
    c.guide and (" (" .. text("help.guide") .. " " .. c.guide .. ")") or ""))
  add(text("help.syntax"))
  for _, f in ipairs(c.forms) do add(("  %-42s -> %s"):format(f[1], tr(f[2], lang))) end
  if c.forms[1] and c.guide then add(("  %s %s"):format(text("help.errors_answer"), ANSWER_ERR)) end
  if c.max then add(("%s: %d s"):format(text("help.max_time"), c.max)) end
  if #c.params > 0 then
    add(text("help.params"))
    for _, p in ipairs(c.params) do
      local bits = {tr(p[2], lang)}
      if p[3] then bits[#bits + 1] = text("help.range") .. " " .. tr(p[3], lang) end
      if p[4] then bits[#bits + 1] = text("help.default") .. " " .. tr(p[4], lang) end
      add(("  %-11s %s"):format(p[1], table.concat(bits, "; ")))
      add(("  %-11s %s"):format("", tr(p[5], lang)))
    end
  end
  if #c.notes > 0 then
    add(text("help.notes"))
    for i, n in ipairs(c.notes) do add(("  %d. %s"):format(i, tr(n, lang))) end
  end
  return table.concat(out, "\n")
end

function commands.list(lang)
  lang = lang or i18n.lang()
  local keys = {}
  for k in pairs(C) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ga, gb = C[a].guide or "9", C[b].guide or "9"
    if ga ~= gb then return ga < gb end
    return a < b
  end)
  local out = {}
  for _, k in ipairs(keys) do
    out[#out + 1] = ("  %-22s %s"):format(commands.full_name(k), tr(C[k].title, lang))
  end
  return table.concat(out, "\n")
end

return commands
