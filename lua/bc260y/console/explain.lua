-- bc260y.console.explain: what a line from the module means, in English or Chinese, for people
-- learning the module (the console prints it under each line). The knowledge is the
-- guide's tables: every +QLWEVTIND code, NMSTATUS state, QLWULDATASTATUS value, +NNMI form,
-- FOTA stage and result, the CSCON and deep-sleep events; +CME ERROR codes come from the
-- error table the C core carries (bc260y.errors), not from a copy here. A few lines the
-- guide only shows in its examples (OK, RDY, +CGPADDR...) are explained too, and so is every
-- line the virtual module can print (lua/bc260y/sim/): the 27.007 answers (+CSQ, +CESQ,
-- +CEREG, +CGATT, +CGDCONT, +CPSMS, +CEDRXS, +CCLK, +QCCID, the IMSI, +CGSN...), the ATI
-- lines, the test forms' ranges and echoes; anything else is said not to be a line the
-- module prints. For an error the cause comes from bc260y.console.causes when the command
-- is known (ctx.command).
--
--   explain.line(line[, lang[, ctx]]) -> text | nil (nil: not a string)
--     ctx (the console's knowledge, all optional): command (the command typed, whose answer
--     this is), cmee (0..2, the error report mode), sim (the virtual module's command
--     table: the port is the virtual module), after_update (a firmware update ended)
--   explain.cme(code[, lang])  -> "CTIOT_...: meaning"
--   explain.tables             the tables themselves (the tests check every code)
local core = require("bc260y.core")
local errors, decode = core.errors, core.decode
local i18n = require("bc260y.i18n")
local causes = require("bc260y.console.causes")
local timers = require("bc260y.timers3gpp")

local explain = {}

local T = {}
explain.tables = T

-- +QLWEVTIND: <type>, the result of something the module did (guide 3.1).
T.qlwevtind = {
  [-1] = {en = "connection error (an exception on the platform connection)", zh = "连接发生异常"},
  [0] = {en = "registered: the module is connected to the platform", zh = "模块已连接(注册成功)"},
  [1] = {en = "registration rejected by the server, or it timed out", zh = "连接被服务器拒绝或连接超时"},
  [2] = {en = "the module refreshed its lifetime with the platform by itself (update succeeded)",
         zh = "模块自动更新 lifetime 成功"},
  [3] = {en = "object 19/0/0 observed: the platform subscribed, data may be sent now",
         zh = "object 19/0/0 已订阅,可以发送数据"},
  [4] = {en = "CON uplink delivered: the platform acknowledged it", zh = "CON 数据发送成功"},
  [5] = {en = "CON uplink failed: no acknowledgement from the platform", zh = "CON 数据发送失败"},
  [6] = {en = "woke from deep sleep, connection restored (local restore only, nothing sent to the network)",
         zh = "深休眠唤醒连接恢复成功(仅本地数据自恢复,不与网络交互)"},
  [7] = {en = "woke from deep sleep, restoring the connection failed: register again",
         zh = "深休眠唤醒连接恢复失败"},
  [8] = {en = "object 5/0/3 (firmware update state) observed: the platform is starting a firmware update",
         zh = "上报升级状态的 object 5/0/3 已订阅(平台准备升级)"},
  [9] = {en = "observation of object 5/0/3 cancelled: the platform has the update's result",
         zh = "上报升级状态的 object 5/0/3 已取消订阅"},
  [10] = {en = "the platform answered an uplink on 19/0/0 with RST: connect again before sending more",
          zh = "通过 object 19/0/0 上行数据时收到平台回复的 RST 消息,只有重新建立连接才能发送数据"},
}

-- +NMSTATUS: <status>, the registration state (guide 2.3.7, with its notes).
T.nmstatus = {
  UNINITIALISED = {en = "not initialised: no connection was started", zh = "未初始化状态"},
  REGISTERING = {en = "registering: the connection request is under way", zh = "连接中"},
  REJECTED_BY_SERVER = {
    en = "rejected by the server: check the IP address and port, and that the IMEI is registered on the platform",
    zh = "连接请求被服务器拒绝:请检查 IP 地址和端口号,以及 IMEI 是否已在平台注册"},
  TIMEOUT = {en = "registration timed out: check the IP address and port (and the PSK of an encrypted device)",
             zh = "连接超时:请检查 IP 地址和端口号(加密设备还需检查 <psk>)"},
  REGISTERED = {en = "registered but not yet observed: wait for +QLWEVTIND: 3 before sending",
                zh = "已连接但未订阅"},
  REGISTERED_AND_OBSERVED = {en = "registered and observed: data may be sent now",
                             zh = "已连接并已订阅,此时才可以发送数据"},
  DEREGISTERED = {en = "deregistered: the connection is closed", zh = "连接断开"},
  RESUMPTION_FAILED = {en = "resuming the DTLS session failed", zh = "DTLS 会话恢复失败"},
}

-- +QLWULDATASTATUS: <status>, the state of the last CON uplink (guide 2.3.8).
T.qlwuldatastatus = {
  [0] = {en = "no CON data sent yet", zh = "未发送"},
  [1] = {en = "sent, waiting for the IoT platform's acknowledgement", zh = "已发送,等待 IoT 平台响应"},
  [2] = {en = "sending failed", zh = "发送失败"},
  [3] = {en = "timed out", zh = "超时"},
  [4] = {en = "delivered: acknowledged by the platform", zh = "成功"},
  [5] = {en = "the platform answered with a RESET message", zh = "收到 RESET 消息"},
}

-- AT+NNMI=<status> and its answer +NNMI: <status>, the receive mode (guide 2.3.5).
T.nnmi_mode = {
  [0] = {en = "receive mode 0, buffer: downlinks are kept in the buffer, no URC; read them with AT+NMGR",
         zh = "接收模式 0,缓存模式:新数据缓存,无 URC 上报,用 AT+NMGR 读取"},
  [1] = {en = "receive mode 1, direct: every downlink arrives at once as +NNMI: <length>,<data>, nothing is buffered",
         zh = "接收模式 1,直吐模式:新数据通过 URC 立即上报,不缓存"},
  [2] = {en = "receive mode 2, buffer with indication: a bare +NNMI says data is waiting; read it with AT+NMGR",
         zh = "接收模式 2,缓存模式:接收到新数据时仅上报指示 URC +NNMI,用 AT+NMGR 读取"},
}

-- The three forms of the +NNMI URC (guide 3.2, 3.3).
T.nnmi = {
  indication = {en = "new data from the platform is in the buffer: read it with AT+NMGR (receive mode 2)",
                zh = "接收到平台下发的新数据,已缓存,请用 AT+NMGR 读取(接收模式 2)"},
  data = {en = "downlink from the platform: %d bytes of data (direct mode, not buffered)",
          zh = "接收到平台下发的新数据:%d 字节(直吐模式,不缓存)"},
  buff_full = {en = "receive buffer full (2560 bytes or 8 messages): the new data was dropped",
               zh = "缓存区已满(2560 字节或 8 条),新数据已丢弃"},
}

-- +QIND: "FOTA",<stage>[,...]: the firmware update (guide 3.4-3.9, 5.3), keyed by the stage
-- as the decoder names it (core.decode(line).stage).
T.fota = {
  download_start = {
    en = "firmware download started: do not power the module off and send no data commands",
    zh = "开始下载固件:此时不可给模块断电,也不可发送数据传输相关的 AT 命令"},
  downloading = {en = "firmware download: %d bytes so far", zh = "已下载固件包 %d 字节"},
  start = {en = "firmware update started: do not power the module off and send no data commands",
           zh = "模块开始固件升级:不可断电,不可发送数据传输相关的 AT 命令"},
  updating = {en = "firmware update in progress: %d%%", zh = "固件升级进度:%d%%"},
}
T.fota_download = {
  [0] = {en = "firmware package downloaded", zh = "固件包下载成功"},
  [2] = {en = "download failed: not enough memory", zh = "内存不足,下载失败"},
  [4] = {en = "download failed: the connection was lost", zh = "连接断开,下载失败"},
  [9] = {en = "download failed: the platform sent an invalid URL", zh = "平台下发了无效的 URL,下载失败"},
}
T.fota_end = {
  [0] = {en = "firmware update succeeded: the module restarts; register again so the platform learns the result",
         zh = "升级成功:模块自动重启,需再次注册平台以便上报升级结果"},
  [255] = {en = "firmware update failed", zh = "升级失败"},
}

-- +CSCON: <mode>, the RRC signalling connection (guide 4.2.2, enabled by AT+CSCON=1).
T.cscon = {
  [0] = {en = "RRC connection released: the radio is idle", zh = "RRC 连接已释放(空闲)"},
  [1] = {en = "RRC connection set up: the radio is connected", zh = "RRC 连接建立成功"},
}

-- +QNBIOTEVENT: deep sleep (guide 4.1.2, 4.2.2; AT+QSCLK=1 allows it).
T.deepsleep = {
  ["ENTER DEEPSLEEP"] = {en = "the module entered deep sleep", zh = "进入深休眠"},
  ["EXIT DEEPSLEEP"] = {en = "the module woke from deep sleep", zh = "从深休眠唤醒"},
}

-- Lines the guide shows in its examples without a table of their own.
T.other = {
  OK = {en = "the command succeeded", zh = "命令执行成功"},
  ERROR = {en = "the command failed (no error code: unknown command, or error reports are off with AT+CMEE=0)",
           zh = "命令执行失败(无错误码:未知命令,或 AT+CMEE=0 关闭了错误码上报)"},
  RDY = {en = "the module (re)started and is ready for AT commands", zh = "模块已启动,可以接收 AT 命令"},
  RDY_UPDATED = {en = "rebooted after the firmware update: register again (AT+NCDPOPEN) so the platform learns the result",
                 zh = "固件升级后模块已重启:请重新注册(AT+NCDPOPEN),平台才能得知升级结果"},
  CFUN = {en = "full functionality: the radio is on", zh = "全功能模式,射频已打开"},
  CFUN0 = {en = "minimum functionality: the radio is off (AT+CFUN=1 turns it on)", zh = "最小功能模式:射频已关闭(AT+CFUN=1 打开)"},
  CPIN = {en = "the SIM card is ready", zh = "SIM 卡已就绪"},
  CPIN_OTHER = {en = "the SIM card is not ready: %s", zh = "SIM 卡未就绪:%s"},
  IP = {en = "attached to the network: the module has the IP address %s", zh = "已注网,模块 IP 地址为 %s"},
  CGPADDR = {en = "attached to the network (IP address %s): a connection may be started",
             zh = "已注网(IP 地址 %s),可以发起连接"},
  NMGR = {en = "a buffered downlink: %d bytes, now removed from the buffer",
          zh = "读取一条缓存数据:%d 字节,读取后从缓存区移除"},
  NQMGR = {en = "%d message(s) waiting in the buffer, %d received since start-up, %d dropped",
           zh = "缓存中待读取 %d 条,启动后共收到 %d 条,丢弃 %d 条"},
  NCFG = {en = "lifetime on the platform: %d s (0: none, no automatic updates)",
          zh = "平台端生命周期:%d 秒(0 表示不携带 lifetime,不自动更新)"},
  CSCON_READ = {en = "RRC reports %s; now: %s", zh = "RRC 状态上报%s;当前:%s"},
  ON = {en = "on", zh = "已开启"},
  OFF = {en = "off", zh = "已关闭"},
  CME_UNKNOWN = {en = "error code %d: not in the guide's table (see the module's AT commands manual)",
                 zh = "错误码 %d:不在本指导的错误码表中(请参考模块的 AT 命令手册)"},
  UNKNOWN_CODE = {en = "%s: value %s is not in the guide's table", zh = "%s:取值 %s 不在指导的表格中"},
  MALFORMED = {en = "malformed: not a form of this line the guide documents (the library refuses it)",
               zh = "格式错误:不是指导中记载的格式(库不接受此行)"},
}

-- The everyday 27.007 lines (bc260y.sim.commands_3gpp) and the other lines the virtual
-- module prints outside the guide's tables.
T.std = {
  CSQ = {en = "signal strength: RSSI %s, bit error rate %s", zh = "信号强度:RSSI %s,误码率 %s"},
  CSQ_RSSI = {en = "%d dBm (%d: -113 + 2 x %d)", zh = "%d dBm(%d:-113 + 2 x %d)"},
  UNKNOWN_VALUE = {en = "unknown (99: not attached)", zh = "未知(99:未注网)"},
  CESQ = {en = "signal quality: RSRQ %s, RSRP %s (the first four fields are GSM/UMTS: 99/255, not used)",
          zh = "信号质量:RSRQ %s,RSRP %s(前四个字段属于 GSM/UMTS,取 99/255,不使用)"},
  CESQ_UNKNOWN = {en = "unknown (255: not attached)", zh = "未知(255:未注网)"},
  CEREG = {en = "network registration: %s", zh = "网络注册状态:%s"},
  CEREG_ANSWER = {en = "network registration: %s (URC level AT+CEREG=%d)", zh = "网络注册状态:%s(URC 上报级别 AT+CEREG=%d)"},
  CGATT = {[0] = {en = "detached from the packet network (AT+CGATT=1 attaches)", zh = "未附着到分组网络(AT+CGATT=1 发起附着)"},
           [1] = {en = "attached to the packet network", zh = "已附着到分组网络"}},
  CGDCONT = {en = "PDP context %s: type %s, APN \"%s\"", zh = "PDP 上下文 %s:类型 %s,APN \"%s\""},
  CPSMS = {en = "power saving (PSM) %s; requested periodic TAU (T3412) %s, Active Time (T3324) %s",
           zh = "省电模式(PSM)%s;请求的周期性 TAU(T3412)%s,激活时间(T3324)%s"},
  PSM_ON = {en = "on", zh = "已开启"},
  PSM_OFF = {en = "off", zh = "已关闭"},
  TIMER = {en = "%s = %s", zh = "%s = %s"},
  SECONDS = {en = "%g s", zh = "%g 秒"},
  DEACTIVATED = {en = "deactivated", zh = "已停用"},
  CEDRXS = {en = "eDRX on for NB-IoT (5): requested cycle %s = %g s", zh = "NB-IoT(5)已开启 eDRX:请求的周期 %s = %g 秒"},
  CEDRXRDP_OFF = {en = "the network granted no eDRX (not in use)", zh = "网络未授予 eDRX(未使用)"},
  CEDRXRDP = {en = "eDRX on NB-IoT (5): requested %s = %g s, granted by the network %s = %g s, paging time window %s",
              zh = "NB-IoT(5)的 eDRX:请求 %s = %g 秒,网络授予 %s = %g 秒,寻呼时间窗 %s"},
  CCLK = {en = "the module's clock: 20%s-%s-%s %s local time, zone %s quarter hours (UTC%s)",
          zh = "模块时钟:20%s-%s-%s %s(本地时间),时区 %s 个刻钟(UTC%s)"},
  QCCID = {en = "the SIM card's ICCID: %s", zh = "SIM 卡的 ICCID:%s"},
  IMSI = {en = "the SIM's IMSI (AT+CIMI): %s (460 is China, 11 China Telecom)",
          zh = "SIM 卡的 IMSI(AT+CIMI):%s(460 为中国,11 为中国电信)"},
  IMEI = {en = "the module's IMEI: %s (register this on the platform)", zh = "模块的 IMEI:%s(在平台注册设备时使用)"},
  IMEISV = {en = "the IMEI with its software version (IMEISV): %s", zh = "带软件版本号的 IMEI(IMEISV):%s"},
  SVN = {en = "the software version number: %s", zh = "软件版本号:%s"},
  SN = {en = "the module's serial number (AT+CGSN): %s", zh = "模块序列号(AT+CGSN):%s"},
  CMEE = {[0] = {en = "error reports off: a failed command answers a bare ERROR", zh = "错误码上报已关闭:失败的命令只回 ERROR"},
          [1] = {en = "error reports on, numeric: +CME ERROR: <err> (help errors lists them)",
                 zh = "错误码上报已开启(数字):+CME ERROR: <err>(help errors 列出全部错误码)"},
          [2] = {en = "error reports on, as text: +CME ERROR: <text>", zh = "错误码上报已开启(文字):+CME ERROR: <text>"}},
  QSCLK = {[0] = {en = "sleep mode 0: the module never sleeps", zh = "休眠模式 0:模块不休眠"},
           [1] = {en = "sleep mode 1: light and deep sleep allowed (the first bytes after deep sleep may be lost)",
                  zh = "休眠模式 1:允许浅休眠和深休眠(深休眠后的第一批字节可能丢失)"},
           [2] = {en = "sleep mode 2: light sleep only", zh = "休眠模式 2:仅浅休眠"}},
  MANUFACTURER = {en = "the maker (ATI, AT+CGMI)", zh = "厂商(ATI、AT+CGMI)"},
  MODEL = {en = "the model (ATI, AT+CGMM)", zh = "型号(ATI、AT+CGMM)"},
  REVISION = {en = "the firmware revision %s (R02 or later has the platform commands; DFOTA packages start from it)",
              zh = "固件版本 %s(R02 及以后版本支持平台命令;DFOTA 差分包以此版本为起点)"},
  TEST = {en = "what %s=? lists: the values each parameter may take", zh = "%s=? 列出的内容:各参数的取值范围"},
  QRST_TEST = {en = "what AT+QRST=? lists: <mode> 1 (reboot now) is the only value", zh = "AT+QRST=? 列出的内容:<mode> 只能取 1(立即重启)"},
  ECHO = {en = "the echo of a command (echo is on, as after every boot; ATE0 turns it off)",
          zh = "命令回显(回显已开启,每次开机后默认开启;ATE0 关闭回显)"},
  CME_TEXT = {en = "%s (AT+CMEE=2 shows the error as text)", zh = "%s(AT+CMEE=2 以文字形式显示错误)"},
  GARBAGE = {en = "not a line the module prints: noise on the line, or another device on the port",
             zh = "这不是模块会输出的行:可能是线路噪声,或端口上连接了其他设备"},
  ERROR_CAUSE = {en = "the command failed: %s", zh = "命令执行失败:%s"},
}

-- +CEREG <stat> (27.007 7.2).
T.cereg = {
  [0] = {en = "not registered, not searching (no SIM ready, or detached)", zh = "未注册,未在搜索网络(SIM 卡未就绪或已去附着)"},
  [1] = {en = "registered, home network", zh = "已注册,归属网络"},
  [2] = {en = "not registered, searching (attaching)", zh = "未注册,正在搜索网络(附着中)"},
  [3] = {en = "registration denied by the network", zh = "网络拒绝注册"},
  [4] = {en = "unknown (out of coverage)", zh = "未知(无覆盖)"},
  [5] = {en = "registered, roaming", zh = "已注册,漫游"},
}

local function pick(entry, lang) return entry and i18n.pick(entry, lang) end

function explain.cme(code, lang)
  lang = lang or i18n.lang()
  local e = errors[code]
  if not e then return pick(T.other.CME_UNKNOWN, lang):format(code) end
  return ("%s: %s"):format(e.name, lang == "zh" and e.zh or e.en)
end

-- The meaning of an error final, with its cause when the command is known.
local function with_cause(meaning, cause, lang)
  if not cause then return meaning end
  return meaning .. (lang == "zh" and ";" or "; ") .. cause
end

local function coded(tbl, n, what, lang)
  local entry = tbl[tonumber(n)]
  if entry then return pick(entry, lang) end
  return pick(T.other.UNKNOWN_CODE, lang):format(what, n)
end

-- The finals the engine ends an answer with; they are no decoded line.
local FINALS = {OK = true, ERROR = true}

-- The meaning of each decoded kind (bc260y.core.decode): d is the decoded line.
local function stat(value, lang) return coded(T.cereg, value, "+CEREG", lang) end
local function std(key, lang) return pick(T.std[key], lang) end

local BY_KIND = {
  cme_error = function(d, lang, ctx)
    return with_cause(explain.cme(d.value, lang), ctx.command and causes.of(ctx.command, d.value, ctx, lang), lang)
  end,
  csq = function(d, lang)
    local rssi = d.rssi == 99 and std("UNKNOWN_VALUE", lang)
      or std("CSQ_RSSI", lang):format(-113 + 2 * d.rssi, d.rssi, d.rssi)
    local ber = d.ber == 99 and std("UNKNOWN_VALUE", lang) or tostring(d.ber)
    return std("CSQ", lang):format(rssi, ber)
  end,
  cereg = function(d, lang) return std("CEREG", lang):format(stat(d.value, lang)) end,
  cereg_answer = function(d, lang) return std("CEREG_ANSWER", lang):format(stat(d.value, lang), d.n) end,
  cgsn = function(d, lang)
    local v = d.value
    if #v == 15 then return std("IMEI", lang):format(v) end
    if #v == 16 then return std("IMEISV", lang):format(v) end
    return std("SVN", lang):format(v)
  end,
  ati_manufacturer = function(_, lang) return std("MANUFACTURER", lang) end,
  ati_model = function(_, lang) return std("MODEL", lang) end,
  ati_revision = function(d, lang) return std("REVISION", lang):format(d.value or "") end,
  qlwevtind = function(d, lang) return coded(T.qlwevtind, d.value, "+QLWEVTIND", lang) end,
  nmstatus = function(d, lang) return pick(T.nmstatus[d.value], lang) end,
  qlwuldatastatus = function(d, lang) return coded(T.qlwuldatastatus, d.value, "+QLWULDATASTATUS", lang) end,
  nnmi_indication = function(_, lang) return pick(T.nnmi.indication, lang) end,
  nnmi_buff_full = function(_, lang) return pick(T.nnmi.buff_full, lang) end,
  nnmi_data = function(d, lang) return pick(T.nnmi.data, lang):format(d.length) end,
  nnmi_mode = function(d, lang) return coded(T.nnmi_mode, d.value, "+NNMI", lang) end,
  fota = function(d, lang)
    if d.stage == "download" then return coded(T.fota_download, d.value, "+QIND FOTA DOWNLOAD", lang) end
    if d.stage == "end" then return coded(T.fota_end, d.value, "+QIND FOTA END", lang) end
    return pick(T.fota[d.stage], lang):format(d.value)
  end,
  cscon = function(d, lang) return coded(T.cscon, d.value, "+CSCON", lang) end,
  cscon_answer = function(d, lang) -- the answer of AT+CSCON?: n, the reports; value, the state
    local O = T.other
    return pick(O.CSCON_READ, lang):format(d.n == 1 and pick(O.ON, lang) or pick(O.OFF, lang),
      coded(T.cscon, d.value, "+CSCON", lang))
  end,
  qnbiotevent = function(d, lang) return pick(T.deepsleep[d.value], lang) end,
  rdy = function(_, lang, ctx) return pick(ctx.after_update and T.other.RDY_UPDATED or T.other.RDY, lang) end,
  cfun = function(d, lang) return pick(d.value == 1 and T.other.CFUN or T.other.CFUN0, lang) end,
  cpin = function(d, lang, ctx)
    -- (after a firmware update's own reboot +CPIN: READY is the only banner line: guide 5.2.5)
    if d.value == "READY" then return pick(ctx.after_update and T.other.RDY_UPDATED or T.other.CPIN, lang) end
    return pick(T.other.CPIN_OTHER, lang):format(d.value)
  end,
  ip = function(d, lang) return pick(T.other.IP, lang):format(d.value) end,
  cgpaddr = function(d, lang) return pick(T.other.CGPADDR, lang):format(d.ip) end,
  nmgr = function(d, lang) return pick(T.other.NMGR, lang):format(d.length) end,
  nqmgr = function(d, lang) return pick(T.other.NQMGR, lang):format(d.buffered, d.received, d.dropped) end,
  ncfg = function(d, lang) return pick(T.other.NCFG, lang):format(d.value) end,
}

local function timer(bits, decode_fn, lang)
  local seconds = decode_fn(bits)
  if seconds == false then return std("TIMER", lang):format(bits, std("DEACTIVATED", lang)) end
  if not seconds then return bits end
  return std("TIMER", lang):format(bits, std("SECONDS", lang):format(seconds))
end

-- The 27.007 answers the C decoder leaves to their commands (it needs none of them): each
-- a pattern of the line and its meaning from the captures. A line with such a prefix that
-- matches no pattern is malformed.
local STANDARD = {
  {"^%+CESQ: (%d+),(%d+),(%d+),(%d+),(%d+),(%d+)$", function(lang, _, _, _, _, rsrq, rsrp)
    rsrq, rsrp = tonumber(rsrq), tonumber(rsrp)
    local q = rsrq == 255 and std("CESQ_UNKNOWN", lang) or ("%g dB"):format(-20 + rsrq / 2)
    local p = rsrp == 255 and std("CESQ_UNKNOWN", lang) or ("%d dBm"):format(-141 + rsrp)
    return std("CESQ", lang):format(q, p)
  end},
  {"^%+CGATT: ([01])$", function(lang, v) return pick(T.std.CGATT[tonumber(v)], lang) end},
  {'^%+CGDCONT: (%d+),"([^"]*)","([^"]*)"', function(lang, cid, ty, apn) return std("CGDCONT", lang):format(cid, ty, apn) end},
  {'^%+CPSMS: ([012]),[^,]*,[^,]*,"([01]+)","([01]+)"$', function(lang, mode, tau, active)
    return std("CPSMS", lang):format(std(mode == "1" and "PSM_ON" or "PSM_OFF", lang),
      timer(tau, timers.decode_tau, lang), timer(active, timers.decode_active, lang))
  end},
  {'^%+CEDRXS: 5,"([01][01][01][01])"$', function(lang, v) return std("CEDRXS", lang):format(v, timers.decode_edrx(v)) end},
  {"^%+CEDRXRDP: 0$", function(lang) return std("CEDRXRDP_OFF", lang) end},
  {'^%+CEDRXRDP: 5,"([01][01][01][01])","([01][01][01][01])","([01][01][01][01])"$', function(lang, req, nw, ptw)
    return std("CEDRXRDP", lang):format(req, timers.decode_edrx(req), nw, timers.decode_edrx(nw), ptw)
  end},
  {'^%+CCLK: "(%d%d)/(%d%d)/(%d%d),(%d%d:%d%d:%d%d)([%+%-]%d+)"$', function(lang, y, mo, dd, hms, tz)
    local hours = tonumber(tz) / 4
    return std("CCLK", lang):format(y, mo, dd, hms, tz, (hours < 0 and "-" or "+") .. ("%g"):format(math.abs(hours)))
  end},
  {"^%+QCCID: (%d+)$", function(lang, v) return std("QCCID", lang):format(v) end},
  {"^%+CMEE: ([012])$", function(lang, v) return pick(T.std.CMEE[tonumber(v)], lang) end},
  {"^%+QSCLK: ([012])$", function(lang, v) return pick(T.std.QSCLK[tonumber(v)], lang) end},
  {"^%+QRST: 1$", function(lang) return std("QRST_TEST", lang) end},
}

-- A +CME ERROR as text (AT+CMEE=2): the code whose English text it is.
local function verbose_cme(text)
  for code, e in pairs(errors) do
    if e.en == text then return code end
  end
end

-- Lines that are not '+' lines: bare answers and echoes. The command they answer (ctx)
-- tells a serial number from other text.
local function bare(line, lang, ctx)
  local cmd = ctx.command and ctx.command:upper() or ""
  if line == "BC260Y-CN" then return std("MODEL", lang) end
  if line:match("^%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d$") and (cmd == "AT+CIMI" or line:sub(1, 3) == "460") then
    return std("IMSI", lang):format(line)
  end
  if line:match("^[%u%d]+$") and line:find("%u") and line:find("%d") and #line >= 8 and #line <= 20
     and (cmd == "" or cmd:match("^AT%+CGSN")) then
    return std("SN", lang):format(line)
  end
  if line:match("^[Aa][Tt]") then return std("ECHO", lang) end
  return nil
end

-- The meaning of one line from the module, or nil when line is no string. What a line of
-- the guide's is comes from the C decoder (core.decode), the one place that knows their
-- shapes: a line it refuses is not explained as if it were valid. Such a line that looks
-- like a result of the module ('+' and a name: every URC and information answer does) is
-- said to be malformed; any other unknown line is said not to be one the module prints.
function explain.line(line, lang, ctx)
  lang = lang or i18n.lang()
  ctx = ctx or {}
  if type(line) ~= "string" then return nil end
  line = line:match("^%s*(.-)%s*$")
  if line == "ERROR" and ctx.command then
    local cause = causes.of(ctx.command, "ERROR", ctx, lang)
    if cause then return std("ERROR_CAUSE", lang):format(cause) end
  end
  if FINALS[line] then return pick(T.other[line], lang) end
  local test_of = line:match("^(%+%u[%u%d]*):%s*.*%(")
  if test_of then return std("TEST", lang):format("AT" .. test_of) end
  local d = decode(line)
  local kind = d and d.kind
  if kind then
    local meaning = BY_KIND[kind]
    return meaning and meaning(d, lang, ctx) or nil
  end
  for _, rule in ipairs(STANDARD) do
    local caps = table.pack(line:match(rule[1]))
    if caps[1] then return rule[2](lang, table.unpack(caps, 1, caps.n)) end
  end
  local text = line:match("^%+CME ERROR: (.+)$")
  local code = text and verbose_cme(text)
  if code then
    return with_cause(std("CME_TEXT", lang):format(explain.cme(code, lang)),
      ctx.command and causes.of(ctx.command, code, ctx, lang), lang)
  end
  if line:sub(1, 1) == "+" then return pick(T.other.MALFORMED, lang) end
  return bare(line, lang, ctx) or std("GARBAGE", lang)
end

return explain
