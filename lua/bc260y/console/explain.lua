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
local core = require("bc260y.core")
local errors, decode = core.errors, core.decode
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
  MALFORMED = {en = "malformed: not a form of this line the guide documents (the library refuses it)",
               zh = "格式错误:不是指导中记载的格式(库不接受此行)"},
}

local function pick(entry, lang) return entry and i18n.pick(entry, lang) end

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

-- The finals the engine ends an answer with; they are no decoded line.
local FINALS = {OK = true, ERROR = true}

-- The meaning of each decoded kind (bc260y.core.decode): d is the decoded line.
local BY_KIND = {
  cme_error = function(d, lang) return explain.cme(d.value, lang) end,
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
  rdy = function(_, lang) return pick(T.other.RDY, lang) end,
  cfun = function(d, lang) if d.value == 1 then return pick(T.other.CFUN, lang) end end,
  cpin = function(d, lang) if d.value == "READY" then return pick(T.other.CPIN, lang) end end,
  ip = function(d, lang) return pick(T.other.IP, lang):format(d.value) end,
  cgpaddr = function(d, lang) return pick(T.other.CGPADDR, lang):format(d.ip) end,
  nmgr = function(d, lang) return pick(T.other.NMGR, lang):format(d.length) end,
  nqmgr = function(d, lang) return pick(T.other.NQMGR, lang):format(d.buffered, d.received, d.dropped) end,
  ncfg = function(d, lang) return pick(T.other.NCFG, lang):format(d.value) end,
}

-- The meaning of one line from the module, or nil. What the line is comes from the C
-- decoder (core.decode), the one place that knows the lines' shapes: a line it refuses is
-- not explained as if it were valid. Such a line that looks like a result of the module
-- ('+' and a name: every URC and information answer does) is said to be malformed.
function explain.line(line, lang)
  lang = lang or i18n.lang()
  if type(line) ~= "string" then return nil end
  line = line:match("^%s*(.-)%s*$")
  if FINALS[line] then return pick(T.other[line], lang) end
  local d = decode(line)
  local kind = d and d.kind
  if kind then
    local meaning = BY_KIND[kind]
    return meaning and meaning(d, lang) or nil
  end
  if line:sub(1, 1) == "+" then return pick(T.other.MALFORMED, lang) end
  return nil
end

return explain
