-- bc260y.console.explain: what a line from the module means, in English or Chinese, for people
-- learning the module (the console prints it under each line). The knowledge is the
-- guide's tables: every +QLWEVTIND code, NMSTATUS state, QLWULDATASTATUS value, +NNMI form,
-- FOTA stage and result, the CSCON and deep-sleep events; +CME ERROR codes come from the
-- error table the C core carries (bc260y.errors), not from a copy here. A few lines the
-- guide only shows in its examples (OK, RDY, +CGPADDR...) are explained too.
--
--   explain.line(line[, lang]) -> text | nil (nil: nothing to say about this line)
--   explain.cme(code[, lang])  -> "CTIOT_...: meaning"
--   explain.tables             the tables themselves (the tests check every code)
local errors = require("bc260y.core").errors
local i18n = require("bc260y.i18n")

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

-- +QIND: "FOTA",<stage>[,...]: the firmware update (guide 3.4-3.9, 5.3).
T.fota = {
  ["DOWNLOAD START"] = {
    en = "firmware download started: do not power the module off and send no data commands",
    zh = "开始下载固件:此时不可给模块断电,也不可发送数据传输相关的 AT 命令"},
  DOWNLOADING = {en = "firmware download: %s bytes so far", zh = "已下载固件包 %s 字节"},
  START = {en = "firmware update started: do not power the module off and send no data commands",
           zh = "模块开始固件升级:不可断电,不可发送数据传输相关的 AT 命令"},
  UPDATING = {en = "firmware update in progress: %s%%", zh = "固件升级进度:%s%%"},
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
  CFUN = {en = "full functionality: the radio is on", zh = "全功能模式,射频已打开"},
  CPIN = {en = "the SIM card is ready", zh = "SIM 卡已就绪"},
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
}

local function pick(entry, lang) return i18n.pick(entry, lang) end

function explain.cme(code, lang)
  lang = lang or i18n.lang()
  local e = errors[code]
  if not e then return pick(T.other.CME_UNKNOWN, lang):format(code) end
  return ("%s: %s"):format(e.name, lang == "zh" and e.zh or e.en)
end

local function coded(tbl, n, what, lang)
  local entry = tbl[tonumber(n)]
  if entry then return pick(entry, lang) end
  return pick(T.other.UNKNOWN_CODE, lang):format(what, n)
end

local function fota(stage, rest, lang)
  local args = {}
  for v in rest:gmatch(",%s*([^,]*)") do args[#args + 1] = v end
  if stage == "DOWNLOAD" then return coded(T.fota_download, args[1], "+QIND FOTA DOWNLOAD", lang) end
  if stage == "END" then return coded(T.fota_end, args[1], "+QIND FOTA END", lang) end
  local entry = T.fota[stage]
  if not entry then return nil end
  local text = pick(entry, lang)
  if stage == "DOWNLOADING" then return text:format(args[1] or "?") end
  if stage == "UPDATING" then return text:format(((args[1] or "?"):gsub("%%", ""))) end
  return text
end

-- The meaning of one line from the module, or nil.
function explain.line(line, lang)
  lang = lang or i18n.lang()
  if type(line) ~= "string" then return nil end
  line = line:match("^%s*(.-)%s*$")
  local n = line:match("^%+CME ERROR:%s*(%d+)$")
  if n then return explain.cme(tonumber(n), lang) end
  n = line:match("^%+QLWEVTIND:%s*(%-?%d+)$")
  if n then return coded(T.qlwevtind, n, "+QLWEVTIND", lang) end
  local s = line:match("^%+NMSTATUS:%s*(%S+)$")
  if s then
    local entry = T.nmstatus[s]
    return entry and pick(entry, lang) or pick(T.other.UNKNOWN_CODE, lang):format("+NMSTATUS", s)
  end
  n = line:match("^%+QLWULDATASTATUS:%s*(%d+)$")
  if n then return coded(T.qlwuldatastatus, n, "+QLWULDATASTATUS", lang) end
  if line == "+NNMI" then return pick(T.nnmi.indication, lang) end
  if line:match('^%+NNMI:%s*"recv",%s*buff full$') then return pick(T.nnmi.buff_full, lang) end
  local len = line:match("^%+NNMI:%s*(%d+),%x*$")
  if len then return pick(T.nnmi.data, lang):format(tonumber(len)) end
  n = line:match("^%+NNMI:%s*(%d+)$")
  if n then return coded(T.nnmi_mode, n, "+NNMI", lang) end
  local stage, rest = line:match('^%+QIND:%s*"FOTA",%s*"([^"]+)"(.*)$')
  if stage then return fota(stage, rest, lang) end
  n = line:match("^%+CSCON:%s*(%d+)$")
  if n then return coded(T.cscon, n, "+CSCON", lang) end
  local report, state = line:match("^%+CSCON:%s*(%d),%s*(%d+)$") -- the answer of AT+CSCON?
  if report then
    return pick(T.other.CSCON_READ, lang):format(report == "1" and pick(T.other.ON, lang) or pick(T.other.OFF, lang),
      coded(T.cscon, state, "+CSCON", lang))
  end
  s = line:match('^%+QNBIOTEVENT:%s*"([^"]+)"$')
  if s then
    local entry = T.deepsleep[s]
    return entry and pick(entry, lang) or nil
  end
  local O = T.other
  if line == "OK" or line == "ERROR" or line == "RDY" then return pick(O[line], lang) end
  if line:match("^%+CFUN:%s*1$") then return pick(O.CFUN, lang) end
  if line:match("^%+CPIN:%s*READY$") then return pick(O.CPIN, lang) end
  local ip = line:match("^%+IP:%s*(%S+)$")
  if ip then return pick(O.IP, lang):format(ip) end
  ip = line:match('^%+CGPADDR:%s*%d+,%s*"?([^"]+)"?$')
  if ip then return pick(O.CGPADDR, lang):format(ip) end
  len = line:match("^%+NMGR:%s*(%d+),")
  if len then return pick(O.NMGR, lang):format(tonumber(len)) end
  local b, r, d = line:match("^BUFFERED=(%d+),RECEIVED=(%d+),DROPPED=(%d+)$")
  if b then return pick(O.NQMGR, lang):format(tonumber(b), tonumber(r), tonumber(d)) end
  n = line:match("^%+NCFG:%s*(%d+)$")
  if n then return pick(O.NCFG, lang):format(tonumber(n)) end
  return nil
end

return explain
